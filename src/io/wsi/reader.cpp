// The OpenSlide backend of SlideReader. Every OpenSlide failure becomes a
// SlideError naming the slide (and the region for a read); OpenSlide's
// handle is thread-safe, and nothing else changes after opening.
#include "bioptimus/io/wsi/reader.hpp"

#include <openslide.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/extraction/wsi/tiling.hpp"
#include "bioptimus/image/resize.hpp"
#include "input_file.hpp"

namespace bioptimus::io::wsi {
namespace {

struct OpenSlideCloser {
  void operator()(openslide_t* handle) const noexcept { openslide_close(handle); }
};
using OpenSlideHandle = std::unique_ptr<openslide_t, OpenSlideCloser>;

// A positive finite number spelled in full, else nothing. OpenSlide writes
// numbers in the C locale, so from_chars reads them exactly.
std::optional<double> parse_positive(std::string_view text) {
  double value = 0.0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc{} || stop != end || !std::isfinite(value) || value <= 0.0) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc{} || stop != end) {
    return std::nullopt;
  }
  return value;
}

std::optional<double> number_at(const std::map<std::string, std::string>& all, const std::string& key) {
  const auto found = all.find(key);
  return found == all.end() ? std::nullopt : parse_positive(found->second);
}

// Level-0 MPP in the documented order: OpenSlide's own keys, vendor keys
// OpenSlide 3.4 does not always turn into openslide.mpp-*, then the TIFF
// resolution tags (which OpenSlide 3.4 leaves alone for generic TIFFs).
// When none gives a usable MPP, `unusable` describes the first property the
// slide has that holds none (a negative, zero, tiny or infinite value).
std::optional<SlideMpp> find_mpp(const std::map<std::string, std::string>& all, std::optional<std::string>& unusable) {
  const auto note = [&](const std::string& key) {
    const auto found = all.find(key);
    if (found != all.end() && !unusable) {
      unusable = key + " is " + detail::quote(found->second);
    }
  };
  const auto usable = [&](const std::string& key, double scale) -> std::optional<MPP> {
    const auto value = number_at(all, key);
    if (!value || !MPP::is_valid(*value * scale)) {
      note(key);
      return std::nullopt;
    }
    return MPP{*value * scale};
  };
  const auto pair = [&](const std::string& key_x, const std::string& key_y, double scale) -> std::optional<SlideMpp> {
    if (!all.contains(key_x) && !all.contains(key_y)) {
      return std::nullopt;
    }
    const auto x = usable(key_x, scale);
    const auto y = usable(key_y, scale);
    if (!x || !y) {
      return std::nullopt;
    }
    return SlideMpp{.x = *x, .y = *y, .source = key_x + "/" + key_y};
  };
  if (auto mpp = pair("openslide.mpp-x", "openslide.mpp-y", 1.0)) {
    return mpp;
  }
  if (all.contains("aperio.MPP")) {
    if (const auto aperio = usable("aperio.MPP", 1.0)) {
      return SlideMpp{.x = *aperio, .y = *aperio, .source = "aperio.MPP"};
    }
  }
  if (auto mpp = pair("mirax.LAYER_0_LEVEL_0_SECTION.MICROMETER_PER_PIXEL_X",
                      "mirax.LAYER_0_LEVEL_0_SECTION.MICROMETER_PER_PIXEL_Y", 1.0)) {
    return mpp;
  }
  // The tags hold pixels per unit; only absolute units give a size.
  const auto unit = all.find("tiff.ResolutionUnit");
  if (unit != all.end()) {
    const double microns_per_unit = unit->second == "centimeter" ? 1e4 : unit->second == "inch" ? 25400.0 : 0.0;
    const auto x = number_at(all, "tiff.XResolution");
    const auto y = number_at(all, "tiff.YResolution");
    if (microns_per_unit > 0.0 && x && y && MPP::is_valid(microns_per_unit / *x) &&
        MPP::is_valid(microns_per_unit / *y)) {
      return SlideMpp{.x = MPP{microns_per_unit / *x},
                      .y = MPP{microns_per_unit / *y},
                      .source = "tiff.XResolution/tiff.YResolution"};
    }
  }
  return std::nullopt;
}

std::optional<WSIBounds> find_bounds(const std::map<std::string, std::string>& all) {
  const auto get = [&](const char* key) -> std::optional<std::int64_t> {
    const auto found = all.find(key);
    return found == all.end() ? std::nullopt : parse_integer(found->second);
  };
  const auto x = get("openslide.bounds-x");
  const auto y = get("openslide.bounds-y");
  const auto width = get("openslide.bounds-width");
  const auto height = get("openslide.bounds-height");
  if (!x || !y || !width || !height) {
    return std::nullopt;
  }
  return WSIBounds{.x = *x, .y = *y, .width = *width, .height = *height};
}

