// bench/megatile_benchmark.cpp
//
// Mega-tile extraction next to plain tile extraction on one slide, in one
// run: h0-mini's tiles (224 px at 0.5 um/px), the same slide, the same mask.
// scripts/bench-megatiles.sh generates the 40,000 x 30,000 px slide, runs
// this and prints the ratios.
//
//   BIOPTIMUS_BENCH_SLIDE=slide.tif bioptimus_megatile_benchmark
//
// Two pairs:
// - *_Fit: fit (tissue mask by segmentation) + extract, what a user runs;
// - *_Extract: extract alone, with the mask made once beforehand and given
//   to the extractor, so that the mega-tile stage's own cost shows.
// The mega-tile runs use 4 x 4 blocks, the default window [0.5, none],
// rectangular and hexagonal, and 4 x 4 blocks every tile (overlapping, 16
// times the block positions).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <optional>
#include <string>

#include "bioptimus/extraction/wsi/megatile_extractor.hpp"
#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "bioptimus/extraction/wsi/tissue_mask.hpp"
#include "bioptimus/io/wsi/reader.hpp"

namespace {

using namespace bioptimus::extraction::wsi;
using bioptimus::io::wsi::MPP;
using bioptimus::io::wsi::SlideReader;

const TileSpec h0_tile{{.size = Extent{224}, .resolution = MPP{0.5}}};

const char* slide_path() {
  const char* value = std::getenv("BIOPTIMUS_BENCH_SLIDE");
  return value != nullptr && *value != '\0' ? value : nullptr;
}

// The slide and its mask, made once for the whole run.
struct Shared {
  SlideReader slide;
  TissueMask mask;
  explicit Shared(const char* path) : slide(path), mask(segment_tissue(slide)) {}
};

const Shared& shared() {
  static const Shared instance{slide_path()};
  return instance;
}

MegaTileSpec blocks(GridLayout layout, bool overlapping) {
  return MegaTileSpec{
      {.megatile_shape = {.rows = 4, .cols = 4},
       .tile_spec = h0_tile,
       .grid_layout = layout,
       .megatile_stride = overlapping ? std::optional{TileGridShape{.rows = 1, .cols = 1}} : std::nullopt}};
}

bool skip_without_slide(benchmark::State& state) {
  if (slide_path() == nullptr) {
    state.SkipWithError("set BIOPTIMUS_BENCH_SLIDE");
    return true;
  }
  return false;
}

void BM_Tiles_Fit(benchmark::State& state) {
  if (skip_without_slide(state)) {
    return;
  }
  const SlideReader& slide = shared().slide;
  std::size_t kept = 0;
  for (auto _ : state) {
    TileExtractor extractor{h0_tile};
    kept = extractor.fit(slide).extract().size();
  }
  state.counters["tiles"] = static_cast<double>(kept);
}
BENCHMARK(BM_Tiles_Fit)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

void BM_MegaTiles_Fit(benchmark::State& state) {
  if (skip_without_slide(state)) {
    return;
  }
  const SlideReader& slide = shared().slide;
  std::size_t kept = 0;
  for (auto _ : state) {
    MegaTileExtractor extractor{blocks(GridLayout::rectangular, false)};
    kept = extractor.fit(slide).extract().size();
  }
  state.counters["megatiles"] = static_cast<double>(kept);
}
BENCHMARK(BM_MegaTiles_Fit)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

void BM_Tiles_Extract(benchmark::State& state) {
  if (skip_without_slide(state)) {
    return;
  }
  TileExtractor extractor{h0_tile, {.mask = shared().mask, .segmentation = std::nullopt}};
  extractor.fit(shared().slide);
  std::size_t kept = 0;
  for (auto _ : state) {
    kept = extractor.extract().size();
  }
  state.counters["tiles"] = static_cast<double>(kept);
  state.counters["candidates"] = static_cast<double>(extractor.plan().size());
}
BENCHMARK(BM_Tiles_Extract)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MegaTiles_Extract(benchmark::State& state) {
  if (skip_without_slide(state)) {
    return;
  }
  const auto layout = static_cast<GridLayout>(state.range(0));
  const bool overlapping = state.range(1) != 0;
  MegaTileExtractor extractor{blocks(layout, overlapping), {.mask = shared().mask, .segmentation = std::nullopt}};
  extractor.fit(shared().slide);
  std::size_t kept = 0;
  for (auto _ : state) {
    kept = extractor.extract().size();
  }
  state.SetLabel(std::string(to_string(layout)) + (overlapping ? ", stride 1x1" : ", stride 4x4"));
  state.counters["megatiles"] = static_cast<double>(kept);
  state.counters["candidates"] = static_cast<double>(extractor.candidates());
}
BENCHMARK(BM_MegaTiles_Extract)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Args({static_cast<int>(GridLayout::rectangular), 0})
    ->Args({static_cast<int>(GridLayout::hexagonal), 0})
    ->Args({static_cast<int>(GridLayout::rectangular), 1});

}  // namespace
