// The tables of timm defaults. Every entry was read in
// huggingface/pytorch-image-models @aa4b5850c1543fa488abf260f18390eda46cf85d
// (2026-08-08), timm/models/vision_transformer.py, at the line given: the
// model_args dict of the architecture's entry point, written here as JSON
// with the layer classes by their timm names ("SwiGLUPacked", "silu").
// mlp_ratio=2.66667 * 2 is 5.33334 (doubling is exact in binary floating
// point, so int(embed_dim * mlp_ratio) is the same number timm computes).
// Models not in the registry are refused by name rather than guessed.
#include "timm_defaults.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace bioptimus::engine::detail {
namespace {

// VisionTransformer.__init__ (vision_transformer.py:719-761); the LayerNorm
// eps is timm.layers.LayerNorm's (timm/layers/norm.py:78), GELU is
// get_act_layer(None) or nn.GELU (vision_transformer.py:803).
constexpr TimmArguments init_defaults{
    "VisionTransformer",
    R"({"img_size": 224, "patch_size": 16, "in_chans": 3, "num_classes": 1000, "global_pool": "token",
        "embed_dim": 768, "depth": 12, "num_heads": 12, "mlp_ratio": 4.0, "qkv_bias": true, "qk_norm": false,
        "scale_attn_norm": false, "scale_mlp_norm": false, "proj_bias": true, "init_values": null,
        "class_token": true, "pos_embed": "learn", "no_embed_class": false, "reg_tokens": 0, "pre_norm": false,
        "final_norm": true, "fc_norm": null, "pool_include_prefix": false, "dynamic_img_size": false,
        "dynamic_img_pad": false, "drop_rate": 0.0, "pos_drop_rate": 0.0, "patch_drop_rate": 0.0,
        "proj_drop_rate": 0.0, "attn_drop_rate": 0.0, "drop_path_rate": 0.0, "weight_init": "",
        "fix_init": false, "embed_norm_layer": null, "norm_layer": null, "act_layer": null, "mlp_layer": "Mlp",
        "attn_layer": ""})",
    "timm/models/vision_transformer.py:719 @aa4b585"};

// The registry's architectures (reference/models.md Table B) and their
// DINOv2 siblings.
constexpr std::array architectures{
    TimmArguments{"vit_small_patch16_224", R"({"patch_size": 16, "embed_dim": 384, "depth": 12, "num_heads": 6})",
                  "timm/models/vision_transformer.py:3141 @aa4b585"},
    TimmArguments{"vit_small_patch8_224", R"({"patch_size": 8, "embed_dim": 384, "depth": 12, "num_heads": 6})",
                  "timm/models/vision_transformer.py:3159 @aa4b585"},
    TimmArguments{"vit_base_patch16_224", R"({"patch_size": 16, "embed_dim": 768, "depth": 12, "num_heads": 12})",
                  "timm/models/vision_transformer.py:3188 @aa4b585"},
    TimmArguments{"vit_base_patch8_224", R"({"patch_size": 8, "embed_dim": 768, "depth": 12, "num_heads": 12})",
                  "timm/models/vision_transformer.py:3208 @aa4b585"},
    TimmArguments{"vit_large_patch16_224", R"({"patch_size": 16, "embed_dim": 1024, "depth": 24, "num_heads": 16})",
                  "timm/models/vision_transformer.py:3237 @aa4b585"},
    TimmArguments{"vit_large_patch14_224", R"({"patch_size": 14, "embed_dim": 1024, "depth": 24, "num_heads": 16})",
                  "timm/models/vision_transformer.py:3257 @aa4b585"},
    TimmArguments{"vit_huge_patch14_224", R"({"patch_size": 14, "embed_dim": 1280, "depth": 32, "num_heads": 16})",
                  "timm/models/vision_transformer.py:3266 @aa4b585"},
    // mlp_ratio=48/11.
    TimmArguments{"vit_giant_patch14_224",
                  R"({"patch_size": 14, "embed_dim": 1408, "mlp_ratio": 4.363636363636363, "depth": 40,
                      "num_heads": 16})",
                  "timm/models/vision_transformer.py:3275 @aa4b585"},
    TimmArguments{"vit_small_patch14_dinov2",
                  R"({"patch_size": 14, "embed_dim": 384, "depth": 12, "num_heads": 6, "init_values": 1e-5})",
                  "timm/models/vision_transformer.py:3855 @aa4b585"},
    TimmArguments{"vit_base_patch14_dinov2",
                  R"({"patch_size": 14, "embed_dim": 768, "depth": 12, "num_heads": 12, "init_values": 1e-5})",
                  "timm/models/vision_transformer.py:3865 @aa4b585"},
    TimmArguments{"vit_large_patch14_dinov2",
                  R"({"patch_size": 14, "embed_dim": 1024, "depth": 24, "num_heads": 16, "init_values": 1e-5})",
                  "timm/models/vision_transformer.py:3875 @aa4b585"},
    TimmArguments{"vit_giant_patch14_dinov2",
                  R"({"patch_size": 14, "embed_dim": 1536, "depth": 40, "num_heads": 24, "init_values": 1e-5,
                      "mlp_ratio": 5.33334, "mlp_layer": "SwiGLUPacked", "act_layer": "silu"})",
                  "timm/models/vision_transformer.py:3885 @aa4b585"},
    TimmArguments{"vit_small_patch14_reg4_dinov2",
                  R"({"patch_size": 14, "embed_dim": 384, "depth": 12, "num_heads": 6, "init_values": 1e-5,
                      "reg_tokens": 4, "no_embed_class": true})",
                  "timm/models/vision_transformer.py:3902 @aa4b585"},
    TimmArguments{"vit_base_patch14_reg4_dinov2",
                  R"({"patch_size": 14, "embed_dim": 768, "depth": 12, "num_heads": 12, "init_values": 1e-5,
                      "reg_tokens": 4, "no_embed_class": true})",
                  "timm/models/vision_transformer.py:3915 @aa4b585"},
    TimmArguments{"vit_large_patch14_reg4_dinov2",
                  R"({"patch_size": 14, "embed_dim": 1024, "depth": 24, "num_heads": 16, "init_values": 1e-5,
                      "reg_tokens": 4, "no_embed_class": true})",
                  "timm/models/vision_transformer.py:3928 @aa4b585"},
    TimmArguments{"vit_giant_patch14_reg4_dinov2",
                  R"({"patch_size": 14, "embed_dim": 1536, "depth": 40, "num_heads": 24, "init_values": 1e-5,
                      "mlp_ratio": 5.33334, "mlp_layer": "SwiGLUPacked", "act_layer": "silu", "reg_tokens": 4,
                      "no_embed_class": true})",
                  "timm/models/vision_transformer.py:3941 @aa4b585"},
};

