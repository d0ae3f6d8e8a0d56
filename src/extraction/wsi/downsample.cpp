#include "detail/downsample.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <utility>

#include "bioptimus/extraction/wsi/tiling.hpp"
#include "bioptimus/image/resize.hpp"

namespace bioptimus::detail {

image::Image read_downsampled(const io::wsi::SlideReader& slide, double downsample_x, double downsample_y,
                              io::wsi::WSIDims size) {
  const io::wsi::Level level =
      extraction::wsi::choose_level(slide.geometry(), std::min(downsample_x, downsample_y), 0.0);
  const double level_downsample = slide.level_downsample(level);
  const io::wsi::WSIDims level_size = slide.level_dimensions(level);
  const double scale_x = downsample_x / level_downsample;  // level pixels per output pixel
  const double scale_y = downsample_y / level_downsample;

  image::Image out(size.width, size.height, image::PixelFormat::rgb8);
  std::fill(out.bytes().begin(), out.bytes().end(), std::uint8_t{255});
  const cv::Mat target_image(static_cast<int>(size.height), static_cast<int>(size.width), CV_8UC3, out.bytes().data());
  // Output columns and rows that lie over the level (the rest stays white).
  const auto covered = [](std::int64_t level_length, double scale, std::int64_t limit) {
    return std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor(static_cast<double>(level_length) / scale)), 1,
                                    limit);
  };
  const std::int64_t columns = covered(level_size.width, scale_x, size.width);
  const std::int64_t rows_total = covered(level_size.height, scale_y, size.height);
  const auto level_columns =
      std::clamp<std::int64_t>(std::llround(static_cast<double>(columns) * scale_x), 1, level_size.width);
  // About 0.5 Mpx of the level per band (2 MB of ARGB, 1.5 MB of RGB): memory
  // stays flat as slides grow, and fewer fresh pages to fault in than with
  // bigger bands (2 Mpx cost 15% more CPU on a 40,000 x 30,000 slide).
  constexpr double band_pixel_budget = 0.5 * 1024 * 1024;
  const auto band_rows = std::max<std::int64_t>(
      1, static_cast<std::int64_t>(band_pixel_budget / (static_cast<double>(level_columns) * scale_y)));
  // One band's buffers, allocated once and reused (the last band uses their top rows).
  const auto band_capacity = std::min<std::int64_t>(
      level_size.height, static_cast<std::int64_t>(std::ceil(static_cast<double>(band_rows) * scale_y)) + 2);
  image::Image argb(level_columns, band_capacity, image::PixelFormat::argb32_premultiplied);
  image::Image rgb(level_columns, band_capacity, image::PixelFormat::rgb8);
  for (std::int64_t row = 0; row < rows_total; row += band_rows) {
    const std::int64_t rows = std::min(band_rows, rows_total - row);
    const auto top =
        std::clamp<std::int64_t>(std::llround(static_cast<double>(row) * scale_y), 0, level_size.height - 1);
    const auto bottom = std::clamp<std::int64_t>(std::llround(static_cast<double>(row + rows) * scale_y), top + 1,
                                                 std::min(level_size.height, top + band_capacity));
    image::MutableImageView argb_band = argb.mutable_view();
    argb_band.height = bottom - top;
    image::MutableImageView rgb_band = rgb.mutable_view();
    rgb_band.height = bottom - top;
    slide.read_level_into(level, 0, std::llround(static_cast<double>(top) * level_downsample), argb_band);
    image::to_rgb8_into(argb_band, rgb_band);
    const cv::Mat source(static_cast<int>(rgb_band.height), static_cast<int>(rgb_band.width), CV_8UC3, rgb_band.data);
    cv::Mat target =
        target_image(cv::Rect(0, static_cast<int>(row), static_cast<int>(columns), static_cast<int>(rows)));
    cv::resize(source, target, target.size(), 0, 0, cv::INTER_AREA);
  }
  return out;
}

extraction::wsi::SlideThumbnail read_thumbnail(const io::wsi::SlideReader& slide, std::int64_t max_side) {
  const io::wsi::WSIDims level0 = slide.dimensions();
  const double scale = std::max(1.0, static_cast<double>(std::max(level0.width, level0.height)) /
                                         static_cast<double>(std::max<std::int64_t>(max_side, 1)));
  const io::wsi::WSIDims size{
      .width = std::max<std::int64_t>(1, std::llround(static_cast<double>(level0.width) / scale)),
      .height = std::max<std::int64_t>(1, std::llround(static_cast<double>(level0.height) / scale))};
  std::optional<io::wsi::MPP> mpp;
  if (const std::optional<io::wsi::MPP> slide_mpp = slide.mpp_x()) {
    mpp = io::wsi::MPP{slide_mpp->value() * scale};
  }
  return {.rgb = read_downsampled(slide, scale, scale, size), .downsample_x = scale, .downsample_y = scale, .mpp = mpp};
}

extraction::wsi::SlideThumbnail reduce_thumbnail(extraction::wsi::SlideThumbnail picture, std::int64_t max_side) {
  const std::int64_t width = picture.rgb.width();
  const std::int64_t height = picture.rgb.height();
  const double factor =
      static_cast<double>(std::max(width, height)) / static_cast<double>(std::max<std::int64_t>(max_side, 1));
  if (factor <= 1.0) {
    return picture;
  }
  const std::int64_t reduced_width = std::max<std::int64_t>(1, std::llround(static_cast<double>(width) / factor));
  const std::int64_t reduced_height = std::max<std::int64_t>(1, std::llround(static_cast<double>(height) / factor));
  image::Image reduced(reduced_width, reduced_height, image::PixelFormat::rgb8);
  const cv::Mat source(static_cast<int>(height), static_cast<int>(width), CV_8UC3, picture.rgb.bytes().data());
  cv::Mat target(static_cast<int>(reduced_height), static_cast<int>(reduced_width), CV_8UC3, reduced.bytes().data());
  cv::resize(source, target, target.size(), 0, 0, cv::INTER_AREA);
  const double scale_x = static_cast<double>(width) / static_cast<double>(reduced_width);
  const double scale_y = static_cast<double>(height) / static_cast<double>(reduced_height);
  std::optional<io::wsi::MPP> mpp;
  if (picture.mpp) {
    mpp = io::wsi::MPP{picture.mpp->value() * scale_x};
  }
  return {.rgb = std::move(reduced),
          .downsample_x = picture.downsample_x * scale_x,
          .downsample_y = picture.downsample_y * scale_y,
          .mpp = mpp};
}

}  // namespace bioptimus::detail
