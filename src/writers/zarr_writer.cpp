// The Zarr v2 writer: a directory store (zarr-specs docs/v2/v2.0.rst) written
// on nlohmann-json and libblosc, readable by every zarr-python 2.x:
//
//   .zgroup             {"zarr_format": 2}, written last
//   .zattrs             set_metadata()'s attributes
//   features/.zarray    (N, *row_shape) <f4, chunks of R rows, blosc
//   features/.zattrs    and features/0.0, features/1.0, ... one file per chunk
//   coords/...          (N, 2) <i8
//   thumbnail/...       (H, W, 3) |u1, when set
//   tissue_mask/...     (H, W) |u1, when set
//
// Rows stream into a chunk buffer; each full chunk is handed to a worker
// thread, which compresses it (blosc, byte shuffle, on up to 4 threads) and
// writes it while the caller fills the next buffer; the system starts
// writing it to disk at once, and close() fsyncs every file before the
// rename. The last chunk is padded to
// the full chunk shape, as the format requires. Memory: two chunk buffers
// per array, whatever the row count. The store is built under a hidden
// name and renamed when complete (OutputDirectory, output_directory.hpp).
#include <blosc.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "format_writers.hpp"
#include "output_directory.hpp"

namespace bioptimus::writers::detail {
namespace {

static_assert(sizeof(Coordinate) == 2 * sizeof(std::int64_t), "coords rows are written straight from Coordinate");

// A chunk of about this many bytes: few files per store, and a chunk a
// reader decompresses in a few milliseconds.
constexpr std::size_t target_chunk_bytes = std::size_t{4} << 20;
// Coordinates are 16 bytes a row: one chunk holds most slides.
constexpr std::int64_t coords_chunk_rows = 65536;

nlohmann::json json_of(const MetadataValue& value) {
  return std::visit([](const auto& held) { return nlohmann::json(held); }, value);
}

nlohmann::json json_of(const std::vector<Attribute>& attributes) {
  nlohmann::json object = nlohmann::json::object();
  for (const Attribute& attribute : attributes) {
    object[attribute.name] = json_of(attribute.value);
  }
  return object;
}

// How chunks are encoded: numcodecs' Blosc configuration, or none.
struct Codec {
  ZarrCompressor compressor;
  int level;

  [[nodiscard]] nlohmann::json config() const {
    if (compressor == ZarrCompressor::none) {
      return nullptr;
    }
    return {{"id", "blosc"},
            {"cname", std::string{to_string(compressor)}},
            {"clevel", level},
            {"shuffle", BLOSC_SHUFFLE},
            {"blocksize", 0}};
  }
};

// One chunk on its way to disk: the file it goes to and its bytes.
struct ChunkJob {
  std::string key;
  const std::vector<std::byte>* bytes;
  std::size_t item_size;
};

// Compresses and writes chunks on a thread of its own, one at a time: the
// caller hands over a chunk and fills its other buffer meanwhile. The first
// failure is kept and reported by the next call.
class ChunkWorker {
 public:
  ChunkWorker(bioptimus::detail::OutputDirectory& store, Codec codec)
      : store_(store),
        codec_(codec),
        cname_(to_string(codec.compressor)),
        blosc_threads_(static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1U, 4U))),
        thread_([this] { run(); }) {}
  ChunkWorker(const ChunkWorker&) = delete;
  ChunkWorker& operator=(const ChunkWorker&) = delete;
  ~ChunkWorker() {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
  }

  // Waits for the chunk in flight (its buffer is the caller's again), then
  // hands over `job`, whose buffer must stay untouched until the next call.
  void submit(ChunkJob job) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !pending_; });
    rethrow();
    pending_ = std::move(job);
    lock.unlock();
    changed_.notify_all();
  }

  // Waits until every chunk handed over is on disk.
  void drain() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !pending_; });
    rethrow();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (true) {
      changed_.wait(lock, [this] { return pending_ || stopping_; });
      if (!pending_) {
        return;
      }
      const ChunkJob job = *pending_;
      lock.unlock();
      std::optional<std::string> failure;
      if (!failure_) {
        failure = write(job);
      }
      lock.lock();
      if (failure && !failure_) {
        failure_ = std::move(failure);
      }
      pending_.reset();
      changed_.notify_all();
    }
  }

  // Writes one chunk file; what failed, or nothing.
  std::optional<std::string> write(const ChunkJob& job) {
    std::span<const std::byte> bytes(*job.bytes);
    if (codec_.compressor != ZarrCompressor::none) {
      compressed_.resize(job.bytes->size() + BLOSC_MAX_OVERHEAD);
      const int size =
          blosc_compress_ctx(codec_.level, BLOSC_SHUFFLE, job.item_size, job.bytes->size(), job.bytes->data(),
                             compressed_.data(), compressed_.size(), cname_.c_str(), 0, blosc_threads_);
      if (size <= 0) {
        return where() + "blosc could not compress the chunk " + job.key;
      }
      bytes = std::span<const std::byte>(compressed_).first(static_cast<std::size_t>(size));
    }
    try {
      const bioptimus::detail::FileDescriptor file = store_.create_file(job.key);
      if (!file.write_all(bytes)) {
        const int error = errno;
        return where() + "cannot write the chunk " + job.key + ": " + std::system_category().message(error);
      }
      file.start_writeback();
    } catch (const Error& error) {  // already names the store
      return std::string{error.what()};
    }
    return std::nullopt;
  }

  [[nodiscard]] std::string where() const { return store_.target().string() + ": "; }

  void rethrow() const {
    if (failure_) {
      throw WriterError(*failure_);
    }
  }

  bioptimus::detail::OutputDirectory& store_;
  Codec codec_;
  std::string cname_;
  int blosc_threads_;
  std::vector<std::byte> compressed_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<ChunkJob> pending_;
  std::optional<std::string> failure_;
  bool stopping_ = false;
  // Last: started once everything it uses exists, joined first.
  std::jthread thread_;
};

