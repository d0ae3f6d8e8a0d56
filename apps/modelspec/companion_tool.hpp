// The subcommands whose libraries are heavy run in companion executables, so
// that `modelspec list` loads none of them: `tiles` (OpenSlide, OpenCV, HDF5:
// 90 shared libraries, 20 ms before main) in modelspec-tiles, `extract`
// (LibTorch: a second) in modelspec-extract. Each is the same tool built with
// those libraries; `modelspec` registers the same command line, so --help and
// usage errors need no companion, and hands a parsed command over by
// executing the companion with the same arguments.
#ifndef BIOPTIMUS_APPS_COMPANION_TOOL_HPP
#define BIOPTIMUS_APPS_COMPANION_TOOL_HPP

#include <CLI/CLI.hpp>

#include <functional>
#include <string_view>

#include "bioptimus/models/registry.hpp"

namespace bioptimus::apps {

/// What runs a subcommand once its command line is parsed, given how to load
/// the tool's registry (parsing user configs costs time, so it happens only
/// when needed); returns the exit status.
using RegistryLoader = std::function<models::Registry()>;

/// The registered subcommand and what runs it.
struct Subcommand {
  CLI::App* command;
  std::function<int(const RegistryLoader&)> run;
};

/// Replaces this process with the companion `name`, found beside this
/// executable (the build tree) or at `from_bindir`, its installed place
/// relative to this one's folder, with the same arguments. Returns only when
/// that fails, after saying why: exit status 1.
int exec_companion_tool(std::string_view name, std::string_view from_bindir, char** argv);

}  // namespace bioptimus::apps

#endif  // BIOPTIMUS_APPS_COMPANION_TOOL_HPP
