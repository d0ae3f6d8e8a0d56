// The HDF5 writer (HDF5's C API): TRIDENT's layout, streamed into chunked
// datasets that grow by one hyperslab per batch; the thumbnail and the mask
// as deflated uint8 datasets, the metadata as attributes of the root group.
#include <hdf5.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "format_writers.hpp"
#include "hdf5_handle.hpp"
#include "hdf5_write.hpp"
#include "partial_output.hpp"
#include "quiet_hdf5_errors.hpp"

namespace bioptimus::writers::detail {
namespace {

static_assert(sizeof(Coordinate) == 2 * sizeof(std::int64_t), "coords rows are written straight from Coordinate");

// Bytes per chunk of `features`: large enough for few index entries, small
// enough that HDF5's default 1 MiB chunk cache holds a chunk being filled.
constexpr std::size_t feature_chunk_bytes = 256 * 1024;
constexpr hsize_t max_feature_chunk_rows = 1024;
constexpr hsize_t coords_chunk_rows = 4096;

using Handle = bioptimus::detail::Hdf5Handle;

bool write_attribute(hid_t object, const Attribute& attribute) {
  return std::visit(
      [&](const auto& value) {
        namespace hdf5 = bioptimus::detail::hdf5;
        using Value = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<Value, std::vector<std::int64_t>> || std::is_same_v<Value, std::vector<double>>) {
          return hdf5::write_attribute(object, attribute.name.c_str(), std::span{value});
        } else {
          return hdf5::write_attribute(object, attribute.name.c_str(), value);
        }
      },
      attribute.value);
}

class Hdf5Writer final : public WriterBase {
 public:
  explicit Hdf5Writer(WriterSetup setup) : WriterBase(std::move(setup)), partial_(path(), PartialOutput::Kind::file) {
    const bioptimus::detail::QuietHdf5Errors quiet;
    try {
      open();
    } catch (...) {
      close_file();  // while HDF5 is still quiet
      throw;
    }
  }
  Hdf5Writer(const Hdf5Writer&) = delete;
  Hdf5Writer& operator=(const Hdf5Writer&) = delete;
  ~Hdf5Writer() override {
    const bioptimus::detail::QuietHdf5Errors quiet;
    close_file();
  }

 private:
  void append(std::span<const float> features, std::span<const Coordinate> coordinates) override {
    const bioptimus::detail::QuietHdf5Errors quiet;
    const auto count = static_cast<hsize_t>(coordinates.size());
    extend(features_, H5T_NATIVE_FLOAT, features.data(), count);
    extend(coords_, H5T_NATIVE_INT64, coordinates.data(), count);
  }

  void finish() override {
    const bioptimus::detail::QuietHdf5Errors quiet;
    write_attributes(features_, features_attributes(setup()));
    write_attributes(coords_, coords_attributes(setup()));
    for (const auto& [name, image] : {std::pair{thumbnail_array, &thumbnail()}, {tissue_mask_array, &tissue_mask()}}) {
      if (*image) {
        const Handle dataset =
            check(bioptimus::detail::hdf5::write_image(file_.get(), name, (*image)->shape, (*image)->pixels),
                  std::string{"cannot write the dataset "} + name);
        write_attributes(dataset, (*image)->attributes);
      }
    }
    write_attributes(file_, metadata());
    if (!close_file()) {
      fail("cannot finish the file (is the disk full?)");
    }
    partial_.publish();
  }

  void open() {
    // Our PartialOutput holds the file's lock; HDF5 must not take its own.
    const Handle access = check(Handle{H5Pcreate(H5P_FILE_ACCESS), H5Pclose}, "cannot set up HDF5");
    check(H5Pset_file_locking(access.get(), false, true), "cannot set up HDF5");
    file_ = check(Handle{H5Fcreate(partial_.path().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get()), H5Fclose},
                  "cannot create the temporary file " + partial_.path().filename().string());

    std::vector<hsize_t> feature_dims{0};
    for (const std::int64_t extent : row_shape()) {
      feature_dims.push_back(static_cast<hsize_t>(extent));
    }
    const hsize_t feature_rows =
        std::clamp<hsize_t>(feature_chunk_bytes / (row_size() * sizeof(float)), 1, max_feature_chunk_rows);
    features_ = create_dataset(features_array, H5T_IEEE_F32LE, feature_dims, feature_rows);
    coords_ = create_dataset(coords_array, H5T_STD_I64LE, {0, 2}, coords_chunk_rows);
  }

  // Closes the datasets, then the file; false when HDF5 reports an error.
  bool close_file() noexcept {
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

  void write_attributes(const Handle& object, const std::vector<Attribute>& attributes) const {
    for (const Attribute& attribute : attributes) {
      if (!write_attribute(object.get(), attribute)) {
        fail("cannot write the attribute " + attribute.name + " (HDF5 keeps an attribute under 64 KiB)");
      }
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

  PartialOutput partial_;
  // Closed by close_file(), before the partial file is removed.
  Handle file_;
  Handle features_;
  Handle coords_;
};

}  // namespace

std::unique_ptr<PredictionWriter> open_hdf5_writer(WriterSetup setup) {
  return std::make_unique<Hdf5Writer>(std::move(setup));
}

}  // namespace bioptimus::writers::detail
