// Stain normalisation and HED against the references the numpy oracle
// (torchstain's numpy backend, tests/parity/stain_oracle.py) and
// scikit-image wrote (tests/parity/make_stain_references.py,
// tests/data/stain). Bytes may differ by one step where numpy's float order
// differs from ours; the counts are printed and bounded.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "bioptimus/models/preprocess.hpp"
#include "bioptimus/models/registry.hpp"
#include "bioptimus/models/stain.hpp"
#include "image_io.hpp"

namespace {

namespace image = bioptimus::image;
namespace models = bioptimus::models;
using bioptimus::apps::read_npy;
using bioptimus::apps::read_png;

const std::filesystem::path stain_dir = std::filesystem::path(BIOPTIMUS_TEST_DATA_DIR) / "stain";

nlohmann::json manifest() {
  std::ifstream stream(stain_dir / "manifest.json");
  return nlohmann::json::parse(stream);
}

std::array<double, 3> three(const nlohmann::json& values) { return {values[0], values[1], values[2]}; }

models::StainVectors vectors_of(const nlohmann::json& fit) {
  return {.hematoxylin = three(fit["hematoxylin"]),
          .eosin = three(fit["eosin"]),
          .max_concentrations = {fit["max_concentrations"][0], fit["max_concentrations"][1]}};
}

models::LabStatistics lab_of(const nlohmann::json& fit) {
  return {.mean = three(fit["lab_mean"]), .std = three(fit["lab_std"])};
}

struct Steps {
  int max = 0;
  std::int64_t count = 0;
  std::int64_t total = 0;
};

Steps compare(const image::Image& ours, const image::Image& reference) {
  REQUIRE(ours.width() == reference.width());
  REQUIRE(ours.height() == reference.height());
  Steps steps;
  steps.total = static_cast<std::int64_t>(ours.bytes().size());
  for (std::size_t i = 0; i < ours.bytes().size(); ++i) {
    const int delta = std::abs(int{ours.bytes()[i]} - int{reference.bytes()[i]});
    steps.max = std::max(steps.max, delta);
    steps.count += delta != 0 ? 1 : 0;
  }
  return steps;
}

image::Image normalized(const models::StainNormalizer& normalizer, const image::Image& tile) {
  image::Image out(tile.width(), tile.height());
  models::StainScratch scratch;
  CHECK(normalizer(tile.view(), out.mutable_view(), scratch) == models::StainOutcome::own_stains);
  return out;
}

double relative_difference(const std::array<double, 3>& a, const std::array<double, 3>& b) {
  double out = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    out = std::max(out, std::abs(a[i] - b[i]) / std::max(1.0, std::abs(b[i])));
  }
  return out;
}

}  // namespace

TEST_CASE("Macenko and Reinhard match torchstain's numpy backend byte for byte", "[stain][parity]") {
  const nlohmann::json cases = manifest();
  const models::StainVectors fitted_vectors = vectors_of(cases["fitted_target"]["macenko"]);
  const models::LabStatistics fitted_lab = lab_of(cases["fitted_target"]["reinhard"]);
  // min_tissue_pixels 0: torchstain has no such gate.
  const models::StainNormalizer macenko(models::StainNormalization::macenko, {.min_tissue_pixels = 0});
  const models::StainNormalizer macenko_fitted(models::StainNormalization::macenko,
                                               {.target = fitted_vectors, .min_tissue_pixels = 0});
  const models::StainNormalizer reinhard(models::StainNormalization::reinhard, {.min_tissue_pixels = 0});
  const models::StainNormalizer reinhard_fitted(models::StainNormalization::reinhard,
                                                {.target = fitted_lab, .min_tissue_pixels = 0});
  std::int64_t differing = 0;
  std::int64_t total = 0;
  for (const auto& entry : cases["cases"]) {
    const image::Image tile = read_png(stain_dir / entry["tile"].get<std::string>());
    for (const auto& [key, normalizer] :
         {std::pair{"macenko_reference", &macenko}, std::pair{"macenko_fitted", &macenko_fitted},
          std::pair{"reinhard_reference", &reinhard}, std::pair{"reinhard_fitted", &reinhard_fitted}}) {
      const std::string reference_name = entry[key];
      INFO(reference_name);
      const Steps steps = compare(normalized(*normalizer, tile), read_png(stain_dir / reference_name));
      std::cout << "stain parity " << reference_name << ": " << steps.count << " of " << steps.total
                << " values differ (at most " << steps.max << " step)\n";
      CHECK(steps.max <= 1);
      CHECK(steps.count * 10000 <= steps.total);  // at most 0.01%
      differing += steps.count;
      total += steps.total;
    }
  }
  std::cout << "stain parity: " << differing << " of " << total << " values differ in all\n";
}

TEST_CASE("fit gives torchstain's target for Macenko and Reinhard", "[stain][parity]") {
  const nlohmann::json cases = manifest();
  const models::StainNormalizer macenko(models::StainNormalization::macenko, {.min_tissue_pixels = 0});
  const models::StainNormalizer reinhard(models::StainNormalization::reinhard, {.min_tissue_pixels = 0});
  for (const auto& entry : cases["cases"]) {
    INFO(entry["tile"]);
    const image::Image tile = read_png(stain_dir / entry["tile"].get<std::string>());
    const auto ours = std::get<models::StainVectors>(macenko.fit(tile.view()));
    const models::StainVectors numpy = vectors_of(entry["macenko_fit"]);
    CHECK(relative_difference(ours.hematoxylin, numpy.hematoxylin) < 1e-12);
    CHECK(relative_difference(ours.eosin, numpy.eosin) < 1e-12);
    CHECK(relative_difference({ours.max_concentrations[0], ours.max_concentrations[1], 0},
                              {numpy.max_concentrations[0], numpy.max_concentrations[1], 0}) < 1e-12);
    // Reinhard's statistics are float32 values computed in numpy's order: equal.
    CHECK(std::get<models::LabStatistics>(reinhard.fit(tile.view())) == lab_of(entry["reinhard_fit"]));
  }
}
