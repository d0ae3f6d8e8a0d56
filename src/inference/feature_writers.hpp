// The concrete writers, each in its own file with its own dependency, and
// what they share: the checks on write() and commit(); the list of
// coordinate attributes is bioptimus/extraction/wsi/coordinate_attributes.hpp's.
#ifndef BIOPTIMUS_SRC_INFERENCE_FEATURE_WRITERS_HPP
#define BIOPTIMUS_SRC_INFERENCE_FEATURE_WRITERS_HPP

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bioptimus/inference/feature_writer.hpp"

namespace bioptimus::inference::detail {

/// A FeatureWriter whose rows have the shape of a spec's output: it refuses
/// rows of another size and calls after commit(), and counts the rows; the
/// format writes them.
class RowWriter : public FeatureWriter {
 public:
  void write(std::span<const float> features, std::span<const Coordinate> coordinates) final;
  void commit() final;
  [[nodiscard]] std::size_t row_size() const noexcept final { return row_size_; }
  [[nodiscard]] std::int64_t rows() const noexcept final { return rows_; }

 protected:
  RowWriter(std::filesystem::path target, const models::ModelSpec& spec);

  /// The file this writer makes.
  [[nodiscard]] const std::filesystem::path& target() const noexcept { return target_; }
  /// The shape of one row: the spec's output_shape().
  [[nodiscard]] const std::vector<std::int64_t>& row_shape() const noexcept { return row_shape_; }
  /// @throws WriterError naming the target.
  [[noreturn]] void fail(const std::string& what) const;

 private:
  /// Stores rows() .. rows() + coordinates.size() (the sizes are checked).
  virtual void append(std::span<const float> features, std::span<const Coordinate> coordinates) = 0;
  /// Finishes the file and renames it onto the target.
  virtual void finish() = 0;

  std::filesystem::path target_;
  std::vector<std::int64_t> row_shape_;
  std::size_t row_size_ = 1;
  std::int64_t rows_ = 0;
  bool committed_ = false;
};

/// The attribute list every format writes (one list for the tile export too).
using extraction::wsi::for_each_coordinate_attribute;
using extraction::wsi::save_directory_of;

[[nodiscard]] std::unique_ptr<FeatureWriter> open_hdf5_writer(const std::filesystem::path& path,
                                                              const models::ModelSpec& spec,
                                                              const CoordinateAttributes& attributes);
[[nodiscard]] std::unique_ptr<FeatureWriter> open_npz_writer(const std::filesystem::path& path,
                                                             const models::ModelSpec& spec,
                                                             const CoordinateAttributes& attributes);

}  // namespace bioptimus::inference::detail

#endif  // BIOPTIMUS_SRC_INFERENCE_FEATURE_WRITERS_HPP
