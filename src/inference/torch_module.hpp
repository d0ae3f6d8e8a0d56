// The LibTorch side of the backbone, behind plain types: LibTorch 1.13's
// headers do not compile as C++20 with clang (std::vector of the incomplete
// c10::IValue, fixed in PyTorch 2.1), so torch_module.cpp is compiled as
// C++17 and this header stays C++17 too (no bioptimus header: they are C++20).
#ifndef BIOPTIMUS_SRC_INFERENCE_TORCH_MODULE_HPP
#define BIOPTIMUS_SRC_INFERENCE_TORCH_MODULE_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace bioptimus::inference::detail {

/// Element types the module runs in and returns.
enum class ElementType { fp32, fp16, bf16 };

/// How a module runs.
struct ModuleOptions {
  /// A LibTorch device string.
  std::string device;
  /// fp32; or, on the CPU, bf16 under autocast (the weights stay fp32); on
  /// CUDA, the weights and the input cast to the type.
  ElementType precision = ElementType::fp32;
  /// LibTorch's intra-op threads (and OpenBLAS's), set in the thread that
  /// runs the model; 0 leaves LibTorch's default.
  int threads = 0;
};

/// A LibTorch failure, with the first line of its message (the rest is a backtrace).
class TorchError : public std::runtime_error {
 public:
  /// newer_torch: the file needs an operator or a format version this LibTorch lacks.
  enum class Kind { bad_device, no_cuda, not_torchscript, newer_torch, failed };
  TorchError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  [[nodiscard]] Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

/// The shape and element type of the last output.
struct OutputInfo {
  std::vector<std::int64_t> shape;
  ElementType type = ElementType::fp32;
  /// Set when the model returns something else than one tensor (IValue's tag, e.g. "Tuple").
  std::string not_a_tensor;
};

/// The release of the LibTorch we were built with, "1.13".
[[nodiscard]] std::string torch_version();

/// A TorchScript module on a device, in one precision, run under inference mode.
class TorchModule {
 public:
  /// @throws TorchError
  TorchModule(const std::string& file, const ModuleOptions& options);
  TorchModule(const TorchModule&) = delete;
  TorchModule& operator=(const TorchModule&) = delete;
  ~TorchModule();

  [[nodiscard]] bool on_cuda() const noexcept;

  /// Runs a batch of float32 tiles of `shape` (N, C, H, W) and keeps its
  /// output (on the CPU, contiguous) for copy_output().
  /// @throws TorchError
  OutputInfo run(const float* tiles, const std::array<std::int64_t, 4>& shape);
  /// A batch of zeros, for the load-time check.
  OutputInfo run_zeros(const std::array<std::int64_t, 4>& shape);
  /// Copies the last output's bytes (its element type, row-major) to `destination`.
  void copy_output(void* destination, std::size_t bytes) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace bioptimus::inference::detail

#endif  // BIOPTIMUS_SRC_INFERENCE_TORCH_MODULE_HPP
