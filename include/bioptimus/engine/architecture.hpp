// bioptimus/engine/architecture.hpp
//
// What a Vision Transformer of timm's VisionTransformer family is: a value
// type checked at construction like ModelSpec (every broken rule reported
// at once, by field), built from a Hugging Face timm repository's config.json
// with timm's own defaults for its architecture name, from a transformers
// ViTModel or Dinov2Model config.json (the same networks under other names),
// or by hand.
//
//   const VitArchitecture arch = VitArchitecture::from_timm_config(json_text, "config.json");
//   arch.embed_dim();           // 1536 for vit_giant_patch14_reg4_dinov2
//   arch.num_prefix_tokens();   // CLS + registers
//
// config.json does not say everything: timm's architecture names carry
// defaults (vit_giant_patch14_reg4_dinov2 is a packed SwiGLU with SiLU,
// LayerScale and registers), and some model cards pass more in code
// (`timm.create_model(..., mlp_layer=SwiGLUPacked, act_layer=SiLU)`). The
// arguments are resolved as timm resolves them: the architecture's defaults,
// overridden by config.json's model_args, overridden by the create_model
// keyword arguments. Standard library only.
#ifndef BIOPTIMUS_ENGINE_ARCHITECTURE_HPP
#define BIOPTIMUS_ENGINE_ARCHITECTURE_HPP

#include <cstdint>
#include <string>
#include <string_view>

#include "bioptimus/error.hpp"

namespace bioptimus::engine {

/// Thrown when a config.json or create_model arguments cannot describe a
/// supported ViT: the message names the file and the field.
class BIOPTIMUS_VISIBLE_TYPE ArchitectureError : public Error {
 public:
  using Error::Error;
};

/// The MLP of a block: timm's `Mlp` (fc1, activation, fc2) or `SwiGLUPacked`
/// (fc1 twice as wide, act(first half) * second half, fc2).
enum class MlpKind : std::uint8_t { mlp, swiglu_packed };
/// The MLP's activation: exact GELU (erf, torch's default) or SiLU.
enum class Activation : std::uint8_t { gelu, silu };

/// Which prefix tokens (CLS, registers) the position embeddings cover; the
/// patches always are. Token order is always CLS, registers, patches.
enum class PrefixPositions : std::uint8_t {
  all,         ///< timm's default: CLS and registers too, added after they are prepended
  none,        ///< timm's no_embed_class: patches only, added before the prefix is prepended
  class_only,  ///< Hugging Face's DINOv2 with registers: CLS and patches, registers inserted after
};

/// "Mlp", "SwiGLUPacked": timm's class names.
[[nodiscard]] constexpr std::string_view to_string(MlpKind kind) noexcept {
  return kind == MlpKind::swiglu_packed ? "SwiGLUPacked" : "Mlp";
}
/// "gelu", "silu": timm's act_layer names.
[[nodiscard]] constexpr std::string_view to_string(Activation activation) noexcept {
  return activation == Activation::silu ? "silu" : "gelu";
}

/// One ViT of timm's VisionTransformer family, as the engine runs it.
class BIOPTIMUS_VISIBLE_TYPE VitArchitecture {
 public:
  /// Everything that sets the network's shape and arithmetic.
  struct Fields {
    /// The timm architecture name (informative).
    std::string name;
    /// timm's img_size: the input the position embeddings are laid out for.
    std::int64_t image_height = 224;
    std::int64_t image_width = 224;
    std::int64_t patch_size = 16;
    std::int64_t in_chans = 3;
    std::int64_t embed_dim = 768;
    std::int64_t depth = 12;
    std::int64_t num_heads = 12;
    /// fc1's output width: timm's int(embed_dim * mlp_ratio) (twice the gated
    /// width for SwiGLUPacked).
    std::int64_t mlp_hidden = 3072;
    MlpKind mlp = MlpKind::mlp;
    Activation activation = Activation::gelu;
    bool qkv_bias = true;
    bool class_token = true;
    std::int64_t reg_tokens = 0;
    /// Which prefix tokens the position embeddings cover (timm's
    /// no_embed_class is PrefixPositions::none).
    PrefixPositions prefix_positions = PrefixPositions::all;
    /// LayerScale after attention and MLP (timm's init_values is set).
    bool layer_scale = false;
    double norm_eps = 1e-6;
    bool final_norm = true;
    /// Inputs of another size than image_* are accepted, the position
    /// embeddings resampled to their grid (timm's dynamic_img_size).
    bool dynamic_img_size = false;
  };

  /// Most a size field may be, so that every product of sizes fits easily.
  static constexpr std::int64_t max_extent = std::int64_t{1} << 20;

  /// @throws ValidationError listing every broken rule by field.
  explicit VitArchitecture(Fields fields);

