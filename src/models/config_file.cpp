// Config files on disk: reading one safely, and the one-model-per-file rule.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/models/registry.hpp"
#include "loader.hpp"

namespace bioptimus::detail {
namespace {

/// Closes a file descriptor when it goes out of scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int descriptor) noexcept : descriptor_(descriptor) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (descriptor_ >= 0) {
      ::close(descriptor_);
    }
  }
  [[nodiscard]] int get() const noexcept { return descriptor_; }

 private:
  int descriptor_;
};

const char* kind_of_file(mode_t mode) {
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
  return "a file that is not a regular file";
}

}  // namespace

using models::ConfigError;
using models::ConfigLocation;
using models::Diagnostic;
using models::LoadLimits;

std::string read_config_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  const auto fail = [&](const std::string& message) {
    throw ConfigError({Diagnostic{ConfigLocation{name, 0, 0}, "", message}});
  };
  // Opened without blocking and checked on the open descriptor: opening a
  // FIFO for reading would otherwise wait for a writer forever, and a check
  // of the path before opening it could be raced.
  const FileDescriptor file(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (file.get() < 0) {
    fail("cannot open: " + std::string(std::strerror(errno)));
  }
  struct stat status {};
  if (::fstat(file.get(), &status) != 0) {
    fail("cannot open: " + std::string(std::strerror(errno)));
  }
  if (!S_ISREG(status.st_mode)) {
    fail(std::string("expected a YAML file, got ") + kind_of_file(status.st_mode));
  }
  // Read into place, sized by the file (which may still grow or shrink
  // while it is read): at most max_bytes + 1, enough to tell it is too large.
  std::string text;
  const auto expected = static_cast<std::size_t>(status.st_size > 0 ? status.st_size : 0);
  text.resize(std::min(expected, LoadLimits::max_bytes) + 1);
  std::size_t size = 0;
  while (true) {
    if (size == text.size()) {
      if (size > LoadLimits::max_bytes) {
        fail("config too large: more than " + std::to_string(LoadLimits::max_bytes) + " bytes");
      }
      text.resize(std::min(2 * size, LoadLimits::max_bytes + 1));
    }
    const ::ssize_t count = ::read(file.get(), text.data() + size, text.size() - size);
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count < 0) {
      fail("cannot read: " + std::string(std::strerror(errno)));
    }
    if (count == 0) {
      break;
    }
    size += static_cast<std::size_t>(count);
  }
  if (size > LoadLimits::max_bytes) {
    fail("config too large: more than " + std::to_string(LoadLimits::max_bytes) + " bytes");
  }
  text.resize(size);
  return text;
}

LocatedSpec load_located_spec(const std::filesystem::path& path) {
  LocatedSpec loaded = parse_located_spec(read_config_file(path), path.string());
  // One model per file, named after it (DESIGN section 4): the registry and
  // `modelspec validate` must agree on what a valid file is.
  if (const std::string stem = path.stem().string(); stem != loaded.spec.model_name()) {
    throw ConfigError(
        {Diagnostic{loaded.model_name_location, "model_name",
                    "expected the file stem " + quote(stem) + " (one model per file, named after it), got " +
                        quote(loaded.spec.model_name())}});
  }
  return loaded;
}

}  // namespace bioptimus::detail

namespace bioptimus::models {

ModelSpec load_spec(const std::filesystem::path& path) { return detail::load_located_spec(path).spec; }

}  // namespace bioptimus::models
