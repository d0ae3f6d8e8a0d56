// Numeric command-line options, read as a user writes numbers: decimal only.
// CLI11 reads integers with base 0 (`0x10` is 16, `010` is 8) and floating
// point with strtold (`0x1p3`, `inf`, `nan`, leading spaces); its Range and
// PositiveNumber checks print their bounds with std::to_string (a 309-digit
// number for DBL_MAX). These transforms read the text with std::from_chars
// (decimal, nothing before or after), check it against the option's range,
// say in one sentence what was given and what is valid, and hand CLI11 an
// exact spelling of the value for its own conversion.
#ifndef BIOPTIMUS_APPS_NUMBER_OPTIONS_HPP
#define BIOPTIMUS_APPS_NUMBER_OPTIONS_HPP

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace bioptimus::apps {

/// A decimal number in [min, max] (finite). Its message: "--option:
/// expected EXPECTED in [min, max]EXAMPLE, got "text"".
[[nodiscard]] CLI::Validator decimal_number(double min, double max, std::string expected = "a decimal number",
                                            std::string example = "");

/// A whole decimal number in [min, max]: "--option: expected a whole
/// decimal number in [min, max], got "text"".
[[nodiscard]] CLI::Validator whole_number(std::int64_t min, std::int64_t max);

}  // namespace bioptimus::apps

#endif  // BIOPTIMUS_APPS_NUMBER_OPTIONS_HPP
