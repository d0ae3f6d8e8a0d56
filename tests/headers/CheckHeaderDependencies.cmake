# The value-type headers, the image layer's and the preprocessor's (whose SIMD
# library stays in their .cpp files) include no yaml-cpp, {fmt}, Highway,
# libpng or OpenCV header; the inference and writers layers' keep LibTorch,
# HDF5, libzip, libblosc and nlohmann-json inside their sources (slow to
# compile, and not every user has them).
include("${CMAKE_CURRENT_LIST_DIR}/HeaderDependencies.cmake")
check_header_dependencies(
  "yaml-cpp|/fmt/|/hwy/|png\\.h|opencv" "yaml-cpp, fmt, Highway, libpng or OpenCV"
  bioptimus/error.hpp bioptimus/io/wsi/types.hpp bioptimus/extraction/wsi/types.hpp bioptimus/models/types.hpp
  bioptimus/models/readout.hpp bioptimus/image/image.hpp bioptimus/image/resize.hpp bioptimus/models/preprocess.hpp)
check_header_dependencies(
  "/torch/|/ATen/|/c10/|hdf5|/zip\\.h|blosc|nlohmann|yaml-cpp|/fmt/|openslide|opencv|dnnl|/hwy/|omp\\.h"
  "LibTorch, HDF5, libzip, blosc, nlohmann-json, yaml-cpp, fmt, OpenSlide, OpenCV, oneDNN, Highway or OpenMP"
  bioptimus/inference/backbone.hpp bioptimus/inference/weights.hpp bioptimus/writers/prediction_writer.hpp
  bioptimus/pipeline/slide_inference.hpp)
# The native engine's headers keep oneDNN, Highway, OpenMP and nlohmann_json
# (and LibTorch, which it never uses) inside its sources.
check_header_dependencies("dnnl|/hwy/|nlohmann|omp\\.h|/torch/|/ATen/|/c10/|yaml-cpp|/fmt/"
                          "oneDNN, Highway, nlohmann_json, OpenMP, LibTorch, yaml-cpp or fmt"
                          bioptimus/engine/vit_model.hpp bioptimus/engine/architecture.hpp
                          bioptimus/engine/safetensors.hpp)
