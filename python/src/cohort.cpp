// Cohort and CohortSlide: a manifest of slides, read and checked by the
// library's reader (every problem at once, as ConfigError diagnostics).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "bioptimus/io/wsi/mpp.hpp"
#include "bioptimus/pipeline/cohort.hpp"

namespace py = pybind11;

namespace bioptimus::python {
namespace {

using pipeline::Cohort;
using pipeline::CohortSlide;

std::string repr(const CohortSlide& slide) {
  return "CohortSlide(slide_path=" + py::repr(py::str(slide.slide_path.string())).cast<std::string>() +
         ", slide_id=" + py::repr(py::str(slide.slide_id)).cast<std::string>() + ", mpp_override=" +
         (slide.mpp_override ? "MPP(" + py::repr(py::float_(slide.mpp_override->value())).cast<std::string>() + ")"
                             : std::string("None")) +
         ")";
}

}  // namespace

void register_cohort(py::module_& module) {
  py::class_<CohortSlide>(module, "CohortSlide", "One slide of a cohort: its file, the id its outputs take, its MPP.")
      .def(py::init([](const std::filesystem::path& slide_path, std::optional<std::string> slide_id,
                       const py::object& mpp_override) {
             std::string id = slide_id.value_or(slide_path.stem().string());
             return CohortSlide{slide_path, std::move(id), mpp_of(mpp_override), 0};
           }),
           py::arg("slide_path"), py::kw_only(), py::arg("slide_id") = py::none(), py::arg("mpp_override") = py::none(),
           "slide_id defaults to the file name without its extension; mpp_override is an MPP, a number or None.")
      .def_readonly("slide_path", &CohortSlide::slide_path)
      .def_readonly("slide_id", &CohortSlide::slide_id)
      .def_readonly("mpp_override", &CohortSlide::mpp_override)
      .def_readonly("line", &CohortSlide::line, "The manifest line it is on (1-based); 0 when not from a manifest.")
      .def("__repr__", &repr);

  py::class_<Cohort>(module, "Cohort", R"(The slides of a study: a manifest (CSV: slide_path, and optionally
slide_id and mpp_override columns) or a list of CohortSlide. See docs/cohorts.md.

    cohort = Cohort.read("cohort.csv")     # ConfigError with every problem, each located
    for slide in cohort: slide.slide_path, slide.slide_id, slide.mpp_override
)")
      .def(py::init([](std::vector<CohortSlide> slides) { return Cohort(std::move(slides)); }), py::arg("slides"),
           "The slides as given (ids are not checked, as for slides named on a command line).")
      .def_static("read", &Cohort::read, py::arg("path"),
                  "Reads and checks a manifest file; relative slide paths are relative to its folder.")
      .def_static(
          "parse",
          [](const std::string& text, const std::string& source, const std::filesystem::path& base_directory) {
            return Cohort::parse(text, source, base_directory);
          },
          py::arg("text"), py::arg("source") = "<string>", py::arg("base_directory") = std::filesystem::path("."),
          "Checks manifest text; source names it in diagnostics, relative slide paths are against base_directory.")
      .def_property_readonly("slides", &Cohort::slides)
      .def("__len__", &Cohort::size)
      .def(
          "__iter__", [](const Cohort& self) { return py::make_iterator(self.begin(), self.end()); },
          py::keep_alive<0, 1>())
      .def(
          "__getitem__",
          [](const Cohort& self, py::ssize_t index) {
            const auto size = static_cast<py::ssize_t>(self.size());
            if (index < -size || index >= size) {
              throw py::index_error("Cohort index out of range");
            }
            return self.slides()[static_cast<std::size_t>(index < 0 ? index + size : index)];
          },
          py::arg("index"));
}

}  // namespace bioptimus::python
