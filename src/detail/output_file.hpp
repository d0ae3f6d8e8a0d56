// Writing a file atomically and durably: the one way every writer of the
// project (preprocess, tile and mega-tile exports, thumbnails, the feature
// writers) puts a file in place.
//
// - The bytes go to a hidden temporary beside the target (the same file
//   system, so the rename is atomic): `.NAME.partial-TAG[SUFFIX]`, TAG 16
//   random hex digits. It is created with O_CREAT|O_EXCL|O_NOFOLLOW, so a
//   link planted at its name (or any file there) is never followed or
//   reused: a tool run in a shared folder cannot be made to overwrite a file
//   elsewhere.
// - commit() fsyncs the data, renames the temporary onto the target, then
//   fsyncs the folder, so that after a power cut the target is either the
//   old file or the whole new one (as SQLite, LMDB and PostgreSQL do).
// - A writer holds an exclusive flock on its temporary for as long as the
//   temporary has its `.partial-` name: it is created as
//   `.NAME.creating-TAG`, locked, then renamed. A temporary of that pattern
//   without a lock is therefore a leftover of a killed process, and
//   remove_stale_temporaries() deletes exactly those: never a file another
//   run is still writing in the same folder, never a link, never another
//   name's.
//
// Header-only and internal, for the reasons given in input_file.hpp.
#ifndef BIOPTIMUS_SRC_DETAIL_OUTPUT_FILE_HPP
#define BIOPTIMUS_SRC_DETAIL_OUTPUT_FILE_HPP

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bioptimus/error.hpp"

namespace bioptimus::detail {

/// The longest file name Linux file systems take (NAME_MAX).
inline constexpr std::size_t max_file_name_bytes = 255;
/// What a temporary's name adds to its target's: '.', ".partial-" and the tag.
inline constexpr std::size_t temporary_name_overhead = 1 + 9 + 16;

/// 16 random hex digits: the TAG of a temporary's name.
[[nodiscard]] inline std::string random_temporary_tag() {
  std::random_device entropy;
  const std::uint64_t value = (std::uint64_t{entropy()} << 32U) | entropy();
  std::array<char, 17> text{};
  std::snprintf(text.data(), text.size(), "%016llx", static_cast<unsigned long long>(value));
  return {text.data(), 16};
}

/// `.NAME` + `kind` + `tag` + `suffix`: the hidden names beside a target.
/// Appended piece by piece: g++ 12 -O3 reports a false -Wrestrict on "." + string.
[[nodiscard]] inline std::string hidden_name(std::string_view name, std::string_view kind, std::string_view tag = {},
                                             std::string_view suffix = {}) {
  std::string hidden = ".";
  hidden += name;
  hidden += kind;
  hidden += tag;
  hidden += suffix;
  return hidden;
}

/// The target name of a temporary's name `.NAME.partial-TAG[SUFFIX]`, or ""
/// when `entry` is not one.
[[nodiscard]] inline std::string_view temporary_target(std::string_view entry) {
  constexpr std::string_view marker = ".partial-";
  if (!entry.starts_with('.')) {
    return {};
  }
  const std::size_t at = entry.rfind(marker);
  if (at == std::string_view::npos || at < 2 || entry.size() < at + marker.size() + 16) {
    return {};
  }
  const std::string_view tag = entry.substr(at + marker.size(), 16);
  const std::string_view suffix = entry.substr(at + marker.size() + 16);
  const auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  if (!std::all_of(tag.begin(), tag.end(), hex) || (!suffix.empty() && suffix.front() != '.')) {
    return {};
  }
  return entry.substr(1, at - 1);
}

/// fsync(2), retried when a signal interrupts it.
inline int fsync_retrying(int descriptor) noexcept {
  int status = 0;
  while ((status = ::fsync(descriptor)) != 0 && errno == EINTR) {
  }
  return status;
}

/// Writes all of `bytes` at the descriptor's position, retrying short and
/// interrupted writes; false with errno set when a write fails (ENOSPC when
/// one writes nothing).
[[nodiscard]] inline bool write_all(int descriptor, std::span<const std::byte> bytes) noexcept {
  while (!bytes.empty()) {
    const ::ssize_t written = ::write(descriptor, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) {
      continue;
    }
    if (written <= 0) {
      if (written == 0) {
        errno = ENOSPC;
      }
      return false;
    }
    bytes = bytes.subspan(static_cast<std::size_t>(written));
  }
  return true;
}

/// A file being written to a temporary beside `target` (see the file comment).
class OutputFile {
 public:
  /// Creates the temporary, empty, open for reading and writing, locked.
  /// `suffix` tells apart several temporaries of one target (".coords.npy").
  /// @throws Error naming the target when the folder cannot take it.
  explicit OutputFile(std::filesystem::path target, std::string_view suffix = {}) : target_(std::move(target)) {
    const std::string name = target_.filename().string();
    if (name.empty() || name == "." || name == "..") {
      fail("expected a file name at the end of the path");
    }
    if (name.size() + temporary_name_overhead + suffix.size() > max_file_name_bytes) {
      fail("the file name is " + std::to_string(name.size()) + " bytes; at most " +
           std::to_string(max_file_name_bytes - temporary_name_overhead - suffix.size()) +
           " fit beside its temporary file (a file name has at most " + std::to_string(max_file_name_bytes) +
           " bytes)");
    }
    const std::filesystem::path folder = target_.has_parent_path() ? target_.parent_path() : ".";
    // A few tries: a clash of 64 random bits means something other than chance.
    for (int attempt = 0; attempt < 8; ++attempt) {
      const std::string tag = random_temporary_tag();
      const std::filesystem::path creating = folder / hidden_name(name, ".creating-", tag, suffix);
      path_ = folder / hidden_name(name, ".partial-", tag, suffix);
      descriptor_ = ::open(creating.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0666);
      if (descriptor_ < 0 && errno == EEXIST) {
        continue;
      }
      if (descriptor_ < 0) {
        fail_system("cannot create a temporary file in " + folder.string());
      }
      // Fails only on a file system without locks; then no run can tell a
      // live temporary from a stale one, and none is ever removed.
      (void)::flock(descriptor_, LOCK_EX | LOCK_NB);
      if (take_name(creating, path_)) {
        return;
      }
      const int error = errno;
      ::unlink(creating.c_str());
      ::close(std::exchange(descriptor_, -1));
      if (error != EEXIST) {
        errno = error;
        fail_system("cannot name a temporary file in " + folder.string());
      }
    }
    fail("cannot find a free temporary name in " + folder.string());
  }

