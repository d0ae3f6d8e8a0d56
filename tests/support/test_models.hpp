// The test models of tests/data/models (made by make_models.py): where they
// are, and the spec of the tiny ViT they share.
#ifndef BIOPTIMUS_TESTS_TEST_MODELS_HPP
#define BIOPTIMUS_TESTS_TEST_MODELS_HPP

#include <filesystem>
#include <string>

#include "bioptimus/models/registry.hpp"

namespace bioptimus::testing {

inline const std::filesystem::path test_models_dir = std::filesystem::path{BIOPTIMUS_TEST_DATA_DIR} / "models";

/// tiny-vit-reg4.yaml: patch 16, CLS + 4 registers, cls+patch_mean readout, 64 floats.
inline models::ModelSpec tiny_vit_spec() { return models::load_spec(test_models_dir / "tiny-vit-reg4.yaml"); }

/// A small ViT for the preprocessing tests: 32 px tiles, h0-mini's mean and
/// std; `extra` YAML lines (a colour space, a stain normalisation) are appended.
inline models::ModelSpec small_vit_spec(const std::string& extra = "") {
  return models::parse_spec(
      "model_name: test-model\nversion: 1.0.0\ntile_spec: {size: 32, resolution: 0.5}\n"
      "mean: [0.707223, 0.578729, 0.703617]\nstd: [0.211883, 0.230117, 0.177517]\npatch_size: 16\n"
      "embedding_dim: 8\noutput_type: cls\n" +
          extra,
      "test");
}

}  // namespace bioptimus::testing

#endif  // BIOPTIMUS_TESTS_TEST_MODELS_HPP
