// TileStream on generated slides: the batches hold the extractor's tiles in
// its order, equal bit for bit to the Preprocessor run on each tile alone and
// to Pillow + torchvision (pillow_tiles.py), in every output format; the
// lifetime of batches; errors naming the slide and the region.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
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

using bioptimus::extraction::wsi::TileExtractor;
using bioptimus::extraction::wsi::TileRegion;
using bioptimus::image::Image;
using bioptimus::image::PixelFormat;
using bioptimus::io::wsi::SlideError;
using bioptimus::io::wsi::SlideReader;
using bioptimus::models::ModelSpec;
using bioptimus::models::Precision;
using bioptimus::models::Preprocessor;
using bioptimus::pipeline::TileBatch;
using bioptimus::pipeline::TileFormat;
using bioptimus::pipeline::TileStream;
using bioptimus::pipeline::TileStreamOptions;
using bioptimus::testing::TempDir;

using bioptimus::testing::small_slide_tissue;

// The extractor's tissue tiles of `slide`, as TileStream::open finds them.
std::vector<TileRegion> tissue_tiles(const SlideReader& slide, const ModelSpec& spec) {
  bioptimus::extraction::wsi::TileExtractorOptions options = small_slide_tissue();
  options.model = spec.identity();
  TileExtractor extractor{spec.tile_spec(), options};
  return extractor.fit(slide).extract();
}

// One tile as the Preprocessor makes it from a read of its own, in the stream's format.
std::vector<std::byte> expected_tile(const SlideReader& slide, const Preprocessor& preprocessor, const TileRegion& tile,
                                     TileFormat format, Precision precision) {
  Image region(tile.size.width, tile.size.height, PixelFormat::argb32_premultiplied);
  slide.read_level_into(tile.level, tile.x, tile.y, region.mutable_view());
  const auto shape = preprocessor.output_shape();
  if (format == TileFormat::rgb8) {
    std::vector<std::byte> out(static_cast<std::size_t>(shape[1] * shape[2] * 3));
    preprocessor.resize(region.view(), {.data = reinterpret_cast<std::uint8_t*>(out.data()),
                                        .width = shape[2],
                                        .height = shape[1],
                                        .stride_bytes = shape[2] * 3,
                                        .format = PixelFormat::rgb8});
    return out;
  }
  std::vector<std::byte> out(preprocessor.output_bytes(precision));
  preprocessor(region.view(), std::span<std::byte>(out), precision);
  return out;
}

// Every batch of `stream`, checked against the tiles one by one: order,
// sizes, coordinates and bytes. Returns how many batches there were.
std::int64_t check_stream(TileStream& stream, const SlideReader& slide, const Preprocessor& preprocessor,
                          const std::vector<TileRegion>& tiles, const TileStreamOptions& options) {
  std::int64_t batches = 0;
  std::size_t next_tile = 0;
  while (std::optional<TileBatch> batch = stream.next()) {
    INFO("batch " << batches);
    CHECK(batch->index() == batches);
    CHECK(batch->first_tile() == static_cast<std::int64_t>(next_tile));
    const auto expected_size =
        std::min<std::size_t>(static_cast<std::size_t>(options.batch_size), tiles.size() - next_tile);
    REQUIRE(batch->size() == static_cast<std::int64_t>(expected_size));
    const std::span<const TileRegion> batch_tiles = batch->tiles();
    REQUIRE(std::equal(batch_tiles.begin(), batch_tiles.end(), tiles.begin() + static_cast<std::ptrdiff_t>(next_tile)));
    const std::span<std::byte> bytes = batch->bytes();
    const std::size_t tile_bytes = bytes.size() / expected_size;
    for (std::size_t i = 0; i < expected_size; ++i) {
      const std::vector<std::byte> expected =
          expected_tile(slide, preprocessor, tiles[next_tile + i], options.format, options.precision);
      REQUIRE(expected.size() == tile_bytes);
      INFO("tile " << next_tile + i);
      CHECK(std::memcmp(bytes.data() + i * tile_bytes, expected.data(), tile_bytes) == 0);
    }
    next_tile += expected_size;
    ++batches;
  }
  CHECK(next_tile == tiles.size());
  CHECK(batches == stream.batch_count());
  return batches;
}

}  // namespace

