// The pieces of the bioptimus_cpp module, one registration function per layer,
// and the conversions they share.
#ifndef BIOPTIMUS_PYTHON_BINDINGS_HPP
#define BIOPTIMUS_PYTHON_BINDINGS_HPP

#include <pybind11/pybind11.h>

#include <string>
#include <string_view>

#include "bioptimus/io/wsi/measurement_unit.hpp"
#include "bioptimus/io/wsi/resolution.hpp"

namespace bioptimus::python {

/// The library's exceptions as Python classes (bioptimus_cpp.Error and its
/// subclasses) and the translator that raises them with their details.
void register_errors(pybind11::module_& module);
/// MPP, Level, Magnification, MeasurementUnit, TileSpec, ModelSpec, Models,
/// the registry and the YAML functions.
void register_specs(pybind11::module_& module);
/// Preprocessor.
void register_preprocess(pybind11::module_& module);
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

}  // namespace bioptimus::python

#endif  // BIOPTIMUS_PYTHON_BINDINGS_HPP
