// modelspec: list, show and validate model specs from the command line.
//
//   modelspec list
//   modelspec show h0-mini --format json
//   modelspec validate configs/*.yaml
//   modelspec preprocess h0-mini tile.png -o tile.npy
//   modelspec manifest cohort.csv
//   modelspec extract slide.svs --model h0-mini --weights h0-mini.pt -o features/
//   modelspec serve --model h0-mini --weights h0-mini.pt --port 8080
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/models/registry.hpp"
#include "bioptimus/version.hpp"
#include "companion_tool.hpp"
#include "json_text.hpp"
#include "manifest.hpp"
#include "model_argument.hpp"
#include "preprocess_command.hpp"
#include "render.hpp"
#if defined(BIOPTIMUS_MODELSPEC_TILES) || defined(BIOPTIMUS_MODELSPEC_RUNS_TILES)
#include "tiles.hpp"
#endif
#if defined(BIOPTIMUS_MODELSPEC_EXTRACT) || defined(BIOPTIMUS_MODELSPEC_RUNS_EXTRACT)
#include "extract.hpp"
#endif
#if defined(BIOPTIMUS_MODELSPEC_SERVE) || defined(BIOPTIMUS_MODELSPEC_RUNS_SERVE)
#include "serve.hpp"
#endif

namespace {

using bioptimus::models::ConfigError;
using bioptimus::models::ModelSpec;
using bioptimus::models::Registry;

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

// The built-in registry plus a directory of user configs. A user config may
// not take a built-in's name: that would silently change what the name means.
Registry with_user_configs(const std::filesystem::path& directory) {
  const Registry user = Registry::from_directory(directory);
  std::vector<bioptimus::models::Diagnostic> clashes;
  for (const ModelSpec& spec : user.specs()) {
    if (Registry::builtin().find(spec.model_name()) != nullptr) {
      std::filesystem::path file = directory / (spec.model_name() + ".yaml");
      if (!std::filesystem::exists(file)) {
        file.replace_extension(".yml");
      }
      // Built as a named value: g++ 12 -O3 reports a false maybe-uninitialized
      // on the nested braced temporaries.
      bioptimus::models::Diagnostic clash;
      clash.location.path = file.string();
      clash.field = "model_name";
      clash.message = "\"" + spec.model_name() + "\" is already a built-in model; give this config another name";
      clashes.push_back(std::move(clash));
    }
  }
  if (!clashes.empty()) {
    throw ConfigError(std::move(clashes));
  }
  return Registry::merge(Registry::builtin(), user);
}

std::string render(const ModelSpec& spec, const std::string& format) {
  if (format == "json") {
    return bioptimus::apps::to_json(spec).dump(2) + "\n";
  }
  if (format == "yaml") {
    return bioptimus::models::to_yaml(spec);
  }
  return bioptimus::apps::to_text(spec);
}

int run(int argc, char** argv) {
  CLI::App app{"Inspect and validate pathology foundation-model specs (bioptimus)", "modelspec"};
  app.set_version_flag("--version", std::string(bioptimus::version));
  app.require_subcommand(1);

  std::optional<std::string> config_dir;
  app.add_option("--config-dir", config_dir, "Directory of extra *.yaml model configs, added to the built-in ones")
      ->check(CLI::ExistingDirectory);

  std::string list_format = "text";
  CLI::App* list = app.add_subcommand("list", "List the known models");
  list->add_option("--format", list_format, "Output format")->check(CLI::IsMember({"text", "json", "markdown"}));

  std::string show_target;
  std::string show_format = "text";
  CLI::App* show = app.add_subcommand("show", "Show one model's spec, by name or from a YAML file");
  show->add_option("model", show_target, "Model name (see `list`) or path to a YAML config")->required();
  show->add_option("--format", show_format, "Output format")->check(CLI::IsMember({"text", "yaml", "json"}));

  std::vector<std::string> validate_files;
  CLI::App* validate = app.add_subcommand("validate", "Check YAML configs; exit 1 if any is invalid");
  validate->add_option("files", validate_files, "YAML config files")->required();
  std::string manifest_file;
  CLI::App* manifest = app.add_subcommand(
      "manifest", "Check a cohort manifest (CSV); print its slides as JSON, or every error and exit 1");
  manifest->add_option("file", manifest_file, "Manifest: slide_path[,slide_id][,mpp_override] with a header")
      ->required();
  bioptimus::apps::PreprocessArguments preprocess_arguments;
  CLI::App* preprocess = bioptimus::apps::add_preprocess_command(app, preprocess_arguments);
  // --config-dir may also follow the subcommand: `modelspec list --config-dir DIR`.
  for (CLI::App* subcommand : {list, show, validate, manifest, preprocess}) {
    subcommand->fallthrough();
  }

  // A companion runs the commands it is built for; `modelspec` hands them over.
#if defined(BIOPTIMUS_MODELSPEC_RUNS_TILES)
  const bioptimus::apps::Subcommand tiles = bioptimus::apps::add_tiles_command(app, bioptimus::apps::run_tiles);
#elif defined(BIOPTIMUS_MODELSPEC_TILES)
  const bioptimus::apps::Subcommand tiles = bioptimus::apps::add_tiles_command(app, [argv](const auto&, const auto&) {
    return bioptimus::apps::exec_companion_tool("modelspec-tiles", BIOPTIMUS_TILES_TOOL_FROM_BINDIR, argv);
  });
#endif
#if defined(BIOPTIMUS_MODELSPEC_RUNS_EXTRACT)
  const bioptimus::apps::Subcommand extract = bioptimus::apps::add_extract_command(app, bioptimus::apps::run_extract);
#elif defined(BIOPTIMUS_MODELSPEC_EXTRACT)
  const bioptimus::apps::Subcommand extract =
      bioptimus::apps::add_extract_command(app, [argv](const auto&, const auto&) {
        return bioptimus::apps::exec_companion_tool("modelspec-extract", BIOPTIMUS_EXTRACT_TOOL_FROM_BINDIR, argv);
      });
#endif
#if defined(BIOPTIMUS_MODELSPEC_RUNS_SERVE)
  const bioptimus::apps::Subcommand serve = bioptimus::apps::add_serve_command(app, bioptimus::apps::run_serve);
#elif defined(BIOPTIMUS_MODELSPEC_SERVE)
  // The socket is opened here, before LibTorch loads in modelspec-serve.
  const bioptimus::apps::Subcommand serve = bioptimus::apps::add_serve_command(
      app, [argv](const auto& options, const auto&) { return bioptimus::apps::hand_over_serve(options, argv); });
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // CLI11's message quotes the arguments it rejects: escaped like our own
    // diagnostics, so that control characters and bytes that are not UTF-8
    // reach the terminal as text. The rest of its text is ours.
    app.failure_message([](const CLI::App* failed, const CLI::Error& rejected) {
      const std::string text = CLI::FailureMessage::simple(failed, rejected);
      const std::string what = rejected.what();
      return text.rfind(what, 0) == 0 ? bioptimus::detail::escape_controls(what) + text.substr(what.size())
                                      : bioptimus::detail::escape_controls(text);
    });
    return app.exit(error) == 0 ? exit_ok : exit_usage;
  }

