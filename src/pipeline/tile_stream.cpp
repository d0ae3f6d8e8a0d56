// TileStream: the workers, the batches in flight and the recycled buffers.
//
// One mutex guards the schedule (the next tile to claim, the batches handed
// out, the slots being filled, the first failure); the pixels are read and
// preprocessed outside it. Workers wait on `work_ready` (a tile may be
// claimed), the consumer on `batch_ready` (its batch is complete).
#include "bioptimus/pipeline/tile_stream.hpp"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <limits>
#include <map>
#include <mutex>
#include <new>
#include <thread>
#include <utility>

#include "bioptimus/image/image.hpp"

namespace bioptimus::pipeline {

using extraction::wsi::TileRegion;

int default_threads() noexcept { return std::max(1, static_cast<int>(std::thread::hardware_concurrency())); }

namespace detail {

// 64 bytes: a cache line, and enough for any SIMD load of the values.
constexpr std::align_val_t buffer_alignment{64};

struct AlignedDelete {
  void operator()(std::byte* memory) const noexcept { ::operator delete[](memory, buffer_alignment); }
};

// One batch's memory and what it holds. Allocated uninitialised: the pages
// are touched by the workers that fill them, not under the schedule's lock.
struct BatchBuffer {
  std::unique_ptr<std::byte[], AlignedDelete> memory;
  std::size_t capacity_tiles = 0;
  std::size_t tile_bytes = 0;
  std::vector<TileRegion> tiles;
  std::int64_t index = 0;
  std::int64_t first_tile = 0;
  TileFormat format = TileFormat::model_input;
  models::Precision precision = models::Precision::fp32;
  std::array<std::int64_t, 3> tile_shape{};
};

// The buffers given back by batches, for the stream to refill. Shared by
// the stream and its batches, so a batch may outlive its stream.
class BufferPool {
 public:
  explicit BufferPool(std::size_t keep) : keep_(keep) { free_.reserve(keep); }

  // A given-back buffer, or nothing.
  std::unique_ptr<BatchBuffer> take() {
    const std::lock_guard lock(mutex_);
    if (free_.empty()) {
      return nullptr;
    }
    std::unique_ptr<BatchBuffer> buffer = std::move(free_.back());
    free_.pop_back();
    return buffer;
  }

  // Keeps `buffer` for reuse, unless as many as the stream can use are
  // already kept (a caller that held many batches and then let them go).
  void give_back(std::unique_ptr<BatchBuffer> buffer) noexcept {
    const std::lock_guard lock(mutex_);
    if (free_.size() < keep_) {
      free_.push_back(std::move(buffer));  // within the reserved capacity: no allocation
    }
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<BatchBuffer>> free_;
  std::size_t keep_;
};

std::vector<Violation> check(const TileStreamOptions& options) {
  std::vector<Violation> violations;
  if (options.batch_size < 1) {
    violations.push_back({"batch_size", "expected a number >= 1, got " + std::to_string(options.batch_size)});
  }
  if (options.threads < 1) {
    violations.push_back({"threads", "expected a number >= 1, got " + std::to_string(options.threads)});
  }
  if (options.prefetch < 1) {
    violations.push_back({"prefetch", "expected a number >= 1, got " + std::to_string(options.prefetch)});
  }
  return violations;
}

std::string describe(std::int64_t index, const TileRegion& tile) {
  return "tile " + std::to_string(index) + " (region at level-0 (" + std::to_string(tile.x) + ", " +
         std::to_string(tile.y) + "), " + std::to_string(tile.size.width) + "x" + std::to_string(tile.size.height) +
         " px at level " + std::to_string(tile.level.index()) + ")";
}

struct TileStreamState {
  TileStreamState(io::wsi::SlideReader slide_, std::vector<TileRegion> tiles_, models::Preprocessor preprocessor_,
                  const TileStreamOptions& options_)
      : slide(std::move(slide_)),
        tiles(std::move(tiles_)),
        preprocessor(std::move(preprocessor_)),
        options(options_),
        tile_count(static_cast<std::int64_t>(tiles.size())),
        batch_count((tile_count + options.batch_size - 1) / options.batch_size),
        // Enough for every slot in flight and the batch the caller holds.
        pool(std::make_shared<BufferPool>(static_cast<std::size_t>(options.prefetch) + 1)) {
    const std::array<std::int64_t, 3> chw = preprocessor.output_shape();
    if (options.format == TileFormat::rgb8) {
      tile_shape = {chw[1], chw[2], 3};
      tile_bytes = static_cast<std::size_t>(chw[1] * chw[2] * 3);
    } else {
      tile_shape = chw;
      tile_bytes = preprocessor.output_bytes(options.precision);
    }
  }

