// A whole slide at a coarse pixel size (masks, thumbnails), read in bands so
// that memory follows the output's size, not the slide's.
#ifndef BIOPTIMUS_SRC_EXTRACTION_DETAIL_DOWNSAMPLE_HPP
#define BIOPTIMUS_SRC_EXTRACTION_DETAIL_DOWNSAMPLE_HPP

#include "bioptimus/image/image.hpp"
#include "bioptimus/io/wsi/reader.hpp"

namespace bioptimus::detail {

/// The slide as an rgb8 image of `size`, each pixel covering `downsample_x`
/// x `downsample_y` level-0 pixels: read from the coarsest level at least as
/// fine (no upsampling tolerance) and area-averaged with OpenCV. Output
/// pixels beyond the slide are white.
[[nodiscard]] image::Image read_downsampled(const io::wsi::SlideReader& slide, double downsample_x, double downsample_y,
                                            io::wsi::WSIDims size);

}  // namespace bioptimus::detail

#endif  // BIOPTIMUS_SRC_EXTRACTION_DETAIL_DOWNSAMPLE_HPP
