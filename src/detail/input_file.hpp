// Opening a file a user names, for reading: the one rule every layer, the
// tool and the bindings apply to config files, slides, manifests, model
// weights and preprocess inputs.
//
// - Regular files only (after following links). A FIFO would block the
//   open or the first read forever; a directory, a socket or a device is not
//   data, and a link to /dev/zero would be read until memory runs out.
// - Nothing blocks: the path is checked with stat() before it is opened, so
//   that a device node is never opened at all (opening some has side effects,
//   /dev/watchdog arms a reboot), then opened with O_NONBLOCK (a FIFO swapped
//   in meanwhile does not wait for a writer) and checked again on the open
//   descriptor, which no later rename can change.
// - A size limit per kind of input, checked on the descriptor before
//   reading and again while reading (the file may grow).
// - Messages name the path, what was expected and what was found:
//   `PATH: expected a manifest (a CSV file), got a FIFO (named pipe)`.
//
// Header-only and internal (src/detail, never installed): each layer is its
// own library, static or shared with hidden visibility, and several link
// none of the others, so an inline definition in every library that needs it
// is the one home they can all share without a new exported target.
#ifndef BIOPTIMUS_SRC_DETAIL_INPUT_FILE_HPP
#define BIOPTIMUS_SRC_DETAIL_INPUT_FILE_HPP

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "bioptimus/error.hpp"

namespace bioptimus::detail {

/// What a file that is not a regular file is, for messages: "a FIFO (named
/// pipe)", "a directory", "a socket", "a character device", "a block device".
[[nodiscard]] inline const char* kind_of_file(mode_t mode) noexcept {
  if (S_ISDIR(mode)) {
    return "a directory";
  }
  if (S_ISFIFO(mode)) {
    return "a FIFO (named pipe)";
  }
  if (S_ISSOCK(mode)) {
    return "a socket";
  }
  if (S_ISCHR(mode)) {
    return "a character device";
  }
  if (S_ISBLK(mode)) {
    return "a block device";
  }
  if (S_ISREG(mode)) {
    return "a regular file";
  }
  return "a file that is not a regular file";
}

/// A file that cannot be read as the input it was named for. what() is
/// `PATH: REASON`, the path as given (the tool escapes what it prints);
/// reason() is the part after the path, for callers that locate it
/// themselves (a config's Diagnostic, a manifest's line and column).
class BIOPTIMUS_VISIBLE_TYPE InputFileError : public Error {
 public:
  InputFileError(const std::filesystem::path& path, std::string reason, int error_number = 0)
      : Error(path.string() + ": " + reason), path_(path), reason_(std::move(reason)), error_number_(error_number) {}

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] const std::string& reason() const noexcept { return reason_; }
  /// reason() as the layers' own messages put it: "no such file" for a
  /// missing file (the system's text says "directory" too), else reason().
  [[nodiscard]] std::string brief_reason() const {
    return error_number_ == ENOENT ? std::string("no such file") : reason_;
  }
  /// The errno of a failed system call (ENOENT: no such file), else 0.
  [[nodiscard]] int error_number() const noexcept { return error_number_; }

 private:
  std::filesystem::path path_;
  std::string reason_;
  int error_number_;
};

/// "cannot open: " and the system's text for `error_number`.
[[nodiscard]] inline std::string cannot_open(int error_number) {
  return "cannot open: " + std::string(std::strerror(error_number));
}

/// How an input is checked. The texts are literals (an InputFile keeps them).
struct InputRules {
  /// What the file was named for, in messages: "expected EXPECTED, got a
  /// FIFO (named pipe)" ("a YAML file", "a slide file", ...).
  std::string_view expected = "a regular file";
  /// The largest size accepted, in bytes.
  std::uint64_t max_bytes = std::numeric_limits<std::uint64_t>::max();
  /// What a file too large is called: "NOUN too large: 2097152 bytes, at
  /// most 1048576 are accepted" ("config", "manifest"; empty: "too large").
  std::string_view noun = {};
};

/// "NOUN too large: SIZE bytes, at most MAX are accepted".
[[nodiscard]] inline std::string too_large(const InputRules& rules, std::uint64_t size) {
  return (rules.noun.empty() ? std::string() : std::string(rules.noun) + " ") + "too large: " + std::to_string(size) +
         " bytes, at most " + std::to_string(rules.max_bytes) + " are accepted";
}

/// Why a file cannot be read as an input.
struct InputProblem {
  std::string reason;
  /// The errno of a failed system call (ENOENT: no such file), else 0.
  int error_number = 0;
};

/// Why `path` is not a regular file of at most rules.max_bytes, checked with
/// stat() only (nothing is opened), or nothing when it is one. For a path
/// that is checked now and opened later (a manifest's slide paths).
[[nodiscard]] inline std::optional<InputProblem> input_problem(const std::filesystem::path& path,
                                                               const InputRules& rules = {}) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) {
    const int error_number = errno;
    return InputProblem{cannot_open(error_number), error_number};
  }
  if (!S_ISREG(status.st_mode)) {
    return InputProblem{"expected " + std::string(rules.expected) + ", got " + kind_of_file(status.st_mode)};
  }
  if (static_cast<std::uint64_t>(status.st_size) > rules.max_bytes) {
    return InputProblem{too_large(rules, static_cast<std::uint64_t>(status.st_size))};
  }
  return std::nullopt;
}

