"""PredictionWriter from Python, the SDK's protocol: open, write NumPy
batches, set_thumbnail / set_tissue_mask / set_metadata, close; the output
read back with zarr-python, h5py and numpy."""
import os
import subprocess

import numpy as np
import pytest

import bioptimus_cpp as bp

pytestmark = pytest.mark.skipif(not hasattr(bp, "PredictionWriter"), reason="built without the writers")

SPEC = bp.Registry.builtin().get(bp.Models.H0_MINI)  # rows of 1536 floats
ATTRIBUTES = {"name": "slide", "patch_size": 448, "patch_level": 0, "downsample": (1.0, 1.0),
              "level_dim": (8192, 6144), "downsampled_level_dim": (8192, 6144), "patch_size_level0": 448,
              "level0_magnification": 40.0, "target_magnification": 20.0, "overlap": 0, "level0_width": 8192,
              "level0_height": 6144}


def rows(count, first=0):
    row = np.arange(first, first + count)
    features = (row[:, None] * 10 + np.arange(1536)[None, :] * 0.5).astype(np.float32)
    coords = np.stack([row * 448, row * 3], axis=1).astype(np.int64)
    return features, coords


def pictures():
    rng = np.random.default_rng(7)
    return rng.integers(0, 256, (48, 64, 3), dtype=np.uint8), rng.integers(0, 2, (24, 32)).astype(bool)


def write(path, fmt, **options):
    thumbnail, mask = pictures()
    with bp.PredictionWriter(path, fmt, spec=SPEC, coords_attributes=ATTRIBUTES, **options) as writer:
        writer.open(num_tiles=300)
        for first in range(0, 300, 64):
            features, coords = rows(min(64, 300 - first), first)
            writer.write(features, coords)
        assert writer.rows == 300
        writer.set_thumbnail(thumbnail, downsample=(128.0, 128.0), mpp=32.0)
        writer.set_tissue_mask(mask, downsample=(256.0, 256.0))
        writer.set_metadata({"slide_path": "slide.svs", "mpp": 0.25, "tile_size": [224, 224], "flag": True,
                             "scales": np.array([1.5, 3.0])})
        writer.set_gene_names()  # the SDK's no-op for embeddings
        assert not os.path.exists(path)  # only at close
    assert os.path.exists(path)


@pytest.mark.parametrize("fmt", ["zarr", "h5", "npz"])
def test_every_format_keeps_rows_pictures_and_metadata(temp_dir, fmt):
    path = temp_dir / f"slide.{fmt}"
    write(path, fmt)
    features, coords = rows(300)
    thumbnail, mask = pictures()
    if fmt == "zarr":
        zarr = pytest.importorskip("zarr")
        group = zarr.open_group(str(path), mode="r")
        arrays = {name: group[name][...] for name in ("features", "coords", "thumbnail", "tissue_mask")}
        metadata = dict(group.attrs)
        coords_attributes = dict(group["coords"].attrs)
        model = group["features"].attrs["model"]
        mask_attributes = dict(group["tissue_mask"].attrs)
    elif fmt == "h5":
        h5py = pytest.importorskip("h5py")
        with h5py.File(path, "r") as h5:
            arrays = {name: h5[name][()] for name in ("features", "coords", "thumbnail", "tissue_mask")}
            metadata = dict(h5.attrs)
            coords_attributes = dict(h5["coords"].attrs)
            model = h5["features"].attrs["model"]
            mask_attributes = dict(h5["tissue_mask"].attrs)
    else:
        with np.load(path) as archive:
            arrays = {name: archive[name] for name in ("features", "coords", "thumbnail", "tissue_mask")}
            metadata = {key: archive[key][()] for key in ("slide_path", "mpp", "tile_size", "flag", "scales")}
            coords_attributes = {key: archive[key][()] for key in ATTRIBUTES}
            model = str(archive["model"])
            mask_attributes = {"downsample": archive["tissue_mask_downsample"]}
    np.testing.assert_array_equal(arrays["features"], features)
    np.testing.assert_array_equal(arrays["coords"], coords)
    np.testing.assert_array_equal(arrays["thumbnail"], thumbnail)
    np.testing.assert_array_equal(arrays["tissue_mask"], mask.astype(np.uint8))
    assert arrays["features"].dtype == np.float32 and arrays["tissue_mask"].dtype == np.uint8
    assert str(metadata["slide_path"]) == "slide.svs" and metadata["mpp"] == 0.25 and metadata["flag"] == 1
    np.testing.assert_array_equal(metadata["tile_size"], [224, 224])
    np.testing.assert_array_equal(metadata["scales"], [1.5, 3.0])
    for key, value in ATTRIBUTES.items():
        if isinstance(value, str):
            assert str(coords_attributes[key]) == value, key
        else:
            np.testing.assert_array_equal(coords_attributes[key], value)
    assert model == "h0-mini@1.0.0"
    np.testing.assert_array_equal(mask_attributes["downsample"], [256.0, 256.0])
    assert "mpp" not in mask_attributes


