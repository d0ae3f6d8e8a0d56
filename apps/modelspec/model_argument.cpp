#include "model_argument.hpp"

#include <filesystem>

namespace bioptimus::apps {

models::ModelSpec resolve_model(const models::Registry& registry, const std::string& target) {
  if (const models::ModelSpec* spec = registry.find(target)) {
    return *spec;
  }
  const std::filesystem::path path(target);
  const bool names_a_file = path.has_parent_path() || path.extension() == ".yaml" || path.extension() == ".yml";
  return names_a_file ? models::load_spec(path) : registry.get(target);
}

}  // namespace bioptimus::apps
