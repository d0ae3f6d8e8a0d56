// Writing a directory atomically and durably (a Zarr store): OutputFile's
// protocol (output_file.hpp) for a directory of files, so that every output
// of the project is put in place the same way.
//
// - The directory is built under a hidden temporary beside the target:
//   `.NAME.partial-TAG`, made as `.NAME.creating-TAG` (mkdir, which never
//   follows a link), locked (flock on its descriptor) and only then renamed
//   to its `.partial-` name; every entry inside is created relative to its
//   descriptor with O_EXCL and O_NOFOLLOW.
// - commit() fsyncs every file created in it, then its directories, renames
//   it onto the target and fsyncs the folder. An existing target is
//   replaced: the two directories are exchanged (RENAME_EXCHANGE), so that
//   the target name always holds a whole output, and the old one is then
//   removed. Only a directory `replaceable` accepts is replaced.
// - remove_stale_directories() deletes the temporaries of killed writers:
//   `.NAME.partial-TAG` directories no process has locked.
//
// Header-only and internal, as output_file.hpp.
#ifndef BIOPTIMUS_SRC_DETAIL_OUTPUT_DIRECTORY_HPP
#define BIOPTIMUS_SRC_DETAIL_OUTPUT_DIRECTORY_HPP

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "bioptimus/error.hpp"
#include "output_file.hpp"

namespace bioptimus::detail {

/// An open file descriptor, closed when it goes out of scope.
class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int descriptor) noexcept : descriptor_(descriptor) {}
  FileDescriptor(FileDescriptor&& other) noexcept : descriptor_(std::exchange(other.descriptor_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
      reset();
      descriptor_ = std::exchange(other.descriptor_, -1);
    }
    return *this;
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() { reset(); }

  [[nodiscard]] int get() const noexcept { return descriptor_; }
  [[nodiscard]] bool valid() const noexcept { return descriptor_ >= 0; }
  /// Closes now; false (errno set) when close(2) reports a delayed write error.
  bool reset() noexcept {
    const int descriptor = std::exchange(descriptor_, -1);
    return descriptor < 0 || ::close(descriptor) == 0;
  }

  /// Writes all of `bytes` at the descriptor's position (retrying short
  /// writes); false with errno set when a write fails (ENOSPC...).
  [[nodiscard]] bool write_all(std::span<const std::byte> bytes) const noexcept {
    return detail::write_all(descriptor_, bytes);
  }

  /// Starts writing the file's data to disk without waiting for it, so that
  /// the fsync at commit finds little left to do. A hint: errors show there.
  void start_writeback() const noexcept { ::sync_file_range(descriptor_, 0, 0, SYNC_FILE_RANGE_WRITE); }

 private:
  int descriptor_ = -1;
};

