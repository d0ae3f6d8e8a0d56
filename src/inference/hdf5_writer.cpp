// The HDF5 feature writer (HDF5's C API): TRIDENT's layout, streamed into
// chunked datasets that grow by one hyperslab per batch.
#include <hdf5.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "feature_writers.hpp"
#include "hdf5_handle.hpp"
#include "partial_file.hpp"
#include "quiet_hdf5_errors.hpp"

namespace bioptimus::inference::detail {
namespace {

static_assert(sizeof(Coordinate) == 2 * sizeof(std::int64_t), "coords rows are written straight from Coordinate");

// Bytes per chunk of `features`: large enough for few index entries, small
// enough that HDF5's default 1 MiB chunk cache holds a chunk being filled.
constexpr std::size_t feature_chunk_bytes = 256 * 1024;
constexpr hsize_t max_feature_chunk_rows = 1024;
constexpr hsize_t coords_chunk_rows = 4096;

using Handle = bioptimus::detail::Hdf5Handle;

class Hdf5Writer final : public RowWriter {
 public:
  Hdf5Writer(const std::filesystem::path& path, const models::ModelSpec& spec, const CoordinateAttributes& attributes)
      : RowWriter(path, spec), partial_(path) {
    const bioptimus::detail::QuietHdf5Errors quiet;
    try {
      open(spec, attributes);
    } catch (...) {
      close();  // while HDF5 is still quiet
      throw;
    }
  }
  Hdf5Writer(const Hdf5Writer&) = delete;
  Hdf5Writer& operator=(const Hdf5Writer&) = delete;
  ~Hdf5Writer() override {
    const bioptimus::detail::QuietHdf5Errors quiet;
    close();
  }

 private:
  void append(std::span<const float> features, std::span<const Coordinate> coordinates) override {
    if (coordinates.empty()) {
      return;
    }
    const bioptimus::detail::QuietHdf5Errors quiet;
    const auto count = static_cast<hsize_t>(coordinates.size());
    extend(features_, H5T_NATIVE_FLOAT, features.data(), count);
    extend(coords_, H5T_NATIVE_INT64, coordinates.data(), count);
  }

  void finish() override {
    const bioptimus::detail::QuietHdf5Errors quiet;
    if (!close()) {
      fail("cannot finish the file (is the disk full?)");
    }
    partial_.commit();
  }

  void open(const models::ModelSpec& spec, const CoordinateAttributes& attributes) {
    file_ = check(Handle{H5Fcreate(partial_.path().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose},
                  "cannot create the temporary file " + partial_.path().filename().string());

    std::vector<hsize_t> feature_dims{0};
    for (const std::int64_t extent : row_shape()) {
      feature_dims.push_back(static_cast<hsize_t>(extent));
    }
    const hsize_t feature_rows =
        std::clamp<hsize_t>(feature_chunk_bytes / (row_size() * sizeof(float)), 1, max_feature_chunk_rows);
    features_ = create_dataset("features", H5T_IEEE_F32LE, feature_dims, feature_rows);
    coords_ = create_dataset("coords", H5T_STD_I64LE, {0, 2}, coords_chunk_rows);

    // Where the file is: TRIDENT's `savetodir` on both datasets, CLAM's
    // `save_path` on `coords`, as their writers record it (no reader of
    // theirs needs it; scripts of their users may).
    const std::string directory = save_directory_of(target());
    const ModelRecord record = record_of(spec);
    write_string(features_, "name", attributes.name);
    write_string(features_, "model", record.identity);
    write_string(features_, "encoder", spec.model_name());  // TRIDENT's name for the model
    write_string(features_, "savetodir", directory);
    write_string(features_, "model_spec_yaml", record.spec_yaml);
    write_string(features_, "bioptimus_version", record.library);

    write_string(coords_, "name", attributes.name);
    for_each_coordinate_attribute(attributes,
                                  [this](const char* name, const auto& value) { write_value(coords_, name, value); });
    write_string(coords_, "save_path", directory);
    write_string(coords_, "savetodir", directory);
  }

  // Closes the datasets, then the file; false when HDF5 reports an error.
  bool close() noexcept {
    const bool features = features_.reset();
    const bool coords = coords_.reset();
    const bool file = file_.reset();
    return features && coords && file;
  }

  Handle check(Handle handle, const std::string& what) const {
    if (!handle.valid()) {
      fail(what);
    }
    return handle;
  }

  void check(herr_t status, const std::string& what) const {
    if (status < 0) {
      fail(what);
    }
  }

  Handle create_dataset(const char* name, hid_t type, const std::vector<hsize_t>& dims, hsize_t chunk_rows) const {
    std::vector<hsize_t> max_dims = dims;
    max_dims[0] = H5S_UNLIMITED;
    std::vector<hsize_t> chunk = dims;
    chunk[0] = chunk_rows;
    const auto rank = static_cast<int>(dims.size());
    const std::string what = std::string{"cannot create the dataset "} + name;
    const Handle space = check(Handle{H5Screate_simple(rank, dims.data(), max_dims.data()), H5Sclose}, what);
    const Handle properties = check(Handle{H5Pcreate(H5P_DATASET_CREATE), H5Pclose}, what);
    check(H5Pset_chunk(properties.get(), rank, chunk.data()), what);
    return check(
        Handle{H5Dcreate2(file_.get(), name, type, space.get(), H5P_DEFAULT, properties.get(), H5P_DEFAULT), H5Dclose},
        what);
  }

  // Grows `dataset` by `count` rows and writes them from `data`.
  void extend(const Handle& dataset, hid_t memory_type, const void* data, hsize_t count) const {
    const std::string what = "cannot append " + std::to_string(count) + " rows";
    std::vector<hsize_t> dims{static_cast<hsize_t>(rows()) + count};
    std::vector<hsize_t> start{static_cast<hsize_t>(rows())};
    std::vector<hsize_t> block{count};
    if (dataset.get() == features_.get()) {
      for (const std::int64_t extent : row_shape()) {
        dims.push_back(static_cast<hsize_t>(extent));
        start.push_back(0);
        block.push_back(static_cast<hsize_t>(extent));
      }
    } else {
      dims.push_back(2);
      start.push_back(0);
      block.push_back(2);
    }
    check(H5Dset_extent(dataset.get(), dims.data()), what);
    const Handle file_space = check(Handle{H5Dget_space(dataset.get()), H5Sclose}, what);
    check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, block.data(), nullptr), what);
    const Handle memory_space =
        check(Handle{H5Screate_simple(static_cast<int>(block.size()), block.data(), nullptr), H5Sclose}, what);
    check(H5Dwrite(dataset.get(), memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, data), what);
  }

