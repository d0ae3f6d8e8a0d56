#!/usr/bin/env python3
"""Times stain normalisation per 224 x 224 tile on one thread, the numpy
reference against ours, on the tiles bioptimus_stain_benchmark uses
(tests/data/stain/tile_0..3.png), in the same run:

  - the numpy oracle of torchstain's numpy Macenko and Reinhard
    (tests/parity/stain_oracle.py), and scikit-image's rgb2hed;
  - torchstain's own numpy normalizers, when --torchstain DIR names a
    checkout of EIDOSLAB/torchstain (a local check: it is not a dependency);
  - ours through the Python module (bioptimus_cpp.StainNormalizer), when it
    is importable (PYTHONPATH=build/release/python);

and prints each one's time per tile and the ratios (best of the repeats, CPU
time, which is the fairer figure on a shared machine; wall time beside it).

Usage: OMP_NUM_THREADS=1 /usr/bin/python3 bench/stain_benchmark.py [--repeats N] [--torchstain DIR]
"""
import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "parity"))
import stain_oracle as oracle  # noqa: E402


def tiles():
    return [np.asarray(Image.open(ROOT / "tests" / "data" / "stain" / f"tile_{i}.png")) for i in range(4)]


def per_tile(repeats, run, images):
    """Best CPU and wall seconds per tile over `repeats` passes over the tiles."""
    run(images[0])  # warm up: imports, first-use tables
    wall, cpu = float("inf"), float("inf")
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        for image in images:
            run(image)
        wall = min(wall, (time.perf_counter() - start) / len(images))
        cpu = min(cpu, (time.process_time() - start_cpu) / len(images))
    return cpu, wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--torchstain", type=Path, help="a checkout of EIDOSLAB/torchstain (not committed)")
    arguments = parser.parse_args()
    images = tiles()
    timings = {}
    timings["numpy oracle Macenko"] = per_tile(arguments.repeats, oracle.macenko_normalize, images)
    timings["numpy oracle Reinhard"] = per_tile(arguments.repeats, oracle.reinhard_normalize, images)
    try:
        from skimage.color import rgb2hed
        timings["skimage rgb2hed"] = per_tile(arguments.repeats, rgb2hed, images)
    except ImportError:
        pass
    if arguments.torchstain:
        sys.path.insert(0, str(arguments.torchstain))
        from torchstain.numpy.normalizers.macenko import NumpyMacenkoNormalizer
        from torchstain.numpy.normalizers.reinhard import NumpyReinhardNormalizer
        macenko = NumpyMacenkoNormalizer()
        timings["torchstain numpy Macenko"] = per_tile(arguments.repeats,
                                                       lambda image: macenko.normalize(image, stains=False), images)
        reinhard = NumpyReinhardNormalizer()
        reinhard.target_means, reinhard.target_stds = oracle.LAB_MEAN_REFERENCE, oracle.LAB_STD_REFERENCE
        timings["torchstain numpy Reinhard"] = per_tile(arguments.repeats, reinhard.normalize, images)
    try:
        import bioptimus_cpp as bp
        for method in ("macenko", "reinhard", "vahadane"):
            normalizer = bp.StainNormalizer(method)
            timings[f"ours {method}"] = per_tile(arguments.repeats, normalizer, images)
    except ImportError:
        print("bioptimus_cpp not importable: run bioptimus_stain_benchmark for ours", file=sys.stderr)

    print(f"per 224 x 224 tile, one thread, best of {arguments.repeats}; load average {os.getloadavg()[0]:.2f}")
    for name, (cpu, wall) in timings.items():
        print(f"  {name:28s} {cpu * 1e3:8.3f} ms CPU  {wall * 1e3:8.3f} ms wall")
    for reference in ("numpy oracle Macenko", "torchstain numpy Macenko"):
        if reference in timings and "ours macenko" in timings:
            print(f"{reference} / ours: {timings[reference][0] / timings['ours macenko'][0]:.1f}x CPU "
                  f"({timings[reference][1] / timings['ours macenko'][1]:.1f}x wall; target >= 20x)")
    for reference in ("numpy oracle Reinhard", "torchstain numpy Reinhard"):
        if reference in timings and "ours reinhard" in timings:
            print(f"{reference} / ours: {timings[reference][0] / timings['ours reinhard'][0]:.1f}x CPU")


if __name__ == "__main__":
    main()
