// bioptimus/models/vocabulary.hpp
//
// The closed vocabularies of a ModelSpec (output type, precision, colour
// space, interpolation, stain normalisation, architecture). Each enum has a
// `to_string` giving its YAML spelling, a `parse_<name>` going the other way
// (exact, case-sensitive; unknown text gives nothing) and an `all_<name>s`
// array of its enumerators.
#ifndef BIOPTIMUS_MODELS_VOCABULARY_HPP
#define BIOPTIMUS_MODELS_VOCABULARY_HPP

#include <array>
#include <optional>
#include <string_view>

#include "bioptimus/detail/text.hpp"

namespace bioptimus::models {

/// How the raw model output becomes the published embedding. YAML spellings: cls | patch_mean | cls+patch_mean | dense
/// | token_sequence.
enum class OutputType {
  cls,             ///< `cls`: the CLS token
  patch_mean,      ///< `patch_mean`: the mean of the patch tokens (global average pool for non-token architectures)
  cls_patch_mean,  ///< `cls+patch_mean`: CLS concatenated with the patch-token mean, each embedding_dim / 2 wide
  dense,           ///< `dense`: a spatial feature map [embedding_dim, height, width]
  token_sequence,  ///< `token_sequence`: every token, prefix tokens first
};

/// Every OutputType, in declaration order.
inline constexpr std::array all_output_types{OutputType::cls, OutputType::patch_mean, OutputType::cls_patch_mean,
                                             OutputType::dense, OutputType::token_sequence};

/// The YAML spelling of a OutputType.
[[nodiscard]] constexpr std::string_view to_string(OutputType value) noexcept {
  switch (value) {
    case OutputType::cls:
      return "cls";
    case OutputType::patch_mean:
      return "patch_mean";
    case OutputType::cls_patch_mean:
      return "cls+patch_mean";
    case OutputType::dense:
      return "dense";
    case OutputType::token_sequence:
      return "token_sequence";
  }
  return "";
}

/// The OutputType spelled `text`, or nothing.
[[nodiscard]] constexpr std::optional<OutputType> parse_output_type(std::string_view text) noexcept {
  return detail::parse_enum(text, all_output_types);
}

/// Recommended inference precision. YAML spellings: fp32 | fp16 | bf16.
enum class Precision {
  fp32,  ///< `fp32`: 32-bit float
  fp16,  ///< `fp16`: 16-bit float
  bf16,  ///< `bf16`: bfloat16
};

/// Every Precision, in declaration order.
inline constexpr std::array all_precisions{Precision::fp32, Precision::fp16, Precision::bf16};

/// The YAML spelling of a Precision.
[[nodiscard]] constexpr std::string_view to_string(Precision value) noexcept {
  switch (value) {
    case Precision::fp32:
      return "fp32";
    case Precision::fp16:
      return "fp16";
    case Precision::bf16:
      return "bf16";
  }
  return "";
}

/// The Precision spelled `text`, or nothing.
[[nodiscard]] constexpr std::optional<Precision> parse_precision(std::string_view text) noexcept {
  return detail::parse_enum(text, all_precisions);
}

/// Colour space the model expects its input in. YAML spellings: RGB | BGR | HED.
enum class ColorSpace {
  rgb,  ///< `RGB`: red, green, blue
  bgr,  ///< `BGR`: blue, green, red
  hed,  ///< `HED`: haematoxylin, eosin, DAB (colour deconvolution)
};

/// Every ColorSpace, in declaration order.
inline constexpr std::array all_color_spaces{ColorSpace::rgb, ColorSpace::bgr, ColorSpace::hed};

/// The YAML spelling of a ColorSpace.
[[nodiscard]] constexpr std::string_view to_string(ColorSpace value) noexcept {
  switch (value) {
    case ColorSpace::rgb:
      return "RGB";
    case ColorSpace::bgr:
      return "BGR";
    case ColorSpace::hed:
      return "HED";
  }
  return "";
}

/// The ColorSpace spelled `text`, or nothing.
[[nodiscard]] constexpr std::optional<ColorSpace> parse_color_space(std::string_view text) noexcept {
  return detail::parse_enum(text, all_color_spaces);
}

/// Resize filter used to bring a region to the tile size. YAML spellings: nearest | bilinear | bicubic | lanczos |
/// area.
enum class Interpolation {
  nearest,   ///< `nearest`: nearest neighbour
  bilinear,  ///< `bilinear`: bilinear
  bicubic,   ///< `bicubic`: bicubic
  lanczos,   ///< `lanczos`: Lanczos
  area,      ///< `area`: pixel-area averaging
};

/// Every Interpolation, in declaration order.
inline constexpr std::array all_interpolations{Interpolation::nearest, Interpolation::bilinear, Interpolation::bicubic,
                                               Interpolation::lanczos, Interpolation::area};

/// The YAML spelling of a Interpolation.
[[nodiscard]] constexpr std::string_view to_string(Interpolation value) noexcept {
  switch (value) {
    case Interpolation::nearest:
      return "nearest";
    case Interpolation::bilinear:
      return "bilinear";
    case Interpolation::bicubic:
      return "bicubic";
    case Interpolation::lanczos:
      return "lanczos";
    case Interpolation::area:
      return "area";
  }
  return "";
}

/// The Interpolation spelled `text`, or nothing.
[[nodiscard]] constexpr std::optional<Interpolation> parse_interpolation(std::string_view text) noexcept {
  return detail::parse_enum(text, all_interpolations);
}

/// Stain normalisation applied before the model. YAML `null` (no normalisation) is an empty std::optional, not an
/// enumerator. YAML spellings: macenko | reinhard | vahadane.
enum class StainNormalization {
  macenko,   ///< `macenko`: Macenko et al. 2009
  reinhard,  ///< `reinhard`: Reinhard et al. 2001
  vahadane,  ///< `vahadane`: Vahadane et al. 2016
};

/// Every StainNormalization, in declaration order.
inline constexpr std::array all_stain_normalizations{StainNormalization::macenko, StainNormalization::reinhard,
                                                     StainNormalization::vahadane};

/// The YAML spelling of a StainNormalization.
[[nodiscard]] constexpr std::string_view to_string(StainNormalization value) noexcept {
  switch (value) {
    case StainNormalization::macenko:
      return "macenko";
    case StainNormalization::reinhard:
      return "reinhard";
    case StainNormalization::vahadane:
      return "vahadane";
  }
  return "";
}

/// The StainNormalization spelled `text`, or nothing.
[[nodiscard]] constexpr std::optional<StainNormalization> parse_stain_normalization(std::string_view text) noexcept {
  return detail::parse_enum(text, all_stain_normalizations);
}

/// Architecture family of the backbone. YAML spellings: vit | swin | resnet | convnext.
enum class Architecture {
  vit,       ///< `vit`: vision transformer: CLS and register tokens, then patch tokens
  swin,      ///< `swin`: Swin transformer (no CLS token)
  resnet,    ///< `resnet`: residual CNN
  convnext,  ///< `convnext`: ConvNeXt CNN
};

/// Every Architecture, in declaration order.
inline constexpr std::array all_architectures{Architecture::vit, Architecture::swin, Architecture::resnet,
                                              Architecture::convnext};

/// The YAML spelling of a Architecture.
[[nodiscard]] constexpr std::string_view to_string(Architecture value) noexcept {
  switch (value) {
    case Architecture::vit:
      return "vit";
    case Architecture::swin:
      return "swin";
    case Architecture::resnet:
      return "resnet";
    case Architecture::convnext:
      return "convnext";
  }
  return "";
}

/// The Architecture spelled `text`, or nothing.
[[nodiscard]] constexpr std::optional<Architecture> parse_architecture(std::string_view text) noexcept {
  return detail::parse_enum(text, all_architectures);
}

}  // namespace bioptimus::models

#endif  // BIOPTIMUS_MODELS_VOCABULARY_HPP
