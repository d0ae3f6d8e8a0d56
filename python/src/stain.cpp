// StainNormalizer and stain targets: a target is a dict with the YAML keys
// ({"hematoxylin", "eosin", "max_concentrations"} or {"lab_mean",
// "lab_std"}), images are what the Preprocessor takes.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "bioptimus/image/image.hpp"
#include "bioptimus/models/stain.hpp"
#include "bioptimus/models/vocabulary.hpp"

namespace py = pybind11;

namespace bioptimus::python {
namespace {

using models::LabStatistics;
using models::StainEstimation;
using models::StainNormalization;
using models::StainNormalizer;
using models::StainTarget;
using models::StainVectors;

template <std::size_t N>
py::tuple tuple_of(const std::array<double, N>& values) {
  py::tuple out(N);
  for (std::size_t i = 0; i < N; ++i) {
    out[i] = values[i];
  }
  return out;
}

template <std::size_t N>
std::optional<std::array<double, N>> numbers_from(const py::handle& value, const std::string& field,
                                                  std::vector<Violation>& violations) {
  try {
    const auto values = value.cast<std::vector<double>>();
    if (values.size() == N) {
      std::array<double, N> out{};
      std::copy(values.begin(), values.end(), out.begin());
      return out;
    }
  } catch (const py::cast_error&) {
  }
  violations.push_back(
      {field, "expected " + std::to_string(N) + " numbers, got " + py::repr(value).cast<std::string>()});
  return std::nullopt;
}

StainEstimation estimation_from(const std::string& text) {
  if (text == "per_tile") {
    return StainEstimation::per_tile;
  }
  if (text == "per_slide") {
    return StainEstimation::per_slide;
  }
  throw py::value_error("estimation: expected \"per_tile\" or \"per_slide\", got " + detail::quote(text));
}

StainNormalization method_from(const std::string& text) {
  if (const auto method = models::parse_stain_normalization(text)) {
    return *method;
  }
  throw py::value_error("method: expected one of " +
                        detail::join_spellings(detail::spellings_of(models::all_stain_normalizations)) + ", got " +
                        detail::quote(text));
}

py::array_t<std::uint8_t> normalize(const StainNormalizer& self, const py::handle& image) {
  std::vector<py::array> owners;
  const std::vector<image::ImageView> views = image_views(image, owners);
  if (views.size() != 1) {
    throw py::value_error("expected one image, got " + std::to_string(views.size()));
  }
  // The normaliser reads rgb8: other layouts are converted first.
  std::optional<image::Image> converted;
  if (views[0].format != image::PixelFormat::rgb8) {
    converted.emplace(image::to_rgb8(views[0]));
  }
  const image::ImageView tile = converted ? converted->view() : views[0];
  py::array_t<std::uint8_t> out(
      {static_cast<py::ssize_t>(tile.height), static_cast<py::ssize_t>(tile.width), py::ssize_t{3}});
  {
    const py::gil_scoped_release release;
    // One scratch per thread, kept: nothing is allocated per tile.
    thread_local models::StainScratch scratch;
    (void)self(tile,
               image::MutableImageView{.data = out.mutable_data(),
                                       .width = tile.width,
                                       .height = tile.height,
                                       .stride_bytes = tile.width * 3,
                                       .format = image::PixelFormat::rgb8},
               scratch);
  }
  return out;
}

StainTarget fit(const StainNormalizer& self, const py::handle& images, std::array<std::uint8_t, 3> background) {
  std::vector<py::array> owners;
  const std::vector<image::ImageView> views = image_views(images, owners);
  const py::gil_scoped_release release;
  return self.fit(views, image::Rgb8{.red = background[0], .green = background[1], .blue = background[2]});
}

}  // namespace

py::dict stain_target_to_python(const StainTarget& target) {
  py::dict out;
  if (const auto* vectors = std::get_if<StainVectors>(&target)) {
    out["hematoxylin"] = tuple_of(vectors->hematoxylin);
    out["eosin"] = tuple_of(vectors->eosin);
    out["max_concentrations"] = tuple_of(vectors->max_concentrations);
  } else {
    const auto& lab = std::get<LabStatistics>(target);
    out["lab_mean"] = tuple_of(lab.mean);
    out["lab_std"] = tuple_of(lab.std);
  }
  return out;
}

std::optional<StainTarget> stain_target_from_python(const py::handle& value, const std::string& field,
                                                    std::vector<Violation>& violations) {
  const std::size_t before = violations.size();
  if (!py::isinstance<py::dict>(value)) {
    violations.push_back({field,
                          "expected a dict with hematoxylin, eosin and max_concentrations, or with lab_mean "
                          "and lab_std, got " +
                              py::repr(value).cast<std::string>()});
    return std::nullopt;
  }
  const auto dict = py::reinterpret_borrow<py::dict>(value);
  std::vector<std::string> keys;
  for (const auto& item : dict) {
    keys.push_back(py::str(item.first).cast<std::string>());
  }
  const auto has = [&](const char* key) { return std::find(keys.begin(), keys.end(), key) != keys.end(); };
  const bool vectors = has("hematoxylin") || has("eosin") || has("max_concentrations");
  const std::vector<std::string> allowed = vectors
                                               ? std::vector<std::string>{"hematoxylin", "eosin", "max_concentrations"}
                                               : std::vector<std::string>{"lab_mean", "lab_std"};
  for (const std::string& key : keys) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      violations.push_back({field + "." + key, "unknown key; expected " + detail::join_spellings(allowed)});
    }
  }
  for (const std::string& key : allowed) {
    if (!has(key.c_str())) {
      violations.push_back({field + "." + key, "required key missing"});
    }
  }
  if (violations.size() != before) {
    return std::nullopt;
  }
  if (vectors) {
    const auto hematoxylin = numbers_from<3>(dict["hematoxylin"], field + ".hematoxylin", violations);
    const auto eosin = numbers_from<3>(dict["eosin"], field + ".eosin", violations);
    const auto max_c = numbers_from<2>(dict["max_concentrations"], field + ".max_concentrations", violations);
    if (!hematoxylin || !eosin || !max_c) {
      return std::nullopt;
    }
    return StainVectors{.hematoxylin = *hematoxylin, .eosin = *eosin, .max_concentrations = *max_c};
  }
  const auto mean = numbers_from<3>(dict["lab_mean"], field + ".lab_mean", violations);
  const auto std = numbers_from<3>(dict["lab_std"], field + ".lab_std", violations);
  if (!mean || !std) {
    return std::nullopt;
  }
  return LabStatistics{.mean = *mean, .std = *std};
}

