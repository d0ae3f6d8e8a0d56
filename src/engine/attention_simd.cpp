// Attention for one head of one tile, in fp32: S = q k^T, P = exp(S - max)
// row by row, out = (P v) / sum(P). k is transposed and v packed into the
// thread's scratch first, so that both products stream contiguous rows; the
// products are 4-row by 2-vector register blocks (8 accumulators, which every
// x86 target holds with room for the operands). Compiled once per instruction
// set by Highway, chosen at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "attention_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <hwy/contrib/math/math-inl.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "kernels.hpp"
#include "simd_store.hpp"

// Once, not per instruction set.
#ifndef BIOPTIMUS_SRC_ENGINE_ATTENTION_SIMD_ONCE
#define BIOPTIMUS_SRC_ENGINE_ATTENTION_SIMD_ONCE
namespace bioptimus::engine::detail {
namespace {

// Key columns are padded to a multiple of 16 floats: whole vectors for every
// x86 target (4, 8 or 16 lanes) and 64-byte aligned rows.
constexpr std::int64_t column_alignment = 16;

constexpr std::int64_t padded(std::int64_t tokens) {
  return (tokens + column_alignment - 1) / column_alignment * column_alignment;
}

}  // namespace
}  // namespace bioptimus::engine::detail
#endif

HWY_BEFORE_NAMESPACE();
namespace bioptimus::engine::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

constexpr std::int64_t block_rows = 4;

// rows x (1 or 2 vectors) of a = x . y, with x rows `x_stride` apart read one
// element at a time over `depth`, and y rows `y_stride` apart read as vectors:
// sum over k of x[r][k] * y[k][c..]. Full 4 x 2 blocks take the fast path.
template <class D>
HWY_INLINE void BlockProduct(D d, const float* x, std::int64_t x_stride, std::int64_t rows, const float* y,
                             std::int64_t y_stride, std::int64_t depth, std::size_t vectors, hn::Vec<D> (&acc)[4][2]) {
  const std::size_t lanes = hn::Lanes(d);
  for (auto& row : acc) {
    row[0] = hn::Zero(d);
    row[1] = hn::Zero(d);
  }
  if (rows == block_rows && vectors == 2) {
    const float* x0 = x;
    const float* x1 = x + x_stride;
    const float* x2 = x + 2 * x_stride;
    const float* x3 = x + 3 * x_stride;
    for (std::int64_t k = 0; k < depth; ++k) {
      const float* yk = y + k * y_stride;
      const auto y0 = hn::LoadU(d, yk);
      const auto y1 = hn::LoadU(d, yk + lanes);
      auto b = hn::Set(d, x0[k]);
      acc[0][0] = hn::MulAdd(b, y0, acc[0][0]);
      acc[0][1] = hn::MulAdd(b, y1, acc[0][1]);
      b = hn::Set(d, x1[k]);
      acc[1][0] = hn::MulAdd(b, y0, acc[1][0]);
      acc[1][1] = hn::MulAdd(b, y1, acc[1][1]);
      b = hn::Set(d, x2[k]);
      acc[2][0] = hn::MulAdd(b, y0, acc[2][0]);
      acc[2][1] = hn::MulAdd(b, y1, acc[2][1]);
      b = hn::Set(d, x3[k]);
      acc[3][0] = hn::MulAdd(b, y0, acc[3][0]);
      acc[3][1] = hn::MulAdd(b, y1, acc[3][1]);
    }
    return;
  }
  for (std::int64_t k = 0; k < depth; ++k) {
    const float* yk = y + k * y_stride;
    for (std::size_t v = 0; v < vectors; ++v) {
      const auto yv = hn::LoadU(d, yk + v * lanes);
      for (std::int64_t r = 0; r < rows; ++r) {
        acc[r][v] = hn::MulAdd(hn::Set(d, x[r * x_stride + k]), yv, acc[r][v]);
      }
    }
  }
}

