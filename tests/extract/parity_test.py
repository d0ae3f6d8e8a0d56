#!/usr/bin/python3
"""`modelspec extract` against the Python pipeline TRIDENT and CLAM users run:
parity_test.py MODELSPEC MAKE_TISSUE_SLIDE MODELS_DIR.

The same generated slide goes through openslide-python (read_region at the
tiles' level), Pillow's resize to the model's tile size (bicubic, as the spec
says), torchvision's ToTensor and Normalize, torch.jit.load of the same .pt
and the spec's readout (CLS next to the mean of the patch tokens, the four
register tokens left out), at the coordinates and in the order of our h5
file. Every feature must agree within 1e-4 (fp32). Exits 77 (skipped) when
a Python module is missing.

The same weights then run on the native engine, as a model's owner publishes
them: converted to timm's state-dict names, saved as model.safetensors beside
a timm config.json in a Hugging Face cache ($HF_HUB_CACHE), and found there
by `extract --model` with no --weights (the spec names the repository in
weights_source). Its features must agree with the same Python pipeline."""
import json
import os
import pathlib
import re
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


def publish_as_timm(weights, spec, cache, repository):
    """The TorchScript model's weights as a Hugging Face timm repository in `cache`, as
    huggingface_hub lays it out: models--ORG--NAME/refs/main naming snapshots/<commit>/."""
    import timm_vit

    names = [(r"^patch_embed\.", "patch_embed.proj."), (r"^(blocks\.\d+)\.(qkv|proj)\.", r"\1.attn.\2."),
             (r"^(blocks\.\d+)\.(fc1|fc2)\.", r"\1.mlp.\2.")]
    state = {}
    for name, value in torch.jit.load(str(weights)).state_dict().items():
        for pattern, replacement in names:
            name = re.sub(pattern, replacement, name)
        state[name] = value
    commit = "0123456789abcdef0123456789abcdef01234567"
    folder = cache / ("models--" + repository.replace("/", "--"))
    snapshot = folder / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (folder / "refs").mkdir()
    (folder / "refs" / "main").write_text(commit)
    timm_vit.save_safetensors(state, snapshot / "model.safetensors")
    tile = pipeline.tile_size(spec)[0]
    model_args = {"img_size": tile, "embed_dim": 32, "depth": 2, "num_heads": 2, "mlp_ratio": 2.0, "reg_tokens": 4,
                  "no_embed_class": True}
    config = timm_vit.timm_config("vit_small_patch16_224", model_args, spec["mean"], spec["std"], tile)
    (snapshot / "config.json").write_text(json.dumps(config))


def compare(ours, theirs, coords, engine):
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    difference = np.abs(ours - theirs)
    worst = np.unravel_index(np.argmax(difference), difference.shape)
    print(f"{engine}: {len(coords)} tiles, max |ours - python| = {difference.max():.3g} at tile {worst[0]} "
          f"{coords[worst[0]]}")
    assert difference.max() <= TOLERANCE, f"{engine}: features differ by {difference.max()} > {TOLERANCE}"


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
    compare(ours, theirs, coords, "LibTorch")

    # The native engine, the weights found in the Hugging Face cache.
    publish_as_timm(weights, spec, work / "hub", "test-org/tiny-vit-reg4")
    spec_file = work / "tiny-vit-reg4.yaml"
    spec_file.write_text((MODELS / "tiny-vit-reg4.yaml").read_text() + "weights_source: test-org/tiny-vit-reg4\n")
    run = subprocess.run([TOOL, "extract", str(slide), "--model", str(spec_file), "-o", str(work / "native"),
                          "--threads", "2"], capture_output=True, text=True, check=False,
                         env=dict(os.environ, HF_HUB_CACHE=str(work / "hub")))
    assert run.returncode == 0, (run.stdout, run.stderr)
    with h5py.File(work / "native" / "parity.h5", "r") as f:
        native, native_coords = f["features"][:], f["coords"][:]
    assert np.array_equal(native_coords, coords)
    compare(native, theirs, coords, "native engine")
print("parity_test: ok")
