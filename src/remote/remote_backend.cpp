// The client: `concurrency` threads, each with its own kept-alive
// cpp-httplib connection and buffers, take requests (runs of
// tiles_per_request tiles) in turn; answers land in their tiles' rows, so the
// order of the embeddings is the tiles' whatever the order of the answers.
#include "bioptimus/remote/remote_backend.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "base64.hpp"
#include "bioptimus/detail/text.hpp"
#include "png_codec.hpp"
#include "protocol.hpp"

namespace bioptimus::remote {
namespace {

using nlohmann::json;

constexpr std::chrono::milliseconds longest_backoff{8000};

// "http://host:port/path" split into what httplib::Client takes and the path.
struct Endpoint {
  std::string origin;
  std::string path;
};

Endpoint parse_endpoint(const std::string& url) {
  const auto invalid = [&](const std::string& why) {
    return Error("--endpoint \"" + bioptimus::detail::escape_controls(url) + "\": " + why +
                 " (expected http://HOST:PORT or http://HOST:PORT/PATH)");
  };
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    throw invalid("no scheme");
  }
  const std::string scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    throw invalid("the scheme must be http or https, not \"" + bioptimus::detail::escape_controls(scheme) + "\"");
  }
  const std::size_t path_start = url.find('/', scheme_end + 3);
  Endpoint endpoint;
  endpoint.origin = url.substr(0, path_start);
  endpoint.path = path_start == std::string::npos ? std::string() : url.substr(path_start);
  if (endpoint.origin.size() == scheme_end + 3) {
    throw invalid("no host");
  }
  if (endpoint.path.empty() || endpoint.path == "/") {
    endpoint.path = std::string(detail::invocations_path);
  }
  return endpoint;
}

// One attempt's outcome.
struct Outcome {
  bool done = false;       // answered and read
  bool retryable = false;  // worth another attempt
  std::string problem;     // why not done
};

std::string answer_message(const httplib::Response& response) {
  std::string message;
  try {
    const json body = json::parse(response.body);
    if (body.is_object() && body.contains("message") && body["message"].is_string()) {
      message = body["message"].get<std::string>();
    }
  } catch (const json::exception&) {
  }
  if (message.empty()) {
    message = response.body.substr(0, 200);
  }
  return fmt::format("HTTP {}: {}", response.status, bioptimus::detail::escape_controls(message));
}

std::string connection_problem(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "cannot connect";
    case httplib::Error::ConnectionTimeout:
      return "no connection within the timeout";
    case httplib::Error::Read:
      return "the connection closed, or no answer came within the timeout";
    case httplib::Error::Write:
      return "the connection closed while sending";
    default:
      return "HTTP client error: " + httplib::to_string(error);
  }
}

// Sends `body` with retries; `read` takes a 200 answer's JSON and says what
// is wrong with it (empty when it was read).
template <typename Reader>
Outcome post(httplib::Client& client, const std::string& path, const std::string& body, const RemoteOptions& options,
             const std::atomic<bool>* abandon, Reader&& read, int& attempts) {
  Outcome outcome;
  std::chrono::milliseconds backoff = options.backoff;
  for (attempts = 1;; ++attempts) {
    const httplib::Result result = client.Post(path, body, "application/json");
    if (!result) {
      outcome = {.done = false, .retryable = true, .problem = connection_problem(result.error())};
    } else if (result->status == 200) {
      const json answer = json::parse(result->body, nullptr, false);
      std::string problem = answer.is_discarded() ? "not JSON" : read(answer);
      if (problem.empty()) {
        return {.done = true, .retryable = false, .problem = {}};
      }
      return {.done = false, .retryable = false, .problem = "the answer is not a ModelResponse: " + problem};
    } else {
      outcome = {.done = false,
                 .retryable = result->status >= 500 || result->status == 429,
                 .problem = answer_message(*result)};
    }
    if (!outcome.retryable || attempts > options.retries || (abandon != nullptr && *abandon)) {
      return outcome;
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, longest_backoff);
  }
}

void configure(httplib::Client& client, const RemoteOptions& options) {
  const auto timeout = std::chrono::duration_cast<std::chrono::microseconds>(options.timeout);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
}

// Reads one ModelResponse's output into `out`.
std::string read_output(const json& response, std::span<float> out) {
  if (!response.is_object()) {
    return "expected a JSON object";
  }
  const auto output = response.find("output");
  if (output == response.end() || !output->is_array()) {
    return "no \"output\" array";
  }
  if (output->size() != out.size()) {
    return fmt::format("\"output\" has {} numbers, the model's embedding {}", output->size(), out.size());
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    const json& value = (*output)[i];
    if (value.is_number()) {
      out[i] = value.get<float>();
    } else if (value.is_null()) {
      out[i] = std::numeric_limits<float>::quiet_NaN();  // the server writes non-finite values as null
    } else {
      return fmt::format("\"output\"[{}] is not a number", i);
    }
  }
  return {};
}

}  // namespace

