// bioptimus/models/types.hpp
//
// The model-specification types, as the SDK's `bioptimus.models.types`
// module groups them: ModelSpec, its vocabularies and the Models enum.
#ifndef BIOPTIMUS_MODELS_TYPES_HPP
#define BIOPTIMUS_MODELS_TYPES_HPP

#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/models/models.hpp"
#include "bioptimus/models/vocabulary.hpp"

#endif  // BIOPTIMUS_MODELS_TYPES_HPP