std::string describe_region(std::int64_t level, std::int64_t x, std::int64_t y, WSIDims size) {
  return "region at level-0 (" + std::to_string(x) + ", " + std::to_string(y) + "), " + std::to_string(size.width) +
         " x " + std::to_string(size.height) + " px of level " + std::to_string(level);
}

// Largest region read in one call: OpenSlide takes int64 sizes but we hold
// the pixels in memory; 2^31 pixels (8 GiB of ARGB) is beyond any sane read.
constexpr std::int64_t max_region_pixels = std::int64_t{1} << 31;

}  // namespace

struct SlideReader::State {
  std::filesystem::path path;
  SlideOptions options;
  OpenSlideHandle handle;
  SlideProperties properties;
  SlideGeometry geometry{{.level_dimensions = {{1, 1}}, .level_downsamples = {1.0}}};
};

SlideReader::SlideReader(const std::filesystem::path& path, SlideOptions options) : state_(std::make_unique<State>()) {
  state_->path = path;
  state_->options = options;
  if (options.name && (options.name->empty() || options.name->find('/') != std::string::npos)) {
    throw SlideError(path, "the name \"" + *options.name + "\" is not a file name (empty, or with a '/')");
  }
  // Checked before OpenSlide opens it by name: a FIFO would block its open
  // forever (in Python, holding the GIL), a device would be read as a slide.
  try {
    (void)detail::InputFile::open(path, {.expected = "a slide file"});
  } catch (const detail::InputFileError& error) {
    throw SlideError(path, "cannot open slide: " + error.brief_reason());
  }
  const std::string file = path.string();
  if (openslide_detect_vendor(file.c_str()) == nullptr) {
    throw SlideError(path, "cannot open slide: not a format OpenSlide reads (unsupported or not a slide)");
  }
  state_->handle.reset(openslide_open(file.c_str()));
  if (!state_->handle) {
    throw SlideError(path, "cannot open slide: OpenSlide does not recognise it");
  }
  openslide_t* osr = state_->handle.get();
  if (const char* message = openslide_get_error(osr); message != nullptr) {
    throw SlideError(path, std::string("cannot open slide: ") + message);
  }

  SlideProperties& props = state_->properties;
  for (const char* const* name = openslide_get_property_names(osr); name != nullptr && *name != nullptr; ++name) {
    const char* value = openslide_get_property_value(osr, *name);
    props.all.emplace(*name, value != nullptr ? value : "");
  }
  for (const char* const* name = openslide_get_associated_image_names(osr); name != nullptr && *name != nullptr;
       ++name) {
    props.associated_images.emplace_back(*name);
  }
  const std::int32_t levels = openslide_get_level_count(osr);
  if (levels < 1) {
    const char* message = openslide_get_error(osr);
    throw SlideError(path, std::string("cannot open slide: ") + (message != nullptr ? message : "no levels"));
  }
  for (std::int32_t level = 0; level < levels; ++level) {
    std::int64_t width = 0;
    std::int64_t height = 0;
    openslide_get_level_dimensions(osr, level, &width, &height);
    props.level_dimensions.push_back({.width = width, .height = height});
    props.level_downsamples.push_back(openslide_get_level_downsample(osr, level));
  }
  props.mpp = find_mpp(props.all, props.unusable_mpp);
  if (props.mpp) {
    props.unusable_mpp.reset();
  }
  props.objective_power = number_at(props.all, "openslide.objective-power");
  if (const auto vendor = props.all.find("openslide.vendor"); vendor != props.all.end()) {
    props.vendor = vendor->second;
  }
  props.bounds = find_bounds(props.all);
  try {
    state_->geometry = SlideGeometry{{
        .mpp_x = props.mpp ? std::optional<MPP>(props.mpp->x) : std::nullopt,
        .mpp_y = props.mpp ? std::optional<MPP>(props.mpp->y) : std::nullopt,
        .level_dimensions = props.level_dimensions,
        .level_downsamples = props.level_downsamples,
        .bounds = props.bounds,
    }};
  } catch (const ValidationError& invalid) {
    throw SlideError(path, std::string("the slide's pyramid is not usable: ") + invalid.what());
  }
}

SlideReader::~SlideReader() = default;
SlideReader::SlideReader(SlideReader&&) noexcept = default;
SlideReader& SlideReader::operator=(SlideReader&&) noexcept = default;

const std::filesystem::path& SlideReader::path() const noexcept { return state_->path; }
std::string SlideReader::name() const {
  return state_->options.name ? *state_->options.name : state_->path.stem().string();
}
const SlideProperties& SlideReader::properties() const noexcept { return state_->properties; }
const SlideOptions& SlideReader::options() const noexcept { return state_->options; }

