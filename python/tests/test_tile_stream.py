"""TileStream from Python on generated slides: batches bit-identical to the
TRIDENT/CLAM loader's tiles (openslide-python, Pillow, torchvision) at the
same coordinates, each batch owning its memory, torch.from_numpy without a
copy, abandoned iterations, and a corrupt region raising SlideError."""
import gc
import os
import subprocess

import numpy as np
import pytest

import bioptimus_cpp as bp

GENERATOR = os.environ.get("BIOPTIMUS_MAKE_TISSUE_SLIDE")
pytestmark = pytest.mark.skipif(not hasattr(bp, "TileStream") or not GENERATOR,
                                reason="built without the slide layers or the slide generator")

# 64 px tiles at 0.5 um/px, ImageNet's mean and std (tests/data/models/tiny-vit-reg4.yaml).
SPEC = bp.ModelSpec(model_name="tiny-stream", version="1.0.0",
                    tile_spec=bp.TileSpec(size=64, resolution=bp.MPP(0.5)), mean=(0.485, 0.456, 0.406),
                    std=(0.229, 0.224, 0.225), patch_size=16, embedding_dim=64, output_type="cls")
# CLAM's areas scaled to the generated slides (a blob is about 0.05 mm^2 at 6144x4608, 0.25 um/px; its
# mask is made from a level of 384 x 288 px: OpenSlide 3.4.1 on libtiff 4.5.0 reads a level smaller than
# one 256 px TIFF tile shifted, and a mask from it would be wrong).
SMALL = {"min_tissue_area_um2": 20000.0, "min_hole_area_um2": 5000.0}


def make_slide(directory, name, size, *options):
    path = directory / name
    subprocess.run([GENERATOR, str(path), "--size", size, *options], check=True)
    return path


def pillow_tiles(slide_path, coords, level, region_size, tile, dtype=np.float32):
    """The tiles as a TRIDENT-style Dataset makes them: read_region, composited
    on white (as our reader treats transparent pixels), Pillow's bicubic
    resize, ToTensor, Normalize."""
    openslide = pytest.importorskip("openslide")
    Image = pytest.importorskip("PIL.Image")
    transforms = pytest.importorskip("torchvision.transforms")
    to_input = transforms.Compose([transforms.ToTensor(), transforms.Normalize(SPEC.mean, SPEC.std)])
    slide = openslide.OpenSlide(str(slide_path))
    white = Image.new("RGBA", (region_size, region_size), (255, 255, 255, 255))
    tiles, pixels = [], []
    for x, y in coords:
        region = Image.alpha_composite(white, slide.read_region((int(x), int(y)), level, (region_size,) * 2))
        region = region.convert("RGB")
        if region_size != tile:
            region = region.resize((tile, tile), Image.BICUBIC)
        pixels.append(np.asarray(region))
        tensor = to_input(region)
        tiles.append((tensor.half() if dtype == np.float16 else tensor).numpy())
    return np.stack(tiles), np.stack(pixels)


