// bioptimus/inference/backbone.hpp
//
// A TorchScript backbone run by LibTorch: the model a user exported with
// torch.jit.trace or torch.jit.script, checked against its ModelSpec once at
// load, then fed batches of preprocessed tiles and read out to the spec's
// embedding.
//
//   const ModelSpec spec = load_spec("h0-mini.yaml");
//   Backbone backbone = Backbone::load("h0-mini.pt", spec);       // one dummy batch checks the output shape
//   std::vector<float> embeddings(batch * backbone.embedding_size());
//   backbone.embed(tiles, embeddings);                               // tiles: float32 NCHW, batch first
//
// This header does not include LibTorch (slow to compile); only the target's
// sources do.
#ifndef BIOPTIMUS_INFERENCE_BACKBONE_HPP
#define BIOPTIMUS_INFERENCE_BACKBONE_HPP

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bioptimus/error.hpp"
#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/models/readout.hpp"
#include "bioptimus/models/vocabulary.hpp"

namespace bioptimus::inference {

/// Thrown when a backbone cannot be loaded or run: a missing file, a file that
/// is not TorchScript, a device LibTorch does not have, an error inside the
/// model. The message names the file.
class BIOPTIMUS_VISIBLE_TYPE BackboneError : public Error {
 public:
  using Error::Error;
};

/// Where and how a backbone runs.
struct BackboneOptions {
  /// A LibTorch device string: "cpu", "cuda" or "cuda:N".
  std::string device = "cpu";
  /// The precision to run in; nothing is auto: the spec's precision on a
  /// CUDA device; on the CPU, an fp16 or bf16 spec runs in bf16 where the CPU
  /// has a native bf16 unit (AVX512-BF16 or AMX-BF16) and in fp32 elsewhere
  /// (emulated bf16 is slower than fp32), an fp32 spec in fp32. bf16 on the
  /// CPU is autocast, as torch.autocast("cpu", torch.bfloat16): matrix
  /// products and convolutions in bf16, the weights kept in fp32. fp16 does
  /// not run on the CPU (LibTorch's CPU autocast has bfloat16 only).
  std::optional<models::Precision> precision = std::nullopt;
  /// LibTorch's intra-op threads (OpenMP, which OpenBLAS's OpenMP build
  /// shares), set in the thread that runs embed(); 0 leaves LibTorch's
  /// default (which may be 1 core on a virtual machine).
  int threads = 0;
};

/// A loaded TorchScript model and the Readout that turns its output into the
/// spec's embedding. Movable, not copyable; embed() is for one thread at a time.
/// (Its library is built with hidden visibility; this class is its interface.)
class BIOPTIMUS_VISIBLE_TYPE Backbone {
 public:
  /// Loads `file`, moves it to the device and precision of `options`, and
  /// runs one dummy batch to check its output shape against `spec`.
  /// @throws BackboneError when the file is missing or is not TorchScript
  ///   (or needs a newer LibTorch: the message says which operator or format
  ///   version), or the device is unavailable, or the precision does not run
  ///   on it, or the model fails on the dummy batch;
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
  /// this CPU has no native bf16 (AVX512-BF16 or AMX-BF16), ...: fp32").
  [[nodiscard]] const std::string& precision_reason() const noexcept;
  /// What on this machine makes the backbone slower than it could be, each
  /// with how to fix it (a reference BLAS behind LibTorch); usually empty.
  [[nodiscard]] const std::vector<std::string>& warnings() const noexcept;
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
