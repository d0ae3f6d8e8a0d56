#!/usr/bin/python3
"""`modelspec extract` against the Python pipeline TRIDENT and CLAM users run:
parity_test.py MODELSPEC MAKE_TISSUE_SLIDE MODELS_DIR.

The same generated slide goes through openslide-python (read_region at the
tiles' level), Pillow's resize to the model's tile size (bicubic, as the spec
says), torchvision's ToTensor and Normalize, torch.jit.load of the same .pt
and the spec's readout (CLS next to the mean of the patch tokens, the four
register tokens left out), at the coordinates and in the order of our h5
file. Every feature must agree within 1e-4 (fp32). Exits 77 (skipped) when
a Python module is missing."""
import pathlib
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
try:
    import h5py
    import numpy as np
    import pipeline  # openslide-python, Pillow, torchvision, torch, PyYAML
    import torch
except ImportError as missing:
    print(f"SKIP: {missing}")
    sys.exit(77)

TOOL, GENERATOR, MODELS = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
TOLERANCE = 1e-4


torch.set_num_threads(1)
with tempfile.TemporaryDirectory() as work:
    work = pathlib.Path(work)
    slide = work / "parity.tif"
    # 1.0 um/px: 32 level-0 pixels per 64 px tile at 0.5 um/px, read and upsampled (bicubic).
    subprocess.run([GENERATOR, str(slide), "--size", "3072x2304", "--mpp", "1.0"], check=True)
    weights = MODELS / "tiny-vit-reg4.pt"
    run = subprocess.run([TOOL, "extract", str(slide), "--model", str(MODELS / "tiny-vit-reg4.yaml"), "--weights",
                          str(weights), "-o", str(work / "out"), "--threads", "2"],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, (run.stdout, run.stderr)
    with h5py.File(work / "out" / "parity.h5", "r") as f:
        ours, coords = f["features"][:], f["coords"][:]
        level, region_size = int(f["coords"].attrs["patch_level"]), int(f["coords"].attrs["patch_size"])
    assert 500 < len(coords) < 2000, len(coords)
    spec = pipeline.load_spec(MODELS / "tiny-vit-reg4.yaml")
    theirs = pipeline.features(slide, coords, level, region_size, spec, torch.jit.load(str(weights)).eval())
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    difference = np.abs(ours - theirs)
    worst = np.unravel_index(np.argmax(difference), difference.shape)
    print(f"{len(coords)} tiles, max |ours - python| = {difference.max():.3g} at tile {worst[0]} {coords[worst[0]]}")
    assert difference.max() <= TOLERANCE, f"features differ by {difference.max()} > {TOLERANCE}"
print("parity_test: ok")
