// ModelSpec: fields and defaults, every validation rule, every derived value.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "bioptimus/models/types.hpp"

using namespace bioptimus::io::wsi;
using namespace bioptimus::models;
using bioptimus::ValidationError;
using bioptimus::Violation;
using bioptimus::extraction::wsi::Extent;
using bioptimus::extraction::wsi::PixelExtent;
using bioptimus::extraction::wsi::TileSpec;
using Catch::Matchers::Contains;
using Catch::Matchers::WithinRel;

namespace {

// The seed's example, with the H0-mini card's 5 prefix tokens and
// full-precision normalisation constants.
ModelSpec::Fields h0_mini_fields() {
  return {
      .model_name = "h0-mini",
      .version = "1.0.0",
      .weights_source = "bioptimus/H0-mini",
      .tile_spec =
          TileSpec{{.size = {224, 224}, .stride = {224, 224}, .resolution = MPP{0.5}, .unit = MeasurementUnit::pixels}},
      .mean = {0.707223, 0.578729, 0.703617},
      .std = {0.211883, 0.230117, 0.177517},
      .patch_size = 14,
      .num_prefix_tokens = 5,
      .embedding_dim = 1536,
      .output_type = OutputType::cls_patch_mean,
  };
}

ModelSpec::Fields resnet_fields() {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.model_name = "resnet50-trunc";
  fields.architecture = Architecture::resnet;
  fields.patch_size = std::nullopt;
  fields.num_prefix_tokens = std::nullopt;
  fields.embedding_dim = 1024;
  fields.output_type = OutputType::patch_mean;
  return fields;
}

// The violations of building `fields`, or none.
std::vector<Violation> violations_of(ModelSpec::Fields fields) {
  try {
    (void)ModelSpec{std::move(fields)};
  } catch (const ValidationError& error) {
    CHECK(error.type_name() == "ModelSpec");
    return error.violations();
  }
  return {};
}

// Building `fields` fails with exactly one violation, of `field`, whose
// message contains `text`.
void require_single_violation(ModelSpec::Fields fields, const std::string& field, const std::string& text) {
  const std::vector<Violation> violations = violations_of(std::move(fields));
  REQUIRE(violations.size() == 1);
  CHECK(violations[0].field == field);
  CHECK_THAT(violations[0].message, Contains(text));
}

}  // namespace

TEST_CASE("ModelSpec keeps every field as given", "[model_spec][fields]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.license = "cc-by-nc-nd-4.0";
  fields.interpolation = Interpolation::bilinear;
  fields.antialias = false;
  fields.color_space = ColorSpace::bgr;
  fields.stain_normalization = StainNormalization::macenko;
  fields.precision = Precision::bf16;
  const ModelSpec spec{fields};
  CHECK(spec.model_name() == "h0-mini");
  CHECK(spec.version() == "1.0.0");
  CHECK(spec.weights_source() == "bioptimus/H0-mini");
  CHECK(spec.license() == "cc-by-nc-nd-4.0");
  CHECK(spec.tile_spec() == fields.tile_spec);
  CHECK(spec.num_channels() == 3);
  CHECK(std::vector<double>(spec.mean().begin(), spec.mean().end()) == fields.mean);
  CHECK(std::vector<double>(spec.std().begin(), spec.std().end()) == fields.std);
  CHECK(spec.interpolation() == Interpolation::bilinear);
  CHECK_FALSE(spec.antialias());
  CHECK(spec.color_space() == ColorSpace::bgr);
  CHECK(spec.stain_normalization() == StainNormalization::macenko);
  CHECK(spec.architecture() == Architecture::vit);
  CHECK(spec.patch_size() == 14);
  CHECK(spec.num_prefix_tokens() == 5);
  CHECK(spec.embedding_dim() == 1536);
  CHECK(spec.output_type() == OutputType::cls_patch_mean);
  CHECK_FALSE(spec.output_spatial_dims().has_value());
  CHECK(spec.precision() == Precision::bf16);
}

