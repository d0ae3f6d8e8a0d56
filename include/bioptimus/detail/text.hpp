// bioptimus/detail/text.hpp
//
// Small helpers shared by the value types: exact number formatting for error
// messages, constexpr floating-point checks (<cmath> is not constexpr in
// C++20) and "did you mean" suggestions for closed vocabularies.
// Not part of the public API.
#ifndef BIOPTIMUS_DETAIL_TEXT_HPP
#define BIOPTIMUS_DETAIL_TEXT_HPP

#include <algorithm>
#include <array>
#include <charconv>  // std::to_chars
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace bioptimus::detail {

/// True when `value` is neither NaN nor infinite.
[[nodiscard]] constexpr bool is_finite(double value) noexcept {
  return value == value && value < std::numeric_limits<double>::infinity() &&
         value > -std::numeric_limits<double>::infinity();
}

/// True when `value` is finite and strictly positive (rejects -0.0 and 0.0).
[[nodiscard]] constexpr bool is_finite_positive(double value) noexcept { return is_finite(value) && value > 0.0; }

/// `value` as a whole number when it is one and lies in [0, limit]; limit must
/// be below 2^53 so that every integer up to it is exact in a double.
[[nodiscard]] constexpr std::optional<std::int64_t> as_whole(double value, std::int64_t limit) noexcept {
  if (!(value >= 0.0) || value > static_cast<double>(limit)) {
    return std::nullopt;
  }
  const auto whole = static_cast<std::int64_t>(value);
  if (static_cast<double>(whole) != value) {
    return std::nullopt;
  }
  return whole;
}

/// `value` rounded to the nearest whole number when it is within the relative
/// `tolerance` of one and lies in [1, limit].
[[nodiscard]] constexpr std::optional<std::int64_t> as_nearly_whole(double value, std::int64_t limit,
                                                                    double tolerance) noexcept {
  if (!(value >= 0.5) || value > static_cast<double>(limit) + 0.5) {
    return std::nullopt;
  }
  const auto nearest = static_cast<std::int64_t>(value + 0.5);
  const double distance = value > static_cast<double>(nearest) ? value - static_cast<double>(nearest)
                                                               : static_cast<double>(nearest) - value;
  if (nearest < 1 || nearest > limit || distance > tolerance * value) {
    return std::nullopt;
  }
  return nearest;
}

/// `value` rounded half up to a whole number of pixels, at least 1. The
/// caller keeps `value` finite and below 2^53, where the conversion is exact.
[[nodiscard]] constexpr std::int64_t round_to_whole_pixels(double value) noexcept {
  const auto nearest = static_cast<std::int64_t>(value + 0.5);
  return nearest < 1 ? 1 : nearest;
}

/// Shortest text that reads back as the same double ("0.5", "224", "-0",
/// "nan", "inf", "1e+300").
[[nodiscard]] inline std::string format_number(double value) {
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), result.ptr);
}

/// Shortest text that reads back as the same double, without an exponent
/// ("100000", "0.001"): for bounds shown to people.
[[nodiscard]] inline std::string format_plain_number(double value) {
  std::array<char, 400> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value, std::chars_format::fixed);
  return std::string(buffer.data(), result.ptr);
}

/// Decimal text of an integer.
[[nodiscard]] inline std::string format_number(std::int64_t value) { return std::to_string(value); }

/// `[a, b, c]` with each element formatted by format_number; past
/// `max_shown` elements the rest is elided (`[a, b, ...]`), so that a hostile
/// list of a million values cannot make a message of megabytes.
template <class Range>
[[nodiscard]] std::string format_list(const Range& values, std::size_t max_shown = 8) {
  std::string text = "[";
  std::size_t shown = 0;
  for (const auto& value : values) {
    if (shown > 0) {
      text += ", ";
    }
    if (shown++ == max_shown) {
      text += "...";
      break;
    }
    text += format_number(value);
  }
  return text + "]";
}

