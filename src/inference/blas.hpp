// The BLAS behind LibTorch's fp32 matrix products. Debian's LibTorch is built
// against the generic BLAS interface (libblas.so.3, BLAS_INFO=generic), and
// update-alternatives decides which library that is: the reference (netlib)
// one, 10-30x slower, unless an optimised one (OpenBLAS, BLIS, ATLAS, MKL) is
// installed. Found deterministically from the libraries mapped into the
// process (their paths there are the files the symlinks resolve to), not by
// timing. No LibTorch here.
#ifndef BIOPTIMUS_SRC_INFERENCE_BLAS_HPP
#define BIOPTIMUS_SRC_INFERENCE_BLAS_HPP

#include <optional>
#include <string>
#include <string_view>

namespace bioptimus::inference::detail {

/// What a BLAS library file is.
enum class BlasKind {
  reference,  ///< the netlib reference implementation
  optimised,  ///< OpenBLAS, BLIS, ATLAS or MKL
};

/// The kind of the BLAS library at `path` (as mapped: symlinks resolved).
/// Debian's alternatives put each implementation in a folder of its name
/// (`openblas-openmp/libblas.so.3`, `blis-openmp/...`, `atlas/...`), the
/// reference one in `blas/`; a libblas file outside any optimised folder is
/// the reference one (Fedora's and Arch's netlib libblas.so.3 too).
[[nodiscard]] BlasKind classify_blas(std::string_view path) noexcept;

/// The path of the first generic BLAS (a file named libblas.so*) in the text
/// of /proc/PID/maps, or nothing when none is mapped (a LibTorch that links
/// MKL or OpenBLAS directly).
[[nodiscard]] std::optional<std::string> mapped_blas(std::string_view maps);

/// The warning for a process whose /proc/self/maps is `maps`: what is slow
/// and how to fix it, or nothing when the BLAS is optimised or not generic.
[[nodiscard]] std::optional<std::string> reference_blas_warning(std::string_view maps);

/// reference_blas_warning() for this process, read once (when LibTorch is loaded).
[[nodiscard]] const std::optional<std::string>& this_process_blas_warning();

/// Gives OpenBLAS `threads` threads when it is loaded (its pthreads build
/// keeps a pool of its own; the OpenMP build follows omp_set_num_threads).
void set_blas_threads(int threads) noexcept;

}  // namespace bioptimus::inference::detail

#endif  // BIOPTIMUS_SRC_INFERENCE_BLAS_HPP
