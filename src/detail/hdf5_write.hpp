// Writing HDF5 attributes and small image datasets as h5py writes and reads
// them, for every layer that writes HDF5 (the tile exports, the prediction
// writers). Each returns false when HDF5 reports an error; the caller names
// the file in its own exception.
#ifndef BIOPTIMUS_SRC_DETAIL_HDF5_WRITE_HPP
#define BIOPTIMUS_SRC_DETAIL_HDF5_WRITE_HPP

#include <hdf5.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hdf5_handle.hpp"

namespace bioptimus::detail::hdf5 {

/// An attribute of `type` (HDF5's file and memory type at once: the native
/// little-endian types on our platforms) holding `data`: a scalar when
/// `dims` is empty, else an array of those dimensions.
inline bool write_attribute(hid_t object, const char* name, hid_t type, const std::vector<hsize_t>& dims,
                            const void* data) {
  const Hdf5Handle space(
      dims.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
      H5Sclose);
  if (!space.valid()) {
    return false;
  }
  const Hdf5Handle attribute(H5Acreate2(object, name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  return attribute.valid() && H5Awrite(attribute.get(), type, data) >= 0;
}

inline bool write_attribute(hid_t object, const char* name, std::int64_t value) {
  return write_attribute(object, name, H5T_NATIVE_INT64, {}, &value);
}

inline bool write_attribute(hid_t object, const char* name, double value) {
  return write_attribute(object, name, H5T_NATIVE_DOUBLE, {}, &value);
}

/// A 1-D array (h5py reads an ndarray).
inline bool write_attribute(hid_t object, const char* name, std::span<const std::int64_t> values) {
  return write_attribute(object, name, H5T_NATIVE_INT64, {values.size()}, values.data());
}

inline bool write_attribute(hid_t object, const char* name, std::span<const double> values) {
  return write_attribute(object, name, H5T_NATIVE_DOUBLE, {values.size()}, values.data());
}

/// A variable-length UTF-8 string: what h5py writes for a Python str, and reads back as one.
inline bool write_attribute(hid_t object, const char* name, const std::string& value) {
  const Hdf5Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  if (!type.valid() || H5Tset_size(type.get(), H5T_VARIABLE) < 0 || H5Tset_cset(type.get(), H5T_CSET_UTF8) < 0) {
    return false;
  }
  const char* text = value.c_str();
  return write_attribute(object, name, type.get(), {}, &text);
}

/// A uint8 dataset of `shape` ((height, width) or (height, width, channels))
/// from `pixels`, chunked in bands of rows and deflated: thumbnails and
/// masks shrink several times, and h5py reads deflate without plugins.
/// Invalid when HDF5 reports an error.
inline Hdf5Handle write_image(hid_t file, const char* name, const std::vector<std::int64_t>& shape,
                              std::span<const std::uint8_t> pixels) {
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  std::vector<hsize_t> chunk = dims;
  hsize_t row_bytes = 1;
  for (std::size_t i = 1; i < dims.size(); ++i) {
    row_bytes *= dims[i];
  }
  constexpr hsize_t chunk_bytes = hsize_t{1} << 20;
  chunk[0] = std::clamp<hsize_t>(chunk_bytes / row_bytes, 1, dims[0]);
  const Hdf5Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  const Hdf5Handle properties(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (!space.valid() || !properties.valid() ||
      H5Pset_chunk(properties.get(), static_cast<int>(chunk.size()), chunk.data()) < 0 ||
      H5Pset_deflate(properties.get(), 4) < 0) {
    return {};
  }
  Hdf5Handle dataset(H5Dcreate2(file, name, H5T_STD_U8LE, space.get(), H5P_DEFAULT, properties.get(), H5P_DEFAULT),
                     H5Dclose);
  if (!dataset.valid() || H5Dwrite(dataset.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, pixels.data()) < 0) {
    return {};
  }
  return dataset;
}

}  // namespace bioptimus::detail::hdf5

#endif  // BIOPTIMUS_SRC_DETAIL_HDF5_WRITE_HPP