TEST_CASE("ModelSpec fills the documented defaults", "[model_spec][defaults]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.weights_source = std::nullopt;
  fields.num_prefix_tokens = std::nullopt;
  const ModelSpec spec{fields};
  CHECK_FALSE(spec.weights_source().has_value());
  CHECK_FALSE(spec.license().has_value());
  CHECK(spec.interpolation() == Interpolation::bicubic);
  CHECK(spec.antialias());
  CHECK(spec.color_space() == ColorSpace::rgb);
  CHECK_FALSE(spec.stain_normalization().has_value());
  CHECK(spec.architecture() == Architecture::vit);
  CHECK(spec.num_prefix_tokens() == 1);  // vit default
  CHECK(spec.precision() == Precision::fp32);
  CHECK(ModelSpec{resnet_fields()}.num_prefix_tokens() == 0);  // default for other architectures
}

TEST_CASE("ModelSpec derives the h0-mini numbers of the design", "[model_spec][derived]") {
  const ModelSpec spec{h0_mini_fields()};
  CHECK(spec.tile_size_pixels() == PixelExtent{.width = 224, .height = 224});
  CHECK(spec.stride_pixels() == PixelExtent{.width = 224, .height = 224});
  CHECK(spec.tile_size_microns() == Extent{112, 112});
  CHECK(spec.stride_microns() == Extent{112, 112});
  CHECK(spec.overlap_pixels() == PixelExtent{.width = 0, .height = 0});
  CHECK(spec.patch_grid() == PatchGrid{.width = 16, .height = 16});
  CHECK(spec.num_patch_tokens() == 256);
  CHECK(spec.sequence_length() == 261);
  CHECK(spec.token_dim() == 768);
  CHECK(spec.input_shape() == std::array<std::int64_t, 3>{3, 224, 224});
  CHECK(spec.output_shape() == std::vector<std::int64_t>{1536});
  CHECK(spec.identity() == "h0-mini@1.0.0");
  CHECK(spec.mpp() == MPP{0.5});
}

TEST_CASE("ModelSpec derives a non-square grid from a non-square tile", "[model_spec][derived]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.tile_spec = TileSpec{{.size = {448, 224}, .resolution = MPP{0.5}}};
  fields.output_type = OutputType::cls;
  fields.embedding_dim = 768;
  const ModelSpec spec{fields};
  // 448 / 14 = 32 columns, 224 / 14 = 16 rows.
  CHECK(spec.patch_grid() == PatchGrid{.width = 32, .height = 16});
  CHECK(spec.num_patch_tokens() == 512);
  CHECK(spec.sequence_length() == 517);
  CHECK(spec.input_shape() == std::array<std::int64_t, 3>{3, 224, 448});
  CHECK(spec.tile_size_microns() == Extent{224, 112});
}

TEST_CASE("ModelSpec derives pixels from a micron tile", "[model_spec][derived][microns]") {
  ModelSpec::Fields fields = h0_mini_fields();
  // 128 um at 4/7 mpp = 224 px; stride 64 um = 112 px.
  fields.tile_spec = TileSpec{
      {.size = Extent{128}, .stride = Extent{64}, .resolution = MPP{0.5714285714285714}, .unit = MeasurementUnit::um}};
  const ModelSpec spec{fields};
  CHECK(spec.tile_size_pixels() == PixelExtent{.width = 224, .height = 224});
  CHECK(spec.stride_pixels() == PixelExtent{.width = 112, .height = 112});
  CHECK(spec.overlap_pixels() == PixelExtent{.width = 112, .height = 112});
  CHECK(spec.tile_size_microns() == Extent{128, 128});
  CHECK(spec.num_patch_tokens() == 256);
}

TEST_CASE("ModelSpec with overlapping tiles reports the overlap in pixels", "[model_spec][derived]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.tile_spec = TileSpec{{.size = {224, 224}, .stride = {168, 112}, .resolution = MPP{0.25}}};
  const ModelSpec spec{fields};
  CHECK(spec.overlap_pixels() == PixelExtent{.width = 56, .height = 112});
  CHECK(spec.stride_microns() == Extent{42, 28});
}

