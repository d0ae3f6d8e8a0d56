// bioptimus/io/wsi/reader.hpp
//
// SlideReader: a whole-slide image opened with OpenSlide (target
// bioptimus::wsi). The header names no OpenSlide type: the backend lives in
// src/io/wsi/ behind a pointer, so a consumer compiles without OpenSlide's
// headers and another backend can slot in later.
//
//   using namespace bioptimus::io::wsi;
//   const SlideReader slide{"tumor_001.svs"};
//   slide.properties().mpp;           // level-0 MPP per axis and the key it came from
//   const SlideGeometry g = slide.geometry();  // what plan_tiles() takes
//   const Region region = slide.read_region({.x = 1000, .y = 2000}, {.width = 224, .height = 224}, MPP{0.5});
//
// Reads are safe from several threads at once (OpenSlide's handle is
// thread-safe; everything else is immutable after opening). The reader is
// movable, not copyable; a moved-from reader may only be destroyed or
// assigned to.
#ifndef BIOPTIMUS_IO_WSI_READER_HPP
#define BIOPTIMUS_IO_WSI_READER_HPP

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bioptimus/error.hpp"
#include "bioptimus/image/image.hpp"
#include "bioptimus/io/wsi/level.hpp"
#include "bioptimus/io/wsi/measurement_unit.hpp"
#include "bioptimus/io/wsi/mpp.hpp"
#include "bioptimus/io/wsi/resolution.hpp"
#include "bioptimus/io/wsi/slide.hpp"

namespace bioptimus::io::wsi {

/// A failure to open or read a slide. what() names the slide and, for a
/// read, the region; slide() gives the path alone.
class SlideError : public Error {
 public:
  SlideError(std::filesystem::path slide, const std::string& message)
      : Error(slide.string() + ": " + message), slide_(std::move(slide)) {}

  /// The slide the error is about.
  [[nodiscard]] const std::filesystem::path& slide() const noexcept { return slide_; }

 private:
  std::filesystem::path slide_;
};

/// A SlideError because the slide's MPP is missing, unusable or implausible:
/// what() says which and asks for an MPP override (SlideOptions::mpp_override;
/// the command line and Python name it their way).
class SlideMppError : public SlideError {
 public:
  using SlideError::SlideError;
};

/// A slide's level-0 pixel size and where it was found.
struct SlideMpp {
  MPP x;
  MPP y;
  /// The property that gave it: "openslide.mpp-x/openslide.mpp-y", a vendor
  /// key such as "aperio.MPP" or "hamamatsu.XResolution", or
  /// "tiff.XResolution/tiff.YResolution" (with tiff.ResolutionUnit).
  std::string source;
};

/// What OpenSlide reports about a slide, read once when it is opened.
struct SlideProperties {
  /// Every level's width and height, level 0 first.
  std::vector<WSIDims> level_dimensions;
  /// Every level's downsample relative to level 0 (level 0's is 1).
  std::vector<double> level_downsamples;
  /// Level-0 MPP: openslide.mpp-x/-y, else a vendor key, else the TIFF
  /// resolution tags (centimetre or inch units only); nothing when none of
  /// them holds a number in [MPP::min_value, MPP::max_value].
  std::optional<SlideMpp> mpp;
  /// When there is no `mpp`: the first of those properties that the slide
  /// has but that holds no usable MPP, as `aperio.MPP is "-1"`.
  std::optional<std::string> unusable_mpp;
  /// openslide.objective-power, when the slide says.
  std::optional<double> objective_power;
  /// openslide.vendor ("aperio", "generic-tiff", ...).
  std::string vendor;
  /// openslide.bounds-x/-y/-width/-height (the scanned area), when all four are given.
  std::optional<WSIBounds> bounds;
  /// Names of the associated images ("label", "macro", "thumbnail", ...).
  std::vector<std::string> associated_images;
  /// Every property as OpenSlide spells it.
  std::map<std::string, std::string> all;
};

/// Top-left corner of a region: level-0 pixels with MeasurementUnit::pixels,
/// microns from the origin with MeasurementUnit::um (SDK: RegionLocation).
struct RegionLocation {
  double x;
  double y;
};

/// Size of a region at its resolution: pixels with MeasurementUnit::pixels,
/// microns with MeasurementUnit::um (SDK: RegionShape without its unit).
struct RegionSize {
  double width;
  double height;
};

/// What read_region() read, in whole pixels (SDK: RegionSpec).
struct RegionSpec {
  /// Level-0 top-left corner, in the slide's own frame (bounds already added).
  std::int64_t x;
  std::int64_t y;
  /// The returned image's size.
  WSIDims size;
  /// The resolution asked for.
  Resolution resolution;
  /// The level the pixels came from.
  Level level;
  /// The region read at that level (differs from size when resized).
  WSIDims level_size;
  /// Level-0 pixels the region covers.
  WSIDims footprint;
};

/// An owning RGB image and what it shows (SDK: Region).
struct Region {
  image::Image image;
  RegionSpec spec;
};

/// How a slide is opened.
struct SlideOptions {
  /// Level-0 MPP to use when the slide has none (or a wrong one): both axes.
  std::optional<MPP> mpp_override = std::nullopt;
  /// The name outputs take instead of the file stem (a cohort manifest's
  /// slide_id: two slides called "1.svs" in different folders need two names).
  std::optional<std::string> name = std::nullopt;
};

/// An open whole-slide image. See the file comment.
class SlideReader {
 public:
  /// Opens `path` with OpenSlide.
  /// @throws SlideError when the file is missing, not a slide OpenSlide
  ///   reads, or broken; nothing stays open then.
  explicit SlideReader(const std::filesystem::path& path, SlideOptions options = {});
  ~SlideReader();
  SlideReader(SlideReader&&) noexcept;
  SlideReader& operator=(SlideReader&&) noexcept;
  SlideReader(const SlideReader&) = delete;
  SlideReader& operator=(const SlideReader&) = delete;

