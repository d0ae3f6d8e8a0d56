// bioptimus/remote/remote_backend.hpp
//
// A model on another machine, reached with the Bioptimus SDK's dispatch
// protocol (`POST /invocations`, served by `modelspec serve` or any server of
// that protocol): tiles go out as PNG, embeddings come back, in tile order.
//
//   RemoteBackend remote(spec, {.endpoint = "http://gpu-box:8080", .concurrency = 16});
//   std::vector<float> embeddings(tiles.size() * remote.embedding_size());
//   remote.embed(tiles, embeddings, "slide-1", positions);  // tiles: rgb8 at the model's tile size
//
// A tile is sent as the SDK sends it: a PNG of the tile at the model's size,
// the resized 8-bit RGB pixels before normalisation (Preprocessor::resize);
// the server preprocesses it as the spec says. Up to `concurrency` requests are
// in flight, each on its own kept-alive connection; connection errors and 5xx
// answers are retried with exponential backoff; a 4xx answer fails at once.
//
// The HTTP library (cpp-httplib) is private to this layer. Link `bioptimus::remote`.
#ifndef BIOPTIMUS_REMOTE_REMOTE_BACKEND_HPP
#define BIOPTIMUS_REMOTE_REMOTE_BACKEND_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "bioptimus/error.hpp"
#include "bioptimus/image/image.hpp"
#include "bioptimus/models/model_spec.hpp"

namespace bioptimus::remote {

/// An endpoint that cannot be reached, answers with an error, serves another
/// model or answers something that is not the protocol. The message names the
/// endpoint (and the tile, when one failed).
class BIOPTIMUS_VISIBLE_TYPE RemoteError : public Error {
 public:
  using Error::Error;
};

/// Where the model is and how to talk to it.
struct RemoteOptions {
  /// `http://host:port` (requests go to /invocations) or a full URL with its path.
  std::string endpoint;
  /// Requests in flight at once.
  int concurrency = 8;
  /// Tiles per request: 1 is the SDK's one-tile form, any server takes it;
  /// more uses the batch form (a JSON array), which `modelspec serve` takes.
  int tiles_per_request = 1;
  /// Longest wait for a connection, or for the next byte of an answer.
  std::chrono::milliseconds timeout{60'000};
  /// Attempts after the first, on connection errors and 5xx answers.
  int retries = 5;
  /// Wait before the first retry; doubled each time, at most 8 s.
  std::chrono::milliseconds backoff{250};
};

/// Where a tile comes from, for the request's fields (`x`, `y`, `patch_idx`).
struct TilePosition {
  std::int64_t x = 0;
  std::int64_t y = 0;
  std::int64_t patch_idx = 0;
};

/// The client. Movable, not copyable; embed() is for one thread at a time
/// (it runs `concurrency` threads of its own).
class BIOPTIMUS_VISIBLE_TYPE RemoteBackend {
 public:
  /// Checks the options and asks the endpoint which model it serves (mode
  /// "metadata"), retrying while it starts or loads as for any request.
  /// @throws RemoteError when it cannot be reached or serves another model
  ///   (another name or version, tile size or embedding size);
  ///   bioptimus::Error when the options are invalid.
  RemoteBackend(const models::ModelSpec& spec, RemoteOptions options);
  RemoteBackend(RemoteBackend&&) noexcept;
  RemoteBackend& operator=(RemoteBackend&&) noexcept;
  RemoteBackend(const RemoteBackend&) = delete;
  RemoteBackend& operator=(const RemoteBackend&) = delete;
  ~RemoteBackend();

  [[nodiscard]] const models::ModelSpec& spec() const noexcept;
  /// The invocations URL requests go to.
  [[nodiscard]] const std::string& url() const noexcept;
  /// Floats of one tile's embedding: the product of spec().output_shape().
  [[nodiscard]] std::size_t embedding_size() const noexcept;

  /// Embeds `tiles` (rgb8, each of the spec's tile size) into `embeddings`
  /// (embedding_size() floats per tile, in the order of `tiles`).
  /// `slide_name` and `positions` (one per tile, or none) fill the requests'
  /// fields; without positions, patch_idx counts from 0.
  /// @throws RemoteError naming the endpoint and the first tile that failed
  ///   for good (after its retries); bioptimus::Error when the sizes do not fit.
  void embed(std::span<const image::ImageView> tiles, std::span<float> embeddings, std::string_view slide_name = {},
             std::span<const TilePosition> positions = {});

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace bioptimus::remote

#endif  // BIOPTIMUS_REMOTE_REMOTE_BACKEND_HPP
