// VitModel: what it refuses at load (weights that do not fit the
// architecture, naming the tensor and both shapes; a configuration that
// misses the packed SwiGLU the shapes show; files that are not there; a spec
// that disagrees) and at run (wrong buffer sizes). The numbers themselves are
// checked against torch by check_parity.py.
#include "bioptimus/engine/vit_model.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "bioptimus/models/registry.hpp"
#include "temp_dir.hpp"
#include "tiny_timm_model.hpp"

namespace {

using bioptimus::engine::EngineError;
using bioptimus::engine::EngineOptions;
using bioptimus::engine::VitModel;
using bioptimus::testing::Shapes;

using bioptimus::testing::tiny_args;
using bioptimus::testing::tiny_shapes;
using bioptimus::testing::write_model;

bioptimus::models::ModelSpec spec(std::int64_t prefix = 5, std::int64_t size = 28,
                                  std::optional<std::string> weights_source = std::nullopt) {
  return bioptimus::testing::tiny_timm_spec(prefix, size, std::move(weights_source));
}

EngineOptions options(bioptimus::models::Precision precision, int threads = 0, std::string create_model_args = {}) {
  EngineOptions result;
  result.precision = precision;
  result.threads = threads;
  result.create_model_args = std::move(create_model_args);
  return result;
}

std::string load_error(const std::filesystem::path& weights, const bioptimus::models::ModelSpec& s,
                       const EngineOptions& engine_options = {}) {
  try {
    (void)VitModel::load(weights, s, engine_options);
  } catch (const bioptimus::Error& error) {
    return error.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("a model loads from a snapshot folder or its .safetensors file, and runs a batch") {
  const bioptimus::testing::TempDir dir;
  write_model(dir.path(), tiny_shapes(), tiny_args);
  VitModel model = VitModel::load(dir.path(), spec(), options(bioptimus::models::Precision::fp32, 2));
  CHECK(model.tokens_per_tile() == 9);
  CHECK(model.token_dim() == 16);
  CHECK(model.tile_size() == 3 * 28 * 28);
  CHECK(model.threads() == 2);
  CHECK(model.weights_file() == dir.path() / "model.safetensors");
  CHECK_THAT(model.describe(), Catch::Contains("vit_base_patch14_reg4_dinov2: patch 14, 16 wide, 1 blocks of 2 heads"));
  CHECK_THAT(model.describe(), Catch::Contains("input: 3x28x28, patch grid 2x2, 9 tokens of 16"));
  std::vector<float> tiles(2 * model.tile_size(), 0.5F);
  std::vector<float> tokens(2 * 9 * 16);
  model.run(tiles, tokens);
  // Every input the same, every weight 0.01: both tiles give the same tokens, all finite.
  CHECK(std::equal(tokens.begin(), tokens.begin() + 144, tokens.begin() + 144));
  CHECK(std::all_of(tokens.begin(), tokens.end(), [](float v) { return std::isfinite(v); }));
  CHECK_THROWS_WITH(
      model.run(std::span<const float>(tiles).first(100), tokens),
      Catch::Contains("run() needs whole tiles of 2352 floats and 144 floats of tokens per tile; got 100"));
  CHECK_THROWS_AS(model.run(tiles, std::span<float>(tokens).first(10)), EngineError);
  CHECK(VitModel::load(dir.path() / "model.safetensors", spec()).token_dim() == 16);
}

TEST_CASE("bf16 where oneDNN runs it, else fp32 and a note that says so; fp16 refused") {
  const bioptimus::testing::TempDir dir;
  write_model(dir.path(), tiny_shapes(), tiny_args);
  const VitModel model = VitModel::load(dir.path(), spec(), options(bioptimus::models::Precision::bf16));
  if (model.precision() == bioptimus::models::Precision::fp32) {
    CHECK_THAT(model.precision_note(), Catch::Contains("bf16 requested, but oneDNN runs no bf16 matrix product on this "
                                                       "CPU") &&
                                           Catch::Contains("running fp32"));
  } else {
    CHECK(model.precision_note().empty());
  }
  const VitModel fp32 = VitModel::load(dir.path(), spec(), options(bioptimus::models::Precision::fp32));
  CHECK(fp32.precision() == bioptimus::models::Precision::fp32);
  CHECK(fp32.precision_note().empty());
  CHECK_THAT(load_error(dir.path(), spec(), options(bioptimus::models::Precision::fp16)),
             Catch::Contains("precision fp16: oneDNN 2.6 has no fp16 matrix product on CPUs"));
}

TEST_CASE("weights that do not fit the architecture name every tensor and both shapes") {
  const bioptimus::testing::TempDir dir;
  Shapes shapes = tiny_shapes();
  shapes["blocks.0.attn.qkv.weight"] = {48, 15};
  shapes.erase("blocks.0.attn.proj.bias");
  shapes["head.weight"] = {10, 16};  // a classifier head is ignored
  shapes["mask_token"] = {1, 16};    // anything else is refused
  write_model(dir.path(), shapes, tiny_args);
  const std::string error = load_error(dir.path(), spec());
  CHECK_THAT(error, Catch::Contains("model.safetensors: the weights do not fit vit_base_patch14_reg4_dinov2"));
  CHECK_THAT(error, Catch::Contains("blocks.0.attn.qkv.weight: shape [48, 15], expected [48, 16]"));
  CHECK_THAT(error, Catch::Contains("blocks.0.attn.proj.bias: missing; expected shape [16]"));
  CHECK_THAT(error, Catch::Contains("mask_token [1, 16]: not a parameter of this architecture"));
  CHECK_THAT(error, !Catch::Contains("head.weight"));
}

TEST_CASE("a packed SwiGLU in the weights of an Mlp architecture is refused with what the card passes") {
  const bioptimus::testing::TempDir dir;
  // H0-mini's shapes: fc2 takes half of fc1's 64 outputs.
  write_model(dir.path(), tiny_shapes(32), tiny_args);
  const std::string error = load_error(dir.path(), spec());
  CHECK_THAT(error,
             Catch::Contains("blocks.0.mlp.fc2.weight: shape [16, 32], expected [16, 64] (these are the shapes of "
                             "a packed SwiGLU: fc2 takes half of fc1's 64 outputs; timm's "
                             "vit_base_patch14_reg4_dinov2 is an Mlp, so the model card must pass "
                             "mlp_layer=SwiGLUPacked, act_layer=SiLU to create_model"));
  // The caller's create_model arguments, or the card known by the spec's weights_source, say so.
  CHECK(VitModel::load(
            dir.path(), spec(),
            options(bioptimus::models::Precision::fp32, 0, R"({"mlp_layer": "SwiGLUPacked", "act_layer": "silu"})"))
            .architecture()
            .mlp() == bioptimus::engine::MlpKind::swiglu_packed);
  CHECK(VitModel::load(dir.path(), spec(5, 28, "bioptimus/H0-mini")).architecture().activation() ==
        bioptimus::engine::Activation::silu);
  // And the other way round.
  const bioptimus::testing::TempDir plain;
  write_model(plain.path(), tiny_shapes(64), tiny_args);
  CHECK_THAT(load_error(plain.path(), spec(5, 28, "bioptimus/H0-mini")),
             Catch::Contains("these are the shapes of a plain Mlp, fc2 taking all of fc1's outputs; the architecture "
                             "says SwiGLUPacked"));
}

TEST_CASE("the spec and the architecture must agree") {
  const bioptimus::testing::TempDir dir;
  write_model(dir.path(), tiny_shapes(), tiny_args);
  const std::string prefix = load_error(dir.path(), spec(1));
  CHECK_THAT(prefix, Catch::Contains("the model does not fit the spec tiny:"));
  CHECK_THAT(prefix, Catch::Contains("the spec's num_prefix_tokens 1 against the model's 5 (CLS + 4 registers)"));
  CHECK_THAT(load_error(dir.path(), spec(5, 42)),
             Catch::Contains("the spec's input 42x42 against the model's img_size 28x28 (timm runs another size only "
                             "with dynamic_img_size"));
  CHECK(VitModel::load(dir.path(), spec(5, 42),
                       options(bioptimus::models::Precision::fp32, 0, R"({"dynamic_img_size": true})"))
            .tokens_per_tile() == 14);
}

TEST_CASE("weights that are not there are named") {
  const bioptimus::testing::TempDir dir;
  CHECK_THAT(load_error(dir.path(), spec()),
             Catch::Contains(": no model.safetensors in this folder (expected a Hugging Face snapshot"));
  std::ofstream(dir.path() / "model.safetensors.index.json") << "{}";
  CHECK_THAT(load_error(dir.path(), spec()), Catch::Contains("a sharded checkpoint"));
  CHECK_THAT(load_error(dir.path() / "missing", spec()), Catch::Contains("missing: no such file or folder"));
  std::ofstream(dir.path() / "model.pt") << "x";
  CHECK_THAT(load_error(dir.path() / "model.pt", spec()),
             Catch::Contains("not a .safetensors file or a folder holding one (the native engine reads safetensors; "
                             "TorchScript .pt files run on LibTorch)"));
  const bioptimus::testing::TempDir lone;
  write_model(lone.path(), tiny_shapes(), tiny_args);
  std::filesystem::remove(lone.path() / "config.json");
  CHECK_THAT(
      load_error(lone.path(), spec()),
      Catch::Contains("config.json: no such file (the native engine needs the timm config.json beside the weights)"));
}
