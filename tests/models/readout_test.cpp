// Readout against numpy: tests/data/readout/make_reference.py writes backbone
// outputs and what numpy reads out of them; these tests read the same outputs
// with bioptimus::models::Readout.
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "bioptimus/models/readout.hpp"

namespace {

using bioptimus::extraction::wsi::TileSpec;
using bioptimus::io::wsi::MPP;
using bioptimus::models::Architecture;
using bioptimus::models::BFloat16;
using bioptimus::models::Half;
using bioptimus::models::ModelSpec;
using bioptimus::models::OutputType;
using bioptimus::models::Readout;
using bioptimus::models::ReadoutError;
using bioptimus::models::SpatialDims;

// The shapes of make_reference.py.
constexpr std::int64_t batch = 3;
constexpr std::int64_t prefix = 5;
constexpr std::int64_t grid_height = 3;
constexpr std::int64_t grid_width = 2;
constexpr std::int64_t width = 4;
constexpr std::int64_t tokens = prefix + grid_height * grid_width;

template <typename T>
std::vector<T> read_data(const std::string& name) {
  const std::filesystem::path path = std::filesystem::path{BIOPTIMUS_TEST_DATA_DIR} / "readout" / name;
  std::ifstream stream(path, std::ios::binary);
  REQUIRE(stream);
  const std::vector<char> bytes{std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>()};
  REQUIRE(bytes.size() % sizeof(T) == 0);
  std::vector<T> values(bytes.size() / sizeof(T));
  std::memcpy(values.data(), bytes.data(), bytes.size());
  return values;
}

// A ViT with 4 registers whose grid is 2 wide and 3 high (a transposed grid would show).
ModelSpec tiny_spec(OutputType output_type, std::int64_t embedding_dim) {
  ModelSpec::Fields fields{
      .model_name = "tiny-reg",
      .version = "1.0.0",
      .tile_spec = TileSpec{{.size = {grid_width * 16, grid_height * 16}, .resolution = MPP{0.5}}},
      .mean = {0.5, 0.5, 0.5},
      .std = {0.25, 0.25, 0.25},
      .patch_size = 16,
      .num_prefix_tokens = prefix,
      .embedding_dim = embedding_dim,
      .output_type = output_type,
  };
  if (output_type == OutputType::dense) {
    fields.output_spatial_dims = SpatialDims{.width = grid_width, .height = grid_height};
  }
  return ModelSpec{fields};
}

template <typename Element>
std::vector<float> read_out(const Readout& readout, const std::vector<Element>& input) {
  std::vector<float> out(input.size() / readout.input_size() * readout.output_size());
  readout.apply(std::span<const Element>{input}, std::span<float>{out});
  return out;
}

void require_close(const std::vector<float>& actual, const std::vector<float>& expected) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    INFO("element " << i);
    REQUIRE(actual[i] == Approx(expected[i]).epsilon(1e-6).margin(1e-6));
  }
}

struct Case {
  OutputType output_type;
  std::int64_t embedding_dim;
  std::string reference;
};

const std::vector<Case> cases{
    {OutputType::cls, width, "cls"},
    {OutputType::patch_mean, width, "patch_mean"},
    {OutputType::cls_patch_mean, 2 * width, "cls_patch_mean"},
    {OutputType::dense, width, "dense"},
    {OutputType::token_sequence, width, "token_sequence"},
};

const std::vector<std::int64_t> token_shape{tokens, width};

}  // namespace

TEST_CASE("16-bit floats decode exactly as numpy and torch decode them", "[readout]") {
  const auto halves = read_data<std::uint16_t>("halves.u16");
  const auto half_values = read_data<float>("halves.f32");
  REQUIRE(halves.size() == half_values.size());
  for (std::size_t i = 0; i < halves.size(); ++i) {
    INFO("fp16 bits " << halves[i]);
    // Bit equality: NaN payloads, signed zeros and subnormals included.
    REQUIRE(std::bit_cast<std::uint32_t>(bioptimus::models::to_float(Half{halves[i]})) ==
            std::bit_cast<std::uint32_t>(half_values[i]));
  }
  const auto bfloats = read_data<std::uint16_t>("bfloats.u16");
  const auto bfloat_values = read_data<float>("bfloats.f32");
  REQUIRE(bfloats.size() == bfloat_values.size());
  for (std::size_t i = 0; i < bfloats.size(); ++i) {
    INFO("bf16 bits " << bfloats[i]);
    REQUIRE(std::bit_cast<std::uint32_t>(bioptimus::models::to_float(BFloat16{bfloats[i]})) ==
            std::bit_cast<std::uint32_t>(bfloat_values[i]));
  }
}

