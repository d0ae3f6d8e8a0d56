// The native engine's speed on one model and batch size, or oneDNN's on one
// large GEMM (the roofline the engine's GFLOPS are compared with). One mode
// per process, so that the peak memory is the mode's own. Driven by
// bench/engine_vs_libtorch.py, which runs LibTorch beside it.
//
//   bioptimus_engine_benchmark native WEIGHTS SPEC.yaml BATCH ITERATIONS THREADS
//   bioptimus_engine_benchmark gemm SIZE ITERATIONS THREADS
//
// Prints one JSON object: seconds per batch (the best of ITERATIONS after a
// warm-up), tiles/s, GFLOPS (the model's multiply-adds counted from its
// architecture), peak resident memory, weight bytes, load seconds.
#include <omp.h>
#include <sys/resource.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "bioptimus/engine/vit_model.hpp"
#include "bioptimus/models/registry.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// CPU seconds this process has used (user + system, all threads): steadier
// than wall time on a machine shared with other work.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](timeval t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// Multiply-adds x 2 of one tile through the architecture: the patch
// embedding, then per block qkv, q k^T, P v, the projection and the MLP.
double flops_per_tile(const bioptimus::engine::VitModel& model) {
  const bioptimus::engine::VitArchitecture& arch = model.architecture();
  const auto tokens = static_cast<double>(model.tokens_per_tile());
  const auto dim = static_cast<double>(arch.embed_dim());
  const double patches = tokens - static_cast<double>(arch.num_prefix_tokens());
  const auto patch_inputs = static_cast<double>(arch.in_chans() * arch.patch_size() * arch.patch_size());
  const auto hidden = static_cast<double>(arch.mlp_hidden());
  const auto inner = static_cast<double>(arch.mlp_inner());
  const double block = tokens * dim * 3 * dim + 2 * tokens * tokens * dim + tokens * dim * dim + tokens * dim * hidden +
                       tokens * inner * dim;
  return 2 * (patches * patch_inputs * dim + static_cast<double>(arch.depth()) * block);
}

int native(const char* weights, const char* spec_file, int batch, int iterations, int threads) {
  const bioptimus::models::ModelSpec spec = bioptimus::models::load_spec(spec_file);
  bioptimus::engine::EngineOptions options;
  options.threads = threads;
  const Clock::time_point load_start = Clock::now();
  bioptimus::engine::VitModel model = bioptimus::engine::VitModel::load(weights, spec, options);
  const double load_seconds = seconds_since(load_start);
  const double rss_after_load = peak_rss_mib();
  std::vector<float> tiles(static_cast<std::size_t>(batch) * model.tile_size());
  std::mt19937 random(1);
  std::normal_distribution<float> normal;
  std::generate(tiles.begin(), tiles.end(), [&] { return normal(random); });
  std::vector<float> tokens(static_cast<std::size_t>(batch * model.tokens_per_tile() * model.token_dim()));
  model.run(tiles, tokens);  // warm-up: primitives made, buffers touched
  double best = 1e30;
  const double cpu_start = cpu_seconds();
  for (int i = 0; i < iterations; ++i) {
    const Clock::time_point start = Clock::now();
    model.run(tiles, tokens);
    best = std::min(best, seconds_since(start));
  }
  const double cpu_per_batch = (cpu_seconds() - cpu_start) / iterations;
  const double flops = flops_per_tile(model) * batch;
  std::printf(
      "{\"mode\": \"native\", \"precision\": \"%s\", \"batch\": %d, \"threads\": %d, \"seconds\": %.4f, "
      "\"tiles_per_second\": %.2f, \"cpu_seconds\": %.4f, \"gflops\": %.1f, \"gflop_per_tile\": %.3f, "
      "\"weight_mib\": %.1f, "
      "\"peak_rss_mib\": %.1f, \"rss_after_load_mib\": %.1f, \"load_seconds\": %.2f, \"describe\": \"%s\"}\n",
      std::string{bioptimus::models::to_string(model.precision())}.c_str(), batch, model.threads(), best, batch / best,
      cpu_per_batch, flops / best / 1e9, flops_per_tile(model) / 1e9,
      static_cast<double>(model.weight_bytes()) / (1 << 20), peak_rss_mib(), rss_after_load, load_seconds,
      model.architecture().name().c_str());
  return 0;
}

int gemm(long size, int iterations, int threads) {
  using dnnl::memory;
  omp_set_num_threads(threads);
  const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  const memory::desc a({size, size}, memory::data_type::f32, memory::format_tag::ab);
  const memory::desc b({size, size}, memory::data_type::f32, memory::format_tag::any);
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, a), engine);
  memory src(a, engine);
  memory weights(pd.weights_desc(), engine);
  memory dst(a, engine);
  std::fill_n(static_cast<float*>(src.get_data_handle()), size * size, 0.5F);
  std::fill_n(static_cast<float*>(weights.get_data_handle()), pd.weights_desc().get_size() / sizeof(float), 0.25F);
  const dnnl::matmul matmul(pd);
  const auto run = [&] {
    matmul.execute(stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}});
    stream.wait();
  };
  run();
  double best = 1e30;
  for (int i = 0; i < iterations; ++i) {
    const Clock::time_point start = Clock::now();
    run();
    best = std::min(best, seconds_since(start));
  }
  const double flops = 2.0 * static_cast<double>(size) * static_cast<double>(size) * static_cast<double>(size);
  std::printf(
      "{\"mode\": \"gemm\", \"size\": %ld, \"threads\": %d, \"seconds\": %.4f, \"gflops\": %.1f, "
      "\"implementation\": \"%s\"}\n",
      size, threads, best, flops / best / 1e9, pd.impl_info_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "native" && argc == 7) {
      return native(argv[2], argv[3], std::atoi(argv[4]), std::atoi(argv[5]), std::atoi(argv[6]));
    }
    if (mode == "gemm" && argc == 5) {
      return gemm(std::atol(argv[2]), std::atoi(argv[3]), std::atoi(argv[4]));
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 1;
  }
  std::fprintf(stderr,
               "usage: %s native WEIGHTS SPEC.yaml BATCH ITERATIONS THREADS\n"
               "       %s gemm SIZE ITERATIONS THREADS\n",
               argv[0], argv[0]);
  return 2;
}
