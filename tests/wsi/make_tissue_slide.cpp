// tests/wsi/make_tissue_slide.cpp
//
// Writes a synthetic H&E slide with known tissue, fast enough for tests:
//
//   make_tissue_slide OUT.tif --size 20000x15000 [--mpp 0.25 | --no-mpp] [--appmag 40]
//                     [--generic | --leica X,Y] [--blank | --fragments UM,UM,...] [--truth TRUTH.pgm]
//                     [--corrupt-tile X,Y]
//
// The slide: a white background; five irregular tissue blobs (a textured
// pink/purple H&E look), the fourth with a large hole; nine small round
// specks of the same colours that a tissue detector must drop (--blank: the
// background alone, a slide without tissue). Shapes are
// laid out in fractions of the slide, so every size looks alike.
//
// --fragments 150,200,300: tissue of a physical size instead, the same on
// every slide size: irregular pieces whose area is the square of each size
// in microns (150: 0.0225 mm^2), repeated in that order row after row until
// the slide is full, 200 um apart; below each row, a 300 um band of dust,
// round specks 20 to 90 um across, 400 um apart (the dust is >= 300 um from
// any tissue, so a tile that holds dust holds no tissue).
//
// Aperio style (default): a tiled pyramid with downsamples 1, 4, 16, 64 (as
// long as a level is >= 64 px), the first ImageDescription starting "Aperio"
// with "|MPP = <mpp>|AppMag = <appmag>" (MPP left out with --no-mpp; AppMag
// 40 unless given).
// --generic: one level, no Aperio description; the MPP is in the TIFF
// resolution tags (pixels per centimetre), so OpenSlide opens it as
// "generic-tiff" and only the tags tell the pixel size.
// --leica X,Y: a Leica SCN file: the image (same pyramid) is the scanned
// area of a larger collection, at level-0 offset (X, Y), with 1000 px of
// glass beyond it on the right and bottom; OpenSlide reports the area as
// openslide.bounds-*, the slide as the whole collection, and the MPP from the
// resolution tags. The truth still covers the image alone.
//
// --corrupt-tile X,Y: the level-0 TIFF tile holding level-0 pixel (X, Y)
// is written as bytes zlib cannot inflate, so the slide opens but a read of
// that region fails (for the tests of read errors in the middle of a slide).
//
// The ground truth (--truth) is a binary PGM with one byte per cell of
// cell_side x cell_side level-0 pixels: 255 tissue, 128 speck, 0 background.
// Level-0 pixels take their cell's class exactly, so the truth is exact.
//
// Speed: tiles are 256 x 256, deflate level 1 through zlib, written raw; an
// all-white tile is compressed once and reused; the texture repeats every
// 64 px so that deflate finds it quickly.
#include <tiffio.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <numbers>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tiled_tiff.hpp"

namespace {

constexpr std::uint32_t tile_side = 256;
constexpr std::uint32_t cell_side = 16;
constexpr std::uint8_t background = 0;
constexpr std::uint8_t speck = 128;
constexpr std::uint8_t tissue = 255;

struct Blob {
  double u;       // centre, fraction of the width
  double v;       // centre, fraction of the height
  double radius;  // fraction of the shorter side
  double phase;
  bool has_hole;
};

constexpr std::array<Blob, 5> blobs{{
    {0.22, 0.30, 0.15, 0.3, false},
    {0.55, 0.28, 0.12, 1.7, false},
    {0.82, 0.36, 0.10, 2.9, false},
    {0.30, 0.72, 0.15, 4.1, true},
    {0.72, 0.74, 0.13, 5.3, false},
}};

constexpr std::array<std::array<double, 2>, 9> specks{{
    {0.05, 0.05},
    {0.50, 0.06},
    {0.95, 0.06},
    {0.04, 0.50},
    {0.45, 0.50},
    {0.96, 0.56},
    {0.08, 0.94},
    {0.52, 0.95},
    {0.93, 0.94},
}};
constexpr double speck_radius = 0.006;  // fraction of the shorter side

// An irregular outline: the radius wobbles with the angle.
double wobble(double angle, double phase) {
  return 1.0 + 0.16 * std::sin(3.0 * angle + phase) + 0.09 * std::sin(5.0 * angle + 2.0 * phase) +
         0.05 * std::sin(9.0 * angle + 3.0 * phase);
}

// The ground-truth cells, painted shape by shape.
struct Cells {
  std::uint32_t cells_x;
  std::uint32_t cells_y;
  std::vector<std::uint8_t> values = std::vector<std::uint8_t>(std::size_t{cells_x} * cells_y, background);

