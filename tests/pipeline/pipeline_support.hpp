// What the pipeline tests share: tissue masks fit for the small generated
// slides, and the two ways the tiny ViT's spec (test_models.hpp) reads them.
#ifndef BIOPTIMUS_TESTS_PIPELINE_SUPPORT_HPP
#define BIOPTIMUS_TESTS_PIPELINE_SUPPORT_HPP

#include <array>
#include <cstdint>
#include <string>

#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "bioptimus/extraction/wsi/tissue_mask.hpp"

namespace bioptimus::testing {

/// CLAM's tissue mask with areas for the small generated slides (a blob is
/// about 0.02 mm2), made at 2 um/px: from a level at least one TIFF tile wide
/// and high. OpenSlide 3.4.1 on libtiff 4.5.0 reads a level smaller than its
/// tiles shifted, and the mask would be wrong.
inline extraction::wsi::TileExtractorOptions small_slide_tissue() {
  extraction::wsi::TissueMaskParams params;
  params.mpp = 2.0;
  params.min_tissue_area_um2 = 2000.0;
  params.min_hole_area_um2 = 500.0;
  return {.segmentation = params};
}

/// A generated slide and how the tiny spec reads it.
struct SlideCase {
  std::string size;
  std::string mpp;
  std::int32_t level;
  std::int64_t region;
};

/// 0.25 um/px: level 0 read at 128 px and resized to 64; 0.125 um/px: the
/// downsample-4 level read at 64 px, no resize.
inline const std::array<SlideCase, 2> slide_cases{{{"4096x3072", "0.25", 0, 128}, {"8192x4096", "0.125", 1, 64}}};

}  // namespace bioptimus::testing

#endif  // BIOPTIMUS_TESTS_PIPELINE_SUPPORT_HPP