struct RemoteBackend::State {
  // One call of embed(): the requests the workers share.
  struct Job {
    std::span<const image::ImageView> tiles;
    std::span<float> embeddings;
    std::span<const TilePosition> positions;
    std::string slide_name_json;
    std::size_t requests = 0;
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::string failure;  // the first, under `mutex`
  };

  State(const models::ModelSpec& model, RemoteOptions remote_options)
      : spec(model), options(std::move(remote_options)), endpoint(parse_endpoint(options.endpoint)) {
    url = endpoint.origin + endpoint.path;
    const std::vector<std::int64_t> shape = spec.output_shape();
    embedding_size =
        static_cast<std::size_t>(std::accumulate(shape.begin(), shape.end(), std::int64_t{1}, std::multiplies<>()));
    tile = {.width = spec.input_shape()[2], .height = spec.input_shape()[1]};
    model_name_json = detail::json_string(spec.model_name());
    resolution = "null";
    if (const std::optional<io::wsi::MPP> mpp = spec.tile_spec().mpp()) {
      char buffer[32];
      const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, mpp->value());
      if (error == std::errc{}) {
        resolution.assign(buffer, end);
      }
    }
  }

  void check_model();
  void work();
  void send(Job& job, std::size_t request, httplib::Client& client, std::vector<std::uint8_t>& png, std::string& body);

  models::ModelSpec spec;
  RemoteOptions options;
  Endpoint endpoint;
  std::string url;
  std::size_t embedding_size = 0;
  image::Size tile;
  std::string model_name_json;
  std::string resolution;

  std::mutex mutex;
  std::condition_variable wake;
  std::condition_variable finished;
  Job* job = nullptr;
  std::uint64_t generation = 0;
  std::size_t workers_done = 0;
  bool stopping = false;
  std::vector<std::thread> workers;
};

void RemoteBackend::State::check_model() {
  httplib::Client client(endpoint.origin);
  configure(client, options);
  const std::string body = "{\"model_name\":" + model_name_json + ",\"mode\":\"metadata\"}";
  std::string mismatch;
  int attempts = 0;
  const Outcome outcome = post(
      client, endpoint.path, body, options, nullptr,
      [&](const json& served) -> std::string {
        if (!served.is_object()) {
          return "expected a JSON object";
        }
        const auto text = [&](const char* key) {
          return served.contains(key) && served[key].is_string() ? served[key].get<std::string>() : std::string();
        };
        const std::string identity = text("model_name") + "@" + text("version");
        if (identity != spec.identity()) {
          mismatch = "it serves " + identity + ", this run's model is " + spec.identity();
        } else if (served.contains("embedding_dim") && served["embedding_dim"] != spec.embedding_dim()) {
          mismatch = "its embedding_dim is " + served["embedding_dim"].dump() + ", this run's model has " +
                     std::to_string(spec.embedding_dim());
        }
        return {};
      },
      attempts);
  if (outcome.done && !mismatch.empty()) {
    throw RemoteError(url + ": " + bioptimus::detail::escape_controls(mismatch));
  }
  if (outcome.done) {
    return;
  }
  // A server of the protocol without the metadata mode: nothing to check.
  if (!outcome.retryable && outcome.problem.rfind("HTTP 404", 0) != 0 && outcome.problem.rfind("the answer", 0) != 0) {
    return;
  }
  throw RemoteError(fmt::format("{}: cannot ask which model it serves ({} attempt{}): {}", url, attempts,
                                attempts == 1 ? "" : "s", outcome.problem));
}

void RemoteBackend::State::send(Job& current, std::size_t request, httplib::Client& client,
                                std::vector<std::uint8_t>& png, std::string& body) {
  const auto per_request = static_cast<std::size_t>(options.tiles_per_request);
  const std::size_t first = request * per_request;
  const std::size_t count = std::min(per_request, current.tiles.size() - first);
  const bool batch = options.tiles_per_request > 1;
  body.clear();
  if (batch) {
    body += '[';
  }
  for (std::size_t i = first; i < first + count; ++i) {
    const TilePosition position =
        current.positions.empty() ? TilePosition{.patch_idx = static_cast<std::int64_t>(i)} : current.positions[i];
    detail::encode_png(current.tiles[i], png);
    if (i > first) {
      body += ',';
    }
    body += "{\"image_data\":\"";
    detail::base64_encode(png, body);
    body += fmt::format(
        "\",\"slide_name\":{},\"x\":{},\"y\":{},\"width\":{},\"height\":{},\"patch_idx\":{},\"model_name\":{},"
        "\"mode\":\"embedding\",\"resolution\":{}}}",
        current.slide_name_json, position.x, position.y, tile.width, tile.height, position.patch_idx, model_name_json,
        resolution);
  }
  if (batch) {
    body += ']';
  }
  const std::span<float> rows = current.embeddings.subspan(first * embedding_size, count * embedding_size);
  int attempts = 0;
  const Outcome outcome = post(
      client, endpoint.path, body, options, &current.failed,
      [&](const json& parsed) -> std::string {
        if (!batch) {
          return read_output(parsed, rows);
        }
        if (!parsed.is_array() || parsed.size() != count) {
          return fmt::format("expected an array of {} responses", count);
        }
        for (std::size_t i = 0; i < count; ++i) {
          if (std::string problem = read_output(parsed[i], rows.subspan(i * embedding_size, embedding_size));
              !problem.empty()) {
            return fmt::format("[{}]: {}", i, problem);
          }
        }
        return {};
      },
      attempts);
  if (outcome.done) {
    return;
  }
  const TilePosition where = current.positions.empty() ? TilePosition{.patch_idx = static_cast<std::int64_t>(first)}
                                                       : current.positions[first];
  const std::string message =
      fmt::format("{}: tile {} (x={}, y={}) failed after {} attempt{}: {}", url, where.patch_idx, where.x, where.y,
                  attempts, attempts == 1 ? "" : "s", outcome.problem);
  const std::lock_guard lock(mutex);
  if (!current.failed.exchange(true)) {
    current.failure = message;
  }
}

