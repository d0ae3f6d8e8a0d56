// The built-in zoo: for each model, the numbers worked out by hand from its
// published architecture (patch size, registers, hidden width, pooling).
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bioptimus/models/registry.hpp"

using namespace bioptimus::models;
using bioptimus::extraction::wsi::PixelExtent;
using Catch::Matchers::WithinRel;

namespace {

struct Expected {
  Models model;
  std::int64_t tile_pixels;  // square tiles: side in pixels as fed to the model
  double mpp;                // microns per pixel of that input
  std::optional<std::int64_t> patch;
  std::int64_t prefix;  // CLS + registers
  std::int64_t embedding_dim;
  OutputType output;
  std::optional<std::int64_t> grid;      // tile / patch per side
  std::optional<std::int64_t> sequence;  // prefix + grid^2
  std::int64_t token_dim;                // embedding_dim / 2 for cls+patch_mean
};

constexpr double twenty_x = 0.5;
constexpr double resized_256_to_224 = 0.5714285714285714;  // 256 px at 0.5 mpp fed as 224 px: 0.5 * 256 / 224

// clang-format off
const std::vector<Expected> zoo{
  // model                        px   mpp                  patch prefix  dim  output                       grid  seq  token
  {Models::h_optimus_0,          224, twenty_x,             14,  5, 1536, OutputType::cls,            16, 261, 1536},  // ViT-g/14 + 4 registers
  {Models::h_optimus_1,          224, twenty_x,             14,  5, 1536, OutputType::cls,            16, 261, 1536},
  {Models::h0_mini,              224, twenty_x,             14,  5, 1536, OutputType::cls_patch_mean, 16, 261,  768},  // ViT-B/14 + 4 registers: 768 || 768
  {Models::uni,                  224, resized_256_to_224,   16,  1, 1024, OutputType::cls,            14, 197, 1024},  // ViT-L/16
  {Models::uni2_h,               224, resized_256_to_224,   14,  9, 1536, OutputType::cls,            16, 265, 1536},  // ViT-H/14 + 8 registers
  {Models::virchow,              224, twenty_x,             14,  1, 2560, OutputType::cls_patch_mean, 16, 257, 1280},  // ViT-H/14: 1280 || 1280
  {Models::virchow2,             224, twenty_x,             14,  5, 2560, OutputType::cls_patch_mean, 16, 261, 1280},  // + 4 registers
  {Models::prov_gigapath,        224, twenty_x,             16,  1, 1536, OutputType::cls,            14, 197, 1536},  // ViT-g at patch 16
  {Models::phikon,               224, twenty_x,             16,  1,  768, OutputType::cls,            14, 197,  768},  // ViT-B/16
  {Models::phikon_v2,            224, twenty_x,             16,  1, 1024, OutputType::cls,            14, 197, 1024},  // ViT-L/16
  {Models::hibou_b,              224, twenty_x,             14,  5,  768, OutputType::cls,            16, 261,  768},  // ViT-B/14 + 4 registers
  {Models::hibou_l,              224, twenty_x,             14,  5, 1024, OutputType::cls,            16, 261, 1024},  // ViT-L/14 + 4 registers
  {Models::midnight_12k,         224, twenty_x,             14,  1, 3072, OutputType::cls_patch_mean, 16, 257, 1536},  // ViT-g/14: 1536 || 1536
  {Models::kaiko_vit_s16,        224, resized_256_to_224,   16,  1,  384, OutputType::cls,            14, 197,  384},
  {Models::kaiko_vit_s8,         224, resized_256_to_224,    8,  1,  384, OutputType::cls,            28, 785,  384},
  {Models::kaiko_vit_b16,        224, resized_256_to_224,   16,  1,  768, OutputType::cls,            14, 197,  768},
  {Models::kaiko_vit_b8,         224, resized_256_to_224,    8,  1,  768, OutputType::cls,            28, 785,  768},
  {Models::kaiko_vit_l14,        224, resized_256_to_224,   14,  5, 1024, OutputType::cls,            16, 261, 1024},  // + 4 registers
  {Models::gpfm,                 224, resized_256_to_224,   14,  1, 1024, OutputType::cls,            16, 257, 1024},  // 512 px at 0.25 mpp = 128 um
  {Models::ctranspath,           224, 1.0,          std::nullopt, 0,  768, OutputType::patch_mean, std::nullopt, std::nullopt, 768},  // Swin-T, avg pool
  {Models::lunit_dino_vit_s8,    224, twenty_x,              8,  1,  384, OutputType::cls,            28, 785,  384},
  {Models::lunit_dino_vit_s16,   224, twenty_x,             16,  1,  384, OutputType::cls,            14, 197,  384},
  {Models::musk,                 384, twenty_x,             16,  1, 1024, OutputType::cls,            24, 577, 1024},  // BEiT-3 large at 384
  {Models::resnet50_trunc_in1k,  224, resized_256_to_224, std::nullopt, 0, 1024, OutputType::patch_mean, std::nullopt, std::nullopt, 1024},  // layer3 avg pool
};
// clang-format on

}  // namespace

