// The cohort manifest reader: what it accepts, and the exact located message
// for each mistake a user makes; a run over a cohort and what it reports.
#include <sys/stat.h>
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "bioptimus/models/registry.hpp"
#include "bioptimus/pipeline/cohort.hpp"
#include "temp_dir.hpp"

namespace {

using bioptimus::io::wsi::MPP;
using bioptimus::models::ConfigError;
using bioptimus::pipeline::Cohort;
using bioptimus::pipeline::CohortSlide;
using bioptimus::testing::TempDir;

// Every diagnostic of a manifest that must fail, as printed.
std::vector<std::string> errors_of(const TempDir& dir, const std::string& text) {
  try {
    (void)Cohort::parse(text, "cohort.csv", dir.path());
  } catch (const ConfigError& error) {
    std::vector<std::string> lines;
    for (const auto& diagnostic : error.diagnostics()) {
      lines.push_back(diagnostic.to_string());
    }
    return lines;
  }
  FAIL("the manifest was accepted:\n" << text);
  return {};
}

}  // namespace

TEST_CASE("A manifest: columns in any order, defaults, quotes, CRLF, blank lines, relative paths", "[manifest]") {
  const TempDir dir;
  (void)dir.write("a.svs", "");
  (void)dir.write("b c.tif", "");
  const std::string absolute = (dir.path() / "a.svs").string();
  const std::string text =
      "\xEF\xBB\xBFmpp_override, slide_path ,slide_id\r\n"
      " 0.25 ,a.svs,\r\n"
      "\r\n"
      ",\"b c.tif\",patient-7\r\n"
      ",\"" +
      absolute + "\",\"again\"\r\n";
  const std::vector<CohortSlide> slides = Cohort::parse(text, "cohort.csv", dir.path()).slides();
  REQUIRE(slides.size() == 3);
  CHECK(slides[0].slide_path == dir.path() / "a.svs");
  CHECK(slides[0].slide_id == "a");
  REQUIRE(slides[0].mpp_override.has_value());
  CHECK(*slides[0].mpp_override == MPP{0.25});
  CHECK(slides[0].line == 2);
  CHECK(slides[1].slide_path == dir.path() / "b c.tif");
  CHECK(slides[1].slide_id == "patient-7");
  CHECK_FALSE(slides[1].mpp_override.has_value());
  CHECK(slides[1].line == 4);
  CHECK(slides[2].slide_path == absolute);
  CHECK(slides[2].slide_id == "again");
}

TEST_CASE("A manifest file: relative paths against its folder", "[manifest]") {
  const TempDir dir;
  std::filesystem::create_directory(dir.path() / "scans");
  (void)dir.write("scans/x.svs", "");
  const auto file = dir.write("scans/cohort.csv", "slide_path\nx.svs\n");
  const std::vector<CohortSlide> slides = Cohort::read(file).slides();
  REQUIRE(slides.size() == 1);
  CHECK(slides[0].slide_path == dir.path() / "scans" / "x.svs");
  REQUIRE_THROWS_WITH(Cohort::read(dir.path() / "none.csv"),
                      (dir.path() / "none.csv").string() + ": error: cannot open: No such file or directory");
}

TEST_CASE("Manifest errors: every one, located, naming the column", "[manifest]") {
  const TempDir dir;
  (void)dir.write("a.svs", "");
  (void)dir.write("b.svs", "");
  (void)dir.write("sub dir.svs", "");
  const std::string missing = (dir.path() / "missing.svs").string();
  CHECK(errors_of(dir,
                  "slide_path,slide_id,mpp_override\n"
                  "a.svs,,0\n"
                  "b.svs,a,\n"
                  "missing.svs,,abc\n"
                  "sub dir.svs,,\n"
                  "a.svs,.hidden,nan\n"
                  "b.svs\n") ==
        std::vector<std::string>{
            "cohort.csv:2:8: error: mpp_override: expected microns per pixel as a decimal number in [0.001, 100000] "
            "(e.g. 0.25), or "
            "nothing, got \"0\"",
            "cohort.csv:3:7: error: slide_id: duplicate slide_id \"a\" (first on line 2)",
            "cohort.csv:4:1: error: slide_path: no such file: \"" + missing + "\"",
            "cohort.csv:4:14: error: mpp_override: expected microns per pixel as a decimal number in [0.001, 100000] "
            "(e.g. 0.25), or "
            "nothing, got \"abc\"",
            "cohort.csv:5:1: error: slide_path: the file stem \"sub dir\" is not a usable slide_id: it names the "
            "outputs, so use letters, digits, '.', '_' and '-' (not first '.'); give a slide_id column",
            "cohort.csv:6:7: error: slide_id: \".hidden\" is not a usable slide_id: it names the outputs, so use "
            "letters, digits, '.', '_' and '-' (not first '.')",
            "cohort.csv:6:15: error: mpp_override: expected microns per pixel as a decimal number in [0.001, 100000] "
            "(e.g. 0.25), or "
            "nothing, got \"nan\"",
            "cohort.csv:7:1: error: expected 3 fields as in the header, got 1",
        });
}

