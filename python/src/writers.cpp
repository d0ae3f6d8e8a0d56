// PredictionWriter: the SDK's writer protocol over the C++ writers (Zarr,
// HDF5, NPZ): open(num_tiles, embedding_dim), write NumPy batches, set_*,
// close(). The rows are written with the GIL released.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/writers/prediction_writer.hpp"

namespace py = pybind11;

namespace bioptimus::python {
namespace {

using writers::Coordinate;
using writers::CoordinateAttributes;
using writers::OutputFormat;
using writers::WriterOptions;

std::string repr_of(const py::handle& object) { return py::repr(object).cast<std::string>(); }

// A float or an int for a CoordinateAttributes field.
double real_of(const py::handle& value, const std::string& key) {
  if (!py::isinstance<py::float_>(value) && !py::isinstance<py::int_>(value)) {
    throw py::type_error("coords_attributes[" + key + "]: expected a number, got " + repr_of(value));
  }
  return value.cast<double>();
}

std::int64_t whole_of(const py::handle& value, const std::string& key) {
  if (!py::isinstance<py::int_>(value) && !py::isinstance(value, py::module_::import("numpy").attr("integer"))) {
    throw py::type_error("coords_attributes[" + key + "]: expected an integer, got " + repr_of(value));
  }
  return value.cast<std::int64_t>();
}

std::array<py::object, 2> pair_of(const py::handle& value, const std::string& key) {
  const py::list items = py::list(py::reinterpret_borrow<py::object>(value));
  if (items.size() != 2) {
    throw py::value_error("coords_attributes[" + key + "]: expected two values, got " + repr_of(value));
  }
  return {items[0], items[1]};
}

// CLAM's and TRIDENT's coordinate attributes from a dict of the same names.
CoordinateAttributes coordinate_attributes_of(const py::object& attributes) {
  CoordinateAttributes result;
  if (attributes.is_none()) {
    return result;
  }
  for (const auto& [key_object, value] : attributes.cast<py::dict>()) {
    const auto key = key_object.cast<std::string>();
    if (key == "name") {
      result.name = value.cast<std::string>();
    } else if (key == "patch_size") {
      result.patch_size = whole_of(value, key);
    } else if (key == "patch_level") {
      result.patch_level = whole_of(value, key);
    } else if (key == "downsample") {
      const auto pair = pair_of(value, key);
      result.downsample = {.x = real_of(pair[0], key), .y = real_of(pair[1], key)};
    } else if (key == "downsampled_level_dim" || key == "level_dim") {
      const auto pair = pair_of(value, key);
      const writers::SizePair size{.width = whole_of(pair[0], key), .height = whole_of(pair[1], key)};
      (key == "level_dim" ? result.level_dim : result.downsampled_level_dim) = size;
    } else if (key == "patch_size_level0") {
      result.patch_size_level0 = whole_of(value, key);
    } else if (key == "level0_magnification") {
      result.level0_magnification = real_of(value, key);
    } else if (key == "target_magnification") {
      result.target_magnification = real_of(value, key);
    } else if (key == "overlap") {
      result.overlap = whole_of(value, key);
    } else if (key == "level0_width") {
      result.level0_width = whole_of(value, key);
    } else if (key == "level0_height") {
      result.level0_height = whole_of(value, key);
    } else {
      throw py::value_error("coords_attributes: unknown key " + repr_of(key_object) +
                            "; expected name, patch_size, patch_level, downsample, downsampled_level_dim, level_dim, "
                            "patch_size_level0, level0_magnification, target_magnification, overlap, level0_width, "
                            "level0_height");
    }
  }
  return result;
}

// A metadata value: bool and int become int64, float a double, str a
// string, a sequence or 1-D array of numbers a list of either kind.
writers::MetadataValue metadata_value_of(const py::handle& value, const std::string& key) {
  const py::module_ numpy = py::module_::import("numpy");
  if (py::isinstance<py::str>(value)) {
    return value.cast<std::string>();
  }
  if (py::isinstance<py::bool_>(value) || py::isinstance<py::int_>(value) ||
      py::isinstance(value, numpy.attr("integer")) || py::isinstance(value, numpy.attr("bool_"))) {
    return py::int_(py::reinterpret_borrow<py::object>(value)).cast<std::int64_t>();
  }
  if (py::isinstance<py::float_>(value) || py::isinstance(value, numpy.attr("floating"))) {
    return value.cast<double>();
  }
  if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value) || py::isinstance<py::array>(value)) {
    const py::array array = numpy.attr("asarray")(value);
    const char kind = array.dtype().kind();
    if (array.ndim() == 1 && (kind == 'i' || kind == 'u' || kind == 'b')) {
      return array.attr("astype")("int64").cast<std::vector<std::int64_t>>();
    }
    if (array.ndim() == 1 && kind == 'f') {
      return array.attr("astype")("float64").cast<std::vector<double>>();
    }
  }
  throw py::type_error("set_metadata(): " + key +
                       ": expected an int, a float, a str, or a 1-D sequence of numbers, got " + repr_of(value));
}

