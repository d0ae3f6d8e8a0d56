// The engine's precision decision (internal): what to run the matrix products
// in, from what was asked and what the CPU and oneDNN can do. One function,
// so the rule lives in one place (perf23 is moving the decision for every
// backbone into the inference layer; this is to be replaced by it).
#ifndef BIOPTIMUS_SRC_ENGINE_PRECISION_HPP
#define BIOPTIMUS_SRC_ENGINE_PRECISION_HPP

#include <optional>
#include <string>

#include "bioptimus/models/vocabulary.hpp"

namespace bioptimus::engine::detail {

/// What the CPU offers, as oneDNN sees it.
struct MatmulSupport {
  /// The CPU computes bf16 dot products natively (AVX512-BF16 or AMX).
  bool native_bf16 = false;
  /// oneDNN creates a bf16 matrix product on this CPU (natively or emulated).
  bool bf16_runs = false;
  /// The instruction set oneDNN runs with, for messages ("avx2").
  std::string isa;
};

struct PrecisionChoice {
  models::Precision precision = models::Precision::fp32;
  /// Why `precision` differs from what was asked; empty when it does not.
  std::string note;
};

/// Nothing asked: bf16 where it is native, else fp32. bf16 asked: bf16 where
/// oneDNN runs it (emulated on AVX-512 without BF16), else fp32. fp16 asked:
/// oneDNN 2.6 has no fp16 matrix product on CPUs, so bf16 where native, else fp32.
[[nodiscard]] PrecisionChoice choose_precision(std::optional<models::Precision> requested,
                                               const MatmulSupport& support);

}  // namespace bioptimus::engine::detail

#endif  // BIOPTIMUS_SRC_ENGINE_PRECISION_HPP
