// bioptimus/extraction/wsi/tiling.hpp
//
// From a TileSpec and a slide's geometry to the tiles of that slide: the
// pyramid level to read, the region to read there and the resize to the tile
// size, and the grid of tiles in level-0 coordinates. Pure functions over
// value types; the grid is enumerated lazily (tile(i), or a range), never
// materialised.
//
//   using namespace bioptimus::extraction::wsi;
//   const TilePlan plan = plan_tiles(model.tile_spec(), slide);
//   for (const Tile& tile : plan) {
//     // read plan.region_size() pixels of level plan.level() at level-0
//     // (tile.x, tile.y), then resize them to plan.tile_size()
//   }
//
// The rules (docs/slide-geometry.md has them with worked examples):
// - Target MPP: an MPP resolution is itself; a Magnification stands for
//   10 / power mpp (approximate_mpp: 20x = 0.5 mpp, whatever the scanner's
//   own "40x" is); a Level is that level of this slide (no MPP needed).
// - Slide MPP: the slide's level-0 mpp_x / mpp_y, which must lie in
//   [min_plausible_mpp, max_plausible_mpp] = [0.05, 20] um/px, unless
//   TilingOptions::mpp_override replaces both (trusted as given).
// - Target downsample per axis: target_mpp / slide_mpp_axis (x and y apart).
// - Level: the coarsest level whose downsample is <= (smaller axis target
//   downsample) * (1 + level_tolerance), default tolerance 0.01; level 0
//   when none is (the target is finer than the scan: upsampling).
// - Footprint and stride in level-0 pixels per axis: tile (or stride) pixels
//   * target downsample, rounded half up, computed by
//   TileSpec::scale_to_reference with level 0 as the reference.
// - Region at the chosen level: tile pixels * target downsample / level
//   downsample, rounded half up; it is resized to the tile size.
// - Grid: over the tissue bounds when the slide has them (and use_bounds),
//   else the whole slide; row-major; partial edge tiles dropped (default)
//   or kept at full size and padded (PartialTiles::pad).
// - Layout: GridLayout::hexagonal shifts odd rows right by half the stride
//   (rounded down), so they may hold one tile fewer (see TilePlan).
#ifndef BIOPTIMUS_EXTRACTION_WSI_TILING_HPP
#define BIOPTIMUS_EXTRACTION_WSI_TILING_HPP

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "bioptimus/extraction/wsi/grid_layout.hpp"
#include "bioptimus/extraction/wsi/tile_spec.hpp"
#include "bioptimus/io/wsi/level.hpp"
#include "bioptimus/io/wsi/magnification.hpp"
#include "bioptimus/io/wsi/mpp.hpp"
#include "bioptimus/io/wsi/resolution.hpp"
#include "bioptimus/io/wsi/slide.hpp"

