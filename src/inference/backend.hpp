// The engines behind Backbone (internal): each loads its weights, says what
// one tile's output looks like, and runs batches into the spec's embedding
// through the Readout the Backbone made from that shape. The TorchScript
// backend exists when LibTorch was found, the native one when the engine was
// built; backbone.cpp chooses between them by the weights' form.
#ifndef BIOPTIMUS_SRC_INFERENCE_BACKEND_HPP
#define BIOPTIMUS_SRC_INFERENCE_BACKEND_HPP

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bioptimus/inference/backbone.hpp"
#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/models/readout.hpp"
#include "precision.hpp"

namespace bioptimus::inference::detail {

class Backend {
 public:
  Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;
  virtual ~Backend() = default;

  /// One tile's output shape, without the batch axis.
  [[nodiscard]] virtual std::vector<std::int64_t> tile_output_shape() const = 0;
  /// The precision it runs in: the decided one, or the engine's fallback from it.
  [[nodiscard]] virtual models::Precision precision() const noexcept = 0;
  /// Why: the decision's reason, and the fallback's.
  [[nodiscard]] virtual const std::string& precision_reason() const noexcept = 0;
  /// What on this machine makes the engine slower than it could be; usually empty.
  [[nodiscard]] virtual const std::vector<std::string>& warnings() const noexcept = 0;
  /// The engine's own lines for Backbone::describe().
  [[nodiscard]] virtual std::string describe() const = 0;
  /// Runs `batch` whole tiles and reads the output out into `embeddings`.
  /// @throws BackboneError naming `name` when the model fails.
  virtual void embed(std::span<const float> tiles, std::size_t batch, const models::Readout& readout,
                     std::span<float> embeddings, const std::string& name) = 0;
};

/// TorchScript on LibTorch, in `precision` (choose_precision's). @throws BackboneError
std::unique_ptr<Backend> load_torchscript(const std::filesystem::path& file, const models::ModelSpec& spec,
                                          const BackboneOptions& options, PrecisionChoice precision);

/// safetensors + config.json on the native engine, in `precision`
/// (choose_precision's) where oneDNN runs it. @throws BackboneError
std::unique_ptr<Backend> load_native(const std::filesystem::path& weights, const models::ModelSpec& spec,
                                     const BackboneOptions& options, PrecisionChoice precision);

}  // namespace bioptimus::inference::detail

#endif  // BIOPTIMUS_SRC_INFERENCE_BACKEND_HPP
