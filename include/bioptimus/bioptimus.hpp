// bioptimus/bioptimus.hpp
//
// Everything of bioptimus::bioptimus: the value types, the YAML loader and
// the registry, and the library's version. (The {fmt} formatters are opt-in:
// bioptimus/format.hpp.)
#ifndef BIOPTIMUS_BIOPTIMUS_HPP
#define BIOPTIMUS_BIOPTIMUS_HPP

#include "bioptimus/error.hpp"
#include "bioptimus/extraction/wsi/types.hpp"
#include "bioptimus/io/wsi/types.hpp"
#include "bioptimus/models/megatile_config.hpp"
#include "bioptimus/models/registry.hpp"
#include "bioptimus/models/types.hpp"
#include "bioptimus/version.hpp"

#endif  // BIOPTIMUS_BIOPTIMUS_HPP
