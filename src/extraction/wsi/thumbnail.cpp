#include "bioptimus/extraction/wsi/thumbnail.hpp"

#include <png.h>
#include <unistd.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <vector>

#include "bioptimus/error.hpp"
#include "detail/downsample.hpp"
#include "detail/export_file.hpp"

namespace bioptimus::extraction::wsi {
namespace {

struct FileCloser {
  void operator()(std::FILE* file) const noexcept { std::fclose(file); }
};

// Writes an 8-bit RGB image as PNG with libpng (OpenCV's imgcodecs would
// load GDAL and a hundred more libraries at every start of the tool), into
// the output file through a stream of its own on a duplicate descriptor.
void write_png(detail::OutputFile& output, const cv::Mat& rgb) {
  const auto fail = [&output] { throw Error(output.target().string() + ": cannot write the PNG"); };
  const int descriptor = ::dup(output.descriptor());
  std::FILE* stream = descriptor < 0 ? nullptr : ::fdopen(descriptor, "wb");
  if (stream == nullptr) {
    if (descriptor >= 0) {
      ::close(descriptor);
    }
    fail();
  }
  const std::unique_ptr<std::FILE, FileCloser> file(stream);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png == nullptr ? nullptr : png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    fail();
  }
  std::vector<png_bytep> rows(static_cast<std::size_t>(rgb.rows));
  for (int y = 0; y < rgb.rows; ++y) {
    rows[static_cast<std::size_t>(y)] = const_cast<png_bytep>(rgb.ptr<std::uint8_t>(y));
  }
  // libpng reports errors by longjmp; nothing with a destructor is created below.
  volatile bool written = false;
  if (setjmp(png_jmpbuf(png)) == 0) {  // NOLINT(cert-err52-cpp)
    png_init_io(png, file.get());
    png_set_IHDR(png, info, static_cast<png_uint_32>(rgb.cols), static_cast<png_uint_32>(rgb.rows), 8,
                 PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_write_image(png, rows.data());
    png_write_end(png, nullptr);
    written = true;
  }
  png_destroy_write_struct(&png, &info);
  if (!written || std::fflush(file.get()) != 0 || std::ferror(file.get()) != 0) {
    fail();
  }
}

// The slide, small, with what `draw(canvas, to_canvas)` draws (RGB colours)
// and the mask's outline on top, written to DIR/<slide>.png.
template <class Draw>
std::filesystem::path write_picture(const std::filesystem::path& directory, const io::wsi::SlideReader& slide,
                                    const std::optional<TissueMask>& mask, std::int64_t max_side, Draw&& draw) {
  SlideThumbnail picture = detail::read_thumbnail(slide, max_side);
  const double scale = picture.downsample_x;  // the same on both axes
  const cv::Mat canvas(static_cast<int>(picture.rgb.height()), static_cast<int>(picture.rgb.width()), CV_8UC3,
                       picture.rgb.bytes().data());
  const auto to_canvas = [scale](std::int64_t level0_coordinate) {
    return static_cast<int>(std::lround(static_cast<double>(level0_coordinate) / scale));
  };
  draw(canvas, to_canvas);
  if (mask) {
    const cv::Scalar green(0, 170, 0);
    cv::Mat binary(static_cast<int>(mask->height()), static_cast<int>(mask->width()), CV_8U);
    std::copy(mask->pixels().begin(), mask->pixels().end(), binary.data);
    cv::Mat resized;
    cv::resize(binary, resized, canvas.size(), 0, 0, cv::INTER_NEAREST);
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(resized, contours, cv::RETR_LIST, cv::CHAIN_APPROX_SIMPLE);
    cv::drawContours(canvas, contours, -1, green, 2);
  }
  const std::filesystem::path target = directory / (slide.name() + ".png");
  detail::write_atomically(target, [&](detail::OutputFile& file) { write_png(file, canvas); });
  return target;
}

}  // namespace

std::filesystem::path write_thumbnail(const std::filesystem::path& directory, const io::wsi::SlideReader& slide,
                                      const TileExtractor& extractor, std::int64_t max_side) {
  return write_picture(directory, slide, extractor.mask(), max_side, [&](const cv::Mat& canvas, const auto& to_canvas) {
    if (extractor.slide_name() != slide.name()) {
      return;
    }
    const cv::Scalar blue(0, 0, 255);
    const TilePlan& plan = extractor.plan();
    for (const TileRegion& region : extractor.regions()) {
      const cv::Point top_left(to_canvas(region.x), to_canvas(region.y));
      const cv::Point bottom_right(to_canvas(region.x + plan.footprint().width) - 1,
                                   to_canvas(region.y + plan.footprint().height) - 1);
      cv::rectangle(canvas, top_left, bottom_right, blue, 1);
    }
  });
}

std::filesystem::path write_thumbnail(const std::filesystem::path& directory, const io::wsi::SlideReader& slide,
                                      const MegaTileExtractor& extractor, std::int64_t max_side) {
  return write_picture(directory, slide, extractor.mask(), max_side, [&](const cv::Mat& canvas, const auto& to_canvas) {
    if (extractor.slide_name() != slide.name()) {
      return;
    }
    const cv::Scalar blue(0, 0, 255);
    const cv::Scalar grey(150, 150, 150);
    const cv::Scalar orange(255, 120, 0);
    const PixelExtent footprint = extractor.plan().footprint();
    for (const MegaTileRegion& block : extractor.regions()) {
      for (std::size_t i = 0; i < block.tiles.size(); ++i) {
        const TileRegion& tile = block.tiles[i];
        cv::rectangle(canvas, cv::Point(to_canvas(tile.x), to_canvas(tile.y)),
                      cv::Point(to_canvas(tile.x + footprint.width) - 1, to_canvas(tile.y + footprint.height) - 1),
                      block.available[i] != 0 ? blue : grey, 1);
      }
    }
    // The outlines over the tiles, so that overlapping blocks stay visible.
    for (const MegaTileRegion& block : extractor.regions()) {
      cv::rectangle(canvas, cv::Point(to_canvas(block.x), to_canvas(block.y)),
                    cv::Point(to_canvas(block.x + block.width) - 1, to_canvas(block.y + block.height) - 1), orange, 2);
    }
  });
}

}  // namespace bioptimus::extraction::wsi
