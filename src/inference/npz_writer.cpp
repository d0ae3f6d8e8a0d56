// The NPZ feature writer: rows stream into two .npy files beside the target
// (their headers rewritten with the final row count at commit), which libzip
// then stores, with the metadata arrays, in the archive numpy.load reads.
#include <zip.h>

#include <bit>

#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "feature_writers.hpp"
#include "partial_file.hpp"

namespace bioptimus::inference::detail {
namespace {

static_assert(std::endian::native == std::endian::little, "arrays are written as numpy's little-endian <f4 and <i8");

// A .npy header (format 1.0) padded to a fixed size, so that it can be
// rewritten in place once the row count is known. 128 bytes hold any shape
// of the dictionary below with a 20-digit row count.
constexpr std::size_t npy_header_bytes = 128;

std::string shape_text(const std::vector<std::int64_t>& shape) {
  if (shape.empty()) {
    return "()";
  }
  std::string text = "(";
  for (const std::int64_t extent : shape) {
    text += std::to_string(extent) + ", ";
  }
  if (shape.size() > 1) {
    text.resize(text.size() - 2);  // numpy writes (3,) for one axis, (3, 4) for more
  } else {
    text.pop_back();
  }
  return text + ")";
}

// The magic string, version 1.0, header length and the header dictionary,
// padded with spaces to `total` bytes (numpy wants a multiple of 64) and ended by '\n'.
std::string npy_header(const std::string& descr, const std::vector<std::int64_t>& shape, std::size_t total) {
  const std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape_text(shape) + ", }";
  constexpr std::size_t preamble = 10;
  std::string header = "\x93NUMPY";
  header += '\x01';
  header += '\x00';
  const std::size_t length = total - preamble;
  header += static_cast<char>(length & 0xFFU);
  header += static_cast<char>(length >> 8U);
  header += dict;
  header.append(total - 1 - header.size(), ' ');
  header += '\n';
  return header;
}

std::size_t padded_size(std::size_t bytes) { return (bytes + 63) / 64 * 64; }

// A whole small .npy file: `payload` is the little-endian data.
std::string npy_file(const std::string& descr, const std::vector<std::int64_t>& shape, const std::string& payload) {
  const std::string probe = npy_header(descr, shape, npy_header_bytes * 8);
  const std::size_t used = probe.find_last_not_of(" \n") + 2;  // dictionary plus the closing '\n'
  return npy_header(descr, shape, padded_size(used)) + payload;
}

template <typename T>
std::string bytes_of(const T* values, std::size_t count) {
  return {reinterpret_cast<const char*>(values), count * sizeof(T)};
}

// numpy's unicode arrays hold UTF-32LE code points: decode the UTF-8 text
// (our strings are valid UTF-8: the YAML loader checks it).
std::string utf32_of(const std::string& text, std::size_t& characters) {
  std::string out;
  characters = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    std::uint32_t code = length == 1 ? lead : lead & (0x7FU >> length);
    for (std::size_t k = 1; k < length && i + k < text.size(); ++k) {
      code = (code << 6U) | (static_cast<unsigned char>(text[i + k]) & 0x3FU);
    }
    for (unsigned shift = 0; shift < 32; shift += 8) {
      out += static_cast<char>((code >> shift) & 0xFFU);
    }
    ++characters;
    i += length;
  }
  return out;
}

class NpzWriter final : public RowWriter {
 public:
  NpzWriter(const std::filesystem::path& path, const models::ModelSpec& spec, const CoordinateAttributes& attributes)
      : RowWriter(path, spec),
        archive_(path),
        features_file_(path, ".features.npy"),
        coords_file_(path, ".coords.npy") {
    open_stream(features_, features_file_);
    open_stream(coords_, coords_file_);

    const ModelRecord record = record_of(spec);
    add_string("name", attributes.name);
    add_string("model", record.identity);
    add_string("model_spec_yaml", record.spec_yaml);
    add_string("bioptimus_version", record.library);
    for_each_coordinate_attribute(attributes, [this](const char* name, const auto& value) { add_value(name, value); });
  }

