// Stain normalisation beyond parity: Vahadane on tiles made from known stain
// vectors, tiles with too little tissue and other edge cases (defined
// output, never NaN), the slide-level source, and the Preprocessor's stain
// and HED paths (HED against scikit-image itself).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "bioptimus/error.hpp"
#include "bioptimus/models/preprocess.hpp"
#include "bioptimus/models/registry.hpp"
#include "bioptimus/models/stain.hpp"
#include "image_io.hpp"
#include "test_models.hpp"

namespace {

namespace image = bioptimus::image;
namespace models = bioptimus::models;
using Catch::Matchers::Contains;
using models::StainEstimation;
using models::StainNormalization;
using models::StainNormalizer;
using models::StainOutcome;

constexpr std::array all_methods{StainNormalization::macenko, StainNormalization::reinhard,
                                 StainNormalization::vahadane};

using Vector = std::array<double, 3>;

Vector unit(Vector v) {
  const double norm = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  return {v[0] / norm, v[1] / norm, v[2] / norm};
}

double angle_degrees(const Vector& a, const Vector& b) {
  const Vector ua = unit(a);
  const Vector ub = unit(b);
  const double cosine = std::clamp(ua[0] * ub[0] + ua[1] * ub[1] + ua[2] * ub[2], -1.0, 1.0);
  return std::acos(cosine) * 180 / std::numbers::pi;
}

// A tile by Beer-Lambert from two known stains with sparse concentrations:
// mostly one stain per pixel (nuclei, stroma), some mixtures, some glass.
// Inverts torchstain's OD = -log((v + 1) / 240).
image::Image known_stain_tile(const Vector& hematoxylin, const Vector& eosin, std::uint32_t seed,
                              std::int64_t side = 224) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> uniform(0, 1);
  image::Image out(side, side);
  std::uint8_t* p = out.bytes().data();
  for (std::int64_t i = 0; i < side * side; ++i, p += 3) {
    const double kind = uniform(random);
    double h = 0;
    double e = 0;
    if (kind < 0.3) {
      h = 0.3 + 1.2 * uniform(random);
    } else if (kind < 0.8) {
      e = 0.2 + 1.0 * uniform(random);
    } else if (kind < 0.9) {
      h = 0.2 + 0.6 * uniform(random);
      e = 0.2 + 0.6 * uniform(random);
    }
    for (std::size_t c = 0; c < 3; ++c) {
      const double value = 240 * std::exp(-(h * hematoxylin[c] + e * eosin[c])) - 1;
      p[c] = static_cast<std::uint8_t>(std::clamp(std::lround(value), 0L, 255L));
    }
  }
  return out;
}

image::Image filled(std::int64_t width, std::int64_t height, std::array<std::uint8_t, 3> colour) {
  image::Image out(width, height);
  for (std::size_t i = 0; i < out.bytes().size(); ++i) {
    out.bytes()[i] = colour[i % 3];
  }
  return out;
}

image::Image noise(std::int64_t width, std::int64_t height, std::uint32_t seed, int low = 0, int high = 255) {
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> byte(low, high);
  image::Image out(width, height);
  for (std::uint8_t& value : out.bytes()) {
    value = static_cast<std::uint8_t>(byte(random));
  }
  return out;
}

image::Image he_tile(std::uint32_t seed = 3) {
  return known_stain_tile(unit({0.5626, 0.7201, 0.4062}), unit({0.2159, 0.8012, 0.5581}), seed);
}

struct Result {
  image::Image pixels;
  StainOutcome outcome;
};

Result run(const StainNormalizer& normalizer, const image::Image& tile) {
  image::Image out(tile.width(), tile.height());
  models::StainScratch scratch;
  const StainOutcome outcome = normalizer(tile.view(), out.mutable_view(), scratch);
  return {std::move(out), outcome};
}

}  // namespace

