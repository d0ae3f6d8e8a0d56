// tests/geometry/make_test_slide.cpp
//
// Writes a small pyramidal, tiled TIFF in the style of an Aperio SVS, so that
// OpenSlide's aperio driver opens it and reports openslide.mpp-x/-y:
//
//   make_test_slide OUT.svs [--mpp 0.2525 | --no-mpp]
//
// Three levels, each a single uniform colour so that a reader can tell from
// the pixels which level it read:
//   level 0: 2048 x 1536, downsample 1, RGB (200, 100,  50)
//   level 1: 1024 x  768, downsample 2, RGB ( 60, 120, 180)
//   level 2:  256 x  192, downsample 8, RGB ( 90,  90,  90)
// Tiles are 256 x 256 (libtiff pads the edge tiles), deflate-compressed.
// The first directory's ImageDescription starts "Aperio Image Library" and
// carries "|MPP = <mpp>|AppMag = 40" (left out with --no-mpp).
#include <tiffio.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "tiled_tiff.hpp"

namespace {

struct LevelSpec {
  std::uint32_t width;
  std::uint32_t height;
  std::array<unsigned char, 3> rgb;
};

constexpr std::uint32_t tile_side = 256;
constexpr std::array<LevelSpec, 3> levels{{
    {2048, 1536, {200, 100, 50}},
    {1024, 768, {60, 120, 180}},
    {256, 192, {90, 90, 90}},
}};

bool write_level(TIFF* tiff, const LevelSpec& level, const std::string* description) {
  bioptimus::testing::set_rgb_tiled_level(tiff, level.width, level.height, tile_side, description);
  std::vector<unsigned char> tile(std::size_t{tile_side} * tile_side * 3);
  for (std::size_t i = 0; i < tile.size(); i += 3) {
    tile[i] = level.rgb[0];
    tile[i + 1] = level.rgb[1];
    tile[i + 2] = level.rgb[2];
  }
  for (std::uint32_t y = 0; y < level.height; y += tile_side) {
    for (std::uint32_t x = 0; x < level.width; x += tile_side) {
      if (TIFFWriteTile(tiff, tile.data(), x, y, 0, 0) < 0) {
        return false;
      }
    }
  }
  return TIFFWriteDirectory(tiff) == 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: make_test_slide OUT.svs [--mpp MPP | --no-mpp]\n");
    return 2;
  }
  std::string mpp = "0.2525";
  for (int i = 2; i < argc; ++i) {
    const std::string_view argument = argv[i];
    if (argument == "--mpp" && i + 1 < argc) {
      mpp = argv[++i];
    } else if (argument == "--no-mpp") {
      mpp.clear();
    } else {
      std::fprintf(stderr, "make_test_slide: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  std::string description =
      "Aperio Image Library v10.0.50\r\n2048x1536 [0,0 2048x1536] (256x256) -> 2048x1536 RAW/RGB|AppMag = 40";
  if (!mpp.empty()) {
    description =
        "Aperio Image Library v10.0.50\r\n2048x1536 [0,0 2048x1536] (256x256) -> 2048x1536 RAW/RGB|MPP = " + mpp +
        "|AppMag = 40";
  }
  TIFF* tiff = TIFFOpen(argv[1], "w");
  if (tiff == nullptr) {
    std::fprintf(stderr, "make_test_slide: cannot create %s\n", argv[1]);
    return 1;
  }
  bool ok = true;
  for (std::size_t i = 0; i < levels.size() && ok; ++i) {
    ok = write_level(tiff, levels[i], i == 0 ? &description : nullptr);
  }
  TIFFClose(tiff);
  if (!ok) {
    std::fprintf(stderr, "make_test_slide: writing %s failed\n", argv[1]);
    return 1;
  }
  return 0;
}