// A C-contiguous uint8 image of (height, width[, channels]) bytes; a bool mask becomes 0/1.
py::array_t<std::uint8_t> image_of(const py::handle& image, int channels, const char* call) {
  py::array array = py::module_::import("numpy").attr("asarray")(image);
  const char kind = array.dtype().kind();
  if (!((kind == 'u' && array.dtype().itemsize() == 1) || (kind == 'b' && channels == 1))) {
    throw py::type_error(std::string(call) + ": expected uint8 pixels" + (channels == 1 ? " (or bool)" : "") +
                         ", got dtype " + py::str(py::handle(array.dtype())).cast<std::string>());
  }
  const bool shaped = channels == 1 ? array.ndim() == 2 : array.ndim() == 3 && array.shape(2) == channels;
  if (!shaped) {
    throw py::value_error(std::string(call) + ": expected shape " + (channels == 1 ? "(H, W)" : "(H, W, 3)") +
                          ", got " + repr_of(array.attr("shape")));
  }
  return py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>::ensure(array);
}

// The SDK's writer object: constructed with where and how, then open()ed
// with the row count and width, as the SDK's protocol goes.
class PyPredictionWriter {
 public:
  PyPredictionWriter(std::filesystem::path path, OutputFormat format, std::optional<models::ModelSpec> spec,
                     writers::ZarrCompressor compressor, int compression_level, std::int64_t chunk_rows,
                     CoordinateAttributes attributes)
      : path_(std::move(path)),
        spec_(std::move(spec)),
        options_{.format = format,
                 .compressor = compressor,
                 .compression_level = compression_level,
                 .chunk_rows = chunk_rows},
        attributes_(std::move(attributes)) {}

  void open(std::optional<std::int64_t> num_tiles, const py::object& embedding_dim) {
    if (writer_) {
      throw py::value_error("open(): already open");
    }
    if (closed_) {
      throw py::value_error("open(): the writer is closed");
    }
    std::vector<std::int64_t> row_shape;
    if (!embedding_dim.is_none()) {
      row_shape = py::isinstance<py::int_>(embedding_dim)
                      ? std::vector<std::int64_t>{embedding_dim.cast<std::int64_t>()}
                      : embedding_dim.cast<std::vector<std::int64_t>>();
    }
    WriterOptions options = options_;
    options.num_tiles = num_tiles;
    if (spec_) {
      const std::vector<std::int64_t>& expected = spec_->output_shape();
      std::int64_t size = 1;
      for (const std::int64_t extent : expected) {
        size *= extent;
      }
      if (!row_shape.empty() && row_shape != expected && row_shape != std::vector<std::int64_t>{size}) {
        throw py::value_error("open(): embedding_dim " + repr_of(embedding_dim) + " does not fit " + spec_->identity() +
                              ", whose rows are " + repr_of(py::cast(expected)));
      }
      writer_ = writers::open_prediction_writer(path_, *spec_, attributes_, options);
    } else {
      if (row_shape.empty()) {
        throw py::value_error("open(): embedding_dim is needed without a spec");
      }
      writer_ = writers::open_prediction_writer(path_, row_shape, attributes_, options);
    }
  }

  void write(const py::handle& features, const py::handle& coords) {
    writers::PredictionWriter& writer = opened("write()");
    const py::array coords_array = py::module_::import("numpy").attr("asarray")(coords);
    if (coords_array.dtype().kind() != 'i' && coords_array.dtype().kind() != 'u') {
      throw py::type_error("write(): coords: expected integers (level-0 x, y), got dtype " +
                           py::str(py::handle(coords_array.dtype())).cast<std::string>());
    }
    const auto rows = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(coords_array);
    if (rows.ndim() != 2 || rows.shape(1) != 2) {
      throw py::value_error("write(): coords: expected shape (N, 2), got " + repr_of(rows.attr("shape")));
    }
    const auto values = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(features);
    if (!values || values.ndim() < 1 || values.shape(0) != rows.shape(0)) {
      throw py::value_error("write(): features: expected " + std::to_string(rows.shape(0)) +
                            " rows of numbers (one per coordinate), got " + repr_of(features));
    }
    static_assert(sizeof(Coordinate) == 2 * sizeof(std::int64_t));
    const std::span<const float> feature_span(values.data(), static_cast<std::size_t>(values.size()));
    const std::span<const Coordinate> coordinate_span(reinterpret_cast<const Coordinate*>(rows.data()),
                                                      static_cast<std::size_t>(rows.shape(0)));
    const py::gil_scoped_release release;
    writer.write(feature_span, coordinate_span);
  }

