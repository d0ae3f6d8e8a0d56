#include "diagnostic_sink.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "loader.hpp"

namespace bioptimus::detail {

void DiagnosticSink::error(const models::ConfigLocation& where, std::string field, std::string message) {
  mark_failed(field);
  // Past a few times the cap, problems are only counted: a hostile file of
  // a hundred thousand bad keys costs no more memory than a bad file.
  if (saturated()) {
    ++uncollected_;
    return;
  }
  diagnostics_.push_back({where, std::move(field), std::move(message)});
}

void DiagnosticSink::error(const YamlNode& node, std::string field, std::string message) {
  if (const std::optional<TextMark> anchor = node.anchor(); anchor && !saturated()) {
    message += " (the value of the anchor at line " + std::to_string(anchor->line) + ", column " +
               std::to_string(anchor->column) + ")";
  }
  error(locate(node), std::move(field), std::move(message));
}

bool DiagnosticSink::suppressed(const Violation& violation) const {
  return failed_.contains(root_of(violation.field)) ||
         std::any_of(violation.related.begin(), violation.related.end(),
                     [&](const std::string& related) { return failed_.contains(related); });
}

std::vector<models::Diagnostic> DiagnosticSink::take() {
  using models::LoadLimits;
  std::vector<models::Diagnostic> out = std::move(diagnostics_);
  sort_in_file_order(out);
  if (out.size() + uncollected_ > LoadLimits::max_diagnostics) {
    const std::size_t omitted = out.size() + uncollected_ - LoadLimits::max_diagnostics;
    out.resize(LoadLimits::max_diagnostics);
    const models::ConfigLocation last = out.back().location;
    out.push_back({last, "",
                   std::to_string(omitted) + " more problems after this one are not shown (at most " +
                       std::to_string(LoadLimits::max_diagnostics) + " are reported per config)"});
  }
  return out;
}

}  // namespace bioptimus::detail
