#!/usr/bin/python3
"""Reads the outputs write_features writes with zarr-python, h5py and numpy,
the readers downstream tools use: check_features.py WRITE_FEATURES_BINARY.

Every Zarr store (each compressor) holds the arrays and attributes of the
HDF5 file of the same run; all three formats keep the thumbnail, the tissue
mask and the metadata."""
import json
import pathlib
import subprocess
import sys
import tempfile

import h5py
import numcodecs
import numpy as np
import zarr

sys.dont_write_bytecode = True  # nothing left in the source tree
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
from attributes import check_attributes, same_value  # noqa: E402  (tests/support/attributes.py)

ROWS, WIDTH = 2500, 64
CLAM = {"patch_size": 224, "patch_level": 1, "downsample": [4.0, 4.001], "downsampled_level_dim": [2500, 1800],
        "level_dim": [2500, 1800], "name": "slide-\u00e9"}
TRIDENT = {"patch_size_level0": 896, "level0_magnification": 40.0, "target_magnification": 10.0, "overlap": 0,
           "level0_width": 10000, "level0_height": 7200}
OURS = {"tile_size": [224, 224], "tile_stride": [224, 224], "tile_resolution": "1 mpp", "target_mpp": 1.0,
        "region_size": [224, 224], "footprint": [896, 896]}
MODEL = "tiny-vit-reg4@1.0.0"


def saved_in(path):
    """Where the file is, as CLAM's (save_path) and TRIDENT's (savetodir) writers record it."""
    return {"save_path": str(path.parent), "savetodir": str(path.parent)}
METADATA = {"slide_path": "/data/slide-\u00e9.svs", "mpp": 0.25, "tile_px": [224, 224], "count": 8,
            "scales": [1.5, 2.25]}
THUMBNAIL_ATTRIBUTES = {"downsample": [188.5, 194.6], "mpp": 47.1}
MASK_ATTRIBUTES = {"downsample": [32.0, 32.0]}


def expected(rows, row_shape=(WIDTH,)):
    width = int(np.prod(row_shape))
    row = np.arange(rows, dtype=np.int64)
    features = (row[:, None] * 1000 + np.arange(width)[None, :]).astype(np.float32).reshape(rows, *row_shape)
    coords = np.stack([row * 224, row * 7 + 1], axis=1)
    return features, coords


def thumbnail():
    y, x, c = np.meshgrid(np.arange(37), np.arange(53), np.arange(3), indexing="ij")
    return ((x * 7 + y * 13 + c * 101) % 256).astype(np.uint8)


def tissue_mask():
    y, x = np.meshgrid(np.arange(29), np.arange(41), indexing="ij")
    return ((x * x + y) % 3 == 0).astype(np.uint8)


def check_h5(path, rows):
    with h5py.File(path, "r") as f:
        pictures = {"thumbnail", "tissue_mask"} if rows else set()
        assert set(f.keys()) == {"coords", "features"} | pictures, list(f.keys())
        features, coords = f["features"], f["coords"]
        assert features.dtype == np.float32 and features.shape == (rows, WIDTH), (features.dtype, features.shape)
        assert coords.dtype == np.int64 and coords.shape == (rows, 2), (coords.dtype, coords.shape)
        # Streamed: chunked and extendible, never one contiguous block.
        assert features.chunks is not None and features.maxshape == (None, WIDTH), features.maxshape
        assert coords.chunks is not None and coords.maxshape == (None, 2), coords.maxshape
        want_features, want_coords = expected(rows)
        assert np.array_equal(features[()], want_features)
        assert np.array_equal(coords[()], want_coords)
        # mask_threshold is absent from the attributes given, so absent from the file.
        check_attributes(dict(coords.attrs), {**CLAM, **TRIDENT, **OURS, **saved_in(path)}, "h5 coords")
        assert features.attrs["model"] == MODEL and features.attrs["name"] == CLAM["name"]
        assert features.attrs["encoder"] == "tiny-vit-reg4"  # TRIDENT's name of the model
        assert features.attrs["savetodir"] == str(path.parent)
        assert "model_name: tiny-vit-reg4\n" in features.attrs["model_spec_yaml"]
        assert features.attrs["bioptimus_version"].startswith("bioptimus-cpp ")
        # The precision the model ran in, when the caller gives it (the samples with rows do).
        assert features.attrs.get("precision") == ("bf16" if rows else None), dict(features.attrs)
        if rows:
            assert f["thumbnail"].dtype == np.uint8 and np.array_equal(f["thumbnail"][()], thumbnail())
            assert f["tissue_mask"].dtype == np.uint8 and np.array_equal(f["tissue_mask"][()], tissue_mask())
            assert f["thumbnail"].compression == "gzip", f["thumbnail"].compression
            check_attributes(dict(f["thumbnail"].attrs), THUMBNAIL_ATTRIBUTES, "h5 thumbnail")
            check_attributes(dict(f["tissue_mask"].attrs), MASK_ATTRIBUTES, "h5 tissue_mask")
            check_attributes(dict(f.attrs), METADATA, "h5 root")
        else:
            assert dict(f.attrs) == {}


