// `modelspec preprocess MODEL INPUT -o OUT.npy [--precision fp32|fp16|bf16]
// [--stain-target TARGET.png]`: a tile (PNG or uint8 .npy) through the
// model's Preprocessor into a .npy of shape (3, H, W), so a Python user can
// compare it with their own pipeline.
#ifndef BIOPTIMUS_APPS_PREPROCESS_COMMAND_HPP
#define BIOPTIMUS_APPS_PREPROCESS_COMMAND_HPP

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/models/preprocess.hpp"

namespace bioptimus::apps {

struct PreprocessArguments {
  std::string model;
  std::string input;
  std::string output;
  std::optional<std::string> precision;
  std::optional<std::string> stain_target;
};

/// Adds the `preprocess` subcommand to `app`, filling `arguments` when parsed.
CLI::App* add_preprocess_command(CLI::App& app, PreprocessArguments& arguments);

/// Runs it with the resolved spec; returns the exit status. Throws bioptimus::Error on bad input.
int run_preprocess_command(const PreprocessArguments& arguments, const models::ModelSpec& spec);

/// The Preprocessor options of `--stain-target IMAGE`: the target fitted on
/// the image (PNG or uint8 .npy) with the spec's stain_normalization.
/// Throws bioptimus::Error when the spec has none or the image too little tissue.
[[nodiscard]] models::PreprocessOptions stain_target_options(const std::optional<std::string>& image,
                                                             const models::ModelSpec& spec);

}  // namespace bioptimus::apps

#endif  // BIOPTIMUS_APPS_PREPROCESS_COMMAND_HPP
