"""The value types, Models, the registry and YAML from Python: the SDK's
spellings, immutability, equality, repr, derived values, and every validation
path with the C++ library's field names and located messages."""
import math
import pickle
import re

import pytest

import bioptimus_cpp as bp

H0_MINI_FIELDS = dict(
    model_name="h0-mini",
    version="1.0.0",
    tile_spec=bp.TileSpec(size=(224, 224), stride=(224, 224), resolution=bp.MPP(0.5), unit=bp.MeasurementUnit.PIXELS),
    embedding_dim=1536,
    output_type="cls+patch_mean",
    num_prefix_tokens=5,
    patch_size=14,
    mean=(0.707223, 0.578729, 0.703617),
    std=(0.211883, 0.230117, 0.177517),
    weights_source="bioptimus/H0-mini",
    license="cc-by-nc-nd-4.0",
    precision="fp16",
)


def fields_of(error):
    return [violation.field for violation in error.value.violations]


def test_builtin_h0_mini_has_the_documented_contract():
    spec = bp.Registry.builtin().get(bp.Models.H0_MINI)
    assert spec.model_name == "h0-mini"
    assert spec.embedding_dim == 1536
    assert spec.tile_spec.size == (224, 224)
    assert spec.tile_spec.width == 224 and spec.tile_spec.stride_height == 224
    assert spec.tile_spec.resolution == bp.MPP(0.5)
    assert spec.tile_spec.unit is bp.MeasurementUnit.PIXELS
    assert spec.mean == (0.707223, 0.578729, 0.703617)
    assert spec.output_type == "cls+patch_mean"
    # DESIGN section 6's worked example.
    assert spec.tile_size_pixels == (224, 224)
    assert spec.tile_size_microns == (112.0, 112.0)
    assert spec.overlap_pixels == (0, 0)
    assert spec.patch_grid == (16, 16)
    assert spec.num_patch_tokens == 256
    assert spec.sequence_length == 261
    assert spec.token_dim == 768
    assert spec.input_shape == (3, 224, 224)
    assert spec.output_shape == (1536,)
    assert spec.identity == "h0-mini@1.0.0"
    assert spec.mpp == bp.MPP(0.5)


def test_the_sdk_example_builds_an_equal_spec():
    spec = bp.ModelSpec(**H0_MINI_FIELDS)
    assert spec == bp.Registry.builtin().get("h0-mini")
    assert hash(spec) == hash(bp.Registry.builtin()["h0-mini"])
    assert spec != spec.replace(precision="fp32")
    assert spec != "h0-mini"


def test_repr_evaluates_back_to_an_equal_value():
    namespace = vars(bp)
    for spec in bp.Registry.builtin():
        assert eval(repr(spec), namespace) == spec  # noqa: S307 - our own repr
    tile = bp.TileSpec(size=(112.0, 56.0), resolution=bp.MPP(0.25), unit=bp.MeasurementUnit.UM)
    assert repr(tile) == "TileSpec(size=(112.0, 56.0), stride=(112.0, 56.0), resolution=MPP(0.25), unit=MeasurementUnit.UM)"
    assert eval(repr(tile), namespace) == tile  # noqa: S307
    assert repr(bp.Level(2)) == "Level(2)" and repr(bp.Magnification(20)) == "Magnification(20.0)"


def test_values_are_immutable():
    spec = bp.Registry.builtin().get(bp.Models.H0_MINI)
    with pytest.raises(AttributeError):
        spec.embedding_dim = 768
    with pytest.raises(AttributeError):
        spec.tile_spec.size = (1, 1)
    with pytest.raises(AttributeError):
        bp.MPP(0.5).value = 1.0
    with pytest.raises(AttributeError):
        spec.new_attribute = 1


def test_replace_validates_the_changed_spec():
    spec = bp.Registry.builtin().get(bp.Models.H0_MINI)
    fp32 = spec.replace(precision="fp32")
    assert fp32.precision == "fp32" and spec.precision == "fp16"
    with pytest.raises(bp.ValidationError) as error:
        spec.replace(patch_size=15)
    assert fields_of(error) == ["patch_size"]
    with pytest.raises(TypeError, match="precison"):
        spec.replace(precison="fp32")


def test_pickle_round_trips():
    for value in [bp.MPP(0.5), bp.Level(3), bp.Magnification(40), bp.Registry.builtin().get(bp.Models.UNI),
                  bp.TileSpec(size=256, stride=128, resolution=bp.Level(0))]:
        assert pickle.loads(pickle.dumps(value)) == value


def test_models_is_a_str_enum_of_the_builtin_names():
    registry = bp.Registry.builtin()
    assert [model.value for model in bp.Models] == [name for name in _declaration_order()]
    assert sorted(model.value for model in bp.Models) == registry.names()
    assert bp.Models("h0-mini") is bp.Models.H0_MINI
    assert bp.Models.H0_MINI == "h0-mini"
    assert bp.Models.UNI2_H.value == "uni2-h"
    for model in bp.Models:
        assert registry.get(model).model_name == model.value
        assert model in registry


