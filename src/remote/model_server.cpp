// The server: cpp-httplib for HTTP, one thread per connection
// (connection_threads.hpp), the request checked and decoded on that thread,
// the model run by the DynamicBatcher's thread.
#include "bioptimus/remote/model_server.hpp"

#include <fmt/format.h>
#include <httplib.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <exception>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "base64.hpp"
#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "bioptimus/models/preprocess.hpp"
#include "bioptimus/remote/listening_socket.hpp"
#include "connection_threads.hpp"
#include "dynamic_batcher.hpp"
#include "png_codec.hpp"
#include "protocol.hpp"
#include "server_metrics.hpp"

namespace bioptimus::remote {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr const char* json_type = "application/json";

// httplib's Server, serving a socket opened by open_listening_socket (or
// inherited from `modelspec serve`): its own binding would listen with a
// backlog of 5 and only after LibTorch has loaded.
class SocketServer : public httplib::Server {
 public:
  bool serve_socket(int socket) {
    svr_sock_ = socket;
    return listen_after_bind();
  }
};

std::size_t floats_of(const std::vector<std::int64_t>& shape) {
  return static_cast<std::size_t>(std::accumulate(shape.begin(), shape.end(), std::int64_t{1}, std::multiplies<>()));
}

// What the server runs once the model is loaded.
struct Served {
  Served(const models::ModelSpec& model, BatchEmbedder embed, std::string metadata, detail::ServerMetrics& metrics,
         const ServerOptions& options)
      : spec(model),
        preprocessor(model),
        metadata_json(std::move(metadata)),
        tile{.width = model.input_shape()[2], .height = model.input_shape()[1]},
        input_floats(static_cast<std::size_t>(preprocessor.output_elements())),
        output_floats(floats_of(model.output_shape())),
        batcher(input_floats, output_floats, static_cast<std::size_t>(options.max_batch), options.max_delay,
                std::move(embed), metrics) {}

  models::ModelSpec spec;
  models::Preprocessor preprocessor;
  std::string metadata_json;
  image::Size tile;
  std::size_t input_floats;
  std::size_t output_floats;
  detail::DynamicBatcher batcher;
};

// Each connection thread's working memory, reused from request to request.
struct Scratch {
  Clock::time_point started;
  std::string body;
  std::vector<std::uint8_t> png;
  std::vector<std::uint8_t> pixels;
  std::vector<float> input;
  std::vector<float> output;
  std::string answer;
};
thread_local Scratch scratch;  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)

// An answer other than 200.
struct Refusal {
  int status;
  std::string message;
};

enum class Mode { embedding, metadata };

// Releases the batcher's announcement of a request that will not submit.
class Announcement {
 public:
  explicit Announcement(detail::DynamicBatcher* batcher) : batcher_(batcher) {
    if (batcher_ != nullptr) {
      batcher_->announce();
    }
  }
  Announcement(const Announcement&) = delete;
  Announcement& operator=(const Announcement&) = delete;
  ~Announcement() {
    if (batcher_ != nullptr) {
      batcher_->withdraw();
    }
  }
  // run() consumes it.
  void consumed() { batcher_ = nullptr; }

 private:
  detail::DynamicBatcher* batcher_;
};

std::string type_name(const json& value) {
  if (value.is_number_integer()) {
    return "an integer";
  }
  if (value.is_number()) {
    return "a number";
  }
  if (value.is_string()) {
    return "a string";
  }
  if (value.is_boolean()) {
    return "a boolean";
  }
  if (value.is_array()) {
    return "an array";
  }
  if (value.is_object()) {
    return "an object";
  }
  return "null";
}

