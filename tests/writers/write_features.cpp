// Writes sample outputs for check_features.py, which reads them back with
// zarr-python, h5py and numpy: `write_features DIR`. The same rows,
// thumbnail, mask and metadata go into every format and Zarr compressor.
#include <cstdint>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "bioptimus/models/registry.hpp"
#include "bioptimus/writers/prediction_writer.hpp"
#include "test_models.hpp"

namespace {

using bioptimus::writers::Coordinate;
using bioptimus::writers::CoordinateAttributes;
using bioptimus::writers::OutputFormat;
using bioptimus::writers::PredictionWriter;
using bioptimus::writers::SlideImage;
using bioptimus::writers::WriterOptions;
using bioptimus::writers::ZarrCompressor;

// More rows than one chunk of `features` holds in the HDF5 file (1024 rows
// of 64 floats) and in the small-chunk Zarr store (1000), in batches that
// divide neither, as extract writes them.
constexpr std::int64_t rows = 2500;
constexpr std::int64_t batch = 64;

// Sizes no chunk divides either; check_features.py computes the same pixels.
constexpr std::int64_t thumbnail_width = 53;
constexpr std::int64_t thumbnail_height = 37;
constexpr std::int64_t mask_width = 41;
constexpr std::int64_t mask_height = 29;

void write_rows(PredictionWriter& writer) {
  const auto width = static_cast<std::int64_t>(writer.row_size());
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
    writer.write(features, coordinates);
  }
}

void set_pictures_and_metadata(PredictionWriter& writer) {
  std::vector<std::uint8_t> rgb;
  for (std::int64_t y = 0; y < thumbnail_height; ++y) {
    for (std::int64_t x = 0; x < thumbnail_width; ++x) {
      for (std::int64_t c = 0; c < 3; ++c) {
        rgb.push_back(static_cast<std::uint8_t>((x * 7 + y * 13 + c * 101) % 256));
      }
    }
  }
  writer.set_thumbnail({.pixels = rgb,
                        .width = thumbnail_width,
                        .height = thumbnail_height,
                        .downsample = {.x = 188.5, .y = 194.6},
                        .mpp = 47.1});
  std::vector<std::uint8_t> mask;
  for (std::int64_t y = 0; y < mask_height; ++y) {
    for (std::int64_t x = 0; x < mask_width; ++x) {
      mask.push_back((x * x + y) % 3 == 0 ? 1 : 0);
    }
  }
  writer.set_tissue_mask(
      {.pixels = mask, .width = mask_width, .height = mask_height, .downsample = {.x = 32, .y = 32}});
  writer.set_metadata({{"slide_path", std::string{"/data/slide-\u00e9.svs"}},
                       {"mpp", 0.25},
                       {"tile_px", std::vector<std::int64_t>{224, 224}},
                       {"count", std::int64_t{7}}});
  // A key set again takes its new value, in its first place.
  writer.set_metadata({{"count", std::int64_t{8}}, {"scales", std::vector<double>{1.5, 2.25}}});
}

void write_sample(const std::filesystem::path& path, const bioptimus::models::ModelSpec& spec,
                  const CoordinateAttributes& attributes, WriterOptions options) {
  options.precision = bioptimus::models::Precision::bf16;  // as extract records the precision that ran
  auto writer = bioptimus::writers::open_prediction_writer(path, spec, attributes, options);
  write_rows(*writer);
  set_pictures_and_metadata(*writer);
  writer->close();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: write_features DIR\n";
    return 2;
  }
  try {
    const std::filesystem::path dir = argv[1];
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
    for (const OutputFormat format : {OutputFormat::hdf5, OutputFormat::npz, OutputFormat::zarr}) {
      const std::string extension{bioptimus::writers::extension(format)};
      write_sample(dir / ("slide." + extension), spec, attributes,
                   {.format = format, .num_tiles = rows, .chunk_rows = format == OutputFormat::zarr ? 1000 : 0});
      // No rows, no pictures, no metadata: still a complete output.
      bioptimus::writers::open_prediction_writer(dir / ("empty." + extension), spec, attributes, {.format = format})
          ->close();
    }
    for (const ZarrCompressor compressor : {ZarrCompressor::zstd, ZarrCompressor::zlib, ZarrCompressor::none}) {
      write_sample(dir / ("slide-" + std::string{to_string(compressor)} + ".zarr"), spec, attributes,
                   {.format = OutputFormat::zarr, .compressor = compressor, .compression_level = 3});
    }
    // Rows of several axes (a dense output) from a caller without a spec.
    for (const OutputFormat format : {OutputFormat::hdf5, OutputFormat::zarr}) {
      auto writer = bioptimus::writers::open_prediction_writer(
          dir / ("dense." + std::string{bioptimus::writers::extension(format)}), std::vector<std::int64_t>{4, 2, 8},
          attributes, {.format = format, .chunk_rows = 300});
      write_rows(*writer);
      writer->close();
    }
  } catch (const std::exception& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
  return 0;
}
