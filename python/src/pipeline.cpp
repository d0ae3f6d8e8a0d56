// TileStream: a slide's tiles as NumPy batches, read and preprocessed by the
// C++ stream's threads with the GIL released. Each batch array owns its
// buffer through a capsule: the buffer goes back to the stream's pool when
// the array (and every view of it, such as torch.from_numpy's tensor) dies,
// so nothing is ever written under the caller.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "bioptimus/io/wsi/mpp.hpp"
#include "bioptimus/io/wsi/reader.hpp"
#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/models/preprocess.hpp"
#include "bioptimus/pipeline/tile_stream.hpp"

namespace py = pybind11;

namespace bioptimus::python {
namespace {

using extraction::wsi::TileRegion;
using pipeline::TileBatch;
using pipeline::TileFormat;
using pipeline::TileStream;
using pipeline::TileStreamOptions;

// The stream and what the Python side needs to build its arrays.
struct PythonTileStream {
  std::optional<TileStream> stream;
  py::dtype dtype;
};

std::string dtype_name(const py::dtype& dtype) { return py::str(py::handle(dtype)).cast<std::string>(); }

// numpy.float32 (the model's input), numpy.float16 (the same rounded to
// nearest even) or numpy.uint8 (the resized RGB pixels).
void apply_dtype(const py::object& argument, TileStreamOptions& options, py::dtype& dtype) {
  dtype = py::dtype::from_args(argument);
  if (dtype.kind() == 'f' && dtype.itemsize() == 4) {
    options.precision = models::Precision::fp32;
  } else if (dtype.kind() == 'f' && dtype.itemsize() == 2) {
    options.precision = models::Precision::fp16;
  } else if (dtype.kind() == 'u' && dtype.itemsize() == 1) {
    options.format = TileFormat::rgb8;
  } else {
    throw py::value_error("dtype: expected numpy.float32, numpy.float16 or numpy.uint8, got " + dtype_name(dtype));
  }
}

// (N, 2) coordinates from any array-like of whole numbers.
std::vector<std::array<std::int64_t, 2>> coordinates_of(const py::object& coords) {
  const auto array = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(coords);
  if (!array || array.ndim() != 2 || array.shape(1) != 2) {
    throw py::value_error("coords: expected an (N, 2) array of level-0 (x, y), got " +
                          py::repr(coords).cast<std::string>());
  }
  std::vector<std::array<std::int64_t, 2>> result(static_cast<std::size_t>(array.shape(0)));
  const auto view = array.unchecked<2>();
  for (py::ssize_t i = 0; i < array.shape(0); ++i) {
    result[static_cast<std::size_t>(i)] = {view(i, 0), view(i, 1)};
  }
  return result;
}

struct StreamArguments {
  std::filesystem::path slide;
  models::ModelSpec spec;
  std::int64_t batch_size;
  std::optional<int> threads;
  py::object dtype;
  ExtractorArguments extractor;
  py::object mpp_override;
  py::object coords;
  std::int64_t prefetch;
};

std::unique_ptr<PythonTileStream> make_stream(const StreamArguments& arguments) {
  auto result = std::make_unique<PythonTileStream>();
  TileStreamOptions options{.batch_size = arguments.batch_size,
                            .threads = arguments.threads.value_or(pipeline::default_threads()),
                            .prefetch = arguments.prefetch};
  apply_dtype(arguments.dtype, options, result->dtype);
  const io::wsi::SlideOptions slide_options{.mpp_override = mpp_of(arguments.mpp_override)};
  std::optional<std::vector<std::array<std::int64_t, 2>>> coordinates;
  if (!arguments.coords.is_none()) {
    coordinates = coordinates_of(arguments.coords);
  }
  extraction::wsi::TileExtractorOptions extraction = extractor_options(arguments.extractor, arguments.spec.identity());
  const py::gil_scoped_release release;
  if (!coordinates) {
    result->stream.emplace(
        TileStream::open(arguments.slide, arguments.spec, slide_options, std::move(extraction), options));
    return result;
  }
  io::wsi::SlideReader slide{arguments.slide, slide_options};
  std::vector<TileRegion> tiles = pipeline::tiles_at(slide, arguments.spec.tile_spec(), *coordinates);
  result->stream.emplace(std::move(slide), std::move(tiles), models::Preprocessor(arguments.spec), options);
  return result;
}

TileStream& open_stream(PythonTileStream& self) {
  if (!self.stream) {
    throw py::value_error("this TileStream is closed");
  }
  return *self.stream;
}

// The next (batch, coords), or StopIteration.
py::tuple next_batch(PythonTileStream& self) {
  TileStream& stream = open_stream(self);
  std::optional<TileBatch> batch;
  {
    const py::gil_scoped_release release;
    batch = stream.next();
  }
  if (!batch) {
    throw py::stop_iteration();
  }
  py::array coords = coords_of(batch->tiles());
  const std::array<std::int64_t, 4> shape = batch->shape();
  void* data = batch->bytes().data();
  auto owned = std::make_unique<TileBatch>(std::move(*batch));
  const py::capsule owner(owned.get(), [](void* pointer) { delete static_cast<TileBatch*>(pointer); });
  static_cast<void>(owned.release());  // the capsule owns it now
  py::array values(self.dtype, std::vector<py::ssize_t>(shape.begin(), shape.end()), {}, data, owner);
  return py::make_tuple(std::move(values), std::move(coords));
}

void close(PythonTileStream& self) {
  if (self.stream) {
    const py::gil_scoped_release release;  // the workers finish their current tile
    self.stream.reset();
  }
}

}  // namespace

void register_pipeline(py::module_& module) {
  py::class_<PythonTileStream>(module, "TileStream", R"(A slide's tiles as batches for a model, read and preprocessed
by C++ threads while Python works on the previous batch.

    for batch, coords in TileStream("slide.svs", spec, batch_size=64):
        features = model(torch.from_numpy(batch))   # no copy

Yields (batch, coords): batch float32 (B, 3, H, W) exactly as Pillow's resize,
ToTensor and Normalize make it (float16: the same rounded to nearest even;
uint8: the resized pixels (B, H, W, 3) before ToTensor), coords int64 (B, 2)
level-0 (x, y), in the tile extractor's order; the last batch may be shorter.
Each batch array owns its memory (writable; torch.from_numpy shares it): it
is never overwritten, and is recycled once the array and its views are gone.
The GIL is released while waiting for a batch. A tile that cannot be read
raises SlideError naming the slide and the region, after the batches before it.
Leaving the loop early is fine; close() (or `with`) stops the threads at once.)")
      .def(py::init([](const std::filesystem::path& slide, const models::ModelSpec& spec, std::int64_t batch_size,
                       std::optional<int> threads, const py::object& dtype, double mask_threshold,
                       const py::object& mpp_override, const py::object& coords, bool segment,
                       std::optional<double> min_tissue_area_um2, std::optional<double> min_hole_area_um2,
                       std::int64_t prefetch) {
             return make_stream({.slide = slide,
                                 .spec = spec,
                                 .batch_size = batch_size,
                                 .threads = threads,
                                 .dtype = dtype,
                                 .extractor = {.mask_threshold = mask_threshold,
                                               .segment = segment,
                                               .mask = py::none(),
                                               .mask_mpp = std::nullopt,
                                               .min_tissue_area_um2 = min_tissue_area_um2,
                                               .min_hole_area_um2 = min_hole_area_um2},
                                 .mpp_override = mpp_override,
                                 .coords = coords,
                                 .prefetch = prefetch});
           }),
           py::arg("slide"), py::arg("spec"), py::kw_only(), py::arg("batch_size") = 64,
           py::arg("threads") = py::none(), py::arg("dtype") = py::dtype::of<float>(), py::arg("mask_threshold") = 0.5,
           py::arg("mpp_override") = py::none(), py::arg("coords") = py::none(), py::arg("segment") = true,
           py::arg("min_tissue_area_um2") = py::none(), py::arg("min_hole_area_um2") = py::none(),
           py::arg("prefetch") = 2,
           R"(slide: a slide file. spec: the ModelSpec (tile size, resolution, preprocessing).
batch_size: tiles per batch. threads: reader threads (default: one per core).
dtype: numpy.float32, numpy.float16 or numpy.uint8. mask_threshold, segment,
min_tissue_area_um2, min_hole_area_um2: as TileExtractor (the tissue tiles).
mpp_override: level-0 MPP (an MPP or a number) for a slide without one.
coords: an (N, 2) array of level-0 (x, y) to read instead of the tissue tiles
(a CLAM or TRIDENT coords dataset), at the level and size the spec asks for.
prefetch: batches read ahead. Raises SlideError when the slide cannot be
opened or tiled, ValidationError for an option out of range.)")
      .def("__iter__", [](PythonTileStream& self) -> PythonTileStream& { return self; })
      .def("__next__", &next_batch)
      .def(
          "__len__", [](PythonTileStream& self) { return open_stream(self).batch_count(); }, "The number of batches.")
      .def_property_readonly(
          "coords", [](PythonTileStream& self) { return coords_of(open_stream(self).tiles()); },
          "(N, 2) int64 level-0 (x, y) of every tile, in order.")
      .def_property_readonly(
          "tile_shape",
          [](PythonTileStream& self) {
            const auto shape = open_stream(self).tile_shape();
            return py::make_tuple(shape[0], shape[1], shape[2]);
          },
          "One tile's shape in a batch: (3, H, W), or (H, W, 3) for uint8.")
      .def_property_readonly(
          "dtype", [](const PythonTileStream& self) { return self.dtype; }, "The batches' dtype.")
      .def("close", &close, "Stops the reader threads; batches already taken stay valid.")
      .def("__enter__", [](PythonTileStream& self) -> PythonTileStream& { return self; })
      .def("__exit__", [](PythonTileStream& self, const py::args&) { close(self); });
}

}  // namespace bioptimus::python
