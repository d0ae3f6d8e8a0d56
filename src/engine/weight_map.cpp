// timm's state-dict names, checked against the architecture: every problem
// is collected (a missing tensor, a wrong shape with both shapes, a tensor
// the architecture has no place for) and reported in one error, with a hint
// where the shapes say what the configuration missed (a packed SwiGLU, LayerScale,
// registers).
#include "weight_map.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include "bioptimus/engine/vit_model.hpp"

namespace bioptimus::engine::detail {
namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    text += (i == 0 ? "" : ", ") + std::to_string(shape[i]);
  }
  return text + "]";
}

class Mapper {
 public:
  Mapper(const SafetensorsFile& file, const VitArchitecture& architecture) : file_(file), arch_(architecture) {}

  // The tensor `name` if it has `shape`; otherwise records the problem.
  const TensorEntry* take(const std::string& name, const std::vector<std::int64_t>& shape,
                          const std::string& hint = {}) {
    const TensorEntry* entry = find(name);
    if (entry == nullptr) {
      problems_.push_back(name + ": missing; expected shape " + shape_text(shape) + hint);
      return nullptr;
    }
    if (entry->shape != shape) {
      problems_.push_back(name + ": shape " + shape_text(entry->shape) + ", expected " + shape_text(shape) + hint);
      return nullptr;
    }
    return entry;
  }

  // The tensor `name`, whatever its shape (checked by the caller), or records it missing.
  const TensorEntry* find(const std::string& name) {
    const TensorEntry* entry = file_.find(name);
    if (entry == nullptr) {
      return nullptr;
    }
    used_.insert(name);
    if (entry->dtype != Dtype::f32 && entry->dtype != Dtype::f16 && entry->dtype != Dtype::bf16) {
      problems_.push_back(name + ": dtype " + std::string{to_string(entry->dtype)} + "; expected F32, F16 or BF16");
    }
    return entry;
  }

  void problem(std::string text) { problems_.push_back(std::move(text)); }

  // Tensors the architecture has no place for (besides those `ignored` names).
  template <typename Ignored>
  void refuse_unused(Ignored ignored) {
    for (const TensorEntry& entry : file_.tensors()) {
      if (used_.contains(entry.name) || ignored(entry.name)) {
        continue;
      }
      problems_.push_back(entry.name + " " + shape_text(entry.shape) + ": not a parameter of this architecture" +
                          hint_for_unused(entry.name));
    }
  }

  void throw_if_any() const {
    if (problems_.empty()) {
      return;
    }
    constexpr std::size_t shown = 12;
    std::string text = file_.source() + ": the weights do not fit " + arch_.describe() + ":";
    for (std::size_t i = 0; i < std::min(problems_.size(), shown); ++i) {
      text += "\n  " + problems_[i];
    }
    if (problems_.size() > shown) {
      text += "\n  ... and " + std::to_string(problems_.size() - shown) + " more";
    }
    throw EngineError(text);
  }

 private:
  [[nodiscard]] std::string hint_for_unused(const std::string& name) const {
    if (name.find(".ls1.gamma") != std::string::npos || name.find(".ls2.gamma") != std::string::npos) {
      return " (LayerScale: the architecture has none; timm's init_values is null)";
    }
    if (name == "reg_token") {
      return " (register tokens: the architecture has reg_tokens 0)";
    }
    if (name == "cls_token") {
      return " (the architecture has class_token false)";
    }
    if (name.find(".attn.qkv.bias") != std::string::npos) {
      return " (the architecture has qkv_bias false)";
    }
    if (name.starts_with("norm.")) {
      return " (the architecture has final_norm false)";
    }
    if (name.starts_with("fc_norm.") || name.starts_with("norm_pre.") || name.starts_with("attn_pool.")) {
      return " (the engine runs neither pre_norm, fc_norm nor attention pooling)";
    }
    return {};
  }

  const SafetensorsFile& file_;
  const VitArchitecture& arch_;
  std::set<std::string, std::less<>> used_;
  std::vector<std::string> problems_;
};

// When fc2 does not take what the configured MLP gives it, the shapes may be
// those of the other MLP: say which, and how to ask for it.
std::string mlp_hint(const VitArchitecture& arch, const TensorEntry* fc1, const TensorEntry* fc2) {
  if (fc1 == nullptr || fc2 == nullptr || fc1->shape.size() != 2 || fc2->shape.size() != 2) {
    return {};
  }
  const std::int64_t fc1_out = fc1->shape[0];
  const std::int64_t fc2_in = fc2->shape[1];
  if (arch.mlp() == MlpKind::mlp && fc2_in * 2 == fc1_out) {
    return " (these are the shapes of a packed SwiGLU: fc2 takes half of fc1's " + std::to_string(fc1_out) +
           " outputs; timm's " + arch.name() +
           " is an Mlp, so the model card must pass mlp_layer=SwiGLUPacked, act_layer=SiLU to create_model: give "
           "them as create_model arguments {\"mlp_layer\": \"SwiGLUPacked\", \"act_layer\": \"silu\"})";
  }
  if (arch.mlp() == MlpKind::swiglu_packed && fc2_in == fc1_out) {
    return " (these are the shapes of a plain Mlp, fc2 taking all of fc1's outputs; the architecture says "
           "SwiGLUPacked: give {\"mlp_layer\": \"Mlp\", \"act_layer\": \"gelu\"} as create_model arguments if "
           "that is what the model is)";
  }
  return {};
}

}  // namespace

