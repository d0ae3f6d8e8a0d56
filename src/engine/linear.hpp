// The engine's matrix products on oneDNN (internal). A linear layer's weights
// are laid out once, at load, in the layout oneDNN's matmul wants for this CPU
// and in the compute type; bias and what follows the product (an activation,
// a residual sum, a gating product) run inside the same primitive as
// post-ops. Primitives are made once per (layer shape, rows) and reused.
#ifndef BIOPTIMUS_SRC_ENGINE_LINEAR_HPP
#define BIOPTIMUS_SRC_ENGINE_LINEAR_HPP

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <tuple>

#include <oneapi/dnnl/dnnl.hpp>

namespace bioptimus::engine::detail {

/// What oneDNN offers on this CPU.
struct MatmulSupport {
  /// oneDNN creates a bf16 matrix product here (AVX-512 and up: natively with
  /// AVX512-BF16 or AMX, emulated otherwise; oneDNN 2.6 has none below).
  bool bf16_runs = false;
  /// The instruction set oneDNN runs with, for messages ("avx2").
  std::string isa;
};

/// What the matrix product's result goes through before it is stored.
enum class Epilogue : std::uint8_t {
  none,        // dst = x . W^T + b
  gelu,        // dst = gelu_erf(x . W^T + b)
  silu,        // dst = silu(x . W^T + b)
  accumulate,  // dst += x . W^T + b       (the residual stream)
  gate,        // dst = (x . W^T + b) * other   (SwiGLU's value half times the activated gate)
};

/// Asks oneDNN (a small bf16 primitive descriptor).
[[nodiscard]] MatmulSupport query_matmul_support();

/// The oneDNN engine and stream a model runs on, the compute type, and the
/// primitives made so far.
class MatmulContext {
 public:
  /// `bf16`: products in bf16 (src and weights) with fp32 accumulation; else fp32.
  explicit MatmulContext(bool bf16);

  [[nodiscard]] const dnnl::engine& engine() const noexcept { return engine_; }
  [[nodiscard]] dnnl::stream& stream() noexcept { return stream_; }
  [[nodiscard]] bool bf16() const noexcept { return bf16_; }
  /// The type of matmul inputs (and of outputs that feed another matmul).
  [[nodiscard]] dnnl::memory::data_type compute_type() const noexcept {
    return bf16_ ? dnnl::memory::data_type::bf16 : dnnl::memory::data_type::f32;
  }
  /// The oneDNN implementation the products use ("gemm:jit", "brg:avx512_core_bf16"), once one ran.
  [[nodiscard]] const std::string& implementation() const noexcept { return implementation_; }

  /// The primitive for `rows` x `in` -> `rows` x `out` with `epilogue` and
  /// weights laid out as `weights`, made on first use.
  dnnl::matmul& primitive(std::int64_t rows, std::int64_t in, std::int64_t out, Epilogue epilogue,
                          bool output_compute_type, const dnnl::memory::desc& weights);

 private:
  using Key = std::tuple<std::int64_t, std::int64_t, std::int64_t, Epilogue, bool>;
  dnnl::engine engine_;
  dnnl::stream stream_;
  bool bf16_;
  std::string implementation_;
  std::map<Key, dnnl::matmul> primitives_;
};

/// One linear layer, weights and bias laid out for the context's compute type.
class LinearLayer {
 public:
  /// `weight` is [out, in] (torch's nn.Linear layout), `bias` [out] or empty.
  /// `output_compute_type`: the result is stored in the compute type (it feeds
  /// another product) rather than in fp32. `layout_rows` is a typical row
  /// count, for oneDNN to choose the weights' layout.
  LinearLayer(MatmulContext& context, std::span<const float> weight, std::span<const float> bias, std::int64_t out,
              std::int64_t in, Epilogue epilogue, bool output_compute_type, std::int64_t layout_rows);

  /// dst[rows, out] from src[rows, in] (both row-major, in their types);
  /// `other` is the [rows, out] fp32 gate for Epilogue::gate.
  void run(MatmulContext& context, const void* src, std::int64_t rows, void* dst, const float* other = nullptr) const;

  [[nodiscard]] std::int64_t in() const noexcept { return in_; }
  [[nodiscard]] std::int64_t out() const noexcept { return out_; }
  /// Bytes of weights and bias held.
  [[nodiscard]] std::size_t bytes() const noexcept;

 private:
  std::int64_t in_;
  std::int64_t out_;
  Epilogue epilogue_;
  bool output_compute_type_;
  dnnl::memory weights_;
  dnnl::memory bias_;
};

}  // namespace bioptimus::engine::detail

#endif  // BIOPTIMUS_SRC_ENGINE_LINEAR_HPP
