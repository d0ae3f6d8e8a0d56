// Macenko's passes over optical densities (channel-first arrays), vectorised
// with Highway: the sums behind the tissue's mean and covariance, the pass
// that ranks the tissue's projected angles, and the one that ranks every
// pixel's concentrations. Lanes keep their
// own partial sums, so the float order of the sums is the target's (numpy's
// is its own anyway: the results agree to a few ulps); the projections are
// numpy's own operations, a multiply then two fused multiply-adds as
// OpenBLAS's dgemm kernel computes `ODhat.dot(eigvecs[:, 1:3])`.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "macenko_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <cstddef>
#include <cstdint>

#include "stain_kernels.hpp"

HWY_BEFORE_NAMESPACE();
namespace bioptimus::detail::stain {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void DensitySums(const TissueDensities& tissue, double* sums) {
  const hn::ScalableTag<double> d;
  const std::size_t lanes = hn::Lanes(d);
  auto r = hn::Zero(d);
  auto g = hn::Zero(d);
  auto b = hn::Zero(d);
  std::size_t i = 0;
  for (; i + lanes <= tissue.count; i += lanes) {
    r = hn::Add(r, hn::LoadU(d, tissue.r + i));
    g = hn::Add(g, hn::LoadU(d, tissue.g + i));
    b = hn::Add(b, hn::LoadU(d, tissue.b + i));
  }
  sums[0] = hn::GetLane(hn::SumOfLanes(d, r));
  sums[1] = hn::GetLane(hn::SumOfLanes(d, g));
  sums[2] = hn::GetLane(hn::SumOfLanes(d, b));
  for (; i < tissue.count; ++i) {
    sums[0] += tissue.r[i];
    sums[1] += tissue.g[i];
    sums[2] += tissue.b[i];
  }
}

void CentredProducts(const TissueDensities& tissue, const double* mean, double* products) {
  const hn::ScalableTag<double> d;
  const std::size_t lanes = hn::Lanes(d);
  const auto mr = hn::Set(d, mean[0]);
  const auto mg = hn::Set(d, mean[1]);
  const auto mb = hn::Set(d, mean[2]);
  auto rr = hn::Zero(d);
  auto rg = hn::Zero(d);
  auto rb = hn::Zero(d);
  auto gg = hn::Zero(d);
  auto gb = hn::Zero(d);
  auto bb = hn::Zero(d);
  std::size_t i = 0;
  for (; i + lanes <= tissue.count; i += lanes) {
    const auto r = hn::Sub(hn::LoadU(d, tissue.r + i), mr);
    const auto g = hn::Sub(hn::LoadU(d, tissue.g + i), mg);
    const auto b = hn::Sub(hn::LoadU(d, tissue.b + i), mb);
    rr = hn::MulAdd(r, r, rr);
    rg = hn::MulAdd(r, g, rg);
    rb = hn::MulAdd(r, b, rb);
    gg = hn::MulAdd(g, g, gg);
    gb = hn::MulAdd(g, b, gb);
    bb = hn::MulAdd(b, b, bb);
  }
  const auto total = [&](auto v) { return hn::GetLane(hn::SumOfLanes(d, v)); };
  products[0] = total(rr);
  products[1] = total(rg);
  products[2] = total(rb);
  products[3] = total(gg);
  products[4] = total(gb);
  products[5] = total(bb);
  for (; i < tissue.count; ++i) {
    const double r = tissue.r[i] - mean[0];
    const double g = tissue.g[i] - mean[1];
    const double b = tissue.b[i] - mean[2];
    products[0] += r * r;
    products[1] += r * g;
    products[2] += r * b;
    products[3] += g * g;
    products[4] += g * b;
    products[5] += b * b;
  }
}

// Two linear forms of each pixel's densities, as numpy's dgemm computes
// them; with `angles`, both brackets rank the angle key of the pair, else
// bracket k ranks form k.
template <bool angles>
void Brackets(const TissueDensities& tissue, const AngleJob& job, AngleBracketResult& result) {
  const hn::ScalableTag<double> d;
  const hn::RebindToSigned<decltype(d)> di;
  const std::size_t lanes = hn::Lanes(d);
  const auto x_r = hn::Set(d, job.plane[0][0]);
  const auto x_g = hn::Set(d, job.plane[0][1]);
  const auto x_b = hn::Set(d, job.plane[0][2]);
  const auto y_r = hn::Set(d, job.plane[1][0]);
  const auto y_g = hn::Set(d, job.plane[1][1]);
  const auto y_b = hn::Set(d, job.plane[1][2]);
  const auto two = hn::Set(d, 2.0);
  const std::array<hn::Vec<decltype(d)>, 2> low{hn::Set(d, job.low[0]), hn::Set(d, job.low[1])};
  const std::array<hn::Vec<decltype(d)>, 2> high{hn::Set(d, job.high[0]), hn::Set(d, job.high[1])};
  HWY_ALIGN double values[2][hn::MaxLanes(d)];
  std::size_t under_0 = 0;
  std::size_t under_1 = 0;
  std::size_t i = 0;
  for (; i + lanes <= tissue.count; i += lanes) {
    const auto r = hn::LoadU(d, tissue.r + i);
    const auto g = hn::LoadU(d, tissue.g + i);
    const auto b = hn::LoadU(d, tissue.b + i);
    const auto x = hn::MulAdd(b, x_b, hn::MulAdd(g, x_g, hn::Mul(r, x_r)));
    const auto y = hn::MulAdd(b, y_b, hn::MulAdd(g, y_g, hn::Mul(r, y_r)));
    hn::Vec<decltype(d)> first = x;
    hn::Vec<decltype(d)> second = y;
    if constexpr (angles) {
      // angle_key, lane by lane (stain_kernels.hpp).
      const auto sum = hn::Add(hn::Abs(x), hn::Abs(y));
      const auto p = hn::IfThenZeroElse(hn::Eq(sum, hn::Zero(d)), hn::Div(y, sum));
      const auto x_negative = hn::RebindMask(d, hn::Lt(hn::BitCast(di, x), hn::Zero(di)));
      first = hn::IfThenElse(x_negative, hn::Sub(hn::CopySign(two, y), p), p);
      second = first;
    }
    under_0 += hn::CountTrue(d, hn::Lt(first, low[0]));
    under_1 += hn::CountTrue(d, hn::Lt(second, low[1]));
    const auto inside_0 = hn::And(hn::Ge(first, low[0]), hn::Le(first, high[0]));
    const auto inside_1 = hn::And(hn::Ge(second, low[1]), hn::Le(second, high[1]));
    if (HWY_UNLIKELY(!hn::AllFalse(d, hn::Or(inside_0, inside_1)))) {
      hn::Store(first, d, values[0]);
      hn::Store(second, d, values[1]);
      HWY_ALIGN std::uint8_t bits[2][8] = {};
      hn::StoreMaskBits(d, inside_0, bits[0]);
      hn::StoreMaskBits(d, inside_1, bits[1]);
      for (std::size_t k = 0; k < 2; ++k) {
        for (std::size_t lane = 0; lane < lanes; ++lane) {
          if ((bits[k][lane / 8] >> (lane % 8)) & 1U) {
            (*result.kept)[k].push_back({values[k][lane], static_cast<std::uint32_t>(i + lane)});
          }
        }
      }
    }
  }
  for (; i < tissue.count; ++i) {
    const std::array<double, 2> value = angles ? job.keys(tissue, i) : job.forms(tissue, i);
    under_0 += value[0] < job.low[0] ? 1U : 0U;
    under_1 += value[1] < job.low[1] ? 1U : 0U;
    result.keep(value, i, job);
  }
  result.under[0] += under_0;
  result.under[1] += under_1;
}

void AngleBrackets(const TissueDensities& tissue, const AngleJob& job, AngleBracketResult& result) {
  Brackets<true>(tissue, job, result);
}

void FormBrackets(const TissueDensities& tissue, const AngleJob& job, AngleBracketResult& result) {
  Brackets<false>(tissue, job, result);
}

}  // namespace HWY_NAMESPACE
}  // namespace bioptimus::detail::stain
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace bioptimus::detail::stain {

HWY_EXPORT(DensitySums);
HWY_EXPORT(CentredProducts);
HWY_EXPORT(AngleBrackets);
HWY_EXPORT(FormBrackets);

Vector3 density_sums(const TissueDensities& tissue) noexcept {
  Vector3 sums{};
  HWY_DYNAMIC_DISPATCH(DensitySums)(tissue, sums.data());
  return sums;
}

std::array<double, 6> centred_products(const TissueDensities& tissue, const Vector3& mean) noexcept {
  std::array<double, 6> products{};
  HWY_DYNAMIC_DISPATCH(CentredProducts)(tissue, mean.data(), products.data());
  return products;
}

void angle_brackets(const TissueDensities& tissue, const AngleJob& job, AngleBracketResult& result) {
  HWY_DYNAMIC_DISPATCH(AngleBrackets)(tissue, job, result);
}

void form_brackets(const TissueDensities& densities, const AngleJob& job, AngleBracketResult& result) {
  HWY_DYNAMIC_DISPATCH(FormBrackets)(densities, job, result);
}

}  // namespace bioptimus::detail::stain
#endif  // HWY_ONCE
