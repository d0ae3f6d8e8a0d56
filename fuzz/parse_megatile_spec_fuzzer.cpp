// libFuzzer target: arbitrary bytes as a mega-tile spec file. The decoder
// must either return a MegaTileSpec or throw a bioptimus::Error (a
// ConfigError in practice); anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bioptimus/error.hpp"
#include "bioptimus/models/megatile_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const bioptimus::extraction::wsi::MegaTileSpec spec = bioptimus::models::parse_megatile_spec(text, "fuzz.yaml");
    // Every accepted spec has a block of tiles, and with no upper bound a
    // full block is always kept (min <= 1).
    const bool full_block_refused = !spec.max_valid_tiles_ratio() && !spec.keeps(spec.num_tiles());
    if (spec.num_tiles() < 1 || full_block_refused) {
      __builtin_trap();
    }
  } catch (const bioptimus::Error&) {
    // The expected way to reject a bad file.
  }
  return 0;
}