/// A regular file open for reading, closed when the object goes.
class InputFile {
 public:
  /// Opens `path` under `rules` (see the file comment).
  /// @throws InputFileError naming the path and what is wrong.
  [[nodiscard]] static InputFile open(const std::filesystem::path& path, const InputRules& rules = {}) {
    if (path.native().find('\0') != std::string::npos) {
      throw InputFileError(path, "the path holds a NUL byte");
    }
    if (const std::optional<InputProblem> problem = input_problem(path, rules)) {
      throw InputFileError(path, problem->reason, problem->error_number);
    }
    InputFile file(path, rules);
    file.descriptor_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    struct stat status {};
    if (file.descriptor_ < 0 || ::fstat(file.descriptor_, &status) != 0) {
      const int error_number = errno;
      throw InputFileError(path, cannot_open(error_number), error_number);
    }
    // Replaced between the two checks: the descriptor is what counts.
    if (!S_ISREG(status.st_mode)) {
      throw InputFileError(path, "expected " + std::string(rules.expected) + ", got " + kind_of_file(status.st_mode));
    }
    file.size_ = static_cast<std::uint64_t>(status.st_size);
    if (file.size_ > rules.max_bytes) {
      throw InputFileError(path, too_large(rules, file.size_));
    }
    return file;
  }

  InputFile(InputFile&& other) noexcept
      : path_(std::move(other.path_)),
        rules_(other.rules_),
        descriptor_(std::exchange(other.descriptor_, -1)),
        size_(other.size_) {}
  InputFile& operator=(InputFile&& other) noexcept {
    if (this != &other) {
      close();
      path_ = std::move(other.path_);
      rules_ = other.rules_;
      descriptor_ = std::exchange(other.descriptor_, -1);
      size_ = other.size_;
    }
    return *this;
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile() { close(); }

  [[nodiscard]] int descriptor() const noexcept { return descriptor_; }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  /// The size when it was opened.
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }

  /// The whole content from the current position, at most the rules'
  /// max_bytes however much the file grows while it is read.
  /// @throws InputFileError when it cannot be read or grows too large.
  [[nodiscard]] std::string read_all() const {
    std::string bytes;
    // Sized by the file first, then grown: at most max_bytes + 1, enough to
    // tell that it is too large.
    const std::uint64_t max_bytes = rules_.max_bytes;
    const std::uint64_t limit = max_bytes == std::numeric_limits<std::uint64_t>::max() ? max_bytes : max_bytes + 1;
    bytes.resize(static_cast<std::size_t>(std::min<std::uint64_t>(size_ + 1, limit)));
    std::size_t filled = 0;
    while (true) {
      if (filled == bytes.size()) {
        if (filled > max_bytes) {
          throw InputFileError(path_, too_large_while_read());
        }
        bytes.resize(static_cast<std::size_t>(std::min<std::uint64_t>(2 * std::uint64_t{filled} + 4096, limit)));
      }
      const ::ssize_t count = ::read(descriptor_, bytes.data() + filled, bytes.size() - filled);
      if (count < 0 && (errno == EINTR || errno == EAGAIN)) {
        continue;
      }
      if (count < 0) {
        const int error_number = errno;
        throw InputFileError(path_, "cannot read: " + std::string(std::strerror(error_number)), error_number);
      }
      if (count == 0) {
        break;
      }
      filled += static_cast<std::size_t>(count);
    }
    if (filled > max_bytes) {
      throw InputFileError(path_, too_large_while_read());
    }
    bytes.resize(filled);
    return bytes;
  }

 private:
  InputFile(std::filesystem::path path, const InputRules& rules) : path_(std::move(path)), rules_(rules) {}

  // The file grew past the limit after it was opened.
  [[nodiscard]] std::string too_large_while_read() const {
    return (rules_.noun.empty() ? std::string() : std::string(rules_.noun) + " ") + "too large: more than " +
           std::to_string(rules_.max_bytes) + " bytes";
  }

  void close() noexcept {
    if (descriptor_ >= 0) {
      ::close(descriptor_);
      descriptor_ = -1;
    }
  }

  std::filesystem::path path_;
  // Its string_views point at literals.
  InputRules rules_;
  int descriptor_ = -1;
  std::uint64_t size_ = 0;
};

/// The bytes of the input file `path` (InputFile::open and read_all).
/// @throws InputFileError.
[[nodiscard]] inline std::string read_input_file(const std::filesystem::path& path, const InputRules& rules) {
  return InputFile::open(path, rules).read_all();
}

}  // namespace bioptimus::detail

#endif  // BIOPTIMUS_SRC_DETAIL_INPUT_FILE_HPP