VitTensors map_timm_weights(const SafetensorsFile& file, const VitArchitecture& arch) {
  Mapper map{file, arch};
  VitTensors tensors;
  const std::int64_t dim = arch.embed_dim();
  const std::int64_t patch = arch.patch_size();
  const std::vector<std::int64_t> vector_shape{dim};
  tensors.patch_weight = map.take("patch_embed.proj.weight", {dim, arch.in_chans(), patch, patch});
  tensors.patch_bias = map.take("patch_embed.proj.bias", vector_shape);
  if (arch.class_token()) {
    tensors.cls_token = map.take("cls_token", {1, 1, dim});
  }
  if (arch.reg_tokens() > 0) {
    tensors.reg_token = map.take("reg_token", {1, arch.reg_tokens(), dim});
  }
  // The position embeddings' length gives the checkpoint's grid: the model's
  // when it has as many patches, else a square one (timm's
  // resample_abs_pos_embed guesses a square when it is not told,
  // timm/layers/pos_embed.py:34-36).
  const std::int64_t prefix = arch.positioned_prefix_tokens();
  if (const TensorEntry* pos = map.find("pos_embed"); pos == nullptr) {
    map.problem("pos_embed: missing; expected shape [1, " + std::to_string(arch.pos_embed_length()) + ", " +
                std::to_string(dim) + "]");
  } else if (pos->shape.size() != 3 || pos->shape[0] != 1 || pos->shape[2] != dim || pos->shape[1] <= prefix) {
    map.problem("pos_embed: shape " + shape_text(pos->shape) + ", expected [1, " +
                std::to_string(arch.pos_embed_length()) + ", " + std::to_string(dim) + "]");
  } else {
    const std::int64_t patches = pos->shape[1] - prefix;
    const auto side = static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(patches))));
    if (patches == arch.grid_height() * arch.grid_width()) {
      tensors.pos_grid_height = arch.grid_height();
      tensors.pos_grid_width = arch.grid_width();
      tensors.pos_embed = pos;
    } else if (side * side == patches) {
      tensors.pos_grid_height = side;
      tensors.pos_grid_width = side;
      tensors.pos_embed = pos;
    } else {
      map.problem("pos_embed: shape " + shape_text(pos->shape) + ": " + std::to_string(patches) +
                  " patch positions, neither the model's grid " + std::to_string(arch.grid_height()) + "x" +
                  std::to_string(arch.grid_width()) + " nor a square" +
                  (prefix > 0 ? " (after " + std::to_string(prefix) + " prefix rows)" : std::string{}));
    }
  }

  const std::int64_t hidden = arch.mlp_hidden();
  const std::int64_t inner = arch.mlp_inner();
  const auto norm = [&](const std::string& name) {
    return NormTensors{.weight = map.take(name + ".weight", vector_shape),
                       .bias = map.take(name + ".bias", vector_shape)};
  };
  const auto linear = [&](const std::string& name, std::int64_t out, std::int64_t in, bool bias,
                          const std::string& hint = {}) {
    LinearTensors result;
    if (const TensorEntry* weight = map.take(name + ".weight", {out, in}, hint)) {
      result.weights.push_back(weight);
    }
    if (bias) {
      if (const TensorEntry* b = map.take(name + ".bias", {out})) {
        result.biases.push_back(b);
      }
    }
    return result;
  };
  for (std::int64_t i = 0; i < arch.depth(); ++i) {
    const std::string block = "blocks." + std::to_string(i) + ".";
    BlockTensors b;
    b.norm1 = norm(block + "norm1");
    b.qkv = linear(block + "attn.qkv", 3 * dim, dim, arch.qkv_bias());
    b.proj = linear(block + "attn.proj", dim, dim, true);
    b.norm2 = norm(block + "norm2");
    b.fc1 = linear(block + "mlp.fc1", hidden, dim, true);
    const std::string hint = mlp_hint(arch, file.find(block + "mlp.fc1.weight"), file.find(block + "mlp.fc2.weight"));
    b.fc2 = linear(block + "mlp.fc2", dim, inner, true, hint);
    if (arch.layer_scale()) {
      b.ls1 = map.take(block + "ls1.gamma", vector_shape);
      b.ls2 = map.take(block + "ls2.gamma", vector_shape);
    }
    tensors.blocks.push_back(std::move(b));
  }
  if (arch.final_norm()) {
    tensors.norm = norm("norm");
  }
  // A classifier head is not run.
  map.refuse_unused([](const std::string& name) { return name == "head.weight" || name == "head.bias"; });
  map.throw_if_any();
  return tensors;
}

