#!/usr/bin/env python3
"""Writes the stain references the C++ tests compare against.

Seeded H&E-like tiles are made by Beer-Lambert from haematoxylin and eosin
vectors (stroma, nuclei, mixed areas, a glass corner, sensor noise), each tile
with its own stain strength and hue. For each: the numpy oracle's Macenko and
Reinhard (tests/parity/stain_oracle.py, which follows torchstain's numpy
backend) with the reference targets and with targets fitted on tile 0, the
fits themselves, and scikit-image's rgb2hed of a tile and of an image holding
every 8-bit value in every channel. Usage:

    make_stain_references.py OUTPUT_DIR     # write the references
    make_stain_references.py --check DIR    # regenerate in a temp dir; fail if DIR differs
                                            # by more than float-order noise
"""
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from skimage.color import rgb2hed

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference_check  # noqa: E402
import stain_oracle as oracle  # noqa: E402

SEED = 20261203
# (width, height): H&E tiles at a model's size, and one that is not square.
TILES = [(224, 224), (224, 224), (224, 224), (224, 224), (200, 120)]
# Stain vectors near torchstain's reference (Macenko's), each tile perturbed.
HEMATOXYLIN = np.array([0.5626, 0.7201, 0.4062])
EOSIN = np.array([0.2159, 0.8012, 0.5581])


def unit(vector):
    return vector / np.linalg.norm(vector)


def he_tile(rng, width, height):
    """Beer-Lambert from stain concentration fields, with a per-tile stain look."""
    y, x = np.mgrid[0:height, 0:width].astype(float)
    hematoxylin = unit(HEMATOXYLIN + rng.normal(0, 0.05, 3))
    eosin = unit(EOSIN + rng.normal(0, 0.05, 3))
    strength = rng.uniform(0.6, 1.4, 2)
    eosin_field = 0.8 + 0.35 * np.sin(x / rng.uniform(6, 12) + 2 * np.sin(y / 17)) * np.sin(y / rng.uniform(8, 14))
    eosin_field += rng.normal(0, 0.06, (height, width))
    hematoxylin_field = 0.12 + 0.08 * rng.random((height, width))
    for _ in range(max(4, width * height // 700)):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        rx, ry = rng.uniform(3, 9), rng.uniform(3, 9)
        inside = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1.0
        hematoxylin_field[inside] = rng.uniform(0.8, 1.6) + rng.normal(0, 0.08, inside.sum())
        eosin_field[inside] *= rng.uniform(0.1, 0.6)
    density = (strength[0] * hematoxylin_field.clip(0)[..., None] * hematoxylin
               + strength[1] * eosin_field.clip(0)[..., None] * eosin)
    image = 250 * np.exp(-density) + rng.normal(0, 2, (height, width, 3))
    glass = (x / width + y / height) > 1.55
    image[glass] = rng.normal(242, 3, (glass.sum(), 3))
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def every_value_image(rng):
    """64 x 64 pixels: each channel takes every 8-bit value 16 times, shuffled."""
    channels = [rng.permutation(np.repeat(np.arange(256, dtype=np.uint8), 16)) for _ in range(3)]
    return np.stack(channels, axis=-1).reshape(64, 64, 3)


def save_png(array, path):
    Image.fromarray(array).save(path, optimize=True)


def exact(values):
    return [float(v) for v in np.asarray(values, dtype=np.float64).ravel()]


def generate(out):
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    tiles = [he_tile(rng, width, height) for width, height in TILES]
    target_he, target_max_c = oracle.macenko_fit(tiles[0])
    target_means, target_stds = oracle.reinhard_fit(tiles[0])
    cases = []
    for index, tile in enumerate(tiles):
        name = f"tile_{index}.png"
        save_png(tile, out / name)
        he, max_c = oracle.macenko_fit(tile)
        means, stds = oracle.reinhard_fit(tile)
        case = {"tile": name,
                "macenko_fit": {"hematoxylin": exact(he[:, 0]), "eosin": exact(he[:, 1]), "max_concentrations": exact(max_c)},
                "reinhard_fit": {"lab_mean": exact(means), "lab_std": exact(stds)}}
        for method, normalize, target in [
                ("macenko_reference", oracle.macenko_normalize, ()),
                ("macenko_fitted", oracle.macenko_normalize, (target_he, target_max_c)),
                ("reinhard_reference", oracle.reinhard_normalize, ()),
                ("reinhard_fitted", oracle.reinhard_normalize, (target_means, target_stds))]:
            reference = f"{method}_{index}.png"
            save_png(normalize(tile, *target), out / reference)
            case[method] = reference
        cases.append(case)

    # HED: scikit-image itself, as float32, on a tile and on every 8-bit value.
    hed_inputs = {"hed_tile.npy": tiles[4], "hed_every_value.npy": every_value_image(rng)}
    save_png(hed_inputs["hed_every_value.npy"], out / "every_value.png")
    for name, image in hed_inputs.items():
        np.save(out / name, rgb2hed(image).astype(np.float32))

    manifest = {"generator": "tests/parity/make_stain_references.py", "seed": SEED,
                "fitted_target": {"macenko": {"hematoxylin": exact(target_he[:, 0]), "eosin": exact(target_he[:, 1]),
                                              "max_concentrations": exact(target_max_c)},
                                  "reinhard": {"lab_mean": exact(target_means), "lab_std": exact(target_stds)}},
                "hed": {"hed_tile.npy": "tile_4.png", "hed_every_value.npy": "every_value.png"},
                "cases": cases}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


def differs(old, new):
    """Whether two references differ by more than float-order noise: a
    BLAS or libm other than Debian 12's may round a handful of values the
    other way, which the C++ tests tolerate too."""
    if old.suffix == ".json":
        a, b = json.loads(old.read_text()), json.loads(new.read_text())

        def close(x, y):
            if isinstance(x, dict):
                return x.keys() == y.keys() and all(close(x[k], y[k]) for k in x)
            if isinstance(x, list):
                return len(x) == len(y) and all(close(p, q) for p, q in zip(x, y))
            if isinstance(x, float):
                return abs(x - y) <= 1e-9 * max(1.0, abs(x))
            return x == y
        return not close(a, b)
    if old.suffix == ".npy":
        return not np.allclose(np.load(old), np.load(new), rtol=0, atol=1e-6)
    a = np.asarray(Image.open(old)).astype(int)
    b = np.asarray(Image.open(new)).astype(int)
    if a.shape != b.shape:
        return True
    steps = np.abs(a - b)
    return steps.max(initial=0) > 1 or np.count_nonzero(steps) > a.size // 10000


def check(committed):
    return reference_check.check(committed, generate, differs, "stain references")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        sys.exit(check(Path(sys.argv[2])))
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    generate(Path(sys.argv[1]))
