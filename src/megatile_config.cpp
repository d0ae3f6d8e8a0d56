// Mega-tile spec files (bioptimus/models/megatile_config.hpp). A flat map of
// six keys, decoded here with the model configs' conventions: every problem
// is collected, located at its node, and named by its field; the value
// type's own violations are mapped back to the key they concern.
#include "bioptimus/models/megatile_config.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "bioptimus/extraction/wsi/grid_layout.hpp"

namespace bioptimus::models {
namespace {

using extraction::wsi::MegaTileSpec;
using extraction::wsi::TileGridShape;

constexpr std::array<std::string_view, 6> known_keys{"model",       "megatile_shape",        "megatile_stride",
                                                     "grid_layout", "min_valid_tiles_ratio", "max_valid_tiles_ratio"};

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Scalar:
      return detail::quote(node.Scalar(), 40);
    case YAML::NodeType::Sequence:
      return "a list of " + std::to_string(node.size()) + (node.size() == 1 ? " item" : " items");
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

// A plain (unquoted) scalar that is all of a number of type T.
template <class T>
std::optional<T> plain_number(const YAML::Node& node) {
  if (!node.IsScalar() || node.Tag() == "!") {
    return std::nullopt;
  }
  std::string_view text = node.Scalar();
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
  }
  T value{};
  const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (status != std::errc{} || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

// The offset of the first NUL byte or byte that is not well-formed UTF-8,
// if any. yaml-cpp 0.7 can loop without end on such input, so the text is
// checked before it is parsed (the model-config loader does the same).
std::optional<std::size_t> first_bad_byte(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead == 0) {
      return i;
    }
    if (lead < 0x80U) {
      ++i;
      continue;
    }
    // Sequence length, the lead byte's payload, and the smallest code point
    // that needs this length (anything below is an overlong form).
    const std::size_t length = lead >= 0xF0U ? 4 : lead >= 0xE0U ? 3 : lead >= 0xC0U ? 2 : 0;
    if (length == 0 || lead >= 0xF8U || i + length > text.size()) {
      return i;
    }
    constexpr std::array<std::uint32_t, 5> smallest{0, 0, 0x80, 0x800, 0x10000};
    std::uint32_t code_point = lead & (0x7FU >> length);
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0U) != 0x80U) {
        return i;
      }
      code_point = (code_point << 6U) | (next & 0x3FU);
    }
    if (code_point < smallest[length] || code_point > 0x10FFFFU || (code_point >= 0xD800U && code_point <= 0xDFFFU)) {
      return i;
    }
    i += length;
  }
  return std::nullopt;
}

// Counts the documents of a stream from the parser's events. A loop over
// HandleNextDocument that stops at the second document replaces
// YAML::LoadAll, which yaml-cpp 0.7 can run forever on input such as ","
// (yaml-cpp pull request 1319).
class DocumentCounter : public YAML::EventHandler {
 public:
  std::size_t documents = 0;
  YAML::Mark second_start;

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents == 2) {
      second_start = mark;
    }
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

class Decoder {
 public:
  Decoder(std::string source, const Registry& registry) : source_(std::move(source)), registry_(registry) {}

  ConfigLocation locate(const YAML::Mark& mark) const {
    return mark.is_null() ? ConfigLocation{source_, 0, 0} : ConfigLocation{source_, mark.line + 1, mark.column + 1};
  }
  void error(const YAML::Mark& mark, std::string field, std::string message) {
    // Past a few times the cap, problems are only counted, as the model
    // loader does: a file of a hundred thousand bad keys costs little.
    if (diagnostics_.size() >= 4 * LoadLimits::max_diagnostics) {
      ++uncollected_;
      return;
    }
    diagnostics_.push_back({locate(mark), std::move(field), std::move(message)});
  }

