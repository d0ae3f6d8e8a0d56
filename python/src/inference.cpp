// bioptimus_cpp._inference: SlideInference, the extension that links the
// TorchScript backbone (LibTorch). A module of its own, so that importing
// bioptimus_cpp never loads LibTorch: bioptimus_cpp.SlideInference imports it
// on first use (__init__.py). Its ModelSpec and Cohort arguments are
// bioptimus_cpp._core's classes (pybind11 shares registered types between
// modules), and the library's errors are raised as bioptimus_cpp's classes
// by _core's translator.
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "bindings.hpp"
#include "bioptimus/inference/backbone.hpp"
#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/pipeline/cohort.hpp"
#include "bioptimus/pipeline/slide_inference.hpp"
#include "bioptimus/writers/prediction_writer.hpp"

namespace py = pybind11;

namespace bioptimus::python {
namespace {

using pipeline::SlideInference;

// A Python exception raised inside a callback, carried through the
// library's loops (not a std::exception, so a cohort run does not take it
// for a failed slide) and raised again once the GIL is back.
struct CallbackError {
  py::error_already_set error;
};

// Calls `function` with the GIL held; a Python exception becomes a CallbackError.
template <class... Arguments>
void call_back(const py::object& function, Arguments&&... arguments) {
  const py::gil_scoped_acquire acquire;
  try {
    function(std::forward<Arguments>(arguments)...);
  } catch (py::error_already_set& error) {
    throw CallbackError{std::move(error)};
  }
}

// Runs `work` without the GIL; a callback's exception is raised again.
template <class Work>
auto without_gil(Work&& work) {
  try {
    const py::gil_scoped_release release;
    return work();
  } catch (CallbackError& failure) {
    throw std::move(failure.error);
  }
}

// The backbone, the embedder over it and the inference, kept together.
struct PythonSlideInference {
  inference::Backbone backbone;
  pipeline::BackboneEmbedder embedder;
  SlideInference inference;

  PythonSlideInference(inference::Backbone loaded, const models::ModelSpec& spec,
                       pipeline::SlideInferenceOptions options)
      : backbone(std::move(loaded)), embedder(backbone), inference(spec, embedder, std::move(options)) {}
};

writers::WriterOptions writer_options_of(const std::string& format) {
  if (const std::optional<writers::OutputFormat> parsed = writers::parse_output_format(format)) {
    return {.format = *parsed};
  }
  throw py::value_error("format: expected \"h5\", \"npz\" or \"zarr\", got \"" + format + "\"");
}

py::dict report_of(const pipeline::SlideReport& report) {
  py::dict result;
  result["slide_id"] = report.slide.slide_id;
  result["slide_path"] = report.slide.slide_path;
  result["index"] = report.index;
  result["status"] = std::string(to_string(report.result.status));
  result["tiles"] = report.result.tiles;
  result["seconds"] = report.seconds;
  result["model_seconds"] = report.result.model_seconds;
  result["output"] = report.result.output.empty() ? py::object(py::none()) : py::cast(report.result.output);
  result["error"] = report.error.empty() ? py::object(py::none()) : py::cast(report.error);
  return result;
}

}  // namespace
}  // namespace bioptimus::python

