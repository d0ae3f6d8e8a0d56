// HDF5 prints its error stack on stderr by default; our writers report what
// failed themselves. The setting belongs to the host program (which may use
// HDF5 itself), so it is switched off only while our HDF5 calls run and
// restored afterwards. HDF5 keeps it per thread in a thread-safe build
// (Debian's is), so a guard affects only the thread that made it.
#ifndef BIOPTIMUS_SRC_HDF5_SUPPORT_QUIET_HDF5_ERRORS_HPP
#define BIOPTIMUS_SRC_HDF5_SUPPORT_QUIET_HDF5_ERRORS_HPP

#include <hdf5.h>

namespace bioptimus::detail {

class QuietHdf5Errors {
 public:
  QuietHdf5Errors() noexcept {
    // Left alone when the current setting cannot be read: it could not be restored.
    saved_ = H5Eget_auto2(H5E_DEFAULT, &function_, &data_) >= 0;
    if (saved_) {
      H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    }
  }
  QuietHdf5Errors(const QuietHdf5Errors&) = delete;
  QuietHdf5Errors& operator=(const QuietHdf5Errors&) = delete;
  ~QuietHdf5Errors() {
    if (saved_) {
      H5Eset_auto2(H5E_DEFAULT, function_, data_);
    }
  }

 private:
  H5E_auto2_t function_ = nullptr;
  void* data_ = nullptr;
  bool saved_ = false;
};

}  // namespace bioptimus::detail

#endif  // BIOPTIMUS_SRC_HDF5_SUPPORT_QUIET_HDF5_ERRORS_HPP
