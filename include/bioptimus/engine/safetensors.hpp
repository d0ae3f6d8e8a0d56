// bioptimus/engine/safetensors.hpp
//
// The safetensors format (what Hugging Face repositories publish as
// model.safetensors): an 8-byte little-endian header length, a JSON header
// mapping each tensor name to its dtype, shape and [begin, end) byte offsets
// into the data, then the raw little-endian data. The file is mapped, not
// read; every offset and size is checked before anything is touched, with the
// rules of the reference reader (huggingface/safetensors
// safetensors/src/tensor.rs @000a16f: a header of at most 100 MB, tensors
// that tile the data from 0 to its end in offset order, each exactly as long
// as its shape and dtype say), so a malformed file is a SafetensorsError
// naming the file and the tensor, never a crash.
//
//   const SafetensorsFile file = SafetensorsFile::open("model.safetensors");
//   const TensorEntry* pos = file.find("pos_embed");     // dtype, shape, bytes
//
// Standard library only.
#ifndef BIOPTIMUS_ENGINE_SAFETENSORS_HPP
#define BIOPTIMUS_ENGINE_SAFETENSORS_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bioptimus/error.hpp"

namespace bioptimus::engine {

/// Thrown for a file that is not valid safetensors (or cannot be read). The
/// message names the file, and the tensor or the header byte at fault.
class BIOPTIMUS_VISIBLE_TYPE SafetensorsError : public Error {
 public:
  using Error::Error;
};

/// The element types of the format (its spellings: "F32", "BF16", ...).
enum class Dtype : std::uint8_t {
  boolean,
  u8,
  i8,
  f8_e5m2,
  f8_e4m3,
  i16,
  u16,
  f16,
  bf16,
  i32,
  u32,
  f32,
  f64,
  i64,
  u64
};

/// The format's spelling: "BOOL", "U8", ..., "F32".
[[nodiscard]] constexpr std::string_view to_string(Dtype dtype) noexcept {
  switch (dtype) {
    case Dtype::boolean:
      return "BOOL";
    case Dtype::u8:
      return "U8";
    case Dtype::i8:
      return "I8";
    case Dtype::f8_e5m2:
      return "F8_E5M2";
    case Dtype::f8_e4m3:
      return "F8_E4M3";
    case Dtype::i16:
      return "I16";
    case Dtype::u16:
      return "U16";
    case Dtype::f16:
      return "F16";
    case Dtype::bf16:
      return "BF16";
    case Dtype::i32:
      return "I32";
    case Dtype::u32:
      return "U32";
    case Dtype::f32:
      return "F32";
    case Dtype::f64:
      return "F64";
    case Dtype::i64:
      return "I64";
    case Dtype::u64:
      return "U64";
  }
  return "unknown";
}

/// Every Dtype, in the format's order (increasing alignment).
inline constexpr std::array all_dtypes{Dtype::boolean, Dtype::u8,  Dtype::i8,  Dtype::f8_e5m2, Dtype::f8_e4m3,
                                       Dtype::i16,     Dtype::u16, Dtype::f16, Dtype::bf16,    Dtype::i32,
                                       Dtype::u32,     Dtype::f32, Dtype::f64, Dtype::i64,     Dtype::u64};

/// Bytes per element.
[[nodiscard]] constexpr std::size_t size_of(Dtype dtype) noexcept {
  switch (dtype) {
    case Dtype::boolean:
    case Dtype::u8:
    case Dtype::i8:
    case Dtype::f8_e5m2:
    case Dtype::f8_e4m3:
      return 1;
    case Dtype::i16:
    case Dtype::u16:
    case Dtype::f16:
    case Dtype::bf16:
      return 2;
    case Dtype::i32:
    case Dtype::u32:
    case Dtype::f32:
      return 4;
    case Dtype::f64:
    case Dtype::i64:
    case Dtype::u64:
      return 8;
  }
  return 1;
}

/// One tensor of the file: its name, dtype, shape and bytes (inside the
/// mapping of the file it came from; valid while that file lives).
struct TensorEntry {
  std::string name;
  Dtype dtype = Dtype::f32;
  std::vector<std::int64_t> shape;
  /// Offset of its first byte from the start of the file.
  std::uint64_t file_offset = 0;
  std::span<const std::byte> bytes;

  /// The number of elements (the product of the shape; 1 for a scalar).
  [[nodiscard]] std::int64_t elements() const noexcept {
    std::int64_t count = 1;
    for (const std::int64_t extent : shape) {
      count *= extent;
    }
    return count;
  }
};

/// A checked safetensors file, mapped read-only. Movable, not copyable.
class BIOPTIMUS_VISIBLE_TYPE SafetensorsFile {
 public:
  /// Most bytes the JSON header may have (the reference reader's MAX_HEADER_SIZE).
  static constexpr std::uint64_t max_header_bytes = 100'000'000;

  /// Maps and checks `path`: a regular file (a FIFO or a device is refused
  /// without blocking) of at most `max_file_bytes`.
  /// @throws SafetensorsError naming the file and what is wrong.
  [[nodiscard]] static SafetensorsFile open(const std::filesystem::path& path,
                                            std::uint64_t max_file_bytes = std::uint64_t{1} << 40);

  /// Checks `bytes`, a whole file already in memory (kept by the caller while
  /// the result lives); `source` names it in messages.
  /// @throws SafetensorsError naming `source` and what is wrong.
  [[nodiscard]] static SafetensorsFile parse(std::span<const std::byte> bytes, std::string_view source);

  SafetensorsFile(SafetensorsFile&&) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept;
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;
  ~SafetensorsFile();

  /// The file name (or the `source` given to parse()).
  [[nodiscard]] const std::string& source() const noexcept;
  /// Every tensor, in the order of their data in the file.
  [[nodiscard]] std::span<const TensorEntry> tensors() const noexcept;
  /// The tensor called `name`, or nullptr.
  [[nodiscard]] const TensorEntry* find(std::string_view name) const noexcept;
  /// The header's "__metadata__" (string to string), empty when it has none.
  [[nodiscard]] const std::map<std::string, std::string, std::less<>>& metadata() const noexcept;

  /// Tells the system the bytes of `entry` are no longer needed, so that the
  /// pages read so far leave this process's memory (they stay in the page
  /// cache). The entry's bytes may still be read afterwards (from the file
  /// again). Does nothing for a parse()d buffer.
  void release(const TensorEntry& entry) const noexcept;

 private:
  struct State;
  explicit SafetensorsFile(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

}  // namespace bioptimus::engine

#endif  // BIOPTIMUS_ENGINE_SAFETENSORS_HPP
