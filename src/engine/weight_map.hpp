// The weights of a checkpoint mapped onto the architecture (internal): each
// parameter the network needs, found by its state-dict name and checked
// against the shape the architecture implies. Views into the file, no copies.
#ifndef BIOPTIMUS_SRC_ENGINE_WEIGHT_MAP_HPP
#define BIOPTIMUS_SRC_ENGINE_WEIGHT_MAP_HPP

#include <cstdint>
#include <vector>

#include "bioptimus/engine/architecture.hpp"
#include "bioptimus/engine/safetensors.hpp"

namespace bioptimus::engine::detail {

/// A linear layer: out = in . weight^T + bias, weight [out, in] (torch's
/// layout), stored as one or more tensors stacked along the output (Hugging
/// Face keeps q, k and v apart where timm has one qkv).
struct LinearTensors {
  std::vector<const TensorEntry*> weights;
  std::vector<const TensorEntry*> biases;  // empty: no bias
};

struct NormTensors {
  const TensorEntry* weight = nullptr;
  const TensorEntry* bias = nullptr;
};

struct BlockTensors {
  NormTensors norm1;
  LinearTensors qkv;
  LinearTensors proj;
  const TensorEntry* ls1 = nullptr;  // LayerScale gamma, or nullptr
  NormTensors norm2;
  LinearTensors fc1;
  LinearTensors fc2;
  const TensorEntry* ls2 = nullptr;
};

struct VitTensors {
  const TensorEntry* patch_weight = nullptr;  // [embed_dim, in_chans, patch, patch]
  const TensorEntry* patch_bias = nullptr;
  const TensorEntry* cls_token = nullptr;  // [1, 1, embed_dim] or nullptr
  const TensorEntry* reg_token = nullptr;  // [1, reg_tokens, embed_dim] or nullptr
  const TensorEntry* pos_embed = nullptr;  // [1, length, embed_dim]
  /// The patch grid the checkpoint's position embeddings are laid out on.
  std::int64_t pos_grid_height = 0;
  std::int64_t pos_grid_width = 0;
  std::vector<BlockTensors> blocks;
  NormTensors norm;  // empty without final norm
};

/// Finds timm's state-dict names in `file` (vision_transformer.py's modules:
/// patch_embed.proj, cls_token, reg_token, pos_embed, blocks.N.{norm1,
/// attn.qkv, attn.proj, ls1.gamma, norm2, mlp.fc1, mlp.fc2, ls2.gamma}, norm)
/// and checks every shape and dtype (F32, F16 or BF16). A classifier head
/// is ignored; any other tensor is refused, as timm's strict loading does.
/// @throws EngineError naming the file, every tensor at fault and both shapes.
[[nodiscard]] VitTensors map_timm_weights(const SafetensorsFile& file, const VitArchitecture& architecture);

/// Finds transformers' state-dict names (ViTModel when `dinov2` is false,
/// Dinov2Model otherwise; keys may carry the "vit." or "dinov2." prefix of a
/// model saved from a task class): embeddings.{cls_token, register_tokens,
/// position_embeddings, patch_embeddings.projection}, encoder.layer.N.
/// {layernorm_before|norm1, attention.attention.{query,key,value},
/// attention.output.dense, layer_scale1.lambda1, layernorm_after|norm2,
/// intermediate.dense + output.dense | mlp.{fc1,fc2} | mlp.{weights_in,
/// weights_out}, layer_scale2.lambda1}, layernorm. q, k and v are kept as three
/// tensors stacked into qkv. The mask token and a pooler are ignored.
/// @throws EngineError naming the file, every tensor at fault and both shapes.
[[nodiscard]] VitTensors map_transformers_weights(const SafetensorsFile& file, const VitArchitecture& architecture,
                                                  bool dinov2);

}  // namespace bioptimus::engine::detail

#endif  // BIOPTIMUS_SRC_ENGINE_WEIGHT_MAP_HPP
