// Base64 (RFC 4648, standard alphabet, with padding) for PNG tiles in JSON,
// as Python's base64.b64encode writes them.
#ifndef BIOPTIMUS_SRC_REMOTE_BASE64_HPP
#define BIOPTIMUS_SRC_REMOTE_BASE64_HPP

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bioptimus::remote::detail {

/// Appends the encoding of `bytes` to `out`.
void base64_encode(std::span<const std::uint8_t> bytes, std::string& out);

/// Decodes `text` into `out` (replaced). Padding may be left out; any other
/// character outside the alphabet, or a length no encoder writes, is an error.
/// Returns an empty string on success, else what is wrong and where.
[[nodiscard]] std::string base64_decode(std::string_view text, std::vector<std::uint8_t>& out);

}  // namespace bioptimus::remote::detail

#endif  // BIOPTIMUS_SRC_REMOTE_BASE64_HPP
