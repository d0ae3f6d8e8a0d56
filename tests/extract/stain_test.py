#!/usr/bin/python3
"""`modelspec extract` with a spec that names a stain normalisation:
stain_test.py MODELSPEC MAKE_TISSUE_SLIDE MODELS_DIR.

Per tile (the default), per slide (--stain-estimation slide: one estimate
from a sample of the slide's tissue tiles maps every tile) and with a target
image (--stain-target); the options are refused for a model without one."""
import pathlib
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
except ImportError as missing:
    print(f"SKIP: {missing}")
    sys.exit(77)

TOOL, GENERATOR, MODELS = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
TARGET = pathlib.Path(__file__).resolve().parents[1] / "data" / "stain" / "tile_1.png"


def extract(config, slide, out, *extra):
    command = [TOOL, "extract", str(slide), "--model", str(config), "--weights", str(MODELS / "tiny-vit-reg4.pt"),
               "-o", str(out), "--threads", "2", *extra]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def features(path):
    with h5py.File(path, "r") as f:
        return f["features"][:]


with tempfile.TemporaryDirectory() as work:
    work = pathlib.Path(work)
    slide = work / "good.tif"
    subprocess.run([GENERATOR, str(slide), "--size", "3072x2304", "--mpp", "1.0"], check=True)
    plain = MODELS / "tiny-vit-reg4.yaml"
    stained = work / "tiny-vit-reg4.yaml"  # the file stem must be the model name
    stained.write_text(plain.read_text() + "stain_normalization: macenko\n")

    results = {}
    for name, config, extra in [("per_tile", stained, []),
                                ("per_slide", stained, ["--stain-estimation", "slide"]),
                                ("target", stained, ["--stain-estimation", "slide", "--stain-target", str(TARGET)])]:
        run = extract(config, slide, work / name, *extra)
        assert run.returncode == 0, (name, run.stdout, run.stderr)
        results[name] = features(work / name / "good.h5")
        assert np.isfinite(results[name]).all(), name
    # The synthetic stroma is too pale to count as tissue (R > 205): a 64 px
    # tile alone has too little tissue and passes unchanged, while the
    # slide's pooled sample has enough for one estimate that maps every tile.
    assert not np.allclose(results["per_slide"], results["per_tile"])
    assert not np.allclose(results["target"], results["per_slide"])

    run = extract(plain, slide, work / "refused", "--stain-target", str(TARGET))
    assert run.returncode != 0 and "has no stain_normalization" in run.stderr, run.stderr
    run = extract(plain, slide, work / "refused", "--stain-estimation", "slide")
    assert run.returncode != 0 and "--stain-estimation slide: tiny-vit-reg4@1.0.0 has no stain_normalization" in run.stderr, run.stderr
print("extract with stain normalisation: ok")
