// A whole input file mapped read-only (internal).
//
// The open is the project's one rule for files a user names
// (src/detail/input_file.hpp: regular files only, nothing blocks on a FIFO or
// a device, a size limit); this adds the mapping, so that the weights are
// paged in as they are read and dropped once copied.
#ifndef BIOPTIMUS_SRC_ENGINE_INPUT_FILE_HPP
#define BIOPTIMUS_SRC_ENGINE_INPUT_FILE_HPP

#include <cstddef>
#include <filesystem>
#include <span>

#include "../detail/input_file.hpp"

namespace bioptimus::engine::detail {

/// A regular file, mapped for reading. Movable only.
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
  friend MappedFile map_input_file(const std::filesystem::path& path, const bioptimus::detail::InputRules& rules);
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

/// Opens `path` under `rules` and maps all of it (an empty file maps to no bytes).
/// @throws bioptimus::detail::InputFileError naming the path and what is wrong.
[[nodiscard]] MappedFile map_input_file(const std::filesystem::path& path, const bioptimus::detail::InputRules& rules);

}  // namespace bioptimus::engine::detail

#endif  // BIOPTIMUS_SRC_ENGINE_INPUT_FILE_HPP