namespace bioptimus::extraction::wsi {

/// What happens to the tiles at the right and bottom edges of the tiled area
/// that do not fit entirely inside it.
enum class PartialTiles {
  drop,  ///< only whole tiles: the last column/row that does not fit is left out
  pad,   ///< one more column/row when its tile starts inside the area: the tile
         ///< keeps its full footprint; pixels beyond the slide's edge are padding
         ///< (OpenSlide returns transparent zeros there); Tile::valid_width and
         ///< valid_height say how much of it lies inside the area
};

/// Every PartialTiles, in declaration order.
inline constexpr std::array all_partial_tiles{PartialTiles::drop, PartialTiles::pad};

/// The spelling: "drop" or "pad".
[[nodiscard]] constexpr std::string_view to_string(PartialTiles policy) noexcept {
  switch (policy) {
    case PartialTiles::drop:
      return "drop";
    case PartialTiles::pad:
      return "pad";
  }
  return "";
}

/// The policy spelled `text` (exact, case-sensitive), or nothing.
[[nodiscard]] constexpr std::optional<PartialTiles> parse_partial_tiles(std::string_view text) noexcept {
  return detail::parse_enum(text, all_partial_tiles);
}

/// Smallest level-0 MPP a slide may report without an override: 0.05 um/px
/// (a 200x objective; real scanners go down to about 0.1).
inline constexpr double min_plausible_mpp = 0.05;
/// Largest level-0 MPP a slide may report without an override: 20 um/px
/// (a 0.5x overview). Values outside [0.05, 20] are almost always a unit
/// mistake (cm or nm per pixel) or a placeholder.
inline constexpr double max_plausible_mpp = 20.0;
/// Default relative tolerance of the level choice: a level may be up to 1%
/// coarser than the target (a 1% upsample), as TRIDENT and slideflow allow.
inline constexpr double default_level_tolerance = 0.01;

/// Whether `mpp` lies in [min_plausible_mpp, max_plausible_mpp].
[[nodiscard]] constexpr bool is_plausible_slide_mpp(io::wsi::MPP mpp) noexcept {
  return mpp.value() >= min_plausible_mpp && mpp.value() <= max_plausible_mpp;
}

/// How plan_tiles() treats the slide. Every field has a default.
struct TilingOptions {
  /// Partial edge tiles: dropped (default) or padded.
  PartialTiles partial_tiles = PartialTiles::drop;
  /// Tile the slide's tissue bounds when it has them (default), else the whole slide.
  bool use_bounds = true;
  /// Level-0 MPP to use on both axes instead of the slide's own (which may be
  /// missing or implausible). Trusted as given: no plausibility check.
  std::optional<io::wsi::MPP> mpp_override = std::nullopt;
  /// Relative tolerance of the level choice, in [0, 1).
  double level_tolerance = default_level_tolerance;
  /// Rectangular rows (default), or odd rows shifted right by half the stride.
  GridLayout grid_layout = GridLayout::rectangular;
};

/// The physical pixel size of a Resolution that has one: an MPP is itself, a
/// Magnification stands for approximate_mpp() = 10 / power. A Level has none
/// without a slide: nothing.
[[nodiscard]] constexpr std::optional<io::wsi::MPP> target_mpp_of(const io::wsi::Resolution& resolution) {
  if (const auto* mpp = std::get_if<io::wsi::MPP>(&resolution)) {
    return *mpp;
  }
  if (const auto* power = std::get_if<io::wsi::Magnification>(&resolution)) {
    return io::wsi::approximate_mpp(*power);
  }
  return std::nullopt;
}

/// The coarsest level of `slide` whose downsample is at most
/// `target_downsample * (1 + tolerance)`: the fewest pixels to read without
/// upsampling by more than `tolerance`. Level 0 when no level qualifies (the
/// target is finer than the scan). The comparison carries a relative slack of
/// 1e-9 so that a boundary case that is exact in decimal (a 0.2525 mpp slide,
/// a 0.5 mpp target, a downsample-2 level: 2 = 1.980198... * 1.01) is inside.
[[nodiscard]] constexpr io::wsi::Level choose_level(const io::wsi::SlideGeometry& slide, double target_downsample,
                                                    double tolerance = default_level_tolerance) noexcept {
  const double limit = target_downsample * (1.0 + tolerance) * (1.0 + 1e-9);
  std::int32_t chosen = 0;
  const auto downsamples = slide.level_downsamples();
  for (std::size_t i = 0; i < downsamples.size(); ++i) {
    if (downsamples[i] <= limit) {
      chosen = static_cast<std::int32_t>(i);
    }
  }
  return io::wsi::Level{chosen};
}

/// One tile of a plan: where it is in level-0 pixels and where in the grid.
struct Tile {
  /// Row-major index in the plan: row * columns + column (in a hexagonal
  /// plan whose odd rows are shorter, the rows before it hold fewer tiles).
  std::int64_t index;
  /// Grid column (0 = leftmost).
  std::int64_t column;
  /// Grid row (0 = top).
  std::int64_t row;
  /// Level-0 x of the top-left corner (openslide_read_region's x).
  std::int64_t x;
  /// Level-0 y of the top-left corner.
  std::int64_t y;
  /// Footprint width in level-0 pixels (the same for every tile).
  std::int64_t width;
  /// Footprint height in level-0 pixels.
  std::int64_t height;
  /// Level-0 pixels of the width inside the tiled area (< width only for a
  /// padded partial tile).
  std::int64_t valid_width;
  /// Level-0 pixels of the height inside the tiled area.
  std::int64_t valid_height;

