// Registry: the built-in configs, user directories, lookups and failures.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "bioptimus/models/registry.hpp"
#include "temp_dir.hpp"

using namespace bioptimus::models;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

std::string config_text(const std::string& name, int embedding_dim = 384) {
  return "model_name: " + name +
         "\nversion: 1.0.0\ntile_spec: {size: 224, resolution: 0.5}\nmean: [0.5, 0.5, 0.5]\nstd: [0.5, 0.5, 0.5]\n"
         "patch_size: 16\nembedding_dim: " +
         std::to_string(embedding_dim) + "\noutput_type: cls\n";
}

std::set<std::string> config_stems() {
  std::set<std::string> stems;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(BIOPTIMUS_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() == ".yaml") {
      stems.insert(entry.path().stem().string());
    }
  }
  return stems;
}

}  // namespace

TEST_CASE("Every Models enumerator has a config and every config an enumerator", "[registry][builtin]") {
  std::set<std::string> enumerated;
  for (const Models model : all_models) {
    enumerated.insert(std::string(to_string(model)));
  }
  const std::set<std::string> stems = config_stems();
  std::vector<std::string> without_config;
  std::set_difference(enumerated.begin(), enumerated.end(), stems.begin(), stems.end(),
                      std::back_inserter(without_config));
  std::vector<std::string> without_enumerator;
  std::set_difference(stems.begin(), stems.end(), enumerated.begin(), enumerated.end(),
                      std::back_inserter(without_enumerator));
  INFO("enumerators without a config: " << without_config.size()
                                        << ", configs without an enumerator: " << without_enumerator.size());
  CHECK(without_config.empty());
  CHECK(without_enumerator.empty());
}

TEST_CASE("The built-in registry holds every model, sorted, keyed by Models", "[registry][builtin]") {
  const Registry& registry = Registry::builtin();
  REQUIRE(registry.size() == all_models.size());
  const std::vector<std::string_view> names = registry.names();
  CHECK(std::is_sorted(names.begin(), names.end()));
  for (const Models model : all_models) {
    const ModelSpec& spec = registry.get(model);
    CHECK(spec.model_name() == to_string(model));
    CHECK(&registry.get(to_string(model)) == &spec);
    CHECK(registry.find(to_string(model)) == &spec);
  }
  CHECK(&Registry::builtin() == &registry);
}

TEST_CASE("The built-in registry equals the configs on disk, without reading them", "[registry][builtin]") {
  for (const ModelSpec& spec : Registry::builtin().specs()) {
    const std::string path = std::string(BIOPTIMUS_SOURCE_DIR) + "/configs/" + spec.model_name() + ".yaml";
    CHECK(load_spec(path) == spec);
  }
}

TEST_CASE("Every built-in spec survives a round trip through to_yaml", "[registry][roundtrip]") {
  for (const ModelSpec& spec : Registry::builtin().specs()) {
    INFO(spec.model_name());
    CHECK(parse_spec(to_yaml(spec), spec.model_name() + ".yaml") == spec);
  }
}

TEST_CASE("A failed lookup lists the known names and the nearest one", "[registry][lookup]") {
  const Registry& registry = Registry::builtin();
  CHECK(registry.find("h0-maxi") == nullptr);
  REQUIRE_THROWS_AS(registry.get("h0-maxi"), LookupError);
  REQUIRE_THROWS_WITH(registry.get("h0-maxi"), StartsWith("unknown model \"h0-maxi\" (did you mean \"h0-mini\"?); "
                                                          "known models: ctranspath, gpfm, ") &&
                                                   Contains("virchow2"));
  const Registry small = Registry::from_specs({parse_spec(config_text("only-one"), "t.yaml")});
  REQUIRE_THROWS_WITH(small.get(Models::h0_mini), "unknown model \"h0-mini\"; known models: only-one");
}

TEST_CASE("A registry loads every config of a directory", "[registry][directory]") {
  const bioptimus::testing::TempDir dir;
  dir.write("model-b.yaml", config_text("model-b"));
  dir.write("model-a.yml", config_text("model-a", 768));
  dir.write("notes.txt", "not a config");
  const Registry registry = Registry::from_directory(dir.path());
  REQUIRE(registry.size() == 2);
  CHECK(registry.names() == std::vector<std::string_view>{"model-a", "model-b"});
  CHECK(registry.get("model-a").embedding_dim() == 768);
}

