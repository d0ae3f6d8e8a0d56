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

/// A LibTorch failure, with the first line of its message (the rest is a backtrace).
class TorchError : public std::runtime_error {
 public:
  enum class Kind { bad_device, no_cuda, not_torchscript, failed };
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

/// A TorchScript module on a device, in one precision, run under inference mode.
class TorchModule {
 public:
  /// @throws TorchError
  TorchModule(const std::string& file, const std::string& device, ElementType precision);
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
