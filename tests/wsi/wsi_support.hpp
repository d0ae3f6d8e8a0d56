// Helpers of the slide tests: generated slides (make_tissue_slide), their
// ground truth and scores against it, and running a command.
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
#include <utility>
#include <vector>

#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "bioptimus/extraction/wsi/tissue_mask.hpp"

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

/// A TileExtractor's tiles scored against the truth.
struct Scores {
  std::int64_t truth_tiles = 0;       // tiles whose footprint is >= half tissue
  std::int64_t truth_tiles_kept = 0;  // of those, kept
  std::int64_t kept = 0;
  std::int64_t kept_without_tissue = 0;  // background tiles
  std::int64_t kept_on_speck = 0;        // kept tiles holding any speck

  [[nodiscard]] double coverage() const {
    return truth_tiles == 0 ? 1.0 : static_cast<double>(truth_tiles_kept) / static_cast<double>(truth_tiles);
  }
};

inline Scores score(const extraction::wsi::TileExtractor& extractor, const Truth& truth) {
  Scores scores;
  const extraction::wsi::TilePlan& plan = extractor.plan();
  std::vector<bool> kept(static_cast<std::size_t>(plan.size()), false);
  for (const extraction::wsi::TileRegion& region : extractor.regions()) {
    const std::int64_t column = (region.x - plan.area().x) / plan.stride().width;
    const std::int64_t row = (region.y - plan.area().y) / plan.stride().height;
    kept[static_cast<std::size_t>(row * plan.columns() + column)] = true;
  }
  for (const extraction::wsi::Tile& tile : plan) {
    const auto [tissue, cells] = truth.count(tile.x, tile.y, tile.width, tile.height, 255);
    const auto [speck, ignored] = truth.count(tile.x, tile.y, tile.width, tile.height, 128);
    const bool is_kept = kept[static_cast<std::size_t>(tile.index)];
    if (2 * tissue >= cells) {
      ++scores.truth_tiles;
      scores.truth_tiles_kept += is_kept ? 1 : 0;
    }
    if (is_kept) {
      ++scores.kept;
      scores.kept_without_tissue += tissue == 0 ? 1 : 0;
      scores.kept_on_speck += speck > 0 ? 1 : 0;
    }
  }
  return scores;
}

/// Each piece of tissue in the truth (cells connected 4-way) and the share
/// of its cells whose centre `mask` calls tissue; `level0_mpp` places the
/// mask on the slide.
struct PieceCoverage {
  std::int64_t cells;
  double covered;
};

inline std::vector<PieceCoverage> piece_coverage(const Truth& truth, const extraction::wsi::TissueMask& mask,
                                                 double level0_mpp) {
  const double scale = level0_mpp / mask.mpp()->value();  // mask px per level-0 px
  std::vector<std::int32_t> label(truth.cells.size(), -1);
  std::vector<PieceCoverage> pieces;
  std::vector<std::int64_t> stack;
  for (std::int64_t start = 0; start < static_cast<std::int64_t>(truth.cells.size()); ++start) {
    if (truth.cells[static_cast<std::size_t>(start)] != 255 || label[static_cast<std::size_t>(start)] >= 0) {
      continue;
    }
    const auto id = static_cast<std::int32_t>(pieces.size());
    std::int64_t cells = 0;
    std::int64_t covered = 0;
    label[static_cast<std::size_t>(start)] = id;
    stack.assign(1, start);
    while (!stack.empty()) {
      const std::int64_t index = stack.back();
      stack.pop_back();
      const std::int64_t x = index % truth.width;
      const std::int64_t y = index / truth.width;
      ++cells;
      const auto mx = static_cast<std::int64_t>((static_cast<double>(x) + 0.5) * Truth::cell * scale);
      const auto my = static_cast<std::int64_t>((static_cast<double>(y) + 0.5) * Truth::cell * scale);
      covered += mx < mask.width() && my < mask.height() && mask.is_tissue(mx, my) ? 1 : 0;
      const std::pair<std::int64_t, std::int64_t> steps[] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
      for (const auto& [dx, dy] : steps) {
        const std::int64_t nx = x + dx;
        const std::int64_t ny = y + dy;
        const std::int64_t next = ny * truth.width + nx;
        if (nx >= 0 && ny >= 0 && nx < truth.width && ny < truth.height &&
            truth.cells[static_cast<std::size_t>(next)] == 255 && label[static_cast<std::size_t>(next)] < 0) {
          label[static_cast<std::size_t>(next)] = id;
          stack.push_back(next);
        }
      }
    }
    pieces.push_back({.cells = cells, .covered = static_cast<double>(covered) / static_cast<double>(cells)});
  }
  return pieces;
}

}  // namespace bioptimus::testing

#endif  // BIOPTIMUS_TESTS_WSI_SUPPORT_HPP