TEST_CASE("A directory with bad files loads nothing and reports every bad file", "[registry][directory]") {
  const bioptimus::testing::TempDir dir;
  dir.write("good.yaml", config_text("good"));
  const auto broken = dir.write("broken.yaml", config_text("broken", -1));
  const auto misnamed = dir.write("misnamed.yaml", config_text("other-name"));
  try {
    (void)Registry::from_directory(dir.path());
    FAIL("expected a ConfigError");
  } catch (const ConfigError& error) {
    REQUIRE(error.diagnostics().size() == 2);
    CHECK(error.diagnostics()[0].to_string() ==
          broken.string() + ":7:16: error: embedding_dim: expected a whole number in [1, 16777216], got -1");
    CHECK(error.diagnostics()[1].to_string() ==
          misnamed.string() +
              ":1:13: error: model_name: expected the file stem \"misnamed\" (one model per file, "
              "named after it), got \"other-name\"");
  }
}

TEST_CASE("Two files of a directory may not define the same model", "[registry][directory]") {
  const bioptimus::testing::TempDir dir;
  const auto first = dir.write("twin.yaml", config_text("twin"));
  const auto second = dir.write("twin.yml", config_text("twin"));
  REQUIRE_THROWS_WITH(
      Registry::from_directory(dir.path()),
      second.string() + ":1:13: error: model_name: model name \"twin\" is already defined in " + first.string());
}

TEST_CASE("A missing, empty or non-directory path is a clear error", "[registry][directory]") {
  const bioptimus::testing::TempDir dir;
  REQUIRE_THROWS_WITH(Registry::from_directory(dir.path()),
                      dir.path().string() + ": error: no *.yaml or *.yml configs found");
  REQUIRE_THROWS_WITH(Registry::from_directory(dir.path() / "absent"),
                      Contains("absent: error: cannot open directory: No such file or directory"));
  const auto file = dir.write("file.yaml", config_text("file"));
  REQUIRE_THROWS_WITH(Registry::from_directory(file), Contains("expected a directory"));
}

TEST_CASE("Merging registries keeps names unique", "[registry]") {
  const Registry user = Registry::from_specs({parse_spec(config_text("my-model"), "t.yaml")});
  const Registry merged = Registry::merge(Registry::builtin(), user);
  CHECK(merged.size() == Registry::builtin().size() + 1);
  CHECK(merged.get("my-model").embedding_dim() == 384);
  CHECK(merged.get(Models::uni) == Registry::builtin().get(Models::uni));
  const Registry clash = Registry::from_specs({parse_spec(config_text("uni"), "t.yaml")});
  REQUIRE_THROWS_WITH(Registry::merge(Registry::builtin(), clash), "registry: model name \"uni\" is given twice");
}

TEST_CASE("A lookup by Models finds the registry's own spec, wherever it sits", "[registry][lookup]") {
  // "aaa" sorts first: every built-in spec sits one place later than in builtin().
  const Registry merged =
      Registry::merge(Registry::builtin(), Registry::from_specs({parse_spec(config_text("aaa"), "t.yaml")}));
  const Registry copy = merged;  // NOLINT(performance-unnecessary-copy-initialization): the copy is under test
  for (const Models model : all_models) {
    INFO(to_string(model));
    CHECK(&merged.get(model) == merged.find(to_string(model)));
    CHECK(&copy.get(model) == copy.find(to_string(model)));
  }
  REQUIRE_THROWS_AS(merged.get(static_cast<Models>(all_models.size())), LookupError);
}

TEST_CASE("The generated built-in registry equals the configs loaded at run time", "[registry][builtin]") {
  const Registry& builtin = Registry::builtin();
  std::size_t files = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::path(BIOPTIMUS_SOURCE_DIR) / "configs")) {
    if (entry.path().extension() != ".yaml") {
      continue;
    }
    ++files;
    const ModelSpec loaded = load_spec(entry.path());
    INFO(entry.path().string());
    REQUIRE(builtin.find(loaded.model_name()) != nullptr);
    CHECK(*builtin.find(loaded.model_name()) == loaded);
  }
  CHECK(builtin.size() == files);
}
