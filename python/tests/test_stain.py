"""Stain normalisation and HED from Python, end to end through the
Preprocessor: Pillow's resize, then the numpy oracle of torchstain's Macenko
and Reinhard (tests/parity/stain_oracle.py) or scikit-image's rgb2hed, then
ToTensor + Normalize, against ours; and StainNormalizer, targets in specs,
errors."""
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision.transforms as T
from PIL import Image

import bioptimus_cpp as bp

skimage_color = pytest.importorskip("skimage.color")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "parity"))
import stain_oracle as oracle  # noqa: E402
from make_stain_references import he_tile  # noqa: E402


@pytest.fixture(scope="module")
def tiles():
    rng = np.random.default_rng(26)
    return [he_tile(rng, 448, 448) for _ in range(3)]


@pytest.fixture(scope="module")
def h0_mini():
    return bp.Registry.builtin().get(bp.Models.H0_MINI)


def torchvision_input(spec, resized):
    return T.Normalize(spec.mean, spec.std)(T.ToTensor()(Image.fromarray(resized))).numpy()


@pytest.mark.parametrize("method, normalize", [("macenko", oracle.macenko_normalize),
                                               ("reinhard", oracle.reinhard_normalize)])
def test_preprocessor_matches_resize_then_torchstain_then_normalize(h0_mini, tiles, method, normalize):
    spec = h0_mini.replace(stain_normalization=method)
    ours = bp.Preprocessor(spec, min_tissue_pixels=0)(tiles, threads=2)
    for index, tile in enumerate(tiles):
        resized = np.asarray(Image.fromarray(tile).resize((224, 224), Image.BICUBIC))
        expected = torchvision_input(spec, normalize(resized))
        assert np.array_equal(ours[index], expected), f"tile {index}: {np.count_nonzero(ours[index] != expected)} differ"


def test_hed_preprocessing_is_skimage_then_normalize(h0_mini, tiles):
    spec = h0_mini.replace(color_space="HED", mean=(0.05, 0.02, 0.01), std=(0.1, 0.05, 0.02))
    ours = bp.Preprocessor(spec)(tiles[0])[0]
    resized = np.asarray(Image.fromarray(tiles[0]).resize((224, 224), Image.BICUBIC))
    hed = torch.from_numpy(skimage_color.rgb2hed(resized).astype(np.float32)).permute(2, 0, 1)
    expected = T.Normalize(spec.mean, spec.std)(hed).numpy()
    assert np.array_equal(ours, expected)


def test_stain_normalizer_fits_and_normalizes_as_torchstain(tiles):
    tile = np.asarray(Image.fromarray(tiles[1]).resize((224, 224), Image.BICUBIC))
    macenko = bp.StainNormalizer("macenko", min_tissue_pixels=0)
    he, max_c = oracle.macenko_fit(tile)
    fitted = macenko.fit(tile)
    assert set(fitted) == {"hematoxylin", "eosin", "max_concentrations"}
    np.testing.assert_allclose(np.array([fitted["hematoxylin"], fitted["eosin"]]).T, he, rtol=1e-12)
    np.testing.assert_allclose(fitted["max_concentrations"], max_c, rtol=1e-12)
    assert np.array_equal(macenko(tile), oracle.macenko_normalize(tile))

    target = np.asarray(Image.fromarray(tiles[2]).resize((224, 224), Image.BICUBIC))
    reinhard = bp.StainNormalizer("reinhard", target=target, min_tissue_pixels=0)
    means, stds = oracle.reinhard_fit(target)
    assert reinhard.target == {"lab_mean": tuple(map(float, means)), "lab_std": tuple(map(float, stds))}
    assert np.array_equal(reinhard(tile), oracle.reinhard_normalize(tile, means, stds))


def test_background_tiles_pass_unchanged_or_take_the_slide_stains(tiles):
    glass = np.random.default_rng(1).integers(228, 250, (224, 224, 3), dtype=np.uint8)
    for method in ("macenko", "reinhard", "vahadane"):
        normalizer = bp.StainNormalizer(method)
        assert np.array_equal(normalizer(glass), glass)
        slide = normalizer.fit(list(tiles))
        with_slide = bp.StainNormalizer(method, slide_stains=slide)
        assert not np.array_equal(with_slide(glass), glass)
        per_slide = bp.StainNormalizer(method, estimation="per_slide", slide_stains=slide)
        assert per_slide(tiles[0]).shape == (448, 448, 3)


def test_spec_stain_targets_round_trip(h0_mini):
    target = {"hematoxylin": (0.65, 0.7, 0.29), "eosin": (0.07, 0.99, 0.11), "max_concentrations": (1.9, 1.0)}
    spec = h0_mini.replace(stain_normalization="vahadane", stain_target=target)
    assert spec.stain_target == target
    assert pickle.loads(pickle.dumps(spec)) == spec
    assert bp.parse_spec(bp.to_yaml(spec), "again.yaml") == spec
    assert h0_mini.stain_target is None
    with pytest.raises(bp.ValidationError, match="stain_target.max_concentrations: expected 2 numbers"):
        h0_mini.replace(stain_normalization="macenko", stain_target={**target, "max_concentrations": (1, 2, 3)})
    with pytest.raises(bp.ValidationError, match="stain_normalization reinhard needs lab_mean and lab_std"):
        h0_mini.replace(stain_normalization="reinhard", stain_target=target)
    with pytest.raises(bp.ValidationError, match="stain_target.lab_std: required key missing"):
        h0_mini.replace(stain_normalization="reinhard", stain_target={"lab_mean": (1, 2, 3)})


def test_stain_argument_errors(h0_mini):
    with pytest.raises(ValueError, match='method: expected one of macenko | reinhard | vahadane, got "macenco"'):
        bp.StainNormalizer("macenco")
    with pytest.raises(ValueError, match='estimation: expected "per_tile" or "per_slide"'):
        bp.StainNormalizer("macenko", estimation="slide")
    with pytest.raises(bp.Error, match="fit: the pixels have 0 tissue pixels"):
        bp.StainNormalizer("macenko").fit(np.full((64, 64, 3), 250, np.uint8))
    with pytest.raises(bp.Error, match="target: expected stain vectors"):
        bp.Preprocessor(h0_mini.replace(stain_normalization="macenko"),
                        stain_target={"lab_mean": (1, 2, 3), "lab_std": (1, 1, 1)})
