// An HDF5 file written into an OutputFile (output_file.hpp), and closed so
// that a failed write leaves nothing of it in HDF5.
//
// HDF5 writes through a file driver of ours over the OutputFile's open
// descriptor: it never opens a path (the temporary is the exclusively
// created, locked file and nothing else) and never locks it (the OutputFile
// holds the lock).
//
// The reason for a driver of our own: HDF5 1.10 writes what it still holds
// when a dataset or the file is closed, and when that write fails (a full
// disk, a file size limit) the close fails and leaves the object in its ID
// table half destroyed; HDF5 closes it again at exit and crashes
// (HDFFV-11052, fixed in HDF5 1.14.1). This driver records the first write
// that fails and fails it, so that HDF5 reports it, unless the file is being
// closed; after it, and during closing, writes and truncations are dropped
// and succeed (the file is discarded anyway): the closes succeed, nothing of
// the file stays open in HDF5, and Hdf5File::close() reports the failure.
#ifndef BIOPTIMUS_SRC_DETAIL_HDF5_FILE_HPP
#define BIOPTIMUS_SRC_DETAIL_HDF5_FILE_HPP

#include <hdf5.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hdf5_handle.hpp"
#include "output_file.hpp"

namespace bioptimus::detail {

/// ": No space left on device" when the error HDF5 just reported on this
/// thread came from a failed system call (its drivers record errno), else
/// "". For messages, right after the failing call.
[[nodiscard]] inline std::string hdf5_system_error() {
  int error_number = 0;
  const auto find_errno = [](unsigned, const H5E_error2_t* error, void* found) -> herr_t {
    constexpr std::string_view key = "errno = ";
    const std::string_view description = error->desc != nullptr ? error->desc : "";
    if (const std::size_t at = description.find(key); at != std::string_view::npos) {
      *static_cast<int*>(found) = std::atoi(std::string(description.substr(at + key.size(), 8)).c_str());
      return 1;  // stop the walk
    }
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, find_errno, &error_number);
  return error_number > 0 ? ": " + std::string(std::strerror(error_number)) : std::string();
}

namespace hdf5_driver {

inline herr_t push_error(hid_t minor, const char* what, int error_number) {
  H5Epush2(H5E_DEFAULT, __FILE__, "bioptimus descriptor driver", __LINE__, H5E_ERR_CLS, H5E_VFL, minor,
           "%s failed, errno = %d, error message = '%s'", what, error_number, std::strerror(error_number));
  return -1;
}

/// What the driver writes to, and where it records its first failure.
struct Target {
  int descriptor = -1;
  int error = 0;         ///< errno of the first failed write, or 0
  bool closing = false;  ///< failures are recorded, not returned to HDF5
};

// Records a failed write or truncation; fails it unless the file is closing.
inline herr_t failed(Target& target, const char* what, int error_number) {
  target.error = error_number;
  return target.closing ? 0 : push_error(H5E_WRITEERROR, what, error_number);
}

/// The driver's file-access information: a pointer to the Target.
struct Configuration {
  Target* target;
};

/// An open file of the driver; HDF5 fills `public_part`, which comes first.
struct File {
  H5FD_t public_part;
  Target* target;
  haddr_t end_of_address = 0;
  haddr_t end_of_file = 0;
};

inline File* of(H5FD_t* file) { return reinterpret_cast<File*>(file); }
inline const File* of(const H5FD_t* file) { return reinterpret_cast<const File*>(file); }

inline H5FD_t* open(const char*, unsigned flags, hid_t access, haddr_t) {
  const auto* configuration = static_cast<const Configuration*>(H5Pget_driver_info(access));
  if (configuration == nullptr || configuration->target == nullptr) {
    return nullptr;
  }
  Target* target = configuration->target;
  if ((flags & H5F_ACC_TRUNC) != 0 && ::ftruncate(target->descriptor, 0) != 0) {
    push_error(H5E_WRITEERROR, "truncate", errno);
    return nullptr;
  }
  struct stat status {};
  if (::fstat(target->descriptor, &status) != 0) {
    push_error(H5E_READERROR, "fstat", errno);
    return nullptr;
  }
  auto* file = new (std::nothrow) File{};
  if (file == nullptr) {
    return nullptr;
  }
  file->target = target;
  file->end_of_file = static_cast<haddr_t>(status.st_size);
  return &file->public_part;
}

inline herr_t close(H5FD_t* file) {
  delete of(file);  // the descriptor belongs to the OutputFile
  return 0;
}

inline int compare(const H5FD_t* a, const H5FD_t* b) {
  const int left = of(a)->target->descriptor;
  const int right = of(b)->target->descriptor;
  return left < right ? -1 : left > right ? 1 : 0;
}

// As HDF5's sec2 driver: small metadata and raw data are gathered into
// larger writes.
inline herr_t query(const H5FD_t*, unsigned long* flags) {
  if (flags != nullptr) {
    *flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE |
             H5FD_FEAT_AGGREGATE_SMALLDATA;
  }
  return 0;
}

inline haddr_t get_end_of_address(const H5FD_t* file, H5FD_mem_t) { return of(file)->end_of_address; }

inline herr_t set_end_of_address(H5FD_t* file, H5FD_mem_t, haddr_t address) {
  of(file)->end_of_address = address;
  return 0;
}

inline haddr_t get_end_of_file(const H5FD_t* file, H5FD_mem_t) { return of(file)->end_of_file; }

inline herr_t get_handle(H5FD_t* file, hid_t, void** handle) {
  *handle = &of(file)->target->descriptor;
  return 0;
}

// Past the end of the file (or of what a failure dropped) reads zeros.
inline herr_t read(H5FD_t* file, H5FD_mem_t, hid_t, haddr_t address, std::size_t size, void* buffer) {
  auto* bytes = static_cast<char*>(buffer);
  while (size > 0) {
    const ::ssize_t count = ::pread(of(file)->target->descriptor, bytes, size, static_cast<::off_t>(address));
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count < 0) {
      return push_error(H5E_READERROR, "read", errno);
    }
    if (count == 0) {
      std::memset(bytes, 0, size);
      break;
    }
    bytes += count;
    address += static_cast<haddr_t>(count);
    size -= static_cast<std::size_t>(count);
  }
  return 0;
}

inline herr_t write(H5FD_t* handle, H5FD_mem_t, hid_t, haddr_t address, std::size_t size, const void* buffer) {
  File& file = *of(handle);
  if (file.target->error != 0) {
    return 0;  // the file failed: dropped, so that HDF5's closes succeed
  }
  const auto* bytes = static_cast<const char*>(buffer);
  const haddr_t end = address + size;
  while (size > 0) {
    const ::ssize_t count = ::pwrite(file.target->descriptor, bytes, size, static_cast<::off_t>(address));
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count <= 0) {
      return failed(*file.target, "write", count < 0 ? errno : ENOSPC);
    }
    bytes += count;
    address += static_cast<haddr_t>(count);
    size -= static_cast<std::size_t>(count);
  }
  file.end_of_file = std::max(file.end_of_file, end);
  return 0;
}

