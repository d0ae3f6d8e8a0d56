// bioptimus/io/wsi/level.hpp
//
// Level: an index into a slide's resolution pyramid (0 is the full-resolution
// scan, higher indices are coarser).
#ifndef BIOPTIMUS_IO_WSI_LEVEL_HPP
#define BIOPTIMUS_IO_WSI_LEVEL_HPP

#include <compare>
#include <concepts>
#include <cstdint>
#include <limits>
#include <string>

#include "bioptimus/error.hpp"

namespace bioptimus::io::wsi {

/// A pyramid level index >= 0. Immutable, ordered (0 is the finest level).
class Level {
 public:
  /// Largest index accepted: no slide has more than a few dozen levels, and
  /// the index must fit the 32-bit integers slide readers take.
  static constexpr std::int64_t max_index = std::numeric_limits<std::int32_t>::max();

  /// Takes any integer width and range-checks it, so that a 64-bit index is
  /// never silently truncated.
  /// @throws ValidationError unless 0 <= index <= max_index.
  constexpr explicit Level(std::int64_t index) : index_(static_cast<std::int32_t>(is_valid(index) ? index : 0)) {
    if (!is_valid(index)) {
      detail::throw_validation_error("Level", {{"level", "expected an index in [0, " + std::to_string(max_index) +
                                                             "], got " + std::to_string(index)}});
    }
  }
  /// A level is a whole number: building one from a floating-point value is
  /// a compile error rather than a silent truncation.
  template <std::floating_point Float>
  explicit Level(Float) = delete;

  /// The rule every Level satisfies: 0 <= index <= max_index.
  [[nodiscard]] static constexpr bool is_valid(std::int64_t index) noexcept { return index >= 0 && index <= max_index; }

  /// The pyramid index (0 = full resolution).
  [[nodiscard]] constexpr std::int32_t index() const noexcept { return index_; }

  friend constexpr bool operator==(Level, Level) noexcept = default;
  friend constexpr auto operator<=>(Level, Level) noexcept = default;

 private:
  std::int32_t index_;
};

}  // namespace bioptimus::io::wsi

#endif  // BIOPTIMUS_IO_WSI_LEVEL_HPP
