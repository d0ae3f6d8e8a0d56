// Preprocessor: NumPy arrays and PIL images in, model input out, the C++
// preprocessor reading the caller's pixels in place with the GIL released.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "bioptimus/error.hpp"
#include "bioptimus/image/image.hpp"
#include "bioptimus/image/resize.hpp"
#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/models/preprocess.hpp"
#include "bioptimus/models/vocabulary.hpp"

namespace py = pybind11;

namespace bioptimus::python {
namespace {

using image::ImageView;
using image::PixelFormat;
using models::Precision;
using models::Preprocessor;

std::string dtype_name(const py::dtype& dtype) { return py::str(py::handle(dtype)).cast<std::string>(); }

std::string shape_text(const py::array& array) {
  std::string text = "(";
  for (py::ssize_t axis = 0; axis < array.ndim(); ++axis) {
    text += (axis == 0 ? "" : ", ") + std::to_string(array.shape(axis));
  }
  return text + (array.ndim() == 1 ? ",)" : ")");
}

bool is_pil_image(const py::handle& object) {
  const py::object type_module = py::type::of(object).attr("__module__");
  return py::isinstance<py::str>(type_module) && type_module.cast<std::string>().rfind("PIL.", 0) == 0 &&
         py::hasattr(object, "mode");
}

// Pillow has no buffer protocol for images: numpy.asarray() of one is the
// single copy a PIL input costs.
py::array pil_pixels(const py::handle& pil_image) {
  const auto mode = pil_image.attr("mode").cast<std::string>();
  if (mode != "RGB" && mode != "RGBA") {
    throw py::value_error("expected a PIL image in mode RGB or RGBA, got mode " + mode +
                          " (convert it first: image.convert('RGB'))");
  }
  return py::module_::import("numpy").attr("asarray")(pil_image);
}

Precision precision_of(const py::handle& dtype_argument) {
  const py::dtype dtype = py::dtype::from_args(py::reinterpret_borrow<py::object>(dtype_argument));
  if (dtype.is(py::dtype::of<float>()) || (dtype.kind() == 'f' && dtype.itemsize() == 4)) {
    return Precision::fp32;
  }
  if (dtype.kind() == 'f' && dtype.itemsize() == 2) {
    return Precision::fp16;
  }
  throw py::value_error("expected dtype float32 or float16, got " + dtype_name(dtype));
}

py::array run(const Preprocessor& self, const py::handle& images, const py::handle& dtype_argument, int threads,
              const py::object& out) {
  if (threads < 1) {
    throw py::value_error("threads: expected a number >= 1, got " + std::to_string(threads));
  }
  const Precision precision = precision_of(dtype_argument);
  std::vector<py::array> owners;
  const std::vector<ImageView> views = image_views(images, owners);
  const std::array<std::int64_t, 3> tile_shape = self.output_shape();
  const std::vector<py::ssize_t> shape{static_cast<py::ssize_t>(views.size()), tile_shape[0], tile_shape[1],
                                       tile_shape[2]};
  const py::dtype dtype = precision == Precision::fp32 ? py::dtype::of<float>() : py::dtype("float16");
  py::array result;
  if (out.is_none()) {
    result = py::array(dtype, shape);
  } else {
    result = py::reinterpret_borrow<py::array>(out);
    const bool writable_c_contiguous =
        py::isinstance<py::array>(out) && (result.flags() & py::array::c_style) != 0 && result.writeable();
    if (!writable_c_contiguous || !result.dtype().equal(dtype) || result.ndim() != 4 ||
        !std::equal(shape.begin(), shape.end(), result.shape())) {
      throw py::value_error("out: expected a writable C-contiguous " + dtype_name(dtype) + " array of shape (" +
                            std::to_string(shape[0]) + ", " + std::to_string(shape[1]) + ", " +
                            std::to_string(shape[2]) + ", " + std::to_string(shape[3]) + ")");
    }
  }
  auto* data = static_cast<std::byte*>(result.mutable_data());
  const auto bytes = static_cast<std::size_t>(result.nbytes());
  {
    const py::gil_scoped_release release;
    if (precision == Precision::fp32) {
      self(std::span<const ImageView>(views), std::span<float>(reinterpret_cast<float*>(data), bytes / sizeof(float)),
           threads);
    } else {
      self(std::span<const ImageView>(views), std::span<std::byte>(data, bytes), precision, threads);
    }
  }
  return result;
}

}  // namespace

// A copy is made only for a layout ImageView cannot describe: pixels not
// packed, or rows running backwards.
std::vector<ImageView> image_views(const py::handle& input, std::vector<py::array>& owners) {
  const auto add_array = [&](py::array array, bool single_only, std::vector<ImageView>& views) {
    if (array.dtype().kind() != 'u' || array.dtype().itemsize() != 1) {
      throw py::type_error("expected uint8 pixels, got dtype " + dtype_name(array.dtype()) +
                           " (scale and cast to uint8 first)");
    }
    const py::ssize_t ndim = array.ndim();
    if ((ndim != 3 && ndim != 4) || (single_only && ndim != 3) ||
        (array.shape(ndim - 1) != 3 && array.shape(ndim - 1) != 4)) {
      throw py::value_error(std::string("expected ") + (single_only ? "" : "(N, H, W, 3|4) or ") +
                            "(H, W, 3|4) uint8 pixels, got shape " + shape_text(array));
    }
    const py::ssize_t channels = array.shape(ndim - 1);
    const py::ssize_t width = array.shape(ndim - 2);
    if (array.strides(ndim - 1) != 1 || array.strides(ndim - 2) != channels ||
        array.strides(ndim - 3) < width * channels) {
      array = py::module_::import("numpy").attr("ascontiguousarray")(array);
    }
    const py::ssize_t tiles = ndim == 4 ? array.shape(0) : 1;
    const auto* base = static_cast<const std::uint8_t*>(array.data());
    for (py::ssize_t tile = 0; tile < tiles; ++tile) {
      views.push_back(ImageView{.data = base + (ndim == 4 ? tile * array.strides(0) : 0),
                                .width = width,
                                .height = array.shape(ndim - 3),
                                .stride_bytes = array.strides(ndim - 3),
                                .format = channels == 3 ? PixelFormat::rgb8 : PixelFormat::rgba8});
    }
    owners.push_back(std::move(array));
  };

  std::vector<ImageView> views;
  if (is_pil_image(input)) {
    add_array(pil_pixels(input), true, views);
  } else if (py::isinstance<py::list>(input) || py::isinstance<py::tuple>(input)) {
    // A list of tiles, possibly of different sizes.
    for (const py::handle item : input) {
      add_array(is_pil_image(item) ? pil_pixels(item) : py::array::ensure(item), true, views);
    }
  } else if (py::isinstance<py::array>(input)) {
    add_array(py::reinterpret_borrow<py::array>(input), false, views);
  } else {
    // Anything else with the buffer protocol or __array_interface__.
    py::array array = py::array::ensure(input);
    if (!array) {
      throw py::type_error("expected a uint8 NumPy array, a PIL image or a list of them, got " +
                           py::repr(py::type::of(input)).cast<std::string>());
    }
    add_array(std::move(array), false, views);
  }
  for (const ImageView& view : views) {
    try {
      image::validate(view, "input tile");
    } catch (const Error& error) {
      throw py::value_error(error.what());
    }
  }
  return views;
}

void register_preprocess(py::module_& module) {
  py::class_<Preprocessor>(module, "Preprocessor",
                           R"(A model's input from pixels, exactly as Pillow + torchvision make it:
Normalize(mean, std)(ToTensor()(image.resize((w, h), filter))) with the spec's
tile size, interpolation, mean and std; with the spec's stain normalisation
applied to the resized uint8 tile first, and for color_space "HED"
skimage.color.rgb2hed in place of ToTensor.

    pre = Preprocessor(Registry.builtin().get(Models.H0_MINI))
    batch = pre(tiles, threads=2)   # (N, 3, 224, 224) float32

Immutable; one instance may be called from several threads.)")
      .def(py::init([](const models::ModelSpec& spec, std::array<std::uint8_t, 3> background,
                       const py::object& stain_target, const std::string& stain_estimation,
                       const py::object& slide_stains, std::int64_t min_tissue_pixels) {
             models::PreprocessOptions options{
                 .background = image::Rgb8{.red = background[0], .green = background[1], .blue = background[2]}};
             // Stain options mean something only with a method; without one they are left out.
             if (const auto method = spec.stain_normalization()) {
               options.stain =
                   stain_options_from(*method, stain_target, stain_estimation, slide_stains, min_tissue_pixels);
             }
             return Preprocessor(spec, options);
           }),
           py::arg("spec"), py::kw_only(), py::arg("background") = std::array<std::uint8_t, 3>{255, 255, 255},
           py::arg("stain_target") = py::none(), py::arg("stain_estimation") = "per_tile",
           py::arg("slide_stains") = py::none(), py::arg("min_tissue_pixels") = 1000,
           "Raises Error when the spec asks for what this cannot do (num_channels other than 3). background: the "
           "(r, g, b) that transparent pixels are composited onto. When the spec names a stain_normalization: "
           "stain_target replaces the spec's target (a dict, or an image to fit one on), stain_estimation is "
           "\"per_tile\" or \"per_slide\" (with slide_stains, e.g. StainNormalizer.fit over the slide's tissue), "
           "and a tile with fewer than min_tissue_pixels tissue pixels uses slide_stains when given, else is left "
           "as it is.")
      .def_property_readonly(
          "output_shape",
          [](const Preprocessor& self) {
            const auto shape = self.output_shape();
            return py::make_tuple(shape[0], shape[1], shape[2]);
          },
          "(channels, height, width) of one tile.")
      .def_property_readonly(
          "precision", [](const Preprocessor& self) { return std::string(to_string(self.precision())); },
          "The spec's precision (a hint; the output dtype is chosen per call).")
      .def("__call__", &run, py::arg("images"), py::kw_only(), py::arg("dtype") = py::dtype::of<float>(),
           py::arg("threads") = 1, py::arg("out") = py::none(),
           R"(Preprocesses one tile or a batch into a (N, 3, H, W) array (N = 1 for one tile).

images: a uint8 array (H, W, 3|4) or (N, H, W, 3|4) (RGB or RGBA, read in
place whatever its row and batch strides), a PIL image in mode RGB or RGBA, or
a list of them (sizes may differ). dtype: numpy.float32 or numpy.float16
(rounded to nearest even). threads: threads sharing the tiles; the GIL is
released meanwhile. out: an array of the result's dtype and shape to write
into instead of allocating one.)");
}

}  // namespace bioptimus::python