TEST_CASE("Token outputs read out as numpy does, registers left out of the mean", "[readout]") {
  const auto f32 = read_data<float>("tokens.f32");
  const auto f16 = read_data<Half>("tokens.f16");
  const auto bf16 = read_data<BFloat16>("tokens.bf16");
  REQUIRE(f32.size() == static_cast<std::size_t>(batch * tokens * width));
  for (const Case& c : cases) {
    SECTION(c.reference) {
      const Readout readout{tiny_spec(c.output_type, c.embedding_dim), token_shape};
      require_close(read_out(readout, f32), read_data<float>(c.reference + ".f32.f32"));
      require_close(read_out(readout, f16), read_data<float>(c.reference + ".f16.f32"));
      require_close(read_out(readout, bf16), read_data<float>(c.reference + ".bf16.f32"));
    }
  }
}

TEST_CASE("A backbone that pools itself passes through", "[readout]") {
  const Readout readout{tiny_spec(OutputType::cls_patch_mean, 2 * width), std::vector<std::int64_t>{2 * width}};
  REQUIRE(readout.passes_through());
  const std::vector<float> pooled{1, 2, 3, 4, 5, 6, 7, 8, -1, -2, -3, -4, -5, -6, -7, -8};
  REQUIRE(read_out(readout, pooled) == pooled);
}

TEST_CASE("A CNN feature map reads out as its spatial mean for patch_mean", "[readout]") {
  const ModelSpec spec{{
      .model_name = "tiny-cnn",
      .version = "1.0.0",
      .tile_spec = TileSpec{{.size = {32, 32}, .resolution = MPP{0.5}}},
      .mean = {0.5, 0.5, 0.5},
      .std = {0.25, 0.25, 0.25},
      .architecture = Architecture::resnet,
      .embedding_dim = width,
      .output_type = OutputType::patch_mean,
  }};
  const Readout readout{spec, std::vector<std::int64_t>{width, grid_height, grid_width}};
  REQUIRE_FALSE(readout.passes_through());
  require_close(read_out(readout, read_data<float>("feature_map.f32")), read_data<float>("feature_map_mean.f32"));
}

TEST_CASE("A shape mismatch names the spec field and both numbers", "[readout]") {
  const ModelSpec spec = tiny_spec(OutputType::cls_patch_mean, 2 * width);
  SECTION("token count") {
    REQUIRE_THROWS_WITH((Readout{spec, std::vector<std::int64_t>{tokens - 4, width}, "tiny.pt"}),
                        "tiny.pt: model output has 7 tokens; tiny-reg expects sequence_length 11 "
                        "(num_prefix_tokens 5 + 6 patches)");
  }
  SECTION("token width and count, both reported") {
    REQUIRE_THROWS_WITH((Readout{spec, std::vector<std::int64_t>{tokens + 1, 2 * width}}),
                        "model output has 12 tokens; tiny-reg expects sequence_length 11 "
                        "(num_prefix_tokens 5 + 6 patches)\n"
                        "model output has tokens 8 wide; tiny-reg expects token_dim 4 "
                        "(embedding_dim 8 / 2 for cls+patch_mean)");
  }
  SECTION("pooled width") {
    REQUIRE_THROWS_WITH((Readout{spec, std::vector<std::int64_t>{width}}),
                        "model output has 4 features per tile; tiny-reg expects embedding_dim 8");
  }
  SECTION("dense map size") {
    REQUIRE_THROWS_WITH((Readout{tiny_spec(OutputType::dense, width), std::vector<std::int64_t>{width, 3, 3}}),
                        "model output has 3 on axis 3 of [4, 3, 3]; tiny-reg expects output_spatial_dims width 2");
  }
  SECTION("an absurd size") {
    REQUIRE_THROWS_WITH((Readout{spec, std::vector<std::int64_t>{width, std::int64_t{1} << 40, 8}}),
                        "model output has shape [4, 1099511627776, 8]: more than 2^40 elements per tile");
  }
  SECTION("empty axis") { REQUIRE_THROWS_AS((Readout{spec, std::vector<std::int64_t>{0, width}}), ReadoutError); }
  SECTION("a rank nothing reads") {
    REQUIRE_THROWS_WITH((Readout{spec, std::vector<std::int64_t>{1, tokens, width}}),
                        "model output has shape [1, 11, 4] per tile; tiny-reg expects [8] or tokens [11, 4] "
                        "for cls+patch_mean");
  }
}