TEST_CASE("Vahadane recovers the stain vectors a tile was made of", "[stain][vahadane]") {
  // Two stain pairs, neither the solver's starting point (torchstain's
  // reference). Eosin absorbs some red and blue, as in scans (Ruifrok's pure
  // eosin would leave no pixel with an OD of 0.15 in every channel: none
  // would count as tissue).
  const std::vector<std::pair<Vector, Vector>> stains{{unit({0.65, 0.70, 0.29}), unit({0.27, 0.85, 0.45})},
                                                      {unit({0.45, 0.80, 0.40}), unit({0.15, 0.60, 0.78})}};
  const StainNormalizer vahadane(StainNormalization::vahadane);
  for (std::size_t i = 0; i < stains.size(); ++i) {
    const auto& [hematoxylin, eosin] = stains[i];
    const auto found = std::get<models::StainVectors>(
        vahadane.fit(known_stain_tile(hematoxylin, eosin, static_cast<std::uint32_t>(11 + i)).view()));
    const double h_error = angle_degrees(found.hematoxylin, hematoxylin);
    const double e_error = angle_degrees(found.eosin, eosin);
    std::cout << "vahadane known stains " << i << ": haematoxylin off by " << h_error << " degrees, eosin by "
              << e_error << "\n";
    CHECK(h_error < 1.0);
    CHECK(e_error < 1.0);
    // Unit columns, as the dictionary constraint says.
    CHECK(std::abs(std::hypot(found.hematoxylin[0], found.hematoxylin[1], found.hematoxylin[2]) - 1) < 1e-12);
  }
}

TEST_CASE("Vahadane normalisation maps a tile's stains onto the target's", "[stain][vahadane]") {
  // A tile of the target's own stains at the target's maximum concentrations
  // comes back close to itself.
  const Vector h = unit({0.5626, 0.7201, 0.4062});
  const Vector e = unit({0.2159, 0.8012, 0.5581});
  const image::Image tile = known_stain_tile(h, e, 5);
  const StainNormalizer vahadane(StainNormalization::vahadane);
  const auto stains = std::get<models::StainVectors>(vahadane.fit(tile.view()));
  const StainNormalizer to_itself(StainNormalization::vahadane, {.target = stains});
  const Result result = run(to_itself, tile);
  CHECK(result.outcome == StainOutcome::own_stains);
  double total = 0;
  for (std::size_t i = 0; i < tile.bytes().size(); ++i) {
    total += std::abs(int{tile.bytes()[i]} - int{result.pixels.bytes()[i]});
  }
  // The lasso (lambda 0.01) shrinks concentrations a little: a few steps on average at most.
  CHECK(total / static_cast<double>(tile.bytes().size()) < 3.0);
}

TEST_CASE("Tiles with too little tissue pass unchanged, or take the slide's stains", "[stain][edge]") {
  const image::Image glass = noise(224, 224, 7, 225, 250);  // no pixel is tissue
  const image::Image tissue = he_tile();
  for (const StainNormalization method : all_methods) {
    INFO(to_string(method));
    const StainNormalizer per_tile(method);
    const Result alone = run(per_tile, glass);
    CHECK(alone.outcome == StainOutcome::unchanged);
    CHECK(alone.pixels == glass);
    CHECK(run(per_tile, tissue).outcome == StainOutcome::own_stains);

    const models::StainTarget slide = per_tile.fit(tissue.view());
    const StainNormalizer with_slide(method, {.slide_stains = slide});
    CHECK(run(with_slide, glass).outcome == StainOutcome::slide_stains);
    CHECK(run(with_slide, tissue).outcome == StainOutcome::own_stains);
    // Per slide, every tile uses the slide's stains: the tissue tile it was
    // fitted on comes out as its own estimate would make it.
    const StainNormalizer per_slide(method, {.estimation = StainEstimation::per_slide, .slide_stains = slide});
    const Result mapped = run(per_slide, tissue);
    CHECK(mapped.outcome == StainOutcome::slide_stains);
    CHECK(mapped.pixels == run(per_tile, tissue).pixels);
  }
}