  // Gives every cell within `reach` level-0 px of (cx, cy) whose centre
  // `inside(dx, dy)` classes as tissue or speck that class.
  template <class Inside>
  void paint(double cx, double cy, double reach, Inside&& inside) {
    const auto lo_x = static_cast<std::int64_t>(std::max(0.0, (cx - reach) / cell_side));
    const auto hi_x = static_cast<std::int64_t>(std::min<double>(cells_x - 1, (cx + reach) / cell_side));
    const auto lo_y = static_cast<std::int64_t>(std::max(0.0, (cy - reach) / cell_side));
    const auto hi_y = static_cast<std::int64_t>(std::min<double>(cells_y - 1, (cy + reach) / cell_side));
    for (std::int64_t y = lo_y; y <= hi_y; ++y) {
      for (std::int64_t x = lo_x; x <= hi_x; ++x) {
        const double dx = (static_cast<double>(x) + 0.5) * cell_side - cx;
        const double dy = (static_cast<double>(y) + 0.5) * cell_side - cy;
        const std::uint8_t value = inside(dx, dy);
        if (value != background) {
          values[static_cast<std::size_t>(y) * cells_x + static_cast<std::size_t>(x)] = value;
        }
      }
    }
  }
  void disc(double cx, double cy, double radius, std::uint8_t value) {
    paint(cx, cy, radius, [&](double dx, double dy) { return std::hypot(dx, dy) <= radius ? value : background; });
  }
};

std::vector<std::uint8_t> make_cells(std::uint32_t cells_x, std::uint32_t cells_y, double width, double height) {
  Cells cells{cells_x, cells_y};
  const double shorter = std::min(width, height);
  const auto paint = [&cells](double cx, double cy, double reach, auto&& inside) {
    cells.paint(cx, cy, reach, inside);
  };
  for (const Blob& blob : blobs) {
    const double radius = blob.radius * shorter;
    paint(blob.u * width, blob.v * height, radius * 1.31, [&](double dx, double dy) {
      const double distance = std::hypot(dx, dy);
      const double angle = std::atan2(dy, dx);
      if (distance > radius * wobble(angle, blob.phase)) {
        return background;
      }
      if (blob.has_hole && distance < 0.38 * radius * wobble(angle, blob.phase + 1.0)) {
        return background;
      }
      return tissue;
    });
  }
  for (const auto& [u, v] : specks) {
    cells.disc(u * width, v * height, speck_radius * shorter, speck);
  }
  return std::move(cells.values);
}

// --fragments: pieces of `sides_um` (the square root of each one's area, in
// microns) row after row, with bands of dust between the rows.
std::vector<std::uint8_t> make_fragment_cells(std::uint32_t cells_x, std::uint32_t cells_y, double width, double height,
                                              double mpp, const std::vector<double>& sides_um) {
  Cells cells{cells_x, cells_y};
  constexpr double gap_um = 200.0;
  constexpr double dust_band_um = 300.0;
  constexpr std::array<double, 4> dust_um{20.0, 40.0, 60.0, 90.0};
  constexpr double dust_pitch_um = 400.0;
  // A wobbled disc of radius r has area pi r^2 (1 + mean of the wobble's
  // squared terms / 2): 1.01555 pi r^2 for wobble()'s 0.16, 0.09, 0.05.
  constexpr double wobble_area = 1.0 + (0.16 * 0.16 + 0.09 * 0.09 + 0.05 * 0.05) / 2.0;
  constexpr double reach = 1.31;  // the wobble's largest radius, in radii
  const double px = 1.0 / mpp;    // level-0 px per micron
  double y = gap_um * px;
  std::size_t next = 0;
  while (true) {
    // One row: as many pieces as fit, in the list's order.
    double x = gap_um * px;
    double row_height = 0.0;
    std::vector<std::array<double, 3>> row;  // centre x, radius, outline phase
    while (true) {
      const double side = sides_um[next % sides_um.size()];
      const double radius = side / std::sqrt(std::numbers::pi * wobble_area) * px;
      const double box = 2.0 * reach * radius;
      if (x + box + gap_um * px > width) {
        break;
      }
      row.push_back({x + box / 2.0, radius, 1.3 * static_cast<double>(next)});  // a shape of its own
      x += box + gap_um * px;
      row_height = std::max(row_height, box);
      ++next;
    }
    if (row.empty() || y + row_height + gap_um * px > height) {
      break;
    }
    for (const auto& [cx, radius, phase] : row) {
      cells.paint(cx, y + row_height / 2.0, radius * reach, [&, radius = radius, phase = phase](double dx, double dy) {
        return std::hypot(dx, dy) <= radius * wobble(std::atan2(dy, dx), phase) ? tissue : background;
      });
    }
    y += row_height + gap_um * px;
    // The dust band below the row, its specks on the band's middle line.
    if (y + dust_band_um * px > height) {
      break;
    }
    std::size_t speck_index = 0;
    for (double dx = dust_pitch_um * px; dx + dust_pitch_um * px < width; dx += dust_pitch_um * px, ++speck_index) {
      cells.disc(dx, y + dust_band_um * px / 2.0, dust_um[speck_index % dust_um.size()] / 2.0 * px, speck);
    }
    y += dust_band_um * px;
  }
  return std::move(cells.values);
}

// A 64 x 64 H&E-like texture: eosin pink with hematoxylin-purple nuclei.
std::vector<std::uint8_t> make_texture() {
  std::vector<std::uint8_t> texture(64 * 64 * 3);
  std::uint32_t state = 2463534242u;
  const auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  };
  for (std::size_t i = 0; i < 64 * 64; ++i) {
    const auto noise = static_cast<int>(next() % 21) - 10;
    const int x = static_cast<int>(i % 64);
    const int y = static_cast<int>(i / 64);
    const bool nucleus =
        ((x / 8) * 7 + (y / 8) * 3) % 5 == 0 && (x % 8 - 4) * (x % 8 - 4) + (y % 8 - 4) * (y % 8 - 4) < 9;
    const std::array<int, 3> base = nucleus ? std::array<int, 3>{110, 60, 150} : std::array<int, 3>{232, 150, 196};
    for (std::size_t c = 0; c < 3; ++c) {
      texture[i * 3 + c] = static_cast<std::uint8_t>(std::clamp(base[c] + noise, 0, 255));
    }
  }
  return texture;
}

