// TileExtractor::to_hdf5: the coordinates file CLAM's and TRIDENT's feature
// extraction read (docs/tile-extraction.md lists every attribute); and
// MegaTileExtractor::to_hdf5, the blocks (docs/megatiles.md). Both keep the
// slide's thumbnail and the tissue mask, as the prediction writers do.
#include <hdf5.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "bioptimus/error.hpp"
#include "bioptimus/extraction/wsi/megatile_extractor.hpp"
#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "detail/export_file.hpp"
#include "hdf5_file.hpp"
#include "hdf5_handle.hpp"
#include "hdf5_write.hpp"
#include "quiet_hdf5_errors.hpp"

namespace bioptimus::extraction::wsi {
namespace {

using Handle = bioptimus::detail::Hdf5Handle;

class Writer {
 public:
  explicit Writer(std::string file) : file_(std::move(file)) {}

  // Right after the HDF5 call that gave `ok`: its system error is still known.
  void check(bool ok, const std::string& what) const {
    if (!ok) {
      throw Error(file_ + ": HDF5 could not " + what + bioptimus::detail::hdf5_system_error());
    }
  }

  // An int64, a double, a pair of either, or a string (as h5py writes a Python str).
  template <class Value>
  void attribute(hid_t object, const char* name, const Value& value) const {
    bool written = false;
    if constexpr (std::is_same_v<Value, std::array<std::int64_t, 2>> || std::is_same_v<Value, std::array<double, 2>>) {
      written = bioptimus::detail::hdf5::write_attribute(object, name, std::span{value});
    } else {
      written = bioptimus::detail::hdf5::write_attribute(object, name, value);
    }
    check(written, std::string("write attribute ") + name);
  }

