// The single pass over a config's text. libyaml's parser reports events
// (it is the fastest YAML parser packaged for Debian, and the one PyYAML's
// C loader uses); the builder below checks the limits as they arrive and
// records a node tree with each node's tag and position, so that nothing is
// parsed twice and an alias keeps the place where it is used.
#include "yaml_document.hpp"

#include <yaml.h>

#include <map>
#include <string>
#include <utility>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/models/registry.hpp"

namespace bioptimus::detail {
namespace {

using models::LoadLimits;

/// Stops the pass when a limit is crossed or an alias has no anchor.
struct Stop {
  TextMark mark;
  std::string message;
};

TextMark to_text_mark(const yaml_mark_t& mark) {
  return {static_cast<std::int64_t>(mark.line) + 1, static_cast<std::int64_t>(mark.column) + 1};
}

/// 1-based line and column of a byte offset.
TextMark line_and_column(std::string_view text, std::size_t offset) {
  TextMark mark{1, 1};
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++mark.line;
      mark.column = 1;
    } else {
      ++mark.column;
    }
  }
  return mark;
}

/// Where a parser problem is. At the end of the input libyaml counts a line
/// break it adds itself, so its mark can name a line past the file's last;
/// such a problem is put at the end of the last line the file has.
TextMark problem_position(std::string_view text, const yaml_mark_t& mark) {
  if (mark.index < text.size()) {
    return to_text_mark(mark);
  }
  const bool ends_with_newline = !text.empty() && text.back() == '\n';
  return line_and_column(text, ends_with_newline ? text.size() - 1 : text.size());
}

/// libyaml's parser messages, said the way a config author thinks of them.
std::string explain_parser_message(std::string_view problem, std::string_view context) {
  static const std::map<std::string, std::string, std::less<>> clearer{
      {"did not find expected key", "a map is not closed properly (check the indentation)"},
      {"did not find expected ',' or '}'", "a '{' map is not closed with '}'"},
      {"did not find expected '-' indicator", "a list is not closed properly (check the indentation)"},
      {"did not find expected ',' or ']'", "a '[' list is not closed with ']'"},
      {"mapping values are not allowed in this context",
       "a value is not allowed here (a missing space after ':', or bad indentation?)"},
      {"block sequence entries are not allowed in this context",
       "a '- ' list entry is not allowed here (check the indentation)"},
      {"found a tab character that violates indentation", "tabs are not allowed in indentation; use spaces"},
      {"found a tab character where an indentation space is expected",
       "tabs are not allowed in indentation; use spaces"},
      {"found unexpected end of stream", "a quoted text is not closed before the end of the file"},
      {"control characters are not allowed",
       "a control character is not allowed in YAML text; write it as an escape in double quotes"},
  };
  if (const auto found = clearer.find(problem); found != clearer.end()) {
    return "YAML syntax error: " + found->second;
  }
  std::string message = "YAML syntax error: " + std::string(problem);
  if (!context.empty()) {
    message += " (" + std::string(context) + ")";
  }
  return message;
}

/// The raw-text rules: size, UTF-8 without NUL, LF or CRLF line endings.
std::optional<DocumentProblem> check_raw_text(std::string_view text) {
  if (text.size() > LoadLimits::max_bytes) {
    return DocumentProblem{{},
                           "config too large: " + std::to_string(text.size()) + " bytes, at most " +
                               std::to_string(LoadLimits::max_bytes) + " are accepted"};
  }
  const std::size_t nul = text.find('\0');
  const std::optional<std::size_t> invalid = first_invalid_utf8(text.substr(0, nul));
  if (invalid) {
    return DocumentProblem{line_and_column(text, *invalid),
                           "expected UTF-8 text, found the invalid byte " + quote(text.substr(*invalid, 1))};
  }
  if (nul != std::string_view::npos) {
    return DocumentProblem{line_and_column(text, nul), "expected UTF-8 text, found a NUL byte"};
  }
  // One line-ending rule for every reader of the file, and the one the
  // writer follows: a lone CR is refused where it stands.
  for (std::size_t at = text.find('\r'); at != std::string_view::npos; at = text.find('\r', at + 1)) {
    if (at + 1 == text.size() || text[at + 1] != '\n') {
      return DocumentProblem{line_and_column(text, at),
                             "expected LF or CRLF line endings, found a carriage return alone (classic Mac OS line "
                             "endings are not supported)"};
    }
  }
  return std::nullopt;
}

