#include "slide_run.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <set>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "output_file.hpp"

namespace bioptimus::apps {

std::vector<std::string> output_names(const ManifestEntry& slide, const std::vector<std::string_view>& extensions) {
  std::vector<std::string> names;
  names.reserve(extensions.size());
  for (const std::string_view extension : extensions) {
    names.push_back(slide.slide_id + "." + std::string(extension));
  }
  return names;
}

void check_distinct_outputs(const std::vector<ManifestEntry>& slides, const std::vector<std::string_view>& extensions) {
  std::map<std::string, const ManifestEntry*, std::less<>> writer_of;
  for (const ManifestEntry& slide : slides) {
    for (std::string& name : output_names(slide, extensions)) {
      const auto [first, inserted] = writer_of.emplace(std::move(name), &slide);
      if (!inserted) {
        throw Error(first->second->slide_path.string() + " and " + slide.slide_path.string() + " would both write " +
                    first->first +
                    "; give the slides distinct names (a manifest with a slide_id column, or one run per slide "
                    "with --slide-id)");
      }
    }
  }
}

void remove_stale_temporaries(const std::filesystem::path& directory, const std::vector<ManifestEntry>& slides,
                              const std::vector<std::string_view>& extensions) {
  std::set<std::string, std::less<>> names;
  for (const ManifestEntry& slide : slides) {
    for (std::string& name : output_names(slide, extensions)) {
      names.insert(std::move(name));
    }
  }
  const std::vector<std::string> removed = detail::remove_stale_temporaries(directory, names);
  if (!removed.empty()) {
    fmt::print(stderr, "modelspec: removed {} temporary file{} left by an interrupted run in {}\n", removed.size(),
               removed.size() == 1 ? "" : "s", detail::escape_controls(directory.string()));
  }
}

}  // namespace bioptimus::apps
