// PNG tiles on the wire (libpng's simplified API): the client encodes the
// resized 8-bit RGB tile, the server decodes it.
#ifndef BIOPTIMUS_SRC_REMOTE_PNG_CODEC_HPP
#define BIOPTIMUS_SRC_REMOTE_PNG_CODEC_HPP

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "bioptimus/image/image.hpp"
#include "bioptimus/image/resize.hpp"

namespace bioptimus::remote::detail {

/// Encodes `tile` (rgb8) as PNG into `out` (replaced; its capacity is reused)
/// with libpng's fast settings: encoding, not size, is what costs at
/// thousands of tiles a second. Throws bioptimus::Error if libpng fails.
void encode_png(const image::ImageView& tile, std::vector<std::uint8_t>& out);

/// Decodes `png` into `pixels` (rgb8, or rgba8 when it has transparency) when
/// it is `expected` in size and sets `tile` to view them. The header is read
/// first: a PNG that declares another size (a 100000 x 100000 "bomb") is
/// refused before any pixel memory is allocated. Returns an empty string on
/// success, else what is wrong.
[[nodiscard]] std::string decode_png_tile(std::span<const std::uint8_t> png, image::Size expected,
                                          std::vector<std::uint8_t>& pixels, image::ImageView& tile);

}  // namespace bioptimus::remote::detail

#endif  // BIOPTIMUS_SRC_REMOTE_PNG_CODEC_HPP