// The file's size follows the end of the address space, as in sec2.
inline herr_t truncate(H5FD_t* handle, hid_t, hbool_t) {
  File& file = *of(handle);
  if (file.target->error != 0 || file.end_of_address == file.end_of_file) {
    return 0;
  }
  if (::ftruncate(file.target->descriptor, static_cast<::off_t>(file.end_of_address)) != 0) {
    return failed(*file.target, "truncate", errno);
  }
  file.end_of_file = file.end_of_address;
  return 0;
}

/// The driver's identifier, registered once per process (per library).
[[nodiscard]] inline hid_t identifier() {
  static const hid_t registered = [] {
    H5FD_class_t driver{};
    driver.name = "bioptimus-descriptor";
    driver.maxaddr = static_cast<haddr_t>(std::numeric_limits<::off_t>::max());
    driver.fc_degree = H5F_CLOSE_STRONG;
    driver.fapl_size = sizeof(Configuration);
    driver.open = open;
    driver.close = close;
    driver.cmp = compare;
    driver.query = query;
    driver.get_eoa = get_end_of_address;
    driver.set_eoa = set_end_of_address;
    driver.get_eof = get_end_of_file;
    driver.get_handle = get_handle;
    driver.read = read;
    driver.write = write;
    driver.truncate = truncate;
    const H5FD_mem_t map[] = H5FD_FLMAP_DICHOTOMY;
    std::copy(std::begin(map), std::end(map), std::begin(driver.fl_map));
    return H5FDregister(&driver);
  }();
  return registered;
}

}  // namespace hdf5_driver

/// A new HDF5 file in an OutputFile's temporary, with the datasets the
/// writer keeps open until close(). See the file comment.
class Hdf5File {
 public:
  /// Creates the file; valid() says whether HDF5 could.
  explicit Hdf5File(const OutputFile& output)
      : target_{.descriptor = output.descriptor(), .error = 0, .closing = false} {
    const hid_t driver = hdf5_driver::identifier();
    const Hdf5Handle access(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    const hdf5_driver::Configuration configuration{.target = &target_};
    if (driver >= 0 && access.valid() && H5Pset_driver(access.get(), driver, &configuration) >= 0) {
      file_ = Hdf5Handle(H5Fcreate(output.path().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), H5Fclose);
    }
  }
  Hdf5File(const Hdf5File&) = delete;
  Hdf5File& operator=(const Hdf5File&) = delete;
  ~Hdf5File() { (void)close(); }

  [[nodiscard]] bool valid() const noexcept { return file_.valid(); }
  [[nodiscard]] hid_t get() const noexcept { return file_.get(); }

  /// Keeps `object` (a dataset or group of this file) open until close();
  /// returns its identifier.
  hid_t keep(Hdf5Handle object) {
    objects_.push_back(std::move(object));
    return objects_.back().get();
  }

  /// Closes the objects kept and the file; true when every byte reached the
  /// file. Afterwards nothing of the file is open in HDF5.
  bool close() noexcept {
    target_.closing = true;
    bool closed = true;
    for (Hdf5Handle& object : objects_) {
      closed = object.reset() && closed;
    }
    objects_.clear();
    closed = file_.reset() && closed;
    return closed && target_.error == 0;
  }

  /// Why writing failed: ": No space left on device", or "".
  [[nodiscard]] std::string failure() const {
    return target_.error != 0 ? ": " + std::string(std::strerror(target_.error)) : std::string();
  }

 private:
  // Before the file: the driver writes to it until the file is closed.
  hdf5_driver::Target target_;
  Hdf5Handle file_;
  std::vector<Hdf5Handle> objects_;
};

}  // namespace bioptimus::detail

#endif  // BIOPTIMUS_SRC_DETAIL_HDF5_FILE_HPP
