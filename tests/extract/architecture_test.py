#!/usr/bin/python3
"""`modelspec extract` on a real architecture, against the Python pipeline, in fp32 and in bf16:
architecture_test.py FAMILY MODELSPEC MAKE_TISSUE_SLIDE CONFIGS_DIR.

FAMILY is one of tests/support/architectures.py (dinov2-reg4, vit-l16, resnet50-trunc): the model is
built small (narrow, 2 blocks, 64 px tiles) with random weights and exported to TorchScript in a
temporary directory, as docs/inference.md tells users; its spec is the family's built-in config with
the small sizes. A generated slide goes through `extract --precision fp32` and `--precision bf16`, and
through the Python pipeline (tests/support/pipeline.py: openslide-python, Pillow, torchvision,
torch.jit.load, the spec's readout) in fp32 and under torch.autocast("cpu", torch.bfloat16):
- fp32: every feature within 1e-4 of Python's;
- bf16: every feature within bf16 tolerance of Python's autocast features (relative to the feature
  vector's scale: 2^-6, a few bf16 roundings), and every tile's bf16 embedding at cosine >= 0.999 to
  its fp32 one;
- the file records the precision that ran, the log says which and why.
bf16 runs even where it is emulated (this CI's Zen 3 has no AVX512-BF16): slower, same numbers.
Exits 77 (skipped) when a Python module is missing."""
import pathlib
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
try:
    import architectures  # torch, torchvision, PyYAML
    import h5py
    import numpy as np
    import pipeline  # openslide-python, Pillow
    import torch
except ImportError as missing:
    print(f"SKIP: {missing}")
    sys.exit(77)

FAMILY, TOOL, GENERATOR, CONFIGS = sys.argv[1], sys.argv[2], sys.argv[3], pathlib.Path(sys.argv[4])
FP32_TOLERANCE, BF16_RELATIVE_TOLERANCE, MIN_COSINE = 1e-4, 2.0**-6, 0.999


def extract(slide, spec_path, weights, out, precision):
    run = subprocess.run([TOOL, "extract", str(slide), "--model", str(spec_path), "--weights", str(weights), "-o",
                          str(out), "--precision", precision, "--threads", "1"],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, (run.stdout, run.stderr)
    with h5py.File(out / "slide.h5", "r") as f:
        features, coords = f["features"][:], f["coords"][:]
        level, region_size = int(f["coords"].attrs["patch_level"]), int(f["coords"].attrs["patch_size"])
        assert f["features"].attrs["precision"] == precision, dict(f["features"].attrs)
    return features, coords, level, region_size, run.stderr


def cosine(a, b):
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


torch.set_num_threads(1)
with tempfile.TemporaryDirectory() as work:
    work = pathlib.Path(work)
    model, changes = architectures.build(FAMILY, full_size=False)
    name = f"test-{FAMILY}"
    spec_path = work / f"{name}.yaml"  # a spec file is named after its model
    spec = architectures.spec_file(CONFIGS / f"{architectures.CONFIGS[FAMILY]}.yaml", changes, spec_path, name)
    tile = pipeline.tile_size(spec)[0]
    weights = work / "model.pt"
    architectures.export(model, tile, weights)
    slide = work / "slide.tif"
    # 1.0 um/px: 128 level-0 pixels per 64 px tile at 2 um/px, read and downsampled.
    subprocess.run([GENERATOR, str(slide), "--size", "3072x2304", "--mpp", "1.0"], check=True)

    ours, coords, level, region_size, log = extract(slide, spec_path, weights, work / "fp32", "fp32")
    assert 20 <= len(coords) <= 200, len(coords)  # enough to compare, few enough for seconds
    assert f"{name}@1.0.0: fp32 (fp32 as requested), 1 threads" in log, log
    scripted = torch.jit.load(str(weights)).eval()
    theirs = pipeline.features(slide, coords, level, region_size, spec, scripted)
    assert ours.shape == theirs.shape == (len(coords), spec["embedding_dim"]), (ours.shape, theirs.shape)
    fp32_difference = np.abs(ours - theirs).max()
    assert fp32_difference <= FP32_TOLERANCE, f"fp32: features differ by {fp32_difference} > {FP32_TOLERANCE}"

    ours_bf16, coords_bf16, _, _, log = extract(slide, spec_path, weights, work / "bf16", "bf16")
    assert (coords_bf16 == coords).all()
    assert f"{name}@1.0.0: bf16 (bf16 as requested; this CPU " in log, log
    theirs_bf16 = pipeline.features(slide, coords, level, region_size, spec, scripted, precision="bf16")
    # bf16 keeps 8 significant bits: the two pipelines round the same products, except where their fp32
    # inputs (equal within 1e-6) round to neighbouring bf16 values; the error is relative to the features' scale.
    scale = np.abs(theirs_bf16).max(axis=1, keepdims=True)
    bf16_difference = (np.abs(ours_bf16 - theirs_bf16) / scale).max()
    assert bf16_difference <= BF16_RELATIVE_TOLERANCE, \
        f"bf16: features differ by {bf16_difference} of their scale > {BF16_RELATIVE_TOLERANCE}"
    # And bf16 is not fp32: the products were rounded.
    assert np.abs(ours_bf16 - ours).max() > 1e-4
    similarity = cosine(ours_bf16.astype(np.float64), ours.astype(np.float64))
    assert similarity.min() >= MIN_COSINE, f"bf16 tile {similarity.argmin()} at cosine {similarity.min()} to fp32"

    print(f"{FAMILY}: {len(coords)} tiles of {tile} px; fp32 max |ours - python| = {fp32_difference:.3g}; "
          f"bf16 max |ours - python autocast| = {bf16_difference:.3g} of the scale; "
          f"bf16 cosine to fp32 >= {similarity.min():.6f}")
print("architecture_test: ok")
