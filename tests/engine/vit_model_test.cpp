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

namespace {

using bioptimus::engine::EngineError;
using bioptimus::engine::EngineOptions;
using bioptimus::engine::VitModel;
using Shapes = std::map<std::string, std::vector<std::int64_t>>;

// A tiny vit_base_patch14_reg4_dinov2 (width 16, depth 1, 2 heads, 28 px):
// its tensors by name, as timm names them.
Shapes tiny_shapes(std::int64_t fc2_in = 64) {
  const std::int64_t d = 16;
  Shapes shapes{{"patch_embed.proj.weight", {d, 3, 14, 14}},
                {"patch_embed.proj.bias", {d}},
                {"cls_token", {1, 1, d}},
                {"reg_token", {1, 4, d}},
                {"pos_embed", {1, 4, d}},
                {"norm.weight", {d}},
                {"norm.bias", {d}}};
  const std::string b = "blocks.0.";
  for (const char* norm : {"norm1", "norm2"}) {
    shapes[b + norm + ".weight"] = {d};
    shapes[b + norm + ".bias"] = {d};
  }
  shapes[b + "attn.qkv.weight"] = {3 * d, d};
  shapes[b + "attn.qkv.bias"] = {3 * d};
  shapes[b + "attn.proj.weight"] = {d, d};
  shapes[b + "attn.proj.bias"] = {d};
  shapes[b + "ls1.gamma"] = {d};
  shapes[b + "ls2.gamma"] = {d};
  shapes[b + "mlp.fc1.weight"] = {64, d};
  shapes[b + "mlp.fc1.bias"] = {64};
  shapes[b + "mlp.fc2.weight"] = {d, fc2_in};
  shapes[b + "mlp.fc2.bias"] = {d};
  return shapes;
}

// Writes model.safetensors (F32, every value 0.01) and config.json into `dir`.
void write_model(const std::filesystem::path& dir, const Shapes& shapes, const std::string& model_args) {
  std::string header = "{";
  std::uint64_t offset = 0;
  for (const auto& [name, shape] : shapes) {
    std::int64_t count = 1;
    std::string dims;
    for (const std::int64_t extent : shape) {
      count *= extent;
      dims += (dims.empty() ? "" : ",") + std::to_string(extent);
    }
    const std::uint64_t end = offset + static_cast<std::uint64_t>(count) * 4;
    header += (header.size() > 1 ? "," : "") + std::string{"\""} + name + R"(":{"dtype":"F32","shape":[)" + dims +
              "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(end) + "]}";
    offset = end;
  }
  header += "}";
  std::ofstream out(dir / "model.safetensors", std::ios::binary);
  const std::uint64_t length = header.size();
  out.write(reinterpret_cast<const char*>(&length), 8);
  out << header;
  const std::vector<float> values(offset / 4, 0.01F);
  out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(offset));
  std::ofstream(dir / "config.json") << R"({"architecture": "vit_base_patch14_reg4_dinov2", "model_args": )"
                                     << model_args << R"(, "pretrained_cfg": {"input_size": [3, 28, 28]}})";
}

constexpr const char* tiny_args = R"({"img_size": 28, "embed_dim": 16, "depth": 1, "num_heads": 2})";

bioptimus::models::ModelSpec spec(std::int64_t prefix = 5, std::int64_t size = 28,
                                  std::optional<std::string> weights_source = std::nullopt) {
  bioptimus::models::ModelSpec::Fields fields =
      bioptimus::models::load_spec(std::filesystem::path{BIOPTIMUS_TEST_DATA_DIR} / "models" / "tiny-vit-reg4.yaml")
          .fields();
  fields.model_name = "tiny";
  fields.patch_size = 14;
  fields.num_prefix_tokens = prefix;
  fields.embedding_dim = 16;
  fields.output_type = bioptimus::models::OutputType::cls;
  fields.weights_source = std::move(weights_source);
  const auto side = static_cast<double>(size);
  fields.tile_spec = bioptimus::extraction::wsi::TileSpec{{.size = {side, side},
                                                           .stride = {side, side},
                                                           .resolution = bioptimus::io::wsi::MPP{0.5},
                                                           .unit = bioptimus::io::wsi::MeasurementUnit::pixels}};
  return bioptimus::models::ModelSpec{fields};
}

EngineOptions options(std::optional<bioptimus::models::Precision> precision, int threads = 0,
                      std::string create_model_args = {}) {
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
  VitModel model = VitModel::load(dir.path(), spec(), options(std::nullopt, 2));
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

TEST_CASE("bf16 where the CPU has it, else fp32 and a note that says so") {
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
  const VitModel fp16 = VitModel::load(dir.path(), spec(), options(bioptimus::models::Precision::fp16));
  CHECK_THAT(fp16.precision_note(),
             Catch::Contains("fp16 requested, but oneDNN 2.6 has no fp16 matrix product on CPUs"));
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
  CHECK(VitModel::load(dir.path(), spec(),
                       options(std::nullopt, 0, R"({"mlp_layer": "SwiGLUPacked", "act_layer": "silu"})"))
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
  CHECK(VitModel::load(dir.path(), spec(5, 42), options(std::nullopt, 0, R"({"dynamic_img_size": true})"))
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
