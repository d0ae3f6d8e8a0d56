// The Hugging Face hub cache, read offline. Its layout and the environment
// variables are huggingface_hub's (src/huggingface_hub/constants.py: HF_HOME,
// HF_HUB_CACHE; file_download.py try_to_load_from_cache: models--ORG--NAME,
// refs/<revision> holding the commit, snapshots/<commit>/<file>).
#include "bioptimus/inference/weights.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

namespace bioptimus::inference {
namespace {

std::optional<std::filesystem::path> environment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    return std::nullopt;
  }
  std::string text = value;
  // os.path.expanduser: a leading ~ is the home folder.
  if (text.starts_with("~")) {
    const char* home = std::getenv("HOME");
    if (home != nullptr && (text.size() == 1 || text[1] == '/')) {
      text = std::string{home} + text.substr(1);
    }
  }
  return std::filesystem::path{text};
}

// "ORG/NAME" with the characters the hub allows in repository ids.
bool is_repository_id(std::string_view id) {
  const std::size_t slash = id.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == id.size() || id.find('/', slash + 1) != id.npos) {
    return false;
  }
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '/';
  });
}

// The hub cache folder and what chose it, for the message when a model is not there.
struct HubCache {
  std::filesystem::path folder;
  std::string origin;
};

HubCache locate_hub_cache() {
  if (auto hub = environment("HF_HUB_CACHE")) {
    return {*hub, "$HF_HUB_CACHE"};
  }
  if (auto legacy = environment("HUGGINGFACE_HUB_CACHE")) {
    return {*legacy, "$HUGGINGFACE_HUB_CACHE"};
  }
  if (auto home = environment("HF_HOME")) {
    return {*home / "hub", "$HF_HOME/hub"};
  }
  if (auto xdg = environment("XDG_CACHE_HOME")) {
    return {*xdg / "huggingface" / "hub", "$XDG_CACHE_HOME/huggingface/hub"};
  }
  const std::optional<std::filesystem::path> home = environment("HOME");
  return {home.value_or(std::filesystem::path{"~"}) / ".cache" / "huggingface" / "hub",
          "~/.cache/huggingface/hub, as none of $HF_HUB_CACHE, $HUGGINGFACE_HUB_CACHE, $HF_HOME or $XDG_CACHE_HOME "
          "is set"};
}

std::filesystem::path find_snapshot_in(std::string_view repository, const std::filesystem::path& cache,
                                       const std::string& origin) {
  const std::string id{repository};
  // Where it looked and why there: huggingface_hub's order, and which of it chose `cache`.
  const std::string how = "; download it with `huggingface-cli download " + id + "`, or pass --weights (the cache is " +
                          (origin.empty() ? cache.string() : cache.string() + ", from " + origin) +
                          "; huggingface_hub's order: $HF_HUB_CACHE, $HUGGINGFACE_HUB_CACHE, $HF_HOME/hub, "
                          "$XDG_CACHE_HOME/huggingface/hub, ~/.cache/huggingface/hub)";
  if (!is_repository_id(repository)) {
    throw BackboneError("weights_source \"" + id +
                        "\" is not a Hugging Face repository (ORG/NAME): download the weights and pass --weights");
  }
  std::string folder_name = "models--" + id;
  folder_name.replace(folder_name.find('/'), 1, "--");
  const std::filesystem::path folder = cache / folder_name;
  std::error_code error;
  if (!std::filesystem::is_directory(folder, error)) {
    throw BackboneError(id + " is not in the Hugging Face cache: no " + folder.string() + how);
  }
  const std::filesystem::path ref = folder / "refs" / "main";
  std::string commit;
  if (std::ifstream stream{ref}; stream) {
    std::getline(stream, commit);
  }
  std::filesystem::path snapshot;
  if (!commit.empty()) {
    snapshot = folder / "snapshots" / commit;
    if (commit.find('/') != std::string::npos || commit == "." || commit == ".." ||
        !std::filesystem::is_directory(snapshot, error)) {
      throw BackboneError(ref.string() + " names commit " + commit + ", which has no folder in " +
                          (folder / "snapshots").string() + how);
    }
    return snapshot;
  }
  // No refs/main (a revision downloaded by its commit): the one snapshot there is.
  std::vector<std::filesystem::path> snapshots;
  for (const auto& entry : std::filesystem::directory_iterator(folder / "snapshots", error)) {
    if (entry.is_directory(error)) {
      snapshots.push_back(entry.path());
    }
  }
  if (snapshots.size() == 1) {
    return snapshots.front();
  }
  throw BackboneError(id + ": " + ref.string() + " is missing and " + (folder / "snapshots").string() + " holds " +
                      std::to_string(snapshots.size()) + " snapshots; pass the one to use with --weights" +
                      (snapshots.empty() ? how : std::string{}));
}

}  // namespace

std::filesystem::path hugging_face_hub_cache() { return locate_hub_cache().folder; }

std::filesystem::path find_snapshot(std::string_view repository, const std::filesystem::path& cache) {
  return find_snapshot_in(repository, cache, {});
}

std::filesystem::path resolve_weights(const models::ModelSpec& spec,
                                      const std::optional<std::filesystem::path>& given) {
  if (given) {
    return *given;
  }
  if (!spec.weights_source()) {
    throw BackboneError(spec.model_name() + " names no weights_source: pass the weights with --weights");
  }
  const HubCache cache = locate_hub_cache();
  return find_snapshot_in(*spec.weights_source(), cache.folder, cache.origin);
}

}  // namespace bioptimus::inference
