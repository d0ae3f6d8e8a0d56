// bioptimus/extraction/wsi/megatile_spec.hpp
//
// MegaTileSpec: a block of rows x cols tiles of one TileSpec, the grid it is
// cut from (rectangular or hexagonal), the step between blocks in tiles, and
// the window of valid-tile ratios a block must fall in to be kept (SDK:
// bioptimus.extraction.wsi.types.MegaTileSpec).
//
//   using namespace bioptimus::extraction::wsi;
//   constexpr TileSpec tile{{.size = {224, 224}, .resolution = bioptimus::io::wsi::MPP{0.5}}};
//   constexpr MegaTileSpec blocks{{
//       .megatile_shape = {.rows = 4, .cols = 4},
//       .tile_spec = tile,
//       .megatile_stride = TileGridShape{.rows = 2, .cols = 2},  // half-overlapping blocks
//   }};
//   blocks.num_tiles();         // 16
//   blocks.effective_stride();  // {2, 2}
#ifndef BIOPTIMUS_EXTRACTION_WSI_MEGATILE_SPEC_HPP
#define BIOPTIMUS_EXTRACTION_WSI_MEGATILE_SPEC_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "bioptimus/extraction/wsi/grid_layout.hpp"
#include "bioptimus/extraction/wsi/tile_spec.hpp"

namespace bioptimus::extraction::wsi {

/// A number of tile rows and tile columns: a mega tile's shape, or its step
/// in tiles (the SDK's (rows, cols) tuples).
struct TileGridShape {
  std::int64_t rows;
  std::int64_t cols;

  friend constexpr bool operator==(const TileGridShape&, const TileGridShape&) noexcept = default;
};

/// See the file comment. Immutable, comparable, a literal type.
///
/// Invariants, checked at construction (all violations reported at once,
/// each naming its field):
/// - megatile_shape: rows and cols in [1, max_side_tiles];
/// - megatile_stride, when given: rows and cols in [1, max_side_tiles]
///   (a stride larger than the shape leaves tiles between blocks);
/// - min_valid_tiles_ratio: a number in [0, 1];
/// - max_valid_tiles_ratio, when given: a number in [0, 1] and
///   >= min_valid_tiles_ratio.
/// The tile_spec is a TileSpec, so it is valid already.
class MegaTileSpec {
 public:
  /// Largest number of tiles along a side of a block or of its stride: 4096,
  /// so that num_tiles() (at most 2^24) never overflows and a block never
  /// exceeds what a slide can hold.
  static constexpr std::int64_t max_side_tiles = 4096;

  /// The constructor's arguments, named like the SDK's keyword arguments.
  struct Fields {
    /// (rows, cols) of tiles per block.
    TileGridShape megatile_shape;
    /// The geometry of each tile.
    TileSpec tile_spec;
    /// The layout of the tile grid the blocks are cut from.
    GridLayout grid_layout = GridLayout::rectangular;
    /// Step between blocks in tiles; nothing = megatile_shape (no overlap).
    std::optional<TileGridShape> megatile_stride = std::nullopt;
    /// A block is kept when its share of tissue tiles is >= this.
    double min_valid_tiles_ratio = 0.5;
    /// ... and <= this, when given (nothing: no upper bound).
    std::optional<double> max_valid_tiles_ratio = std::nullopt;
  };

  /// @throws ValidationError ("MegaTileSpec") listing every broken invariant.
  constexpr explicit MegaTileSpec(const Fields& fields)
      : megatile_shape_(fields.megatile_shape),
        tile_spec_(fields.tile_spec),
        grid_layout_(fields.grid_layout),
        megatile_stride_(fields.megatile_stride),
        min_valid_tiles_ratio_(fields.min_valid_tiles_ratio),
        max_valid_tiles_ratio_(fields.max_valid_tiles_ratio) {
    if (!faults().ok()) {
      detail::throw_validation_error("MegaTileSpec", describe(faults()));
    }
  }

  /// (rows, cols) of tiles per block.
  [[nodiscard]] constexpr TileGridShape megatile_shape() const noexcept { return megatile_shape_; }
  /// The stride as given; nothing when it defaults to the shape.
  [[nodiscard]] constexpr std::optional<TileGridShape> megatile_stride() const noexcept { return megatile_stride_; }
  /// The geometry of each tile.
  [[nodiscard]] constexpr const TileSpec& tile_spec() const noexcept { return tile_spec_; }
  /// The layout of the tile grid.
  [[nodiscard]] constexpr GridLayout grid_layout() const noexcept { return grid_layout_; }
  /// Lower bound of the valid-tile ratio, inclusive.
  [[nodiscard]] constexpr double min_valid_tiles_ratio() const noexcept { return min_valid_tiles_ratio_; }
  /// Upper bound of the valid-tile ratio, inclusive; nothing = no bound.
  [[nodiscard]] constexpr std::optional<double> max_valid_tiles_ratio() const noexcept {
    return max_valid_tiles_ratio_;
  }

