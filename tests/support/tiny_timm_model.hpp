// A tiny timm ViT written from C++ for the engine's and the backbone's tests:
// a vit_base_patch14_reg4_dinov2 of width 16, depth 1, 2 heads and 28 px
// tiles, its tensors named as timm names them, every weight 0.01, as
// model.safetensors (F32) beside a timm config.json. Its numbers mean
// nothing; tests/engine/check_parity.py checks the numbers against torch.
#ifndef BIOPTIMUS_TESTS_TINY_TIMM_MODEL_HPP
#define BIOPTIMUS_TESTS_TINY_TIMM_MODEL_HPP

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bioptimus/models/registry.hpp"

namespace bioptimus::testing {

/// Tensor name -> shape.
using Shapes = std::map<std::string, std::vector<std::int64_t>>;

/// The model_args of the tiny model's config.json.
inline constexpr const char* tiny_args = R"({"img_size": 28, "embed_dim": 16, "depth": 1, "num_heads": 2})";

// A tiny vit_base_patch14_reg4_dinov2 (width 16, depth 1, 2 heads, 28 px):
// its tensors by name, as timm names them.
inline Shapes tiny_shapes(std::int64_t fc2_in = 64) {
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
inline void write_model(const std::filesystem::path& dir, const Shapes& shapes, const std::string& model_args) {
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

/// A spec for the tiny model: `prefix` prefix tokens, `size` px tiles, CLS readout (16 floats).
inline models::ModelSpec tiny_timm_spec(std::int64_t prefix = 5, std::int64_t size = 28,
                                        std::optional<std::string> weights_source = std::nullopt) {
  models::ModelSpec::Fields fields =
      models::load_spec(std::filesystem::path{BIOPTIMUS_TEST_DATA_DIR} / "models" / "tiny-vit-reg4.yaml").fields();
  fields.model_name = "tiny";
  fields.patch_size = 14;
  fields.num_prefix_tokens = prefix;
  fields.embedding_dim = 16;
  fields.output_type = models::OutputType::cls;
  fields.weights_source = std::move(weights_source);
  const auto side = static_cast<double>(size);
  fields.tile_spec = extraction::wsi::TileSpec{{.size = {side, side},
                                                .stride = {side, side},
                                                .resolution = io::wsi::MPP{0.5},
                                                .unit = io::wsi::MeasurementUnit::pixels}};
  return models::ModelSpec{fields};
}

}  // namespace bioptimus::testing

#endif  // BIOPTIMUS_TESTS_TINY_TIMM_MODEL_HPP
