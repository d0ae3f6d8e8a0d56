// VitArchitecture from timm config.json: timm's defaults per architecture
// (timm/models/vision_transformer.py @aa4b585), the order timm resolves
// arguments in, and every unknown or unsupported option refused by name.
#include "bioptimus/engine/architecture.hpp"

#include <catch2/catch.hpp>
#include <string>

namespace {

using bioptimus::engine::Activation;
using bioptimus::engine::ArchitectureError;
using bioptimus::engine::MlpKind;
using bioptimus::engine::VitArchitecture;

std::string config(const std::string& architecture, const std::string& model_args = "{}",
                   const std::string& pretrained = R"({"input_size": [3, 224, 224]})") {
  return R"({"architecture": ")" + architecture + R"(", "num_classes": 0, "global_pool": "token", "model_args": )" +
         model_args + R"(, "pretrained_cfg": )" + pretrained + "}";
}

VitArchitecture read(const std::string& text, const std::string& create_model_args = {}) {
  return VitArchitecture::from_timm_config(text, "config.json", create_model_args);
}

std::string error_of(const std::string& text, const std::string& create_model_args = {}) {
  try {
    (void)read(text, create_model_args);
  } catch (const ArchitectureError& error) {
    return error.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("H-optimus-0's architecture is timm's vit_giant_patch14_reg4_dinov2") {
  const VitArchitecture arch = read(
      config("vit_giant_patch14_reg4_dinov2", R"({"img_size": 224, "init_values": 1e-05, "dynamic_img_size": false})"));
  CHECK(arch.name() == "vit_giant_patch14_reg4_dinov2");
  CHECK(arch.patch_size() == 14);
  CHECK(arch.embed_dim() == 1536);
  CHECK(arch.depth() == 40);
  CHECK(arch.num_heads() == 24);
  CHECK(arch.head_dim() == 64);
  // mlp_ratio=2.66667 * 2: int(1536 * 5.33334) = 8192, a packed SwiGLU of 4096.
  CHECK(arch.mlp_hidden() == 8192);
  CHECK(arch.mlp_inner() == 4096);
  CHECK(arch.mlp() == MlpKind::swiglu_packed);
  CHECK(arch.activation() == Activation::silu);
  CHECK(arch.reg_tokens() == 4);
  CHECK(arch.num_prefix_tokens() == 5);
  CHECK(arch.no_embed_class());
  CHECK(arch.layer_scale());
  CHECK(arch.qkv_bias());
  CHECK(arch.final_norm());
  CHECK(arch.norm_eps() == 1e-6);
  CHECK(arch.grid_height() == 16);
  CHECK(arch.pos_embed_length() == 256);
  CHECK_THAT(arch.describe(), Catch::StartsWith("vit_giant_patch14_reg4_dinov2: patch 14, 1536 wide, 40 blocks of 24 "
                                                "heads, SwiGLUPacked 8192 with silu, CLS + 4 registers"));
}

TEST_CASE("the registry's other timm architectures carry timm's defaults") {
  const VitArchitecture uni = read(config("vit_large_patch16_224", R"({"init_values": 1e-05})"));
  CHECK(uni.embed_dim() == 1024);
  CHECK(uni.depth() == 24);
  CHECK(uni.mlp_hidden() == 4096);
  CHECK(uni.mlp() == MlpKind::mlp);
  CHECK(uni.activation() == Activation::gelu);
  CHECK(uni.layer_scale());
  CHECK(uni.pos_embed_length() == 197);

  const VitArchitecture virchow = read(config("vit_huge_patch14_224", R"({"mlp_ratio": 5.3375, "reg_tokens": 4})"));
  CHECK(virchow.embed_dim() == 1280);
  CHECK(virchow.mlp_hidden() == 6832);
  CHECK(virchow.mlp() == MlpKind::mlp);      // the card passes SwiGLUPacked in code
  CHECK(virchow.pos_embed_length() == 261);  // the position embeddings cover the registers too

  const VitArchitecture gigapath =
      read(config("vit_giant_patch14_dinov2", R"({"patch_size": 16, "mlp_ratio": 5.33334})"));
  CHECK(gigapath.patch_size() == 16);
  CHECK(gigapath.mlp() == MlpKind::swiglu_packed);
  CHECK(gigapath.reg_tokens() == 0);

  const VitArchitecture kaiko = read(config("vit_small_patch8_224"));
  CHECK(kaiko.patch_size() == 8);
  CHECK(kaiko.embed_dim() == 384);
  CHECK(kaiko.num_heads() == 6);
  CHECK_FALSE(kaiko.layer_scale());

  // 48 / 11 in Python: int(1408 * 4.363636363636363) = 6144.
  CHECK(read(config("vit_giant_patch14_224")).mlp_hidden() == 6144);
  // A pretrained tag after the name is timm's split_model_name_tag.
  CHECK(read(config("vit_base_patch16_224.augreg2_in21k_ft_in1k")).name() == "vit_base_patch16_224");
}

TEST_CASE("arguments are resolved in timm's order: architecture < model_args < create_model arguments") {
  const std::string text = config("vit_base_patch14_reg4_dinov2", R"({"depth": 6, "init_values": null})");
  const VitArchitecture from_config = read(text);
  CHECK(from_config.depth() == 6);
  // model_args' null is kept: init_values None, no LayerScale.
  CHECK_FALSE(from_config.layer_scale());
  const VitArchitecture card =
      read(text, R"({"mlp_layer": "SwiGLUPacked", "act_layer": "silu", "depth": 3, "init_values": null})");
  CHECK(card.mlp() == MlpKind::swiglu_packed);
  CHECK(card.activation() == Activation::silu);
  CHECK(card.depth() == 3);
  // create_model drops None keyword arguments (timm _factory.py:143): model_args' null stays.
  CHECK_FALSE(card.layer_scale());
  // SwiGLUPacked alone keeps VisionTransformer's GELU, as in timm.
  CHECK(read(text, R"({"mlp_layer": "SwiGLUPacked"})").activation() == Activation::gelu);
  // pretrained_cfg's input_size gives in_chans, and img_size only with fixed_input_size.
  const VitArchitecture fixed =
      read(config("vit_small_patch16_224", "{}", R"({"input_size": [1, 96, 64], "fixed_input_size": true})"));
  CHECK(fixed.in_chans() == 1);
  CHECK(fixed.fields().image_height == 96);
  CHECK(fixed.fields().image_width == 64);
  CHECK(read(config("vit_small_patch16_224", "{}", R"({"input_size": [3, 96, 96]})")).fields().image_height == 224);
  // A legacy single-dict config is its own pretrained_cfg.
  CHECK(read(R"({"architecture": "vit_small_patch16_224", "input_size": [3, 224, 224]})").embed_dim() == 384);
}

TEST_CASE("what config.json cannot describe is refused by name") {
  CHECK_THAT(error_of("{"), Catch::Contains("config.json: config.json is not valid JSON: byte"));
  CHECK_THAT(error_of("[]"), Catch::Contains("config.json: config.json is an array; expected a JSON object"));
  CHECK_THAT(error_of(R"({"model_type": "vit", "hidden_size": 768})"),
             Catch::Contains("architecture: expected the timm architecture name (a string), got nothing (is this a "
                             "timm config.json? Hugging Face transformers configs have model_type)"));
  CHECK_THAT(error_of(config("vit_tiny_patch16_224")),
             Catch::Contains("architecture: \"vit_tiny_patch16_224\" is not a timm architecture the engine knows "
                             "(vit_small_patch16_224, vit_small_patch8_224"));
  CHECK_THAT(error_of(config("vit_base_patch16_224", R"({"depth": "12"})")),
             Catch::Contains(
                 "config.json: config.json model_args.depth: expected a whole number in [0, 1048576], got \"12\""));
  CHECK_THAT(error_of(config("vit_base_patch16_224", R"({"frobnicate": 1})")),
             Catch::Contains(
                 "config.json model_args.frobnicate: not an argument of timm's VisionTransformer the engine knows"));
  CHECK_THAT(error_of(config("vit_base_patch16_224"), R"({"qk_norm": true})"),
             Catch::Contains(
                 "create_model argument: qk_norm: true is not supported (a norm on q and k); the engine runs false"));
  CHECK_THAT(error_of(config("vit_base_patch16_224", R"({"act_layer": "quick_gelu"})")),
             Catch::Contains("model_args.act_layer: \"quick_gelu\" is not supported"));
  CHECK_THAT(
      error_of(config("vit_base_patch16_224", R"({"mlp_layer": "SwiGLU"})")),
      Catch::Contains("model_args.mlp_layer: \"SwiGLU\" is not supported (another MLP than Mlp or SwiGLUPacked)"));
  CHECK_THAT(error_of(config("vit_base_patch16_224", R"({"global_pool": "avg"})")),
             Catch::Contains("model_args.global_pool: \"avg\" with fc_norm puts the final norm after pooling"));
  CHECK(read(config("vit_base_patch16_224", R"({"global_pool": "avg", "fc_norm": false})")).final_norm());
  CHECK_THAT(error_of(config("vit_base_patch16_224", R"({"patch_size": [16, 8]})")),
             Catch::Contains("patch_size: expected square patches, got [16,8]"));
  CHECK_THAT(error_of(config("vit_base_patch16_224", R"({"class_token": false})")),
             Catch::Contains("class_token: false with global_pool \"token\""));
  CHECK_THAT(
      error_of(config("vit_base_patch16_224", R"({"num_heads": 5})")),
      Catch::Contains("config.json: invalid VitArchitecture: num_heads: expected a divisor of embed_dim 768, got 5"));
  CHECK_THAT(error_of(config("vit_base_patch16_224", R"({"mlp_ratio": 0})")),
             Catch::Contains("mlp_ratio: expected a ratio giving an MLP of 1 to 1048576 features, got 0"));
  CHECK_THAT(error_of(config("vit_base_patch16_224", R"({"img_size": 8})")),
             Catch::Contains("img_size: expected at least one patch of 16 pixels, got 8x8"));
  CHECK_THAT(error_of(config("vit_base_patch16_224"), "[]"),
             Catch::Contains("create_model argument is an array; expected a JSON object"));
}

TEST_CASE("a VitArchitecture built by hand reports every broken rule") {
  VitArchitecture::Fields fields;
  fields.embed_dim = 0;
  fields.mlp = MlpKind::swiglu_packed;
  fields.mlp_hidden = 7;
  fields.norm_eps = -1;
  try {
    VitArchitecture{fields};
    FAIL("no error");
  } catch (const bioptimus::ValidationError& error) {
    REQUIRE(error.violations().size() == 3);
    CHECK(error.violations()[0].field == "embed_dim");
    CHECK(error.violations()[1].field == "mlp_hidden");
    CHECK(error.violations()[2].field == "norm_eps");
  }
}

TEST_CASE("a transformers config.json gives the same family under transformers' defaults") {
  using bioptimus::engine::PrefixPositions;
  // Phikon's (owkin/phikon config.json): a ViTModel ViT-B/16.
  const VitArchitecture phikon = VitArchitecture::from_transformers_config(
      R"({"architectures": ["ViTModel"], "model_type": "vit", "hidden_size": 768, "num_hidden_layers": 12,
          "num_attention_heads": 12, "intermediate_size": 3072, "hidden_act": "gelu", "layer_norm_eps": 1e-12,
          "image_size": 224, "patch_size": 16, "num_channels": 3, "qkv_bias": true, "encoder_stride": 16})",
      "config.json");
  CHECK(phikon.name() == "transformers vit");
  CHECK(phikon.embed_dim() == 768);
  CHECK(phikon.mlp_hidden() == 3072);
  CHECK(phikon.mlp() == MlpKind::mlp);
  CHECK(phikon.norm_eps() == 1e-12);
  CHECK_FALSE(phikon.layer_scale());
  CHECK(phikon.pos_embed_length() == 197);
  // A Dinov2Model with the packed SwiGLU: (int(1536 * 4 * 2 / 3) + 7) // 8 * 8 = 4096 per half.
  const VitArchitecture giant = VitArchitecture::from_transformers_config(
      R"({"model_type": "dinov2", "hidden_size": 1536, "num_hidden_layers": 40, "num_attention_heads": 24,
          "mlp_ratio": 4, "use_swiglu_ffn": true, "image_size": 224, "patch_size": 14})",
      "config.json");
  CHECK(giant.mlp() == MlpKind::swiglu_packed);
  CHECK(giant.mlp_hidden() == 8192);
  CHECK(giant.activation() == Activation::silu);
  CHECK(giant.layer_scale());
  CHECK(giant.norm_eps() == 1e-6);
  // With registers, the position embeddings cover CLS and the patches only.
  const VitArchitecture registers = VitArchitecture::from_transformers_config(
      R"({"model_type": "dinov2_with_registers", "hidden_size": 768, "num_hidden_layers": 12,
          "num_attention_heads": 12, "image_size": 224, "patch_size": 14, "num_register_tokens": 4})",
      "config.json");
  CHECK(registers.num_prefix_tokens() == 5);
  CHECK(registers.prefix_positions() == PrefixPositions::class_only);
  CHECK(registers.pos_embed_length() == 257);

  const auto error = [](const std::string& text) {
    try {
      (void)VitArchitecture::from_transformers_config(text, "config.json");
    } catch (const ArchitectureError& e) {
      return std::string{e.what()};
    }
    return std::string{"no error"};
  };
  CHECK_THAT(error(R"({"model_type": "clip_vision_model", "hidden_size": 768})"),
             Catch::Contains("model_type: \"clip_vision_model\" is not one the engine reads"));
  CHECK_THAT(error(R"({"model_type": "vit", "num_hidden_layers": 12})"),
             Catch::Contains("config.json: hidden_size: expected a whole number, got nothing"));
  CHECK_THAT(error(R"({"model_type": "vit", "hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4,
                       "image_size": 32, "patch_size": 16, "hidden_act": "gelu_new"})"),
             Catch::Contains("hidden_act: expected \"gelu\" (exact) or \"silu\""));
}