 private:
  void append(std::span<const float> features, std::span<const Coordinate> coordinates) override {
    static_assert(sizeof(Coordinate) == 2 * sizeof(std::int64_t));
    features_.write(reinterpret_cast<const char*>(features.data()),
                    static_cast<std::streamsize>(features.size_bytes()));
    coords_.write(reinterpret_cast<const char*>(coordinates.data()),
                  static_cast<std::streamsize>(coordinates.size_bytes()));
    if (!features_ || !coords_) {
      fail("cannot write " + std::to_string(coordinates.size()) + " rows (is the disk full?)");
    }
  }

  void finish() override {
    std::vector<std::int64_t> feature_shape{rows()};
    feature_shape.insert(feature_shape.end(), row_shape().begin(), row_shape().end());
    finish_stream(features_, npy_header("<f4", feature_shape, npy_header_bytes));
    finish_stream(coords_, npy_header("<i8", {rows(), 2}, npy_header_bytes));

    int error = 0;
    zip_t* zip = zip_open(archive_.path().c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
    if (zip == nullptr) {
      fail("cannot create the temporary archive " + archive_.path().filename().string());
    }
    // numpy.savez stores its members uncompressed; so do we (the features do not compress well).
    const auto add = [&](const std::string& name, zip_source_t* source) {
      if (source == nullptr) {
        return false;
      }
      const zip_int64_t index = zip_file_add(zip, name.c_str(), source, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8);
      if (index < 0) {
        zip_source_free(source);
        return false;
      }
      return zip_set_file_compression(zip, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) == 0;
    };
    bool added = add("features.npy", zip_source_file(zip, features_file_.path().c_str(), 0, -1)) &&
                 add("coords.npy", zip_source_file(zip, coords_file_.path().c_str(), 0, -1));
    for (const auto& [name, content] : metadata_) {
      added = added && add(name + ".npy", zip_source_buffer(zip, content.data(), content.size(), 0));
    }
    if (!added) {
      const std::string reason = zip_strerror(zip);
      zip_discard(zip);
      fail("cannot build the archive: " + reason);
    }
    if (zip_close(zip) != 0) {
      const std::string reason = zip_strerror(zip);
      zip_discard(zip);
      fail("cannot write the archive: " + reason);
    }
    features_file_.discard();
    coords_file_.discard();
    archive_.commit();
  }

  void open_stream(std::ofstream& stream, const PartialFile& file) const {
    stream.open(file.path(), std::ios::binary | std::ios::trunc);
    stream << std::string(npy_header_bytes, ' ');  // the header, written at commit
    if (!stream) {
      fail("cannot create the temporary file " + file.path().filename().string());
    }
  }

  void finish_stream(std::ofstream& stream, const std::string& header) const {
    stream.seekp(0);
    stream << header;
    stream.close();
    if (!stream) {
      fail("cannot finish a temporary .npy file (is the disk full?)");
    }
  }

  void add_string(const std::string& name, const std::string& value) {
    std::size_t characters = 0;
    const std::string payload = utf32_of(value, characters);
    metadata_.emplace_back(name, npy_file("<U" + std::to_string(characters == 0 ? 1 : characters), {},
                                          characters == 0 ? std::string(4, '\0') : payload));
  }

  void add_value(const std::string& name, const std::string& value) { add_string(name, value); }

  void add_value(const std::string& name, std::int64_t value) {
    metadata_.emplace_back(name, npy_file("<i8", {}, bytes_of(&value, 1)));
  }

  void add_value(const std::string& name, double value) {
    metadata_.emplace_back(name, npy_file("<f8", {}, bytes_of(&value, 1)));
  }

  void add_value(const std::string& name, const std::array<std::int64_t, 2>& values) {
    metadata_.emplace_back(name, npy_file("<i8", {2}, bytes_of(values.data(), 2)));
  }

  void add_value(const std::string& name, const std::array<double, 2>& values) {
    metadata_.emplace_back(name, npy_file("<f8", {2}, bytes_of(values.data(), 2)));
  }

  PartialFile archive_;
  PartialFile features_file_;
  PartialFile coords_file_;
  std::ofstream features_;
  std::ofstream coords_;
  // Small .npy files, kept until the archive is written (libzip reads them at zip_close).
  std::vector<std::pair<std::string, std::string>> metadata_;
};

}  // namespace

std::unique_ptr<FeatureWriter> open_npz_writer(const std::filesystem::path& path, const models::ModelSpec& spec,
                                               const CoordinateAttributes& attributes) {
  return std::make_unique<NpzWriter>(path, spec, attributes);
}

}  // namespace bioptimus::inference::detail
