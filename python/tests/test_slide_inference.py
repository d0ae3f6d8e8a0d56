"""SlideInference from Python (the module built with the inference layer):
the feature file holds the TorchScript model's embeddings of TileStream's
batches, in the tile order; its outputs are those of `modelspec extract` for
the same slide (every array and attribute, Zarr and HDF5); a cohort run
reports every slide, skips finished ones, and a Python exception in a
callback stops the run as itself."""
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

import bioptimus_cpp as bp

GENERATOR = os.environ.get("BIOPTIMUS_MAKE_TISSUE_SLIDE")
TOOL = os.environ.get("BIOPTIMUS_MODELSPEC")
MODELS = Path(__file__).resolve().parents[2] / "tests" / "data" / "models"
pytestmark = pytest.mark.skipif(not GENERATOR or "SlideInference" not in dir(bp) or not MODELS.is_dir(),
                                reason="built without the inference layer, or no slide generator or test models")
SMALL = {"min_tissue_area_um2": 20000.0, "min_hole_area_um2": 5000.0}


def make_slide(directory, name, size="6144x4608", mpp="0.25"):
    path = directory / name
    subprocess.run([GENERATOR, str(path), "--size", size, "--mpp", mpp], check=True)
    return path


def test_one_slide_matches_the_model_on_the_streams_batches(temp_dir):
    torch = pytest.importorskip("torch")
    h5py = pytest.importorskip("h5py")
    spec = bp.load_spec(MODELS / "tiny-vit-reg4.yaml")
    slide = make_slide(temp_dir, "slide.tif")
    inference = bp.SlideInference(spec, MODELS / "tiny-vit-reg4.pt", batch_size=40, threads=2, **SMALL)
    progress = []
    (temp_dir / "out").mkdir()
    result = inference.run(slide, temp_dir / "out" / "slide.h5",
                           progress=lambda done, total: progress.append((done, total)))
    assert progress[0][0] == 0 and progress[-1][0] == progress[-1][1] == result["tiles"] > 40
    model = torch.jit.load(str(MODELS / "tiny-vit-reg4.pt")).eval()
    expected, coords = [], []
    with torch.inference_mode():
        for batch, batch_coords in bp.TileStream(slide, spec, batch_size=40, **SMALL):
            tokens = model(torch.from_numpy(batch))
            expected.append(torch.cat([tokens[:, 0], tokens[:, 5:].mean(dim=1)], dim=1).numpy())
            coords.append(batch_coords)
    with h5py.File(temp_dir / "out" / "slide.h5", "r") as h5:
        np.testing.assert_array_equal(h5["coords"][:], np.concatenate(coords))
        np.testing.assert_allclose(h5["features"][:], np.concatenate(expected), atol=1e-5)
        assert h5["features"].attrs["model"] == spec.identity


def same_attributes(ours, theirs, where):
    assert sorted(ours) == sorted(theirs), (where, sorted(ours), sorted(theirs))
    for key, value in theirs.items():
        if key in ("save_path", "savetodir"):  # each output records its own folder
            continue
        assert np.array_equal(np.asarray(ours[key]), np.asarray(value)), (where, key, ours[key], value)


@pytest.mark.skipif(not TOOL, reason="no modelspec tool in this build")
@pytest.mark.parametrize("fmt", ["zarr", "h5"])
def test_the_outputs_are_those_of_modelspec_extract(temp_dir, fmt):
    h5py = pytest.importorskip("h5py")
    zarr = pytest.importorskip("zarr")
    spec_path, weights = MODELS / "tiny-vit-reg4.yaml", MODELS / "tiny-vit-reg4.pt"
    slide = make_slide(temp_dir, "slide.tif", "2048x2048", "1.0")  # the default tissue areas find tiles
    subprocess.run([TOOL, "extract", str(slide), "--model", str(spec_path), "--weights", str(weights), "-o",
                    str(temp_dir / "tool"), "--threads", "2", "--format", fmt, "--mask-threshold", "0.3"],
                   check=True, capture_output=True)
    inference = bp.SlideInference(bp.load_spec(spec_path), weights, threads=2, format=fmt, mask_threshold=0.3)
    (temp_dir / "library").mkdir()
    result = inference.run(slide, temp_dir / "library" / f"slide.{fmt}")
    assert result["tiles"] > 0
    ours_path, theirs_path = temp_dir / "library" / f"slide.{fmt}", temp_dir / "tool" / f"slide.{fmt}"
    if fmt == "zarr":
        ours, theirs = zarr.open_group(str(ours_path), mode="r"), zarr.open_group(str(theirs_path), mode="r")
        names = set(theirs.array_keys())
        assert set(ours.array_keys()) == names == {"features", "coords", "thumbnail", "tissue_mask"}
        read = lambda group, name: group[name][...]  # noqa: E731
    else:
        ours, theirs = h5py.File(ours_path, "r"), h5py.File(theirs_path, "r")
        names = set(theirs.keys())
        assert set(ours.keys()) == names
        read = lambda group, name: group[name][()]  # noqa: E731
    try:
        same_attributes(dict(ours.attrs), dict(theirs.attrs), "root")
        for name in names:
            assert np.array_equal(read(ours, name), read(theirs, name)), name
            same_attributes(dict(ours[name].attrs), dict(theirs[name].attrs), name)
    finally:
        if fmt == "h5":
            ours.close()
            theirs.close()


def test_a_cohort_run_reports_every_slide(temp_dir):
    spec = bp.load_spec(MODELS / "tiny-vit-reg4.yaml")
    make_slide(temp_dir, "good.tif", "2048x1536")
    (temp_dir / "broken.svs").write_text("not a slide\n")
    (temp_dir / "cohort.csv").write_text("slide_path,slide_id\ngood.tif,\nbroken.svs,\n")
    cohort = bp.Cohort.read(temp_dir / "cohort.csv")
    inference = bp.SlideInference(spec, MODELS / "tiny-vit-reg4.pt", format="npz", segment=False)
    reports = []
    totals = inference.run(cohort, temp_dir / "features", report=reports.append)
    assert [(r["slide_id"], r["status"]) for r in reports] == [("good", "ok"), ("broken", "failed")]
    assert reports[0]["tiles"] == totals["tiles"] == 16 * 12 and reports[0]["output"] == temp_dir / "features" / "good.npz"
    assert "broken.svs: cannot open slide" in reports[1]["error"]
    assert totals["failed"] == 1 and totals["slides"] == 2
    assert np.load(temp_dir / "features" / "good.npz")["features"].shape == (16 * 12, 64)
    again = []
    inference.run(cohort, temp_dir / "features", report=again.append)
    assert [r["status"] for r in again] == ["skipped", "failed"]

    def interrupt(slide_id, index, done, total):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):  # not taken for a failed slide: the run stops
        inference.run(cohort, temp_dir / "features", overwrite=True, progress=interrupt)