def _declaration_order():
    return [model.value for model in bp.Models]


def test_registry_lookups():
    registry = bp.Registry.builtin()
    assert len(registry) == len(list(bp.Models)) == len(registry.specs())
    assert registry.find("nope") is None
    assert "nope" not in registry
    with pytest.raises(bp.UnknownModelError, match=r'did you mean "h0-mini"') as error:
        registry.get("h0-mni")
    assert isinstance(error.value, LookupError) and isinstance(error.value, bp.Error)
    mine = bp.Registry.from_specs([bp.ModelSpec(**{**H0_MINI_FIELDS, "model_name": "my-model"})])
    assert mine.names() == ["my-model"]
    merged = bp.Registry.merge(registry, mine)
    assert len(merged) == len(registry) + 1
    with pytest.raises(bp.UnknownModelError):
        bp.Registry.merge(registry, registry)


def test_resolutions_validate_and_compare():
    assert float(bp.MPP(0.25)) == 0.25 and bp.MPP(0.25).value == 0.25
    assert bp.MPP(0.25) < bp.MPP(0.5)
    assert bp.MPP(0.25).is_close_to(bp.MPP(0.25000001))
    assert int(bp.Level(2)) == 2 and bp.Level(2).index == 2
    assert float(bp.Magnification(20)) == 20.0
    assert bp.MPP(0.5) != bp.Magnification(0.5)
    assert len({bp.MPP(0.5), bp.MPP(0.5), bp.Level(0)}) == 2
    for make, value, text in [(bp.MPP, -1, "invalid MPP: mpp: expected a finite number > 0, got -1"),
                              (bp.MPP, math.nan, "invalid MPP: mpp: expected a finite number > 0, got nan"),
                              (bp.Magnification, 0, "invalid Magnification: magnification: expected a finite number > 0, got 0"),
                              (bp.Level, -1, "invalid Level: level: expected an index in [0, 2147483647], got -1")]:
        with pytest.raises(bp.ValidationError) as error:
            make(value)
        assert str(error.value) == text
        assert isinstance(error.value, ValueError)
    with pytest.raises(TypeError):
        bp.Level(1.5)


def test_tile_spec_forms_and_derived_values():
    square = bp.TileSpec(256, resolution=bp.Level(0))
    assert square.size == (256, 256) and square.stride == (256, 256)
    assert square.mpp is None and square.size_microns is None
    overlapping = bp.TileSpec(size=(224, 200), stride=(112, 100), resolution=bp.MPP(0.5))
    assert overlapping.overlap_pixels == (112, 100)
    assert overlapping.size_microns == (112.0, 100.0)
    microns = bp.TileSpec(size=112, resolution=bp.MPP(0.5), unit="um")
    assert microns.unit is bp.MeasurementUnit.UM
    assert microns.size == (112.0, 112.0) and microns.size_pixels == (224, 224)
    # The worked example of scale_to_reference: 224 px at 0.5 mpp on a 0.25 mpp level 0.
    scaled = bp.TileSpec(size=224, resolution=bp.MPP(0.5)).scale_to_reference(0.5, bp.MPP(0.5))
    assert scaled == bp.TileSpec(size=448, resolution=bp.MPP(0.25))


@pytest.mark.parametrize(
    "arguments, fields",
    [
        # The stride defaults to the size, so it breaks the same rule.
        (dict(size=0, resolution=bp.MPP(0.5)), ["size", "stride"]),
        (dict(size=(224, 224.5), stride=224, resolution=bp.MPP(0.5)), ["size"]),
        (dict(size=224, stride=-1, resolution=bp.MPP(0.5)), ["stride"]),
        (dict(size=100.3, stride=100, resolution=bp.MPP(0.5), unit="um"), ["size"]),
        (dict(size=112, resolution=bp.Level(0), unit="um"), ["resolution"]),
        (dict(size="224", stride=(1, 2, 3), resolution=0.5, unit="microns"), ["size", "stride", "resolution", "unit"]),
    ],
)
def test_tile_spec_reports_every_violation(arguments, fields):
    with pytest.raises(bp.ValidationError) as error:
        bp.TileSpec(**arguments)
    assert fields_of(error) == fields
    assert error.value.type_name == "TileSpec"