struct Writer {
  TIFF* tiff;
  std::vector<std::uint8_t> pixels = std::vector<std::uint8_t>(std::size_t{tile_side} * tile_side * 3);
  std::vector<std::uint8_t> packed = std::vector<std::uint8_t>(compressBound(tile_side * tile_side * 3));
  std::vector<std::uint8_t> white_tile = {};
  /// --corrupt-tile: a level-0 pixel whose TIFF tile is written unreadable.
  std::optional<std::array<std::uint32_t, 2>> corrupt = std::nullopt;

  bool raw(std::uint32_t index, std::uint8_t* data, std::size_t size) {
    return TIFFWriteRawTile(tiff, index, data, static_cast<tmsize_t>(size)) >= 0;
  }
  std::size_t deflate() {
    uLongf size = static_cast<uLongf>(packed.size());
    if (compress2(packed.data(), &size, pixels.data(), static_cast<uLong>(pixels.size()), 1) != Z_OK) {
      return 0;
    }
    return size;
  }
};

bool write_level(Writer& writer, const std::vector<std::uint8_t>& cells, std::uint32_t cells_x,
                 const std::vector<std::uint8_t>& texture, std::uint32_t width, std::uint32_t height,
                 std::uint32_t downsample, const std::string* description, double pixels_per_cm) {
  TIFF* tiff = writer.tiff;
  bioptimus::testing::set_rgb_tiled_level(tiff, width, height, tile_side, description);
  if (pixels_per_cm > 0.0) {
    TIFFSetField(tiff, TIFFTAG_XRESOLUTION, pixels_per_cm / downsample);
    TIFFSetField(tiff, TIFFTAG_YRESOLUTION, pixels_per_cm / downsample);
    TIFFSetField(tiff, TIFFTAG_RESOLUTIONUNIT, RESUNIT_CENTIMETER);
  }
  const std::size_t cells_y = cells.size() / cells_x;
  // Level pixel (x, y) shows the level-0 pixel at the centre of its footprint.
  const auto cell_of = [&](std::uint32_t level_x, std::uint32_t level_y) {
    const std::size_t cx =
        std::min<std::size_t>(cells_x - 1, (std::size_t{level_x} * downsample + downsample / 2) / cell_side);
    const std::size_t cy =
        std::min<std::size_t>(cells_y - 1, (std::size_t{level_y} * downsample + downsample / 2) / cell_side);
    return cells[cy * cells_x + cx];
  };
  std::uint32_t index = 0;
  for (std::uint32_t ty = 0; ty < height; ty += tile_side) {
    for (std::uint32_t tx = 0; tx < width; tx += tile_side, ++index) {
      if (downsample == 1 && writer.corrupt && (*writer.corrupt)[0] / tile_side == tx / tile_side &&
          (*writer.corrupt)[1] / tile_side == ty / tile_side) {
        std::array<std::uint8_t, 64> garbage{};
        garbage.fill(0xA5);  // a zlib header naming compression method 5: inflate refuses it
        if (!writer.raw(index, garbage.data(), garbage.size())) {
          return false;
        }
        continue;
      }
      bool any = false;
      for (std::uint32_t y = ty; y < std::min(height, ty + tile_side) && !any;
           y += std::max(1u, cell_side / downsample)) {
        for (std::uint32_t x = tx; x < std::min(width, tx + tile_side); x += std::max(1u, cell_side / downsample)) {
          if (cell_of(x, y) != background) {
            any = true;
            break;
          }
        }
      }
      if (!any) {
        if (!writer.raw(index, writer.white_tile.data(), writer.white_tile.size())) {
          return false;
        }
        continue;
      }
      for (std::uint32_t y = 0; y < tile_side; ++y) {
        std::uint8_t* row = writer.pixels.data() + std::size_t{y} * tile_side * 3;
        for (std::uint32_t x = 0; x < tile_side; ++x) {
          const std::uint32_t lx = tx + x;
          const std::uint32_t ly = ty + y;
          std::uint8_t* pixel = row + std::size_t{x} * 3;
          if (lx >= width || ly >= height || cell_of(lx, ly) == background) {
            pixel[0] = pixel[1] = pixel[2] = 255;
            continue;
          }
          const std::size_t texel = ((std::size_t{ly} * downsample) % 64) * 64 + (std::size_t{lx} * downsample) % 64;
          std::copy_n(texture.data() + texel * 3, 3, pixel);
        }
      }
      const std::size_t size = writer.deflate();
      if (size == 0 || !writer.raw(index, writer.packed.data(), size)) {
        return false;
      }
    }
  }
  return TIFFWriteDirectory(tiff) == 1;
}

