// bioptimus/inference/weights.hpp
//
// Where a model's weights are when the user names none: the spec's
// weights_source ("bioptimus/H0-mini") in the local Hugging Face hub cache, as
// huggingface_hub lays it out and finds it offline
// (<cache>/models--bioptimus--H0-mini/snapshots/<the commit refs/main names>).
//
//   const std::filesystem::path weights = resolve_weights(spec, std::nullopt);  // a snapshot folder
//   Backbone backbone = Backbone::load(weights, spec);                          // the native engine
//
// Nothing is downloaded. Standard library only.
#ifndef BIOPTIMUS_INFERENCE_WEIGHTS_HPP
#define BIOPTIMUS_INFERENCE_WEIGHTS_HPP

#include <filesystem>
#include <optional>
#include <string_view>

#include "bioptimus/inference/backbone.hpp"
#include "bioptimus/models/model_spec.hpp"

namespace bioptimus::inference {

/// The hub cache folder, as huggingface_hub's constants.py resolves it:
/// $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE (the older name), else
/// $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else
/// ~/.cache/huggingface/hub (a leading ~ expanded in each).
[[nodiscard]] BIOPTIMUS_VISIBLE_TYPE std::filesystem::path hugging_face_hub_cache();

/// The snapshot folder of the model repository `repository` ("ORG/NAME") in
/// `cache`: snapshots/<commit>, the commit read from refs/main (or the only
/// snapshot when refs/main is missing).
/// @throws BackboneError saying what is missing, where it looked, and how to get it.
[[nodiscard]] BIOPTIMUS_VISIBLE_TYPE std::filesystem::path find_snapshot(std::string_view repository,
                                                                         const std::filesystem::path& cache);

/// The weights to load for `spec`: `given` when there is one (a TorchScript
/// file, a .safetensors file or a snapshot folder), else the snapshot of the
/// spec's weights_source in hugging_face_hub_cache().
/// @throws BackboneError when nothing is given and the spec names no Hugging
///   Face repository, or its snapshot is not in the cache.
[[nodiscard]] BIOPTIMUS_VISIBLE_TYPE std::filesystem::path resolve_weights(
    const models::ModelSpec& spec, const std::optional<std::filesystem::path>& given);

}  // namespace bioptimus::inference

#endif  // BIOPTIMUS_INFERENCE_WEIGHTS_HPP
