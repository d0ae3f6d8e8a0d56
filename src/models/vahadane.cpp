// Vahadane stain separation and normalisation (Vahadane et al., "Structure-
// preserving color normalization and sparse stain separation for
// histological images", IEEE TMI 35(8), 2016), written from the paper.
//
// Stain separation is sparse non-negative matrix factorisation of the tissue
// pixels' optical density V (n x 3):
//
//   min over W >= 0 (3 x 2, unit columns) and H >= 0 (2 x n) of
//   0.5 |V - W H|^2 + lambda sum |H|,  lambda = 0.1
//
// solved by alternating minimisation, the batch form of dictionary learning
// (Mairal et al., JMLR 2010, the algorithm behind SPAMS's trainDL that
// StainTools calls):
//   - H step: each pixel's two concentrations, an exact non-negative lasso
//     (two unknowns: closed form on each active set);
//   - W step: one pass of block coordinate descent over W's columns with the
//     sufficient statistics A = H H^T, B = V H^T, each column projected onto
//     the non-negative orthant and the unit sphere;
// starting from torchstain's reference vectors, until no entry of W moves by
// more than 1e-6 or after 300 passes, on at most 8192 tissue pixels taken at
// an even stride. Haematoxylin is the column with the larger red component.
// Concentrations of every pixel then come from the non-negative lasso with
// lambda = 0.01 (StainTools' `get_concentrations`), their 99th percentiles are
// the maximum concentrations, and normalisation recomposes
// Io exp(-W_target C_source maxC_target / maxC_source) as Macenko does.
#include <algorithm>
#include <cmath>
#include <cstddef>

#include "stain_kernels.hpp"
#include "stain_math.hpp"

namespace bioptimus::detail::stain {
namespace {

using models::StainVectors;

constexpr double dictionary_lambda = 0.1;
constexpr double concentration_lambda = 0.01;
constexpr double dictionary_tolerance = 1e-6;
constexpr int max_passes = 300;
constexpr std::size_t max_samples = 8192;

struct Dictionary {
  std::array<Vector3, 2> columns;

