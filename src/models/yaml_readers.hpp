// Reading typed values out of YAML nodes: text, numbers, whole numbers,
// booleans, vocabulary words, extents, lists and maps of known keys. Each
// reader checks the node's shape and tag, reports what it expected and what
// it found at the node, and returns nothing when it cannot read it.
#ifndef BIOPTIMUS_SRC_YAML_READERS_HPP
#define BIOPTIMUS_SRC_YAML_READERS_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/extraction/wsi/tile_spec.hpp"
#include "diagnostic_sink.hpp"
#include "yaml_document.hpp"

namespace bioptimus::detail {

/// The keys of a map, by name, with their values.
using KeyedNodes = std::map<std::string, YamlNode, std::less<>>;

/// The value of a key that is given, null included; nullptr when it is absent.
[[nodiscard]] inline const YamlNode* given(const KeyedNodes& keys, std::string_view key) {
  const auto found = keys.find(key);
  return found == keys.end() ? nullptr : &found->second;
}

/// The value of a key whose type includes null: null is the same as leaving
/// the key out (nullptr).
[[nodiscard]] inline const YamlNode* value_of(const KeyedNodes& keys, std::string_view key) {
  const YamlNode* value = given(keys, key);
  return value == nullptr || value->is_null() ? nullptr : value;
}

/// A document's root map and its checked keys.
struct RootMap {
  YamlNode node;
  KeyedNodes keys;
};

/// How a node is shown in a message: `null`, plain text as written, quoted
/// text in quotes, `a list of 2 items`, `a map`.
[[nodiscard]] std::string describe_node(const YamlNode& node);

class NodeReader {
 public:
  explicit NodeReader(DiagnosticSink& sink) : sink_(sink) {}

  [[nodiscard]] DiagnosticSink& sink() { return sink_; }

  /// Whether the node's tag, if it has one, agrees with what the field
  /// expects (one of `allowed`); else reports why not.
  bool tag_fits(const YamlNode& node, const std::string& field, std::string_view expected,
                std::initializer_list<NodeTag> allowed);

  /// Whether a node is read as a number rather than text: a scalar that is
  /// not quoted and not tagged !!str.
  [[nodiscard]] static bool is_unquoted_scalar(const YamlNode& node) {
    return node.is_scalar() && node.tag() != NodeTag::quoted && node.tag() != NodeTag::str;
  }

  /// The keys of a map, checked: text keys, known, not repeated.
  KeyedNodes keys_of(const YamlNode& map, const std::string& prefix, std::span<const std::string_view> known);
  /// The document's root, which must be a map (`expected` says of what),
  /// with its keys checked as keys_of() does.
  /// @throws ConfigError at once when the document is empty or its root is
  /// not a map or is tagged as something else: nothing more can be read.
  RootMap root_map(const YamlDocument& document, std::string_view expected, std::span<const std::string_view> known);
  /// The value of the required key `key` of `map` (whose keys_of() gave
  /// `keys`; `prefix` as for keys_of). A missing key is reported at the map,
  /// "required key missing: expected WHAT", and gives nullptr. A null value
  /// (`key:` with nothing, or `key: null`) is reported at the null, "expected
  /// WHAT, got null", and gives nullptr: WHAT says more than the type a
  /// reader would name.
  const YamlNode* required(const YamlNode& map, const KeyedNodes& keys, const std::string& prefix, std::string_view key,
                           std::string_view what);
  /// Whether a node is a map whose tag agrees; reports nothing.
  [[nodiscard]] static bool is_map(const YamlNode& node) {
    return node.is_map() &&
           (node.tag() == NodeTag::plain || node.tag() == NodeTag::quoted || node.tag() == NodeTag::map);
  }

  std::optional<std::string> text(const YamlNode& node, const std::string& field);
  /// A YAML 1.2 core-schema number: decimal, optionally with a fraction and
  /// an exponent, or .inf / -.inf / .nan.
  std::optional<double> number(const YamlNode& node, const std::string& field, std::string_view expected);
  std::optional<std::int64_t> integer(const YamlNode& node, const std::string& field, std::string_view expected);
  std::optional<bool> boolean(const YamlNode& node, const std::string& field);
  /// `[width, height]` or one number for both.
  std::optional<extraction::wsi::Extent> extent(const YamlNode& node, const std::string& field);
  /// A list of numbers, each reported at its element.
  std::optional<std::vector<double>> numbers(const YamlNode& node, const std::string& field);

  template <class Enum, std::size_t N>
  std::optional<Enum> word(const YamlNode& node, const std::string& field, const std::array<Enum, N>& all) {
    const auto spellings = spellings_of(all);
    const std::string expected = "one of " + join_spellings(spellings);
    if (!node.is_scalar()) {
      sink_.error(node, field, "expected " + expected + ", got " + describe_node(node));
      return std::nullopt;
    }
    if (!tag_fits(node, field, expected, {NodeTag::str})) {
      return std::nullopt;
    }
    if (const std::optional<Enum> value = parse_enum(node.scalar(), all)) {
      return value;
    }
    std::string message = "expected " + expected + ", got " + quote(node.scalar());
    if (const auto suggestion = nearest_spelling(node.scalar(), spellings)) {
      message += " (did you mean " + quote(*suggestion) + "?)";
    }
    sink_.error(node, field, message);
    return std::nullopt;
  }

 private:
  DiagnosticSink& sink_;
};

}  // namespace bioptimus::detail

#endif  // BIOPTIMUS_SRC_YAML_READERS_HPP
