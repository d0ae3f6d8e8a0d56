// What the three formats share: the checks of every PredictionWriter call
// (WriterBase), the one list of attributes each array carries, and the
// factories of the concrete writers, each in its own file with its own
// dependency (hdf5_writer.cpp, npz_writer.cpp, zarr_writer.cpp).
#ifndef BIOPTIMUS_SRC_WRITERS_FORMAT_WRITERS_HPP
#define BIOPTIMUS_SRC_WRITERS_FORMAT_WRITERS_HPP

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bioptimus/writers/prediction_writer.hpp"

namespace bioptimus::writers::detail {

/// The arrays every format stores, by these names.
inline constexpr const char* features_array = "features";
inline constexpr const char* coords_array = "coords";
inline constexpr const char* thumbnail_array = "thumbnail";
inline constexpr const char* tissue_mask_array = "tissue_mask";

/// The model that made the rows, as every format records it.
struct ModelRecord {
  std::string identity;   ///< "name@version"
  std::string name;       ///< model_name, TRIDENT's `encoder`
  std::string spec_yaml;  ///< models::to_yaml(spec)
};

/// What open_prediction_writer() was given, checked.
struct WriterSetup {
  std::filesystem::path target;
  std::vector<std::int64_t> row_shape;
  std::optional<ModelRecord> model;
  CoordinateAttributes coordinates;
  WriterOptions options;
};

/// One attribute, as every format stores it (HDF5 attribute, Zarr .zattrs
/// entry, NPZ member).
struct Attribute {
  std::string name;
  MetadataValue value;
};

/// The attributes of `features`: slide name, model, its spec, the library.
[[nodiscard]] std::vector<Attribute> features_attributes(const WriterSetup& setup);
/// The attributes of `coords`: the slide name and CLAM's and TRIDENT's.
[[nodiscard]] std::vector<Attribute> coords_attributes(const WriterSetup& setup);

/// A thumbnail or tissue mask as set: its own copy of the pixels, its shape
/// and its attributes (`downsample`, and `mpp` when known).
struct StoredImage {
  std::vector<std::uint8_t> pixels;
  /// (height, width) or (height, width, 3).
  std::vector<std::int64_t> shape;
  std::vector<Attribute> attributes;
};

/// A PredictionWriter whose calls are checked once for every format: sizes,
/// calls after close(), the row count, image shapes and metadata keys. It
/// keeps the thumbnail, mask and metadata until close(); the format writes
/// the rows as they come and everything else in finish().
class WriterBase : public PredictionWriter {
 public:
  void write(std::span<const float> features, std::span<const Coordinate> coordinates) final;
  void set_thumbnail(const SlideImage& rgb) final;
  void set_tissue_mask(const SlideImage& mask) final;
  void set_metadata(const Metadata& metadata) final;
  void close() final;
  [[nodiscard]] const std::filesystem::path& path() const noexcept final { return setup_.target; }
  [[nodiscard]] std::size_t row_size() const noexcept final { return row_size_; }
  [[nodiscard]] std::int64_t rows() const noexcept final { return rows_; }

 protected:
  explicit WriterBase(WriterSetup setup);

  [[nodiscard]] const WriterSetup& setup() const noexcept { return setup_; }
  /// The shape of one row.
  [[nodiscard]] const std::vector<std::int64_t>& row_shape() const noexcept { return setup_.row_shape; }
  [[nodiscard]] const std::optional<StoredImage>& thumbnail() const noexcept { return thumbnail_; }
  [[nodiscard]] const std::optional<StoredImage>& tissue_mask() const noexcept { return tissue_mask_; }
  /// set_metadata()'s attributes, for the root of the output.
  [[nodiscard]] const std::vector<Attribute>& metadata() const noexcept { return metadata_; }
  /// @throws WriterError naming the target.
  [[noreturn]] void fail(const std::string& what) const;

 private:
  /// Stores rows() .. rows() + coordinates.size() (the sizes are checked).
  virtual void append(std::span<const float> features, std::span<const Coordinate> coordinates) = 0;
  /// Finishes the output and renames it onto the target.
  virtual void finish() = 0;

  void require_open(const char* call) const;
  [[nodiscard]] StoredImage store(const SlideImage& image, std::int64_t channels, const char* call) const;

  WriterSetup setup_;
  std::size_t row_size_ = 1;
  std::int64_t rows_ = 0;
  bool closed_ = false;
  bool broken_ = false;
  std::optional<StoredImage> thumbnail_;
  std::optional<StoredImage> tissue_mask_;
  std::vector<Attribute> metadata_;
  /// Names a metadata key must not take: the arrays, and the attributes
  /// the writer records itself (NPZ keeps them all side by side).
  std::vector<std::string> reserved_;
};

[[nodiscard]] std::unique_ptr<PredictionWriter> open_hdf5_writer(WriterSetup setup);
[[nodiscard]] std::unique_ptr<PredictionWriter> open_npz_writer(WriterSetup setup);
[[nodiscard]] std::unique_ptr<PredictionWriter> open_zarr_writer(WriterSetup setup);

}  // namespace bioptimus::writers::detail

#endif  // BIOPTIMUS_SRC_WRITERS_FORMAT_WRITERS_HPP
