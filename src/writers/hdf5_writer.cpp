// The HDF5 writer (HDF5's C API): TRIDENT's layout, streamed into chunked
// datasets that grow by one hyperslab per batch; the thumbnail and the mask
// as deflated uint8 datasets, the metadata as attributes of the root group.
// HDF5 writes into an OutputFile through Hdf5File's driver (hdf5_file.hpp),
// so that a failed write leaves nothing of the file open in HDF5.
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
#include "hdf5_file.hpp"
#include "hdf5_handle.hpp"
#include "hdf5_write.hpp"
#include "output_file.hpp"
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
  explicit Hdf5Writer(WriterSetup setup) : WriterBase(std::move(setup)), output_(path()), file_(output_) {
    const bioptimus::detail::QuietHdf5Errors quiet;
    try {
      open();
    } catch (...) {
      (void)file_.close();  // while HDF5 is still quiet
      throw;
    }
  }
  Hdf5Writer(const Hdf5Writer&) = delete;
  Hdf5Writer& operator=(const Hdf5Writer&) = delete;
  ~Hdf5Writer() override {
    const bioptimus::detail::QuietHdf5Errors quiet;
    (void)file_.close();
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
        const hid_t dataset =
            file_.keep(check(bioptimus::detail::hdf5::write_image(file_.get(), name, (*image)->shape, (*image)->pixels),
                             std::string{"cannot write the dataset "} + name));
        write_attributes(dataset, (*image)->attributes);
      }
    }
    write_attributes(file_.get(), metadata());
    if (!file_.close()) {
      fail("cannot finish the file" + file_.failure());
    }
    output_.commit();
  }

  void open() {
    if (!file_.valid()) {
      fail("cannot create the temporary file " + output_.path().filename().string() +
           bioptimus::detail::hdf5_system_error());
    }
    std::vector<hsize_t> feature_dims{0};
    for (const std::int64_t extent : row_shape()) {
      feature_dims.push_back(static_cast<hsize_t>(extent));
    }
    const hsize_t feature_rows =
        std::clamp<hsize_t>(feature_chunk_bytes / (row_size() * sizeof(float)), 1, max_feature_chunk_rows);
    features_ = create_dataset(features_array, H5T_IEEE_F32LE, feature_dims, feature_rows);
    coords_ = create_dataset(coords_array, H5T_STD_I64LE, {0, 2}, coords_chunk_rows);
  }

  // Right after the HDF5 call that gave `handle` or `status`: its system
  // error is still known.
  Handle check(Handle handle, const std::string& what) const {
    if (!handle.valid()) {
      fail(what + bioptimus::detail::hdf5_system_error());
    }
    return handle;
  }

  void check(herr_t status, const std::string& what) const {
    if (status < 0) {
      fail(what + bioptimus::detail::hdf5_system_error());
    }
  }

  void write_attributes(hid_t object, const std::vector<Attribute>& attributes) const {
    for (const Attribute& attribute : attributes) {
      if (!write_attribute(object, attribute)) {
        fail("cannot write the attribute " + attribute.name + " (HDF5 keeps an attribute under 64 KiB)" +
             bioptimus::detail::hdf5_system_error());
      }
    }
  }

  // The dataset stays open in file_ until it closes (hdf5_file.hpp).
  hid_t create_dataset(const char* name, hid_t type, const std::vector<hsize_t>& dims, hsize_t chunk_rows) {
    std::vector<hsize_t> max_dims = dims;
    max_dims[0] = H5S_UNLIMITED;
    std::vector<hsize_t> chunk = dims;
    chunk[0] = chunk_rows;
    const auto rank = static_cast<int>(dims.size());
    const std::string what = std::string{"cannot create the dataset "} + name;
    const Handle space = check(Handle{H5Screate_simple(rank, dims.data(), max_dims.data()), H5Sclose}, what);
    const Handle properties = check(Handle{H5Pcreate(H5P_DATASET_CREATE), H5Pclose}, what);
    check(H5Pset_chunk(properties.get(), rank, chunk.data()), what);
    return file_.keep(check(
        Handle{H5Dcreate2(file_.get(), name, type, space.get(), H5P_DEFAULT, properties.get(), H5P_DEFAULT), H5Dclose},
        what));
  }

  // Grows `dataset` by `count` rows and writes them from `data`.
  void extend(hid_t dataset, hid_t memory_type, const void* data, hsize_t count) const {
    const std::string what = "cannot append " + std::to_string(count) + " rows";
    std::vector<hsize_t> dims{static_cast<hsize_t>(rows()) + count};
    std::vector<hsize_t> start{static_cast<hsize_t>(rows())};
    std::vector<hsize_t> block{count};
    if (dataset == features_) {
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
    check(H5Dset_extent(dataset, dims.data()), what);
    const Handle file_space = check(Handle{H5Dget_space(dataset), H5Sclose}, what);
    check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, block.data(), nullptr), what);
    const Handle memory_space =
        check(Handle{H5Screate_simple(static_cast<int>(block.size()), block.data(), nullptr), H5Sclose}, what);
    check(H5Dwrite(dataset, memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, data), what);
  }

  bioptimus::detail::OutputFile output_;
  // Closed before the output file is committed or removed.
  bioptimus::detail::Hdf5File file_;
  hid_t features_ = H5I_INVALID_HID;
  hid_t coords_ = H5I_INVALID_HID;
};

}  // namespace

std::unique_ptr<PredictionWriter> open_hdf5_writer(WriterSetup setup) {
  return std::make_unique<Hdf5Writer>(std::move(setup));
}

}  // namespace bioptimus::writers::detail
