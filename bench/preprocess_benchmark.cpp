// bench/preprocess_benchmark.cpp
//
// 64 H&E tiles of 448 x 448 RGB -> 224 x 224 bicubic, antialiased -> float32
// CHW normalised with h0-mini's mean and std, buffers allocated once and
// reused, as a pipeline runs it. In the same run: OpenCV's cv::resize
// (INTER_CUBIC) + cv::dnn::blobFromImages + per-channel std on the same tiles
// (when OpenCV is found), the identity path (tiles already 224 px) and a
// memcpy of the same output bytes. The tiles are 448 px crops of
// tests/data/parity/source_512x512.png at offsets (8 (i % 8), 8 (i / 8)), so
// preprocess_benchmark.py times Pillow and torchvision on the same pixels.
// After the table, the ratios the issue sets targets for are printed.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "bioptimus/image/resize.hpp"
#include "bioptimus/models/preprocess.hpp"
#include "bioptimus/models/registry.hpp"
#include "image_io.hpp"

#ifdef BIOPTIMUS_HAVE_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#endif

namespace {

namespace image = bioptimus::image;
namespace models = bioptimus::models;

constexpr std::int64_t tile_count = 64;
constexpr std::int64_t source_side = 448;
constexpr std::int64_t target_side = 224;

struct Batch {
  std::vector<image::Image> tiles;
  std::vector<image::ImageView> views;
};

Batch crops(std::int64_t side) {
  const image::Image source =
      bioptimus::apps::read_png(std::string(BIOPTIMUS_SOURCE_DIR) + "/tests/data/parity/source_512x512.png");
  Batch batch;
  for (std::int64_t i = 0; i < tile_count; ++i) {
    image::Image tile(side, side);
    const std::int64_t left = 8 * (i % 8);
    const std::int64_t top = 8 * (i / 8);
    for (std::int64_t y = 0; y < side; ++y) {
      std::memcpy(tile.bytes().data() + y * side * 3, source.bytes().data() + ((top + y) * 512 + left) * 3,
                  static_cast<std::size_t>(side * 3));
    }
    batch.tiles.push_back(std::move(tile));
  }
  for (const image::Image& tile : batch.tiles) {
    batch.views.push_back(tile.view());
  }
  return batch;
}

const models::ModelSpec& h0_mini() { return models::Registry::builtin().get(models::Models::h0_mini); }

void set_counters(benchmark::State& state) {
  // Wall-clock seconds per tile, printed with a unit (ms, us).
  state.counters["per_tile"] = benchmark::Counter(
      static_cast<double>(tile_count), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_Ours_448_to_224(benchmark::State& state) {
  const Batch batch = crops(source_side);
  const models::Preprocessor pre(h0_mini());
  std::vector<float> out(static_cast<std::size_t>(tile_count * pre.output_elements()));
  const int threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    pre(batch.views, out, threads);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}
BENCHMARK(BM_Ours_448_to_224)->Arg(1)->Arg(2)->ArgName("threads")->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_Ours_resize_only_448_to_224(benchmark::State& state) {
  const Batch batch = crops(source_side);
  const image::ResamplePlan plan({.width = source_side, .height = source_side},
                                 {.width = target_side, .height = target_side}, image::Filter::bicubic);
  image::Image out(target_side, target_side);
  image::ResizeScratch scratch;
  for (auto _ : state) {
    for (const image::ImageView& view : batch.views) {
      image::resize_into(view, plan, out.mutable_view(), scratch);
    }
    benchmark::DoNotOptimize(out.bytes().data());
  }
  set_counters(state);
}
BENCHMARK(BM_Ours_resize_only_448_to_224)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_Ours_identity_224(benchmark::State& state) {
  const Batch batch = crops(target_side);
  const models::Preprocessor pre(h0_mini());
  std::vector<float> out(static_cast<std::size_t>(tile_count * pre.output_elements()));
  for (auto _ : state) {
    pre(batch.views, out, 1);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}
BENCHMARK(BM_Ours_identity_224)->UseRealTime()->Unit(benchmark::kMillisecond);

// The floor for the identity path: copying as many bytes as it writes.
void BM_Memcpy_output_bytes(benchmark::State& state) {
  const std::size_t bytes = static_cast<std::size_t>(tile_count * 3 * target_side * target_side) * sizeof(float);
  std::vector<std::uint8_t> from(bytes, 1);
  std::vector<std::uint8_t> to(bytes, 0);
  for (auto _ : state) {
    std::memcpy(to.data(), from.data(), bytes);
    benchmark::DoNotOptimize(to.data());
    benchmark::ClobberMemory();
  }
  set_counters(state);
}
BENCHMARK(BM_Memcpy_output_bytes)->UseRealTime()->Unit(benchmark::kMillisecond);

#ifdef BIOPTIMUS_HAVE_OPENCV
void BM_OpenCV_cubic_blobFromImages(benchmark::State& state) {
  cv::setNumThreads(1);
  const Batch batch = crops(source_side);
  const models::ModelSpec& spec = h0_mini();
  std::vector<cv::Mat> sources;
  std::vector<cv::Mat> resized(tile_count);
  for (const image::Image& tile : batch.tiles) {
    sources.emplace_back(static_cast<int>(tile.height()), static_cast<int>(tile.width()), CV_8UC3,
                         const_cast<std::uint8_t*>(tile.bytes().data()));
  }
  const cv::Scalar mean(spec.mean()[0] * 255.0, spec.mean()[1] * 255.0, spec.mean()[2] * 255.0);
  cv::Mat blob;
  for (auto _ : state) {
    for (std::size_t i = 0; i < sources.size(); ++i) {
      cv::resize(sources[i], resized[i], cv::Size(target_side, target_side), 0, 0, cv::INTER_CUBIC);
    }
    cv::dnn::blobFromImages(resized, blob, 1.0 / 255.0, cv::Size(), mean, false, false, CV_32F);
    for (int n = 0; n < tile_count; ++n) {
      for (int c = 0; c < 3; ++c) {
        cv::Mat plane(target_side, target_side, CV_32F, blob.ptr<float>(n, c));
        plane *= 1.0 / spec.std()[static_cast<std::size_t>(c)];
      }
    }
    benchmark::DoNotOptimize(blob.data);
  }
  set_counters(state);
}
BENCHMARK(BM_OpenCV_cubic_blobFromImages)->UseRealTime()->Unit(benchmark::kMillisecond);
#endif

// Prints the table as usual, then the ratios between runs of this one process.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Iteration && run.iterations > 0) {
        seconds_[run.benchmark_name()] = run.GetAdjustedRealTime();
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    const auto ratio = [this](const std::string& a, const std::string& b, const char* what) {
      if (seconds_.count(a) != 0 && seconds_.count(b) != 0) {
        GetOutputStream() << what << ": " << seconds_[a] / seconds_[b] << "\n";
      }
    };
    const std::string one = "BM_Ours_448_to_224/threads:1/real_time";
    ratio("BM_OpenCV_cubic_blobFromImages/real_time", one, "OpenCV INTER_CUBIC+blobFromImages / ours (1 thread)");
    ratio(one, "BM_Ours_448_to_224/threads:2/real_time", "ours 1 thread / ours 2 threads");
    ratio("BM_Ours_identity_224/real_time", "BM_Memcpy_output_bytes/real_time", "identity path / memcpy");
  }

 private:
  std::map<std::string, double> seconds_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
