// One timed write of a float32 array through a PredictionWriter, for
// bench/writers_benchmark.py, which times zarr-python on the same array in
// the same run:
//
//   bioptimus_writer_benchmark ROWS.f32 ROWS COLUMNS OUTPUT zarr|h5|npz [lz4|zstd|zlib|none] [BATCH]
//
// The array is read into memory first (not timed); then the writer is
// opened, given the rows BATCH at a time (64 by default, as extract writes
// them) and closed, durably (fsync) and renamed into place. Prints one JSON
// line: seconds and CPU seconds of that, the raw bytes and the bytes on disk.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bioptimus/writers/prediction_writer.hpp"

namespace {

using bioptimus::writers::Coordinate;

// CPU seconds of the whole process so far, every thread (blosc's, the writer's) included.
double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& time) {
    return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) * 1e-6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::uintmax_t bytes_on_disk(const std::filesystem::path& path) {
  if (!std::filesystem::is_directory(path)) {
    return std::filesystem::file_size(path);
  }
  std::uintmax_t total = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
    if (entry.is_regular_file()) {
      total += entry.file_size();
    }
  }
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6 || argc > 8) {
    std::fprintf(stderr,
                 "usage: bioptimus_writer_benchmark ROWS.f32 ROWS COLUMNS OUTPUT zarr|h5|npz "
                 "[lz4|zstd|zlib|none] [BATCH]\n");
    return 2;
  }
  try {
    const std::int64_t rows = std::stoll(argv[2]);
    const std::int64_t columns = std::stoll(argv[3]);
    const std::filesystem::path output = argv[4];
    const auto format = bioptimus::writers::parse_output_format(argv[5]);
    const auto compressor = bioptimus::writers::parse_zarr_compressor(argc > 6 ? argv[6] : "lz4");
    const std::int64_t batch = argc > 7 ? std::stoll(argv[7]) : 64;
    if (!format || !compressor || rows < 1 || columns < 1 || batch < 1) {
      std::fprintf(stderr, "bioptimus_writer_benchmark: bad arguments\n");
      return 2;
    }
    std::vector<float> features(static_cast<std::size_t>(rows * columns));
    std::ifstream in(argv[1], std::ios::binary);
    in.read(reinterpret_cast<char*>(features.data()), static_cast<std::streamsize>(features.size() * sizeof(float)));
    if (!in) {
      std::fprintf(stderr, "bioptimus_writer_benchmark: %s holds fewer than %lld x %lld floats\n", argv[1],
                   static_cast<long long>(rows), static_cast<long long>(columns));
      return 1;
    }
    std::vector<Coordinate> coordinates(static_cast<std::size_t>(rows));
    for (std::int64_t row = 0; row < rows; ++row) {
      coordinates[static_cast<std::size_t>(row)] = {.x = (row % 400) * 224, .y = (row / 400) * 224};
    }

    const double cpu_start = cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    auto writer = bioptimus::writers::open_prediction_writer(
        output, {columns}, {.name = "benchmark"}, {.format = *format, .num_tiles = rows, .compressor = *compressor});
    for (std::int64_t first = 0; first < rows; first += batch) {
      const std::int64_t count = std::min(batch, rows - first);
      writer->write(std::span<const float>(features).subspan(static_cast<std::size_t>(first * columns),
                                                             static_cast<std::size_t>(count * columns)),
                    std::span<const Coordinate>(coordinates)
                        .subspan(static_cast<std::size_t>(first), static_cast<std::size_t>(count)));
    }
    writer->close();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu = cpu_seconds() - cpu_start;
    std::printf("{\"seconds\": %.6f, \"cpu_seconds\": %.6f, \"raw_bytes\": %lld, \"disk_bytes\": %llu}\n", seconds, cpu,
                static_cast<long long>(features.size() * sizeof(float)),
                static_cast<unsigned long long>(bytes_on_disk(output)));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bioptimus_writer_benchmark: %s\n", error.what());
    return 1;
  }
  return 0;
}