TEST_CASE("Manifest errors: duplicate file stems without slide_id", "[manifest]") {
  const TempDir dir;
  std::filesystem::create_directory(dir.path() / "x");
  (void)dir.write("1.svs", "");
  (void)dir.write("x/1.svs", "");
  CHECK(errors_of(dir, "slide_path\n1.svs\nx/1.svs\n") ==
        std::vector<std::string>{"cohort.csv:3:1: error: slide_path: duplicate slide_id \"1\" (first on line 2); give "
                                 "the slides distinct slide_id values"});
}

TEST_CASE("A slide_id is a plain file name", "[manifest]") {
  CHECK(bioptimus::pipeline::is_valid_slide_id("TCGA-A1.0001_x"));
  CHECK_FALSE(bioptimus::pipeline::is_valid_slide_id(""));
  CHECK_FALSE(bioptimus::pipeline::is_valid_slide_id(".hidden"));
  CHECK_FALSE(bioptimus::pipeline::is_valid_slide_id("a/b"));
  CHECK_FALSE(bioptimus::pipeline::is_valid_slide_id("a b"));
  CHECK_FALSE(bioptimus::pipeline::is_valid_slide_id("caf\xC3\xA9"));
}

// Issue 22, class 8: values that cannot work are located errors before any slide runs.
TEST_CASE("Manifest errors: NUL bytes, a FIFO or a directory as a slide, slide ids over 200 bytes", "[manifest]") {
  const TempDir dir;
  (void)dir.write("a.svs", "");
  REQUIRE(::mkfifo((dir.path() / "fifo.svs").c_str(), 0600) == 0);
  std::filesystem::create_directory(dir.path() / "folder.svs");
  const std::string long_stem(201, 's');
  (void)dir.write(long_stem + ".svs", "");
  using namespace std::string_literals;
  CHECK(errors_of(dir, "slide_path,slide_id\na.svs,x\0y\nfifo.svs,\nfolder.svs,\n"s + long_stem + ".svs,\na.svs," +
                           std::string(201, 'i') + "\na.svs," + std::string(200, 'i') + "\n") ==
        std::vector<std::string>{
            "cohort.csv:2:7: error: slide_id: expected text without a NUL byte, got \"x\\x00y\"",
            "cohort.csv:3:1: error: slide_path: expected a slide file, got a FIFO (named pipe)",
            "cohort.csv:4:1: error: slide_path: expected a slide file, got a directory",
            "cohort.csv:5:1: error: slide_path: the file stem is 201 bytes, at most 200 name the output files; give "
            "a slide_id column",
            "cohort.csv:6:7: error: slide_id: expected at most 200 bytes (it names the output files), got 201",
        });
  CHECK(bioptimus::pipeline::is_valid_slide_id(std::string(200, 'i')));
  CHECK_FALSE(bioptimus::pipeline::is_valid_slide_id(std::string(201, 'i')));
}

TEST_CASE("A manifest that is a FIFO is refused, not waited on", "[manifest]") {
  const TempDir dir;
  const std::filesystem::path fifo = dir.path() / "cohort.csv";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  REQUIRE_THROWS_WITH(Cohort::read(fifo),
                      fifo.string() + ": error: expected a manifest (a CSV file), got a FIFO (named pipe)");
}