  [[nodiscard]] std::array<double, 3> gram() const noexcept {
    const auto dot = [](const Vector3& a, const Vector3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; };
    return {dot(columns[0], columns[0]), dot(columns[0], columns[1]), dot(columns[1], columns[1])};
  }
  [[nodiscard]] std::array<double, 2> project(const Vector3& x) const noexcept {
    return {columns[0][0] * x[0] + columns[0][1] * x[1] + columns[0][2] * x[2],
            columns[1][0] * x[0] + columns[1][1] * x[1] + columns[1][2] * x[2]};
  }
};

[[nodiscard]] Vector3 unit(const Vector3& v) noexcept {
  const double norm = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  return norm > 0 ? Vector3{v[0] / norm, v[1] / norm, v[2] / norm} : v;
}

// Alternating minimisation from `start`; false when a stain ends up unused.
bool learn_dictionary(const std::vector<std::array<double, 3>>& samples, Dictionary& dictionary,
                      std::vector<std::array<double, 2>>& codes) {
  codes.resize(samples.size());
  for (int pass = 0; pass < max_passes; ++pass) {
    const std::array<double, 3> gram = dictionary.gram();
    std::array<std::array<double, 2>, 2> a{};  // H H^T
    std::array<Vector3, 2> b{};                // columns of V H^T
    for (std::size_t i = 0; i < samples.size(); ++i) {
      codes[i] = nonnegative_lasso(gram, dictionary.project(samples[i]), dictionary_lambda);
      for (std::size_t j = 0; j < 2; ++j) {
        for (std::size_t k = 0; k < 2; ++k) {
          a[j][k] += codes[i][j] * codes[i][k];
        }
        for (std::size_t c = 0; c < 3; ++c) {
          b[j][c] += samples[i][c] * codes[i][j];
        }
      }
    }
    double moved = 0;
    for (std::size_t j = 0; j < 2; ++j) {
      if (!(a[j][j] > 0)) {
        return false;
      }
      Vector3 updated{};
      for (std::size_t c = 0; c < 3; ++c) {
        const double reconstruction = dictionary.columns[0][c] * a[0][j] + dictionary.columns[1][c] * a[1][j];
        updated[c] = std::max(0.0, dictionary.columns[j][c] + (b[j][c] - reconstruction) / a[j][j]);
      }
      updated = unit(updated);
      if (updated == Vector3{0, 0, 0}) {
        return false;
      }
      for (std::size_t c = 0; c < 3; ++c) {
        moved = std::max(moved, std::abs(updated[c] - dictionary.columns[j][c]));
      }
      dictionary.columns[j] = updated;
    }
    if (moved <= dictionary_tolerance) {
      break;
    }
  }
  return true;
}

// Per-channel tables of W^T OD for the lasso's right-hand side.
using ProjectionTables = std::array<std::array<std::array<double, 256>, 3>, 2>;

void fill_projection(const Dictionary& dictionary, ProjectionTables& tables) noexcept {
  const std::array<double, 256>& od = optical_density();
  for (std::size_t j = 0; j < 2; ++j) {
    for (std::size_t c = 0; c < 3; ++c) {
      for (std::size_t value = 0; value < 256; ++value) {
        tables[j][c][value] = dictionary.columns[j][c] * od[value];
      }
    }
  }
}

[[nodiscard]] std::array<double, 2> concentrations_of(const ProjectionTables& tables, const std::array<double, 3>& gram,
                                                      const std::uint8_t* pixel) noexcept {
  const std::array<double, 2> projection{tables[0][0][pixel[0]] + tables[0][1][pixel[1]] + tables[0][2][pixel[2]],
                                         tables[1][0][pixel[0]] + tables[1][1][pixel[1]] + tables[1][2][pixel[2]]};
  return nonnegative_lasso(gram, projection, concentration_lambda);
}

[[nodiscard]] bool usable(const Dictionary& dictionary) noexcept {
  const std::array<double, 3> gram = dictionary.gram();
  const double determinant = gram[0] * gram[2] - gram[1] * gram[1];
  return determinant > 1e-12 * gram[0] * gram[2] && std::isfinite(determinant);
}

}  // namespace

std::optional<StainVectors> vahadane_estimate(const RgbPixels& pixels, std::int64_t min_tissue_pixels,
                                              StainWork& work) {
  const TissueDensities tissue = collect_tissue(pixels, work);
  const std::size_t count = tissue.count;
  if (static_cast<std::int64_t>(count) < std::max<std::int64_t>(min_tissue_pixels, 2)) {
    return std::nullopt;
  }
  const std::size_t step = (count + max_samples - 1) / max_samples;
  work.samples.clear();
  for (std::size_t i = 0; i < count; i += step) {
    work.samples.push_back({tissue.r[i], tissue.g[i], tissue.b[i]});
  }
  Dictionary dictionary{
      {unit(models::reference_stain_vectors.hematoxylin), unit(models::reference_stain_vectors.eosin)}};
  if (!learn_dictionary(work.samples, dictionary, work.codes) || !usable(dictionary)) {
    return std::nullopt;
  }
  if (dictionary.columns[0][0] < dictionary.columns[1][0]) {
    std::swap(dictionary.columns[0], dictionary.columns[1]);
  }

  ProjectionTables tables{};
  fill_projection(dictionary, tables);
  const std::array<double, 3> gram = dictionary.gram();
  const std::array<double, 2> max_c = max_concentrations(
      pixels, [&](const std::uint8_t* p) { return concentrations_of(tables, gram, p); }, work);
  if (!(max_c[0] > 0 && max_c[1] > 0 && std::isfinite(max_c[0]) && std::isfinite(max_c[1]))) {
    return std::nullopt;
  }
  return StainVectors{
      .hematoxylin = dictionary.columns[0], .eosin = dictionary.columns[1], .max_concentrations = max_c};
}

void vahadane_apply(const RgbPixels& pixels, const StainVectors& source, const StainVectors& target,
                    const MutableRgbPixels& out) noexcept {
  const Dictionary dictionary{{unit(source.hematoxylin), unit(source.eosin)}};
  ProjectionTables tables{};
  fill_projection(dictionary, tables);
  const std::array<double, 3> gram = dictionary.gram();
  const std::array<double, 2> scale{target.max_concentrations[0] / source.max_concentrations[0],
                                    target.max_concentrations[1] / source.max_concentrations[1]};
  for (std::int64_t y = 0; y < pixels.height; ++y) {
    const std::uint8_t* in = pixels.row(y);
    std::uint8_t* to = out.row(y);
    for (std::int64_t x = 0; x < pixels.width; ++x) {
      const std::array<double, 2> c = concentrations_of(tables, gram, in + x * 3);
      const double h = c[0] * scale[0];
      const double e = c[1] * scale[1];
      for (std::size_t k = 0; k < 3; ++k) {
        const double value = transmitted_light * std::exp(-(target.hematoxylin[k] * h + target.eosin[k] * e));
        to[x * 3 + static_cast<std::int64_t>(k)] = static_cast<std::uint8_t>(value > 255 ? 255.0 : value);
      }
    }
  }
}

}  // namespace bioptimus::detail::stain
