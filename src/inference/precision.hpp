// The precision a backbone runs in, decided in one place for every engine
// (the TorchScript backbone today, a native one later): from the spec's
// precision, the caller's request and what the device runs natively. No
// LibTorch here, so that an engine without it can call the same decision.
//
//   const PrecisionChoice choice = choose_precision(spec.precision(), options.precision, DeviceKind::cpu,
//                                                   native_bf16(probe_x86_features()));
//   // choice.precision: fp32 or bf16 on the CPU; choice.reason: one line for the log
#ifndef BIOPTIMUS_SRC_INFERENCE_PRECISION_HPP
#define BIOPTIMUS_SRC_INFERENCE_PRECISION_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bioptimus/models/vocabulary.hpp"

namespace bioptimus::inference::detail {

/// What an x86 CPU and its operating system offer for bfloat16, as read by
/// probe_x86_features(): CPUID bits (Intel SDM vol. 2A, CPUID leaf 07H) and
/// the state the OS saves for the process (XCR0; Linux's permission for AMX
/// tile data). A plain value, so that the decision can be tested for CPUs
/// this machine is not.
struct X86Features {
  /// CPUID.1:ECX[27] OSXSAVE: the OS uses XSAVE, so XGETBV reads XCR0.
  bool osxsave = false;
  /// XCR0, the state components the OS saves (0 without OSXSAVE).
  std::uint64_t xcr0 = 0;
  /// CPUID.(7,0):EBX[16], [17], [30], [31]: AVX512F, DQ, BW, VL (oneDNN's
  /// avx512_core, and what LibTorch 1.13 asks before it sends bf16 to oneDNN).
  bool avx512f = false;
  bool avx512dq = false;
  bool avx512bw = false;
  bool avx512vl = false;
  /// CPUID.(7,1):EAX[5]: AVX512_BF16 (VDPBF16PS and the bf16 conversions).
  bool avx512_bf16 = false;
  /// CPUID.(7,0):EDX[24] AMX-TILE and EDX[22] AMX-BF16.
  bool amx_tile = false;
  bool amx_bf16 = false;
  /// Linux granted this process the AMX tile data state: arch_prctl
  /// ARCH_GET_XCOMP_PERM, then ARCH_REQ_XCOMP_PERM(XFEATURE_XTILEDATA) when
  /// not yet granted, as oneDNN 2.6 does before it uses AMX.
  bool amx_permitted = false;

  friend constexpr bool operator==(const X86Features&, const X86Features&) noexcept = default;
};

/// XCR0 bits: x87 (0), SSE (1), AVX (2), AVX-512 opmask (5), ZMM_Hi256 (6),
/// Hi16_ZMM (7), AMX XTILECFG (17) and XTILEDATA (18).
inline constexpr std::uint64_t xcr0_avx512_state = 0b1110'0110;
inline constexpr std::uint64_t xcr0_amx_state = (std::uint64_t{1} << 17U) | (std::uint64_t{1} << 18U);

/// The fastest bfloat16 matrix unit the CPU runs natively, if any.
enum class NativeBf16 {
  none,         ///< bf16 is emulated (LibTorch converts and computes in fp32): slower than fp32
  avx512_bf16,  ///< AVX512_BF16 dot products (Cooper Lake, Zen 4, Zen 5)
  amx_bf16,     ///< AMX tiles (Sapphire Rapids and later)
};

[[nodiscard]] constexpr std::string_view to_string(NativeBf16 unit) noexcept {
  switch (unit) {
    case NativeBf16::avx512_bf16:
      return "AVX512-BF16";
    case NativeBf16::amx_bf16:
      return "AMX-BF16";
    case NativeBf16::none:
      break;
  }
  return "none";
}

/// The bf16 unit `cpu` can run: the instructions, the AVX-512 core they need
/// and the OS state that makes them usable (an instruction whose registers the
/// OS does not save faults).
[[nodiscard]] constexpr NativeBf16 native_bf16(const X86Features& cpu) noexcept {
  const bool avx512_core = cpu.avx512f && cpu.avx512dq && cpu.avx512bw && cpu.avx512vl && cpu.osxsave &&
                           (cpu.xcr0 & xcr0_avx512_state) == xcr0_avx512_state;
  if (!avx512_core) {
    return NativeBf16::none;
  }
  if (cpu.amx_tile && cpu.amx_bf16 && (cpu.xcr0 & xcr0_amx_state) == xcr0_amx_state && cpu.amx_permitted) {
    return NativeBf16::amx_bf16;
  }
  return cpu.avx512_bf16 ? NativeBf16::avx512_bf16 : NativeBf16::none;
}

/// Reads this CPU's features (CPUID, XGETBV, and on Linux the AMX permission,
/// requested as oneDNN does). All false on a CPU that is not x86-64.
[[nodiscard]] X86Features probe_x86_features() noexcept;

/// The device kind a backbone runs on.
enum class DeviceKind { cpu, cuda };

/// The precision a backbone runs in and why, in words for the log.
struct PrecisionChoice {
  models::Precision precision;
  std::string reason;
};

/// Decides the precision: `requested` when given (nothing means auto), else
/// the spec's on CUDA; on the CPU, auto runs an fp16 or bf16 spec in bf16
/// where the CPU has a native bf16 unit and in fp32 elsewhere (emulated bf16
/// is slower than fp32), and an fp32 spec in fp32. bf16 on the CPU means
/// autocast: matrix products and convolutions in bf16, the rest as the model
/// says (LibTorch's CPU autocast has no fp16).
/// @throws BackboneError when fp16 is requested on the CPU.
[[nodiscard]] PrecisionChoice choose_precision(models::Precision spec_precision,
                                               std::optional<models::Precision> requested, DeviceKind device,
                                               NativeBf16 cpu);

}  // namespace bioptimus::inference::detail

#endif  // BIOPTIMUS_SRC_INFERENCE_PRECISION_HPP
