// A cohort manifest: the slides of a study as a CSV file, read by
// `modelspec tiles --manifest`, `modelspec extract --manifest` and
// `modelspec manifest`, and through the latter by the Snakemake workflow
// (docs/cohorts.md). Also the slide arguments the two commands share.
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
#ifndef BIOPTIMUS_APPS_MANIFEST_HPP
#define BIOPTIMUS_APPS_MANIFEST_HPP

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "bioptimus/io/wsi/mpp.hpp"

namespace bioptimus::apps {

/// One slide of a cohort.
struct ManifestEntry {
  /// The slide file: absolute, or relative to the current directory when the
  /// manifest's own path was.
  std::filesystem::path slide_path;
  /// Names the slide's outputs: [A-Za-z0-9._-], not starting with '.'.
  std::string slide_id;
  std::optional<io::wsi::MPP> mpp_override;
  /// The manifest line the slide is on (1-based), for messages.
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

/// Parses manifest text. `source` names it in diagnostics; relative slide
/// paths are taken relative to `base_directory`, and each must exist.
/// @throws models::ConfigError with every problem, each as
///   `SOURCE:LINE:COLUMN: error: COLUMN_NAME: message`.
[[nodiscard]] std::vector<ManifestEntry> parse_manifest(std::string_view text, const std::string& source,
                                                        const std::filesystem::path& base_directory);

/// Reads and parses the manifest file `path` (relative slide paths against its folder).
/// @throws models::ConfigError as parse_manifest, or when the file cannot be read.
[[nodiscard]] std::vector<ManifestEntry> read_manifest(const std::filesystem::path& path);

/// The slides a command runs on, as its command line names them: slide
/// files (one may be given a --slide-id) or a --manifest, a --mpp-override
/// for slides without their own, and a --summary file.
struct SlideArguments {
  std::vector<std::string> slides;
  std::optional<std::string> manifest;
  std::optional<std::string> slide_id;
  std::optional<double> mpp_override;
  std::optional<std::string> summary;
};

/// Adds the slide arguments to `command`, bound to `arguments` (which must
/// outlive the parse); `outputs` names what a slide id names in --help.
void add_slide_arguments(CLI::App& command, SlideArguments& arguments, std::string_view outputs);

/// The checks CLI11 cannot express, to run in the command's callback.
/// @throws CLI::ParseError (a usage error) when they fail.
void check_slide_arguments(const SlideArguments& arguments);

/// The slides to run: the manifest's, or the command line's with --slide-id
/// applied. A manifest's own mpp_override wins over --mpp-override, which
/// fills in the slides without one.
/// @throws models::ConfigError as read_manifest; ValidationError for an MPP out of range.
[[nodiscard]] std::vector<ManifestEntry> slides_to_run(const SlideArguments& arguments);

}  // namespace bioptimus::apps

#endif  // BIOPTIMUS_APPS_MANIFEST_HPP
