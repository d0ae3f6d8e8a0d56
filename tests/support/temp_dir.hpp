// A uniquely named directory under the system temp dir, removed with
// everything in it when the object goes out of scope. Safe under `ctest -j`.
#ifndef BIOPTIMUS_TESTS_TEMP_DIR_HPP
#define BIOPTIMUS_TESTS_TEMP_DIR_HPP

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <system_error>

namespace bioptimus::testing {

class TempDir {
 public:
  TempDir() {
    std::random_device entropy;
    std::mt19937_64 generator(entropy());
    for (int attempt = 0; attempt < 100; ++attempt) {
      path_ = std::filesystem::temp_directory_path() / ("bioptimus-test-" + std::to_string(generator()));
      if (std::filesystem::create_directory(path_)) {
        return;
      }
    }
    throw std::runtime_error("cannot create a temporary directory");
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

  /// Writes `content` to `name` inside the directory and returns its path.
  std::filesystem::path write(const std::string& name, std::string_view content) const {
    const std::filesystem::path file = path_ / name;
    std::ofstream stream(file, std::ios::binary);
    stream.write(content.data(), static_cast<std::streamsize>(content.size()));
    return file;
  }

 private:
  std::filesystem::path path_;
};

/// The whole content of the file `path`, or "" when it cannot be read.
inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return text;
}

}  // namespace bioptimus::testing

#endif  // BIOPTIMUS_TESTS_TEMP_DIR_HPP
