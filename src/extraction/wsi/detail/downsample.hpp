// A whole slide at a coarse pixel size (masks, thumbnails), read in bands so
// that memory follows the output's size, not the slide's.
#ifndef BIOPTIMUS_SRC_EXTRACTION_DETAIL_DOWNSAMPLE_HPP
#define BIOPTIMUS_SRC_EXTRACTION_DETAIL_DOWNSAMPLE_HPP

#include <cstdint>

#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "bioptimus/extraction/wsi/tissue_mask.hpp"
#include "bioptimus/image/image.hpp"
#include "bioptimus/io/wsi/reader.hpp"

namespace bioptimus::detail {

/// The slide as an rgb8 image of `size`, each pixel covering `downsample_x`
/// x `downsample_y` level-0 pixels: read from the coarsest level at least as
/// fine (no upsampling tolerance) and area-averaged with OpenCV. Output
/// pixels beyond the slide are white.
[[nodiscard]] image::Image read_downsampled(const io::wsi::SlideReader& slide, double downsample_x, double downsample_y,
                                            io::wsi::WSIDims size);

/// The slide at most `max_side` pixels on its longer side (one downsample on
/// both axes, never below 1), read with read_downsampled.
[[nodiscard]] extraction::wsi::SlideThumbnail read_thumbnail(const io::wsi::SlideReader& slide, std::int64_t max_side);

/// `picture` reduced by area averaging to at most `max_side` pixels on its
/// longer side (as it is when it already fits), its placement scaled along.
[[nodiscard]] extraction::wsi::SlideThumbnail reduce_thumbnail(extraction::wsi::SlideThumbnail picture,
                                                               std::int64_t max_side);

/// The slide in RGB at the pixel size params.mpp, the picture
/// segment_tissue(slide, params) segments (implemented in tissue_mask.cpp).
/// @throws ValidationError for bad params, io::wsi::SlideError.
[[nodiscard]] extraction::wsi::SlideThumbnail read_mask_picture(const io::wsi::SlideReader& slide,
                                                                const extraction::wsi::TissueMaskParams& params);

}  // namespace bioptimus::detail

#endif  // BIOPTIMUS_SRC_EXTRACTION_DETAIL_DOWNSAMPLE_HPP
