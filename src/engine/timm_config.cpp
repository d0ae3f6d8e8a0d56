// config.json -> VitArchitecture, resolving the arguments in timm's order
// (huggingface/pytorch-image-models @aa4b585):
//   1. VisionTransformer.__init__'s defaults (vision_transformer.py:719);
//   2. pretrained_cfg's input_size[0] as in_chans, its global_pool, and its
//      input_size as img_size when fixed_input_size (_builder.py:307-342,
//      applied with setdefault after the architecture's own arguments, so
//      those win over it);
//   3. the architecture's model_args (its entry point, e.g. vision_transformer.py:3941);
//   4. config.json's model_args (_factory.py:161-163, setdefault: the call's
//      keyword arguments win over them);
//   5. the create_model keyword arguments, without the ones set to None
//      (_factory.py:143).
// Every argument is then checked: known, of the right type, and supported.
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "bioptimus/engine/architecture.hpp"
#include "json_document.hpp"
#include "timm_config.hpp"
#include "timm_defaults.hpp"

namespace bioptimus::engine {
namespace {

using nlohmann::json;

constexpr std::size_t max_config_depth = 32;

// One resolved argument and where its value came from, for messages.
struct Argument {
  json value;
  std::string origin;
};
using Arguments = std::map<std::string, Argument, std::less<>>;

class Resolver {
 public:
  explicit Resolver(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& message) const { throw ArchitectureError(source_ + ": " + message); }

  [[noreturn]] void fail(const Argument& argument, const std::string& key, const std::string& expected) const {
    fail(argument.origin + key + ": expected " + expected + ", got " + detail::json_excerpt(argument.value));
  }

  // Layers `arguments` (a JSON object) over what is resolved so far.
  void apply(const json& arguments, const std::string& origin, bool drop_none) {
    for (const auto& [key, value] : arguments.items()) {
      if (drop_none && value.is_null()) {
        continue;
      }
      if (!known_.contains(key)) {
        fail(origin + key + ": not an argument of timm's VisionTransformer the engine knows (" + known_list() + ")");
      }
      resolved_[key] = Argument{value, origin};
    }
  }

  void set_known(const json& defaults) {
    for (const auto& [key, unused] : defaults.items()) {
      known_.insert(key);
    }
  }

  [[nodiscard]] const Argument& at(const std::string& key) const { return resolved_.at(key); }

  [[nodiscard]] std::int64_t whole(const std::string& key, std::int64_t least) const {
    const Argument& argument = at(key);
    if (!argument.value.is_number_integer() || argument.value.get<std::int64_t>() < least ||
        argument.value.get<std::int64_t>() > VitArchitecture::max_extent) {
      fail(argument, key,
           "a whole number in [" + std::to_string(least) + ", " + std::to_string(VitArchitecture::max_extent) + "]");
    }
    return argument.value.get<std::int64_t>();
  }

  // An int or a pair of ints (timm's to_2tuple).
  [[nodiscard]] std::pair<std::int64_t, std::int64_t> pair(const std::string& key) const {
    const Argument& argument = at(key);
    const json& value = argument.value;
    const auto bounded = [](const json& v) {
      return v.is_number_integer() && v.get<std::int64_t>() >= 1 &&
             v.get<std::int64_t>() <= VitArchitecture::max_extent;
    };
    if (bounded(value)) {
      return {value.get<std::int64_t>(), value.get<std::int64_t>()};
    }
    if (value.is_array() && value.size() == 2 && bounded(value[0]) && bounded(value[1])) {
      return {value[0].get<std::int64_t>(), value[1].get<std::int64_t>()};
    }
    fail(argument, key,
         "a whole number or a pair of them, in [1, " + std::to_string(VitArchitecture::max_extent) + "]");
  }

  [[nodiscard]] bool flag(const std::string& key) const {
    const Argument& argument = at(key);
    if (!argument.value.is_boolean()) {
      fail(argument, key, "true or false");
    }
    return argument.value.get<bool>();
  }

  [[nodiscard]] double number(const std::string& key) const {
    const Argument& argument = at(key);
    if (!argument.value.is_number() || !std::isfinite(argument.value.get<double>())) {
      fail(argument, key, "a number");
    }
    return argument.value.get<double>();
  }

  // The value must be one of `allowed` (JSON values); `why` says what the
  // others would need.
  void only(const std::string& key, std::initializer_list<json> allowed, const std::string& why) const {
    const Argument& argument = at(key);
    for (const json& value : allowed) {
      if (argument.value == value) {
        return;
      }
    }
    std::string list;
    for (const json& value : allowed) {
      list += (list.empty() ? "" : " or ") + value.dump();
    }
    fail(argument.origin + key + ": " + detail::json_excerpt(argument.value) + " is not supported (" + why +
         "); the engine runs " + list);
  }

  // Numbers the engine ignores at inference (dropout rates, init schemes)
  // still have to be of the type timm takes.
  void ignored_number(const std::string& key) const { (void)number(key); }

