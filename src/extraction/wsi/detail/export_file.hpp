// Writes an export through an OutputFile (src/detail/output_file.hpp): a
// temporary created exclusively beside the target, synced, renamed, so that
// a reader never sees half a file and a failure leaves nothing behind.
#ifndef BIOPTIMUS_SRC_EXTRACTION_DETAIL_EXPORT_FILE_HPP
#define BIOPTIMUS_SRC_EXTRACTION_DETAIL_EXPORT_FILE_HPP

#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "output_file.hpp"

namespace bioptimus::detail {

/// Refuses to store `name` (a slide's) in `target` when it is not UTF-8.
/// @throws Error naming the target and saying how to name the slide.
inline void require_storable_name(const std::string& name, const std::filesystem::path& target) {
  if (const std::optional<std::string> problem = stored_name_problem(name)) {
    throw Error(target.string() + ": " + *problem + std::string(stored_name_advice));
  }
}

/// Creates the target's folder, calls `write(file)` with the OutputFile to
/// fill (it throws when it fails), then commits it. @throws Error naming `target`.
template <class Writer>
void write_atomically(const std::filesystem::path& target, Writer&& write) {
  std::error_code error;
  if (target.has_parent_path()) {
    std::filesystem::create_directories(target.parent_path(), error);
    if (error) {
      throw Error(target.string() + ": cannot create the directory: " + error.message());
    }
  }
  OutputFile file(target);
  write(file);
  file.commit();
}

}  // namespace bioptimus::detail

#endif  // BIOPTIMUS_SRC_EXTRACTION_DETAIL_EXPORT_FILE_HPP
