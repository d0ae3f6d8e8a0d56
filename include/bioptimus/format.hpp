// bioptimus/format.hpp
//
// {fmt} formatters for the library's types; the one place they are defined.
// Opt-in: include it (and link fmt) to write `fmt::format("{}", spec)`.
//
//   fmt::format("{}", MPP{0.5});            // "0.5 mpp"
//   fmt::format("{:>8}", OutputType::cls);  // "     cls"
#ifndef BIOPTIMUS_FORMAT_HPP
#define BIOPTIMUS_FORMAT_HPP

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/extraction/wsi/tile_spec.hpp"
#include "bioptimus/io/wsi/types.hpp"
#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/models/models.hpp"
#include "bioptimus/models/vocabulary.hpp"

namespace bioptimus::detail {

/// Text forms of the composite types, used by their formatters.
inline std::string to_text(const io::wsi::Resolution& resolution) { return io::wsi::describe(resolution); }
inline std::string to_text(io::wsi::MPP mpp) { return to_text(io::wsi::Resolution{mpp}); }
inline std::string to_text(io::wsi::Level level) { return to_text(io::wsi::Resolution{level}); }
inline std::string to_text(io::wsi::Magnification power) { return to_text(io::wsi::Resolution{power}); }
inline std::string to_text(const extraction::wsi::Extent& extent) {
  return format_number(extent.width) + "x" + format_number(extent.height);
}
inline std::string to_text(const extraction::wsi::PixelExtent& extent) {
  return std::to_string(extent.width) + "x" + std::to_string(extent.height) + " px";
}
inline std::string to_text(const extraction::wsi::TileSpec& tile) {
  const std::string unit = tile.unit() == io::wsi::MeasurementUnit::pixels ? " px" : " um";
  return to_text(tile.size()) + unit + " at " + io::wsi::describe(tile.resolution()) + ", stride " +
         to_text(tile.stride()) + unit;
}
inline std::string to_text(const models::ModelSpec& spec) { return spec.identity(); }

/// Formats a type through its text form, honouring fill, align and width.
template <class T>
struct TextFormatter : fmt::formatter<std::string_view> {
  template <class Context>
  auto format(const T& value, Context& context) const {
    const std::string text = to_text(value);
    return fmt::formatter<std::string_view>::format(text, context);
  }
};

/// Formats an enum through its to_string spelling.
template <class Enum>
struct SpellingFormatter : fmt::formatter<std::string_view> {
  template <class Context>
  auto format(Enum value, Context& context) const {
    return fmt::formatter<std::string_view>::format(to_string(value), context);
  }
};

}  // namespace bioptimus::detail

template <>
struct fmt::formatter<bioptimus::io::wsi::MPP> : bioptimus::detail::TextFormatter<bioptimus::io::wsi::MPP> {};
template <>
struct fmt::formatter<bioptimus::io::wsi::Level> : bioptimus::detail::TextFormatter<bioptimus::io::wsi::Level> {};
template <>
struct fmt::formatter<bioptimus::io::wsi::Magnification>
    : bioptimus::detail::TextFormatter<bioptimus::io::wsi::Magnification> {};
template <>
struct fmt::formatter<bioptimus::io::wsi::Resolution>
    : bioptimus::detail::TextFormatter<bioptimus::io::wsi::Resolution> {};
template <>
struct fmt::formatter<bioptimus::extraction::wsi::Extent>
    : bioptimus::detail::TextFormatter<bioptimus::extraction::wsi::Extent> {};
template <>
struct fmt::formatter<bioptimus::extraction::wsi::PixelExtent>
    : bioptimus::detail::TextFormatter<bioptimus::extraction::wsi::PixelExtent> {};
template <>
struct fmt::formatter<bioptimus::extraction::wsi::TileSpec>
    : bioptimus::detail::TextFormatter<bioptimus::extraction::wsi::TileSpec> {};
template <>
struct fmt::formatter<bioptimus::models::ModelSpec> : bioptimus::detail::TextFormatter<bioptimus::models::ModelSpec> {};

template <>
struct fmt::formatter<bioptimus::io::wsi::MeasurementUnit>
    : bioptimus::detail::SpellingFormatter<bioptimus::io::wsi::MeasurementUnit> {};
template <>
struct fmt::formatter<bioptimus::models::Models> : bioptimus::detail::SpellingFormatter<bioptimus::models::Models> {};
template <>
struct fmt::formatter<bioptimus::models::OutputType>
    : bioptimus::detail::SpellingFormatter<bioptimus::models::OutputType> {};
template <>
struct fmt::formatter<bioptimus::models::Precision>
    : bioptimus::detail::SpellingFormatter<bioptimus::models::Precision> {};
template <>
struct fmt::formatter<bioptimus::models::ColorSpace>
    : bioptimus::detail::SpellingFormatter<bioptimus::models::ColorSpace> {};
template <>
struct fmt::formatter<bioptimus::models::Interpolation>
    : bioptimus::detail::SpellingFormatter<bioptimus::models::Interpolation> {};
template <>
struct fmt::formatter<bioptimus::models::StainNormalization>
    : bioptimus::detail::SpellingFormatter<bioptimus::models::StainNormalization> {};
template <>
struct fmt::formatter<bioptimus::models::Architecture>
    : bioptimus::detail::SpellingFormatter<bioptimus::models::Architecture> {};

#endif  // BIOPTIMUS_FORMAT_HPP