  /// Whether part of the tile lies outside the tiled area (PartialTiles::pad only).
  [[nodiscard]] constexpr bool is_partial() const noexcept { return valid_width < width || valid_height < height; }

  friend constexpr bool operator==(const Tile&, const Tile&) noexcept = default;
};

class TilePlan;

/// A random-access iterator over a TilePlan's tiles, yielding Tile values.
class TileIterator {
 public:
  using iterator_concept = std::random_access_iterator_tag;
  using iterator_category = std::input_iterator_tag;  // yields values, not references
  using value_type = Tile;
  using difference_type = std::int64_t;
  using reference = Tile;

  /// A singular iterator (compares equal only to itself).
  constexpr TileIterator() noexcept = default;
  /// The iterator at tile `index` of `plan`.
  constexpr TileIterator(const TilePlan* plan, std::int64_t index) noexcept : plan_(plan), index_(index) {}

  /// The tile at this position.
  [[nodiscard]] constexpr Tile operator*() const;
  /// The tile `offset` positions away.
  [[nodiscard]] constexpr Tile operator[](difference_type offset) const;

  /// Next tile.
  constexpr TileIterator& operator++() noexcept {
    ++index_;
    return *this;
  }
  /// Next tile (postfix).
  constexpr TileIterator operator++(int) noexcept {
    TileIterator previous = *this;
    ++index_;
    return previous;
  }
  /// Previous tile.
  constexpr TileIterator& operator--() noexcept {
    --index_;
    return *this;
  }
  /// Previous tile (postfix).
  constexpr TileIterator operator--(int) noexcept {
    TileIterator previous = *this;
    --index_;
    return previous;
  }
  /// Moves by `offset` tiles.
  constexpr TileIterator& operator+=(difference_type offset) noexcept {
    index_ += offset;
    return *this;
  }
  /// Moves back by `offset` tiles.
  constexpr TileIterator& operator-=(difference_type offset) noexcept {
    index_ -= offset;
    return *this;
  }
  /// The iterator `offset` tiles further.
  [[nodiscard]] friend constexpr TileIterator operator+(TileIterator it, difference_type offset) noexcept {
    return it += offset;
  }
  /// The iterator `offset` tiles further.
  [[nodiscard]] friend constexpr TileIterator operator+(difference_type offset, TileIterator it) noexcept {
    return it += offset;
  }
  /// The iterator `offset` tiles back.
  [[nodiscard]] friend constexpr TileIterator operator-(TileIterator it, difference_type offset) noexcept {
    return it -= offset;
  }
  /// Number of tiles between two iterators of one plan.
  [[nodiscard]] friend constexpr difference_type operator-(TileIterator a, TileIterator b) noexcept {
    return a.index_ - b.index_;
  }
  /// Same plan, same position.
  [[nodiscard]] friend constexpr bool operator==(TileIterator a, TileIterator b) noexcept {
    return a.plan_ == b.plan_ && a.index_ == b.index_;
  }
  /// Ordered by position (iterators of one plan).
  [[nodiscard]] friend constexpr std::strong_ordering operator<=>(TileIterator a, TileIterator b) noexcept {
    return a.index_ <=> b.index_;
  }

 private:
  const TilePlan* plan_ = nullptr;
  std::int64_t index_ = 0;
};

/// Everything needed to cut a slide into a model's tiles: the level to read,
/// the region to read there, the resize to the tile size, and the grid of
/// tiles in level-0 pixels. Built by plan_tiles(); immutable; a literal type.
/// Tiles are enumerated lazily: tile(i), tile_at(column, row), or iteration
/// (row-major). Nothing here depends on the pixels, so a plan can be made,
/// copied and split across threads before any slide is read.
class TilePlan {
 public:
  /// The pyramid level to read from.
  [[nodiscard]] constexpr io::wsi::Level level() const noexcept { return level_; }
  /// That level's downsample relative to level 0.
  [[nodiscard]] constexpr double level_downsample() const noexcept { return level_downsample_; }
  /// The tile's resolution as a downsample of level 0, per axis (width = x,
  /// height = y): target mpp / slide mpp, or a Level's downsample.
  [[nodiscard]] constexpr Extent target_downsample() const noexcept { return target_downsample_; }
  /// Level-0 MPP used along x (slide or override); nothing for a Level
  /// resolution on a slide without a usable MPP.
  [[nodiscard]] constexpr std::optional<io::wsi::MPP> slide_mpp_x() const noexcept { return slide_mpp_x_; }
  /// Level-0 MPP used along y.
  [[nodiscard]] constexpr std::optional<io::wsi::MPP> slide_mpp_y() const noexcept { return slide_mpp_y_; }
  /// Microns per pixel of the output tiles along x; nothing when unknown
  /// (no usable slide MPP, or beyond MPP's range at an extreme level).
  [[nodiscard]] constexpr std::optional<io::wsi::MPP> target_mpp_x() const noexcept { return target_mpp_x_; }
  /// Microns per pixel of the output tiles along y; nothing when unknown.
  [[nodiscard]] constexpr std::optional<io::wsi::MPP> target_mpp_y() const noexcept { return target_mpp_y_; }