// One array of the store, chunked by rows only: each chunk holds
// chunk_rows whole rows, so rows stream in and chunks are written in order.
class RowChunkedArray {
 public:
  RowChunkedArray(bioptimus::detail::OutputDirectory& store, std::string name, std::string dtype, std::size_t item_size,
                  std::vector<std::int64_t> row_shape, std::int64_t chunk_rows)
      : name_(std::move(name)),
        dtype_(std::move(dtype)),
        item_size_(item_size),
        row_shape_(std::move(row_shape)),
        chunk_rows_(chunk_rows) {
    row_bytes_ = item_size_;
    for (const std::int64_t extent : row_shape_) {
      row_bytes_ *= static_cast<std::size_t>(extent);
    }
    if (static_cast<double>(row_bytes_) * static_cast<double>(chunk_rows_) > BLOSC_MAX_BUFFERSIZE) {
      throw WriterError(store.target().string() + ": a chunk of " + std::to_string(chunk_rows_) + " rows of " + name_ +
                        " would exceed blosc's 2 GiB limit: choose fewer chunk_rows");
    }
    store.make_directory(name_);
    // The rest of a chunk key: one ".0" per row axis, as every row is whole.
    for (std::size_t axis = 0; axis < row_shape_.size(); ++axis) {
      key_suffix_ += ".0";
    }
  }

  // Appends whole rows; each chunk that fills goes to the worker.
  void append(std::span<const std::byte> bytes, ChunkWorker& worker) {
    while (!bytes.empty()) {
      std::vector<std::byte>& buffer = buffers_[current_];
      if (buffer.empty()) {
        buffer.reserve(chunk_bytes());
      }
      const std::size_t take = std::min(bytes.size(), chunk_bytes() - buffer.size());
      buffer.insert(buffer.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
      bytes = bytes.subspan(take);
      if (buffer.size() == chunk_bytes()) {
        submit(worker);
      }
    }
  }

  // Pads and hands over the last chunk; the row count.
  std::int64_t finish(ChunkWorker& worker) {
    const std::vector<std::byte>& buffer = buffers_[current_];
    const auto rows = chunks_ * chunk_rows_ + static_cast<std::int64_t>(buffer.size() / row_bytes_);
    if (!buffer.empty()) {
      // The overhang of an edge chunk is undefined in the format: zeros (the fill value).
      buffers_[current_].resize(chunk_bytes(), std::byte{0});
      submit(worker);
    }
    rows_written_ = rows;
    return rows;
  }

  // The .zarray of the finished array.
  [[nodiscard]] nlohmann::json metadata(const Codec& codec) const {
    nlohmann::json shape{rows_written_};
    nlohmann::json chunks{chunk_rows_};
    for (const std::int64_t extent : row_shape_) {
      shape.push_back(extent);
      chunks.push_back(extent);
    }
    return {{"zarr_format", 2},
            {"shape", shape},
            {"chunks", chunks},
            {"dtype", dtype_},
            {"compressor", codec.config()},
            {"fill_value", dtype_ == "<f4" ? nlohmann::json(0.0) : nlohmann::json(0)},
            {"order", "C"},
            {"filters", nullptr}};
  }

  [[nodiscard]] const std::string& name() const noexcept { return name_; }

 private:
  [[nodiscard]] std::size_t chunk_bytes() const noexcept { return row_bytes_ * static_cast<std::size_t>(chunk_rows_); }

  void submit(ChunkWorker& worker) {
    worker.submit({.key = name_ + "/" + std::to_string(chunks_) + key_suffix_,
                   .bytes = &buffers_[current_],
                   .item_size = item_size_});
    ++chunks_;
    current_ ^= 1U;
    // Its chunk went to disk before the one just handed over was taken.
    buffers_[current_].clear();
  }

  std::string name_;
  std::string dtype_;
  std::size_t item_size_;
  std::vector<std::int64_t> row_shape_;
  std::int64_t chunk_rows_;
  std::size_t row_bytes_ = 0;
  std::string key_suffix_;
  std::vector<std::byte> buffers_[2];
  unsigned current_ = 0;
  std::int64_t chunks_ = 0;
  std::int64_t rows_written_ = 0;
};

// What a store may replace: a file (an output of another kind), a Zarr v2
// group or array, or an empty directory; never a directory of the user's.
bool is_replaceable(const std::filesystem::path& target) {
  std::error_code error;
  if (!std::filesystem::is_directory(std::filesystem::symlink_status(target, error))) {
    return true;
  }
  return std::filesystem::is_regular_file(target / ".zgroup", error) ||
         std::filesystem::is_regular_file(target / ".zarray", error) ||
         (std::filesystem::is_empty(target, error) && !error);
}

// `target`, once the stores a killed writer of it left are removed.
const std::filesystem::path& without_stale_temporaries(const std::filesystem::path& target) {
  (void)bioptimus::detail::remove_stale_directories(target.parent_path(), target.filename().string());
  return target;
}

class ZarrWriter final : public WriterBase {
 public:
  explicit ZarrWriter(WriterSetup setup)
      : WriterBase(std::move(setup)),
        codec_{.compressor = this->setup().options.compressor, .level = this->setup().options.compression_level},
        store_(without_stale_temporaries(path())),
        features_(store_, features_array, "<f4", sizeof(float), row_shape(), feature_chunk_rows()),
        coords_(store_, coords_array, "<i8", sizeof(std::int64_t), {2}, chunk_rows_for(coords_chunk_rows)),
        worker_(store_, codec_) {}

