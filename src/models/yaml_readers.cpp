#include "yaml_readers.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <string>
#include <system_error>
#include <utility>

namespace bioptimus::detail {
namespace {

std::string unquoted(std::string quoted) { return quoted.substr(1, quoted.size() - 2); }

std::optional<double> special_number(std::string_view text) {
  for (const std::string_view infinity : {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}) {
    if (text == infinity) {
      return std::numeric_limits<double>::infinity();
    }
  }
  for (const std::string_view infinity : {"-.inf", "-.Inf", "-.INF"}) {
    if (text == infinity) {
      return -std::numeric_limits<double>::infinity();
    }
  }
  for (const std::string_view nan : {".nan", ".NaN", ".NAN"}) {
    if (text == nan) {
      return std::numeric_limits<double>::quiet_NaN();
    }
  }
  return std::nullopt;
}

/// [-+]?[0-9]+, or with `fraction` also [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool looks_decimal(std::string_view text, bool fraction) {
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      ++i;
    }
    return i - start;
  };
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) {
    ++i;
  }
  std::size_t mantissa = digits();
  if (!fraction) {
    return mantissa > 0 && i == text.size();
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    mantissa += digits();
  }
  if (mantissa == 0) {
    return false;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) {
      ++i;
    }
    if (digits() == 0) {
      return false;
    }
  }
  return i == text.size();
}

std::string_view without_plus(const std::string& text) {
  return text.front() == '+' ? std::string_view(text).substr(1) : std::string_view(text);
}

}  // namespace

std::string describe_node(const YamlNode& node) {
  switch (node.kind()) {
    case NodeKind::null:
      return "null";
    case NodeKind::scalar:
      if (node.tag() == NodeTag::quoted || node.tag() == NodeTag::str) {
        return quote(node.scalar(), 40);  // quoted in the file: text, shown as text
      }
      return unquoted(quote(node.scalar(), 40));  // plain: shown as written
    case NodeKind::sequence:
      return "a list of " + std::to_string(node.size()) + (node.size() == 1 ? " item" : " items");
    case NodeKind::map:
      return "a map";
  }
  return "nothing";
}

bool NodeReader::tag_fits(const YamlNode& node, const std::string& field, std::string_view expected,
                          std::initializer_list<NodeTag> allowed) {
  const NodeTag tag = node.tag();
  if (tag == NodeTag::plain || tag == NodeTag::quoted ||
      std::find(allowed.begin(), allowed.end(), tag) != allowed.end()) {
    return true;
  }
  const std::string written = quote(node.tag_text(), 40);
  if (tag == NodeTag::unknown) {
    sink_.error(node, field,
                "unknown tag " + written + ": expected " + std::string(expected) +
                    " without a tag (a core tag !!str, !!int, !!float, !!bool, !!null, !!seq or !!map is accepted "
                    "where it agrees with the field)");
  } else {
    sink_.error(node, field,
                "expected " + std::string(expected) + ", got " + describe_node(node) + " tagged " + node.tag_text() +
                    " (the tag contradicts the field's type)");
  }
  return false;
}

KeyedNodes NodeReader::keys_of(const YamlNode& map, const std::string& prefix,
                               std::span<const std::string_view> known) {
  KeyedNodes found;
  std::map<std::string, TextMark, std::less<>> first_seen;
  const std::string map_field = prefix.empty() ? "(key)" : prefix;
  for (std::size_t i = 0; i < map.size(); ++i) {
    const YamlNode key = map.key(i);
    const YamlNode value = map.value(i);
    if (!key.is_scalar()) {
      sink_.error(key, map_field, "expected a text key, got " + describe_node(key));
      continue;
    }
    if (!tag_fits(key, map_field, "a text key", {NodeTag::str})) {
      continue;
    }
    const std::string& name = key.scalar();
    const std::string field = prefix.empty() ? name : prefix + "." + name;
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      if (sink_.saturated()) {
        sink_.error(key, field, "");  // only counted: no message is built
        continue;
      }
      std::string message = "unknown key " + quote(name) + "; expected one of " + join_spellings(known);
      if (const auto suggestion = nearest_spelling(name, known)) {
        message = "unknown key " + quote(name) + " (did you mean " + quote(*suggestion) + "?)";
      }
      sink_.error(key, field, message);
      continue;
    }
    if (const auto seen = first_seen.find(name); seen != first_seen.end()) {
      sink_.error(key, field,
                  "duplicate key; first given at line " + std::to_string(seen->second.line) + ", column " +
                      std::to_string(seen->second.column));
      continue;
    }
    first_seen.emplace(name, key.mark());
    found.emplace(name, value);
  }
  return found;
}

RootMap NodeReader::root_map(const YamlDocument& document, std::string_view expected,
                             std::span<const std::string_view> known) {
  if (document.empty() || !document.root().is_map()) {
    const bool empty = document.empty() || document.root().is_null();
    sink_.error(empty ? models::ConfigLocation{sink_.source(), 1, 1} : sink_.locate(document.root()), "",
                std::string("expected ").append(expected) + ", got " +
                    (empty ? std::string("an empty document") : describe_node(document.root())));
    throw models::ConfigError(sink_.take());
  }
  const YamlNode root = document.root();
  if (!tag_fits(root, "", expected, {NodeTag::map})) {
    throw models::ConfigError(sink_.take());
  }
  return {.node = root, .keys = keys_of(root, "", known)};
}

