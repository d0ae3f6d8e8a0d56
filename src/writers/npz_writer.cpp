// The NPZ writer: rows stream into two temporary .npy files beside the
// target (their headers rewritten with the final row count at close), which
// libzip then stores, with the thumbnail, the mask and the attributes as
// small arrays, in the archive numpy.load reads, written straight into the
// archive's OutputFile.
#include <unistd.h>
#include <zip.h>

#include <bit>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "format_writers.hpp"
#include "output_file.hpp"

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

// libzip writes the archive straight into the OutputFile's descriptor (its
// own file sources would write a temporary of their own beside it and rename
// it over ours, unlocked and never synced). A read/write source as
// zip_source_function(3) describes it, for a new archive. (From issue #22's
// branch, as written there, so that both land as one.)
class DescriptorArchive {
 public:
  explicit DescriptorArchive(int descriptor) noexcept : descriptor_(descriptor) { zip_error_init(&error_); }
  DescriptorArchive(const DescriptorArchive&) = delete;
  DescriptorArchive& operator=(const DescriptorArchive&) = delete;
  ~DescriptorArchive() { zip_error_fini(&error_); }

  static zip_int64_t callback(void* self, void* data, zip_uint64_t length, zip_source_cmd_t command) {
    return static_cast<DescriptorArchive*>(self)->handle(data, length, command);
  }

 private:
  zip_int64_t handle(void* data, zip_uint64_t length, zip_source_cmd_t command) {
    switch (command) {
      case ZIP_SOURCE_SUPPORTS:
        return ZIP_SOURCE_SUPPORTS_WRITABLE;
      case ZIP_SOURCE_STAT: {
        auto* status = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, length, &error_);
        if (status == nullptr) {
          return -1;
        }
        if (!written_) {  // a new archive: there is nothing to read yet
          zip_error_set(&error_, ZIP_ER_READ, ENOENT);
          return -1;
        }
        zip_stat_init(status);
        status->size = size_;
        status->valid |= ZIP_STAT_SIZE;
        return sizeof(zip_stat_t);
      }
      case ZIP_SOURCE_OPEN:
        read_position_ = 0;
        return 0;
      case ZIP_SOURCE_READ: {
        const zip_uint64_t count = std::min<zip_uint64_t>(length, size_ - std::min(size_, read_position_));
        if (!transfer(false, data, count, read_position_)) {
          return -1;
        }
        read_position_ += count;
        return static_cast<zip_int64_t>(count);
      }
      case ZIP_SOURCE_CLOSE:
      case ZIP_SOURCE_FREE:          // the writer owns this object
      case ZIP_SOURCE_REMOVE:        // the OutputFile removes what is not committed
      case ZIP_SOURCE_COMMIT_WRITE:  // made durable by OutputFile::commit
        return 0;
      case ZIP_SOURCE_SEEK:
        return seek(read_position_, data, length);
      case ZIP_SOURCE_TELL:
        return static_cast<zip_int64_t>(read_position_);
      case ZIP_SOURCE_BEGIN_WRITE:
      case ZIP_SOURCE_ROLLBACK_WRITE:
        if (::ftruncate(descriptor_, 0) != 0) {
          zip_error_set(&error_, ZIP_ER_WRITE, errno);
          return -1;
        }
        size_ = 0;
        write_position_ = 0;
        written_ = command == ZIP_SOURCE_BEGIN_WRITE;
        return 0;
      case ZIP_SOURCE_WRITE: {
        if (!transfer(true, data, length, write_position_)) {
          return -1;
        }
        write_position_ += length;
        size_ = std::max(size_, write_position_);
        return static_cast<zip_int64_t>(length);
      }
      case ZIP_SOURCE_SEEK_WRITE:
        return seek(write_position_, data, length);
      case ZIP_SOURCE_TELL_WRITE:
        return static_cast<zip_int64_t>(write_position_);
      case ZIP_SOURCE_ERROR:
        return zip_error_to_data(&error_, data, length);
      default:
        zip_error_set(&error_, ZIP_ER_OPNOTSUPP, 0);
        return -1;
    }
  }

  // Writes or reads `count` bytes at `offset`, whole; false with the error set.
  bool transfer(bool writing, void* data, zip_uint64_t count, zip_uint64_t offset) {
    auto* bytes = static_cast<char*>(data);
    zip_uint64_t done = 0;
    while (done < count) {
      const auto chunk = static_cast<std::size_t>(count - done);
      const auto at = static_cast<::off_t>(offset + done);
      const ::ssize_t moved =
          writing ? ::pwrite(descriptor_, bytes + done, chunk, at) : ::pread(descriptor_, bytes + done, chunk, at);
      if (moved < 0 && errno == EINTR) {
        continue;
      }
      if (moved <= 0) {
        zip_error_set(&error_, writing ? ZIP_ER_WRITE : ZIP_ER_READ, moved < 0 ? errno : EIO);
        return false;
      }
      done += static_cast<zip_uint64_t>(moved);
    }
    return true;
  }

  zip_int64_t seek(zip_uint64_t& position, void* data, zip_uint64_t length) {
    const zip_int64_t moved = zip_source_seek_compute_offset(position, size_, data, length, &error_);
    if (moved < 0) {
      return -1;
    }
    position = static_cast<zip_uint64_t>(moved);
    return 0;
  }

  int descriptor_;
  zip_error_t error_{};
  zip_uint64_t size_ = 0;
  zip_uint64_t read_position_ = 0;
  zip_uint64_t write_position_ = 0;
  bool written_ = false;
};