@pytest.mark.parametrize("size, mpp, level, region, segment", [
    ("6144x4608", "0.25", 0, 128, True),    # level 0 read at 128 px, resized to 64; CLAM's tissue tiles
    ("4096x3072", "0.125", 1, 64, False),   # the downsample-4 level read at 64 px, no resize; every tile
])
def test_batches_equal_pillow_and_torchvision_bit_for_bit(temp_dir, size, mpp, level, region, segment):
    slide = make_slide(temp_dir, "slide.tif", size, "--mpp", mpp)
    extractor = bp.TileExtractor(SPEC, segment=segment, **SMALL)
    coords = extractor.fit(bp.SlideReader(slide)).extract()
    assert extractor.read_level == bp.Level(level) and extractor.read_size == (region, region)
    batch_size = 48 if len(coords) % 48 else 49  # the last batch is a partial one
    assert len(coords) > batch_size and len(coords) % batch_size != 0
    stream = bp.TileStream(slide, SPEC, batch_size=batch_size, threads=2, segment=segment, **SMALL)
    np.testing.assert_array_equal(stream.coords, coords)  # the extractor's tiles, in its order
    assert len(stream) == -(-len(coords) // batch_size)
    expected, _ = pillow_tiles(slide, coords, level, region, 64)
    batches = list(stream)
    assert [len(batch) for batch, _ in batches] == [batch_size] * (len(batches) - 1) + [len(coords) % batch_size]
    for batch, batch_coords in batches:
        assert batch.dtype == np.float32 and batch.shape[1:] == (3, 64, 64) and batch.flags.c_contiguous
        assert batch_coords.dtype == np.int64
    np.testing.assert_array_equal(np.concatenate([c for _, c in batches]), coords)
    got = np.concatenate([b for b, _ in batches])
    assert got.tobytes() == expected.tobytes()  # bit for bit, including the last, partial batch


def test_float16_and_uint8_batches(temp_dir):
    slide = make_slide(temp_dir, "slide.tif", "2048x1536", "--mpp", "0.25")
    coords = bp.TileStream(slide, SPEC, segment=False).coords[:50]
    expected, pixels = pillow_tiles(slide, coords, 0, 128, 64, dtype=np.float16)
    half = np.concatenate([b for b, _ in bp.TileStream(slide, SPEC, coords=coords, dtype=np.float16, batch_size=16)])
    assert half.dtype == np.float16 and half.tobytes() == expected.tobytes()
    rgb = np.concatenate([b for b, _ in bp.TileStream(slide, SPEC, coords=coords, dtype=np.uint8, batch_size=16)])
    assert rgb.dtype == np.uint8 and rgb.shape == (50, 64, 64, 3)
    np.testing.assert_array_equal(rgb, pixels)
    with pytest.raises(ValueError, match="dtype"):
        bp.TileStream(slide, SPEC, dtype=np.int32)


def test_each_batch_owns_its_memory_and_torch_shares_it(temp_dir):
    torch = pytest.importorskip("torch")
    slide = make_slide(temp_dir, "slide.tif", "2048x1536", "--mpp", "0.25")
    kept = []
    with bp.TileStream(slide, SPEC, segment=False, batch_size=10, threads=2, prefetch=1) as stream:
        coords = stream.coords
        for batch, batch_coords in stream:
            tensor = torch.from_numpy(batch)  # writable, so no warning and no copy
            assert tensor.data_ptr() == batch.ctypes.data
            kept.append(tensor)
    # Holding every batch (more than the stream keeps in flight) never let
    # the stream write over one: all are distinct and still hold their tiles.
    assert len({t.data_ptr() for t in kept}) == len(kept) > 3
    expected, _ = pillow_tiles(slide, coords, 0, 128, 64)
    assert torch.cat(kept).numpy().tobytes() == expected.tobytes()


def test_abandoned_and_closed_streams_stop_their_threads(temp_dir):
    slide = make_slide(temp_dir, "slide.tif", "2048x1536", "--mpp", "0.25")
    for _ in range(10):
        stream = bp.TileStream(slide, SPEC, segment=False, batch_size=4, threads=3)
        batch, _ = next(iter(stream))
        del stream  # abandoned after one batch: its threads are joined here
        gc.collect()
        assert batch.shape == (4, 3, 64, 64)  # the batch outlives its stream
    stream = bp.TileStream(slide, SPEC, segment=False, batch_size=8)
    next(stream)
    stream.close()
    with pytest.raises(ValueError, match="closed"):
        next(stream)


def test_a_corrupt_region_raises_slide_error_naming_the_slide_after_the_batches_before_it(temp_dir):
    # Level-0 TIFF tile [512, 768) x [0, 256): tiles 4 and 5 of the first row of 128 px tiles.
    slide = make_slide(temp_dir, "corrupt.tif", "2048x1536", "--mpp", "0.25", "--corrupt-tile", "600,100")
    # One thread: OpenSlide refuses every read of a slide after its first
    # error, so a tile read at the same moment on another thread would fail too.
    stream = bp.TileStream(slide, SPEC, segment=False, batch_size=2, threads=1)
    first, second = next(stream), next(stream)
    assert first[1].tolist() == [[0, 0], [128, 0]] and second[1].tolist() == [[256, 0], [384, 0]]
    with pytest.raises(bp.SlideError) as raised:
        next(stream)
    assert raised.value.slide == str(slide)
    assert str(slide) in str(raised.value) and "region at level-0 (512, 0)" in str(raised.value)
    with pytest.raises(bp.SlideError):  # and again: the stream is over
        next(stream)


def test_options_out_of_range_and_bad_coords(temp_dir):
    slide = make_slide(temp_dir, "slide.tif", "2048x1536", "--mpp", "0.25")
    with pytest.raises(bp.ValidationError) as raised:
        bp.TileStream(slide, SPEC, batch_size=0, threads=0)
    assert [v.field for v in raised.value.violations] == ["batch_size", "threads"]
    with pytest.raises(ValueError, match="coords"):
        bp.TileStream(slide, SPEC, coords=np.zeros((3, 3)))
    with pytest.raises(bp.SlideError):
        bp.TileStream(temp_dir / "missing.svs", SPEC)


def test_tile_dataset_is_a_torch_iterable_dataset(temp_dir):
    torch = pytest.importorskip("torch")
    from bioptimus_cpp.torch import TileDataset
    slide = make_slide(temp_dir, "slide.tif", "2048x1536", "--mpp", "0.25")
    dataset = TileDataset(slide, SPEC, segment=False, batch_size=32)
    assert isinstance(dataset, torch.utils.data.IterableDataset)
    direct = [(tiles, coords) for tiles, coords in dataset]
    loaded = list(torch.utils.data.DataLoader(dataset, batch_size=None))
    assert len(direct) == len(loaded) == -(-len(bp.TileStream(slide, SPEC, segment=False).coords) // 32)
    for (a, ca), (b, cb) in zip(direct, loaded):
        assert a.dtype == torch.float32 and ca.dtype == torch.int64
        assert torch.equal(a, b) and torch.equal(ca, cb)
