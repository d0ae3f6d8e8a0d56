// bioptimus/inference/feature_writer.hpp
//
// Streaming feature writers: tile embeddings and their level-0 coordinates,
// appended batch by batch, so the slide's full feature array never sits in
// memory. Two formats:
// - HDF5 in TRIDENT's layout: `features` float32 (N, D) and `coords` int64
//   (N, 2) as chunked, extendible datasets; CLAM's and TRIDENT's coordinate
//   attributes on `coords`; the model's identity, its spec (YAML) and the
//   library version on `features`.
// - NPZ (numpy.load): `features`, `coords` and the same metadata as 0-d or
//   1-d arrays.
//
//   auto writer = open_feature_writer(FeatureFormat::hdf5, "out/slide.h5", spec, attributes);
//   writer->write(embeddings, coordinates);   // once per batch
//   writer->commit();                         // only now does out/slide.h5 exist
//
// A writer writes to a hidden temporary file beside the target and renames it
// on commit(), so a crash or an error never leaves a file that looks
// complete; a writer destroyed without commit() removes its temporary file.
#ifndef BIOPTIMUS_INFERENCE_FEATURE_WRITER_HPP
#define BIOPTIMUS_INFERENCE_FEATURE_WRITER_HPP

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "bioptimus/error.hpp"
#include "bioptimus/extraction/wsi/coordinate_attributes.hpp"
#include "bioptimus/models/model_spec.hpp"

namespace bioptimus::inference {

/// Thrown when a feature file cannot be written; the message names the file.
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
/// its own tiling); the feature writers write them all.
using CoordinateAttributes = extraction::wsi::CoordinateAttributes;
using SizePair = extraction::wsi::SizePair;
using DownsamplePair = extraction::wsi::DownsamplePair;

/// On-disk formats.
enum class FeatureFormat {
  hdf5,  ///< `h5`: TRIDENT's feature layout (the default)
  npz,   ///< `npz`: numpy's archive of .npy arrays
};

/// The file extension of a format, without the dot: "h5" or "npz".
[[nodiscard]] constexpr std::string_view extension(FeatureFormat format) noexcept {
  return format == FeatureFormat::hdf5 ? "h5" : "npz";
}

/// Appends tile rows to one feature file. Not thread-safe.
class FeatureWriter {
 public:
  FeatureWriter() = default;
  FeatureWriter(const FeatureWriter&) = delete;
  FeatureWriter& operator=(const FeatureWriter&) = delete;
  /// Without commit(): removes the temporary file, leaving no output.
  virtual ~FeatureWriter() = default;

  /// Appends coordinates.size() rows; `features` holds row_size() floats
  /// per row (one tile's embedding, row-major).
  /// @throws WriterError when the sizes disagree or the write fails.
  virtual void write(std::span<const float> features, std::span<const Coordinate> coordinates) = 0;

  /// Finishes the file and renames it to its target path (replacing a file
  /// there). No writes after it.
  /// @throws WriterError when finishing or renaming fails.
  virtual void commit() = 0;

  /// Floats per row: the product of the spec's output_shape().
  [[nodiscard]] virtual std::size_t row_size() const noexcept = 0;
  /// Rows written so far.
  [[nodiscard]] virtual std::int64_t rows() const noexcept = 0;

 protected:
  FeatureWriter(FeatureWriter&&) = default;
  FeatureWriter& operator=(FeatureWriter&&) = default;
};

/// Opens a writer for `path` in `format`: its rows have the shape of
/// `spec.output_shape()` (N x embedding_dim for pooled outputs), and it
/// records `spec` (identity "name@version", the YAML form) and
/// `attributes`. The parent directory must exist.
/// @throws WriterError when the temporary file cannot be created.
[[nodiscard]] std::unique_ptr<FeatureWriter> open_feature_writer(FeatureFormat format,
                                                                 const std::filesystem::path& path,
                                                                 const models::ModelSpec& spec,
                                                                 const CoordinateAttributes& attributes);

}  // namespace bioptimus::inference

#endif  // BIOPTIMUS_INFERENCE_FEATURE_WRITER_HPP
