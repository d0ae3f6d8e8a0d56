// A hidden temporary path beside a target file, renamed onto the target on
// commit and removed otherwise: a reader never sees a half-written file
// under the target's name.
#ifndef BIOPTIMUS_SRC_INFERENCE_PARTIAL_FILE_HPP
#define BIOPTIMUS_SRC_INFERENCE_PARTIAL_FILE_HPP

#include <filesystem>
#include <optional>
#include <string>

#include "bioptimus/models/model_spec.hpp"

namespace bioptimus::inference::detail {

class PartialFile {
 public:
  /// `.NAME.partial-RANDOM` in the target's directory (the same file
  /// system, so the rename is atomic). `suffix` tells apart several
  /// temporary files of one writer.
  explicit PartialFile(const std::filesystem::path& target, const std::string& suffix = "");
  PartialFile(const PartialFile&) = delete;
  PartialFile& operator=(const PartialFile&) = delete;
  ~PartialFile();

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] const std::filesystem::path& target() const noexcept { return target_; }

  /// Renames the temporary file onto the target. @throws WriterError.
  void commit();
  /// Removes the temporary file now (a no-op when it does not exist).
  void discard() noexcept;

 private:
  std::filesystem::path target_;
  std::filesystem::path path_;
  bool committed_ = false;
};

/// The attribute values every format records about the model.
struct ModelRecord {
  std::string identity;                  ///< "name@version"
  std::string spec_yaml;                 ///< models::to_yaml(spec)
  std::string library;                   ///< "bioptimus-cpp VERSION"
  std::optional<std::string> precision;  ///< the precision the backbone ran in, when the caller says
};

[[nodiscard]] ModelRecord record_of(const models::ModelSpec& spec, std::optional<models::Precision> precision);

}  // namespace bioptimus::inference::detail

#endif  // BIOPTIMUS_SRC_INFERENCE_PARTIAL_FILE_HPP
