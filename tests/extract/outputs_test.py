#!/usr/bin/python3
"""`modelspec extract --format zarr|h5|npz` end to end, read back by
zarr-python, h5py and numpy: outputs_test.py MODELSPEC MAKE_TISSUE_SLIDE MODELS_DIR.

- The Zarr store of a slide holds the arrays and attributes of the HDF5 file
  of the same slide (features, coords, thumbnail, tissue mask, metadata),
  with every compressor; the NPZ keeps the same thumbnail and mask.
- SIGKILL while a store is being written leaves nothing that looks
  complete, and a rerun skips the finished slide and redoes the other.
- A full disk gives a clear error, exit status 1 and nothing left behind,
  in every format. A small tmpfs is mounted in a private mount namespace
  (root, or an unprivileged user namespace); where neither is possible the
  same failure of write(2) comes from RLIMIT_FSIZE (EFBIG), and the test
  says which it used. It never passes without running."""
import json
import os
import pathlib
import resource
import signal
import subprocess
import sys
import tempfile
import time

try:
    import h5py
    import numcodecs
    import numpy as np
    import zarr
except ImportError as missing:
    print(f"SKIP: {missing}")
    sys.exit(77)

sys.dont_write_bytecode = True  # nothing left in the source tree
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
from attributes import check_attributes  # noqa: E402  (tests/support/attributes.py)

TOOL, GENERATOR, MODELS = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
FULL_DISK_FORMATS = ("zarr", "h5", "npz")


def extract_command(slides, out, *extra):
    return [TOOL, "extract", *map(str, slides), "--model", str(MODELS / "tiny-vit-reg4.yaml"), "--weights",
            str(MODELS / "tiny-vit-reg4.pt"), "-o", str(out), "--threads", "2", *extra]


def extract(slides, out, *extra):
    return subprocess.run(extract_command(slides, out, *extra), capture_output=True, text=True, check=False)


def check_store_equals_h5(store, h5_path, compressor):
    group = zarr.open_group(str(store), mode="r")
    with h5py.File(h5_path, "r") as h5:
        assert set(group.array_keys()) == set(h5.keys()) == {"features", "coords", "thumbnail", "tissue_mask"}, (
            sorted(group.array_keys()), sorted(h5.keys()))
        for name in h5.keys():
            array = group[name]
            assert array.dtype == h5[name].dtype and array.shape == h5[name].shape, (name, array.dtype, array.shape)
            assert np.array_equal(array[...], h5[name][()]), name
            assert array.compressor == compressor, (name, array.compressor)
            # Each output records its own folder (CLAM's save_path, TRIDENT's savetodir).
            wanted = {key: str(store.parent) if key in ("save_path", "savetodir") else value
                      for key, value in h5[name].attrs.items()}
            check_attributes(dict(array.attrs), wanted, f"{store.name}/{name}")
        check_attributes(dict(group.attrs), dict(h5.attrs), f"{store.name} root")


def check_formats(work, good):
    out = work / "formats"
    for fmt in ("h5", "zarr", "npz"):
        run = extract([good], out / fmt, "--format", fmt)
        assert run.returncode == 0, (fmt, run.stdout, run.stderr)
    h5_path = out / "h5" / "good.h5"
    with h5py.File(h5_path, "r") as h5:
        tiles = h5["features"].shape[0]
        assert tiles > 200, tiles
        # The extractor's own pictures: the mask at 8 um/px (2048 x 2048 px at
        # 1 um/px: 256 x 256), and the picture it was segmented on as the thumbnail.
        assert h5["tissue_mask"].shape == (256, 256) and h5["thumbnail"].shape == (256, 256, 3)
        mask = h5["tissue_mask"][()]
        assert set(np.unique(mask)) <= {0, 1} and 0 < mask.mean() < 1, np.unique(mask)
        assert h5["thumbnail"][()].std() > 10  # a picture, not a blank
        check_attributes(dict(h5["tissue_mask"].attrs), {"downsample": [8.0, 8.0], "mpp": 8.0}, "mask")
        check_attributes(dict(h5["thumbnail"].attrs), {"downsample": [8.0, 8.0], "mpp": 8.0}, "thumbnail")
        assert h5.attrs["slide_path"] == str(good) and h5["coords"].attrs["mask_threshold"] == 0.5, dict(h5.attrs)
        thumbnail, features = h5["thumbnail"][()], h5["features"][()]
    check_store_equals_h5(out / "zarr" / "good.zarr", h5_path, numcodecs.Blosc("lz4", 5, numcodecs.Blosc.SHUFFLE))
    with np.load(out / "npz" / "good.npz") as archive:
        assert np.array_equal(archive["features"], features)
        assert np.array_equal(archive["thumbnail"], thumbnail) and np.array_equal(archive["tissue_mask"], mask)
        assert np.array_equal(archive["tissue_mask_downsample"], [8.0, 8.0]) and archive["tissue_mask_mpp"] == 8.0
        assert str(archive["slide_path"]) == str(good)
    # Another compressor (tests/writers/check_features.py reads every one back).
    run = extract([good], out / "zstd", "--format", "zarr", "--zarr-compressor", "zstd")
    assert run.returncode == 0, (run.stdout, run.stderr)
    check_store_equals_h5(out / "zstd" / "good.zarr", h5_path, numcodecs.Blosc("zstd", 5, numcodecs.Blosc.SHUFFLE))
    # The compressor belongs to Zarr: with another format it is a usage error.
    run = extract([good], out / "h5", "--zarr-compressor", "zstd")
    assert run.returncode == 2 and "--zarr-compressor" in run.stderr, (run.returncode, run.stderr)
    return tiles


