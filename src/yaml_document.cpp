// The single pass over a config's text. yaml-cpp's parser reports events;
// the builder below checks the limits as they arrive and records a node tree
// with each node's tag and position, so that nothing is parsed twice and an
// alias keeps the place where it is used (yaml-cpp's own node tree shares
// the anchored node, position included).
#include "yaml_document.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <array>
#include <map>
#include <sstream>
#include <string>
#include <utility>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/models/registry.hpp"

namespace bioptimus::detail {
namespace {

using models::LoadLimits;

/// Stops the pass when a limit is crossed.
struct LimitExceeded {
  YAML::Mark mark;
  std::string message;
};

TextMark to_text_mark(const YAML::Mark& mark) {
  if (mark.is_null()) {
    return {};
  }
  return {mark.line + 1, mark.column + 1};
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

/// yaml-cpp's parser messages, said the way a config author thinks of them.
std::string explain_parser_message(const std::string& message) {
  static const std::map<std::string, std::string, std::less<>> clearer{
      {YAML::ErrorMsg::END_OF_MAP, "a map is not closed properly (check the indentation)"},
      {YAML::ErrorMsg::END_OF_MAP_FLOW, "a '{' map is not closed with '}'"},
      {YAML::ErrorMsg::END_OF_SEQ, "a list is not closed properly (check the indentation)"},
      {YAML::ErrorMsg::END_OF_SEQ_FLOW, "a '[' list is not closed with ']'"},
      {YAML::ErrorMsg::MAP_VALUE, "a value is not allowed here (a missing space after ':', or bad indentation?)"},
      {YAML::ErrorMsg::MAP_KEY, "a key is not allowed here (check the indentation)"},
      {YAML::ErrorMsg::BLOCK_ENTRY, "a '- ' list entry is not allowed here (check the indentation)"},
      {YAML::ErrorMsg::UNKNOWN_ANCHOR, "an alias refers to an anchor that is not defined before it"},
      {YAML::ErrorMsg::EOF_IN_SCALAR, "a quoted text is not closed before the end of the file"},
      {YAML::ErrorMsg::TAB_IN_INDENTATION, "tabs are not allowed in indentation; use spaces"},
      {YAML::ErrorMsg::BAD_FILE, "the input could not be read"},
  };
  if (const auto found = clearer.find(message); found != clearer.end()) {
    return "YAML syntax error: " + found->second;
  }
  return "YAML syntax error: " + message;
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
  // yaml-cpp reads a lone CR as part of the line, which would give a
  // baffling syntax error far from the cause.
  for (std::size_t at = text.find('\r'); at != std::string_view::npos; at = text.find('\r', at + 1)) {
    if (at + 1 == text.size() || text[at + 1] != '\n') {
      return DocumentProblem{line_and_column(text, at),
                             "expected LF or CRLF line endings, found a carriage return alone (classic Mac OS line "
                             "endings are not supported)"};
    }
  }
  return std::nullopt;
}

NodeTag tag_of(const std::string& tag) {
  static const std::map<std::string, NodeTag, std::less<>> core{
      {"?", NodeTag::plain},
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

std::string shorthand(const std::string& tag) {
  constexpr std::string_view core_prefix = "tag:yaml.org,2002:";
  if (tag.rfind(core_prefix, 0) == 0) {
    return "!!" + tag.substr(core_prefix.size());
  }
  return tag;
}

/// Whether `text` at `offset` spells a null (`~`, `null`, `Null`, `NULL`)
/// rather than being the next token after an empty value.
bool spells_null_at(std::string_view text, std::size_t offset) {
  const std::string_view rest = offset < text.size() ? text.substr(offset) : std::string_view{};
  for (const std::string_view spelling : {"~", "null", "Null", "NULL"}) {
    if (rest.substr(0, spelling.size()) == spelling) {
      const std::string_view after = rest.substr(spelling.size());
      if (after.empty() || std::string_view(" \t\r\n,]}#").find(after.front()) != std::string_view::npos) {
        return true;
      }
    }
  }
  return false;
}

bool is_null_text(const std::string& text) { return text.empty() || spells_null_at(text, 0); }

}  // namespace

/// Builds the tree of the first document while checking the limits on every
/// document's events (later documents are only counted: they are an error).
class DocumentBuilder : public YAML::EventHandler {
 public:
  DocumentBuilder(YamlDocument& document, std::string_view text) : document_(document), text_(text) {}

  [[nodiscard]] int documents() const noexcept { return documents_; }
  [[nodiscard]] const YAML::Mark& second_document() const noexcept { return second_document_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ == 2) {
      second_document_ = mark;
    }
  }
  void OnDocumentEnd() override {
    if (documents_ == 1) {
      place_empty_values();
    }
  }
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (building()) {
      YamlDocument::Entry entry;
      entry.mark = to_text_mark(mark);
      entry.empty_value = !spells_null_at(text_, static_cast<std::size_t>(mark.pos));
      const std::uint32_t index = add(std::move(entry), mark, anchor);
      pending_null_ = index;
      pending_null_offset_ = mark.pos;
    }
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (++aliases_ > LoadLimits::max_aliases) {
      throw LimitExceeded{
          mark, "too many aliases: at most " + std::to_string(LoadLimits::max_aliases) + " are accepted in one config"};
    }
    if (building()) {
      YamlDocument::Entry entry;
      entry.mark = to_text_mark(mark);
      entry.alias_of = anchor < anchors_.size() ? anchors_[anchor] : 0;
      add(std::move(entry), mark, 0);
    }
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    if (building()) {
      YamlDocument::Entry entry;
      entry.mark = to_text_mark(mark);
      set_tag(entry, tag);
      // `!!null ~` is a null; `!!null cc` stays a scalar that no field accepts.
      entry.kind = entry.tag == NodeTag::null && is_null_text(value) ? NodeKind::null : NodeKind::scalar;
      entry.text = value;
      add(std::move(entry), mark, anchor);
    }
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, tag, anchor, NodeKind::sequence);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, tag, anchor, NodeKind::map);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Open {
    std::uint32_t entry;
    std::size_t first_pending;
  };