std::optional<MPP> SlideReader::mpp_x() const noexcept {
  if (state_->options.mpp_override) {
    return state_->options.mpp_override;
  }
  return state_->properties.mpp ? std::optional<MPP>(state_->properties.mpp->x) : std::nullopt;
}

std::optional<MPP> SlideReader::mpp_y() const noexcept {
  if (state_->options.mpp_override) {
    return state_->options.mpp_override;
  }
  return state_->properties.mpp ? std::optional<MPP>(state_->properties.mpp->y) : std::nullopt;
}

MPP SlideReader::require_mpp_x() const {
  if (const auto mpp = mpp_x()) {
    return *mpp;
  }
  if (const std::optional<std::string>& unusable = state_->properties.unusable_mpp) {
    throw SlideMppError(state_->path,
                        "the slide's MPP is unusable: " + *unusable + " (expected microns per pixel in [" +
                            detail::format_plain_number(MPP::min_value) + ", " +
                            detail::format_plain_number(MPP::max_value) + "]); give the right one as an MPP override");
  }
  throw SlideMppError(state_->path,
                      "the slide has no MPP (none of openslide.mpp-x/-y, aperio.MPP, mirax or TIFF resolution tags); "
                      "give one as an MPP override");
}

MPP SlideReader::require_mpp_y() const {
  (void)require_mpp_x();
  return *mpp_y();
}

SlideGeometry SlideReader::geometry() const { return state_->geometry; }
std::size_t SlideReader::level_count() const noexcept { return state_->properties.level_dimensions.size(); }

WSIDims SlideReader::level_dimensions(Level level, bool bounded) const {
  const auto index = static_cast<std::size_t>(level.index());
  if (index >= level_count()) {
    throw SlideError(state_->path, "no level " + std::to_string(level.index()) + " (the slide has " +
                                       std::to_string(level_count()) + ")");
  }
  if (bounded && state_->properties.bounds) {
    const double downsample = state_->properties.level_downsamples[index];
    const WSIBounds b = *state_->properties.bounds;
    return {.width = std::max<std::int64_t>(1, std::llround(static_cast<double>(b.width) / downsample)),
            .height = std::max<std::int64_t>(1, std::llround(static_cast<double>(b.height) / downsample))};
  }
  return state_->properties.level_dimensions[index];
}

double SlideReader::level_downsample(Level level) const {
  (void)level_dimensions(level);
  return state_->properties.level_downsamples[static_cast<std::size_t>(level.index())];
}

WSIDims SlideReader::dimensions(bool bounded) const { return level_dimensions(Level{0}, bounded); }

void SlideReader::read_level_into(Level level, std::int64_t x, std::int64_t y,
                                  const image::MutableImageView& destination) const {
  (void)level_dimensions(level);
  const WSIDims size{.width = destination.width, .height = destination.height};
  if (size.width < 1 || size.height < 1 || size.width > max_region_pixels / size.height) {
    throw SlideError(state_->path, "cannot read " + describe_region(level.index(), x, y, size) +
                                       ": expected a size of 1 to 2^31 pixels");
  }
  if (destination.format != image::PixelFormat::argb32_premultiplied || destination.stride_bytes != size.width * 4 ||
      destination.data == nullptr || reinterpret_cast<std::uintptr_t>(destination.data) % alignof(std::uint32_t) != 0) {
    throw SlideError(state_->path, "cannot read " + describe_region(level.index(), x, y, size) +
                                       ": expected an aligned argb32_premultiplied destination with packed rows");
  }
  openslide_read_region(state_->handle.get(), reinterpret_cast<std::uint32_t*>(destination.data), x, y, level.index(),
                        size.width, size.height);
  if (const char* message = openslide_get_error(state_->handle.get()); message != nullptr) {
    throw SlideError(state_->path, "cannot read " + describe_region(level.index(), x, y, size) + ": " + message);
  }
}

image::Image SlideReader::read_level(Level level, std::int64_t x, std::int64_t y, WSIDims size) const {
  (void)level_dimensions(level);
  if (size.width < 1 || size.height < 1 || size.width > max_region_pixels / size.height) {
    throw SlideError(state_->path, "cannot read " + describe_region(level.index(), x, y, size) +
                                       ": expected a size of 1 to 2^31 pixels");
  }
  image::Image argb(size.width, size.height, image::PixelFormat::argb32_premultiplied);
  read_level_into(level, x, y, argb.mutable_view());
  return image::to_rgb8(argb.view());
}

