#!/usr/bin/python3
"""Tiles per second delivered to Python as torch-ready float32 batches, no
model (the loader alone, as on a GPU box where the model is not the
bottleneck), on the same slide, the same tiles and the same cores, in one run:

- TRIDENT-style DataLoader: a Dataset whose __getitem__ reads the tile with
  openslide-python's read_region, converts it to RGB, resizes it with Pillow
  (bicubic) and applies torchvision's ToTensor and Normalize; DataLoader with
  --workers worker processes and batches of --batch-size.
- bioptimus_cpp.TileStream with --workers threads, each batch wrapped with
  torch.from_numpy.
- the C++ TileStream alone (bioptimus_tile_stream_benchmark), same threads.

Each runs in a process of its own; peak memory is that process's maximum RSS
(the DataLoader's: the main process, and its largest worker).

  tile_stream_benchmark.py SLIDE --model NAME|YAML --cpp BENCHMARK_PROGRAM [--workers 2] [--batch-size 64]

bench/bench-tile-stream.sh builds everything and runs it on a generated slide.
"""
import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def spec_of(bp, model):
    return bp.load_spec(model) if model.endswith(".yaml") else bp.Registry.builtin().get(model)


def peak_mib(who):
    return resource.getrusage(who).ru_maxrss / 1024


def cpu_seconds(*who):
    """User + system CPU seconds of this process and/or its (reaped) children."""
    return sum(resource.getrusage(w).ru_utime + resource.getrusage(w).ru_stime for w in who)


