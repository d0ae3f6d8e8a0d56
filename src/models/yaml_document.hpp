// One YAML document read in a single pass over libyaml's event stream: the
// raw-text checks (size, UTF-8, line endings), the nesting and alias limits,
// and a small node tree that keeps every node's tag and the place it is used.
#ifndef BIOPTIMUS_SRC_YAML_DOCUMENT_HPP
#define BIOPTIMUS_SRC_YAML_DOCUMENT_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bioptimus::detail {

/// A 1-based line and column in the text (both 0 when unknown).
struct TextMark {
  std::int64_t line = 0;
  std::int64_t column = 0;
};

enum class NodeKind : std::uint8_t { null, scalar, sequence, map };

/// The tags of the YAML 1.2 core schema, and what a node without one is.
enum class NodeTag : std::uint8_t {
  plain,   ///< no tag, a plain scalar or a container
  quoted,  ///< no tag, a quoted scalar (or the non-specific `!`)
  str,
  integer,
  floating,
  boolean,
  null,
  seq,
  map,
  unknown,  ///< any other tag (`!foo`, `!!binary`)
};

class YamlDocument;

/// One node of a YamlDocument as reached at one place. Through an alias it is
/// the anchored node, located at the alias.
class YamlNode {
 public:
  [[nodiscard]] NodeKind kind() const noexcept;
  [[nodiscard]] bool is_null() const noexcept { return kind() == NodeKind::null; }
  [[nodiscard]] bool is_scalar() const noexcept { return kind() == NodeKind::scalar; }
  [[nodiscard]] bool is_sequence() const noexcept { return kind() == NodeKind::sequence; }
  [[nodiscard]] bool is_map() const noexcept { return kind() == NodeKind::map; }

  /// The text of a scalar, empty for other nodes.
  [[nodiscard]] const std::string& scalar() const noexcept;
  [[nodiscard]] NodeTag tag() const noexcept;
  /// The tag as written in YAML's shorthand (`!!str`, `!foo`); empty without one.
  [[nodiscard]] std::string tag_text() const;

  /// Items of a sequence, pairs of a map, 0 otherwise.
  [[nodiscard]] std::size_t size() const noexcept;
  /// Item `index` of a sequence.
  [[nodiscard]] YamlNode item(std::size_t index) const noexcept;
  /// Key and value of pair `index` of a map.
  [[nodiscard]] YamlNode key(std::size_t index) const noexcept;
  [[nodiscard]] YamlNode value(std::size_t index) const noexcept;

  /// Where the node is used (an empty value: at its key).
  [[nodiscard]] TextMark mark() const noexcept { return mark_; }
  /// Where the anchor stands, when the node is reached through an alias.
  [[nodiscard]] std::optional<TextMark> anchor() const noexcept { return anchor_; }

 private:
  friend class YamlDocument;
  YamlNode(const YamlDocument* document, std::uint32_t index, TextMark mark, std::optional<TextMark> anchor) noexcept
      : document_(document), index_(index), mark_(mark), anchor_(anchor) {}

  const YamlDocument* document_;
  std::uint32_t index_;
  TextMark mark_;
  std::optional<TextMark> anchor_;
};

/// A problem found while reading the text: where, and what.
struct DocumentProblem {
  TextMark mark;
  std::string message;
};

/// The node tree of a config's single document. Immutable once read.
class YamlDocument {
 public:
  /// Reads `text`: the size, encoding, line-ending, nesting and alias limits,
  /// YAML syntax and the one-document rule. Returns the problem instead when
  /// any is broken (a whole-file one has a TextMark of 0:0). `one_per_file`
  /// says what a file holds in the second-document message ("one model per
  /// file").
  static YamlDocument read(std::string_view text, std::string_view one_per_file,
                           std::optional<DocumentProblem>& problem);

  /// Whether the text held no document at all (empty, or only comments).
  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
  /// The document's root node. Requires !empty().
  [[nodiscard]] YamlNode root() const noexcept { return node(0); }

 private:
  friend class YamlNode;
  friend class DocumentBuilder;

  static constexpr std::uint32_t no_alias = 0xFFFFFFFFU;

  struct Entry {
    NodeKind kind = NodeKind::null;
    NodeTag tag = NodeTag::plain;
    bool empty_value = false;  // a null with no text of its own
    std::uint32_t first_child = 0;
    std::uint32_t child_count = 0;  // items, or keys and values alternating
    std::uint32_t alias_of = no_alias;
    TextMark mark;
    std::string text;
    std::string tag_text;  // only for an explicit tag
  };

  [[nodiscard]] YamlNode node(std::uint32_t index) const noexcept;
  [[nodiscard]] YamlNode child(const Entry& parent, std::size_t index) const noexcept {
    return node(children_[parent.first_child + index]);
  }
  [[nodiscard]] const Entry& entry(const YamlNode& node) const noexcept { return entries_[node.index_]; }

  std::vector<Entry> entries_;
  std::vector<std::uint32_t> children_;
};

}  // namespace bioptimus::detail

#endif  // BIOPTIMUS_SRC_YAML_DOCUMENT_HPP
