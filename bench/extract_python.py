#!/usr/bin/python3
"""The Python peer of `modelspec extract`, written the way TRIDENT extracts
features: a Dataset that reads each tile with openslide-python, converts it to
RGB, resizes it with Pillow and applies torchvision's ToTensor and Normalize;
a DataLoader with worker processes and batches of 64; the TorchScript model
under torch.inference_mode(); the features gathered and written to HDF5 with
h5py at the end. The coordinates are those of a `modelspec tiles` h5 file, so
both pipelines embed the same tiles.

  extract_python.py SLIDE COORDS.h5 MODEL.pt OUT.h5 --workers N [--batch-size 64]

Prints one line: tiles, seconds, tiles/s and the seconds spent in the model."""
import argparse
import time

import h5py
import numpy as np
import openslide
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

TILE, PREFIX_TOKENS = 64, 5
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


class TileDataset(Dataset):
    def __init__(self, slide_path, coords, level, region_size):
        self.slide_path, self.coords, self.level, self.region_size = slide_path, coords, level, region_size
        self.transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
        self.slide = None

    def __len__(self):
        return len(self.coords)

    def __getitem__(self, index):
        if self.slide is None:  # one handle per worker process
            self.slide = openslide.OpenSlide(self.slide_path)
        x, y = self.coords[index]
        region = self.slide.read_region((int(x), int(y)), self.level, (self.region_size, self.region_size))
        tile = region.convert("RGB").resize((TILE, TILE), Image.BICUBIC)
        return self.transform(tile), torch.from_numpy(self.coords[index])


def readout(tokens):
    return torch.cat([tokens[:, 0], tokens[:, PREFIX_TOKENS:].mean(dim=1)], dim=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("slide")
    parser.add_argument("coords")
    parser.add_argument("model")
    parser.add_argument("output")
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--batch-size", type=int, default=64)
    arguments = parser.parse_args()

    torch.set_num_threads(arguments.workers)
    with h5py.File(arguments.coords, "r") as f:
        coords = f["coords"][:]
        level, region_size = int(f["coords"].attrs["patch_level"]), int(f["coords"].attrs["patch_size"])
    model = torch.jit.load(arguments.model).eval()
    start = time.perf_counter()
    model_seconds = 0.0
    loader = DataLoader(TileDataset(arguments.slide, coords, level, region_size), batch_size=arguments.batch_size,
                        num_workers=arguments.workers, shuffle=False)
    features, rows = [], []
    with torch.inference_mode():
        for tiles, tile_coords in loader:
            model_start = time.perf_counter()
            features.append(readout(model(tiles)).numpy())
            model_seconds += time.perf_counter() - model_start
            rows.append(tile_coords.numpy())
    with h5py.File(arguments.output, "w") as f:
        f.create_dataset("features", data=np.concatenate(features))
        f.create_dataset("coords", data=np.concatenate(rows))
    seconds = time.perf_counter() - start
    print(f"{len(coords)} tiles {seconds:.3f} s {len(coords) / seconds:.1f} tiles/s model {model_seconds:.3f} s")


if __name__ == "__main__":
    main()
