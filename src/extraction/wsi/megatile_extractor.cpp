// MegaTileExtractor: the tile stage is a TileExtractor that keeps every tile
// (threshold 0), so each tile's tissue fraction comes from the same integral
// image as plain extraction; the block stage groups them here. The CSV and
// JSON exports are here too (HDF5 in hdf5_export.cpp).
#include "bioptimus/extraction/wsi/megatile_extractor.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "detail/export_file.hpp"
#include "detail/json_export.hpp"

namespace bioptimus::extraction::wsi {
namespace {

void check(const MegaTileSpec& spec, const MegaTileExtractorOptions& options) {
  std::vector<Violation> problems;
  const double threshold = options.mask_threshold;
  if (!std::isfinite(threshold) || threshold < 0.0 || threshold > 1.0) {
    problems.push_back({"mask_threshold", "expected a number in [0, 1], got " + detail::format_number(threshold)});
  }
  if (options.max_megatiles && *options.max_megatiles < 1) {
    problems.push_back(
        {"max_megatiles", "expected a count >= 1 or none, got " + detail::format_number(*options.max_megatiles)});
  }
  const GridLayout layout = options.tiling.grid_layout;
  if (layout != GridLayout::rectangular && layout != spec.grid_layout()) {
    problems.push_back({"tiling.grid_layout", "expected the spec's layout " +
                                                  std::string(to_string(spec.grid_layout())) +
                                                  " (or the default), got " + std::string(to_string(layout))});
  }
  if (!problems.empty()) {
    detail::throw_validation_error("MegaTileExtractor", std::move(problems));
  }
}

MegaTileExtractorOptions checked(const MegaTileSpec& spec, MegaTileExtractorOptions options) {
  check(spec, options);
  return options;
}

// The tile stage: every tile kept, in the spec's layout.
TileExtractorOptions tile_options(const MegaTileSpec& spec, const MegaTileExtractorOptions& options) {
  TilingOptions tiling = options.tiling;
  tiling.grid_layout = spec.grid_layout();
  return {.mask_threshold = 0.0,
          .mask = options.mask,
          .segmentation = options.segmentation,
          .clam_preset = options.clam_preset,
          .tiling = tiling,
          .model = options.model};
}

}  // namespace

MegaTileExtractor::MegaTileExtractor(MegaTileSpec spec, MegaTileExtractorOptions options)
    : spec_(std::move(spec)),
      options_(checked(spec_, std::move(options))),
      tiles_(spec_.tile_spec(), tile_options(spec_, options_)) {}

MegaTileExtractor& MegaTileExtractor::fit(const io::wsi::SlideReader& slide) {
  candidates_ = 0;
  regions_.clear();
  tiles_.fit(slide);
  return *this;
}

void MegaTileExtractor::require_fitted(const char* operation) const {
  if (tiles_.slide_name().empty()) {
    throw Error(std::string("MegaTileExtractor::") + operation + ": call fit(slide) first");
  }
}

const TilePlan& MegaTileExtractor::plan() const {
  require_fitted("plan");
  return tiles_.plan();
}

const std::vector<MegaTileRegion>& MegaTileExtractor::extract() {
  require_fitted("extract");
  const std::vector<TileRegion>& all = tiles_.extract();
  const TilePlan& plan = tiles_.plan();
  if (static_cast<std::int64_t>(all.size()) != plan.size()) {
    throw Error("MegaTileExtractor::extract: the tile stage kept " + std::to_string(all.size()) + " of " +
                std::to_string(plan.size()) + " tiles; expected all of them");
  }
  std::vector<std::uint8_t> available(all.size());
  std::transform(all.begin(), all.end(), available.begin(), [this](const TileRegion& tile) -> std::uint8_t {
    return tile.tissue_fraction >= options_.mask_threshold ? 1 : 0;
  });

  const std::int64_t rows = spec_.rows();
  const std::int64_t cols = spec_.cols();
  const TileGridShape stride = spec_.effective_stride();
  const PixelExtent footprint = plan.footprint();
  candidates_ = 0;
  regions_.clear();
  for (std::int64_t row0 = 0; row0 + rows <= plan.rows(); row0 += stride.rows) {
    // A block needs all its columns in every row it spans: in a hexagonal
    // grid an odd row may hold one tile fewer.
    std::int64_t usable = plan.columns_in_row(row0);
    if (rows > 1) {
      usable = std::min(usable, plan.columns_in_row(row0 + 1));
    }
    for (std::int64_t col0 = 0; col0 + cols <= usable; col0 += stride.cols) {
      ++candidates_;
      const auto index = [&](std::int64_t r, std::int64_t c) {
        return static_cast<std::size_t>(plan.tile_at(col0 + c, row0 + r).index);
      };
      std::int64_t valid = 0;
      for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t c = 0; c < cols; ++c) {
          valid += available[index(r, c)];
        }
      }
      if (!spec_.keeps(valid)) {
        continue;
      }
      MegaTileRegion block{.x = 0,
                           .y = 0,
                           .width = 0,
                           .height = 0,
                           .grid_row = row0,
                           .grid_col = col0,
                           .shape = spec_.megatile_shape(),
                           .tiles = {},
                           .available = {},
                           .valid_tiles = valid,
                           .valid_ratio = spec_.valid_ratio(valid),
                           .mean_tissue_fraction = 0.0};
      block.tiles.reserve(static_cast<std::size_t>(spec_.num_tiles()));
      block.available.reserve(static_cast<std::size_t>(spec_.num_tiles()));
      double fractions = 0.0;
      for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t c = 0; c < cols; ++c) {
          const std::size_t i = index(r, c);
          block.tiles.push_back(all[i]);
          block.available.push_back(available[i]);
          fractions += all[i].tissue_fraction;
        }
      }
      block.mean_tissue_fraction = fractions / static_cast<double>(spec_.num_tiles());
      // The bounding box: the first two rows hold the leftmost start and the
      // rightmost end (rows of one parity share their x).
      std::int64_t left = block.tiles.front().x;
      std::int64_t right = block.tiles[static_cast<std::size_t>(cols - 1)].x + footprint.width;
      if (rows > 1) {
        left = std::min(left, block.tiles[static_cast<std::size_t>(cols)].x);
        right = std::max(right, block.tiles[static_cast<std::size_t>(2 * cols - 1)].x + footprint.width);
      }
      block.x = left;
      block.y = block.tiles.front().y;
      block.width = right - left;
      block.height = block.tiles.back().y + footprint.height - block.y;
      regions_.push_back(std::move(block));
    }
  }
  if (options_.max_megatiles && static_cast<std::int64_t>(regions_.size()) > *options_.max_megatiles) {
    // The most tissue first, the earlier block on ties; then back to grid order.
    std::stable_sort(regions_.begin(), regions_.end(),
                     [](const MegaTileRegion& a, const MegaTileRegion& b) { return a.valid_tiles > b.valid_tiles; });
    regions_.resize(static_cast<std::size_t>(*options_.max_megatiles));
    std::sort(regions_.begin(), regions_.end(), [](const MegaTileRegion& a, const MegaTileRegion& b) {
      return std::pair(a.grid_row, a.grid_col) < std::pair(b.grid_row, b.grid_col);
    });
  }
  return regions_;
}