// Checks one tile request's fields; `where` prefixes messages ("" or "[3].").
std::optional<Refusal> check_tile(const json& tile, const std::string& where, const Served& served, bool batch,
                                  Mode& mode) {
  const auto bad = [&](const std::string& message) { return Refusal{400, where + message}; };
  if (!tile.is_object()) {
    return bad("expected a tile request (a JSON object), got " + type_name(tile));
  }
  const auto optional_field = [&](std::string_view key, auto&& accepts,
                                  std::string_view expected) -> std::optional<Refusal> {
    const auto found = tile.find(key);
    if (found != tile.end() && !found->is_null() && !accepts(*found)) {
      return bad(std::string(key) + ": expected " + std::string(expected) + ", got " + type_name(*found));
    }
    return std::nullopt;
  };
  const auto is_integer = [](const json& value) { return value.is_number_integer(); };
  const auto is_number = [](const json& value) { return value.is_number(); };
  const auto is_string = [](const json& value) { return value.is_string(); };
  const auto is_numbers = [](const json& value) {
    return value.is_array() && std::all_of(value.begin(), value.end(), [](const json& v) { return v.is_number(); });
  };
  for (const std::string_view key : {"x", "y", "width", "height", "patch_idx"}) {
    if (auto refusal = optional_field(key, is_integer, "an integer")) {
      return refusal;
    }
  }
  for (const std::string_view key : {"tissue_ratio", "resolution"}) {
    if (auto refusal = optional_field(key, is_number, "a number or null")) {
      return refusal;
    }
  }
  if (auto refusal = optional_field("slide_name", is_string, "a string")) {
    return refusal;
  }
  if (auto refusal = optional_field("bulk_rna", is_numbers, "an array of numbers or null")) {
    return refusal;
  }
  const auto required_string = [&](std::string_view key, std::string_view what) -> std::optional<Refusal> {
    const auto found = tile.find(key);
    if (found == tile.end()) {
      return bad(std::string(key) + ": missing (" + std::string(what) + ")");
    }
    if (!found->is_string()) {
      return bad(std::string(key) + ": expected a string (" + std::string(what) + "), got " + type_name(*found));
    }
    return std::nullopt;
  };
  if (auto refusal = required_string("model_name", "\"" + served.spec.model_name() + "\" here")) {
    return refusal;
  }
  if (auto refusal = required_string("mode", "embedding or metadata")) {
    return refusal;
  }
  const auto& model_name = tile["model_name"].get_ref<const std::string&>();
  if (model_name != served.spec.model_name() && model_name != served.spec.identity()) {
    return Refusal{404, where + "model_name: unknown model \"" + bioptimus::detail::escape_controls(model_name) +
                            "\"; this server serves \"" + served.spec.model_name() + "\" (" + served.spec.identity() +
                            ")"};
  }
  const auto& mode_name = tile["mode"].get_ref<const std::string&>();
  if (mode_name == "prediction") {
    return Refusal{501, where + "mode: \"prediction\" is not supported: this server serves " + served.spec.identity() +
                            " embeddings (mode \"embedding\") and its spec (mode \"metadata\")"};
  }
  if (mode_name == "metadata") {
    if (batch) {
      return bad("mode: \"metadata\" takes a single request, not the batch form");
    }
    mode = Mode::metadata;
    return std::nullopt;
  }
  if (mode_name != "embedding") {
    return bad("mode: expected \"embedding\", \"metadata\" or \"prediction\", got \"" +
               bioptimus::detail::escape_controls(mode_name) + "\"");
  }
  mode = Mode::embedding;
  return required_string("image_data", "the tile as a base64 PNG");
}

// A ModelResponse: the embedding and the request's tile fields.
void append_response(std::string& out, const json& tile, std::span<const float> embedding) {
  out += "{\"output\":";
  detail::append_float_array(out, embedding);
  for (const std::string_view key : detail::echoed_fields) {
    out += ",\"";
    out += key;
    out += "\":";
    const auto found = tile.find(key);
    out += found == tile.end() ? "null" : found->dump(-1, ' ', false, json::error_handler_t::replace);
  }
  out += '}';
}

// nlohmann's message without its "[json.exception.parse_error.101] " prefix.
std::string parse_message(const json::parse_error& error) {
  const std::string what = error.what();
  const std::size_t end = what.find("] ");
  return end == std::string::npos ? what : what.substr(end + 2);
}

std::string utc_timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto milliseconds =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec, milliseconds);
}

}  // namespace

struct ModelServer::State {
  explicit State(ServerOptions server_options) : options(std::move(server_options)) {}

  void refuse(httplib::Response& response, const Refusal& refusal) const {
    response.status = refusal.status;
    response.set_content(detail::error_body(refusal.message), json_type);
  }

  void invocations(const httplib::Request& request, httplib::Response& response, const httplib::ContentReader* reader);
  void answer(Served& served, const json& document, httplib::Response& response, Announcement& announcement);

  ServerOptions options;
  detail::ServerMetrics metrics;
  SocketServer http;
  int port = 0;
  std::thread listener;
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> listener_done{false};
  std::once_flag stopped;
  std::mutex waiting;
  bool waited = false;
  std::unique_ptr<Served> served_storage;
  std::atomic<Served*> served{nullptr};
};

