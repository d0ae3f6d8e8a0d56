// TileStream's threads under stress, for the tsan preset (its test names
// contain "concurren") and the asan one: streams created and destroyed
// mid-way, cancelled, failing, with batches outliving them; a consumer on
// another thread than the one that made the stream.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <thread>
#include <vector>

#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "bioptimus/io/wsi/reader.hpp"
#include "bioptimus/models/registry.hpp"
#include "bioptimus/pipeline/tile_stream.hpp"
#include "pipeline_support.hpp"
#include "temp_dir.hpp"
#include "test_models.hpp"
#include "wsi_support.hpp"

namespace {

using bioptimus::extraction::wsi::TileRegion;
using bioptimus::io::wsi::SlideReader;
using bioptimus::models::ModelSpec;
using bioptimus::models::Preprocessor;
using bioptimus::pipeline::TileBatch;
using bioptimus::pipeline::TileFormat;
using bioptimus::pipeline::TileStream;
using bioptimus::pipeline::TileStreamOptions;

// Every grid tile of the slide (no tissue mask: segmenting 50 times would be the test's cost).
std::vector<TileRegion> every_tile(const SlideReader& slide, const ModelSpec& spec) {
  bioptimus::extraction::wsi::TileExtractor extractor{spec.tile_spec(), {.segmentation = std::nullopt}};
  return extractor.fit(slide).extract();
}

}  // namespace

TEST_CASE("TileStream concurrency: 50 streams created and destroyed mid-way", "[pipeline][concurrency]") {
  const bioptimus::testing::TempDir dir;
  const auto path = bioptimus::testing::make_tissue_slide(dir.path() / "slide.tif", "--size 1536x1024 --mpp 0.25");
  const auto corrupt = bioptimus::testing::make_tissue_slide(dir.path() / "corrupt.tif",
                                                             "--size 1536x1024 --mpp 0.25 --corrupt-tile 700,100");
  const ModelSpec spec = bioptimus::testing::tiny_vit_spec();
  const Preprocessor preprocessor(spec);
  const std::vector<TileRegion> tiles = every_tile(SlideReader{path}, spec);
  REQUIRE(tiles.size() == 96);  // 12 x 8 tiles of 128 level-0 pixels
  // In the corrupt slide, tiles 4 and 5 (batch 1) overlap the TIFF tile [512, 768) x [0, 256).

  std::vector<TileBatch> outliving;
  std::int64_t taken_tiles = 0;
  for (int i = 0; i < 50; ++i) {
    const TileStreamOptions options{.batch_size = 4,
                                    .threads = 1 + i % 4,
                                    .prefetch = 1 + i % 3,
                                    .format = i % 5 == 0 ? TileFormat::rgb8 : TileFormat::model_input};
    const bool failing = i % 7 == 3;
    TileStream stream(SlideReader{failing ? corrupt : path}, tiles, preprocessor, options);
    const int batches = i % 3;  // 0, 1 or 2 batches taken before the stream goes
    for (int b = 0; b < batches; ++b) {
      try {
        std::optional<TileBatch> batch = stream.next();
        REQUIRE(batch.has_value());
        taken_tiles += batch->size();
        if (i % 4 == 1) {
          outliving.push_back(std::move(*batch));
        }
      } catch (const bioptimus::io::wsi::SlideError&) {
        CHECK(failing);
      }
    }
    if (i % 6 == 2) {
      stream.cancel();
      CHECK_FALSE(stream.next().has_value());
    }
  }
  CHECK(taken_tiles > 0);
  for (const TileBatch& batch : outliving) {
    CHECK(batch.size() == 4);
    CHECK(batch.bytes().size() == (batch.format() == TileFormat::rgb8
                                       ? std::size_t{4 * 64 * 64 * 3}
                                       : 4 * preprocessor.output_bytes(bioptimus::models::Precision::fp32)));
  }
}

TEST_CASE("TileStream concurrency: a consumer thread other than the one that made the stream",
          "[pipeline][concurrency]") {
  const bioptimus::testing::TempDir dir;
  const auto path = bioptimus::testing::make_tissue_slide(dir.path() / "slide.tif", "--size 1536x1024 --mpp 0.25");
  const ModelSpec spec = bioptimus::testing::tiny_vit_spec();
  const std::vector<TileRegion> tiles = every_tile(SlideReader{path}, spec);
  TileStream stream(SlideReader{path}, tiles, Preprocessor(spec), {.batch_size = 8, .threads = 2, .prefetch = 2});
  std::int64_t seen = 0;
  std::vector<TileBatch> returned;
  std::thread consumer([&] {
    while (std::optional<TileBatch> batch = stream.next()) {
      seen += batch->size();
      returned.push_back(std::move(*batch));
    }
  });
  consumer.join();
  CHECK(seen == static_cast<std::int64_t>(tiles.size()));
  // Given back on this thread, after the consumer ended.
  returned.clear();
}