def check_killed_and_resumed(work, good, big):
    out = work / "killed"
    process = subprocess.Popen(extract_command([good, big], out, "--format", "zarr", "--batch-size", "16"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    def partials():
        return sorted(out.glob(".big.zarr.partial-*")) if out.exists() else []

    deadline = time.monotonic() + 60
    # Killed while the second store is being written, the first one complete.
    while not ((out / "good.zarr").exists() and partials()):
        assert process.poll() is None, "extract ended before it could be killed"
        assert time.monotonic() < deadline, "the second store never started"
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 2 and names[0].startswith(".big.zarr.partial-") and names[1] == "good.zarr", names
    # The leftover is no Zarr group (its .zgroup is written last), and it is hidden.
    try:
        zarr.open_group(str(partials()[0]), mode="r")
        raise AssertionError("a killed store opens as a complete group")
    except (ValueError, KeyError, zarr.errors.GroupNotFoundError):
        pass
    stamp = (out / "good.zarr" / ".zgroup").stat().st_mtime_ns
    run = extract([good, big], out, "--format", "zarr")
    assert run.returncode == 0, (run.stdout, run.stderr)
    assert run.stdout.startswith("2 slides (0 failed, 1 skipped), "), run.stdout
    assert (out / "good.zarr" / ".zgroup").stat().st_mtime_ns == stamp
    # The rerun took over the dead writer's temporary: nothing is left of it.
    names = sorted(p.name for p in out.iterdir())
    assert names == ["big.zarr", "good.zarr"], names
    group = zarr.open_group(str(out / "big.zarr"), mode="r")
    assert group["features"].shape[0] == group["coords"].shape[0] > 0


def full_disk_runs(work, good):
    """Runs extract into a directory with almost no space, once per format;
    returns how the disk was made full and, per format, (exit status,
    stderr, the directory's entries afterwards)."""
    disk = work / "disk"
    disk.mkdir()
    script = ["set -u"]
    for fmt in FULL_DISK_FORMATS:
        command = " ".join(f"'{part}'" for part in extract_command([good], disk / fmt, "--format", fmt))
        script += [f"mkdir '{disk / fmt}'", f"{command} >/dev/null 2>'{work / (fmt + '.err')}'",
                   f"echo \"{fmt} $? $(ls -A '{disk / fmt}' | tr '\\n' ' ')\""]
    for how, prefix in (("tmpfs (root, private mount namespace)", ["unshare", "-m"]),
                        ("tmpfs (user and mount namespace)", ["unshare", "-Urm"])):
        run = subprocess.run([*prefix, "sh", "-c", f"mount -t tmpfs -o size=48k tmpfs '{disk}' || exit 90; "
                              + "; ".join(script)], capture_output=True, text=True, check=False)
        if run.returncode != 90 and "unshare" not in run.stderr and run.stdout:
            return how, parse_full_disk(run.stdout, work)
    # No mount possible here: the file size limit makes write(2) fail the same way.
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))  # per file: below any chunk of the store
    run = subprocess.run(["sh", "-c", "; ".join(script)], capture_output=True, text=True, check=False,
                         preexec_fn=limit)
    return "RLIMIT_FSIZE (no mount namespace available)", parse_full_disk(run.stdout, work)


def parse_full_disk(stdout, work):
    results = {}
    for line in stdout.splitlines():
        fmt, status, *entries = line.split()
        results[fmt] = (int(status), (work / (fmt + ".err")).read_text(), entries)
    return results


def check_full_disk(work, good):
    how, results = full_disk_runs(work, good)
    assert set(results) == set(FULL_DISK_FORMATS), results
    for fmt, (status, stderr, entries) in results.items():
        assert status == 1, (how, fmt, status, stderr)
        assert f"good.{fmt}: " in stderr and ("No space left on device" in stderr or "File too large" in stderr
                                              or "disk full" in stderr), (how, fmt, stderr)
        assert entries == [], (how, fmt, entries)
    print(f"outputs_test: full disk simulated with {how}")


with tempfile.TemporaryDirectory() as work:
    work = pathlib.Path(work)
    good, big = work / "good.tif", work / "big.tif"
    # Small slides keep the test fast: about 300 and 2,500 tiles of the tiny model.
    subprocess.run([GENERATOR, str(good), "--size", "2048x2048", "--mpp", "1.0"], check=True)
    subprocess.run([GENERATOR, str(big), "--size", "3072x3072", "--mpp", "1.0"], check=True)
    check_formats(work, good)
    check_killed_and_resumed(work, good, big)
    check_full_disk(work, good)
print("outputs_test: ok")
