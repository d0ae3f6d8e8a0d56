// A model's config.json, whichever library wrote it (internal): timm's
// (`"architecture"`) or transformers' (`"model_type"`), read into the
// architecture and the state-dict names its checkpoint uses.
#ifndef BIOPTIMUS_SRC_ENGINE_MODEL_CONFIG_HPP
#define BIOPTIMUS_SRC_ENGINE_MODEL_CONFIG_HPP

#include <span>
#include <string_view>

#include "bioptimus/engine/architecture.hpp"
#include "timm_config.hpp"

namespace bioptimus::engine::detail {

/// The state-dict names of a checkpoint.
enum class CheckpointNames { timm, transformers_vit, transformers_dinov2 };

struct ModelConfig {
  VitArchitecture architecture;
  CheckpointNames names;
};

/// Reads `config_json`; the create_model `layers` apply to timm configs only
/// (a transformers config with create_model arguments is refused).
/// @throws ArchitectureError naming `source` and the field.
[[nodiscard]] ModelConfig read_model_config(std::string_view config_json, std::string_view source,
                                            std::span<const ArgumentLayer> layers);

}  // namespace bioptimus::engine::detail

#endif  // BIOPTIMUS_SRC_ENGINE_MODEL_CONFIG_HPP
