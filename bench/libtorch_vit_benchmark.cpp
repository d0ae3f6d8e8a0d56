// LibTorch running a traced ViT, for bench/engine_vs_libtorch.py: the peer
// the native engine is compared with, on the same model and batch.
//
//   bioptimus_libtorch_vit_benchmark MODEL.pt SIZE BATCH ITERATIONS THREADS fp32|bf16
//
// bf16 runs the fp32 model under CPU autocast to bfloat16 (what a user of
// torch.autocast("cpu", dtype=torch.bfloat16) gets). Prints one JSON object:
// seconds per batch (the best of ITERATIONS after a warm-up), tiles/s, peak
// resident memory, the output's dtype. C++17: LibTorch 1.13's headers.
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <sys/resource.h>
#include <torch/script.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: %s MODEL.pt SIZE BATCH ITERATIONS THREADS fp32|bf16\n", argv[0]);
    return 2;
  }
  const long size = std::atol(argv[2]);
  const long batch = std::atol(argv[3]);
  const int iterations = std::atoi(argv[4]);
  const int threads = std::atoi(argv[5]);
  const std::string precision = argv[6];
  try {
    at::set_num_threads(threads);
    torch::NoGradGuard no_grad;
    torch::jit::Module module = torch::jit::load(argv[1]);
    module.eval();
    const bool autocast = precision == "bf16";
    at::autocast::set_cpu_enabled(autocast);
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    const torch::Tensor tiles = torch::randn({batch, 3, size, size});
    torch::Tensor out = module.forward({tiles}).toTensor();  // warm-up (and the profiling executor's runs)
    out = module.forward({tiles}).toTensor();
    double best = 1e30;
    for (int i = 0; i < iterations; ++i) {
      const auto start = std::chrono::steady_clock::now();
      out = module.forward({tiles}).toTensor();
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf(
        "{\"mode\": \"libtorch\", \"precision\": \"%s\", \"batch\": %ld, \"threads\": %d, \"seconds\": %.4f, "
        "\"tiles_per_second\": %.2f, \"peak_rss_mib\": %.1f, \"output_dtype\": \"%s\"}\n",
        precision.c_str(), batch, threads, best, static_cast<double>(batch) / best,
        static_cast<double>(usage.ru_maxrss) / 1024.0, std::string(c10::toString(out.scalar_type())).c_str());
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 1;
  }
  return 0;
}
