// bench/tiling_benchmark.cpp
//
// Grid enumeration on a large slide: 200,000 x 100,000 px at 0.25 mpp with
// three levels, tiled for 224 px at 0.5 mpp (footprint 448 level-0 px).
// Reported as items (tiles) per second.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "bioptimus/extraction/wsi/tiling.hpp"
#include "bioptimus/io/wsi/slide.hpp"

namespace {

using bioptimus::extraction::wsi::plan_tiles;
using bioptimus::extraction::wsi::Tile;
using bioptimus::extraction::wsi::TilePlan;
using bioptimus::extraction::wsi::TileSpec;
using bioptimus::io::wsi::MPP;
using bioptimus::io::wsi::SlideGeometry;

SlideGeometry large_slide() {
  return SlideGeometry{{.mpp_x = MPP{0.25},
                        .mpp_y = MPP{0.25},
                        .level_dimensions = {{200'000, 100'000}, {50'000, 25'000}, {12'500, 6'250}},
                        .level_downsamples = {1.0, 4.0, 16.0}}};
}

// 224 px at 0.5 mpp, stride `stride` px (224 = no overlap, 112 = half overlap).
TileSpec tile_spec(double stride) {
  return TileSpec{{.size = {224, 224}, .stride = {stride, stride}, .resolution = MPP{0.5}}};
}

// Every tile through the range interface (row-major iteration).
void BM_IterateGrid(benchmark::State& state) {
  const TilePlan plan = plan_tiles(tile_spec(static_cast<double>(state.range(0))), large_slide());
  for (auto _ : state) {
    std::int64_t checksum = 0;
    for (const Tile& tile : plan) {
      checksum += tile.x ^ tile.y;
    }
    benchmark::DoNotOptimize(checksum);
  }
  state.SetItemsProcessed(state.iterations() * plan.size());
  state.counters["tiles"] = static_cast<double>(plan.size());
}
BENCHMARK(BM_IterateGrid)->Arg(224)->Arg(112);

// Every tile by index (what a parallel loop over [0, size()) does).
void BM_TileByIndex(benchmark::State& state) {
  const TilePlan plan = plan_tiles(tile_spec(static_cast<double>(state.range(0))), large_slide());
  for (auto _ : state) {
    std::int64_t checksum = 0;
    for (std::int64_t i = 0; i < plan.size(); ++i) {
      const Tile tile = plan.tile(i);
      checksum += tile.x ^ tile.y;
    }
    benchmark::DoNotOptimize(checksum);
  }
  state.SetItemsProcessed(state.iterations() * plan.size());
  state.counters["tiles"] = static_cast<double>(plan.size());
}
BENCHMARK(BM_TileByIndex)->Arg(224)->Arg(112);

// The plan itself: level choice, footprint, region and grid counts.
void BM_PlanTiles(benchmark::State& state) {
  const SlideGeometry slide = large_slide();
  const TileSpec spec = tile_spec(224);
  for (auto _ : state) {
    TilePlan plan = plan_tiles(spec, slide);
    benchmark::DoNotOptimize(plan);
  }
}
BENCHMARK(BM_PlanTiles);

}  // namespace
