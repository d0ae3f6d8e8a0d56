// bioptimus/engine/vit_model.hpp
//
// The native ViT engine: a model's published weights (a Hugging Face timm
// repository: model.safetensors + config.json) to token sequences, with no
// Python, TorchScript or LibTorch. Matrix products run on oneDNN (bf16 with
// fp32 accumulation where the CPU has native bf16, fp32 otherwise), with bias,
// activation, LayerScale and the residual fused in; LayerNorm, softmax and
// attention are fp32 SIMD kernels chosen at run time for the CPU at hand.
// Weights are converted and laid out once at load, after which the file is
// let go; buffers are kept and reused from one batch to the next.
//
//   const ModelSpec& spec = Registry::builtin().get(Models::h0_mini);
//   VitModel model = VitModel::load("~/.cache/huggingface/hub/models--bioptimus--H0-mini/snapshots/<rev>", spec);
//   std::vector<float> tokens(batch * model.tokens_per_tile() * model.token_dim());
//   model.run(tiles, tokens);            // tiles: float32 CHW, batch first, as the Preprocessor writes them
//   // then models::Readout{spec, {tokens_per_tile, token_dim}}.apply(tokens, embeddings)
//
// Standard library only: oneDNN, Highway and OpenMP stay inside the library.
#ifndef BIOPTIMUS_ENGINE_VIT_MODEL_HPP
#define BIOPTIMUS_ENGINE_VIT_MODEL_HPP

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "bioptimus/engine/architecture.hpp"
#include "bioptimus/error.hpp"
#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/models/vocabulary.hpp"

namespace bioptimus::engine {

/// Thrown when a model cannot be loaded or run: a missing or malformed file,
/// weights that do not fit the architecture (naming the tensor and both
/// shapes), an architecture that does not fit the spec, wrong buffer sizes.
class BIOPTIMUS_VISIBLE_TYPE EngineError : public Error {
 public:
  using Error::Error;
};

/// How a model is loaded and run.
struct EngineOptions {
  /// The precision of the matrix products, decided by the caller (the
  /// Backbone decides it as for every engine: docs/inference.md). bf16 runs
  /// where oneDNN has a bf16 matrix product (AVX-512 and up; native with
  /// AVX512-BF16 or AMX) and falls back to fp32 elsewhere, which
  /// VitModel::precision_note() says. fp16 is refused: oneDNN 2.6 has no fp16
  /// matrix product on CPUs.
  models::Precision precision = models::Precision::fp32;
  /// Threads for one batch (OpenMP's, which oneDNN uses); 0: OpenMP's default.
  int threads = 0;
  /// timm.create_model keyword arguments as a JSON object, for what a model
  /// card passes in code and config.json lacks, e.g.
  /// `{"mlp_layer": "SwiGLUPacked", "act_layer": "silu"}`. Applied after the
  /// arguments the engine knows for the spec's weights_source.
  std::string create_model_args;
};

/// A loaded ViT. Movable, not copyable; run() is for one thread at a time.
class BIOPTIMUS_VISIBLE_TYPE VitModel {
 public:
  /// Loads `weights`: a folder holding model.safetensors and config.json (a
  /// Hugging Face snapshot), or a .safetensors file with config.json beside
  /// it. The architecture comes from config.json, the architecture's timm
  /// defaults, the create_model arguments the model card of
  /// spec.weights_source() passes, and `options.create_model_args`; the tensors
  /// must have the shapes it implies. The spec fixes the input (channels,
  /// height, width), the patch size and the number of prefix tokens, which
  /// must agree with the architecture; the position embeddings are resampled
  /// to the input's patch grid when it differs from the model's.
  /// @throws EngineError, ArchitectureError or SafetensorsError naming the file
  ///   and what is wrong.
  [[nodiscard]] static VitModel load(const std::filesystem::path& weights, const models::ModelSpec& spec,
                                     const EngineOptions& options = {});

  VitModel(VitModel&&) noexcept;
  VitModel& operator=(VitModel&&) noexcept;
  VitModel(const VitModel&) = delete;
  VitModel& operator=(const VitModel&) = delete;
  ~VitModel();

  [[nodiscard]] const VitArchitecture& architecture() const noexcept;
  /// The safetensors file the weights came from.
  [[nodiscard]] const std::filesystem::path& weights_file() const noexcept;
  /// The precision the matrix products run in.
  [[nodiscard]] models::Precision precision() const noexcept;
  /// Why precision() is not what was asked for (a CPU without bf16, say); empty otherwise.
  [[nodiscard]] const std::string& precision_note() const noexcept;
  /// The threads a batch runs on.
  [[nodiscard]] int threads() const noexcept;
  /// Floats of one input tile: channels * height * width.
  [[nodiscard]] std::size_t tile_size() const noexcept;
  /// Tokens per tile: prefix tokens + patches.
  [[nodiscard]] std::int64_t tokens_per_tile() const noexcept;
  /// Floats per token: the embedding width.
  [[nodiscard]] std::int64_t token_dim() const noexcept;
  /// Bytes of weights held after load (converted and laid out).
  [[nodiscard]] std::size_t weight_bytes() const noexcept;

  /// A few lines: the architecture, the weights file, the input grid and any
  /// position-embedding resampling, the precision and threads.
  [[nodiscard]] std::string describe() const;

  /// Runs a batch: `tiles` holds whole tiles of tile_size() floats (float32
  /// CHW, batch first); `tokens` receives tokens_per_tile() * token_dim()
  /// floats per tile, the token sequence after the final norm (timm's
  /// forward_features).
  /// @throws EngineError when the sizes do not fit.
  void run(std::span<const float> tiles, std::span<float> tokens);

 private:
  struct State;
  explicit VitModel(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

}  // namespace bioptimus::engine

#endif  // BIOPTIMUS_ENGINE_VIT_MODEL_HPP
