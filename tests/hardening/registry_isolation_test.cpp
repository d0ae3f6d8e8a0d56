// A failed load changes nothing: a registry that exists keeps its specs (same
// addresses, equal values), and so does Registry::builtin().
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bioptimus/models/registry.hpp"
#include "temp_dir.hpp"

using namespace bioptimus::models;

namespace {

std::string config_file(const std::string& name) {
  std::ifstream stream(std::string(BIOPTIMUS_SOURCE_DIR) + "/configs/" + name + ".yaml", std::ios::binary);
  REQUIRE(stream);
  std::ostringstream text;
  text << stream.rdbuf();
  return text.str();
}

/// Where each spec of a registry lives, and a copy of its value.
struct Snapshot {
  const ModelSpec* data;
  std::vector<const ModelSpec*> addresses;
  std::vector<ModelSpec> values;

  explicit Snapshot(const Registry& registry) : data(registry.specs().data()) {
    for (const ModelSpec& spec : registry.specs()) {
      addresses.push_back(&spec);
      values.push_back(spec);
    }
  }

  void require_unchanged(const Registry& registry) const {
    REQUIRE(registry.size() == values.size());
    CHECK(registry.specs().data() == data);
    for (std::size_t i = 0; i < values.size(); ++i) {
      CHECK(&registry.specs()[i] == addresses[i]);
      CHECK(registry.specs()[i] == values[i]);
      CHECK(registry.find(values[i].model_name()) == addresses[i]);
    }
  }
};

}  // namespace

TEST_CASE("A failed from_directory leaves existing registries and their specs untouched",
          "[hardening][registry][isolation]") {
  const bioptimus::testing::TempDir good;
  good.write("h0-mini.yaml", config_file("h0-mini"));
  good.write("uni.yaml", config_file("uni"));
  const Registry registry = Registry::from_directory(good.path());
  REQUIRE(registry.size() == 2);
  const Snapshot before(registry);

  const Registry& builtin = Registry::builtin();
  const Registry* builtin_address = &builtin;
  const Snapshot builtin_before(builtin);

  SECTION("a directory with one good file and one bad file loads nothing") {
    const bioptimus::testing::TempDir bad;
    // The same model as the existing registry's, with another value, then a broken file.
    std::string changed = config_file("h0-mini");
    const std::size_t at = changed.find("embedding_dim: 1536");
    REQUIRE(at != std::string::npos);
    changed.replace(at, 19, "embedding_dim: 768 ");
    bad.write("h0-mini.yaml", changed);
    bad.write("broken.yaml", "model_name: broken\nversion: [\n");
    CHECK_THROWS_AS(Registry::from_directory(bad.path()), ConfigError);
    before.require_unchanged(registry);
  }
  SECTION("failures of every kind: a limit, a bad name, a duplicate, an unreadable entry") {
    const bioptimus::testing::TempDir bad;
    bad.write("uni.yaml", config_file("uni"));
    bad.write("deep.yaml", std::string(100, '[') + "\n");
    bad.write("wrong-stem.yaml", config_file("uni"));
    std::string aliases = "a: &a 1\nb: [*a";
    for (int i = 1; i < 65; ++i) {
      aliases += ", *a";
    }
    bad.write("aliases.yaml", aliases + "]\n");
    std::filesystem::create_directory(bad.path() / "directory.yaml");
    try {
      static_cast<void>(Registry::from_directory(bad.path()));
      FAIL("expected a ConfigError");
    } catch (const ConfigError& error) {
      CHECK(error.diagnostics().size() >= 2);
    }
    before.require_unchanged(registry);
  }
  SECTION("a directory of built-in names that fails does not touch the built-in registry") {
    const bioptimus::testing::TempDir bad;
    bad.write("h0-mini.yaml", "model_name: h0-mini\n");
    CHECK_THROWS_AS(Registry::from_directory(bad.path()), ConfigError);
    CHECK_THROWS_AS(load_spec(bad.path() / "h0-mini.yaml"), ConfigError);
    CHECK_THROWS_AS(parse_spec("model_name: h0-mini\nembedding_dim: .nan\n", "x.yaml"), ConfigError);
  }
  SECTION("a merge that fails (a name in both) leaves both registries as they were") {
    CHECK_THROWS_AS(Registry::merge(registry, builtin), LookupError);
    before.require_unchanged(registry);
  }

  CHECK(&Registry::builtin() == builtin_address);
  builtin_before.require_unchanged(Registry::builtin());
}
