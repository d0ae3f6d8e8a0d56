#include "precision.hpp"

namespace bioptimus::engine::detail {

PrecisionChoice choose_precision(std::optional<models::Precision> requested, const MatmulSupport& support) {
  using models::Precision;
  if (!requested) {
    return {.precision = support.native_bf16 && support.bf16_runs ? Precision::bf16 : Precision::fp32, .note = {}};
  }
  switch (*requested) {
    case Precision::fp32:
      return {.precision = Precision::fp32, .note = {}};
    case Precision::bf16:
      if (support.bf16_runs) {
        return {.precision = Precision::bf16, .note = {}};
      }
      return {.precision = Precision::fp32,
              .note = "bf16 requested, but oneDNN runs no bf16 matrix product on this CPU (" + support.isa +
                      ", no AVX-512): running fp32"};
    case Precision::fp16:
      if (support.native_bf16 && support.bf16_runs) {
        return {.precision = Precision::bf16,
                .note =
                    "fp16 requested, but oneDNN 2.6 has no fp16 matrix product on CPUs: running bf16 (native "
                    "on this " +
                    support.isa + " CPU)"};
      }
      return {.precision = Precision::fp32,
              .note = "fp16 requested, but oneDNN 2.6 has no fp16 matrix product on CPUs and this one (" + support.isa +
                      ") has no native bf16: running fp32"};
  }
  return {.precision = Precision::fp32, .note = {}};
}

}  // namespace bioptimus::engine::detail
