// libFuzzer target: arbitrary bytes as a safetensors file. The reader must
// either return a file whose every tensor lies inside the bytes with exactly
// the size its dtype and shape give, or throw a SafetensorsError; any other
// exception, a crash, a sanitizer report, a timeout or an out-of-memory is a
// finding.
#include <cstddef>
#include <cstdint>
#include <span>

#include "bioptimus/engine/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes{reinterpret_cast<const std::byte*>(data), size};
  try {
    const bioptimus::engine::SafetensorsFile file =
        bioptimus::engine::SafetensorsFile::parse(bytes, "fuzz.safetensors");
    for (const bioptimus::engine::TensorEntry& entry : file.tensors()) {
      const std::byte* begin = entry.bytes.data();
      if (entry.bytes.size() != 0 && (begin < bytes.data() || begin + entry.bytes.size() > bytes.data() + size)) {
        __builtin_trap();  // an accepted tensor outside the file
      }
      if (entry.bytes.size() != static_cast<std::size_t>(entry.elements()) * bioptimus::engine::size_of(entry.dtype)) {
        __builtin_trap();  // an accepted tensor of the wrong size
      }
      if (file.find(entry.name) != &entry) {
        __builtin_trap();  // names are unique
      }
    }
  } catch (const bioptimus::engine::SafetensorsError&) {
    // The expected way to reject a bad file.
  }
  return 0;
}
