// The native backend: the engine's VitModel (bioptimus::engine) gives the
// token sequence, which the Backbone's Readout turns into the embedding. The
// engine's errors (files, architecture, shapes) become BackboneErrors with
// their messages, which name the files.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "backend.hpp"
#include "bioptimus/engine/vit_model.hpp"

namespace bioptimus::inference::detail {
namespace {

class NativeBackend final : public Backend {
 public:
  NativeBackend(engine::VitModel model, std::string precision_reason)
      : model_(std::move(model)), precision_reason_(std::move(precision_reason)) {}

  [[nodiscard]] std::vector<std::int64_t> tile_output_shape() const override {
    return {model_.tokens_per_tile(), model_.token_dim()};
  }
  [[nodiscard]] models::Precision precision() const noexcept override { return model_.precision(); }
  [[nodiscard]] const std::string& precision_reason() const noexcept override { return precision_reason_; }
  [[nodiscard]] const std::vector<std::string>& warnings() const noexcept override { return warnings_; }
  [[nodiscard]] std::string describe() const override { return model_.describe(); }

  void embed(std::span<const float> tiles, std::size_t batch, const models::Readout& readout,
             std::span<float> embeddings, const std::string& name) override {
    tokens_.resize(batch * readout.input_size());
    try {
      model_.run(tiles, tokens_);
    } catch (const Error& error) {
      throw BackboneError(name + ": " + error.what());
    }
    readout.apply(std::span<const float>{tokens_}, embeddings);
  }

 private:
  engine::VitModel model_;
  std::string precision_reason_;
  std::vector<std::string> warnings_;  // none: the engine links no BLAS
  std::vector<float> tokens_;          // reused across batches
};

}  // namespace

std::unique_ptr<Backend> load_native(const std::filesystem::path& weights, const models::ModelSpec& spec,
                                     const BackboneOptions& options, PrecisionChoice choice) {
  if (options.device != "cpu") {
    throw BackboneError(weights.string() + ": the native engine runs on the CPU only; device " + options.device +
                        " needs a TorchScript model on LibTorch");
  }
  engine::EngineOptions engine_options;
  engine_options.precision = choice.precision;
  engine_options.threads = options.threads;
  engine_options.create_model_args = options.create_model_args;
  try {
    engine::VitModel model = engine::VitModel::load(weights, spec, engine_options);
    // bf16 decided where oneDNN has no bf16 product (bf16 asked for on an AVX2 CPU): the engine's fallback too.
    std::string reason =
        model.precision_note().empty() ? std::move(choice.reason) : choice.reason + "; " + model.precision_note();
    return std::make_unique<NativeBackend>(std::move(model), std::move(reason));
  } catch (const BackboneError&) {
    throw;
  } catch (const Error& error) {
    throw BackboneError(error.what());
  }
}

}  // namespace bioptimus::inference::detail
