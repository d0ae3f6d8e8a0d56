// bioptimus/error.hpp
//
// The exceptions of the library. Every failure a user can cause derives from
// bioptimus::Error. Value types throw ValidationError (no location, fully
// inline so the header-only target needs no compiled code); the YAML loader
// throws ConfigError (declared in bioptimus/models/registry.hpp), which adds a
// file, line and column to each problem.
//
// Across shared libraries: a catch must recognise an exception thrown in
// another .so, which needs one identity (vtable, typeinfo) per type. Error
// and ValidationError are thrown by header-only constexpr code, and
// bioptimus::types must stay header-only (a user of the value types alone
// links nothing), so they cannot have a key function in a compiled library.
// Instead they are marked BIOPTIMUS_VISIBLE_TYPE: their vtable and typeinfo,
// emitted wherever they are used, keep default visibility even in a library
// built with -fvisibility=hidden (as ours and the layers on it are), so the
// dynamic linker binds every copy to one. The exceptions of compiled layers
// (ConfigError, LookupError) are exported with BIOPTIMUS_EXPORT and have an
// out-of-line destructor, so their one vtable and typeinfo live in the
// library. tests/shared checks both across a .so boundary.
#ifndef BIOPTIMUS_ERROR_HPP
#define BIOPTIMUS_ERROR_HPP

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

// Not from the generated export header: these types belong to the
// header-only target, and on Windows a dllimport would be wrong for them.
#if defined(_WIN32) || defined(__CYGWIN__)
#define BIOPTIMUS_VISIBLE_TYPE
#else
#define BIOPTIMUS_VISIBLE_TYPE __attribute__((visibility("default")))
#endif

namespace bioptimus {

/// Root of every exception the library throws.
class BIOPTIMUS_VISIBLE_TYPE Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One broken rule: the field it concerns (a dotted path such as
/// `tile_spec.size` or `mean[1]`), what was expected against what was found,
/// and the other fields the rule compared it with (empty for a rule about the
/// field alone). A config loader uses `related` to leave out a rule whose
/// other side it could not read.
struct Violation {
  std::string field;
  std::string message;
  std::vector<std::string> related = {};

  friend bool operator==(const Violation&, const Violation&) = default;
};

/// Thrown by a value type's constructor when its arguments break one or more
/// invariants. It carries every violation found, not only the first.
class BIOPTIMUS_VISIBLE_TYPE ValidationError : public Error {
 public:
  /// `type_name` names the type being built (for example "ModelSpec").
  ValidationError(std::string type_name, std::vector<Violation> violations)
      : Error(describe(type_name, violations)), type_name_(std::move(type_name)), violations_(std::move(violations)) {}

  /// The type whose construction failed, for example "TileSpec".
  [[nodiscard]] const std::string& type_name() const noexcept { return type_name_; }
  /// Every violated rule, in the order the rules are checked.
  [[nodiscard]] const std::vector<Violation>& violations() const noexcept { return violations_; }

 private:
  static std::string describe(const std::string& type_name, const std::vector<Violation>& violations) {
    std::string text = "invalid " + type_name + ":";
    for (const Violation& violation : violations) {
      text += violations.size() == 1 ? " " : "\n  ";
      text += violation.field + ": " + violation.message;
    }
    return text;
  }

  std::string type_name_;
  std::vector<Violation> violations_;
};

namespace detail {

/// Throws a ValidationError. Deliberately not constexpr: reaching it while a
/// constructor runs in a constant expression makes the bad literal a compile
/// error, and at run time it throws.
[[noreturn]] inline void throw_validation_error(std::string type_name, std::vector<Violation> violations) {
  throw ValidationError(std::move(type_name), std::move(violations));
}

}  // namespace detail
}  // namespace bioptimus

#endif  // BIOPTIMUS_ERROR_HPP
