#include "base64.hpp"

#include <array>
#include <cstddef>

namespace bioptimus::remote::detail {
namespace {

constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t invalid = 0xFF;

constexpr std::array<std::uint8_t, 256> decoding_table() {
  std::array<std::uint8_t, 256> table{};
  table.fill(invalid);
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}
constexpr std::array<std::uint8_t, 256> sextet = decoding_table();

std::string describe(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x20 && byte < 0x7F) {
    return std::string("'") + c + "'";
  }
  constexpr std::string_view hex = "0123456789abcdef";
  return std::string("byte 0x") + hex[byte >> 4] + hex[byte & 0xF];
}

}  // namespace

void base64_encode(std::span<const std::uint8_t> bytes, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + (bytes.size() + 2) / 3 * 4);
  char* write = out.data() + start;
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t group = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    *write++ = alphabet[(group >> 18) & 0x3F];
    *write++ = alphabet[(group >> 12) & 0x3F];
    *write++ = alphabet[(group >> 6) & 0x3F];
    *write++ = alphabet[group & 0x3F];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    std::uint32_t group = std::uint32_t{bytes[i]} << 16;
    if (rest == 2) {
      group |= std::uint32_t{bytes[i + 1]} << 8;
    }
    *write++ = alphabet[(group >> 18) & 0x3F];
    *write++ = alphabet[(group >> 12) & 0x3F];
    *write++ = rest == 2 ? alphabet[(group >> 6) & 0x3F] : '=';
    *write++ = '=';
  }
}

std::string base64_decode(std::string_view text, std::vector<std::uint8_t>& out) {
  out.clear();
  std::size_t length = text.size();
  std::size_t padding = 0;
  while (padding < 2 && length > 0 && text[length - 1] == '=') {
    --length;
    ++padding;
  }
  if (padding > 0 && text.size() % 4 != 0) {
    return "its padding ends a group of " + std::to_string(text.size() % 4) + " characters, not 4";
  }
  out.reserve(length / 4 * 3 + 2);
  std::uint32_t group = 0;
  int bits = 0;
  for (std::size_t i = 0; i < length; ++i) {
    const std::uint8_t value = sextet[static_cast<unsigned char>(text[i])];
    if (value == invalid) {
      return describe(text[i]) + " at offset " + std::to_string(i) + " is not a base64 character";
    }
    group = (group << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((group >> bits) & 0xFF));
    }
  }
  if (length % 4 == 1) {
    out.clear();
    return "its length " + std::to_string(text.size()) + " is not one an encoder writes";
  }
  return {};
}

}  // namespace bioptimus::remote::detail
