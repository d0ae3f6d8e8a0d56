// Claim (bioptimus/models/model_spec.hpp): a ModelSpec has no setters and its
// accessors return values or const references, so even a non-const spec
// cannot be changed through them (a changed copy goes through fields()).
// clang-format off
// CASE ASSIGN_NAME: no match for 'operator='|no viable overloaded '='
// CASE ASSIGN_NUMBER: lvalue required as left operand of assignment|expression is not assignable
// CASE ASSIGN_TILE_SPEC: discards qualifiers|no viable overloaded '='
// CASE ASSIGN_FIELD: ModelSpec::model_name_' is private within this context|'model_name_' is a private member
// clang-format on
#include <cstdint>

#include "bioptimus/models/model_spec.hpp"

using bioptimus::models::ModelSpec;

ModelSpec renamed(ModelSpec spec) {
#if defined(BIOPTIMUS_FAIL_ASSIGN_NAME)
  spec.model_name() = "other";
#elif defined(BIOPTIMUS_FAIL_ASSIGN_NUMBER)
  spec.embedding_dim() = std::int64_t{1};
#elif defined(BIOPTIMUS_FAIL_ASSIGN_TILE_SPEC)
  spec.tile_spec() = spec.tile_spec();
#elif defined(BIOPTIMUS_FAIL_ASSIGN_FIELD)
  spec.model_name_ = "other";
#else
  ModelSpec::Fields fields = spec.fields();
  fields.model_name = "other";
  spec = ModelSpec{fields};
#endif
  return spec;
}