TEST_CASE("ModelSpec of a non-ViT has no grid, no tokens, a pooled output", "[model_spec][derived]") {
  const ModelSpec spec{resnet_fields()};
  CHECK_FALSE(spec.patch_grid().has_value());
  CHECK_FALSE(spec.num_patch_tokens().has_value());
  CHECK_FALSE(spec.sequence_length().has_value());
  CHECK(spec.token_dim() == 1024);
  CHECK(spec.output_shape() == std::vector<std::int64_t>{1024});
}

TEST_CASE("ModelSpec of a dense output has the shape [embedding_dim, height, width]", "[model_spec][derived]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.output_type = OutputType::dense;
  fields.embedding_dim = 768;
  fields.output_spatial_dims = SpatialDims{.width = 16, .height = 16};
  CHECK(ModelSpec{fields}.output_shape() == std::vector<std::int64_t>{768, 16, 16});
  // A CNN's feature map need not match any patch grid.
  ModelSpec::Fields cnn = resnet_fields();
  cnn.output_type = OutputType::dense;
  cnn.output_spatial_dims = SpatialDims{.width = 7, .height = 14};
  CHECK(ModelSpec{cnn}.output_shape() == std::vector<std::int64_t>{1024, 14, 7});
}

TEST_CASE("A non-square dense output keeps width and height apart", "[model_spec][derived][rule8]") {
  ModelSpec::Fields fields = h0_mini_fields();
  // 448 x 224 px with 14 px patches: 32 columns, 16 rows.
  fields.tile_spec = TileSpec{{.size = {448, 224}, .stride = {224, 112}, .resolution = MPP{0.5}}};
  fields.output_type = OutputType::dense;
  fields.embedding_dim = 768;
  fields.output_spatial_dims = SpatialDims{.width = 32, .height = 16};
  const ModelSpec spec{fields};
  CHECK(spec.patch_grid() == PatchGrid{.width = 32, .height = 16});
  CHECK(spec.output_spatial_dims() == SpatialDims{.width = 32, .height = 16});
  CHECK(spec.stride_pixels() == PixelExtent{.width = 224, .height = 112});
  CHECK(spec.overlap_pixels() == PixelExtent{.width = 224, .height = 112});
  CHECK(spec.input_shape() == std::array<std::int64_t, 3>{3, 224, 448});
  CHECK(spec.output_shape() == std::vector<std::int64_t>{768, 16, 32});
  // The transposed feature map is the classic swap: it must be refused.
  fields.output_spatial_dims = SpatialDims{.width = 16, .height = 32};
  require_single_violation(fields, "output_spatial_dims",
                           "expected the patch grid [16, 32] (tile / patch_size), got [32, 16]");
}

TEST_CASE("ModelSpec of a token sequence has the shape [sequence_length, token_dim]", "[model_spec][derived]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.output_type = OutputType::token_sequence;
  fields.embedding_dim = 768;
  const ModelSpec spec{fields};
  CHECK(spec.token_dim() == 768);
  CHECK(spec.output_shape() == std::vector<std::int64_t>{261, 768});
}

TEST_CASE("ModelSpec is a regular value: copies compare equal, changes do not", "[model_spec][value]") {
  const ModelSpec spec{h0_mini_fields()};
  const ModelSpec copy = spec;  // NOLINT(performance-unnecessary-copy-initialization): the copy is the point
  CHECK(copy == spec);
  ModelSpec::Fields changed = spec.fields();
  changed.precision = Precision::fp16;
  CHECK(ModelSpec{changed} != spec);
  CHECK(ModelSpec{spec.fields()} == spec);
  ModelSpec assigned{resnet_fields()};
  assigned = spec;
  CHECK(assigned == spec);
}

TEST_CASE("ModelSpec treats an explicit default and an omitted one alike", "[model_spec][value]") {
  ModelSpec::Fields implicit_prefix = h0_mini_fields();
  implicit_prefix.num_prefix_tokens = std::nullopt;
  ModelSpec::Fields explicit_prefix = h0_mini_fields();
  explicit_prefix.num_prefix_tokens = 1;
  CHECK(ModelSpec{implicit_prefix} == ModelSpec{explicit_prefix});
}

// ---- Rule 1: identity ------------------------------------------------------

