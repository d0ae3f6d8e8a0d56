// Writes sample feature files for check_features.py, which reads them back
// with h5py and numpy: `write_features DIR`.
#include <cstdint>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <vector>

#include "bioptimus/inference/feature_writer.hpp"
#include "bioptimus/models/registry.hpp"
#include "test_models.hpp"

namespace {

using bioptimus::inference::Coordinate;
using bioptimus::inference::CoordinateAttributes;
using bioptimus::inference::FeatureFormat;

// More rows than one chunk of `features` holds (1024 rows of 64 floats), in
// batches that do not divide the chunk, as extract writes them.
constexpr std::int64_t rows = 2500;
constexpr std::int64_t batch = 64;

void write_sample(FeatureFormat format, const std::filesystem::path& dir, const bioptimus::models::ModelSpec& spec,
                  const CoordinateAttributes& attributes) {
  const std::string extension{bioptimus::inference::extension(format)};
  auto writer = bioptimus::inference::open_feature_writer(format, dir / ("slide." + extension), spec, attributes);
  const auto width = static_cast<std::int64_t>(writer->row_size());
  for (std::int64_t first = 0; first < rows; first += batch) {
    const std::int64_t count = std::min(batch, rows - first);
    std::vector<float> features;
    std::vector<Coordinate> coordinates;
    for (std::int64_t row = first; row < first + count; ++row) {
      for (std::int64_t column = 0; column < width; ++column) {
        features.push_back(static_cast<float>(row * 1000 + column));
      }
      coordinates.push_back({.x = row * 224, .y = row * 7 + 1});
    }
    writer->write(features, coordinates);
  }
  writer->commit();
  auto empty = bioptimus::inference::open_feature_writer(format, dir / ("empty." + extension), spec, attributes);
  empty->commit();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: write_features DIR\n";
    return 2;
  }
  try {
    const auto spec = bioptimus::testing::tiny_vit_spec();
    const CoordinateAttributes attributes{
        .name = "slide-\u00e9",
        .patch_size = 224,
        .patch_level = 1,
        .downsample = {.x = 4.0, .y = 4.001},
        .downsampled_level_dim = {.width = 2500, .height = 1800},
        .level_dim = {.width = 2500, .height = 1800},
        .patch_size_level0 = 896,
        .level0_magnification = 40.0,
        .target_magnification = 10.0,
        .overlap = 0,
        .level0_width = 10000,
        .level0_height = 7200,
        .tile_size = {.width = 224, .height = 224},
        .tile_stride = {.width = 224, .height = 224},
        .tile_resolution = "1 mpp",
        .target_mpp = 1.0,
        .region_size = {.width = 224, .height = 224},
        .footprint = {.width = 896, .height = 896},
        // mask_threshold left out: an absent value is not written.
    };
    for (const FeatureFormat format : {FeatureFormat::hdf5, FeatureFormat::npz}) {
      write_sample(format, argv[1], spec, attributes);
    }
  } catch (const std::exception& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
  return 0;
}
