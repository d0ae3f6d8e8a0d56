// SlideInference with an embedder of its own (the mean colour of each resized
// tile, from rgb8 batches: the path a model server takes): the feature file
// holds one row per tissue tile in the extractor's order, progress goes
// 0 .. total, and a cohort run skips finished slides, reports failures and
// goes on. `modelspec extract` tests the TorchScript path end to end.
#include <hdf5.h>

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "bioptimus/io/wsi/reader.hpp"
#include "bioptimus/models/registry.hpp"
#include "bioptimus/pipeline/cohort.hpp"
#include "bioptimus/pipeline/slide_inference.hpp"
#include "pipeline_support.hpp"
#include "temp_dir.hpp"
#include "wsi_support.hpp"

namespace {

using bioptimus::extraction::wsi::TileRegion;
using bioptimus::models::ModelSpec;
using bioptimus::pipeline::Cohort;
using bioptimus::pipeline::SlideInference;
using bioptimus::pipeline::SlideReport;
using bioptimus::pipeline::SlideStatus;
using bioptimus::pipeline::TileBatch;
using bioptimus::pipeline::TileFormat;

// A spec whose output is 3 floats per tile (dense-free, patch_mean of a "CNN").
ModelSpec mean_colour_spec() {
  return bioptimus::models::parse_spec(R"(model_name: mean-colour
version: 1.0.0
tile_spec: {size: 64, resolution: 0.5}
mean: [0.5, 0.5, 0.5]
std: [0.5, 0.5, 0.5]
architecture: resnet
num_prefix_tokens: 0
embedding_dim: 3
output_type: patch_mean
)",
                                       "mean-colour.yaml");
}

// The mean of each channel of each rgb8 tile; counts the slides' ids it saw.
class MeanColour final : public bioptimus::pipeline::TileEmbedder {
 public:
  [[nodiscard]] TileFormat input_format() const noexcept override { return TileFormat::rgb8; }
  [[nodiscard]] std::size_t embedding_size() const noexcept override { return 3; }
  void embed(const TileBatch& batch, const std::string& slide_id, std::span<float> embeddings) override {
    slide_ids.push_back(slide_id);
    const std::span<const std::uint8_t> pixels = batch.values<std::uint8_t>();
    const std::size_t tile_pixels = pixels.size() / static_cast<std::size_t>(batch.size()) / 3;
    for (std::size_t tile = 0; tile < static_cast<std::size_t>(batch.size()); ++tile) {
      std::array<double, 3> sum{};
      for (std::size_t p = 0; p < tile_pixels; ++p) {
        for (std::size_t c = 0; c < 3; ++c) {
          sum[c] += pixels[(tile * tile_pixels + p) * 3 + c];
        }
      }
      for (std::size_t c = 0; c < 3; ++c) {
        embeddings[tile * 3 + c] = static_cast<float>(sum[c] / static_cast<double>(tile_pixels));
      }
    }
  }

  std::vector<std::string> slide_ids;
};

// A 2-D dataset of an HDF5 file, row-major, as T (H5T_NATIVE_FLOAT or H5T_NATIVE_INT64).
template <class T>
std::vector<T> read_dataset(const std::filesystem::path& file, const char* name, hid_t type) {
  const hid_t h5 = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  REQUIRE(h5 >= 0);
  const hid_t dataset = H5Dopen2(h5, name, H5P_DEFAULT);
  const hid_t space = H5Dget_space(dataset);
  std::array<hsize_t, 2> dims{};
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  std::vector<T> values(static_cast<std::size_t>(dims[0] * dims[1]));
  if (!values.empty()) {
    REQUIRE(H5Dread(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0);
  }
  H5Sclose(space);
  H5Dclose(dataset);
  H5Fclose(h5);
  return values;
}

using bioptimus::testing::small_slide_tissue;

}  // namespace

