// The built-in configs, compiled into the library by cmake/EmbedConfigs.cmake.
#ifndef BIOPTIMUS_SRC_EMBEDDED_CONFIGS_HPP
#define BIOPTIMUS_SRC_EMBEDDED_CONFIGS_HPP

#include <span>
#include <string_view>

namespace bioptimus::detail {

/// One config file of configs/, by file name, with its bytes.
struct EmbeddedConfig {
  std::string_view file_name;
  std::string_view text;
};

/// Every config of configs/, sorted by file name.
std::span<const EmbeddedConfig> embedded_configs() noexcept;

}  // namespace bioptimus::detail

#endif  // BIOPTIMUS_SRC_EMBEDDED_CONFIGS_HPP
