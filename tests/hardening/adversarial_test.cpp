// The classes of defect of issue 10, each as a rule over many inputs: text
// that round-trips, tags, escaped diagnostics, aliases and empty values
// located where they are used, and the smaller rules of the same pass.
#include <sys/stat.h>
#include <catch2/catch.hpp>

#include <filesystem>

#include <string>
#include <string_view>
#include <vector>

#include "bioptimus/models/registry.hpp"
#include "hardening_support.hpp"
#include "temp_dir.hpp"

using namespace bioptimus::models;
using bioptimus::ValidationError;
using bioptimus::extraction::wsi::TileSpec;
using bioptimus::testing::config_with;
using bioptimus::testing::only_diagnostic;
using bioptimus::testing::rejected;
using Catch::Matchers::Contains;

namespace {

ModelSpec::Fields probe_fields() {
  return {.model_name = "probe",
          .version = "1.0.0",
          .tile_spec = TileSpec{{.size = {224, 224}, .resolution = bioptimus::io::wsi::MPP{0.5}}},
          .mean = {0.5, 0.5, 0.5},
          .std = {0.25, 0.25, 0.25},
          .patch_size = 14,
          .embedding_dim = 768,
          .output_type = OutputType::cls};
}

std::vector<std::string> violated_fields(const ModelSpec::Fields& fields) {
  try {
    static_cast<void>(ModelSpec{fields});
  } catch (const ValidationError& error) {
    std::vector<std::string> out;
    for (const auto& violation : error.violations()) {
      out.push_back(violation.field);
    }
    return out;
  }
  return {};
}

}  // namespace

TEST_CASE("Class 1: every text a ModelSpec accepts is UTF-8, checked in the value type", "[hardening][text]") {
  for (const std::string bad : {"\xff",
                                "a\x85"
                                "b",
                                "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ok\xe2\x82"}) {
    auto fields = probe_fields();
    fields.license = bad;
    fields.weights_source = bad;
    CHECK(violated_fields(fields) == std::vector<std::string>{"weights_source", "license"});
  }
}

TEST_CASE("Class 1: the escapes \\N and \\_ load as the characters they name", "[hardening][text]") {
  CHECK(
      parse_spec(config_with({{"output_type: cls\n", "output_type: cls\nlicense: \"a\\Nb\"\n"}}), "t.yaml").license() ==
      "a\xc2\x85"
      "b");
  CHECK(parse_spec(config_with({{"output_type: cls\n", "output_type: cls\nlicense: \"a\\_b \\N\"\n"}}), "t.yaml")
            .license() ==
        "a\xc2\xa0"
        "b \xc2\x85");
}

TEST_CASE("Class 1: every accepted text round-trips through to_yaml", "[hardening][text][roundtrip]") {
  const std::vector<std::string> texts{
      "a\xc2\x85"
      "b",
      "a\xc2\xa0"
      "b",
      "line\xe2\x80\xa8sep",
      "para\xe2\x80\xa9sep",
      "bom\xef\xbb\xbfmid",
      "tab\there",
      "new\nline",
      "cr\rlf",
      "esc\x1b[31m",
      "del\x7f",
      std::string("nul\0byte", 8),
      "\xf0\x9f\x98\x80 emoji",
      "caf\xc3\xa9",
      "null",
      "~",
      "- dash",
      "# hash",
      "key: value",
      "'single'",
      "\"double\"",
      " leading",
      "trailing ",
      "back\\slash",
      "[flow]",
      "{map}",
      "&anchor",
      "*alias",
      "!tag",
      "%directive",
      "@at",
      "`tick",
      "|",
      ">",
      "1.5",
      "true",
      "0x10",
      ".inf",
      "a  b",
      "\xc2\x80\xc2\x9f"};
  for (const std::string& text : texts) {
    INFO(bioptimus::detail::quote(text));
    auto fields = probe_fields();
    fields.license = text;
    fields.weights_source = "repo/" + text;
    const ModelSpec spec{fields};
    const std::string yaml = to_yaml(spec);
    CHECK(parse_spec(yaml, "roundtrip.yaml") == spec);
    CHECK(yaml.find('\r') == std::string::npos);
  }
}

TEST_CASE("Class 1: blank text is refused, Unicode white space included", "[hardening][text]") {
  for (const std::string blank : {" ", "\v", "\f", "\xc2\xa0", "\xc2\x85", "\xe2\x80\x83", "\xe3\x80\x80",
                                  "\xe2\x80\xa8", "\xef\xbb\xbf", " \t\xc2\xa0\n"}) {
    auto fields = probe_fields();
    fields.license = blank;
    CHECK(violated_fields(fields) == std::vector<std::string>{"license"});
  }
}

