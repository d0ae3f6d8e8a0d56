// `modelspec extract`'s command line: options and checks, shared by
// `modelspec` (which runs the command through modelspec-extract) and
// the companions that run it. No LibTorch here.
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "extract.hpp"
#include "manifest.hpp"
#include "number_options.hpp"

namespace bioptimus::apps {

int available_cores() {
  cpu_set_t cores;
  CPU_ZERO(&cores);
  if (::sched_getaffinity(0, sizeof(cores), &cores) == 0 && CPU_COUNT(&cores) > 0) {
    return CPU_COUNT(&cores);
  }
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

Subcommand add_extract_command(CLI::App& app, ExtractRunner run) {
  auto options = std::make_shared<ExtractOptions>();
  CLI::App* extract = app.add_subcommand(
      "extract",
      "Embed the tissue tiles of slides with a model's published weights or a TorchScript export (HDF5 as "
      "TRIDENT, NPZ or Zarr)");
  add_slide_arguments(*extract, options->input, "feature file");
  extract->add_option("--model", options->model, "Model name (see `list`) or a model config YAML")->required();
  // Only that it exists: the backbone says what else is wrong with it (a FIFO, a device: input_file.hpp).
  CLI::Option* weights =
      extract
          ->add_option("--weights", options->weights,
                       "A Hugging Face snapshot folder or a .safetensors file (native engine), or TorchScript (.pt, "
                       "LibTorch); default: the model's weights_source in the local Hugging Face cache "
                       "(docs/engine.md)")
          ->check(CLI::ExistingPath);
#if defined(BIOPTIMUS_EXTRACT_ENDPOINT)
  // The model on a server instead (docs/serving.md).
  CLI::Option* endpoint = extract->add_option(
      "--endpoint", options->endpoint,
      "A model server (modelspec serve, the SDK's protocol): http://HOST:PORT instead of --weights");
  weights->excludes(endpoint);
  extract->add_option("--concurrency", options->concurrency, "Requests in flight to --endpoint")
      ->transform(whole_number(1, max_threads));
  extract
      ->add_option("--tiles-per-request", options->tiles_per_request,
                   "Tiles per request to --endpoint (more than 1: the batch form, modelspec serve only)")
      ->transform(whole_number(1, max_batch_size));
  extract
      ->add_option("--retries", options->retries,
                   "Retries of a request to --endpoint after a connection error or a 5xx answer")
      ->transform(whole_number(0, max_retries));
  extract
      ->add_option("--request-timeout", options->request_timeout,
                   "Seconds to wait for a connection to --endpoint, or for the next byte of an answer")
      ->transform(decimal_number(min_request_timeout, max_request_timeout));
#endif
  extract->add_option("-o,--output", options->output, "Directory for the outputs")->required();
  extract
      ->add_option("--format", options->format, "Output format: h5 (TRIDENT's layout), npz, or zarr (a Zarr v2 store)")
      ->check(CLI::IsMember({"h5", "npz", "zarr"}));
  CLI::Option* compressor =
      extract
          ->add_option("--zarr-compressor", options->zarr_compressor, "Zarr chunks: blosc lz4, zstd or zlib, or none")
          ->check(CLI::IsMember({"lz4", "zstd", "zlib", "none"}));
  extract->add_option("--batch-size", options->batch_size, "Tiles per backbone call")
      ->transform(whole_number(1, max_batch_size));
  extract
      ->add_option("--threads", options->threads,
                   "Cores to use: the model's threads (LibTorch's or the native engine's), and the readers' while it "
                   "runs")
      ->transform(whole_number(1, max_threads));
  extract->add_option("--device", options->device, "LibTorch device: cpu, cuda or cuda:N");
  extract
      ->add_option("--precision", options->precision,
                   "auto: the spec's precision where the device runs it natively (bf16 on a CPU with AVX512-BF16 or "
                   "AMX), else fp32")
      ->check(CLI::IsMember({"auto", "fp32", "bf16", "fp16"}));
  extract->add_option("--mask-threshold", options->mask_threshold, "Keep tiles with at least this tissue fraction")
      ->transform(decimal_number(0.0, 1.0));
  extract->add_flag("--overwrite", options->overwrite, "Redo slides whose output exists");
  extract
      ->add_option("--stain-target", options->stain_target,
                   "Image (PNG or uint8 .npy) whose stains replace the spec's stain target")
      ->check(CLI::ExistingFile);
  extract
      ->add_option("--stain-estimation", options->stain_estimation,
                   "Source stains of the spec's stain normalisation: each tile's own, or one estimate per slide "
                   "from a sample of its tissue tiles")
      ->check(CLI::IsMember({"tile", "slide"}));
  extract->fallthrough();
  extract->callback([options, compressor] {
    // Without --weights (and --endpoint), the model's weights_source is looked up in the Hugging Face cache.
    check_slide_arguments(options->input);
    if (compressor->count() > 0 && options->format != "zarr") {
      throw CLI::ValidationError("--zarr-compressor",
                                 "applies to --format zarr only (the format is " + options->format + ")");
    }
  });
  return {extract, [options, run = std::move(run)](const RegistryLoader& load_registry) {
            return run(*options, load_registry);
          }};
}

}  // namespace bioptimus::apps
