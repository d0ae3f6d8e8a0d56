// Plan a built-in model's tiles on a real slide with OpenSlide, read a few of
// them and say what was done:
//
//   openslide_tiles SLIDE [MODEL] [--tiles N] [--partial drop|pad]
//                   [--mpp-override MPP] [--no-bounds]
//
// MODEL defaults to h0-mini. The slide's level-0 MPP comes from the
// openslide.mpp-x / openslide.mpp-y properties; a slide without them (or with
// an implausible value) is refused unless --mpp-override gives one. Each line
// of the report is `key: value`. The regions are read, not resized: resizing
// region_size() to tile_size() with the model's interpolation is the next
// step of a pipeline. Exit status: 0 done, 1 the slide or plan failed, 2 usage.
#include <fmt/format.h>
#include <openslide.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "bioptimus/extraction/wsi/tiling.hpp"
#include "bioptimus/io/wsi/slide.hpp"
#include "bioptimus/models/registry.hpp"

namespace {

using bioptimus::extraction::wsi::PartialTiles;
using bioptimus::extraction::wsi::Tile;
using bioptimus::extraction::wsi::TilePlan;
using bioptimus::extraction::wsi::TilingOptions;
using bioptimus::io::wsi::MPP;
using bioptimus::io::wsi::SlideGeometry;
using bioptimus::io::wsi::WSIBounds;
using bioptimus::io::wsi::WSIDims;

struct SlideCloser {
  void operator()(openslide_t* slide) const noexcept { openslide_close(slide); }
};
using SlideHandle = std::unique_ptr<openslide_t, SlideCloser>;

// A property parsed as a number (locale-independent), or nothing.
template <class Number>
std::optional<Number> number_property(openslide_t* slide, const char* name) {
  const char* text = openslide_get_property_value(slide, name);
  if (text == nullptr) {
    return std::nullopt;
  }
  const std::string_view view(text);
  Number value{};
  const auto result = std::from_chars(view.data(), view.data() + view.size(), value);
  if (result.ec != std::errc{} || result.ptr != view.data() + view.size()) {
    return std::nullopt;
  }
  return value;
}

// The slide's geometry as OpenSlide reports it. An MPP that is absent, not a
// number or not > 0 counts as missing; plan_tiles() then asks for an override.
SlideGeometry read_geometry(openslide_t* slide) {
  SlideGeometry::Fields fields;
  const std::optional<double> mpp_x = number_property<double>(slide, OPENSLIDE_PROPERTY_NAME_MPP_X);
  const std::optional<double> mpp_y = number_property<double>(slide, OPENSLIDE_PROPERTY_NAME_MPP_Y);
  if (mpp_x && mpp_y && MPP::is_valid(*mpp_x) && MPP::is_valid(*mpp_y)) {
    fields.mpp_x = MPP{*mpp_x};
    fields.mpp_y = MPP{*mpp_y};
  }
  const std::int32_t levels = openslide_get_level_count(slide);
  for (std::int32_t level = 0; level < levels; ++level) {
    WSIDims dims{0, 0};
    openslide_get_level_dimensions(slide, level, &dims.width, &dims.height);
    fields.level_dimensions.push_back(dims);
    fields.level_downsamples.push_back(openslide_get_level_downsample(slide, level));
  }
  const auto x = number_property<std::int64_t>(slide, OPENSLIDE_PROPERTY_NAME_BOUNDS_X);
  const auto y = number_property<std::int64_t>(slide, OPENSLIDE_PROPERTY_NAME_BOUNDS_Y);
  const auto width = number_property<std::int64_t>(slide, OPENSLIDE_PROPERTY_NAME_BOUNDS_WIDTH);
  const auto height = number_property<std::int64_t>(slide, OPENSLIDE_PROPERTY_NAME_BOUNDS_HEIGHT);
  if (x && y && width && height) {
    fields.bounds = WSIBounds{*x, *y, *width, *height};
  }
  return SlideGeometry{fields};
}

struct Arguments {
  std::string slide_path;
  std::string model = "h0-mini";
  std::int64_t tiles_to_read = 4;
  TilingOptions options;
};

std::optional<Arguments> parse_arguments(int argc, char** argv) {
  Arguments arguments;
  std::vector<std::string_view> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string_view argument = argv[i];
    const bool has_value = i + 1 < argc;
    if (argument == "--tiles" && has_value) {
      const std::string_view value = argv[++i];
      const auto result = std::from_chars(value.data(), value.data() + value.size(), arguments.tiles_to_read);
      if (result.ec != std::errc{} || arguments.tiles_to_read < 0) {
        return std::nullopt;
      }
    } else if (argument == "--partial" && has_value) {
      const auto policy = bioptimus::extraction::wsi::parse_partial_tiles(argv[++i]);
      if (!policy) {
        return std::nullopt;
      }
      arguments.options.partial_tiles = *policy;
    } else if (argument == "--mpp-override" && has_value) {
      const std::string_view value = argv[++i];
      double mpp = 0.0;
      const auto result = std::from_chars(value.data(), value.data() + value.size(), mpp);
      if (result.ec != std::errc{} || !MPP::is_valid(mpp)) {
        return std::nullopt;
      }
      arguments.options.mpp_override = MPP{mpp};
    } else if (argument == "--no-bounds") {
      arguments.options.use_bounds = false;
    } else if (argument.starts_with("--")) {
      return std::nullopt;
    } else {
      positional.push_back(argument);
    }
  }
  if (positional.empty() || positional.size() > 2) {
    return std::nullopt;
  }
  arguments.slide_path = positional[0];
  if (positional.size() == 2) {
    arguments.model = positional[1];
  }
  return arguments;
}