  void write_attribute(const Handle& object, const char* name, hid_t file_type, hid_t memory_type, const Handle& space,
                       const void* value) const {
    const std::string what = std::string{"cannot write the attribute "} + name;
    const Handle attribute =
        check(Handle{H5Acreate2(object.get(), name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose}, what);
    check(H5Awrite(attribute.get(), memory_type, value), what);
  }

  void write_value(const Handle& object, const char* name, std::int64_t value) const {
    const Handle scalar = check(Handle{H5Screate(H5S_SCALAR), H5Sclose}, name);
    write_attribute(object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, scalar, &value);
  }

  void write_value(const Handle& object, const char* name, double value) const {
    const Handle scalar = check(Handle{H5Screate(H5S_SCALAR), H5Sclose}, name);
    write_attribute(object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, scalar, &value);
  }

  void write_value(const Handle& object, const char* name, std::array<std::int64_t, 2> values) const {
    const hsize_t two = 2;
    const Handle pair = check(Handle{H5Screate_simple(1, &two, nullptr), H5Sclose}, name);
    write_attribute(object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, pair, values.data());
  }

  void write_value(const Handle& object, const char* name, std::array<double, 2> values) const {
    const hsize_t two = 2;
    const Handle pair = check(Handle{H5Screate_simple(1, &two, nullptr), H5Sclose}, name);
    write_attribute(object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, pair, values.data());
  }

  void write_value(const Handle& object, const char* name, const std::string& value) const {
    write_string(object, name, value);
  }

  // A variable-length UTF-8 string: what h5py writes for a Python str, and reads back as one.
  void write_string(const Handle& object, const char* name, const std::string& value) const {
    const std::string what = std::string{"cannot write the attribute "} + name;
    const Handle type = check(Handle{H5Tcopy(H5T_C_S1), H5Tclose}, what);
    check(H5Tset_size(type.get(), H5T_VARIABLE), what);
    check(H5Tset_cset(type.get(), H5T_CSET_UTF8), what);
    const Handle scalar = check(Handle{H5Screate(H5S_SCALAR), H5Sclose}, what);
    const char* text = value.c_str();
    write_attribute(object, name, type.get(), type.get(), scalar, &text);
  }

  PartialFile partial_;
  // Closed by close(), before the partial file is removed.
  Handle file_;
  Handle features_;
  Handle coords_;
};

}  // namespace

std::unique_ptr<FeatureWriter> open_hdf5_writer(const std::filesystem::path& path, const models::ModelSpec& spec,
                                                const CoordinateAttributes& attributes) {
  return std::make_unique<Hdf5Writer>(path, spec, attributes);
}

}  // namespace bioptimus::inference::detail