void ModelServer::State::invocations(const httplib::Request& request, httplib::Response& response,
                                     const httplib::ContentReader* reader) {
  (void)request;
  Served* model = served.load(std::memory_order_acquire);
  Scratch& work = scratch;
  work.body.clear();
  if (reader != nullptr) {
    bool too_large = false;
    const bool complete = (*reader)([&](const char* data, std::size_t length) {
      if (work.body.size() + length > options.max_body_bytes) {
        too_large = true;
        return false;
      }
      work.body.append(data, length);
      return true;
    });
    if (!complete) {
      // What is left of the body is not read: the connection cannot be reused.
      response.set_header("Connection", "close");
      if (too_large || response.status == 413) {
        refuse(response, {413, fmt::format("the request body is larger than this server's limit of {} bytes "
                                           "(SageMaker's real-time limit is 6 MB): send fewer tiles per request",
                                           options.max_body_bytes)});
      } else {
        refuse(response, {400, "the request body could not be read (malformed chunked encoding or a timeout)"});
      }
      return;
    }
  }
  if (model == nullptr) {
    refuse(response, {503, "the model is loading; retry when GET /ping answers 200"});
    return;
  }
  if (work.body.empty()) {
    refuse(response, {400, "the request has no body: send a tile request as JSON (docs/serving.md)"});
    return;
  }
  // From here on its tiles may join the next batch, which waits for them
  // (not while the body arrives: a slow sender would hold every batch).
  Announcement announcement(&model->batcher);
  json document;
  try {
    document = json::parse(work.body);
  } catch (const json::parse_error& error) {
    refuse(response, {400, "the body is not valid JSON: " + parse_message(error)});
    return;
  }
  answer(*model, document, response, announcement);
}

void ModelServer::State::answer(Served& model, const json& document, httplib::Response& response,
                                Announcement& announcement) {
  const bool batch = document.is_array();
  if (!batch && !document.is_object()) {
    refuse(response, {400,
                      "the body must be a tile request (a JSON object) or an array of them (the batch form), "
                      "got " +
                          type_name(document)});
    return;
  }
  if (batch && document.empty()) {
    refuse(response, {400, "the batch is empty: send at least one tile request"});
    return;
  }
  const std::size_t count = batch ? document.size() : 1;
  const auto tile_at = [&](std::size_t i) -> const json& { return batch ? document[i] : document; };
  const auto where = [&](std::size_t i) { return batch ? "[" + std::to_string(i) + "]." : std::string(); };
  Mode mode = Mode::embedding;
  for (std::size_t i = 0; i < count; ++i) {
    if (const std::optional<Refusal> refusal = check_tile(tile_at(i), where(i), model, batch, mode)) {
      refuse(response, *refusal);
      return;
    }
  }
  if (mode == Mode::metadata) {
    response.set_content(model.metadata_json, json_type);
    return;
  }
  Scratch& work = scratch;
  work.input.resize(count * model.input_floats);
  work.output.resize(count * model.output_floats);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string& encoded = tile_at(i)["image_data"].get_ref<const std::string&>();
    if (std::string error = detail::base64_decode(encoded, work.png); !error.empty()) {
      refuse(response, {400, where(i) + "image_data is not valid base64: " + error});
      return;
    }
    image::ImageView pixels;
    if (std::string error = detail::decode_png_tile(work.png, model.tile, work.pixels, pixels); !error.empty()) {
      refuse(response, {400, where(i) + error});
      return;
    }
    model.preprocessor(pixels, std::span<float>(work.input).subspan(i * model.input_floats, model.input_floats));
  }
  announcement.consumed();
  try {
    model.batcher.run(work.input, work.output, count);
  } catch (const std::exception& failure) {
    refuse(response, {500, failure.what()});
    return;
  }
  work.answer.clear();
  if (batch) {
    work.answer += '[';
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) {
      work.answer += ',';
    }
    append_response(work.answer, tile_at(i),
                    std::span<const float>(work.output).subspan(i * model.output_floats, model.output_floats));
  }
  if (batch) {
    work.answer += ']';
  }
  response.set_content(work.answer, json_type);
}

