#include "partial_output.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <random>
#include <system_error>
#include <utility>

#include "bioptimus/writers/prediction_writer.hpp"

namespace bioptimus::writers::detail {
namespace {

std::string random_hex() {
  std::random_device entropy;
  const unsigned long long tag = (static_cast<unsigned long long>(entropy()) << 32U) | entropy();
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", tag);
  return text;
}

std::string hidden_name(const std::filesystem::path& target, const char* kind) {
  // Appended piece by piece: g++ 12 -O3 reports a false -Wrestrict on "." + string.
  std::string name = ".";
  name += target.filename().string();
  name += kind;
  return name;
}

bool is_directory(int parent, const std::string& name) {
  struct stat status {};
  return ::fstatat(parent, name.c_str(), &status, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(status.st_mode);
}

// A directory a store may replace: a Zarr v2 group or array, or nothing at all.
bool is_replaceable_store(const std::filesystem::path& directory) {
  std::error_code error;
  if (std::filesystem::is_regular_file(directory / ".zgroup", error) ||
      std::filesystem::is_regular_file(directory / ".zarray", error)) {
    return true;
  }
  return std::filesystem::is_empty(directory, error) && !error;
}

void remove_entry(const std::filesystem::path& path) noexcept {
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

}  // namespace

FileDescriptor::FileDescriptor(FileDescriptor&& other) noexcept : descriptor_(std::exchange(other.descriptor_, -1)) {}

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
  if (this != &other) {
    reset();
    descriptor_ = std::exchange(other.descriptor_, -1);
  }
  return *this;
}

bool FileDescriptor::reset() noexcept {
  const int descriptor = std::exchange(descriptor_, -1);
  return descriptor < 0 || ::close(descriptor) == 0;
}

bool write_all(int descriptor, std::span<const std::byte> bytes) noexcept {
  while (!bytes.empty()) {
    const ssize_t written = ::write(descriptor, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    bytes = bytes.subspan(static_cast<std::size_t>(written));
  }
  return true;
}

bool write_all_at(int descriptor, std::span<const std::byte> bytes, long long offset) noexcept {
  while (!bytes.empty()) {
    const ssize_t written = ::pwrite(descriptor, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    bytes = bytes.subspan(static_cast<std::size_t>(written));
    offset += written;
  }
  return true;
}

void start_writeback(int descriptor) noexcept { ::sync_file_range(descriptor, 0, 0, SYNC_FILE_RANGE_WRITE); }

FileDescriptor create_anonymous_file(const std::filesystem::path& directory, const std::filesystem::path& target) {
  const std::filesystem::path folder = directory.empty() ? std::filesystem::path(".") : directory;
  FileDescriptor file(::open(folder.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (file.valid()) {
    return file;
  }
  // A file system without O_TMPFILE: a random name, unlinked at once.
  const std::filesystem::path path = folder / hidden_name(target, (".scratch-" + random_hex()).c_str());
  file = FileDescriptor(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!file.valid()) {
    const int error = errno;
    throw WriterError(target.string() + ": cannot create a scratch file in " + folder.string() + ": " +
                      std::system_category().message(error));
  }
  ::unlink(path.c_str());
  return file;
}

PartialOutput::PartialOutput(std::filesystem::path target, Kind kind) : target_(std::move(target)), kind_(kind) {
  const std::filesystem::path folder =
      target_.parent_path().empty() ? std::filesystem::path(".") : target_.parent_path();
  parent_ = FileDescriptor(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent_.valid()) {
    fail("cannot open its directory", errno);
  }
  const std::string findable = hidden_name(target_, ".partial");

  // A temporary left by a writer that died is unlocked: remove it, after
  // checking that the entry is still the one locked.
  if (FileDescriptor stale(::openat(parent_.get(), findable.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
      stale.valid() && ::flock(stale.get(), LOCK_EX | LOCK_NB) == 0) {
    struct stat locked {};
    struct stat named {};
    if (::fstat(stale.get(), &locked) == 0 &&
        ::fstatat(parent_.get(), findable.c_str(), &named, AT_SYMLINK_NOFOLLOW) == 0 && locked.st_ino == named.st_ino &&
        locked.st_dev == named.st_dev) {
      remove_entry(folder / findable);
    }
  }

  const std::string random = hidden_name(target_, (".partial-" + random_hex()).c_str());
  if (kind_ == Kind::file) {
    self_ = FileDescriptor(
        ::openat(parent_.get(), random.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666));
  } else if (::mkdirat(parent_.get(), random.c_str(), 0777) == 0) {
    self_ = FileDescriptor(::openat(parent_.get(), random.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!self_.valid()) {
      const int error = errno;
      ::unlinkat(parent_.get(), random.c_str(), AT_REMOVEDIR);
      errno = error;
    }
  }
  if (!self_.valid()) {
    fail("cannot create the temporary " + random, errno);
  }
  path_ = folder / random;
  if (::flock(self_.get(), LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    discard();
    fail("cannot lock the temporary " + random, error);
  }
  // Findable by the next writer only now that it is locked. Another live
  // writer of the same target holds the name: keep the random one.
  if (::renameat2(parent_.get(), random.c_str(), parent_.get(), findable.c_str(), RENAME_NOREPLACE) == 0) {
    path_ = folder / findable;
  }
}

PartialOutput::~PartialOutput() { discard(); }

void PartialOutput::make_directory(const std::string& relative) {
  if (::mkdirat(self_.get(), relative.c_str(), 0777) != 0) {
    fail("cannot create " + (path_.filename() / relative).string(), errno);
  }
  directories_.push_back(relative);
}

FileDescriptor PartialOutput::create_file(const std::string& relative) {
  FileDescriptor file(
      ::openat(self_.get(), relative.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666));
  if (!file.valid()) {
    fail("cannot create " + (path_.filename() / relative).string(), errno);
  }
  const std::lock_guard lock(files_mutex_);
  files_.push_back(relative);
  return file;
}

void PartialOutput::publish() {
  const std::string name = path_.filename().string();
  if (kind_ == Kind::file) {
    // By name: a library may have replaced the file the descriptor holds.
    const FileDescriptor file(::openat(parent_.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!file.valid() || ::fsync(file.get()) != 0) {
      fail("cannot flush " + name + " to disk", errno);
    }
  } else {
    // The files first, then the directories that name them.
    const std::lock_guard lock(files_mutex_);
    for (const std::string& file : files_) {
      const FileDescriptor written(::openat(self_.get(), file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!written.valid() || ::fsync(written.get()) != 0) {
        fail("cannot flush " + (path_.filename() / file).string() + " to disk", errno);
      }
    }
    for (const std::string& directory : directories_) {
      const FileDescriptor folder(
          ::openat(self_.get(), directory.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!folder.valid() || ::fsync(folder.get()) != 0) {
        fail("cannot flush " + (path_.filename() / directory).string() + " to disk", errno);
      }
    }
    if (::fsync(self_.get()) != 0) {
      fail("cannot flush " + name + " to disk", errno);
    }
  }
  const std::string target = target_.filename().string();
  if (::renameat2(parent_.get(), name.c_str(), parent_.get(), target.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno != EEXIST && errno != EINVAL) {
      fail("cannot rename " + name + " onto it", errno);
    }
    replace_target();
  }
  done_ = true;
  self_.reset();
  // The rename itself is durable only once the folder is.
  if (::fsync(parent_.get()) != 0) {
    fail("cannot flush its directory to disk", errno);
  }
}

void PartialOutput::replace_target() {
  const std::string name = path_.filename().string();
  const std::string target = target_.filename().string();
  const bool target_is_directory = is_directory(parent_.get(), target);
  if (kind_ == Kind::file && !target_is_directory) {
    if (::renameat(parent_.get(), name.c_str(), parent_.get(), target.c_str()) != 0) {
      fail("cannot rename " + name + " onto it", errno);
    }
    return;
  }
  if (target_is_directory && (kind_ == Kind::file || !is_replaceable_store(target_))) {
    fail(kind_ == Kind::file ? "exists and is a directory, not replaced"
                             : "exists and is not a Zarr store, not replaced",
         EEXIST);
  }
  // A directory cannot be renamed onto an existing one: exchange the two, so
  // that the target name always holds a complete output, then remove the old.
  const std::filesystem::path folder = path_.parent_path();
  if (::renameat2(parent_.get(), name.c_str(), parent_.get(), target.c_str(), RENAME_EXCHANGE) == 0) {
    remove_entry(path_);
    return;
  }
  if (errno != EINVAL) {
    fail("cannot exchange " + name + " with it", errno);
  }
  // A file system without RENAME_EXCHANGE: move the old one aside first.
  const std::string aside = hidden_name(target_, (".replaced-" + random_hex()).c_str());
  if (::renameat(parent_.get(), target.c_str(), parent_.get(), aside.c_str()) != 0) {
    fail("cannot move it aside", errno);
  }
  if (::renameat(parent_.get(), name.c_str(), parent_.get(), target.c_str()) != 0) {
    const int error = errno;
    ::renameat(parent_.get(), aside.c_str(), parent_.get(), target.c_str());
    fail("cannot rename " + name + " onto it", error);
  }
  remove_entry(folder / aside);
}

void PartialOutput::discard() noexcept {
  if (done_ || path_.empty()) {
    return;
  }
  done_ = true;
  if (kind_ == Kind::file) {
    ::unlinkat(parent_.get(), path_.filename().c_str(), 0);
  } else {
    remove_entry(path_);
  }
  self_.reset();
}

void PartialOutput::fail(const std::string& what, int error) const {
  throw WriterError(target_.string() + ": " + what + ": " + std::system_category().message(error));
}

}  // namespace bioptimus::writers::detail
