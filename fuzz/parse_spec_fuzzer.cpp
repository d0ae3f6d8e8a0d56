// libFuzzer target: arbitrary bytes as a YAML config. The loader must either
// return a ModelSpec or throw a bioptimus::Error (a ConfigError in practice);
// any other exception, a crash, a sanitizer report, a timeout or an
// out-of-memory is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bioptimus/error.hpp"
#include "bioptimus/models/registry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const bioptimus::models::ModelSpec spec = bioptimus::models::parse_spec(text, "fuzz.yaml");
    // Touch the derived values too: they must be computable for every
    // accepted spec, and the canonical form must read back as the same spec.
    static_cast<void>(spec.output_shape());
    static_cast<void>(spec.input_shape());
    static_cast<void>(spec.tile_size_microns());
    static_cast<void>(spec.overlap_pixels());
    if (bioptimus::models::parse_spec(bioptimus::models::to_yaml(spec), "fuzz-roundtrip.yaml") != spec) {
      __builtin_trap();  // to_yaml() of an accepted spec must parse back to an equal spec
    }
  } catch (const bioptimus::Error&) {
    // The expected way to reject a bad config.
  }
  return 0;
}