class NpzWriter final : public WriterBase {
 public:
  explicit NpzWriter(WriterSetup setup)
      : WriterBase(std::move(setup)),
        archive_(path()),
        features_(path(), ".features.npy"),
        coords_(path(), ".coords.npy"),
        archive_source_(archive_.descriptor()) {
    // The headers are written at close(), once the row count is known.
    features_.write(std::string(npy_header_bytes, ' '));
    coords_.write(std::string(npy_header_bytes, ' '));
  }

 private:
  void append(std::span<const float> features, std::span<const Coordinate> coordinates) override {
    static_assert(sizeof(Coordinate) == 2 * sizeof(std::int64_t));
    features_.write(std::as_bytes(features));
    coords_.write(std::as_bytes(coordinates));
  }

  void finish() override {
    std::vector<std::int64_t> feature_shape{rows()};
    feature_shape.insert(feature_shape.end(), row_shape().begin(), row_shape().end());
    features_.write_at(0, npy_header("<f4", feature_shape, npy_header_bytes));
    coords_.write_at(0, npy_header("<i8", {rows(), 2}, npy_header_bytes));

    // Every attribute once: `name` is on both features and coords elsewhere.
    std::vector<std::pair<std::string, std::string>> members;
    const auto add_member = [&members](const std::string& name, const MetadataValue& value) {
      if (std::none_of(members.begin(), members.end(), [&](const auto& member) { return member.first == name; })) {
        members.emplace_back(name, npy_of(value));
      }
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

    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_function_create(&DescriptorArchive::callback, &archive_source_, &error);
    zip_t* zip = source == nullptr ? nullptr : zip_open_from_source(source, ZIP_CREATE | ZIP_TRUNCATE, &error);
    if (zip == nullptr) {
      const std::string reason = zip_error_strerror(&error);
      zip_source_free(source);
      zip_error_fini(&error);
      fail("cannot create the archive: " + reason);
    }
    zip_error_fini(&error);
    const auto add = [&](const std::string& name, zip_source_t* member, zip_int32_t method) {
      if (member == nullptr) {
        return false;
      }
      const zip_int64_t index = zip_file_add(zip, (name + ".npy").c_str(), member, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8);
      if (index < 0) {
        zip_source_free(member);
        return false;
      }
      return zip_set_file_compression(zip, static_cast<zip_uint64_t>(index), method, 0) == 0;
    };
    // numpy.savez stores its members uncompressed, so do we for the rows (the
    // features do not compress well); the pictures deflate several times.
    // The .npy temporaries are read through /proc/self/fd: always these files.
    bool added = add(features_array, zip_source_file(zip, features_.reopen_path().c_str(), 0, -1), ZIP_CM_STORE) &&
                 add(coords_array, zip_source_file(zip, coords_.reopen_path().c_str(), 0, -1), ZIP_CM_STORE);
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
    // libzip reads the sources (`images`, `members`, the .npy files) here.
    if (zip_close(zip) != 0) {
      const std::string reason = zip_strerror(zip);
      zip_discard(zip);
      fail("cannot write the archive: " + reason);
    }
    features_.discard();
    coords_.discard();
    archive_.commit();
  }

  bioptimus::detail::OutputFile archive_;
  bioptimus::detail::OutputFile features_;
  bioptimus::detail::OutputFile coords_;
  DescriptorArchive archive_source_;
};

}  // namespace

std::unique_ptr<PredictionWriter> open_npz_writer(WriterSetup setup) {
  return std::make_unique<NpzWriter>(std::move(setup));
}

}  // namespace bioptimus::writers::detail