const YamlNode* NodeReader::required(const YamlNode& map, const KeyedNodes& keys, const std::string& prefix,
                                     std::string_view key, std::string_view what) {
  const YamlNode* value = given(keys, key);
  const std::string field = prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
  if (value == nullptr) {
    sink_.error(map, field, std::string("required key missing: expected ").append(what));
    return nullptr;
  }
  if (value->is_null()) {
    sink_.error(*value, field, std::string("expected ").append(what).append(", got null"));
    return nullptr;
  }
  return value;
}

std::optional<std::string> NodeReader::text(const YamlNode& node, const std::string& field) {
  if (!node.is_scalar()) {
    sink_.error(node, field, "expected text, got " + describe_node(node));
    return std::nullopt;
  }
  if (!tag_fits(node, field, "text", {NodeTag::str})) {
    return std::nullopt;
  }
  return node.scalar();
}

std::optional<double> NodeReader::number(const YamlNode& node, const std::string& field, std::string_view expected) {
  if (node.is_scalar() && !tag_fits(node, field, expected, {NodeTag::integer, NodeTag::floating})) {
    return std::nullopt;
  }
  if (!is_unquoted_scalar(node)) {
    sink_.error(node, field, std::string("expected ").append(expected) + ", got " + describe_node(node));
    return std::nullopt;
  }
  const std::string& text = node.scalar();
  if (node.tag() == NodeTag::integer && !looks_decimal(text, false)) {
    sink_.error(node, field, "expected a whole number (the value is tagged !!int), got " + describe_node(node));
    return std::nullopt;
  }
  if (const std::optional<double> special = special_number(text)) {
    return special;
  }
  if (!looks_decimal(text, true)) {
    sink_.error(node, field, std::string("expected ").append(expected) + ", got " + describe_node(node));
    return std::nullopt;
  }
  const std::string_view digits = without_plus(text);
  double value = 0.0;
  const auto [end, status] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (status == std::errc::result_out_of_range) {
    sink_.error(node, field, std::string("expected ").append(expected) + " within the range of a double, got " + text);
    return std::nullopt;
  }
  if (status != std::errc{} || end != digits.data() + digits.size()) {
    sink_.error(node, field, std::string("expected ").append(expected) + ", got " + describe_node(node));
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> NodeReader::integer(const YamlNode& node, const std::string& field,
                                                std::string_view expected) {
  if (node.is_scalar() && !tag_fits(node, field, expected, {NodeTag::integer})) {
    return std::nullopt;
  }
  if (!is_unquoted_scalar(node)) {
    sink_.error(node, field, std::string("expected ").append(expected) + ", got " + describe_node(node));
    return std::nullopt;
  }
  const std::string& text = node.scalar();
  if (!looks_decimal(text, false)) {
    const bool fractional = looks_decimal(text, true) || special_number(text).has_value();
    sink_.error(node, field,
                std::string("expected ").append(expected) + (fractional ? " (a whole number, not a fraction)" : "") +
                    ", got " + describe_node(node));
    return std::nullopt;
  }
  const std::string_view digits = without_plus(text);
  std::int64_t value = 0;
  const auto [end, status] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (status != std::errc{} || end != digits.data() + digits.size()) {
    sink_.error(node, field, std::string("expected ").append(expected) + " within 64 bits, got " + text);
    return std::nullopt;
  }
  return value;
}

std::optional<bool> NodeReader::boolean(const YamlNode& node, const std::string& field) {
  if (node.is_scalar() && !tag_fits(node, field, "true or false", {NodeTag::boolean})) {
    return std::nullopt;
  }
  if (is_unquoted_scalar(node)) {
    const std::string& text = node.scalar();
    if (text == "true" || text == "True" || text == "TRUE") {
      return true;
    }
    if (text == "false" || text == "False" || text == "FALSE") {
      return false;
    }
  }
  sink_.error(node, field, "expected true or false, got " + describe_node(node));
  return std::nullopt;
}

std::optional<extraction::wsi::Extent> NodeReader::extent(const YamlNode& node, const std::string& field) {
  constexpr std::string_view expected = "[width, height] as two numbers > 0, or one number for both";
  if (is_unquoted_scalar(node)) {
    const std::optional<double> side = number(node, field, expected);
    return side ? std::optional{extraction::wsi::Extent{*side}} : std::nullopt;
  }
  if (!node.is_sequence() || node.size() != 2) {
    sink_.error(node, field, std::string("expected ").append(expected) + ", got " + describe_node(node));
    return std::nullopt;
  }
  if (!tag_fits(node, field, expected, {NodeTag::seq})) {
    return std::nullopt;
  }
  const std::optional<double> width = number(node.item(0), field, expected);
  const std::optional<double> height = number(node.item(1), field, expected);
  if (!width || !height) {
    return std::nullopt;
  }
  return extraction::wsi::Extent{*width, *height};
}

std::optional<std::vector<double>> NodeReader::numbers(const YamlNode& node, const std::string& field) {
  if (!node.is_sequence()) {
    sink_.error(node, field, "expected a list of numbers (one per channel), got " + describe_node(node));
    return std::nullopt;
  }
  if (!tag_fits(node, field, "a list of numbers (one per channel)", {NodeTag::seq})) {
    return std::nullopt;
  }
  std::vector<double> values;
  values.reserve(node.size());
  bool ok = true;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::optional<double> value = number(node.item(i), field + "[" + std::to_string(i) + "]", "a number");
    ok = ok && value.has_value();
    values.push_back(value.value_or(0.0));
  }
  if (!ok) {
    sink_.mark_failed(field);
    return std::nullopt;
  }
  return values;
}

}  // namespace bioptimus::detail
