// `modelspec extract`: tile embeddings of slides, one feature file per slide
// (HDF5 in TRIDENT's layout, or NPZ).
#ifndef BIOPTIMUS_APPS_EXTRACT_HPP
#define BIOPTIMUS_APPS_EXTRACT_HPP

#include <CLI/CLI.hpp>

#include "tiles.hpp"

namespace bioptimus::apps {

/// Adds `extract` to `app`.
Subcommand add_extract_command(CLI::App& app);

}  // namespace bioptimus::apps

#endif  // BIOPTIMUS_APPS_EXTRACT_HPP
