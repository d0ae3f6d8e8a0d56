// bioptimus/models/registry.hpp
//
// Loading ModelSpecs from YAML configs and looking them up by model.
//
//   using namespace bioptimus::models;
//   const ModelSpec& spec = Registry::builtin().get(Models::h0_mini);
//   const ModelSpec mine = load_spec("configs/my-model.yaml");  // ConfigError on a bad file
//
// The YAML parser (yaml-cpp) is an implementation detail of the compiled
// library: nothing here mentions it.
#ifndef BIOPTIMUS_MODELS_REGISTRY_HPP
#define BIOPTIMUS_MODELS_REGISTRY_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bioptimus/error.hpp"
#include "bioptimus/export.hpp"
#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/models/models.hpp"

namespace bioptimus::models {

/// Where a problem is: a file (or source name) and a 1-based line and column;
/// line and column are 0 when the problem concerns the whole file.
struct ConfigLocation {
  std::string path;
  std::int64_t line = 0;
  std::int64_t column = 0;

  friend bool operator==(const ConfigLocation&, const ConfigLocation&) = default;
};

/// One problem in a config, as a compiler would report it.
struct Diagnostic {
  ConfigLocation location;
  /// Dotted path of the field, e.g. "tile_spec.size" or "mean[2]"; empty when
  /// the problem is not about one field (a YAML syntax error, say).
  std::string field;
  /// What was expected and what was found.
  std::string message;

  /// `FILE:LINE:COL: error: FIELD: MESSAGE` (LINE:COL left out when unknown).
  [[nodiscard]] BIOPTIMUS_EXPORT std::string to_string() const;

  friend bool operator==(const Diagnostic&, const Diagnostic&) = default;
};

/// Thrown when one or more configs cannot be loaded; carries the problems
/// found, in file order (per config at most LoadLimits::max_diagnostics, then
/// one that counts the rest). what() is their to_string() lines joined by '\n'.
class BIOPTIMUS_EXPORT ConfigError : public Error {
 public:
  explicit ConfigError(std::vector<Diagnostic> diagnostics);
  ConfigError(const ConfigError&) = default;
  ConfigError& operator=(const ConfigError&) = default;
  ~ConfigError() override;

  /// Every problem, sorted by file, line and column.
  [[nodiscard]] const std::vector<Diagnostic>& diagnostics() const noexcept { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

/// Thrown by a failed registry lookup; the message lists the known names.
class BIOPTIMUS_EXPORT LookupError : public Error {
 public:
  using Error::Error;
  LookupError(const LookupError&) = default;
  LookupError& operator=(const LookupError&) = default;
  /// Out of line, so that the vtable and typeinfo live in the library.
  ~LookupError() override;
};

/// Limits that keep a hostile config from exhausting time or memory.
struct LoadLimits {
  /// Largest config accepted, in bytes: 1 MiB.
  static constexpr std::size_t max_bytes = std::size_t{1} << 20;
  /// Deepest nesting of maps and sequences accepted.
  static constexpr std::size_t max_depth = 32;
  /// Most aliases (`*name`) accepted in one config.
  static constexpr std::size_t max_aliases = 64;
  /// Most diagnostics reported for one config; a last one counts the rest.
  static constexpr std::size_t max_diagnostics = 50;
};

/// Parses one model config from YAML text. `source_name` is what diagnostics
/// call the text (a file name, typically).
/// @throws ConfigError with every problem of the text.
[[nodiscard]] BIOPTIMUS_EXPORT ModelSpec parse_spec(std::string_view yaml, std::string_view source_name);

/// Loads one model config file; its stem must be its model_name.
/// @throws ConfigError when the file cannot be read or is not a valid config.
[[nodiscard]] BIOPTIMUS_EXPORT ModelSpec load_spec(const std::filesystem::path& path);

/// The canonical YAML form of a spec: every key of the schema in schema
/// order, defaults written out. parse_spec() of it gives an equal spec.
[[nodiscard]] BIOPTIMUS_EXPORT std::string to_yaml(const ModelSpec& spec);

/// An immutable set of ModelSpecs with unique model names, sorted by name.
/// Reads are thread-safe (nothing changes after construction).
class BIOPTIMUS_EXPORT Registry {
 public:
  /// The process-wide registry of the built-in configs, compiled into the
  /// library: it needs no file on disk. Built on first use, thread-safely.
  [[nodiscard]] static const Registry& builtin();

  /// Every `*.yaml` / `*.yml` file of `directory` (not recursive). Each file's
  /// stem must equal its model_name and names must be unique. A directory
  /// with any bad file loads nothing.
  /// @throws ConfigError listing every bad file's problems.
  [[nodiscard]] static Registry from_directory(const std::filesystem::path& directory);

  /// A registry of the given specs.
  /// @throws LookupError when two specs share a model name.
  [[nodiscard]] static Registry from_specs(std::vector<ModelSpec> specs);

  /// The specs of both registries.
  /// @throws LookupError when a model name is in both.
  [[nodiscard]] static Registry merge(const Registry& first, const Registry& second);

  /// The spec of a built-in model.
  /// @throws LookupError when this registry does not hold it.
  [[nodiscard]] const ModelSpec& get(Models model) const;
  /// The spec named `model_name`.
  /// @throws LookupError, listing the known names, when there is none.
  [[nodiscard]] const ModelSpec& get(std::string_view model_name) const;
  /// The spec named `model_name`, or nullptr.
  [[nodiscard]] const ModelSpec* find(std::string_view model_name) const noexcept;
  /// A literal 0 or nullptr would become a null std::string_view (undefined
  /// behaviour): such a lookup does not compile.
  const ModelSpec& get(std::nullptr_t) const = delete;
  /// See get(std::nullptr_t).
  const ModelSpec* find(std::nullptr_t) const = delete;

  /// Every spec, sorted by model name.
  [[nodiscard]] std::span<const ModelSpec> specs() const noexcept { return specs_; }
  /// Every model name, sorted.
  [[nodiscard]] std::vector<std::string_view> names() const;
  /// Number of specs.
  [[nodiscard]] std::size_t size() const noexcept { return specs_.size(); }

 private:
  explicit Registry(std::vector<ModelSpec> specs);

  std::vector<ModelSpec> specs_;
  /// Where each Models enumerator's spec is in specs_ (specs_.size() when this
  /// registry lacks it), so that get(Models) compares no names.
  std::array<std::size_t, all_models.size()> model_positions_{};
};

}  // namespace bioptimus::models

#endif  // BIOPTIMUS_MODELS_REGISTRY_HPP
