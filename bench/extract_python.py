#!/usr/bin/python3
"""The Python peer of `modelspec extract`, written the way TRIDENT extracts
features: a Dataset that reads each tile with openslide-python and turns it
into the model input as the spec says (tests/support/pipeline.py: RGB,
Pillow's resize, torchvision's ToTensor and Normalize); a DataLoader with
worker processes and batches of 64; the TorchScript model under
torch.inference_mode(), in fp32 or under torch.autocast("cpu",
torch.bfloat16), and the spec's readout; the features gathered and written to
HDF5 with h5py at the end. The coordinates are those of a `modelspec tiles`
(or extract) h5 file, so both pipelines embed the same tiles.

  extract_python.py SLIDE COORDS.h5 MODEL.pt OUT.h5 --spec SPEC.yaml --workers N [--batch-size 64]
                    [--precision fp32|bf16]

Prints one line: tiles, seconds, tiles/s and the seconds spent in the model."""
import argparse
import pathlib
import sys
import time

import h5py
import numpy as np
import openslide
import torch
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "support"))
import pipeline  # noqa: E402


class TileDataset(Dataset):
    def __init__(self, slide_path, coords, level, region_size, spec):
        self.slide_path, self.coords, self.level, self.region_size = slide_path, coords, level, region_size
        self.transform = pipeline.tile_transform(spec)
        self.slide = None

    def __len__(self):
        return len(self.coords)

    def __getitem__(self, index):
        if self.slide is None:  # one handle per worker process
            self.slide = openslide.OpenSlide(self.slide_path)
        x, y = self.coords[index]
        region = self.slide.read_region((int(x), int(y)), self.level, (self.region_size, self.region_size))
        return self.transform(region), torch.from_numpy(self.coords[index])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("slide")
    parser.add_argument("coords")
    parser.add_argument("model")
    parser.add_argument("output")
    parser.add_argument("--spec", required=True)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    arguments = parser.parse_args()
    spec = pipeline.load_spec(arguments.spec)

    torch.set_num_threads(arguments.workers)
    with h5py.File(arguments.coords, "r") as f:
        coords = f["coords"][:]
        level, region_size = int(f["coords"].attrs["patch_level"]), int(f["coords"].attrs["patch_size"])
    model = torch.jit.load(arguments.model).eval()
    start = time.perf_counter()
    model_seconds = 0.0
    loader = DataLoader(TileDataset(arguments.slide, coords, level, region_size, spec),
                        batch_size=arguments.batch_size, num_workers=arguments.workers, shuffle=False)
    features, rows = [], []
    for tiles, tile_coords in loader:
        model_start = time.perf_counter()
        features.append(pipeline.embed(spec, model, tiles, arguments.precision))
        model_seconds += time.perf_counter() - model_start
        rows.append(tile_coords.numpy())
    with h5py.File(arguments.output, "w") as f:
        f.create_dataset("features", data=np.concatenate(features))
        f.create_dataset("coords", data=np.concatenate(rows))
    seconds = time.perf_counter() - start
    print(f"{len(coords)} tiles {seconds:.3f} s {len(coords) / seconds:.3f} tiles/s model {model_seconds:.3f} s")


if __name__ == "__main__":
    main()