TEST_CASE("Degenerate tiles never crash or make NaN", "[stain][edge]") {
  std::vector<std::pair<std::string, image::Image>> tiles;
  tiles.emplace_back("white", filled(64, 64, {255, 255, 255}));
  tiles.emplace_back("black", filled(64, 64, {0, 0, 0}));
  tiles.emplace_back("one tissue colour", filled(64, 64, {150, 80, 160}));
  tiles.emplace_back("grey ramp", [] {
    image::Image ramp(256, 4);
    for (std::size_t i = 0; i < ramp.bytes().size(); ++i) {
      ramp.bytes()[i] = static_cast<std::uint8_t>((i / 3) % 256);
    }
    return ramp;
  }());
  tiles.emplace_back("two colours", [] {
    image::Image two = filled(64, 64, {90, 50, 140});
    for (std::size_t i = 0; i < two.bytes().size() / 2; ++i) {
      two.bytes()[i] = std::array<std::uint8_t, 3>{220, 120, 170}[i % 3];
    }
    return two;
  }());
  tiles.emplace_back("saturated halves", [] {
    image::Image halves = filled(64, 64, {0, 0, 0});
    std::fill(halves.bytes().begin(), halves.bytes().begin() + 64 * 32 * 3, std::uint8_t{255});
    return halves;
  }());
  tiles.emplace_back("noise", noise(64, 64, 3));
  for (const std::int64_t side : {1, 2, 3}) {
    tiles.emplace_back("tiny " + std::to_string(side), noise(side, side, 4, 60, 200));
  }
  const models::ModelSpec base = bioptimus::testing::small_vit_spec();
  for (const StainNormalization method : all_methods) {
    for (const std::int64_t min_tissue : {std::int64_t{0}, std::int64_t{1000}}) {
      const StainNormalizer normalizer(method, {.min_tissue_pixels = min_tissue});
      auto fields = base.fields();
      fields.stain_normalization = method;
      const models::Preprocessor preprocessor(models::ModelSpec{fields}, {.stain = {.min_tissue_pixels = min_tissue}});
      std::vector<float> input(static_cast<std::size_t>(preprocessor.output_elements()));
      for (const auto& [name, tile] : tiles) {
        INFO(to_string(method) << ", min_tissue_pixels " << min_tissue << ", " << name);
        const Result result = run(normalizer, tile);
        if (result.outcome == StainOutcome::unchanged) {
          CHECK(result.pixels == tile);
        }
        // Flat tiles have no second stain or no spread to map: left as they are.
        if (name == "white" || name == "black" || name == "one tissue colour" || name == "tiny 1") {
          CHECK(result.outcome == StainOutcome::unchanged);
        }
        preprocessor(tile.view(), input);
        CHECK(std::all_of(input.begin(), input.end(), [](float value) { return std::isfinite(value); }));
      }
    }
  }
}

TEST_CASE("Stain normalisation works in place and reuses its scratch across tile sizes", "[stain]") {
  for (const StainNormalization method : all_methods) {
    INFO(to_string(method));
    const StainNormalizer normalizer(method);
    models::StainScratch scratch;
    for (const std::uint32_t seed : {1U, 2U}) {
      for (const std::int64_t side : {224, 96, 160}) {
        const image::Image tile = [&] {
          image::Image full = he_tile(seed);
          image::Image cut(side, side);
          for (std::int64_t y = 0; y < side; ++y) {
            std::memcpy(cut.bytes().data() + y * side * 3, full.bytes().data() + y * 224 * 3,
                        static_cast<std::size_t>(side * 3));
          }
          return cut;
        }();
        image::Image in_place = tile;
        (void)normalizer(in_place.view(), in_place.mutable_view(), scratch);
        CHECK(in_place == run(normalizer, tile).pixels);  // fresh scratch, separate output
      }
    }
  }
}

TEST_CASE("Stain options are checked when the normaliser is made", "[stain][errors]") {
  CHECK_THROWS_WITH(StainNormalizer(StainNormalization::reinhard, {.target = models::reference_stain_vectors}),
                    Contains("stain normalisation (reinhard): target: expected LAB statistics (lab_mean, lab_std), "
                             "got stain vectors"));
  CHECK_THROWS_WITH(
      StainNormalizer(StainNormalization::macenko, {.target = models::StainVectors{.hematoxylin = {0, 0, 0},
                                                                                   .eosin = {0.2, 0.8, 0.5},
                                                                                   .max_concentrations = {1, -1}}}),
      Contains("target.hematoxylin: expected a stain's optical density") &&
          Contains("target.max_concentrations[1]: expected a finite number > 0, got -1"));
  CHECK_THROWS_WITH(StainNormalizer(StainNormalization::macenko,
                                    {.slide_stains = models::StainVectors{.hematoxylin = {0.5, 0.7, 0.4},
                                                                          .eosin = {1.0, 1.4, 0.8},
                                                                          .max_concentrations = {1, 1}}}),
                    Contains("slide_stains cannot be a source: the two stain vectors are parallel"));
  CHECK_THROWS_WITH(StainNormalizer(StainNormalization::vahadane, {.estimation = StainEstimation::per_slide}),
                    Contains("per-slide estimation needs slide_stains"));
  CHECK_THROWS_WITH(StainNormalizer(StainNormalization::macenko, {.min_tissue_pixels = -1}),
                    Contains("min_tissue_pixels: expected a whole number >= 0, got -1"));
  const StainNormalizer macenko(StainNormalization::macenko);
  CHECK_THROWS_WITH(macenko.fit(filled(64, 64, {250, 250, 250}).view()),
                    Contains("fit: the pixels have 0 tissue pixels") && Contains("at least 1000 needed"));
  CHECK_THROWS_WITH(macenko.fit(filled(64, 64, {150, 80, 160}).view()),
                    Contains("fit: the estimate is degenerate (the tissue shows a single stain colour)"));
  const image::Image tile = he_tile();
  image::Image small(10, 10);
  models::StainScratch scratch;
  CHECK_THROWS_WITH(macenko(tile.view(), small.mutable_view(), scratch),
                    Contains("the destination is 10x10, the tile 224x224"));
  const image::Image rgba(224, 224, image::PixelFormat::rgba8);
  CHECK_THROWS_WITH(macenko(rgba.view(), small.mutable_view(), scratch),
                    Contains("expected rgb8 pixels in and out, got rgba8"));
}