std::string describe_mpp(const std::optional<MPP>& mpp) { return mpp ? fmt::format("{}", mpp->value()) : "unknown"; }

// Reads `count` tiles spread evenly over the plan; returns the mean of the
// opaque pixels' R, G and B (OpenSlide pads beyond the slide with transparent
// pixels) and prints how many were read.
int read_tiles(openslide_t* slide, const TilePlan& plan, std::int64_t count) {
  const std::int64_t to_read = count < plan.size() ? count : plan.size();
  const auto region = plan.region_size();
  std::vector<std::uint32_t> pixels(static_cast<std::size_t>(region.width * region.height));
  std::array<double, 3> sums{0.0, 0.0, 0.0};
  std::int64_t opaque = 0;
  std::int64_t transparent = 0;
  for (std::int64_t k = 0; k < to_read; ++k) {
    const Tile tile = plan.tile(k * plan.size() / to_read);
    openslide_read_region(slide, pixels.data(), tile.x, tile.y, plan.level().index(), region.width, region.height);
    if (const char* error = openslide_get_error(slide)) {
      fmt::print(stderr, "reading tile {} at ({}, {}) failed: {}\n", tile.index, tile.x, tile.y, error);
      return 1;
    }
    for (const std::uint32_t argb : pixels) {
      const std::uint32_t alpha = argb >> 24U;
      if (alpha == 0) {
        ++transparent;
        continue;
      }
      // Premultiplied ARGB: undo the premultiplication.
      const auto channel = [&](unsigned shift) {
        return static_cast<double>((argb >> shift) & 0xffU) * 255.0 / static_cast<double>(alpha);
      };
      sums[0] += channel(16U);
      sums[1] += channel(8U);
      sums[2] += channel(0U);
      ++opaque;
    }
    fmt::print("tile {}: column {}, row {}, level-0 ({}, {}), {}x{} level-0 px{}\n", tile.index, tile.column, tile.row,
               tile.x, tile.y, tile.width, tile.height, tile.is_partial() ? " (partial)" : "");
  }
  fmt::print("read: {} tiles, {} opaque and {} padding pixels\n", to_read, opaque, transparent);
  if (opaque > 0) {
    const double n = static_cast<double>(opaque);
    fmt::print("mean rgb: {:.3f} {:.3f} {:.3f}\n", sums[0] / n, sums[1] / n, sums[2] / n);
    fmt::print("mean: {:.3f}\n", (sums[0] + sums[1] + sums[2]) / (3.0 * n));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<Arguments> arguments = parse_arguments(argc, argv);
  if (!arguments) {
    fmt::print(stderr,
               "usage: openslide_tiles SLIDE [MODEL] [--tiles N] [--partial drop|pad] [--mpp-override MPP] "
               "[--no-bounds]\n");
    return 2;
  }
  const char* vendor = openslide_detect_vendor(arguments->slide_path.c_str());
  SlideHandle slide(openslide_open(arguments->slide_path.c_str()));
  if (!slide) {
    fmt::print(stderr, "{}: not a slide OpenSlide can open\n", arguments->slide_path);
    return 1;
  }
  if (const char* error = openslide_get_error(slide.get())) {
    fmt::print(stderr, "{}: {}\n", arguments->slide_path, error);
    return 1;
  }
  try {
    const auto& model = bioptimus::models::Registry::builtin().get(arguments->model);
    const SlideGeometry geometry = read_geometry(slide.get());
    fmt::print("slide: {}\n", arguments->slide_path);
    fmt::print("vendor: {}\n", vendor != nullptr ? vendor : "unknown");
    fmt::print("slide mpp: {} x {}\n", describe_mpp(geometry.mpp_x()), describe_mpp(geometry.mpp_y()));
    for (std::size_t i = 0; i < geometry.level_count(); ++i) {
      fmt::print("level {}: {}x{} px, downsample {}\n", i, geometry.level_dimensions()[i].width,
                 geometry.level_dimensions()[i].height, geometry.level_downsamples()[i]);
    }
    fmt::print("model: {}, tile {}x{} px at {} mpp\n", model.identity(), model.tile_size_pixels().width,
               model.tile_size_pixels().height, model.mpp().value());

    // The plan: the same few lines as docs/slide-geometry.md.
    const TilePlan plan = bioptimus::extraction::wsi::plan_tiles(model.tile_spec(), geometry, arguments->options);

    fmt::print("mpp used: {} x {}{}\n", describe_mpp(plan.slide_mpp_x()), describe_mpp(plan.slide_mpp_y()),
               arguments->options.mpp_override ? " (override)" : "");
    fmt::print("target downsample: {:.4f} x {:.4f}\n", plan.target_downsample().width, plan.target_downsample().height);
    fmt::print("level: {}\n", plan.level().index());
    fmt::print("level downsample: {}\n", plan.level_downsample());
    fmt::print("region: {}x{}\n", plan.region_size().width, plan.region_size().height);
    fmt::print("resize: {}x{} -> {}x{}{}\n", plan.region_size().width, plan.region_size().height,
               plan.tile_size().width, plan.tile_size().height,
               !plan.needs_resize() ? " (none)" : (plan.upsamples() ? " (upsample)" : " (downsample)"));
    fmt::print("footprint: {}x{}\n", plan.footprint().width, plan.footprint().height);
    fmt::print("stride: {}x{}\n", plan.stride().width, plan.stride().height);
    fmt::print("area: {},{} {}x{}\n", plan.area().x, plan.area().y, plan.area().width, plan.area().height);
    fmt::print("partial tiles: {}\n", to_string(plan.partial_tiles()));
    fmt::print("grid: {}x{}\n", plan.columns(), plan.rows());
    fmt::print("tiles: {}\n", plan.size());
    return read_tiles(slide.get(), plan, arguments->tiles_to_read);
  } catch (const std::exception& error) {
    fmt::print(stderr, "{}\n", error.what());
    return 1;
  }
}
