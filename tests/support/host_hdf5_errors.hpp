// A test playing a host program that uses HDF5 itself: it installs its own
// automatic error handler, which our writers must leave in place and not
// call for the errors they report themselves.
#ifndef BIOPTIMUS_TESTS_HOST_HDF5_ERRORS_HPP
#define BIOPTIMUS_TESTS_HOST_HDF5_ERRORS_HPP

#include <hdf5.h>
#include <catch2/catch.hpp>

namespace bioptimus::testing {

/// Installs a handler that counts the errors it is shown, and puts back
/// what was there before.
class HostHdf5Errors {
 public:
  HostHdf5Errors() {
    REQUIRE(H5Eget_auto2(H5E_DEFAULT, &previous_, &previous_data_) >= 0);
    REQUIRE(H5Eset_auto2(H5E_DEFAULT, count_errors, &count) >= 0);
  }
  HostHdf5Errors(const HostHdf5Errors&) = delete;
  HostHdf5Errors& operator=(const HostHdf5Errors&) = delete;
  ~HostHdf5Errors() { H5Eset_auto2(H5E_DEFAULT, previous_, previous_data_); }

  /// Whether HDF5's automatic error printing is still this handler.
  [[nodiscard]] bool installed() const {
    H5E_auto2_t function = nullptr;
    void* data = nullptr;
    return H5Eget_auto2(H5E_DEFAULT, &function, &data) >= 0 && function == count_errors && data == &count;
  }

  /// How many errors HDF5 printed through the handler.
  int count = 0;

 private:
  static herr_t count_errors(hid_t /*stack*/, void* count) {
    ++*static_cast<int*>(count);
    return 0;
  }

  H5E_auto2_t previous_ = nullptr;
  void* previous_data_ = nullptr;
};

}  // namespace bioptimus::testing

#endif  // BIOPTIMUS_TESTS_HOST_HDF5_ERRORS_HPP
