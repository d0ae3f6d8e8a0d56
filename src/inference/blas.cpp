#include "blas.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

namespace bioptimus::inference::detail {
namespace {

std::string lower(std::string_view text) {
  std::string result{text};
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return result;
}

std::string_view file_name(std::string_view path) noexcept {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

BlasKind classify_blas(std::string_view path) noexcept {
  // Names of the optimised implementations, in their folder or file names.
  constexpr std::array<std::string_view, 4> optimised{"openblas", "blis", "atlas", "mkl"};
  std::string folded;
  try {
    folded = lower(path);
  } catch (...) {
    return BlasKind::optimised;  // out of memory: no warning rather than a wrong one
  }
  const bool known = std::any_of(optimised.begin(), optimised.end(),
                                 [&](std::string_view name) { return folded.find(name) != std::string::npos; });
  return known ? BlasKind::optimised : BlasKind::reference;
}

std::optional<std::string> mapped_blas(std::string_view maps) {
  // A line: address perms offset dev inode [path]; the path is the rest after the inode.
  while (!maps.empty()) {
    const std::size_t end = maps.find('\n');
    const std::string_view line = maps.substr(0, end);
    maps = end == std::string_view::npos ? std::string_view{} : maps.substr(end + 1);
    const std::size_t start = line.find('/');
    if (start == std::string_view::npos) {
      continue;
    }
    const std::string_view path = line.substr(start);
    if (file_name(path).starts_with("libblas.so")) {
      return std::string{path};
    }
  }
  return std::nullopt;
}

std::optional<std::string> reference_blas_warning(std::string_view maps) {
  const std::optional<std::string> blas = mapped_blas(maps);
  if (!blas || classify_blas(*blas) != BlasKind::reference) {
    return std::nullopt;
  }
  return "LibTorch multiplies fp32 matrices with the reference BLAS (" + *blas +
         "), 10-30x slower than an optimised one. Install OpenBLAS (Debian: sudo apt-get install "
         "libopenblas0-openmp; it takes over libblas.so.3 through update-alternatives, see update-alternatives "
         "--display libblas.so.3-x86_64-linux-gnu); docs/inference.md, \"Performance\"";
}

const std::optional<std::string>& this_process_blas_warning() {
  static const std::optional<std::string> warning = [] {
    std::ifstream stream("/proc/self/maps");
    const std::string maps{std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>()};
    return reference_blas_warning(maps);
  }();
  return warning;
}

void set_blas_threads(int threads) noexcept {
  using SetThreads = void (*)(int);
  // openblas_set_num_threads is in every OpenBLAS build; absent, nothing to do.
  if (void* symbol = ::dlsym(RTLD_DEFAULT, "openblas_set_num_threads")) {
    SetThreads set_threads = nullptr;
    static_assert(sizeof(symbol) == sizeof(set_threads));
    std::memcpy(&set_threads, &symbol, sizeof(symbol));  // dlsym's object pointer to the function it names
    set_threads(threads);
  }
}

}  // namespace bioptimus::inference::detail