  /// Size of one output tile (the model input), in target pixels.
  [[nodiscard]] constexpr PixelExtent tile_size() const noexcept { return tile_size_; }
  /// Size of the region to read per tile, in pixels of level().
  [[nodiscard]] constexpr PixelExtent region_size() const noexcept { return region_size_; }
  /// Whether the region must be resized to tile_size().
  [[nodiscard]] constexpr bool needs_resize() const noexcept { return region_size_ != tile_size_; }
  /// Whether the resize enlarges the region along some axis (the target is
  /// finer than the level read, by at most level_tolerance unless even level
  /// 0 is coarser than the target).
  [[nodiscard]] constexpr bool upsamples() const noexcept {
    return region_size_.width < tile_size_.width || region_size_.height < tile_size_.height;
  }
  /// Size of one tile in level-0 pixels.
  [[nodiscard]] constexpr PixelExtent footprint() const noexcept { return footprint_; }
  /// Step between neighbouring tiles in level-0 pixels.
  [[nodiscard]] constexpr PixelExtent stride() const noexcept { return stride_; }
  /// The tiled rectangle in level-0 pixels: the tissue bounds or the whole slide.
  [[nodiscard]] constexpr io::wsi::WSIBounds area() const noexcept { return area_; }
  /// The policy for partial edge tiles.
  [[nodiscard]] constexpr PartialTiles partial_tiles() const noexcept { return partial_tiles_; }

  /// The grid's layout.
  [[nodiscard]] constexpr GridLayout grid_layout() const noexcept { return grid_layout_; }
  /// Level-0 pixels by which odd rows are shifted right: stride().width / 2
  /// rounded down in a hexagonal plan, 0 in a rectangular one.
  [[nodiscard]] constexpr std::int64_t odd_row_shift() const noexcept { return odd_row_shift_; }
  /// Number of grid columns (of the even rows, the longest).
  [[nodiscard]] constexpr std::int64_t columns() const noexcept { return columns_; }
  /// Number of columns of `row`: columns(), or for an odd row of a hexagonal
  /// plan, the tiles that fit in the area narrowed by odd_row_shift().
  [[nodiscard]] constexpr std::int64_t columns_in_row(std::int64_t row) const noexcept {
    return row % 2 == 0 ? columns_ : odd_columns_;
  }
  /// Number of grid rows.
  [[nodiscard]] constexpr std::int64_t rows() const noexcept { return rows_; }
  /// Number of tiles: columns() * rows() in a rectangular plan (checked not
  /// to overflow when planned), the sum of columns_in_row() in a hexagonal one.
  [[nodiscard]] constexpr std::int64_t size() const noexcept {
    return rows_ / 2 * (columns_ + odd_columns_) + rows_ % 2 * columns_;
  }
  /// Whether the plan has no tile (an area smaller than one tile, dropped).
  [[nodiscard]] constexpr bool empty() const noexcept { return size() == 0; }