/// The byte offset of the first byte of `text` that does not start a
/// well-formed UTF-8 sequence (an overlong form, a surrogate, a code point
/// past U+10FFFF or a cut-off sequence), or nothing when all of it is UTF-8.
[[nodiscard]] constexpr std::optional<std::size_t> first_invalid_utf8(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code_point = 0;
    std::uint32_t minimum = 0;
    if ((byte & 0xE0U) == 0xC0U) {
      length = 2;
      code_point = byte & 0x1FU;
      minimum = 0x80;
    } else if ((byte & 0xF0U) == 0xE0U) {
      length = 3;
      code_point = byte & 0x0FU;
      minimum = 0x800;
    } else if ((byte & 0xF8U) == 0xF0U) {
      length = 4;
      code_point = byte & 0x07U;
      minimum = 0x10000;
    } else {
      return i;
    }
    if (i + length > text.size()) {
      return i;
    }
    for (std::size_t k = 1; k < length; ++k) {
      const auto continuation = static_cast<unsigned char>(text[i + k]);
      if ((continuation & 0xC0U) != 0x80U) {
        return i;
      }
      code_point = (code_point << 6U) | (continuation & 0x3FU);
    }
    if (code_point < minimum || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return i;
    }
    i += length;
  }
  return std::nullopt;
}

/// Whether `text` is well-formed UTF-8.
[[nodiscard]] constexpr bool is_valid_utf8(std::string_view text) noexcept { return !first_invalid_utf8(text); }

/// Whether `text` (UTF-8) holds nothing but white space: the ASCII spaces
/// (space, \t, \n, \v, \f, \r) and Unicode's White_Space characters (NEL,
/// no-break space, the U+2000 spaces, line and paragraph separators, ...),
/// plus the zero-width spaces U+200B and U+FEFF (a stray byte-order mark).
[[nodiscard]] constexpr bool is_blank(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == ' ' || (byte >= 0x09 && byte <= 0x0D)) {
      ++i;
      continue;
    }
    // Any other ASCII byte is text: answered before the table below, which
    // would otherwise be compared at every non-blank first character.
    if (byte < 0x80) {
      return false;
    }
    // The multi-byte white space, as UTF-8.
    constexpr std::array<std::string_view, 21> spaces{
        "\xC2\x85",     "\xC2\xA0",     "\xE1\x9A\x80", "\xE2\x80\x80", "\xE2\x80\x81", "\xE2\x80\x82", "\xE2\x80\x83",
        "\xE2\x80\x84", "\xE2\x80\x85", "\xE2\x80\x86", "\xE2\x80\x87", "\xE2\x80\x88", "\xE2\x80\x89", "\xE2\x80\x8A",
        "\xE2\x80\xA8", "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80", "\xEF\xBB\xBF", "\xE2\x80\x8B"};
    bool matched = false;
    for (const std::string_view space : spaces) {
      if (text.substr(i, space.size()) == space) {
        i += space.size();
        matched = true;
        break;
      }
    }
    if (!matched) {
      return false;
    }
  }
  return true;
}

/// Levenshtein distance between two short words (case-sensitive).
[[nodiscard]] inline std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0U : 1U);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitution});
      diagonal = above;
    }
  }
  return row[b.size()];
}

/// The candidate closest to `word` when it is close enough to be a likely
/// typo (at most a third of the word's length, at least one edit, and
/// case-insensitive equality always counts), else nothing.
template <class Range>
[[nodiscard]] std::optional<std::string> nearest_spelling(std::string_view word, const Range& candidates) {
  const auto lower = [](std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    return out;
  };
  if (word.size() > 64) {
    return std::nullopt;  // keeps the quadratic distance cheap on hostile input
  }
  std::optional<std::string> best;
  std::size_t best_distance = std::max<std::size_t>(1, word.size() / 3) + 1;
  for (const auto& candidate : candidates) {
    const std::string_view text(candidate);
    const std::size_t distance = lower(text) == lower(word) ? 0 : edit_distance(word, text);
    if (distance < best_distance) {
      best_distance = distance;
      best = std::string(text);
    }
  }
  return best;
}

/// `a | b | c`: the allowed spellings of a vocabulary, for messages.
template <class Range>
[[nodiscard]] std::string join_spellings(const Range& spellings) {
  std::string text;
  for (const auto& spelling : spellings) {
    if (!text.empty()) {
      text += " | ";
    }
    text += std::string_view(spelling);
  }
  return text;
}