std::filesystem::path MegaTileExtractor::to_csv(const std::filesystem::path& directory) const {
  require_fitted("to_csv");
  const std::filesystem::path target = directory / (slide_name() + ".csv");
  detail::write_atomically(target, [&](detail::OutputFile& file) {
    std::string text =
        "megatile,megatile_x,megatile_y,tile_row,tile_col,x,y,level,width,height,available,tissue_fraction\n";
    char line[320];
    for (std::size_t m = 0; m < regions_.size(); ++m) {
      const MegaTileRegion& block = regions_[m];
      for (std::size_t i = 0; i < block.tiles.size(); ++i) {
        const TileRegion& tile = block.tiles[i];
        const auto row = static_cast<std::int64_t>(i) / block.shape.cols;
        const auto col = static_cast<std::int64_t>(i) % block.shape.cols;
        const int length =
            std::snprintf(line, sizeof line, "%zu,%lld,%lld,%lld,%lld,%lld,%lld,%d,%lld,%lld,%d,%.6f\n", m,
                          static_cast<long long>(block.x), static_cast<long long>(block.y), static_cast<long long>(row),
                          static_cast<long long>(col), static_cast<long long>(tile.x), static_cast<long long>(tile.y),
                          static_cast<int>(tile.level.index()), static_cast<long long>(tile.size.width),
                          static_cast<long long>(tile.size.height), int{block.available[i]}, tile.tissue_fraction);
        text.append(line, static_cast<std::size_t>(length));
      }
    }
    file.write(text);
  });
  return target;
}

std::filesystem::path MegaTileExtractor::to_json(const std::filesystem::path& directory) const {
  require_fitted("to_json");
  const std::filesystem::path target = directory / (slide_name() + ".json");
  detail::require_storable_name(slide_name(), target);
  const TilePlan& plan = tiles_.plan();
  const TileSpec& tile = spec_.tile_spec();
  nlohmann::ordered_json document;
  document["slide"] = slide_name();
  document["model"] = detail::model_json(options_.model);
  document["tile_spec"] = detail::tile_spec_json(tile);
  document["megatile_spec"] = {
      {"megatile_shape", {spec_.rows(), spec_.cols()}},
      {"megatile_stride", {spec_.effective_stride().rows, spec_.effective_stride().cols}},
      {"grid_layout", std::string(to_string(spec_.grid_layout()))},
      {"min_valid_tiles_ratio", spec_.min_valid_tiles_ratio()},
      {"max_valid_tiles_ratio", spec_.max_valid_tiles_ratio() ? nlohmann::ordered_json(*spec_.max_valid_tiles_ratio())
                                                              : nlohmann::ordered_json(nullptr)},
  };
  document["level"] = plan.level().index();
  document["region_size"] = {plan.region_size().width, plan.region_size().height};
  document["tile_size"] = {plan.tile_size().width, plan.tile_size().height};
  document["footprint"] = {plan.footprint().width, plan.footprint().height};
  document["odd_row_shift"] = plan.odd_row_shift();
  document["mask_threshold"] = options_.mask_threshold;
  document["candidates"] = candidates_;
  nlohmann::ordered_json blocks = nlohmann::ordered_json::array();
  for (const MegaTileRegion& block : regions_) {
    nlohmann::ordered_json tiles = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < block.tiles.size(); ++i) {
      tiles.push_back({{"x", block.tiles[i].x},
                       {"y", block.tiles[i].y},
                       {"available", block.available[i] != 0},
                       {"tissue_fraction", block.tiles[i].tissue_fraction}});
    }
    blocks.push_back({{"x", block.x},
                      {"y", block.y},
                      {"width", block.width},
                      {"height", block.height},
                      {"grid_row", block.grid_row},
                      {"grid_col", block.grid_col},
                      {"valid_tiles", block.valid_tiles},
                      {"valid_ratio", block.valid_ratio},
                      {"mean_tissue_fraction", block.mean_tissue_fraction},
                      {"tiles", std::move(tiles)}});
  }
  document["megatiles"] = std::move(blocks);
  detail::write_json(target, document);
  return target;
}

}  // namespace bioptimus::extraction::wsi
