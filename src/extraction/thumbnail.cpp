#include "bioptimus/extraction/wsi/thumbnail.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <vector>

#include "bioptimus/error.hpp"
#include "detail/downsample.hpp"
#include "detail/export_file.hpp"

namespace bioptimus::extraction::wsi {

std::filesystem::path write_thumbnail(const std::filesystem::path& directory, const io::wsi::SlideReader& slide,
                                      const TileExtractor& extractor, std::int64_t max_side) {
  const io::wsi::WSIDims level0 = slide.dimensions();
  const double scale = std::max(1.0, static_cast<double>(std::max(level0.width, level0.height)) /
                                         static_cast<double>(std::max<std::int64_t>(max_side, 1)));
  const io::wsi::WSIDims size{
      .width = std::max<std::int64_t>(1, std::llround(static_cast<double>(level0.width) / scale)),
      .height = std::max<std::int64_t>(1, std::llround(static_cast<double>(level0.height) / scale))};
  image::Image picture = detail::read_downsampled(slide, scale, scale, size);
  cv::Mat rgb(static_cast<int>(size.height), static_cast<int>(size.width), CV_8UC3, picture.bytes().data());
  cv::Mat canvas;
  cv::cvtColor(rgb, canvas, cv::COLOR_RGB2BGR);  // imencode takes BGR

  const cv::Scalar blue(255, 0, 0);
  const cv::Scalar green(0, 170, 0);
  const auto to_canvas = [scale](std::int64_t level0_coordinate) {
    return static_cast<int>(std::lround(static_cast<double>(level0_coordinate) / scale));
  };
  if (extractor.slide_name() == slide.name()) {
    const TilePlan& plan = extractor.plan();
    for (const TileRegion& region : extractor.regions()) {
      const cv::Point top_left(to_canvas(region.x), to_canvas(region.y));
      const cv::Point bottom_right(to_canvas(region.x + plan.footprint().width) - 1,
                                   to_canvas(region.y + plan.footprint().height) - 1);
      cv::rectangle(canvas, top_left, bottom_right, blue, 1);
    }
  }
  if (const auto& mask = extractor.mask(); mask) {
    cv::Mat binary(static_cast<int>(mask->height()), static_cast<int>(mask->width()), CV_8U);
    std::copy(mask->pixels().begin(), mask->pixels().end(), binary.data);
    cv::Mat resized;
    cv::resize(binary, resized, canvas.size(), 0, 0, cv::INTER_NEAREST);
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(resized, contours, cv::RETR_LIST, cv::CHAIN_APPROX_SIMPLE);
    cv::drawContours(canvas, contours, -1, green, 2);
  }
  std::vector<std::uint8_t> png;
  if (!cv::imencode(".png", canvas, png)) {
    throw Error(slide.path().string() + ": cannot encode the thumbnail as PNG");
  }
  const std::filesystem::path target = directory / (slide.name() + ".png");
  detail::write_atomically(target, [&](const std::filesystem::path& temporary) {
    std::ofstream out(temporary, std::ios::binary);
    out.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
    out.flush();
    return static_cast<bool>(out);
  });
  return target;
}

}  // namespace bioptimus::extraction::wsi
