// The slide arguments `tiles` and `extract` share. The manifest itself is
// the library's (bioptimus/pipeline/cohort.hpp).
#include "manifest.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "bioptimus/error.hpp"
#include "number_options.hpp"

namespace bioptimus::apps {

void add_slide_arguments(CLI::App& command, SlideArguments& arguments, std::string_view outputs) {
  CLI::Option* slides = command.add_option("slides", arguments.slides, "Slide files (anything OpenSlide opens)");
  CLI::Option* manifest = command.add_option("--manifest", arguments.manifest,
                                             "A cohort manifest (CSV, docs/cohorts.md) instead of slides");
  slides->excludes(manifest);
  command
      .add_option("--slide-id", arguments.slide_id,
                  fmt::format("Name the {} of the one slide given so, not by its file stem", outputs))
      ->excludes(manifest);
  command
      .add_option("--mpp-override", arguments.mpp_override,
                  "Level-0 um/px for slides without (or with a wrong) MPP; a manifest's own value wins")
      ->transform(decimal_number(io::wsi::MPP::min_value, io::wsi::MPP::max_value,
                                 "microns per pixel as a decimal number", " (e.g. 0.25)"));
  command.add_option("--summary", arguments.summary, "Append one JSON line per slide (status, tiles, seconds) here");
}

void check_slide_arguments(const SlideArguments& arguments) {
  if (arguments.slides.empty() && !arguments.manifest) {
    throw CLI::RequiredError("slides or --manifest");
  }
  if (arguments.slide_id && arguments.slides.size() != 1) {
    throw CLI::ValidationError("--slide-id", "names one slide; give exactly one");
  }
  if (arguments.slide_id) {
    if (const std::optional<std::string> too_long = pipeline::slide_id_length_problem(*arguments.slide_id)) {
      throw CLI::ValidationError("--slide-id", *too_long);
    }
  }
  if (arguments.slide_id && !pipeline::is_valid_slide_id(*arguments.slide_id)) {
    throw CLI::ValidationError("--slide-id", "\"" + *arguments.slide_id +
                                                 "\" names the outputs: use letters, digits, '.', '_' and '-' "
                                                 "(not first '.')");
  }
}

pipeline::Cohort slides_to_run(const SlideArguments& arguments) {
  std::optional<io::wsi::MPP> mpp_override;
  if (arguments.mpp_override) {
    mpp_override = io::wsi::MPP{*arguments.mpp_override};
  }
  std::vector<pipeline::CohortSlide> slides;
  if (arguments.manifest) {
    slides = pipeline::Cohort::read(*arguments.manifest).slides();
    for (pipeline::CohortSlide& slide : slides) {
      slide.mpp_override = slide.mpp_override ? slide.mpp_override : mpp_override;
    }
    return pipeline::Cohort(std::move(slides));
  }
  for (const std::string& path : arguments.slides) {
    slides.push_back({path, arguments.slide_id.value_or(std::filesystem::path(path).stem().string()), mpp_override, 0});
  }
  return pipeline::Cohort(std::move(slides));
}

}  // namespace bioptimus::apps
