// libFuzzer target: arbitrary bytes as a cohort manifest (issue 22, class 8),
// read by the library's Cohort::parse. It must return slides that hold its
// invariants or throw a ConfigError; anything else is a finding. Relative
// slide paths resolve in a folder that does not exist, so only absolute ones
// reach the disk.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bioptimus/error.hpp"
#include "bioptimus/pipeline/cohort.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const bioptimus::pipeline::Cohort cohort =
        bioptimus::pipeline::Cohort::parse(text, "fuzz.csv", "/nonexistent-bioptimus-fuzz");
    for (const bioptimus::pipeline::CohortSlide& slide : cohort) {
      if (!bioptimus::pipeline::is_valid_slide_id(slide.slide_id) || slide.line < 2 ||
          slide.slide_path.native().find('\0') != std::string::npos) {
        __builtin_trap();
      }
    }
  } catch (const bioptimus::Error&) {
    // The expected way to reject a bad manifest (a ConfigError).
  }
  return 0;
}