VitTensors map_transformers_weights(const SafetensorsFile& file, const VitArchitecture& arch, bool dinov2) {
  // A model saved from ViTForImageClassification or Dinov2ForImageClassification carries a prefix.
  std::string prefix;
  for (const char* candidate : {"", "vit.", "dinov2."}) {
    if (file.find(std::string{candidate} + "embeddings.cls_token") != nullptr) {
      prefix = candidate;
      break;
    }
  }
  Mapper map{file, arch};
  VitTensors tensors;
  const std::int64_t dim = arch.embed_dim();
  const std::int64_t patch = arch.patch_size();
  const std::vector<std::int64_t> vector_shape{dim};
  const std::string embeddings = prefix + "embeddings.";
  tensors.patch_weight =
      map.take(embeddings + "patch_embeddings.projection.weight", {dim, arch.in_chans(), patch, patch});
  tensors.patch_bias = map.take(embeddings + "patch_embeddings.projection.bias", vector_shape);
  tensors.cls_token = map.take(embeddings + "cls_token", {1, 1, dim});
  if (arch.reg_tokens() > 0) {
    tensors.reg_token = map.take(embeddings + "register_tokens", {1, arch.reg_tokens(), dim});
  }
  // transformers' position embeddings are laid out for image_size; the engine
  // does not resample them (VitModel checks the grids).
  tensors.pos_embed = map.take(embeddings + "position_embeddings", {1, arch.pos_embed_length(), dim});
  tensors.pos_grid_height = arch.grid_height();
  tensors.pos_grid_width = arch.grid_width();
  const auto norm = [&](const std::string& name) {
    return NormTensors{.weight = map.take(name + ".weight", vector_shape),
                       .bias = map.take(name + ".bias", vector_shape)};
  };
  const auto linear = [&](const std::string& name, std::int64_t out, std::int64_t in, bool bias) {
    LinearTensors result;
    if (const TensorEntry* weight = map.take(name + ".weight", {out, in})) {
      result.weights.push_back(weight);
    }
    if (bias) {
      if (const TensorEntry* b = map.take(name + ".bias", {out})) {
        result.biases.push_back(b);
      }
    }
    return result;
  };
  const auto append = [](LinearTensors& to, const LinearTensors& part) {
    to.weights.insert(to.weights.end(), part.weights.begin(), part.weights.end());
    to.biases.insert(to.biases.end(), part.biases.begin(), part.biases.end());
  };
  for (std::int64_t i = 0; i < arch.depth(); ++i) {
    const std::string layer = prefix + "encoder.layer." + std::to_string(i) + ".";
    BlockTensors b;
    b.norm1 = norm(layer + (dinov2 ? "norm1" : "layernorm_before"));
    for (const char* part : {"query", "key", "value"}) {
      append(b.qkv, linear(layer + "attention.attention." + part, dim, dim, arch.qkv_bias()));
    }
    b.proj = linear(layer + "attention.output.dense", dim, dim, true);
    b.norm2 = norm(layer + (dinov2 ? "norm2" : "layernorm_after"));
    if (!dinov2) {
      b.fc1 = linear(layer + "intermediate.dense", arch.mlp_hidden(), dim, true);
      b.fc2 = linear(layer + "output.dense", dim, arch.mlp_inner(), true);
    } else if (arch.mlp() == MlpKind::swiglu_packed) {
      b.fc1 = linear(layer + "mlp.weights_in", arch.mlp_hidden(), dim, true);
      b.fc2 = linear(layer + "mlp.weights_out", dim, arch.mlp_inner(), true);
    } else {
      b.fc1 = linear(layer + "mlp.fc1", arch.mlp_hidden(), dim, true);
      b.fc2 = linear(layer + "mlp.fc2", dim, arch.mlp_inner(), true);
    }
    if (arch.layer_scale()) {
      b.ls1 = map.take(layer + "layer_scale1.lambda1", vector_shape);
      b.ls2 = map.take(layer + "layer_scale2.lambda1", vector_shape);
    }
    tensors.blocks.push_back(std::move(b));
  }
  tensors.norm = norm(prefix + "layernorm");
  // The mask token (training only) and a pooler or classifier are not run.
  map.refuse_unused([&](const std::string& name) {
    return name == embeddings + "mask_token" || name.starts_with(prefix + "pooler.") || name.starts_with("classifier.");
  });
  map.throw_if_any();
  return tensors;
}

}  // namespace bioptimus::engine::detail
