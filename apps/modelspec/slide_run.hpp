// What `tiles` and `extract` share around the library's run over a cohort
// (pipeline::Cohort::run, which keeps each slide's failure, whatever it is,
// to that slide): before any slide, outputs that two slides would share, the
// --summary file and the temporaries a killed run left in the output
// folder; for each slide, a name the outputs cannot take, and its failure
// told in the command line's terms.
#ifndef BIOPTIMUS_APPS_SLIDE_RUN_HPP
#define BIOPTIMUS_APPS_SLIDE_RUN_HPP

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bioptimus/pipeline/cohort.hpp"

namespace bioptimus::apps {

/// The names a slide's outputs take in the output folder: its slide_id
/// followed by each suffix (".h5", "_patches.h5", ".png": "slide.h5").
[[nodiscard]] std::vector<std::string> output_names(const pipeline::CohortSlide& slide,
                                                    const std::vector<std::string>& suffixes);

/// Refuses two slides whose outputs would share a file: both paths are
/// named (the same file given twice, or two files of one stem).
/// @throws Error before any slide is read.
void check_distinct_outputs(const pipeline::Cohort& slides, const std::vector<std::string>& suffixes);

/// Removes from `directory` the temporaries (files, or a Zarr store's
/// directories) that a killed run left for the outputs of `slides` (never
/// those of a run still writing there: see src/detail/output_file.hpp), and
/// says on stderr how many it removed.
void remove_stale_temporaries(const std::filesystem::path& directory, const pipeline::Cohort& slides,
                              const std::vector<std::string>& suffixes);

/// The --summary file: opened (created, for appending) before the first
/// slide, so that one that cannot be written is refused then; then one JSON
/// line per slide (json_text.hpp), written with one write() as it is made,
/// so that a killed run keeps the lines of the slides it finished.
class SummaryFile {
 public:
  /// Opens `path`; nothing is written when there is none.
  /// @throws Error "PATH: cannot write the summary: REASON".
  explicit SummaryFile(const std::optional<std::string>& path);
  SummaryFile(const SummaryFile&) = delete;
  SummaryFile& operator=(const SummaryFile&) = delete;
  ~SummaryFile();

  /// Appends `line`; false (after saying why on stderr, once) when it cannot.
  bool append(const nlohmann::ordered_json& line);

 private:
  std::filesystem::path path_;
  int descriptor_ = -1;
  bool reported_ = false;
};

/// Refuses a slide whose name (its slide id) the outputs cannot take: one
/// that is not UTF-8 (HDF5, NPZ and JSON store it), or longer than
/// pipeline::max_slide_id_bytes (a file stem from the command line). Run
/// first in the slide's work, so that it fails alone.
/// @throws Error naming the slide and saying how to name it.
void check_slide_name(const pipeline::CohortSlide& slide);

/// A failed slide's message (report.error), with the way out for a slide
/// whose MPP is missing or unusable (--mpp-override, the manifest's column).
[[nodiscard]] std::string failure_message(const pipeline::SlideReport& report);

/// Prints "modelspec: MESSAGE" on stderr, with control characters and bytes
/// that are not UTF-8 escaped (`\x1b`, `\xff`), as every diagnostic.
void report(std::string_view message);

}  // namespace bioptimus::apps

#endif  // BIOPTIMUS_APPS_SLIDE_RUN_HPP
