// `modelspec serve --model NAME|FILE --weights MODEL.pt [--port 8080]`: the
// TorchScript backbone behind bioptimus::remote::ModelServer, until SIGTERM.
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <thread>

#include "bioptimus/inference/backbone.hpp"
#include "bioptimus/remote/listening_socket.hpp"
#include "bioptimus/remote/model_server.hpp"
#include "model_argument.hpp"
#include "render.hpp"
#include "serve.hpp"

namespace bioptimus::apps {
namespace {

// SIGTERM and SIGINT, blocked in every thread (so none is interrupted) and
// waited for by SignalWaiter; SIGUSR1 ends that wait when the server stops
// for another reason.
sigset_t block_shutdown_signals() {
  sigset_t signals{};
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  ::pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

// Stops the server on SIGTERM or SIGINT: it stops accepting, answers what is
// in flight, then its wait() returns (SageMaker sends SIGKILL 30 s later).
class SignalWaiter {
 public:
  SignalWaiter(remote::ModelServer& server, sigset_t signals)
      : signals_(signals), waiter_([this, &server] {
          int signal = 0;
          if (::sigwait(&signals_, &signal) == 0 && signal != SIGUSR1) {
            fmt::print(stderr, "modelspec serve: {}: no new connections, answering the requests in flight\n",
                       signal == SIGTERM ? "SIGTERM" : "SIGINT");
            server.stop();
          }
        }) {}
  SignalWaiter(const SignalWaiter&) = delete;
  SignalWaiter& operator=(const SignalWaiter&) = delete;
  ~SignalWaiter() {
    ::pthread_kill(waiter_.native_handle(), SIGUSR1);
    waiter_.join();
  }

 private:
  sigset_t signals_;
  std::thread waiter_;
};

}  // namespace

int run_serve(const ServeOptions& options, const RegistryLoader& load_registry) {
  // Before any thread starts: every thread inherits the blocked signals.
  const sigset_t signals = block_shutdown_signals();
  const models::ModelSpec spec = resolve_model(load_registry(), options.model);
  remote::ServerOptions server_options{
      .host = options.host,
      .port = options.port,
      .listen_socket = remote::inherited_listening_socket(),
      .max_batch = options.max_batch,
      .max_delay = std::chrono::microseconds(static_cast<std::int64_t>(options.max_delay_ms * 1000.0)),
      .max_connections = options.max_connections,
      .access_log = options.access_log,
  };
  std::optional<inference::Backbone> backbone;  // outlives the server, whose batches it runs
  remote::ModelServer server(server_options);
  const SignalWaiter waiter(server, signals);
  fmt::print(stderr, "modelspec serve: listening on {}:{}, loading {} from {}\n", options.host, server.port(),
             spec.identity(), options.weights);
  try {
    backbone.emplace(inference::Backbone::load(
        options.weights, spec,
        {.device = options.device, .precision = models::parse_precision(options.precision)}));  // nothing for auto
    fmt::print(stderr, "modelspec serve: {} on the {} engine, {} ({})\n", spec.identity(),
               inference::to_string(backbone->backend()), models::to_string(backbone->precision()),
               backbone->precision_reason());
    server.serve(
        spec,
        [&backbone](std::span<const float> tiles, std::span<float> embeddings) { backbone->embed(tiles, embeddings); },
        to_json(spec).dump());
  } catch (const std::exception& error) {
    fmt::print(stderr, "modelspec serve: {}\n", error.what());
    server.stop();
    server.wait();
    return 1;
  }
  fmt::print(stderr, "modelspec serve: ready: {} on port {} (max batch {}, max delay {} ms)\n", spec.identity(),
             server.port(), options.max_batch, options.max_delay_ms);
  server.wait();
  fmt::print(stderr, "modelspec serve: stopped\n");
  return 0;
}

}  // namespace bioptimus::apps
