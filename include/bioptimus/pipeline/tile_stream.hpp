// bioptimus/pipeline/tile_stream.hpp
//
// TileStream (target bioptimus::pipeline): one slide's tiles as batches of
// model input, read ahead on threads. The loop every pipeline writes (read a
// region per tile, resize, normalise, batch, while the model runs on the
// previous batch) as a library type, for a C++ program and for Python
// (bioptimus_cpp.TileStream, docs/pytorch-loop.md).
//
//   TileStream stream = TileStream::open("slide.svs", spec);   // its tissue tiles, as `modelspec tiles` finds them
//   while (std::optional<TileBatch> batch = stream.next()) {
//     run_model(batch->values<float>(), batch->size());        // float32 (N, 3, H, W)
//     for (const TileRegion& tile : batch->tiles()) { ... }     // level-0 tile.x, tile.y, in the same order
//   }                                                           // the batch's memory goes back to the stream here
//
// Order: batch k holds tiles [k * batch_size, (k + 1) * batch_size) of the
// stream's list (the extractor's row-major order); the last one may be shorter.
//
// Threads: `threads` workers each take the next tile, read it into their own
// region buffer and preprocess it straight into its place in its batch. They
// work at most `prefetch` batches ahead of the ones handed out; a batch's
// memory is allocated once and recycled.
//
// Lifetime: a TileBatch owns its memory until it is destroyed (given back);
// nothing writes to it meanwhile, whatever the stream does, and it may
// outlive the stream. A moved-from TileBatch throws on every accessor. Holding
// batches does not stall the stream: it allocates another buffer instead.
//
// Errors: a tile that cannot be read or preprocessed ends the stream. The
// batches before it are still handed out; next() then throws, for the
// batch that holds the tile and for every later call, an io::wsi::SlideError
// naming the slide and the region. (OpenSlide refuses every read of a slide
// after its first error, so with several threads a tile read at that moment
// fails too, and the stream may end one batch earlier.) Cancellation:
// cancel() or destroying the stream stops the workers after their current
// tile and joins them.
#ifndef BIOPTIMUS_PIPELINE_TILE_STREAM_HPP
#define BIOPTIMUS_PIPELINE_TILE_STREAM_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "bioptimus/error.hpp"
#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "bioptimus/io/wsi/reader.hpp"
#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/models/preprocess.hpp"
#include "bioptimus/models/vocabulary.hpp"

namespace bioptimus::pipeline {

/// What a batch holds per tile.
enum class TileFormat : std::uint8_t {
  /// The model's input as the Preprocessor writes it: (N, 3, H, W) in
  /// TileStreamOptions::precision (float16/bfloat16 as 16-bit patterns).
  model_input,
  /// The tile resized to the model's size, before ToTensor and Normalize:
  /// (N, H, W, 3) uint8 RGB (RGB even for a BGR model). For a program that
  /// hands the pixels to another process, such as a PNG per tile to a model server.
  rgb8,
};

/// The number of hardware threads, at least 1.
[[nodiscard]] int default_threads() noexcept;

/// How a TileStream batches and reads.
struct TileStreamOptions {
  /// Tiles per batch, >= 1.
  std::int64_t batch_size = 64;
  /// Worker threads reading and preprocessing tiles, >= 1.
  int threads = default_threads();
  /// Batches read ahead of those handed out, >= 1.
  std::int64_t prefetch = 2;
  TileFormat format = TileFormat::model_input;
  /// The values of a model_input batch.
  models::Precision precision = models::Precision::fp32;
};

/// Checks every option.
/// @throws ValidationError (type TileStreamOptions) naming each one out of range.
void validate(const TileStreamOptions& options);

namespace detail {
struct BatchBuffer;
class BufferPool;
struct TileStreamState;
}  // namespace detail

/// A batch handed out by TileStream::next(). Move-only; see the file comment for its lifetime.
class TileBatch {
 public:
  TileBatch(TileBatch&& other) noexcept;
  TileBatch& operator=(TileBatch&& other) noexcept;
  TileBatch(const TileBatch&) = delete;
  TileBatch& operator=(const TileBatch&) = delete;
  /// Gives the memory back to the stream (or frees it, when the stream is gone).
  ~TileBatch();

  /// Tiles in the batch (the last batch of a stream may hold fewer than batch_size).
  [[nodiscard]] std::int64_t size() const;
  /// Position of the batch in its stream, from 0.
  [[nodiscard]] std::int64_t index() const;
  /// Position of its first tile in the stream's tile list.
  [[nodiscard]] std::int64_t first_tile() const;
  [[nodiscard]] TileFormat format() const;
  /// The values' precision, for a model_input batch.
  [[nodiscard]] models::Precision precision() const;
  /// (N, 3, H, W) for model_input, (N, H, W, 3) for rgb8.
  [[nodiscard]] std::array<std::int64_t, 4> shape() const;
  /// The tiles, in the batch's order: level-0 (x, y), the level and the size read.
  [[nodiscard]] std::span<const extraction::wsi::TileRegion> tiles() const;