TEST_CASE("Class 2: a tag that contradicts the field's type is an error; an unknown tag is one", "[hardening][tags]") {
  const auto diagnostic = [](std::string from, std::string to) {
    return only_diagnostic(config_with({{std::move(from), std::move(to)}})).to_string();
  };
  CHECK(diagnostic("embedding_dim: 768", "embedding_dim: !!str 768") ==
        "hostile.yaml:10:16: error: embedding_dim: expected a whole number > 0, got \"768\" tagged !!str (the tag "
        "contradicts the field's type)");
  CHECK_THAT(diagnostic("embedding_dim: 768", "embedding_dim: !foo 768"),
             Contains("hostile.yaml:10:16: error: embedding_dim: unknown tag \"!foo\": expected a whole number > 0"));
  CHECK_THAT(diagnostic("size: [224, 224]", "size: [!!str 224, 224]"),
             Contains("hostile.yaml:4:10: error: tile_spec.size: expected [width, height]"));
  CHECK_THAT(diagnostic("output_type: cls\n", "output_type: cls\nantialias: !!str true\n"),
             Contains("hostile.yaml:12:12: error: antialias: expected true or false, got \"true\" tagged !!str"));
  CHECK_THAT(diagnostic("output_type: cls\n", "output_type: cls\nlicense: !!null cc\n"),
             Contains("hostile.yaml:12:10: error: license: expected text, got cc tagged !!null"));
  CHECK_THAT(diagnostic("output_type: cls\n", "output_type: cls\nlicense: !!binary aGk=\n"),
             Contains("license: unknown tag \"!!binary\""));
  CHECK_THAT(diagnostic("embedding_dim: 768", "embedding_dim: !!float 768"),
             Contains("embedding_dim: expected a whole number > 0, got 768 tagged !!float"));
  CHECK_THAT(diagnostic("tile_spec:\n", "tile_spec: !!seq\n"), Contains("tile_spec: expected a map with size"));
  CHECK_THAT(diagnostic("output_type: cls\n", "output_type: cls\n!!int 5: x\n"),
             Contains("hostile.yaml:12:1: error: (key): expected a text key, got 5 tagged !!int"));
}

TEST_CASE("Class 2: a core tag that agrees with the field is accepted", "[hardening][tags]") {
  const ModelSpec spec = parse_spec(config_with({{"embedding_dim: 768", "embedding_dim: !!int 768"},
                                                 {"resolution: 0.5", "resolution: !!float 0.5"},
                                                 {"size: [224, 224]", "size: !!seq [224, 224]"},
                                                 {"output_type: cls\n",
                                                  "output_type: !!str cls\nlicense: !!str 123\nantialias: !!bool "
                                                  "false\nweights_source: !!null\n"}}),
                                    "t.yaml");
  CHECK(spec.embedding_dim() == 768);
  CHECK(spec.license() == "123");
  CHECK(!spec.antialias());
  CHECK(!spec.weights_source());
}

TEST_CASE("Class 4: every part of a diagnostic is escaped", "[hardening][diagnostics]") {
  for (const std::string key : {"\"lic\\nense\"", "\"\\e[31mred\"", "\"bom\\ufeffkey\"", "\"a\\u2028b\""}) {
    const std::string line =
        only_diagnostic(config_with({{"output_type: cls\n", "output_type: cls\n" + key + ": x\n"}}),
                        "dir/\x1b[1mname\n.yaml")
            .to_string();
    INFO(line);
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line.find('\x1b') == std::string::npos);
    CHECK(line.find("\xef\xbb\xbf") == std::string::npos);
    CHECK(line.find("\xe2\x80\xa8") == std::string::npos);
    CHECK_THAT(line, Contains("dir/\\x1b[1mname\\x0a.yaml:12:1: error: "));
  }
  // Built member by member: g++ 12 at -O3 reports a false -Wmaybe-uninitialized
  // for a braced Diagnostic temporary.
  Diagnostic raw;
  raw.location = ConfigLocation{"f.yaml", 1, 1};
  raw.field = "k\xff";
  raw.message = "caf\xc3\xa9";
  CHECK(raw.to_string() == "f.yaml:1:1: error: k\\xff: caf\xc3\xa9");
}

TEST_CASE("Class 8: an error through an alias points at the alias and names the anchor", "[hardening][aliases]") {
  const Diagnostic diagnostic = only_diagnostic(
      config_with({{"version: 1.0.0", "version: 1.0.0\nlicense: &n x"}, {"embedding_dim: 768", "embedding_dim: *n"}}));
  CHECK(diagnostic.to_string() ==
        "hostile.yaml:11:16: error: embedding_dim: expected a whole number > 0, got x (the value of the anchor at line "
        "3, column 10)");
  // A value rule broken through an alias, too.
  CHECK(only_diagnostic(config_with({{"version: 1.0.0", "version: 1.0.0\nlicense: &n '0'"},
                                     {"embedding_dim: 768", "embedding_dim: 768\nnum_channels: *n"}}))
            .location == ConfigLocation{"hostile.yaml", 12, 15});
}

