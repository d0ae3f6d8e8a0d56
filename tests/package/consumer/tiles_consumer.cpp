// The slide layers from the installed package: bioptimus::extraction (and
// through it bioptimus::wsi) links, and OpenSlide's errors arrive as ours.
#include <cstdio>

#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "bioptimus/io/wsi/reader.hpp"

int main() {
  using namespace bioptimus::extraction::wsi;
  const TileExtractor extractor{TileSpec{{.size = Extent{224}, .resolution = bioptimus::io::wsi::MPP{0.5}}}};
  try {
    const bioptimus::io::wsi::SlideReader slide{"missing.svs"};
  } catch (const bioptimus::io::wsi::SlideError& error) {
    std::printf("tiles_consumer: %s (threshold %.1f)\n", error.what(), extractor.options().mask_threshold);
    return 0;
  }
  return 1;
}
