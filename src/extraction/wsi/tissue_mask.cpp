// CLAM's tissue segmentation with OpenCV (imgproc). The method follows
// CLAM's WholeSlideImage.segmentTissue; see docs/tissue-masks.md.
#include "bioptimus/extraction/wsi/tissue_mask.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "detail/downsample.hpp"

namespace bioptimus::extraction::wsi {
namespace {

// CLAM counts contour areas in 512 x 512 level-0 patches (ref_patch_size).
constexpr double clam_reference_patch = 512.0;

void check(const TissueMaskParams& params) {
  std::vector<Violation> problems;
  const auto number = [](double value) { return detail::format_number(value); };
  if (!std::isfinite(params.mpp) || params.mpp <= 0.0) {
    problems.push_back({"mpp", "expected a finite pixel size > 0 um/px, got " + number(params.mpp)});
  }
  if (params.saturation_threshold < 0 || params.saturation_threshold > 255) {
    problems.push_back({"saturation_threshold", "expected 0 to 255, got " + number(params.saturation_threshold)});
  }
  if (params.median_kernel < 3 || params.median_kernel % 2 == 0 || params.median_kernel > 255) {
    problems.push_back({"median_kernel", "expected an odd side from 3 to 255, got " + number(params.median_kernel)});
  }
  if (params.close_kernel < 0 || params.close_kernel > 255) {
    problems.push_back({"close_kernel", "expected 0 (none) to 255, got " + number(params.close_kernel)});
  }
  if (!std::isfinite(params.min_tissue_area_um2) || params.min_tissue_area_um2 < 0.0) {
    problems.push_back(
        {"min_tissue_area_um2", "expected a finite area >= 0, got " + number(params.min_tissue_area_um2)});
  }
  if (!std::isfinite(params.min_hole_area_um2) || params.min_hole_area_um2 < 0.0) {
    problems.push_back({"min_hole_area_um2", "expected a finite area >= 0, got " + number(params.min_hole_area_um2)});
  }
  if (params.max_holes < 0) {
    problems.push_back({"max_holes", "expected a count >= 0, got " + number(params.max_holes)});
  }
  if (!problems.empty()) {
    detail::throw_validation_error("TissueMaskParams", std::move(problems));
  }
}

}  // namespace

TissueMaskParams TissueMaskParams::clam_preset(ClamPreset preset, io::wsi::MPP level0_mpp, double mask_mpp) {
  // One CLAM area unit in square microns on this slide.
  const double unit = clam_reference_patch * clam_reference_patch * level0_mpp.value() * level0_mpp.value();
  TissueMaskParams params;
  params.mpp = mask_mpp;
  switch (preset) {
    case ClamPreset::tcga:
      params.saturation_threshold = 8;
      params.median_kernel = 7;
      params.close_kernel = 4;
      params.min_tissue_area_um2 = 16 * unit;
      params.min_hole_area_um2 = 4 * unit;
      params.max_holes = 8;
      break;
    case ClamPreset::bwh_biopsy:
      params.saturation_threshold = 15;
      params.median_kernel = 11;
      params.close_kernel = 2;
      params.min_tissue_area_um2 = 1 * unit;
      params.min_hole_area_um2 = 1 * unit;
      params.max_holes = 2;
      break;
    case ClamPreset::bwh_resection:
      params.saturation_threshold = 15;
      params.median_kernel = 11;
      params.close_kernel = 4;
      params.min_tissue_area_um2 = 100 * unit;
      params.min_hole_area_um2 = 16 * unit;
      params.max_holes = 8;
      break;
  }
  return params;
}

TissueMask::TissueMask(std::vector<std::uint8_t> pixels, std::int64_t width, std::int64_t height,
                       std::optional<io::wsi::MPP> mpp)
    : pixels_(std::move(pixels)), width_(width), height_(height), mpp_(mpp) {
  if (width < 1 || height < 1 || width > (std::int64_t{1} << 20) || height > (std::int64_t{1} << 20) ||
      pixels_.size() != static_cast<std::size_t>(width * height)) {
    detail::throw_validation_error(
        "TissueMask", {{"pixels", "expected width x height bytes with width and height in [1, 2^20], got " +
                                      std::to_string(pixels_.size()) + " bytes for " + std::to_string(width) + " x " +
                                      std::to_string(height)}});
  }
}

double TissueMask::tissue_fraction() const noexcept {
  const auto tissue = std::count_if(pixels_.begin(), pixels_.end(), [](std::uint8_t value) { return value != 0; });
  return static_cast<double>(tissue) / static_cast<double>(pixels_.size());
}

TissueMask segment_tissue(const image::ImageView& rgb, io::wsi::MPP mpp, const TissueMaskParams& params) {
  check(params);
  image::validate(rgb, "tissue mask input");
  if (rgb.format != image::PixelFormat::rgb8) {
    throw Error("tissue mask input: expected rgb8 pixels, got " + std::string(image::to_string(rgb.format)));
  }
  const cv::Mat input(static_cast<int>(rgb.height), static_cast<int>(rgb.width), CV_8UC3,
                      const_cast<std::uint8_t*>(rgb.data), static_cast<std::size_t>(rgb.stride_bytes));
  cv::Mat hsv;
  cv::cvtColor(input, hsv, cv::COLOR_RGB2HSV);
  cv::Mat saturation;
  cv::extractChannel(hsv, saturation, 1);
  cv::medianBlur(saturation, saturation, params.median_kernel);
  cv::Mat binary;
  if (params.use_otsu) {
    cv::threshold(saturation, binary, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
  } else {
    cv::threshold(saturation, binary, params.saturation_threshold, 255, cv::THRESH_BINARY);
  }
  if (params.close_kernel > 0) {
    // A closing that leaves the outlines where they are. cv::morphologyEx
    // (CLAM's call) dilates and erodes with the same anchor; with an even
    // kernel (tcga's 4) that moves the whole mask one pixel right and down
    // (8 um here), enough to drop tiles half covered by tissue at the left
    // and top edges of small pieces. Eroding with the reflected anchor makes
    // it a true closing.
    const cv::Mat kernel = cv::Mat::ones(params.close_kernel, params.close_kernel, CV_8U);
    const int anchor = params.close_kernel / 2;
    const int reflected = params.close_kernel - 1 - anchor;
    cv::Mat dilated;
    cv::dilate(binary, dilated, kernel, cv::Point(anchor, anchor));
    cv::erode(dilated, binary, kernel, cv::Point(reflected, reflected));
  }

  // Two-level hierarchy: outer boundaries, and the holes directly inside them.
  std::vector<std::vector<cv::Point>> contours;
  std::vector<cv::Vec4i> hierarchy;
  cv::findContours(binary, contours, hierarchy, cv::RETR_CCOMP, cv::CHAIN_APPROX_NONE);
  const double pixel_area = mpp.value() * mpp.value();
  const double min_tissue = params.min_tissue_area_um2 / pixel_area;
  const double min_hole = params.min_hole_area_um2 / pixel_area;

  cv::Mat mask = cv::Mat::zeros(binary.size(), CV_8U);
  std::vector<std::size_t> kept_holes;
  for (std::size_t i = 0; i < contours.size(); ++i) {
    if (hierarchy[i][3] != -1) {
      continue;  // a hole; handled with its parent
    }
    std::vector<std::pair<double, std::size_t>> holes;
    double area = cv::contourArea(contours[i]);
    for (int child = hierarchy[i][2]; child != -1; child = hierarchy[static_cast<std::size_t>(child)][0]) {
      const double hole_area = cv::contourArea(contours[static_cast<std::size_t>(child)]);
      holes.emplace_back(hole_area, static_cast<std::size_t>(child));
      area -= hole_area;
    }
    // As CLAM: the piece's area net of its holes must exceed the minimum.
    if (area <= 0.0 || area <= min_tissue) {
      continue;
    }
    cv::drawContours(mask, contours, static_cast<int>(i), cv::Scalar(1), cv::FILLED);
    if (params.fill_holes) {
      continue;
    }
    std::stable_sort(holes.begin(), holes.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    const std::size_t count = std::min(holes.size(), static_cast<std::size_t>(params.max_holes));
    for (std::size_t h = 0; h < count; ++h) {
      if (holes[h].first > min_hole) {
        kept_holes.push_back(holes[h].second);
      }
    }
  }
  // A hole's contour runs over the tissue pixels around it: clear the inside,
  // then give the boundary back to the tissue (CLAM's points on a hole's
  // contour are tissue too).
  for (const std::size_t hole : kept_holes) {
    cv::drawContours(mask, contours, static_cast<int>(hole), cv::Scalar(0), cv::FILLED);
  }
  for (const std::size_t hole : kept_holes) {
    cv::drawContours(mask, contours, static_cast<int>(hole), cv::Scalar(1), 1);
  }
  std::vector<std::uint8_t> pixels(mask.datastart, mask.dataend);
  return TissueMask(std::move(pixels), rgb.width, rgb.height, mpp);
}

namespace {

// The most pixels a mask of a slide may have (8192 x 8192, 192 MiB of RGB
// picture): a slide of 10 cm at 8 um/px is 12500 px wide, so only a wrong
// MPP (an override of 250 for 0.25) or a slide declaring an absurd size
// comes near it.
constexpr std::int64_t max_mask_pixels = std::int64_t{1} << 26;

// The slide at the mask's pixel size, as segment_tissue(slide) reads it.
SlideThumbnail read_picture(const io::wsi::SlideReader& slide, const TissueMaskParams& params) {
  check(params);
  const io::wsi::MPP mpp_x = slide.require_mpp_x();
  const io::wsi::MPP mpp_y = slide.require_mpp_y();
  const double downsample_x = params.mpp / mpp_x.value();
  const double downsample_y = params.mpp / mpp_y.value();
  const io::wsi::WSIDims level0 = slide.dimensions();
  const auto mask_width = std::max<std::int64_t>(
      1, static_cast<std::int64_t>(std::ceil(static_cast<double>(level0.width) / downsample_x - 1e-9)));
  const auto mask_height = std::max<std::int64_t>(
      1, static_cast<std::int64_t>(std::ceil(static_cast<double>(level0.height) / downsample_y - 1e-9)));
  // A total budget, not one per side: 65536 x 65536 px would be 12 GiB of
  // picture before the segmentation's own buffers. Sides are at most 2^31
  // here (a slide's dimensions), so the product cannot overflow.
  if (mask_width > max_mask_pixels || mask_height > max_mask_pixels || mask_width * mask_height > max_mask_pixels) {
    throw io::wsi::SlideError(slide.path(), "a tissue mask at " + detail::format_number(params.mpp) +
                                                " um/px would be " + std::to_string(mask_width) + " x " +
                                                std::to_string(mask_height) + " px (" +
                                                std::to_string(mask_width * mask_height) + " px); at most " +
                                                std::to_string(max_mask_pixels) +
                                                " px: check the slide's MPP (or its override) or choose a coarser "
                                                "mask mpp");
  }
  return {
      .rgb = detail::read_downsampled(slide, downsample_x, downsample_y, {.width = mask_width, .height = mask_height}),
      .downsample_x = downsample_x,
      .downsample_y = downsample_y,
      .mpp = io::wsi::MPP{params.mpp}};
}

}  // namespace

TissueMask segment_tissue(const io::wsi::SlideReader& slide, const TissueMaskParams& params) {
  const SlideThumbnail picture = read_picture(slide, params);
  return segment_tissue(picture.rgb.view(), io::wsi::MPP{params.mpp}, params);
}

}  // namespace bioptimus::extraction::wsi

namespace bioptimus::detail {

extraction::wsi::SlideThumbnail read_mask_picture(const io::wsi::SlideReader& slide,
                                                  const extraction::wsi::TissueMaskParams& params) {
  return extraction::wsi::read_picture(slide, params);
}

}  // namespace bioptimus::detail
