// bioptimus/writers/prediction_writer.hpp
//
// PredictionWriter (target bioptimus::writers): the SDK's streaming writers
// of tile predictions (docs.bioptimus.com, inference/writers), one interface
// over three formats:
// - Zarr v2 (the SDK's default): a directory store, `features` chunked by
//   rows and compressed with blosc (lz4 + byte shuffle unless told
//   otherwise), attributes in `.zattrs`;
// - HDF5 in TRIDENT's layout: `features` float32 (N, D) and `coords` int64
//   (N, 2), CLAM's and TRIDENT's coordinate attributes on `coords`;
// - NPZ (numpy.load): every array and attribute as a member.
// All three keep the slide's thumbnail, the tissue mask the tiles were
// chosen on, and the slide-level metadata beside the features
// (docs/inference.md lists every array and attribute).
//
//   WriterOptions options{.format = OutputFormat::zarr};
//   auto writer = open_prediction_writer("out/slide.zarr", spec, attributes, options);   // the SDK's open()
//   writer->write(embeddings, coordinates);   // once per batch
//   writer->set_thumbnail(thumbnail);
//   writer->set_tissue_mask(mask);
//   writer->close();                          // only now does out/slide.zarr exist
//
// A writer builds its output under a hidden temporary name beside the target
// and renames it on close(), so a crash or an error never leaves an output
// that looks complete; a writer destroyed without close() removes it.
#ifndef BIOPTIMUS_WRITERS_PREDICTION_WRITER_HPP
#define BIOPTIMUS_WRITERS_PREDICTION_WRITER_HPP

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "bioptimus/error.hpp"
#include "bioptimus/extraction/wsi/coordinate_attributes.hpp"
#include "bioptimus/models/model_spec.hpp"

namespace bioptimus::writers {

/// Thrown when an output cannot be written; the message names it.
class BIOPTIMUS_VISIBLE_TYPE WriterError : public Error {
 public:
  using Error::Error;
};

/// The level-0 pixel position of a tile's top-left corner (TRIDENT's and
/// CLAM's `coords` rows are [x, y]).
struct Coordinate {
  std::int64_t x;
  std::int64_t y;

  friend constexpr bool operator==(const Coordinate&, const Coordinate&) noexcept = default;
};

/// The coordinate attributes CLAM and TRIDENT put on `coords`, whoever
/// computes them (TileExtractor::coordinate_attributes(), or a caller with
/// its own tiling): bioptimus/extraction/wsi/coordinate_attributes.hpp, a
/// standard-library-only value every format writes in full.
using CoordinateAttributes = extraction::wsi::CoordinateAttributes;
using SizePair = extraction::wsi::SizePair;
using DownsamplePair = extraction::wsi::DownsamplePair;

/// On-disk formats (the SDK's OutputFormat).
enum class OutputFormat {
  zarr,  ///< `zarr`: a Zarr v2 directory store (the SDK's default)
  hdf5,  ///< `h5`: TRIDENT's feature layout (what CLAM and TRIDENT read)
  npz,   ///< `npz`: numpy's archive of .npy arrays
};

/// The file extension of a format, without the dot: "zarr", "h5" or "npz".
[[nodiscard]] constexpr std::string_view extension(OutputFormat format) noexcept {
  switch (format) {
    case OutputFormat::zarr:
      return "zarr";
    case OutputFormat::npz:
      return "npz";
    case OutputFormat::hdf5:
      break;
  }
  return "h5";
}

/// The format an extension names ("zarr", "h5", "npz"), if any.
[[nodiscard]] constexpr std::optional<OutputFormat> parse_output_format(std::string_view text) noexcept {
  for (const OutputFormat format : {OutputFormat::zarr, OutputFormat::hdf5, OutputFormat::npz}) {
    if (text == extension(format)) {
      return format;
    }
  }
  return std::nullopt;
}

/// How a Zarr store compresses its chunks: blosc with byte shuffle and this
/// codec (numcodecs' `Blosc(cname=...)`), or not at all.
enum class ZarrCompressor {
  lz4,   ///< blosc lz4 (zarr-python's default)
  zstd,  ///< blosc zstd: smaller, slower
  zlib,  ///< blosc zlib
  none,  ///< raw chunks (`"compressor": null`)
};

/// "lz4", "zstd", "zlib" or "none".
[[nodiscard]] constexpr std::string_view to_string(ZarrCompressor compressor) noexcept {
  switch (compressor) {
    case ZarrCompressor::zstd:
      return "zstd";
    case ZarrCompressor::zlib:
      return "zlib";
    case ZarrCompressor::none:
      return "none";
    case ZarrCompressor::lz4:
      break;
  }
  return "lz4";
}

/// The compressor a name from to_string() names, if any.
[[nodiscard]] constexpr std::optional<ZarrCompressor> parse_zarr_compressor(std::string_view text) noexcept {
  for (const ZarrCompressor compressor :
       {ZarrCompressor::lz4, ZarrCompressor::zstd, ZarrCompressor::zlib, ZarrCompressor::none}) {
    if (text == to_string(compressor)) {
      return compressor;
    }
  }
  return std::nullopt;
}

/// How a writer writes. open_prediction_writer() checks every field.
struct WriterOptions {
  OutputFormat format = OutputFormat::zarr;
  /// The rows the caller will write (the SDK's open(num_tiles, ...)): close()
  /// refuses another count. Unknown: nullopt.
  std::optional<std::int64_t> num_tiles = std::nullopt;
  /// Zarr: the chunk compressor, and its level in [0, 9] (blosc's clevel).
  ZarrCompressor compressor = ZarrCompressor::lz4;
  int compression_level = 5;
  /// Zarr: rows per chunk of `features`; 0 chooses about 4 MiB of rows.
  std::int64_t chunk_rows = 0;
  /// The precision the model ran in, recorded as the `precision` attribute of
  /// `features` when the writer knows the model (absent: not recorded).
  std::optional<models::Precision> precision = std::nullopt;
};

/// A picture over the whole slide: the thumbnail (RGB) or the tissue mask
/// (one byte per pixel, non-zero = tissue). The writer copies the pixels.
struct SlideImage {
  /// height x width x channels bytes, row-major.
  std::span<const std::uint8_t> pixels;
  std::int64_t width = 0;
  std::int64_t height = 0;
  /// Level-0 pixels per image pixel, per axis: where the image lies on the slide.
  DownsamplePair downsample = {.x = 1.0, .y = 1.0};
  /// The image's pixel size in micrometres, when the slide's is known.
  std::optional<double> mpp = std::nullopt;
};

/// One value of slide-level metadata: a whole number, a finite real, a UTF-8
/// string, or a 1-D array of either kind of number.
using MetadataValue = std::variant<std::int64_t, double, std::string, std::vector<std::int64_t>, std::vector<double>>;

/// Slide-level metadata (the SDK's set_metadata dict), in the order given.
using Metadata = std::vector<std::pair<std::string, MetadataValue>>;

/// Streams one slide's tile predictions into one output (the SDK's
/// PredictionWriter protocol). Not thread-safe.
class PredictionWriter {
 public:
  PredictionWriter() = default;
  PredictionWriter(const PredictionWriter&) = delete;
  PredictionWriter& operator=(const PredictionWriter&) = delete;
  /// Without close(): removes the temporary output, leaving nothing.
  virtual ~PredictionWriter() = default;