  /// The batch's bytes (only its size() tiles), writable: the batch is the caller's until it is given back.
  [[nodiscard]] std::span<std::byte> bytes() const;
  /// The values as T: float (fp32), std::uint16_t (fp16/bf16 bit patterns) or
  /// std::uint8_t (rgb8). @throws Error when T does not match the batch.
  template <class T>
  [[nodiscard]] std::span<T> values() const {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, std::uint16_t> || std::is_same_v<T, std::uint8_t>,
                  "TileBatch::values: float, std::uint16_t or std::uint8_t");
    check_value_size(sizeof(T));
    const std::span<std::byte> data = bytes();
    return {reinterpret_cast<T*>(data.data()), data.size() / sizeof(T)};
  }

 private:
  friend struct detail::TileStreamState;
  TileBatch(std::unique_ptr<detail::BatchBuffer> buffer, std::shared_ptr<detail::BufferPool> pool) noexcept;
  [[nodiscard]] const detail::BatchBuffer& buffer() const;
  void check_value_size(std::size_t value_size) const;

  std::unique_ptr<detail::BatchBuffer> buffer_;
  std::shared_ptr<detail::BufferPool> pool_;
};

/// See the file comment. Movable, not copyable (a moved-from stream may only
/// be destroyed or assigned to); next() and cancel() are for one thread at a time.
class TileStream {
 public:
  /// Streams `tiles` of `slide` (kept open by the stream) through `preprocessor`.
  /// Workers start at once (none for an empty list).
  /// @throws ValidationError when an option is out of range.
  TileStream(io::wsi::SlideReader slide, std::vector<extraction::wsi::TileRegion> tiles,
             models::Preprocessor preprocessor, const TileStreamOptions& options = {});

  /// Opens the slide at `path` with `slide` (an MPP override, a name), finds
  /// its tiles for `spec` with a TileExtractor of `extraction` (by default
  /// CLAM's tissue mask and a threshold of 0.5, as `modelspec tiles`; its
  /// `model` is set to the spec's identity) and streams them through a
  /// Preprocessor of `spec`.
  /// @throws io::wsi::SlideError when the slide cannot be opened or tiled;
  ///   ValidationError for an option out of range.
  [[nodiscard]] static TileStream open(const std::filesystem::path& path, const models::ModelSpec& spec,
                                       const io::wsi::SlideOptions& slide = {},
                                       extraction::wsi::TileExtractorOptions extraction = {},
                                       const TileStreamOptions& options = {});

  TileStream(TileStream&&) noexcept;
  TileStream& operator=(TileStream&&) noexcept;
  TileStream(const TileStream&) = delete;
  TileStream& operator=(const TileStream&) = delete;
  /// Cancels and joins the workers.
  ~TileStream();

  /// The next batch, waiting for it if need be; nothing after the last one
  /// or after cancel().
  /// @throws io::wsi::SlideError naming the slide and the region of a tile
  ///   that failed (see the file comment).
  [[nodiscard]] std::optional<TileBatch> next();
  /// Stops the workers after their current tile and joins them; next() then
  /// returns nothing. Batches already handed out stay valid.
  void cancel() noexcept;

  [[nodiscard]] const io::wsi::SlideReader& slide() const noexcept;
  /// Every tile of the stream, in order.
  [[nodiscard]] std::span<const extraction::wsi::TileRegion> tiles() const noexcept;
  [[nodiscard]] std::int64_t batch_count() const noexcept;
  [[nodiscard]] const TileStreamOptions& options() const noexcept;
  /// One tile's shape in a batch: (3, H, W) for model_input, (H, W, 3) for rgb8.
  [[nodiscard]] std::array<std::int64_t, 3> tile_shape() const noexcept;

 private:
  std::unique_ptr<detail::TileStreamState> state_;
};

/// The tiles of `slide` at level-0 `coordinates` (top-left corners, as a
/// CLAM or TRIDENT `coords` dataset holds them), read at the level and size
/// the slide's plan for `tile_spec` chooses, as TileExtractor would. Takes
/// the slide's MPP override into account.
/// @throws io::wsi::SlideError when the slide cannot be tiled for `tile_spec`.
[[nodiscard]] std::vector<extraction::wsi::TileRegion> tiles_at(
    const io::wsi::SlideReader& slide, const extraction::wsi::TileSpec& tile_spec,
    std::span<const std::array<std::int64_t, 2>> coordinates);

}  // namespace bioptimus::pipeline

#endif  // BIOPTIMUS_PIPELINE_TILE_STREAM_HPP