/// `"text"` with quotes, and control or non-ASCII bytes escaped, so that a
/// hostile value cannot garble a one-line diagnostic.
[[nodiscard]] inline std::string quote(std::string_view text, std::size_t max_length = 80) {
  std::string out = "\"";
  std::size_t shown = 0;
  for (const char c : text) {
    if (shown++ == max_length) {
      out += "...";
      break;
    }
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte >= 0x7f) {
      constexpr std::string_view hex = "0123456789abcdef";
      out += "\\x";
      out += hex[byte >> 4U];
      out += hex[byte & 0x0fU];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

/// Why `name` cannot be stored as a slide's name inside a file (HDF5's and
/// NPZ's `name`, a JSON export's `slide`), which needs UTF-8: "the slide name
/// "caf\xe9" is not UTF-8"; nothing when it can (docs/hardening.md, names
/// that are not UTF-8).
[[nodiscard]] inline std::optional<std::string> stored_name_problem(std::string_view name) {
  if (first_invalid_utf8(name)) {
    return "the slide name " + quote(name) + " is not UTF-8";
  }
  return std::nullopt;
}

/// What the library says after stored_name_problem(): how to give a name.
inline constexpr std::string_view stored_name_advice =
    ", and a file stores it only as UTF-8: open the slide under a UTF-8 name (SlideOptions::name; name= in Python)";

/// `text` with every character that could garble a terminal line or hide
/// in it escaped: C0 and C1 controls and DEL (`\x1b`, `\u0085`), the line and
/// paragraph separators, byte-order marks, zero-width and bidirectional
/// controls (`\u2028`, `\ufeff`, `\u202e`), and bytes that are not UTF-8
/// (`\xff`). Printable text, ASCII or not, is kept as it is.
[[nodiscard]] inline std::string escape_controls(std::string_view text) {
  constexpr std::string_view hex = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x7f) {
      out += text[i++];
      continue;
    }
    std::size_t length = 1;
    if (byte >= 0x80) {
      length = (byte & 0xE0U) == 0xC0U ? 2 : (byte & 0xF0U) == 0xE0U ? 3 : (byte & 0xF8U) == 0xF0U ? 4 : 1;
      if (first_invalid_utf8(text.substr(i, length)) || i + length > text.size()) {
        length = 0;  // not UTF-8: the byte alone is escaped
      }
    }
    if (length == 0 || byte < 0x80) {
      out += "\\x";
      out += hex[byte >> 4U];
      out += hex[byte & 0x0fU];
      ++i;
      continue;
    }
    std::uint32_t code_point = byte & (0xFFU >> (length + 1));
    for (std::size_t k = 1; k < length; ++k) {
      code_point = (code_point << 6U) | (static_cast<unsigned char>(text[i + k]) & 0x3FU);
    }
    const bool hidden = code_point <= 0x9F || (code_point >= 0x200B && code_point <= 0x200F) ||
                        (code_point >= 0x2028 && code_point <= 0x202E) ||
                        (code_point >= 0x2066 && code_point <= 0x2069) || code_point == 0xFEFF;
    if (hidden) {
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) {
        out += hex[(code_point >> static_cast<unsigned>(shift)) & 0xFU];
      }
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  return out;
}

/// Every enumerator of a closed vocabulary whose spelling is `text`, found
/// through the vocabulary's `to_string` (one spelling table, the switch).
template <class Enum, std::size_t N>
[[nodiscard]] constexpr std::optional<Enum> parse_enum(std::string_view text, const std::array<Enum, N>& all) noexcept {
  for (const Enum value : all) {
    if (to_string(value) == text) {
      return value;
    }
  }
  return std::nullopt;
}

/// The spellings of every enumerator, in declaration order.
template <class Enum, std::size_t N>
[[nodiscard]] constexpr std::array<std::string_view, N> spellings_of(const std::array<Enum, N>& all) noexcept {
  std::array<std::string_view, N> out{};
  for (std::size_t i = 0; i < N; ++i) {
    out[i] = to_string(all[i]);
  }
  return out;
}

}  // namespace bioptimus::detail

#endif  // BIOPTIMUS_DETAIL_TEXT_HPP
