// bioptimus/extraction/wsi/thumbnail.hpp
//
// A picture to check an extraction by eye: the slide, small, with the tissue
// mask's outline in green and the kept tiles' footprints in blue.
#ifndef BIOPTIMUS_EXTRACTION_WSI_THUMBNAIL_HPP
#define BIOPTIMUS_EXTRACTION_WSI_THUMBNAIL_HPP

#include <cstdint>
#include <filesystem>

#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "bioptimus/io/wsi/reader.hpp"

namespace bioptimus::extraction::wsi {

/// Writes DIR/<slide>.png, at most `max_side` pixels on its longer side, for
/// the slide `extractor` was fitted to and extracted from (the same reader).
/// Returns the path written. @throws Error, io::wsi::SlideError.
std::filesystem::path write_thumbnail(const std::filesystem::path& directory, const io::wsi::SlideReader& slide,
                                      const TileExtractor& extractor, std::int64_t max_side = 2048);

}  // namespace bioptimus::extraction::wsi

#endif  // BIOPTIMUS_EXTRACTION_WSI_THUMBNAIL_HPP
