// libFuzzer target: the round-trip property of every accepted config. What
// parse_spec accepts must be written by to_yaml as text that parses back to
// an equal spec, and rendered by the tool's to_json (and text forms) without
// an exception. Arbitrary bytes that are not a config are simply rejected.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bioptimus/error.hpp"
#include "bioptimus/models/registry.hpp"
#include "render.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<bioptimus::models::ModelSpec> accepted;
  try {
    accepted.push_back(bioptimus::models::parse_spec(text, "fuzz.yaml"));
  } catch (const bioptimus::Error&) {
    return 0;  // not a config: the other target covers rejection
  }
  const bioptimus::models::ModelSpec& spec = accepted.front();
  const std::string yaml = bioptimus::models::to_yaml(spec);
  try {
    if (bioptimus::models::parse_spec(yaml, "fuzz-roundtrip.yaml") != spec) {
      __builtin_trap();  // read back, but not equal
    }
  } catch (const bioptimus::Error&) {
    __builtin_trap();  // to_yaml wrote text that does not load
  }
  // Any exception escaping here (nlohmann's invalid UTF-8, fmt) is a finding.
  static_cast<void>(bioptimus::apps::to_json(spec).dump(2));
  static_cast<void>(bioptimus::apps::to_text(spec));
  static_cast<void>(bioptimus::apps::to_table(accepted, true));
  return 0;
}