  /// The path as given.
  [[nodiscard]] const std::filesystem::path& path() const noexcept;
  /// SlideOptions::name when given, else the file name without its
  /// extension ("tumor_001"), as CLAM and the SDK name outputs.
  [[nodiscard]] std::string name() const;
  [[nodiscard]] const SlideProperties& properties() const noexcept;
  [[nodiscard]] const SlideOptions& options() const noexcept;

  /// The MPP operations use: the override when given, else the slide's own.
  [[nodiscard]] std::optional<MPP> mpp_x() const noexcept;
  [[nodiscard]] std::optional<MPP> mpp_y() const noexcept;
  /// Like mpp_x()/mpp_y() but required.
  /// @throws SlideMppError naming the slide, saying whether its MPP is
  ///   missing or unusable (and which property), and asking for an override.
  [[nodiscard]] MPP require_mpp_x() const;
  [[nodiscard]] MPP require_mpp_y() const;

  /// The geometry plan_tiles() takes: the slide's own MPP (not the override;
  /// pass that in TilingOptions), levels and bounds.
  [[nodiscard]] SlideGeometry geometry() const;

  [[nodiscard]] std::size_t level_count() const noexcept;
  /// A level's dimensions; with `bounded`, the bounds' size at that level
  /// (the whole level when the slide has no bounds).
  /// @throws SlideError when the level does not exist.
  [[nodiscard]] WSIDims level_dimensions(Level level, bool bounded = false) const;
  [[nodiscard]] double level_downsample(Level level) const;
  /// Level 0's dimensions (bounded: the bounds').
  [[nodiscard]] WSIDims dimensions(bool bounded = false) const;

  /// Reads a region (SDK read_region). `location` is the top-left corner in
  /// level-0 pixels (MeasurementUnit::um: microns), relative to the slide's
  /// origin, or to its bounds' corner with `bounded`. `size` is the output
  /// size at `resolution` (um: microns, converted with the resolution's MPP).
  /// - Level: that level, read as it is.
  /// - MPP / Magnification (10 / power mpp): the coarsest level within 1% of
  ///   the target, resized with the Pillow-exact bicubic resize when its
  ///   pixel size differs. Needs the slide's MPP (or an override).
  /// Pixels outside the slide come back white.
  /// @throws SlideError naming the slide and the region.
  [[nodiscard]] Region read_region(RegionLocation location, RegionSize size, const Resolution& resolution,
                                   MeasurementUnit unit = MeasurementUnit::pixels, bool bounded = false) const;

  /// Reads `size` pixels of `level` at level-0 (x, y), as RGB (transparent
  /// pixels composited on white). The primitive read_region() builds on.
  /// @throws SlideError naming the slide and the region.
  [[nodiscard]] image::Image read_level(Level level, std::int64_t x, std::int64_t y, WSIDims size) const;

  /// Reads `destination.width` x `destination.height` pixels of `level` at
  /// level-0 (x, y) into the caller's memory, as OpenSlide writes them
  /// (argb32_premultiplied, rows packed: stride = width * 4). Allocates
  /// nothing, for loops that reuse one buffer.
  /// @throws SlideError naming the slide and the region, also for a
  ///   destination of another format or stride.
  void read_level_into(Level level, std::int64_t x, std::int64_t y, const image::MutableImageView& destination) const;

  /// An associated image ("label", "macro", "thumbnail") as RGB.
  /// @throws SlideError when there is none of that name.
  [[nodiscard]] image::Image associated_image(const std::string& name) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace bioptimus::io::wsi

#endif  // BIOPTIMUS_IO_WSI_READER_HPP
