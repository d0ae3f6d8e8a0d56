// An HDF5 file written into an OutputFile (output_file.hpp): created by HDF5
// through /proc/self/fd/N, so that it is the exclusively created, locked
// temporary and nothing else. HDF5's own file locking is off for it: its
// flock on a second open of the file would clash with the OutputFile's.
#ifndef BIOPTIMUS_SRC_DETAIL_HDF5_FILE_HPP
#define BIOPTIMUS_SRC_DETAIL_HDF5_FILE_HPP

#include <hdf5.h>

#include "hdf5_handle.hpp"
#include "output_file.hpp"

#if !H5_VERSION_GE(1, 10, 7)
#error "HDF5 1.10.7 or later is needed (H5Pset_file_locking)"
#endif

namespace bioptimus::detail {

/// A new HDF5 file in `output`'s temporary (invalid when HDF5 fails; the
/// caller reports it). Close it before output.commit().
[[nodiscard]] inline Hdf5Handle create_hdf5_file(const OutputFile& output) {
  const Hdf5Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (!access.valid() || H5Pset_file_locking(access.get(), false, true) < 0) {
    return {};
  }
  return {H5Fcreate(output.reopen_path().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), H5Fclose};
}

}  // namespace bioptimus::detail

#endif  // BIOPTIMUS_SRC_DETAIL_HDF5_FILE_HPP
