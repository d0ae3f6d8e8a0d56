"""Tissue coverage of coordinate files against make_tissue_slide's ground truth.

    tile_coverage.py TRUTH.pgm FILE.h5...

For each CLAM/TRIDENT-layout HDF5 file: the number of tiles, the fraction of
ground-truth tissue (cells of 16 x 16 level-0 px) under at least one tile, and
the tiles with no tissue at all.
"""
import sys

import h5py
import numpy as np

CELL = 16


def read_pgm(path):
    with open(path, "rb") as stream:
        data = stream.read()
    magic, size, _, pixels = data.split(b"\n", 3)
    assert magic == b"P5"
    width, height = map(int, size.split())
    return np.frombuffer(pixels, dtype=np.uint8).reshape(height, width)


def main():
    truth = read_pgm(sys.argv[1]) == 255
    for path in sys.argv[2:]:
        with h5py.File(path, "r") as f:
            coords = f["coords"][:]
            attrs = f["coords"].attrs
            # TRIDENT's level-0 size when present, else CLAM's size at its level.
            size = int(attrs["patch_size_level0"]) if "patch_size_level0" in attrs else int(
                attrs["patch_size"] * attrs["downsample"][0])
        covered = np.zeros_like(truth)
        empty = 0
        for x, y in coords:
            x0, y0, x1, y1 = x // CELL, y // CELL, (x + size) // CELL, (y + size) // CELL
            covered[y0:y1, x0:x1] = True
            empty += not truth[y0:y1, x0:x1].any()
        coverage = (covered & truth).sum() / truth.sum()
        print(f"{path}: {len(coords)} tiles of {size} px, tissue coverage {coverage:.4f}, tiles without tissue {empty}")


if __name__ == "__main__":
    main()
