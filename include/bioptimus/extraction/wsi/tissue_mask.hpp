// bioptimus/extraction/wsi/tissue_mask.hpp
//
// Binary tissue masks (target bioptimus::extraction): CLAM's segmentation
// (HSV saturation, median blur, a fixed or Otsu threshold, a morphological
// close, contours filtered by area, holes kept or filled), built from a
// slide at a stated pixel size (the SDK segments at 8 um/px), or a mask the
// user made, with its pixel size. docs/tissue-masks.md explains the method,
// every parameter and how to match CLAM's presets.
//
//   const SlideReader slide{"tumor_001.svs"};
//   const TissueMask mask = segment_tissue(slide);  // keeps every piece >= 0.01 mm^2, at 8 um/px
//   const TissueMask clam = segment_tissue(slide, TissueMaskParams::clam_preset(ClamPreset::tcga, MPP{0.25}));
#ifndef BIOPTIMUS_EXTRACTION_WSI_TISSUE_MASK_HPP
#define BIOPTIMUS_EXTRACTION_WSI_TISSUE_MASK_HPP

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "bioptimus/image/image.hpp"
#include "bioptimus/io/wsi/mpp.hpp"
#include "bioptimus/io/wsi/reader.hpp"

namespace bioptimus::extraction::wsi {

/// CLAM's segmentation presets (CLAM presets/*.csv).
enum class ClamPreset {
  tcga,           ///< sthresh 8, mthresh 7, close 4, a_t 16, a_h 4, max_n_holes 8
  bwh_biopsy,     ///< sthresh 15, mthresh 11, close 2, a_t 1, a_h 1, max_n_holes 2
  bwh_resection,  ///< sthresh 15, mthresh 11, close 4, a_t 100, a_h 16, max_n_holes 8
};

/// The preset's name, as CLAM's presets/<name>.csv: "tcga", "bwh_biopsy", "bwh_resection".
[[nodiscard]] constexpr std::string_view to_string(ClamPreset preset) noexcept {
  switch (preset) {
    case ClamPreset::tcga:
      return "tcga";
    case ClamPreset::bwh_biopsy:
      return "bwh_biopsy";
    case ClamPreset::bwh_resection:
      return "bwh_resection";
  }
  return "tcga";
}

/// The preset of that name (to_string's spelling), or nothing.
[[nodiscard]] constexpr std::optional<ClamPreset> parse_clam_preset(std::string_view name) noexcept {
  for (const ClamPreset preset : {ClamPreset::tcga, ClamPreset::bwh_biopsy, ClamPreset::bwh_resection}) {
    if (to_string(preset) == name) {
      return preset;
    }
  }
  return std::nullopt;
}

/// The parameters of CLAM's tissue segmentation. Kernel sizes are in mask
/// pixels (at `mpp`), areas in square microns, so one value means the same
/// tissue on every slide, whatever its size or pixel size. The defaults are
/// CLAM's tcga thresholds and kernels with areas for small fragments: every
/// piece of 0.01 mm^2 or more is kept (a 150 x 150 um biopsy fragment has
/// twice that), specks and dust below it dropped; clam_preset() gives
/// CLAM's own presets as CLAM applies them to a slide.
struct TissueMaskParams {
  /// Mask pixel size in um/px (the SDK segments at 8). The slide level read
  /// is the coarsest one at least this fine; it is area-averaged down to it.
  double mpp = 8.0;
  /// Saturation (0-255) above which a pixel is tissue (CLAM sthresh).
  int saturation_threshold = 8;
  /// Choose the threshold with Otsu's method instead (CLAM use_otsu).
  bool use_otsu = false;
  /// Median blur of the saturation, odd kernel side >= 3 (CLAM mthresh).
  int median_kernel = 7;
  /// Morphological close with a square kernel of this side, 0 for none (CLAM close).
  int close_kernel = 4;
  /// A tissue piece (minus its holes) must be larger than this (CLAM a_t),
  /// measured on the mask's outline (cv::contourArea, as CLAM). Default
  /// 10000 um^2 (0.01 mm^2): a 150 x 150 um piece measures about 21000, a
  /// 90 um speck about 5300 (docs/tissue-masks.md). CLAM's tcga preset on a
  /// 40x slide says 262144 (0.26 mm^2), which drops whole biopsy fragments.
  double min_tissue_area_um2 = 10000.0;
  /// A hole must be larger than this to be kept as glass (CLAM a_h); smaller
  /// ones are filled. Default 10000 um^2, about one 224 px tile at 0.5 um/px.
  double min_hole_area_um2 = 10000.0;
  /// At most this many holes per piece, the largest first (CLAM max_n_holes).
  int max_holes = 8;
  /// Fill every hole (treat it as tissue) instead of keeping the large ones.
  bool fill_holes = false;

  /// A CLAM preset as CLAM applies it to a slide whose level 0 is
  /// `level0_mpp` (CLAM's areas are counted in 512 x 512 level-0 patches),
  /// segmented at `mask_mpp`.
  [[nodiscard]] static TissueMaskParams clam_preset(ClamPreset preset, io::wsi::MPP level0_mpp, double mask_mpp = 8.0);
};

/// A binary tissue mask over a slide: one byte per pixel, non-zero = tissue.
/// Pixel (i, j) covers level-0 pixels [i * downsample_x, (i + 1) *
/// downsample_x) and the same on y, where downsample = mask mpp / slide mpp,
/// or, for a mask without an MPP, level-0 size / mask size.
class TissueMask {
 public:
  /// A mask of `width` x `height` bytes, row-major; `mpp` is its pixel size
  /// (nothing: it spans the whole slide, whatever its size).
  /// @throws ValidationError when the sizes do not match or are < 1.
  TissueMask(std::vector<std::uint8_t> pixels, std::int64_t width, std::int64_t height,
             std::optional<io::wsi::MPP> mpp);

  [[nodiscard]] std::int64_t width() const noexcept { return width_; }
  [[nodiscard]] std::int64_t height() const noexcept { return height_; }
  [[nodiscard]] std::optional<io::wsi::MPP> mpp() const noexcept { return mpp_; }
  [[nodiscard]] std::span<const std::uint8_t> pixels() const noexcept { return pixels_; }
  [[nodiscard]] bool is_tissue(std::int64_t x, std::int64_t y) const noexcept {
    return pixels_[static_cast<std::size_t>(y * width_ + x)] != 0;
  }
  /// Fraction of pixels that are tissue.
  [[nodiscard]] double tissue_fraction() const noexcept;

 private:
  std::vector<std::uint8_t> pixels_;
  std::int64_t width_;
  std::int64_t height_;
  std::optional<io::wsi::MPP> mpp_;
};

/// Segments tissue on an RGB image whose pixels are `mpp` wide.
/// @throws ValidationError naming every bad parameter.
[[nodiscard]] TissueMask segment_tissue(const image::ImageView& rgb, io::wsi::MPP mpp,
                                        const TissueMaskParams& params = {});

/// Segments tissue on a slide at params.mpp, reading the coarsest level fine
/// enough in bands (memory grows with the mask, not the slide).
/// @throws io::wsi::SlideError when the slide has no MPP and no override.
[[nodiscard]] TissueMask segment_tissue(const io::wsi::SlideReader& slide, const TissueMaskParams& params = {});

}  // namespace bioptimus::extraction::wsi

#endif  // BIOPTIMUS_EXTRACTION_WSI_TISSUE_MASK_HPP