StainTarget stain_target_argument(const py::handle& value, const std::string& field) {
  std::vector<Violation> violations;
  if (const auto target = stain_target_from_python(value, field, violations)) {
    return *target;
  }
  detail::throw_validation_error("StainTarget", std::move(violations));
}

models::StainOptions stain_options_from(StainNormalization method, const py::object& target,
                                        const std::string& estimation, const py::object& slide_stains,
                                        std::int64_t min_tissue_pixels) {
  models::StainOptions options{.estimation = estimation_from(estimation), .min_tissue_pixels = min_tissue_pixels};
  if (!target.is_none()) {
    // An image is a target to fit, as torchstain's fit(target).
    options.target =
        py::isinstance<py::dict>(target)
            ? stain_target_argument(target, "target")
            : fit(StainNormalizer(method, {.min_tissue_pixels = min_tissue_pixels}), target, {255, 255, 255});
  }
  if (!slide_stains.is_none()) {
    options.slide_stains = stain_target_argument(slide_stains, "slide_stains");
  }
  return options;
}

void register_stain(py::module_& module) {
  py::class_<StainNormalizer>(module, "StainNormalizer",
                              R"(Stain normalisation of uint8 RGB images: "macenko" and "reinhard" exactly as
torchstain's numpy backend computes them, "vahadane" from its paper.

    normalizer = StainNormalizer("macenko")                      # torchstain's reference target
    normalizer = StainNormalizer("macenko", target=target_image)  # fitted, as torchstain's fit()
    out = normalizer(tile)                                         # (H, W, 3) uint8

A target (and fit()'s result) is a dict: {"hematoxylin", "eosin",
"max_concentrations"} for macenko and vahadane, {"lab_mean", "lab_std"} for
reinhard. A tile with fewer than min_tissue_pixels tissue pixels uses
slide_stains when given and otherwise comes back unchanged.)")
      .def(py::init([](const std::string& method, const py::object& target, const std::string& estimation,
                       const py::object& slide_stains, std::int64_t min_tissue_pixels) {
             const StainNormalization parsed = method_from(method);
             return StainNormalizer(parsed,
                                    stain_options_from(parsed, target, estimation, slide_stains, min_tissue_pixels));
           }),
           py::arg("method"), py::kw_only(), py::arg("target") = py::none(), py::arg("estimation") = "per_tile",
           py::arg("slide_stains") = py::none(), py::arg("min_tissue_pixels") = 1000,
           "target: a dict, or an image to fit one on; estimation: \"per_tile\" or \"per_slide\" (needs "
           "slide_stains, e.g. fit() over the slide's tissue tiles).")
      .def_property_readonly("method",
                             [](const StainNormalizer& self) { return std::string(to_string(self.method())); })
      .def_property_readonly(
          "target", [](const StainNormalizer& self) { return stain_target_to_python(self.target()); },
          "The target tiles are mapped to, as a dict.")
      .def(
          "fit",
          [](const StainNormalizer& self, const py::handle& images, std::array<std::uint8_t, 3> background) {
            return stain_target_to_python(fit(self, images, background));
          },
          py::arg("images"), py::kw_only(), py::arg("background") = std::array<std::uint8_t, 3>{255, 255, 255},
          "The stains of an image (or the pooled pixels of a list of images), as torchstain's fit(): a target, or a "
          "slide's slide_stains. Raises Error when there is too little tissue.")
      .def("__call__", &normalize, py::arg("image"),
           "One image (uint8 (H, W, 3|4) array or PIL image) normalised: a new (H, W, 3) uint8 array.");
}

}  // namespace bioptimus::python
