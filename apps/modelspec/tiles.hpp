// `modelspec tiles`: tissue tile coordinates of slides for a model, one file
// per slide (HDF5 in CLAM's and TRIDENT's layout, CSV or JSON).
#ifndef BIOPTIMUS_APPS_TILES_HPP
#define BIOPTIMUS_APPS_TILES_HPP

#include <CLI/CLI.hpp>

#include <functional>

#include "bioptimus/models/registry.hpp"

namespace bioptimus::apps {

/// The registered subcommand and what runs it once the command line is parsed.
struct Subcommand {
  CLI::App* command;
  /// Runs the subcommand, given how to load the tool's registry (parsing
  /// the configs is a third of a run's time, so it happens only when needed);
  /// returns the exit status.
  std::function<int(const std::function<models::Registry()>&)> run;
};

/// Adds `tiles` to `app`.
Subcommand add_tiles_command(CLI::App& app);

}  // namespace bioptimus::apps

#endif  // BIOPTIMUS_APPS_TILES_HPP