  TileStreamState(const TileStreamState&) = delete;
  TileStreamState& operator=(const TileStreamState&) = delete;
  ~TileStreamState() { stop(); }

  void start() {
    const auto count = static_cast<std::size_t>(std::min<std::int64_t>(options.threads, tile_count));
    workers.reserve(count);
    try {
      for (std::size_t i = 0; i < count; ++i) {
        workers.emplace_back([this] { work(); });
      }
    } catch (...) {
      stop();
      throw;
    }
  }

  void stop() noexcept {
    {
      const std::lock_guard lock(mutex);
      stopping = true;
    }
    work_ready.notify_all();
    batch_ready.notify_all();
    for (std::thread& worker : workers) {
      if (worker.joinable()) {
        worker.join();
      }
    }
  }

  std::optional<TileBatch> next() {
    std::unique_lock lock(mutex);
    batch_ready.wait(lock, [this] { return stopping || taken == batch_count || failed(taken) || complete(taken); });
    if (stopping) {
      return std::nullopt;  // cancelled: a pending failure no longer matters
    }
    if (failed(taken)) {
      std::rethrow_exception(failure);
    }
    if (taken == batch_count) {
      return std::nullopt;
    }
    std::unique_ptr<BatchBuffer> buffer = std::move(slots.extract(taken).mapped().buffer);
    ++taken;
    lock.unlock();
    work_ready.notify_all();  // the window moved on
    return TileBatch(std::move(buffer), pool);
  }

  // The schedule, under `mutex`.
  struct Slot {
    std::unique_ptr<BatchBuffer> buffer;
    std::int64_t remaining = 0;
  };

  [[nodiscard]] bool failed(std::int64_t batch) const { return failure && failed_batch <= batch; }

  [[nodiscard]] bool complete(std::int64_t batch) const {
    const auto slot = slots.find(batch);
    return slot != slots.end() && slot->second.remaining == 0;
  }

  [[nodiscard]] bool may_claim() const {
    return next_tile < tile_count && next_tile / options.batch_size < taken + options.prefetch;
  }

  // The slot of `batch`, made (with a recycled or new buffer) by the first tile claimed in it.
  Slot& slot_of(std::int64_t batch) {
    if (const auto found = slots.find(batch); found != slots.end()) {
      return found->second;
    }
    const std::int64_t first = batch * options.batch_size;
    const std::int64_t count = std::min(options.batch_size, tile_count - first);
    std::unique_ptr<BatchBuffer> buffer = pool->take();
    if (!buffer) {
      buffer = std::make_unique<BatchBuffer>();
      buffer->capacity_tiles = static_cast<std::size_t>(options.batch_size);
      buffer->tile_bytes = tile_bytes;
      buffer->memory.reset(new (buffer_alignment) std::byte[buffer->capacity_tiles * tile_bytes]);
      buffer->tiles.reserve(buffer->capacity_tiles);
      buffer->format = options.format;
      buffer->precision = options.precision;
      buffer->tile_shape = tile_shape;
    }
    buffer->index = batch;
    buffer->first_tile = first;
    const auto begin = tiles.begin() + first;
    buffer->tiles.assign(begin, begin + count);
    return slots.emplace(batch, Slot{.buffer = std::move(buffer), .remaining = count}).first->second;
  }

  // Records the failure of `batch`; the earliest failed batch is the one reported.
  void fail(std::int64_t batch, std::exception_ptr error) {
    if (!failure || batch < failed_batch) {
      failure = std::move(error);
      failed_batch = batch;
    }
    work_ready.notify_all();
    batch_ready.notify_all();
  }

