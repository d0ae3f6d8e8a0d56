// The precision decision (src/inference/precision.hpp) for every CPU and
// request, on CPUs this machine is not (the decision is a function of a
// feature value), and the probe against what Linux reports in /proc/cpuinfo.
#include <catch2/catch.hpp>

#include <array>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>

#include "bioptimus/inference/backbone.hpp"
#include "precision.hpp"

namespace {

using bioptimus::inference::BackboneError;
using bioptimus::inference::detail::choose_precision;
using bioptimus::inference::detail::DeviceKind;
using bioptimus::inference::detail::native_bf16;
using bioptimus::inference::detail::NativeBf16;
using bioptimus::inference::detail::X86Features;
using bioptimus::models::Precision;

constexpr std::uint64_t xcr0_avx2 = 0b111;                          // x87, SSE, AVX
constexpr std::uint64_t xcr0_avx512 = 0b1110'0111;                  // + opmask, ZMM_Hi256, Hi16_ZMM
constexpr std::uint64_t xcr0_amx = xcr0_avx512 | (0b11ULL << 17U);  // + XTILECFG, XTILEDATA

constexpr X86Features zen3{.osxsave = true, .xcr0 = xcr0_avx2};
constexpr X86Features skylake_x{
    .osxsave = true, .xcr0 = xcr0_avx512, .avx512f = true, .avx512dq = true, .avx512bw = true, .avx512vl = true};
constexpr X86Features zen4{.osxsave = true,
                           .xcr0 = xcr0_avx512,
                           .avx512f = true,
                           .avx512dq = true,
                           .avx512bw = true,
                           .avx512vl = true,
                           .avx512_bf16 = true};
constexpr X86Features sapphire_rapids{.osxsave = true,
                                      .xcr0 = xcr0_amx,
                                      .avx512f = true,
                                      .avx512dq = true,
                                      .avx512bw = true,
                                      .avx512vl = true,
                                      .avx512_bf16 = true,
                                      .amx_tile = true,
                                      .amx_bf16 = true,
                                      .amx_permitted = true};

X86Features with(X86Features cpu, auto change) {
  change(cpu);
  return cpu;
}

}  // namespace

TEST_CASE("The native bf16 unit of known CPUs", "[precision]") {
  STATIC_REQUIRE(native_bf16(zen3) == NativeBf16::none);
  STATIC_REQUIRE(native_bf16(skylake_x) == NativeBf16::none);  // AVX-512 without BF16: oneDNN emulates it
  STATIC_REQUIRE(native_bf16(zen4) == NativeBf16::avx512_bf16);
  STATIC_REQUIRE(native_bf16(sapphire_rapids) == NativeBf16::amx_bf16);
  STATIC_REQUIRE(native_bf16(X86Features{}) == NativeBf16::none);  // not x86, or no CPUID
}

TEST_CASE("Each missing requirement takes away what needs it", "[precision]") {
  // AMX needs its two state components, Linux's permission and its two CPUID bits; without any of them the
  // AVX512-BF16 unit remains.
  CHECK(native_bf16(with(sapphire_rapids, [](X86Features& c) { c.amx_permitted = false; })) == NativeBf16::avx512_bf16);
  CHECK(native_bf16(with(sapphire_rapids, [](X86Features& c) { c.xcr0 = xcr0_avx512; })) == NativeBf16::avx512_bf16);
  CHECK(native_bf16(with(sapphire_rapids, [](X86Features& c) { c.xcr0 &= ~(1ULL << 18U); })) ==
        NativeBf16::avx512_bf16);
  CHECK(native_bf16(with(sapphire_rapids, [](X86Features& c) { c.amx_tile = false; })) == NativeBf16::avx512_bf16);
  CHECK(native_bf16(with(sapphire_rapids, [](X86Features& c) { c.amx_bf16 = false; })) == NativeBf16::avx512_bf16);
  // AMX on a CPU that does not report AVX512_BF16 (none is sold) is still AMX.
  CHECK(native_bf16(with(sapphire_rapids, [](X86Features& c) { c.avx512_bf16 = false; })) == NativeBf16::amx_bf16);

  // Both need the AVX-512 core and the OS saving its registers: without one, nothing.
  for (const X86Features& cpu : {zen4, sapphire_rapids}) {
    CHECK(native_bf16(with(cpu, [](X86Features& c) { c.avx512f = false; })) == NativeBf16::none);
    CHECK(native_bf16(with(cpu, [](X86Features& c) { c.avx512dq = false; })) == NativeBf16::none);
    CHECK(native_bf16(with(cpu, [](X86Features& c) { c.avx512bw = false; })) == NativeBf16::none);
    CHECK(native_bf16(with(cpu, [](X86Features& c) { c.avx512vl = false; })) == NativeBf16::none);
    CHECK(native_bf16(with(cpu, [](X86Features& c) { c.osxsave = false; })) == NativeBf16::none);
    for (const unsigned int state : {1U, 2U, 5U, 6U, 7U}) {  // SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM
      INFO("XCR0 bit " << state << " cleared");
      CHECK(native_bf16(with(cpu, [state](X86Features& c) { c.xcr0 &= ~(1ULL << state); })) == NativeBf16::none);
    }
  }
  CHECK(native_bf16(with(zen4, [](X86Features& c) { c.avx512_bf16 = false; })) == NativeBf16::none);
}

