"""SlideInference from Python (the module built with the inference layer):
the feature file holds the TorchScript model's embeddings of TileStream's
batches, in the tile order; a cohort run reports every slide, skips finished
ones, and a Python exception in a callback stops the run as itself."""
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

import bioptimus_cpp as bp

GENERATOR = os.environ.get("BIOPTIMUS_MAKE_TISSUE_SLIDE")
MODELS = Path(__file__).resolve().parents[2] / "tests" / "data" / "models"
pytestmark = pytest.mark.skipif(not GENERATOR or "SlideInference" not in dir(bp) or not MODELS.is_dir(),
                                reason="built without the inference layer, or no slide generator or test models")
SMALL = {"min_tissue_area_um2": 20000.0, "min_hole_area_um2": 5000.0}


def make_slide(directory, name, size="6144x4608"):
    path = directory / name
    subprocess.run([GENERATOR, str(path), "--size", size, "--mpp", "0.25"], check=True)
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
