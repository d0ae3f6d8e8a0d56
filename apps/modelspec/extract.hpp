// `modelspec extract`: tile embeddings of slides, one output per slide
// (HDF5 in TRIDENT's layout, NPZ, or a Zarr v2 store).
//
// The command line is registered by every modelspec (extract_command.cpp);
// running it needs LibTorch (extract.cpp), whose loading alone costs more
// than any other subcommand's whole run, so it runs in modelspec-extract
// (companion_tool.hpp).
#ifndef BIOPTIMUS_APPS_EXTRACT_HPP
#define BIOPTIMUS_APPS_EXTRACT_HPP

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bioptimus/models/registry.hpp"
#include "companion_tool.hpp"
#include "manifest.hpp"

namespace bioptimus::apps {

/// The largest --batch-size (also --tiles-per-request) and --threads (also
/// --concurrency): a batch of 65536 224 px tiles is 40 GB of input; no
/// machine has 1024 cores for the reads.
inline constexpr std::int64_t max_batch_size = 65536;
inline constexpr std::int64_t max_threads = 1024;
/// --retries and --request-timeout (seconds) of extract --endpoint: a day
/// per byte is already no answer.
inline constexpr std::int64_t max_retries = 100;
inline constexpr double min_request_timeout = 0.001;
inline constexpr double max_request_timeout = 86400.0;

/// The cores this process may run on: its CPU affinity (a Slurm job's or
/// taskset's cores, not the whole machine's, which hardware_concurrency()
/// counts: OpenMP threads beyond them only wait for each other), at least 1.
[[nodiscard]] int available_cores();

// The slide arguments are `tiles`'s (slides or --manifest, --slide-id,
// --mpp-override, --summary), so that a workflow drives both the same way.
struct ExtractOptions {
  SlideArguments input;
  std::string model;
  std::optional<std::string> weights;
  std::string output;
  double mask_threshold = 0.5;
  std::string format = "h5";
  std::string zarr_compressor = "lz4";
  int batch_size = 64;
  int threads = available_cores();
  std::string device = "cpu";
  /// auto, or a models::Precision spelling (Backbone's BackboneOptions::precision).
  std::string precision = "auto";
  bool overwrite = false;
  /// An image whose stains replace the spec's stain target.
  std::optional<std::string> stain_target;
  /// "tile" (each tile's own stains) or "slide" (one estimate per slide).
  std::string stain_estimation = "tile";
  /// A server of the SDK's protocol instead of --weights (bioptimus/remote/remote_backend.hpp).
  std::string endpoint;
  int concurrency = 8;
  int tiles_per_request = 1;
  int retries = 5;
  double request_timeout = 60.0;
};

using ExtractRunner = std::function<int(const ExtractOptions&, const RegistryLoader&)>;

/// Adds `extract` to `app`; `run` runs it.
Subcommand add_extract_command(CLI::App& app, ExtractRunner run);

/// Runs `extract` in this process (needs the backbone, LibTorch).
int run_extract(const ExtractOptions& options, const RegistryLoader& load_registry);

}  // namespace bioptimus::apps

#endif  // BIOPTIMUS_APPS_EXTRACT_HPP