  /// Tile `index` in row-major order.
  /// @throws std::out_of_range unless 0 <= index < size().
  [[nodiscard]] constexpr Tile tile(std::int64_t index) const {
    if (index < 0 || index >= size()) {
      throw std::out_of_range("TilePlan::tile: index " + std::to_string(index) + " outside [0, " +
                              std::to_string(size()) + ")");
    }
    return tile_of_index(index);
  }
  /// The tile at grid position (column, row).
  /// @throws std::out_of_range outside the grid.
  [[nodiscard]] constexpr Tile tile_at(std::int64_t column, std::int64_t row) const {
    if (row < 0 || row >= rows_ || column < 0 || column >= columns_in_row(row)) {
      throw std::out_of_range("TilePlan::tile_at: (" + std::to_string(column) + ", " + std::to_string(row) +
                              ") outside " + std::to_string(columns_) + " x " + std::to_string(rows_) +
                              (odd_columns_ != columns_ ? " (" + std::to_string(odd_columns_) + " in odd rows)" : ""));
    }
    return make_tile(column, row);
  }
  /// The first tile (row-major).
  [[nodiscard]] constexpr TileIterator begin() const noexcept { return {this, 0}; }
  /// Past the last tile.
  [[nodiscard]] constexpr TileIterator end() const noexcept { return {this, size()}; }

  friend constexpr bool operator==(const TilePlan&, const TilePlan&) noexcept = default;

 private:
  friend class TileIterator;
  friend constexpr TilePlan plan_tiles(const TileSpec& spec, const io::wsi::SlideGeometry& slide,
                                       const TilingOptions& options);

  constexpr TilePlan() noexcept = default;

  // Unchecked: the caller guarantees 0 <= index < size(). Rows come in
  // pairs of columns_ + odd_columns_ tiles.
  [[nodiscard]] constexpr Tile tile_of_index(std::int64_t index) const noexcept {
    const std::int64_t pair = index / (columns_ + odd_columns_);
    const std::int64_t within = index % (columns_ + odd_columns_);
    return within < columns_ ? make_tile(within, 2 * pair) : make_tile(within - columns_, 2 * pair + 1);
  }

  // Unchecked: the caller guarantees 0 <= row < rows_, 0 <= column < columns_in_row(row).
  [[nodiscard]] constexpr Tile make_tile(std::int64_t column, std::int64_t row) const noexcept {
    // Every start lies inside the area (< 2^40 from its origin), so no
    // product or sum below can overflow.
    const std::int64_t x = area_.x + (row % 2 == 0 ? 0 : odd_row_shift_) + column * stride_.width;
    const std::int64_t y = area_.y + row * stride_.height;
    const std::int64_t right = area_.x + area_.width - x;
    const std::int64_t bottom = area_.y + area_.height - y;
    return {.index = row / 2 * (columns_ + odd_columns_) + row % 2 * columns_ + column,
            .column = column,
            .row = row,
            .x = x,
            .y = y,
            .width = footprint_.width,
            .height = footprint_.height,
            .valid_width = right < footprint_.width ? right : footprint_.width,
            .valid_height = bottom < footprint_.height ? bottom : footprint_.height};
  }

  io::wsi::Level level_{0};
  double level_downsample_ = 1.0;
  Extent target_downsample_{1.0};
  std::optional<io::wsi::MPP> slide_mpp_x_;
  std::optional<io::wsi::MPP> slide_mpp_y_;
  std::optional<io::wsi::MPP> target_mpp_x_;
  std::optional<io::wsi::MPP> target_mpp_y_;
  PixelExtent tile_size_{1, 1};
  PixelExtent region_size_{1, 1};
  PixelExtent footprint_{1, 1};
  PixelExtent stride_{1, 1};
  io::wsi::WSIBounds area_{0, 0, 0, 0};
  PartialTiles partial_tiles_ = PartialTiles::drop;
  std::int64_t columns_ = 0;
  std::int64_t rows_ = 0;
  GridLayout grid_layout_ = GridLayout::rectangular;
  std::int64_t odd_row_shift_ = 0;
  std::int64_t odd_columns_ = 0;
};

constexpr Tile TileIterator::operator*() const { return plan_->tile_of_index(index_); }

constexpr Tile TileIterator::operator[](difference_type offset) const { return *(*this + offset); }

}  // namespace bioptimus::extraction::wsi

