// Prediction writers, every format: what a reader can see before close,
// after an error, and after an abandoned or killed write; the checks of
// every call. (check_features.py reads the finished outputs with
// zarr-python, h5py and numpy.)
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "bioptimus/models/registry.hpp"
#include "bioptimus/writers/prediction_writer.hpp"
#include "host_hdf5_errors.hpp"
#include "temp_dir.hpp"
#include "test_models.hpp"

namespace {

using bioptimus::writers::Coordinate;
using bioptimus::writers::CoordinateAttributes;
using bioptimus::writers::open_prediction_writer;
using bioptimus::writers::OutputFormat;
using bioptimus::writers::PredictionWriter;
using bioptimus::writers::WriterError;
using bioptimus::writers::WriterOptions;

using bioptimus::testing::tiny_vit_spec;

std::vector<std::string> entries(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

const OutputFormat formats[] = {OutputFormat::hdf5, OutputFormat::npz, OutputFormat::zarr};

std::string name_for(OutputFormat format) { return "slide." + std::string{extension(format)}; }

std::unique_ptr<PredictionWriter> open_for(OutputFormat format, const std::filesystem::path& target,
                                           WriterOptions options = {}) {
  options.format = format;
  return open_prediction_writer(target, tiny_vit_spec(), CoordinateAttributes{.name = "slide"}, options);
}

void write_two_rows(PredictionWriter& writer) {
  const std::vector<float> features(2 * 64, 1.0F);
  const std::vector<Coordinate> coordinates{{.x = 0, .y = 0}, {.x = 224, .y = 0}};
  writer.write(features, coordinates);
}

}  // namespace

TEST_CASE("Nothing appears under the target name before close, and an abandoned writer leaves nothing", "[writers]") {
  for (const OutputFormat format : formats) {
    const bioptimus::testing::TempDir dir;
    const std::filesystem::path target = dir.path() / name_for(format);
    {
      auto writer = open_for(format, target);
      REQUIRE(writer->row_size() == 64);
      REQUIRE(writer->path() == target);
      write_two_rows(*writer);
      REQUIRE(writer->rows() == 2);
      // Only hidden temporaries of this target (NPZ: the archive and its two .npy files).
      const std::vector<std::string> temporaries = entries(dir.path());
      REQUIRE(temporaries.size() == (format == OutputFormat::npz ? 3U : 1U));
      for (const std::string& name : temporaries) {
        REQUIRE(name.rfind("." + name_for(format) + ".partial-", 0) == 0);
      }
    }
    REQUIRE(entries(dir.path()).empty());
  }
}

TEST_CASE("close replaces an existing output, and calls after it are errors", "[writers]") {
  for (const OutputFormat format : formats) {
    const bioptimus::testing::TempDir dir;
    const std::filesystem::path target = dir.path() / name_for(format);
    if (format == OutputFormat::zarr) {
      // An older store: replaced whole, none of its chunks survive.
      std::filesystem::create_directories(target / "features");
      dir.write(name_for(format) + "/.zgroup", R"({"zarr_format": 2})");
      dir.write(name_for(format) + "/features/9.0", "stale chunk");
    } else {
      dir.write(name_for(format), "stale");
    }
    auto writer = open_for(format, target);
    writer->close();
    REQUIRE(entries(dir.path()) == std::vector<std::string>{name_for(format)});
    if (format == OutputFormat::zarr) {
      REQUIRE(std::filesystem::exists(target / ".zgroup"));
      REQUIRE_FALSE(std::filesystem::exists(target / "features" / "9.0"));
    } else {
      REQUIRE(std::filesystem::file_size(target) > 5);
    }
    REQUIRE_THROWS_MATCHES(write_two_rows(*writer), WriterError,
                           Catch::Message(target.string() + ": write() after close()"));
    REQUIRE_THROWS_AS(writer->set_metadata({{"key", std::int64_t{1}}}), WriterError);
    REQUIRE_THROWS_AS(writer->close(), WriterError);
  }
}

TEST_CASE("An output never replaces a directory that is not one of its kind", "[writers]") {
  for (const OutputFormat format : formats) {
    const bioptimus::testing::TempDir dir;
    const std::filesystem::path target = dir.path() / name_for(format);
    std::filesystem::create_directory(target);
    dir.write(name_for(format) + "/notes.txt", "mine");
    {
      auto writer = open_for(format, target);
      // A file cannot be renamed onto a directory; a store refuses one that is not a store.
      REQUIRE_THROWS_WITH(writer->close(),
                          Catch::StartsWith(target.string() + ": ") &&
                              Catch::Contains(format == OutputFormat::zarr ? "not replaced" : "Is a directory"));
    }
    REQUIRE(bioptimus::testing::read_text(target / "notes.txt") == "mine");
    REQUIRE(entries(dir.path()) == std::vector<std::string>{name_for(format)});
  }
}

TEST_CASE("A killed Zarr writer's temporary store is removed by the next writer of its target, a live one's is kept",
          "[writers]") {
  const bioptimus::testing::TempDir dir;
  const std::filesystem::path target = dir.path() / "slide.zarr";
  // What a SIGKILL leaves: the temporary, no longer locked by anyone; and
  // what must stay: another target's, a link, a name that only looks alike.
  const std::string stale = ".slide.zarr.partial-0123456789abcdef";
  std::filesystem::create_directories(dir.path() / stale / "features");
  dir.write(stale + "/features/0.0", "half a store");
  std::filesystem::create_directories(dir.path() / ".other.zarr.partial-0123456789abcdef");
  std::filesystem::create_directory_symlink(dir.path() / stale, dir.path() / ".slide.zarr.partial-fedcba9876543210");
  std::filesystem::create_directories(dir.path() / ".slide.zarr.partial-notatag");
  const std::vector<std::string> kept{".other.zarr.partial-0123456789abcdef", ".slide.zarr.partial-fedcba9876543210",
                                      ".slide.zarr.partial-notatag"};
  auto first = open_for(OutputFormat::zarr, target);
  std::vector<std::string> now = entries(dir.path());
  REQUIRE(now.size() == 4);
  REQUIRE(std::find(now.begin(), now.end(), stale) == now.end());
  {
    // A second live writer of the same target leaves the first alone.
    auto second = open_for(OutputFormat::zarr, target);
    REQUIRE(entries(dir.path()).size() == 5);
    write_two_rows(*second);
    second->close();
  }
  write_two_rows(*first);
  first->close();
  now = entries(dir.path());
  now.erase(std::remove(now.begin(), now.end(), "slide.zarr"), now.end());
  REQUIRE(now == kept);
}

TEST_CASE("Rows whose feature count does not fit the coordinates are refused, naming the file", "[writers]") {
  for (const OutputFormat format : formats) {
    const bioptimus::testing::TempDir dir;
    const std::filesystem::path target = dir.path() / "slide.out";
    auto writer = open_for(format, target);
    const std::vector<float> features(63);
    const std::vector<Coordinate> coordinates{{.x = 0, .y = 0}};
    REQUIRE_THROWS_MATCHES(writer->write(features, coordinates), WriterError,
                           Catch::Message(target.string() + ": 1 coordinates need 64 feature values, got 63"));
    REQUIRE(writer->rows() == 0);
    write_two_rows(*writer);  // the refusal wrote nothing: the writer goes on
    REQUIRE(writer->rows() == 2);
  }
}

TEST_CASE("A target in a missing directory is an error naming it", "[writers]") {
  for (const OutputFormat format : formats) {
    const bioptimus::testing::TempDir dir;
    const std::filesystem::path target = dir.path() / "absent" / "slide.out";
    REQUIRE_THROWS_WITH(open_for(format, target), Catch::StartsWith(target.string() + ": cannot ") &&
                                                      Catch::Contains("No such file or directory"));
    REQUIRE(entries(dir.path()).empty());
  }
}

TEST_CASE("close() refuses another row count than announced, and the output is then abandoned", "[writers]") {
  for (const OutputFormat format : formats) {
    const bioptimus::testing::TempDir dir;
    const std::filesystem::path target = dir.path() / name_for(format);
    {
      auto writer = open_for(format, target, {.num_tiles = 3});
      write_two_rows(*writer);
      REQUIRE_THROWS_MATCHES(writer->close(), WriterError,
                             Catch::Message(target.string() + ": 2 rows written where 3 were announced (num_tiles)"));
    }
    REQUIRE(entries(dir.path()).empty());
  }
}

TEST_CASE("Writer options and row shapes are checked, every broken rule named", "[writers]") {
  const bioptimus::testing::TempDir dir;
  try {
    (void)open_prediction_writer(dir.path() / "slide.zarr", {64, 0}, {},
                                 {.num_tiles = -1, .compression_level = 10, .chunk_rows = -5});
    FAIL("no error");
  } catch (const bioptimus::ValidationError& error) {
    std::vector<std::string> fields;
    for (const bioptimus::Violation& violation : error.violations()) {
      fields.push_back(violation.field);
    }
    REQUIRE(fields == std::vector<std::string>{"num_tiles", "compression_level", "chunk_rows", "row_shape[1]"});
  }
  REQUIRE(entries(dir.path()).empty());
}

TEST_CASE("Metadata keys and values that some format cannot keep are refused, naming the key", "[writers]") {
  for (const OutputFormat format : formats) {
    const bioptimus::testing::TempDir dir;
    const std::filesystem::path target = dir.path() / name_for(format);
    auto writer = open_for(format, target);
    const auto refused = [&](const bioptimus::writers::Metadata& metadata, const std::string& message) {
      REQUIRE_THROWS_MATCHES(writer->set_metadata(metadata), WriterError,
                             Catch::Message(target.string() + ": set_metadata(): " + message));
    };
    refused({{"", std::int64_t{1}}}, "key : expected non-empty UTF-8 without '/' or NUL");
    refused({{"a/b", std::int64_t{1}}}, "key a/b: expected non-empty UTF-8 without '/' or NUL");
    refused({{"bad\xff", std::int64_t{1}}}, "key ?: expected non-empty UTF-8 without '/' or NUL");
    for (const char* reserved : {"features", "tissue_mask", "name", "model", "patch_size", "thumbnail_mpp"}) {
      refused({{"fine", std::int64_t{1}}, {reserved, std::int64_t{1}}},
              "key " + std::string{reserved} + ": names an array or an attribute the writer records itself");
    }
    refused({{"ratio", std::numeric_limits<double>::quiet_NaN()}}, "key ratio: expected a finite number, got nan");
    refused({{"scales", std::vector<double>{1.0, std::numeric_limits<double>::infinity()}}},
            "key scales: expected finite numbers, got inf");
    refused({{"text", std::string{"\xc3"}}}, "key text: expected UTF-8 text without NUL bytes");
    writer->set_metadata({{"fine", std::int64_t{1}}});
    writer->close();
  }
}

TEST_CASE("Thumbnails and masks must match their stated sizes and placement", "[writers]") {
  for (const OutputFormat format : formats) {
    const bioptimus::testing::TempDir dir;
    const std::filesystem::path target = dir.path() / name_for(format);
    auto writer = open_for(format, target);
    const std::vector<std::uint8_t> pixels(4 * 3 * 3);
    REQUIRE_THROWS_MATCHES(writer->set_thumbnail({.pixels = pixels, .width = 4, .height = 4}), WriterError,
                           Catch::Message(target.string() + ": set_thumbnail(): 4 x 4 x 3 needs 48 bytes, got 36"));
    REQUIRE_THROWS_MATCHES(
        writer->set_tissue_mask({.pixels = {}, .width = 0, .height = 3}), WriterError,
        Catch::Message(target.string() + ": set_tissue_mask(): expected a width and height in [1, 65536], got 0 x 3"));
    REQUIRE_THROWS_WITH(
        writer->set_thumbnail({.pixels = pixels, .width = 4, .height = 3, .downsample = {.x = -1.0, .y = 2.0}}),
        Catch::Contains("downsample: expected finite numbers > 0, got -1, 2"));
    REQUIRE_THROWS_WITH(writer->set_tissue_mask({.pixels = pixels, .width = 12, .height = 3, .mpp = 0.0}),
                        Catch::Contains("mpp: expected a finite number > 0, got 0"));
    writer->set_thumbnail({.pixels = pixels, .width = 4, .height = 3});
    writer->set_tissue_mask({.pixels = pixels, .width = 6, .height = 6});
    writer->close();
  }
}

TEST_CASE("A slide name that is not UTF-8 is refused at open in every format, naming the attribute", "[writers]") {
  for (const OutputFormat format : formats) {
    const bioptimus::testing::TempDir dir;
    const std::filesystem::path target = dir.path() / name_for(format);
    REQUIRE_THROWS_MATCHES(
        open_prediction_writer(target, tiny_vit_spec(), CoordinateAttributes{.name = "slide\xff"}, {.format = format}),
        WriterError, Catch::Message(target.string() + ": attribute name: expected UTF-8 text without NUL bytes"));
    REQUIRE(entries(dir.path()).empty());
  }
}

TEST_CASE("The HDF5 writer leaves the host program's HDF5 error printing as it found it", "[writers]") {
  const bioptimus::testing::HostHdf5Errors host;
  const bioptimus::testing::TempDir dir;
  {
    auto writer = open_for(OutputFormat::hdf5, dir.path() / "slide.h5");
    REQUIRE(host.installed());
    write_two_rows(*writer);
    REQUIRE(host.installed());
    writer->close();
  }
  REQUIRE(host.installed());

  // A failure inside HDF5 (an attribute beyond the 64 KiB an object header
  // holds) is reported by our exception, not printed through the host's handler.
  auto writer = open_for(OutputFormat::hdf5, dir.path() / "big.h5");
  writer->set_metadata({{"big", std::vector<double>(10000, 1.0)}});
  REQUIRE_THROWS_WITH(writer->close(), Catch::Contains("cannot write the attribute big"));
  REQUIRE(host.installed());
  REQUIRE(host.count == 0);
}