  // A worker: claims tiles in order while the window allows, and stops at
  // the end, on cancel() or after any failure.
  void work() noexcept {
    std::optional<image::Image> region;
    std::unique_lock lock(mutex);
    while (true) {
      work_ready.wait(lock, [this] { return stopping || failure || next_tile == tile_count || may_claim(); });
      if (stopping || failure || next_tile == tile_count) {
        return;
      }
      const std::int64_t index = next_tile++;
      const std::int64_t batch = index / options.batch_size;
      std::exception_ptr error;
      Slot* slot = nullptr;
      try {
        slot = &slot_of(batch);
      } catch (...) {
        error = located(std::current_exception(), index);
      }
      if (slot != nullptr) {
        BatchBuffer& buffer = *slot->buffer;
        lock.unlock();
        try {
          load_tile(index, buffer, region);
        } catch (...) {
          error = located(std::current_exception(), index);
        }
        lock.lock();
        if (--slot->remaining == 0) {
          batch_ready.notify_all();
        }
      }
      if (error) {
        fail(batch, std::move(error));
      }
    }
  }

  // Reads tile `index` into the worker's `region` and preprocesses it into its place in `buffer`.
  void load_tile(std::int64_t index, BatchBuffer& buffer, std::optional<image::Image>& region) const {
    const TileRegion& tile = tiles[static_cast<std::size_t>(index)];
    if (!region || region->width() != tile.size.width || region->height() != tile.size.height) {
      region.emplace(tile.size.width, tile.size.height, image::PixelFormat::argb32_premultiplied);
    }
    slide.read_level_into(tile.level, tile.x, tile.y, region->mutable_view());
    std::byte* out = buffer.memory.get() + static_cast<std::size_t>(index - buffer.first_tile) * tile_bytes;
    if (options.format == TileFormat::rgb8) {
      preprocessor.resize(region->view(), image::MutableImageView{.data = reinterpret_cast<std::uint8_t*>(out),
                                                                  .width = tile_shape[1],
                                                                  .height = tile_shape[0],
                                                                  .stride_bytes = tile_shape[1] * 3,
                                                                  .format = image::PixelFormat::rgb8});
    } else {
      preprocessor(region->view(), std::span<std::byte>(out, tile_bytes), options.precision);
    }
  }

  // `error` as a SlideError naming the slide and the region: the reader's
  // own errors already do; anything else (the preprocessor, memory) is wrapped.
  std::exception_ptr located(std::exception_ptr error, std::int64_t index) const noexcept {
    try {
      try {
        std::rethrow_exception(error);
      } catch (const io::wsi::SlideError&) {
        return error;
      } catch (const std::exception& cause) {
        throw io::wsi::SlideError(
            slide.path(),
            "cannot load " + describe(index, tiles[static_cast<std::size_t>(index)]) + ": " + cause.what());
      }
    } catch (...) {
      return std::current_exception();
    }
  }

  io::wsi::SlideReader slide;
  std::vector<TileRegion> tiles;
  models::Preprocessor preprocessor;
  TileStreamOptions options;
  std::int64_t tile_count;
  std::int64_t batch_count;
  std::array<std::int64_t, 3> tile_shape{};
  std::size_t tile_bytes = 0;
  std::shared_ptr<BufferPool> pool;

