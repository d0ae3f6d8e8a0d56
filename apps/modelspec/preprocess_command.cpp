#include "preprocess_command.hpp"

#include <fmt/format.h>

#include <array>
#include <cstddef>
#include <vector>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "bioptimus/models/preprocess.hpp"
#include "bioptimus/models/stain.hpp"
#include "image_io.hpp"

namespace bioptimus::apps {

CLI::App* add_preprocess_command(CLI::App& app, PreprocessArguments& arguments) {
  CLI::App* command = app.add_subcommand(
      "preprocess", "Resize and normalise a tile (PNG or uint8 .npy) as the model expects; write (3, H, W) .npy");
  command->add_option("model", arguments.model, "Model name (see `list`) or path to a YAML config")->required();
  command->add_option("input", arguments.input, "Tile: a PNG, or a uint8 .npy of shape (H, W, 3) or (H, W, 4)")
      ->required();
  command->add_option("-o,--output", arguments.output, "Output .npy file")->required();
  command
      ->add_option("--precision", arguments.precision,
                   "Output dtype (default: the spec's precision); bf16 is written as uint16 bit patterns")
      ->check(CLI::IsMember({"fp32", "fp16", "bf16"}));
  command
      ->add_option("--stain-target", arguments.stain_target,
                   "Image (PNG or uint8 .npy) whose stains replace the spec's stain target (fitted as torchstain's "
                   "fit)")
      ->check(CLI::ExistingFile);
  return command;
}

models::PreprocessOptions stain_target_options(const std::optional<std::string>& image, const models::ModelSpec& spec) {
  models::PreprocessOptions options;
  if (!image) {
    return options;
  }
  const std::optional<models::StainNormalization> method = spec.stain_normalization();
  if (!method) {
    throw Error("--stain-target " + *image + ": " + spec.identity() +
                " has no stain_normalization (use a config that names one)");
  }
  const image::Image target = read_image(*image);
  try {
    options.stain.target = models::StainNormalizer(*method).fit(target.view());
  } catch (const Error& error) {
    throw Error("--stain-target " + *image + ": " + error.what());
  }
  return options;
}

int run_preprocess_command(const PreprocessArguments& arguments, const models::ModelSpec& spec) {
  const models::Preprocessor preprocessor(spec, stain_target_options(arguments.stain_target, spec));
  const models::Precision precision =
      arguments.precision ? *models::parse_precision(*arguments.precision) : preprocessor.precision();
  const image::Image tile = read_image(arguments.input);
  std::vector<std::byte> tensor(preprocessor.output_bytes(precision));
  preprocessor(tile.view(), tensor, precision);
  const auto shape = preprocessor.output_shape();
  // numpy has no bfloat16 dtype: its bit patterns go out as uint16.
  const char* descr = precision == models::Precision::fp32   ? "<f4"
                      : precision == models::Precision::fp16 ? "<f2"
                                                             : "<u2";
  write_npy(arguments.output, descr, shape, tensor);
  fmt::print("{}: {} tile {}x{} -> {} ({}, {}, {}) {}\n", detail::escape_controls(arguments.output), spec.identity(),
             tile.width(), tile.height(), descr, shape[0], shape[1], shape[2], models::to_string(precision));
  return 0;
}

}  // namespace bioptimus::apps
