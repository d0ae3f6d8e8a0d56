// A whole input file mapped read-only (internal).
//
// The open follows the rules harden22 is turning into one shared helper
// (regular files only, refused without blocking on a FIFO or a device, a size
// limit); until it lands in main this is the engine's own minimal version.
#ifndef BIOPTIMUS_SRC_ENGINE_INPUT_FILE_HPP
#define BIOPTIMUS_SRC_ENGINE_INPUT_FILE_HPP

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace bioptimus::engine::detail {

/// A regular file of at most `max_bytes`, mapped for reading. Movable only.
class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  ~MappedFile();

  [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }

  /// Drops the pages of [offset, offset + size) from this process's memory
  /// (MADV_DONTNEED on a read-only file mapping: they are read again if touched).
  void release(std::size_t offset, std::size_t size) const noexcept;

 private:
  friend MappedFile map_input_file(const std::filesystem::path& path, std::uint64_t max_bytes, std::string& problem);
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

/// Maps `path`. On failure returns an empty MappedFile and sets `problem` to
/// what went wrong ("no such file", "is a FIFO, not a regular file",
/// "is 3 GiB, more than the 2 GiB limit", ...); the caller names the file.
[[nodiscard]] MappedFile map_input_file(const std::filesystem::path& path, std::uint64_t max_bytes,
                                        std::string& problem);

/// Reads all of `path` (a regular file of at most `max_bytes`) as text. On
/// failure returns nothing useful and sets `problem`, as map_input_file.
[[nodiscard]] std::string read_input_file(const std::filesystem::path& path, std::uint64_t max_bytes,
                                          std::string& problem);

}  // namespace bioptimus::engine::detail

#endif  // BIOPTIMUS_SRC_ENGINE_INPUT_FILE_HPP