  std::optional<MegaTileSpec> decode(const YAML::Node& root) {
    if (!root.IsMap()) {
      error(root.Mark(), "",
            "expected a map with model, megatile_shape and optional megatile_stride, grid_layout, "
            "min_valid_tiles_ratio and max_valid_tiles_ratio, got " +
                describe(root));
      return std::nullopt;
    }
    read_keys(root);
    bool readable = true;
    const extraction::wsi::TileSpec* tile = nullptr;
    if (const YAML::Node* node = required(root, "model", "the name of a model whose tile_spec the blocks use")) {
      tile = model_tile(*node);
    }
    readable = readable && tile != nullptr;

    std::optional<TileGridShape> shape;
    if (const YAML::Node* node = required(root, "megatile_shape", "[rows, cols] as two whole numbers")) {
      shape = grid_shape(*node, "megatile_shape");
    }
    readable = readable && shape.has_value();

    std::optional<TileGridShape> stride;
    if (const YAML::Node* node = optional(root, "megatile_stride"); node && !node->IsNull()) {
      stride = grid_shape(*node, "megatile_stride");
      readable = readable && stride.has_value();
    }
    extraction::wsi::GridLayout layout = extraction::wsi::GridLayout::rectangular;
    if (const YAML::Node* node = optional(root, "grid_layout")) {
      const std::optional<extraction::wsi::GridLayout> parsed = grid_layout(*node);
      readable = readable && parsed.has_value();
      layout = parsed.value_or(layout);
    }
    double min_ratio = 0.5;
    if (const YAML::Node* node = optional(root, "min_valid_tiles_ratio")) {
      const std::optional<double> parsed = ratio(*node, "min_valid_tiles_ratio");
      readable = readable && parsed.has_value();
      min_ratio = parsed.value_or(min_ratio);
    }
    std::optional<double> max_ratio;
    if (const YAML::Node* node = optional(root, "max_valid_tiles_ratio"); node && !node->IsNull()) {
      max_ratio = ratio(*node, "max_valid_tiles_ratio");
      readable = readable && max_ratio.has_value();
    }
    if (!readable || !diagnostics_.empty()) {
      return std::nullopt;
    }
    try {
      return MegaTileSpec{{.megatile_shape = *shape,
                           .tile_spec = *tile,
                           .grid_layout = layout,
                           .megatile_stride = stride,
                           .min_valid_tiles_ratio = min_ratio,
                           .max_valid_tiles_ratio = max_ratio}};
    } catch (const ValidationError& invalid) {
      for (const Violation& violation : invalid.violations()) {
        const auto found = keys_.find(violation.field);
        error(found != keys_.end() ? found->second.Mark() : root.Mark(), violation.field, violation.message);
      }
      return std::nullopt;
    }
  }

  /// The diagnostics in file order, at most LoadLimits::max_diagnostics of
  /// them plus one that counts the rest.
  std::vector<Diagnostic> take() {
    std::vector<Diagnostic> out = std::move(diagnostics_);
    std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
      return std::pair(a.location.line, a.location.column) < std::pair(b.location.line, b.location.column);
    });
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

 private:
  void read_keys(const YAML::Node& root) {
    std::map<std::string, YAML::Mark, std::less<>> first_seen;
    for (auto entry = root.begin(); entry != root.end(); ++entry) {
      const YAML::Node key = entry->first;  // by value: the iterator's pair is a temporary
      if (!key.IsScalar()) {
        error(key.Mark(), "(key)", "expected a text key, got " + describe(key));
        continue;
      }
      const std::string& name = key.Scalar();
      if (std::find(known_keys.begin(), known_keys.end(), name) == known_keys.end()) {
        std::string message = "unknown key " + detail::quote(name);
        if (const auto suggestion = detail::nearest_spelling(name, known_keys)) {
          message += " (did you mean " + detail::quote(*suggestion) + "?)";
        } else {
          message += "; expected one of " + detail::join_spellings(known_keys);
        }
        error(key.Mark(), name, message);
        continue;
      }
      if (const auto seen = first_seen.find(name); seen != first_seen.end()) {
        error(key.Mark(), name,
              "duplicate key; first given at line " + std::to_string(seen->second.line + 1) + ", column " +
                  std::to_string(seen->second.column + 1));
        continue;
      }
      first_seen.emplace(name, key.Mark());
      keys_.emplace(name, entry->second);
    }
  }

  const YAML::Node* optional(const YAML::Node&, const std::string& key) const {
    const auto found = keys_.find(key);
    return found == keys_.end() ? nullptr : &found->second;
  }

  const YAML::Node* required(const YAML::Node& root, const std::string& key, std::string_view what) {
    const YAML::Node* node = optional(root, key);
    if (node == nullptr) {
      error(root.Mark(), key, "required key missing: expected " + std::string(what));
    }
    return node;
  }

  const extraction::wsi::TileSpec* model_tile(const YAML::Node& node) {
    if (!node.IsScalar() || node.IsNull()) {
      error(node.Mark(), "model", "expected a model name, got " + describe(node));
      return nullptr;
    }
    if (const ModelSpec* spec = registry_.find(node.Scalar())) {
      return &spec->tile_spec();
    }
    const std::vector<std::string_view> names = registry_.names();
    std::string message = "unknown model " + detail::quote(node.Scalar());
    if (const auto suggestion = detail::nearest_spelling(node.Scalar(), names)) {
      message += " (did you mean " + detail::quote(*suggestion) + "?)";
    } else {
      message += "; expected one of " + detail::join_spellings(names);
    }
    error(node.Mark(), "model", message);
    return nullptr;
  }

  std::optional<TileGridShape> grid_shape(const YAML::Node& node, const std::string& field) {
    const std::string expected = "expected [rows, cols] as two whole numbers, got ";
    if (!node.IsSequence() || node.size() != 2) {
      error(node.Mark(), field, expected + describe(node));
      return std::nullopt;
    }
    const std::optional<std::int64_t> rows = plain_number<std::int64_t>(node[0]);
    const std::optional<std::int64_t> cols = plain_number<std::int64_t>(node[1]);
    if (!rows) {
      error(node[0].Mark(), field + "[0]", "expected a whole number of tile rows, got " + describe(node[0]));
    }
    if (!cols) {
      error(node[1].Mark(), field + "[1]", "expected a whole number of tile columns, got " + describe(node[1]));
    }
    if (!rows || !cols) {
      return std::nullopt;
    }
    return TileGridShape{.rows = *rows, .cols = *cols};
  }

  std::optional<extraction::wsi::GridLayout> grid_layout(const YAML::Node& node) {
    const auto spellings = detail::spellings_of(extraction::wsi::all_grid_layouts);
    std::string message = "expected one of " + detail::join_spellings(spellings) + ", got " + describe(node);
    if (node.IsScalar() && !node.IsNull()) {
      if (const auto layout = extraction::wsi::parse_grid_layout(node.Scalar())) {
        return layout;
      }
      if (const auto suggestion = detail::nearest_spelling(node.Scalar(), spellings)) {
        message += " (did you mean " + detail::quote(*suggestion) + "?)";
      }
    }
    error(node.Mark(), "grid_layout", message);
    return std::nullopt;
  }

  // The range is the value type's rule; here only "is it a number".
  std::optional<double> ratio(const YAML::Node& node, const std::string& field) {
    const std::optional<double> value = plain_number<double>(node);
    if (!value) {
      error(node.Mark(), field, "expected a number in [0, 1], got " + describe(node));
    }
    return value;
  }

  std::string source_;
  const Registry& registry_;
  std::map<std::string, YAML::Node, std::less<>> keys_;
  std::vector<Diagnostic> diagnostics_;
  std::size_t uncollected_ = 0;
};

}  // namespace

