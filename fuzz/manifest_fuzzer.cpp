// libFuzzer target: arbitrary bytes as a cohort manifest (issue 22, class 8).
// The reader must return entries that hold its invariants or throw a
// ConfigError; anything else is a finding. Relative slide paths resolve in
// a folder that does not exist, so only absolute ones reach the disk.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bioptimus/error.hpp"
#include "manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto entries = bioptimus::apps::parse_manifest(text, "fuzz.csv", "/nonexistent-bioptimus-fuzz");
    for (const bioptimus::apps::ManifestEntry& entry : entries) {
      if (!bioptimus::apps::is_valid_slide_id(entry.slide_id) || entry.line < 2 ||
          entry.slide_path.native().find('\0') != std::string::npos) {
        __builtin_trap();
      }
    }
  } catch (const bioptimus::Error&) {
    // The expected way to reject a bad manifest (a ConfigError).
  }
  return 0;
}
