// The NPZ writer: rows stream into two nameless .npy files beside the target
// (their headers rewritten with the final row count at close), which libzip
// then stores, with the thumbnail, the mask and the attributes as small
// arrays, in the archive numpy.load reads.
#include <unistd.h>
#include <zip.h>

#include <bit>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "format_writers.hpp"
#include "partial_output.hpp"

namespace bioptimus::writers::detail {
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

template <typename T>
std::span<const std::byte> raw(std::span<const T> values) {
  return std::as_bytes(values);
}

// numpy's unicode arrays hold UTF-32LE code points: decode the UTF-8 text
// (WriterBase lets only valid UTF-8 through).
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

// An attribute as a small .npy file: a 0-d array for a number or a string, a
// 1-d array for a list of numbers.
std::string npy_of(const MetadataValue& value) {
  return std::visit(
      [](const auto& held) {
        using Held = std::decay_t<decltype(held)>;
        if constexpr (std::is_same_v<Held, std::int64_t>) {
          return npy_file("<i8", {}, bytes_of(&held, 1));
        } else if constexpr (std::is_same_v<Held, double>) {
          return npy_file("<f8", {}, bytes_of(&held, 1));
        } else if constexpr (std::is_same_v<Held, std::string>) {
          std::size_t characters = 0;
          const std::string payload = utf32_of(held, characters);
          return npy_file("<U" + std::to_string(characters == 0 ? 1 : characters), {},
                          characters == 0 ? std::string(4, '\0') : payload);
        } else {
          const char* descr = std::is_same_v<Held, std::vector<double>> ? "<f8" : "<i8";
          return npy_file(descr, {static_cast<std::int64_t>(held.size())}, bytes_of(held.data(), held.size()));
        }
      },
      value);
}

class NpzWriter final : public WriterBase {
 public:
  explicit NpzWriter(WriterSetup setup)
      : WriterBase(std::move(setup)),
        archive_(path(), PartialOutput::Kind::file),
        features_(create_anonymous_file(path().parent_path(), path())),
        coords_(create_anonymous_file(path().parent_path(), path())) {
    // The headers are written at close(), once the row count is known.
    const std::string placeholder(npy_header_bytes, ' ');
    for (const FileDescriptor* stream : {&features_, &coords_}) {
      if (!write_all(stream->get(), std::as_bytes(std::span{placeholder}))) {
        fail_with("cannot write a scratch file", errno);
      }
    }
  }

 private:
  void append(std::span<const float> features, std::span<const Coordinate> coordinates) override {
    static_assert(sizeof(Coordinate) == 2 * sizeof(std::int64_t));
    if (!write_all(features_.get(), raw(features)) || !write_all(coords_.get(), raw(coordinates))) {
      fail_with("cannot write " + std::to_string(coordinates.size()) + " rows", errno);
    }
  }

  void finish() override {
    std::vector<std::int64_t> feature_shape{rows()};
    feature_shape.insert(feature_shape.end(), row_shape().begin(), row_shape().end());
    finish_stream(features_, npy_header("<f4", feature_shape, npy_header_bytes));
    finish_stream(coords_, npy_header("<i8", {rows(), 2}, npy_header_bytes));

    // Every attribute once: `name` is on both features and coords elsewhere.
    std::vector<std::pair<std::string, std::string>> members;
    const auto add_member = [&members](const std::string& name, const MetadataValue& value) {
      for (const auto& member : members) {
        if (member.first == name) {
          return;
        }
      }
      members.emplace_back(name, npy_of(value));
    };
    for (const auto& list : {features_attributes(setup()), coords_attributes(setup()), metadata()}) {
      for (const Attribute& attribute : list) {
        add_member(attribute.name, attribute.value);
      }
    }
    std::vector<std::pair<std::string, std::string>> images;
    for (const auto& [name, image] : {std::pair{thumbnail_array, &thumbnail()}, {tissue_mask_array, &tissue_mask()}}) {
      if (*image) {
        const std::vector<std::uint8_t>& pixels = (*image)->pixels;
        images.emplace_back(name, npy_file("|u1", (*image)->shape, bytes_of(pixels.data(), pixels.size())));
        for (const Attribute& attribute : (*image)->attributes) {
          add_member(std::string{name} + "_" + attribute.name, attribute.value);
        }
      }
    }

    int error = 0;
    zip_t* zip = zip_open(archive_.path().c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
    if (zip == nullptr) {
      fail("cannot create the temporary archive " + archive_.path().filename().string());
    }
    const auto add = [&](const std::string& name, zip_source_t* source, zip_int32_t method) {
      if (source == nullptr) {
        return false;
      }
      const zip_int64_t index = zip_file_add(zip, (name + ".npy").c_str(), source, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8);
      if (index < 0) {
        zip_source_free(source);
        return false;
      }
      return zip_set_file_compression(zip, static_cast<zip_uint64_t>(index), method, 0) == 0;
    };
    // numpy.savez stores its members uncompressed, so do we for the rows (the
    // features do not compress well); the pictures deflate several times.
    bool added = add(features_array, stream_source(zip, features_), ZIP_CM_STORE) &&
                 add(coords_array, stream_source(zip, coords_), ZIP_CM_STORE);
    for (const auto& [name, content] : images) {
      added = added && add(name, zip_source_buffer(zip, content.data(), content.size(), 0), ZIP_CM_DEFLATE);
    }
    for (const auto& [name, content] : members) {
      added = added && add(name, zip_source_buffer(zip, content.data(), content.size(), 0), ZIP_CM_STORE);
    }
    if (!added) {
      const std::string reason = zip_strerror(zip);
      zip_discard(zip);
      fail("cannot build the archive: " + reason);
    }
    // libzip reads the sources (`images`, `members`, the streams) here.
    if (zip_close(zip) != 0) {
      const std::string reason = zip_strerror(zip);
      zip_discard(zip);
      fail("cannot write the archive: " + reason);
    }
    archive_.publish();
  }

  // The whole stream for libzip, which closes the FILE it is given.
  zip_source_t* stream_source(zip_t* zip, const FileDescriptor& stream) const {
    // libzip reads from where the FILE stands: the start, not where the rows ended.
    const int copy = ::dup(stream.get());
    std::FILE* file = copy < 0 || ::lseek(copy, 0, SEEK_SET) != 0 ? nullptr : ::fdopen(copy, "rb");
    if (file == nullptr) {
      if (copy >= 0) {
        ::close(copy);
      }
      return nullptr;
    }
    zip_source_t* source = zip_source_filep(zip, file, 0, -1);
    if (source == nullptr) {
      std::fclose(file);
    }
    return source;
  }

  void finish_stream(const FileDescriptor& stream, const std::string& header) const {
    if (!write_all_at(stream.get(), std::as_bytes(std::span{header}), 0)) {
      fail_with("cannot finish a scratch .npy file", errno);
    }
  }

  [[noreturn]] void fail_with(const std::string& what, int error) const {
    fail(what + ": " + std::system_category().message(error));
  }

  PartialOutput archive_;
  FileDescriptor features_;
  FileDescriptor coords_;
};

}  // namespace

std::unique_ptr<PredictionWriter> open_npz_writer(WriterSetup setup) {
  return std::make_unique<NpzWriter>(std::move(setup));
}

}  // namespace bioptimus::writers::detail
