"""Class 11: messages in the user's terms. Every numeric option takes a
decimal number only and says, when it refuses one, the option, the value
given and the valid range (no 309-digit bound, no hexadecimal or octal
reading); a slide whose MPP is present but unusable is told so, not that it
has none; command-line users are pointed at options, not C++ fields."""
import re

import h5py
import pytest

from support import extract_arguments, make_slide, run, text

MPP_RANGE = "[0.001, 100000]"


@pytest.mark.parametrize("value", ["0", "-1", "inf", "nan", "1e400", "1e-5", "0x10", "0x1p3", " 0.5", "0.5um", ""])
@pytest.mark.parametrize("command", ["tiles", "extract"])
def test_mpp_override(tmp_path, command, value):
    model = ["--model", "h0-mini"] if command == "tiles" else extract_arguments()
    result = run(command, tmp_path / "s.tif", *model, "-o", tmp_path / "out", "--mpp-override", value)
    stderr = text(result.stderr)
    assert result.returncode == 2, stderr
    assert f'--mpp-override: expected microns per pixel as a decimal number in {MPP_RANGE} (e.g. 0.25), got "{value}"' \
        in stderr, stderr
    assert not re.search(r"\d{20}", stderr), stderr


INTEGERS = {  # option: (command, valid range)
    "--threads": ("extract", "[1, 1024]"),
    "--batch-size": ("extract", "[1, 65536]"),
    "--max-megatiles": ("tiles", "[1, 9223372036854775807]"),
}


@pytest.mark.parametrize("value", ["0", "-3", "1.5", "1e3", "0x10", "99999999999999999999", "ten"])
@pytest.mark.parametrize("option", sorted(INTEGERS))
def test_whole_number_options(tmp_path, option, value):
    command, valid = INTEGERS[option]
    model = ["--model", "h0-mini", "--megatile", "2x2"] if command == "tiles" else extract_arguments()
    result = run(command, tmp_path / "s.tif", *model, "-o", tmp_path / "out", option, value)
    stderr = text(result.stderr)
    assert result.returncode == 2, stderr
    assert f'{option}: expected a whole decimal number in {valid}, got "{value}"' in stderr, stderr


@pytest.mark.parametrize("value", ["-0.1", "1.5", "nan", "inf", "0x1", "half"])
@pytest.mark.parametrize("option,command", [("--mask-threshold", "tiles"), ("--mask-threshold", "extract"),
                                            ("--min-valid-ratio", "tiles"), ("--max-valid-ratio", "tiles")])
def test_fraction_options(tmp_path, option, command, value):
    model = ["--model", "h0-mini", "--megatile", "2x2"] if command == "tiles" else extract_arguments()
    result = run(command, tmp_path / "s.tif", *model, "-o", tmp_path / "out", option, value)
    stderr = text(result.stderr)
    assert result.returncode == 2, stderr
    assert f'{option}: expected a decimal number in [0, 1], got "{value}"' in stderr, stderr


def test_octal_looking_numbers_are_decimal(tmp_path):
    """CLI11 reads 010 as 8: the tool takes decimal numbers only (the slide has more than ten blocks)."""
    slide = make_slide(tmp_path / "s.tif", "4096x4096", "0.5")
    result = run("tiles", slide, "--model", "h0-mini", "-o", tmp_path / "out", "--megatile", "1x1",
                 "--max-megatiles", "010")
    assert result.returncode == 0, text(result.stderr)
    with h5py.File(tmp_path / "out" / "s.h5") as written:
        assert written["megatile_coords"].shape == (10, 2)


@pytest.mark.parametrize("mpp", ["-1", "1e-5", "inf", "0"])
def test_a_slide_with_an_unusable_mpp_is_told_so(tmp_path, mpp):
    """The generated slide is Aperio's: OpenSlide copies aperio.MPP into openslide.mpp-x (its own spelling)."""
    slide = make_slide(tmp_path / "s.tif", "2048x2048", mpp)
    result = run("tiles", slide, "--model", "h0-mini", "-o", tmp_path / "out")
    stderr = text(result.stderr)
    assert result.returncode == 1
    found = re.search(r"the slide's MPP is unusable: (openslide\.mpp-x|aperio\.MPP) is \"([^\"]*)\" "
                      r"\(expected microns per pixel in \[0\.001, 100000\]\)", stderr)
    assert found, stderr
    assert float(found.group(2)) == float(mpp)
    assert "has no MPP" not in stderr
    assert "--mpp-override" in stderr and "::" not in stderr, stderr


@pytest.mark.parametrize("mpp", ["30", "0.01"])
def test_a_slide_with_an_implausible_mpp_points_at_the_option(tmp_path, mpp):
    slide = make_slide(tmp_path / "s.tif", "2048x2048", mpp)
    result = run("tiles", slide, "--model", "h0-mini", "-o", tmp_path / "out")
    stderr = text(result.stderr)
    assert result.returncode == 1
    assert "--mpp-override" in stderr and "::" not in stderr, stderr


def test_a_slide_without_an_mpp_points_at_the_option_and_the_manifest(tmp_path):
    slide = make_slide(tmp_path / "s.tif", "2048x2048", None)
    result = run("tiles", slide, "--model", "h0-mini", "-o", tmp_path / "out")
    stderr = text(result.stderr)
    assert result.returncode == 1
    assert "has no MPP" in stderr and "--mpp-override" in stderr and "mpp_override column" in stderr, stderr
