// Cohort: the manifest reader (RFC 4180 records, then the columns' rules,
// every problem reported at once) and the run over the slides.
#include "bioptimus/pipeline/cohort.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <exception>
#include <map>
#include <utility>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "bioptimus/models/registry.hpp"
#include "input_file.hpp"

namespace bioptimus::pipeline {
namespace {

using models::Diagnostic;

constexpr std::string_view column_slide_path = "slide_path";
constexpr std::string_view column_slide_id = "slide_id";
constexpr std::string_view column_mpp_override = "mpp_override";
constexpr std::array<std::string_view, 3> known_columns = {column_slide_path, column_slide_id, column_mpp_override};

// 64 MiB holds over half a million rows of 100 bytes: a larger manifest is
// a mistake (a slide or an archive named by accident), not a cohort.
constexpr detail::InputRules manifest_file_rules{
    .expected = "a manifest (a CSV file)", .max_bytes = std::uint64_t{64} << 20U, .noun = "manifest"};
constexpr detail::InputRules slide_file_rules{.expected = "a slide file"};

// "slide_path, slide_id, mpp_override", for messages.
std::string column_list() {
  std::string list;
  for (const std::string_view column : known_columns) {
    list += (list.empty() ? "" : ", ") + std::string(column);
  }
  return list;
}

struct Field {
  std::string text;
  std::int64_t line;
  std::int64_t column;
};

struct Record {
  std::vector<Field> fields;
  std::int64_t line;
  /// A field had a syntax error (already reported).
  bool malformed = false;

