// How every writer publishes its output atomically (one mechanism for the
// three formats): the output is built under a hidden temporary name beside
// its target, made durable (fsync) and renamed onto the target; a reader
// never sees half an output under the target's name, and a crash leaves
// only the hidden name, which the next writer of the same target removes.
//
// - The temporary is created with O_EXCL (a file) or mkdir (a directory)
//   under a random name, so it never opens a file planted there, and every
//   entry inside a directory is created relative to it with O_EXCL and
//   O_NOFOLLOW.
// - It holds an flock(2) lock on the temporary while it lives. A stale one
//   (its writer died) is unlocked: a new writer of the same target takes
//   the lock and removes it. The lock is taken before the temporary gets
//   its findable name `.NAME.partial`, so no writer ever removes a live one;
//   a second live writer of the same target keeps its random name.
// - publish() fsyncs the content, renames it onto the target (exchanging it
//   with an existing output, then removing that one, so the target name is
//   never missing or half-written) and fsyncs the folder.
#ifndef BIOPTIMUS_SRC_WRITERS_PARTIAL_OUTPUT_HPP
#define BIOPTIMUS_SRC_WRITERS_PARTIAL_OUTPUT_HPP

#include <cstddef>
#include <filesystem>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace bioptimus::writers::detail {

/// An open file descriptor, closed when it goes out of scope.
class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int descriptor) noexcept : descriptor_(descriptor) {}
  FileDescriptor(FileDescriptor&& other) noexcept;
  FileDescriptor& operator=(FileDescriptor&& other) noexcept;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() { reset(); }

  [[nodiscard]] int get() const noexcept { return descriptor_; }
  [[nodiscard]] bool valid() const noexcept { return descriptor_ >= 0; }
  /// Closes now; false (errno set) when close(2) reports a delayed write error.
  bool reset() noexcept;

 private:
  int descriptor_ = -1;
};

/// Writes all of `bytes` at the descriptor's offset (retrying short writes);
/// false with errno set when a write fails (ENOSPC...).
[[nodiscard]] bool write_all(int descriptor, std::span<const std::byte> bytes) noexcept;
/// The same at `offset`, leaving the descriptor's offset alone.
[[nodiscard]] bool write_all_at(int descriptor, std::span<const std::byte> bytes, long long offset) noexcept;
/// Starts writing the file's data to disk without waiting for it, so that
/// the fsync at publish() finds little left to do. A hint: errors surface there.
void start_writeback(int descriptor) noexcept;

/// A file with no name in `directory` (removed by the system when its
/// descriptor closes, even after a crash), for scratch data of the size of
/// the output: on the output's file system, not on a small /tmp.
/// @throws WriterError naming `target` (the output it serves).
[[nodiscard]] FileDescriptor create_anonymous_file(const std::filesystem::path& directory,
                                                   const std::filesystem::path& target);

class PartialOutput {
 public:
  enum class Kind { file, directory };

  /// Removes a stale temporary of `target`, then creates an empty file or
  /// directory under a new temporary name beside it.
  /// @throws WriterError naming the target.
  PartialOutput(std::filesystem::path target, Kind kind);
  PartialOutput(const PartialOutput&) = delete;
  PartialOutput& operator=(const PartialOutput&) = delete;
  /// Removes the temporary unless it was published.
  ~PartialOutput();

  /// Where the output is being built (it changes once, in the constructor).
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] const std::filesystem::path& target() const noexcept { return target_; }
  /// The temporary's descriptor: the file itself, or the directory to create
  /// entries in (make_directory, create_file).
  [[nodiscard]] int descriptor() const noexcept { return self_.get(); }

  /// Creates the directory `relative` inside a Kind::directory output (its
  /// parent first); publish() fsyncs it. @throws WriterError.
  void make_directory(const std::string& relative);
  /// Creates the new file `relative` inside a Kind::directory output, for
  /// writing (O_EXCL, never through a link); publish() fsyncs it. Callable
  /// from several threads. @throws WriterError.
  [[nodiscard]] FileDescriptor create_file(const std::string& relative);

  /// Makes the output durable (a file: fsync; a directory: fsync of every
  /// file and directory made in it, then of itself) and renames it
  /// onto the target, replacing a file there, or a directory when it is a
  /// Zarr store (or empty) and this output is one too.
  /// @throws WriterError naming the target; the temporary is then left for
  /// the destructor to remove.
  void publish();
  /// Removes the temporary now (a no-op once published or removed).
  void discard() noexcept;

  /// Throws WriterError "TARGET: what: strerror(error)".
  [[noreturn]] void fail(const std::string& what, int error) const;

 private:
  void replace_target();

  std::filesystem::path target_;
  std::filesystem::path path_;
  Kind kind_;
  FileDescriptor parent_;
  FileDescriptor self_;
  std::vector<std::string> directories_;
  std::mutex files_mutex_;
  std::vector<std::string> files_;
  bool done_ = false;
};

}  // namespace bioptimus::writers::detail

#endif  // BIOPTIMUS_SRC_WRITERS_PARTIAL_OUTPUT_HPP
