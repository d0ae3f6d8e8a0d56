#include "image_io.hpp"

#include <png.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <string_view>

#include "bioptimus/error.hpp"
#include "input_file.hpp"
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

// The value of `key` in the header dictionary, as written by numpy: a quoted
// string, a bool or a parenthesised tuple.
std::string_view header_value(const std::filesystem::path& path, std::string_view header, std::string_view key) {
  std::string quoted(1, '\'');  // built by appends: g++ 12 -O3 misreports "'" + std::string(...) (-Wrestrict)
  quoted.append(key).append("':");
  const std::size_t at = header.find(quoted);
  if (at == std::string_view::npos) {
    fail(path, "the .npy header has no '" + std::string(key) + "'");
  }
  std::string_view rest = header.substr(at + quoted.size());
  rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
  std::size_t end = 0;
  if (!rest.empty() && rest.front() == '(') {
    end = rest.find(')');
    end = end == std::string_view::npos ? end : end + 1;
  } else if (!rest.empty() && rest.front() == '\'') {
    end = rest.find('\'', 1);
    end = end == std::string_view::npos ? end : end + 1;
  } else {
    end = rest.find_first_of(",}");
  }
  if (end == std::string_view::npos) {
    fail(path, "the .npy header's '" + std::string(key) + "' is malformed");
  }
  return rest.substr(0, end);
}

std::vector<std::int64_t> parse_shape(const std::filesystem::path& path, std::string_view text) {
  std::vector<std::int64_t> shape;
  text.remove_prefix(1);  // (
  text.remove_suffix(1);  // )
  while (!text.empty()) {
    text.remove_prefix(std::min(text.find_first_not_of(" ,"), text.size()));
    if (text.empty()) {
      break;
    }
    std::int64_t value = 0;
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
      if (value > (std::numeric_limits<std::int64_t>::max() - 9) / 10) {
        fail(path, "the .npy shape is too large");
      }
      value = value * 10 + (text[digits] - '0');
      ++digits;
    }
    if (digits == 0) {
      fail(path, "the .npy shape is malformed");
    }
    shape.push_back(value);
    text.remove_prefix(digits);
  }
  return shape;
}

}  // namespace

NpyArray read_npy(const std::filesystem::path& path) {
  const std::vector<std::byte> bytes = read_file(path);
  const auto* raw = reinterpret_cast<const char*>(bytes.data());
  if (bytes.size() < 10 || std::string_view(raw, 6) != npy_magic) {
    fail(path, "not a .npy file (no \\x93NUMPY magic)");
  }
  const auto major = static_cast<unsigned char>(raw[6]);
  std::size_t header_length = 0;
  std::size_t header_start = 0;
  if (major == 1) {
    header_length = static_cast<unsigned char>(raw[8]) | (std::size_t{static_cast<unsigned char>(raw[9])} << 8);
    header_start = 10;
  } else if ((major == 2 || major == 3) && bytes.size() >= 12) {
    for (std::size_t i = 0; i < 4; ++i) {
      header_length |= std::size_t{static_cast<unsigned char>(raw[8 + i])} << (8 * i);
    }
    header_start = 12;
  } else {
    fail(path, "unsupported .npy version " + std::to_string(major));
  }
  if (header_length > bytes.size() - header_start) {
    fail(path, "the .npy header runs past the end of the file");
  }
  const std::string_view header(raw + header_start, header_length);
  NpyArray array;
  const std::string_view descr = header_value(path, header, "descr");
  array.descr = std::string(descr.substr(1, descr.size() - 2));
  if (header_value(path, header, "fortran_order") != "False") {
    fail(path, "Fortran-order .npy arrays are not supported; save a C-order array");
  }
  array.shape = parse_shape(path, header_value(path, header, "shape"));
  array.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header_start + header_length), bytes.end());
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
  constexpr std::int64_t max_side = std::int64_t{1} << 20;
  const std::int64_t height = array.shape[0];
  const std::int64_t width = array.shape[1];
  if (height <= 0 || width <= 0 || height > max_side || width > max_side) {
    fail(path, "expected a height and a width in [1, " + std::to_string(max_side) + "]");
  }
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