  /// Appends coordinates.size() rows (the SDK's write(response), a batch at
  /// a time); `features` holds row_size() floats per row, row-major.
  /// @throws WriterError when the sizes disagree or the write fails.
  virtual void write(std::span<const float> features, std::span<const Coordinate> coordinates) = 0;

  /// Stores the slide's RGB thumbnail, (height, width, 3) bytes (the last one
  /// set wins). @throws WriterError when the sizes disagree.
  virtual void set_thumbnail(const SlideImage& rgb) = 0;
  /// Stores the tissue mask the tiles were chosen on, (height, width) bytes.
  /// @throws WriterError when the sizes disagree.
  virtual void set_tissue_mask(const SlideImage& mask) = 0;
  /// Adds slide-level attributes (a key set again takes the new value).
  /// Keys are non-empty UTF-8 without '/' and must not name an array or an
  /// attribute the writer records itself. @throws WriterError naming the key.
  virtual void set_metadata(const Metadata& metadata) = 0;
  /// The SDK's set_gene_names, for models that predict genes: embedding
  /// outputs have none, so it records nothing.
  virtual void set_gene_names(std::span<const std::string> /*input_genes*/,
                              std::span<const std::string> /*output_genes*/) {}

  /// Finishes the output and renames it onto its target path, replacing a
  /// file (or a Zarr store) there. No calls after it.
  /// @throws WriterError when finishing or renaming fails, or when fewer or
  /// more rows than WriterOptions::num_tiles were written.
  virtual void close() = 0;

  /// The output's final path.
  [[nodiscard]] virtual const std::filesystem::path& path() const noexcept = 0;
  /// Floats per row: the product of the row shape.
  [[nodiscard]] virtual std::size_t row_size() const noexcept = 0;
  /// Rows written so far.
  [[nodiscard]] virtual std::int64_t rows() const noexcept = 0;

 protected:
  PredictionWriter(PredictionWriter&&) = default;
  PredictionWriter& operator=(PredictionWriter&&) = default;
};

/// Opens a writer for `path` (the SDK's constructor and open()): its rows
/// have the shape of `spec.output_shape()` (embedding_dim for pooled
/// outputs), and it records `spec` (identity "name@version", the YAML form)
/// and `attributes`. The parent directory must exist.
/// @throws ValidationError when `options` break a rule; WriterError when the
/// temporary output cannot be created.
[[nodiscard]] std::unique_ptr<PredictionWriter> open_prediction_writer(const std::filesystem::path& path,
                                                                       const models::ModelSpec& spec,
                                                                       const CoordinateAttributes& attributes,
                                                                       const WriterOptions& options = {});

/// The same for rows of `row_shape` ({embedding_dim} for embeddings) made by
/// a model the writer knows nothing of: no model attributes are recorded.
[[nodiscard]] std::unique_ptr<PredictionWriter> open_prediction_writer(const std::filesystem::path& path,
                                                                       std::vector<std::int64_t> row_shape,
                                                                       const CoordinateAttributes& attributes,
                                                                       const WriterOptions& options = {});

}  // namespace bioptimus::writers

#endif  // BIOPTIMUS_WRITERS_PREDICTION_WRITER_HPP
