// The pieces of the bioptimus_cpp module, one registration function per layer,
// and the conversions they share.
#ifndef BIOPTIMUS_PYTHON_BINDINGS_HPP
#define BIOPTIMUS_PYTHON_BINDINGS_HPP

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bioptimus/io/wsi/mpp.hpp"
#ifdef BIOPTIMUS_PYTHON_WITH_WSI
#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#endif
#include "bioptimus/error.hpp"
#include "bioptimus/extraction/wsi/tile_spec.hpp"
#include "bioptimus/image/image.hpp"
#include "bioptimus/io/wsi/level.hpp"
#include "bioptimus/io/wsi/magnification.hpp"
#include "bioptimus/io/wsi/measurement_unit.hpp"
#include "bioptimus/io/wsi/mpp.hpp"
#include "bioptimus/io/wsi/resolution.hpp"
#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/models/preprocess.hpp"
#include "bioptimus/models/registry.hpp"
#include "bioptimus/models/stain.hpp"
#ifdef BIOPTIMUS_PYTHON_WITH_WSI
#include "bioptimus/extraction/wsi/tile_extractor.hpp"
#include "bioptimus/io/wsi/reader.hpp"
#endif

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

/// Cohort and CohortSlide.
void register_cohort(pybind11::module_& module);

/// An MPP from None (nothing), an MPP or a number.
/// @throws ValidationError for a number that is no MPP; a cast error for anything else.
[[nodiscard]] std::optional<io::wsi::MPP> mpp_of(const pybind11::object& value);

#ifdef BIOPTIMUS_PYTHON_WITH_WSI
/// The SDK's TileExtractor keywords, plus the two CLAM areas (TileExtractor,
/// TileStream and SlideInference take them alike).
struct ExtractorArguments {
  double mask_threshold;
  bool segment;
  pybind11::object mask;
  std::optional<io::wsi::MPP> mask_mpp;
  std::optional<double> min_tissue_area_um2;
  std::optional<double> min_hole_area_um2;
};

/// The TileExtractorOptions those keywords ask for, for the model `model`.
/// @throws pybind11::value_error for a mask that is not a 2-D array.
[[nodiscard]] extraction::wsi::TileExtractorOptions extractor_options(const ExtractorArguments& arguments,
                                                                      std::string model);

/// (N, 2) int64 level-0 (x, y) of `regions`, the layout of CLAM's and TRIDENT's `coords`.
[[nodiscard]] pybind11::array_t<std::int64_t> coords_of(std::span<const extraction::wsi::TileRegion> regions);

/// TileStream.
void register_pipeline(pybind11::module_& module);
#endif

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

/// The caster of a bound class T that refuses an instance whose C++ value
/// was never made: `T.__new__(T)` without `__init__`, or a pickle stream
/// without state (copyreg calls `T.__new__`). pybind11 allocates the value's
/// memory in `__new__` and constructs it in `__init__`; without this check
/// every method would read that uninitialized memory (garbage, or a crash).
/// Raises ValueError, as Python's own types do for an uninitialized object.
/// Instances that refer to a C++ object they do not own (a property
/// returned by reference) have no holder of their own and are valid.
template <typename T>
class InitializedCaster : public pybind11::detail::type_caster_base<T> {
 public:
  bool load(pybind11::handle source, bool convert) {
    return this->template load_impl<InitializedCaster>(source, convert);
  }
  void load_value(pybind11::detail::value_and_holder&& instance) {
    if (instance.inst != nullptr && instance.inst->owned && !instance.holder_constructed()) {
      const pybind11::handle self(reinterpret_cast<PyObject*>(instance.inst));
      throw pybind11::value_error(pybind11::type::handle_of(self).attr("__name__").cast<std::string>() +
                                  " object is not initialized: it was made by __new__ without __init__ (or "
                                  "unpickled without its state); construct it by calling the class");
    }
    pybind11::detail::type_caster_base<T>::load_value(std::move(instance));
  }
};

}  // namespace bioptimus::python

/// Makes every bound use of `Type` (self or an argument) check that its value
/// was constructed (InitializedCaster). Must be visible before the first use
/// of `Type` in every file that binds it: here, or beside a file-local class.
#define BIOPTIMUS_PYTHON_REQUIRE_INIT(Type)                                       \
  namespace pybind11::detail {                                                    \
  template <>                                                                     \
  class type_caster<Type> : public bioptimus::python::InitializedCaster<Type> {}; \
  }

BIOPTIMUS_PYTHON_REQUIRE_INIT(bioptimus::Violation)
BIOPTIMUS_PYTHON_REQUIRE_INIT(bioptimus::models::Diagnostic)
BIOPTIMUS_PYTHON_REQUIRE_INIT(bioptimus::io::wsi::MPP)
BIOPTIMUS_PYTHON_REQUIRE_INIT(bioptimus::io::wsi::Level)
BIOPTIMUS_PYTHON_REQUIRE_INIT(bioptimus::io::wsi::Magnification)
BIOPTIMUS_PYTHON_REQUIRE_INIT(bioptimus::extraction::wsi::TileSpec)
BIOPTIMUS_PYTHON_REQUIRE_INIT(bioptimus::models::ModelSpec)
BIOPTIMUS_PYTHON_REQUIRE_INIT(bioptimus::models::Registry)
BIOPTIMUS_PYTHON_REQUIRE_INIT(bioptimus::models::Preprocessor)
BIOPTIMUS_PYTHON_REQUIRE_INIT(bioptimus::models::StainNormalizer)
#ifdef BIOPTIMUS_PYTHON_WITH_WSI
BIOPTIMUS_PYTHON_REQUIRE_INIT(bioptimus::io::wsi::SlideReader)
BIOPTIMUS_PYTHON_REQUIRE_INIT(bioptimus::extraction::wsi::TileExtractor)
#endif

#endif  // BIOPTIMUS_PYTHON_BINDINGS_HPP
