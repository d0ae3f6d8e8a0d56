// What `tiles` and `extract` settle before they read any slide, each in a
// function of its own (stream26 moves them into the library's Cohort with
// the loop): outputs that two slides would share, the temporaries a killed
// run left in the output folder.
#ifndef BIOPTIMUS_APPS_SLIDE_RUN_HPP
#define BIOPTIMUS_APPS_SLIDE_RUN_HPP

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "manifest.hpp"

namespace bioptimus::apps {

/// The file names a slide's outputs take in the output folder: its
/// slide_id with each extension ("slide.h5", "slide.png").
[[nodiscard]] std::vector<std::string> output_names(const ManifestEntry& slide,
                                                    const std::vector<std::string_view>& extensions);

/// Refuses two slides whose outputs would share a file: both paths are
/// named (the same file given twice, or two files of one stem).
/// @throws Error before any slide is read.
void check_distinct_outputs(const std::vector<ManifestEntry>& slides, const std::vector<std::string_view>& extensions);

/// Removes from `directory` the temporaries that a killed run left for the
/// outputs of `slides` (never those of a run still writing there: see
/// src/detail/output_file.hpp), and says on stderr how many it removed.
void remove_stale_temporaries(const std::filesystem::path& directory, const std::vector<ManifestEntry>& slides,
                              const std::vector<std::string_view>& extensions);

}  // namespace bioptimus::apps

#endif  // BIOPTIMUS_APPS_SLIDE_RUN_HPP
