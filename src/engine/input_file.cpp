// Opening an input file: O_NONBLOCK so that opening a FIFO returns at once,
// then fstat on the descriptor (not the name: no race with a rename) to refuse
// anything but a regular file, then the size limit, then mmap.
#include "input_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace bioptimus::engine::detail {
namespace {

std::string size_text(std::uint64_t bytes) {
  constexpr std::uint64_t mib = std::uint64_t{1} << 20;
  return bytes >= mib ? std::to_string(bytes / mib) + " MiB" : std::to_string(bytes) + " bytes";
}

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) {
    return "a directory";
  }
  if (S_ISFIFO(mode)) {
    return "a FIFO";
  }
  if (S_ISCHR(mode) || S_ISBLK(mode)) {
    return "a device";
  }
  if (S_ISSOCK(mode)) {
    return "a socket";
  }
  return "not a regular file";
}

// An open descriptor, closed on every path out.
class Descriptor {
 public:
  explicit Descriptor(int fd) noexcept : fd_(fd) {}
  Descriptor(Descriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  Descriptor& operator=(Descriptor&&) = delete;
  ~Descriptor() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_;
};

// Opens `path` and checks it; on success `size` is its size.
Descriptor open_regular(const std::filesystem::path& path, std::uint64_t max_bytes, std::uint64_t& size,
                        std::string& problem) {
  Descriptor fd{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)};
  if (fd.get() < 0) {
    problem = errno == ENOENT ? "no such file" : std::string{"cannot open: "} + std::strerror(errno);
    return fd;
  }
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) {
    problem = std::string{"cannot stat: "} + std::strerror(errno);
    return fd;
  }
  if (!S_ISREG(status.st_mode)) {
    problem = std::string{"is "} + kind_of(status.st_mode) + ", not a regular file";
    return fd;
  }
  size = static_cast<std::uint64_t>(status.st_size);
  if (size > max_bytes) {
    problem = "is " + size_text(size) + ", more than the " + size_text(max_bytes) + " limit";
  }
  return fd;
}

}  // namespace

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

MappedFile map_input_file(const std::filesystem::path& path, std::uint64_t max_bytes, std::string& problem) {
  std::uint64_t size = 0;
  const Descriptor fd = open_regular(path, max_bytes, size, problem);
  MappedFile file;
  if (!problem.empty() || size == 0) {
    return file;
  }
  void* data = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (data == MAP_FAILED) {
    problem = std::string{"cannot map: "} + std::strerror(errno);
    return file;
  }
  file.data_ = static_cast<const std::byte*>(data);
  file.size_ = static_cast<std::size_t>(size);
  return file;
}

std::string read_input_file(const std::filesystem::path& path, std::uint64_t max_bytes, std::string& problem) {
  std::uint64_t size = 0;
  const Descriptor fd = open_regular(path, max_bytes, size, problem);
  std::string text;
  if (!problem.empty()) {
    return text;
  }
  text.resize(static_cast<std::size_t>(size));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t got = ::read(fd.get(), text.data() + done, text.size() - done);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      // A file that shrank while read is read as what it became.
      if (got < 0) {
        problem = std::string{"cannot read: "} + std::strerror(errno);
      }
      break;
    }
    done += static_cast<std::size_t>(got);
  }
  text.resize(done);
  return text;
}

}  // namespace bioptimus::engine::detail
