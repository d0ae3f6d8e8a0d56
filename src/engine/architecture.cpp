// VitArchitecture's rules: every size positive and bounded (so that products
// of sizes cannot overflow), the heads dividing the width, a packed SwiGLU of
// even width, a patch no larger than the image.
#include "bioptimus/engine/architecture.hpp"

#include <cmath>
#include <utility>
#include <vector>

namespace bioptimus::engine {

VitArchitecture::VitArchitecture(Fields fields) : fields_(std::move(fields)) {
  std::vector<Violation> problems;
  const auto fail = [&problems](std::string field, std::string message, std::vector<std::string> related = {}) {
    problems.push_back({std::move(field), std::move(message), std::move(related)});
  };
  const auto check_extent = [&](const char* field, std::int64_t value, std::int64_t least) {
    if (value < least || value > max_extent) {
      fail(field, "expected a whole number in [" + std::to_string(least) + ", " + std::to_string(max_extent) +
                      "], got " + std::to_string(value));
      return false;
    }
    return true;
  };
  const bool patch_ok = check_extent("patch_size", fields_.patch_size, 1);
  const bool height_ok = check_extent("img_size[0]", fields_.image_height, 1);
  const bool width_ok = check_extent("img_size[1]", fields_.image_width, 1);
  check_extent("in_chans", fields_.in_chans, 1);
  const bool dim_ok = check_extent("embed_dim", fields_.embed_dim, 1);
  check_extent("depth", fields_.depth, 0);
  const bool heads_ok = check_extent("num_heads", fields_.num_heads, 1);
  const bool hidden_ok = check_extent("mlp_hidden", fields_.mlp_hidden, 1);
  check_extent("reg_tokens", fields_.reg_tokens, 0);
  if (dim_ok && heads_ok && fields_.embed_dim % fields_.num_heads != 0) {
    fail("num_heads",
         "expected a divisor of embed_dim " + std::to_string(fields_.embed_dim) + ", got " +
             std::to_string(fields_.num_heads),
         {"embed_dim"});
  }
  if (hidden_ok && fields_.mlp == MlpKind::swiglu_packed && fields_.mlp_hidden % 2 != 0) {
    fail("mlp_hidden",
         "SwiGLUPacked splits fc1's output in two halves: expected an even width, got " +
             std::to_string(fields_.mlp_hidden),
         {"mlp_layer"});
  }
  if (patch_ok && height_ok && width_ok &&
      (fields_.image_height < fields_.patch_size || fields_.image_width < fields_.patch_size)) {
    fail("img_size",
         "expected at least one patch of " + std::to_string(fields_.patch_size) + " pixels, got " +
             std::to_string(fields_.image_height) + "x" + std::to_string(fields_.image_width),
         {"patch_size"});
  }
  if (fields_.prefix_positions == PrefixPositions::class_only && !fields_.class_token) {
    fail("prefix_positions", "position embeddings on the class token need one (class_token)", {"class_token"});
  }
  if (!(fields_.norm_eps > 0.0) || !std::isfinite(fields_.norm_eps)) {
    fail("norm_eps", "expected a finite number > 0");
  }
  if (!problems.empty()) {
    throw ValidationError("VitArchitecture", std::move(problems));
  }
}

std::string VitArchitecture::describe() const {
  const Fields& f = fields_;
  std::string text = (f.name.empty() ? std::string{"vit"} : f.name) + ": patch " + std::to_string(f.patch_size) + ", " +
                     std::to_string(f.embed_dim) + " wide, " + std::to_string(f.depth) + " blocks of " +
                     std::to_string(f.num_heads) + " heads, " + std::string{to_string(f.mlp)} + " " +
                     std::to_string(f.mlp_hidden) + " with " + std::string{to_string(f.activation)};
  text += f.class_token ? ", CLS" : ", no CLS";
  text += f.reg_tokens > 0 ? " + " + std::to_string(f.reg_tokens) + " registers" : "";
  if (f.prefix_positions == PrefixPositions::none) {
    text += ", position embeddings on the patches only";
  } else if (f.prefix_positions == PrefixPositions::class_only && f.reg_tokens > 0) {
    text += ", position embeddings on CLS and the patches";
  }
  text += f.layer_scale ? ", LayerScale" : "";
  text += f.qkv_bias ? "" : ", no qkv bias";
  text += f.final_norm ? "" : ", no final norm";
  text += ", img_size " + std::to_string(f.image_height) + "x" + std::to_string(f.image_width);
  text += f.dynamic_img_size ? " (dynamic)" : "";
  return text;
}

}  // namespace bioptimus::engine