def run_dataloader(arguments):
    import numpy as np
    import openslide
    import torch
    from PIL import Image
    from torch.utils.data import DataLoader, Dataset
    from torchvision import transforms

    import bioptimus_cpp as bp

    spec = spec_of(bp, arguments.model)
    coords = np.loadtxt(arguments.coords, dtype=np.int64, ndmin=2)
    extractor = bp.TileExtractor(spec, segment=False)
    extractor.fit(bp.SlideReader(arguments.slide)).extract()
    level, (region, _) = int(extractor.read_level), extractor.read_size
    tile = spec.tile_spec.size_pixels[0]

    class PatchDataset(Dataset):  # as TRIDENT's WSIPatcherDataset + its transforms
        def __init__(self):
            self.transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize(spec.mean, spec.std)])
            self.slide = None

        def __len__(self):
            return len(coords)

        def __getitem__(self, index):
            if self.slide is None:  # one handle per worker process
                self.slide = openslide.OpenSlide(arguments.slide)
            x, y = coords[index]
            image = self.slide.read_region((int(x), int(y)), level, (region, region)).convert("RGB")
            if region != tile:
                image = image.resize((tile, tile), Image.BICUBIC)
            return self.transform(image), torch.from_numpy(coords[index])

    torch.set_num_threads(1)
    start = time.perf_counter()
    cpu_start = cpu_seconds(resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    count = 0
    loader = DataLoader(PatchDataset(), batch_size=arguments.batch_size, num_workers=arguments.workers,
                        shuffle=False)
    for tiles, _ in loader:
        count += len(tiles)
    seconds = time.perf_counter() - start
    del loader  # its workers are joined: their CPU time is counted
    return {"tiles": count, "seconds": seconds,
            "cpu_seconds": cpu_seconds(resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN) - cpu_start,
            "peak_rss_mib": peak_mib(resource.RUSAGE_SELF), "worker_peak_rss_mib": peak_mib(resource.RUSAGE_CHILDREN)}


def run_stream(arguments):
    import numpy as np
    import torch

    import bioptimus_cpp as bp

    spec = spec_of(bp, arguments.model)
    coords = np.loadtxt(arguments.coords, dtype=np.int64, ndmin=2)
    start = time.perf_counter()
    cpu_start = cpu_seconds(resource.RUSAGE_SELF)
    count = 0
    checksum = 0.0
    with bp.TileStream(arguments.slide, spec, coords=coords, batch_size=arguments.batch_size,
                       threads=arguments.workers) as stream:
        for batch, _ in stream:
            tiles = torch.from_numpy(batch)
            count += len(tiles)
            checksum += float(tiles[-1, -1, -1, -1])
    seconds = time.perf_counter() - start
    return {"tiles": count, "seconds": seconds, "cpu_seconds": cpu_seconds(resource.RUSAGE_SELF) - cpu_start,
            "peak_rss_mib": peak_mib(resource.RUSAGE_SELF)}


def child(mode, arguments):
    """Runs one measurement in a fresh interpreter; returns its JSON."""
    command = [sys.executable, __file__, arguments.slide, "--model", arguments.model, "--cpp", arguments.cpp,
               "--workers", str(arguments.workers), "--batch-size", str(arguments.batch_size),
               "--coords", arguments.coords, "--run", mode]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("slide")
    parser.add_argument("--model", required=True)
    parser.add_argument("--cpp", required=True, help="the bioptimus_tile_stream_benchmark program")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--coords", help=argparse.SUPPRESS)
    parser.add_argument("--run", choices=["dataloader", "stream"], help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.run:
        result = run_dataloader(arguments) if arguments.run == "dataloader" else run_stream(arguments)
        print(json.dumps(result))
        return

    import bioptimus_cpp as bp

    spec = spec_of(bp, arguments.model)
    with tempfile.TemporaryDirectory() as work:
        # The slide's tissue tiles, the same for all three.
        extractor = bp.TileExtractor(spec)
        coords = extractor.fit(bp.SlideReader(arguments.slide)).extract()
        arguments.coords = str(Path(work) / "coords.txt")
        Path(arguments.coords).write_text("".join(f"{x} {y}\n" for x, y in coords))
        print(f"{len(coords)} tissue tiles of {spec.model_name} ({spec.tile_spec.size_pixels[0]} px at "
              f"{spec.tile_spec.resolution}, read {extractor.read_size[0]} px at level {int(extractor.read_level)}), "
              f"{arguments.workers} workers/threads, batch {arguments.batch_size}")
        dataloader = child("dataloader", arguments)
        stream = child("stream", arguments)
        cpp = json.loads(subprocess.run([arguments.cpp, arguments.slide, arguments.model, arguments.coords,
                                         "--threads", str(arguments.workers), "--batch-size",
                                         str(arguments.batch_size)],
                                        check=True, capture_output=True, text=True).stdout)
    results = {"dataloader": dataloader, "stream": stream, "cpp": cpp}
    assert dataloader["tiles"] == stream["tiles"] == cpp["tiles"] == len(coords)
    rates = {name: r["tiles"] / r["seconds"] for name, r in results.items()}
    # Tiles per CPU second: what the rate would be on an idle core, whatever else runs.
    cpu_rates = {name: r["tiles"] / r["cpu_seconds"] for name, r in results.items()}
    labels = {"dataloader": "DataLoader (TRIDENT-style)", "stream": "TileStream from Python",
              "cpp": "TileStream in C++"}
    for name, result in results.items():
        peak = f"{result['peak_rss_mib']:.0f} MiB"
        if name == "dataloader":
            peak += f" main + {result['worker_peak_rss_mib']:.0f} MiB largest worker"
        print(f"{labels[name]:28} {rates[name]:9.1f} tiles/s  {cpu_rates[name]:8.1f} tiles/CPU-s  "
              f"({result['seconds']:.2f} s, {result['cpu_seconds']:.2f} CPU-s; peak {peak})")
    print(f"Python TileStream / DataLoader: {rates['stream'] / rates['dataloader']:.1f}x tiles/s, "
          f"{cpu_rates['stream'] / cpu_rates['dataloader']:.1f}x tiles/CPU-s;  "
          f"C++ / Python TileStream: {rates['cpp'] / rates['stream']:.2f}x tiles/s, "
          f"{cpu_rates['cpp'] / cpu_rates['stream']:.2f}x tiles/CPU-s")
    with open("/proc/loadavg") as load:
        print(f"load average: {load.read().strip()}")


if __name__ == "__main__":
    main()
