// The slide arguments `tiles` and `extract` share, and their summary lines.
// The manifest itself is the library's (bioptimus/pipeline/cohort.hpp).
#include "manifest.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>

#include "bioptimus/error.hpp"

namespace bioptimus::apps {

void append_summary_line(const std::filesystem::path& file, const nlohmann::ordered_json& line) {
  std::ofstream out(file, std::ios::app);
  out << line.dump() << '\n' << std::flush;
  if (!out) {
    throw Error("cannot append to the summary file \"" + file.string() + "\"");
  }
}

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
      ->check(CLI::PositiveNumber);
  command.add_option("--summary", arguments.summary, "Append one JSON line per slide (status, tiles, seconds) here");
}

void check_slide_arguments(const SlideArguments& arguments) {
  if (arguments.slides.empty() && !arguments.manifest) {
    throw CLI::RequiredError("slides or --manifest");
  }
  if (arguments.slide_id && arguments.slides.size() != 1) {
    throw CLI::ValidationError("--slide-id", "names one slide; give exactly one");
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
