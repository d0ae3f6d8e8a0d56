// config.json -> VitArchitecture with any number of create_model argument
// sets layered on top (internal): the model card's, then the caller's.
#ifndef BIOPTIMUS_SRC_ENGINE_TIMM_CONFIG_HPP
#define BIOPTIMUS_SRC_ENGINE_TIMM_CONFIG_HPP

#include <span>
#include <string>
#include <string_view>

#include "bioptimus/engine/architecture.hpp"

namespace bioptimus::engine::detail {

/// A JSON object of create_model keyword arguments and what to call it in
/// messages ("the model card of bioptimus/H0-mini", "create_model argument").
struct ArgumentLayer {
  std::string origin;
  std::string_view json;
};

/// As VitArchitecture::from_timm_config, with `layers` applied in order.
[[nodiscard]] VitArchitecture architecture_from_timm_config(std::string_view config_json, std::string_view source,
                                                            std::span<const ArgumentLayer> layers);

}  // namespace bioptimus::engine::detail

#endif  // BIOPTIMUS_SRC_ENGINE_TIMM_CONFIG_HPP
