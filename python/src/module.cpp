// bioptimus_cpp._core: the compiled half of the bioptimus_cpp package
// (python/bioptimus_cpp/__init__.py re-exports it).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <exception>
#include <string>
#include <string_view>

#include "bindings.hpp"
#include "bioptimus/error.hpp"
#include "bioptimus/models/registry.hpp"
#include "bioptimus/version.hpp"
#ifdef BIOPTIMUS_PYTHON_WITH_WSI
#include "bioptimus/io/wsi/reader.hpp"
#endif
#ifdef BIOPTIMUS_PYTHON_WITH_WRITERS
#include "bioptimus/writers/prediction_writer.hpp"
#endif

namespace py = pybind11;

namespace bioptimus::python {
namespace {

// The exception classes live as long as the interpreter (module attributes);
// these are borrowed handles to them for the translator.
struct ErrorClasses {
  py::handle error;
  py::handle validation_error;
  py::handle config_error;
  py::handle unknown_model_error;
  py::handle slide_error;
  py::handle writer_error;
};

ErrorClasses& error_classes() {
  static ErrorClasses classes;
  return classes;
}

py::handle make_error_class(py::module_& module, const char* name, const char* doc, py::handle base,
                            py::handle python_base) {
  const std::string qualified = std::string("bioptimus_cpp.") + name;
  const py::tuple bases = python_base ? py::make_tuple(base, python_base) : py::make_tuple(base);
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
  if (type == nullptr) {
    throw py::error_already_set();
  }
  module.add_object(name, py::reinterpret_steal<py::object>(type));
  return module.attr(name);
}

// `text` as a str, bytes that are not UTF-8 (a path's, which Linux allows)
// kept as PEP 383 surrogates, as os.fsdecode does: a message naming such a
// file is still the library's error, not a UnicodeDecodeError.
py::str text_of(std::string_view text) {
  PyObject* decoded = PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "surrogateescape");
  if (decoded == nullptr) {
    throw py::error_already_set();
  }
  return py::reinterpret_steal<py::str>(decoded);
}

// Raises an instance of `type` with `message` and the given attributes set,
// so that handlers can read the details (violations, diagnostics) as objects.
void raise_with(py::handle type, const char* message, const py::dict& attributes) {
  py::object instance = py::reinterpret_borrow<py::object>(type)(text_of(message));
  for (const auto& [key, value] : attributes) {
    py::setattr(instance, key, value);
  }
  PyErr_SetObject(type.ptr(), instance.ptr());
}

void translate(std::exception_ptr exception) {
  const ErrorClasses& classes = error_classes();
  try {
    std::rethrow_exception(exception);
  } catch (const ValidationError& error) {
    py::dict attributes;
    attributes["type_name"] = error.type_name();
    attributes["violations"] = py::cast(error.violations());
    raise_with(classes.validation_error, error.what(), attributes);
  } catch (const models::ConfigError& error) {
    py::dict attributes;
    attributes["diagnostics"] = py::cast(error.diagnostics());
    raise_with(classes.config_error, error.what(), attributes);
  } catch (const models::LookupError& error) {
    raise_with(classes.unknown_model_error, error.what(), py::dict());
#ifdef BIOPTIMUS_PYTHON_WITH_WSI
  } catch (const io::wsi::SlideError& error) {
    py::dict attributes;
    attributes["slide"] = text_of(error.slide().native());
    raise_with(classes.slide_error, error.what(), attributes);
#endif
#ifdef BIOPTIMUS_PYTHON_WITH_WRITERS
  } catch (const writers::WriterError& error) {
    raise_with(classes.writer_error, error.what(), py::dict());
#endif
  } catch (const Error& error) {
    raise_with(classes.error, error.what(), py::dict());
  }
}

}  // namespace

void register_errors(py::module_& module) {
  py::class_<Violation>(module, "Violation", "One broken rule of a value type: the field and what was expected.")
      .def_readonly("field", &Violation::field, "Dotted path of the field, e.g. 'tile_spec.size' or 'mean[1]'.")
      .def_readonly("message", &Violation::message, "What was expected, and what was found.")
      .def_readonly("related", &Violation::related, "The other fields the rule compared this one with.")
      .def("__eq__", [](const Violation& self, const Violation& other) { return self == other; })
      .def("__repr__", [](const Violation& self) {
        return "Violation(field=" + py::repr(py::str(self.field)).cast<std::string>() +
               ", message=" + py::repr(py::str(self.message)).cast<std::string>() + ")";
      });
  py::class_<models::Diagnostic>(module, "Diagnostic", "One problem in a config, located like a compiler error.")
      .def_property_readonly("path", [](const models::Diagnostic& self) { return self.location.path; })
      .def_property_readonly(
          "line", [](const models::Diagnostic& self) { return self.location.line; },
          "1-based line; 0 when the problem concerns the whole file.")
      .def_property_readonly(
          "column", [](const models::Diagnostic& self) { return self.location.column; },
          "1-based column; 0 when the problem concerns the whole file.")
      .def_readonly("field", &models::Diagnostic::field, "Dotted path of the field; empty for a syntax error.")
      .def_readonly("message", &models::Diagnostic::message, "What was expected, and what was found.")
      .def("__str__", &models::Diagnostic::to_string)
      .def("__repr__", [](const models::Diagnostic& self) {
        return "Diagnostic(" + py::repr(py::str(self.to_string())).cast<std::string>() + ")";
      });

  ErrorClasses& classes = error_classes();
  const py::module_ builtins = py::module_::import("builtins");
  classes.error = make_error_class(module, "Error", "Root of every error the library raises.",
                                   builtins.attr("Exception"), py::handle());
  classes.validation_error = make_error_class(
      module, "ValidationError",
      "A value (MPP, TileSpec, ModelSpec...) broke one or more rules. `violations` lists every one, each naming "
      "its field; `type_name` names the type.",
      classes.error, builtins.attr("ValueError"));
  classes.config_error = make_error_class(
      module, "ConfigError",
      "A YAML config could not be loaded. `diagnostics` lists every problem as FILE:LINE:COL: error: FIELD: "
      "MESSAGE.",
      classes.error, builtins.attr("ValueError"));
  classes.unknown_model_error = make_error_class(
      module, "UnknownModelError", "A registry has no model of that name; the message lists the known ones.",
      classes.error, builtins.attr("LookupError"));
  classes.slide_error =
      make_error_class(module, "SlideError", "A slide could not be opened or read; `slide` is its path.", classes.error,
                       builtins.attr("OSError"));
  classes.writer_error =
      make_error_class(module, "WriterError", "An output could not be written; the message names it.", classes.error,
                       builtins.attr("OSError"));
  py::register_exception_translator(translate);
}

}  // namespace bioptimus::python

PYBIND11_MODULE(_core, module) {
  module.doc() = "Validated model specs, Pillow-exact preprocessing and tile coordinates (bioptimus-cpp).";
  module.attr("__version__") = std::string(bioptimus::version);
  bioptimus::python::register_errors(module);
  bioptimus::python::register_specs(module);
  bioptimus::python::register_preprocess(module);
  bioptimus::python::register_cohort(module);
  bioptimus::python::register_stain(module);
#ifdef BIOPTIMUS_PYTHON_WITH_WSI
  bioptimus::python::register_extraction(module);
  bioptimus::python::register_pipeline(module);
#endif
#ifdef BIOPTIMUS_PYTHON_WITH_WRITERS
  bioptimus::python::register_writers(module);
#endif
}
