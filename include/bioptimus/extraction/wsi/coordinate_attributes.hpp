// bioptimus/extraction/wsi/coordinate_attributes.hpp
//
// The attributes a coordinates dataset carries so that CLAM's and TRIDENT's
// own readers crop exactly the tiles it lists: a plain value (standard
// library only) that TileExtractor::coordinate_attributes() fills from a
// fitted slide, that the tile export and the feature writers write, and that
// a caller with a tiling of its own can fill by hand.
//
// The meaning (docs/tile-extraction.md, "What CLAM's and TRIDENT's readers
// do with the attributes", has the evidence from both peers' source):
// - patch_size is the side read at patch_level, as CLAM reads it;
// - target_magnification is the magnification of patch_level (that is,
//   level0_magnification / its downsample), so that TRIDENT's reader, which
//   reads patch_size pixels at target_magnification, reads the same pixels;
// - the model's own resolution is in our attributes (tile_resolution,
//   target_mpp, tile_size), which neither peer reads.
//
//   CoordinateAttributes attributes = extractor.coordinate_attributes();
//   for_each_coordinate_attribute(attributes, [&](const char* name, const auto& value) { ... });
#ifndef BIOPTIMUS_EXTRACTION_WSI_COORDINATE_ATTRIBUTES_HPP
#define BIOPTIMUS_EXTRACTION_WSI_COORDINATE_ATTRIBUTES_HPP

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace bioptimus::extraction::wsi {

/// A width and a height, written as the attribute pair [width, height].
struct SizePair {
  std::int64_t width;
  std::int64_t height;

  friend constexpr bool operator==(const SizePair&, const SizePair&) noexcept = default;
};

/// A downsample factor per axis, written as the attribute pair [x, y].
struct DownsamplePair {
  double x;
  double y;

  friend constexpr bool operator==(const DownsamplePair&, const DownsamplePair&) noexcept = default;
};

/// What CLAM and TRIDENT read from a `coords` dataset, and our own record of
/// the tiles. Optional values are left out of the file when absent.
struct CoordinateAttributes {
  /// Slide name (the file stem), CLAM's and TRIDENT's `name`.
  std::string name;

  // CLAM (Whole_Slide_Bag_FP reads patch_size pixels at patch_level).
  /// Tile side in pixels read at patch_level.
  std::int64_t patch_size = 0;
  /// Pyramid level the tiles are read at.
  std::int64_t patch_level = 0;
  /// Downsample of patch_level relative to level 0.
  DownsamplePair downsample = {.x = 1.0, .y = 1.0};
  /// Size of patch_level, in its pixels (CLAM writes it twice, under two names).
  SizePair downsampled_level_dim = {.width = 0, .height = 0};
  /// Size of patch_level, in its pixels.
  SizePair level_dim = {.width = 0, .height = 0};

  // TRIDENT (WSIPatcher reads patch_size * level0_magnification /
  // target_magnification level-0 pixels).
  /// Tile side in level-0 pixels (its slide encoders' and heatmaps' tile).
  std::int64_t patch_size_level0 = 0;
  /// Objective power of level 0 (the slide's, else 10 / its MPP).
  std::optional<double> level0_magnification = std::nullopt;
  /// Magnification of patch_level: level0_magnification / downsample, so
  /// that patch_size means the same to TRIDENT as to CLAM.
  std::optional<double> target_magnification = std::nullopt;
  /// Overlap of neighbouring tiles, in pixels at patch_level (patch_size's unit).
  std::int64_t overlap = 0;
  /// Level-0 width in pixels.
  std::int64_t level0_width = 0;
  /// Level-0 height in pixels.
  std::int64_t level0_height = 0;

  // Ours: the model's tiles, which neither peer reads.
  /// The model's tile size and stride, in tile pixels (0 x 0: not recorded).
  SizePair tile_size = {.width = 0, .height = 0};
  SizePair tile_stride = {.width = 0, .height = 0};
  /// The tile spec's resolution ("0.5 mpp", "20x", "level 1"; empty: not recorded).
  std::string tile_resolution = {};
  /// The model's pixel size in um/px.
  std::optional<double> target_mpp = std::nullopt;
  /// Size read at patch_level and the level-0 footprint of a tile, per axis (0 x 0: not recorded).
  SizePair region_size = {.width = 0, .height = 0};
  SizePair footprint = {.width = 0, .height = 0};
  /// The tissue fraction a tile needed to be kept.
  std::optional<double> mask_threshold = std::nullopt;
};

/// Calls `visit(name, value)` for each attribute of `attributes` but `name`
/// (every writer puts that on its own objects), in the order the files store
/// them, skipping the absent ones; `value` is a std::int64_t, a double, a
/// std::array of two of either, or a std::string. The writers of coordinate
/// files all go through it, so that every file has the same attributes.
template <class Visit>
void for_each_coordinate_attribute(const CoordinateAttributes& attributes, Visit&& visit) {
  const auto pair = [](SizePair size) { return std::array<std::int64_t, 2>{size.width, size.height}; };
  const auto recorded = [](SizePair size) { return size.width != 0 || size.height != 0; };
  visit("patch_size", attributes.patch_size);
  visit("patch_level", attributes.patch_level);
  visit("downsample", std::array<double, 2>{attributes.downsample.x, attributes.downsample.y});
  visit("downsampled_level_dim", pair(attributes.downsampled_level_dim));
  visit("level_dim", pair(attributes.level_dim));
  visit("patch_size_level0", attributes.patch_size_level0);
  if (attributes.level0_magnification) {
    visit("level0_magnification", *attributes.level0_magnification);
  }
  if (attributes.target_magnification) {
    visit("target_magnification", *attributes.target_magnification);
  }
  visit("overlap", attributes.overlap);
  visit("level0_width", attributes.level0_width);
  visit("level0_height", attributes.level0_height);
  if (recorded(attributes.tile_size)) {
    visit("tile_size", pair(attributes.tile_size));
  }
  if (recorded(attributes.tile_stride)) {
    visit("tile_stride", pair(attributes.tile_stride));
  }
  if (!attributes.tile_resolution.empty()) {
    visit("tile_resolution", attributes.tile_resolution);
  }
  if (attributes.target_mpp) {
    visit("target_mpp", *attributes.target_mpp);
  }
  if (recorded(attributes.region_size)) {
    visit("region_size", pair(attributes.region_size));
  }
  if (recorded(attributes.footprint)) {
    visit("footprint", pair(attributes.footprint));
  }
  if (attributes.mask_threshold) {
    visit("mask_threshold", *attributes.mask_threshold);
  }
}

/// What a coordinates or features file records as its directory (CLAM's
/// `save_path`, TRIDENT's `savetodir`): the directory of `file` as given,
/// "." for a bare file name.
[[nodiscard]] inline std::string save_directory_of(const std::filesystem::path& file) {
  const std::filesystem::path directory = file.parent_path();
  return directory.empty() ? std::string(".") : directory.string();
}

}  // namespace bioptimus::extraction::wsi

#endif  // BIOPTIMUS_EXTRACTION_WSI_COORDINATE_ATTRIBUTES_HPP