TEST_CASE("The zoo covers every built-in model", "[zoo]") { CHECK(zoo.size() == all_models.size()); }

TEST_CASE("Each zoo model's derived values match the hand-worked numbers", "[zoo]") {
  for (const Expected& expected : zoo) {
    const ModelSpec& spec = Registry::builtin().get(expected.model);
    INFO(spec.model_name());
    CHECK(spec.tile_size_pixels() == PixelExtent{.width = expected.tile_pixels, .height = expected.tile_pixels});
    CHECK_THAT(spec.mpp().value(), WithinRel(expected.mpp, 1e-12));
    CHECK(spec.patch_size() == expected.patch);
    CHECK(spec.num_prefix_tokens() == expected.prefix);
    CHECK(spec.embedding_dim() == expected.embedding_dim);
    CHECK(spec.output_type() == expected.output);
    const auto grid = spec.patch_grid();
    CHECK(grid.has_value() == expected.grid.has_value());
    if (grid && expected.grid) {
      CHECK(*grid == PatchGrid{.width = *expected.grid, .height = *expected.grid});
      CHECK(spec.num_patch_tokens() == *expected.grid * *expected.grid);
    }
    CHECK(spec.sequence_length() == expected.sequence);
    CHECK(spec.token_dim() == expected.token_dim);
    CHECK(spec.input_shape() == std::array<std::int64_t, 3>{3, expected.tile_pixels, expected.tile_pixels});
    CHECK(spec.output_shape() == std::vector<std::int64_t>{expected.embedding_dim});
  }
}

TEST_CASE("Register models exclude registers from the patch mean by their prefix count", "[zoo]") {
  // The patch-token mean starts at index num_prefix_tokens, never at 1.
  CHECK(Registry::builtin().get(Models::virchow2).num_prefix_tokens() == 5);
  CHECK(Registry::builtin().get(Models::h0_mini).num_prefix_tokens() == 5);
  CHECK(Registry::builtin().get(Models::uni2_h).num_prefix_tokens() == 9);
}

TEST_CASE("Normalisation constants are the published full-precision ones", "[zoo]") {
  const auto values = [](std::span<const double> span) { return std::vector<double>(span.begin(), span.end()); };
  const ModelSpec& optimus = Registry::builtin().get(Models::h_optimus_0);
  CHECK(values(optimus.mean()) == std::vector<double>{0.707223, 0.578729, 0.703617});
  CHECK(values(optimus.std()) == std::vector<double>{0.211883, 0.230117, 0.177517});
  const ModelSpec& uni = Registry::builtin().get(Models::uni);
  CHECK(values(uni.mean()) == std::vector<double>{0.485, 0.456, 0.406});
  CHECK(values(uni.std()) == std::vector<double>{0.229, 0.224, 0.225});
  const ModelSpec& kaiko = Registry::builtin().get(Models::kaiko_vit_b8);
  CHECK(values(kaiko.mean()) == std::vector<double>{0.5, 0.5, 0.5});
  const ModelSpec& lunit = Registry::builtin().get(Models::lunit_dino_vit_s8);
  CHECK(values(lunit.mean()) == std::vector<double>{0.70322989, 0.53606487, 0.66096631});
  CHECK(values(lunit.std()) == std::vector<double>{0.21716536, 0.26081574, 0.20723464});
  const ModelSpec& hibou = Registry::builtin().get(Models::hibou_b);
  CHECK(values(hibou.mean()) == std::vector<double>{0.7068, 0.5755, 0.722});
  CHECK(values(hibou.std()) == std::vector<double>{0.195, 0.2316, 0.1816});
}
