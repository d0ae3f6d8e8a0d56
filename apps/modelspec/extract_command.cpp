// `modelspec extract`'s command line: options and checks, shared by
// `modelspec` (which runs the command through modelspec-extract) and
// `modelspec-extract` (which runs it). No LibTorch here.
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
#include <utility>
#include <vector>

#include "extract.hpp"
#include "manifest.hpp"

namespace bioptimus::apps {

Subcommand add_extract_command(CLI::App& app, ExtractRunner run) {
  auto options = std::make_shared<ExtractOptions>();
  CLI::App* extract = app.add_subcommand(
      "extract", "Embed the tissue tiles of slides with a TorchScript model (HDF5 as TRIDENT, or NPZ)");
  add_slide_arguments(*extract, options->input, "feature file");
  extract->add_option("--model", options->model, "Model name (see `list`) or a model config YAML")->required();
  extract->add_option("--weights", options->weights, "The model as TorchScript (docs/inference.md)")
      ->required()
      ->check(CLI::ExistingFile);
  extract->add_option("-o,--output", options->output, "Directory for the feature files")->required();
  extract->add_option("--format", options->format, "Feature file format")->check(CLI::IsMember({"h5", "npz"}));
  extract->add_option("--batch-size", options->batch_size, "Tiles per backbone call")->check(CLI::PositiveNumber);
  extract->add_option("--threads", options->threads, "Threads reading and preprocessing tiles")
      ->check(CLI::PositiveNumber);
  extract->add_option("--device", options->device, "LibTorch device: cpu, cuda or cuda:N");
  extract->add_option("--mask-threshold", options->mask_threshold, "Keep tiles with at least this tissue fraction")
      ->check(CLI::Range(0.0, 1.0));
  extract->add_flag("--overwrite", options->overwrite, "Redo slides whose feature file exists");
  extract->fallthrough();
  extract->callback([options] { check_slide_arguments(options->input); });
  return {extract, [options, run = std::move(run)](const std::function<models::Registry()>& load_registry) {
            return run(*options, load_registry);
          }};
}

int exec_extract_tool(char** argv) {
  std::error_code status;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", status);
  std::vector<std::filesystem::path> candidates;
  if (!status) {
    candidates.push_back(self.parent_path() / "modelspec-extract");
    candidates.push_back(self.parent_path() / BIOPTIMUS_EXTRACT_TOOL_FROM_BINDIR);
  }
  for (const std::filesystem::path& tool : candidates) {
    if (::access(tool.c_str(), X_OK) == 0) {
      ::execv(tool.c_str(), argv);
      std::fprintf(stderr, "modelspec: cannot run %s: %s\n", tool.c_str(), std::strerror(errno));
      return 1;
    }
  }
  std::fprintf(stderr, "modelspec: extract needs modelspec-extract (built with LibTorch), not found beside %s\n",
               self.c_str());
  return 1;
}

}  // namespace bioptimus::apps
