#include "precision.hpp"

#include <string>

#include "bioptimus/inference/backbone.hpp"

namespace bioptimus::inference::detail {
namespace {

std::string spelled(models::Precision precision) { return std::string{models::to_string(precision)}; }

}  // namespace

PrecisionChoice choose_precision(models::Precision spec_precision, std::optional<models::Precision> requested,
                                 DeviceKind device, NativeBf16 cpu) {
  using models::Precision;
  if (device == DeviceKind::cuda) {
    if (requested) {
      return {*requested, spelled(*requested) + " as requested"};
    }
    return {spec_precision, "the spec's precision (" + spelled(spec_precision) + ") on CUDA"};
  }
  const std::string unit = cpu == NativeBf16::none
                               ? "this CPU has no native bf16 (AVX512-BF16 or AMX-BF16)"
                               : "this CPU runs bf16 natively (" + std::string{to_string(cpu)} + ")";
  if (requested) {
    switch (*requested) {
      case Precision::fp16:
        throw BackboneError(
            "precision fp16: not on the CPU (LibTorch's CPU autocast has bfloat16 only): use bf16, or auto to run the "
            "spec's precision where this CPU runs it natively");
      case Precision::bf16:
        return {Precision::bf16,
                "bf16 as requested; " + unit + (cpu == NativeBf16::none ? ": emulated, much slower than fp32" : "")};
      case Precision::fp32:
        break;
    }
    return {Precision::fp32, "fp32 as requested"};
  }
  if (spec_precision == Precision::fp32) {
    return {Precision::fp32, "the spec's precision (fp32)"};
  }
  const std::string spec = "the spec asks for " + spelled(spec_precision) + "; " + unit;
  if (cpu == NativeBf16::none) {
    return {Precision::fp32, spec + ", where bf16 is slower than fp32: fp32"};
  }
  return {Precision::bf16, spec + ": bf16 (autocast; no fp16 on the CPU)"};
}

}  // namespace bioptimus::inference::detail
