#include "slide_run.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <set>
#include <span>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "bioptimus/io/wsi/reader.hpp"
#include "input_file.hpp"
#include "json_text.hpp"
#include "output_file.hpp"

namespace bioptimus::apps {

std::vector<std::string> output_names(const pipeline::CohortSlide& slide, const std::vector<std::string>& suffixes) {
  std::vector<std::string> names;
  names.reserve(suffixes.size());
  for (const std::string& suffix : suffixes) {
    names.push_back(slide.slide_id + suffix);
  }
  return names;
}

void check_distinct_outputs(const pipeline::Cohort& slides, const std::vector<std::string>& suffixes) {
  if (const std::optional<std::string> problem = pipeline::shared_output_problem(slides.slides(), suffixes)) {
    throw Error(*problem +
                "; give the slides distinct names (a manifest with a slide_id column, or one run per slide with "
                "--slide-id)");
  }
}

void remove_stale_temporaries(const std::filesystem::path& directory, const pipeline::Cohort& slides,
                              const std::vector<std::string>& suffixes) {
  std::set<std::string, std::less<>> names;
  for (const pipeline::CohortSlide& slide : slides) {
    for (std::string& name : output_names(slide, suffixes)) {
      names.insert(std::move(name));
    }
  }
  const std::vector<std::string> removed = detail::remove_stale_temporaries(directory, names);
  if (!removed.empty()) {
    fmt::print(stderr, "modelspec: removed {} temporary file{} left by an interrupted run in {}\n", removed.size(),
               removed.size() == 1 ? "" : "s", detail::escape_controls(directory.string()));
  }
}

void check_slide_name(const pipeline::CohortSlide& slide) {
  constexpr std::string_view advice = "name the slide with --slide-id (or a manifest's slide_id column)";
  if (const std::optional<std::string> problem = detail::stored_name_problem(slide.slide_id)) {
    throw Error(slide.slide_path.string() + ": " + *problem + ", and the outputs store it: " + std::string(advice));
  }
  if (slide.slide_id.size() > pipeline::max_slide_id_bytes) {
    throw Error(fmt::format("{}: the slide name is {} bytes, at most {} name the output files: {}",
                            slide.slide_path.string(), slide.slide_id.size(), pipeline::max_slide_id_bytes, advice));
  }
}

void report(std::string_view message) { fmt::print(stderr, "modelspec: {}\n", detail::escape_controls(message)); }

SummaryFile::SummaryFile(const std::optional<std::string>& path) {
  if (!path) {
    return;
  }
  path_ = *path;
  // Its folder is made as -o's is (`-o out --summary out/summary.jsonl` before out exists).
  if (const std::filesystem::path folder = path_.parent_path(); !folder.empty()) {
    std::error_code error;
    std::filesystem::create_directories(folder, error);
    if (error) {
      throw Error(path_.string() + ": cannot write the summary: " + error.message());
    }
  }
  // O_NONBLOCK: a FIFO without a reader is refused (ENXIO), not waited on.
  descriptor_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0666);
  struct stat status {};
  if (descriptor_ < 0 || ::fstat(descriptor_, &status) != 0) {
    throw Error(path_.string() + ": cannot write the summary: " + std::strerror(errno));
  }
  // A regular file, or a stream a user may name (/dev/stderr, a FIFO with a reader).
  if (!S_ISREG(status.st_mode) && !S_ISFIFO(status.st_mode) && !S_ISCHR(status.st_mode)) {
    ::close(descriptor_);
    throw Error(path_.string() + ": cannot write the summary: it is " + detail::kind_of_file(status.st_mode));
  }
  ::fcntl(descriptor_, F_SETFL, ::fcntl(descriptor_, F_GETFL) & ~O_NONBLOCK);
}

SummaryFile::~SummaryFile() {
  if (descriptor_ >= 0) {
    ::close(descriptor_);
  }
}

bool SummaryFile::append(const nlohmann::ordered_json& line) {
  if (descriptor_ < 0) {
    return path_.empty();
  }
  const std::string text = json_text(line) + "\n";
  if (detail::write_all(descriptor_, std::as_bytes(std::span(text.data(), text.size())))) {
    return true;
  }
  if (!reported_) {
    report(path_.string() + ": cannot append to the summary: " + std::strerror(errno));
    reported_ = true;
  }
  return false;
}

std::string failure_message(const pipeline::SlideReport& report) {
  if (report.exception) {
    try {
      std::rethrow_exception(report.exception);
    } catch (const io::wsi::SlideMppError& error) {
      return std::string(error.what()) + " (--mpp-override, or a manifest's mpp_override column)";
    } catch (...) {  // told as it is
    }
  }
  return report.error;
}

}  // namespace bioptimus::apps