NodeTag tag_of(std::string_view tag) {
  static const std::map<std::string, NodeTag, std::less<>> core{
      {"!", NodeTag::quoted},
      {"tag:yaml.org,2002:str", NodeTag::str},
      {"tag:yaml.org,2002:int", NodeTag::integer},
      {"tag:yaml.org,2002:float", NodeTag::floating},
      {"tag:yaml.org,2002:bool", NodeTag::boolean},
      {"tag:yaml.org,2002:null", NodeTag::null},
      {"tag:yaml.org,2002:seq", NodeTag::seq},
      {"tag:yaml.org,2002:map", NodeTag::map},
  };
  const auto found = core.find(tag);
  return found == core.end() ? NodeTag::unknown : found->second;
}

std::string shorthand(std::string_view tag) {
  constexpr std::string_view core_prefix = "tag:yaml.org,2002:";
  if (tag.substr(0, core_prefix.size()) == core_prefix) {
    return "!!" + std::string(tag.substr(core_prefix.size()));
  }
  return std::string(tag);
}

bool is_null_text(std::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

std::string_view view(const yaml_char_t* text) {
  return text == nullptr ? std::string_view{} : std::string_view(reinterpret_cast<const char*>(text));
}

/// Owns a libyaml parser reading a string in place.
class Parser {
 public:
  explicit Parser(std::string_view text) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_encoding(&parser_, YAML_UTF8_ENCODING);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;
  ~Parser() { yaml_parser_delete(&parser_); }

  [[nodiscard]] yaml_parser_t& get() noexcept { return parser_; }

 private:
  yaml_parser_t parser_{};
};

/// Owns one event.
class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event() { yaml_event_delete(&event_); }

  [[nodiscard]] yaml_event_t& get() noexcept { return event_; }

 private:
  yaml_event_t event_{};
};

}  // namespace

/// Builds the tree of the first document while checking the limits on every
/// document's events (later documents are only checked: they are an error).
class DocumentBuilder {
 public:
  explicit DocumentBuilder(YamlDocument& document) : document_(document) {}

  [[nodiscard]] int documents() const noexcept { return documents_; }

  void document_start() { ++documents_; }
  void document_end() {
    if (documents_ == 1) {
      place_empty_values();
    }
  }

  void alias(const yaml_event_t& event) {
    const TextMark mark = to_text_mark(event.start_mark);
    if (++aliases_ > LoadLimits::max_aliases) {
      throw Stop{
          mark, "too many aliases: at most " + std::to_string(LoadLimits::max_aliases) + " are accepted in one config"};
    }
    const auto anchor = anchors_.find(view(event.data.alias.anchor));
    if (anchor == anchors_.end()) {
      throw Stop{mark, "YAML syntax error: an alias refers to an anchor that is not defined before it"};
    }
    if (building()) {
      YamlDocument::Entry entry;
      entry.mark = mark;
      entry.alias_of = anchor->second;
      add(std::move(entry), {});
    }
  }

