// Links only the header-only bioptimus::types: no yaml-cpp, no {fmt}.
#include "bioptimus/extraction/wsi/types.hpp"

int main() {
  using namespace bioptimus::io::wsi;
  constexpr bioptimus::extraction::wsi::TileSpec tile{{.size = {224, 224}, .resolution = MPP{0.5}}};
  static_assert(tile.size_microns()->width == 112.0);
  return 0;
}
