// Our resize and normalisation against the references Pillow 9.4 and
// torchvision wrote (tests/parity/make_references.py, tests/data/parity).
#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bioptimus/image/resize.hpp"
#include "bioptimus/models/preprocess.hpp"
#include "bioptimus/models/registry.hpp"
#include "image_io.hpp"
#include "resample.hpp"

namespace {

namespace image = bioptimus::image;
using bioptimus::apps::read_npy;
using bioptimus::apps::read_png;

const std::filesystem::path parity_dir = std::filesystem::path(BIOPTIMUS_TEST_DATA_DIR) / "parity";

image::Filter filter_named(const std::string& name) {
  for (const image::Filter filter : {image::Filter::nearest, image::Filter::bilinear, image::Filter::bicubic,
                                     image::Filter::lanczos, image::Filter::box}) {
    if (image::to_string(filter) == name) {
      return filter;
    }
  }
  FAIL("unknown filter " << name);
  return image::Filter::nearest;
}

struct Difference {
  int max = 0;
  std::int64_t count = 0;
};

Difference compare(const image::Image& ours, const image::Image& reference) {
  REQUIRE(ours.width() == reference.width());
  REQUIRE(ours.height() == reference.height());
  REQUIRE(ours.format() == reference.format());
  Difference difference;
  for (std::size_t i = 0; i < ours.bytes().size(); ++i) {
    const int delta = std::abs(int{ours.bytes()[i]} - int{reference.bytes()[i]});
    difference.max = std::max(difference.max, delta);
    difference.count += delta != 0 ? 1 : 0;
  }
  return difference;
}

template <typename T>
std::vector<T> values_of(const bioptimus::apps::NpyArray& array) {
  std::vector<T> values(array.data.size() / sizeof(T));
  std::memcpy(values.data(), array.data.data(), values.size() * sizeof(T));
  return values;
}

nlohmann::json manifest() {
  std::ifstream stream(parity_dir / "manifest.json");
  return nlohmann::json::parse(stream);
}

}  // namespace

TEST_CASE("resize equals Pillow 9.4 exactly and torchvision within one step", "[parity]") {
  const nlohmann::json cases = manifest().at("cases");
  REQUIRE(cases.size() == 7 * 8);
  for (const nlohmann::json& entry : cases) {
    const image::Image source = read_png(parity_dir / entry.at("source").get<std::string>());
    const image::Image reference = read_png(parity_dir / entry.at("reference").get<std::string>());
    const bool antialias = entry.at("antialias").get<bool>();
    const image::ResizeOptions options{.filter = filter_named(entry.at("filter").get<std::string>()),
                                       .antialias = antialias};
    INFO(entry.at("reference").get<std::string>());
    const image::Image ours = image::resize(source.view(), reference.width(), reference.height(), options);
    const Difference difference = compare(ours, reference);
    if (antialias) {
      CHECK(difference.count == 0);
    } else {
      CHECK(difference.max <= 1);
    }

    // The scalar oracle agrees with the dispatched kernels bit for bit.
    const image::ResamplePlan plan({.width = source.width(), .height = source.height()},
                                   {.width = reference.width(), .height = reference.height()}, options.filter,
                                   options.antialias);
    image::Image scalar(reference.width(), reference.height());
    image::ResizeScratch scratch;
    const image::ImageView in = source.view();
    bioptimus::image::detail::resample_rgb8(
        plan.data(), {.data = in.data, .width = in.width, .height = in.height, .stride = in.stride_bytes},
        {.data = scalar.bytes().data(),
         .width = scalar.width(),
         .height = scalar.height(),
         .stride = scalar.stride_bytes()},
        scratch, bioptimus::image::detail::Kernels::scalar);
    CHECK(scalar == ours);
  }
}

TEST_CASE("the Preprocessor equals torchvision's Normalize(ToTensor(Pillow resize))", "[parity]") {
  const auto& spec = bioptimus::models::Registry::builtin().get(bioptimus::models::Models::h0_mini);
  const bioptimus::models::Preprocessor preprocessor(spec);
  const std::vector<float> table = values_of<float>(read_npy(parity_dir / "normalized_fp32.npy"));
  const std::vector<std::uint16_t> half = values_of<std::uint16_t>(read_npy(parity_dir / "normalized_fp16_torch.npy"));
  const std::vector<std::uint16_t> half_numpy =
      values_of<std::uint16_t>(read_npy(parity_dir / "normalized_fp16_numpy.npy"));
  const std::vector<std::uint16_t> brain = values_of<std::uint16_t>(read_npy(parity_dir / "normalized_bf16_torch.npy"));
  REQUIRE(table.size() == 3 * 256);
  REQUIRE(half == half_numpy);

  for (const char* size : {"448x448", "512x512", "256x256", "230x230", "300x500", "112x112", "224x224"}) {
    INFO(size);
    const image::Image source = read_png(parity_dir / ("source_" + std::string(size) + ".png"));
    const image::Image resized = read_png(parity_dir / ("pillow_bicubic_" + std::string(size) + ".png"));
    const auto plane = static_cast<std::size_t>(resized.width() * resized.height());
    std::vector<float> fp32(preprocessor.output_bytes(bioptimus::models::Precision::fp32) / 4);
    std::vector<std::uint16_t> fp16(3 * plane);
    std::vector<std::uint16_t> bf16(3 * plane);
    preprocessor(source.view(), fp32);
    preprocessor(source.view(), std::as_writable_bytes(std::span(fp16)), bioptimus::models::Precision::fp16);
    preprocessor(source.view(), std::as_writable_bytes(std::span(bf16)), bioptimus::models::Precision::bf16);
    double worst = 0.0;
    std::int64_t wrong16 = 0;
    for (std::size_t c = 0; c < 3; ++c) {
      for (std::size_t p = 0; p < plane; ++p) {
        const std::size_t value = resized.bytes()[p * 3 + c];
        const std::size_t at = c * plane + p;
        worst = std::max(worst, std::abs(static_cast<double>(fp32[at]) - static_cast<double>(table[c * 256 + value])));
        wrong16 += (fp16[at] != half[c * 256 + value] ? 1 : 0) + (bf16[at] != brain[c * 256 + value] ? 1 : 0);
      }
    }
    CHECK(worst <= 1e-6);
    CHECK(wrong16 == 0);
  }
}

TEST_CASE("float16 and bfloat16 rounding equal numpy's and torch's", "[parity]") {
  const std::vector<float> floats = values_of<float>(read_npy(parity_dir / "float_cases.npy"));
  const std::vector<std::uint16_t> half = values_of<std::uint16_t>(read_npy(parity_dir / "float_cases_fp16_numpy.npy"));
  const std::vector<std::uint16_t> brain =
      values_of<std::uint16_t>(read_npy(parity_dir / "float_cases_bf16_torch.npy"));
  REQUIRE(floats.size() > 5000);
  REQUIRE(half.size() == floats.size());
  REQUIRE(brain.size() == floats.size());
  std::int64_t wrong_half = 0;
  std::int64_t wrong_brain = 0;
  for (std::size_t i = 0; i < floats.size(); ++i) {
    wrong_half += bioptimus::models::to_float16_bits(floats[i]) != half[i] ? 1 : 0;
    wrong_brain += bioptimus::models::to_bfloat16_bits(floats[i]) != brain[i] ? 1 : 0;
  }
  CHECK(wrong_half == 0);
  CHECK(wrong_brain == 0);
}
