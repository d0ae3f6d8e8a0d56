#!/usr/bin/python3
"""Reads the files write_features writes with h5py and numpy, the readers
downstream tools use: check_features.py WRITE_FEATURES_BINARY."""
import pathlib
import subprocess
import sys
import tempfile

import h5py
import numpy as np

ROWS, WIDTH = 2500, 64
CLAM = {"patch_size": 224, "patch_level": 1, "downsample": [4.0, 4.001], "downsampled_level_dim": [2500, 1800],
        "level_dim": [2500, 1800], "name": "slide-\u00e9"}
TRIDENT = {"patch_size_level0": 896, "level0_magnification": 40.0, "target_magnification": 10.0, "overlap": 0,
           "level0_width": 10000, "level0_height": 7200}
OURS = {"tile_size": [224, 224], "tile_stride": [224, 224], "tile_resolution": "1 mpp", "target_mpp": 1.0,
        "region_size": [224, 224], "footprint": [896, 896]}
MODEL = "tiny-vit-reg4@1.0.0"


def expected(rows):
    row = np.arange(rows, dtype=np.int64)
    features = (row[:, None] * 1000 + np.arange(WIDTH)[None, :]).astype(np.float32)
    coords = np.stack([row * 224, row * 7 + 1], axis=1)
    return features, coords


def check_value(actual, wanted, key):
    if isinstance(wanted, str):
        assert actual == wanted, (key, actual, wanted)
    else:
        assert np.array_equal(np.asarray(actual), np.asarray(wanted)), (key, actual, wanted)


def check_h5(path, rows):
    with h5py.File(path, "r") as f:
        assert sorted(f.keys()) == ["coords", "features"], list(f.keys())
        features, coords = f["features"], f["coords"]
        assert features.dtype == np.float32 and features.shape == (rows, WIDTH), (features.dtype, features.shape)
        assert coords.dtype == np.int64 and coords.shape == (rows, 2), (coords.dtype, coords.shape)
        # Streamed: chunked and extendible, never one contiguous block.
        assert features.chunks is not None and features.maxshape == (None, WIDTH), features.maxshape
        assert coords.chunks is not None and coords.maxshape == (None, 2), coords.maxshape
        want_features, want_coords = expected(rows)
        assert np.array_equal(features[()], want_features)
        assert np.array_equal(coords[()], want_coords)
        for key, value in {**CLAM, **TRIDENT, **OURS}.items():
            check_value(coords.attrs[key], value, key)
        assert "mask_threshold" not in coords.attrs  # absent in the attributes, absent in the file
        # Where the file is, as CLAM's and TRIDENT's writers record it, and TRIDENT's name of the model.
        directory = str(path.parent)
        check_value(coords.attrs["save_path"], directory, "save_path")
        check_value(coords.attrs["savetodir"], directory, "savetodir")
        check_value(features.attrs["savetodir"], directory, "savetodir")
        check_value(features.attrs["encoder"], "tiny-vit-reg4", "encoder")
        check_value(features.attrs["model"], MODEL, "model")
        check_value(features.attrs["name"], CLAM["name"], "name")
        assert "model_name: tiny-vit-reg4\n" in features.attrs["model_spec_yaml"]
        assert features.attrs["bioptimus_version"].startswith("bioptimus-cpp ")


def check_npz(path, rows):
    with np.load(path, allow_pickle=False) as archive:
        want_features, want_coords = expected(rows)
        assert archive["features"].dtype == np.float32 and np.array_equal(archive["features"], want_features)
        assert archive["coords"].dtype == np.int64 and np.array_equal(archive["coords"], want_coords)
        assert archive["coords"].shape == (rows, 2), archive["coords"].shape
        assert "mask_threshold" not in archive.files
        for key, value in {**CLAM, **TRIDENT, **OURS}.items():
            actual = archive[key]
            check_value(str(actual) if isinstance(value, str) else actual, value, key)
        check_value(str(archive["model"]), MODEL, "model")
        assert "model_name: tiny-vit-reg4\n" in str(archive["model_spec_yaml"])


def main():
    with tempfile.TemporaryDirectory() as directory:
        subprocess.run([sys.argv[1], directory], check=True)
        out = pathlib.Path(directory)
        # Nothing else: the temporary files are gone.
        names = sorted(p.name for p in out.iterdir())
        assert names == ["empty.h5", "empty.npz", "slide.h5", "slide.npz"], names
        check_h5(out / "slide.h5", ROWS)
        check_h5(out / "empty.h5", 0)
        check_npz(out / "slide.npz", ROWS)
        check_npz(out / "empty.npz", 0)
    print("h5py and numpy read every file")


if __name__ == "__main__":
    main()
