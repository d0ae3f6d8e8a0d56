#!/usr/bin/env python3
"""Times the Python reference pipelines on the tiles bioptimus_preprocess_benchmark uses.

64 tiles of 448x448 RGB (crops of tests/data/parity/source_512x512.png at
offsets (8 (i % 8), 8 (i / 8))) -> 224x224 bicubic, antialiased -> float32 CHW
normalised with h0-mini's mean and std, one thread:
  - Pillow Image.resize + torchvision ToTensor + Normalize (what the model owners run);
  - torchvision's tensor path: F.resize(antialias=True) on uint8 tensors + float + Normalize.
Usage: /usr/bin/python3 bench/preprocess_benchmark.py [repeats]
"""
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torchvision.transforms as T
import torchvision.transforms.functional as F
from PIL import Image

MEAN = [0.707223, 0.578729, 0.703617]
STD = [0.211883, 0.230117, 0.177517]


def tiles():
    source = Image.open(Path(__file__).resolve().parent.parent / "tests/data/parity/source_512x512.png")
    return [source.crop((8 * (i % 8), 8 * (i // 8), 8 * (i % 8) + 448, 8 * (i // 8) + 448)) for i in range(64)]


def best_of(repeats, run):
    """The best wall and CPU times of `repeats` runs (CPU time is the fairer
    figure on a shared machine; the C++ benchmark reports both too)."""
    wall, cpu = float("inf"), float("inf")
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    torch.set_num_threads(1)
    images = tiles()
    for image in images:
        image.load()
    to_tensor, normalize = T.ToTensor(), T.Normalize(MEAN, STD)
    out = torch.empty(64, 3, 224, 224)

    def pillow():
        for i, image in enumerate(images):
            out[i] = normalize(to_tensor(image.resize((224, 224), Image.BICUBIC)))

    tensors = [torch.from_numpy(np.array(image)).permute(2, 0, 1).contiguous() for image in images]
    mean = torch.tensor(MEAN).view(3, 1, 1)
    std = torch.tensor(STD).view(3, 1, 1)

    def torchvision_tensor():
        for i, tensor in enumerate(tensors):
            resized = F.resize(tensor, [224, 224], F.InterpolationMode.BICUBIC, antialias=True)
            out[i] = (resized.float() / 255 - mean) / std

    for name, run in [("Pillow resize + ToTensor + Normalize", pillow),
                      ("torchvision tensor resize(antialias) + normalize", torchvision_tensor)]:
        wall, cpu = best_of(repeats, run)
        print(f"{name}: {wall * 1e3:.1f} ms (CPU {cpu * 1e3:.1f} ms) per 64 tiles, "
              f"{wall / 64 * 1e3:.3f} ms (CPU {cpu / 64 * 1e3:.3f} ms) per tile")


if __name__ == "__main__":
    main()
