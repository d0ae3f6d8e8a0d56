// Registry: an immutable, name-sorted set of specs; the built-in one is
// built from the specs generated from configs/ at build time, once.
#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/models/registry.hpp"
#include "builtin_specs.hpp"
#include "loader.hpp"

namespace bioptimus::models {
namespace {

std::string known_names(const std::vector<std::string_view>& names) {
  std::string text;
  for (const std::string_view name : names) {
    text += text.empty() ? "" : ", ";
    text += name;
  }
  return text.empty() ? "(none)" : text;
}

// model_positions_ is indexed by an enumerator's value.
constexpr bool enumerators_are_positions() {
  for (std::size_t i = 0; i < all_models.size(); ++i) {
    if (static_cast<std::size_t>(all_models[i]) != i) {
      return false;
    }
  }
  return true;
}
static_assert(enumerators_are_positions(), "all_models must list Models in declaration order, from 0");

void sort_by_name(std::vector<ModelSpec>& specs) {
  const auto by_name = [](const ModelSpec& a, const ModelSpec& b) { return a.model_name() < b.model_name(); };
  // Checked first: the built-in specs and a merge of sorted registries come
  // sorted, and std::sort would still move every spec.
  if (!std::is_sorted(specs.begin(), specs.end(), by_name)) {
    std::sort(specs.begin(), specs.end(), by_name);
  }
}

}  // namespace

Registry::Registry(std::vector<ModelSpec> specs) : specs_(std::move(specs)) {
  sort_by_name(specs_);
  const auto repeated = std::adjacent_find(specs_.begin(), specs_.end(), [](const ModelSpec& a, const ModelSpec& b) {
    return a.model_name() == b.model_name();
  });
  if (repeated != specs_.end()) {
    throw LookupError("registry: model name \"" + repeated->model_name() + "\" is given twice");
  }
  for (const Models model : all_models) {
    const ModelSpec* spec = find(to_string(model));
    model_positions_[static_cast<std::size_t>(model)] =
        spec != nullptr ? static_cast<std::size_t>(spec - specs_.data()) : specs_.size();
  }
}

}  // namespace bioptimus::models

namespace bioptimus::detail {

std::vector<models::ModelSpec> builtin_specs() {
  const std::span<const BuiltinSpecRow> rows = builtin_spec_rows();
  std::vector<models::ModelSpec> specs;
  specs.reserve(rows.size());
  for (const BuiltinSpecRow& row : rows) {
    specs.emplace_back(models::ModelSpec::Fields{
        .model_name = std::string(row.model_name),
        .version = std::string(row.version),
        .weights_source = std::optional<std::string>(row.weights_source),
        .license = std::optional<std::string>(row.license),
        .tile_spec = row.tile_spec,
        .num_channels = row.num_channels,
        .mean = std::vector<double>(row.mean.begin(), row.mean.end()),
        .std = std::vector<double>(row.std.begin(), row.std.end()),
        .interpolation = row.interpolation,
        .antialias = row.antialias,
        .color_space = row.color_space,
        .stain_normalization = row.stain_normalization,
        .stain_target = row.stain_target,
        .architecture = row.architecture,
        .patch_size = row.patch_size,
        .num_prefix_tokens = row.num_prefix_tokens,
        .embedding_dim = row.embedding_dim,
        .output_type = row.output_type,
        .output_spatial_dims = row.output_spatial_dims,
        .precision = row.precision,
    });
  }
  return specs;
}

}  // namespace bioptimus::detail

