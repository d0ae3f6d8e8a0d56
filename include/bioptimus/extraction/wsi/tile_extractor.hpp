// bioptimus/extraction/wsi/tile_extractor.hpp
//
// TileExtractor (target bioptimus::extraction): the SDK's fit / extract /
// export lifecycle. fit() binds a slide, builds its tissue mask and keeps a
// thumbnail (the picture the mask was segmented on, reduced); extract()
// lays the grid with plan_tiles(), measures each tile's tissue fraction on
// the mask with an integral image and keeps those >= mask_threshold; the
// exports write the kept tiles as CSV, JSON or an HDF5 file in the layout
// CLAM and TRIDENT write (docs/tile-extraction.md).
//
//   const SlideReader slide{"tumor_001.svs"};
//   TileExtractor extractor{model.tile_spec(), {.model = model.identity()}};
//   extractor.fit(slide).extract();
//   extractor.to_hdf5("out/");  // out/tumor_001.h5
#ifndef BIOPTIMUS_EXTRACTION_WSI_TILE_EXTRACTOR_HPP
#define BIOPTIMUS_EXTRACTION_WSI_TILE_EXTRACTOR_HPP

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bioptimus/extraction/wsi/coordinate_attributes.hpp"
#include "bioptimus/extraction/wsi/tile_spec.hpp"
#include "bioptimus/extraction/wsi/tiling.hpp"
#include "bioptimus/extraction/wsi/tissue_mask.hpp"
#include "bioptimus/image/image.hpp"
#include "bioptimus/io/wsi/level.hpp"
#include "bioptimus/io/wsi/reader.hpp"
#include "bioptimus/io/wsi/slide.hpp"

namespace bioptimus::extraction::wsi {

/// One kept tile (SDK: RegionSpec of a tile).
struct TileRegion {
  /// Level-0 top-left corner.
  std::int64_t x;
  std::int64_t y;
  /// The level to read and the size to read there (then resize to the tile size).
  io::wsi::Level level;
  io::wsi::WSIDims size;
  /// Fraction of the tile's footprint that the mask calls tissue, in [0, 1].
  double tissue_fraction;

  friend bool operator==(const TileRegion&, const TileRegion&) = default;
};

/// A small RGB picture of a whole slide, and where its pixels lie on level 0.
struct SlideThumbnail {
  /// rgb8, at most TileExtractorOptions::thumbnail_max_side on its longer side.
  image::Image rgb;
  /// Level-0 pixels per thumbnail pixel, per axis.
  double downsample_x;
  double downsample_y;
  /// The thumbnail's pixel size, when the slide's MPP is known.
  std::optional<io::wsi::MPP> mpp;
};

/// How a TileExtractor finds tissue and which tiles it keeps.
struct TileExtractorOptions {
  /// Keep a tile when its tissue fraction is >= this, in [0, 1] (SDK mask_threshold).
  double mask_threshold = 0.5;
  /// A mask of the user's: used for every slide, instead of segmenting.
  std::optional<TissueMask> mask = std::nullopt;
  /// Segment each slide at fit() with these parameters (when `mask` is
  /// empty). With neither, every tile counts as tissue.
  std::optional<TissueMaskParams> segmentation = TissueMaskParams{};
  /// Segment with this CLAM preset instead, as CLAM applies it to each
  /// slide (its areas count level-0 patches of that slide), at
  /// segmentation's mask pixel size (8 um/px without one). Needs the slide's MPP.
  std::optional<ClamPreset> clam_preset = std::nullopt;
  /// Grid options (partial tiles, bounds, level tolerance). The slide
  /// reader's MPP override is added at fit().
  TilingOptions tiling = {};
  /// The model the tiles are for ("h0-mini@1.0.0"), written into the exports.
  std::string model = {};
  /// The longest side of the thumbnail fit() keeps, in pixels (0: keep none).
  /// When segmenting, it is the segmentation's own picture, reduced; else
  /// fit() reads one.
  std::int64_t thumbnail_max_side = 1024;
};

/// How to_hdf5() names its file. The peers disagree: CLAM's
/// extract_features_fp.py reads `patches/<slide>.h5`, TRIDENT's Processor
/// `patches/<slide>_patches.h5`.
enum class CoordinatesFileName {
  clam,     ///< `<slide>.h5`
  trident,  ///< `<slide>_patches.h5`
};

/// See the file comment. Not thread-safe (fit and extract change it); use one per thread.
class TileExtractor {
 public:
  /// @throws ValidationError when mask_threshold is outside [0, 1].
  explicit TileExtractor(TileSpec tile_spec, TileExtractorOptions options = {});

