// Helpers of the slide tests: generated slides (make_tissue_slide), their
// ground truth, and running a command.
#ifndef BIOPTIMUS_TESTS_WSI_SUPPORT_HPP
#define BIOPTIMUS_TESTS_WSI_SUPPORT_HPP

#include <sys/wait.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace bioptimus::testing {

/// Runs a shell command; its exit status (-1 when it did not exit normally).
inline int run(const std::string& command) {
  const int status = std::system(command.c_str());
  return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// Runs a shell command and returns its standard output.
inline std::string run_output(const std::string& command, int* status = nullptr) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    throw std::runtime_error("cannot run " + command);
  }
  char buffer[4096];
  for (std::size_t n = 0; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
    output.append(buffer, n);
  }
  const int code = pclose(pipe);
  if (status != nullptr) {
    *status = code != -1 && WIFEXITED(code) ? WEXITSTATUS(code) : -1;
  }
  return output;
}

inline std::string quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

/// Writes a generated slide at `path` (arguments as make_tissue_slide takes them).
inline std::filesystem::path make_tissue_slide(const std::filesystem::path& path, const std::string& arguments) {
  const int status = run(std::string("'") + BIOPTIMUS_MAKE_TISSUE_SLIDE + "' " + quoted(path) + " " + arguments);
  if (status != 0) {
    throw std::runtime_error("make_tissue_slide failed for " + path.string());
  }
  return path;
}

/// The generator's ground truth: one byte per 16 x 16 level-0 cell
/// (255 tissue, 128 speck, 0 background).
struct Truth {
  static constexpr std::int64_t cell = 16;
  std::int64_t width = 0;
  std::int64_t height = 0;
  std::vector<std::uint8_t> cells;

  [[nodiscard]] std::uint8_t at(std::int64_t x, std::int64_t y) const {
    return cells[static_cast<std::size_t>(y * width + x)];
  }
  /// Cells of `value` in the level-0 rectangle, and all cells in it.
  [[nodiscard]] std::pair<std::int64_t, std::int64_t> count(std::int64_t x, std::int64_t y, std::int64_t w,
                                                            std::int64_t h, std::uint8_t value) const {
    std::int64_t hits = 0;
    std::int64_t all = 0;
    for (std::int64_t cy = y / cell; cy < (y + h) / cell && cy < height; ++cy) {
      for (std::int64_t cx = x / cell; cx < (x + w) / cell && cx < width; ++cx) {
        hits += at(cx, cy) == value ? 1 : 0;
        ++all;
      }
    }
    return {hits, all};
  }
};

inline Truth read_truth(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string magic;
  int maximum = 0;
  Truth truth;
  in >> magic >> truth.width >> truth.height >> maximum;
  in.get();
  truth.cells.resize(static_cast<std::size_t>(truth.width * truth.height));
  in.read(reinterpret_cast<char*>(truth.cells.data()), static_cast<std::streamsize>(truth.cells.size()));
  if (magic != "P5" || !in) {
    throw std::runtime_error("bad truth file " + path.string());
  }
  return truth;
}

}  // namespace bioptimus::testing

#endif  // BIOPTIMUS_TESTS_WSI_SUPPORT_HPP
