// The dispatch protocol's JSON, shared by the server and the client: the
// SDK's request (`image_data`, `slide_name`, `x`, `y`, `width`, `height`,
// `patch_idx`, `model_name`, `mode`, `tissue_ratio`, `resolution`, `bulk_rna`)
// and its `ModelResponse` (`output` and the tile's fields echoed).
#ifndef BIOPTIMUS_SRC_REMOTE_PROTOCOL_HPP
#define BIOPTIMUS_SRC_REMOTE_PROTOCOL_HPP

#include <array>
#include <span>
#include <string>
#include <string_view>

namespace bioptimus::remote::detail {

inline constexpr std::string_view invocations_path = "/invocations";

/// The ModelResponse fields echoed from the request, in the SDK's order (after `output`).
inline constexpr std::array<std::string_view, 8> echoed_fields{
    "slide_name", "x", "y", "width", "height", "tissue_ratio", "patch_idx", "resolution"};

/// Appends `values` as a JSON array of numbers, each in the shortest form
/// that reads back as the same float (non-finite values as null).
void append_float_array(std::string& out, std::span<const float> values);

/// `{"message": message}`.
[[nodiscard]] std::string error_body(std::string_view message);

/// `text` as a JSON string (invalid UTF-8 replaced, control characters escaped).
[[nodiscard]] std::string json_string(std::string_view text);

}  // namespace bioptimus::remote::detail

#endif  // BIOPTIMUS_SRC_REMOTE_PROTOCOL_HPP