// The pyramid make_tissue_slide writes: downsample 1, 4, 16, ... while a level is >= 64 px.
std::vector<std::array<std::uint32_t, 2>> pyramid(std::uint32_t width, std::uint32_t height, bool single) {
  std::vector<std::array<std::uint32_t, 2>> levels;
  for (std::uint32_t downsample = 1;; downsample *= 4) {
    const std::uint32_t w = width / downsample;
    const std::uint32_t h = height / downsample;
    if (downsample > 1 && (single || w < 64 || h < 64)) {
      return levels;
    }
    levels.push_back({w, h});
  }
}

// Leica SCN's XML: a collection (the whole glass) holding one brightfield
// image (the scanned area) whose view is offset inside it; sizes in nm.
std::string leica_description(std::uint32_t width, std::uint32_t height, std::uint32_t offset_x, std::uint32_t offset_y,
                              double mpp) {
  const double nm = mpp * 1000.0;
  const auto nm_of = [nm](std::uint64_t pixels) {
    return std::to_string(static_cast<std::uint64_t>(static_cast<double>(pixels) * nm + 0.5));
  };
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<scn xmlns=\"http://www.leica-microsystems.com/scn/2010/10/01\">\n"
      " <collection name=\"synthetic\" uuid=\"00000000-0000-0000-0000-000000000001\" sizeX=\"" +
      nm_of(std::uint64_t{offset_x} + width + 1000) + "\" sizeY=\"" + nm_of(std::uint64_t{offset_y} + height + 1000) +
      "\">\n"
      "  <image name=\"main\" uuid=\"00000000-0000-0000-0000-000000000002\">\n"
      "   <creationDate>2026-11-25T00:00:00.00Z</creationDate>\n"
      "   <device model=\"synthetic\" version=\"1\"/>\n"
      "   <pixels sizeX=\"" +
      std::to_string(width) + "\" sizeY=\"" + std::to_string(height) + "\">\n";
  const auto levels = pyramid(width, height, false);
  for (std::size_t i = 0; i < levels.size(); ++i) {
    xml += "    <dimension sizeX=\"" + std::to_string(levels[i][0]) + "\" sizeY=\"" + std::to_string(levels[i][1]) +
           "\" r=\"" + std::to_string(i) + "\" ifd=\"" + std::to_string(i) + "\"/>\n";
  }
  xml += "   </pixels>\n   <view sizeX=\"" + nm_of(width) + "\" sizeY=\"" + nm_of(height) + "\" offsetX=\"" +
         nm_of(offset_x) + "\" offsetY=\"" + nm_of(offset_y) +
         "\" spacingZ=\"0\"/>\n"
         "   <scanSettings>\n"
         "    <objectiveSettings><objective>40</objective></objectiveSettings>\n"
         "    <illuminationSettings><numericalAperture>0.7</numericalAperture>"
         "<illuminationSource>brightfield</illuminationSource></illuminationSettings>\n"
         "   </scanSettings>\n  </image>\n </collection>\n</scn>\n";
  return xml;
}

