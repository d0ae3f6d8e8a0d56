#include "model_config.hpp"

#include <string>

#include "json_document.hpp"

namespace bioptimus::engine::detail {

ModelConfig read_model_config(std::string_view config_json, std::string_view source,
                              std::span<const ArgumentLayer> layers) {
  JsonProblem problem;
  const nlohmann::json config = parse_json(config_json, 32, problem);
  // A config without timm's "architecture" but with transformers' "model_type".
  const bool transformers = problem.message.empty() && config.is_object() && !config.contains("architecture") &&
                            config.contains("model_type");
  if (!transformers) {
    return {.architecture = architecture_from_timm_config(config_json, source, layers), .names = CheckpointNames::timm};
  }
  for (const ArgumentLayer& layer : layers) {
    if (!layer.json.empty()) {
      throw ArchitectureError(std::string{source} + ": a transformers config.json (model_type " +
                              config.at("model_type").dump() + ") with " + layer.origin +
                              "s: create_model arguments are timm's");
    }
  }
  VitArchitecture architecture = VitArchitecture::from_transformers_config(config_json, source);
  const CheckpointNames names =
      config.at("model_type") == "vit" ? CheckpointNames::transformers_vit : CheckpointNames::transformers_dinov2;
  return {.architecture = std::move(architecture), .names = names};
}

}  // namespace bioptimus::engine::detail
