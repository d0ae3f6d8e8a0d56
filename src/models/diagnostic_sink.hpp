// Where the loader's problems go: every diagnostic of one config, capped,
// and which fields could not be read (so that rules comparing against them
// are left out rather than reported against a stand-in value).
#ifndef BIOPTIMUS_SRC_DIAGNOSTIC_SINK_HPP
#define BIOPTIMUS_SRC_DIAGNOSTIC_SINK_HPP

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "bioptimus/error.hpp"
#include "bioptimus/models/registry.hpp"
#include "yaml_document.hpp"

namespace bioptimus::detail {

class DiagnosticSink {
 public:
  explicit DiagnosticSink(std::string source) : source_(std::move(source)) {}

  /// The location of a mark in this config (0:0 = the whole file).
  [[nodiscard]] models::ConfigLocation locate(TextMark mark) const { return {source_, mark.line, mark.column}; }
  /// Where a node is used.
  [[nodiscard]] models::ConfigLocation locate(const YamlNode& node) const { return locate(node.mark()); }

  /// Records a problem of `field`, which is then failed.
  void error(const models::ConfigLocation& where, std::string field, std::string message);
  /// Records a problem at a node; through an alias, at the alias, naming the anchor.
  void error(const YamlNode& node, std::string field, std::string message);

  void mark_failed(const std::string& field) { failed_.insert(root_of(field)); }
  [[nodiscard]] bool failed(const std::string& field) const { return failed_.contains(field); }

  /// Whether a violation should be left out: its field, or a field its rule
  /// compared against, could not be read (a stand-in value took its place).
  [[nodiscard]] bool suppressed(const Violation& violation) const;

  /// Whether more diagnostics would only be counted (see error()).
  [[nodiscard]] bool saturated() const { return diagnostics_.size() >= 4 * models::LoadLimits::max_diagnostics; }
  [[nodiscard]] bool ok() const { return diagnostics_.empty(); }

  /// The diagnostics in file order, at most LoadLimits::max_diagnostics of
  /// them plus one that counts the rest.
  [[nodiscard]] std::vector<models::Diagnostic> take();
  [[nodiscard]] const std::string& source() const { return source_; }

 private:
  static std::string root_of(const std::string& field) { return field.substr(0, field.find_first_of(".[")); }

  std::string source_;
  std::vector<models::Diagnostic> diagnostics_;
  std::size_t uncollected_ = 0;
  std::set<std::string, std::less<>> failed_;
};

}  // namespace bioptimus::detail

#endif  // BIOPTIMUS_SRC_DIAGNOSTIC_SINK_HPP
