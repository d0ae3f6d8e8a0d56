// stain_target, the YAML extension naming what stain normalisation maps to:
// both forms load, round-trip through to_yaml, and every fault is located
// like any other key's.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "bioptimus/models/registry.hpp"
#include "config_diagnostics.hpp"

using namespace bioptimus::models;
using bioptimus::testing::require_diagnostic;

namespace {

// Line numbers in the comments are what the diagnostics below refer to.
const std::string base =
    "model_name: stained\n"                     // 1
    "version: 1.0.0\n"                          // 2
    "tile_spec: {size: 32, resolution: 0.5}\n"  // 3
    "mean: [0.5, 0.5, 0.5]\n"                   // 4
    "std: [0.5, 0.5, 0.5]\n"                    // 5
    "patch_size: 16\n"                          // 6
    "embedding_dim: 8\n"                        // 7
    "output_type: cls\n";                       // 8

}  // namespace

TEST_CASE("A stain target loads in either form, and null is the reference", "[loader][stain]") {
  const ModelSpec vectors = parse_spec(base +
                                           "stain_normalization: macenko\n"
                                           "stain_target:\n"
                                           "  hematoxylin: [0.65, 0.70, 0.29]\n"
                                           "  eosin: [0.07, 0.99, 0.11]\n"
                                           "  max_concentrations: [1.9, 1.0]\n",
                                       "t.yaml");
  CHECK(vectors.stain_target() == StainTarget{StainVectors{
                                      .hematoxylin = {0.65, 0.70, 0.29},
                                      .eosin = {0.07, 0.99, 0.11},
                                      .max_concentrations = {1.9, 1.0},
                                  }});
  const ModelSpec lab = parse_spec(
      base + "stain_normalization: reinhard\nstain_target: {lab_mean: [70, 12, -20], lab_std: [14, 7, 10]}\n",
      "t.yaml");
  CHECK(lab.stain_target() == StainTarget{LabStatistics{.mean = {70, 12, -20}, .std = {14, 7, 10}}});
  const ModelSpec none = parse_spec(base + "stain_normalization: vahadane\nstain_target: null\n", "t.yaml");
  CHECK_FALSE(none.stain_target().has_value());
  CHECK(reference_stain_target(*none.stain_normalization()) == StainTarget{reference_stain_vectors});
}

TEST_CASE("to_yaml writes a stain target that reads back equal", "[loader][stain][roundtrip]") {
  for (const std::string target :
       {"stain_normalization: vahadane\nstain_target: {hematoxylin: [0.1, 0.2, 0.30000000000000004], "
        "eosin: [1e-3, 0.5, 0.25], max_concentrations: [1.5, 2]}\n",
        "stain_normalization: reinhard\nstain_target: {lab_mean: [70.396225, 11.843821, "
        "-19.952099], lab_std: [14.0912075, 7.232986, 10.121306]}\n"}) {
    const ModelSpec original = parse_spec(base + target, "t.yaml");
    const std::string yaml = to_yaml(original);
    INFO(yaml);
    CHECK(parse_spec(yaml, "again.yaml") == original);
  }
  CHECK_THAT(to_yaml(parse_spec(base, "t.yaml")), Catch::Matchers::Contains("stain_target: ~"));
}