TEST_CASE("SlideInference: one row per tissue tile in the extractor's order, progress up to the total",
          "[pipeline][inference]") {
  const bioptimus::testing::TempDir dir;
  const auto path = bioptimus::testing::make_tissue_slide(dir.path() / "slide.tif", "--size 4096x3072 --mpp 0.25");
  const ModelSpec spec = mean_colour_spec();
  MeanColour model;
  SlideInference inference{spec, model, {.extraction = small_slide_tissue(), .batch_size = 9, .threads = 2}};
  std::vector<std::int64_t> progress;
  const auto result =
      inference.run(path, {.name = "renamed"}, dir.path() / "renamed.h5", [&](std::int64_t done, std::int64_t total) {
        progress.push_back(done);
        CHECK(done <= total);
      });

  bioptimus::io::wsi::SlideReader slide{path};
  bioptimus::extraction::wsi::TileExtractorOptions options = small_slide_tissue();
  options.model = spec.identity();
  bioptimus::extraction::wsi::TileExtractor extractor{spec.tile_spec(), options};
  const std::vector<TileRegion>& tiles = extractor.fit(slide).extract();
  REQUIRE(result.tiles == static_cast<std::int64_t>(tiles.size()));
  REQUIRE(tiles.size() > 20);
  REQUIRE(progress.size() == (tiles.size() + 8) / 9 + 1);
  CHECK(progress.front() == 0);
  CHECK(progress.back() == result.tiles);
  CHECK(model.slide_ids.front() == "renamed");

  const std::vector<std::int64_t> coords =
      read_dataset<std::int64_t>(dir.path() / "renamed.h5", "coords", H5T_NATIVE_INT64);
  const std::vector<float> features = read_dataset<float>(dir.path() / "renamed.h5", "features", H5T_NATIVE_FLOAT);
  REQUIRE(coords.size() == 2 * tiles.size());
  REQUIRE(features.size() == 3 * tiles.size());
  const bioptimus::models::Preprocessor preprocessor(spec);
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    CHECK(coords[2 * i] == tiles[i].x);
    CHECK(coords[2 * i + 1] == tiles[i].y);
  }
  // The first tile's row: its resized pixels' mean colour.
  const bioptimus::image::Image region = slide.read_level(tiles[0].level, tiles[0].x, tiles[0].y, tiles[0].size);
  bioptimus::image::Image resized(64, 64);
  preprocessor.resize(region.view(), resized.mutable_view());
  std::array<double, 3> sum{};
  const bioptimus::image::ImageView view = resized.view();
  for (std::int64_t p = 0; p < 64 * 64; ++p) {
    for (std::int64_t c = 0; c < 3; ++c) {
      sum[static_cast<std::size_t>(c)] += view.data[p * 3 + c];
    }
  }
  for (std::size_t c = 0; c < 3; ++c) {
    CHECK(features[c] == static_cast<float>(sum[c] / (64.0 * 64.0)));
  }
}

TEST_CASE("SlideInference over a cohort: finished slides skipped, a failure reported, the rest run",
          "[pipeline][inference]") {
  const bioptimus::testing::TempDir dir;
  // Every tile of a small slide (8 x 6 of 64 px at 0.5 um/px): the tissue mask is the other test's.
  const auto good = bioptimus::testing::make_tissue_slide(dir.path() / "good.tif", "--size 1024x768 --mpp 0.25");
  (void)dir.write("broken.svs", "not a slide\n");
  const Cohort cohort =
      Cohort::parse("slide_path,slide_id\ngood.tif,\nbroken.svs,\ngood.tif,again\n", "cohort.csv", dir.path());
  const ModelSpec spec = mean_colour_spec();
  MeanColour model;
  SlideInference inference{
      spec,
      model,
      {.extraction = {.segmentation = std::nullopt}, .writer = {.format = bioptimus::writers::OutputFormat::npz}}};
  const auto run = [&](bool overwrite) {
    std::vector<std::string> reports;
    std::size_t progress_calls = 0;
    const auto summary = inference.run(
        cohort, dir.path() / "features",
        {.overwrite = overwrite,
         .progress = [&](const bioptimus::pipeline::CohortSlide&, std::size_t, std::int64_t,
                         std::int64_t) { ++progress_calls; },
         .report =
             [&](const SlideReport& report) {
               reports.push_back(report.slide.slide_id + " " + std::string(to_string(report.result.status)) + " " +
                                 report.result.output.filename().string());
               if (report.result.status == SlideStatus::failed) {
                 CHECK_THAT(report.error, Catch::Contains("broken.svs: cannot open slide"));
               }
             }});
    CHECK(summary.failed == 1);
    return std::pair{reports, progress_calls};
  };
  const auto [first, first_progress] = run(false);
  CHECK(first == std::vector<std::string>{"good ok good.npz", "broken failed ", "again ok again.npz"});
  CHECK(first_progress > 2);
  CHECK(std::filesystem::exists(dir.path() / "features" / "good.npz"));
  const auto [second, second_progress] = run(false);
  CHECK(second == std::vector<std::string>{"good skipped good.npz", "broken failed ", "again skipped again.npz"});
  CHECK(second_progress == 0);
  const auto [third, third_progress] = run(true);
  CHECK(third == first);
}

// Issue 22, class 2: two slides of a cohort from a list that would write one file.
TEST_CASE("SlideInference over a cohort: two slides that would write one file are refused before any is read",
          "[pipeline][inference]") {
  const bioptimus::testing::TempDir dir;
  const ModelSpec spec = mean_colour_spec();
  MeanColour model;
  SlideInference inference{spec, model, {.writer = {.format = bioptimus::writers::OutputFormat::npz}}};
  const Cohort cohort(
      {{dir.path() / "a" / "s1.svs", "s1", std::nullopt, 0}, {dir.path() / "b" / "s1.svs", "s1", std::nullopt, 0}});
  REQUIRE_THROWS_WITH(inference.run(cohort, dir.path() / "features"),
                      (dir.path() / "a" / "s1.svs").string() + " and " + (dir.path() / "b" / "s1.svs").string() +
                          " would both write s1.npz; give the slides distinct slide_ids");
  CHECK_FALSE(std::filesystem::exists(dir.path() / "features"));
}
