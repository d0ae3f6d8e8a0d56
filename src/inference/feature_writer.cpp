#include "bioptimus/inference/feature_writer.hpp"

#include <random>
#include <string>
#include <system_error>
#include <utility>

#include "bioptimus/models/registry.hpp"
#include "bioptimus/version.hpp"
#include "feature_writers.hpp"
#include "partial_file.hpp"

namespace bioptimus::inference {
namespace detail {

PartialFile::PartialFile(const std::filesystem::path& target, const std::string& suffix) : target_(target) {
  std::random_device entropy;
  const unsigned long long tag = (static_cast<unsigned long long>(entropy()) << 32U) | entropy();
  // Appended piece by piece: g++ 12 -O3 reports a false -Wrestrict on "." + string.
  std::string name = ".";
  name += target.filename().string();
  name += ".partial-";
  name += std::to_string(tag);
  name += suffix;
  path_ = target.parent_path() / name;
}

PartialFile::~PartialFile() {
  if (!committed_) {
    discard();
  }
}

void PartialFile::commit() {
  std::error_code error;
  std::filesystem::rename(path_, target_, error);
  if (error) {
    throw WriterError(target_.string() + ": cannot rename " + path_.filename().string() +
                      " onto it: " + error.message());
  }
  committed_ = true;
}

void PartialFile::discard() noexcept {
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
}

RowWriter::RowWriter(std::filesystem::path target, const models::ModelSpec& spec)
    : target_(std::move(target)), row_shape_(spec.output_shape()) {
  for (const std::int64_t extent : row_shape_) {
    row_size_ *= static_cast<std::size_t>(extent);
  }
}

void RowWriter::write(std::span<const float> features, std::span<const Coordinate> coordinates) {
  if (committed_) {
    fail("write after commit");
  }
  if (features.size() != coordinates.size() * row_size_) {
    fail(std::to_string(coordinates.size()) + " coordinates need " + std::to_string(coordinates.size() * row_size_) +
         " feature values, got " + std::to_string(features.size()));
  }
  append(features, coordinates);
  rows_ += static_cast<std::int64_t>(coordinates.size());
}

void RowWriter::commit() {
  if (committed_) {
    fail("committed twice");
  }
  finish();
  committed_ = true;
}

void RowWriter::fail(const std::string& what) const { throw WriterError(target_.string() + ": " + what); }

ModelRecord record_of(const models::ModelSpec& spec, std::optional<models::Precision> precision) {
  return {.identity = spec.identity(),
          .spec_yaml = models::to_yaml(spec),
          .library = "bioptimus-cpp " + std::string{bioptimus::version},
          .precision = precision ? std::optional<std::string>{models::to_string(*precision)} : std::nullopt};
}

}  // namespace detail

std::unique_ptr<FeatureWriter> open_feature_writer(FeatureFormat format, const std::filesystem::path& path,
                                                   const models::ModelSpec& spec,
                                                   const CoordinateAttributes& attributes,
                                                   std::optional<models::Precision> precision) {
  const detail::ModelRecord record = detail::record_of(spec, precision);
  switch (format) {
    case FeatureFormat::npz:
      return detail::open_npz_writer(path, spec, record, attributes);
    case FeatureFormat::hdf5:
      break;
  }
  return detail::open_hdf5_writer(path, spec, record, attributes);
}

}  // namespace bioptimus::inference