  [[nodiscard]] bool building() const noexcept { return documents_ == 1; }

  static void set_tag(YamlDocument::Entry& entry, const std::string& tag) {
    entry.tag = tag_of(tag);
    if (entry.tag != NodeTag::plain && entry.tag != NodeTag::quoted) {
      entry.tag_text = shorthand(tag);
    }
  }

  std::uint32_t add(YamlDocument::Entry entry, const YAML::Mark& mark, YAML::anchor_t anchor) {
    // An empty value shares its position with the token after it.
    if (pending_null_ && mark.pos == pending_null_offset_) {
      document_.entries_[*pending_null_].empty_value = true;
    }
    pending_null_.reset();
    const auto index = static_cast<std::uint32_t>(document_.entries_.size());
    document_.entries_.push_back(std::move(entry));
    if (anchor != 0) {
      if (anchors_.size() <= anchor) {
        anchors_.resize(anchor + 1, 0);
      }
      anchors_[anchor] = index;
    }
    if (!open_.empty()) {
      pending_children_.push_back(index);
    }
    return index;
  }

  void open(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor, NodeKind kind) {
    if (++depth_ > LoadLimits::max_depth) {
      throw LimitExceeded{mark, "nesting too deep: at most " + std::to_string(LoadLimits::max_depth) +
                                    " levels of maps and sequences are accepted"};
    }
    if (building()) {
      YamlDocument::Entry entry;
      entry.kind = kind;
      entry.mark = to_text_mark(mark);
      set_tag(entry, tag);
      const std::uint32_t index = add(std::move(entry), mark, anchor);
      open_.push_back({index, pending_children_.size()});
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

  /// An empty value has no position of its own (yaml-cpp gives the next
  /// token's, possibly lines later or past the end): it is placed at its key
  /// in a map, and at the item before it (or the list) in a sequence.
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
  std::string_view text_;
  int documents_ = 0;
  YAML::Mark second_document_;
  std::size_t depth_ = 0;
  std::size_t aliases_ = 0;
  std::vector<std::uint32_t> anchors_;
  std::vector<Open> open_;
  std::vector<std::uint32_t> pending_children_;
  std::optional<std::uint32_t> pending_null_;
  int pending_null_offset_ = 0;
};

YamlDocument YamlDocument::read(std::string_view text, std::optional<DocumentProblem>& problem) {
  YamlDocument document;
  problem = check_raw_text(text);
  if (problem) {
    return document;
  }
  try {
    std::istringstream stream{std::string(text)};
    YAML::Parser parser(stream);
    DocumentBuilder builder(document, text);
    while (parser.HandleNextDocument(builder)) {
      if (builder.documents() > 1) {
        problem = DocumentProblem{to_text_mark(builder.second_document()),
                                  "expected one YAML document (one model per file), found a second one"};
        break;
      }
    }
  } catch (const LimitExceeded& exceeded) {
    problem = DocumentProblem{to_text_mark(exceeded.mark), exceeded.message};
  } catch (const YAML::Exception& exception) {
    problem = DocumentProblem{to_text_mark(exception.mark), explain_parser_message(exception.msg)};
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