  void set_thumbnail(const py::handle& thumbnail, std::array<double, 2> downsample, std::optional<double> mpp) {
    writers::PredictionWriter& writer = opened("set_thumbnail()");
    const auto pixels = image_of(thumbnail, 3, "set_thumbnail()");
    writer.set_thumbnail(slide_image(pixels, downsample, mpp));
  }

  void set_tissue_mask(const py::handle& mask, std::array<double, 2> downsample, std::optional<double> mpp) {
    writers::PredictionWriter& writer = opened("set_tissue_mask()");
    const auto pixels = image_of(mask, 1, "set_tissue_mask()");
    writer.set_tissue_mask(slide_image(pixels, downsample, mpp));
  }

  void set_metadata(const py::dict& metadata) {
    writers::PredictionWriter& writer = opened("set_metadata()");
    writers::Metadata entries;
    for (const auto& [key, value] : metadata) {
      if (!py::isinstance<py::str>(key)) {
        throw py::type_error("set_metadata(): keys must be str, got " + repr_of(key));
      }
      const auto name = key.cast<std::string>();
      entries.emplace_back(name, metadata_value_of(value, name));
    }
    writer.set_metadata(entries);
  }

  void close() {
    writers::PredictionWriter& writer = opened("close()");
    try {
      const py::gil_scoped_release release;
      writer.close();
    } catch (...) {
      abandon();  // a failed close leaves nothing to retry: the output is removed
      throw;
    }
    writer_.reset();
    closed_ = true;
  }

  // Leaves nothing behind: the temporary output is removed.
  void abandon() {
    writer_.reset();
    closed_ = true;
  }

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] std::int64_t rows() const noexcept { return writer_ ? writer_->rows() : 0; }
  [[nodiscard]] bool is_open() const noexcept { return writer_ != nullptr; }

 private:
  writers::PredictionWriter& opened(const char* call) const {
    if (!writer_) {
      throw py::value_error(std::string(call) + (closed_ ? ": the writer is closed" : ": call open() first"));
    }
    return *writer_;
  }

  static writers::SlideImage slide_image(const py::array_t<std::uint8_t>& pixels, std::array<double, 2> downsample,
                                         std::optional<double> mpp) {
    return {.pixels = std::span<const std::uint8_t>(pixels.data(), static_cast<std::size_t>(pixels.size())),
            .width = pixels.shape(1),
            .height = pixels.shape(0),
            .downsample = {.x = downsample[0], .y = downsample[1]},
            .mpp = mpp};
  }

  std::filesystem::path path_;
  std::optional<models::ModelSpec> spec_;
  WriterOptions options_;
  CoordinateAttributes attributes_;
  std::unique_ptr<writers::PredictionWriter> writer_;
  bool closed_ = false;
};

OutputFormat format_of(const std::string& text) {
  if (text == "hdf5") {
    return OutputFormat::hdf5;
  }
  if (const std::optional<OutputFormat> format = writers::parse_output_format(text)) {
    return *format;
  }
  throw py::value_error("format: expected 'zarr', 'h5' (or 'hdf5') or 'npz', got " + repr_of(py::str(text)));
}

writers::ZarrCompressor compressor_of(const std::string& text) {
  if (const std::optional<writers::ZarrCompressor> compressor = writers::parse_zarr_compressor(text)) {
    return *compressor;
  }
  throw py::value_error("compressor: expected 'lz4', 'zstd', 'zlib' or 'none', got " + repr_of(py::str(text)));
}

}  // namespace
}  // namespace bioptimus::python

BIOPTIMUS_PYTHON_REQUIRE_INIT(bioptimus::python::PyPredictionWriter)

