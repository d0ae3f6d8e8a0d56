// `modelspec serve`'s command line, shared by `modelspec` (which opens the
// socket and runs the command through modelspec-serve) and modelspec-serve.
// No LibTorch, no HTTP library here.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "bioptimus/remote/listening_socket.hpp"
#include "serve.hpp"

namespace bioptimus::apps {

Subcommand add_serve_command(CLI::App& app, ServeRunner run) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* serve = app.add_subcommand(
      "serve", "Serve a model over HTTP with the SDK's dispatch protocol (GET /ping, POST /invocations)");
  // The environment variables let a container's entry point be `modelspec serve`
  // alone, as SageMaker runs it (docs/serving.md).
  serve->add_option("--model", options->model, "Model name (see `list`) or a model config YAML")
      ->envname("BIOPTIMUS_MODEL")
      ->required();
  serve
      ->add_option("--weights", options->weights,
                   "A Hugging Face snapshot folder or a .safetensors file (native engine, docs/engine.md), or "
                   "TorchScript (LibTorch, docs/inference.md)")
      ->envname("BIOPTIMUS_WEIGHTS")
      ->required()
      ->check(CLI::ExistingPath);
  serve->add_option("--host", options->host, "Address to listen on")->envname("BIOPTIMUS_HOST");
  serve->add_option("--port", options->port, "Port to listen on (0: any free port)")
      ->envname("SAGEMAKER_BIND_TO_PORT")
      ->check(CLI::Range(0, 65535));
  serve->add_option("--max-batch", options->max_batch, "Most tiles per model call")->check(CLI::PositiveNumber);
  serve
      ->add_option("--max-delay-ms", options->max_delay_ms,
                   "Longest a tile waits for others to fill its batch, in milliseconds")
      ->check(CLI::Range(0.0, 60000.0));
  serve->add_option("--max-connections", options->max_connections, "Connections served at once (a thread each)")
      ->check(CLI::PositiveNumber);
  serve->add_option("--device", options->device, "LibTorch device: cpu, cuda or cuda:N");
  serve
      ->add_option("--precision", options->precision,
                   "auto, fp32, bf16 or fp16, decided as for extract --precision, for either engine")
      ->envname("BIOPTIMUS_PRECISION")
      ->check(CLI::IsMember({"auto", "fp32", "bf16", "fp16"}));
  serve->add_flag("!--no-access-log", options->access_log, "No line per request on stderr");
  serve->fallthrough();
  return {serve, [options, run = std::move(run)](const RegistryLoader& load_registry) {
            return run(*options, load_registry);
          }};
}

int hand_over_serve(const ServeOptions& options, char** argv) {
  try {
    const int socket = remote::open_listening_socket(options.host, options.port);
    ::setenv(remote::listen_fd_variable, std::to_string(socket).c_str(), 1);
  } catch (const std::exception& error) {
    fmt::print(stderr, "modelspec: {}\n", error.what());
    return 1;
  }
#if defined(BIOPTIMUS_SERVE_TOOL_FROM_BINDIR)
  return exec_companion_tool("modelspec-serve", BIOPTIMUS_SERVE_TOOL_FROM_BINDIR, argv);
#else
  (void)argv;
  return 1;
#endif
}

}  // namespace bioptimus::apps
