// TileExtractor::to_hdf5: the coordinates file CLAM's and TRIDENT's feature
// extraction read (docs/tile-extraction.md lists every attribute).
#include <hdf5.h>

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bioptimus/error.hpp"
#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "detail/export_file.hpp"

namespace bioptimus::extraction::wsi {
namespace {

// An HDF5 identifier closed by the function that matches its kind.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) noexcept : id_(id), close_(close) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (id_ >= 0) {
      close_(id_);
    }
  }
  [[nodiscard]] hid_t get() const noexcept { return id_; }
  [[nodiscard]] bool valid() const noexcept { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

class Writer {
 public:
  explicit Writer(std::string file) : file_(std::move(file)) {}

  void check(bool ok, const std::string& what) const {
    if (!ok) {
      throw Error(file_ + ": HDF5 could not " + what);
    }
  }

  void attribute(hid_t object, const char* name, std::int64_t value) const {
    write_attribute(object, name, H5T_NATIVE_INT64, {}, &value);
  }
  void attribute(hid_t object, const char* name, double value) const {
    write_attribute(object, name, H5T_NATIVE_DOUBLE, {}, &value);
  }
  void attribute(hid_t object, const char* name, std::array<std::int64_t, 2> value) const {
    write_attribute(object, name, H5T_NATIVE_INT64, {2}, value.data());
  }
  void attribute(hid_t object, const char* name, std::array<double, 2> value) const {
    write_attribute(object, name, H5T_NATIVE_DOUBLE, {2}, value.data());
  }
  // A variable-length UTF-8 string, as h5py writes a Python str (read back as str).
  void attribute(hid_t object, const char* name, const std::string& value) const {
    const Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
    check(type.valid() && H5Tset_size(type.get(), H5T_VARIABLE) >= 0 && H5Tset_cset(type.get(), H5T_CSET_UTF8) >= 0,
          "make a string type");
    const char* text = value.c_str();
    write_attribute(object, name, type.get(), {}, &text);
  }

 private:
  void write_attribute(hid_t object, const char* name, hid_t type, std::vector<hsize_t> dims, const void* data) const {
    const Handle space(
        dims.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
        H5Sclose);
    check(space.valid(), std::string("make the space of attribute ") + name);
    const Handle attr(H5Acreate2(object, name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
    check(attr.valid() && H5Awrite(attr.get(), type, data) >= 0, std::string("write attribute ") + name);
  }

  std::string file_;
};

}  // namespace

std::filesystem::path TileExtractor::to_hdf5(const std::filesystem::path& directory) const {
  require_fitted("to_hdf5");
  const TilePlan& plan = *plan_;
  const std::filesystem::path target = directory / (slide_name_ + ".h5");
  detail::write_atomically(target, [&](const std::filesystem::path& temporary) {
    const Writer writer(target.string());
    // HDF5 would print its error stack on stderr; we report errors ourselves.
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const Handle file(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    writer.check(file.valid(), "create the file");

    const auto count = static_cast<hsize_t>(regions_.size());
    std::vector<std::int64_t> coords;
    std::vector<float> fractions;
    coords.reserve(regions_.size() * 2);
    fractions.reserve(regions_.size());
    for (const TileRegion& region : regions_) {
      coords.push_back(region.x);
      coords.push_back(region.y);
      fractions.push_back(static_cast<float>(region.tissue_fraction));
    }
    const std::array<hsize_t, 2> coords_dims{count, 2};
    const Handle coords_space(H5Screate_simple(2, coords_dims.data(), nullptr), H5Sclose);
    const Handle coords_set(
        H5Dcreate2(file.get(), "coords", H5T_STD_I64LE, coords_space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
        H5Dclose);
    writer.check(coords_space.valid() && coords_set.valid(), "create dataset coords");
    if (count > 0) {
      writer.check(H5Dwrite(coords_set.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, coords.data()) >= 0,
                   "write dataset coords");
    }
    const Handle fraction_space(H5Screate_simple(1, &count, nullptr), H5Sclose);
    const Handle fraction_set(H5Dcreate2(file.get(), "tissue_fraction", H5T_IEEE_F32LE, fraction_space.get(),
                                         H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                              H5Dclose);
    writer.check(fraction_space.valid() && fraction_set.valid(), "create dataset tissue_fraction");
    if (count > 0) {
      writer.check(H5Dwrite(fraction_set.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, fractions.data()) >= 0,
                   "write dataset tissue_fraction");
    }

    const hid_t set = coords_set.get();
    const auto level = static_cast<std::size_t>(plan.level().index());
    const io::wsi::WSIDims level_dims = facts_.level_dimensions[level];
    const io::wsi::WSIDims level0 = facts_.level_dimensions.front();
    const double downsample = facts_.level_downsamples[level];
    // CLAM: patch_size pixels are read at patch_level (its reader does
    // read_region(coord, patch_level, (patch_size, patch_size))).
    writer.attribute(set, "patch_size", plan.region_size().width);
    writer.attribute(set, "patch_level", std::int64_t{plan.level().index()});
    writer.attribute(set, "downsample", std::array<double, 2>{downsample, downsample});
    writer.attribute(set, "downsampled_level_dim", std::array<std::int64_t, 2>{level_dims.width, level_dims.height});
    writer.attribute(set, "level_dim", std::array<std::int64_t, 2>{level_dims.width, level_dims.height});
    writer.attribute(set, "name", slide_name_);
    // TRIDENT: the footprint in level-0 pixels and the magnifications.
    writer.attribute(set, "patch_size_level0", plan.footprint().width);
    const std::optional<io::wsi::MPP> target_mpp = plan.target_mpp_x();
    const std::optional<io::wsi::MPP> slide_mpp = facts_.mpp_x;
    if (facts_.objective_power || slide_mpp) {
      writer.attribute(set, "level0_magnification",
                       facts_.objective_power ? *facts_.objective_power : 10.0 / slide_mpp->value());
    }
    if (target_mpp) {
      writer.attribute(set, "target_magnification", 10.0 / target_mpp->value());
      writer.attribute(set, "target_mpp", target_mpp->value());
    }
    writer.attribute(set, "overlap", tile_spec_.overlap_pixels().width);
    writer.attribute(set, "level0_width", level0.width);
    writer.attribute(set, "level0_height", level0.height);
    // Ours: which model and which tiles.
    writer.attribute(set, "model", options_.model);
    writer.attribute(set, "tile_size", std::array<std::int64_t, 2>{plan.tile_size().width, plan.tile_size().height});
    writer.attribute(set, "tile_stride",
                     std::array<std::int64_t, 2>{tile_spec_.stride_pixels().width, tile_spec_.stride_pixels().height});
    writer.attribute(set, "tile_resolution", io::wsi::describe(tile_spec_.resolution()));
    writer.attribute(set, "region_size",
                     std::array<std::int64_t, 2>{plan.region_size().width, plan.region_size().height});
    writer.attribute(set, "footprint", std::array<std::int64_t, 2>{plan.footprint().width, plan.footprint().height});
    writer.attribute(set, "mask_threshold", options_.mask_threshold);
    return H5Fflush(file.get(), H5F_SCOPE_GLOBAL) >= 0;
  });
  return target;
}

}  // namespace bioptimus::extraction::wsi
