// The pieces of the bioptimus_cpp module, one registration function per layer,
// and the conversions they share.
#ifndef BIOPTIMUS_PYTHON_BINDINGS_HPP
#define BIOPTIMUS_PYTHON_BINDINGS_HPP

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bioptimus/error.hpp"
#include "bioptimus/image/image.hpp"
#include "bioptimus/io/wsi/measurement_unit.hpp"
#include "bioptimus/io/wsi/resolution.hpp"
#include "bioptimus/models/stain.hpp"

namespace bioptimus::python {

/// The library's exceptions as Python classes (bioptimus_cpp.Error and its
/// subclasses) and the translator that raises them with their details.
void register_errors(pybind11::module_& module);
/// MPP, Level, Magnification, MeasurementUnit, TileSpec, ModelSpec, Models,
/// the registry and the YAML functions.
void register_specs(pybind11::module_& module);
/// Preprocessor.
void register_preprocess(pybind11::module_& module);
/// StainNormalizer.
void register_stain(pybind11::module_& module);
/// SlideReader and TileExtractor.
void register_extraction(pybind11::module_& module);
/// PredictionWriter (Zarr, HDF5, NPZ).
void register_writers(pybind11::module_& module);

/// A member of the Python enum `enum_name` (a str Enum created by
/// register_specs) whose value is `value`.
[[nodiscard]] pybind11::object enum_member(const char* enum_name, std::string_view value);

/// `unit` as a bioptimus_cpp.MeasurementUnit member.
[[nodiscard]] pybind11::object to_python(io::wsi::MeasurementUnit unit);
/// A MeasurementUnit from a member or its string value.
/// @throws ValidationError naming `field` when `value` is neither.
[[nodiscard]] io::wsi::MeasurementUnit measurement_unit_from(const pybind11::handle& value, const std::string& field);

/// `resolution` as a bioptimus_cpp MPP, Level or Magnification.
[[nodiscard]] pybind11::object to_python(const io::wsi::Resolution& resolution);

/// The tiles of `input` (a uint8 (H, W, 3|4) or (N, H, W, 3|4) array, a PIL
/// image in mode RGB or RGBA, or a list of them) as views on their own
/// memory; `owners` keeps alive every array the views read.
[[nodiscard]] std::vector<image::ImageView> image_views(const pybind11::handle& input,
                                                        std::vector<pybind11::array>& owners);

/// A stain target as a dict with the YAML keys.
[[nodiscard]] pybind11::dict stain_target_to_python(const models::StainTarget& target);
/// A stain target from such a dict; its problems go to `violations`, each
/// named under `field`.
[[nodiscard]] std::optional<models::StainTarget> stain_target_from_python(const pybind11::handle& value,
                                                                          const std::string& field,
                                                                          std::vector<Violation>& violations);
/// StainOptions from the keyword arguments of StainNormalizer and
/// Preprocessor: `target` is a dict or an image to fit one on (with `method`).
[[nodiscard]] models::StainOptions stain_options_from(models::StainNormalization method, const pybind11::object& target,
                                                      const std::string& estimation,
                                                      const pybind11::object& slide_stains,
                                                      std::int64_t min_tissue_pixels);

}  // namespace bioptimus::python

#endif  // BIOPTIMUS_PYTHON_BINDINGS_HPP
