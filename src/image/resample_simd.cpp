// The vectorised resampling passes, compiled once per instruction set by
// Highway and chosen at run time for the CPU at hand (the library is never
// built for one machine's -march). They compute exactly what the scalar
// passes compute: the same 22-bit coefficients, int32 sums, rounding bias
// and saturation, so the results are bit-identical.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "resample_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "resample.hpp"

HWY_BEFORE_NAMESPACE();
namespace bioptimus::image::detail {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_TARGET != HWY_SCALAR
// Clips two vectors of sums the way Pillow's clip8 does and stores their bytes
// at `out`, the first vector's before the second's. DemoteTo on each vector
// takes two packs, a mask and a lane permutation (AVX2, AVX-512); packing the
// two together takes half as many instructions (a 448 -> 224 resize ran 2%
// faster). The int16 pack interleaves the two inputs four lanes at a time per
// 128-bit block (hence Highway's name, Reorder), so after the uint8 pack every
// even group of four bytes is the first vector's and every odd group the
// second's; one lane permutation puts the groups back in order. The tests
// compare every instruction set with the scalar oracle, order included.
template <class D32>
class ClipPairs {
 public:
  using D16 = hn::Repartition<std::int16_t, D32>;
  using D8 = hn::Rebind<std::uint8_t, D16>;
  using DGroups = hn::Repartition<std::uint32_t, D8>;

  ClipPairs() {
    HWY_ALIGN std::int32_t order[hn::MaxLanes(DGroups())];
    const std::size_t groups = hn::Lanes(DGroups());
    for (std::size_t g = 0; g < groups; ++g) {
      // Output group g comes from the first vector's group g (in even slots)
      // for the first half, the second vector's (odd slots) after.
      order[g] = static_cast<std::int32_t>(g < groups / 2 ? 2 * g : 2 * (g - groups / 2) + 1);
    }
    ungroup_ = hn::SetTableIndices(DGroups(), order);
  }

  void Store(hn::Vec<D32> first, hn::Vec<D32> second, std::uint8_t* out) const {
    const D8 d8;
    const DGroups groups;
    // The int16 pack cannot saturate: a sum shifted by precision_bits is
    // within +-2^9. The uint8 pack clamps to [0, 255].
    const auto packed = hn::DemoteTo(
        d8, hn::ReorderDemote2To(D16(), hn::ShiftRight<precision_bits>(first), hn::ShiftRight<precision_bits>(second)));
    hn::StoreU(hn::BitCast(d8, hn::TableLookupLanes(hn::BitCast(groups, packed), ungroup_)), d8, out);
  }

