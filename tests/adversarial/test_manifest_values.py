"""Class 8: a manifest value that cannot work is a located error of the
`manifest` command (and of --manifest), before any slide runs: a NUL byte in
any field (never a silently shorter path), a slide_path that is not a regular
file (tests/adversarial/test_input_files.py), a slide_id longer than an output
file name can be."""
import pytest

from support import make_slide, run, text


def check(tmp_path, csv, expected):
    manifest = tmp_path / "cohort.csv"
    manifest.write_bytes(csv)
    for command in (["manifest", manifest], ["tiles", "--manifest", manifest, "--model", "h0-mini", "-o",
                                             tmp_path / "out"]):
        result = run(*command)
        assert result.returncode == 1, text(result.stderr)
        assert expected in text(result.stderr), text(result.stderr)
        assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("row,column,field", [
    (b'"s1.tif\x00.evil",,\n', 1, "slide_path"), (b's1.tif,"id\x00x",\n', 8, "slide_id"),
    (b's1.tif,,"0.25\x00"\n', 9, "mpp_override")])
def test_a_nul_byte_in_a_field_is_located(tmp_path, row, column, field):
    make_slide(tmp_path / "s1.tif")
    check(tmp_path, b"slide_path,slide_id,mpp_override\n" + row,
          f"cohort.csv:2:{column}: error: {field}: ")
    check(tmp_path, b"slide_path,slide_id,mpp_override\n" + row, "NUL byte")


def test_a_slide_id_longer_than_200_bytes_is_located(tmp_path):
    make_slide(tmp_path / "s1.tif")
    check(tmp_path, b"slide_path,slide_id\ns1.tif," + b"x" * 201 + b"\n",
          "cohort.csv:2:8: error: slide_id: expected at most 200 bytes (it names the output files), got 201")
    manifest = tmp_path / "ok.csv"
    manifest.write_bytes(b"slide_path,slide_id\ns1.tif," + b"x" * 200 + b"\n")
    assert run("manifest", manifest).returncode == 0


def test_a_file_stem_longer_than_200_bytes_asks_for_a_slide_id(tmp_path):
    make_slide(tmp_path / ("s" * 201 + ".tif"))
    check(tmp_path, b"slide_path\n" + b"s" * 201 + b".tif\n",
          "cohort.csv:2:1: error: slide_path: the file stem is 201 bytes, at most 200 name the output files; "
          "give a slide_id column")


def test_the_command_line_slide_id_follows_the_same_rule(tmp_path):
    slide = make_slide(tmp_path / "s1.tif")
    result = run("tiles", slide, "--slide-id", "x" * 201, "--model", "h0-mini", "-o", tmp_path / "out")
    assert result.returncode == 2
    assert "--slide-id: expected at most 200 bytes (it names the output files), got 201" in text(result.stderr)
