#include "image_io.hpp"

#include <png.h>

#include <bit>
#include <cstring>
#include <string_view>

#include "bioptimus/error.hpp"
#include "input_file.hpp"
#include "npy_header.hpp"
#include "output_file.hpp"

namespace bioptimus::apps {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& message) {
  throw Error(path.string() + ": " + message);
}

// A tile of the largest size preprocess takes, as 16-bit RGBA, is 512 MiB;
// a PNG or .npy beyond that is not a tile.
constexpr detail::InputRules tile_file_rules{.expected = "a tile (a PNG or .npy file)",
                                             .max_bytes = std::uint64_t{512} << 20U};

std::vector<std::byte> read_file(const std::filesystem::path& path) {
  const std::string bytes = detail::read_input_file(path, tile_file_rules);
  std::vector<std::byte> out(bytes.size());
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

constexpr std::string_view npy_magic{"\x93NUMPY", 6};

// A tile for preprocess is at most 8192 x 8192 px: pixels a file declares
// beyond that (a few bytes of PNG can declare 100000 x 100000) are refused
// before anything of that size is allocated.
constexpr std::int64_t max_tile_pixels = std::int64_t{1} << 26;

void check_tile_size(const std::filesystem::path& path, std::int64_t width, std::int64_t height) {
  if (width <= 0 || height <= 0 || width > max_tile_pixels || height > max_tile_pixels ||
      width * height > max_tile_pixels) {
    fail(path, "the tile is " + std::to_string(width) + " x " + std::to_string(height) + " px (" +
                   std::to_string(width * height) + " px); at most " + std::to_string(max_tile_pixels) +
                   " px (8192 x 8192) are read as a tile");
  }
}

}  // namespace

NpyArray read_npy(const std::filesystem::path& path) {
  const std::vector<std::byte> bytes = read_file(path);
  const std::string_view file(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  NpyHeader header = parse_npy_header(file, path.string());
  NpyArray array{.descr = std::move(header.descr), .shape = std::move(header.shape), .data = {}};
  array.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header.data_offset), bytes.end());
  return array;
}

image::Image read_npy_image(const std::filesystem::path& path) {
  const NpyArray array = read_npy(path);
  if (array.descr != "|u1" && array.descr != "<u1" && array.descr != "u1") {
    fail(path, "expected a uint8 array, got dtype '" + array.descr + "'");
  }
  if (array.shape.size() != 3 || (array.shape[2] != 3 && array.shape[2] != 4)) {
    fail(path, "expected shape (height, width, 3) or (height, width, 4)");
  }
  const std::int64_t height = array.shape[0];
  const std::int64_t width = array.shape[1];
  check_tile_size(path, width, height);
  const std::int64_t channels = array.shape[2];
  if (static_cast<std::int64_t>(array.data.size()) != height * width * channels) {
    fail(path, "holds " + std::to_string(array.data.size()) + " data bytes, its shape needs " +
                   std::to_string(height * width * channels));
  }
  image::Image out(width, height, channels == 3 ? image::PixelFormat::rgb8 : image::PixelFormat::rgba8);
  std::memcpy(out.bytes().data(), array.data.data(), array.data.size());
  return out;
}

image::Image read_png(const std::filesystem::path& path) {
  const std::vector<std::byte> bytes = read_file(path);
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  if (png_image_begin_read_from_memory(&png, bytes.data(), bytes.size()) == 0) {
    fail(path, std::string("not a readable PNG: ") + png.message);
  }
  try {
    check_tile_size(path, png.width, png.height);
  } catch (...) {
    png_image_free(&png);
    throw;
  }
  const bool alpha = (png.format & PNG_FORMAT_FLAG_ALPHA) != 0;
  png.format = alpha ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;
  image::Image out(png.width, png.height, alpha ? image::PixelFormat::rgba8 : image::PixelFormat::rgb8);
  if (png_image_finish_read(&png, nullptr, out.bytes().data(), static_cast<png_int_32>(out.stride_bytes()), nullptr) ==
      0) {
    const std::string message = png.message;
    png_image_free(&png);
    fail(path, "cannot decode PNG: " + message);
  }
  return out;
}

image::Image read_image(const std::filesystem::path& path) {
  if (path.extension() == ".npy") {
    return read_npy_image(path);
  }
  if (path.extension() == ".png" || path.extension() == ".PNG") {
    return read_png(path);
  }
  fail(path, "expected a .png or .npy file");
}

void write_npy(const std::filesystem::path& path, const std::string& descr, std::span<const std::int64_t> shape,
               std::span<const std::byte> data) {
  static_assert(std::endian::native == std::endian::little, "the .npy writer labels data little-endian");
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (";
  for (const std::int64_t extent : shape) {
    header += std::to_string(extent) + ", ";
  }
  if (shape.size() > 1) {
    header.resize(header.size() - 1);
  }
  header += "), }";
  // numpy pads the header with spaces so the data starts 64-byte aligned.
  const std::size_t unpadded = npy_magic.size() + 2 + 2 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  detail::OutputFile file(path);
  std::string preamble(npy_magic);
  preamble += '\x01';  // version 1.0
  preamble += '\x00';
  preamble += static_cast<char>(header.size() & 0xFFU);
  preamble += static_cast<char>((header.size() >> 8U) & 0xFFU);
  file.write(preamble + header);
  file.write(data);
  file.commit();
}

}  // namespace bioptimus::apps
