// JSON documents for the engine's inputs (internal): the safetensors header
// and config.json. nlohmann_json parses; this adds what its parser does not
// check: a depth limit (no deep nesting reaches the recursive parts of the
// library) and no key twice in one object (the last one would silently win).
#ifndef BIOPTIMUS_SRC_ENGINE_JSON_DOCUMENT_HPP
#define BIOPTIMUS_SRC_ENGINE_JSON_DOCUMENT_HPP

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace bioptimus::engine::detail {

/// Why a document was refused: its text, without the file name.
struct JsonProblem {
  std::string message;
};

/// Parses `text` as one JSON value with at most `max_depth` nested
/// arrays/objects and no repeated key in any object. On failure returns a
/// discarded value and sets `problem` ("byte 17: syntax error ...",
/// "key \"a.b\" appears twice").
[[nodiscard]] nlohmann::json parse_json(std::string_view text, std::size_t max_depth, JsonProblem& problem);

/// A short rendering of `value` for messages: its JSON text, cut at ~60 characters.
[[nodiscard]] std::string json_excerpt(const nlohmann::json& value);

/// "a number", "a string", "an object", ... for messages.
[[nodiscard]] std::string_view json_kind(const nlohmann::json& value) noexcept;

}  // namespace bioptimus::engine::detail

#endif  // BIOPTIMUS_SRC_ENGINE_JSON_DOCUMENT_HPP