TEST_CASE("model_name must be lowercase words joined by - . _", "[model_spec][validation][rule1]") {
  for (const char* good : {"h0-mini", "uni2-h", "a", "model.v2_b-1", "resnet50-trunc-in1k"}) {
    CHECK(ModelSpec::is_valid_model_name(good));
  }
  for (const char* bad : {"", "H0-mini", "h0--mini", "-h0", "h0-", "h0 mini", "h0/mini", "é"}) {
    CHECK_FALSE(ModelSpec::is_valid_model_name(bad));
  }
  CHECK_FALSE(ModelSpec::is_valid_model_name(std::string(129, 'a')));
  ModelSpec::Fields fields = h0_mini_fields();
  fields.model_name = "H0-Mini";
  require_single_violation(fields, "model_name", "got \"H0-Mini\"");
}

TEST_CASE("version must be SemVer 2.0", "[model_spec][validation][rule1]") {
  for (const char* good : {"1.0.0", "0.0.1", "10.20.30", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-0.3.7",
                           "1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85", "1.0.0-x-y-z.--"}) {
    CHECK(ModelSpec::is_valid_version(good));
  }
  for (const char* bad : {"", "1", "1.0", "1.0.0.0", "01.0.0", "1.02.0", "v1.0.0", "1.0.0-", "1.0.0+", "1.0.0-01",
                          "1.0.0-a..b", "1.0.0+a_b", " 1.0.0", "-1.0.0"}) {
    CHECK_FALSE(ModelSpec::is_valid_version(bad));
  }
  ModelSpec::Fields fields = h0_mini_fields();
  fields.version = "1.0";
  require_single_violation(fields, "version", "expected a SemVer 2.0 version");
}

TEST_CASE("weights_source and license must not be blank when given", "[model_spec][validation][rule1]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.weights_source = "  ";
  require_single_violation(fields, "weights_source", "expected a non-empty");
  fields = h0_mini_fields();
  fields.license = "";
  require_single_violation(fields, "license", "expected a non-empty licence identifier");
}

// ---- Rule 2: physical resolution -------------------------------------------

TEST_CASE("A ModelSpec's tile needs an MPP resolution", "[model_spec][validation][rule2]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.tile_spec = TileSpec{{.size = {224, 224}, .resolution = Magnification{20}}};
  require_single_violation(fields, "tile_spec.resolution", "got 20x");
}

// ---- Rules 3 and 4: channels and normalisation -----------------------------

TEST_CASE("num_channels must be at least 1", "[model_spec][validation][rule3]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.num_channels = 0;
  fields.mean = {};
  fields.std = {};
  require_single_violation(fields, "num_channels", "got 0");
}

TEST_CASE("mean and std need one value per channel", "[model_spec][validation][rule3]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.mean = {0.5, 0.5};
  require_single_violation(fields, "mean", "expected 3 values (one per channel), got 2");
  fields = h0_mini_fields();
  fields.std = {0.2, 0.2, 0.2, 0.2};
  require_single_violation(fields, "std", "got 4");
}

TEST_CASE("A long list is elided in a message, not copied whole", "[model_spec][validation]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.mean.assign(100000, 0.5);
  const std::vector<Violation> violations = violations_of(fields);
  REQUIRE(violations.size() == 1);
  CHECK(violations[0].message ==
        "expected 3 values (one per channel), got 100000: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, ...]");
}

TEST_CASE("mean values must be finite; std values finite and > 0", "[model_spec][validation][rule3]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.mean[1] = std::numeric_limits<double>::quiet_NaN();
  require_single_violation(fields, "mean[1]", "expected a finite number, got nan");
  fields = h0_mini_fields();
  fields.std[2] = 0.0;
  require_single_violation(fields, "std[2]", "expected a finite number > 0, got 0");
  fields = h0_mini_fields();
  fields.std[0] = -0.0;
  require_single_violation(fields, "std[0]", "got -0");
}

TEST_CASE("Colour spaces need three channels", "[model_spec][validation][rule4]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.num_channels = 1;
  fields.mean = {0.5};
  fields.std = {0.5};
  fields.color_space = ColorSpace::hed;
  require_single_violation(fields, "color_space", "HED needs num_channels == 3, got num_channels 1");
}

