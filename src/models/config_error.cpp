#include <algorithm>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/models/registry.hpp"
#include "loader.hpp"

namespace bioptimus::detail {

void sort_in_file_order(std::vector<models::Diagnostic>& diagnostics) {
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [](const models::Diagnostic& a, const models::Diagnostic& b) {
                     return std::tie(a.location.path, a.location.line, a.location.column) <
                            std::tie(b.location.path, b.location.line, b.location.column);
                   });
}

}  // namespace bioptimus::detail

namespace bioptimus::models {

namespace {

std::vector<Diagnostic> sorted(std::vector<Diagnostic> diagnostics) {
  detail::sort_in_file_order(diagnostics);
  return diagnostics;
}

std::string join(const std::vector<Diagnostic>& diagnostics) {
  std::string text;
  for (const Diagnostic& diagnostic : diagnostics) {
    if (!text.empty()) {
      text += '\n';
    }
    text += diagnostic.to_string();
  }
  return text;
}

}  // namespace

// Every part may hold bytes of the user's (a file name, a key, a value), so
// every part is escaped: one diagnostic is one clean line.
std::string Diagnostic::to_string() const {
  std::string text = detail::escape_controls(location.path);
  if (location.line > 0) {
    text += ':' + std::to_string(location.line) + ':' + std::to_string(location.column);
  }
  text += ": error: ";
  if (!field.empty()) {
    text += detail::escape_controls(field) + ": ";
  }
  return text + detail::escape_controls(message);
}

// The base is initialised first: it sorts the parameter in place, and the
// member then takes the sorted list.
ConfigError::ConfigError(std::vector<Diagnostic> diagnostics)
    : Error(join(diagnostics = sorted(std::move(diagnostics)))), diagnostics_(std::move(diagnostics)) {}

// Out of line, so that the vtable and typeinfo live in the library.
ConfigError::~ConfigError() = default;

}  // namespace bioptimus::models
