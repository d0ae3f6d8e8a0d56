// SlideReader and TileExtractor: tile coordinates of a slide as NumPy arrays.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "bioptimus/extraction/wsi/tissue_mask.hpp"
#include "bioptimus/io/wsi/level.hpp"
#include "bioptimus/io/wsi/mpp.hpp"
#include "bioptimus/io/wsi/reader.hpp"
#include "bioptimus/models/model_spec.hpp"

namespace py = pybind11;

namespace bioptimus::python {
namespace {

using extraction::wsi::TileExtractor;
using extraction::wsi::TileExtractorOptions;
using extraction::wsi::TileRegion;
using io::wsi::Level;
using io::wsi::SlideReader;

py::tuple dims_to_python(io::wsi::WSIDims dims) { return py::make_tuple(dims.width, dims.height); }

// Where a picture over the slide lies, as PredictionWriter.set_thumbnail and
// set_tissue_mask take it: {"downsample": (x, y), "mpp": float or None}.
py::dict placement(double downsample_x, double downsample_y, std::optional<io::wsi::MPP> mpp) {
  py::dict result;
  result["downsample"] = py::make_tuple(downsample_x, downsample_y);
  result["mpp"] = mpp ? py::object(py::float_(mpp->value())) : py::object(py::none());
  return result;
}

}  // namespace

py::array_t<std::int64_t> coords_of(std::span<const TileRegion> regions) {
  py::array_t<std::int64_t> coords({static_cast<py::ssize_t>(regions.size()), py::ssize_t{2}});
  auto out = coords.mutable_unchecked<2>();
  for (std::size_t i = 0; i < regions.size(); ++i) {
    out(static_cast<py::ssize_t>(i), 0) = regions[i].x;
    out(static_cast<py::ssize_t>(i), 1) = regions[i].y;
  }
  return coords;
}

void register_extraction(py::module_& module) {
  py::class_<SlideReader>(module, "SlideReader", "An open whole-slide image (OpenSlide).")
      .def(py::init(
               [](const std::filesystem::path& path, std::optional<io::wsi::MPP> mpp, std::optional<std::string> name) {
                 return SlideReader(path, io::wsi::SlideOptions{.mpp_override = mpp, .name = std::move(name)});
               }),
           py::arg("path"), py::kw_only(), py::arg("mpp") = py::none(), py::arg("name") = py::none(),
           "Opens path; mpp overrides the slide's level-0 MPP; name replaces the file stem as the name of the "
           "exports (needed when the stem is not UTF-8). Raises SlideError when it cannot be read.")
      .def_property_readonly("path", &SlideReader::path)
      .def_property_readonly("name", &SlideReader::name, "The name given, else the file name without its extension.")
      .def_property_readonly("mpp", &SlideReader::mpp_x, "Level-0 MPP (the override when given), or None.")
      .def_property_readonly("level_count", &SlideReader::level_count)
      .def_property_readonly(
          "dimensions", [](const SlideReader& self) { return dims_to_python(self.dimensions()); },
          "Level 0's (width, height).")
      .def(
          "level_dimensions",
          [](const SlideReader& self, const Level& level) { return dims_to_python(self.level_dimensions(level)); },
          py::arg("level"))
      .def("level_downsample", &SlideReader::level_downsample, py::arg("level"))
      .def("__repr__", [](const SlideReader& self) {
        return "SlideReader(" + py::repr(py::str(self.path().string())).cast<std::string>() + ")";
      });

  py::class_<TileExtractor>(module, "TileExtractor", R"(Tissue tiles of a slide, as the SDK's TileExtractor: fit(slide)
segments the tissue (CLAM's method at 8 mpp), extract() keeps the grid's tiles
whose tissue fraction is >= mask_threshold and returns their level-0 (x, y)
as an (N, 2) int64 array. to_hdf5/to_csv/to_json write them as CLAM and
TRIDENT do. fit() and extract() release the GIL; an extractor changes as it
works, so use one per thread.

    extractor = TileExtractor(spec)            # a ModelSpec or a TileSpec
    coords = extractor.fit(SlideReader("slide.svs")).extract()
)")
      .def(py::init([](const models::ModelSpec& spec, double mask_threshold, bool segment, const py::object& mask,
                       std::optional<io::wsi::MPP> mask_mpp, std::optional<double> min_tissue_area_um2,
                       std::optional<double> min_hole_area_um2) {
             return TileExtractor(spec.tile_spec(), extractor_options({mask_threshold, segment, mask, mask_mpp,
                                                                       min_tissue_area_um2, min_hole_area_um2},
                                                                      spec.identity()));
           }),
           py::arg("spec"), py::kw_only(), py::arg("mask_threshold") = 0.5, py::arg("segment") = true,
           py::arg("mask") = py::none(), py::arg("mask_mpp") = py::none(), py::arg("min_tissue_area_um2") = py::none(),
           py::arg("min_hole_area_um2") = py::none(),
           "Tiles for a model: its tile spec, and its identity written into the exports.")
      .def(py::init([](const extraction::wsi::TileSpec& tile_spec, double mask_threshold, bool segment,
                       const py::object& mask, std::optional<io::wsi::MPP> mask_mpp,
                       std::optional<double> min_tissue_area_um2, std::optional<double> min_hole_area_um2,
                       std::string model) {
             return TileExtractor(tile_spec, extractor_options({mask_threshold, segment, mask, mask_mpp,
                                                                min_tissue_area_um2, min_hole_area_um2},
                                                               std::move(model)));
           }),
           py::arg("tile_spec"), py::kw_only(), py::arg("mask_threshold") = 0.5, py::arg("segment") = true,
           py::arg("mask") = py::none(), py::arg("mask_mpp") = py::none(), py::arg("min_tissue_area_um2") = py::none(),
           py::arg("min_hole_area_um2") = py::none(), py::arg("model") = "",
           R"(mask_threshold: keep a tile whose tissue fraction is >= this, in [0, 1].
segment: find tissue with CLAM's method at fit() (False: every tile is tissue).
mask: your own (height, width) tissue mask instead, non-zero = tissue, spanning
the whole slide, or pixels of mask_mpp microns when given.
min_tissue_area_um2, min_hole_area_um2: CLAM's a_t and a_h in square microns
(defaults: 10000 and 10000, every piece of tissue down to 0.01 mm^2; CLAM's
tcga preset on a 40x slide says 262144 and 65536).
Raises ValidationError when mask_threshold is outside [0, 1].)")
      .def("fit", &TileExtractor::fit, py::arg("slide"), py::call_guard<py::gil_scoped_release>(),
           py::return_value_policy::reference_internal,
           "Binds slide, plans its grid and segments its tissue; the slide may be closed afterwards. Returns self.")
      .def(
          "extract",
          [](TileExtractor& self) {
            {
              const py::gil_scoped_release release;
              static_cast<void>(self.extract());
            }
            return coords_of(self.regions());
          },
          "Computes the kept tiles of the fitted slide (row-major); returns coords.")
      .def_property_readonly(
          "coords", [](const TileExtractor& self) { return coords_of(self.regions()); },
          "(N, 2) int64 level-0 (x, y) of the kept tiles.")
      .def_property_readonly(
          "tissue_fractions",
          [](const TileExtractor& self) {
            py::array_t<double> fractions(static_cast<py::ssize_t>(self.regions().size()));
            auto out = fractions.mutable_unchecked<1>();
            for (std::size_t i = 0; i < self.regions().size(); ++i) {
              out(static_cast<py::ssize_t>(i)) = self.regions()[i].tissue_fraction;
            }
            return fractions;
          },
          "(N,) float64: each kept tile's tissue fraction, in [0, 1].")
      .def_property_readonly(
          "read_level",
          [](const TileExtractor& self) -> py::object {
            return self.regions().empty() ? py::object(py::none()) : py::cast(self.regions().front().level);
          },
          "The level the tiles are read at, or None before extract() keeps any.")
      .def_property_readonly(
          "read_size",
          [](const TileExtractor& self) -> py::object {
            return self.regions().empty() ? py::object(py::none()) : dims_to_python(self.regions().front().size);
          },
          "(width, height) read at read_level, before resizing to the tile size; None without tiles.")
      .def_property_readonly(
          "thumbnail",
          [](const TileExtractor& self) -> py::object {
            const auto& thumbnail = self.thumbnail();
            if (!thumbnail) {
              return py::none();
            }
            py::array_t<std::uint8_t> pixels({thumbnail->rgb.height(), thumbnail->rgb.width(), std::int64_t{3}});
            std::copy(thumbnail->rgb.bytes().begin(), thumbnail->rgb.bytes().end(), pixels.mutable_data());
            return pixels;
          },
          "uint8 (H, W, 3): the fitted slide, small (the picture its mask was segmented on), or None.")
      .def_property_readonly(
          "thumbnail_placement",
          [](const TileExtractor& self) -> py::object {
            const auto& thumbnail = self.thumbnail();
            return thumbnail ? py::object(placement(thumbnail->downsample_x, thumbnail->downsample_y, thumbnail->mpp))
                             : py::object(py::none());
          },
          "{'downsample': (x, y), 'mpp': float or None} of the thumbnail (PredictionWriter.set_thumbnail's keywords).")
      .def_property_readonly(
          "tissue_mask",
          [](const TileExtractor& self) -> py::object {
            const auto& mask = self.mask();
            if (!mask) {
              return py::none();
            }
            py::array_t<std::uint8_t> pixels({mask->height(), mask->width()});
            std::copy(mask->pixels().begin(), mask->pixels().end(), pixels.mutable_data());
            return pixels;
          },
          "uint8 (H, W): the mask the tiles were chosen on (non-zero = tissue), or None.")
      .def_property_readonly(
          "tissue_mask_placement",
          [](const TileExtractor& self) -> py::object {
            if (!self.mask()) {
              return py::none();
            }
            const std::array<double, 2> downsample = self.mask_downsample();
            return placement(downsample[0], downsample[1], self.mask()->mpp());
          },
          "{'downsample': (x, y), 'mpp': float or None} of the mask (PredictionWriter.set_tissue_mask's keywords).")
      .def_property_readonly("tile_spec", &TileExtractor::tile_spec)
      .def_property_readonly("slide_name", &TileExtractor::slide_name, "The fitted slide's file stem.")
      .def(
          "to_hdf5",
          [](const TileExtractor& self, const std::filesystem::path& directory, const std::string& naming) {
            if (naming != "clam" && naming != "trident") {
              throw py::value_error("naming: expected 'clam' (<slide>.h5) or 'trident' (<slide>_patches.h5), got '" +
                                    naming + "'");
            }
            return self.to_hdf5(directory, naming == "trident" ? extraction::wsi::CoordinatesFileName::trident
                                                               : extraction::wsi::CoordinatesFileName::clam);
          },
          py::arg("directory"), py::arg("naming") = "clam",
          "Writes DIRECTORY/<slide>.h5 (naming='trident': <slide>_patches.h5): coords int64 (N, 2) with the\n"
          "attributes CLAM's and TRIDENT's readers need to crop exactly these tiles; returns the path.")
      .def("to_csv", &TileExtractor::to_csv, py::arg("directory"), "Writes DIRECTORY/<slide>.csv; returns the path.")
      .def("to_json", &TileExtractor::to_json, py::arg("directory"),
           "Writes DIRECTORY/<slide>.json; returns the path.");
}

}  // namespace bioptimus::python