TEST_CASE("TileStream: batches hold the extractor's tiles in order, as the Preprocessor makes each tile",
          "[pipeline]") {
  const TempDir dir;
  const auto [size, mpp, level, region] = GENERATE(from_range(bioptimus::testing::slide_cases));
  INFO("slide at " << mpp << " um/px");
  const auto path = bioptimus::testing::make_tissue_slide(dir.path() / "slide.tif", "--size " + size + " --mpp " + mpp);
  const ModelSpec spec = bioptimus::testing::tiny_vit_spec();
  const Preprocessor preprocessor(spec);
  const SlideReader slide{path};

  // 7 tiles per batch: the last batch is a partial one (unless the count divides).
  const TileStreamOptions options{.batch_size = 7, .threads = 3, .prefetch = 2};
  TileStream stream = TileStream::open(path, spec, {}, small_slide_tissue(), options);
  const std::vector<TileRegion> tiles = tissue_tiles(stream.slide(), spec);
  REQUIRE(tiles.size() > 20);
  CHECK(tiles.front().level.index() == level);
  CHECK(tiles.front().size.width == region);
  REQUIRE(std::equal(stream.tiles().begin(), stream.tiles().end(), tiles.begin(), tiles.end()));
  const auto last_size = static_cast<std::int64_t>(tiles.size() % 7);
  INFO("last batch holds " << (last_size == 0 ? 7 : last_size) << " tiles");
  CHECK(check_stream(stream, slide, preprocessor, tiles, options) == static_cast<std::int64_t>(tiles.size() + 6) / 7);
  // After the end: nothing more, again.
  CHECK_FALSE(stream.next().has_value());
  CHECK(stream.tile_shape() == std::array<std::int64_t, 3>{3, 64, 64});
}

TEST_CASE("TileStream: float16 and bfloat16 patterns, and the resized rgb8 pixels, as the Preprocessor makes them",
          "[pipeline]") {
  const TempDir dir;
  const auto [size, mpp, level, region] = GENERATE(from_range(bioptimus::testing::slide_cases));
  INFO("slide at " << mpp << " um/px");
  const auto path = bioptimus::testing::make_tissue_slide(dir.path() / "slide.tif", "--size " + size + " --mpp " + mpp);
  const ModelSpec spec = bioptimus::testing::tiny_vit_spec();
  const Preprocessor preprocessor(spec);
  const SlideReader slide{path};
  // 15 tiles from the middle of the grid, in batches of 7: two whole batches and a partial one.
  TileExtractor extractor{spec.tile_spec(), {.segmentation = std::nullopt}};
  const std::vector<TileRegion>& grid = extractor.fit(slide).extract();
  const auto middle = static_cast<std::ptrdiff_t>(grid.size() / 2);
  const std::vector<TileRegion> tiles(grid.begin() + middle, grid.begin() + middle + 15);
  REQUIRE(tiles.front().level.index() == level);
  REQUIRE(tiles.front().size.width == region);

  const auto [format, precision] = GENERATE(table<TileFormat, Precision>({
      {TileFormat::model_input, Precision::fp16},
      {TileFormat::model_input, Precision::bf16},
      {TileFormat::rgb8, Precision::fp32},
  }));
  const TileStreamOptions options{.batch_size = 7, .threads = 2, .format = format, .precision = precision};
  TileStream stream(SlideReader{path}, tiles, preprocessor, options);
  CHECK(check_stream(stream, slide, preprocessor, tiles, options) == 3);
  CHECK(stream.tile_shape() ==
        (format == TileFormat::rgb8 ? std::array<std::int64_t, 3>{64, 64, 3} : std::array<std::int64_t, 3>{3, 64, 64}));
}

