// The value types, Models, the registry and the YAML functions.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "bioptimus/io/wsi/level.hpp"
#include "bioptimus/io/wsi/magnification.hpp"
#include "bioptimus/io/wsi/mpp.hpp"
#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/models/models.hpp"
#include "bioptimus/models/registry.hpp"
#include "bioptimus/models/vocabulary.hpp"

namespace py = pybind11;

namespace bioptimus::python {
namespace {

using extraction::wsi::Extent;
using extraction::wsi::PixelExtent;
using extraction::wsi::TileSpec;
using io::wsi::Level;
using io::wsi::Magnification;
using io::wsi::MeasurementUnit;
using io::wsi::MPP;
using io::wsi::Resolution;
using models::ModelSpec;
using models::Registry;

// The module object, set once at import; it outlives every call.
py::handle& module_handle() {
  static py::handle module;
  return module;
}

std::string python_repr(const py::handle& value) { return py::repr(value).cast<std::string>(); }

[[noreturn]] void fail(const char* type_name, std::string field, std::string message) {
  detail::throw_validation_error(type_name, {{std::move(field), std::move(message)}});
}

// "Models.H0_MINI" for "h0-mini": the C++ enumerator's name in upper case.
std::string enumerator_name(std::string_view spelling) {
  std::string name(spelling);
  for (char& c : name) {
    c = (c == '-' || c == '.') ? '_' : (c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  return name;
}

// A str Enum, as the SDK declares Models (`class Models(str, Enum)`): members
// compare equal to their string values and pass wherever a name is expected.
void add_str_enum(py::module_& module, const char* name, const char* doc,
                  const std::vector<std::pair<std::string, std::string>>& members) {
  py::list items;
  for (const auto& [member, value] : members) {
    items.append(py::make_tuple(member, value));
  }
  py::object type = py::module_::import("enum").attr("Enum")(
      name, items, py::arg("module") = "bioptimus_cpp", py::arg("type") = py::module_::import("builtins").attr("str"));
  type.attr("__doc__") = doc;
  type.attr("__qualname__") = name;
  module.attr(name) = type;
}

// A number or a (width, height) pair; `field` names it in errors.
std::optional<Extent> extent_from(const py::handle& value, const char* field, std::vector<Violation>& violations) {
  const auto number = [](const py::handle& item) -> std::optional<double> {
    if (py::isinstance<py::bool_>(item) || !(py::isinstance<py::int_>(item) || py::isinstance<py::float_>(item) ||
                                             py::hasattr(item, "__index__") || py::hasattr(item, "__float__"))) {
      return std::nullopt;
    }
    return py::float_(py::reinterpret_borrow<py::object>(item)).cast<double>();
  };
  if (const std::optional<double> side = number(value)) {
    return Extent{*side};
  }
  if (py::isinstance<py::sequence>(value) && !py::isinstance<py::str>(value) && py::len(value) == 2) {
    const py::sequence pair = py::reinterpret_borrow<py::sequence>(value);
    const std::optional<double> width = number(pair[0]);
    const std::optional<double> height = number(pair[1]);
    if (width && height) {
      return Extent{*width, *height};
    }
  }
  violations.push_back({field, "expected (width, height) or one number for both, got " + python_repr(value)});
  return std::nullopt;
}

std::optional<Resolution> resolution_from(const py::handle& value, std::vector<Violation>& violations) {
  if (py::isinstance<MPP>(value)) {
    return value.cast<MPP>();
  }
  if (py::isinstance<Level>(value)) {
    return value.cast<Level>();
  }
  if (py::isinstance<Magnification>(value)) {
    return value.cast<Magnification>();
  }
  violations.push_back({"resolution", "expected an MPP, a Level or a Magnification, got " + python_repr(value)});
  return std::nullopt;
}

// Whole-pixel lengths print as ints, as the SDK's TileSpec shows them.
py::tuple extent_to_python(Extent extent, MeasurementUnit unit) {
  if (unit == MeasurementUnit::pixels) {
    return py::make_tuple(static_cast<std::int64_t>(extent.width), static_cast<std::int64_t>(extent.height));
  }
  return py::make_tuple(extent.width, extent.height);
}

py::tuple pixels_to_python(PixelExtent extent) { return py::make_tuple(extent.width, extent.height); }

py::tuple microns_to_python(Extent extent) { return py::make_tuple(extent.width, extent.height); }

TileSpec make_tile_spec(const py::object& size, const py::object& stride, const py::object& resolution,
                        const py::object& unit) {
  std::vector<Violation> violations;
  const std::optional<Extent> size_value = extent_from(size, "size", violations);
  std::optional<Extent> stride_value;
  if (!stride.is_none()) {
    stride_value = extent_from(stride, "stride", violations);
  }
  const std::optional<Resolution> resolution_value = resolution_from(resolution, violations);
  std::optional<MeasurementUnit> unit_value;
  try {
    unit_value = measurement_unit_from(unit, "unit");
  } catch (const ValidationError& error) {
    violations.insert(violations.end(), error.violations().begin(), error.violations().end());
  }
  if (!violations.empty()) {
    detail::throw_validation_error("TileSpec", std::move(violations));
  }
  return TileSpec{{.size = *size_value,
                   .stride = stride_value ? extraction::wsi::OptionalExtent{*stride_value} : std::nullopt,
                   .resolution = *resolution_value,
                   .unit = *unit_value}};
}

std::string tile_spec_repr(const TileSpec& tile) {
  return "TileSpec(size=" + python_repr(extent_to_python(tile.size(), tile.unit())) +
         ", stride=" + python_repr(extent_to_python(tile.stride(), tile.unit())) +
         ", resolution=" + python_repr(to_python(tile.resolution())) + ", unit=MeasurementUnit." +
         to_python(tile.unit()).attr("name").cast<std::string>() + ")";
}

// One closed-vocabulary word, as the YAML loader reads it: an unknown word
// lists the allowed ones and the nearest.
template <class Enum, std::size_t N>
std::optional<Enum> word_from(const std::string& text, const char* field, const std::array<Enum, N>& all,
                              std::vector<Violation>& violations) {
  if (const std::optional<Enum> value = detail::parse_enum(text, all)) {
    return value;
  }
  const auto spellings = detail::spellings_of(all);
  std::string message = "expected one of " + detail::join_spellings(spellings) + ", got " + detail::quote(text);
  if (const auto suggestion = detail::nearest_spelling(text, spellings)) {
    message += " (did you mean " + detail::quote(*suggestion) + "?)";
  }
  violations.push_back({field, std::move(message)});
  return std::nullopt;
}

struct ModelSpecArguments {
  std::string model_name;
  std::string version;
  TileSpec tile_spec;
  std::vector<double> mean;
  std::vector<double> std;
  std::int64_t embedding_dim;
  std::optional<std::string> output_type;
  std::optional<std::int64_t> patch_size;
  std::optional<std::int64_t> num_prefix_tokens;
  std::optional<std::string> weights_source;
  std::optional<std::string> license;
  std::int64_t num_channels;
  std::string interpolation;
  bool antialias;
  std::string color_space;
  std::optional<std::string> stain_normalization;
  py::object stain_target;
  std::string architecture;
  std::optional<std::pair<std::int64_t, std::int64_t>> output_spatial_dims;
  std::string precision;
};

// Reports every problem at once, as the C++ constructor does: an unknown
// word is one violation, and the rules that compare against it are left out
// (their other side is unknown), the same way the YAML loader does it.
ModelSpec make_model_spec(ModelSpecArguments arguments) {
  std::vector<Violation> word_violations;
  ModelSpec::Fields fields{.model_name = std::move(arguments.model_name),
                           .version = std::move(arguments.version),
                           .weights_source = std::move(arguments.weights_source),
                           .license = std::move(arguments.license),
                           .tile_spec = arguments.tile_spec,
                           .num_channels = arguments.num_channels,
                           .mean = std::move(arguments.mean),
                           .std = std::move(arguments.std),
                           .antialias = arguments.antialias,
                           .patch_size = arguments.patch_size,
                           .num_prefix_tokens = arguments.num_prefix_tokens,
                           .embedding_dim = arguments.embedding_dim};
  fields.interpolation =
      word_from(arguments.interpolation, "interpolation", models::all_interpolations, word_violations)
          .value_or(fields.interpolation);
  fields.color_space = word_from(arguments.color_space, "color_space", models::all_color_spaces, word_violations)
                           .value_or(fields.color_space);
  if (arguments.stain_normalization) {
    fields.stain_normalization = word_from(*arguments.stain_normalization, "stain_normalization",
                                           models::all_stain_normalizations, word_violations);
  }
  if (!arguments.stain_target.is_none()) {
    fields.stain_target = stain_target_from_python(arguments.stain_target, "stain_target", word_violations);
  }
  fields.architecture = word_from(arguments.architecture, "architecture", models::all_architectures, word_violations)
                            .value_or(fields.architecture);
  if (arguments.output_type) {
    fields.output_type = word_from(*arguments.output_type, "output_type", models::all_output_types, word_violations);
  }
  if (arguments.output_spatial_dims) {
    models::SpatialDims dims{};
    dims.height = arguments.output_spatial_dims->first;
    dims.width = arguments.output_spatial_dims->second;
    fields.output_spatial_dims = dims;
  }
  fields.precision =
      word_from(arguments.precision, "precision", models::all_precisions, word_violations).value_or(fields.precision);
  if (word_violations.empty()) {
    return ModelSpec{std::move(fields)};
  }
  std::vector<Violation> violations = word_violations;
  const auto about_bad_word = [&](const Violation& violation) {
    return std::any_of(word_violations.begin(), word_violations.end(), [&](const Violation& bad) {
      const std::string root = violation.field.substr(0, violation.field.find_first_of(".["));
      return violation.field == bad.field || root == bad.field.substr(0, bad.field.find_first_of(".[")) ||
             std::find(violation.related.begin(), violation.related.end(), bad.field) != violation.related.end();
    });
  };
  try {
    const ModelSpec unused{std::move(fields)};
  } catch (const ValidationError& error) {
    for (const Violation& violation : error.violations()) {
      if (!about_bad_word(violation) && !(violation.field == "output_type" && !arguments.output_type)) {
        violations.push_back(violation);
      }
    }
    if (!arguments.output_type) {
      violations.push_back({"output_type", "required: expected one of " +
                                               detail::join_spellings(detail::spellings_of(models::all_output_types))});
    }
  }
  detail::throw_validation_error("ModelSpec", std::move(violations));
}

py::object optional_word(const auto& value) {
  return value ? py::object(py::str(std::string(to_string(*value)))) : py::object(py::none());
}

py::object spatial_dims_to_python(const ModelSpec& spec) {
  const std::optional<models::SpatialDims> dims = spec.output_spatial_dims();
  return dims ? py::object(py::make_tuple(dims->height, dims->width)) : py::object(py::none());
}

// The constructor's keyword arguments that rebuild `spec`.
py::dict model_spec_fields(const ModelSpec& spec) {
  py::dict fields;
  fields["model_name"] = spec.model_name();
  fields["version"] = spec.version();
  fields["tile_spec"] = spec.tile_spec();
  fields["mean"] = py::tuple(py::cast(std::vector<double>(spec.mean().begin(), spec.mean().end())));
  fields["std"] = py::tuple(py::cast(std::vector<double>(spec.std().begin(), spec.std().end())));
  fields["embedding_dim"] = spec.embedding_dim();
  fields["output_type"] = std::string(to_string(spec.output_type()));
  fields["patch_size"] = spec.patch_size();
  fields["num_prefix_tokens"] = spec.num_prefix_tokens();
  fields["weights_source"] = spec.weights_source();
  fields["license"] = spec.license();
  fields["num_channels"] = spec.num_channels();
  fields["interpolation"] = std::string(to_string(spec.interpolation()));
  fields["antialias"] = spec.antialias();
  fields["color_space"] = std::string(to_string(spec.color_space()));
  fields["stain_normalization"] = optional_word(spec.stain_normalization());
  fields["stain_target"] =
      spec.stain_target() ? py::object(stain_target_to_python(*spec.stain_target())) : py::object(py::none());
  fields["architecture"] = std::string(to_string(spec.architecture()));
  fields["output_spatial_dims"] = spatial_dims_to_python(spec);
  fields["precision"] = std::string(to_string(spec.precision()));
  return fields;
}

void register_resolutions(py::module_& module) {
  py::class_<MPP>(module, "MPP", "Microns per pixel: a finite number > 0 (0.5 is about 20x, 0.25 about 40x).")
      .def(py::init<double>(), py::arg("value"), "Raises ValidationError unless value is finite and > 0.")
      .def_property_readonly("value", &MPP::value, "The microns one pixel spans.")
      .def("is_close_to", &MPP::is_close_to, py::arg("other"),
           py::arg("relative_tolerance") = MPP::default_relative_tolerance,
           "Whether the two differ by at most relative_tolerance of the larger one.")
      .def("__float__", &MPP::value)
      .def("__eq__",
           [](MPP self, const py::object& other) { return py::isinstance<MPP>(other) && self == other.cast<MPP>(); })
      .def("__lt__", [](MPP self, MPP other) { return self < other; })
      .def("__le__", [](MPP self, MPP other) { return self <= other; })
      .def("__gt__", [](MPP self, MPP other) { return self > other; })
      .def("__ge__", [](MPP self, MPP other) { return self >= other; })
      .def("__hash__", [](MPP self) { return py::hash(py::make_tuple("MPP", self.value())); })
      .def("__repr__", [](MPP self) { return "MPP(" + python_repr(py::float_(self.value())) + ")"; })
      .def(py::pickle([](MPP self) { return py::make_tuple(self.value()); },
                      [](const py::tuple& state) { return MPP{state[0].cast<double>()}; }));

  py::class_<Level>(module, "Level", "Pyramid level index (0 = highest resolution).")
      .def(py::init<std::int64_t>(), py::arg("index"), "Raises ValidationError when index is negative.")
      .def_property_readonly("index", [](Level self) { return std::int64_t{self.index()}; })
      .def("__int__", [](Level self) { return std::int64_t{self.index()}; })
      .def("__index__", [](Level self) { return std::int64_t{self.index()}; })
      .def("__eq__",
           [](Level self, const py::object& other) {
             return py::isinstance<Level>(other) && self == other.cast<Level>();
           })
      .def("__lt__", [](Level self, Level other) { return self < other; })
      .def("__hash__", [](Level self) { return py::hash(py::make_tuple("Level", self.index())); })
      .def("__repr__", [](Level self) { return "Level(" + std::to_string(self.index()) + ")"; })
      .def(py::pickle([](Level self) { return py::make_tuple(std::int64_t{self.index()}); },
                      [](const py::tuple& state) { return Level{state[0].cast<std::int64_t>()}; }));

  py::class_<Magnification>(module, "Magnification", "Objective power (20 for 20x), a finite number > 0.")
      .def(py::init<double>(), py::arg("power"), "Raises ValidationError unless power is finite and > 0.")
      .def_property_readonly("value", &Magnification::value, "The objective power.")
      .def("__float__", &Magnification::value)
      .def("__eq__",
           [](Magnification self, const py::object& other) {
             return py::isinstance<Magnification>(other) && self == other.cast<Magnification>();
           })
      .def("__lt__", [](Magnification self, Magnification other) { return self < other; })
      .def("__hash__", [](Magnification self) { return py::hash(py::make_tuple("Magnification", self.value())); })
      .def("__repr__",
           [](Magnification self) { return "Magnification(" + python_repr(py::float_(self.value())) + ")"; })
      .def(py::pickle([](Magnification self) { return py::make_tuple(self.value()); },
                      [](const py::tuple& state) { return Magnification{state[0].cast<double>()}; }));
}

void register_tile_spec(py::module_& module) {
  py::class_<TileSpec>(module, "TileSpec", R"(Tile geometry: size and stride as (width, height), the resolution they
are defined at (an MPP, a Level or a Magnification) and their unit.

With PIXELS, size and stride are whole pixels at the resolution; with UM they
are microns and must come out as whole pixels at the resolution's MPP. Stride
defaults to size; smaller means overlap, larger means gaps.

    TileSpec(size=(224, 224), stride=(224, 224), resolution=MPP(0.5), unit=MeasurementUnit.PIXELS)
)")
      .def(py::init(&make_tile_spec), py::arg("size"), py::arg("stride") = py::none(), py::kw_only(),
           py::arg("resolution"), py::arg("unit") = enum_member("MeasurementUnit", "pixels"),
           "Raises ValidationError listing every broken rule.")
      .def_property_readonly(
          "size", [](const TileSpec& self) { return extent_to_python(self.size(), self.unit()); },
          "(width, height) in unit.")
      .def_property_readonly(
          "stride", [](const TileSpec& self) { return extent_to_python(self.stride(), self.unit()); },
          "(stride_width, stride_height) in unit.")
      .def_property_readonly(
          "width", [](const TileSpec& self) -> py::object { return extent_to_python(self.size(), self.unit())[0]; })
      .def_property_readonly(
          "height", [](const TileSpec& self) -> py::object { return extent_to_python(self.size(), self.unit())[1]; })
      .def_property_readonly(
          "stride_width",
          [](const TileSpec& self) -> py::object { return extent_to_python(self.stride(), self.unit())[0]; })
      .def_property_readonly(
          "stride_height",
          [](const TileSpec& self) -> py::object { return extent_to_python(self.stride(), self.unit())[1]; })
      .def_property_readonly("resolution", [](const TileSpec& self) { return to_python(self.resolution()); })
      .def_property_readonly("unit", [](const TileSpec& self) { return to_python(self.unit()); })
      .def_property_readonly("mpp", &TileSpec::mpp, "The resolution's MPP, or None for a Level or a Magnification.")
      .def_property_readonly(
          "size_pixels", [](const TileSpec& self) { return pixels_to_python(self.size_pixels()); },
          "(width, height) in whole pixels at the resolution.")
      .def_property_readonly("stride_pixels",
                             [](const TileSpec& self) { return pixels_to_python(self.stride_pixels()); })
      .def_property_readonly(
          "overlap_pixels", [](const TileSpec& self) { return pixels_to_python(self.overlap_pixels()); },
          "size - stride per axis in pixels (negative: a gap).")
      .def_property_readonly(
          "size_microns",
          [](const TileSpec& self) {
            const std::optional<Extent> microns = self.size_microns();
            return microns ? py::object(microns_to_python(*microns)) : py::object(py::none());
          },
          "(width, height) in microns, or None unless the resolution is an MPP.")
      .def_property_readonly("stride_microns",
                             [](const TileSpec& self) {
                               const std::optional<Extent> microns = self.stride_microns();
                               return microns ? py::object(microns_to_python(*microns)) : py::object(py::none());
                             })
      .def("scale_to_reference", &TileSpec::scale_to_reference, py::arg("downsample_ratio"), py::arg("mpp"),
           R"(The same tile in the pixels of a reference pyramid level.

downsample_ratio: the reference level's downsample over the target
resolution's (both relative to level 0); mpp: microns per pixel at the
target resolution. A 224 px tile at 0.5 mpp on a 0.25 mpp slide, with level 0
as the reference (ratio 0.5), becomes 448 px at MPP(0.25).)")
      .def("__eq__",
           [](const TileSpec& self, const py::object& other) {
             return py::isinstance<TileSpec>(other) && self == other.cast<const TileSpec&>();
           })
      .def("__hash__", [](const TileSpec& self) { return py::hash(py::str(tile_spec_repr(self))); })
      .def("__repr__", &tile_spec_repr)
      .def(py::pickle(
          [](const TileSpec& self) {
            return py::make_tuple(extent_to_python(self.size(), self.unit()),
                                  extent_to_python(self.stride(), self.unit()), to_python(self.resolution()),
                                  to_python(self.unit()));
          },
          [](const py::tuple& state) { return make_tile_spec(state[0], state[1], state[2], state[3]); }));
}

void register_model_spec(py::module_& module) {
  py::class_<ModelSpec>(module, "ModelSpec", R"(The input and output contract of a tile encoder: identity, tile
geometry, normalisation, architecture, output and precision. Validated as a
whole at construction (ValidationError lists every broken rule, each naming
its field) and immutable afterwards; replace() makes a changed copy.

Words are the YAML spellings: output_type "cls" | "patch_mean" |
"cls+patch_mean" | "dense" | "token_sequence", precision "fp32" | "fp16" |
"bf16", interpolation "bicubic", ... output_spatial_dims is (height, width).)")
      .def(
          py::init([](std::string model_name, std::string version, const TileSpec& tile_spec, std::vector<double> mean,
                      std::vector<double> std, std::int64_t embedding_dim, std::optional<std::string> output_type,
                      std::optional<std::int64_t> patch_size, std::optional<std::int64_t> num_prefix_tokens,
                      std::optional<std::string> weights_source, std::optional<std::string> license,
                      std::int64_t num_channels, std::string interpolation, bool antialias, std::string color_space,
                      std::optional<std::string> stain_normalization, py::object stain_target,
                      std::string architecture,
                      std::optional<std::pair<std::int64_t, std::int64_t>> output_spatial_dims, std::string precision) {
            return make_model_spec({.model_name = std::move(model_name),
                                    .version = std::move(version),
                                    .tile_spec = tile_spec,
                                    .mean = std::move(mean),
                                    .std = std::move(std),
                                    .embedding_dim = embedding_dim,
                                    .output_type = std::move(output_type),
                                    .patch_size = patch_size,
                                    .num_prefix_tokens = num_prefix_tokens,
                                    .weights_source = std::move(weights_source),
                                    .license = std::move(license),
                                    .num_channels = num_channels,
                                    .interpolation = std::move(interpolation),
                                    .antialias = antialias,
                                    .color_space = std::move(color_space),
                                    .stain_normalization = std::move(stain_normalization),
                                    .stain_target = std::move(stain_target),
                                    .architecture = std::move(architecture),
                                    .output_spatial_dims = output_spatial_dims,
                                    .precision = std::move(precision)});
          }),
          py::kw_only(), py::arg("model_name"), py::arg("version"), py::arg("tile_spec"), py::arg("mean"),
          py::arg("std"), py::arg("embedding_dim"), py::arg("output_type") = py::none(),
          py::arg("patch_size") = py::none(), py::arg("num_prefix_tokens") = py::none(),
          py::arg("weights_source") = py::none(), py::arg("license") = py::none(), py::arg("num_channels") = 3,
          py::arg("interpolation") = "bicubic", py::arg("antialias") = true, py::arg("color_space") = "RGB",
          py::arg("stain_normalization") = py::none(), py::arg("stain_target") = py::none(),
          py::arg("architecture") = "vit",
          py::arg("output_spatial_dims") = py::none(), py::arg("precision") = "fp32",
          "Raises ValidationError listing every broken rule. num_prefix_tokens defaults to 1 for vit, 0 otherwise.")
      // Identity and provenance.
      .def_property_readonly("model_name", &ModelSpec::model_name, "Registry key, e.g. 'h0-mini'.")
      .def_property_readonly("version", &ModelSpec::version, "SemVer version of the weights.")
      .def_property_readonly("weights_source", &ModelSpec::weights_source,
                             "Hugging Face repo, URL or path of the weights; None = no auto-download.")
      .def_property_readonly("license", &ModelSpec::license)
      // Input and preprocessing.
      .def_property_readonly("tile_spec", &ModelSpec::tile_spec, "Tile geometry; its resolution is always an MPP.")
      .def_property_readonly("num_channels", &ModelSpec::num_channels)
      .def_property_readonly(
          "mean",
          [](const ModelSpec& self) {
            return py::tuple(py::cast(std::vector<double>(self.mean().begin(), self.mean().end())));
          },
          "Per-channel mean for pixels scaled to [0, 1].")
      .def_property_readonly(
          "std",
          [](const ModelSpec& self) {
            return py::tuple(py::cast(std::vector<double>(self.std().begin(), self.std().end())));
          },
          "Per-channel standard deviation (every value > 0).")
      .def_property_readonly("interpolation",
                             [](const ModelSpec& self) { return std::string(to_string(self.interpolation())); })
      .def_property_readonly("antialias", &ModelSpec::antialias)
      .def_property_readonly("color_space",
                             [](const ModelSpec& self) { return std::string(to_string(self.color_space())); })
      .def_property_readonly("stain_normalization",
                             [](const ModelSpec& self) { return optional_word(self.stain_normalization()); })
      .def_property_readonly(
          "stain_target",
          [](const ModelSpec& self) {
            return self.stain_target() ? py::object(stain_target_to_python(*self.stain_target()))
                                       : py::object(py::none());
          },
          "What stain_normalization maps to, as a dict; None = the method's reference target.")
      // Architecture.
      .def_property_readonly("architecture",
                             [](const ModelSpec& self) { return std::string(to_string(self.architecture())); })
      .def_property_readonly("patch_size", &ModelSpec::patch_size, "ViT patch size in pixels; None otherwise.")
      .def_property_readonly("num_prefix_tokens", &ModelSpec::num_prefix_tokens,
                             "CLS plus register tokens before the patch tokens.")
      // Output and compute.
      .def_property_readonly("embedding_dim", &ModelSpec::embedding_dim)
      .def_property_readonly("output_type",
                             [](const ModelSpec& self) { return std::string(to_string(self.output_type())); })
      .def_property_readonly("output_spatial_dims", &spatial_dims_to_python,
                             "(height, width) of a dense output's feature map; None otherwise.")
      .def_property_readonly("precision",
                             [](const ModelSpec& self) { return std::string(to_string(self.precision())); })
      // Derived values.
      .def_property_readonly("mpp", &ModelSpec::mpp, "The tile's resolution.")
      .def_property_readonly(
          "tile_size_pixels", [](const ModelSpec& self) { return pixels_to_python(self.tile_size_pixels()); },
          "(width, height) in pixels.")
      .def_property_readonly("stride_pixels",
                             [](const ModelSpec& self) { return pixels_to_python(self.stride_pixels()); })
      .def_property_readonly("tile_size_microns",
                             [](const ModelSpec& self) { return microns_to_python(self.tile_size_microns()); })
      .def_property_readonly("stride_microns",
                             [](const ModelSpec& self) { return microns_to_python(self.stride_microns()); })
      .def_property_readonly("overlap_pixels",
                             [](const ModelSpec& self) { return pixels_to_python(self.overlap_pixels()); })
      .def_property_readonly(
          "patch_grid",
          [](const ModelSpec& self) {
            const std::optional<models::PatchGrid> grid = self.patch_grid();
            return grid ? py::object(py::make_tuple(grid->width, grid->height)) : py::object(py::none());
          },
          "(width, height) of the ViT patch grid; None for other architectures.")
      .def_property_readonly("num_patch_tokens", &ModelSpec::num_patch_tokens)
      .def_property_readonly("sequence_length", &ModelSpec::sequence_length,
                             "num_prefix_tokens + num_patch_tokens; None without a patch grid.")
      .def_property_readonly("token_dim", &ModelSpec::token_dim,
                             "embedding_dim / 2 for cls+patch_mean, embedding_dim otherwise.")
      .def_property_readonly(
          "input_shape",
          [](const ModelSpec& self) {
            const auto shape = self.input_shape();
            return py::make_tuple(shape[0], shape[1], shape[2]);
          },
          "(channels, height, width).")
      .def_property_readonly("output_shape",
                             [](const ModelSpec& self) { return py::tuple(py::cast(self.output_shape())); })
      .def_property_readonly("identity", &ModelSpec::identity,
                             "'model_name@version': keeps embeddings of two versions apart.")
      .def("to_yaml", &models::to_yaml, "The canonical YAML config; parse_spec() of it gives an equal spec.")
      .def(
          "replace",
          [](const py::object& self, const py::kwargs& changes) {
            py::dict fields = model_spec_fields(self.cast<const ModelSpec&>());
            for (const auto& [key, value] : changes) {
              if (!fields.contains(key)) {
                throw py::type_error("ModelSpec.replace() got an unexpected keyword argument " + python_repr(key));
              }
              fields[key] = value;
            }
            return py::type::of(self)(**fields);
          },
          "A new, validated spec with the given fields changed: spec.replace(precision='fp16').")
      .def("__eq__",
           [](const ModelSpec& self, const py::object& other) {
             return py::isinstance<ModelSpec>(other) && self == other.cast<const ModelSpec&>();
           })
      .def("__hash__", [](const ModelSpec& self) { return py::hash(py::str(models::to_yaml(self))); })
      .def("__repr__",
           [](const ModelSpec& self) {
             // Appends only: g++ 12 with LTO warns falsely about `"..." + std::string` here.
             std::string text = "ModelSpec(";
             const char* separator = "";
             for (const auto& [key, value] : model_spec_fields(self)) {
               text.append(separator).append(key.cast<std::string>()).append("=").append(python_repr(value));
               separator = ", ";
             }
             return text.append(")");
           })
      .def(py::pickle([](const ModelSpec& self) { return models::to_yaml(self); },
                      [](const std::string& yaml) { return models::parse_spec(yaml, "<pickle>"); }));
}

void register_registry(py::module_& module) {
  std::vector<std::pair<std::string, std::string>> members;
  for (const models::Models model : models::all_models) {
    members.emplace_back(enumerator_name(to_string(model)), std::string(to_string(model)));
  }
  add_str_enum(module, "Models",
               "The built-in models; each value is the config's model_name (Models.H0_MINI == 'h0-mini').", members);

  py::class_<Registry>(module, "Registry", "An immutable set of ModelSpecs with unique model names, sorted by name.")
      .def_static("builtin", &Registry::builtin, py::return_value_policy::reference,
                  "The built-in configs, compiled into the library (no file on disk needed).")
      .def_static("from_directory", &Registry::from_directory, py::arg("directory"),
                  "Every *.yaml / *.yml file of directory; raises ConfigError listing every bad file's problems "
                  "and loads nothing then.")
      .def_static("from_specs", &Registry::from_specs, py::arg("specs"),
                  "A registry of the given specs; raises UnknownModelError when two share a name.")
      .def_static("merge", &Registry::merge, py::arg("first"), py::arg("second"))
      .def(
          "get", [](const Registry& self, const std::string& name) { return self.get(name); }, py::arg("model"),
          "The spec of a Models member or a model name; raises UnknownModelError listing the known names.")
      .def(
          "find",
          [](const Registry& self, const std::string& name) -> std::optional<ModelSpec> {
            const ModelSpec* spec = self.find(name);
            return spec != nullptr ? std::optional<ModelSpec>(*spec) : std::nullopt;
          },
          py::arg("model"), "The spec named model, or None.")
      .def("names",
           [](const Registry& self) {
             std::vector<std::string> names;
             for (const std::string_view name : self.names()) {
               names.emplace_back(name);
             }
             return names;
           })
      .def("specs",
           [](const Registry& self) { return std::vector<ModelSpec>(self.specs().begin(), self.specs().end()); })
      .def("__getitem__", [](const Registry& self, const std::string& name) { return self.get(name); })
      .def("__contains__", [](const Registry& self, const std::string& name) { return self.find(name) != nullptr; })
      .def("__len__", &Registry::size)
      .def("__iter__",
           [](const Registry& self) {
             return py::iter(py::cast(std::vector<ModelSpec>(self.specs().begin(), self.specs().end())));
           })
      .def("__repr__", [](const Registry& self) { return "Registry(" + std::to_string(self.size()) + " models)"; });

  module.def("load_spec", &models::load_spec, py::arg("path"),
             "Loads one YAML config (its stem must be its model_name); raises ConfigError with every problem, "
             "each as FILE:LINE:COL: error: FIELD: MESSAGE.");
  module.def("parse_spec", &models::parse_spec, py::arg("yaml"), py::arg("source_name") = "<string>",
             "Parses one config from YAML text; source_name is what the diagnostics call it.");
  module.def("to_yaml", &models::to_yaml, py::arg("spec"), "The canonical YAML config of spec.");
}

}  // namespace

py::object enum_member(const char* enum_name, std::string_view value) {
  return module_handle().attr(enum_name)(py::str(std::string(value)));
}

py::object to_python(MeasurementUnit unit) { return enum_member("MeasurementUnit", to_string(unit)); }

MeasurementUnit measurement_unit_from(const py::handle& value, const std::string& field) {
  if (py::isinstance<py::str>(value)) {
    if (const std::optional<MeasurementUnit> unit = io::wsi::parse_measurement_unit(value.cast<std::string>())) {
      return *unit;
    }
  }
  fail("TileSpec", field, "expected MeasurementUnit.PIXELS or MeasurementUnit.UM, got " + python_repr(value));
}

py::object to_python(const Resolution& resolution) {
  return std::visit([](auto value) { return py::cast(value); }, resolution);
}

void register_specs(py::module_& module) {
  module_handle() = module;
  add_str_enum(module, "MeasurementUnit", "The unit of a TileSpec's size and stride: PIXELS or UM (micrometres).",
               {{"PIXELS", "pixels"}, {"UM", "um"}});
  register_resolutions(module);
  register_tile_spec(module);
  register_model_spec(module);
  register_registry(module);
}

}  // namespace bioptimus::python
