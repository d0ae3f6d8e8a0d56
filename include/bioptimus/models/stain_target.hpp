// bioptimus/models/stain_target.hpp
//
// What stain normalisation maps tiles to: the stain vectors and maximum
// concentrations of Macenko and Vahadane (torchstain's `HERef` and
// `maxCRef`), or the LAB means and standard deviations of Reinhard. A
// ModelSpec may name one (YAML `stain_target`, an extension of the SDK's
// fields); without one, a method's reference target applies.
//
//   using namespace bioptimus::models;
//   const StainTarget target = StainVectors{.hematoxylin = {0.65, 0.70, 0.29},
//                                           .eosin = {0.07, 0.99, 0.11},
//                                           .max_concentrations = {1.9, 1.0}};
//   reference_stain_target(StainNormalization::reinhard);  // LabStatistics
//
// Header-only, standard library only (part of bioptimus::types).
#ifndef BIOPTIMUS_MODELS_STAIN_TARGET_HPP
#define BIOPTIMUS_MODELS_STAIN_TARGET_HPP

#include <array>
#include <cmath>
#include <cstddef>
#include <string>
#include <variant>
#include <vector>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "bioptimus/models/vocabulary.hpp"

namespace bioptimus::models {

/// Haematoxylin and eosin as optical density per unit concentration in red,
/// green and blue (the columns of torchstain's `HERef`), and the 99th
/// percentile of each stain's concentration (`maxCRef`). Optical density is
/// `-log((value + 1) / 240)`, torchstain's. Used by macenko and vahadane.
struct StainVectors {
  std::array<double, 3> hematoxylin;
  std::array<double, 3> eosin;
  std::array<double, 2> max_concentrations;

  friend constexpr bool operator==(const StainVectors&, const StainVectors&) noexcept = default;
};

/// Per-channel mean and standard deviation of an image in torchstain's LAB
/// (L in [0, 100], a and b centred on 0), as its numpy Reinhard computes
/// them in float32. Used by reinhard, which applies them as float32.
struct LabStatistics {
  std::array<double, 3> mean;
  std::array<double, 3> std;

  friend constexpr bool operator==(const LabStatistics&, const LabStatistics&) noexcept = default;
};

/// A stain normalisation target (or a slide's own stains, which have the same form).
using StainTarget = std::variant<StainVectors, LabStatistics>;

/// torchstain's reference (torchstain/numpy/normalizers/macenko.py, `HERef`
/// and `maxCRef`, which come from Macenko's original code): what "macenko"
/// and "vahadane" map to when no target is given.
inline constexpr StainVectors reference_stain_vectors{
    .hematoxylin = {0.5626, 0.7201, 0.4062}, .eosin = {0.2159, 0.8012, 0.5581}, .max_concentrations = {1.9705, 1.0308}};

/// What torchstain's numpy Reinhard `fit` computes on the target image of its
/// repository (data/target.png at EIDOSLAB/torchstain@c94179d, alpha
/// dropped): the float32 values, written exactly. torchstain itself has no
/// default; "reinhard" without a target maps to this.
inline constexpr LabStatistics reference_lab_statistics{.mean = {70.396225, 11.843821, -19.952099},
                                                        .std = {14.0912075, 7.232986, 10.121306}};

/// The reference target of `method`: reference_lab_statistics for reinhard,
/// reference_stain_vectors otherwise.
[[nodiscard]] constexpr StainTarget reference_stain_target(StainNormalization method) noexcept {
  if (method == StainNormalization::reinhard) {
    return reference_lab_statistics;
  }
  return reference_stain_vectors;
}

/// Whether `target` has the form `method` uses: LabStatistics for reinhard,
/// StainVectors for macenko and vahadane.
[[nodiscard]] constexpr bool target_fits(StainNormalization method, const StainTarget& target) noexcept {
  return std::holds_alternative<LabStatistics>(target) == (method == StainNormalization::reinhard);
}

/// The value rules of a target, each violation named under `prefix` (e.g.
/// `stain_target.max_concentrations[1]`): every number finite, a stain
/// vector not all zero, maximum concentrations and standard deviations > 0.
[[nodiscard]] inline std::vector<Violation> stain_target_violations(const StainTarget& target,
                                                                    const std::string& prefix) {
  std::vector<Violation> out;
  const auto number = [](double value) { return detail::format_number(value); };
  const auto check = [&](const std::string& key, const auto& values, bool positive) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      const double value = values[i];
      const bool ok = std::isfinite(value) && (!positive || value > 0);
      if (!ok) {
        out.push_back({prefix + "." + key + "[" + std::to_string(i) + "]",
                       std::string(positive ? "expected a finite number > 0" : "expected a finite number") + ", got " +
                           number(value)});
      }
    }
  };
  const auto check_vector = [&](const std::string& key, const std::array<double, 3>& values) {
    const std::size_t before = out.size();
    check(key, values, false);
    if (out.size() == before && values[0] == 0 && values[1] == 0 && values[2] == 0) {
      out.push_back(
          {prefix + "." + key, "expected a stain's optical density in red, green and blue, not all zero, got " +
                                   detail::format_list(values)});
    }
  };
  if (const auto* vectors = std::get_if<StainVectors>(&target)) {
    check_vector("hematoxylin", vectors->hematoxylin);
    check_vector("eosin", vectors->eosin);
    check("max_concentrations", vectors->max_concentrations, true);
  } else {
    const auto& lab = std::get<LabStatistics>(target);
    check("lab_mean", lab.mean, false);
    check("lab_std", lab.std, true);
  }
  return out;
}

}  // namespace bioptimus::models

#endif  // BIOPTIMUS_MODELS_STAIN_TARGET_HPP
