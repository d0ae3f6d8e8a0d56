// YAML text -> ModelSpec. The only place besides yaml_writer.cpp that sees
// yaml-cpp. Shape and type checks happen here; the value rules live in the
// value types, whose ValidationErrors are mapped back to the YAML node each
// violation names, so that every rule exists exactly once.
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "bioptimus/extraction/wsi/tile_spec.hpp"
#include "bioptimus/io/wsi/types.hpp"
#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/models/registry.hpp"
#include "bioptimus/models/vocabulary.hpp"
#include "loader.hpp"

namespace bioptimus::models {
namespace {

using io::wsi::Level;
using io::wsi::Magnification;
using io::wsi::MeasurementUnit;
using io::wsi::MPP;
using io::wsi::Resolution;

constexpr std::array<std::string_view, 19> model_keys{
    "model_name",   "version",    "weights_source",    "license",       "tile_spec",   "num_channels",
    "mean",         "std",        "interpolation",     "antialias",     "color_space", "stain_normalization",
    "architecture", "patch_size", "num_prefix_tokens", "embedding_dim", "output_type", "output_spatial_dims",
    "precision"};
constexpr std::array<std::string_view, 4> tile_keys{"size", "stride", "resolution", "unit"};
constexpr std::array<std::string_view, 3> resolution_keys{"mpp", "magnification", "level"};

/// Stops the pre-pass when a limit is crossed.
struct LimitExceeded {
  YAML::Mark mark;
  std::string message;
};

/// First pass over the event stream: enforces nesting depth and alias count
/// before yaml-cpp builds a node tree, and notes where documents start.
class LimitChecker : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> document_starts;

  void OnDocumentStart(const YAML::Mark& mark) override { document_starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    if (++aliases_ > LoadLimits::max_aliases) {
      throw LimitExceeded{
          mark, "too many aliases: at most " + std::to_string(LoadLimits::max_aliases) + " are accepted in one config"};
    }
  }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    enter(mark);
  }
  void OnSequenceEnd() override { --depth_; }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    enter(mark);
  }
  void OnMapEnd() override { --depth_; }

 private:
  void enter(const YAML::Mark& mark) {
    if (++depth_ > LoadLimits::max_depth) {
      throw LimitExceeded{mark, "nesting too deep: at most " + std::to_string(LoadLimits::max_depth) +
                                    " levels of maps and sequences are accepted"};
    }
  }

  std::size_t depth_ = 0;
  std::size_t aliases_ = 0;
};

/// The byte offset of the first byte that is not well-formed UTF-8 (or is a
/// NUL), if any.
std::optional<std::size_t> first_bad_utf8_byte(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == 0) {
      return i;
    }
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

