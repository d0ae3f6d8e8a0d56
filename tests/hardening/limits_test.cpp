// The loader's explicit limits (LoadLimits) and hostile shapes of input: each
// must end in a ConfigError with a precise diagnostic, never in a crash, a
// hang (the CTest timeout catches one) or an exhausted memory. Tests do not
// time anything; docs/hardening.md gives measured worst cases.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "bioptimus/models/registry.hpp"
#include "hardening_support.hpp"
#include "temp_dir.hpp"

using namespace bioptimus::models;
using bioptimus::testing::only_diagnostic;
using bioptimus::testing::rejected;

namespace {

/// `[[[...]]]`: `depth` nested flow sequences.
std::string nested_sequences(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']') + "\n"; }

/// `depth` nested block maps, one key per line, indented one space per level.
std::string nested_maps(std::size_t depth) {
  std::string text;
  for (std::size_t level = 0; level + 1 < depth; ++level) {
    text += std::string(level, ' ') + "k" + std::to_string(level) + ":\n";
  }
  return text + std::string(depth - 1, ' ') + "leaf: 1\n";
}

/// `a: &a 1` then one flow sequence of `count` aliases `*a`.
std::string aliases(std::size_t count) {
  std::string text = "a: &a 1\nb: [";
  for (std::size_t i = 0; i < count; ++i) {
    text += i == 0 ? "*a" : ", *a";
  }
  return text + "]\n";
}

/// Whether any diagnostic's message contains `text`.
bool mentions(const std::vector<Diagnostic>& diagnostics, std::string_view text) {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [&](const Diagnostic& diagnostic) { return diagnostic.message.find(text) != std::string::npos; });
}

const std::string not_a_map = "expected a map of model fields (model_name, version, tile_spec, ...), got ";

}  // namespace

TEST_CASE("The documented limits are the ones enforced", "[hardening][limits]") {
  STATIC_REQUIRE(LoadLimits::max_bytes == 1048576);
  STATIC_REQUIRE(LoadLimits::max_depth == 32);
  STATIC_REQUIRE(LoadLimits::max_aliases == 64);
}

TEST_CASE("Text larger than max_bytes is refused before parsing", "[hardening][limits][size]") {
  SECTION("one byte over the limit, through parse_spec") {
    const std::string text(LoadLimits::max_bytes + 1, '#');
    const Diagnostic diagnostic = only_diagnostic(text);
    CHECK(diagnostic.to_string() ==
          "hostile.yaml: error: config too large: 1048577 bytes, at most 1048576 are accepted");
    CHECK(diagnostic.location == ConfigLocation{"hostile.yaml", 0, 0});
  }
  SECTION("exactly the limit is parsed (here: a comment, so an empty document)") {
    const std::string text = std::string(LoadLimits::max_bytes - 1, '#') + "\n";
    CHECK(only_diagnostic(text).to_string() == "hostile.yaml:1:1: error: " + not_a_map + "an empty document");
  }
  SECTION("a file over the limit, through load_spec, is not read to its end") {
    const bioptimus::testing::TempDir directory;
    const auto path = directory.write("big.yaml", std::string(2 * LoadLimits::max_bytes, '#'));
    try {
      static_cast<void>(load_spec(path));
      FAIL("expected a ConfigError");
    } catch (const ConfigError& error) {
      REQUIRE(error.diagnostics().size() == 1);
      CHECK(error.diagnostics()[0].location == ConfigLocation{path.string(), 0, 0});
      CHECK(std::string(error.what()) ==
            path.string() + ": error: config too large: 2097152 bytes, at most 1048576 are accepted");
    }
  }
}

