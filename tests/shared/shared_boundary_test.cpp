// Exceptions crossing a shared-library boundary: thrown in a .so built with
// hidden visibility (bioptimus_test_thrower; libbioptimus itself in the
// `shared` preset), caught in this executable by their own type and by base
// class. The typeinfo addresses must match too: libstdc++ falls back to
// comparing type names, so a split type identity could still be caught here,
// but not by an ABI that compares addresses, nor by a dynamic_cast there.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <typeinfo>
#include <utility>

#include "bioptimus/error.hpp"
#include "bioptimus/models/registry.hpp"
#include "thrower.hpp"

using bioptimus::Error;
using bioptimus::ValidationError;
using bioptimus::models::ConfigError;
using bioptimus::models::LookupError;
using Catch::Matchers::Contains;

namespace {

// Runs `body`, which must throw, catches what it throws as `Base` and
// returns a copy of its message and the address of its dynamic typeinfo.
template <class Base, class Body>
std::pair<std::string, const std::type_info*> catch_as(Body body) {
  try {
    body();
  } catch (const Base& error) {
    return {error.what(), &typeid(error)};
  }
  FAIL("nothing was thrown");
  return {};
}

}  // namespace

TEST_CASE("A ValidationError from another .so is caught by its type and its bases", "[shared]") {
  const auto throw_it = [] { (void)bioptimus::test::checked_mpp(-1.0); };
  const std::string expected = "invalid MPP: mpp: expected a finite number > 0, got -1";
  for (const auto& [message, type] :
       {catch_as<ValidationError>(throw_it), catch_as<Error>(throw_it), catch_as<std::runtime_error>(throw_it)}) {
    CHECK(message == expected);
    CHECK(type == &typeid(ValidationError));
  }
  try {
    throw_it();
  } catch (const Error& error) {
    const auto* validation = dynamic_cast<const ValidationError*>(&error);
    REQUIRE(validation != nullptr);
    CHECK(validation->type_name() == "MPP");
  }
  CHECK(bioptimus::test::checked_mpp(0.5) == 0.5);
}

TEST_CASE("A ConfigError from the library is caught by its type and its bases", "[shared]") {
  const auto throw_it = [] { (void)bioptimus::models::parse_spec("model_name: [", "broken.yaml"); };
  for (const auto& [message, type] :
       {catch_as<ConfigError>(throw_it), catch_as<Error>(throw_it), catch_as<std::runtime_error>(throw_it)}) {
    CHECK_THAT(message, Contains("broken.yaml:1:"));
    CHECK(type == &typeid(ConfigError));
  }
  try {
    throw_it();
  } catch (const Error& error) {
    const auto* config = dynamic_cast<const ConfigError*>(&error);
    REQUIRE(config != nullptr);
    CHECK(config->diagnostics().at(0).location.path == "broken.yaml");
  }
}

TEST_CASE("A LookupError from the library is caught by its type and its bases", "[shared]") {
  const auto throw_it = [] { (void)bioptimus::models::Registry::builtin().get("no-such-model"); };
  for (const auto& [message, type] :
       {catch_as<LookupError>(throw_it), catch_as<Error>(throw_it), catch_as<std::runtime_error>(throw_it)}) {
    CHECK_THAT(message, Contains("no-such-model"));
    CHECK(type == &typeid(LookupError));
  }
}