// ---- Rule 5: architecture ---------------------------------------------------

TEST_CASE("A vit needs a patch_size", "[model_spec][validation][rule5]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.patch_size = std::nullopt;
  require_single_violation(fields, "patch_size", "required for architecture vit");
  fields.patch_size = 0;
  require_single_violation(fields, "patch_size", "expected a whole number > 0, got 0");
}

TEST_CASE("A vit's tile sides must be multiples of patch_size", "[model_spec][validation][rule5]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.patch_size = 16;  // 224 / 16 = 14 works; 224 / 15 does not
  CHECK(ModelSpec{fields}.patch_grid() == PatchGrid{.width = 14, .height = 14});
  fields.patch_size = 15;
  require_single_violation(fields, "patch_size", "expected a divisor of both tile sides 224 x 224 px, got 15");
}

TEST_CASE("Other architectures take no patch_size and no prefix tokens", "[model_spec][validation][rule5]") {
  ModelSpec::Fields fields = resnet_fields();
  fields.patch_size = 16;
  require_single_violation(fields, "patch_size", "expected null for architecture resnet");
  fields = resnet_fields();
  fields.num_prefix_tokens = 1;
  require_single_violation(fields, "num_prefix_tokens", "expected 0 for architecture resnet");
}

// ---- Rule 6: prefix tokens and token outputs --------------------------------

TEST_CASE("num_prefix_tokens must not be negative", "[model_spec][validation][rule6]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.output_type = OutputType::token_sequence;
  fields.embedding_dim = 768;
  fields.num_prefix_tokens = -1;
  require_single_violation(fields, "num_prefix_tokens", "got -1");
}

TEST_CASE("cls and cls+patch_mean need a vit with a CLS token", "[model_spec][validation][rule6]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.num_prefix_tokens = 0;
  require_single_violation(fields, "num_prefix_tokens", "reads the CLS token: expected >= 1, got 0");
  fields = resnet_fields();
  fields.output_type = OutputType::cls;
  require_single_violation(fields, "output_type", "cls needs a token architecture (vit), got architecture resnet");
}

TEST_CASE("token_sequence needs a vit", "[model_spec][validation][rule6]") {
  ModelSpec::Fields fields = resnet_fields();
  fields.output_type = OutputType::token_sequence;
  require_single_violation(fields, "output_type", "token_sequence needs a token architecture");
}

TEST_CASE("output_type is required", "[model_spec][validation][rule6]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.output_type = std::nullopt;
  require_single_violation(fields, "output_type", "required: expected one of cls | patch_mean | cls+patch_mean");
  // The rules that read output_type are not judged against a made-up one.
  ModelSpec::Fields resnet = resnet_fields();
  resnet.output_type = std::nullopt;
  require_single_violation(resnet, "output_type", "required");
  fields.num_prefix_tokens = 0;
  fields.embedding_dim = 1535;
  require_single_violation(fields, "output_type", "required");
}

TEST_CASE("Rules that compare two fields name the other one", "[model_spec][validation]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.patch_size = 15;
  std::vector<Violation> violations = violations_of(fields);
  REQUIRE(violations.size() == 1);
  CHECK(violations[0].related == std::vector<std::string>{"tile_spec"});
  fields = h0_mini_fields();
  fields.embedding_dim = -1;
  violations = violations_of(fields);
  REQUIRE(violations.size() == 1);
  CHECK(violations[0].related.empty());
}

// ---- Rule 7: embedding width -------------------------------------------------

TEST_CASE("embedding_dim must be > 0", "[model_spec][validation][rule7]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.embedding_dim = 0;
  require_single_violation(fields, "embedding_dim", "got 0");
  fields.embedding_dim = std::int64_t{1} << 40;
  require_single_violation(fields, "embedding_dim", "got 1099511627776");
}

TEST_CASE("cls+patch_mean needs an even embedding_dim", "[model_spec][validation][rule7]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.embedding_dim = 1535;
  require_single_violation(fields, "embedding_dim", "expected an even number, got 1535");
}