TEST_CASE("Manifest errors: header and CSV syntax", "[manifest]") {
  const TempDir dir;
  (void)dir.write("a.svs", "");
  CHECK(errors_of(dir, "") ==
        std::vector<std::string>{"cohort.csv:1:1: error: the manifest is empty; expected a header "
                                 "line naming the columns (slide_path, slide_id, mpp_override)"});
  CHECK(errors_of(dir, "slide_path,slide,slide_path\n") ==
        std::vector<std::string>{
            "cohort.csv:1:12: error: unknown column \"slide\"; expected slide_path, slide_id, mpp_override",
            "cohort.csv:1:18: error: the column \"slide_path\" appears twice",
        });
  CHECK(errors_of(dir, "slide_id\nx\n") ==
        std::vector<std::string>{"cohort.csv:1:1: error: the header has no slide_path column"});
  CHECK(errors_of(dir, "slide_path\n\n") ==
        std::vector<std::string>{"cohort.csv:1:1: error: the manifest lists no slides"});
  CHECK(errors_of(dir, "slide_path,slide_id\n\"a.svs\"x,\na\"b,\n\"a.svs,\n") ==
        std::vector<std::string>{
            "cohort.csv:2:8: error: expected ',' or the end of the line after a quoted field, got 'x'",
            "cohort.csv:3:2: error: a quote (\") inside an unquoted field; quote the whole field",
            "cohort.csv:4:1: error: this quoted field has no closing quote (\")",
        });
}

TEST_CASE("A cohort run: every slide in order, failures reported and the rest still run, the totals", "[cohort]") {
  using bioptimus::pipeline::SlideReport;
  using bioptimus::pipeline::SlideResult;
  using bioptimus::pipeline::SlideStatus;
  const Cohort cohort({{"a.svs", "a", std::nullopt, 0},
                       {"b.svs", "b", MPP{0.25}, 0},
                       {"c.svs", "c", std::nullopt, 0},
                       {"d.svs", "d", std::nullopt, 0}});
  std::vector<std::string> reported;
  const auto summary = cohort.run(
      [](const CohortSlide& slide, std::size_t index) -> SlideResult {
        if (slide.slide_id == "b") {
          throw std::runtime_error("b.svs: cannot open slide");
        }
        if (slide.slide_id == "c") {
          return {.status = SlideStatus::skipped, .output = "out/c.h5"};
        }
        return {.tiles = static_cast<std::int64_t>(10 * (index + 1)), .model_seconds = 0.5, .output = "out/x.h5"};
      },
      [&](const SlideReport& report) {
        CHECK(report.seconds >= 0);
        reported.push_back(std::to_string(report.index) + " " + report.slide.slide_id + " " +
                           std::string(to_string(report.result.status)) + " " + std::to_string(report.result.tiles) +
                           " " + report.error);
      });
  CHECK(reported == std::vector<std::string>{"0 a ok 10 ", "1 b failed 0 b.svs: cannot open slide", "2 c skipped 0 ",
                                             "3 d ok 40 "});
  CHECK(summary.slides == 4);
  CHECK(summary.failed == 1);
  CHECK(summary.skipped == 1);
  CHECK(summary.tiles == 50);
  CHECK(summary.model_seconds == 1.0);
}

TEST_CASE("A cohort run: the exception of a failed slide is kept; what is not a std::exception ends the run",
          "[cohort]") {
  using bioptimus::pipeline::SlideReport;
  using bioptimus::pipeline::SlideResult;
  const Cohort cohort({{"a.svs", "a", std::nullopt, 0}, {"b.svs", "b", std::nullopt, 0}});
  bool kept = false;
  (void)cohort.run([](const CohortSlide&, std::size_t) -> SlideResult { throw std::out_of_range("a.svs: level 9"); },
                   [&](const SlideReport& report) {
                     try {
                       std::rethrow_exception(report.exception);
                     } catch (const std::out_of_range& error) {
                       kept = report.error == error.what();
                     }
                   });
  CHECK(kept);
  std::vector<std::string> reported;
  CHECK_THROWS_AS(cohort.run([](const CohortSlide&, std::size_t) -> SlideResult { throw 7; },
                             [&](const SlideReport& report) { reported.push_back(report.slide.slide_id); }),
                  int);
  CHECK(reported.empty());
}

TEST_CASE("Outputs two slides would share: the first pair, naming both paths", "[cohort]") {
  using bioptimus::pipeline::shared_output_problem;
  const std::vector<CohortSlide> slides{{"a/s1.svs", "s1", std::nullopt, 0},
                                        {"b/s1_patches.svs", "s1_patches", std::nullopt, 0},
                                        {"c/s2.svs", "s2", std::nullopt, 0}};
  CHECK_FALSE(shared_output_problem(slides, {".h5", ".png"}).has_value());
  CHECK(shared_output_problem(slides, {"_patches.h5", ".h5"}) ==
        std::optional<std::string>{"a/s1.svs and b/s1_patches.svs would both write s1_patches.h5"});
  CHECK(shared_output_problem({slides[2], slides[2]}, {".npz"}) ==
        std::optional<std::string>{"c/s2.svs and c/s2.svs would both write s2.npz"});
}
