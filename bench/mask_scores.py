"""How a tissue mask's tiles match make_tissue_slide's ground truth.

    mask_scores.py TRUTH.pgm GRID.h5 KEPT.h5...

GRID.h5 holds every tile of the grid (`modelspec tiles --mask-threshold 0`),
each KEPT.h5 the tiles one mask kept, on the same grid. Per KEPT file: the
ground-truth tissue tiles (at least half tissue, the tiles a perfect mask
keeps at the default threshold 0.5) and the share of them kept; the kept
tiles holding any speck of dust; the kept tiles without any tissue
(background). tests/wsi/tissue_mask_test.cpp scores the same way.
"""
import sys

import h5py
import numpy as np

from tile_coverage import CELL, read_pgm


def tiles_of(path):
    with h5py.File(path, "r") as f:
        return [tuple(c) for c in f["coords"][:].tolist()], int(f["coords"].attrs["patch_size_level0"])


def main():
    truth = read_pgm(sys.argv[1])
    grid, side = tiles_of(sys.argv[2])
    cells = {}
    for x, y in grid:
        block = truth[y // CELL:(y + side) // CELL, x // CELL:(x + side) // CELL]
        cells[(x, y)] = (2 * (block == 255).sum() >= block.size, (block == 128).any(), (block == 255).any())
    wanted = {tile for tile, (half, _, _) in cells.items() if half}
    for path in sys.argv[3:]:
        kept, kept_side = tiles_of(path)
        assert kept_side == side and set(kept) <= set(grid), f"{path}: not the grid of {sys.argv[2]}"
        covered = len(wanted & set(kept)) / len(wanted) if wanted else 1.0
        specks = sum(cells[tile][1] for tile in kept)
        background = sum(not cells[tile][2] for tile in kept)
        print(f"{path}: {len(kept)} tiles; ground-truth tissue tiles {len(wanted)}, kept {covered:.2%}; "
              f"speck tiles {specks}; background tiles {background}")


if __name__ == "__main__":
    main()
