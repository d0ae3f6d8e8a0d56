#include "bioptimus/writers/prediction_writer.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <type_traits>
#include <utility>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/models/registry.hpp"
#include "bioptimus/version.hpp"
#include "format_writers.hpp"

namespace bioptimus::writers {
namespace detail {
namespace {

// A side of a thumbnail or mask: the tissue mask's own limit (tissue_mask.cpp).
constexpr std::int64_t max_image_side = std::int64_t{1} << 16;

// The attributes images carry, prefixed by the image's name where formats
// keep them side by side (NPZ).
constexpr const char* image_attribute_names[] = {"downsample", "mpp"};

// Runs `action`; the library's own Error (the output files throw it)
// becomes the WriterError the interface promises.
template <class Action>
decltype(auto) as_writer_error(Action&& action) {
  try {
    return action();
  } catch (const WriterError&) {
    throw;
  } catch (const ValidationError&) {
    throw;
  } catch (const Error& error) {
    throw WriterError(error.what());
  }
}

// Why `value` cannot be stored in every format, or nothing.
std::optional<std::string> unstorable(const MetadataValue& value) {
  return std::visit(
      [](const auto& held) -> std::optional<std::string> {
        using Held = std::decay_t<decltype(held)>;
        if constexpr (std::is_same_v<Held, double>) {
          if (!bioptimus::detail::is_finite(held)) {
            return "expected a finite number, got " + bioptimus::detail::format_number(held);
          }
        } else if constexpr (std::is_same_v<Held, std::vector<double>>) {
          for (const double element : held) {
            if (!bioptimus::detail::is_finite(element)) {
              return "expected finite numbers, got " + bioptimus::detail::format_number(element);
            }
          }
        } else if constexpr (std::is_same_v<Held, std::string>) {
          if (!bioptimus::detail::is_valid_utf8(held) || held.find('\0') != std::string::npos) {
            return std::string{"expected UTF-8 text without NUL bytes"};
          }
        }
        return std::nullopt;
      },
      value);
}

}  // namespace

std::vector<Attribute> features_attributes(const WriterSetup& setup) {
  std::vector<Attribute> attributes{{"name", setup.coordinates.name}};
  if (setup.model) {
    attributes.push_back({"model", setup.model->identity});
    attributes.push_back({"encoder", setup.model->name});  // TRIDENT's name for the model
    attributes.push_back({"model_spec_yaml", setup.model->spec_yaml});
    if (setup.options.precision) {
      attributes.push_back({"precision", std::string{models::to_string(*setup.options.precision)}});
    }
  }
  // Where the file is, as TRIDENT's writer records it (no reader of theirs needs it; users' scripts may).
  attributes.push_back({"savetodir", extraction::wsi::save_directory_of(setup.target)});
  attributes.push_back({"bioptimus_version", "bioptimus-cpp " + std::string{bioptimus::version}});
  return attributes;
}

std::vector<Attribute> coords_attributes(const WriterSetup& setup) {
  std::vector<Attribute> attributes{{"name", setup.coordinates.name}};
  extraction::wsi::for_each_coordinate_attribute(setup.coordinates, [&](const char* name, const auto& value) {
    using Value = std::decay_t<decltype(value)>;
    if constexpr (std::is_same_v<Value, std::array<double, 2>> || std::is_same_v<Value, std::array<std::int64_t, 2>>) {
      attributes.push_back({name, std::vector<typename Value::value_type>(value.begin(), value.end())});
    } else {
      attributes.push_back({name, value});
    }
  });
  // Where the file is, as CLAM's (save_path) and TRIDENT's (savetodir) writers record it.
  const std::string directory = extraction::wsi::save_directory_of(setup.target);
  attributes.push_back({"save_path", directory});
  attributes.push_back({"savetodir", directory});
  return attributes;
}

WriterBase::WriterBase(WriterSetup setup) : setup_(std::move(setup)) {
  for (const std::int64_t extent : setup_.row_shape) {
    row_size_ *= static_cast<std::size_t>(extent);
  }
  reserved_ = {features_array, coords_array, thumbnail_array, tissue_mask_array};
  for (const auto& list : {features_attributes(setup_), coords_attributes(setup_)}) {
    for (const Attribute& attribute : list) {
      if (const std::optional<std::string> problem = unstorable(attribute.value)) {
        fail("attribute " + attribute.name + ": " + *problem);
      }
      reserved_.push_back(attribute.name);
    }
  }
  for (const char* image : {thumbnail_array, tissue_mask_array}) {
    for (const char* attribute : image_attribute_names) {
      reserved_.push_back(std::string{image} + "_" + attribute);
    }
  }
}

void WriterBase::require_open(const char* call) const {
  if (closed_) {
    fail(std::string{call} + " after close()");
  }
  if (broken_) {
    fail(std::string{call} + " after a failed write or close(): the output is abandoned");
  }
}

void WriterBase::write(std::span<const float> features, std::span<const Coordinate> coordinates) {
  require_open("write()");
  if (features.size() != coordinates.size() * row_size_) {
    fail(std::to_string(coordinates.size()) + " coordinates need " + std::to_string(coordinates.size() * row_size_) +
         " feature values, got " + std::to_string(features.size()));
  }
  if (coordinates.empty()) {
    return;
  }
  // A failure may leave the output half-extended: nothing more goes in.
  broken_ = true;
  as_writer_error([&] { append(features, coordinates); });
  broken_ = false;
  rows_ += static_cast<std::int64_t>(coordinates.size());
}

StoredImage WriterBase::store(const SlideImage& image, std::int64_t channels, const char* call) const {
  require_open(call);
  const std::string where = std::string{call} + ": ";
  if (image.width < 1 || image.height < 1 || image.width > max_image_side || image.height > max_image_side) {
    fail(where + "expected a width and height in [1, " + std::to_string(max_image_side) + "], got " +
         std::to_string(image.width) + " x " + std::to_string(image.height));
  }
  const auto expected = static_cast<std::size_t>(image.width * image.height * channels);
  if (image.pixels.size() != expected) {
    fail(where + std::to_string(image.width) + " x " + std::to_string(image.height) + " x " + std::to_string(channels) +
         " needs " + std::to_string(expected) + " bytes, got " + std::to_string(image.pixels.size()));
  }
  if (!bioptimus::detail::is_finite_positive(image.downsample.x) ||
      !bioptimus::detail::is_finite_positive(image.downsample.y)) {
    fail(where + "downsample: expected finite numbers > 0, got " +
         bioptimus::detail::format_number(image.downsample.x) + ", " +
         bioptimus::detail::format_number(image.downsample.y));
  }
  if (image.mpp && !bioptimus::detail::is_finite_positive(*image.mpp)) {
    fail(where + "mpp: expected a finite number > 0, got " + bioptimus::detail::format_number(*image.mpp));
  }
  StoredImage stored{.pixels = {image.pixels.begin(), image.pixels.end()},
                     .shape = {image.height, image.width},
                     .attributes = {{"downsample", std::vector<double>{image.downsample.x, image.downsample.y}}}};
  if (channels > 1) {
    stored.shape.push_back(channels);
  }
  if (image.mpp) {
    stored.attributes.push_back({"mpp", *image.mpp});
  }
  return stored;
}

void WriterBase::set_thumbnail(const SlideImage& rgb) { thumbnail_ = store(rgb, 3, "set_thumbnail()"); }

void WriterBase::set_tissue_mask(const SlideImage& mask) { tissue_mask_ = store(mask, 1, "set_tissue_mask()"); }

void WriterBase::set_metadata(const Metadata& metadata) {
  require_open("set_metadata()");
  // Every entry is checked before any is kept: a refused call changes nothing.
  for (const auto& [key, value] : metadata) {
    const std::string where = "set_metadata(): key " + (bioptimus::detail::is_valid_utf8(key) ? key : "?") + ": ";
    if (key.empty() || !bioptimus::detail::is_valid_utf8(key) ||
        key.find_first_of(std::string{"/\0", 2}) != std::string::npos) {
      fail(where + "expected non-empty UTF-8 without '/' or NUL");
    }
    if (std::find(reserved_.begin(), reserved_.end(), key) != reserved_.end()) {
      fail(where + "names an array or an attribute the writer records itself");
    }
    if (const std::optional<std::string> problem = unstorable(value)) {
      fail(where + *problem);
    }
  }
  for (const auto& [key, value] : metadata) {
    const auto same = std::find_if(metadata_.begin(), metadata_.end(),
                                   [&key = key](const Attribute& attribute) { return attribute.name == key; });
    if (same != metadata_.end()) {
      same->value = value;
    } else {
      metadata_.push_back({key, value});
    }
  }
}

void WriterBase::close() {
  require_open("close()");
  const std::optional<std::int64_t> expected = setup_.options.num_tiles;
  if (expected && *expected != rows_) {
    fail(std::to_string(rows_) + " rows written where " + std::to_string(*expected) + " were announced (num_tiles)");
  }
  broken_ = true;
  as_writer_error([&] { finish(); });
  broken_ = false;
  closed_ = true;
}

void WriterBase::fail(const std::string& what) const { throw WriterError(setup_.target.string() + ": " + what); }

}  // namespace detail

namespace {

void check(const WriterOptions& options, const std::vector<std::int64_t>& row_shape) {
  std::vector<Violation> violations;
  if (options.num_tiles && *options.num_tiles < 0) {
    violations.push_back({"num_tiles", "expected a number >= 0, got " + std::to_string(*options.num_tiles)});
  }
  if (options.compression_level < 0 || options.compression_level > 9) {
    violations.push_back(
        {"compression_level", "expected a level in [0, 9], got " + std::to_string(options.compression_level)});
  }
  if (options.chunk_rows < 0) {
    violations.push_back(
        {"chunk_rows", "expected a number >= 0 (0 chooses), got " + std::to_string(options.chunk_rows)});
  }
  if (row_shape.empty()) {
    violations.push_back({"row_shape", "expected at least one extent (the embedding size)"});
  }
  for (std::size_t i = 0; i < row_shape.size(); ++i) {
    if (row_shape[i] < 1) {
      violations.push_back(
          {"row_shape[" + std::to_string(i) + "]", "expected an extent >= 1, got " + std::to_string(row_shape[i])});
    }
  }
  if (!violations.empty()) {
    bioptimus::detail::throw_validation_error("WriterOptions", std::move(violations));
  }
}

std::unique_ptr<PredictionWriter> open_writer(detail::WriterSetup setup) {
  check(setup.options, setup.row_shape);
  return detail::as_writer_error([&] {
    switch (setup.options.format) {
      case OutputFormat::zarr:
        return detail::open_zarr_writer(std::move(setup));
      case OutputFormat::npz:
        return detail::open_npz_writer(std::move(setup));
      case OutputFormat::hdf5:
        break;
    }
    return detail::open_hdf5_writer(std::move(setup));
  });
}

}  // namespace

std::unique_ptr<PredictionWriter> open_prediction_writer(const std::filesystem::path& path,
                                                         const models::ModelSpec& spec,
                                                         const CoordinateAttributes& attributes,
                                                         const WriterOptions& options) {
  return open_writer({.target = path,
                      .row_shape = spec.output_shape(),
                      .model = detail::ModelRecord{.identity = spec.identity(),
                                                   .name = spec.model_name(),
                                                   .spec_yaml = models::to_yaml(spec)},
                      .coordinates = attributes,
                      .options = options});
}

std::unique_ptr<PredictionWriter> open_prediction_writer(const std::filesystem::path& path,
                                                         std::vector<std::int64_t> row_shape,
                                                         const CoordinateAttributes& attributes,
                                                         const WriterOptions& options) {
  return open_writer({.target = path,
                      .row_shape = std::move(row_shape),
                      .model = std::nullopt,
                      .coordinates = attributes,
                      .options = options});
}

}  // namespace bioptimus::writers
