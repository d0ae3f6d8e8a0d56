"""TileExtractor from Python on generated H&E slides: coordinates as an
(N, 2) int64 NumPy array, the same as the HDF5 and CSV exports (read back
with h5py and the csv module), and the grid laid out as CLAM lays it."""
import csv
import json
import os
import subprocess

import numpy as np
import pytest

import bioptimus_cpp as bp

GENERATOR = os.environ.get("BIOPTIMUS_MAKE_TISSUE_SLIDE")
pytestmark = pytest.mark.skipif(not hasattr(bp, "TileExtractor") or not GENERATOR,
                                reason="built without the slide layers or the slide generator")


def make_slide(directory, size, *options):
    path = directory / "slide.tif"
    subprocess.run([GENERATOR, str(path), "--size", size, *options], check=True)
    return path


def test_without_a_mask_every_whole_tile_of_the_grid_is_kept_row_major(temp_dir):
    slide = bp.SlideReader(make_slide(temp_dir, "4096x3072"))
    assert slide.mpp == bp.MPP(0.25) and slide.dimensions == (4096, 3072) and slide.name == "slide"
    spec = bp.Registry.builtin().get(bp.Models.H0_MINI)  # 224 px at 0.5 mpp: 448 level-0 px
    extractor = bp.TileExtractor(spec, segment=False)
    coords = extractor.fit(slide).extract()
    assert coords.dtype == np.int64 and coords.shape == (9 * 6, 2)
    ys, xs = np.mgrid[0:6, 0:9] * 448
    np.testing.assert_array_equal(coords, np.stack([xs.ravel(), ys.ravel()], axis=1))
    np.testing.assert_array_equal(extractor.coords, coords)
    np.testing.assert_array_equal(extractor.tissue_fractions, np.ones(54))
    assert extractor.read_level == bp.Level(0) and extractor.read_size == (448, 448)
    assert extractor.slide_name == "slide"


def test_a_user_mask_selects_the_tiles(temp_dir):
    slide = bp.SlideReader(make_slide(temp_dir, "4096x3072"))
    tiles = bp.TileSpec(size=256, resolution=bp.MPP(0.5))
    left_half = np.array([[1, 0]], np.uint8)
    coords = bp.TileExtractor(tiles, mask=left_half).fit(slide).extract()
    assert coords.shape == (4 * 6, 2)
    assert (coords[:, 0] < 2048).all()


def test_tissue_coords_match_the_hdf5_and_csv_exports(temp_dir):
    h5py = pytest.importorskip("h5py")
    spec = bp.Registry.builtin().get(bp.Models.H0_MINI)
    # Areas scaled to this small slide (its blobs are about 1 mm^2).
    extractor = bp.TileExtractor(spec, min_tissue_area_um2=50000.0, min_hole_area_um2=10000.0)
    # The extractor needs the reader only during fit.
    coords = extractor.fit(bp.SlideReader(make_slide(temp_dir, "8192x6144"))).extract()
    assert 0 < len(coords) < 18 * 13
    assert (coords % 448 == 0).all()
    assert (extractor.tissue_fractions >= 0.5).all()
    with h5py.File(extractor.to_hdf5(temp_dir), "r") as h5:
        assert h5["coords"].dtype == np.int64
        np.testing.assert_array_equal(h5["coords"][:], coords)
        assert h5["coords"].attrs["model"] == "h0-mini@1.0.0"
    with open(extractor.to_csv(temp_dir), newline="") as file:
        rows = list(csv.DictReader(file))
    np.testing.assert_array_equal(np.array([[int(r["x"]), int(r["y"])] for r in rows], np.int64), coords)
    json_path = extractor.to_json(temp_dir)
    assert json_path == temp_dir / "slide.json"
    tiles = json.loads(json_path.read_text())["tiles"]
    assert [[tile["x"], tile["y"]] for tile in tiles] == coords.tolist()


def test_errors(temp_dir):
    with pytest.raises(bp.SlideError) as error:
        bp.SlideReader(temp_dir / "missing.svs")
    assert isinstance(error.value, OSError) and str(temp_dir / "missing.svs") in str(error.value)
    tiles = bp.TileSpec(size=256, resolution=bp.MPP(0.5))
    with pytest.raises(bp.ValidationError, match=r"mask_threshold: expected a number in \[0, 1\], got 1.5"):
        bp.TileExtractor(tiles, mask_threshold=1.5)
    with pytest.raises(bp.Error, match="fit"):
        bp.TileExtractor(tiles).extract()
    with pytest.raises(ValueError, match="mask: expected a 2-D array"):
        bp.TileExtractor(tiles, mask=np.zeros(3, np.uint8))
    slide = bp.SlideReader(make_slide(temp_dir, "4096x3072", "--no-mpp"))
    with pytest.raises(bp.SlideError, match="mpp"):
        bp.TileExtractor(tiles).fit(slide)
    overridden = bp.SlideReader(temp_dir / "slide.tif", mpp=bp.MPP(0.25))
    assert len(bp.TileExtractor(tiles, segment=False).fit(overridden).extract()) == 8 * 6
