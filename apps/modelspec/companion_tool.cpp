#include "companion_tool.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "bioptimus/detail/text.hpp"

namespace bioptimus::apps {

int exec_companion_tool(std::string_view name, std::string_view from_bindir, char** argv) {
  std::error_code status;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", status);
  std::vector<std::filesystem::path> candidates;
  if (!status) {
    candidates.push_back(self.parent_path() / name);
    candidates.push_back(self.parent_path() / from_bindir);
  }
  for (const std::filesystem::path& tool : candidates) {
    if (::access(tool.c_str(), X_OK) == 0) {
      ::execv(tool.c_str(), argv);
      fmt::print(stderr, "modelspec: cannot run {}: {}\n", detail::escape_controls(tool.string()),
                 std::strerror(errno));
      return 1;
    }
  }
  fmt::print(stderr, "modelspec: this command runs in {}, which is neither beside {} nor at {}\n", name,
             detail::escape_controls(self.string()),
             detail::escape_controls((self.parent_path() / from_bindir).string()));
  return 1;
}

}  // namespace bioptimus::apps