PYBIND11_MODULE(_inference, module) {
  using namespace bioptimus::python;  // NOLINT(google-build-using-namespace): the module's own names
  using bioptimus::pipeline::Cohort;
  module.doc() = "SlideInference (LibTorch): imported by bioptimus_cpp on first use of bioptimus_cpp.SlideInference.";
  // The argument and error types live in _core.
  py::module_::import("bioptimus_cpp._core");

  py::class_<PythonSlideInference>(module, "SlideInference", R"(A TorchScript model over whole slides, as
`modelspec extract`: the tissue tiles, read and preprocessed by a TileStream
while the model embeds the previous batch, written by a PredictionWriter (HDF5
in TRIDENT's layout, NPZ or Zarr) with CLAM's and TRIDENT's coordinate
attributes, the slide's thumbnail and tissue mask: the files `modelspec
extract` writes.

    inference = SlideInference(spec, "h0-mini.pt")
    inference.run("slide.svs", "features/slide.h5")            # one slide
    inference.run(Cohort.read("cohort.csv"), "features/")      # DIR/<slide_id>.h5 each

The GIL is released while it works; callbacks get it back.)")
      .def(py::init([](const bioptimus::models::ModelSpec& spec, const std::filesystem::path& weights,
                       const std::string& device, std::int64_t batch_size, std::optional<int> threads,
                       const std::string& format, const std::string& precision, double mask_threshold, bool segment,
                       std::optional<double> min_tissue_area_um2, std::optional<double> min_hole_area_um2) {
             const std::optional<bioptimus::models::Precision> chosen = bioptimus::models::parse_precision(precision);
             if (!chosen && precision != "auto") {
               throw py::value_error("precision: expected \"auto\", \"fp32\", \"bf16\" or \"fp16\", got \"" +
                                     precision + "\"");
             }
             bioptimus::pipeline::SlideInferenceOptions options{
                 .extraction = extractor_options({.mask_threshold = mask_threshold,
                                                  .segment = segment,
                                                  .mask = py::none(),
                                                  .mask_mpp = std::nullopt,
                                                  .min_tissue_area_um2 = min_tissue_area_um2,
                                                  .min_hole_area_um2 = min_hole_area_um2},
                                                 spec.identity()),
                 .batch_size = batch_size,
                 .threads = threads.value_or(bioptimus::pipeline::default_threads()),
                 .writer = writer_options_of(format)};
             return without_gil([&] {
               return std::make_unique<PythonSlideInference>(
                   bioptimus::inference::Backbone::load(
                       weights, spec, {.device = device, .precision = chosen, .threads = options.threads}),
                   spec, std::move(options));
             });
           }),
           py::arg("spec"), py::arg("weights"), py::kw_only(), py::arg("device") = "cpu", py::arg("batch_size") = 64,
           py::arg("threads") = py::none(), py::arg("format") = "h5", py::arg("precision") = "auto",
           py::arg("mask_threshold") = 0.5, py::arg("segment") = true, py::arg("min_tissue_area_um2") = py::none(),
           py::arg("min_hole_area_um2") = py::none(),
           R"(spec: the ModelSpec; weights: the model as TorchScript (checked against the spec
at load). device: cpu, cuda or cuda:N. batch_size: tiles per model call.
threads: the model's threads, and the readers' (default: one per core).
format: "h5", "npz" or "zarr". precision: auto (as `modelspec extract
--precision`), fp32, bf16 or fp16.
mask_threshold, segment, min_tissue_area_um2, min_hole_area_um2: as TileExtractor.)")
      .def(
          "run",
          [](PythonSlideInference& self, const std::filesystem::path& slide, const std::filesystem::path& output,
             const py::object& mpp_override, std::optional<std::string> slide_id, const py::object& progress) {
            const bioptimus::io::wsi::SlideOptions options{.mpp_override = mpp_of(mpp_override),
                                                           .name = std::move(slide_id)};
            bioptimus::pipeline::SlideProgress on_progress;
            if (!progress.is_none()) {
              on_progress = [&progress](std::int64_t done, std::int64_t total) { call_back(progress, done, total); };
            }
            const auto result = without_gil([&] { return self.inference.run(slide, options, output, on_progress); });
            py::dict summary;
            summary["tiles"] = result.tiles;
            summary["model_seconds"] = result.model_seconds;
            summary["output"] = output;
            return summary;
          },
          py::arg("slide"), py::arg("output"), py::kw_only(), py::arg("mpp_override") = py::none(),
          py::arg("slide_id") = py::none(), py::arg("progress") = py::none(),
          R"(Embeds one slide into the feature file output (which appears only once complete).
progress(done, total) is called as tiles are embedded. Returns {tiles, model_seconds, output}.
Raises SlideError naming the slide (and the region of a read).)")
      .def(
          "run",
          [](PythonSlideInference& self, const Cohort& cohort, const std::filesystem::path& directory, bool overwrite,
             const py::object& progress, const py::object& report) {
            bioptimus::pipeline::CohortInferenceOptions options{.overwrite = overwrite};
            if (!progress.is_none()) {
              options.progress = [&progress](const bioptimus::pipeline::CohortSlide& slide, std::size_t index,
                                             std::int64_t done, std::int64_t total) {
                call_back(progress, slide.slide_id, index, done, total);
              };
            }
            if (!report.is_none()) {
              options.report = [&report](const bioptimus::pipeline::SlideReport& slide) {
                const py::gil_scoped_acquire acquire;
                try {
                  report(report_of(slide));
                } catch (py::error_already_set& error) {
                  throw CallbackError{std::move(error)};
                }
              };
            }
            const auto summary = without_gil([&] { return self.inference.run(cohort, directory, options); });
            py::dict totals;
            totals["slides"] = summary.slides;
            totals["failed"] = summary.failed;
            totals["skipped"] = summary.skipped;
            totals["tiles"] = summary.tiles;
            totals["model_seconds"] = summary.model_seconds;
            return totals;
          },
          py::arg("cohort"), py::arg("directory"), py::kw_only(), py::arg("overwrite") = false,
          py::arg("progress") = py::none(), py::arg("report") = py::none(),
          R"(Embeds every slide of a Cohort into DIRECTORY/<slide_id>.<h5|npz>; a slide whose
file exists is skipped unless overwrite. A slide that fails is reported and the
others still run. progress(slide_id, index, done, total); report(dict) after each
slide with slide_id, slide_path, index, status (ok, skipped, failed), tiles,
seconds, model_seconds, output, error. Returns the totals.)")
      .def_property_readonly(
          "spec", [](const PythonSlideInference& self) { return self.inference.spec(); }, "The model's spec.");
}
