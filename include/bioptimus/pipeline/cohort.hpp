// bioptimus/pipeline/cohort.hpp
//
// Cohort (target bioptimus::cohort; no slide layer): the slides of a study,
// from a manifest (CSV) or a list, and a run over them that reports each
// slide. `modelspec manifest`, `tiles --manifest` and `extract --manifest`
// read it, and through the first the Snakemake workflow (docs/cohorts.md).
//
//   slide_path,slide_id,mpp_override
//   scans/TCGA-A1-0001.svs,,
//   scans/old/1.tif,patient-7,0.25
//
// A header names the columns: slide_path (required), slide_id and
// mpp_override (optional), in any order. Fields follow RFC 4180 (quotes,
// doubled quotes inside, CRLF or LF). A relative slide_path is relative to
// the manifest's folder. slide_id defaults to the file stem and names the
// slide's outputs, so it must be a plain file name. An empty mpp_override
// means the slide's own MPP.
//
//   const Cohort cohort = Cohort::read("cohort.csv");
//   const CohortSummary summary = cohort.run(
//       [&](const CohortSlide& slide) { ...; return SlideResult{.tiles = n, .output = file}; },
//       [](const SlideReport& report) { /* print, log */ });
#ifndef BIOPTIMUS_PIPELINE_COHORT_HPP
#define BIOPTIMUS_PIPELINE_COHORT_HPP

#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bioptimus/io/wsi/mpp.hpp"

namespace bioptimus::pipeline {

/// One slide of a cohort.
struct CohortSlide {
  /// The slide file: absolute, or relative to the current directory when the
  /// manifest's own path was.
  std::filesystem::path slide_path;
  /// Names the slide's outputs: [A-Za-z0-9._-], not starting with '.' (for a manifest's slides).
  std::string slide_id;
  std::optional<io::wsi::MPP> mpp_override;
  /// The manifest line the slide is on (1-based), for messages; 0 for a slide not from a manifest.
  std::int64_t line;
};

/// The longest slide id: it names output files (NAME.h5), whose hidden
/// temporaries beside them add up to 39 bytes (".NAME.h5.partial-TAG.coords.npy"),
/// and a file name has at most 255.
inline constexpr std::size_t max_slide_id_bytes = 200;

/// True for a usable slide_id: [A-Za-z0-9._-]+, not starting with '.', at
/// most max_slide_id_bytes.
[[nodiscard]] bool is_valid_slide_id(std::string_view id) noexcept;

/// "expected at most 200 bytes (it names the output files), got 201", for
/// a slide id too long; nothing for one that is not.
[[nodiscard]] std::optional<std::string> slide_id_length_problem(std::string_view id);

/// "A.svs and B.svs would both write NAME", for the first two slides of
/// `slides` whose outputs (their slide_id followed by each of `suffixes`:
/// ".h5", "_patches.h5", ".png") share a file; nothing when none do. A cohort
/// from a list may hold two slides of one file stem, or one file twice.
[[nodiscard]] std::optional<std::string> shared_output_problem(const std::vector<CohortSlide>& slides,
                                                               const std::vector<std::string>& suffixes);

/// What a slide came to in a cohort run.
enum class SlideStatus : std::uint8_t { ok, skipped, failed };

/// "ok", "skipped", "failed".
[[nodiscard]] constexpr std::string_view to_string(SlideStatus status) noexcept {
  switch (status) {
    case SlideStatus::ok:
      return "ok";
    case SlideStatus::skipped:
      return "skipped";
    case SlideStatus::failed:
      return "failed";
  }
  return "";
}

/// What the work on one slide says about it (a failure is an exception instead).
struct SlideResult {
  /// ok, or skipped (its output was there already).
  SlideStatus status = SlideStatus::ok;
  /// Tiles (or blocks of tiles) the slide gave.
  std::int64_t tiles = 0;
  /// Seconds inside a model, when one ran.
  double model_seconds = 0;
  /// The file written (or found, when skipped).
  std::filesystem::path output = {};
};

/// One slide of a run, as reported once its work is over.
struct SlideReport {
  const CohortSlide& slide;
  /// Its position in the cohort, from 0.
  std::size_t index;
  /// status failed when the work threw; then `error` is its message.
  SlideResult result;
  /// Wall time of the slide's work.
  double seconds;
  std::string error;
  /// The std::exception the failed work threw, for a caller that tells
  /// failures apart; null otherwise.
  std::exception_ptr exception = nullptr;
};

/// The totals of a run.
struct CohortSummary {
  std::size_t slides = 0;
  std::size_t failed = 0;
  std::size_t skipped = 0;
  /// Tiles of the slides that went well.
  std::int64_t tiles = 0;
  double model_seconds = 0;
};

/// The slides of a study, in order. Immutable.
class Cohort {
 public:
  /// The slides as given (for instance from a command line; their ids are
  /// not checked: a manifest's are, by parse and read).
  explicit Cohort(std::vector<CohortSlide> slides) : slides_(std::move(slides)) {}

  /// Parses manifest text. `source` names it in diagnostics; relative slide
  /// paths are taken relative to `base_directory`, and each must be a file
  /// (a directory, FIFO or device is refused without opening it). A NUL byte
  /// in any field is refused.
  /// @throws models::ConfigError with every problem, each as
  ///   `SOURCE:LINE:COLUMN: error: COLUMN_NAME: message`.
  [[nodiscard]] static Cohort parse(std::string_view text, const std::string& source,
                                    const std::filesystem::path& base_directory);

  /// Reads and parses the manifest file `path` (relative slide paths against
  /// its folder): a regular file of at most 64 MiB (a FIFO is refused, not
  /// waited on).
  /// @throws models::ConfigError as parse, or when the file cannot be read.
  [[nodiscard]] static Cohort read(const std::filesystem::path& path);

  [[nodiscard]] const std::vector<CohortSlide>& slides() const noexcept { return slides_; }
  [[nodiscard]] std::size_t size() const noexcept { return slides_.size(); }
  [[nodiscard]] auto begin() const noexcept { return slides_.begin(); }
  [[nodiscard]] auto end() const noexcept { return slides_.end(); }

  /// Runs `work` on every slide in order. A slide whose work throws a
  /// std::exception is reported failed and the others still run; anything
  /// else ends the run (a caller's way to stop it: the Python bindings carry
  /// a callback's exception so). `report`, when given, is called after each slide.
  CohortSummary run(const std::function<SlideResult(const CohortSlide&, std::size_t index)>& work,
                    const std::function<void(const SlideReport&)>& report = {}) const;

 private:
  std::vector<CohortSlide> slides_;
};

}  // namespace bioptimus::pipeline

#endif  // BIOPTIMUS_PIPELINE_COHORT_HPP
