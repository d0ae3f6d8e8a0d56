// The slide arguments `modelspec tiles` and `modelspec extract` share (slide
// files or a cohort manifest, bioptimus/pipeline/cohort.hpp). What runs
// around the slides (the summary file, ...) is slide_run.hpp.
#ifndef BIOPTIMUS_APPS_MANIFEST_HPP
#define BIOPTIMUS_APPS_MANIFEST_HPP

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "bioptimus/io/wsi/mpp.hpp"
#include "bioptimus/pipeline/cohort.hpp"

namespace bioptimus::apps {

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
/// @throws models::ConfigError as Cohort::read; ValidationError for an MPP out of range.
[[nodiscard]] pipeline::Cohort slides_to_run(const SlideArguments& arguments);

}  // namespace bioptimus::apps

#endif  // BIOPTIMUS_APPS_MANIFEST_HPP