// ---- Rule 8: spatial output ---------------------------------------------------

TEST_CASE("dense needs output_spatial_dims", "[model_spec][validation][rule8]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.output_type = OutputType::dense;
  require_single_violation(fields, "output_spatial_dims", "required for output_type dense");
  fields.output_spatial_dims = SpatialDims{.width = 16, .height = 0};
  require_single_violation(fields, "output_spatial_dims", "got [0, 16]");
}

TEST_CASE("A vit's dense output must match the patch grid", "[model_spec][validation][rule8]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.output_type = OutputType::dense;
  fields.output_spatial_dims = SpatialDims{.width = 14, .height = 14};
  require_single_violation(fields, "output_spatial_dims", "expected the patch grid [16, 16]");
}

TEST_CASE("Pooled outputs take no output_spatial_dims", "[model_spec][validation][rule8]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.output_spatial_dims = SpatialDims{.width = 16, .height = 16};
  require_single_violation(fields, "output_spatial_dims", "expected null for output_type cls+patch_mean");
}

TEST_CASE("ModelSpec reports every violation at once, in rule order", "[model_spec][validation]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.model_name = "Bad Name";
  fields.version = "one";
  fields.std[1] = -1.0;
  fields.patch_size = 13;
  fields.embedding_dim = 1537;
  const std::vector<Violation> violations = violations_of(fields);
  REQUIRE(violations.size() == 5);
  CHECK(violations[0].field == "model_name");
  CHECK(violations[1].field == "version");
  CHECK(violations[2].field == "std[1]");
  CHECK(violations[3].field == "patch_size");
  CHECK(violations[4].field == "embedding_dim");
  try {
    (void)ModelSpec{fields};
  } catch (const ValidationError& error) {
    CHECK_THAT(error.what(), Contains("invalid ModelSpec:\n  model_name: ") && Contains("\n  embedding_dim: "));
  }
}

TEST_CASE("A stain target needs its method, in the method's form, with usable values", "[model_spec][stain]") {
  ModelSpec::Fields fields = h0_mini_fields();
  fields.stain_target = reference_stain_vectors;
  CHECK(violations_of(fields) ==
        std::vector<Violation>{{"stain_target",
                                "expected null without a stain_normalization (there is nothing to map to it)",
                                {"stain_normalization"}}});
  fields.stain_normalization = StainNormalization::reinhard;
  CHECK(violations_of(fields) == std::vector<Violation>{{"stain_target",
                                                         "stain_normalization reinhard needs lab_mean and lab_std, "
                                                         "got stain vectors",
                                                         {"stain_normalization"}}});
  fields.stain_normalization = StainNormalization::vahadane;
  CHECK(violations_of(fields).empty());
  CHECK(ModelSpec{fields}.stain_target() == StainTarget{reference_stain_vectors});
  CHECK(ModelSpec{fields}.fields().stain_target == fields.stain_target);

  fields.stain_normalization = StainNormalization::reinhard;
  fields.stain_target = LabStatistics{.mean = {50, std::numeric_limits<double>::quiet_NaN(), 0}, .std = {1, 0, 2}};
  CHECK(violations_of(fields) ==
        std::vector<Violation>{{"stain_target.lab_mean[1]", "expected a finite number, got nan"},
                               {"stain_target.lab_std[1]", "expected a finite number > 0, got 0"}});
}

TEST_CASE("Reference stain targets are torchstain's", "[model_spec][stain]") {
  STATIC_REQUIRE(target_fits(StainNormalization::macenko, reference_stain_target(StainNormalization::macenko)));
  STATIC_REQUIRE(target_fits(StainNormalization::vahadane, reference_stain_target(StainNormalization::vahadane)));
  STATIC_REQUIRE(target_fits(StainNormalization::reinhard, reference_stain_target(StainNormalization::reinhard)));
  STATIC_REQUIRE(reference_stain_vectors.max_concentrations[0] == 1.9705);
  CHECK(stain_target_violations(reference_stain_target(StainNormalization::macenko), "t").empty());
  CHECK(stain_target_violations(reference_stain_target(StainNormalization::reinhard), "t").empty());
}
