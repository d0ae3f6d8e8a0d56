#!/usr/bin/python3
"""Our writers against zarr-python on the same array, in the same run:
100,000 rows of 1536 float32 (a slide of H-optimus embeddings) written

- by our Zarr writer (blosc lz4 + byte shuffle, level 5), 64 rows at a time
  as extract writes them, durably (each chunk fsynced, then renamed);
- by our HDF5 writer (TRIDENT's layout, uncompressed), the same way;
- by zarr-python 2.13 (Debian's python3-zarr), `z[:] = array` from NumPy,
  same chunks and codec (numcodecs' Blosc, which uses blosc's threads),
  then again with an fsync of each file it wrote, for the durable figure.

Prints seconds, MB/s (raw float32 bytes per second), CPU seconds (every
thread, the write alone) and the compression
ratio of `features` (raw bytes / bytes on disk) for each, and our Zarr's
MB/s over zarr-python's. On a shared machine the CPU seconds say more than
the wall clock: `cat /proc/loadavg`.

    /usr/bin/python3 bench/writers_benchmark.py build/release/bench/bioptimus_writer_benchmark [--rows N] [--columns D]
        [--repeat K] [--dir DIR]
"""
import argparse
import json
import os
import pathlib
import resource
import shutil
import subprocess
import tempfile
import time

import numcodecs
import numpy as np
import zarr


def directory_bytes(path):
    path = pathlib.Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def fsync_tree(path):
    for file in pathlib.Path(path).rglob("*"):
        descriptor = os.open(file, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    descriptor = os.open(path, os.O_RDONLY)
    os.fsync(descriptor)
    os.close(descriptor)


def cpu_seconds(usage):
    return usage.ru_utime + usage.ru_stime


def ours(binary, raw, rows, columns, output, fmt):
    """Seconds and CPU seconds of the write (the program's own clocks) and the bytes on disk."""
    result = subprocess.run([binary, str(raw), str(rows), str(columns), str(output), fmt, "lz4"],
                            capture_output=True, text=True, check=True)
    timing = json.loads(result.stdout)
    seconds, cpu = timing["seconds"], timing["cpu_seconds"]
    disk = directory_bytes(output / "features") if fmt == "zarr" else directory_bytes(output)
    return seconds, cpu, disk


def zarr_python(array, output, chunks, durable):
    compressor = numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE)
    before = cpu_seconds(resource.getrusage(resource.RUSAGE_SELF))
    start = time.perf_counter()
    group = zarr.open_group(str(output), mode="w")
    features = group.create_dataset("features", shape=array.shape, chunks=chunks, dtype="<f4", compressor=compressor)
    features[:] = array
    if durable:
        fsync_tree(output)
    seconds = time.perf_counter() - start
    return seconds, cpu_seconds(resource.getrusage(resource.RUSAGE_SELF)) - before, directory_bytes(output / "features")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", help="bioptimus_writer_benchmark (the release preset builds it)")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--columns", type=int, default=1536)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each writer; the best is reported")
    parser.add_argument("--dir", default=None, help="where to write (default: a temporary directory)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.dir, prefix="writers-benchmark-") as work:
        work = pathlib.Path(work)
        # Embedding-like values: float32 with every mantissa bit in use.
        array = np.random.default_rng(0).standard_normal((args.rows, args.columns), dtype=np.float32)
        raw = work / "rows.f32"
        array.tofile(raw)
        raw_bytes = array.nbytes
        best = {}

        def record(name, seconds, cpu, disk):
            if name not in best or seconds < best[name][0]:
                best[name] = (seconds, cpu, disk)

        for _ in range(args.repeat):
            for fmt in ("zarr", "h5"):
                output = work / f"ours.{fmt}"
                record(f"ours {fmt}" + (" (blosc lz4+shuffle)" if fmt == "zarr" else " (uncompressed)"),
                       *ours(args.binary, raw, args.rows, args.columns, output, fmt))
                if fmt == "zarr":
                    chunks = tuple(json.loads((output / "features" / ".zarray").read_text())["chunks"])
                shutil.rmtree(output) if output.is_dir() else output.unlink()
            for durable in (False, True):
                output = work / "zarr-python.zarr"
                name = "zarr-python 2.13 (blosc lz4+shuffle)" + (" + fsync" if durable else "")
                record(name, *zarr_python(array, output, chunks, durable))
                shutil.rmtree(output)

        print(f"{args.rows} rows x {args.columns} float32 = {raw_bytes / 1e6:.1f} MB, chunks {chunks}, "
              f"zarr {zarr.__version__}, numcodecs {numcodecs.__version__} (blosc threads "
              f"{numcodecs.blosc.get_nthreads()}), load average {open('/proc/loadavg').read().split()[0]}")
        print(f"{'writer':<44} {'seconds':>8} {'MB/s':>8} {'CPU s':>6} {'ratio':>6}")
        for name, (seconds, cpu, disk) in best.items():
            print(f"{name:<44} {seconds:8.3f} {raw_bytes / 1e6 / seconds:8.1f} {cpu:6.2f} {raw_bytes / disk:6.3f}")
        ours_zarr = best["ours zarr (blosc lz4+shuffle)"][0]
        for reference in ("zarr-python 2.13 (blosc lz4+shuffle)", "zarr-python 2.13 (blosc lz4+shuffle) + fsync"):
            print(f"ours zarr MB/s / {reference} MB/s: {best[reference][0] / ours_zarr:.2f}")


if __name__ == "__main__":
    main()
