// The C++ TileStream alone, for bench/tile_stream_benchmark.py (which times
// the Python TileStream and a TRIDENT-style DataLoader on the same tiles):
//
//   bioptimus_tile_stream_benchmark SLIDE MODEL COORDS.txt [--threads N] [--batch-size B]
//
// MODEL is a built-in model name or a model config YAML; COORDS.txt holds one
// "x y" (level-0) per line. Streams those tiles as float32 batches (reading
// one value per batch, as a consumer would touch it) and prints one JSON line:
// tiles, seconds (from the stream's construction to its last batch),
// cpu_seconds (the same span, all threads), tiles_per_second, peak_rss_mib.
#include <sys/resource.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bioptimus/models/registry.hpp"
#include "bioptimus/pipeline/tile_stream.hpp"

namespace {

bioptimus::models::ModelSpec model_of(const std::string& argument) {
  if (std::filesystem::path(argument).extension() == ".yaml") {
    return bioptimus::models::load_spec(argument);
  }
  return bioptimus::models::Registry::builtin().get(argument);
}

// User + system CPU seconds of the process so far (all its threads).
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& time) {
    return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) * 1e-6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::vector<std::array<std::int64_t, 2>> read_coordinates(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::array<std::int64_t, 2>> coordinates;
  std::int64_t x = 0;
  std::int64_t y = 0;
  while (in >> x >> y) {
    coordinates.push_back({x, y});
  }
  return coordinates;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s SLIDE MODEL COORDS.txt [--threads N] [--batch-size B]\n", argv[0]);
    return 2;
  }
  bioptimus::pipeline::TileStreamOptions options;
  for (int i = 4; i + 1 < argc; i += 2) {
    const std::string_view name = argv[i];
    const int value = std::stoi(argv[i + 1]);
    if (name == "--threads") {
      options.threads = value;
    } else if (name == "--batch-size") {
      options.batch_size = value;
    } else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  try {
    const bioptimus::models::ModelSpec spec = model_of(argv[2]);
    bioptimus::io::wsi::SlideReader slide{argv[1]};
    std::vector<bioptimus::extraction::wsi::TileRegion> tiles =
        bioptimus::pipeline::tiles_at(slide, spec.tile_spec(), read_coordinates(argv[3]));
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_seconds();
    bioptimus::pipeline::TileStream stream(std::move(slide), std::move(tiles), bioptimus::models::Preprocessor(spec),
                                           options);
    std::int64_t count = 0;
    double checksum = 0;
    while (std::optional<bioptimus::pipeline::TileBatch> batch = stream.next()) {
      count += batch->size();
      checksum += static_cast<double>(batch->values<float>().back());
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu = cpu_seconds() - cpu_start;
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf(
        "{\"tiles\": %lld, \"seconds\": %.4f, \"cpu_seconds\": %.4f, \"tiles_per_second\": %.1f, "
        "\"peak_rss_mib\": %.1f, \"checksum\": %g}\n",
        static_cast<long long>(count), seconds, cpu, static_cast<double>(count) / seconds,
        static_cast<double>(usage.ru_maxrss) / 1024.0, checksum);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bioptimus_tile_stream_benchmark: %s\n", error.what());
    return 1;
  }
  return 0;
}