void AttentionHead(const float* qkv, std::int64_t qkv_stride, std::int64_t tokens, std::int64_t heads,
                   std::int64_t head, std::int64_t head_dim, float* scratch, Destination out, std::int64_t out_stride) {
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<std::int64_t>(hn::Lanes(d));
  const std::int64_t tp = padded(tokens);
  float* kt = scratch;                        // [head_dim, tp]: k transposed, zero padded
  float* vp = kt + head_dim * tp;             // [tokens, head_dim]: v packed
  float* s = vp + padded(tokens * head_dim);  // [tokens, tp]: scores, then probabilities
  float* inverse = s + tokens * tp;           // [tokens]: 1 / row sums
  const std::int64_t width = heads * head_dim;
  const float* q = qkv + head * head_dim;
  const float* k = q + width;
  const float* v = k + width;
  for (std::int64_t j = 0; j < tokens; ++j) {
    const float* kj = k + j * qkv_stride;
    const float* vj = v + j * qkv_stride;
    for (std::int64_t c = 0; c < head_dim; ++c) {
      kt[c * tp + j] = kj[c];
      vp[j * head_dim + c] = vj[c];
    }
  }
  for (std::int64_t c = 0; c < head_dim; ++c) {
    std::fill(kt + c * tp + tokens, kt + (c + 1) * tp, 0.0F);
  }

  // Scores: rows of q by columns of k^T (padded columns give 0, never read).
  hn::Vec<decltype(d)> acc[4][2];
  const std::int64_t column_vectors = tp / lanes;
  for (std::int64_t i = 0; i < tokens; i += block_rows) {
    const std::int64_t rows = std::min(block_rows, tokens - i);
    for (std::int64_t cv = 0; cv < column_vectors; cv += 2) {
      const std::size_t vectors = cv + 1 < column_vectors ? 2 : 1;
      BlockProduct(d, q + i * qkv_stride, qkv_stride, rows, kt + cv * lanes, tp, head_dim, vectors, acc);
      for (std::int64_t r = 0; r < rows; ++r) {
        for (std::size_t vv = 0; vv < vectors; ++vv) {
          hn::StoreU(acc[r][vv], d, s + (i + r) * tp + (cv + static_cast<std::int64_t>(vv)) * lanes);
        }
      }
    }
  }

  // Softmax numerators and the row sums (the division is done on the output).
  const std::int64_t whole = tokens / lanes * lanes;
  for (std::int64_t i = 0; i < tokens; ++i) {
    float* row = s + i * tp;
    auto vmax = hn::Set(d, row[0]);
    std::int64_t j = 0;
    for (; j < whole; j += lanes) {
      vmax = hn::Max(vmax, hn::LoadU(d, row + j));
    }
    float max = hn::GetLane(hn::MaxOfLanes(d, vmax));
    for (; j < tokens; ++j) {
      max = std::max(max, row[j]);
    }
    const auto shift = hn::Set(d, max);
    auto vsum = hn::Zero(d);
    for (j = 0; j < whole; j += lanes) {
      const auto e = hn::Exp(d, hn::Sub(hn::LoadU(d, row + j), shift));
      hn::StoreU(e, d, row + j);
      vsum = hn::Add(vsum, e);
    }
    float sum = hn::GetLane(hn::SumOfLanes(d, vsum));
    for (; j < tokens; ++j) {
      row[j] = std::exp(row[j] - max);
      sum += row[j];
    }
    inverse[i] = 1.0F / sum;
  }

  // out = P v, each row scaled by its 1 / sum.
  const std::int64_t dim_whole = head_dim / lanes * lanes;
  for (std::int64_t i = 0; i < tokens; i += block_rows) {
    const std::int64_t rows = std::min(block_rows, tokens - i);
    for (std::int64_t c = 0; c < dim_whole; c += 2 * lanes) {
      const std::size_t vectors = c + 2 * lanes <= dim_whole ? 2 : 1;
      BlockProduct(d, s + i * tp, tp, rows, vp + c, head_dim, tokens, vectors, acc);
      for (std::int64_t r = 0; r < rows; ++r) {
        const auto scale = hn::Set(d, inverse[i + r]);
        const auto base = static_cast<std::size_t>((i + r) * out_stride + head * head_dim + c);
        for (std::size_t vv = 0; vv < vectors; ++vv) {
          StoreTo(d, hn::Mul(acc[r][vv], scale), out, base + vv * static_cast<std::size_t>(lanes));
        }
      }
    }
    // A head width that is not a whole number of vectors: the last columns one by one.
    for (std::int64_t c = dim_whole; c < head_dim; ++c) {
      for (std::int64_t r = 0; r < rows; ++r) {
        const float* p = s + (i + r) * tp;
        float total = 0.0F;
        for (std::int64_t j = 0; j < tokens; ++j) {
          total += p[j] * vp[j * head_dim + c];
        }
        StoreScalarTo(total * inverse[i + r], out,
                      static_cast<std::size_t>((i + r) * out_stride + head * head_dim + c));
      }
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace bioptimus::engine::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace bioptimus::engine::detail {

HWY_EXPORT(AttentionHead);

std::size_t attention_scratch_floats(std::int64_t tokens, std::int64_t head_dim) {
  const std::int64_t tp = padded(tokens);
  return static_cast<std::size_t>(head_dim * tp + padded(tokens * head_dim) + tokens * tp + padded(tokens));
}

void attention_head(const float* qkv, std::int64_t qkv_stride, std::int64_t tokens, std::int64_t heads,
                    std::int64_t head, std::int64_t head_dim, float* scratch, Destination out,
                    std::int64_t out_stride) {
  HWY_DYNAMIC_DISPATCH(AttentionHead)(qkv, qkv_stride, tokens, heads, head, head_dim, scratch, out, out_stride);
}

}  // namespace bioptimus::engine::detail
#endif  // HWY_ONCE