/// A directory being built under a temporary beside `target` (see the file comment).
class OutputDirectory {
 public:
  /// Creates the temporary, empty and locked. @throws Error naming the target.
  explicit OutputDirectory(std::filesystem::path target) : target_(std::move(target)) {
    const std::string name = target_.filename().string();
    if (name.empty() || name == "." || name == "..") {
      fail("expected a directory name at the end of the path");
    }
    if (name.size() + temporary_name_overhead > max_file_name_bytes) {
      fail("the name is " + std::to_string(name.size()) + " bytes; at most " +
           std::to_string(max_file_name_bytes - temporary_name_overhead) + " fit beside its temporary");
    }
    const std::filesystem::path folder = target_.has_parent_path() ? target_.parent_path() : ".";
    parent_ = FileDescriptor(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!parent_.valid()) {
      fail_system("cannot open its folder " + folder.string());
    }
    for (int attempt = 0; attempt < 8; ++attempt) {
      const std::string tag = random_temporary_tag();
      const std::string creating = hidden_name(name, ".creating-", tag);
      name_ = hidden_name(name, ".partial-", tag);
      if (::mkdirat(parent_.get(), creating.c_str(), 0777) != 0) {
        if (errno == EEXIST) {
          continue;
        }
        fail_system("cannot create a temporary directory in " + folder.string());
      }
      self_ =
          FileDescriptor(::openat(parent_.get(), creating.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      // Fails only on a file system without locks; then no writer can tell
      // a live temporary from a stale one, and none is ever removed.
      if (self_.valid()) {
        (void)::flock(self_.get(), LOCK_EX | LOCK_NB);
      }
      if (self_.valid() &&
          ::renameat2(parent_.get(), creating.c_str(), parent_.get(), name_.c_str(), RENAME_NOREPLACE) == 0) {
        path_ = folder / name_;
        return;
      }
      const int error = errno;
      ::unlinkat(parent_.get(), creating.c_str(), AT_REMOVEDIR);
      self_.reset();
      if (error != EEXIST) {
        errno = error;
        fail_system("cannot name a temporary directory in " + folder.string());
      }
    }
    fail("cannot find a free temporary name in " + folder.string());
  }

  OutputDirectory(const OutputDirectory&) = delete;
  OutputDirectory& operator=(const OutputDirectory&) = delete;
  /// Removes the temporary unless committed.
  ~OutputDirectory() { discard(); }

  [[nodiscard]] const std::filesystem::path& target() const noexcept { return target_; }
  /// The temporary.
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

  /// Creates the directory `relative` inside (its parent first); commit()
  /// fsyncs it. @throws Error.
  void make_directory(const std::string& relative) {
    if (::mkdirat(self_.get(), relative.c_str(), 0777) != 0) {
      fail_system("cannot create " + name_ + "/" + relative);
    }
    directories_.push_back(relative);
  }

  /// Creates the new file `relative` inside, for writing (O_EXCL, never
  /// through a link); commit() fsyncs it. Callable from several threads.
  /// @throws Error.
  [[nodiscard]] FileDescriptor create_file(const std::string& relative) {
    FileDescriptor file(
        ::openat(self_.get(), relative.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0666));
    if (!file.valid()) {
      fail_system("cannot create " + name_ + "/" + relative);
    }
    const std::lock_guard lock(files_mutex_);
    files_.push_back(relative);
    return file;
  }

  /// Makes the directory durable, renames it onto the target, makes the
  /// rename durable. An existing target is replaced when `replaceable(path)`
  /// says it may be, and refused otherwise. The lock is released last.
  /// @throws Error naming the target; the temporary is then left for the
  /// destructor to remove.
  void commit(const std::function<bool(const std::filesystem::path&)>& replaceable) {
    {
      // The files, then the directories that name them, then the whole.
      const std::lock_guard lock(files_mutex_);
      for (const std::string& file : files_) {
        sync_entry(file, O_RDONLY);
      }
    }
    for (const std::string& directory : directories_) {
      sync_entry(directory, O_RDONLY | O_DIRECTORY);
    }
    if (fsync_retrying(self_.get()) != 0) {
      fail_system("cannot write " + name_ + " to disk");
    }
    const std::string target = target_.filename().string();
    if (::renameat2(parent_.get(), name_.c_str(), parent_.get(), target.c_str(), RENAME_NOREPLACE) != 0) {
      if (errno != EEXIST && errno != EINVAL) {
        fail_system("cannot rename " + name_ + " onto it");
      }
      replace(target, replaceable);
    }
    committed_ = true;
    self_.reset();
    // Some file systems cannot sync a folder (EINVAL); elsewhere a failure
    // means the rename may not survive a crash: reported, the output stays.
    if (fsync_retrying(parent_.get()) != 0 && errno != EINVAL && errno != EROFS) {
      fail_system("written, but its folder cannot be synced to disk");
    }
  }

  /// Removes the temporary now (nothing happens after a commit).
  void discard() noexcept {
    if (committed_ || path_.empty()) {
      return;
    }
    committed_ = true;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);  // while still locked
    self_.reset();
  }

 private:
  [[noreturn]] void fail(const std::string& message) const { throw Error(target_.string() + ": " + message); }

  [[noreturn]] void fail_system(const std::string& message) const {
    fail(message + ": " + std::system_category().message(errno));
  }

  void sync_entry(const std::string& relative, int flags) const {
    const FileDescriptor entry(::openat(self_.get(), relative.c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
    if (!entry.valid() || fsync_retrying(entry.get()) != 0) {
      fail_system("cannot write " + name_ + "/" + relative + " to disk");
    }
  }

  // The target exists: a directory cannot be renamed onto it, so the two are
  // exchanged (the target name always holds a whole output) and the old one,
  // now under the temporary's name, is removed.
  void replace(const std::string& target, const std::function<bool(const std::filesystem::path&)>& replaceable) const {
    if (!replaceable(target_)) {
      errno = EEXIST;
      fail_system("not replaced");
    }
    if (::renameat2(parent_.get(), name_.c_str(), parent_.get(), target.c_str(), RENAME_EXCHANGE) == 0) {
      std::error_code ignored;
      std::filesystem::remove_all(path_, ignored);
      return;
    }
    if (errno != EINVAL) {
      fail_system("cannot exchange " + name_ + " with it");
    }
    // A file system without RENAME_EXCHANGE: the old one moves aside first.
    const std::string aside = hidden_name(target, ".replaced-", random_temporary_tag());
    if (::renameat(parent_.get(), target.c_str(), parent_.get(), aside.c_str()) != 0) {
      fail_system("cannot move it aside");
    }
    if (::renameat(parent_.get(), name_.c_str(), parent_.get(), target.c_str()) != 0) {
      const int error = errno;
      ::renameat(parent_.get(), aside.c_str(), parent_.get(), target.c_str());
      errno = error;
      fail_system("cannot rename " + name_ + " onto it");
    }
    std::error_code ignored;
    std::filesystem::remove_all(path_.parent_path() / aside, ignored);
  }

  std::filesystem::path target_;
  std::string name_;
  std::filesystem::path path_;
  FileDescriptor parent_;
  FileDescriptor self_;
  std::vector<std::string> directories_;
  std::mutex files_mutex_;
  std::vector<std::string> files_;
  bool committed_ = false;
};

/// Removes from `directory` the temporaries an OutputDirectory for the
/// target named `name` left when its process died: `.NAME.partial-TAG`
/// directories that no process has locked. Links, files, other names and
/// directories in use are kept. Returns the names removed.
inline std::vector<std::string> remove_stale_directories(const std::filesystem::path& directory,
                                                         std::string_view name) {
  std::vector<std::string> removed;
  const std::filesystem::path folder = directory.empty() ? std::filesystem::path(".") : directory;
  const FileDescriptor listed(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  DIR* listing = listed.valid() ? ::fdopendir(::dup(listed.get())) : nullptr;
  if (listing == nullptr) {
    return removed;
  }
  while (const dirent* entry = ::readdir(listing)) {
    const std::string_view entry_name = entry->d_name;
    // A directory's temporary has no suffix: ".NAME.partial-TAG".
    if (temporary_target(entry_name) != name || entry_name.size() != name.size() + temporary_name_overhead) {
      continue;
    }
    const FileDescriptor candidate(
        ::openat(listed.get(), entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    struct stat opened {};
    struct stat named {};
    // Unlocked: its writer is gone. Still the directory of that name: removed.
    if (candidate.valid() && ::flock(candidate.get(), LOCK_EX | LOCK_NB) == 0 &&
        ::fstat(candidate.get(), &opened) == 0 &&
        ::fstatat(listed.get(), entry->d_name, &named, AT_SYMLINK_NOFOLLOW) == 0 && named.st_dev == opened.st_dev &&
        named.st_ino == opened.st_ino) {
      std::error_code error;
      std::filesystem::remove_all(folder / entry_name, error);
      if (!error) {
        removed.emplace_back(entry_name);
      }
    }
  }
  ::closedir(listing);
  return removed;
}

}  // namespace bioptimus::detail

#endif  // BIOPTIMUS_SRC_DETAIL_OUTPUT_DIRECTORY_HPP