extraction::wsi::MegaTileSpec parse_megatile_spec(std::string_view yaml, std::string_view source_name,
                                                  const Registry& registry) {
  Decoder decoder{std::string(source_name), registry};
  const ConfigLocation whole_file{std::string(source_name), 0, 0};
  if (yaml.size() > LoadLimits::max_bytes) {
    throw ConfigError({{whole_file, "",
                        "file too large: " + std::to_string(yaml.size()) + " bytes, at most " +
                            std::to_string(LoadLimits::max_bytes) + " are accepted"}});
  }
  if (const std::optional<std::size_t> bad = first_bad_byte(yaml)) {
    const std::string_view before = yaml.substr(0, *bad);
    const std::size_t line_start = before.rfind('\n');
    const ConfigLocation where{
        std::string(source_name), static_cast<std::int64_t>(std::count(before.begin(), before.end(), '\n')) + 1,
        static_cast<std::int64_t>(line_start == std::string_view::npos ? *bad : *bad - line_start - 1) + 1};
    throw ConfigError({{where, "",
                        yaml[*bad] == '\0' ? std::string("expected UTF-8 text, found a NUL byte")
                                           : "expected UTF-8 text, found the invalid byte " +
                                                 detail::quote(std::string(1, yaml[*bad]))}});
  }
  const std::string text(yaml);
  YAML::Node root;
  try {
    // yaml-cpp's depth guard turns deep nesting into an exception; no key
    // read here is walked recursively, so aliases cost nothing.
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    DocumentCounter counter;
    while (counter.documents < 2 && parser.HandleNextDocument(counter)) {
    }
    if (counter.documents > 1) {
      throw ConfigError({{decoder.locate(counter.second_start), "",
                          "expected one YAML document (one mega-tile spec per file), found a second one"}});
    }
    root = YAML::Load(text);
  } catch (const YAML::Exception& exception) {
    throw ConfigError({{decoder.locate(exception.mark), "", "invalid YAML: " + exception.msg}});
  }
  std::optional<MegaTileSpec> spec = decoder.decode(root);
  if (!spec) {
    throw ConfigError(decoder.take());
  }
  return *spec;
}

extraction::wsi::MegaTileSpec load_megatile_spec(const std::filesystem::path& path, const Registry& registry) {
  const ConfigLocation whole_file{path.string(), 0, 0};
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error) {
    throw ConfigError({{whole_file, "", "cannot read the file: " + error.message()}});
  }
  if (size > LoadLimits::max_bytes) {
    throw ConfigError({{whole_file, "",
                        "file too large: " + std::to_string(size) + " bytes, at most " +
                            std::to_string(LoadLimits::max_bytes) + " are accepted"}});
  }
  std::ifstream in(path, std::ios::binary);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (!in && !in.eof()) {
    throw ConfigError({{whole_file, "", "cannot read the file"}});
  }
  return parse_megatile_spec(text, path.string(), registry);
}

}  // namespace bioptimus::models
