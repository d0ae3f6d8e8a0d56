// The stain methods' numerical pieces against plain definitions: numpy's
// linear percentile, the bracketed selection (also when its sample misses),
// the 3x3 eigen-decomposition and the two-stain non-negative lasso.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <vector>

#include "stain_math.hpp"

namespace {

using namespace bioptimus::detail::stain;

// numpy.percentile(values, q) (method "linear") by sorting.
double sorted_percentile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const double index = static_cast<double>(values.size() - 1) * (q / 100);
  const auto below = static_cast<std::size_t>(std::floor(index));
  if (below + 1 >= values.size()) {
    return values.back();
  }
  return numpy_lerp(values[below], values[below + 1], index - std::floor(index));
}

// The values at ranks r and r + 1 by sorting.
std::array<double, 2> sorted_pair(std::vector<double> values, std::size_t rank) {
  std::sort(values.begin(), values.end());
  return {values[rank], values[rank + 1]};
}

std::array<double, 2> selected_pair(const std::vector<double>& values, std::size_t rank, SelectionWork& work) {
  const auto pairs = select_rank_pairs<1>(
      values.size(), {rank}, [&](std::size_t i) { return std::array<double, 1>{values[i]}; },
      [&](const auto& emit) {
        for (std::size_t i = 0; i < values.size(); ++i) {
          emit(std::array<double, 1>{values[i]}, i);
        }
      },
      work);
  CHECK(values[pairs[0][0].index] == pairs[0][0].value);
  return {pairs[0][0].value, pairs[0][1].value};
}

}  // namespace

TEST_CASE("percentile is numpy's linear percentile", "[stain][math]") {
  std::mt19937 random(7);
  std::normal_distribution<double> normal(0, 1);
  for (const std::size_t size : {1UL, 2UL, 3UL, 100UL, 50176UL}) {
    std::vector<double> values(size);
    for (double& value : values) {
      value = normal(random);
    }
    for (const double q : {0.0, 1.0, 50.0, 99.0, 100.0}) {
      std::vector<double> copy = values;
      CHECK(percentile(copy, q) == sorted_percentile(values, q));
    }
  }
}

TEST_CASE("Bracketed selection finds the ranks a sort finds, also when its sample misses", "[stain][math]") {
  SelectionWork work;
  std::mt19937 random(3);
  std::uniform_real_distribution<double> uniform(0, 1);
  const std::size_t size = 50176;
  std::vector<std::vector<double>> cases;
  cases.emplace_back(size);
  for (double& value : cases.back()) {
    value = uniform(random);
  }
  // Ties everywhere.
  cases.emplace_back(size);
  for (double& value : cases.back()) {
    value = std::floor(uniform(random) * 10);
  }
  // Periodic with the sample's stride: the sample sees one value only and
  // its brackets miss, so every value is ranked.
  cases.emplace_back(size);
  for (std::size_t i = 0; i < size; ++i) {
    cases.back()[i] = i % (size / 2048) == 0 ? 0.5 : uniform(random);
  }
  for (const std::vector<double>& values : cases) {
    for (const double q : {1.0, 99.0}) {
      const auto rank = static_cast<std::size_t>(percentile_ranks(static_cast<std::int64_t>(size), q).below);
      CHECK(selected_pair(values, rank, work) == sorted_pair(values, rank));
    }
  }
}

TEST_CASE("The 3x3 eigen-decomposition reconstructs its matrix", "[stain][math]") {
  const Matrix3 matrix{{{0.09, 0.05, 0.03}, {0.05, 0.12, 0.07}, {0.03, 0.07, 0.08}}};
  const SymmetricEigen eigen = eigen_symmetric(matrix);
  CHECK(eigen.values[0] <= eigen.values[1]);
  CHECK(eigen.values[1] <= eigen.values[2]);
  for (std::size_t r = 0; r < 3; ++r) {
    for (std::size_t c = 0; c < 3; ++c) {
      double sum = 0;
      for (std::size_t j = 0; j < 3; ++j) {
        sum += eigen.vectors[j][r] * eigen.values[j] * eigen.vectors[j][c];
      }
      CHECK(std::abs(sum - matrix[r][c]) < 1e-15);
    }
  }
  // A zero matrix (a single-colour tile) is its own decomposition.
  const SymmetricEigen zero = eigen_symmetric(Matrix3{});
  CHECK(zero.values == Vector3{0, 0, 0});
}

TEST_CASE("The non-negative lasso is the minimum over the feasible corners", "[stain][math]") {
  // W's columns (1, 0, 0) and (0, 1, 0): the problem separates.
  const std::array<double, 3> gram{1, 0, 1};
  CHECK(nonnegative_lasso(gram, {0.5, 0.3}, 0.1) == std::array<double, 2>{0.4, 0.19999999999999998});
  CHECK(nonnegative_lasso(gram, {0.5, -0.3}, 0.1) == std::array<double, 2>{0.4, 0});
  CHECK(nonnegative_lasso(gram, {0.05, 0.05}, 0.1) == std::array<double, 2>{0, 0});
  // Parallel columns: no interior solution, one stain carries it.
  const auto parallel = nonnegative_lasso({1, 1, 1}, {0.8, 0.8}, 0.0);
  CHECK(parallel[0] + parallel[1] == Approx(0.8));
}