TEST_CASE("Stain target faults are located at the value that breaks the rule", "[loader][stain][diagnostics]") {
  require_diagnostic(base +
                         "stain_normalization: macenko\n"  // 9
                         "stain_target:\n"                 // 10
                         "  hematoxylin: [0.6, 0.7]\n"     // 11
                         "  eosin: [0.1, 0.9, 0.5]\n"
                         "  max_concentrations: [1.9, 1]\n",
                     "t.yaml:11:16: error: stain_target.hematoxylin: expected haematoxylin's optical density per "
                     "unit concentration in [red, green, blue]: a list of 3 numbers, got a list of 2 items");
  require_diagnostic(base +
                         "stain_normalization: macenko\n"
                         "stain_target:\n"
                         "  hematoxylin: [0.6, 0.7, 0.3]\n"
                         "  eosin: [0.1, 0.9, 0.5]\n"
                         "  max_concentrations: [1.9, 0]\n",  // 13
                     "t.yaml:13:29: error: stain_target.max_concentrations[1]: expected a finite number > 0, got 0");
  require_diagnostic(base +
                         "stain_normalization: vahadane\n"
                         "stain_target:\n"
                         "  hematoxylin: [0, 0, 0]\n"  // 11
                         "  eosin: [0.1, 0.9, 0.5]\n"
                         "  max_concentrations: [1.9, 1]\n",
                     "t.yaml:11:16: error: stain_target.hematoxylin: expected a stain's optical density in red, "
                     "green and blue, not all zero, got [0, 0, 0]");
  require_diagnostic(base + "stain_normalization: reinhard\nstain_target: {lab_mean: [1, 2, 3], lab_std: [1, -1, 1]}\n",
                     "t.yaml:10:50: error: stain_target.lab_std[1]: expected a finite number > 0, got -1");
  require_diagnostic(base +
                         "stain_normalization: macenko\nstain_target:\n  hematoxylin: [0.6, 0.7, 0.3]\n"
                         "  eosin: [0.1, 0.9, \"a\"]\n  max_concentrations: [1.9, 1]\n",
                     "t.yaml:12:21: error: stain_target.eosin[2]: expected a number, got \"a\"");
}

TEST_CASE("A stain target must fit the stain normalisation it belongs to", "[loader][stain][diagnostics]") {
  require_diagnostic(base +
                         "stain_normalization: reinhard\n"   // 9
                         "stain_target:\n"                   // 10
                         "  hematoxylin: [0.6, 0.7, 0.3]\n"  // 11
                         "  eosin: [0.1, 0.9, 0.5]\n"
                         "  max_concentrations: [1.9, 1]\n",
                     "t.yaml:11:3: error: stain_target: stain_normalization reinhard needs lab_mean and lab_std, got "
                     "stain vectors");
  require_diagnostic(base + "stain_target: {lab_mean: [1, 2, 3], lab_std: [1, 1, 1]}\n",
                     "t.yaml:9:15: error: stain_target: expected null without a stain_normalization (there is "
                     "nothing to map to it)");
  // The method cannot be read: the rule comparing against it is left out.
  require_diagnostic(base + "stain_normalization: macenco\nstain_target: {lab_mean: [1, 2, 3], lab_std: [1, 1, 1]}\n",
                     "t.yaml:9:22: error: stain_normalization: expected one of macenko | reinhard | vahadane, got "
                     "\"macenco\" (did you mean \"macenko\"?)");
}

TEST_CASE("A stain target's shape is checked like every map's", "[loader][stain][diagnostics]") {
  require_diagnostic(base + "stain_normalization: vahadane\nstain_target: [1, 2]\n",
                     "t.yaml:10:15: error: stain_target: expected a map of hematoxylin, eosin and max_concentrations "
                     "(macenko, vahadane) or of lab_mean and lab_std (reinhard), or null, got a list of 2 items");
  require_diagnostic(base + "stain_normalization: vahadane\nstain_target: {hematoxilin: [1, 2, 3]}\n",
                     "t.yaml:10:16: error: stain_target.hematoxilin: unknown key \"hematoxilin\" (did you mean "
                     "\"hematoxylin\"?)");
  require_diagnostic(base + "stain_normalization: vahadane\nstain_target: {eosin: [1, 2, 3], lab_std: [1, 1, 1]}\n",
                     "t.yaml:10:34: error: stain_target.lab_std: expected stain vectors (hematoxylin, eosin, "
                     "max_concentrations) or LAB statistics (lab_mean, lab_std), not both; eosin is given at line 10, "
                     "column 16");
  require_diagnostic(base +
                         "stain_normalization: vahadane\nstain_target:\n  hematoxylin: [0.6, 0.7, 0.3]\n"
                         "  eosin: [0.1, 0.9, 0.5]\n",
                     "t.yaml:11:3: error: stain_target.max_concentrations: required key missing: expected the 99th "
                     "percentile concentrations [haematoxylin, eosin]");
}