  try {
    if (validate->parsed()) {
      int status = exit_ok;
      for (const std::string& file : validate_files) {
        try {
          const ModelSpec spec = bioptimus::models::load_spec(file);
          fmt::print("{}: ok ({})\n", bioptimus::detail::escape_controls(file), spec.identity());
        } catch (const ConfigError& error) {
          fmt::print(stderr, "{}\n", error.what());
          status = exit_failure;
        }
      }
      return status;
    }
    if (manifest->parsed()) {
      try {
        fmt::print(
            "{}\n",
            bioptimus::apps::json_text(
                bioptimus::apps::manifest_to_json(bioptimus::pipeline::Cohort::read(manifest_file).slides()), 2));
        return exit_ok;
      } catch (const ConfigError& error) {
        fmt::print(stderr, "{}\n", error.what());
        return exit_failure;
      }
    }

    const auto load_registry = [&] { return config_dir ? with_user_configs(*config_dir) : Registry::builtin(); };
#if defined(BIOPTIMUS_MODELSPEC_TILES) || defined(BIOPTIMUS_MODELSPEC_RUNS_TILES)
    if (tiles.command->parsed()) {  // loads the registry only for --model
      return tiles.run(load_registry);
    }
#endif
#if defined(BIOPTIMUS_MODELSPEC_EXTRACT) || defined(BIOPTIMUS_MODELSPEC_RUNS_EXTRACT)
    if (extract.command->parsed()) {
      return extract.run(load_registry);
    }
#endif
#if defined(BIOPTIMUS_MODELSPEC_SERVE) || defined(BIOPTIMUS_MODELSPEC_RUNS_SERVE)
    if (serve.command->parsed()) {
      return serve.run(load_registry);
    }
#endif
    const Registry registry = load_registry();
    if (list->parsed()) {
      if (list_format == "json") {
        nlohmann::ordered_json all = nlohmann::ordered_json::array();
        for (const ModelSpec& spec : registry.specs()) {
          all.push_back(bioptimus::apps::to_json(spec));
        }
        fmt::print("{}\n", all.dump(2));
      } else {
        fmt::print("{}", bioptimus::apps::to_table(registry.specs(), list_format == "markdown"));
      }
      return exit_ok;
    }
    if (preprocess->parsed()) {
      return bioptimus::apps::run_preprocess_command(
          preprocess_arguments, bioptimus::apps::resolve_model(registry, preprocess_arguments.model));
    }
    if (show->parsed()) {
      fmt::print("{}", render(bioptimus::apps::resolve_model(registry, show_target), show_format));
      return exit_ok;
    }
  } catch (const ConfigError& error) {
    // A manifest's diagnostics: one per line, each part escaped already.
    fmt::print(stderr, "modelspec: {}\n", error.what());
    return exit_failure;
  } catch (const std::exception& error) {
    // Escaped as every diagnostic: a path may hold control characters.
    fmt::print(stderr, "modelspec: {}\n", bioptimus::detail::escape_controls(error.what()));
    return exit_failure;
  }
  return exit_usage;
}

}  // namespace

// Output that did not reach its destination (a full disk, a closed pipe) is
// a failure, whatever the command: flushed and checked before exiting.
int main(int argc, char** argv) {
  const int status = run(argc, argv);
  std::cout.flush();
  const bool written = std::fflush(stdout) == 0 && std::ferror(stdout) == 0 && std::cout.good();
  if (!written) {
    fmt::print(stderr, "modelspec: cannot write the output: {}\n", std::strerror(errno));
    return exit_failure;
  }
  return status;
}
