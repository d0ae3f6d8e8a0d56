// probe_x86_features(): CPUID, XGETBV and Linux's AMX permission.
#include <cstdint>

#include "precision.hpp"

#if defined(__x86_64__)
#include <cpuid.h>
#endif
#if defined(__x86_64__) && defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace bioptimus::inference::detail {
namespace {

#if defined(__x86_64__)

constexpr bool bit(unsigned int word, unsigned int index) noexcept { return ((word >> index) & 1U) != 0; }

// XGETBV(0) without -mxsave: the instruction is only reached when OSXSAVE says it exists.
std::uint64_t read_xcr0() noexcept {
  std::uint32_t low = 0;
  std::uint32_t high = 0;
  __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
  return (std::uint64_t{high} << 32U) | low;
}

#if defined(__linux__)
// arch/x86/include/uapi/asm/prctl.h and the XSTATE component number of tile data.
constexpr long arch_get_xcomp_perm = 0x1022;
constexpr long arch_req_xcomp_perm = 0x1023;
constexpr unsigned int xfeature_xtiledata = 18;

bool xtiledata_permitted() noexcept {
  std::uint64_t permitted = 0;
  return syscall(SYS_arch_prctl, arch_get_xcomp_perm, &permitted) == 0 && ((permitted >> xfeature_xtiledata) & 1U) != 0;
}

// As oneDNN 2.6's amx::is_available(): ask only when not yet granted, then read back.
bool request_amx_permission() noexcept {
  if (xtiledata_permitted()) {
    return true;
  }
  return syscall(SYS_arch_prctl, arch_req_xcomp_perm, static_cast<unsigned long>(xfeature_xtiledata)) == 0 &&
         xtiledata_permitted();
}
#else
bool request_amx_permission() noexcept { return true; }
#endif

#endif

}  // namespace

X86Features probe_x86_features() noexcept {
  X86Features cpu;
#if defined(__x86_64__)
  unsigned int eax = 0;
  unsigned int ebx = 0;
  unsigned int ecx = 0;
  unsigned int edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) {
    return cpu;
  }
  cpu.osxsave = bit(ecx, 27);
  cpu.xcr0 = cpu.osxsave ? read_xcr0() : 0;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) {
    return cpu;
  }
  const unsigned int max_subleaf = eax;
  cpu.avx512f = bit(ebx, 16);
  cpu.avx512dq = bit(ebx, 17);
  cpu.avx512bw = bit(ebx, 30);
  cpu.avx512vl = bit(ebx, 31);
  cpu.amx_bf16 = bit(edx, 22);
  cpu.amx_tile = bit(edx, 24);
  if (max_subleaf >= 1 && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) != 0) {
    cpu.avx512_bf16 = bit(eax, 5);
  }
  cpu.amx_permitted = cpu.amx_tile && (cpu.xcr0 & xcr0_amx_state) == xcr0_amx_state && request_amx_permission();
#endif
  return cpu;
}

}  // namespace bioptimus::inference::detail
