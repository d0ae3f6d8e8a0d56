// `modelspec serve`: a model behind the Bioptimus SDK's dispatch protocol
// (SageMaker's container contract), bioptimus/remote/model_server.hpp.
//
// The command line is registered by every modelspec (serve_command.cpp).
// `modelspec` itself opens the listening socket at once and hands it, with
// the command, to modelspec-serve, which loads LibTorch (a second before its
// main runs) and the model: connections are accepted from the first
// milliseconds, /ping answers 503 while the model loads and 200 once it serves.
#ifndef BIOPTIMUS_APPS_SERVE_HPP
#define BIOPTIMUS_APPS_SERVE_HPP

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "companion_tool.hpp"

namespace bioptimus::apps {

struct ServeOptions {
  std::string model;
  std::string weights;
  std::string host = "0.0.0.0";
  int port = 8080;
  int max_batch = 32;
  double max_delay_ms = 5.0;
  int max_connections = 512;
  std::string device = "cpu";
  /// auto, or a models::Precision spelling (BackboneOptions::precision), as extract's.
  std::string precision = "auto";
  bool access_log = true;
};

using ServeRunner = std::function<int(const ServeOptions&, const RegistryLoader&)>;

/// Adds `serve` to `app`; `run` runs it.
Subcommand add_serve_command(CLI::App& app, ServeRunner run);

/// In `modelspec`: opens the listening socket, then replaces this process
/// with modelspec-serve (same arguments), which inherits it.
int hand_over_serve(const ServeOptions& options, char** argv);

/// Runs the server in this process (needs the backbone, LibTorch) until
/// SIGTERM or SIGINT; requests in flight are answered before it exits.
int run_serve(const ServeOptions& options, const RegistryLoader& load_registry);

}  // namespace bioptimus::apps

#endif  // BIOPTIMUS_APPS_SERVE_HPP
