// An HDF5 identifier owned with the function that closes its kind (H5Fclose,
// H5Dclose, ...): closed when it goes out of scope, or earlier by reset().
#ifndef BIOPTIMUS_SRC_HDF5_SUPPORT_HDF5_HANDLE_HPP
#define BIOPTIMUS_SRC_HDF5_SUPPORT_HDF5_HANDLE_HPP

#include <hdf5.h>

#include <utility>

namespace bioptimus::detail {

class Hdf5Handle {
 public:
  Hdf5Handle() = default;
  Hdf5Handle(hid_t id, herr_t (*close)(hid_t)) noexcept : id_(id), close_(close) {}
  Hdf5Handle(Hdf5Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), close_(other.close_) {}
  Hdf5Handle& operator=(Hdf5Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
      close_ = other.close_;
    }
    return *this;
  }
  Hdf5Handle(const Hdf5Handle&) = delete;
  Hdf5Handle& operator=(const Hdf5Handle&) = delete;
  ~Hdf5Handle() { reset(); }

  [[nodiscard]] hid_t get() const noexcept { return id_; }
  [[nodiscard]] bool valid() const noexcept { return id_ >= 0; }
  /// Closes now; false when HDF5 reports an error.
  bool reset() noexcept {
    const hid_t id = std::exchange(id_, H5I_INVALID_HID);
    return id < 0 || close_(id) >= 0;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  herr_t (*close_)(hid_t) = nullptr;
};

}  // namespace bioptimus::detail

#endif  // BIOPTIMUS_SRC_HDF5_SUPPORT_HDF5_HANDLE_HPP
