// Key functions of the compiled library's exception types: defined here, so
// that each type's vtable and typeinfo exist once, in this library, and are
// exported with it (see bioptimus/error.hpp). ConfigError's is in
// config_error.cpp.
#include "bioptimus/models/registry.hpp"

namespace bioptimus::models {

LookupError::~LookupError() = default;

}  // namespace bioptimus::models
