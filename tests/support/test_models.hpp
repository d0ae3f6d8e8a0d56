// The test models of tests/data/models (made by make_models.py): where they
// are, and the spec of the tiny ViT they share.
#ifndef BIOPTIMUS_TESTS_TEST_MODELS_HPP
#define BIOPTIMUS_TESTS_TEST_MODELS_HPP

#include <filesystem>

#include "bioptimus/models/registry.hpp"

namespace bioptimus::testing {

inline const std::filesystem::path test_models_dir = std::filesystem::path{BIOPTIMUS_TEST_DATA_DIR} / "models";

/// tiny-vit-reg4.yaml: patch 16, CLS + 4 registers, cls+patch_mean readout, 64 floats.
inline models::ModelSpec tiny_vit_spec() { return models::load_spec(test_models_dir / "tiny-vit-reg4.yaml"); }

}  // namespace bioptimus::testing

#endif  // BIOPTIMUS_TESTS_TEST_MODELS_HPP