@pytest.mark.parametrize(
    "changes, fields",
    [
        (dict(model_name="H0 Mini"), ["model_name"]),
        (dict(version="1.0"), ["version"]),
        (dict(weights_source=" "), ["weights_source"]),
        (dict(license=""), ["license"]),
        (dict(tile_spec=bp.TileSpec(size=224, resolution=bp.Level(0))), ["tile_spec.resolution"]),
        (dict(mean=(0.5, 0.5)), ["mean"]),
        (dict(std=(0.2, 0.0, math.inf)), ["std[1]", "std[2]"]),
        (dict(num_channels=4, mean=(0.5,) * 4, std=(0.2,) * 4), ["color_space"]),
        (dict(patch_size=15), ["patch_size"]),
        (dict(patch_size=None), ["patch_size"]),
        (dict(architecture="resnet", patch_size=None, output_type="patch_mean"), ["num_prefix_tokens"]),
        (dict(num_prefix_tokens=0), ["num_prefix_tokens"]),
        (dict(architecture="swin", patch_size=None, num_prefix_tokens=0), ["output_type"]),
        (dict(embedding_dim=1535), ["embedding_dim"]),
        (dict(embedding_dim=0), ["embedding_dim"]),
        (dict(output_type="dense"), ["output_spatial_dims"]),
        (dict(output_type="dense", output_spatial_dims=(8, 16)), ["output_spatial_dims"]),
        (dict(output_spatial_dims=(16, 16)), ["output_spatial_dims"]),
        (dict(output_type=None), ["output_type"]),
        (dict(output_type="clss", interpolation="cubic", color_space="rgb", stain_normalization="macenco",
              architecture="vitt", precision="fp8"),
         ["interpolation", "color_space", "stain_normalization", "architecture", "output_type", "precision"]),
    ],
)
def test_model_spec_reports_every_violation_by_field(changes, fields):
    with pytest.raises(bp.ValidationError) as error:
        bp.ModelSpec(**{**H0_MINI_FIELDS, **changes})
    assert sorted(fields_of(error)) == sorted(fields)
    assert error.value.type_name == "ModelSpec"
    assert str(error.value).startswith("invalid ModelSpec:")


def test_an_unknown_word_suggests_the_nearest_and_keeps_the_other_rules():
    with pytest.raises(bp.ValidationError) as error:
        bp.ModelSpec(**{**H0_MINI_FIELDS, "output_type": "cls+patch_men", "embedding_dim": 0})
    assert str(error.value) == (
        "invalid ModelSpec:\n"
        '  output_type: expected one of cls | patch_mean | cls+patch_mean | dense | token_sequence, got "cls+patch_men"'
        ' (did you mean "cls+patch_mean"?)\n'
        "  embedding_dim: expected a whole number in [1, 16777216], got 0")


def test_dense_spec_derived_values():
    spec = bp.ModelSpec(**{**H0_MINI_FIELDS, "output_type": "dense", "output_spatial_dims": (16, 16),
                           "embedding_dim": 768})
    assert spec.output_spatial_dims == (16, 16)
    assert spec.output_shape == (768, 16, 16)
    sequence = spec.replace(output_type="token_sequence", output_spatial_dims=None)
    assert sequence.output_shape == (261, 768)


def test_every_builtin_config_round_trips_through_yaml(temp_dir):
    for spec in bp.Registry.builtin():
        assert bp.parse_spec(spec.to_yaml(), f"{spec.model_name}.yaml") == spec
        path = temp_dir / f"{spec.model_name}.yaml"
        path.write_text(bp.to_yaml(spec))
        assert bp.load_spec(path) == spec
        assert bp.load_spec(str(path)) == spec
    assert len(bp.Registry.from_directory(temp_dir)) == len(bp.Registry.builtin())


def test_config_errors_carry_the_located_diagnostics(temp_dir):
    text = bp.Registry.builtin().get(bp.Models.H0_MINI).to_yaml()
    text = re.sub(r"embedding_dim: 1536", "embedding_dim: 1536.5", text)
    text = re.sub(r"precision: fp16", "precision: fp15", text)
    path = temp_dir / "h0-mini.yaml"
    path.write_text(text)
    lines = text.splitlines()
    embedding_line = next(i for i, line in enumerate(lines, 1) if line.startswith("embedding_dim:"))
    precision_line = next(i for i, line in enumerate(lines, 1) if line.startswith("precision:"))
    with pytest.raises(bp.ConfigError) as error:
        bp.load_spec(path)
    assert isinstance(error.value, ValueError) and isinstance(error.value, bp.Error)
    diagnostics = error.value.diagnostics
    assert [(d.path, d.line, d.column, d.field) for d in diagnostics] == [
        (str(path), embedding_line, 16, "embedding_dim"), (str(path), precision_line, 12, "precision")]
    assert str(error.value) == "\n".join(str(d) for d in diagnostics)
    assert str(diagnostics[1]) == (f'{path}:{precision_line}:12: error: precision: expected one of fp32 | fp16 | bf16, '
                                   'got "fp15" (did you mean "fp16"?)')
    # A directory with one bad file loads nothing.
    (temp_dir / "uni.yaml").write_text(bp.Registry.builtin().get(bp.Models.UNI).to_yaml())
    with pytest.raises(bp.ConfigError) as error:
        bp.Registry.from_directory(temp_dir)
    assert {d.path for d in error.value.diagnostics} == {str(path)}


def test_parse_spec_names_its_source_and_a_missing_file_is_a_config_error(temp_dir):
    with pytest.raises(bp.ConfigError, match=r"^mine\.yaml:1:\d+: error: ") as error:
        bp.parse_spec("model_name: [", "mine.yaml")
    assert error.value.diagnostics[0].line == 1
    with pytest.raises(bp.ConfigError, match="missing.yaml"):
        bp.load_spec(temp_dir / "missing.yaml")
