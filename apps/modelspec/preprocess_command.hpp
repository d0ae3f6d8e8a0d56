// `modelspec preprocess MODEL INPUT -o OUT.npy [--precision fp32|fp16|bf16]`:
// a tile (PNG or uint8 .npy) through the model's Preprocessor into a .npy of
// shape (3, H, W), so a Python user can compare it with their own pipeline.
#ifndef BIOPTIMUS_APPS_PREPROCESS_COMMAND_HPP
#define BIOPTIMUS_APPS_PREPROCESS_COMMAND_HPP

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "bioptimus/models/model_spec.hpp"

namespace bioptimus::apps {

struct PreprocessArguments {
  std::string model;
  std::string input;
  std::string output;
  std::optional<std::string> precision;
};

/// Adds the `preprocess` subcommand to `app`, filling `arguments` when parsed.
CLI::App* add_preprocess_command(CLI::App& app, PreprocessArguments& arguments);

/// Runs it with the resolved spec; returns the exit status. Throws bioptimus::Error on bad input.
int run_preprocess_command(const PreprocessArguments& arguments, const models::ModelSpec& spec);

}  // namespace bioptimus::apps

#endif  // BIOPTIMUS_APPS_PREPROCESS_COMMAND_HPP