// What model cards pass to timm.create_model in code, beyond their
// config.json (reference/models.md, and the configs/*.yaml sources).
constexpr std::array card_arguments{
    // H0-mini card snippet (gated; read as verbatim copies, configs/h0-mini.yaml).
    TimmArguments{"bioptimus/H0-mini", R"({"mlp_layer": "SwiGLUPacked", "act_layer": "silu"})",
                  "bioptimus/H0-mini model card: timm.create_model(..., mlp_layer=SwiGLUPacked, act_layer=SiLU)"},
    // Virchow card (configs/virchow.yaml) and TRIDENT load.py @0120b8b.
    TimmArguments{"paige-ai/Virchow", R"({"mlp_layer": "SwiGLUPacked", "act_layer": "silu"})",
                  "paige-ai/Virchow model card: timm.create_model(..., mlp_layer=SwiGLUPacked, act_layer=SiLU)"},
    TimmArguments{"paige-ai/Virchow2", R"({"mlp_layer": "SwiGLUPacked", "act_layer": "silu"})",
                  "paige-ai/Virchow2 model card: timm.create_model(..., mlp_layer=SwiGLUPacked, act_layer=SiLU)"},
    // mahmoodlab/UNI README.md @0155974 timm_kwargs.
    TimmArguments{"MahmoodLab/UNI2-h",
                  R"({"img_size": 224, "patch_size": 14, "depth": 24, "num_heads": 24, "init_values": 1e-5,
                      "embed_dim": 1536, "mlp_ratio": 5.33334, "num_classes": 0, "no_embed_class": true,
                      "mlp_layer": "SwiGLUPacked", "act_layer": "silu", "reg_tokens": 8, "dynamic_img_size": true})",
                  "mahmoodlab/UNI README.md @0155974: timm_kwargs for UNI2-h"},
    // mahmoodlab/UNI uni/get_encoder/get_encoder.py @91e141c.
    TimmArguments{"MahmoodLab/UNI", R"({"init_values": 1e-5, "dynamic_img_size": true})",
                  "mahmoodlab/UNI get_encoder.py @91e141c: init_values=1e-5, dynamic_img_size=True"},
};

bool same_repository(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

const TimmArguments& vision_transformer_defaults() noexcept { return init_defaults; }

std::span<const TimmArguments> timm_architectures() noexcept { return architectures; }

const TimmArguments* find_timm_architecture(std::string_view name) noexcept {
  const auto* found = std::find_if(architectures.begin(), architectures.end(),
                                   [&](const TimmArguments& entry) { return entry.name == name; });
  return found == architectures.end() ? nullptr : found;
}

const TimmArguments* find_card_arguments(std::string_view repository) noexcept {
  const auto* found = std::find_if(card_arguments.begin(), card_arguments.end(),
                                   [&](const TimmArguments& entry) { return same_repository(entry.name, repository); });
  return found == card_arguments.end() ? nullptr : found;
}

}  // namespace bioptimus::engine::detail
