#include "bioptimus/inference/feature_writer.hpp"

#include <string>
#include <utility>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/models/registry.hpp"
#include "bioptimus/version.hpp"
#include "feature_writers.hpp"

namespace bioptimus::inference {
namespace detail {

namespace {

// The writers' files fail with bioptimus::Error (OutputFile, InputFile);
// the interface promises WriterError.
template <class Step>
void as_writer_error(Step&& step) {
  try {
    step();
  } catch (const WriterError&) {
    throw;
  } catch (const Error& error) {
    throw WriterError(error.what());
  }
}

}  // namespace

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
  as_writer_error([&] { append(features, coordinates); });
  rows_ += static_cast<std::int64_t>(coordinates.size());
}

void RowWriter::commit() {
  if (committed_) {
    fail("committed twice");
  }
  as_writer_error([&] { finish(); });
  committed_ = true;
}

void RowWriter::fail(const std::string& what) const { throw WriterError(target_.string() + ": " + what); }

ModelRecord record_of(const models::ModelSpec& spec) {
  return {.identity = spec.identity(),
          .spec_yaml = models::to_yaml(spec),
          .library = "bioptimus-cpp " + std::string{bioptimus::version}};
}

}  // namespace detail

std::unique_ptr<FeatureWriter> open_feature_writer(FeatureFormat format, const std::filesystem::path& path,
                                                   const models::ModelSpec& spec,
                                                   const CoordinateAttributes& attributes) {
  if (const std::optional<std::string> problem = bioptimus::detail::stored_name_problem(attributes.name)) {
    throw WriterError(path.string() + ": " + *problem + std::string(bioptimus::detail::stored_name_advice));
  }
  std::unique_ptr<FeatureWriter> writer;
  detail::as_writer_error([&] {
    writer = format == FeatureFormat::npz ? detail::open_npz_writer(path, spec, attributes)
                                          : detail::open_hdf5_writer(path, spec, attributes);
  });
  return writer;
}

}  // namespace bioptimus::inference
