// Rendering of specs for the modelspec tool: the JSON form of DESIGN
// section 8, a readable text form, and the `list` table.
#ifndef BIOPTIMUS_APPS_RENDER_HPP
#define BIOPTIMUS_APPS_RENDER_HPP

#include <nlohmann/json.hpp>

#include <span>
#include <string>

#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/pipeline/cohort.hpp"

namespace bioptimus::apps {

/// Every YAML key with its value (defaults filled in) plus a `derived` object.
[[nodiscard]] nlohmann::ordered_json to_json(const models::ModelSpec& spec);

/// A multi-line description for people.
[[nodiscard]] std::string to_text(const models::ModelSpec& spec);

/// One row per spec: name, version, architecture, tile, embedding, output,
/// licence, weights. `markdown` gives a Markdown table for the docs.
[[nodiscard]] std::string to_table(std::span<const models::ModelSpec> specs, bool markdown);

/// A checked manifest as an array of {slide_id, slide_path, mpp_override
/// (null when none), line}: what the Snakemake workflow reads.
[[nodiscard]] nlohmann::ordered_json manifest_to_json(std::span<const pipeline::CohortSlide> entries);

}  // namespace bioptimus::apps

#endif  // BIOPTIMUS_APPS_RENDER_HPP