namespace bioptimus::python {

void register_writers(py::module_& module) {
  py::class_<PyPredictionWriter>(module, "PredictionWriter", R"(Streams one slide's tile predictions to disk, as the
SDK's PredictionWriter: Zarr v2 (a directory store, the default), HDF5 in
TRIDENT's layout ('h5'), or NPZ. The output appears under `path` only at
close(); until then it is built under a hidden temporary name, removed if the
writer is dropped (or the `with` block raises) before close().

    with PredictionWriter("out/slide.zarr", spec=spec) as writer:
        writer.open(num_tiles=len(coords))
        writer.write(features, coords)       # float32 (N, D), int64 (N, 2), batch by batch
        writer.set_thumbnail(rgb)            # uint8 (H, W, 3)
        writer.set_tissue_mask(mask)         # uint8 or bool (H, W)
        writer.set_metadata({"slide_path": "slide.svs"})
)")
      .def(py::init([](const std::filesystem::path& path, const std::string& format,
                       std::optional<models::ModelSpec> spec, const std::string& compressor, int compression_level,
                       std::int64_t chunk_rows, const py::object& coords_attributes) {
             return PyPredictionWriter(path, format_of(format), std::move(spec), compressor_of(compressor),
                                       compression_level, chunk_rows, coordinate_attributes_of(coords_attributes));
           }),
           py::arg("path"), py::arg("format") = "zarr", py::kw_only(), py::arg("spec") = py::none(),
           py::arg("compressor") = "lz4", py::arg("compression_level") = 5, py::arg("chunk_rows") = 0,
           py::arg("coords_attributes") = py::none(),
           R"(path: the output (DIR/<slide>.zarr, .h5 or .npz); its directory must exist.
format: 'zarr', 'h5' or 'npz'.
spec: the ModelSpec that made the rows: recorded (identity, YAML), and it
gives the row shape.
compressor, compression_level, chunk_rows: Zarr's blosc codec ('lz4', 'zstd',
'zlib' or 'none'), its level 0-9, and rows per chunk (0 chooses about 4 MiB).
coords_attributes: CLAM's and TRIDENT's attributes of `coords` (name,
patch_size, patch_level, downsample, ...), as TileExtractor.to_hdf5 writes them.)")
      .def("open", &PyPredictionWriter::open, py::arg("num_tiles") = py::none(), py::arg("embedding_dim") = py::none(),
           R"(Starts the output: num_tiles rows will be written (None: unknown; close()
checks the count), each of embedding_dim floats (an int or a shape; taken
from the spec when there is one).)")
      .def("write", &PyPredictionWriter::write, py::arg("features"), py::arg("coords"),
           "Appends a batch: features (N, D) numbers (stored as float32), coords (N, 2) level-0 (x, y) integers.")
      .def("set_thumbnail", &PyPredictionWriter::set_thumbnail, py::arg("thumbnail"), py::kw_only(),
           py::arg("downsample") = std::array<double, 2>{1.0, 1.0}, py::arg("mpp") = py::none(),
           "Stores the slide's RGB thumbnail, uint8 (H, W, 3); downsample is level-0 pixels per thumbnail pixel "
           "(x, y), mpp its pixel size.")
      .def("set_tissue_mask", &PyPredictionWriter::set_tissue_mask, py::arg("mask"), py::kw_only(),
           py::arg("downsample") = std::array<double, 2>{1.0, 1.0}, py::arg("mpp") = py::none(),
           "Stores the tissue mask the tiles were chosen on, uint8 or bool (H, W), with its placement.")
      .def("set_metadata", &PyPredictionWriter::set_metadata, py::arg("metadata"),
           "Adds slide-level attributes: str keys; int, float, str or 1-D numeric values.")
      .def(
          "set_gene_names", [](const PyPredictionWriter&, const py::object&, const py::object&) {},
          py::arg("input_genes") = py::none(), py::arg("output_genes") = py::none(),
          "The SDK's hook for gene-expression models: embeddings have none, so it records nothing.")
      .def("close", &PyPredictionWriter::close,
           "Finishes the output and renames it onto path (replacing an older one there).")
      .def_property_readonly("path", &PyPredictionWriter::path, "The output's final path.")
      .def_property_readonly("rows", &PyPredictionWriter::rows, "Rows written so far.")
      .def("__enter__", [](PyPredictionWriter& self) -> PyPredictionWriter& { return self; })
      .def("__exit__",
           [](PyPredictionWriter& self, const py::object& type, const py::object&, const py::object&) {
             if (type.is_none() && self.is_open()) {
               self.close();
             } else {
               self.abandon();
             }
           })
      .def("__repr__", [](const PyPredictionWriter& self) {
        return "PredictionWriter(" + repr_of(py::str(self.path().string())) + ")";
      });
}

}  // namespace bioptimus::python