TEST_CASE("Nesting deeper than max_depth is refused at the first level too deep", "[hardening][limits][depth]") {
  SECTION("flow sequences: 32 levels parse, 33 do not") {
    CHECK(only_diagnostic(nested_sequences(32)).message == not_a_map + "a list of 1 item");
    const Diagnostic diagnostic = only_diagnostic(nested_sequences(33));
    CHECK(diagnostic.to_string() ==
          "hostile.yaml:1:33: error: nesting too deep: at most 32 levels of maps and sequences are accepted");
  }
  SECTION("block maps: the 33rd map starts on line 33, column 33") {
    CHECK_FALSE(mentions(rejected(nested_maps(32)), "nesting too deep"));
    CHECK(only_diagnostic(nested_maps(33)).to_string() ==
          "hostile.yaml:33:33: error: nesting too deep: at most 32 levels of maps and sequences are accepted");
  }
  SECTION("inside an otherwise valid config") {
    const std::string text =
        bioptimus::testing::config_with({{"mean: [0.5, 0.5, 0.5]", "mean: " + nested_sequences(40)}});
    const Diagnostic diagnostic = only_diagnostic(text);
    CHECK(diagnostic.location == ConfigLocation{"hostile.yaml", 7, 38});  // the root map is level 1
    CHECK(diagnostic.message == "nesting too deep: at most 32 levels of maps and sequences are accepted");
  }
  SECTION("100,000 unclosed levels: refused at level 33, without deep recursion") {
    // yaml-cpp marks an unterminated flow collection at an earlier column of
    // its line; the line and the message are what matter.
    for (const char opener : {'[', '{'}) {
      const std::string text(100000, opener);
      const Diagnostic diagnostic = only_diagnostic(text);
      CHECK(diagnostic.location.line == 1);
      CHECK(diagnostic.message == "nesting too deep: at most 32 levels of maps and sequences are accepted");
    }
  }
}

TEST_CASE("More than max_aliases aliases are refused at the first one too many", "[hardening][limits][aliases]") {
  CHECK_FALSE(mentions(rejected(aliases(64)), "too many aliases"));
  const Diagnostic diagnostic = only_diagnostic(aliases(65));
  // "b: [" is 4 columns and each "*a, " 4 more: the 65th alias is at column 261.
  CHECK(diagnostic.to_string() == "hostile.yaml:2:261: error: too many aliases: at most 64 are accepted in one config");
}

TEST_CASE("Alias bombs (billion laughs) end in a ConfigError", "[hardening][limits][aliases]") {
  // Each level refers `fan_out` times to the one below: fan_out^levels leaves
  // if anything expanded the aliases.
  const auto bomb = [](int levels, int fan_out, const std::string& used_as) {
    std::string text = "l0: &l0 [lol]\n";
    for (int level = 1; level < levels; ++level) {
      text += "l" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
      for (int i = 0; i < fan_out; ++i) {
        text += (i == 0 ? "*l" : ", *l") + std::to_string(level - 1);
      }
      text += "]\n";
    }
    return text + used_as + ": *l" + std::to_string(levels - 1) + "\n";
  };
  SECTION("9 x 9 aliases, the classic: over the alias limit") {
    const Diagnostic diagnostic = only_diagnostic(bomb(10, 9, "mean"));
    CHECK(diagnostic.message == "too many aliases: at most 64 are accepted in one config");
    CHECK(diagnostic.location.line == 9);
  }
  SECTION("9^7 leaves within the alias limit, used as a list of numbers, a tile size and a key") {
    for (const std::string used_as : {"mean", "std", "tile_spec", "model_name", "output_spatial_dims"}) {
      INFO(used_as);
      const std::string text = bomb(8, 9, used_as);
      const std::vector<Diagnostic> diagnostics = rejected(text);
      CHECK_FALSE(diagnostics.empty());
      CHECK_FALSE(mentions(diagnostics, "too many aliases"));  // 7 x 9 + 1 = 64 aliases: at the limit
    }
  }
  SECTION("an alias as a map key, and a map merged into itself") {
    CHECK_FALSE(rejected("k: &k model_name\n*k : x\n").empty());
    CHECK_FALSE(rejected("base: &b {size: 224}\ntile_spec: {<<: *b, <<: *b}\n").empty());
    CHECK_FALSE(rejected("&a [*a]\n").empty());
  }
}

TEST_CASE("Empty and non-map documents are refused at 1:1", "[hardening][shape]") {
  for (const std::string_view text :
       {"", "\n\n", "   \n", "# only a comment\n", "---\n", "---\n...\n", "~\n", "null\n"}) {
    INFO(text);
    CHECK(only_diagnostic(text).to_string() == "hostile.yaml:1:1: error: " + not_a_map + "an empty document");
  }
  CHECK(only_diagnostic("- a\n- b\n").to_string() == "hostile.yaml:1:1: error: " + not_a_map + "a list of 2 items");
  CHECK(only_diagnostic("just text\n").to_string() == "hostile.yaml:1:1: error: " + not_a_map + "just text");
  CHECK(only_diagnostic("42\n").to_string() == "hostile.yaml:1:1: error: " + not_a_map + "42");
}

