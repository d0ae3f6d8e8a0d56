"""Class 3: every file the tools open is a regular file, opened without
blocking, within a size limit; anything else is an error naming the path and
what it is (a FIFO, a directory, a device), never a wait or a read without end.
The Python SlideReader is in python/tests/test_hardening.py."""
import os

import pytest

from support import extract_arguments, make_slide, run, text

KINDS = {"fifo": "a FIFO (named pipe)", "directory": "a directory", "device": "a character device"}


def not_a_file(path, kind):
    """`path` made into a `kind` (a link to /dev/zero for a device)."""
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:
        path.symlink_to("/dev/zero")
    return path


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("command", ["tiles", "extract"])
def test_a_slide_that_is_not_a_file_fails_alone(tmp_path, command, kind):
    good = make_slide(tmp_path / "good.tif")
    bad = not_a_file(tmp_path / "bad.svs", kind)
    model = ["--model", "h0-mini"] if command == "tiles" else extract_arguments()
    result = run(command, bad, good, *model, "-o", tmp_path / "out")
    assert result.returncode == 1, text(result.stderr)
    assert f"bad.svs: cannot open slide: expected a slide file, got {KINDS[kind]}" in text(result.stderr)
    assert (tmp_path / "out" / "good.h5").exists(), "the slide after the bad one did not run"


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("command", [["manifest"], ["tiles", "--model", "h0-mini", "-o", "out", "--manifest"],
                                     ["extract", "-o", "out", "--manifest"]])
def test_a_manifest_that_is_not_a_file_is_refused(tmp_path, command, kind):
    manifest = not_a_file(tmp_path / "cohort.csv", kind)
    extra = extract_arguments() if command[0] == "extract" else []
    result = run(*command, manifest, *extra, cwd=tmp_path)
    assert result.returncode == 1, text(result.stderr)
    assert f"cohort.csv: error: expected a manifest (a CSV file), got {KINDS[kind]}" in text(result.stderr)


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_a_manifest_row_that_is_not_a_file_is_located(tmp_path, kind):
    make_slide(tmp_path / "good.tif")
    not_a_file(tmp_path / "bad.svs", kind)
    (tmp_path / "cohort.csv").write_text("slide_path\ngood.tif\nbad.svs\n")
    result = run("manifest", tmp_path / "cohort.csv")
    assert result.returncode == 1
    assert f"cohort.csv:3:1: error: slide_path: expected a slide file, got {KINDS[kind]}" in text(result.stderr)


def test_a_huge_manifest_is_refused_by_its_size(tmp_path):
    manifest = tmp_path / "cohort.csv"
    with open(manifest, "wb") as out:
        out.write(b"slide_path\n")
        out.truncate((64 << 20) + 1)  # sparse: costs no disk
    result = run("manifest", manifest)
    assert result.returncode == 1
    assert "cohort.csv: error: manifest too large: 67108865 bytes, at most 67108864 are accepted" in text(result.stderr)


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("suffix", [".png", ".npy"])
def test_a_preprocess_input_that_is_not_a_file_is_refused(tmp_path, kind, suffix):
    tile = not_a_file(tmp_path / f"tile{suffix}", kind)
    result = run("preprocess", "h0-mini", tile, "-o", tmp_path / "out.npy")
    assert result.returncode == 1, text(result.stderr)
    assert f"tile{suffix}: expected a tile (a PNG or .npy file), got {KINDS[kind]}" in text(result.stderr)
    assert not (tmp_path / "out.npy").exists()


@pytest.mark.parametrize("suffix", [".png", ".npy"])
def test_a_huge_preprocess_input_is_refused_by_its_size(tmp_path, suffix):
    tile = tmp_path / f"tile{suffix}"
    with open(tile, "wb") as out:
        out.truncate(1 << 30)
    result = run("preprocess", "h0-mini", tile, "-o", tmp_path / "out.npy")
    assert result.returncode == 1
    assert f"tile{suffix}: too large: 1073741824 bytes, at most" in text(result.stderr)


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_weights_that_are_not_a_file_are_refused(tmp_path, kind):
    arguments = extract_arguments()
    weights = not_a_file(tmp_path / "model.pt", kind)
    arguments[arguments.index("--weights") + 1] = weights
    make_slide(tmp_path / "good.tif")
    result = run("extract", tmp_path / "good.tif", *arguments, "-o", tmp_path / "out")
    assert result.returncode == 1, text(result.stderr)
    assert f"model.pt: cannot open the TorchScript model: expected a TorchScript file, got {KINDS[kind]}" in text(
        result.stderr)