TEST_CASE("fit pools several images and reads any pixel format", "[stain]") {
  const image::Image tile = he_tile(8);
  const StainNormalizer macenko(StainNormalization::macenko);
  // The same pixels as RGBA (opaque) and split in two halves give the same stains.
  image::Image rgba(tile.width(), tile.height(), image::PixelFormat::rgba8);
  for (std::int64_t i = 0; i < tile.width() * tile.height(); ++i) {
    std::memcpy(rgba.bytes().data() + i * 4, tile.bytes().data() + i * 3, 3);
    rgba.bytes()[static_cast<std::size_t>(i * 4 + 3)] = 255;
  }
  const models::StainTarget whole = macenko.fit(tile.view());
  CHECK(macenko.fit(rgba.view()) == whole);
  const image::ImageView top{.data = tile.view().data,
                             .width = 224,
                             .height = 112,
                             .stride_bytes = 224 * 3,
                             .format = image::PixelFormat::rgb8};
  const image::ImageView bottom{.data = tile.view().data + 112 * 224 * 3,
                                .width = 224,
                                .height = 112,
                                .stride_bytes = 224 * 3,
                                .format = image::PixelFormat::rgb8};
  const std::array halves{top, bottom};
  CHECK(macenko.fit(halves) == whole);
}

TEST_CASE("The Preprocessor normalises stains after the resize, before ToTensor and Normalize", "[stain][preprocess]") {
  // 448 -> 224: resize, then the stain normaliser on the resized tile, then
  // the usual normalisation of the resulting bytes.
  const image::Image source = [] {
    image::Image big(448, 448);
    const image::Image a = he_tile(21);
    for (std::int64_t y = 0; y < 448; ++y) {
      for (std::int64_t x = 0; x < 448; ++x) {
        std::memcpy(big.bytes().data() + (y * 448 + x) * 3, a.bytes().data() + ((y / 2) * 224 + x / 2) * 3, 3);
      }
    }
    return big;
  }();
  auto fields = models::Registry::builtin().get(models::Models::h0_mini).fields();
  for (const StainNormalization method : all_methods) {
    INFO(to_string(method));
    fields.stain_normalization = method;
    const models::ModelSpec spec{fields};
    const models::Preprocessor with_stain(spec);
    fields.stain_normalization = std::nullopt;
    const models::Preprocessor without(models::ModelSpec{fields});
    const image::Image resized = image::resize(source.view(), 224, 224, {.filter = image::Filter::bicubic});
    const image::Image stained = run(StainNormalizer(method), resized).pixels;
    std::vector<float> ours(static_cast<std::size_t>(with_stain.output_elements()));
    std::vector<float> expected(ours.size());
    with_stain(source.view(), ours);
    without(stained.view(), expected);
    CHECK(ours == expected);
    // Batches over threads and 16-bit outputs agree with the single-tile call.
    const std::vector<image::ImageView> views{source.view(), resized.view(), source.view()};
    std::vector<float> batch(ours.size() * 3);
    with_stain(views, batch, 3);
    CHECK(std::equal(ours.begin(), ours.end(), batch.begin()));
    CHECK(std::equal(ours.begin(), ours.end(), batch.begin() + static_cast<std::ptrdiff_t>(2 * ours.size())));
    std::vector<std::uint16_t> halves(ours.size());
    with_stain(source.view(), std::as_writable_bytes(std::span(halves)), models::Precision::fp16);
    for (std::size_t i = 0; i < ours.size(); i += 997) {
      CHECK(halves[i] == models::to_float16_bits(ours[i]));
    }
  }
}

