// The engine's own kernels (internal): LayerNorm, attention and conversions,
// in fp32, vectorised with Highway for every instruction set and chosen once
// at run time for the CPU at hand. Each works on the rows it is given and
// allocates nothing; the caller splits the work between threads and owns the
// scratch. noexcept in spirit, not in signature: Highway's dispatch table
// holds plain function pointers.
#ifndef BIOPTIMUS_SRC_ENGINE_KERNELS_HPP
#define BIOPTIMUS_SRC_ENGINE_KERNELS_HPP

#include <cstddef>
#include <cstdint>

namespace bioptimus::engine::detail {

/// A bfloat16 kept as its bits (the upper half of a binary32).
using Bf16Bits = std::uint16_t;

/// Where a kernel writes: fp32, or bf16 (rounded to nearest even) when it
/// feeds a bf16 matrix product.
struct Destination {
  void* data = nullptr;
  bool bf16 = false;
};

/// LayerNorm of `rows` rows of `dim` floats, `in_stride` and `out_stride`
/// elements apart: (x - mean) / sqrt(var + eps) * weight + bias, the variance
/// biased (torch's layer_norm), in two passes.
void layer_norm(const float* in, std::int64_t in_stride, std::int64_t rows, std::int64_t dim, const float* weight,
                const float* bias, float eps, Destination out, std::int64_t out_stride);

/// Working memory of one thread's attention: attention_scratch_floats() floats,
/// 64-byte aligned.
[[nodiscard]] std::size_t attention_scratch_floats(std::int64_t tokens, std::int64_t head_dim);

/// One head of one tile: softmax(q k^T) v, the scale already folded into q.
/// `qkv` points at the tile's first token row of [q | k | v] (each
/// `heads * head_dim` wide, rows `qkv_stride` floats apart); this head's q, k
/// and v start `head * head_dim` into each third. The result goes to row t of
/// `out` (`out_stride` elements apart), at `head * head_dim`.
void attention_head(const float* qkv, std::int64_t qkv_stride, std::int64_t tokens, std::int64_t heads,
                    std::int64_t head, std::int64_t head_dim, float* scratch, Destination out, std::int64_t out_stride);

/// `count` floats to bf16, rounded to nearest even (NaN stays NaN).
void to_bf16(const float* in, std::size_t count, Bf16Bits* out);

}  // namespace bioptimus::engine::detail

#endif  // BIOPTIMUS_SRC_ENGINE_KERNELS_HPP
