#!/usr/bin/env python3
"""Writes the parity references the C++ tests compare against.

Seeded H&E-like tiles (pink stroma, dark purple nuclei with sharp edges,
white background) are resized with Debian's Pillow 9.4 for every filter
(antialiased, as Pillow always is) and with torchvision's tensor resize with
antialias=False for nearest, bilinear and bicubic; every 8-bit value is run
through ToTensor + Normalize (h0-mini's mean and std), which act value by value. All images are
PNG, so the committed references stay small. Usage:

    make_references.py OUTPUT_DIR        # write the references
    make_references.py --check DIR       # regenerate in a temp dir, fail if DIR differs
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as F
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference_check  # noqa: E402

SEED = 20261125
# (width, height) of the source tiles; every one is resized to 224x224.
SOURCES = [(448, 448), (512, 512), (256, 256), (230, 230), (300, 500), (112, 112), (224, 224)]
TARGET = (224, 224)
PILLOW = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC,
          "lanczos": Image.LANCZOS, "box": Image.BOX}
TORCH = {"nearest": F.InterpolationMode.NEAREST, "bilinear": F.InterpolationMode.BILINEAR,
         "bicubic": F.InterpolationMode.BICUBIC}
# h0-mini (configs/h0-mini.yaml).
MEAN = [0.707223, 0.578729, 0.703617]
STD = [0.211883, 0.230117, 0.177517]


def he_tile(rng, width, height):
    """Pink stroma with fibre texture, round dark nuclei, a white background corner."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    stroma = np.array([232, 170, 200], np.float32)
    image = np.empty((height, width, 3), np.float32)
    image[:] = stroma
    fibres = 12 * np.sin(x / 7.0 + 3 * np.sin(y / 23.0)) * np.sin(y / 11.0)
    image += fibres[..., None] * np.array([0.3, 1.0, 0.6], np.float32)
    # Mild grain: real scans are not flat, and flat areas would hide rounding slips.
    image += rng.integers(0, 2, (height, width, 1)).astype(np.float32)
    nucleus = np.array([90, 50, 140], np.float32)
    for _ in range(max(4, width * height // 900)):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        rx, ry = rng.uniform(3, 9), rng.uniform(3, 9)
        inside = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1.0
        image[inside] = nucleus + rng.normal(0, 10, 3).astype(np.float32)
    background = (x / width + y / height) > 1.6
    image[background] = 255
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def save_png(array, path):
    Image.fromarray(array).save(path, optimize=True)


def generate(out):
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    cases = []
    for width, height in SOURCES:
        source = he_tile(rng, width, height)
        name = f"source_{width}x{height}.png"
        save_png(source, out / name)
        image = Image.fromarray(source)
        for filter_name, pillow_filter in PILLOW.items():
            resized = np.asarray(image.resize(TARGET, pillow_filter))
            reference = f"pillow_{filter_name}_{width}x{height}.png"
            save_png(resized, out / reference)
            cases.append({"source": name, "filter": filter_name, "antialias": True, "reference": reference})
        tensor = torch.from_numpy(source).permute(2, 0, 1).contiguous()
        for filter_name, mode in TORCH.items():
            resized = F.resize(tensor, [TARGET[1], TARGET[0]], mode, antialias=False)
            reference = f"torch_{filter_name}_{width}x{height}.png"
            save_png(resized.permute(1, 2, 0).numpy(), out / reference)
            cases.append({"source": name, "filter": filter_name, "antialias": False, "reference": reference})

    # Normalisation: every 8-bit value per channel through ToTensor + Normalize,
    # and its float16 / bfloat16 roundings by numpy and torch.
    values = np.repeat(np.arange(256, dtype=np.uint8).reshape(16, 16, 1), 3, axis=2)
    normalized = T.Normalize(MEAN, STD)(T.ToTensor()(Image.fromarray(values))).reshape(3, 256)
    np.save(out / "normalized_fp32.npy", normalized.numpy())
    np.save(out / "normalized_fp16_numpy.npy", normalized.numpy().astype(np.float16).view(np.uint16))
    np.save(out / "normalized_fp16_torch.npy", normalized.half().view(torch.int16).numpy().view(np.uint16))
    np.save(out / "normalized_bf16_torch.npy", normalized.bfloat16().view(torch.int16).numpy().view(np.uint16))

    # Rounding across the whole float range: random magnitudes from float16's
    # subnormals to beyond its maximum, both signs, plus exact ties.
    magnitudes = np.exp2(rng.uniform(-26, 17, 4000)).astype(np.float32)
    ties = (np.arange(1, 97, dtype=np.float32) * np.float32(2**-11) + 1).astype(np.float32)
    floats = np.concatenate([magnitudes, -magnitudes[:1000], ties, np.float32([0, -0.0, 65504, 65520, 2**-24, 2**-25])])
    np.save(out / "float_cases.npy", floats.astype(np.float32))
    with np.errstate(over="ignore"):  # beyond float16's range is meant to round to infinity
        np.save(out / "float_cases_fp16_numpy.npy", floats.astype(np.float16).view(np.uint16))
    np.save(out / "float_cases_bf16_torch.npy",
            torch.from_numpy(floats).bfloat16().view(torch.int16).numpy().view(np.uint16))
    # A small RGBA tile as uint8 .npy, for the `preprocess` command's .npy input.
    rgba = np.dstack([he_tile(rng, 64, 48), rng.integers(0, 256, (48, 64, 1), dtype=np.uint8)])
    np.save(out / "rgba_64x48.npy", rgba)

    manifest = {"generator": "tests/parity/make_references.py", "seed": SEED, "target": list(TARGET),
                "mean": MEAN, "std": STD, "cases": cases}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


def pixels(path):
    if path.suffix == ".npy":
        return np.load(path)
    if path.suffix == ".json":
        return path.read_text()
    return np.asarray(Image.open(path))


def check(committed):
    return reference_check.check(committed, generate,
                                 lambda old, new: not np.array_equal(pixels(old), pixels(new)), "parity references")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        sys.exit(check(Path(sys.argv[2])))
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    generate(Path(sys.argv[1]))
