// bioptimus/extraction/wsi/megatile_extractor.hpp
//
// MegaTileExtractor (target bioptimus::extraction): blocks of rows x cols
// tiles for slide- and region-level models, as the SDK's
// bioptimus.extraction.wsi.megatile_extraction. Two stages:
// 1. tile level: a TileExtractor lays the MegaTileSpec's tile grid (in its
//    layout) and measures every tile's tissue fraction on the mask; a tile
//    is available when its fraction is >= mask_threshold;
// 2. block level: a rows x cols window slides over the tile grid by the
//    spec's stride in tiles; a block is kept when its share of available
//    tiles lies in [min_valid_tiles_ratio, max_valid_tiles_ratio].
// docs/megatiles.md has the rules, the exports and pictures.
//
//   const SlideReader slide{"tumor_001.svs"};
//   const MegaTileSpec blocks{{.megatile_shape = {.rows = 4, .cols = 4}, .tile_spec = model.tile_spec()}};
//   MegaTileExtractor extractor{blocks, {.model = model.identity()}};
//   for (const MegaTileRegion& block : extractor.fit(slide).extract()) { ... }
//   extractor.to_hdf5("out/");  // out/tumor_001.h5
#ifndef BIOPTIMUS_EXTRACTION_WSI_MEGATILE_EXTRACTOR_HPP
#define BIOPTIMUS_EXTRACTION_WSI_MEGATILE_EXTRACTOR_HPP

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bioptimus/extraction/wsi/megatile_spec.hpp"
#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "bioptimus/extraction/wsi/tiling.hpp"
#include "bioptimus/extraction/wsi/tissue_mask.hpp"
#include "bioptimus/io/wsi/reader.hpp"

namespace bioptimus::extraction::wsi {

/// One kept block (SDK: MegaTileRegion).
struct MegaTileRegion {
  /// Level-0 top-left corner of the block's bounding box (in a hexagonal
  /// grid, the leftmost of its rows).
  std::int64_t x;
  std::int64_t y;
  /// Level-0 size of the bounding box of its tiles' footprints.
  std::int64_t width;
  std::int64_t height;
  /// Grid position (TilePlan row and column) of its top-left tile.
  std::int64_t grid_row;
  std::int64_t grid_col;
  /// Tiles per block: the spec's megatile_shape.
  TileGridShape shape;
  /// Its rows * cols tiles, row-major: tiles[row * cols + col]. Every tile is
  /// there, available or not; tissue_fraction is its own.
  std::vector<TileRegion> tiles;
  /// Availability mask, row-major like `tiles`: 1 when the tile's tissue
  /// fraction is >= mask_threshold, else 0.
  std::vector<std::uint8_t> available;
  /// Number of available tiles.
  std::int64_t valid_tiles;
  /// valid_tiles / (rows * cols), the ratio the window judged.
  double valid_ratio;
  /// Mean tissue fraction over all its tiles, in [0, 1].
  double mean_tissue_fraction;

  friend bool operator==(const MegaTileRegion&, const MegaTileRegion&) = default;
};

/// How a MegaTileExtractor finds tissue and which blocks it keeps.
struct MegaTileExtractorOptions {
  /// A tile is available when its tissue fraction is >= this, in [0, 1].
  double mask_threshold = 0.5;
  /// A mask of the user's, used for every slide instead of segmenting.
  std::optional<TissueMask> mask = std::nullopt;
  /// Segment each slide at fit() with these parameters (when `mask` is
  /// empty). With neither, every tile is available.
  std::optional<TissueMaskParams> segmentation = TissueMaskParams{};
  /// Segment with this CLAM preset instead, as CLAM applies it to each
  /// slide (its areas count level-0 patches of that slide), at
  /// segmentation's mask pixel size (8 um/px without one). Needs the slide's MPP.
  std::optional<ClamPreset> clam_preset = std::nullopt;
  /// Partial tiles, bounds, level tolerance. The layout is the spec's: a
  /// grid_layout here must be the default (rectangular) or the spec's.
  TilingOptions tiling = {};
  /// At most this many blocks (>= 1): those with the most available tiles,
  /// ties going to the earlier block in row-major order; nothing = all.
  std::optional<std::int64_t> max_megatiles = std::nullopt;
  /// The model the tiles are for ("h0-mini@1.0.0"), written into the exports.
  std::string model = {};
};

/// See the file comment. Not thread-safe (fit and extract change it); use one per thread.
class MegaTileExtractor {
 public:
  /// @throws ValidationError ("MegaTileExtractor") when mask_threshold is
  ///         outside [0, 1], max_megatiles < 1, or tiling.grid_layout
  ///         contradicts the spec's.
  explicit MegaTileExtractor(MegaTileSpec spec, MegaTileExtractorOptions options = {});

  /// Binds `slide`, plans its tile grid and builds its mask (when
  /// segmenting), as TileExtractor::fit does; the reader may go after.
  /// @throws io::wsi::SlideError, ValidationError.
  MegaTileExtractor& fit(const io::wsi::SlideReader& slide);
  /// Computes the kept blocks of the fitted slide (row-major by their
  /// top-left tile), stores and returns them. @throws Error before fit().
  const std::vector<MegaTileRegion>& extract();

  [[nodiscard]] const MegaTileSpec& spec() const noexcept { return spec_; }
  [[nodiscard]] const MegaTileExtractorOptions& options() const noexcept { return options_; }
  /// The fitted slide's name (file stem); empty before fit().
  [[nodiscard]] const std::string& slide_name() const noexcept { return tiles_.slide_name(); }
  /// The fitted slide's tile grid. @throws Error before fit().
  [[nodiscard]] const TilePlan& plan() const;
  /// The mask used by the last fit(), if any.
  [[nodiscard]] const std::optional<TissueMask>& mask() const noexcept { return tiles_.mask(); }
  /// The thumbnail kept by the last fit(), if any.
  [[nodiscard]] const std::optional<SlideThumbnail>& thumbnail() const noexcept { return tiles_.thumbnail(); }
  /// Every block position of the last extract() (kept or not).
  [[nodiscard]] std::int64_t candidates() const noexcept { return candidates_; }
  /// The blocks of the last extract().
  [[nodiscard]] const std::vector<MegaTileRegion>& regions() const noexcept { return regions_; }

  /// Writes DIR/<slide>.csv: a header, then one line per tile of every kept
  /// block (megatile index, block corner, tile row and column, tile corner,
  /// level, region size, availability, tissue fraction). Each export writes a
  /// temporary file and renames it. Returns the path written.
  std::filesystem::path to_csv(const std::filesystem::path& directory) const;
  /// Writes DIR/<slide>.json: slide, model, spec, plan and the blocks with their tiles.
  std::filesystem::path to_json(const std::filesystem::path& directory) const;
  /// Writes DIR/<slide>.h5 in the layout of docs/megatiles.md.
  std::filesystem::path to_hdf5(const std::filesystem::path& directory) const;

 private:
  void require_fitted(const char* operation) const;

  MegaTileSpec spec_;
  MegaTileExtractorOptions options_;
  TileExtractor tiles_;
  std::int64_t candidates_ = 0;
  std::vector<MegaTileRegion> regions_;
};

}  // namespace bioptimus::extraction::wsi

#endif  // BIOPTIMUS_EXTRACTION_WSI_MEGATILE_EXTRACTOR_HPP
