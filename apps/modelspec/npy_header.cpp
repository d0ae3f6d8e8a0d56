#include "npy_header.hpp"

#include <algorithm>
#include <limits>

#include "bioptimus/error.hpp"

namespace bioptimus::apps {
namespace {

constexpr std::string_view npy_magic{"\x93NUMPY", 6};

// The value of `key` in the header dictionary, as written by numpy: a quoted
// string, a bool or a parenthesised tuple, with its delimiters.
std::string_view header_value(const std::string& source, std::string_view header, std::string_view key) {
  std::string quoted(1, '\'');  // built by appends: g++ 12 -O3 misreports "'" + std::string(...) (-Wrestrict)
  quoted.append(key).append("':");
  const std::size_t at = header.find(quoted);
  if (at == std::string_view::npos) {
    throw Error(source + ": the .npy header has no '" + std::string(key) + "'");
  }
  std::string_view rest = header.substr(at + quoted.size());
  rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
  std::size_t end = std::string_view::npos;
  if (rest.starts_with('(')) {
    end = rest.find(')');
  } else if (rest.starts_with('\'')) {
    end = rest.find('\'', 1);
  } else {
    const std::size_t stop = rest.find_first_of(",}");
    end = stop == 0 || stop == std::string_view::npos ? std::string_view::npos : stop - 1;
  }
  if (end == std::string_view::npos) {
    throw Error(source + ": the .npy header's '" + std::string(key) + "' is malformed or missing its value");
  }
  return rest.substr(0, end + 1);
}

// "(3, 4)", "(5,)" or "()": non-negative decimal integers.
std::vector<std::int64_t> parse_shape(const std::string& source, std::string_view text) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') {
    throw Error(source + ": the .npy shape is not a tuple: '" + std::string(text) + "'");
  }
  text = text.substr(1, text.size() - 2);
  std::vector<std::int64_t> shape;
  while (!text.empty()) {
    text.remove_prefix(std::min(text.find_first_not_of(" ,"), text.size()));
    if (text.empty()) {
      break;
    }
    std::int64_t value = 0;
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
      if (value > (std::numeric_limits<std::int64_t>::max() - 9) / 10) {
        throw Error(source + ": the .npy shape is too large");
      }
      value = value * 10 + (text[digits] - '0');
      ++digits;
    }
    if (digits == 0) {
      throw Error(source + ": the .npy shape is malformed");
    }
    shape.push_back(value);
    text.remove_prefix(digits);
  }
  return shape;
}

}  // namespace

NpyHeader parse_npy_header(std::string_view file, const std::string& source) {
  if (file.size() < 10 || !file.starts_with(npy_magic)) {
    throw Error(source + ": not a .npy file (no \\x93NUMPY magic)");
  }
  const auto byte = [&](std::size_t at) { return std::size_t{static_cast<unsigned char>(file[at])}; };
  const std::size_t major = byte(6);
  std::size_t header_length = 0;
  std::size_t header_start = 0;
  if (major == 1) {
    header_length = byte(8) | (byte(9) << 8U);
    header_start = 10;
  } else if ((major == 2 || major == 3) && file.size() >= 12) {
    for (std::size_t i = 0; i < 4; ++i) {
      header_length |= byte(8 + i) << (8 * i);
    }
    header_start = 12;
  } else {
    throw Error(source + ": unsupported .npy version " + std::to_string(major));
  }
  if (header_length > file.size() - header_start) {
    throw Error(source + ": the .npy header runs past the end of the file");
  }
  const std::string_view header = file.substr(header_start, header_length);
  NpyHeader parsed;
  const std::string_view descr = header_value(source, header, "descr");
  if (descr.size() < 3 || descr.front() != '\'' || descr.back() != '\'') {
    throw Error(source + ": the .npy header's 'descr' is not a quoted dtype: '" + std::string(descr) + "'");
  }
  parsed.descr = std::string(descr.substr(1, descr.size() - 2));
  if (header_value(source, header, "fortran_order") != "False") {
    throw Error(source + ": Fortran-order .npy arrays are not supported; save a C-order array");
  }
  parsed.shape = parse_shape(source, header_value(source, header, "shape"));
  parsed.data_offset = header_start + header_length;
  return parsed;
}

}  // namespace bioptimus::apps