def check_npz(path, rows):
    with np.load(path, allow_pickle=False) as archive:
        want_features, want_coords = expected(rows)
        assert archive["features"].dtype == np.float32 and np.array_equal(archive["features"], want_features)
        assert archive["coords"].dtype == np.int64 and np.array_equal(archive["coords"], want_coords)
        assert archive["coords"].shape == (rows, 2), archive["coords"].shape
        assert "mask_threshold" not in archive.files
        for key, value in {**CLAM, **TRIDENT, **OURS, **saved_in(path), "encoder": "tiny-vit-reg4"}.items():
            actual = archive[key]
            assert same_value(str(actual) if isinstance(value, str) else actual, value), (key, actual, value)
        assert str(archive["model"]) == MODEL
        assert "model_name: tiny-vit-reg4\n" in str(archive["model_spec_yaml"])
        assert (str(archive["precision"]) if "precision" in archive.files else None) == ("bf16" if rows else None)
        if rows:
            assert archive["thumbnail"].dtype == np.uint8 and np.array_equal(archive["thumbnail"], thumbnail())
            assert archive["tissue_mask"].dtype == np.uint8 and np.array_equal(archive["tissue_mask"], tissue_mask())
            for key, value in THUMBNAIL_ATTRIBUTES.items():
                assert same_value(archive["thumbnail_" + key], value), key
            for key, value in MASK_ATTRIBUTES.items():
                assert same_value(archive["tissue_mask_" + key], value), key
            for key, value in METADATA.items():
                actual = archive[key]
                assert same_value(str(actual) if isinstance(value, str) else actual, value), (key, actual, value)
        else:
            assert "thumbnail" not in archive.files and "slide_path" not in archive.files, archive.files


def h5_arrays_and_attributes(path):
    with h5py.File(path, "r") as f:
        arrays = {name: f[name][()] for name in f.keys()}
        attributes = {name: dict(f[name].attrs) for name in f.keys()}
        attributes[""] = dict(f.attrs)
    return arrays, attributes


def check_zarr_against_h5(store, h5, compressor, chunk_rows=None):
    """zarr-python opens the store read-only: the same arrays, dtypes and
    attributes as the HDF5 file of the same run, compressed as asked."""
    group = zarr.open_group(str(store), mode="r")
    arrays, attributes = h5_arrays_and_attributes(h5)
    assert set(group.array_keys()) == set(arrays), (store, sorted(group.array_keys()), sorted(arrays))
    for name, wanted in arrays.items():
        array = group[name]
        assert array.dtype == wanted.dtype and array.shape == wanted.shape, (store, name, array.dtype, array.shape)
        assert np.array_equal(array[...], wanted), (store, name)
        assert array.compressor == compressor, (store, name, array.compressor)
        # Chunked by rows only: every chunk holds whole rows.
        assert array.chunks[1:] == wanted.shape[1:], (store, name, array.chunks)
        check_attributes(dict(array.attrs), attributes[name], f"{store.name} {name}")
    check_attributes(dict(group.attrs), attributes[""], f"{store.name} root")
    if chunk_rows:
        assert group["features"].chunks[0] == chunk_rows, group["features"].chunks
    # Edge chunks are stored at full chunk shape (zarr-specs v2): the last
    # one decodes to a whole chunk, padded with the fill value.
    features = group["features"]
    if features.shape[0]:
        last = (features.shape[0] - 1) // features.chunks[0]
        raw = (store / "features" / f"{last}.{'.'.join('0' * (features.ndim - 1))}").read_bytes()
        decoded = compressor.decode(raw) if compressor else raw
        assert len(decoded) == features.chunks[0] * int(np.prod(features.shape[1:])) * 4, len(decoded)
    metadata = json.loads((store / "features" / ".zarray").read_text())
    assert metadata["zarr_format"] == 2 and metadata["dtype"] == "<f4" and metadata["order"] == "C", metadata


def blosc(cname, level=5):
    return numcodecs.Blosc(cname=cname, clevel=level, shuffle=numcodecs.Blosc.SHUFFLE, blocksize=0)


def main():
    with tempfile.TemporaryDirectory() as directory:
        subprocess.run([sys.argv[1], directory], check=True)
        out = pathlib.Path(directory)
        # Nothing else: the temporary files and directories are gone.
        names = sorted(p.name for p in out.iterdir())
        assert names == ["dense.h5", "dense.zarr", "empty.h5", "empty.npz", "empty.zarr", "slide-none.zarr",
                         "slide-zlib.zarr", "slide-zstd.zarr", "slide.h5", "slide.npz", "slide.zarr"], names
        check_h5(out / "slide.h5", ROWS)
        check_h5(out / "empty.h5", 0)
        check_npz(out / "slide.npz", ROWS)
        check_npz(out / "empty.npz", 0)
        check_zarr_against_h5(out / "slide.zarr", out / "slide.h5", blosc("lz4"), chunk_rows=1000)
        assert len(list((out / "slide.zarr" / "features").glob("*.0"))) == 3  # 1000 + 1000 + 500 (padded)
        check_zarr_against_h5(out / "slide-zstd.zarr", out / "slide.h5", blosc("zstd", 3))
        check_zarr_against_h5(out / "slide-zlib.zarr", out / "slide.h5", blosc("zlib", 3))
        check_zarr_against_h5(out / "slide-none.zarr", out / "slide.h5", None)
        check_zarr_against_h5(out / "empty.zarr", out / "empty.h5", blosc("lz4"))
        check_zarr_against_h5(out / "dense.zarr", out / "dense.h5", blosc("lz4"), chunk_rows=300)
        dense = zarr.open_group(str(out / "dense.zarr"), mode="r")
        assert np.array_equal(dense["features"][...], expected(ROWS, (4, 2, 8))[0])
        assert "model" not in dense["features"].attrs  # no spec, no model attributes
    print("zarr-python, h5py and numpy read every output")


if __name__ == "__main__":
    main()
