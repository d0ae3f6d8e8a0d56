// bioptimus/inference/backbone.hpp
//
// A backbone: a model checked against its ModelSpec once at load, then fed
// batches of preprocessed tiles and read out to the spec's embedding. The
// weights choose the engine that runs it:
// - a TorchScript file (.pt: what torch.jit.trace or torch.jit.script saved)
//   runs on LibTorch;
// - a Hugging Face timm repository as published (a snapshot folder with
//   model.safetensors and config.json, or the .safetensors file itself) runs
//   on the native engine (bioptimus/engine/vit_model.hpp: no Python, no
//   TorchScript, no LibTorch).
//
//   const ModelSpec spec = load_spec("h0-mini.yaml");
//   Backbone backbone = Backbone::load(resolve_weights(spec, {}), spec);  // the local Hugging Face cache
//   std::vector<float> embeddings(batch * backbone.embedding_size());
//   backbone.embed(tiles, embeddings);                                     // tiles: float32 NCHW, batch first
//
// This header includes neither LibTorch (slow to compile) nor oneDNN; a
// library built without one of them refuses the weights that need it, by name.
#ifndef BIOPTIMUS_INFERENCE_BACKBONE_HPP
#define BIOPTIMUS_INFERENCE_BACKBONE_HPP

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bioptimus/error.hpp"
#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/models/readout.hpp"
#include "bioptimus/models/vocabulary.hpp"

namespace bioptimus::inference {

/// Thrown when a backbone cannot be loaded or run: a missing file, a file that
/// is not TorchScript or safetensors, weights that do not fit their
/// architecture, a device the engine does not have, an error inside the
/// model. The message names the file.
class BIOPTIMUS_VISIBLE_TYPE BackboneError : public Error {
 public:
  using Error::Error;
};

/// The engine a backbone runs on.
enum class BackendKind {
  torchscript,  ///< LibTorch, from a TorchScript file
  native,       ///< the native engine, from safetensors and config.json
};

/// "torchscript", "native".
[[nodiscard]] constexpr std::string_view to_string(BackendKind kind) noexcept {
  return kind == BackendKind::native ? "native" : "torchscript";
}

/// Where and how a backbone runs.
struct BackboneOptions {
  /// A LibTorch device string: "cpu", "cuda" or "cuda:N". The native engine runs on "cpu" only.
  std::string device = "cpu";
  /// The precision to run in, decided alike for both engines; nothing is
  /// auto: the spec's precision on a CUDA device; on the CPU, an fp16 or bf16
  /// spec runs in bf16 where the CPU has a native bf16 unit (AVX512-BF16 or
  /// AMX-BF16) and in fp32 elsewhere (emulated bf16 is slower than fp32), an
  /// fp32 spec in fp32. fp16 does not run on the CPU. bf16 on LibTorch is
  /// autocast, as torch.autocast("cpu", torch.bfloat16): matrix products and
  /// convolutions in bf16, the weights kept in fp32; on the native engine,
  /// the matrix products in bf16 with fp32 accumulation, LayerNorm, softmax
  /// and attention in fp32, and where oneDNN has no bf16 matrix product (a
  /// CPU without AVX-512) it runs fp32 and precision_reason() says so.
  std::optional<models::Precision> precision = std::nullopt;
  /// Threads: LibTorch's intra-op threads (OpenMP, which OpenBLAS's OpenMP
  /// build shares), set in the thread that runs embed(), or the native
  /// engine's threads for a batch; 0 leaves LibTorch's default (which may be
  /// 1 core on a virtual machine), or OpenMP's for the native engine.
  int threads = 0;
  /// For the native engine: timm.create_model keyword arguments as a JSON
  /// object, what a model card passes in code beyond config.json (the engine
  /// knows the registry's cards by their weights_source).
  std::string create_model_args = {};
};

/// A loaded model and the Readout that turns its output into the spec's
/// embedding. Movable, not copyable; embed() is for one thread at a time.
/// (Its library is built with hidden visibility; this class is its interface.)
class BIOPTIMUS_VISIBLE_TYPE Backbone {
 public:
  /// Loads `file` on the engine its form calls for: a folder or a
  /// .safetensors file on the native engine (which checks every tensor
  /// against the architecture config.json describes), anything else as
  /// TorchScript on LibTorch (moved to the device and precision of `options`,
  /// one dummy batch checking its output shape). Then checks the output
  /// against `spec`.
  /// @throws BackboneError when the file is missing or is not TorchScript or
  ///   safetensors (or this library was built without the engine it needs,
  ///   or a TorchScript file needs a newer LibTorch: the message says which
  ///   operator or format version), the weights do not fit their architecture
  ///   or the spec, the device is unavailable, the precision does not run on
  ///   it, or the model fails on the dummy batch;
  ///   models::ReadoutError (naming the file and the spec field) when its
  ///   output does not fit the spec.
  [[nodiscard]] static Backbone load(const std::filesystem::path& file, const models::ModelSpec& spec,
                                     const BackboneOptions& options = {});

  Backbone(Backbone&&) noexcept;
  Backbone& operator=(Backbone&&) noexcept;
  Backbone(const Backbone&) = delete;
  Backbone& operator=(const Backbone&) = delete;
  ~Backbone();

  /// The spec the backbone was checked against.
  [[nodiscard]] const models::ModelSpec& spec() const noexcept;
  /// The file it was loaded from.
  [[nodiscard]] const std::filesystem::path& file() const noexcept;
  /// The precision it runs in.
  [[nodiscard]] models::Precision precision() const noexcept;
  /// Why it runs in precision(), in words for a log ("the spec asks for fp16;
  /// this CPU has no native bf16 (AVX512-BF16 or AMX-BF16), ...: fp32"), and
  /// any fallback of the engine's ("bf16 requested, but oneDNN runs no bf16
  /// matrix product on this CPU ...: running fp32").
  [[nodiscard]] const std::string& precision_reason() const noexcept;
  /// What on this machine makes the backbone slower than it could be, each
  /// with how to fix it (a reference BLAS behind LibTorch); usually empty.
  [[nodiscard]] const std::vector<std::string>& warnings() const noexcept;
  /// The engine it runs on.
  [[nodiscard]] BackendKind backend() const noexcept;
  /// A few lines for the user: the engine, the model, the precision.
  [[nodiscard]] std::string describe() const;
  /// How its output becomes the embedding.
  [[nodiscard]] const models::Readout& readout() const noexcept;
  /// Floats of one tile's input: the product of spec().input_shape().
  [[nodiscard]] std::size_t tile_size() const noexcept;
  /// Floats of one tile's embedding: the product of spec().output_shape().
  [[nodiscard]] std::size_t embedding_size() const noexcept;

  /// Embeds a batch: `tiles` holds whole tiles of tile_size() floats
  /// (float32 CHW, as the Preprocessor writes them, batch first);
  /// `embeddings` receives embedding_size() floats per tile.
  /// @throws BackboneError when the sizes do not fit or the model fails.
  void embed(std::span<const float> tiles, std::span<float> embeddings);

 private:
  struct State;
  explicit Backbone(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

}  // namespace bioptimus::inference

#endif  // BIOPTIMUS_INFERENCE_BACKBONE_HPP