namespace bioptimus::detail {

/// Tiles along one axis of an area `length` pixels long, for tiles
/// `footprint` long placed every `stride` pixels from the area's start.
/// drop: the starts s = k * stride with s + footprint <= length.
/// pad: those, plus the next start when it is still < length (its tile
/// covers the rest of the area; any later tile would cover nothing new).
[[nodiscard]] constexpr std::int64_t tiles_along(std::int64_t length, std::int64_t footprint, std::int64_t stride,
                                                 extraction::wsi::PartialTiles policy) noexcept {
  const std::int64_t whole = length >= footprint ? (length - footprint) / stride + 1 : 0;
  if (policy == extraction::wsi::PartialTiles::pad && whole * stride < length) {
    return whole + 1;
  }
  return whole;
}

/// What plan_tiles() found wrong, kept as values so that the checks run in a
/// constant expression and the text is built only when something is wrong.
struct TilingProblems {
  bool bad_tolerance = false;
  bool level_out_of_range = false;
  bool missing_mpp = false;
  bool implausible_mpp_x = false;
  bool implausible_mpp_y = false;
  bool footprint_too_large = false;
  bool too_many_tiles = false;
  double footprint_width = 0.0;
  double footprint_height = 0.0;
  std::int64_t columns = 0;
  std::int64_t rows = 0;

  [[nodiscard]] constexpr bool any() const noexcept {
    return bad_tolerance || level_out_of_range || missing_mpp || implausible_mpp_x || implausible_mpp_y ||
           footprint_too_large || too_many_tiles;
  }
};

[[noreturn]] inline void throw_tiling_problems(const TilingProblems& problems, const extraction::wsi::TileSpec& spec,
                                               const io::wsi::SlideGeometry& slide,
                                               const extraction::wsi::TilingOptions& options) {
  std::vector<Violation> violations;
  const auto number = [](auto value) { return format_number(value); };
  const std::string resolution = io::wsi::describe(spec.resolution());
  const std::string range =
      "[" + number(extraction::wsi::min_plausible_mpp) + ", " + number(extraction::wsi::max_plausible_mpp) + "] um/px";
  if (problems.bad_tolerance) {
    violations.push_back(
        {"options.level_tolerance", "expected a number in [0, 1), got " + number(options.level_tolerance)});
  }
  if (problems.level_out_of_range) {
    violations.push_back(
        {"tile_spec.resolution",
         "expected a level of the slide (0 to " + std::to_string(slide.level_count() - 1) + "), got " + resolution});
  }
  if (problems.missing_mpp) {
    violations.push_back({"slide.mpp", "resolution " + resolution +
                                           " needs the slide's microns per pixel, but the slide has none: expected "
                                           "an MPP in " +
                                           range + " or TilingOptions::mpp_override"});
  }
  const auto implausible = [&](const char* field, std::optional<io::wsi::MPP> mpp) {
    violations.push_back({field, "expected a level-0 MPP in " + range + ", got " + number(mpp ? mpp->value() : 0.0) +
                                     " (likely a unit mistake; set TilingOptions::mpp_override to use another)"});
  };
  if (problems.implausible_mpp_x) {
    implausible("slide.mpp_x", slide.mpp_x());
  }
  if (problems.implausible_mpp_y) {
    implausible("slide.mpp_y", slide.mpp_y());
  }
  if (problems.footprint_too_large) {
    violations.push_back({"tile_spec", "expected a tile and stride of at most " +
                                           std::to_string(extraction::wsi::TileSpec::max_side_pixels) +
                                           " level-0 pixels per side (and a target downsample >= 2^-20), got a "
                                           "footprint of " +
                                           number(problems.footprint_width) + " x " +
                                           number(problems.footprint_height) + " level-0 px for " + resolution});
  }
  if (problems.too_many_tiles) {
    violations.push_back({"grid", "expected at most 2^63 - 1 tiles, got " + std::to_string(problems.columns) +
                                      " columns x " + std::to_string(problems.rows) + " rows"});
  }
  throw_validation_error("TilePlan", std::move(violations));
}

}  // namespace bioptimus::detail