def test_a_spec_less_writer_takes_the_sdk_open_and_each_compressor(temp_dir):
    zarr = pytest.importorskip("zarr")
    numcodecs = pytest.importorskip("numcodecs")
    for compressor in ("lz4", "zstd", "zlib", "none"):
        path = temp_dir / f"{compressor}.zarr"
        writer = bp.PredictionWriter(path, compressor=compressor, chunk_rows=100)
        writer.open(250, 8)
        writer.write(np.ones((250, 8), np.float64), np.zeros((250, 2), np.int32))  # cast to float32, int64
        writer.close()
        array = zarr.open_group(str(path), mode="r")["features"]
        assert array.shape == (250, 8) and array.chunks == (100, 8) and array.dtype == np.float32
        expected = None if compressor == "none" else numcodecs.Blosc(compressor, 5, numcodecs.Blosc.SHUFFLE)
        assert array.compressor == expected
        np.testing.assert_array_equal(array[...], np.ones((250, 8)))


def test_the_extractors_thumbnail_and_mask_go_into_the_writer(temp_dir):
    generator = os.environ.get("BIOPTIMUS_MAKE_TISSUE_SLIDE")
    if not generator or not hasattr(bp, "TileExtractor"):
        pytest.skip("built without the slide layers or the slide generator")
    zarr = pytest.importorskip("zarr")
    slide_path = temp_dir / "slide.tif"
    subprocess.run([generator, str(slide_path), "--size", "8192x6144"], check=True)
    extractor = bp.TileExtractor(SPEC).fit(bp.SlideReader(slide_path))
    assert extractor.thumbnail.shape == (192, 256, 3) and extractor.tissue_mask.shape == (192, 256)
    assert extractor.thumbnail_placement == {"downsample": (32.0, 32.0), "mpp": 8.0}
    assert extractor.tissue_mask_placement == {"downsample": (32.0, 32.0), "mpp": 8.0}
    with bp.PredictionWriter(temp_dir / "slide.zarr", spec=SPEC) as writer:
        writer.open(0)
        writer.set_thumbnail(extractor.thumbnail, **extractor.thumbnail_placement)
        writer.set_tissue_mask(extractor.tissue_mask, **extractor.tissue_mask_placement)
    group = zarr.open_group(str(temp_dir / "slide.zarr"), mode="r")
    np.testing.assert_array_equal(group["thumbnail"][...], extractor.thumbnail)
    np.testing.assert_array_equal(group["tissue_mask"][...], extractor.tissue_mask)
    assert group["tissue_mask"].attrs["mpp"] == 8.0 and group["features"].shape == (0, 1536)


def test_errors_and_abandoned_writers_leave_nothing(temp_dir):
    path = temp_dir / "slide.zarr"
    writer = bp.PredictionWriter(path, spec=SPEC)
    with pytest.raises(ValueError, match=r"write\(\): call open\(\) first"):
        writer.write(*rows(1))
    writer.open()
    with pytest.raises(TypeError, match="coords: expected integers"):
        writer.write(rows(1)[0], np.zeros((1, 2), np.float32))
    with pytest.raises(bp.WriterError, match=r"1 coordinates need 1536 feature values, got 8") as error:
        writer.write(np.zeros((1, 8), np.float32), np.zeros((1, 2), np.int64))
    assert isinstance(error.value, OSError) and str(path) in str(error.value)
    with pytest.raises(TypeError, match=r"set_thumbnail\(\): expected uint8 pixels"):
        writer.set_thumbnail(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(ValueError, match=r"set_tissue_mask\(\): expected shape \(H, W\)"):
        writer.set_tissue_mask(np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(bp.WriterError, match="key name: names an array or an attribute"):
        writer.set_metadata({"name": "other"})
    with pytest.raises(TypeError, match=r"set_metadata\(\): nested: expected an int, a float"):
        writer.set_metadata({"nested": {"a": 1}})
    with pytest.raises(bp.ValidationError, match=r"compression_level: expected a level in \[0, 9\], got 11"):
        bp.PredictionWriter(temp_dir / "other.zarr", compression_level=11).open(1, 4)
    with pytest.raises(ValueError, match="embedding_dim is needed without a spec"):
        bp.PredictionWriter(temp_dir / "other.zarr").open(1)
    with pytest.raises(ValueError, match="does not fit h0-mini@1.0.0"):
        bp.PredictionWriter(temp_dir / "other.zarr", spec=SPEC).open(1, 768)
    with pytest.raises(ValueError, match="format: expected 'zarr', 'h5'"):
        bp.PredictionWriter(temp_dir / "other.parquet", "parquet")
    with pytest.raises(ValueError, match="unknown key 'patch'"):
        bp.PredictionWriter(path, coords_attributes={"patch": 1})
    del writer
    # An exception in the `with` block abandons the output.
    with pytest.raises(RuntimeError):
        with bp.PredictionWriter(path, spec=SPEC) as writer:
            writer.open()
            writer.write(*rows(2))
            raise RuntimeError("stop")
    # Fewer rows than announced: close() refuses, and nothing is published.
    with bp.PredictionWriter(path, spec=SPEC) as writer:
        writer.open(num_tiles=3)
        writer.write(*rows(2))
        with pytest.raises(bp.WriterError, match=r"2 rows written where 3 were announced"):
            writer.close()
    assert list(temp_dir.iterdir()) == []