  [[nodiscard]] bool blank() const { return fields.size() == 1 && fields.front().text.empty(); }
};

// Built as a named value: g++ 12 at -O3 reports false maybe-uninitialized
// warnings for a Diagnostic built from a braced list inside push_back.
void add_diagnostic(std::vector<Diagnostic>& diagnostics, const std::string& source, std::int64_t line,
                    std::int64_t column, std::string_view field, std::string message) {
  Diagnostic diagnostic;
  diagnostic.location.path = source;
  diagnostic.location.line = line;
  diagnostic.location.column = column;
  diagnostic.field = std::string(field);
  diagnostic.message = std::move(message);
  diagnostics.push_back(std::move(diagnostic));
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string trimmed(std::string_view text) {
  while (!text.empty() && is_space(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_space(text.back())) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

// RFC 4180 records, with the line and column where each field starts.
// Unquoted fields lose surrounding blanks (spreadsheets add them); quoted
// ones are kept as written.
class CsvReader {
 public:
  CsvReader(std::string_view text, std::string source, std::vector<Diagnostic>& diagnostics)
      : text_(text), source_(std::move(source)), diagnostics_(diagnostics) {
    constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";
    if (text_.starts_with(utf8_bom)) {
      position_ = utf8_bom.size();
    }
  }

  // The next record, or nothing at the end of the text. After a malformed
  // field the rest of its line is skipped, so that one mistake gives one message.
  std::optional<Record> next() {
    if (position_ >= text_.size()) {
      return std::nullopt;
    }
    Record record{.fields = {}, .line = line_, .malformed = false};
    const std::size_t reported = diagnostics_.size();
    while (true) {
      Field field = read_field();
      record.malformed = record.malformed || diagnostics_.size() != reported;
      record.fields.push_back(std::move(field));
      if (position_ >= text_.size()) {
        return record;
      }
      const char c = text_[position_];
      if (c == ',') {
        advance();
        continue;
      }
      end_line();
      return record;
    }
  }

 private:
  Field read_field() {
    Field field{{}, line_, column_};
    while (position_ < text_.size() && is_space(text_[position_])) {
      advance();
    }
    if (position_ < text_.size() && text_[position_] == '"') {
      field.line = line_;
      field.column = column_;
      advance();
      while (true) {
        if (position_ >= text_.size()) {
          add_diagnostic(diagnostics_, source_, field.line, field.column, "",
                         "this quoted field has no closing quote (\")");
          return field;
        }
        const char c = text_[position_];
        advance();
        if (c != '"') {
          field.text += c;
        } else if (position_ < text_.size() && text_[position_] == '"') {
          field.text += '"';
          advance();
        } else {
          break;
        }
      }
      while (position_ < text_.size() && is_space(text_[position_])) {
        advance();
      }
      if (position_ < text_.size() && text_[position_] != ',' && !at_line_end()) {
        add_diagnostic(
            diagnostics_, source_, line_, column_, "",
            "expected ',' or the end of the line after a quoted field, got '" + std::string(1, text_[position_]) + "'");
        skip_line();
      }
      return field;
    }
    const std::size_t start = position_;
    while (position_ < text_.size() && text_[position_] != ',' && !at_line_end()) {
      if (text_[position_] == '"') {
        add_diagnostic(diagnostics_, source_, line_, column_, "",
                       "a quote (\") inside an unquoted field; quote the whole field");
        skip_line();
        break;
      }
      advance();
    }
    field.text = trimmed(text_.substr(start, position_ - start));
    return field;
  }

  [[nodiscard]] bool at_line_end() const {
    return text_[position_] == '\n' ||
           (text_[position_] == '\r' && position_ + 1 < text_.size() && text_[position_ + 1] == '\n');
  }

  void skip_line() {
    while (position_ < text_.size() && !at_line_end()) {
      advance();
    }
  }

  // Consumes "\n" or "\r\n".
  void end_line() {
    if (text_[position_] == '\r') {
      ++position_;
    }
    ++position_;
    ++line_;
    column_ = 1;
  }

  void advance() {
    if (text_[position_] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
    ++position_;
  }

  std::string_view text_;
  std::string source_;
  std::vector<Diagnostic>& diagnostics_;
  std::size_t position_ = 0;
  std::int64_t line_ = 1;
  std::int64_t column_ = 1;
};

std::optional<double> parse_number(std::string_view text) {
  double value = 0.0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

// Outputs are named <slide_id>.<ext> and Snakemake matches it as a wildcard:
// a plain, portable file name.
bool is_valid_slide_id(std::string_view id) noexcept {
  return !id.empty() && id.size() <= max_slide_id_bytes && id.front() != '.' &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == '-';
         });
}

std::optional<std::string> slide_id_length_problem(std::string_view id) {
  if (id.size() <= max_slide_id_bytes) {
    return std::nullopt;
  }
  return "expected at most " + std::to_string(max_slide_id_bytes) + " bytes (it names the output files), got " +
         std::to_string(id.size());
}

std::optional<std::string> shared_output_problem(const std::vector<CohortSlide>& slides,
                                                 const std::vector<std::string>& suffixes) {
  std::map<std::string, const CohortSlide*, std::less<>> writer_of;
  for (const CohortSlide& slide : slides) {
    for (const std::string& suffix : suffixes) {
      const auto [first, inserted] = writer_of.emplace(slide.slide_id + suffix, &slide);
      if (!inserted) {
        return first->second->slide_path.string() + " and " + slide.slide_path.string() + " would both write " +
               first->first;
      }
    }
  }
  return std::nullopt;
}

Cohort Cohort::parse(std::string_view text, const std::string& source, const std::filesystem::path& base_directory) {
  std::vector<Diagnostic> diagnostics;
  CsvReader reader{text, source, diagnostics};

  std::optional<Record> header;
  while ((header = reader.next()) && header->blank()) {
  }
  if (!header) {
    add_diagnostic(diagnostics, source, 1, 1, "",
                   "the manifest is empty; expected a header line naming the columns (" + column_list() + ")");
    throw models::ConfigError(std::move(diagnostics));
  }
  if (header->malformed) {
    throw models::ConfigError(std::move(diagnostics));
  }
  std::map<std::string_view, std::size_t> column_of;
  for (std::size_t i = 0; i < header->fields.size(); ++i) {
    const Field& name = header->fields[i];
    const auto known = std::find(known_columns.begin(), known_columns.end(), name.text);
    if (known == known_columns.end()) {
      add_diagnostic(diagnostics, source, name.line, name.column, "",
                     "unknown column \"" + name.text + "\"; expected " + column_list());
    } else if (!column_of.emplace(*known, i).second) {
      add_diagnostic(diagnostics, source, name.line, name.column, "", "the column \"" + name.text + "\" appears twice");
    }
  }
  if (!column_of.contains(column_slide_path)) {
    add_diagnostic(diagnostics, source, header->line, 1, "", "the header has no slide_path column");
  }
  if (!diagnostics.empty()) {
    throw models::ConfigError(std::move(diagnostics));
  }

  const auto field_of = [&column_of](const Record& record, std::string_view column) -> const Field* {
    const auto found = column_of.find(column);
    return found == column_of.end() ? nullptr : &record.fields[found->second];
  };
  std::vector<CohortSlide> entries;
  std::map<std::string, std::int64_t, std::less<>> line_of_id;
  while (const std::optional<Record> record = reader.next()) {
    if (record->blank() || record->malformed) {
      continue;
    }
    if (record->fields.size() != header->fields.size()) {
      add_diagnostic(diagnostics, source, record->line, 1, "",
                     "expected " + std::to_string(header->fields.size()) + " fields as in the header, got " +
                         std::to_string(record->fields.size()));
      continue;
    }
    // A NUL byte would end the text early wherever it is used (another file
    // would be read): refused in every field, before anything reads them.
    bool valid = true;
    for (const std::string_view column : known_columns) {
      if (const Field* field = field_of(*record, column);
          field != nullptr && field->text.find('\0') != std::string::npos) {
        add_diagnostic(diagnostics, source, field->line, field->column, column,
                       "expected text without a NUL byte, got " + detail::quote(field->text));
        valid = false;
      }
    }
    if (!valid) {
      continue;
    }
    const Field& path_field = *field_of(*record, column_slide_path);
    std::filesystem::path slide_path = path_field.text;
    if (path_field.text.empty()) {
      add_diagnostic(diagnostics, source, path_field.line, path_field.column, "slide_path",
                     "expected a slide file, got nothing");
      valid = false;
    } else {
      if (slide_path.is_relative()) {
        slide_path = base_directory / slide_path;
      }
      if (const std::optional<detail::InputProblem> problem = detail::input_problem(slide_path, slide_file_rules)) {
        add_diagnostic(
            diagnostics, source, path_field.line, path_field.column, "slide_path",
            problem->error_number == ENOENT ? "no such file: \"" + slide_path.string() + "\"" : problem->reason);
        valid = false;
      }
    }

    const Field* id_field = field_of(*record, column_slide_id);
    const bool id_given = id_field != nullptr && !id_field->text.empty();
    const Field& id_location = id_given ? *id_field : path_field;
    std::string slide_id = id_given ? id_field->text : slide_path.stem().string();
    if (const std::optional<std::string> too_long = slide_id_length_problem(slide_id);
        too_long && !path_field.text.empty()) {
      add_diagnostic(diagnostics, source, id_location.line, id_location.column, id_given ? "slide_id" : "slide_path",
                     id_given
                         ? *too_long
                         : "the file stem is " + std::to_string(slide_id.size()) + " bytes, at most " +
                               std::to_string(max_slide_id_bytes) + " name the output files; give a slide_id column");
      valid = false;
    } else if (!path_field.text.empty() && !is_valid_slide_id(slide_id)) {
      add_diagnostic(
          diagnostics, source, id_location.line, id_location.column, id_given ? "slide_id" : "slide_path",
          std::string(id_given ? "" : "the file stem ") + "\"" + slide_id +
              "\" is not a usable slide_id: it names the outputs, so use letters, digits, '.', '_' and '-' (not "
              "first '.')" +
              (id_given ? "" : "; give a slide_id column"));
      valid = false;
    } else if (!slide_id.empty()) {
      const auto [first, inserted] = line_of_id.emplace(slide_id, record->line);
      if (!inserted) {
        add_diagnostic(diagnostics, source, id_location.line, id_location.column, id_given ? "slide_id" : "slide_path",
                       "duplicate slide_id \"" + slide_id + "\" (first on line " + std::to_string(first->second) + ")" +
                           (id_given ? "" : "; give the slides distinct slide_id values"));
        valid = false;
      }
    }

    std::optional<io::wsi::MPP> mpp_override;
    if (const Field* mpp_field = field_of(*record, column_mpp_override);
        mpp_field != nullptr && !mpp_field->text.empty()) {
      const std::optional<double> value = parse_number(mpp_field->text);
      if (value && io::wsi::MPP::is_valid(*value)) {
        mpp_override = io::wsi::MPP{*value};
      } else {
        add_diagnostic(diagnostics, source, mpp_field->line, mpp_field->column, "mpp_override",
                       "expected microns per pixel as a decimal number in [" +
                           detail::format_plain_number(io::wsi::MPP::min_value) + ", " +
                           detail::format_plain_number(io::wsi::MPP::max_value) + "] (e.g. 0.25), or nothing, got \"" +
                           mpp_field->text + "\"");
        valid = false;
      }
    }
    if (valid) {
      entries.push_back({std::move(slide_path), std::move(slide_id), mpp_override, record->line});
    }
  }
  if (diagnostics.empty() && entries.empty()) {
    add_diagnostic(diagnostics, source, header->line, 1, "", "the manifest lists no slides");
  }
  if (!diagnostics.empty()) {
    throw models::ConfigError(std::move(diagnostics));
  }
  return Cohort(std::move(entries));
}

Cohort Cohort::read(const std::filesystem::path& path) {
  std::string text;
  try {
    text = detail::read_input_file(path, manifest_file_rules);
  } catch (const detail::InputFileError& error) {
    std::vector<Diagnostic> diagnostics;
    add_diagnostic(diagnostics, path.string(), 0, 0, "", error.reason());
    throw models::ConfigError(std::move(diagnostics));
  }
  return parse(text, path.string(), path.parent_path());
}

CohortSummary Cohort::run(const std::function<SlideResult(const CohortSlide&, std::size_t index)>& work,
                          const std::function<void(const SlideReport&)>& report) const {
  using Clock = std::chrono::steady_clock;
  CohortSummary summary{.slides = slides_.size()};
  for (std::size_t i = 0; i < slides_.size(); ++i) {
    const Clock::time_point start = Clock::now();
    SlideResult result;
    std::string error;
    std::exception_ptr exception;
    try {
      result = work(slides_[i], i);
    } catch (const std::exception& failure) {
      result = SlideResult{.status = SlideStatus::failed};
      error = failure.what();
      exception = std::current_exception();
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    summary.failed += result.status == SlideStatus::failed ? 1 : 0;
    summary.skipped += result.status == SlideStatus::skipped ? 1 : 0;
    if (result.status == SlideStatus::ok) {
      summary.tiles += result.tiles;
      summary.model_seconds += result.model_seconds;
    }
    if (report) {
      report(SlideReport{.slide = slides_[i],
                         .index = i,
                         .result = std::move(result),
                         .seconds = seconds,
                         .error = std::move(error),
                         .exception = std::move(exception)});
    }
  }
  return summary;
}

}  // namespace bioptimus::pipeline
