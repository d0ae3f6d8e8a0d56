// The timm defaults the engine resolves a config.json against (internal): the
// VisionTransformer constructor's, each registry architecture's, and the
// create_model arguments some model cards pass in code.
#ifndef BIOPTIMUS_SRC_ENGINE_TIMM_DEFAULTS_HPP
#define BIOPTIMUS_SRC_ENGINE_TIMM_DEFAULTS_HPP

#include <span>
#include <string_view>

namespace bioptimus::engine::detail {

/// A set of timm keyword arguments as a JSON object, and where it was read.
struct TimmArguments {
  std::string_view name;
  std::string_view json;
  std::string_view source;
};

/// VisionTransformer.__init__'s defaults, for the arguments the engine reads.
[[nodiscard]] const TimmArguments& vision_transformer_defaults() noexcept;

/// The timm architectures the engine knows, with their model_args.
[[nodiscard]] std::span<const TimmArguments> timm_architectures() noexcept;

/// The architecture called `name`, or nullptr.
[[nodiscard]] const TimmArguments* find_timm_architecture(std::string_view name) noexcept;

/// The create_model keyword arguments the model card of the Hugging Face
/// repository `repository` ("bioptimus/H0-mini", any case) passes in code, or
/// nullptr when it passes none that config.json lacks.
[[nodiscard]] const TimmArguments* find_card_arguments(std::string_view repository) noexcept;

}  // namespace bioptimus::engine::detail

#endif  // BIOPTIMUS_SRC_ENGINE_TIMM_DEFAULTS_HPP