 private:
  std::string file_;
};

// Writes `values` as a dataset of `file_type` with dimensions `dims` (the
// first one the number of tiles or blocks, possibly 0), and returns it; it
// stays open until the file closes (hdf5_file.hpp).
template <class T>
hid_t write_dataset(const Writer& writer, bioptimus::detail::Hdf5File& file, const char* name, hid_t file_type,
                    hid_t memory_type, const std::vector<hsize_t>& dims, const std::vector<T>& values) {
  const Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  writer.check(space.valid(), std::string("create dataset ") + name);
  const hid_t set = file.keep(
      Handle(H5Dcreate2(file.get(), name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Dclose));
  writer.check(set >= 0, std::string("create dataset ") + name);
  if (!values.empty()) {
    writer.check(H5Dwrite(set, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0,
                 std::string("write dataset ") + name);
  }
  return set;
}

// The slide's thumbnail and tissue mask, as the prediction writers store
// them: uint8 datasets with their placement (`downsample` [x, y], `mpp`).
void write_pictures(const Writer& writer, bioptimus::detail::Hdf5File& file, const TileExtractor& extractor) {
  const auto write = [&](const char* name, const std::vector<std::int64_t>& shape, std::span<const std::uint8_t> pixels,
                         std::array<double, 2> downsample, std::optional<io::wsi::MPP> mpp) {
    const hid_t dataset = file.keep(bioptimus::detail::hdf5::write_image(file.get(), name, shape, pixels));
    writer.check(dataset >= 0, std::string("write dataset ") + name);
    writer.attribute(dataset, "downsample", downsample);
    if (mpp) {
      writer.attribute(dataset, "mpp", mpp->value());
    }
  };
  if (const std::optional<SlideThumbnail>& thumbnail = extractor.thumbnail()) {
    write("thumbnail", {thumbnail->rgb.height(), thumbnail->rgb.width(), 3}, thumbnail->rgb.bytes(),
          {thumbnail->downsample_x, thumbnail->downsample_y}, thumbnail->mpp);
  }
  if (const std::optional<TissueMask>& mask = extractor.mask()) {
    write("tissue_mask", {mask->height(), mask->width()}, mask->pixels(), extractor.mask_downsample(), mask->mpp());
  }
}

// Writes an HDF5 file to `target` (atomically): `body(writer, file)` fills it.
template <class Body>
void write_hdf5(const std::filesystem::path& target, Body&& body) {
  detail::write_atomically(target, [&](detail::OutputFile& output) {
    const bioptimus::detail::QuietHdf5Errors quiet;  // before the file: it closes while HDF5 is quiet
    const Writer writer(target.string());
    bioptimus::detail::Hdf5File file(output);
    writer.check(file.valid(), "create the file");
    try {
      body(writer, file);
    } catch (const Error&) {
      // A write that failed for the file (a full disk) is told as such, not
      // as the dataset that met it first.
      if (!file.failure().empty()) {
        throw Error(target.string() + ": HDF5 could not write the file" + file.failure());
      }
      throw;
    }
    if (!file.close()) {
      throw Error(target.string() + ": HDF5 could not write the file" + file.failure());
    }
  });
}

}  // namespace

std::filesystem::path TileExtractor::to_hdf5(const std::filesystem::path& directory, CoordinatesFileName naming) const {
  require_fitted("to_hdf5");
  const CoordinateAttributes attributes = coordinate_attributes();
  const std::filesystem::path target =
      directory / (slide_name_ + (naming == CoordinatesFileName::trident ? "_patches.h5" : ".h5"));
  detail::require_storable_name(slide_name_, target);
  write_hdf5(target, [&](const Writer& writer, bioptimus::detail::Hdf5File& h5) {
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
    const hid_t set = write_dataset(writer, h5, "coords", H5T_STD_I64LE, H5T_NATIVE_INT64, {count, 2}, coords);
    write_dataset(writer, h5, "tissue_fraction", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {count}, fractions);

    writer.attribute(set, "name", attributes.name);
    for_each_coordinate_attribute(attributes,
                                  [&](const char* name, const auto& value) { writer.attribute(set, name, value); });
    const std::string saved_in = save_directory_of(target);
    writer.attribute(set, "save_path", saved_in);  // CLAM's writer records it,
    writer.attribute(set, "savetodir", saved_in);  // and TRIDENT's
    writer.attribute(set, "model", options_.model);
    write_pictures(writer, h5, *this);
  });
  return target;
}

std::filesystem::path MegaTileExtractor::to_hdf5(const std::filesystem::path& directory) const {
  require_fitted("to_hdf5");
  const TilePlan& plan = tiles_.plan();
  const std::filesystem::path target = directory / (slide_name() + ".h5");
  detail::require_storable_name(slide_name(), target);
  write_hdf5(target, [&](const Writer& writer, bioptimus::detail::Hdf5File& h5) {
    const auto count = static_cast<hsize_t>(regions_.size());
    const auto rows = static_cast<hsize_t>(spec_.rows());
    const auto cols = static_cast<hsize_t>(spec_.cols());
    const std::size_t per_block = static_cast<std::size_t>(spec_.num_tiles());
    std::vector<std::int64_t> corners;
    std::vector<std::int64_t> sizes;
    std::vector<std::int64_t> grid_index;
    std::vector<std::int64_t> coords;
    std::vector<std::uint8_t> available;
    std::vector<float> fractions;
    std::vector<float> valid_ratio;
    std::vector<float> mean_fraction;
    corners.reserve(regions_.size() * 2);
    sizes.reserve(regions_.size() * 2);
    grid_index.reserve(regions_.size() * 2);
    coords.reserve(regions_.size() * per_block * 2);
    available.reserve(regions_.size() * per_block);
    fractions.reserve(regions_.size() * per_block);
    for (const MegaTileRegion& block : regions_) {
      corners.insert(corners.end(), {block.x, block.y});
      sizes.insert(sizes.end(), {block.width, block.height});
      grid_index.insert(grid_index.end(), {block.grid_row, block.grid_col});
      for (const TileRegion& tile : block.tiles) {
        coords.insert(coords.end(), {tile.x, tile.y});
        fractions.push_back(static_cast<float>(tile.tissue_fraction));
      }
      available.insert(available.end(), block.available.begin(), block.available.end());
      valid_ratio.push_back(static_cast<float>(block.valid_ratio));
      mean_fraction.push_back(static_cast<float>(block.mean_tissue_fraction));
    }
    write_dataset(writer, h5, "megatile_coords", H5T_STD_I64LE, H5T_NATIVE_INT64, {count, 2}, corners);
    write_dataset(writer, h5, "megatile_size", H5T_STD_I64LE, H5T_NATIVE_INT64, {count, 2}, sizes);
    write_dataset(writer, h5, "megatile_grid_index", H5T_STD_I64LE, H5T_NATIVE_INT64, {count, 2}, grid_index);
    write_dataset(writer, h5, "coords", H5T_STD_I64LE, H5T_NATIVE_INT64, {count, rows, cols, 2}, coords);
    write_dataset(writer, h5, "available", H5T_STD_U8LE, H5T_NATIVE_UINT8, {count, rows, cols}, available);
    write_dataset(writer, h5, "tissue_fraction", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {count, rows, cols}, fractions);
    write_dataset(writer, h5, "valid_ratio", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {count}, valid_ratio);
    write_dataset(writer, h5, "mean_tissue_fraction", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {count}, mean_fraction);

    // What the blocks are, on the file's root group.
    const TileGridShape stride = spec_.effective_stride();
    writer.attribute(h5.get(), "name", slide_name());
    writer.attribute(h5.get(), "model", options_.model);
    writer.attribute(h5.get(), "patch_level", std::int64_t{plan.level().index()});
    writer.attribute(h5.get(), "region_size",
                     std::array<std::int64_t, 2>{plan.region_size().width, plan.region_size().height});
    writer.attribute(h5.get(), "tile_size",
                     std::array<std::int64_t, 2>{plan.tile_size().width, plan.tile_size().height});
    writer.attribute(h5.get(), "footprint",
                     std::array<std::int64_t, 2>{plan.footprint().width, plan.footprint().height});
    writer.attribute(h5.get(), "tile_stride_level0",
                     std::array<std::int64_t, 2>{plan.stride().width, plan.stride().height});
    writer.attribute(h5.get(), "tile_resolution", io::wsi::describe(spec_.tile_spec().resolution()));
    if (const std::optional<io::wsi::MPP> target_mpp = plan.target_mpp_x()) {
      writer.attribute(h5.get(), "target_mpp", target_mpp->value());
    }
    writer.attribute(h5.get(), "grid_layout", std::string(to_string(spec_.grid_layout())));
    writer.attribute(h5.get(), "odd_row_shift", plan.odd_row_shift());
    writer.attribute(h5.get(), "megatile_shape", std::array<std::int64_t, 2>{spec_.rows(), spec_.cols()});
    writer.attribute(h5.get(), "megatile_stride", std::array<std::int64_t, 2>{stride.rows, stride.cols});
    writer.attribute(h5.get(), "min_valid_tiles_ratio", spec_.min_valid_tiles_ratio());
    if (const std::optional<double> max_ratio = spec_.max_valid_tiles_ratio()) {
      writer.attribute(h5.get(), "max_valid_tiles_ratio", *max_ratio);
    }
    writer.attribute(h5.get(), "mask_threshold", options_.mask_threshold);
    writer.attribute(h5.get(), "candidates", candidates_);
    write_pictures(writer, h5, tiles_);
  });
  return target;
}

}  // namespace bioptimus::extraction::wsi