TEST_CASE("TileStream: float32 batches equal Pillow + torchvision at the same coordinates, bit for bit", "[pipeline]") {
  const TempDir dir;
  const auto [size, mpp, level, region] = GENERATE(from_range(bioptimus::testing::slide_cases));
  INFO("slide at " << mpp << " um/px");
  const auto path = bioptimus::testing::make_tissue_slide(dir.path() / "slide.tif", "--size " + size + " --mpp " + mpp);
  const ModelSpec spec = bioptimus::testing::tiny_vit_spec();
  TileStream stream = TileStream::open(path, spec, {}, small_slide_tissue(), {.batch_size = 16, .threads = 2});
  const std::span<const TileRegion> tiles = stream.tiles();
  REQUIRE(tiles.size() > 20);
  REQUIRE(tiles.front().level.index() == level);
  REQUIRE(tiles.front().size.width == region);
  std::ofstream coords(dir.path() / "coords.txt");
  for (const TileRegion& tile : tiles) {
    coords << tile.x << ' ' << tile.y << '\n';
  }
  coords.close();

  int status = 0;
  const std::string output = bioptimus::testing::run_output(
      "/usr/bin/python3 '" BIOPTIMUS_SOURCE_DIR "/tests/pipeline/pillow_tiles.py' " + bioptimus::testing::quoted(path) +
          " " + bioptimus::testing::quoted(dir.path() / "coords.txt") + " " +
          bioptimus::testing::quoted(dir.path() / "pillow.f32") + " " + std::to_string(level) + " " +
          std::to_string(region) + " 64 0.485,0.456,0.406 0.229,0.224,0.225",
      &status);
  if (status == 77) {
    WARN("skipped: " << output);
    return;
  }
  REQUIRE(status == 0);
  std::ifstream in(dir.path() / "pillow.f32", std::ios::binary);
  std::vector<float> pillow(tiles.size() * 3 * 64 * 64);
  in.read(reinterpret_cast<char*>(pillow.data()), static_cast<std::streamsize>(pillow.size() * sizeof(float)));
  REQUIRE(in);

  std::size_t offset = 0;
  while (std::optional<TileBatch> batch = stream.next()) {
    const std::span<const float> values = batch->values<float>();
    INFO("batch " << batch->index() << " of " << batch->size() << " tiles");
    REQUIRE(offset + values.size() <= pillow.size());
    CHECK(std::memcmp(values.data(), pillow.data() + offset, values.size_bytes()) == 0);
    offset += values.size();
  }
  CHECK(offset == pillow.size());
}

TEST_CASE("TileStream: a batch is the caller's until it is destroyed, even after the stream", "[pipeline]") {
  const TempDir dir;
  const auto path = bioptimus::testing::make_tissue_slide(dir.path() / "slide.tif", "--size 4096x3072 --mpp 0.25");
  const ModelSpec spec = bioptimus::testing::tiny_vit_spec();
  const Preprocessor preprocessor(spec);
  const SlideReader slide{path};
  std::vector<TileBatch> held;
  {
    // Holding every batch (more than prefetch + 1) does not stall the stream.
    TileStream stream =
        TileStream::open(path, spec, {}, small_slide_tissue(), {.batch_size = 5, .threads = 2, .prefetch = 1});
    while (std::optional<TileBatch> batch = stream.next()) {
      held.push_back(std::move(*batch));
    }
    REQUIRE(static_cast<std::int64_t>(held.size()) == stream.batch_count());
  }
  // The stream is gone; no buffer was reused while held, so each still holds its own tiles.
  std::vector<const std::byte*> memory;
  for (const TileBatch& batch : held) {
    memory.push_back(batch.bytes().data());
    const std::span<const float> values = batch.values<float>();
    const std::size_t tile_floats = values.size() / static_cast<std::size_t>(batch.size());
    for (std::size_t i = 0; i < static_cast<std::size_t>(batch.size()); ++i) {
      const std::vector<std::byte> expected =
          expected_tile(slide, preprocessor, batch.tiles()[i], TileFormat::model_input, Precision::fp32);
      CHECK(std::memcmp(values.data() + i * tile_floats, expected.data(), expected.size()) == 0);
    }
  }
  std::sort(memory.begin(), memory.end());
  CHECK(std::adjacent_find(memory.begin(), memory.end()) == memory.end());

  SECTION("a moved-from batch and a wrong value type are refused") {
    TileBatch taken = std::move(held.front());
    CHECK(taken.size() == 5);
    CHECK_THROWS_WITH(held.front().size(), Catch::Contains("moved from"));
    CHECK_THROWS_WITH(taken.values<std::uint16_t>(), Catch::Contains("fp32"));
    CHECK(taken.shape() == std::array<std::int64_t, 4>{5, 3, 64, 64});
  }
}

