// Keyword arguments the classes of several modules take alike: the tile
// extractor's (TileExtractor, TileStream, SlideInference) and an MPP given as
// an MPP or a number.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "bioptimus/io/wsi/mpp.hpp"
#ifdef BIOPTIMUS_PYTHON_WITH_WSI
#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "bioptimus/extraction/wsi/tissue_mask.hpp"
#endif

namespace py = pybind11;

namespace bioptimus::python {

#ifdef BIOPTIMUS_PYTHON_WITH_WSI
using extraction::wsi::TileExtractorOptions;

TileExtractorOptions extractor_options(const ExtractorArguments& arguments, std::string model) {
  TileExtractorOptions options{.mask_threshold = arguments.mask_threshold, .model = std::move(model)};
  if (!arguments.mask.is_none()) {
    const auto mask = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>::ensure(arguments.mask);
    if (!mask || mask.ndim() != 2) {
      throw py::value_error("mask: expected a 2-D array (height, width), non-zero = tissue, got " +
                            py::repr(arguments.mask).cast<std::string>());
    }
    options.mask = extraction::wsi::TissueMask(std::vector<std::uint8_t>(mask.data(), mask.data() + mask.size()),
                                               mask.shape(1), mask.shape(0), arguments.mask_mpp);
  }
  if (arguments.segment && !options.mask) {
    extraction::wsi::TissueMaskParams params;
    params.min_tissue_area_um2 = arguments.min_tissue_area_um2.value_or(params.min_tissue_area_um2);
    params.min_hole_area_um2 = arguments.min_hole_area_um2.value_or(params.min_hole_area_um2);
    options.segmentation = params;
  } else {
    options.segmentation = std::nullopt;
  }
  return options;
}

#endif

std::optional<io::wsi::MPP> mpp_of(const py::object& value) {
  if (value.is_none()) {
    return std::nullopt;
  }
  if (py::isinstance<io::wsi::MPP>(value)) {
    return value.cast<io::wsi::MPP>();
  }
  return io::wsi::MPP{value.cast<double>()};
}

}  // namespace bioptimus::python
