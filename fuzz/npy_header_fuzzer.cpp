// libFuzzer target: arbitrary bytes as a .npy file's header (issue 22,
// class 9). The parser must return a header that lies within the bytes or
// throw a bioptimus::Error; an over-read (ASan), another exception or a
// header that points past the file is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bioptimus/error.hpp"
#include "npy_header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view file(reinterpret_cast<const char*>(data), size);
  try {
    const bioptimus::apps::NpyHeader header = bioptimus::apps::parse_npy_header(file, "fuzz.npy");
    if (header.data_offset > size) {
      __builtin_trap();
    }
    for (const std::int64_t extent : header.shape) {
      if (extent < 0) {
        __builtin_trap();
      }
    }
  } catch (const bioptimus::Error&) {
    // The expected way to reject a bad file.
  }
  return 0;
}