TEST_CASE("Class 9: an empty value is reported at its key", "[hardening][empty]") {
  CHECK(only_diagnostic(config_with({{"embedding_dim: 768", "embedding_dim:"}})).to_string() ==
        "hostile.yaml:10:1: error: embedding_dim: expected a whole number > 0, got null");
  // As the last line, and at the end of a nested map.
  CHECK(only_diagnostic(config_with({{"output_type: cls\n", "output_type:"}})).location ==
        ConfigLocation{"hostile.yaml", 11, 1});
  CHECK(only_diagnostic(config_with({{"output_type: cls\n", "output_type:\n\n# comment\n"}})).location ==
        ConfigLocation{"hostile.yaml", 11, 1});
  CHECK(only_diagnostic(config_with({{"  unit: pixels", "  unit:"}})).location == ConfigLocation{"hostile.yaml", 6, 3});
  // A key named null after an empty value is not its value.
  CHECK(rejected(config_with({{"output_type: cls\n", "output_type: cls\nprecision:\nnull: 1\n"}})).front().location ==
        ConfigLocation{"hostile.yaml", 12, 1});
}

TEST_CASE("Minor: keys with a default but no null in their type refuse null", "[hardening][null]") {
  CHECK(only_diagnostic(config_with({{"output_type: cls\n", "output_type: cls\nantialias: null\n"}})).to_string() ==
        "hostile.yaml:12:12: error: antialias: expected true or false, got null");
  CHECK(only_diagnostic(config_with({{"output_type: cls\n", "output_type: cls\nnum_channels: null\n"}})).field ==
        "num_channels");
  CHECK(only_diagnostic(config_with({{"output_type: cls\n", "output_type: cls\ncolor_space:\n"}})).field ==
        "color_space");
  CHECK(only_diagnostic(config_with({{"  unit: pixels", "  unit: ~"}})).field == "tile_spec.unit");
}

TEST_CASE("Minor: a lone carriage return is named as a line-ending problem", "[hardening][encoding]") {
  std::string text(bioptimus::testing::base_config);
  for (char& c : text) {
    c = c == '\n' ? '\r' : c;
  }
  CHECK(only_diagnostic(text).to_string() ==
        "hostile.yaml:1:18: error: expected LF or CRLF line endings, found a carriage return alone (classic Mac OS "
        "line endings are not supported)");
}

TEST_CASE("Minor: both sides of output_spatial_dims are checked", "[hardening][dims]") {
  const std::vector<Diagnostic> diagnostics =
      rejected(config_with({{"output_type: cls\n", "output_type: dense\noutput_spatial_dims: [x, -3]\n"}}));
  REQUIRE(diagnostics.size() == 2);
  CHECK(diagnostics[0].location == ConfigLocation{"hostile.yaml", 12, 23});
  CHECK(diagnostics[1].to_string() ==
        "hostile.yaml:12:26: error: output_spatial_dims: expected a whole number in [1, 1048576], got -3");
}

TEST_CASE("Minor: the API reports a negative num_prefix_tokens once", "[hardening][api]") {
  auto fields = probe_fields();
  fields.num_prefix_tokens = -1;
  CHECK(violated_fields(fields) == std::vector<std::string>{"num_prefix_tokens"});
}

TEST_CASE("Class 3: only regular files are read; a FIFO or device is a located error", "[hardening][files]") {
  const bioptimus::testing::TempDir dir;
  dir.write("probe.yaml", bioptimus::testing::base_config);
  const std::filesystem::path fifo = dir.path() / "pipe.yaml";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const std::filesystem::path link = dir.path() / "link.yml";
  std::filesystem::create_symlink(fifo, link);
  for (const std::filesystem::path& path : {fifo, link}) {
    try {
      static_cast<void>(load_spec(path));
      FAIL("expected a ConfigError");
    } catch (const ConfigError& error) {
      REQUIRE(error.diagnostics().size() == 1);
      CHECK(error.diagnostics()[0].location == ConfigLocation{path.string(), 0, 0});
      CHECK(error.diagnostics()[0].field.empty());
      CHECK(error.diagnostics()[0].message == "expected a YAML file, got a FIFO (named pipe)");
    }
  }
  try {
    static_cast<void>(Registry::from_directory(dir.path()));
    FAIL("expected a ConfigError");
  } catch (const ConfigError& error) {
    REQUIRE(error.diagnostics().size() == 2);
    CHECK(error.diagnostics()[0].to_string() ==
          link.string() + ": error: expected a YAML file, got a FIFO (named pipe)");
    CHECK(error.diagnostics()[1].location.path == fifo.string());
  }
  if (std::filesystem::exists("/dev/null")) {
    CHECK_THROWS_WITH(load_spec("/dev/null"), Contains("expected a YAML file, got a character device"));
  }
  CHECK_THROWS_WITH(load_spec(dir.path()), Contains("expected a YAML file, got a directory"));
}