  /// Binds `slide`: plans its grid, builds its mask (when segmenting) and
  /// keeps what extract() and the exports need, so the reader may go after.
  /// @throws io::wsi::SlideError, ValidationError.
  TileExtractor& fit(const io::wsi::SlideReader& slide);
  /// Computes the kept tiles of the fitted slide (row-major), stores and returns them.
  /// @throws Error when fit() has not run.
  const std::vector<TileRegion>& extract();

  [[nodiscard]] const TileSpec& tile_spec() const noexcept { return tile_spec_; }
  [[nodiscard]] const TileExtractorOptions& options() const noexcept { return options_; }
  /// The fitted slide's name (file stem); empty before fit().
  [[nodiscard]] const std::string& slide_name() const noexcept { return slide_name_; }
  /// The fitted slide's grid. @throws Error before fit().
  [[nodiscard]] const TilePlan& plan() const;
  /// The mask used by the last fit(), if any.
  [[nodiscard]] const std::optional<TissueMask>& mask() const noexcept { return mask_; }
  /// Level-0 pixels per mask pixel, [x, y]: mask MPP / slide MPP, or, for a
  /// mask without an MPP, level-0 size / mask size.
  /// @throws Error before fit() or without a mask.
  [[nodiscard]] std::array<double, 2> mask_downsample() const;
  /// The thumbnail kept by the last fit(), if any.
  [[nodiscard]] const std::optional<SlideThumbnail>& thumbnail() const noexcept { return thumbnail_; }
  /// The tiles of the last extract().
  [[nodiscard]] const std::vector<TileRegion>& regions() const noexcept { return regions_; }

  /// The attributes of the fitted slide's tiles in a coordinates file, as
  /// to_hdf5() and the feature writers write them: CLAM's and TRIDENT's
  /// (their readers crop exactly these tiles) and ours
  /// (coordinate_attributes.hpp, docs/tile-extraction.md).
  /// @throws Error before fit().
  [[nodiscard]] CoordinateAttributes coordinate_attributes() const;

  /// Writes DIR/<slide>.csv: a header, then x,y,level,width,height,tissue_fraction per tile.
  /// Each export writes a temporary file and renames it. Returns the path written.
  std::filesystem::path to_csv(const std::filesystem::path& directory) const;
  /// Writes DIR/<slide>.json: slide, model, tile spec, plan and tiles.
  std::filesystem::path to_json(const std::filesystem::path& directory) const;
  /// Writes DIR/<slide>.h5 (DIR/<slide>_patches.h5 with
  /// CoordinatesFileName::trident): dataset `coords` int64 (N, 2) of level-0
  /// (x, y) with coordinate_attributes() and the directory (CLAM's
  /// `save_path`, TRIDENT's `savetodir`), `tissue_fraction` float32 (N), and uint8 `thumbnail`
  /// (H, W, 3) and `tissue_mask` (H, W) when kept.
  std::filesystem::path to_hdf5(const std::filesystem::path& directory,
                                CoordinatesFileName naming = CoordinatesFileName::clam) const;

 private:
  // What the exports need of the slide, copied at fit() so that they do not
  // need the reader.
  struct SlideFacts {
    std::vector<io::wsi::WSIDims> level_dimensions;
    std::vector<double> level_downsamples;
    std::optional<io::wsi::MPP> mpp_x;
    std::optional<io::wsi::MPP> mpp_y;
    std::optional<double> objective_power;
  };

  void require_fitted(const char* operation) const;

  TileSpec tile_spec_;
  TileExtractorOptions options_;
  std::string slide_name_;
  SlideFacts facts_;
  std::optional<TilePlan> plan_;
  std::optional<TissueMask> mask_;
  std::optional<SlideThumbnail> thumbnail_;
  std::vector<TileRegion> regions_;
};

}  // namespace bioptimus::extraction::wsi

#endif  // BIOPTIMUS_EXTRACTION_WSI_TILE_EXTRACTOR_HPP
