// Claim (bioptimus/models/registry.hpp): a registry lookup by a literal 0 or
// nullptr does not compile; it would otherwise build a null std::string_view.
// clang-format off
// CASE GET_ZERO: deleted
// CASE GET_NULLPTR: deleted
// CASE FIND_ZERO: deleted
// clang-format on
#include "bioptimus/models/registry.hpp"

using bioptimus::models::Registry;

namespace {

[[maybe_unused]] const bioptimus::models::ModelSpec* lookups(const Registry& registry) {
#if defined(BIOPTIMUS_FAIL_GET_ZERO)
  (void)registry.get(0);
#elif defined(BIOPTIMUS_FAIL_GET_NULLPTR)
  (void)registry.get(nullptr);
#else
  (void)registry.get("h0-mini");
#endif
#if defined(BIOPTIMUS_FAIL_FIND_ZERO)
  return registry.find(0);
#else
  return registry.find("h0-mini");
#endif
}

}  // namespace
