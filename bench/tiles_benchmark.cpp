// bench/tiles_benchmark.cpp
//
// Tissue tiles of a slide to an HDF5 coordinates file, whole command
// wall-clock: `modelspec tiles` against CLAM's create_patches_fp.py (tcga
// preset), on the same slide and the same grid (256 px at level 0), in one
// run. scripts/bench-tiles.sh generates the slide, runs this and prints the
// ratio and both tools' tissue coverage.
//
//   BIOPTIMUS_BENCH_SLIDE=slide.tif BIOPTIMUS_CLAM_DIR=/path/to/CLAM bioptimus_tiles_benchmark
//
// Without BIOPTIMUS_CLAM_DIR the CLAM benchmark reports an error and the
// others still run. In-process, BM_TilesInProcess times open + mask +
// extract + HDF5 without the process start.
#include <benchmark/benchmark.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>

#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "bioptimus/io/wsi/reader.hpp"

namespace {

namespace fs = std::filesystem;

const char* environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

// A fresh directory for one benchmark's outputs, removed afterwards.
struct Scratch {
  fs::path path = fs::temp_directory_path() /
                  ("bioptimus-bench-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
  Scratch() { fs::create_directories(path); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

// Appended piece by piece: "'" + string trips g++ 12's false -Wrestrict at -O3.
std::string quoted(const fs::path& path) {
  std::string text = "'";
  text += path.string();
  text += '\'';
  return text;
}

bool run(const std::string& command) {
  const int status = std::system((command + " > /dev/null 2>&1").c_str());
  return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void BM_ModelspecTiles(benchmark::State& state) {
  const char* slide = environment("BIOPTIMUS_BENCH_SLIDE");
  if (slide == nullptr) {
    state.SkipWithError("set BIOPTIMUS_BENCH_SLIDE");
    return;
  }
  const Scratch scratch;
  // CLAM's four_pt rule keeps a tile when any of four inner points is
  // tissue; 0.1 of the tile is the threshold that covers at least as much
  // tissue (docs/tile-extraction.md).
  const std::string command = std::string("'") + BIOPTIMUS_MODELSPEC + "' tiles " + quoted(slide) + " --tile-spec '" +
                              BIOPTIMUS_SOURCE_DIR + "/bench/configs/clam-256-40x.yaml' --mask-threshold 0.1 -o " +
                              quoted(scratch.path);
  for (auto _ : state) {
    if (!run(command)) {
      state.SkipWithError("modelspec tiles failed");
      return;
    }
  }
}
BENCHMARK(BM_ModelspecTiles)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

void BM_ClamCreatePatchesFp(benchmark::State& state) {
  const char* slide = environment("BIOPTIMUS_BENCH_SLIDE");
  const char* clam = environment("BIOPTIMUS_CLAM_DIR");
  if (slide == nullptr || clam == nullptr) {
    state.SkipWithError("set BIOPTIMUS_BENCH_SLIDE and BIOPTIMUS_CLAM_DIR (a CLAM checkout)");
    return;
  }
  const Scratch scratch;
  const fs::path source = scratch.path / "source";
  fs::create_directories(source);
  fs::create_symlink(fs::absolute(slide), source / fs::path(slide).filename());
  for (auto _ : state) {
    const fs::path output = scratch.path / "output";
    std::error_code ignored;
    fs::remove_all(output, ignored);  // CLAM skips slides it has done
    const std::string command = "cd " + quoted(clam) + " && /usr/bin/python3 create_patches_fp.py --source " +
                                quoted(source) + " --save_dir " + quoted(output) +
                                " --patch_size 256 --step_size 256 --preset tcga.csv --seg --patch";
    if (!run(command)) {
      state.SkipWithError("create_patches_fp.py failed");
      return;
    }
  }
}
BENCHMARK(BM_ClamCreatePatchesFp)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_TilesInProcess(benchmark::State& state) {
  const char* slide_path = environment("BIOPTIMUS_BENCH_SLIDE");
  if (slide_path == nullptr) {
    state.SkipWithError("set BIOPTIMUS_BENCH_SLIDE");
    return;
  }
  const Scratch scratch;
  using namespace bioptimus::extraction::wsi;
  const TileSpec spec{{.size = Extent{256}, .resolution = bioptimus::io::wsi::MPP{0.25}}};
  std::size_t tiles = 0;
  for (auto _ : state) {
    const bioptimus::io::wsi::SlideReader slide{slide_path};
    TileExtractor extractor{spec, {.mask_threshold = 0.1}};
    tiles = extractor.fit(slide).extract().size();
    benchmark::DoNotOptimize(extractor.to_hdf5(scratch.path));
  }
  state.counters["tiles"] = static_cast<double>(tiles);
}
BENCHMARK(BM_TilesInProcess)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

}  // namespace
