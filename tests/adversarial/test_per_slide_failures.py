"""Class 5: whatever goes wrong with one slide (a name the output folder
cannot take, a path that is not UTF-8, an error of any type) is that slide's
failure: the later slides run and every slide gets its summary line. A
--summary that cannot be written is refused before the first slide."""
import json
import os

import pytest

from support import extract_arguments, make_slide, run, text


def model(command):
    return ["--model", "h0-mini"] if command == "tiles" else extract_arguments()


def summary_lines(path):
    return [json.loads(line) for line in path.read_text(errors="surrogateescape").splitlines()]


@pytest.mark.parametrize("command", ["tiles", "extract"])
def test_a_slide_whose_output_path_is_too_long_fails_alone(tmp_path, command):
    # An output folder so deep that the paths of a 190-byte name pass
    # PATH_MAX (4096 bytes) and those of a short one do not.
    out = tmp_path
    while len(os.fsencode(out)) < 3750:
        out = out / ("d" * 200)
    out = out / ("e" * (3950 - len(os.fsencode(out)) - 1))
    long_name = "s" * 190
    long_slide = make_slide(tmp_path / f"{long_name}.tif")
    short_slide = make_slide(tmp_path / "short.tif")
    summary = tmp_path / "summary.jsonl"
    result = run(command, long_slide, short_slide, *model(command), "-o", out, "--summary", summary)
    assert result.returncode == 1, text(result.stderr)
    assert "File name too long" in text(result.stderr)
    assert (out / "short.h5").exists(), "the slide after the failed one did not run"
    lines = summary_lines(summary)
    assert [line["status"] for line in lines] == ["failed", "ok"], lines


@pytest.mark.parametrize("command", ["tiles", "extract"])
def test_a_slide_path_that_is_not_utf8_gets_its_summary_line(tmp_path, command):
    folder = tmp_path / os.fsdecode(b"caf\xe9")
    folder.mkdir()
    named = make_slide(folder / "s1.tif")  # a name that is UTF-8, in a folder that is not
    good = make_slide(tmp_path / "good.tif")
    summary = tmp_path / "summary.jsonl"
    result = run(command, named, good, *model(command), "-o", tmp_path / "out", "--summary", summary)
    assert result.returncode == 0, text(result.stderr)
    lines = summary_lines(summary)
    assert [line["status"] for line in lines] == ["ok", "ok"], lines
    assert os.fsencode(lines[0]["slide"]) == os.fsencode(named)


@pytest.mark.parametrize("command", ["tiles", "extract"])
@pytest.mark.parametrize("where", ["folder-is-a-file", "directory", "read-only"])
def test_an_unwritable_summary_is_refused_before_the_first_slide(tmp_path, command, where):
    slide = make_slide(tmp_path / "s1.tif")
    summary = {"folder-is-a-file": tmp_path / "plain" / "summary.jsonl", "directory": tmp_path,
               "read-only": tmp_path / "locked" / "summary.jsonl"}[where]
    if where == "folder-is-a-file":
        summary.parent.write_text("")
    if where == "read-only":
        summary.parent.mkdir()
        summary.write_text("")
        summary.chmod(0o444)
        if os.access(summary, os.W_OK):  # root writes anyway: make it a FIFO without a reader instead
            summary.unlink()
            os.mkfifo(summary)
    out = tmp_path / "out"
    result = run(command, slide, *model(command), "-o", out, "--summary", summary)
    assert result.returncode == 1, text(result.stderr)
    assert f"{summary}: cannot write the summary" in text(result.stderr), text(result.stderr)
    assert not out.exists() or not any(out.iterdir()), "a slide ran before the summary was checked"


@pytest.mark.parametrize("command", ["tiles", "extract"])
def test_a_summary_in_a_folder_not_made_yet_is_written_there(tmp_path, command):
    """`-o out --summary out/summary.jsonl` before out exists: the folder is made, as -o's is."""
    slide = make_slide(tmp_path / "s1.tif")
    summary = tmp_path / "out" / "run" / "summary.jsonl"
    result = run(command, slide, *model(command), "-o", tmp_path / "out", "--summary", summary)
    assert result.returncode == 0, text(result.stderr)
    assert [line["status"] for line in summary_lines(summary)] == ["ok"]
