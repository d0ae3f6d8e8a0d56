// The concrete writers, each in its own file with its own dependency.
#ifndef BIOPTIMUS_SRC_INFERENCE_FEATURE_WRITERS_HPP
#define BIOPTIMUS_SRC_INFERENCE_FEATURE_WRITERS_HPP

#include <filesystem>
#include <memory>

#include "bioptimus/inference/feature_writer.hpp"

namespace bioptimus::inference::detail {

[[nodiscard]] std::unique_ptr<FeatureWriter> open_hdf5_writer(const std::filesystem::path& path,
                                                              const models::ModelSpec& spec,
                                                              const CoordinateAttributes& attributes);
[[nodiscard]] std::unique_ptr<FeatureWriter> open_npz_writer(const std::filesystem::path& path,
                                                             const models::ModelSpec& spec,
                                                             const CoordinateAttributes& attributes);

}  // namespace bioptimus::inference::detail

#endif  // BIOPTIMUS_SRC_INFERENCE_FEATURE_WRITERS_HPP