namespace bioptimus::models {

const Registry& Registry::builtin() {
  // A magic static: initialised once, thread-safely, on first use. The specs
  // were loaded and validated when the library was built; here they are only
  // constructed from the generated table (no YAML is parsed at run time).
  static const Registry registry(detail::builtin_specs());
  return registry;
}

Registry Registry::from_directory(const std::filesystem::path& directory) {
  const std::string directory_name = directory.string();
  std::error_code status;
  if (!std::filesystem::is_directory(directory, status)) {
    throw ConfigError(
        {Diagnostic{ConfigLocation{directory_name, 0, 0}, "",
                    status ? "cannot open directory: " + status.message() : "expected a directory of *.yaml configs"}});
  }
  std::vector<std::filesystem::path> files;
  for (std::filesystem::directory_iterator entry(directory, status), end; !status && entry != end;
       entry.increment(status)) {
    const std::filesystem::path& path = entry->path();
    if ((path.extension() == ".yaml" || path.extension() == ".yml") && !entry->is_directory(status)) {
      files.push_back(path);
    }
  }
  if (status) {
    throw ConfigError(
        {Diagnostic{ConfigLocation{directory_name, 0, 0}, "", "cannot list directory: " + status.message()}});
  }
  if (files.empty()) {
    throw ConfigError({Diagnostic{ConfigLocation{directory_name, 0, 0}, "", "no *.yaml or *.yml configs found"}});
  }
  std::sort(files.begin(), files.end());

  std::vector<ModelSpec> specs;
  std::vector<Diagnostic> problems;
  std::map<std::string, std::string> file_of_name;
  for (const std::filesystem::path& path : files) {
    try {
      detail::LocatedSpec loaded = detail::load_located_spec(path);
      const std::string& name = loaded.spec.model_name();
      if (const auto [previous, inserted] = file_of_name.emplace(name, path.string()); !inserted) {
        problems.push_back({loaded.model_name_location, "model_name",
                            "model name \"" + name + "\" is already defined in " + previous->second});
      } else {
        specs.push_back(std::move(loaded.spec));
      }
    } catch (const ConfigError& error) {
      problems.insert(problems.end(), error.diagnostics().begin(), error.diagnostics().end());
    }
  }
  if (!problems.empty()) {
    throw ConfigError(std::move(problems));
  }
  return Registry(std::move(specs));
}

Registry Registry::from_specs(std::vector<ModelSpec> specs) { return Registry(std::move(specs)); }

Registry Registry::merge(const Registry& first, const Registry& second) {
  std::vector<ModelSpec> specs(first.specs_.begin(), first.specs_.end());
  specs.insert(specs.end(), second.specs_.begin(), second.specs_.end());
  return Registry(std::move(specs));
}

const ModelSpec* Registry::find(std::string_view model_name) const noexcept {
  const auto found =
      std::lower_bound(specs_.begin(), specs_.end(), model_name,
                       [](const ModelSpec& spec, std::string_view name) { return spec.model_name() < name; });
  return found != specs_.end() && found->model_name() == model_name ? &*found : nullptr;
}

const ModelSpec& Registry::get(std::string_view model_name) const {
  if (const ModelSpec* spec = find(model_name)) {
    return *spec;
  }
  const std::vector<std::string_view> known = names();
  // The name may come from a command line: quoted, so that no byte of it
  // reaches a terminal raw.
  std::string message = "unknown model " + detail::quote(model_name);
  if (const auto suggestion = detail::nearest_spelling(model_name, known)) {
    message += " (did you mean \"" + *suggestion + "\"?)";
  }
  throw LookupError(message + "; known models: " + known_names(known));
}

const ModelSpec& Registry::get(Models model) const {
  // A value outside the enumerators (a cast integer) is looked up by name
  // too, and so reported like any unknown model.
  const auto slot = static_cast<std::size_t>(model);
  if (slot < model_positions_.size() && model_positions_[slot] < specs_.size()) {
    return specs_[model_positions_[slot]];
  }
  return get(to_string(model));
}

std::vector<std::string_view> Registry::names() const {
  std::vector<std::string_view> out;
  out.reserve(specs_.size());
  for (const ModelSpec& spec : specs_) {
    out.push_back(spec.model_name());
  }
  return out;
}

}  // namespace bioptimus::models
