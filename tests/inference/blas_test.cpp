// Which BLAS is behind LibTorch (src/inference/blas.hpp): library paths as
// Debian, Fedora and Arch install them, and /proc/PID/maps texts of a process
// with each.
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "blas.hpp"

namespace {

using bioptimus::inference::detail::BlasKind;
using bioptimus::inference::detail::classify_blas;
using bioptimus::inference::detail::mapped_blas;
using bioptimus::inference::detail::reference_blas_warning;

// The start of a process's maps with LibTorch loaded, then the BLAS line, then the rest.
std::string maps_with(const std::string& blas_line) {
  return "55d0c8a00000-55d0c8a02000 r--p 00000000 08:01 1311031                    /usr/bin/modelspec-extract\n"
         "55d0c9c5e000-55d0ca0b0000 rw-p 00000000 00:00 0                          [heap]\n"
         "7f2a10000000-7f2a14e00000 r-xp 00000000 08:01 1316642                    "
         "/usr/lib/x86_64-linux-gnu/libtorch_cpu.so.1.13.0\n" +
         blas_line +
         "7f2a1c400000-7f2a1c800000 r-xp 00000000 08:01 1313010                    "
         "/usr/lib/x86_64-linux-gnu/libdnnl.so.2.6\n"
         "7ffd5b5e6000-7ffd5b607000 rw-p 00000000 00:00 0                          [stack]\n";
}

const std::string reference_line =
    "7f2a1b200000-7f2a1b27c000 r-xp 00002000 08:01 1312456                    "
    "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0\n";
const std::string openblas_line =
    "7f2a1b200000-7f2a1b27c000 r-xp 00002000 08:01 1312488                    "
    "/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3\n";

}  // namespace

TEST_CASE("BLAS libraries as the distributions install them", "[blas]") {
  // Debian and Ubuntu: update-alternatives picks one of these for libblas.so.3.
  CHECK(classify_blas("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0") == BlasKind::reference);
  CHECK(classify_blas("/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3") == BlasKind::optimised);
  CHECK(classify_blas("/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3") == BlasKind::optimised);
  CHECK(classify_blas("/usr/lib/x86_64-linux-gnu/blis-openmp/libblas.so.3") == BlasKind::optimised);
  CHECK(classify_blas("/usr/lib/x86_64-linux-gnu/atlas/libblas.so.3.10.3") == BlasKind::optimised);
  CHECK(classify_blas("/usr/lib/x86_64-linux-gnu/libmkl_rt.so") == BlasKind::optimised);
  // Fedora's and Arch's netlib BLAS; Arch's blas-openblas, a libblas.so.3 symlink resolved to OpenBLAS.
  CHECK(classify_blas("/usr/lib64/libblas.so.3.9.0") == BlasKind::reference);
  CHECK(classify_blas("/usr/lib/libblas.so.3.12.0") == BlasKind::reference);
  CHECK(classify_blas("/usr/lib/libopenblas.so.0.3") == BlasKind::optimised);
}

TEST_CASE("The generic BLAS mapped into a process", "[blas]") {
  CHECK(mapped_blas(maps_with(reference_line)) == "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0");
  CHECK(mapped_blas(maps_with(openblas_line)) == "/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3");
  // A LibTorch linked to MKL or OpenBLAS directly maps no libblas.so: nothing to say.
  CHECK(mapped_blas(maps_with("")) == std::nullopt);
  CHECK(mapped_blas("") == std::nullopt);
  // A path with spaces is kept whole; a name that merely contains "libblas" is not the generic BLAS.
  CHECK(mapped_blas("7f2a1b200000-7f2a1b27c000 r-xp 00000000 08:01 1 /opt/my libs/libblas.so.3") ==
        "/opt/my libs/libblas.so.3");
  CHECK(mapped_blas("7f2a1b200000-7f2a1b27c000 r-xp 00000000 08:01 1 /opt/lib/libblaspp.so.1") == std::nullopt);
}

TEST_CASE("The warning: only for the reference BLAS, naming it and the fix", "[blas]") {
  const std::optional<std::string> warning = reference_blas_warning(maps_with(reference_line));
  REQUIRE(warning);
  CHECK_THAT(*warning, Catch::Matchers::Contains("reference BLAS (/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0)"));
  CHECK_THAT(*warning, Catch::Matchers::Contains("apt-get install libopenblas0-openmp"));
  CHECK(reference_blas_warning(maps_with(openblas_line)) == std::nullopt);
  CHECK(reference_blas_warning(maps_with("")) == std::nullopt);
}
