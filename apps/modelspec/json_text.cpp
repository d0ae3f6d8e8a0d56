#include "json_text.hpp"

#include <cstdint>
#include <string>

#include "bioptimus/detail/text.hpp"

namespace bioptimus::apps {
namespace {

void append_escape(std::string& out, std::uint32_t unit) {
  constexpr std::string_view hex = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) {
    out += hex[(unit >> static_cast<unsigned>(shift)) & 0xFU];
  }
}

void append_value(std::string& out, const nlohmann::ordered_json& value, int indent, int depth) {
  const auto new_line = [&](int level) {
    if (indent >= 0) {
      out += '\n';
      out.append(static_cast<std::size_t>(indent * level), ' ');
    }
  };
  if (value.is_string()) {
    out += json_string(value.get_ref<const std::string&>());
  } else if (value.is_object()) {
    if (value.empty()) {
      out += "{}";
      return;
    }
    out += '{';
    bool first = true;
    for (const auto& [key, member] : value.items()) {
      out += first ? "" : ",";
      first = false;
      new_line(depth + 1);
      out += json_string(key);
      out += indent >= 0 ? ": " : ":";
      append_value(out, member, indent, depth + 1);
    }
    new_line(depth);
    out += '}';
  } else if (value.is_array()) {
    if (value.empty()) {
      out += "[]";
      return;
    }
    out += '[';
    bool first = true;
    for (const nlohmann::ordered_json& element : value) {
      out += first ? "" : ",";
      first = false;
      new_line(depth + 1);
      append_value(out, element, indent, depth + 1);
    }
    new_line(depth);
    out += ']';
  } else {
    out += value.dump();  // numbers, booleans, null: nlohmann's own text
  }
}

}  // namespace

std::string json_string(std::string_view text) {
  std::string out = "\"";
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '"' || byte == '\\') {
      out += '\\';
      out += static_cast<char>(byte);
      ++i;
    } else if (byte >= 0x20 && byte < 0x7f) {
      out += static_cast<char>(byte);
      ++i;
    } else if (byte < 0x80) {
      switch (byte) {
        case '\n':
          out += "\\n";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\r':
          out += "\\r";
          break;
        default:
          append_escape(out, byte);
      }
      ++i;
    } else {
      const std::size_t length = (byte & 0xE0U) == 0xC0U   ? 2
                                 : (byte & 0xF0U) == 0xE0U ? 3
                                 : (byte & 0xF8U) == 0xF0U ? 4
                                                           : 1;
      if (length == 1 || i + length > text.size() || detail::first_invalid_utf8(text.substr(i, length))) {
        append_escape(out, 0xDC00U + byte);  // not UTF-8: PEP 383's surrogate for the byte
        ++i;
        continue;
      }
      std::uint32_t code_point = byte & (0xFFU >> (length + 1));
      for (std::size_t k = 1; k < length; ++k) {
        code_point = (code_point << 6U) | (static_cast<unsigned char>(text[i + k]) & 0x3FU);
      }
      if (code_point >= 0x10000) {  // a surrogate pair, as JSON spells characters past the BMP
        code_point -= 0x10000;
        append_escape(out, 0xD800U + (code_point >> 10U));
        append_escape(out, 0xDC00U + (code_point & 0x3FFU));
      } else {
        append_escape(out, code_point);
      }
      i += length;
    }
  }
  return out + "\"";
}

std::string json_text(const nlohmann::ordered_json& value, int indent) {
  std::string out;
  append_value(out, value, indent, 0);
  return out;
}

}  // namespace bioptimus::apps