 private:
  [[nodiscard]] std::string known_list() const {
    std::string list;
    for (const std::string& key : known_) {
      list += (list.empty() ? "" : ", ") + key;
    }
    return list;
  }

  std::string source_;
  std::set<std::string, std::less<>> known_;
  Arguments resolved_;
};

json parse_object(std::string_view text, const std::string& what, const std::string& source) {
  detail::JsonProblem problem;
  json value = detail::parse_json(text, max_config_depth, problem);
  if (!problem.message.empty()) {
    throw ArchitectureError(source + ": " + what + " is not valid JSON: " + problem.message);
  }
  if (!value.is_object()) {
    throw ArchitectureError(source + ": " + what + " is " + std::string{detail::json_kind(value)} +
                            "; expected a JSON object");
  }
  return value;
}

std::string known_architectures() {
  std::string list;
  for (const detail::TimmArguments& entry : detail::timm_architectures()) {
    list += (list.empty() ? "" : ", ") + std::string{entry.name};
  }
  return list;
}

}  // namespace

namespace detail {

VitArchitecture architecture_from_timm_config(std::string_view config_json, std::string_view source_name,
                                              std::span<const ArgumentLayer> layers) {
  const std::string source{source_name};
  const json config = parse_object(config_json, "config.json", source);
  if (!config.contains("architecture") || !config.at("architecture").is_string()) {
    throw ArchitectureError(
        source + ": architecture: expected the timm architecture name (a string), got " +
        (config.contains("architecture") ? detail::json_excerpt(config.at("architecture")) : std::string{"nothing"}) +
        " (is this a timm config.json? Hugging Face transformers configs have model_type)");
  }
  // timm's split_model_name_tag: "vit_base_patch16_224.augreg_in21k" names the architecture before the dot.
  std::string name = config.at("architecture").get<std::string>();
  name = name.substr(0, name.find('.'));
  const detail::TimmArguments* architecture = detail::find_timm_architecture(name);
  if (architecture == nullptr) {
    throw ArchitectureError(source + ": architecture: \"" + name + "\" is not a timm architecture the engine knows (" +
                            known_architectures() + ")");
  }
  // A legacy single-dict config is its own pretrained_cfg (timm _hub.py _parse_model_cfg).
  const json no_object = json::object();
  const json& pretrained = config.contains("pretrained_cfg") ? config.at("pretrained_cfg") : config;
  const json& model_args = config.contains("model_args") ? config.at("model_args") : no_object;
  if (!pretrained.is_object()) {
    throw ArchitectureError(source + ": pretrained_cfg: expected an object, got " + detail::json_excerpt(pretrained));
  }
  if (!model_args.is_object()) {
    throw ArchitectureError(source + ": model_args: expected an object, got " + detail::json_excerpt(model_args));
  }

  Resolver args{source};
  const json init = json::parse(detail::vision_transformer_defaults().json);
  args.set_known(init);
  args.apply(init, "VisionTransformer's default ", false);

  json from_pretrained = json::object();
  if (pretrained.contains("input_size")) {
    const json& input_size = pretrained.at("input_size");
    if (!input_size.is_array() || input_size.size() != 3) {
      throw ArchitectureError(source + ": pretrained_cfg.input_size: expected [channels, height, width], got " +
                              detail::json_excerpt(input_size));
    }
    from_pretrained["in_chans"] = input_size[0];
    if (pretrained.value("fixed_input_size", false) == true) {
      from_pretrained["img_size"] = json::array({input_size[1], input_size[2]});
    }
  }
  if (pretrained.contains("global_pool")) {
    from_pretrained["global_pool"] = pretrained.at("global_pool");
  }
  args.apply(from_pretrained, "config.json pretrained_cfg: ", false);
  args.apply(json::parse(architecture->json),
             std::string{architecture->name} + "'s default (" + std::string{architecture->source} + ") ", false);
  args.apply(model_args, "config.json model_args.", false);
  for (const ArgumentLayer& layer : layers) {
    if (!layer.json.empty()) {
      args.apply(parse_object(layer.json, layer.origin, source), layer.origin + ": ", true);
    }
  }

  // Options the engine does not run are refused by name, with what they would need.
  args.only("qk_norm", {false}, "a norm on q and k");
  args.only("scale_attn_norm", {false}, "a norm inside attention");
  args.only("scale_mlp_norm", {false}, "a norm inside the MLP");
  args.only("proj_bias", {true}, "projections without bias");
  args.only("pos_embed", {"learn"}, "only learnt position embeddings are read");
  args.only("pre_norm", {false}, "a LayerNorm before the blocks, as CLIP");
  args.only("dynamic_img_pad", {false}, "padding inputs to whole patches");
  args.only("embed_norm_layer", {nullptr}, "a norm in the patch embedding");
  args.only("norm_layer", {nullptr, "layernorm"}, "another norm than LayerNorm");
  args.only("attn_layer", {"", "attn"}, "another attention than timm's Attention");
  args.only("mlp_layer", {"Mlp", "SwiGLUPacked"}, "another MLP than Mlp or SwiGLUPacked");
  args.only("act_layer", {nullptr, "gelu", "silu", "swish"}, "another activation than exact GELU or SiLU");
  args.only("global_pool", {"token", "", "avg", "avgmax", "max", "map", "prr"}, "not a timm global_pool");
  args.only("fc_norm", {nullptr, false, true}, "fc_norm is null, true or false");
  for (const char* key :
       {"drop_rate", "pos_drop_rate", "patch_drop_rate", "proj_drop_rate", "attn_drop_rate", "drop_path_rate"}) {
    args.ignored_number(key);
  }
  (void)args.flag("fix_init");
  (void)args.flag("pool_include_prefix");
  (void)args.whole("num_classes", 0);
  if (!args.at("weight_init").value.is_string()) {
    args.fail(args.at("weight_init"), "weight_init", "a string");
  }
  // With an average pool, timm moves the final norm after the pooling
  // (vision_transformer.py:800): the token sequence would leave it out, and
  // the embedding would need a norm the engine does not apply.
  const std::string pool = args.at("global_pool").value.get<std::string>();
  const bool average_pool = pool == "avg" || pool == "avgmax" || pool == "max";
  const json& fc_norm = args.at("fc_norm").value;
  if ((fc_norm.is_null() && average_pool) || fc_norm == true) {
    args.fail(args.at("global_pool").origin + "global_pool: \"" + pool +
              "\" with fc_norm puts the final norm after pooling (fc_norm); the engine returns normed tokens and "
              "runs global_pool token or \"\"");
  }

  VitArchitecture::Fields fields;
  fields.name = name;
  const auto [height, width] = args.pair("img_size");
  fields.image_height = height;
  fields.image_width = width;
  const auto [patch_height, patch_width] = args.pair("patch_size");
  if (patch_height != patch_width) {
    args.fail(args.at("patch_size"), "patch_size", "square patches");
  }
  fields.patch_size = patch_height;
  fields.in_chans = args.whole("in_chans", 1);
  fields.embed_dim = args.whole("embed_dim", 1);
  fields.depth = args.whole("depth", 0);
  fields.num_heads = args.whole("num_heads", 1);
  const double mlp_ratio = args.number("mlp_ratio");
  // timm's Block: hidden_features=int(dim * mlp_ratio) (vision_transformer.py:196), truncated.
  const double hidden = static_cast<double>(fields.embed_dim) * mlp_ratio;
  if (!(hidden >= 1.0) || hidden > static_cast<double>(VitArchitecture::max_extent)) {
    args.fail(args.at("mlp_ratio"), "mlp_ratio",
              "a ratio giving an MLP of 1 to " + std::to_string(VitArchitecture::max_extent) + " features");
  }
  fields.mlp_hidden = static_cast<std::int64_t>(hidden);
  fields.mlp = args.at("mlp_layer").value == "SwiGLUPacked" ? MlpKind::swiglu_packed : MlpKind::mlp;
  // act_layer None means nn.GELU for both MLPs: VisionTransformer passes it
  // to the MLP, overriding SwiGLUPacked's own SiLU (vision_transformer.py:803).
  const json& act = args.at("act_layer").value;
  fields.activation = act == "silu" || act == "swish" ? Activation::silu : Activation::gelu;
  fields.qkv_bias = args.flag("qkv_bias");
  fields.class_token = args.flag("class_token");
  fields.reg_tokens = args.whole("reg_tokens", 0);
  fields.prefix_positions = args.flag("no_embed_class") ? PrefixPositions::none : PrefixPositions::all;
  const Argument& init_values = args.at("init_values");
  if (!init_values.value.is_null() && !init_values.value.is_number()) {
    args.fail(init_values, "init_values", "a number or null");
  }
  // `if init_values` in timm's Block: 0 is no LayerScale either.
  fields.layer_scale = init_values.value.is_number() && init_values.value.get<double>() != 0.0;
  fields.final_norm = args.flag("final_norm");
  fields.dynamic_img_size = args.flag("dynamic_img_size");
  if (!fields.class_token && pool == "token") {
    args.fail(args.at("class_token").origin +
              "class_token: false with global_pool \"token\" (timm asserts class_token or global_pool != 'token')");
  }
  try {
    return VitArchitecture{std::move(fields)};
  } catch (const ValidationError& error) {
    throw ArchitectureError(source + ": " + error.what());
  }
}

}  // namespace detail

VitArchitecture VitArchitecture::from_timm_config(std::string_view config_json, std::string_view source,
                                                  std::string_view create_model_args) {
  const detail::ArgumentLayer layer{.origin = "create_model argument", .json = create_model_args};
  return detail::architecture_from_timm_config(config_json, source, std::span{&layer, 1});
}

}  // namespace bioptimus::engine