  OutputFile(OutputFile&& other) noexcept
      : target_(std::move(other.target_)),
        path_(std::move(other.path_)),
        descriptor_(std::exchange(other.descriptor_, -1)),
        committed_(std::exchange(other.committed_, true)) {}
  OutputFile& operator=(OutputFile&&) = delete;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile() {
    if (!committed_) {
      discard();
    }
  }

  [[nodiscard]] const std::filesystem::path& target() const noexcept { return target_; }
  /// The temporary.
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  /// Open for reading and writing until commit() or discard().
  [[nodiscard]] int descriptor() const noexcept { return descriptor_; }

  /// A name by which this process reaches the temporary, for a library that
  /// opens files by name (HDF5, libzip's readers): /proc/self/fd/N, which
  /// always leads to this file, whatever is renamed or linked meanwhile.
  [[nodiscard]] std::string reopen_path() const { return "/proc/self/fd/" + std::to_string(descriptor_); }

  /// Appends `bytes` at the descriptor's position.
  /// @throws Error naming the target (a full disk, a closed descriptor).
  void write(std::span<const std::byte> bytes) {
    if (!write_all(descriptor_, bytes)) {
      fail_system("cannot write");
    }
  }
  void write(std::string_view text) { write(std::as_bytes(std::span(text.data(), text.size()))); }

  /// Writes `bytes` at `offset`, leaving the position where it is.
  void write_at(std::uint64_t offset, std::span<const std::byte> bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ::ssize_t count =
          ::pwrite(descriptor_, bytes.data() + done, bytes.size() - done, static_cast<::off_t>(offset + done));
      if (count < 0 && errno == EINTR) {
        continue;
      }
      if (count <= 0) {
        fail_system("cannot write");
      }
      done += static_cast<std::size_t>(count);
    }
  }
  void write_at(std::uint64_t offset, std::string_view text) {
    write_at(offset, std::as_bytes(std::span(text.data(), text.size())));
  }

