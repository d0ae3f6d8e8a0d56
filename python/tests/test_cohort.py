"""Cohort from Python: the library's manifest reader (every problem at once,
as ConfigError diagnostics), slides as CohortSlide values."""
import pathlib

import pytest

import bioptimus_cpp as bp


def test_a_manifest_is_read_relative_to_its_folder(temp_dir):
    (temp_dir / "scans").mkdir()
    (temp_dir / "scans" / "a.svs").write_text("")
    (temp_dir / "scans" / "b c.tif").write_text("")
    manifest = temp_dir / "scans" / "cohort.csv"
    manifest.write_text('slide_path,slide_id,mpp_override\na.svs,,0.25\n"b c.tif",patient-7,\n')
    cohort = bp.Cohort.read(manifest)
    assert len(cohort) == 2
    first, second = cohort
    assert first.slide_path == temp_dir / "scans" / "a.svs" and first.slide_id == "a"
    assert first.mpp_override == bp.MPP(0.25) and first.line == 2
    assert second.slide_id == "patient-7" and second.mpp_override is None
    assert cohort[-1].slide_id == "patient-7" and [s.slide_id for s in cohort.slides] == ["a", "patient-7"]
    with pytest.raises(IndexError):
        cohort[2]


def test_every_problem_is_reported_located(temp_dir):
    (temp_dir / "a.svs").write_text("")
    with pytest.raises(bp.ConfigError) as raised:
        bp.Cohort.parse("slide_path,slide_id\na.svs,x\nmissing.svs,x\n", "cohort.csv", temp_dir)
    assert [str(d) for d in raised.value.diagnostics] == [
        f'cohort.csv:3:1: error: slide_path: no such file: "{temp_dir / "missing.svs"}"',
        'cohort.csv:3:13: error: slide_id: duplicate slide_id "x" (first on line 2)',
    ]


def test_slides_given_directly():
    cohort = bp.Cohort([bp.CohortSlide("scans/1.svs"), bp.CohortSlide(pathlib.Path("x/1.svs"), slide_id="other",
                                                                      mpp_override=0.5)])
    assert [(s.slide_id, s.line) for s in cohort] == [("1", 0), ("other", 0)]
    assert cohort[1].mpp_override == bp.MPP(0.5)
    with pytest.raises(bp.ValidationError):
        bp.CohortSlide("a.svs", mpp_override=-1.0)