  void scalar(const yaml_event_t& event) {
    const auto& data = event.data.scalar;
    const std::string_view value(reinterpret_cast<const char*>(data.value), data.length);
    const std::string_view tag = view(data.tag);
    YamlDocument::Entry entry;
    entry.mark = to_text_mark(event.start_mark);
    if (tag.empty()) {
      const bool plain = data.style == YAML_PLAIN_SCALAR_STYLE;
      entry.tag = plain ? NodeTag::plain : NodeTag::quoted;
      entry.kind = plain && is_null_text(value) ? NodeKind::null : NodeKind::scalar;
      // An empty value has no text of its own.
      entry.empty_value = entry.kind == NodeKind::null && event.start_mark.index == event.end_mark.index;
    } else {
      set_tag(entry, tag);
      // `!!null ~` is a null; `!!null cc` stays a scalar that no field accepts.
      entry.kind = entry.tag == NodeTag::null && is_null_text(value) ? NodeKind::null : NodeKind::scalar;
    }
    if (entry.kind == NodeKind::scalar) {
      entry.text = value;
    }
    if (building()) {
      add(std::move(entry), view(data.anchor));
    } else {
      remember_anchor(view(data.anchor), 0);
    }
  }

  void open(const yaml_event_t& event, NodeKind kind) {
    const TextMark mark = to_text_mark(event.start_mark);
    if (++depth_ > LoadLimits::max_depth) {
      throw Stop{mark, "nesting too deep: at most " + std::to_string(LoadLimits::max_depth) +
                           " levels of maps and sequences are accepted"};
    }
    const bool map = kind == NodeKind::map;
    const std::string_view tag = view(map ? event.data.mapping_start.tag : event.data.sequence_start.tag);
    const std::string_view anchor = view(map ? event.data.mapping_start.anchor : event.data.sequence_start.anchor);
    if (building()) {
      YamlDocument::Entry entry;
      entry.kind = kind;
      entry.mark = mark;
      if (!tag.empty()) {
        set_tag(entry, tag);
      }
      const std::uint32_t index = add(std::move(entry), anchor);
      open_.push_back({index, pending_children_.size()});
    } else {
      remember_anchor(anchor, 0);
    }
  }

  void close() {
    --depth_;
    if (building() && !open_.empty()) {
      const Open container = open_.back();
      open_.pop_back();
      YamlDocument::Entry& entry = document_.entries_[container.entry];
      entry.first_child = static_cast<std::uint32_t>(document_.children_.size());
      entry.child_count = static_cast<std::uint32_t>(pending_children_.size() - container.first_pending);
      document_.children_.insert(document_.children_.end(),
                                 pending_children_.begin() + static_cast<std::ptrdiff_t>(container.first_pending),
                                 pending_children_.end());
      pending_children_.resize(container.first_pending);
    }
  }

 private:
  struct Open {
    std::uint32_t entry;
    std::size_t first_pending;
  };

  [[nodiscard]] bool building() const noexcept { return documents_ == 1; }

  static void set_tag(YamlDocument::Entry& entry, std::string_view tag) {
    entry.tag = tag_of(tag);
    if (entry.tag != NodeTag::quoted) {
      entry.tag_text = shorthand(tag);
    }
  }

  void remember_anchor(std::string_view anchor, std::uint32_t index) {
    if (!anchor.empty()) {
      anchors_.insert_or_assign(std::string(anchor), index);
    }
  }

  std::uint32_t add(YamlDocument::Entry entry, std::string_view anchor) {
    const auto index = static_cast<std::uint32_t>(document_.entries_.size());
    document_.entries_.push_back(std::move(entry));
    remember_anchor(anchor, index);
    if (!open_.empty()) {
      pending_children_.push_back(index);
    }
    return index;
  }

  /// An empty value has no text to point at: it is placed at its key in a
  /// map, and at the item before it (or the list) in a sequence.
  void place_empty_values() {
    for (YamlDocument::Entry& parent : document_.entries_) {
      if (parent.alias_of != YamlDocument::no_alias ||
          (parent.kind != NodeKind::map && parent.kind != NodeKind::sequence)) {
        continue;
      }
      for (std::uint32_t i = 0; i < parent.child_count; ++i) {
        YamlDocument::Entry& child = document_.entries_[document_.children_[parent.first_child + i]];
        if (child.kind != NodeKind::null || !child.empty_value || child.alias_of != YamlDocument::no_alias) {
          continue;
        }
        // A map's value follows its key, so "the node before" is its key.
        if (i == 0) {
          child.mark = parent.mark;
        } else {
          child.mark = document_.entries_[document_.children_[parent.first_child + i - 1]].mark;
        }
      }
    }
  }

