// Writes an export under a temporary name beside the target and renames it,
// so that a reader never sees half a file and a failure leaves nothing behind.
#ifndef BIOPTIMUS_SRC_EXTRACTION_DETAIL_EXPORT_FILE_HPP
#define BIOPTIMUS_SRC_EXTRACTION_DETAIL_EXPORT_FILE_HPP

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <system_error>

#include "bioptimus/error.hpp"

namespace bioptimus::detail {

/// Calls `write(temporary)`, which returns whether it succeeded, then
/// renames the temporary file to `target`. @throws Error naming `target`.
template <class Writer>
void write_atomically(const std::filesystem::path& target, Writer&& write) {
  static std::atomic<unsigned> counter{0};
  std::error_code error;
  if (target.has_parent_path()) {
    std::filesystem::create_directories(target.parent_path(), error);
    if (error) {
      throw Error(target.string() + ": cannot create the directory: " + error.message());
    }
  }
  const std::filesystem::path temporary =
      target.string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  bool written = false;
  try {
    written = write(temporary);
  } catch (...) {
    std::filesystem::remove(temporary, error);
    throw;
  }
  if (!written) {
    std::filesystem::remove(temporary, error);
    throw Error(target.string() + ": cannot write the file");
  }
  std::filesystem::rename(temporary, target, error);
  if (error) {
    const std::string reason = error.message();
    std::filesystem::remove(temporary, error);
    throw Error(target.string() + ": cannot rename the temporary file into place: " + reason);
  }
}

}  // namespace bioptimus::detail

#endif  // BIOPTIMUS_SRC_EXTRACTION_DETAIL_EXPORT_FILE_HPP
