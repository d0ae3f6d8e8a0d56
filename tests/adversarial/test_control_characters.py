"""Class 10: what the tools print about a slide (errors, progress, "exists,
skipped") escapes control characters, bidirectional overrides and bytes that
are not UTF-8 as the loader's diagnostics do: a slide name cannot colour the
terminal, move the cursor or forge a line."""
import pytest

from support import extract_arguments, make_slide, run, text

HOSTILE = "x\x1b[31mred\nFAKE: all good\u202eevil"
ESCAPED = "x\\x1b[31mred\\x0aFAKE: all good\\u202eevil"


def assert_clean(stderr):
    assert b"\x1b" not in stderr and b"\xe2\x80\xae" not in stderr, stderr
    assert not any(line.startswith(b"FAKE") for line in stderr.splitlines()), stderr


@pytest.mark.parametrize("command", ["tiles", "extract"])
def test_a_broken_slide_with_a_hostile_name(tmp_path, command):
    broken = tmp_path / f"{HOSTILE}.svs"
    broken.write_text("not a slide\n")
    model = ["--model", "h0-mini"] if command == "tiles" else extract_arguments()
    result = run(command, broken, *model, "-o", tmp_path / "out")
    assert result.returncode == 1
    assert_clean(result.stderr)
    assert ESCAPED in text(result.stderr)


def test_progress_and_skipped_lines_with_a_hostile_name(tmp_path):
    slide = make_slide(tmp_path / f"{HOSTILE}.tif")
    model = extract_arguments()
    first = run("extract", slide, *model, "-o", tmp_path / "out")
    assert first.returncode == 0, text(first.stderr)
    assert_clean(first.stderr)
    assert ESCAPED + ":" in text(first.stderr)  # the progress lines
    again = run("extract", slide, *model, "-o", tmp_path / "out")
    assert again.returncode == 0
    assert_clean(again.stderr)
    assert "exists, skipped" in text(again.stderr) and ESCAPED in text(again.stderr)


def test_tiles_progress_on_a_terminal_is_escaped(tmp_path):
    import os
    import pty
    import subprocess
    from support import TOOL
    slide = make_slide(tmp_path / f"{HOSTILE}.tif")
    primary, secondary = pty.openpty()
    process = subprocess.Popen([TOOL, "tiles", str(slide), "--model", "h0-mini", "-o", str(tmp_path / "out")],
                               stdout=subprocess.DEVNULL, stderr=secondary)
    os.close(secondary)
    output = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    process.wait(timeout=60)
    os.close(primary)
    assert process.returncode == 0
    assert_clean(output)
    assert ESCAPED.encode() in output


def test_preprocess_prints_its_output_path_escaped(tmp_path):
    import numpy as np
    np.save(tmp_path / "tile.npy", np.full((32, 32, 3), 128, np.uint8))
    result = run("preprocess", "h0-mini", tmp_path / "tile.npy", "-o", tmp_path / f"{HOSTILE}.npy")
    assert result.returncode == 0, text(result.stderr)
    assert b"\x1b" not in result.stdout and ESCAPED.encode() in result.stdout