  YamlDocument& document_;
  int documents_ = 0;
  std::size_t depth_ = 0;
  std::size_t aliases_ = 0;
  std::map<std::string, std::uint32_t, std::less<>> anchors_;
  std::vector<Open> open_;
  std::vector<std::uint32_t> pending_children_;
};

YamlDocument YamlDocument::read(std::string_view text, std::string_view one_per_file,
                                std::optional<DocumentProblem>& problem) {
  YamlDocument document;
  problem = check_raw_text(text);
  if (problem) {
    return document;
  }
  Parser parser(text);
  DocumentBuilder builder(document);
  try {
    for (bool done = false; !done;) {
      Event event;
      if (yaml_parser_parse(&parser.get(), &event.get()) == 0) {
        const yaml_parser_t& failed = parser.get();
        const TextMark mark = failed.error == YAML_READER_ERROR ? line_and_column(text, failed.problem_offset)
                                                                : problem_position(text, failed.problem_mark);
        problem =
            DocumentProblem{mark, explain_parser_message(view(reinterpret_cast<const yaml_char_t*>(failed.problem)),
                                                         view(reinterpret_cast<const yaml_char_t*>(failed.context)))};
        break;
      }
      const yaml_event_t& current = event.get();
      switch (current.type) {
        case YAML_DOCUMENT_START_EVENT:
          builder.document_start();
          if (builder.documents() == 2) {
            problem =
                DocumentProblem{to_text_mark(current.start_mark),
                                "expected one YAML document (" + std::string(one_per_file) + "), found a second one"};
          }
          break;
        case YAML_DOCUMENT_END_EVENT:
          builder.document_end();
          // A second document is reported once it is read, so that a syntax
          // error inside it is what is reported.
          done = builder.documents() > 1;
          break;
        case YAML_ALIAS_EVENT:
          builder.alias(current);
          break;
        case YAML_SCALAR_EVENT:
          builder.scalar(current);
          break;
        case YAML_SEQUENCE_START_EVENT:
          builder.open(current, NodeKind::sequence);
          break;
        case YAML_MAPPING_START_EVENT:
          builder.open(current, NodeKind::map);
          break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
          builder.close();
          break;
        case YAML_STREAM_END_EVENT:
          done = true;
          break;
        case YAML_STREAM_START_EVENT:
        case YAML_NO_EVENT:
          break;
      }
    }
  } catch (const Stop& stop) {
    problem = DocumentProblem{stop.mark, stop.message};
  }
  if (problem) {
    document = YamlDocument{};
  }
  return document;
}

YamlNode YamlDocument::node(std::uint32_t index) const noexcept {
  const Entry& found = entries_[index];
  if (found.alias_of != no_alias) {
    return YamlNode(this, found.alias_of, found.mark, entries_[found.alias_of].mark);
  }
  return YamlNode(this, index, found.mark, std::nullopt);
}

NodeKind YamlNode::kind() const noexcept { return document_->entry(*this).kind; }
const std::string& YamlNode::scalar() const noexcept { return document_->entry(*this).text; }
NodeTag YamlNode::tag() const noexcept { return document_->entry(*this).tag; }
std::string YamlNode::tag_text() const { return document_->entry(*this).tag_text; }

std::size_t YamlNode::size() const noexcept {
  const auto& found = document_->entry(*this);
  if (found.kind == NodeKind::map) {
    return found.child_count / 2;
  }
  return found.kind == NodeKind::sequence ? found.child_count : 0;
}

YamlNode YamlNode::item(std::size_t index) const noexcept { return document_->child(document_->entry(*this), index); }
YamlNode YamlNode::key(std::size_t index) const noexcept {
  return document_->child(document_->entry(*this), 2 * index);
}
YamlNode YamlNode::value(std::size_t index) const noexcept {
  return document_->child(document_->entry(*this), 2 * index + 1);
}

}  // namespace bioptimus::detail