TEST_CASE("Bytes that are not UTF-8 text are refused where they stand", "[hardening][encoding]") {
  SECTION("an invalid byte") {
    CHECK(only_diagnostic(std::string("model_name: \xff\n")).to_string() ==
          "hostile.yaml:1:13: error: expected UTF-8 text, found the invalid byte \"\\xff\"");
  }
  SECTION("an overlong encoding, a UTF-16 surrogate, a code point above U+10FFFF, a truncated sequence") {
    CHECK(only_diagnostic(std::string("a: 1\nb: \xc0\xaf\n")).location == ConfigLocation{"hostile.yaml", 2, 4});
    CHECK(only_diagnostic(std::string("a: \xed\xa0\x80\n")).location == ConfigLocation{"hostile.yaml", 1, 4});
    CHECK(only_diagnostic(std::string("a: \xf4\x90\x80\x80\n")).location == ConfigLocation{"hostile.yaml", 1, 4});
    CHECK(only_diagnostic(std::string("a: \xe2\x82")).message ==
          "expected UTF-8 text, found the invalid byte \"\\xe2\"");
  }
  SECTION("a NUL byte") {
    const std::string text("a: 1\nb: x\0y\n", 12);
    CHECK(only_diagnostic(text).to_string() == "hostile.yaml:2:5: error: expected UTF-8 text, found a NUL byte");
    CHECK(only_diagnostic(std::string_view("\0", 1)).location == ConfigLocation{"hostile.yaml", 1, 1});
  }
  SECTION("well-formed multi-byte text is fine (here: an unknown key and missing ones)") {
    for (const Diagnostic& diagnostic : rejected("model_name: probe\nnamé: 1\n")) {
      CHECK(diagnostic.message.find("UTF-8") == std::string::npos);
    }
  }
}

TEST_CASE("A second YAML document is refused where it starts", "[hardening][shape]") {
  CHECK(only_diagnostic("a: 1\n---\nb: 2\n").to_string() ==
        "hostile.yaml:2:1: error: expected one YAML document (one model per file), found a second one");
  CHECK(only_diagnostic("---\na: 1\n...\n---\nb: 2\n").location == ConfigLocation{"hostile.yaml", 4, 1});
  // A valid config followed by a second one is still refused.
  CHECK(only_diagnostic(std::string(bioptimus::testing::base_config) + "---\n").location ==
        ConfigLocation{"hostile.yaml", 12, 1});
}

TEST_CASE("Huge flow collections near max_bytes end in a ConfigError", "[hardening][limits][size]") {
  const auto flow = [](std::string_view element, std::size_t budget) {
    std::string text = "[";
    while (text.size() + element.size() + 3 < budget) {
      text += text.size() == 1 ? "" : ",";
      text += element;
    }
    return text + "]";
  };
  SECTION("half a million items as the document") {
    const std::string text = flow("0", LoadLimits::max_bytes - 1) + "\n";
    CHECK(only_diagnostic(text).message == not_a_map + "a list of " + std::to_string(text.size() / 2 - 1) + " items");
  }
  SECTION("a mean with two hundred thousand values") {
    const std::string text = bioptimus::testing::config_with(
        {{"[0.5, 0.5, 0.5]", flow("0.5", LoadLimits::max_bytes - bioptimus::testing::base_config.size())}});
    REQUIRE(text.size() <= LoadLimits::max_bytes);
    const Diagnostic diagnostic = only_diagnostic(text);
    CHECK(diagnostic.field == "mean");
    CHECK(diagnostic.location == ConfigLocation{"hostile.yaml", 7, 7});
    CHECK(diagnostic.message.rfind("expected 3 values (one per channel), got ", 0) == 0);
  }
  SECTION("a flow map of ninety thousand unknown keys") {
    std::string text = "{";
    for (int i = 0; text.size() < LoadLimits::max_bytes - 32; ++i) {
      text += (i == 0 ? "k" : ", k") + std::to_string(i) + ": 1";
    }
    text += "}\n";
    // One problem per key, but at most max_diagnostics are reported and a
    // last diagnostic counts the rest.
    const std::vector<Diagnostic> diagnostics = rejected(text);
    REQUIRE(diagnostics.size() == LoadLimits::max_diagnostics + 1);
    const std::string& last = diagnostics.back().message;
    CHECK(std::stoull(last) > 90000);
    CHECK(last.substr(last.find(' ')) ==
          " more problems after this one are not shown (at most 50 are reported per config)");
  }
  SECTION("a tile size of a hundred thousand numbers") {
    const std::string text = bioptimus::testing::config_with(
        {{"[224, 224]", flow("224", LoadLimits::max_bytes - bioptimus::testing::base_config.size())}});
    CHECK(only_diagnostic(text).field == "tile_spec.size");
  }
}