  /// Makes the data durable, renames the temporary onto the target (which it
  /// replaces), makes the rename durable. The lock is released last.
  /// @throws Error naming the target; the temporary is then removed.
  void commit() {
    if (committed_ || descriptor_ < 0) {
      fail("committed twice");
    }
    if (fsync_retrying(descriptor_) != 0) {
      fail_system("cannot write (is the disk full?)");
    }
    if (::rename(path_.c_str(), target_.c_str()) != 0) {
      fail_system("cannot rename " + path_.filename().string() + " onto it");
    }
    committed_ = true;
    const int folder =
        ::open(target_.has_parent_path() ? target_.parent_path().c_str() : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const int folder_synced = folder >= 0 ? fsync_retrying(folder) : -1;
    const int error = errno;
    if (folder >= 0) {
      ::close(folder);
    }
    ::close(std::exchange(descriptor_, -1));
    // Some file systems cannot sync a folder (EINVAL); elsewhere a failure
    // means the rename may not survive a crash: reported, the file stays.
    if (folder_synced != 0 && error != EINVAL && error != EROFS) {
      errno = error;
      throw Error(target_.string() + ": written, but its folder cannot be synced to disk: " + std::strerror(error));
    }
  }

  /// Removes the temporary now (nothing happens after a commit).
  void discard() noexcept {
    if (committed_) {
      return;
    }
    committed_ = true;
    if (descriptor_ >= 0) {
      ::unlink(path_.c_str());  // while still locked: no other run sees it unlocked
      ::close(std::exchange(descriptor_, -1));
    }
  }

 private:
  [[noreturn]] void fail(const std::string& message) const { throw Error(target_.string() + ": " + message); }

  [[noreturn]] void fail_system(const std::string& message) {
    const int error = errno;
    const std::string reason = error == 0 ? std::string("no bytes written") : std::strerror(error);
    discard();
    fail(message + ": " + reason);
  }

  // Renames `from` to `to` unless `to` exists (then errno is EEXIST).
  static bool take_name(const std::filesystem::path& from, const std::filesystem::path& to) {
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
      return true;
    }
    if (errno != EINVAL && errno != ENOSYS) {
      return false;
    }
    // A file system without RENAME_NOREPLACE: a hard link fails on an
    // existing name too.
    if (::link(from.c_str(), to.c_str()) == 0) {
      ::unlink(from.c_str());
      return true;
    }
    if (errno == EEXIST) {
      return false;
    }
    return ::rename(from.c_str(), to.c_str()) == 0;
  }

  std::filesystem::path target_;
  std::filesystem::path path_;
  int descriptor_ = -1;
  bool committed_ = false;
};

/// Removes from `directory` every temporary that an OutputFile for a target
/// named in `names` (file names, "slide.h5") left behind when its process
/// died: regular files of the pattern `.NAME.partial-TAG[SUFFIX]` that no
/// process has locked. Links, other names and files in use are kept.
/// Returns the names removed; a folder that cannot be read removes nothing.
[[nodiscard]] inline std::vector<std::string> remove_stale_temporaries(
    const std::filesystem::path& directory, const std::set<std::string, std::less<>>& names) {
  std::vector<std::string> removed;
  const int folder = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (folder < 0) {
    return removed;
  }
  const int listing_descriptor = ::dup(folder);
  DIR* listing = listing_descriptor >= 0 ? ::fdopendir(listing_descriptor) : nullptr;
  if (listing == nullptr) {
    if (listing_descriptor >= 0) {
      ::close(listing_descriptor);
    }
    ::close(folder);
    return removed;
  }
  while (const dirent* entry = ::readdir(listing)) {
    const std::string_view entry_name = entry->d_name;
    const std::string_view target = temporary_target(entry_name);
    if (target.empty() || !names.contains(target)) {
      continue;
    }
    const int file = ::openat(folder, entry->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (file < 0) {
      continue;
    }
    struct stat opened {};
    struct stat named {};
    // Unlocked: its writer is gone. Still the file of that name: removed.
    if (::fstat(file, &opened) == 0 && S_ISREG(opened.st_mode) && ::flock(file, LOCK_EX | LOCK_NB) == 0 &&
        ::fstatat(folder, entry->d_name, &named, AT_SYMLINK_NOFOLLOW) == 0 && named.st_dev == opened.st_dev &&
        named.st_ino == opened.st_ino && ::unlinkat(folder, entry->d_name, 0) == 0) {
      removed.emplace_back(entry_name);
    }
    ::close(file);
  }
  ::closedir(listing);
  ::close(folder);
  return removed;
}

}  // namespace bioptimus::detail

#endif  // BIOPTIMUS_SRC_DETAIL_OUTPUT_FILE_HPP