/// 1-based line and column of a byte offset.
std::pair<std::int64_t, std::int64_t> line_and_column(std::string_view text, std::size_t offset) {
  std::int64_t line = 1;
  std::int64_t column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
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

enum class Scalar { null, quoted, plain };

std::string unquoted(std::string quoted) { return quoted.substr(1, quoted.size() - 2); }

std::string describe_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Scalar:
      if (node.Tag() == "!") {
        return detail::quote(node.Scalar(), 40);  // quoted in the file: text, shown as text
      }
      return unquoted(detail::quote(node.Scalar(), 40));  // plain: shown as written
    case YAML::NodeType::Sequence:
      return "a list of " + std::to_string(node.size()) + (node.size() == 1 ? " item" : " items");
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

class Decoder {
 public:
  explicit Decoder(std::string source) : source_(std::move(source)) {}

  [[nodiscard]] ConfigLocation locate(const YAML::Node& node) const {
    const YAML::Mark mark = node.Mark();
    return locate(mark);
  }
  [[nodiscard]] ConfigLocation locate(const YAML::Mark& mark) const {
    if (mark.is_null()) {
      return {source_, 0, 0};
    }
    return {source_, mark.line + 1, mark.column + 1};
  }

  void error(const ConfigLocation& where, std::string field, std::string message) {
    mark_failed(field);
    // Past a few times the cap, problems are only counted: a hostile file of
    // a hundred thousand bad keys costs no more memory than a bad file.
    if (saturated()) {
      ++uncollected_;
      return;
    }
    diagnostics_.push_back({where, std::move(field), std::move(message)});
  }
  void error(const YAML::Node& node, std::string field, std::string message) {
    error(locate(node), std::move(field), std::move(message));
  }

  void mark_failed(const std::string& field) { failed_.insert(root_of(field)); }
  [[nodiscard]] bool failed(const std::string& field) const { return failed_.contains(field); }

  /// Whether a violation should be left out: its field, or a field its rule
  /// compared against, could not be read (a stand-in value took its place).
  [[nodiscard]] bool suppressed(const Violation& violation) const {
    return failed_.contains(root_of(violation.field)) ||
           std::any_of(violation.related.begin(), violation.related.end(),
                       [&](const std::string& related) { return failed_.contains(related); });
  }

  /// Whether more diagnostics would only be counted (see error()).
  [[nodiscard]] bool saturated() const { return diagnostics_.size() >= 4 * LoadLimits::max_diagnostics; }

  [[nodiscard]] bool ok() const { return diagnostics_.empty(); }

  /// The diagnostics in file order, at most LoadLimits::max_diagnostics of
  /// them plus one that counts the rest.
  [[nodiscard]] std::vector<Diagnostic> take() {
    std::vector<Diagnostic> out = std::move(diagnostics_);
    impl::sort_in_file_order(out);
    if (out.size() + uncollected_ > LoadLimits::max_diagnostics) {
      const std::size_t omitted = out.size() + uncollected_ - LoadLimits::max_diagnostics;
      out.resize(LoadLimits::max_diagnostics);
      const ConfigLocation last = out.back().location;
      out.push_back({last, "",
                     std::to_string(omitted) + " more problems after this one are not shown (at most " +
                         std::to_string(LoadLimits::max_diagnostics) + " are reported per config)"});
    }
    return out;
  }
  [[nodiscard]] const std::string& source() const { return source_; }

  // ---- Shapes --------------------------------------------------------------

  /// The keys of a map, checked: text keys, known, not repeated.
  std::map<std::string, YAML::Node, std::less<>> keys_of(const YAML::Node& map, const std::string& prefix,
                                                         std::span<const std::string_view> known) {
    std::map<std::string, YAML::Node, std::less<>> found;
    std::map<std::string, YAML::Mark, std::less<>> first_seen;
    for (auto entry = map.begin(); entry != map.end(); ++entry) {
      // By value: a yaml-cpp iterator's operator-> returns a proxy holding a
      // temporary pair, so a reference to entry->first would dangle.
      const YAML::Node key = entry->first;
      const YAML::Node value = entry->second;
      if (!key.IsScalar()) {
        error(key, prefix.empty() ? "(key)" : prefix, "expected a text key, got " + describe_node(key));
        continue;
      }
      const std::string& name = key.Scalar();
      const std::string field = prefix.empty() ? name : prefix + "." + name;
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        if (saturated()) {
          error(key, field, "");  // only counted: no message is built
          continue;
        }
        std::string message =
            "unknown key " + detail::quote(name) + "; expected one of " + detail::join_spellings(known);
        if (const auto suggestion = detail::nearest_spelling(name, known)) {
          message = "unknown key " + detail::quote(name) + " (did you mean " + detail::quote(*suggestion) + "?)";
        }
        error(key, field, message);
        continue;
      }
      if (const auto seen = first_seen.find(name); seen != first_seen.end()) {
        error(key, field,
              "duplicate key; first given at line " + std::to_string(seen->second.line + 1) + ", column " +
                  std::to_string(seen->second.column + 1));
        continue;
      }
      first_seen.emplace(name, key.Mark());
      found.emplace(name, value);
    }
    return found;
  }

  static Scalar scalar_kind(const YAML::Node& node) {
    if (node.IsNull()) {
      return Scalar::null;
    }
    return node.Tag() == "!" ? Scalar::quoted : Scalar::plain;
  }

  static bool is_null(const YAML::Node& node) { return node.IsNull(); }

  // ---- Scalars ---------------------------------------------------------------

  std::optional<std::string> text(const YAML::Node& node, const std::string& field) {
    if (!node.IsScalar()) {
      error(node, field, "expected text, got " + describe_node(node));
      return std::nullopt;
    }
    return node.Scalar();
  }

  /// A YAML 1.2 core-schema number: decimal, optionally with a fraction and
  /// an exponent, or .inf / -.inf / .nan.
  std::optional<double> number(const YAML::Node& node, const std::string& field, std::string_view expected) {
    if (!node.IsScalar() || scalar_kind(node) != Scalar::plain) {
      error(node, field, std::string("expected ").append(expected) + ", got " + describe_node(node));
      return std::nullopt;
    }
    const std::string& text = node.Scalar();
    if (const std::optional<double> special = special_number(text)) {
      return special;
    }
    if (!looks_decimal(text, true)) {
      error(node, field, std::string("expected ").append(expected) + ", got " + describe_node(node));
      return std::nullopt;
    }
    const std::string_view digits = text.front() == '+' ? std::string_view(text).substr(1) : std::string_view(text);
    double value = 0.0;
    const auto [end, status] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (status == std::errc::result_out_of_range) {
      error(node, field, std::string("expected ").append(expected) + " within the range of a double, got " + text);
      return std::nullopt;
    }
    if (status != std::errc{} || end != digits.data() + digits.size()) {
      error(node, field, std::string("expected ").append(expected) + ", got " + describe_node(node));
      return std::nullopt;
    }
    return value;
  }

  std::optional<std::int64_t> integer(const YAML::Node& node, const std::string& field, std::string_view expected) {
    if (!node.IsScalar() || scalar_kind(node) != Scalar::plain) {
      error(node, field, std::string("expected ").append(expected) + ", got " + describe_node(node));
      return std::nullopt;
    }
    const std::string& text = node.Scalar();
    if (!looks_decimal(text, false)) {
      const bool fractional = looks_decimal(text, true) || special_number(text).has_value();
      error(node, field,
            std::string("expected ").append(expected) + (fractional ? " (a whole number, not a fraction)" : "") +
                ", got " + describe_node(node));
      return std::nullopt;
    }
    const std::string_view digits = text.front() == '+' ? std::string_view(text).substr(1) : std::string_view(text);
    std::int64_t value = 0;
    const auto [end, status] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (status != std::errc{} || end != digits.data() + digits.size()) {
      error(node, field, std::string("expected ").append(expected) + " within 64 bits, got " + text);
      return std::nullopt;
    }
    return value;
  }

  std::optional<bool> boolean(const YAML::Node& node, const std::string& field) {
    if (node.IsScalar() && scalar_kind(node) == Scalar::plain) {
      const std::string& text = node.Scalar();
      if (text == "true" || text == "True" || text == "TRUE") {
        return true;
      }
      if (text == "false" || text == "False" || text == "FALSE") {
        return false;
      }
    }
    error(node, field, "expected true or false, got " + describe_node(node));
    return std::nullopt;
  }

  template <class Enum, std::size_t N>
  std::optional<Enum> word(const YAML::Node& node, const std::string& field, const std::array<Enum, N>& all) {
    const auto spellings = detail::spellings_of(all);
    const std::string expected = "expected one of " + detail::join_spellings(spellings);
    if (!node.IsScalar() || node.IsNull()) {
      error(node, field, expected + ", got " + describe_node(node));
      return std::nullopt;
    }
    if (const std::optional<Enum> value = detail::parse_enum(node.Scalar(), all)) {
      return value;
    }
    std::string message = expected + ", got " + detail::quote(node.Scalar());
    if (const auto suggestion = detail::nearest_spelling(node.Scalar(), spellings)) {
      message += " (did you mean " + detail::quote(*suggestion) + "?)";
    }
    error(node, field, message);
    return std::nullopt;
  }

  /// `[width, height]` or one number for both.
  std::optional<extraction::wsi::Extent> extent(const YAML::Node& node, const std::string& field) {
    constexpr std::string_view expected = "[width, height] as two numbers > 0, or one number for both";
    if (node.IsScalar() && scalar_kind(node) == Scalar::plain) {
      const std::optional<double> side = number(node, field, expected);
      return side ? std::optional{extraction::wsi::Extent{*side}} : std::nullopt;
    }
    if (!node.IsSequence() || node.size() != 2) {
      error(node, field, std::string("expected ").append(expected) + ", got " + describe_node(node));
      return std::nullopt;
    }
    const std::optional<double> width = number(node[0], field, expected);
    const std::optional<double> height = number(node[1], field, expected);
    if (!width || !height) {
      return std::nullopt;
    }
    return extraction::wsi::Extent{*width, *height};
  }

  std::optional<std::vector<double>> numbers(const YAML::Node& node, const std::string& field) {
    if (!node.IsSequence()) {
      error(node, field, "expected a list of numbers (one per channel), got " + describe_node(node));
      return std::nullopt;
    }
    std::vector<double> values;
    values.reserve(node.size());
    bool ok = true;
    for (std::size_t i = 0; i < node.size(); ++i) {
      const std::optional<double> value = number(node[i], field + "[" + std::to_string(i) + "]", "a number");
      ok = ok && value.has_value();
      values.push_back(value.value_or(0.0));
    }
    if (!ok) {
      mark_failed(field);
      return std::nullopt;
    }
    return values;
  }

 private:
  static std::string root_of(const std::string& field) { return field.substr(0, field.find_first_of(".[")); }

  static std::optional<double> special_number(std::string_view text) {
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
  static bool looks_decimal(std::string_view text, bool fraction) {
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

  std::string source_;
  std::vector<Diagnostic> diagnostics_;
  std::size_t uncollected_ = 0;
  std::set<std::string> failed_;
};

/// The raw-text checks and the parse: size, encoding, limits, one document.
/// Returns the root node, or nothing with diagnostics recorded.
std::optional<YAML::Node> parse_document(std::string_view yaml, Decoder& decoder) {
  if (yaml.size() > LoadLimits::max_bytes) {
    decoder.error(ConfigLocation{decoder.source(), 0, 0}, "",
                  "config too large: " + std::to_string(yaml.size()) + " bytes, at most " +
                      std::to_string(LoadLimits::max_bytes) + " are accepted");
    return std::nullopt;
  }
  if (const std::optional<std::size_t> bad = first_bad_utf8_byte(yaml)) {
    const auto [line, column] = line_and_column(yaml, *bad);
    const auto byte = static_cast<unsigned char>(yaml[*bad]);
    decoder.error(ConfigLocation{decoder.source(), line, column}, "",
                  byte == 0
                      ? std::string("expected UTF-8 text, found a NUL byte")
                      : "expected UTF-8 text, found the invalid byte " + detail::quote(std::string(1, yaml[*bad])));
    return std::nullopt;
  }
  const std::string text(yaml);
  try {
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    LimitChecker checker;
    while (parser.HandleNextDocument(checker)) {
      if (checker.document_starts.size() > 1) {
        decoder.error(decoder.locate(checker.document_starts[1]), "",
                      "expected one YAML document (one model per file), found a second one");
        return std::nullopt;
      }
    }
    return YAML::Load(text);
  } catch (const LimitExceeded& exceeded) {
    decoder.error(decoder.locate(exceeded.mark), "", exceeded.message);
  } catch (const YAML::Exception& exception) {
    decoder.error(decoder.locate(exception.mark), "", explain_parser_message(exception.msg));
  }
  return std::nullopt;
}

/// Maps a violation's field path ("tile_spec.size", "mean[1]") to the node
/// it names, or to the nearest enclosing map when the key is absent.
class FieldIndex {
 public:
  FieldIndex(YAML::Node root, std::map<std::string, YAML::Node, std::less<>> top,
             std::map<std::string, YAML::Node, std::less<>> tile)
      : root_(std::move(root)), top_(std::move(top)), tile_(std::move(tile)) {}

  [[nodiscard]] YAML::Node find(const std::string& field) const {
    if (field.rfind("tile_spec.", 0) == 0) {
      const std::string key = field.substr(std::string_view("tile_spec.").size());
      if (const auto found = tile_.find(key); found != tile_.end()) {
        return found->second;
      }
      if (key == "stride") {
        return find("tile_spec.size");  // stride defaulted to size
      }
      return find("tile_spec");
    }
    const std::size_t bracket = field.find('[');
    const std::string key = field.substr(0, bracket);
    const auto found = top_.find(key);
    if (found == top_.end()) {
      return root_;
    }
    if (bracket != std::string::npos && found->second.IsSequence()) {
      const std::size_t index = std::stoul(field.substr(bracket + 1));
      if (index < found->second.size()) {
        return found->second[index];
      }
    }
    return found->second;
  }

 private:
  YAML::Node root_;
  std::map<std::string, YAML::Node, std::less<>> top_;
  std::map<std::string, YAML::Node, std::less<>> tile_;
};

struct DecodedTile {
  std::optional<extraction::wsi::TileSpec> spec;
  std::map<std::string, YAML::Node, std::less<>> keys;
};

std::optional<Resolution> decode_resolution(const YAML::Node& node, Decoder& decoder) {
  const std::string field = "tile_spec.resolution";
  constexpr std::string_view expected = "a number (an MPP) or a map {mpp: X}, {magnification: X} or {level: N}";
  // Builds the resolution, reporting a broken rule at the value that breaks it.
  const auto build = [&decoder](const YAML::Node& at, const std::string& at_field,
                                const auto& make) -> std::optional<Resolution> {
    try {
      return make();
    } catch (const ValidationError& invalid) {
      for (const Violation& violation : invalid.violations()) {
        decoder.error(at, at_field, violation.message);
      }
    }
    return std::nullopt;
  };
  if (node.IsScalar() && Decoder::scalar_kind(node) == Scalar::plain) {
    const std::optional<double> mpp = decoder.number(node, field, expected);
    return mpp ? build(node, field, [&] { return Resolution{MPP{*mpp}}; }) : std::nullopt;
  }
  if (!node.IsMap() || node.size() != 1) {
    decoder.error(node, field, std::string("expected ").append(expected) + ", got " + describe_node(node));
    return std::nullopt;
  }
  const auto keys = decoder.keys_of(node, field, resolution_keys);
  if (keys.empty()) {
    return std::nullopt;
  }
  const auto& [kind, value] = *keys.begin();
  const std::string value_field = field + "." + kind;
  if (kind == "level") {
    const std::optional<std::int64_t> index = decoder.integer(value, value_field, "a whole number >= 0");
    return index ? build(value, value_field, [&] { return Resolution{Level{*index}}; }) : std::nullopt;
  }
  const std::optional<double> amount = decoder.number(value, value_field, "a number > 0");
  if (!amount) {
    return std::nullopt;
  }
  if (kind == "mpp") {
    return build(value, value_field, [&] { return Resolution{MPP{*amount}}; });
  }
  return build(value, value_field, [&] { return Resolution{Magnification{*amount}}; });
}

DecodedTile decode_tile(const YAML::Node& node, Decoder& decoder) {
  DecodedTile tile;
  if (!node.IsMap()) {
    decoder.error(node, "tile_spec",
                  "expected a map with size, stride, resolution and unit, got " + describe_node(node));
    return tile;
  }
  tile.keys = decoder.keys_of(node, "tile_spec", tile_keys);
  const auto required = [&](std::string_view key, std::string_view what) -> const YAML::Node* {
    if (const auto found = tile.keys.find(key); found != tile.keys.end()) {
      return &found->second;
    }
    decoder.error(node, "tile_spec." + std::string(key), "required key missing: expected " + std::string(what));
    return nullptr;
  };
  std::optional<extraction::wsi::Extent> size;
  if (const YAML::Node* value = required("size", "[width, height] or one number for both")) {
    size = decoder.extent(*value, "tile_spec.size");
  }
  std::optional<extraction::wsi::Extent> stride;
  bool stride_ok = true;
  if (const auto found = tile.keys.find("stride"); found != tile.keys.end() && !Decoder::is_null(found->second)) {
    stride = decoder.extent(found->second, "tile_spec.stride");
    stride_ok = stride.has_value();
  }
  std::optional<Resolution> resolution;
  if (const YAML::Node* value =
          required("resolution", "a number (an MPP), {mpp: X}, {magnification: X} or {level: N}")) {
    resolution = decode_resolution(*value, decoder);
  }
  std::optional<MeasurementUnit> unit = MeasurementUnit::pixels;
  if (const auto found = tile.keys.find("unit"); found != tile.keys.end() && !Decoder::is_null(found->second)) {
    unit = decoder.word(found->second, "tile_spec.unit", io::wsi::all_measurement_units);
  }
  if (!size || !stride_ok || !resolution || !unit) {
    decoder.mark_failed("tile_spec");
    return tile;
  }
  try {
    tile.spec.emplace(extraction::wsi::TileSpec::Fields{
        .size = *size,
        .stride = stride ? extraction::wsi::OptionalExtent{*stride} : extraction::wsi::OptionalExtent{},
        .resolution = *resolution,
        .unit = *unit});
  } catch (const ValidationError& invalid) {
    const FieldIndex index(node, {}, tile.keys);
    for (const Violation& violation : invalid.violations()) {
      if (violation.field == "stride" && !stride) {
        continue;  // the stride is the size: its fault is already reported
      }
      const std::string field = "tile_spec." + violation.field;
      decoder.error(index.find(field), field, violation.message);
    }
    decoder.mark_failed("tile_spec");
  }
  return tile;
}

impl::LocatedSpec decode(const YAML::Node& root, Decoder& decoder) {
  if (!root.IsMap()) {
    const std::string found = root.IsNull() ? "an empty document" : describe_node(root);
    decoder.error(root.IsNull() ? ConfigLocation{decoder.source(), 1, 1} : decoder.locate(root), "",
                  "expected a map of model fields (model_name, version, tile_spec, ...), got " + found);
    throw ConfigError(decoder.take());
  }
  const auto keys = decoder.keys_of(root, "", model_keys);
  const auto value_of = [&](std::string_view key) -> const YAML::Node* {
    const auto found = keys.find(key);
    return found == keys.end() || Decoder::is_null(found->second) ? nullptr : &found->second;
  };
  const auto required = [&](std::string_view key, std::string_view what) -> const YAML::Node* {
    if (const YAML::Node* value = value_of(key)) {
      return value;
    }
    const auto present = keys.find(key);
    decoder.error(present == keys.end() ? root : present->second, std::string(key),
                  present == keys.end() ? "required key missing: expected " + std::string(what)
                                        : "expected " + std::string(what) + ", got null");
    return nullptr;
  };
  const auto optional_text = [&](std::string_view key) -> std::optional<std::string> {
    const YAML::Node* value = value_of(key);
    return value ? decoder.text(*value, std::string(key)) : std::nullopt;
  };
  const auto whole = [&](std::string_view key, std::string_view expected) -> std::optional<std::int64_t> {
    const YAML::Node* value = value_of(key);
    return value ? decoder.integer(*value, std::string(key), expected) : std::nullopt;
  };

  ModelSpec::Fields fields{.tile_spec =
                               extraction::wsi::TileSpec{{.size = extraction::wsi::Extent{1}, .resolution = MPP{1.0}}}};
  if (const YAML::Node* value = required("model_name", "the model's name, e.g. h0-mini")) {
    fields.model_name = decoder.text(*value, "model_name").value_or("");
  }
  if (const YAML::Node* value = required("version", "a SemVer version, e.g. 1.0.0")) {
    fields.version = decoder.text(*value, "version").value_or("");
  }
  fields.weights_source = optional_text("weights_source");
  fields.license = optional_text("license");

  DecodedTile tile;
  if (const YAML::Node* value = required("tile_spec", "a map with size, stride, resolution and unit")) {
    tile = decode_tile(*value, decoder);
    if (tile.spec) {
      fields.tile_spec = *tile.spec;
    }
  }
  if (keys.contains("num_channels")) {
    fields.num_channels = whole("num_channels", "a whole number >= 1").value_or(3);
  }
  if (const YAML::Node* value = required("mean", "a list of numbers, one per channel")) {
    fields.mean = decoder.numbers(*value, "mean").value_or(std::vector<double>{});
  }
  if (const YAML::Node* value = required("std", "a list of numbers > 0, one per channel")) {
    fields.std = decoder.numbers(*value, "std").value_or(std::vector<double>{});
  }
  if (const YAML::Node* value = value_of("interpolation")) {
    fields.interpolation = decoder.word(*value, "interpolation", all_interpolations).value_or(Interpolation::bicubic);
  }
  if (const YAML::Node* value = value_of("antialias")) {
    fields.antialias = decoder.boolean(*value, "antialias").value_or(true);
  }
  if (const YAML::Node* value = value_of("color_space")) {
    fields.color_space = decoder.word(*value, "color_space", all_color_spaces).value_or(ColorSpace::rgb);
  }
  if (const YAML::Node* value = value_of("stain_normalization")) {
    fields.stain_normalization = decoder.word(*value, "stain_normalization", all_stain_normalizations);
  }
  if (const YAML::Node* value = value_of("architecture")) {
    fields.architecture = decoder.word(*value, "architecture", all_architectures).value_or(Architecture::vit);
  }
  fields.patch_size = whole("patch_size", "a whole number > 0 (vit) or null");
  fields.num_prefix_tokens = whole("num_prefix_tokens", "a whole number >= 0");
  if (const YAML::Node* value = required("embedding_dim", "a whole number > 0")) {
    fields.embedding_dim = decoder.integer(*value, "embedding_dim", "a whole number > 0").value_or(2);
  }
  if (const YAML::Node* value =
          required("output_type", "one of " + detail::join_spellings(detail::spellings_of(all_output_types)))) {
    fields.output_type = decoder.word(*value, "output_type", all_output_types);
  }
  if (const YAML::Node* value = value_of("output_spatial_dims")) {
    constexpr std::string_view expected = "[height, width] as two whole numbers > 0, or null";
    if (!value->IsSequence() || value->size() != 2) {
      decoder.error(*value, "output_spatial_dims",
                    std::string("expected ").append(expected) + ", got " + describe_node(*value));
    } else {
      const auto height = decoder.integer((*value)[0], "output_spatial_dims", expected);
      const auto width = decoder.integer((*value)[1], "output_spatial_dims", expected);
      if (height && width) {
        fields.output_spatial_dims = SpatialDims{.width = *width, .height = *height};
      }
    }
  }
  if (const YAML::Node* value = value_of("precision")) {
    fields.precision = decoder.word(*value, "precision", all_precisions).value_or(Precision::fp32);
  }

  // Stand-ins keep the value rules of the other fields checkable; the
  // violations they cause are suppressed below.
  if (fields.mean.empty() && decoder.failed("mean")) {
    fields.mean.assign(static_cast<std::size_t>(std::clamp<std::int64_t>(fields.num_channels, 0, 64)), 0.0);
  }
  if (fields.std.empty() && decoder.failed("std")) {
    fields.std.assign(static_cast<std::size_t>(std::clamp<std::int64_t>(fields.num_channels, 0, 64)), 1.0);
  }

  const FieldIndex index(root, keys, tile.keys);
  try {
    ModelSpec spec(std::move(fields));
    if (!decoder.ok()) {
      throw ConfigError(decoder.take());
    }
    const YAML::Node name_node = index.find("model_name");
    return {std::move(spec), decoder.locate(name_node)};
  } catch (const ValidationError& invalid) {
    for (const Violation& violation : invalid.violations()) {
      if (!decoder.suppressed(violation)) {
        decoder.error(index.find(violation.field), violation.field, violation.message);
      }
    }
  }
  throw ConfigError(decoder.take());
}

}  // namespace

namespace impl {

LocatedSpec parse_located_spec(std::string_view yaml, std::string_view source_name) {
  Decoder decoder{std::string(source_name)};
  const std::optional<YAML::Node> root = parse_document(yaml, decoder);
  if (!root) {
    throw ConfigError(decoder.take());
  }
  return decode(*root, decoder);
}

LocatedSpec load_located_spec(const std::filesystem::path& path) {
  LocatedSpec loaded = parse_located_spec(read_config_file(path), path.string());
  // One model per file, named after it (DESIGN section 4): the registry and
  // `modelspec validate` must agree on what a valid file is.
  if (const std::string stem = path.stem().string(); stem != loaded.spec.model_name()) {
    throw ConfigError(
        {Diagnostic{loaded.model_name_location, "model_name",
                    "expected the file stem " + detail::quote(stem) + " (one model per file, named after it), got " +
                        detail::quote(loaded.spec.model_name())}});
  }
  return loaded;
}

std::string read_config_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  const auto fail = [&](const std::string& message) {
    throw ConfigError({Diagnostic{ConfigLocation{name, 0, 0}, "", message}});
  };
  std::error_code status;
  if (std::filesystem::is_directory(path, status)) {
    fail("expected a YAML file, got a directory");
  }
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    fail("cannot open: " + std::string(std::strerror(errno)));
  }
  std::string text;
  std::array<char, 65536> buffer{};
  while (stream) {
    stream.read(buffer.data(), buffer.size());
    text.append(buffer.data(), static_cast<std::size_t>(stream.gcount()));
    if (text.size() > LoadLimits::max_bytes) {
      fail("config too large: more than " + std::to_string(LoadLimits::max_bytes) + " bytes");
    }
  }
  if (stream.bad()) {
    fail("cannot read: " + std::string(std::strerror(errno)));
  }
  return text;
}

}  // namespace impl

ModelSpec parse_spec(std::string_view yaml, std::string_view source_name) {
  return impl::parse_located_spec(yaml, source_name).spec;
}

ModelSpec load_spec(const std::filesystem::path& path) { return impl::load_located_spec(path).spec; }

}  // namespace bioptimus::models
