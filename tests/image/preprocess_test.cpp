// The Preprocessor's contract beyond parity: batches and threads, colour
// order, errors, and the `modelspec preprocess` command.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bioptimus/error.hpp"
#include "bioptimus/models/preprocess.hpp"
#include "bioptimus/models/registry.hpp"
#include "image_io.hpp"
#include "temp_dir.hpp"
#include "test_models.hpp"

namespace {

namespace image = bioptimus::image;
namespace models = bioptimus::models;
using bioptimus::testing::small_vit_spec;
using Catch::Matchers::Contains;

image::Image random_image(std::int64_t width, std::int64_t height, std::uint32_t seed) {
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  image::Image out(width, height);
  for (std::uint8_t& value : out.bytes()) {
    value = static_cast<std::uint8_t>(byte(random));
  }
  return out;
}

}  // namespace

TEST_CASE("a batch over threads equals tile-by-tile calls", "[preprocess]") {
  const models::Preprocessor pre(small_vit_spec());
  CHECK(pre.output_shape() == std::array<std::int64_t, 3>{3, 32, 32});
  CHECK(pre.precision() == models::Precision::fp32);
  std::vector<image::Image> tiles;
  std::vector<image::ImageView> views;
  for (std::uint32_t i = 0; i < 9; ++i) {
    tiles.push_back(random_image(40 + i, 64 - i, i));  // mixed sizes: one plan each
  }
  for (const image::Image& tile : tiles) {
    views.push_back(tile.view());
  }
  const auto elements = static_cast<std::size_t>(pre.output_elements());
  std::vector<float> batch(views.size() * elements);
  pre(views, batch, 3);
  for (std::size_t i = 0; i < views.size(); ++i) {
    std::vector<float> one(elements);
    pre(views[i], one);
    CHECK(std::memcmp(one.data(), batch.data() + i * elements, elements * sizeof(float)) == 0);
  }
}

TEST_CASE("BGR models get their planes in BGR order", "[preprocess]") {
  const models::Preprocessor rgb(small_vit_spec());
  const models::Preprocessor bgr(small_vit_spec("color_space: BGR\n"));
  const image::Image tile = random_image(32, 32, 5);
  std::vector<float> a(static_cast<std::size_t>(rgb.output_elements()));
  std::vector<float> b(a.size());
  rgb(tile.view(), a);
  bgr(tile.view(), b);
  // Plane 0 of BGR is the blue channel normalised with the first mean/std.
  const auto blue = static_cast<float>(tile.bytes()[2]);
  CHECK(b[0] == (blue / 255.0F - 0.707223F) / 0.211883F);
  CHECK(a[0] == (static_cast<float>(tile.bytes()[0]) / 255.0F - 0.707223F) / 0.211883F);
}

TEST_CASE("bad preprocessor input is a clear error", "[preprocess]") {
  const models::Preprocessor pre(small_vit_spec());
  const image::Image tile = random_image(32, 32, 1);
  std::vector<float> short_buffer(10);
  CHECK_THROWS_WITH(pre(tile.view(), short_buffer), Contains("output buffer holds 40 bytes") && Contains("need 12288"));
  std::vector<float> out(static_cast<std::size_t>(pre.output_elements()) * 2);
  const std::vector<image::ImageView> views{tile.view(), image::ImageView{}};
  CHECK_THROWS_WITH(pre(views, out, 2), Contains("tile 1: pixel data is null"));
  CHECK_THROWS_WITH(pre(views, out, 0), Contains("threads must be at least 1"));
  CHECK_THROWS_WITH(models::Preprocessor(small_vit_spec("stain_normalization: macenko\n"),
                                         {.stain = {.estimation = models::StainEstimation::per_slide}}),
                    Contains("test-model@1.0.0") && Contains("per-slide estimation needs slide_stains"));
  CHECK_THROWS_WITH(
      models::Preprocessor(small_vit_spec("stain_normalization: macenko\n"),
                           {.stain = {.target = models::reference_lab_statistics}}),
      Contains("target: expected stain vectors (hematoxylin, eosin, max_concentrations), got LAB statistics"));
  CHECK_THROWS_WITH(models::Preprocessor(small_vit_spec("interpolation: area\nantialias: false\n")),
                    Contains("box has no non-antialiased form"));
}

TEST_CASE("modelspec preprocess writes what the Preprocessor computes", "[preprocess][tool]") {
  const bioptimus::testing::TempDir dir;
  const std::filesystem::path data = std::filesystem::path(BIOPTIMUS_TEST_DATA_DIR) / "parity";
  const auto& spec = models::Registry::builtin().get(models::Models::h0_mini);
  const models::Preprocessor pre(spec);
  for (const char* input : {"source_300x500.png", "rgba_64x48.npy"}) {
    INFO(input);
    for (const auto& [flag, descr, precision] : {std::tuple{"", "<f2", models::Precision::fp16},
                                                 std::tuple{" --precision fp32", "<f4", models::Precision::fp32},
                                                 std::tuple{" --precision bf16", "<u2", models::Precision::bf16}}) {
      const std::filesystem::path out = dir.path() / "out.npy";
      const std::string command = std::string(BIOPTIMUS_MODELSPEC) + " preprocess h0-mini " + (data / input).string() +
                                  " -o " + out.string() + flag + " > " + (dir.path() / "log").string();
      REQUIRE(std::system(command.c_str()) == 0);
      const bioptimus::apps::NpyArray array = bioptimus::apps::read_npy(out);
      CHECK(array.descr == descr);
      CHECK(array.shape == std::vector<std::int64_t>{3, 224, 224});
      const image::Image tile = bioptimus::apps::read_image(data / input);
      std::vector<std::byte> expected(pre.output_bytes(precision));
      pre(tile.view(), expected, precision);
      CHECK(array.data == expected);
    }
  }
  // MODEL may also be a config file.
  const std::string from_file = std::string(BIOPTIMUS_MODELSPEC) + " preprocess " + BIOPTIMUS_SOURCE_DIR +
                                "/configs/h0-mini.yaml " + (data / "rgba_64x48.npy").string() + " -o " +
                                (dir.path() / "file.npy").string() + " > " + (dir.path() / "log").string();
  REQUIRE(std::system(from_file.c_str()) == 0);
  CHECK(bioptimus::apps::read_npy(dir.path() / "file.npy").descr == "<f2");
  const std::string missing = std::string(BIOPTIMUS_MODELSPEC) + " preprocess h0-mini " +
                              (data / "manifest.json").string() + " -o " + (dir.path() / "x.npy").string() + " 2> " +
                              (dir.path() / "err").string();
  CHECK(std::system(missing.c_str()) != 0);
}
