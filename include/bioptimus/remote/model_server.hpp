// bioptimus/remote/model_server.hpp
//
// A model behind the Bioptimus SDK's dispatch protocol (SageMaker's
// container contract): `GET /ping`, `POST /invocations`, plus `GET /metrics`.
//
//   ModelServer server({.port = 8080});            // listens now; /ping says 503 while the model loads
//   Backbone backbone = Backbone::load("h0-mini.pt", spec);
//   server.serve(spec, [&](std::span<const float> tiles, std::span<float> out) { backbone.embed(tiles, out); },
//                metadata_json);                   // /ping says 200 from here on
//   server.wait();                                 // until stop() (e.g. on SIGTERM), in-flight requests finished
//
// A request is one tile, `{"image_data": base64 PNG, "model_name", "mode", ...}`,
// or a JSON array of them (the batch form); docs/serving.md has the fields,
// the answers and every error. The PNG must have the model's tile size; it goes
// through the spec's Preprocessor, and tiles from concurrent requests are
// batched (up to max_batch, waiting at most max_delay) before the model runs.
// Every error is a JSON `{"message": ...}` with its status; none stops the server.
//
// The HTTP library (cpp-httplib) is private to this layer. Link `bioptimus::remote`.
#ifndef BIOPTIMUS_REMOTE_MODEL_SERVER_HPP
#define BIOPTIMUS_REMOTE_MODEL_SERVER_HPP

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "bioptimus/models/model_spec.hpp"

namespace bioptimus::remote {

/// SageMaker's limit on a real-time request's body.
inline constexpr std::size_t sagemaker_payload_limit = 6 * 1024 * 1024;

/// How the server listens and batches.
struct ServerOptions {
  /// Address and port to listen on (port 0: any free port, see ModelServer::port()).
  std::string host = "0.0.0.0";
  int port = 8080;
  /// A socket already listening (listening_socket.hpp) to serve instead; the server owns it.
  std::optional<int> listen_socket = std::nullopt;
  /// Most tiles per model call.
  int max_batch = 32;
  /// Longest a tile waits for others to fill its batch. A batch also starts
  /// as soon as no other request is being decoded, so a lone client never waits.
  std::chrono::microseconds max_delay{5000};
  /// Largest request body; larger ones get 413.
  std::size_t max_body_bytes = sagemaker_payload_limit;
  /// Connections served at once (one thread each); more wait for a free one.
  int max_connections = 512;
  /// A connection that sends nothing for this long (a half-sent request, or
  /// an idle kept-alive one) is closed; stop() waits this long at most for
  /// idle kept-alive connections.
  std::chrono::seconds idle_timeout{5};
  /// A line per request on stderr.
  bool access_log = true;
};

/// Runs the model on a batch: `tiles` holds whole tiles (float32 CHW as the
/// Preprocessor writes them, batch first), `embeddings` receives the spec's
/// output_shape() floats per tile. May throw; the requests then get 500.
using BatchEmbedder = std::function<void(std::span<const float> tiles, std::span<float> embeddings)>;

/// The HTTP server. Not copyable or movable (its threads refer to it).
class ModelServer {
 public:
  /// Listens at once (or adopts options.listen_socket) and answers /ping with
  /// 503 until serve() is called.
  /// @throws bioptimus::Error when the options are out of range or the address cannot be bound.
  explicit ModelServer(ServerOptions options);
  ModelServer(const ModelServer&) = delete;
  ModelServer& operator=(const ModelServer&) = delete;
  ModelServer(ModelServer&&) = delete;
  ModelServer& operator=(ModelServer&&) = delete;
  /// Stops and waits, as stop() then wait().
  ~ModelServer();

  /// The port it listens on.
  [[nodiscard]] int port() const noexcept;

  /// Starts answering /invocations for `spec` with `embed`; `metadata_json`
  /// is the answer to mode "metadata" (a JSON object: the spec as
  /// `modelspec show --format json` prints it). /ping says 200 from now on.
  /// @throws bioptimus::Error when the spec's preprocessing is not supported
  ///   or the model is already set.
  void serve(const models::ModelSpec& spec, BatchEmbedder embed, std::string metadata_json);

  /// Stops accepting connections; requests in flight are answered. Safe from
  /// any thread, any number of times.
  void stop();

  /// Blocks until stop() was called and every request in flight has been answered.
  void wait();

  /// The /metrics text (Prometheus' exposition format).
  [[nodiscard]] std::string metrics() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace bioptimus::remote

#endif  // BIOPTIMUS_REMOTE_MODEL_SERVER_HPP