 private:
  void append(std::span<const float> features, std::span<const Coordinate> coordinates) override {
    features_.append(std::as_bytes(features), worker_);
    coords_.append(std::as_bytes(coordinates), worker_);
  }

  void finish() override {
    features_.finish(worker_);
    coords_.finish(worker_);
    write_json(features_.name() + "/.zarray", features_.metadata(codec_));
    write_json(coords_.name() + "/.zarray", coords_.metadata(codec_));
    write_json(features_.name() + "/.zattrs", json_of(features_attributes(setup())));
    write_json(coords_.name() + "/.zattrs", json_of(coords_attributes(setup())));
    for (const auto& [name, image] : {std::pair{thumbnail_array, &thumbnail()}, {tissue_mask_array, &tissue_mask()}}) {
      if (*image) {
        write_image(name, **image);
      }
    }
    worker_.drain();
    if (!metadata().empty()) {
      write_json(".zattrs", json_of(metadata()));
    }
    // Last: without it the temporary directory is no Zarr group at all.
    write_json(".zgroup", {{"zarr_format", 2}});
    store_.commit(is_replaceable);
  }

  void write_image(const char* name, const StoredImage& image) {
    const std::vector<std::int64_t> row_shape(image.shape.begin() + 1, image.shape.end());
    std::size_t row_bytes = 1;
    for (const std::int64_t extent : row_shape) {
      row_bytes *= static_cast<std::size_t>(extent);
    }
    const std::int64_t chunk_rows =
        std::clamp<std::int64_t>(static_cast<std::int64_t>(target_chunk_bytes / row_bytes), 1, image.shape[0]);
    RowChunkedArray array(store_, name, "|u1", 1, row_shape, chunk_rows);
    array.append(std::as_bytes(std::span(image.pixels)), worker_);
    array.finish(worker_);
    // The worker holds a buffer of `array` until it is done with it.
    worker_.drain();
    write_json(array.name() + "/.zarray", array.metadata(codec_));
    write_json(array.name() + "/.zattrs", json_of(image.attributes));
  }

  void write_json(const std::string& key, const nlohmann::json& document) {
    // ASCII, non-ASCII characters escaped: zarr-python 2 decodes metadata as ASCII (zarr/util.py json_loads).
    const std::string text = document.dump(4, ' ', true);
    const bioptimus::detail::FileDescriptor file = store_.create_file(key);
    if (!file.write_all(std::as_bytes(std::span(text)))) {
      const int error = errno;
      fail("cannot write " + key + ": " + std::system_category().message(error));
    }
  }

  // Rows per chunk: the caller's, or about target_chunk_bytes of rows; never
  // more rows than announced, so a small slide is not padded to a big chunk.
  [[nodiscard]] std::int64_t feature_chunk_rows() const {
    if (setup().options.chunk_rows > 0) {
      return setup().options.chunk_rows;
    }
    const auto fitting = static_cast<std::int64_t>(target_chunk_bytes / (row_size() * sizeof(float)));
    return chunk_rows_for(std::max<std::int64_t>(fitting, 1));
  }

  [[nodiscard]] std::int64_t chunk_rows_for(std::int64_t rows) const {
    const std::optional<std::int64_t> announced = setup().options.num_tiles;
    return announced ? std::clamp<std::int64_t>(*announced, 1, rows) : rows;
  }

  Codec codec_;
  bioptimus::detail::OutputDirectory store_;
  RowChunkedArray features_;
  RowChunkedArray coords_;
  // After the arrays: stopped (joined) before their buffers go.
  ChunkWorker worker_;
};

}  // namespace

std::unique_ptr<PredictionWriter> open_zarr_writer(WriterSetup setup) {
  return std::make_unique<ZarrWriter>(std::move(setup));
}

}  // namespace bioptimus::writers::detail
