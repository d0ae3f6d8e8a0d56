// A full disk for the current process, portably: RLIMIT_FSIZE caps every
// file it writes (a write past the cap fails with EFBIG, SIGXFSZ ignored),
// restored when the object goes. Needs no privilege, unlike a small tmpfs.
#ifndef BIOPTIMUS_TESTS_FILE_SIZE_LIMIT_HPP
#define BIOPTIMUS_TESTS_FILE_SIZE_LIMIT_HPP

#include <sys/resource.h>

#include <csignal>
#include <stdexcept>

namespace bioptimus::testing {

class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    if (::getrlimit(RLIMIT_FSIZE, &saved_) != 0) {
      throw std::runtime_error("getrlimit(RLIMIT_FSIZE) failed");
    }
    previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    const rlimit capped{bytes, saved_.rlim_max};
    if (::setrlimit(RLIMIT_FSIZE, &capped) != 0) {
      throw std::runtime_error("setrlimit(RLIMIT_FSIZE) failed");
    }
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, previous_handler_);
  }

 private:
  rlimit saved_{};
  void (*previous_handler_)(int) = nullptr;
};

}  // namespace bioptimus::testing

#endif  // BIOPTIMUS_TESTS_FILE_SIZE_LIMIT_HPP
