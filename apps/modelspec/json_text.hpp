// JSON text for what the tool prints and appends (the manifest command, the
// --summary lines), lossless for file names that are not UTF-8: a byte that
// is not part of valid UTF-8 is written as the escape \udcXX, the lone
// surrogate PEP 383 ("surrogateescape") maps it to. Python's
// json.dumps(os.fsdecode(name)) writes the same text, and
// os.fsencode(json.loads(text)) gives the exact bytes back, which is how the
// Snakemake workflow passes a slide path on. Everything else is escaped to
// ASCII (\uXXXX), so the text is ASCII whatever the names.
#ifndef BIOPTIMUS_APPS_JSON_TEXT_HPP
#define BIOPTIMUS_APPS_JSON_TEXT_HPP

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace bioptimus::apps {

/// `value` as JSON text: on one line, or indented by `indent` spaces per
/// level as nlohmann's dump(indent) lays it out.
[[nodiscard]] std::string json_text(const nlohmann::ordered_json& value, int indent = -1);

/// `text` as a quoted JSON string (see the file comment).
[[nodiscard]] std::string json_string(std::string_view text);

}  // namespace bioptimus::apps

#endif  // BIOPTIMUS_APPS_JSON_TEXT_HPP
