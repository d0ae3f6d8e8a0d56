// Feature writers: what a reader can see before commit, after an error, and
// after an abandoned write. (check_features.py reads the committed files
// with h5py and numpy.)
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bioptimus/writers/prediction_writer.hpp"
#include "bioptimus/models/registry.hpp"
#include "host_hdf5_errors.hpp"
#include "temp_dir.hpp"
#include "test_models.hpp"

namespace {

using bioptimus::inference::Coordinate;
using bioptimus::inference::CoordinateAttributes;
using bioptimus::inference::FeatureFormat;
using bioptimus::inference::open_feature_writer;
using bioptimus::inference::WriterError;

using bioptimus::testing::tiny_vit_spec;

std::vector<std::string> entries(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

const FeatureFormat formats[] = {FeatureFormat::hdf5, FeatureFormat::npz};

}  // namespace

TEST_CASE("Nothing appears under the target name before commit, and an abandoned writer leaves nothing", "[writers]") {
  for (const FeatureFormat format : formats) {
    const bioptimus::testing::TempDir dir;
    const std::filesystem::path target = dir.path() / ("slide." + std::string{extension(format)});
    {
      auto writer = open_feature_writer(format, target, tiny_vit_spec(), CoordinateAttributes{.name = "slide"});
      REQUIRE(writer->row_size() == 64);
      const std::vector<float> features(2 * 64, 1.0F);
      const std::vector<Coordinate> coordinates{{.x = 0, .y = 0}, {.x = 224, .y = 0}};
      writer->write(features, coordinates);
      REQUIRE(writer->rows() == 2);
      REQUIRE_FALSE(std::filesystem::exists(target));
    }
    REQUIRE(entries(dir.path()).empty());
  }
}

TEST_CASE("commit replaces an existing file, and writing after it is an error", "[writers]") {
  for (const FeatureFormat format : formats) {
    const bioptimus::testing::TempDir dir;
    const std::filesystem::path target = dir.write("old." + std::string{extension(format)}, "stale");
    auto writer = open_feature_writer(format, target, tiny_vit_spec(), {});
    writer->commit();
    REQUIRE(std::filesystem::file_size(target) > 5);
    REQUIRE(entries(dir.path()).size() == 1);
    const std::vector<float> features(64);
    const std::vector<Coordinate> coordinates{{.x = 0, .y = 0}};
    REQUIRE_THROWS_AS(writer->write(features, coordinates), WriterError);
  }
}

TEST_CASE("Rows whose feature count does not fit the coordinates are refused, naming the file", "[writers]") {
  for (const FeatureFormat format : formats) {
    const bioptimus::testing::TempDir dir;
    const std::filesystem::path target = dir.path() / "slide.out";
    auto writer = open_feature_writer(format, target, tiny_vit_spec(), {});
    const std::vector<float> features(63);
    const std::vector<Coordinate> coordinates{{.x = 0, .y = 0}};
    REQUIRE_THROWS_MATCHES(writer->write(features, coordinates), WriterError,
                           Catch::Message(target.string() + ": 1 coordinates need 64 feature values, got 63"));
    REQUIRE(writer->rows() == 0);
  }
}

TEST_CASE("A target in a missing directory is an error naming it", "[writers]") {
  for (const FeatureFormat format : formats) {
    const bioptimus::testing::TempDir dir;
    const std::filesystem::path target = dir.path() / "absent" / "slide.out";
    const auto open_and_commit = [&] { open_feature_writer(format, target, tiny_vit_spec(), {})->commit(); };
    REQUIRE_THROWS_AS(open_and_commit(), WriterError);
    REQUIRE(entries(dir.path()).empty());
  }
}

TEST_CASE("The HDF5 writer leaves the host program's HDF5 error printing as it found it", "[writers]") {
  const bioptimus::testing::HostHdf5Errors host;
  const bioptimus::testing::TempDir dir;
  {
    auto writer = open_feature_writer(FeatureFormat::hdf5, dir.path() / "slide.h5", tiny_vit_spec(), {});
    REQUIRE(host.installed());
    const std::vector<float> features(64, 1.0F);
    const std::vector<Coordinate> coordinates{{.x = 0, .y = 0}};
    writer->write(features, coordinates);
    REQUIRE(host.installed());
    writer->commit();
  }
  REQUIRE(host.installed());

  // A failure inside HDF5 is reported by our exception, not printed through the host's handler.
  REQUIRE_THROWS_AS(open_feature_writer(FeatureFormat::hdf5, dir.path() / "absent" / "slide.h5", tiny_vit_spec(), {}),
                    WriterError);
  REQUIRE(host.installed());
  REQUIRE(host.count == 0);
}
