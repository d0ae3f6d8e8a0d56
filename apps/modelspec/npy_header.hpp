// The header of a .npy file (NumPy's format, versions 1 to 3), parsed from
// the file's bytes with every read bounds-checked: the only part of a .npy
// whose layout the file itself declares, so the part a fuzzer drives
// (fuzz/npy_header_fuzzer.cpp).
#ifndef BIOPTIMUS_APPS_NPY_HEADER_HPP
#define BIOPTIMUS_APPS_NPY_HEADER_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bioptimus::apps {

/// What a .npy header declares, and where its data starts.
struct NpyHeader {
  std::string descr;                ///< the dtype, as written ("|u1", "<f4")
  std::vector<std::int64_t> shape;  ///< each at least 0
  std::size_t data_offset = 0;      ///< the first data byte, within the file
};

/// Parses the magic, version, header length and header dictionary of
/// `file` (the whole file's bytes). Fortran order is refused.
/// @throws bioptimus::Error naming `source` and what is wrong.
[[nodiscard]] NpyHeader parse_npy_header(std::string_view file, const std::string& source);

}  // namespace bioptimus::apps

#endif  // BIOPTIMUS_APPS_NPY_HEADER_HPP
