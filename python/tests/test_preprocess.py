"""Preprocessor from Python against the reference pipeline itself:
torchvision Normalize(ToTensor(PIL.Image.resize(...))) on generated H&E-like
tiles, bit for bit; and the input forms (batches, strided views, PIL images,
lists, RGBA), dtypes, threads and errors."""
import functools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
import torchvision.transforms as T
from PIL import Image

import bioptimus_cpp as bp

PILLOW_FILTERS = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC,
                  "lanczos": Image.LANCZOS}


@functools.lru_cache(maxsize=None)
def _he_tiles(count, height, width, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    tiles = np.empty((count, height, width, 3), np.uint8)
    for i in range(count):
        image = np.empty((height, width, 3), np.float32)
        image[:] = (232, 170, 200)
        image += (14 * np.sin(x / (5 + i) + np.sin(y / 17)) * np.sin(y / 9))[..., None] * np.float32([0.3, 1, 0.6])
        image += rng.integers(0, 3, (height, width, 1))
        for _ in range(height * width // 1200):
            cy, cx, r = rng.uniform(0, height), rng.uniform(0, width), rng.uniform(3, 10)
            # Only the nucleus' bounding box is tested, to keep the generation fast.
            top, left = max(int(cy - r), 0), max(int(cx - r), 0)
            box = (slice(top, int(cy + r) + 2), slice(left, int(cx + r) + 2))
            image[box][(x[box] - cx) ** 2 + (y[box] - cy) ** 2 <= r * r] = rng.normal((90, 50, 140), 12)
        image[(x / width + y / height) > 1.7] = 255
        tiles[i] = np.clip(np.rint(image), 0, 255)
    tiles.setflags(write=False)
    return tiles


def he_tiles(count, height, width, seed=15):
    """Pink stroma with texture, dark round nuclei with sharp edges, some white background."""
    return _he_tiles(count, height, width, seed)


def reference(spec, tile):
    """The Python pipeline the spec stands for, as TRIDENT, timm and the model cards run it."""
    width, height = spec.tile_size_pixels
    transform = T.Compose([T.ToTensor(), T.Normalize(mean=spec.mean, std=spec.std)])
    image = Image.fromarray(tile)
    if image.size != (width, height):
        image = image.resize((width, height), PILLOW_FILTERS[spec.interpolation])
    return transform(image).numpy()


@pytest.fixture(scope="module")
def h0_mini():
    return bp.Registry.builtin().get(bp.Models.H0_MINI)


@pytest.mark.parametrize("interpolation", sorted(PILLOW_FILTERS))
@pytest.mark.parametrize("size", [(448, 448), (300, 500), (224, 224), (112, 112)])
def test_equals_pillow_and_torchvision_bit_for_bit(h0_mini, interpolation, size):
    spec = h0_mini.replace(interpolation=interpolation)
    tiles = he_tiles(2, *size)
    ours = bp.Preprocessor(spec)(tiles)
    assert ours.shape == (2, 3, 224, 224) and ours.dtype == np.float32
    for i, tile in enumerate(tiles):
        np.testing.assert_array_equal(ours[i], reference(spec, tile))


def test_float16_is_the_reference_rounded_to_nearest_even(h0_mini):
    tiles = he_tiles(2, 448, 448)
    ours = bp.Preprocessor(h0_mini)(tiles, dtype=np.float16)
    assert ours.dtype == np.float16
    expected = np.stack([reference(h0_mini, tile) for tile in tiles])
    np.testing.assert_array_equal(ours, torch.from_numpy(expected).half().numpy())
    np.testing.assert_array_equal(ours, bp.Preprocessor(h0_mini)(tiles, dtype="float16"))


def test_other_specs_use_their_own_size_and_normalisation():
    registry = bp.Registry.builtin()
    for model in (bp.Models.UNI, bp.Models.VIRCHOW2, bp.Models.PHIKON):
        spec = registry.get(model)
        tile = he_tiles(1, 512, 512)[0]
        ours = bp.Preprocessor(spec)(tile)
        assert ours.shape == (1,) + spec.input_shape
        np.testing.assert_array_equal(ours[0], reference(spec, tile))


def test_input_forms_give_the_same_result(h0_mini):
    pre = bp.Preprocessor(h0_mini)
    tiles = he_tiles(3, 448, 448)
    batch = pre(tiles)
    # One tile, a PIL image, a list, a crop of a bigger array (row and batch
    # strides that are not the packed ones), a reversed batch view.
    np.testing.assert_array_equal(pre(tiles[1])[0], batch[1])
    np.testing.assert_array_equal(pre(Image.fromarray(tiles[2]))[0], batch[2])
    np.testing.assert_array_equal(pre([tiles[0], Image.fromarray(tiles[1]), tiles[2]]), batch)
    canvas = np.zeros((3, 480, 500, 3), np.uint8)
    canvas[:, 7:455, 13:461] = tiles
    np.testing.assert_array_equal(pre(canvas[:, 7:455, 13:461]), batch)
    np.testing.assert_array_equal(pre(tiles[::-1]), batch[::-1])
    # Upside-down rows cannot be read in place; they are copied, not refused.
    np.testing.assert_array_equal(pre(tiles[0, ::-1]), pre(np.ascontiguousarray(tiles[0, ::-1])))
    # Tiles of different sizes in one call.
    mixed = pre([tiles[0], tiles[1, :300, :256]])
    np.testing.assert_array_equal(mixed[1], reference(h0_mini, np.ascontiguousarray(tiles[1, :300, :256])))


def test_opaque_rgba_equals_rgb_and_transparency_is_composited_on_the_background(h0_mini):
    pre = bp.Preprocessor(h0_mini)
    rgb = he_tiles(1, 448, 448)
    rgba = np.concatenate([rgb, np.full(rgb.shape[:-1] + (1,), 255, np.uint8)], axis=-1)
    np.testing.assert_array_equal(pre(rgba), pre(rgb))
    np.testing.assert_array_equal(pre(Image.fromarray(rgba[0], "RGBA")), pre(rgb))
    transparent = np.zeros((1, 448, 448, 4), np.uint8)
    white = np.full((1, 448, 448, 3), 255, np.uint8)
    np.testing.assert_array_equal(pre(transparent), pre(white))
    black_background = bp.Preprocessor(h0_mini, background=(0, 0, 0))
    np.testing.assert_array_equal(black_background(transparent), pre(np.zeros((1, 448, 448, 3), np.uint8)))


def test_threads_and_concurrent_callers_agree(h0_mini):
    pre = bp.Preprocessor(h0_mini)
    tiles = he_tiles(8, 448, 448)
    one = pre(tiles, threads=1)
    np.testing.assert_array_equal(pre(tiles, threads=2), one)
    np.testing.assert_array_equal(pre(tiles, threads=16), one)
    # The GIL is released during the call: several Python threads share one Preprocessor.
    with ThreadPoolExecutor(4) as pool:
        for result in pool.map(lambda i: pre(tiles[i:i + 2]), range(0, 8, 2)):
            assert result.shape == (2, 3, 224, 224)
    results = list(ThreadPoolExecutor(4).map(lambda i: pre(tiles[i]), range(8)))
    np.testing.assert_array_equal(np.concatenate(results), one)


def test_out_is_filled_in_place(h0_mini):
    pre = bp.Preprocessor(h0_mini)
    tiles = he_tiles(2, 448, 448)
    out = np.empty((2, 3, 224, 224), np.float32)
    assert pre(tiles, out=out) is out
    np.testing.assert_array_equal(out, pre(tiles))
    with pytest.raises(ValueError, match=r"out: expected a writable C-contiguous float32 array of shape \(2, 3, 224, 224\)"):
        pre(tiles, out=np.empty((1, 3, 224, 224), np.float32))
    with pytest.raises(ValueError, match="out: expected"):
        pre(tiles, out=np.empty((2, 3, 224, 224), np.float16))


def test_properties(h0_mini):
    pre = bp.Preprocessor(h0_mini)
    assert pre.output_shape == (3, 224, 224)
    assert pre.precision == "fp16"


def test_bad_inputs_are_clear_errors(h0_mini):
    pre = bp.Preprocessor(h0_mini)
    with pytest.raises(TypeError, match="expected uint8 pixels, got dtype float32"):
        pre(np.zeros((224, 224, 3), np.float32))
    with pytest.raises(ValueError, match=r"got shape \(224, 224\)"):
        pre(np.zeros((224, 224), np.uint8))
    with pytest.raises(ValueError, match=r"got shape \(2, 224, 224, 2\)"):
        pre(np.zeros((2, 224, 224, 2), np.uint8))
    with pytest.raises(ValueError, match=r"expected \(H, W, 3\|4\) uint8 pixels, got shape \(1, 8, 8, 3\)"):
        pre([np.zeros((1, 8, 8, 3), np.uint8)])
    with pytest.raises(ValueError, match="width and a height"):
        pre(np.zeros((0, 224, 3), np.uint8))
    with pytest.raises(ValueError, match="mode L"):
        pre(Image.new("L", (8, 8)))
    with pytest.raises(ValueError, match="expected dtype float32 or float16, got float64"):
        pre(np.zeros((8, 8, 3), np.uint8), dtype=np.float64)
    with pytest.raises(ValueError, match="threads: expected a number >= 1, got 0"):
        pre(np.zeros((8, 8, 3), np.uint8), threads=0)
    with pytest.raises(TypeError):
        pre("tile.png")


def test_stain_options_it_cannot_apply_are_refused(h0_mini):
    with pytest.raises(bp.Error, match="per-slide estimation needs slide_stains"):
        bp.Preprocessor(h0_mini.replace(stain_normalization="macenko"), stain_estimation="per_slide")
