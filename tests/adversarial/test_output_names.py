"""Class 2: two slides that would write the same output file are refused
before any slide is read, naming both, whatever gives them the name (the
file stem, --slide-id, the same file twice), for every command and format."""
import pytest

from support import extract_arguments, make_slide, run, text


def model(command):
    return ["--model", "h0-mini"] if command == "tiles" else extract_arguments()


@pytest.mark.parametrize("command,extra,extension", [
    ("tiles", [], "h5"), ("tiles", ["--format", "csv", "--thumbnail"], "csv"), ("tiles", ["--megatile", "2x2"], "h5"),
    ("extract", [], "h5"), ("extract", ["--format", "npz", "--overwrite"], "npz")])
def test_two_slides_with_one_stem_are_refused_before_any_is_read(tmp_path, command, extra, extension):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = make_slide(tmp_path / "a" / "slide_01.tif")
    second = make_slide(tmp_path / "b" / "slide_01.tif")
    out = tmp_path / "out"
    result = run(command, first, second, *model(command), "-o", out, *extra)
    stderr = text(result.stderr)
    assert result.returncode == 1, stderr
    assert f"{first} and {second} would both write slide_01.{extension}" in stderr, stderr
    assert not out.exists() or not any(out.iterdir()), "a slide was read before the names were checked"


@pytest.mark.parametrize("command", ["tiles", "extract"])
def test_one_slide_given_twice_is_refused(tmp_path, command):
    slide = make_slide(tmp_path / "s1.tif")
    result = run(command, slide, slide, *model(command), "-o", tmp_path / "out")
    assert result.returncode == 1
    assert f"{slide} and {slide} would both write s1.h5" in text(result.stderr)


def test_distinct_stems_with_a_manifest_run(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    make_slide(tmp_path / "a" / "slide_01.tif")
    make_slide(tmp_path / "b" / "slide_01.tif")
    (tmp_path / "cohort.csv").write_text("slide_path,slide_id\na/slide_01.tif,a01\nb/slide_01.tif,b01\n")
    result = run("tiles", "--manifest", tmp_path / "cohort.csv", "--model", "h0-mini", "-o", tmp_path / "out")
    assert result.returncode == 0, text(result.stderr)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a01.h5", "b01.h5"]
