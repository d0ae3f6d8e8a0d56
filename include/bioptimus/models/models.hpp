// bioptimus/models/models.hpp
//
// Models: one enumerator per built-in config under configs/. The enumerator
// is the snake_case form of the config's model_name (Models::h0_mini for
// "h0-mini"); to_string and parse_model convert between the two. A test
// fails when this list and configs/ drift apart.
#ifndef BIOPTIMUS_MODELS_MODELS_HPP
#define BIOPTIMUS_MODELS_MODELS_HPP

#include <array>
#include <optional>
#include <string_view>

#include "bioptimus/detail/text.hpp"

namespace bioptimus::models {

/// The built-in models, keyed by their config's model_name.
enum class Models {
  h_optimus_0,
  h_optimus_1,
  h0_mini,
  uni,
  uni2_h,
  virchow,
  virchow2,
  prov_gigapath,
  phikon,
  phikon_v2,
  hibou_b,
  hibou_l,
  midnight_12k,
  kaiko_vit_s16,
  kaiko_vit_s8,
  kaiko_vit_b16,
  kaiko_vit_b8,
  kaiko_vit_l14,
  gpfm,
  ctranspath,
  lunit_dino_vit_s8,
  lunit_dino_vit_s16,
  musk,
  resnet50_trunc_in1k,
};

/// Every Models enumerator, in declaration order.
inline constexpr std::array all_models{Models::h_optimus_0,
                                       Models::h_optimus_1,
                                       Models::h0_mini,
                                       Models::uni,
                                       Models::uni2_h,
                                       Models::virchow,
                                       Models::virchow2,
                                       Models::prov_gigapath,
                                       Models::phikon,
                                       Models::phikon_v2,
                                       Models::hibou_b,
                                       Models::hibou_l,
                                       Models::midnight_12k,
                                       Models::kaiko_vit_s16,
                                       Models::kaiko_vit_s8,
                                       Models::kaiko_vit_b16,
                                       Models::kaiko_vit_b8,
                                       Models::kaiko_vit_l14,
                                       Models::gpfm,
                                       Models::ctranspath,
                                       Models::lunit_dino_vit_s8,
                                       Models::lunit_dino_vit_s16,
                                       Models::musk,
                                       Models::resnet50_trunc_in1k};

/// The model_name of a built-in model, e.g. "h0-mini".
[[nodiscard]] constexpr std::string_view to_string(Models model) noexcept {
  switch (model) {
    case Models::h_optimus_0:
      return "h-optimus-0";
    case Models::h_optimus_1:
      return "h-optimus-1";
    case Models::h0_mini:
      return "h0-mini";
    case Models::uni:
      return "uni";
    case Models::uni2_h:
      return "uni2-h";
    case Models::virchow:
      return "virchow";
    case Models::virchow2:
      return "virchow2";
    case Models::prov_gigapath:
      return "prov-gigapath";
    case Models::phikon:
      return "phikon";
    case Models::phikon_v2:
      return "phikon-v2";
    case Models::hibou_b:
      return "hibou-b";
    case Models::hibou_l:
      return "hibou-l";
    case Models::midnight_12k:
      return "midnight-12k";
    case Models::kaiko_vit_s16:
      return "kaiko-vit-s16";
    case Models::kaiko_vit_s8:
      return "kaiko-vit-s8";
    case Models::kaiko_vit_b16:
      return "kaiko-vit-b16";
    case Models::kaiko_vit_b8:
      return "kaiko-vit-b8";
    case Models::kaiko_vit_l14:
      return "kaiko-vit-l14";
    case Models::gpfm:
      return "gpfm";
    case Models::ctranspath:
      return "ctranspath";
    case Models::lunit_dino_vit_s8:
      return "lunit-dino-vit-s8";
    case Models::lunit_dino_vit_s16:
      return "lunit-dino-vit-s16";
    case Models::musk:
      return "musk";
    case Models::resnet50_trunc_in1k:
      return "resnet50-trunc-in1k";
  }
  return "";
}

/// The built-in model whose model_name is `name` (exact), or nothing.
[[nodiscard]] constexpr std::optional<Models> parse_model(std::string_view name) noexcept {
  return detail::parse_enum(name, all_models);
}

}  // namespace bioptimus::models

#endif  // BIOPTIMUS_MODELS_MODELS_HPP