namespace bioptimus::extraction::wsi {

/// Plans the tiles of `spec` on `slide`: the level to read, the region and
/// resize per tile, and the grid (see the rules at the top of this header and
/// in docs/slide-geometry.md).
///
/// Worked example: h0-mini's 224 px at 0.5 mpp on a 0.2525 mpp slide with
/// levels of downsample 1, 2 and 8, 2048 x 1536 px. Target downsample 0.5 /
/// 0.2525 = 1.9802; level 1 (2 <= 1.9802 * 1.01 = 2.0); footprint and stride
/// round(224 * 1.9802) = round(443.56) = 444 level-0 px; region
/// round(443.56 / 2) = round(221.78) = 222 px of level 1, resized to 224;
/// grid (2048 - 444) / 444 + 1 = 4 columns by (1536 - 444) / 444 + 1 = 3 rows.
///
/// @throws ValidationError ("TilePlan") listing every problem: a Level the
///         slide does not have; an MPP or Magnification resolution on a slide
///         with a missing or implausible MPP and no override; a footprint
///         over TileSpec::max_side_pixels; a tile count over 2^63 - 1; a
///         level_tolerance outside [0, 1).
[[nodiscard]] constexpr TilePlan plan_tiles(const TileSpec& spec, const io::wsi::SlideGeometry& slide,
                                            const TilingOptions& options = {}) {
  // Every check runs whatever the others found (each on the values it needs),
  // so that one error lists every problem; nothing below throws before that.
  detail::TilingProblems problems;
  problems.bad_tolerance = !(options.level_tolerance >= 0.0 && options.level_tolerance < 1.0);
  const double tolerance = problems.bad_tolerance ? default_level_tolerance : options.level_tolerance;
  bool downsample_known = false;
  TilePlan plan;
  plan.partial_tiles_ = options.partial_tiles;
  plan.tile_size_ = spec.size_pixels();
  const PixelExtent stride_pixels = spec.stride_pixels();

  // The level-0 MPP: the override, else the slide's when plausible.
  std::optional<io::wsi::MPP> mpp_x = options.mpp_override ? options.mpp_override : slide.mpp_x();
  std::optional<io::wsi::MPP> mpp_y = options.mpp_override ? options.mpp_override : slide.mpp_y();
  const bool mpp_checked = !options.mpp_override && slide.has_mpp();
  const bool mpp_x_plausible = !mpp_checked || is_plausible_slide_mpp(*mpp_x);
  const bool mpp_y_plausible = !mpp_checked || is_plausible_slide_mpp(*mpp_y);

  const std::optional<io::wsi::MPP> target = target_mpp_of(spec.resolution());
  if (target) {
    // MPP or Magnification: the target is physical, the slide MPP is required.
    problems.missing_mpp = !mpp_x.has_value();
    problems.implausible_mpp_x = !mpp_x_plausible;
    problems.implausible_mpp_y = !mpp_y_plausible;
    if (!problems.missing_mpp && mpp_x_plausible && mpp_y_plausible) {
      downsample_known = true;
      plan.slide_mpp_x_ = mpp_x;
      plan.slide_mpp_y_ = mpp_y;
      plan.target_mpp_x_ = target;
      plan.target_mpp_y_ = target;
      plan.target_downsample_ = {target->value() / mpp_x->value(), target->value() / mpp_y->value()};
      const double smaller = plan.target_downsample_.width < plan.target_downsample_.height
                                 ? plan.target_downsample_.width
                                 : plan.target_downsample_.height;
      plan.level_ = choose_level(slide, smaller, tolerance);
    }
  } else {
    // A Level: that level of this slide, read as is. The MPP is reported when usable.
    const std::int32_t index = std::get<io::wsi::Level>(spec.resolution()).index();
    problems.level_out_of_range = static_cast<std::size_t>(index) >= slide.level_count();
    if (!problems.level_out_of_range) {
      const double downsample = slide.level_downsamples()[static_cast<std::size_t>(index)];
      downsample_known = true;
      plan.level_ = io::wsi::Level{index};
      plan.target_downsample_ = Extent{downsample};
      // Past MPP's range (an extreme downsample) the target MPP is unknown;
      // the footprint check below names the real problem.
      const double target_x = mpp_x ? mpp_x->value() * downsample : 0.0;
      const double target_y = mpp_y ? mpp_y->value() * downsample : 0.0;
      if (mpp_x && mpp_x_plausible && mpp_y_plausible && io::wsi::MPP::is_valid(target_x) &&
          io::wsi::MPP::is_valid(target_y)) {
        plan.slide_mpp_x_ = mpp_x;
        plan.slide_mpp_y_ = mpp_y;
        plan.target_mpp_x_ = io::wsi::MPP{target_x};
        plan.target_mpp_y_ = io::wsi::MPP{target_y};
      }
    }
  }

  if (downsample_known) {
    const Extent downsample = plan.target_downsample_;
    // Level-0 sizes before rounding; reject what TileSpec cannot hold (and
    // non-finite values from an extreme override).
    const double largest = static_cast<double>(TileSpec::max_side_pixels);
    const auto fits = [largest](double value) { return detail::is_finite_positive(value) && value <= largest; };
    problems.footprint_width = static_cast<double>(plan.tile_size_.width) * downsample.width;
    problems.footprint_height = static_cast<double>(plan.tile_size_.height) * downsample.height;
    problems.footprint_too_large = !fits(problems.footprint_width) || !fits(problems.footprint_height) ||
                                   !fits(static_cast<double>(stride_pixels.width) * downsample.width) ||
                                   !fits(static_cast<double>(stride_pixels.height) * downsample.height) ||
                                   !(1.0 / downsample.width < largest) || !(1.0 / downsample.height < largest);
  }

  if (downsample_known && !problems.footprint_too_large) {
    // Footprint and stride: the SDK's scale_to_reference with level 0 as the
    // reference level (downsample 1), so downsample_ratio = 1 / target
    // downsample; once per axis, because x and y may differ.
    const Extent downsample = plan.target_downsample_;
    // The target MPP converts um tiles; a Level tile (pixels, no MPP needed)
    // gets a stand-in for which the scaled resolution stays in MPP's range.
    const auto unit_mpp = [&](double axis_downsample) {
      const double stand_in = axis_downsample < io::wsi::MPP::min_value   ? io::wsi::MPP::min_value
                              : axis_downsample > io::wsi::MPP::max_value ? io::wsi::MPP::max_value
                                                                          : axis_downsample;
      return plan.target_mpp_x_.value_or(io::wsi::MPP{stand_in});
    };
    const TileSpec along_x = spec.scale_to_reference(1.0 / downsample.width, unit_mpp(downsample.width));
    const TileSpec along_y = spec.scale_to_reference(1.0 / downsample.height, unit_mpp(downsample.height));
    plan.footprint_ = {along_x.size_pixels().width, along_y.size_pixels().height};
    plan.stride_ = {along_x.stride_pixels().width, along_y.stride_pixels().height};

    // The region at the chosen level, from the unrounded level-0 size.
    plan.level_downsample_ = slide.level_downsamples()[static_cast<std::size_t>(plan.level_.index())];
    if (std::holds_alternative<io::wsi::Level>(spec.resolution())) {
      plan.region_size_ = plan.tile_size_;
    } else {
      plan.region_size_ = {detail::round_to_whole_pixels(problems.footprint_width / plan.level_downsample_),
                           detail::round_to_whole_pixels(problems.footprint_height / plan.level_downsample_)};
    }

    // The grid.
    const std::optional<io::wsi::WSIBounds> bounds = slide.bounds();
    plan.area_ = options.use_bounds && bounds ? *bounds : slide.full_extent();
    plan.columns_ =
        detail::tiles_along(plan.area_.width, plan.footprint_.width, plan.stride_.width, plan.partial_tiles_);
    plan.rows_ =
        detail::tiles_along(plan.area_.height, plan.footprint_.height, plan.stride_.height, plan.partial_tiles_);
    plan.grid_layout_ = options.grid_layout;
    plan.odd_row_shift_ = options.grid_layout == GridLayout::hexagonal ? plan.stride_.width / 2 : 0;
    plan.odd_columns_ = detail::tiles_along(plan.area_.width - plan.odd_row_shift_, plan.footprint_.width,
                                            plan.stride_.width, plan.partial_tiles_);
    problems.columns = plan.columns_;
    problems.rows = plan.rows_;
    problems.too_many_tiles =
        plan.columns_ > 0 && plan.rows_ > std::numeric_limits<std::int64_t>::max() / plan.columns_;
  }

  if (problems.any()) {
    detail::throw_tiling_problems(problems, spec, slide, options);
  }
  return plan;
}

}  // namespace bioptimus::extraction::wsi

#endif  // BIOPTIMUS_EXTRACTION_WSI_TILING_HPP
