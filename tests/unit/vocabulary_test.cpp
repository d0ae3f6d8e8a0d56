// The closed vocabularies and the Models enum: spellings both ways.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <string_view>

#include "bioptimus/models/types.hpp"

using namespace bioptimus::models;

namespace {

// Every enumerator has a distinct, non-empty spelling that parses back to it.
template <class Enum, std::size_t N, class Parse>
void check_round_trip(const std::array<Enum, N>& all, Parse parse) {
  std::set<std::string_view> seen;
  for (const Enum value : all) {
    const std::string_view spelling = to_string(value);
    CHECK_FALSE(spelling.empty());
    CHECK(seen.insert(spelling).second);
    CHECK(parse(spelling) == value);
  }
}

}  // namespace

TEST_CASE("Vocabularies use the YAML spellings of the design", "[vocabulary]") {
  CHECK(to_string(OutputType::cls_patch_mean) == "cls+patch_mean");
  CHECK(to_string(OutputType::token_sequence) == "token_sequence");
  CHECK(to_string(Precision::bf16) == "bf16");
  CHECK(to_string(ColorSpace::rgb) == "RGB");
  CHECK(to_string(ColorSpace::hed) == "HED");
  CHECK(to_string(Interpolation::lanczos) == "lanczos");
  CHECK(to_string(StainNormalization::vahadane) == "vahadane");
  CHECK(to_string(Architecture::convnext) == "convnext");
  CHECK(all_output_types.size() == 5);
  CHECK(all_precisions.size() == 3);
  CHECK(all_color_spaces.size() == 3);
  CHECK(all_interpolations.size() == 5);
  CHECK(all_stain_normalizations.size() == 3);
  CHECK(all_architectures.size() == 4);
}

TEST_CASE("Every vocabulary word parses back to its enumerator", "[vocabulary]") {
  check_round_trip(all_output_types, parse_output_type);
  check_round_trip(all_precisions, parse_precision);
  check_round_trip(all_color_spaces, parse_color_space);
  check_round_trip(all_interpolations, parse_interpolation);
  check_round_trip(all_stain_normalizations, parse_stain_normalization);
  check_round_trip(all_architectures, parse_architecture);
}

TEST_CASE("Vocabulary parsing is exact: no case folding, no synonyms", "[vocabulary]") {
  CHECK_FALSE(parse_color_space("rgb").has_value());
  CHECK_FALSE(parse_output_type("CLS").has_value());
  CHECK_FALSE(parse_output_type("cls_patch_mean").has_value());
  CHECK_FALSE(parse_precision("float32").has_value());
  CHECK_FALSE(parse_stain_normalization("null").has_value());
  CHECK_FALSE(parse_architecture("").has_value());
}

TEST_CASE("Models spell as their config's model_name and parse back", "[models]") {
  CHECK(to_string(Models::h0_mini) == "h0-mini");
  CHECK(to_string(Models::h_optimus_0) == "h-optimus-0");
  CHECK(to_string(Models::resnet50_trunc_in1k) == "resnet50-trunc-in1k");
  CHECK(parse_model("uni2-h") == Models::uni2_h);
  CHECK_FALSE(parse_model("uni2_h").has_value());
  CHECK_FALSE(parse_model("H0-mini").has_value());
  check_round_trip(all_models, parse_model);
}

TEST_CASE("Every Models spelling is a valid model_name whose snake_case is the enumerator", "[models]") {
  for (const Models model : all_models) {
    CHECK(ModelSpec::is_valid_model_name(to_string(model)));
  }
}