  std::mutex mutex;
  std::condition_variable work_ready;
  std::condition_variable batch_ready;
  std::int64_t next_tile = 0;
  std::int64_t taken = 0;
  std::map<std::int64_t, Slot> slots;
  bool stopping = false;
  std::exception_ptr failure;
  std::int64_t failed_batch = std::numeric_limits<std::int64_t>::max();
  std::vector<std::thread> workers;
};

}  // namespace detail

void validate(const TileStreamOptions& options) {
  if (std::vector<Violation> violations = detail::check(options); !violations.empty()) {
    bioptimus::detail::throw_validation_error("TileStreamOptions", std::move(violations));
  }
}

// --- TileBatch ---

TileBatch::TileBatch(std::unique_ptr<detail::BatchBuffer> buffer, std::shared_ptr<detail::BufferPool> pool) noexcept
    : buffer_(std::move(buffer)), pool_(std::move(pool)) {}

TileBatch::TileBatch(TileBatch&& other) noexcept = default;

TileBatch& TileBatch::operator=(TileBatch&& other) noexcept {
  if (this != &other) {
    if (buffer_ && pool_) {
      pool_->give_back(std::move(buffer_));
    }
    buffer_ = std::move(other.buffer_);
    pool_ = std::move(other.pool_);
  }
  return *this;
}

TileBatch::~TileBatch() {
  if (buffer_ && pool_) {
    pool_->give_back(std::move(buffer_));
  }
}

const detail::BatchBuffer& TileBatch::buffer() const {
  if (!buffer_) {
    throw Error("TileBatch: used after it was moved from");
  }
  return *buffer_;
}

std::int64_t TileBatch::size() const { return static_cast<std::int64_t>(buffer().tiles.size()); }
std::int64_t TileBatch::index() const { return buffer().index; }
std::int64_t TileBatch::first_tile() const { return buffer().first_tile; }
TileFormat TileBatch::format() const { return buffer().format; }
models::Precision TileBatch::precision() const { return buffer().precision; }

std::array<std::int64_t, 4> TileBatch::shape() const {
  const detail::BatchBuffer& batch = buffer();
  return {size(), batch.tile_shape[0], batch.tile_shape[1], batch.tile_shape[2]};
}

std::span<const TileRegion> TileBatch::tiles() const { return buffer().tiles; }

std::span<std::byte> TileBatch::bytes() const {
  const detail::BatchBuffer& batch = buffer();
  return {batch.memory.get(), batch.tiles.size() * batch.tile_bytes};
}

void TileBatch::check_value_size(std::size_t value_size) const {
  const detail::BatchBuffer& batch = buffer();
  const std::size_t expected = batch.format == TileFormat::rgb8             ? 1
                               : batch.precision == models::Precision::fp32 ? sizeof(float)
                                                                            : sizeof(std::uint16_t);
  if (value_size != expected) {
    throw Error("TileBatch::values: the batch holds " +
                std::string(batch.format == TileFormat::rgb8 ? "rgb8" : to_string(batch.precision)) + " values of " +
                std::to_string(expected) + " byte(s), asked for " + std::to_string(value_size));
  }
}

// --- TileStream ---

TileStream::TileStream(io::wsi::SlideReader slide, std::vector<TileRegion> tiles, models::Preprocessor preprocessor,
                       const TileStreamOptions& options) {
  validate(options);
  state_ =
      std::make_unique<detail::TileStreamState>(std::move(slide), std::move(tiles), std::move(preprocessor), options);
  state_->start();
}

TileStream TileStream::open(const std::filesystem::path& path, const models::ModelSpec& spec,
                            const io::wsi::SlideOptions& slide, extraction::wsi::TileExtractorOptions extraction,
                            const TileStreamOptions& options) {
  validate(options);  // before the slide is read
  extraction.model = spec.identity();
  // A stream has no use for the thumbnail, which fit() would otherwise read
  // from the slide when it does not segment one.
  extraction.thumbnail_max_side = 0;
  extraction::wsi::TileExtractor extractor{spec.tile_spec(), std::move(extraction)};
  models::Preprocessor preprocessor(spec);
  io::wsi::SlideReader reader{path, slide};
  std::vector<TileRegion> tiles = extractor.fit(reader).extract();
  return TileStream(std::move(reader), std::move(tiles), std::move(preprocessor), options);
}

TileStream::TileStream(TileStream&&) noexcept = default;
TileStream& TileStream::operator=(TileStream&&) noexcept = default;
TileStream::~TileStream() = default;

std::optional<TileBatch> TileStream::next() {
  if (!state_) {
    throw Error("TileStream: used after it was moved from");
  }
  return state_->next();
}

void TileStream::cancel() noexcept {
  if (state_) {
    state_->stop();
  }
}

const io::wsi::SlideReader& TileStream::slide() const noexcept { return state_->slide; }
std::span<const TileRegion> TileStream::tiles() const noexcept { return state_->tiles; }
std::int64_t TileStream::batch_count() const noexcept { return state_->batch_count; }
const TileStreamOptions& TileStream::options() const noexcept { return state_->options; }
std::array<std::int64_t, 3> TileStream::tile_shape() const noexcept { return state_->tile_shape; }

std::vector<TileRegion> tiles_at(const io::wsi::SlideReader& slide, const extraction::wsi::TileSpec& tile_spec,
                                 std::span<const std::array<std::int64_t, 2>> coordinates) {
  // The extractor's plan without its mask: the same level and read size as its tiles.
  extraction::wsi::TileExtractor extractor{tile_spec, {.segmentation = std::nullopt}};
  const extraction::wsi::TilePlan& plan = extractor.fit(slide).plan();
  std::vector<TileRegion> tiles;
  tiles.reserve(coordinates.size());
  for (const auto& [x, y] : coordinates) {
    tiles.push_back({.x = x,
                     .y = y,
                     .level = plan.level(),
                     .size = {.width = plan.region_size().width, .height = plan.region_size().height},
                     .tissue_fraction = 1.0});
  }
  return tiles;
}

}  // namespace bioptimus::pipeline