TEST_CASE("The precision for every spec, request, device and CPU", "[precision]") {
  constexpr std::array specs{Precision::fp32, Precision::fp16, Precision::bf16};
  constexpr std::array units{NativeBf16::none, NativeBf16::avx512_bf16, NativeBf16::amx_bf16};
  const std::array<std::optional<Precision>, 4> requests{std::nullopt, Precision::fp32, Precision::fp16,
                                                         Precision::bf16};
  for (const Precision spec : specs) {
    for (const NativeBf16 unit : units) {
      for (const std::optional<Precision>& request : requests) {
        INFO("spec " << to_string(spec) << ", CPU " << to_string(unit) << ", request "
                     << (request ? to_string(*request) : "auto"));
        // CUDA: the request, else the spec's precision, whatever the host CPU.
        CHECK(choose_precision(spec, request, DeviceKind::cuda, unit).precision == request.value_or(spec));
        if (request == Precision::fp16) {
          REQUIRE_THROWS_AS(choose_precision(spec, request, DeviceKind::cpu, unit), BackboneError);
          continue;
        }
        // The CPU: a request is obeyed (bf16 even where emulated); auto runs half-precision specs in bf16
        // where the CPU has a bf16 unit, fp32 elsewhere.
        const Precision automatic =
            spec != Precision::fp32 && unit != NativeBf16::none ? Precision::bf16 : Precision::fp32;
        CHECK(choose_precision(spec, request, DeviceKind::cpu, unit).precision == request.value_or(automatic));
      }
    }
  }
}

TEST_CASE("The reason names the spec's precision, the CPU's unit and the outcome", "[precision]") {
  CHECK(choose_precision(Precision::fp16, std::nullopt, DeviceKind::cpu, NativeBf16::none).reason ==
        "the spec asks for fp16; this CPU has no native bf16 (AVX512-BF16 or AMX-BF16), where bf16 is slower than "
        "fp32: fp32");
  CHECK(choose_precision(Precision::fp16, std::nullopt, DeviceKind::cpu, NativeBf16::amx_bf16).reason ==
        "the spec asks for fp16; this CPU runs bf16 natively (AMX-BF16): bf16 (autocast; no fp16 on the CPU)");
  CHECK(choose_precision(Precision::bf16, Precision::bf16, DeviceKind::cpu, NativeBf16::none).reason ==
        "bf16 as requested; this CPU has no native bf16 (AVX512-BF16 or AMX-BF16): emulated, much slower than fp32");
  CHECK(choose_precision(Precision::fp32, std::nullopt, DeviceKind::cpu, NativeBf16::avx512_bf16).reason ==
        "the spec's precision (fp32)");
  CHECK(choose_precision(Precision::bf16, std::nullopt, DeviceKind::cuda, NativeBf16::none).reason ==
        "the spec's precision (bf16) on CUDA");
  REQUIRE_THROWS_WITH(choose_precision(Precision::fp16, Precision::fp16, DeviceKind::cpu, NativeBf16::amx_bf16),
                      Catch::Matchers::StartsWith("precision fp16: not on the CPU"));
}

namespace {

// The flags Linux reports for the first CPU (absent on other systems: then nothing to compare).
std::optional<std::set<std::string>> cpuinfo_flags() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) == 0) {
      std::istringstream words(line.substr(line.find(':') + 1));
      std::set<std::string> flags;
      for (std::string flag; words >> flag;) {
        flags.insert(flag);
      }
      return flags;
    }
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("The probe agrees with the flags Linux reports in /proc/cpuinfo", "[precision]") {
  const std::optional<std::set<std::string>> flags = cpuinfo_flags();
  if (!flags) {
    WARN("no /proc/cpuinfo flags (not Linux on x86): nothing to compare");
    return;
  }
  const X86Features cpu = bioptimus::inference::detail::probe_x86_features();
  const auto has = [&](const char* flag) { return flags->count(flag) == 1; };
  // Linux hides a feature whose state it does not save, so a flag shown is a bit the probe reads, with its state.
  CHECK(cpu.avx512f == has("avx512f"));
  CHECK(cpu.avx512dq == has("avx512dq"));
  CHECK(cpu.avx512bw == has("avx512bw"));
  CHECK(cpu.avx512vl == has("avx512vl"));
  CHECK(cpu.avx512_bf16 == has("avx512_bf16"));
  CHECK(cpu.amx_tile == has("amx_tile"));
  CHECK(cpu.amx_bf16 == has("amx_bf16"));
  if (has("avx")) {
    CHECK(cpu.osxsave);
    CHECK((cpu.xcr0 & 0b110U) == 0b110U);  // SSE and AVX state
  }
  if (has("avx512f")) {
    CHECK((cpu.xcr0 & 0b1110'0000U) == 0b1110'0000U);
  }
  const bool native = has("avx512_bf16") || (has("amx_bf16") && has("amx_tile"));
  CHECK((native_bf16(cpu) != NativeBf16::none) == native);
  // Probing twice gives the same (the AMX permission, once granted, stays).
  CHECK(bioptimus::inference::detail::probe_x86_features() == cpu);
}