Region SlideReader::read_region(RegionLocation location, RegionSize size, const Resolution& resolution,
                                MeasurementUnit unit, bool bounded) const {
  const auto fail = [&](const std::string& message) -> SlideError {
    return SlideError(state_->path, "cannot read region at (" + detail::format_number(location.x) + ", " +
                                        detail::format_number(location.y) + "), " + detail::format_number(size.width) +
                                        " x " + detail::format_number(size.height) +
                                        (unit == MeasurementUnit::um ? " um" : " px") + " at " + describe(resolution) +
                                        ": " + message);
  };
  const bool physical = !std::holds_alternative<Level>(resolution);
  if (physical || unit == MeasurementUnit::um) {
    (void)require_mpp_x();  // says whether it is missing or unusable
  }
  // Target pixel size per axis, in level-0 pixels: what one output pixel covers.
  double scale_x = 1.0;
  double scale_y = 1.0;
  Level level{0};
  if (const Level* asked = std::get_if<Level>(&resolution)) {
    level = *asked;
    if (static_cast<std::size_t>(level.index()) >= level_count()) {
      throw fail("no such level (the slide has " + std::to_string(level_count()) + ")");
    }
    scale_x = scale_y = state_->properties.level_downsamples[static_cast<std::size_t>(level.index())];
  } else {
    const MPP target = *extraction::wsi::target_mpp_of(resolution);
    scale_x = target.value() / mpp_x()->value();
    scale_y = target.value() / mpp_y()->value();
    level = extraction::wsi::choose_level(state_->geometry, std::min(scale_x, scale_y));
  }
  // Microns become pixels: a location with level-0's MPP, a size with the target's.
  double x0 = location.x;
  double y0 = location.y;
  double width = size.width;
  double height = size.height;
  if (unit == MeasurementUnit::um) {
    x0 /= mpp_x()->value();
    y0 /= mpp_y()->value();
    width /= mpp_x()->value() * scale_x;
    height /= mpp_y()->value() * scale_y;
  }
  const auto whole = [](double value) -> std::int64_t { return std::llround(value); };
  const WSIDims out{.width = whole(width), .height = whole(height)};
  if (!std::isfinite(x0) || !std::isfinite(y0) || !std::isfinite(width) || !std::isfinite(height) || out.width < 1 ||
      out.height < 1 || std::abs(width - static_cast<double>(out.width)) > 1e-6 * width ||
      std::abs(height - static_cast<double>(out.height)) > 1e-6 * height) {
    throw fail("expected a finite location and a size of whole pixels >= 1");
  }
  std::int64_t x = whole(x0);
  std::int64_t y = whole(y0);
  if (bounded && state_->properties.bounds) {
    x += state_->properties.bounds->x;
    y += state_->properties.bounds->y;
  }
  const double level_downsample = state_->properties.level_downsamples[static_cast<std::size_t>(level.index())];
  const WSIDims footprint{.width = whole(static_cast<double>(out.width) * scale_x),
                          .height = whole(static_cast<double>(out.height) * scale_y)};
  const WSIDims level_size{
      .width = std::max<std::int64_t>(1, whole(static_cast<double>(footprint.width) / level_downsample)),
      .height = std::max<std::int64_t>(1, whole(static_cast<double>(footprint.height) / level_downsample))};
  RegionSpec spec{.x = x,
                  .y = y,
                  .size = out,
                  .resolution = resolution,
                  .level = level,
                  .level_size = level_size,
                  .footprint = footprint};
  image::Image pixels = read_level(level, x, y, level_size);
  if (level_size != out) {
    pixels = image::resize(pixels.view(), out.width, out.height);
  }
  return Region{.image = std::move(pixels), .spec = spec};
}

image::Image SlideReader::associated_image(const std::string& name) const {
  const auto& names = state_->properties.associated_images;
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    throw SlideError(state_->path, "no associated image \"" + name + "\"");
  }
  std::int64_t width = 0;
  std::int64_t height = 0;
  openslide_get_associated_image_dimensions(state_->handle.get(), name.c_str(), &width, &height);
  if (width < 1 || height < 1 || width > max_region_pixels / height) {
    throw SlideError(state_->path, "associated image \"" + name + "\" has an unusable size");
  }
  image::Image argb(width, height, image::PixelFormat::argb32_premultiplied);
  openslide_read_associated_image(state_->handle.get(), name.c_str(),
                                  reinterpret_cast<std::uint32_t*>(argb.bytes().data()));
  if (const char* message = openslide_get_error(state_->handle.get()); message != nullptr) {
    throw SlideError(state_->path, "cannot read associated image \"" + name + "\": " + message);
  }
  return image::to_rgb8(argb.view());
}

}  // namespace bioptimus::io::wsi
