// bioptimus/io/wsi/level.hpp
//
// Level: an index into a slide's resolution pyramid (0 is the full-resolution
// scan, higher indices are coarser).
#ifndef BIOPTIMUS_IO_WSI_LEVEL_HPP
#define BIOPTIMUS_IO_WSI_LEVEL_HPP

#include <compare>
#include <concepts>
#include <cstdint>
#include <string>

#include "bioptimus/error.hpp"

namespace bioptimus::io::wsi {

/// A pyramid level index >= 0. Immutable, ordered (0 is the finest level).
class Level {
 public:
  /// @throws ValidationError when `index` is negative.
  constexpr explicit Level(std::int32_t index) : index_(index) {
    if (!is_valid(index)) {
      detail::throw_validation_error("Level", {{"level", "expected an index >= 0, got " + std::to_string(index)}});
    }
  }
  /// A level is a whole number: building one from a floating-point value is
  /// a compile error rather than a silent truncation.
  template <std::floating_point Float>
  explicit Level(Float) = delete;

  /// The rule every Level satisfies: index >= 0.
  [[nodiscard]] static constexpr bool is_valid(std::int32_t index) noexcept { return index >= 0; }

  /// The pyramid index (0 = full resolution).
  [[nodiscard]] constexpr std::int32_t index() const noexcept { return index_; }

  friend constexpr bool operator==(Level, Level) noexcept = default;
  friend constexpr auto operator<=>(Level, Level) noexcept = default;

 private:
  std::int32_t index_;
};

}  // namespace bioptimus::io::wsi

#endif  // BIOPTIMUS_IO_WSI_LEVEL_HPP
