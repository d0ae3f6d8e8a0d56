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
//   const TissueMask mask = segment_tissue(slide);                    // CLAM's tcga preset at 8 um/px
//   const TissueMask same = segment_tissue(slide, TissueMaskParams::clam_preset(ClamPreset::tcga, MPP{0.25}));
#ifndef BIOPTIMUS_EXTRACTION_WSI_TISSUE_MASK_HPP
#define BIOPTIMUS_EXTRACTION_WSI_TISSUE_MASK_HPP

#include <cstdint>
#include <optional>
#include <span>
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

/// The parameters of CLAM's tissue segmentation. Kernel sizes are in mask
/// pixels (at `mpp`), areas in square microns, so one value means the same
/// tissue on every slide. The defaults are CLAM's tcga preset on a 40x
/// (0.25 um/px) slide; clam_preset() converts any preset for any slide.
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
  /// A tissue piece (minus its holes) must be larger than this (CLAM a_t).
  /// Default: tcga's 16 x 512^2 level-0 px at 0.25 um/px = 262144 um^2.
  double min_tissue_area_um2 = 262144.0;
  /// A hole must be larger than this to be kept (CLAM a_h). Default 65536 um^2.
  double min_hole_area_um2 = 65536.0;
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