  /// Tile rows per block.
  [[nodiscard]] constexpr std::int64_t rows() const noexcept { return megatile_shape_.rows; }
  /// Tile columns per block.
  [[nodiscard]] constexpr std::int64_t cols() const noexcept { return megatile_shape_.cols; }
  /// Tiles per block: rows() * cols().
  [[nodiscard]] constexpr std::int64_t num_tiles() const noexcept { return rows() * cols(); }
  /// The step between blocks in tiles: the stride, or the shape when none was given.
  [[nodiscard]] constexpr TileGridShape effective_stride() const noexcept {
    return megatile_stride_.value_or(megatile_shape_);
  }
  /// The share of valid tiles of a block with `valid` of its num_tiles()
  /// tiles on tissue. A division, correctly rounded, so that 3 of 10 is the
  /// same double as the literal 0.3 (3 >= 0.3 * 10 would be false).
  [[nodiscard]] constexpr double valid_ratio(std::int64_t valid) const noexcept {
    return static_cast<double>(valid) / static_cast<double>(num_tiles());
  }
  /// Whether a block with `valid` tissue tiles is kept: valid_ratio(valid)
  /// within [min_valid_tiles_ratio, max_valid_tiles_ratio], both inclusive.
  [[nodiscard]] constexpr bool keeps(std::int64_t valid) const noexcept {
    const double ratio = valid_ratio(valid);
    return ratio >= min_valid_tiles_ratio_ && (!max_valid_tiles_ratio_ || ratio <= *max_valid_tiles_ratio_);
  }

  friend constexpr bool operator==(const MegaTileSpec&, const MegaTileSpec&) noexcept = default;

 private:
  struct Faults {
    bool shape = false;
    bool stride = false;
    bool min_ratio = false;
    bool max_ratio = false;
    bool min_above_max = false;
    [[nodiscard]] constexpr bool ok() const noexcept {
      return !shape && !stride && !min_ratio && !max_ratio && !min_above_max;
    }
  };

  [[nodiscard]] static constexpr bool is_count(std::int64_t value) noexcept {
    return value >= 1 && value <= max_side_tiles;
  }
  [[nodiscard]] static constexpr bool is_ratio(double value) noexcept {
    return detail::is_finite(value) && value >= 0.0 && value <= 1.0;
  }

  [[nodiscard]] constexpr Faults faults() const noexcept {
    const bool min_ok = is_ratio(min_valid_tiles_ratio_);
    const bool max_ok = !max_valid_tiles_ratio_ || is_ratio(*max_valid_tiles_ratio_);
    return {.shape = !is_count(megatile_shape_.rows) || !is_count(megatile_shape_.cols),
            .stride = megatile_stride_ && (!is_count(megatile_stride_->rows) || !is_count(megatile_stride_->cols)),
            .min_ratio = !min_ok,
            .max_ratio = !max_ok,
            .min_above_max =
                min_ok && max_ok && max_valid_tiles_ratio_ && min_valid_tiles_ratio_ > *max_valid_tiles_ratio_};
  }

  [[nodiscard]] std::vector<Violation> describe(const Faults& found) const {
    std::vector<Violation> violations;
    // Appended piece by piece: g++ 12 at -O3 reports a false -Wrestrict on
    // "[" + std::to_string(...).
    const auto shape_text = [](TileGridShape shape) {
      std::string text(1, '[');
      text.append(std::to_string(shape.rows)).append(", ").append(std::to_string(shape.cols)).push_back(']');
      return text;
    };
    const std::string counts = "expected [rows, cols] as two whole numbers from 1 to " + std::to_string(max_side_tiles);
    if (found.shape) {
      violations.push_back({"megatile_shape", counts + ", got " + shape_text(megatile_shape_)});
    }
    if (found.stride) {
      violations.push_back({"megatile_stride", counts + " (tiles), got " + shape_text(*megatile_stride_)});
    }
    if (found.min_ratio) {
      violations.push_back({"min_valid_tiles_ratio",
                            "expected a number in [0, 1], got " + detail::format_number(min_valid_tiles_ratio_)});
    }
    if (found.max_ratio) {
      violations.push_back({"max_valid_tiles_ratio", "expected a number in [0, 1] or none, got " +
                                                         detail::format_number(*max_valid_tiles_ratio_)});
    }
    if (found.min_above_max) {
      violations.push_back({"max_valid_tiles_ratio", "expected at least min_valid_tiles_ratio (" +
                                                         detail::format_number(min_valid_tiles_ratio_) + "), got " +
                                                         detail::format_number(*max_valid_tiles_ratio_)});
    }
    return violations;
  }

  TileGridShape megatile_shape_;
  TileSpec tile_spec_;
  GridLayout grid_layout_;
  std::optional<TileGridShape> megatile_stride_;
  double min_valid_tiles_ratio_;
  std::optional<double> max_valid_tiles_ratio_;
};

}  // namespace bioptimus::extraction::wsi

#endif  // BIOPTIMUS_EXTRACTION_WSI_MEGATILE_SPEC_HPP
