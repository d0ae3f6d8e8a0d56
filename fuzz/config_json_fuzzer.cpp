// libFuzzer target: arbitrary bytes as a model's config.json, read both as
// timm's (the first line, when there is one, as the create_model arguments)
// and as transformers'. Reading must either give a VitArchitecture that
// satisfies its own rules or throw an ArchitectureError; anything else is a
// finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bioptimus/engine/architecture.hpp"

namespace {

void check(const bioptimus::engine::VitArchitecture& arch) {
  // An accepted architecture rebuilt from its fields is accepted again.
  const bioptimus::engine::VitArchitecture again{arch.fields()};
  if (again.pos_embed_length() != arch.pos_embed_length() || arch.embed_dim() % arch.num_heads() != 0) {
    __builtin_trap();
  }
  static_cast<void>(arch.describe());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = text.find('\n');
  const std::string_view arguments = newline == std::string_view::npos ? std::string_view{} : text.substr(0, newline);
  const std::string_view config = newline == std::string_view::npos ? text : text.substr(newline + 1);
  try {
    check(bioptimus::engine::VitArchitecture::from_timm_config(config, "fuzz/config.json", arguments));
  } catch (const bioptimus::engine::ArchitectureError&) {
    // The expected way to reject a bad config.
  }
  try {
    check(bioptimus::engine::VitArchitecture::from_transformers_config(text, "fuzz/config.json"));
  } catch (const bioptimus::engine::ArchitectureError&) {
  }
  return 0;
}