TEST_CASE("The spec's stain target is what tiles are mapped to, unless the options replace it", "[stain][preprocess]") {
  const image::Image tile = he_tile(4);
  const StainNormalizer macenko(StainNormalization::macenko);
  const auto target = std::get<models::StainVectors>(macenko.fit(he_tile(9).view()));
  auto fields = bioptimus::testing::small_vit_spec().fields();
  fields.tile_spec = models::Registry::builtin().get(models::Models::h0_mini).tile_spec();
  fields.patch_size = 14;
  fields.stain_normalization = StainNormalization::macenko;
  const models::Preprocessor reference(models::ModelSpec{fields});
  fields.stain_target = target;
  const models::Preprocessor from_spec(models::ModelSpec{fields});
  fields.stain_target = std::nullopt;
  const models::Preprocessor from_options(models::ModelSpec{fields}, {.stain = {.target = target}});
  std::vector<float> a(static_cast<std::size_t>(reference.output_elements()));
  std::vector<float> b(a.size());
  std::vector<float> c(a.size());
  reference(tile.view(), a);
  from_spec(tile.view(), b);
  from_options(tile.view(), c);
  CHECK(b == c);
  CHECK(a != b);
}

TEST_CASE("HED inputs are scikit-image's rgb2hed, then the spec's mean and std", "[stain][hed][parity]") {
  const std::filesystem::path dir = std::filesystem::path(BIOPTIMUS_TEST_DATA_DIR) / "stain";
  for (const auto& [picture, reference] :
       {std::pair{"every_value.png", "hed_every_value.npy"}, std::pair{"tile_4.png", "hed_tile.npy"}}) {
    INFO(picture);
    const image::Image tile = bioptimus::apps::read_png(dir / picture);
    const bioptimus::apps::NpyArray expected = bioptimus::apps::read_npy(dir / reference);
    REQUIRE(expected.descr == "<f4");
    std::vector<float> skimage(expected.data.size() / 4);
    std::memcpy(skimage.data(), expected.data.data(), expected.data.size());
    // Mean 0 and std 1: the HED values themselves, float32, channel-first.
    const auto yaml = [&](const std::string& normalisation) {
      return "model_name: hed-model\nversion: 1.0.0\ntile_spec: {size: [" + std::to_string(tile.width()) + ", " +
             std::to_string(tile.height()) + "], resolution: 0.5}\n" + normalisation +
             "color_space: HED\narchitecture: resnet\nembedding_dim: 8\noutput_type: patch_mean\n";
    };
    const models::Preprocessor hed(models::parse_spec(yaml("mean: [0, 0, 0]\nstd: [1, 1, 1]\n"), "test"));
    std::vector<float> ours(static_cast<std::size_t>(hed.output_elements()));
    hed(tile.view(), ours);
    const auto plane = static_cast<std::size_t>(tile.width() * tile.height());
    float largest = 0;
    std::size_t differing = 0;
    for (std::size_t i = 0; i < plane; ++i) {
      for (std::size_t c = 0; c < 3; ++c) {
        const float difference = std::abs(ours[c * plane + i] - skimage[i * 3 + c]);
        largest = std::max(largest, difference);
        differing += difference != 0 ? 1 : 0;
      }
    }
    std::cout << "HED " << picture << ": " << differing << " of " << 3 * plane
              << " float32 values differ from skimage's, by at most " << largest << "\n";
    CHECK(largest <= 1e-6F);

    // With a mean and std: (value - mean) / std in float32, as Normalize does.
    const models::Preprocessor normalized(
        models::parse_spec(yaml("mean: [0.1, 0.2, 0.3]\nstd: [0.5, 0.25, 2]\n"), "test"));
    std::vector<float> scaled(ours.size());
    normalized(tile.view(), scaled);
    const std::array<float, 3> mean{0.1F, 0.2F, 0.3F};
    const std::array<float, 3> std{0.5F, 0.25F, 2.0F};
    for (std::size_t i = 0; i < ours.size(); i += 7) {
      const std::size_t c = i / plane;
      CHECK(scaled[i] == (ours[i] - mean[c]) / std[c]);
    }
  }
}
