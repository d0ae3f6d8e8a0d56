// TileExtractor: the grid, the tissue fraction per tile from an integral
// image of the mask, and the CSV and JSON exports (HDF5 in hdf5_export.cpp).
#include "bioptimus/extraction/wsi/tile_extractor.hpp"

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "detail/downsample.hpp"
#include "detail/export_file.hpp"
#include "detail/json_export.hpp"

namespace bioptimus::extraction::wsi {

namespace {

// A plan refused because of the slide's MPP is told in the slide's terms
// (which MPP, from which property, what to do); anything else as the plan
// says it.
[[noreturn]] void throw_plan_error(const io::wsi::SlideReader& slide, const ValidationError& error) {
  const bool about_mpp =
      std::any_of(error.violations().begin(), error.violations().end(),
                  [](const Violation& violation) { return violation.field.starts_with("slide.mpp"); });
  if (about_mpp) {
    (void)slide.require_mpp_x();  // missing or unusable
    const io::wsi::SlideProperties& properties = slide.properties();
    const std::string source = properties.mpp ? " (" + properties.mpp->source + ")" : "";
    throw io::wsi::SlideMppError(
        slide.path(), "cannot plan the tiles: the slide's MPP, " + detail::format_number(slide.mpp_x()->value()) +
                          " x " + detail::format_number(slide.mpp_y()->value()) + " um/px" + source +
                          ", is not one a slide has (expected [" + detail::format_number(min_plausible_mpp) + ", " +
                          detail::format_number(max_plausible_mpp) +
                          "] um/px; likely a unit mistake); give the right one as an MPP override");
  }
  throw io::wsi::SlideError(slide.path(), std::string("cannot plan the tiles: ") + error.what());
}

}  // namespace

TileExtractor::TileExtractor(TileSpec tile_spec, TileExtractorOptions options)
    : tile_spec_(std::move(tile_spec)), options_(std::move(options)) {
  const double threshold = options_.mask_threshold;
  if (!std::isfinite(threshold) || threshold < 0.0 || threshold > 1.0) {
    detail::throw_validation_error(
        "TileExtractor", {{"mask_threshold", "expected a number in [0, 1], got " + detail::format_number(threshold)}});
  }
}

TileExtractor& TileExtractor::fit(const io::wsi::SlideReader& slide) {
  // Everything is computed first and stored at the end, so that a failure
  // leaves the extractor unfitted rather than half-fitted.
  plan_.reset();
  mask_.reset();
  thumbnail_.reset();
  regions_.clear();
  slide_name_.clear();
  TilingOptions tiling = options_.tiling;
  if (slide.options().mpp_override) {
    tiling.mpp_override = slide.options().mpp_override;
  }
  std::optional<TilePlan> plan;
  try {
    plan = plan_tiles(tile_spec_, slide.geometry(), tiling);
  } catch (const ValidationError& error) {
    throw_plan_error(slide, error);
  }
  std::optional<TissueMask> mask;
  std::optional<SlideThumbnail> thumbnail;
  const std::int64_t max_side = options_.thumbnail_max_side;
  if (options_.mask) {
    mask = options_.mask;
    if (mask->mpp()) {
      (void)slide.require_mpp_x();  // a mask in microns needs the slide's MPP to be placed
    }
  } else if (options_.clam_preset) {
    const double mask_mpp = options_.segmentation ? options_.segmentation->mpp : TissueMaskParams{}.mpp;
    mask = segment_tissue(slide, TissueMaskParams::clam_preset(*options_.clam_preset, slide.require_mpp_x(), mask_mpp));
  } else if (options_.segmentation) {
    // The picture the mask is segmented on is the thumbnail too: the slide is read once.
    SlideThumbnail picture = detail::read_mask_picture(slide, *options_.segmentation);
    mask = segment_tissue(picture.rgb.view(), io::wsi::MPP{options_.segmentation->mpp}, *options_.segmentation);
    if (max_side > 0) {
      thumbnail = detail::reduce_thumbnail(std::move(picture), max_side);
    }
  }
  if (!thumbnail && max_side > 0) {
    thumbnail = detail::read_thumbnail(slide, max_side);
  }
  const io::wsi::SlideProperties& props = slide.properties();
  facts_ = SlideFacts{.level_dimensions = props.level_dimensions,
                      .level_downsamples = props.level_downsamples,
                      .mpp_x = slide.mpp_x(),
                      .mpp_y = slide.mpp_y(),
                      .objective_power = props.objective_power};
  slide_name_ = slide.name();
  mask_ = std::move(mask);
  thumbnail_ = std::move(thumbnail);
  plan_ = plan;
  return *this;
}

void TileExtractor::require_fitted(const char* operation) const {
  if (!plan_) {
    throw Error(std::string("TileExtractor::") + operation + ": call fit(slide) first");
  }
}

const TilePlan& TileExtractor::plan() const {
  require_fitted("plan");
  return *plan_;
}

std::array<double, 2> TileExtractor::mask_downsample() const {
  require_fitted("mask_downsample");
  if (!mask_) {
    throw Error("TileExtractor::mask_downsample: the extractor of " + slide_name_ + " has no tissue mask");
  }
  if (mask_->mpp()) {
    return {mask_->mpp()->value() / facts_.mpp_x->value(), mask_->mpp()->value() / facts_.mpp_y->value()};
  }
  const io::wsi::WSIDims level0 = facts_.level_dimensions.front();
  return {static_cast<double>(level0.width) / static_cast<double>(mask_->width()),
          static_cast<double>(level0.height) / static_cast<double>(mask_->height())};
}

const std::vector<TileRegion>& TileExtractor::extract() {
  require_fitted("extract");
  const TilePlan& plan = *plan_;
  regions_.clear();
  const io::wsi::WSIDims size{.width = plan.region_size().width, .height = plan.region_size().height};
  if (!mask_) {
    regions_.reserve(static_cast<std::size_t>(plan.size()));
    for (const Tile& tile : plan) {
      regions_.push_back({.x = tile.x, .y = tile.y, .level = plan.level(), .size = size, .tissue_fraction = 1.0});
    }
    return regions_;
  }
  const TissueMask& mask = *mask_;
  // Level-0 pixels per mask pixel.
  const auto [scale_x, scale_y] = mask_downsample();
  // Sums of 0/1 over any rectangle in O(1); doubles count exactly up to 2^53.
  cv::Mat binary(static_cast<int>(mask.height()), static_cast<int>(mask.width()), CV_8U);
  std::transform(mask.pixels().begin(), mask.pixels().end(), binary.data,
                 [](std::uint8_t value) -> std::uint8_t { return value != 0 ? 1 : 0; });
  cv::Mat sums;
  cv::integral(binary, sums, CV_64F);
  // The tissue area of [0, u) x [0, v) in mask pixels, for fractional u and
  // v: a mask constant over each pixel makes it the bilinear interpolation of
  // the integral image, so partly covered pixels count by their overlap.
  const double width = static_cast<double>(mask.width());
  const double height = static_cast<double>(mask.height());
  const auto area_to = [&sums, width, height](double u, double v) {
    u = std::clamp(u, 0.0, width);
    v = std::clamp(v, 0.0, height);
    const int i = std::min(static_cast<int>(u), static_cast<int>(width) - 1);
    const int j = std::min(static_cast<int>(v), static_cast<int>(height) - 1);
    const double fu = u - i;
    const double fv = v - j;
    const double s00 = sums.at<double>(j, i);
    const double s10 = sums.at<double>(j, i + 1);
    const double s01 = sums.at<double>(j + 1, i);
    const double s11 = sums.at<double>(j + 1, i + 1);
    return s00 + fu * (s10 - s00) + fv * (s01 - s00) + fu * fv * (s11 - s10 - s01 + s00);
  };
  for (const Tile& tile : plan) {
    // The footprint in mask pixels; the part beyond the mask is background.
    const double x0 = static_cast<double>(tile.x) / scale_x;
    const double y0 = static_cast<double>(tile.y) / scale_y;
    const double x1 = static_cast<double>(tile.x + tile.width) / scale_x;
    const double y1 = static_cast<double>(tile.y + tile.height) / scale_y;
    const double tissue = area_to(x1, y1) - area_to(x0, y1) - area_to(x1, y0) + area_to(x0, y0);
    const double fraction = std::clamp(tissue / ((x1 - x0) * (y1 - y0)), 0.0, 1.0);
    if (fraction >= options_.mask_threshold) {
      regions_.push_back({.x = tile.x, .y = tile.y, .level = plan.level(), .size = size, .tissue_fraction = fraction});
    }
  }
  return regions_;
}

CoordinateAttributes TileExtractor::coordinate_attributes() const {
  require_fitted("coordinate_attributes");
  const TilePlan& plan = *plan_;
  const auto level = static_cast<std::size_t>(plan.level().index());
  const io::wsi::WSIDims level_dims = facts_.level_dimensions[level];
  const io::wsi::WSIDims level0 = facts_.level_dimensions.front();
  const double downsample = facts_.level_downsamples[level];
  CoordinateAttributes attributes;
  attributes.name = slide_name_;
  // CLAM reads patch_size pixels at patch_level: exactly the region we read.
  attributes.patch_size = plan.region_size().width;
  attributes.patch_level = std::int64_t{plan.level().index()};
  attributes.downsample = {.x = downsample, .y = downsample};
  attributes.downsampled_level_dim = {.width = level_dims.width, .height = level_dims.height};
  attributes.level_dim = attributes.downsampled_level_dim;
  attributes.patch_size_level0 = plan.footprint().width;
  // TRIDENT reads round(patch_size * level0_magnification /
  // target_magnification) level-0 pixels. With target_magnification the
  // magnification of the level read, that ratio is the level's own
  // downsample, so TRIDENT reads CLAM's patch_size pixels there, whatever
  // the slide's MPP and objective power say about each other (a "40x" slide
  // at 0.2465 um/px, say). 10 / the model's MPP would need patch_size in
  // model pixels, which CLAM would then read at patch_level.
  if (facts_.objective_power) {
    attributes.level0_magnification = *facts_.objective_power;
  } else if (facts_.mpp_x) {
    attributes.level0_magnification = 10.0 / facts_.mpp_x->value();
  }
  if (attributes.level0_magnification) {
    attributes.target_magnification = *attributes.level0_magnification / downsample;
  }
  // In patch_size's unit (pixels at patch_level), as TRIDENT steps its grid
  // by patch_size - overlap.
  attributes.overlap = plan.region_size().width - std::llround(static_cast<double>(plan.stride().width) / downsample);
  attributes.level0_width = level0.width;
  attributes.level0_height = level0.height;
  attributes.tile_size = {.width = plan.tile_size().width, .height = plan.tile_size().height};
  attributes.tile_stride = {.width = tile_spec_.stride_pixels().width, .height = tile_spec_.stride_pixels().height};
  attributes.tile_resolution = io::wsi::describe(tile_spec_.resolution());
  if (const std::optional<io::wsi::MPP> target = plan.target_mpp_x()) {
    attributes.target_mpp = target->value();
  }
  attributes.region_size = {.width = plan.region_size().width, .height = plan.region_size().height};
  attributes.footprint = {.width = plan.footprint().width, .height = plan.footprint().height};
  attributes.mask_threshold = options_.mask_threshold;
  return attributes;
}

std::filesystem::path TileExtractor::to_csv(const std::filesystem::path& directory) const {
  require_fitted("to_csv");
  const std::filesystem::path target = directory / (slide_name_ + ".csv");
  detail::write_atomically(target, [&](detail::OutputFile& file) {
    std::string text = "x,y,level,width,height,tissue_fraction\n";
    char line[160];
    for (const TileRegion& region : regions_) {
      const int length =
          std::snprintf(line, sizeof line, "%lld,%lld,%d,%lld,%lld,%.6f\n", static_cast<long long>(region.x),
                        static_cast<long long>(region.y), static_cast<int>(region.level.index()),
                        static_cast<long long>(region.size.width), static_cast<long long>(region.size.height),
                        region.tissue_fraction);
      text.append(line, static_cast<std::size_t>(length));
    }
    file.write(text);
  });
  return target;
}

std::filesystem::path TileExtractor::to_json(const std::filesystem::path& directory) const {
  require_fitted("to_json");
  const TilePlan& plan = *plan_;
  const std::filesystem::path target = directory / (slide_name_ + ".json");
  detail::require_storable_name(slide_name_, target);
  nlohmann::ordered_json document;
  document["slide"] = slide_name_;
  document["model"] = detail::model_json(options_.model);
  document["tile_spec"] = detail::tile_spec_json(tile_spec_);
  document["level"] = plan.level().index();
  document["region_size"] = {plan.region_size().width, plan.region_size().height};
  document["tile_size"] = {plan.tile_size().width, plan.tile_size().height};
  document["footprint"] = {plan.footprint().width, plan.footprint().height};
  document["mask_threshold"] = options_.mask_threshold;
  document["candidates"] = plan.size();
  nlohmann::ordered_json tiles = nlohmann::ordered_json::array();
  for (const TileRegion& region : regions_) {
    tiles.push_back({{"x", region.x},
                     {"y", region.y},
                     {"level", region.level.index()},
                     {"width", region.size.width},
                     {"height", region.size.height},
                     {"tissue_fraction", region.tissue_fraction}});
  }
  document["tiles"] = std::move(tiles);
  detail::write_json(target, document);
  return target;
}

}  // namespace bioptimus::extraction::wsi