ModelServer::ModelServer(ServerOptions options) : state_(std::make_unique<State>(std::move(options))) {
  State& state = *state_;
  const ServerOptions& opts = state.options;
  if (opts.max_batch < 1) {
    throw Error("server: max_batch must be at least 1, got " + std::to_string(opts.max_batch));
  }
  if (opts.max_delay.count() < 0) {
    throw Error("server: max_delay must not be negative");
  }
  if (opts.max_connections < 1) {
    throw Error("server: max_connections must be at least 1, got " + std::to_string(opts.max_connections));
  }
  if (opts.idle_timeout.count() < 1) {
    throw Error("server: idle_timeout must be at least 1 s");
  }
  if (opts.max_body_bytes == 0) {
    throw Error("server: max_body_bytes must be at least 1");
  }
  const int socket = opts.listen_socket ? *opts.listen_socket : open_listening_socket(opts.host, opts.port);
  state.port = local_port(socket);

  httplib::Server& http = state.http;
  const auto max_connections = static_cast<std::size_t>(opts.max_connections);
  http.new_task_queue = [max_connections] { return new detail::ConnectionThreads(max_connections); };
  // Clients keep their connections (one per request in flight): no cap on
  // requests per connection beyond httplib's counter.
  constexpr std::size_t requests_per_connection = 1'000'000;
  http.set_keep_alive_max_count(requests_per_connection);
  // A connection that sends nothing for this long is closed: a half-sent
  // request ("slowloris") holds its thread no longer.
  const std::time_t idle_seconds = opts.idle_timeout.count();
  http.set_keep_alive_timeout(idle_seconds);
  http.set_read_timeout(idle_seconds, 0);
  http.set_write_timeout(idle_seconds, 0);
  http.set_payload_max_length(opts.max_body_bytes);

  http.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    scratch.started = Clock::now();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http.Get("/ping", [&state](const httplib::Request&, httplib::Response& response) {
    // SageMaker: 200 with an empty body when healthy.
    if (state.served.load(std::memory_order_acquire) != nullptr) {
      response.status = 200;
    } else {
      state.refuse(response, {503, "the model is loading"});
    }
  });
  http.Get("/metrics", [&state](const httplib::Request&, httplib::Response& response) {
    response.set_content(state.metrics.render(), "text/plain; version=0.0.4");
  });
  http.Post(std::string(detail::invocations_path),
            [&state](const httplib::Request& request, httplib::Response& response,
                     const httplib::ContentReader& reader) { state.invocations(request, response, &reader); });
  // A POST without a body does not go through the content reader.
  http.Post(std::string(detail::invocations_path),
            [&state](const httplib::Request& request, httplib::Response& response) {
              state.invocations(request, response, nullptr);
            });
  http.set_error_handler([](const httplib::Request& request, httplib::Response& response) {
    if (!response.body.empty()) {
      return;
    }
    std::string message;
    if (response.status == 404) {
      message = "no route for " + bioptimus::detail::escape_controls(request.method) + " " +
                bioptimus::detail::escape_controls(request.path) +
                "; this server answers GET /ping, POST /invocations and GET /metrics";
    } else if (response.status == 413) {
      message = "the request body is larger than this server's limit";
    } else if (response.status == 400) {
      message = "malformed HTTP request";
    } else {
      message = "HTTP status " + std::to_string(response.status);
    }
    response.set_content(detail::error_body(message), json_type);
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& response, std::exception_ptr failure) {
    std::string message = "internal error";
    try {
      std::rethrow_exception(std::move(failure));
    } catch (const std::exception& error) {
      message += std::string(": ") + error.what();
    } catch (...) {
    }
    response.status = 500;
    response.set_content(detail::error_body(message), json_type);
  });
  http.set_logger([&state](const httplib::Request& request, const httplib::Response& response) {
    const Clock::duration latency = Clock::now() - scratch.started;
    const bool known =
        request.path == "/ping" || request.path == "/metrics" || request.path == detail::invocations_path;
    state.metrics.record_request(known ? request.path : "other", response.status, latency);
    if (state.options.access_log) {
      fmt::print(stderr, "{} {} \"{} {}\" {} {} {:.3f} ms\n", utc_timestamp(), request.remote_addr,
                 bioptimus::detail::escape_controls(request.method), bioptimus::detail::escape_controls(request.path),
                 response.status, response.body.size(), std::chrono::duration<double, std::milli>(latency).count());
    }
  });

  state.listener = std::thread([&state, socket] {
    if (!state.http.serve_socket(socket) && !state.stop_requested) {
      fmt::print(stderr, "server: stopped accepting connections on port {}: {}\n", state.port, std::strerror(errno));
    }
    state.listener_done = true;
  });
  // stop() needs the server running (httplib ignores a stop before it runs).
  while (!state.http.is_running() && !state.listener_done) {
    std::this_thread::yield();
  }
}

ModelServer::~ModelServer() {
  stop();
  wait();
}

int ModelServer::port() const noexcept { return state_->port; }

void ModelServer::serve(const models::ModelSpec& spec, BatchEmbedder embed, std::string metadata_json) {
  if (state_->served_storage) {
    throw Error("server: the model is already set (" + state_->served_storage->spec.identity() + ")");
  }
  state_->served_storage =
      std::make_unique<Served>(spec, std::move(embed), std::move(metadata_json), state_->metrics, state_->options);
  state_->served.store(state_->served_storage.get(), std::memory_order_release);
}

void ModelServer::stop() {
  state_->stop_requested = true;
  std::call_once(state_->stopped, [this] { state_->http.stop(); });
}

void ModelServer::wait() {
  const std::lock_guard lock(state_->waiting);
  if (state_->waited) {
    return;
  }
  // The listener returns once stopped and every connection is closed.
  state_->listener.join();
  state_->waited = true;
}

std::string ModelServer::metrics() const { return state_->metrics.render(); }

}  // namespace bioptimus::remote
