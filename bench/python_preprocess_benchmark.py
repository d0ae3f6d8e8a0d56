#!/usr/bin/env python3
"""bioptimus_cpp.Preprocessor against the Python pipeline it replaces, in one run.

64 H&E-like tiles of 448 x 448 are turned into h0-mini's input (224 x 224,
bicubic, normalised) by
  - Pillow + torchvision: Normalize(ToTensor(Image.fromarray(t).resize(...)))
    per tile, then torch.stack (torch on one thread, as in a DataLoader worker);
  - bioptimus_cpp.Preprocessor on the uint8 batch, 1 and 2 threads, float32
    (and float16 on one thread), into a reused output array.
Each is timed as the best of --repeats runs; the results are checked equal
before timing. Run with the module importable, e.g.

    PYTHONPATH=build/release/python /usr/bin/python3 bench/python_preprocess_benchmark.py
"""
import argparse
import time

import numpy as np
import torch
import torchvision.transforms as T
from PIL import Image

import bioptimus_cpp as bp


def he_tiles(count, side, seed=15):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:side, 0:side].astype(np.float32)
    tiles = np.empty((count, side, side, 3), np.uint8)
    for i in range(count):
        image = np.empty((side, side, 3), np.float32)
        image[:] = (232, 170, 200)
        image += (14 * np.sin(x / (5 + i % 7) + np.sin(y / 17)) * np.sin(y / 9))[..., None] * np.float32([0.3, 1, 0.6])
        image += rng.integers(0, 3, (side, side, 1))
        for _ in range(side * side // 1200):
            cy, cx, r = rng.uniform(0, side), rng.uniform(0, side), rng.uniform(3, 10)
            image[(x - cx) ** 2 + (y - cy) ** 2 <= r * r] = rng.normal((90, 50, 140), 12)
        tiles[i] = np.clip(np.rint(image), 0, 255)
    return tiles


def best_of(repeats, function):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiles", type=int, default=64)
    parser.add_argument("--side", type=int, default=448)
    parser.add_argument("--repeats", type=int, default=5)
    arguments = parser.parse_args()

    torch.set_num_threads(1)
    spec = bp.Registry.builtin().get(bp.Models.H0_MINI)
    width, height = spec.tile_size_pixels
    tiles = he_tiles(arguments.tiles, arguments.side)
    transform = T.Compose([T.ToTensor(), T.Normalize(mean=spec.mean, std=spec.std)])

    def pillow_torchvision():
        return torch.stack([transform(Image.fromarray(tile).resize((width, height), Image.BICUBIC)) for tile in tiles])

    pre = bp.Preprocessor(spec)
    out32 = np.empty((len(tiles),) + pre.output_shape, np.float32)
    out16 = np.empty_like(out32, dtype=np.float16)
    reference = pillow_torchvision().numpy()
    if not np.array_equal(pre(tiles), reference):
        raise SystemExit("bioptimus_cpp differs from Pillow + torchvision: not timing")

    peer = best_of(arguments.repeats, pillow_torchvision)
    rows = [("Pillow + ToTensor + Normalize (torch 1 thread)", peer)]
    for threads in (1, 2):
        rows.append((f"bioptimus_cpp float32, {threads} thread{'s' if threads > 1 else ''}",
                     best_of(arguments.repeats, lambda t=threads: pre(tiles, threads=t, out=out32))))
    rows.append(("bioptimus_cpp float16, 1 thread",
                 best_of(arguments.repeats, lambda: pre(tiles, dtype=np.float16, out=out16))))

    print(f"{len(tiles)} tiles {arguments.side}x{arguments.side} -> {width}x{height} ({spec.model_name}, "
          f"{spec.interpolation}), best of {arguments.repeats}")
    for name, seconds in rows:
        print(f"  {name:<48} {seconds * 1e3:8.1f} ms  {seconds / len(tiles) * 1e3:6.2f} ms/tile  "
              f"{peer / seconds:5.1f}x")


if __name__ == "__main__":
    main()
