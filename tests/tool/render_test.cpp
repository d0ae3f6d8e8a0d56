// The modelspec tool's renderings: the JSON form of DESIGN section 8, the
// text form and the list table.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "bioptimus/models/registry.hpp"
#include "render.hpp"

using namespace bioptimus::models;
using Catch::Matchers::Contains;

TEST_CASE("JSON carries every YAML key, defaults filled, enums spelled", "[tool][json]") {
  const auto json = bioptimus::apps::to_json(Registry::builtin().get(Models::h0_mini));
  for (const char* key : {"model_name",
                          "version",
                          "weights_source",
                          "license",
                          "tile_spec",
                          "num_channels",
                          "mean",
                          "std",
                          "interpolation",
                          "antialias",
                          "color_space",
                          "stain_normalization",
                          "stain_target",
                          "architecture",
                          "patch_size",
                          "num_prefix_tokens",
                          "embedding_dim",
                          "output_type",
                          "output_spatial_dims",
                          "precision",
                          "derived"}) {
    INFO(key);
    CHECK(json.contains(key));
  }
  CHECK(json.size() == 21);
  CHECK(json["output_type"] == "cls+patch_mean");
  CHECK(json["color_space"] == "RGB");
  CHECK(json["stain_normalization"].is_null());
  CHECK(json["stain_target"].is_null());
  CHECK(json["output_spatial_dims"].is_null());
  CHECK(json["tile_spec"]["resolution"] == 0.5);
  CHECK(json["tile_spec"]["size"] == nlohmann::ordered_json::array({224, 224}));
  CHECK(json["mean"][0] == 0.707223);
}

TEST_CASE("JSON derived values are the design's h0-mini numbers", "[tool][json]") {
  const auto derived = bioptimus::apps::to_json(Registry::builtin().get(Models::h0_mini))["derived"];
  CHECK(derived["tile_size_pixels"] == nlohmann::ordered_json::array({224, 224}));
  CHECK(derived["stride_pixels"] == nlohmann::ordered_json::array({224, 224}));
  CHECK(derived["tile_size_microns"] == nlohmann::ordered_json::array({112.0, 112.0}));
  CHECK(derived["grid"] == nlohmann::ordered_json::array({16, 16}));
  CHECK(derived["num_patch_tokens"] == 256);
  CHECK(derived["sequence_length"] == 261);
  CHECK(derived["token_dim"] == 768);
  CHECK(derived["input_shape"] == nlohmann::ordered_json::array({3, 224, 224}));
  CHECK(derived["output_shape"] == nlohmann::ordered_json::array({1536}));
  CHECK(derived["identity"] == "h0-mini@1.0.0");
}

TEST_CASE("JSON of a non-ViT has null grid and token counts", "[tool][json]") {
  const auto json = bioptimus::apps::to_json(Registry::builtin().get(Models::ctranspath));
  CHECK(json["patch_size"].is_null());
  CHECK(json["derived"]["grid"].is_null());
  CHECK(json["derived"]["num_patch_tokens"].is_null());
  CHECK(json["derived"]["sequence_length"].is_null());
  CHECK(json["tile_spec"]["resolution"] == 1.0);
}

TEST_CASE("The text form names the numbers a pipeline needs", "[tool][text]") {
  const std::string text = bioptimus::apps::to_text(Registry::builtin().get(Models::virchow2));
  CHECK_THAT(text, Contains("virchow2@1.0.0"));
  CHECK_THAT(text, Contains("224x224 px at 0.5 mpp (112x112 um)"));
  CHECK_THAT(text, Contains("5 tokens (CLS + 4 registers)"));
  CHECK_THAT(text, Contains("261 tokens of 1280"));
  CHECK_THAT(text, Contains("output shape   [2560]"));
}

TEST_CASE("The list table has one aligned row per model", "[tool][list]") {
  const auto specs = Registry::builtin().specs();
  const std::string table = bioptimus::apps::to_table(specs, false);
  CHECK(static_cast<std::size_t>(std::count(table.begin(), table.end(), '\n')) == specs.size() + 1);
  CHECK_THAT(table, Contains("h0-mini ") && Contains("224x224 px @ 0.5 mpp") && Contains("cls+patch_mean"));
  const std::string markdown = bioptimus::apps::to_table(specs, true);
  CHECK_THAT(markdown, Contains("| name | version | arch | tile |") && Contains("| --- |"));
  CHECK_THAT(markdown, Contains("| musk | 1.0.0 | vit | 384x384 px @ 0.5 mpp | 1024 | cls |"));
}

TEST_CASE("Every output format escapes what it must", "[tool][escaping]") {
  auto fields = Registry::builtin().get(Models::h0_mini).fields();
  fields.license = "other: a | b\nsecond line \x1b[31m";
  fields.weights_source = "repo\xe2\x80\xa8x";
  const ModelSpec spec{fields};
  const std::vector<ModelSpec> specs{spec};
  const std::string markdown = bioptimus::apps::to_table(specs, true);
  CHECK(std::count(markdown.begin(), markdown.end(), '\n') == 3);
  CHECK_THAT(markdown, Contains("| other: a \\| b\\x0asecond line \\x1b[31m | repo\\u2028x |"));
  const std::string text = bioptimus::apps::to_table(specs, false);
  CHECK(std::count(text.begin(), text.end(), '\n') == 2);
  CHECK(text.find('\x1b') == std::string::npos);
  const std::string shown = bioptimus::apps::to_text(spec);
  CHECK(shown.find('\x1b') == std::string::npos);
  CHECK_THAT(shown, Contains("  license        other: a | b\\x0asecond line \\x1b[31m\n"));
  // JSON escapes by itself; it must not throw for any accepted text.
  CHECK(bioptimus::apps::to_json(spec).dump().find("\\u001b[31m") != std::string::npos);
}
