"""Class 7: file names that are not UTF-8 (legal on Linux) follow one rule
(docs/hardening.md). In JSON text a byte that is not UTF-8 is written as the
escape \\udcXX (PEP 383's surrogateescape: what Python's
json.dumps(os.fsdecode(name)) writes), so the exact name comes back with
os.fsencode(json.load(...)); a slide name stored inside an output (HDF5 and
NPZ `name`, the JSON export's `slide`) must be UTF-8, else that slide is
refused with a message saying how to name it. Never an internal exception
text, never another name."""
import json
import os
import subprocess

import h5py
import numpy as np
import pytest

from support import extract_arguments, make_slide, run, text

LATIN1 = os.fsdecode(b"caf\xe9")


def test_the_manifest_command_prints_a_path_that_is_not_utf8_losslessly(tmp_path):
    folder = tmp_path / LATIN1
    folder.mkdir()
    make_slide(folder / "s1.tif")
    (tmp_path / "cohort.csv").write_bytes(b"slide_path,slide_id\ncaf\xe9/s1.tif,s1\n")
    result = run("manifest", tmp_path / "cohort.csv")
    assert result.returncode == 0, text(result.stderr)
    result.stdout.decode("ascii")  # the Snakemake workflow reads it with text=True
    slides = json.loads(result.stdout)
    assert os.fsencode(slides[0]["slide_path"]) == os.fsencode(folder / "s1.tif")
    assert "\\udce9" in result.stdout.decode()


@pytest.mark.parametrize("command,extra", [("tiles", ["--format", "json"]), ("tiles", ["--format", "h5"]),
                                           ("tiles", ["--megatile", "2x2", "--format", "json"]),
                                           ("extract", ["--format", "npz"]), ("extract", ["--format", "h5"])])
def test_a_slide_name_that_is_not_utf8_is_refused_with_a_way_out(tmp_path, command, extra):
    slide = make_slide(tmp_path / (LATIN1 + ".tif"))
    model = ["--model", "h0-mini"] if command == "tiles" else extract_arguments()
    result = run(command, slide, *model, "-o", tmp_path / "out", *extra)
    stderr = text(result.stderr)
    assert result.returncode == 1, stderr
    assert 'the slide name "caf\\xe9" is not UTF-8' in stderr and "--slide-id" in stderr, stderr
    assert "type_error" not in stderr and "json.exception" not in stderr
    assert b"\xe9" not in result.stderr, "raw bytes on stderr"

    # Named by --slide-id, the slide runs and stores that name.
    result = run(command, slide, *model, "-o", tmp_path / "out", *extra, "--slide-id", "cafe")
    assert result.returncode == 0, text(result.stderr)
    written = next((tmp_path / "out").iterdir())
    if written.suffix == ".json":
        assert json.loads(written.read_text())["slide"] == "cafe"
    elif written.suffix == ".npz":
        with np.load(written) as archive:
            assert str(archive["name"]) == "cafe"
            if command == "extract":  # the path, escaped as messages show it
                assert str(archive["slide_path"]).endswith("/caf\\xe9.tif"), str(archive["slide_path"])
    else:
        with h5py.File(written, "r") as h5:
            assert h5["coords"].attrs["name"] == "cafe"
            if command == "extract":
                assert h5.attrs["slide_path"].endswith("/caf\\xe9.tif"), h5.attrs["slide_path"]


@pytest.mark.parametrize("command", ["tiles", "extract"])
def test_a_slide_name_that_is_not_utf8_fails_alone(tmp_path, command):
    odd = make_slide(tmp_path / os.fsdecode(b"na\xefve.tif"))
    good = make_slide(tmp_path / "good.tif")
    summary = tmp_path / "summary.jsonl"
    model = ["--model", "h0-mini"] if command == "tiles" else extract_arguments()
    result = run(command, odd, good, *model, "-o", tmp_path / "out", "--summary", summary)
    assert result.returncode == 1, text(result.stderr)
    lines = [json.loads(line) for line in summary.read_text().splitlines()]
    assert [line["status"] for line in lines] == ["failed", "ok"], lines
    assert os.fsencode(lines[0]["slide"]) == os.fsencode(odd)
    assert lines[0]["slide_id"] == os.fsdecode(b"na\xefve")


def test_the_summary_keeps_a_path_that_is_not_utf8(tmp_path):
    folder = tmp_path / LATIN1
    folder.mkdir()
    slide = make_slide(folder / "s1.tif")
    summary = tmp_path / "summary.jsonl"
    result = run("tiles", slide, "--model", "h0-mini", "-o", tmp_path / "out", "--summary", summary)
    assert result.returncode == 0, text(result.stderr)
    line = json.loads(summary.read_bytes().decode("ascii"))
    assert os.fsencode(line["slide"]) == os.fsencode(slide)
    assert os.fsencode(line["output"]) == os.fsencode(tmp_path / "out" / "s1.h5")