void RemoteBackend::State::work() {
  httplib::Client client(endpoint.origin);
  configure(client, options);
  std::vector<std::uint8_t> png;
  std::string body;
  std::uint64_t seen = 0;
  std::unique_lock lock(mutex);
  for (;;) {
    wake.wait(lock, [&] { return stopping || generation != seen; });
    if (stopping) {
      return;
    }
    seen = generation;
    Job& current = *job;
    lock.unlock();
    for (std::size_t request = current.next++; request < current.requests && !current.failed;
         request = current.next++) {
      send(current, request, client, png, body);
    }
    lock.lock();
    if (++workers_done == workers.size()) {
      finished.notify_one();
    }
  }
}

RemoteBackend::RemoteBackend(const models::ModelSpec& spec, RemoteOptions options) {
  if (options.concurrency < 1) {
    throw Error("remote backend: concurrency must be at least 1, got " + std::to_string(options.concurrency));
  }
  if (options.tiles_per_request < 1) {
    throw Error("remote backend: tiles_per_request must be at least 1, got " +
                std::to_string(options.tiles_per_request));
  }
  if (options.retries < 0) {
    throw Error("remote backend: retries must not be negative, got " + std::to_string(options.retries));
  }
  if (options.timeout.count() <= 0) {
    throw Error("remote backend: the timeout must be positive");
  }
  state_ = std::make_unique<State>(spec, std::move(options));
  state_->check_model();
  State& state = *state_;
  for (int i = 0; i < state.options.concurrency; ++i) {
    state.workers.emplace_back([&state] { state.work(); });
  }
}

RemoteBackend::RemoteBackend(RemoteBackend&&) noexcept = default;
RemoteBackend& RemoteBackend::operator=(RemoteBackend&&) noexcept = default;

RemoteBackend::~RemoteBackend() {
  if (!state_) {
    return;
  }
  {
    const std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake.notify_all();
  for (std::thread& worker : state_->workers) {
    worker.join();
  }
}

const models::ModelSpec& RemoteBackend::spec() const noexcept { return state_->spec; }

const std::string& RemoteBackend::url() const noexcept { return state_->url; }

std::size_t RemoteBackend::embedding_size() const noexcept { return state_->embedding_size; }

void RemoteBackend::embed(std::span<const image::ImageView> tiles, std::span<float> embeddings,
                          std::string_view slide_name, std::span<const TilePosition> positions) {
  State& state = *state_;
  if (embeddings.size() != tiles.size() * state.embedding_size) {
    throw Error(fmt::format("remote backend: {} tiles need {} embedding floats, the buffer holds {}", tiles.size(),
                            tiles.size() * state.embedding_size, embeddings.size()));
  }
  if (!positions.empty() && positions.size() != tiles.size()) {
    throw Error(fmt::format("remote backend: {} positions for {} tiles", positions.size(), tiles.size()));
  }
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const image::ImageView& tile = tiles[i];
    if (tile.format != image::PixelFormat::rgb8 || tile.data == nullptr || tile.width != state.tile.width ||
        tile.height != state.tile.height || tile.stride_bytes < tile.width * 3) {
      throw Error(
          fmt::format("remote backend: tile {} must be rgb8 of {}x{} (the model's tile size, "
                      "Preprocessor::resize), got {}x{}",
                      i, state.tile.width, state.tile.height, tile.width, tile.height));
    }
  }
  if (tiles.empty()) {
    return;
  }
  State::Job current;
  current.tiles = tiles;
  current.embeddings = embeddings;
  current.positions = positions;
  current.slide_name_json = detail::json_string(slide_name);
  const auto per_request = static_cast<std::size_t>(state.options.tiles_per_request);
  current.requests = (tiles.size() + per_request - 1) / per_request;
  {
    std::unique_lock lock(state.mutex);
    state.job = &current;
    state.workers_done = 0;
    ++state.generation;
    state.wake.notify_all();
    state.finished.wait(lock, [&] { return state.workers_done == state.workers.size(); });
    state.job = nullptr;
  }
  if (current.failed) {
    throw RemoteError(current.failure);
  }
}

}  // namespace bioptimus::remote
