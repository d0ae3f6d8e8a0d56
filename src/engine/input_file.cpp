// The shared open (src/detail/input_file.hpp), then mmap of the descriptor it
// checked, so a file renamed over the path in between is never mapped.
#include "input_file.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace bioptimus::engine::detail {

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    MappedFile old{std::move(*this)};
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_ != nullptr && size_ > 0) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): munmap takes a non-const pointer.
    ::munmap(const_cast<std::byte*>(data_), size_);
  }
}

void MappedFile::release(std::size_t offset, std::size_t size) const noexcept {
  if (data_ == nullptr || size == 0 || offset >= size_) {
    return;
  }
  // madvise works on whole pages: keep the pages that hold bytes outside the
  // range (a neighbour tensor may still be needed).
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t begin = (offset + page - 1) / page * page;
  const std::size_t end = std::min(offset + size, size_) / page * page;
  if (end > begin) {
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): madvise takes a non-const pointer.
    ::madvise(const_cast<std::byte*>(data_) + begin, end - begin, MADV_DONTNEED);
  }
}

MappedFile map_input_file(const std::filesystem::path& path, const bioptimus::detail::InputRules& rules) {
  const bioptimus::detail::InputFile input = bioptimus::detail::InputFile::open(path, rules);
  MappedFile file;
  if (input.size() == 0) {
    return file;
  }
  void* data = ::mmap(nullptr, static_cast<std::size_t>(input.size()), PROT_READ, MAP_PRIVATE, input.descriptor(), 0);
  if (data == MAP_FAILED) {
    const int error_number = errno;
    throw bioptimus::detail::InputFileError(path, "cannot map: " + std::string(std::strerror(error_number)),
                                            error_number);
  }
  file.data_ = static_cast<const std::byte*>(data);
  file.size_ = static_cast<std::size_t>(input.size());
  return file;
}

}  // namespace bioptimus::engine::detail
