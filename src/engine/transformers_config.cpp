// A Hugging Face transformers config.json -> VitArchitecture, for ViTModel
// (model_type "vit": Phikon) and Dinov2Model ("dinov2", and
// "dinov2_with_registers": Phikon-v2, Midnight, Hibou). The networks are
// timm's family with other names (huggingface/transformers @015e687,
// src/transformers/models/{vit,dinov2,dinov2_with_registers}):
// - ViTLayer: layernorm_before, attention (query/key/value, output.dense),
//   layernorm_after, intermediate.dense + hidden_act, output.dense; LayerNorm
//   eps layer_norm_eps (default 1e-12); the position embeddings cover CLS;
// - Dinov2Layer: norm1, attention, layer_scale1, norm2, mlp (fc1/fc2, or the
//   packed SwiGLU weights_in/weights_out of int(int(hidden * mlp_ratio) * 2 /
//   3 + 7) // 8 * 8 outputs per half), layer_scale2; eps default 1e-6;
// - with registers: the position embeddings cover CLS and the patches, the
//   registers are inserted after CLS (Dinov2WithRegistersEmbeddings.forward).
// transformers interpolates position embeddings differently across versions,
// so the engine runs these models at their image_size only.
#include <cmath>
#include <optional>
#include <string>
#include <utility>

#include "bioptimus/engine/architecture.hpp"
#include "json_document.hpp"

namespace bioptimus::engine {
namespace {

using nlohmann::json;

class Reader {
 public:
  Reader(const json& config, std::string source) : config_(config), source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& expected) const {
    throw ArchitectureError(source_ + ": " + key + ": expected " + expected + ", got " +
                            (config_.contains(key) ? detail::json_excerpt(config_.at(key)) : std::string{"nothing"}));
  }

  [[nodiscard]] std::int64_t whole(const std::string& key, std::optional<std::int64_t> otherwise) const {
    if (!config_.contains(key)) {
      if (!otherwise) {
        fail(key, "a whole number");
      }
      return *otherwise;
    }
    const json& value = config_.at(key);
    // transformers accepts a pair for image_size and patch_size; square only here.
    if (value.is_array() && value.size() == 2 && value[0] == value[1]) {
      return read_whole(key, value[0]);
    }
    return read_whole(key, value);
  }

  [[nodiscard]] double number(const std::string& key, double otherwise) const {
    if (!config_.contains(key)) {
      return otherwise;
    }
    const json& value = config_.at(key);
    if (!value.is_number() || !std::isfinite(value.get<double>())) {
      fail(key, "a number");
    }
    return value.get<double>();
  }

  [[nodiscard]] bool flag(const std::string& key, bool otherwise) const {
    if (!config_.contains(key)) {
      return otherwise;
    }
    if (!config_.at(key).is_boolean()) {
      fail(key, "true or false");
    }
    return config_.at(key).get<bool>();
  }

  [[nodiscard]] std::string text(const std::string& key, const std::string& otherwise) const {
    if (!config_.contains(key)) {
      return otherwise;
    }
    if (!config_.at(key).is_string()) {
      fail(key, "a string");
    }
    return config_.at(key).get<std::string>();
  }

 private:
  [[nodiscard]] std::int64_t read_whole(const std::string& key, const json& value) const {
    if (!value.is_number_integer() || value.get<std::int64_t>() < 0 ||
        value.get<std::int64_t>() > VitArchitecture::max_extent) {
      fail(key, "a whole number in [0, " + std::to_string(VitArchitecture::max_extent) + "]");
    }
    return value.get<std::int64_t>();
  }

  const json& config_;
  std::string source_;
};

}  // namespace

VitArchitecture VitArchitecture::from_transformers_config(std::string_view config_json, std::string_view source_name) {
  const std::string source{source_name};
  detail::JsonProblem problem;
  const json config = detail::parse_json(config_json, 32, problem);
  if (!problem.message.empty()) {
    throw ArchitectureError(source + ": config.json is not valid JSON: " + problem.message);
  }
  if (!config.is_object()) {
    throw ArchitectureError(source + ": config.json is " + std::string{detail::json_kind(config)} +
                            "; expected a JSON object");
  }
  const Reader read{config, source};
  const std::string type = read.text("model_type", "");
  const bool vit = type == "vit";
  const bool dinov2 = type == "dinov2" || type == "dinov2_with_registers";
  if (!vit && !dinov2) {
    throw ArchitectureError(source + ": model_type: \"" + type +
                            "\" is not one the engine reads (vit: ViTModel; dinov2, dinov2_with_registers: "
                            "Dinov2Model)");
  }
  Fields fields;
  fields.name = "transformers " + type;
  fields.embed_dim = read.whole("hidden_size", std::nullopt);
  fields.depth = read.whole("num_hidden_layers", std::nullopt);
  fields.num_heads = read.whole("num_attention_heads", std::nullopt);
  fields.patch_size = read.whole("patch_size", std::nullopt);
  fields.image_height = fields.image_width = read.whole("image_size", std::nullopt);
  fields.in_chans = read.whole("num_channels", 3);
  fields.qkv_bias = read.flag("qkv_bias", true);
  fields.norm_eps = read.number("layer_norm_eps", vit ? 1e-12 : 1e-6);
  const std::string act = read.text("hidden_act", "gelu");
  if (act != "gelu" && act != "silu" && act != "swish") {
    read.fail("hidden_act", "\"gelu\" (exact) or \"silu\" (the engine runs no other activation)");
  }
  fields.activation = act == "gelu" ? Activation::gelu : Activation::silu;
  fields.class_token = true;
  fields.final_norm = true;
  fields.prefix_positions = PrefixPositions::all;
  if (vit) {
    fields.mlp_hidden = read.whole("intermediate_size", 3072);
  } else {
    // Dinov2Layer always scales both branches (layer_scale1, layer_scale2).
    fields.layer_scale = true;
    const double ratio = read.number("mlp_ratio", 4.0);
    const double hidden = static_cast<double>(fields.embed_dim) * ratio;
    if (!(hidden >= 1.0) || hidden > static_cast<double>(max_extent)) {
      read.fail("mlp_ratio", "a ratio giving an MLP of 1 to " + std::to_string(max_extent) + " features");
    }
    auto features = static_cast<std::int64_t>(hidden);
    if (read.flag("use_swiglu_ffn", false)) {
      // Dinov2SwiGLUFFN: (int(hidden_features * 2 / 3) + 7) // 8 * 8 per half, SiLU.
      features = (static_cast<std::int64_t>(static_cast<double>(features) * 2.0 / 3.0) + 7) / 8 * 8;
      fields.mlp = MlpKind::swiglu_packed;
      fields.mlp_hidden = 2 * features;
      fields.activation = Activation::silu;
    } else {
      fields.mlp_hidden = features;
    }
    fields.reg_tokens = read.whole("num_register_tokens", type == "dinov2_with_registers" ? 4 : 0);
    if (fields.reg_tokens > 0) {
      fields.prefix_positions = PrefixPositions::class_only;
    }
  }
  try {
    return VitArchitecture{std::move(fields)};
  } catch (const ValidationError& error) {
    throw ArchitectureError(source + ": " + error.what());
  }
}

}  // namespace bioptimus::engine