  /// The architecture a timm Hugging Face repository's config.json describes
  /// (`{"architecture": "vit_...", "model_args": {...}, "pretrained_cfg": {...}}`),
  /// with `create_model_args` (a JSON object of keyword arguments, as a
  /// model card passes to timm.create_model; empty for none) applied last.
  /// `source` names the file in messages.
  /// @throws ArchitectureError naming the file and the field (an unknown
  ///   architecture name, an unknown or unsupported option, a wrong type).
  [[nodiscard]] static VitArchitecture from_timm_config(std::string_view config_json, std::string_view source,
                                                        std::string_view create_model_args = {});

  /// The architecture a Hugging Face transformers config.json describes:
  /// ViTModel (`"model_type": "vit"`) or Dinov2Model (`"dinov2"`,
  /// `"dinov2_with_registers"`), with transformers' defaults for what it leaves out.
  /// @throws ArchitectureError naming the file and the field.
  [[nodiscard]] static VitArchitecture from_transformers_config(std::string_view config_json, std::string_view source);

  [[nodiscard]] const Fields& fields() const noexcept { return fields_; }
  [[nodiscard]] const std::string& name() const noexcept { return fields_.name; }
  [[nodiscard]] std::int64_t patch_size() const noexcept { return fields_.patch_size; }
  [[nodiscard]] std::int64_t in_chans() const noexcept { return fields_.in_chans; }
  [[nodiscard]] std::int64_t embed_dim() const noexcept { return fields_.embed_dim; }
  [[nodiscard]] std::int64_t depth() const noexcept { return fields_.depth; }
  [[nodiscard]] std::int64_t num_heads() const noexcept { return fields_.num_heads; }
  [[nodiscard]] std::int64_t head_dim() const noexcept { return fields_.embed_dim / fields_.num_heads; }
  [[nodiscard]] std::int64_t mlp_hidden() const noexcept { return fields_.mlp_hidden; }
  /// fc2's input width: mlp_hidden(), or half of it for SwiGLUPacked.
  [[nodiscard]] std::int64_t mlp_inner() const noexcept {
    return fields_.mlp == MlpKind::swiglu_packed ? fields_.mlp_hidden / 2 : fields_.mlp_hidden;
  }
  [[nodiscard]] MlpKind mlp() const noexcept { return fields_.mlp; }
  [[nodiscard]] Activation activation() const noexcept { return fields_.activation; }
  [[nodiscard]] bool qkv_bias() const noexcept { return fields_.qkv_bias; }
  [[nodiscard]] bool class_token() const noexcept { return fields_.class_token; }
  [[nodiscard]] std::int64_t reg_tokens() const noexcept { return fields_.reg_tokens; }
  [[nodiscard]] PrefixPositions prefix_positions() const noexcept { return fields_.prefix_positions; }
  /// timm's no_embed_class: the position embeddings cover the patches only.
  [[nodiscard]] bool no_embed_class() const noexcept { return fields_.prefix_positions == PrefixPositions::none; }
  [[nodiscard]] bool layer_scale() const noexcept { return fields_.layer_scale; }
  [[nodiscard]] double norm_eps() const noexcept { return fields_.norm_eps; }
  [[nodiscard]] bool final_norm() const noexcept { return fields_.final_norm; }
  [[nodiscard]] bool dynamic_img_size() const noexcept { return fields_.dynamic_img_size; }
  /// CLS (when there is one) + registers.
  [[nodiscard]] std::int64_t num_prefix_tokens() const noexcept {
    return (fields_.class_token ? 1 : 0) + fields_.reg_tokens;
  }
  /// The patch grid of image_* (timm's grid_size: the sizes divided by the patch, rounded down).
  [[nodiscard]] std::int64_t grid_height() const noexcept { return fields_.image_height / fields_.patch_size; }
  [[nodiscard]] std::int64_t grid_width() const noexcept { return fields_.image_width / fields_.patch_size; }
  /// The prefix tokens with a position embedding row: the first this many (CLS, then registers).
  [[nodiscard]] std::int64_t positioned_prefix_tokens() const noexcept {
    switch (fields_.prefix_positions) {
      case PrefixPositions::none:
        return 0;
      case PrefixPositions::class_only:
        return fields_.class_token ? 1 : 0;
      case PrefixPositions::all:
        break;
    }
    return num_prefix_tokens();
  }
  /// Rows of the position embedding: the grid and the positioned prefix tokens.
  [[nodiscard]] std::int64_t pos_embed_length() const noexcept {
    return grid_height() * grid_width() + positioned_prefix_tokens();
  }

  /// One line: "vit_giant_patch14_reg4_dinov2: patch 14, 1536 wide, 40 blocks of
  /// 24 heads, SwiGLUPacked 8192 with silu, ...".
  [[nodiscard]] std::string describe() const;

 private:
  Fields fields_;
};

}  // namespace bioptimus::engine

#endif  // BIOPTIMUS_ENGINE_ARCHITECTURE_HPP