bool parse_size(std::string_view text, std::uint32_t& width, std::uint32_t& height) {
  const auto x = text.find('x');
  if (x == std::string_view::npos) {
    return false;
  }
  width = static_cast<std::uint32_t>(std::strtoul(std::string(text.substr(0, x)).c_str(), nullptr, 10));
  height = static_cast<std::uint32_t>(std::strtoul(std::string(text.substr(x + 1)).c_str(), nullptr, 10));
  return width >= 64 && height >= 64;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(
        stderr,
        "usage: make_tissue_slide OUT.tif [--size WxH] [--mpp MPP | --no-mpp] [--appmag X] [--generic | --leica X,Y]\n"
        "                         [--blank | --fragments UM,UM,...] [--truth T.pgm] [--corrupt-tile X,Y]\n");
    return 2;
  }
  std::uint32_t width = 4096;
  std::uint32_t height = 3072;
  std::string mpp = "0.25";
  bool generic = false;
  bool blank = false;
  bool leica = false;
  std::uint32_t leica_x = 0;
  std::uint32_t leica_y = 0;
  std::string truth;
  std::string appmag = "40";
  std::vector<double> fragments;
  std::optional<std::array<std::uint32_t, 2>> corrupt;
  for (int i = 2; i < argc; ++i) {
    const std::string_view argument = argv[i];
    if (argument == "--size" && i + 1 < argc) {
      if (!parse_size(argv[++i], width, height)) {
        std::fprintf(stderr, "make_tissue_slide: bad --size %s\n", argv[i]);
        return 2;
      }
    } else if (argument == "--mpp" && i + 1 < argc) {
      mpp = argv[++i];
    } else if (argument == "--no-mpp") {
      mpp.clear();
    } else if (argument == "--appmag" && i + 1 < argc) {
      appmag = argv[++i];
    } else if (argument == "--fragments" && i + 1 < argc) {
      for (std::string_view list = argv[++i]; !list.empty();) {
        const std::size_t comma = std::min(list.find(','), list.size());
        const double side = std::strtod(std::string(list.substr(0, comma)).c_str(), nullptr);
        if (!(side > 0.0)) {
          std::fprintf(stderr, "make_tissue_slide: bad --fragments %s\n", argv[i]);
          return 2;
        }
        fragments.push_back(side);
        list.remove_prefix(std::min(list.size(), comma + 1));
      }
    } else if (argument == "--generic") {
      generic = true;
    } else if (argument == "--blank") {
      blank = true;
    } else if (argument == "--leica" && i + 1 < argc) {
      const std::string offset = argv[++i];
      const auto comma = offset.find(',');
      leica_x = static_cast<std::uint32_t>(std::strtoul(offset.substr(0, comma).c_str(), nullptr, 10));
      leica_y = comma == std::string::npos
                    ? 0
                    : static_cast<std::uint32_t>(std::strtoul(offset.substr(comma + 1).c_str(), nullptr, 10));
      leica = true;
    } else if (argument == "--corrupt-tile" && i + 1 < argc) {
      const std::string at = argv[++i];
      const auto comma = at.find(',');
      if (comma == std::string::npos) {
        std::fprintf(stderr, "make_tissue_slide: bad --corrupt-tile %s (expected X,Y)\n", at.c_str());
        return 2;
      }
      corrupt = std::array<std::uint32_t, 2>{
          static_cast<std::uint32_t>(std::strtoul(at.substr(0, comma).c_str(), nullptr, 10)),
          static_cast<std::uint32_t>(std::strtoul(at.substr(comma + 1).c_str(), nullptr, 10))};
    } else if (argument == "--truth" && i + 1 < argc) {
      truth = argv[++i];
    } else {
      std::fprintf(stderr, "make_tissue_slide: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  const std::uint32_t cells_x = (width + cell_side - 1) / cell_side;
  const std::uint32_t cells_y = (height + cell_side - 1) / cell_side;
  const double mpp_value = mpp.empty() ? 0.25 : std::strtod(mpp.c_str(), nullptr);
  const std::vector<std::uint8_t> cells =
      blank               ? std::vector<std::uint8_t>(std::size_t{cells_x} * cells_y, background)
      : fragments.empty() ? make_cells(cells_x, cells_y, width, height)
                          : make_fragment_cells(cells_x, cells_y, width, height, mpp_value, fragments);
  const std::vector<std::uint8_t> texture = make_texture();

  const std::string size_text = std::to_string(width) + "x" + std::to_string(height);
  std::string description =
      "Aperio Image Library v10.0.50\r\n" + size_text + " [0,0 " + size_text + "] (256x256) RAW/RGB|AppMag = " + appmag;
  if (!mpp.empty()) {
    description += "|MPP = " + mpp;
  }
  const double pixels_per_cm = (generic || leica) && !mpp.empty() ? 1e4 / mpp_value : 0.0;
  if (leica) {
    description = leica_description(width, height, leica_x, leica_y, mpp_value);
  }

  const bool big = std::uint64_t{width} * height > (std::uint64_t{1} << 30);
  TIFF* tiff = TIFFOpen(argv[1], big ? "w8" : "w");
  if (tiff == nullptr) {
    std::fprintf(stderr, "make_tissue_slide: cannot create %s\n", argv[1]);
    return 1;
  }
  Writer writer{tiff};
  writer.corrupt = corrupt;
  std::fill(writer.pixels.begin(), writer.pixels.end(), std::uint8_t{255});
  const std::size_t white_size = writer.deflate();
  writer.white_tile.assign(writer.packed.begin(), writer.packed.begin() + static_cast<std::ptrdiff_t>(white_size));

  bool ok = white_size > 0;
  std::uint32_t downsample = 1;
  for (const auto& [level_width, level_height] : pyramid(width, height, generic)) {
    ok = ok && write_level(writer, cells, cells_x, texture, level_width, level_height, downsample,
                           downsample == 1 && !generic ? &description : nullptr, pixels_per_cm);
    downsample *= 4;
  }
  TIFFClose(tiff);
  if (ok && !truth.empty()) {
    std::ofstream out(truth, std::ios::binary);
    out << "P5\n" << cells_x << ' ' << cells_y << "\n255\n";
    out.write(reinterpret_cast<const char*>(cells.data()), static_cast<std::streamsize>(cells.size()));
    ok = static_cast<bool>(out);
  }
  if (!ok) {
    std::fprintf(stderr, "make_tissue_slide: writing %s failed\n", argv[1]);
    return 1;
  }
  return 0;
}
