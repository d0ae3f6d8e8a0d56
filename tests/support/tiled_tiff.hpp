// The TIFF tags of one pyramid level as the test slide generators write it:
// 8-bit RGB, deflate-compressed square tiles, an optional description (the
// Aperio header of level 0).
#ifndef BIOPTIMUS_TESTS_TILED_TIFF_HPP
#define BIOPTIMUS_TESTS_TILED_TIFF_HPP

#include <tiffio.h>

#include <cstdint>
#include <string>

namespace bioptimus::testing {

inline void set_rgb_tiled_level(TIFF* tiff, std::uint32_t width, std::uint32_t height, std::uint32_t tile_side,
                                const std::string* description) {
  TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, width);
  TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, height);
  TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, 8);
  TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, 3);
  TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
  TIFFSetField(tiff, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(tiff, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE);
  TIFFSetField(tiff, TIFFTAG_TILEWIDTH, tile_side);
  TIFFSetField(tiff, TIFFTAG_TILELENGTH, tile_side);
  if (description != nullptr) {
    TIFFSetField(tiff, TIFFTAG_IMAGEDESCRIPTION, description->c_str());
  }
}

}  // namespace bioptimus::testing

#endif  // BIOPTIMUS_TESTS_TILED_TIFF_HPP