 private:
  decltype(hn::SetTableIndices(DGroups(), std::declval<const std::int32_t*>())) ungroup_;
};
#endif

// Vertical pass: every output byte of a row is the same weighted sum of the
// bytes below each other in `taps` source rows, so the row is processed a
// vector of int32 lanes at a time with the coefficient broadcast.
// Not noexcept: Highway's dispatch table holds plain function pointers.
void VerticalPass(const AxisPlan& plan, Rgb8Rows source, std::int64_t first_row, MutableRgb8Rows out) {
  const hn::ScalableTag<std::int32_t> d32;
  const hn::Rebind<std::uint8_t, decltype(d32)> d8;
  const auto lanes = static_cast<std::int64_t>(hn::Lanes(d32));
  const std::int64_t values = out.width * 3;
  const auto taps = static_cast<std::size_t>(plan.taps);
#if HWY_TARGET != HWY_SCALAR
  const ClipPairs<decltype(d32)> clip;
#endif
  for (std::int64_t y = 0; y < out.height; ++y) {
    const auto i = static_cast<std::size_t>(y);
    const std::int32_t* k = plan.coefficients.data() + i * taps;
    const std::int32_t count = plan.count[i];
    const bool symmetric = plan.symmetric[i] != 0;
    const std::int32_t end = symmetric ? count - count / 2 : count;
    const std::uint8_t* in = source.data + (plan.first[i] - first_row) * source.stride;
    std::uint8_t* row = out.data + y * out.stride;
    std::int64_t v = 0;
    for (; v + 2 * lanes <= values; v += 2 * lanes) {
      auto sum0 = hn::Set(d32, rounding_bias);
      auto sum1 = sum0;
      std::int32_t t = 0;
      if (symmetric) {  // see AxisPlan::symmetric
        for (; t < count / 2; ++t) {
          const auto weight = hn::Set(d32, k[t]);
          const std::uint8_t* line = in + t * source.stride + v;
          const std::uint8_t* mirror = in + (count - 1 - t) * source.stride + v;
          const auto pair0 =
              hn::Add(hn::PromoteTo(d32, hn::LoadU(d8, line)), hn::PromoteTo(d32, hn::LoadU(d8, mirror)));
          const auto pair1 = hn::Add(hn::PromoteTo(d32, hn::LoadU(d8, line + lanes)),
                                     hn::PromoteTo(d32, hn::LoadU(d8, mirror + lanes)));
          sum0 = hn::Add(sum0, hn::Mul(pair0, weight));
          sum1 = hn::Add(sum1, hn::Mul(pair1, weight));
        }
      }
      // Every tap, or the middle one of an odd symmetric window.
      for (; t < end; ++t) {
        const auto weight = hn::Set(d32, k[t]);
        const std::uint8_t* line = in + t * source.stride + v;
        sum0 = hn::Add(sum0, hn::Mul(hn::PromoteTo(d32, hn::LoadU(d8, line)), weight));
        sum1 = hn::Add(sum1, hn::Mul(hn::PromoteTo(d32, hn::LoadU(d8, line + lanes)), weight));
      }
#if HWY_TARGET == HWY_SCALAR
      // DemoteTo saturates to [0, 255]: Pillow's clip8.
      hn::StoreU(hn::DemoteTo(d8, hn::ShiftRight<precision_bits>(sum0)), d8, row + v);
      hn::StoreU(hn::DemoteTo(d8, hn::ShiftRight<precision_bits>(sum1)), d8, row + v + lanes);
#else
      clip.Store(sum0, sum1, row + v);
#endif
    }
    for (; v < values; ++v) {
      std::int32_t sum = rounding_bias;
      for (std::int32_t t = 0; t < count; ++t) {
        sum += in[t * source.stride + v] * k[t];
      }
      row[v] = static_cast<std::uint8_t>(std::clamp(sum >> precision_bits, 0, 255));
    }
  }
}

#if HWY_TARGET != HWY_SCALAR
// Transposes 16 rows of 16 bytes: afterwards rows[j] holds byte j of every
// input row, in row order. Four rounds of interleaving row i with row i + 8
// (a perfect shuffle applied log2(16) times) do it.
HWY_INLINE void Transpose16x16(hn::Vec<hn::Full128<std::uint8_t>> (&rows)[16]) {
  const hn::Full128<std::uint8_t> d8;
  for (int round = 0; round < 4; ++round) {
    hn::Vec<hn::Full128<std::uint8_t>> next[16];
    for (int i = 0; i < 8; ++i) {
      next[2 * i] = hn::InterleaveLower(rows[i], rows[i + 8]);
      next[2 * i + 1] = hn::InterleaveUpper(d8, rows[i], rows[i + 8]);
    }
    for (int i = 0; i < 16; ++i) {
      rows[i] = next[i];
    }
  }
}
#endif

// A column plus its mirror in a symmetric window (AxisPlan::symmetric).
template <class D32>
HWY_INLINE hn::Vec<D32> MirroredSum(D32 d32, const std::int32_t* column, const std::int32_t* mirror) {
  return hn::Add(hn::Load(d32, column), hn::Load(d32, mirror));
}

// Horizontal pass, one source row per lane: the rows go in blocks of 16, and
// each block's pixels are transposed into `columns` (per source pixel and
// channel, the 16 rows' values as int32). Every output pixel is then a sum
// over its taps of column vectors times a broadcast coefficient, exactly the
// scalar sum; the block's results are transposed back into rows. (Gathers and
// scatters instead of the transposes were 3x slower.) A last block shorter
// than 16 rows overlaps the one before and recomputes its rows to the same
// values. Images too small or too large for this go through the scalar pass.
void HorizontalPass(const AxisPlan& plan, Rgb8Rows source, std::int64_t first_row, MutableRgb8Rows out,
                    std::int32_t* columns) {
#if HWY_TARGET == HWY_SCALAR
  (void)columns;
  horizontal_pass_scalar(plan, source, first_row, out);
#else
  constexpr std::int64_t block_rows = 16;
  constexpr std::int64_t cache_line = 64;
  const hn::ScalableTag<std::int32_t> d32;
  const hn::Rebind<std::uint8_t, decltype(d32)> d8_lanes;
  const hn::Full128<std::uint8_t> d8;
  const auto lanes = static_cast<std::int64_t>(hn::Lanes(d32));
  const std::int64_t in_width = plan.input_size;
  if (out.height < block_rows || in_width > max_vector_columns || out.width > max_vector_columns ||
      lanes > block_rows) {
    horizontal_pass_scalar(plan, source, first_row, out);
    return;
  }
  // After the columns: per output byte (pixel and channel), the block's 16 results.
  std::uint8_t* results = reinterpret_cast<std::uint8_t*>(columns + in_width * 3 * block_rows);
  const auto taps = static_cast<std::size_t>(plan.taps);
  const std::int64_t column_stride = 3 * block_rows;  // int32 values per source pixel
  alignas(16) std::uint8_t transposed[16];
  for (std::int64_t block = 0; block < out.height; block += block_rows) {
    const std::int64_t top = std::min(block, out.height - block_rows);
    const std::uint8_t* in = source.data + (first_row + top) * source.stride;
    const std::int64_t next_top = std::min(block + block_rows, out.height - block_rows);
    const std::uint8_t* next_in = source.data + (first_row + next_top) * source.stride;
    // Byte b of a row is channel b % 3 of pixel b / 3, so transposing the
    // interleaved bytes 16 at a time gives the columns in their order.
    const std::int64_t row_bytes = in_width * 3;
    std::int64_t b0 = 0;
    for (; b0 + 16 <= row_bytes; b0 += 16) {
      // Tiles are rarely in cache, and 16 rows read 16 bytes at a time are
      // more streams than the hardware prefetcher follows: fetch the next
      // block's rows while this one is transposed and summed (a 448 px tile
      // not in cache resized 10% faster). Into L2 only (locality 2): the
      // columns stream through L1 and would evict them before their turn.
      if (b0 % cache_line == 0 && next_top != top) {
        for (std::int64_t r = 0; r < block_rows; ++r) {
          __builtin_prefetch(next_in + r * source.stride + b0, /*rw=*/0, /*locality=*/2);
        }
      }
      hn::Vec<decltype(d8)> bytes[16];
      for (std::int64_t r = 0; r < block_rows; ++r) {
        bytes[r] = hn::LoadU(d8, in + r * source.stride + b0);
      }
      Transpose16x16(bytes);
      for (std::int64_t j = 0; j < 16; ++j) {
        hn::Store(bytes[j], d8, transposed);
        std::int32_t* column = columns + (b0 + j) * block_rows;
        for (std::int64_t part = 0; part < block_rows; part += lanes) {
          hn::Store(hn::PromoteTo(d32, hn::LoadU(d8_lanes, transposed + part)), d32, column + part);
        }
      }
    }
    for (; b0 < row_bytes; ++b0) {
      for (std::int64_t r = 0; r < block_rows; ++r) {
        columns[b0 * block_rows + r] = in[r * source.stride + b0];
      }
    }
    for (std::int64_t part = 0; part < block_rows; part += lanes) {
      for (std::int64_t x = 0; x < out.width; ++x) {
        const auto i = static_cast<std::size_t>(x);
        const std::int32_t* k = plan.coefficients.data() + i * taps;
        const std::int32_t* column = columns + std::int64_t{plan.first[i]} * column_stride + part;
        auto red = hn::Set(d32, rounding_bias);
        auto green = red;
        auto blue = red;
        const std::int32_t count = plan.count[i];
        std::int32_t t = 0;
        if (plan.symmetric[i] != 0) {
          const std::int32_t* mirror = column + (count - 1) * column_stride;
          for (; t < count / 2; ++t, column += column_stride, mirror -= column_stride) {
            const auto weight = hn::Set(d32, k[t]);
            red = hn::Add(red, hn::Mul(MirroredSum(d32, column, mirror), weight));
            green = hn::Add(green, hn::Mul(MirroredSum(d32, column + block_rows, mirror + block_rows), weight));
            blue = hn::Add(blue, hn::Mul(MirroredSum(d32, column + 2 * block_rows, mirror + 2 * block_rows), weight));
          }
        }
        // Every tap, or the middle one of an odd symmetric window.
        const std::int32_t end = plan.symmetric[i] != 0 ? count - count / 2 : count;
        for (; t < end; ++t, column += column_stride) {
          const auto weight = hn::Set(d32, k[t]);
          red = hn::Add(red, hn::Mul(hn::Load(d32, column), weight));
          green = hn::Add(green, hn::Mul(hn::Load(d32, column + block_rows), weight));
          blue = hn::Add(blue, hn::Mul(hn::Load(d32, column + 2 * block_rows), weight));
        }
        // DemoteTo saturates to [0, 255]: Pillow's clip8.
        std::uint8_t* pixel = results + x * 3 * block_rows + part;
        hn::StoreU(hn::DemoteTo(d8_lanes, hn::ShiftRight<precision_bits>(red)), d8_lanes, pixel);
        hn::StoreU(hn::DemoteTo(d8_lanes, hn::ShiftRight<precision_bits>(green)), d8_lanes, pixel + block_rows);
        hn::StoreU(hn::DemoteTo(d8_lanes, hn::ShiftRight<precision_bits>(blue)), d8_lanes, pixel + 2 * block_rows);
      }
    }
    // Back to rows: `results` holds, per output byte, the block's 16 rows.
    const std::int64_t out_bytes = out.width * 3;
    std::int64_t b = 0;
    for (; b + 16 <= out_bytes; b += 16) {
      hn::Vec<decltype(d8)> bytes[16];
      for (std::int64_t j = 0; j < 16; ++j) {
        bytes[j] = hn::Load(d8, results + (b + j) * block_rows);
      }
      Transpose16x16(bytes);
      for (std::int64_t r = 0; r < block_rows; ++r) {
        hn::StoreU(bytes[r], d8, out.data + (top + r) * out.stride + b);
      }
    }
    for (; b < out_bytes; ++b) {
      for (std::int64_t r = 0; r < block_rows; ++r) {
        out.data[(top + r) * out.stride + b] = results[b * block_rows + r];
      }
    }
  }
#endif
}

}  // namespace HWY_NAMESPACE
}  // namespace bioptimus::image::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace bioptimus::image::detail {

HWY_EXPORT(HorizontalPass);
HWY_EXPORT(VerticalPass);

void horizontal_pass(const AxisPlan& plan, Rgb8Rows source, std::int64_t first_row, MutableRgb8Rows out,
                     std::int32_t* columns) noexcept {
  HWY_DYNAMIC_DISPATCH(HorizontalPass)(plan, source, first_row, out, columns);
}

void vertical_pass(const AxisPlan& plan, Rgb8Rows source, std::int64_t first_row, MutableRgb8Rows out) noexcept {
  HWY_DYNAMIC_DISPATCH(VerticalPass)(plan, source, first_row, out);
}

}  // namespace bioptimus::image::detail
#endif  // HWY_ONCE