TEST_CASE("TileStream: a tile that cannot be read ends the stream with the slide and the region", "[pipeline]") {
  const TempDir dir;
  // The level-0 TIFF tile [2048, 2304) x [768, 1024), inside the second tissue blob, cannot be inflated.
  const auto path = bioptimus::testing::make_tissue_slide(dir.path() / "corrupt.tif",
                                                          "--size 4096x3072 --mpp 0.25 --corrupt-tile 2253,860");
  const ModelSpec spec = bioptimus::testing::tiny_vit_spec();
  const std::int64_t batch_size = 4;
  // One thread: OpenSlide refuses every read of a slide after its first
  // error, so a tile read at the same moment on another thread would fail too.
  TileStream stream =
      TileStream::open(path, spec, {}, small_slide_tissue(), {.batch_size = batch_size, .threads = 1, .prefetch = 3});
  const std::span<const TileRegion> tiles = stream.tiles();
  // The first tile that overlaps the corrupt TIFF tile.
  const auto corrupt = std::find_if(tiles.begin(), tiles.end(), [](const TileRegion& tile) {
    return tile.x < 2304 && tile.x + 128 > 2048 && tile.y < 1024 && tile.y + 128 > 768;
  });
  REQUIRE(corrupt != tiles.end());
  const auto corrupt_index = static_cast<std::int64_t>(corrupt - tiles.begin());
  REQUIRE(corrupt_index >= batch_size);
  std::int64_t delivered = 0;
  for (std::int64_t i = 0; i < corrupt_index / batch_size; ++i) {
    const std::optional<TileBatch> batch = stream.next();
    REQUIRE(batch.has_value());
    delivered += batch->size();
  }
  CHECK(delivered == corrupt_index / batch_size * batch_size);
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      (void)stream.next();
      FAIL("expected a SlideError");
    } catch (const SlideError& error) {
      CHECK(error.slide() == path);
      CHECK_THAT(error.what(), Catch::Contains(path.string()) && Catch::Contains("region at level-0"));
    }
  }
}

TEST_CASE("TileStream: options are checked, an empty tile list ends at once, tiles_at follows the plan", "[pipeline]") {
  const TempDir dir;
  const auto path = bioptimus::testing::make_tissue_slide(dir.path() / "slide.tif", "--size 4096x3072 --mpp 0.25");
  const ModelSpec spec = bioptimus::testing::tiny_vit_spec();
  try {
    (void)TileStream::open(path, spec, {}, small_slide_tissue(), {.batch_size = 0, .threads = 0, .prefetch = 0});
    FAIL("expected a ValidationError");
  } catch (const bioptimus::ValidationError& error) {
    REQUIRE(error.violations().size() == 3);
    CHECK(error.violations()[0].field == "batch_size");
    CHECK(error.violations()[1].field == "threads");
    CHECK(error.violations()[2].field == "prefetch");
  }

  TileStream empty(SlideReader{path}, {}, Preprocessor(spec));
  CHECK(empty.batch_count() == 0);
  CHECK_FALSE(empty.next().has_value());

  const SlideReader slide{path};
  const std::vector<TileRegion> tiles = tissue_tiles(slide, spec);
  REQUIRE_FALSE(tiles.empty());
  std::vector<std::array<std::int64_t, 2>> coordinates;
  for (const TileRegion& tile : tiles) {
    coordinates.push_back({tile.x, tile.y});
  }
  const std::vector<TileRegion> at = bioptimus::pipeline::tiles_at(slide, spec.tile_spec(), coordinates);
  REQUIRE(at.size() == tiles.size());
  for (std::size_t i = 0; i < at.size(); ++i) {
    CHECK(at[i].x == tiles[i].x);
    CHECK(at[i].y == tiles[i].y);
    CHECK(at[i].level == tiles[i].level);
    CHECK(at[i].size == tiles[i].size);
  }
}
