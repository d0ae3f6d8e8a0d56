// The model runner. At load: config.json -> architecture, the checkpoint's
// tensors mapped and checked, then converted one by one to fp32, folded
// (LayerScale into the projections before it, the attention scale into q,
// the patch bias and position embeddings into one per-token table), laid out
// for oneDNN and the file's pages let go. Per batch: patches as rows
// (im2col), one product for the patch embedding, then per block LayerNorm,
// qkv, attention, projection (+ residual), LayerNorm, MLP (+ residual); the
// final LayerNorm writes the caller's buffer.
#include "bioptimus/engine/vit_model.hpp"

#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include "bioptimus/engine/safetensors.hpp"
#include "bioptimus/models/readout.hpp"
#include "input_file.hpp"
#include "kernels.hpp"
#include "linear.hpp"
#include "model_config.hpp"
#include "pos_embed.hpp"
#include "timm_defaults.hpp"
#include "weight_map.hpp"

namespace bioptimus::engine {
namespace {

using detail::Destination;
using detail::Epilogue;
using detail::LinearLayer;

constexpr std::uint64_t max_config_bytes = std::uint64_t{16} << 20;

// 64-byte aligned floats, kept across batches and grown when a batch needs more.
class Buffer {
 public:
  void reserve(std::size_t floats) {
    if (floats <= capacity_) {
      return;
    }
    constexpr std::size_t alignment = 64;
    const std::size_t bytes = (floats * sizeof(float) + alignment - 1) / alignment * alignment;
    data_.reset(static_cast<float*>(std::aligned_alloc(alignment, bytes)));
    if (!data_) {
      throw EngineError("cannot allocate " + std::to_string(bytes >> 20) + " MiB of activations");
    }
    capacity_ = floats;
  }
  [[nodiscard]] float* data() const noexcept { return data_.get(); }

 private:
  struct Free {
    void operator()(float* p) const noexcept { std::free(p); }
  };
  std::unique_ptr<float, Free> data_;
  std::size_t capacity_ = 0;
};

struct Norm {
  std::vector<float> weight;
  std::vector<float> bias;
};

struct Block {
  Norm norm1;
  LinearLayer qkv;
  LinearLayer proj;  // LayerScale folded in; accumulates into the residual
  Norm norm2;
  LinearLayer fc1;                   // Mlp: fc1 with its activation; SwiGLUPacked: the gate half, activated
  std::optional<LinearLayer> value;  // SwiGLUPacked: the value half, times the gate
  LinearLayer fc2;                   // LayerScale folded in; accumulates into the residual
};

// The floats of a tensor, whatever its dtype (checked by the weight map).
void read_floats(const TensorEntry& entry, std::vector<float>& out) {
  const auto count = static_cast<std::size_t>(entry.elements());
  out.resize(count);
  const std::byte* bytes = entry.bytes.data();
  // 16-bit values as the Readout's types: their exact float values.
  const auto widen = [&]<typename Bits>(Bits value) {
    for (std::size_t i = 0; i < count; ++i) {
      std::memcpy(&value.bits, bytes + 2 * i, 2);
      out[i] = models::to_float(value);
    }
  };
  switch (entry.dtype) {
    case Dtype::f32:
      std::memcpy(out.data(), bytes, count * sizeof(float));
      return;
    case Dtype::f16:
      widen(models::Half{});
      return;
    case Dtype::bf16:
      widen(models::BFloat16{});
      return;
    default:
      out.assign(count, 0.0F);
      return;
  }
}

// Reads tensors, then lets the file's pages go.
class TensorReader {
 public:
  explicit TensorReader(const SafetensorsFile& file) : file_(file) {}

  std::vector<float> read(const TensorEntry* entry) {
    std::vector<float> values;
    if (entry != nullptr) {
      read_floats(*entry, values);
      file_.release(*entry);
    }
    return values;
  }

  // A linear layer's weight and bias, parts stacked along the outputs.
  void read_linear(const detail::LinearTensors& tensors, std::vector<float>& weight, std::vector<float>& bias) {
    weight.clear();
    bias.clear();
    for (const TensorEntry* part : tensors.weights) {
      read_floats(*part, scratch_);
      weight.insert(weight.end(), scratch_.begin(), scratch_.end());
      file_.release(*part);
    }
    for (const TensorEntry* part : tensors.biases) {
      read_floats(*part, scratch_);
      bias.insert(bias.end(), scratch_.begin(), scratch_.end());
      file_.release(*part);
    }
  }

 private:
  const SafetensorsFile& file_;
  std::vector<float> scratch_;
};

// Multiplies output row `row` (and its bias) of a [out, in] weight by `factor[row]`.
void scale_rows(std::vector<float>& weight, std::vector<float>& bias, std::int64_t in, std::span<const float> factor,
                std::int64_t first_row = 0) {
  for (std::size_t r = 0; r < factor.size(); ++r) {
    const std::size_t row = static_cast<std::size_t>(first_row) + r;
    float* w = weight.data() + row * static_cast<std::size_t>(in);
    for (std::int64_t c = 0; c < in; ++c) {
      w[c] *= factor[r];
    }
    if (!bias.empty()) {
      bias[row] *= factor[r];
    }
  }
}

// The weights folder's files: model.safetensors and config.json.
struct WeightFiles {
  std::filesystem::path safetensors;
  std::filesystem::path config;
};

WeightFiles locate(const std::filesystem::path& weights) {
  std::error_code error;
  if (std::filesystem::is_directory(weights, error)) {
    const std::filesystem::path file = weights / "model.safetensors";
    if (!std::filesystem::exists(file, error)) {
      const bool sharded = std::filesystem::exists(weights / "model.safetensors.index.json", error);
      throw EngineError(weights.string() + ": no model.safetensors in this folder" +
                        (sharded ? " (a sharded checkpoint, model.safetensors.index.json: not supported)"
                                 : " (expected a Hugging Face snapshot with model.safetensors and config.json)"));
    }
    return {.safetensors = file, .config = weights / "config.json"};
  }
  if (!std::filesystem::exists(weights, error)) {
    throw EngineError(weights.string() + ": no such file or folder");
  }
  if (weights.extension() != ".safetensors") {
    throw EngineError(weights.string() +
                      ": not a .safetensors file or a folder holding one (the native engine reads safetensors; "
                      "TorchScript .pt files run on LibTorch)");
  }
  return {.safetensors = weights, .config = weights.parent_path() / "config.json"};
}

}  // namespace

struct VitModel::State {
  State(models::ModelSpec spec_, VitArchitecture arch_, std::filesystem::path file_)
      : spec(std::move(spec_)), arch(std::move(arch_)), file(std::move(file_)) {}

  models::ModelSpec spec;
  VitArchitecture arch;
  std::filesystem::path file;
  models::Precision precision = models::Precision::fp32;
  std::string note;
  int threads = 1;
  std::int64_t channels = 3;
  detail::Grid grid;        // the input's patch grid
  detail::Grid model_grid;  // img_size / patch
  detail::Grid checkpoint_grid;
  std::int64_t patches = 0;  // per tile
  std::int64_t tokens = 0;   // per tile
  std::int64_t dim = 0;
  std::size_t tile_size = 0;
  std::int64_t patch_inputs = 0;  // channels * patch * patch
  std::unique_ptr<detail::MatmulContext> context;
  std::optional<LinearLayer> patch_embed;  // no bias: it is in token_bias
  std::vector<float> token_bias;           // [tokens, dim]: prefix tokens, position embeddings, patch bias
  std::vector<Block> blocks;
  Norm norm;
  std::size_t weight_bytes = 0;
  // Per-batch buffers, reused.
  Buffer x;        // [rows, dim] fp32 residual stream
  Buffer h;        // [rows, dim] compute type: the input of the next product
  Buffer wide;     // qkv, the MLP's hidden layer, the patches
  Buffer scratch;  // per-thread attention scratch
  std::size_t scratch_floats = 0;

  [[nodiscard]] bool bf16() const noexcept { return context->bf16(); }
  void run(std::span<const float> tiles, std::span<float> tokens_out);
};

VitModel VitModel::load(const std::filesystem::path& weights, const models::ModelSpec& spec,
                        const EngineOptions& options) {
  if (options.precision == models::Precision::fp16) {
    throw EngineError(weights.string() +
                      ": precision fp16: oneDNN 2.6 has no fp16 matrix product on CPUs; run fp32, or bf16 where the "
                      "CPU has AVX-512");
  }
  const WeightFiles files = locate(weights);
  std::string config_text;
  try {
    config_text = bioptimus::detail::read_input_file(
        files.config, {.expected = "a timm config.json", .max_bytes = max_config_bytes, .noun = "config"});
  } catch (const bioptimus::detail::InputFileError& error) {
    throw EngineError(files.config.string() + ": " + error.brief_reason() +
                      " (the native engine needs the timm config.json beside the weights)");
  }
  // The create_model arguments the spec's model card passes in code, then the caller's.
  std::vector<detail::ArgumentLayer> layers;
  if (spec.weights_source()) {
    if (const detail::TimmArguments* card = detail::find_card_arguments(*spec.weights_source())) {
      layers.push_back({.origin = "create_model argument of the " + std::string{card->name} + " model card (" +
                                  std::string{card->source} + ")",
                        .json = card->json});
    }
  }
  layers.push_back({.origin = "create_model argument", .json = options.create_model_args});
  detail::ModelConfig config = detail::read_model_config(config_text, files.config.string(), layers);
  VitArchitecture arch = std::move(config.architecture);

  // What the spec fixes must agree with the architecture.
  const std::string who = files.safetensors.string();
  const std::array<std::int64_t, 3> input = spec.input_shape();
  std::vector<std::string> mismatches;
  if (spec.architecture() != models::Architecture::vit) {
    mismatches.push_back("the spec's architecture is " + std::string{models::to_string(spec.architecture())} +
                         ", not vit");
  }
  if (input[0] != arch.in_chans()) {
    mismatches.push_back("the spec's num_channels " + std::to_string(input[0]) + " against in_chans " +
                         std::to_string(arch.in_chans()));
  }
  if (spec.patch_size() && *spec.patch_size() != arch.patch_size()) {
    mismatches.push_back("the spec's patch_size " + std::to_string(*spec.patch_size()) + " against the model's " +
                         std::to_string(arch.patch_size()));
  }
  if (spec.num_prefix_tokens() != arch.num_prefix_tokens()) {
    mismatches.push_back("the spec's num_prefix_tokens " + std::to_string(spec.num_prefix_tokens()) +
                         " against the model's " + std::to_string(arch.num_prefix_tokens()) + " (" +
                         (arch.class_token() ? "CLS + " : "") + std::to_string(arch.reg_tokens()) + " registers)");
  }
  // A ModelSpec's patch divides its input: with the same patch, the grid is whole.
  const detail::Grid grid{.height = input[1] / arch.patch_size(), .width = input[2] / arch.patch_size()};
  const detail::Grid model_grid{.height = arch.grid_height(), .width = arch.grid_width()};
  const bool timm = config.names == detail::CheckpointNames::timm;
  if ((grid.height != model_grid.height || grid.width != model_grid.width) && !timm) {
    mismatches.push_back("the spec's input " + std::to_string(input[1]) + "x" + std::to_string(input[2]) +
                         " against the config's image_size " + std::to_string(arch.fields().image_height) +
                         " (transformers resamples position embeddings differently across its versions: the "
                         "engine runs a transformers model at its image_size only)");
  } else if ((grid.height != model_grid.height || grid.width != model_grid.width) && !arch.dynamic_img_size()) {
    mismatches.push_back("the spec's input " + std::to_string(input[1]) + "x" + std::to_string(input[2]) +
                         " against the model's img_size " + std::to_string(arch.fields().image_height) + "x" +
                         std::to_string(arch.fields().image_width) +
                         " (timm runs another size only with dynamic_img_size: give it as a create_model argument)");
  }
  if (!mismatches.empty()) {
    std::string text = who + ": the model does not fit the spec " + spec.model_name() + ":";
    for (const std::string& mismatch : mismatches) {
      text += "\n  " + mismatch;
    }
    throw EngineError(text);
  }

  const SafetensorsFile file = SafetensorsFile::open(files.safetensors);
  const detail::VitTensors tensors =
      timm ? detail::map_timm_weights(file, arch)
           : detail::map_transformers_weights(file, arch, config.names == detail::CheckpointNames::transformers_dinov2);

  auto state = std::make_unique<State>(spec, arch, files.safetensors);
  State& s = *state;
  s.precision = options.precision;
  if (s.precision == models::Precision::bf16) {
    if (const detail::MatmulSupport support = detail::query_matmul_support(); !support.bf16_runs) {
      s.precision = models::Precision::fp32;
      s.note = "bf16 requested, but oneDNN runs no bf16 matrix product on this CPU (" + support.isa +
               ", no AVX-512): running fp32";
    }
  }
  s.threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  s.channels = input[0];
  s.grid = grid;
  s.model_grid = model_grid;
  s.checkpoint_grid = {.height = tensors.pos_grid_height, .width = tensors.pos_grid_width};
  s.patches = grid.height * grid.width;
  s.tokens = arch.num_prefix_tokens() + s.patches;
  s.dim = arch.embed_dim();
  s.tile_size = static_cast<std::size_t>(input[0] * input[1] * input[2]);
  const std::int64_t patch = arch.patch_size();
  s.patch_inputs = input[0] * patch * patch;
  omp_set_num_threads(s.threads);
  s.context = std::make_unique<detail::MatmulContext>(s.precision == models::Precision::bf16);
  detail::MatmulContext& context = *s.context;
  const std::int64_t layout_rows = s.tokens * 16;
  const std::int64_t dim = s.dim;
  TensorReader reader{file};

  // The patch embedding: a convolution with stride = kernel = patch is a
  // product of each patch's pixels (channel, row, column order) by the
  // kernel seen as [dim, channels * patch * patch].
  std::vector<float> weight = reader.read(tensors.patch_weight);
  s.patch_embed.emplace(context, weight, std::span<const float>{}, dim, s.patch_inputs, Epilogue::none, false,
                        s.patches * 16);
  const std::vector<float> patch_bias = reader.read(tensors.patch_bias);

  // Position embeddings: the checkpoint's grid to the model's (timm's
  // checkpoint_filter_fn at load), then the model's to the input's (timm's
  // dynamic_img_size at run time).
  const std::vector<float> pos = reader.read(tensors.pos_embed);
  // The first pos_prefix prefix tokens (CLS, then registers) have a row each.
  const std::int64_t pos_prefix = arch.positioned_prefix_tokens();
  const auto pos_prefix_floats = static_cast<std::size_t>(pos_prefix * dim);
  std::vector<float> patch_pos(pos.begin() + static_cast<std::ptrdiff_t>(pos_prefix_floats), pos.end());
  if (s.checkpoint_grid.height != model_grid.height || s.checkpoint_grid.width != model_grid.width) {
    patch_pos = detail::resample_patch_embeddings(patch_pos, dim, s.checkpoint_grid, model_grid);
  }
  if (grid.height != model_grid.height || grid.width != model_grid.width) {
    patch_pos = detail::resample_patch_embeddings(patch_pos, dim, model_grid, grid);
  }
  const std::vector<float> cls = reader.read(tensors.cls_token);
  const std::vector<float> reg = reader.read(tensors.reg_token);
  s.token_bias.assign(static_cast<std::size_t>(s.tokens * dim), 0.0F);
  std::copy(cls.begin(), cls.end(), s.token_bias.begin());
  std::copy(reg.begin(), reg.end(), s.token_bias.begin() + static_cast<std::ptrdiff_t>(cls.size()));
  for (std::size_t i = 0; i < pos_prefix_floats; ++i) {
    s.token_bias[i] += pos[i];
  }
  const auto prefix_floats = static_cast<std::size_t>(arch.num_prefix_tokens() * dim);
  for (std::size_t i = 0; i < patch_pos.size(); ++i) {
    s.token_bias[prefix_floats + i] = patch_pos[i] + patch_bias[i % static_cast<std::size_t>(dim)];
  }

  // The blocks. timm's Attention multiplies q by head_dim ** -0.5 (a Python
  // float, applied to a float32 tensor): folded into q's rows of qkv.
  const auto scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(arch.head_dim())));
  const std::vector<float> q_scale(static_cast<std::size_t>(dim), scale);
  const std::int64_t hidden = arch.mlp_hidden();
  const std::int64_t inner = arch.mlp_inner();
  const Epilogue activation = arch.activation() == Activation::silu ? Epilogue::silu : Epilogue::gelu;
  std::vector<float> bias;
  for (const detail::BlockTensors& b : tensors.blocks) {
    Norm norm1{reader.read(b.norm1.weight), reader.read(b.norm1.bias)};
    reader.read_linear(b.qkv, weight, bias);
    if (bias.empty()) {
      bias.assign(static_cast<std::size_t>(3 * dim), 0.0F);
    }
    scale_rows(weight, bias, dim, q_scale);
    LinearLayer qkv(context, weight, bias, 3 * dim, dim, Epilogue::none, false, layout_rows);
    reader.read_linear(b.proj, weight, bias);
    if (b.ls1 != nullptr) {
      scale_rows(weight, bias, dim, reader.read(b.ls1));
    }
    LinearLayer proj(context, weight, bias, dim, dim, Epilogue::accumulate, false, layout_rows);
    Norm norm2{reader.read(b.norm2.weight), reader.read(b.norm2.bias)};
    reader.read_linear(b.fc1, weight, bias);
    std::optional<LinearLayer> value;
    std::optional<LinearLayer> fc1;
    if (arch.mlp() == MlpKind::swiglu_packed) {
      // timm's GluMlp with gate_last=False: act(first half) * second half.
      const auto half = static_cast<std::size_t>(inner * dim);
      const std::span<const float> all{weight};
      const std::span<const float> all_bias{bias};
      fc1.emplace(context, all.first(half), all_bias.first(static_cast<std::size_t>(inner)), inner, dim, activation,
                  false, layout_rows);
      value.emplace(context, all.subspan(half), all_bias.subspan(static_cast<std::size_t>(inner)), inner, dim,
                    Epilogue::gate, true, layout_rows);
    } else {
      fc1.emplace(context, weight, bias, hidden, dim, activation, true, layout_rows);
    }
    reader.read_linear(b.fc2, weight, bias);
    if (b.ls2 != nullptr) {
      scale_rows(weight, bias, inner, reader.read(b.ls2));
    }
    LinearLayer fc2(context, weight, bias, dim, inner, Epilogue::accumulate, false, layout_rows);
    s.blocks.push_back(Block{.norm1 = std::move(norm1),
                             .qkv = std::move(qkv),
                             .proj = std::move(proj),
                             .norm2 = std::move(norm2),
                             .fc1 = std::move(*fc1),
                             .value = std::move(value),
                             .fc2 = std::move(fc2)});
  }
  if (arch.final_norm()) {
    s.norm = Norm{reader.read(tensors.norm.weight), reader.read(tensors.norm.bias)};
  }
  s.weight_bytes = s.patch_embed->bytes() + s.token_bias.size() * sizeof(float);
  for (const Block& b : s.blocks) {
    s.weight_bytes += b.qkv.bytes() + b.proj.bytes() + b.fc1.bytes() + (b.value ? b.value->bytes() : 0) +
                      b.fc2.bytes() + 4 * static_cast<std::size_t>(dim) * sizeof(float);
  }
  s.scratch_floats = detail::attention_scratch_floats(s.tokens, arch.head_dim());
  return VitModel{std::move(state)};
}

VitModel::VitModel(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
VitModel::VitModel(VitModel&&) noexcept = default;
VitModel& VitModel::operator=(VitModel&&) noexcept = default;
VitModel::~VitModel() = default;

const VitArchitecture& VitModel::architecture() const noexcept { return state_->arch; }
const std::filesystem::path& VitModel::weights_file() const noexcept { return state_->file; }
models::Precision VitModel::precision() const noexcept { return state_->precision; }
const std::string& VitModel::precision_note() const noexcept { return state_->note; }
int VitModel::threads() const noexcept { return state_->threads; }
std::size_t VitModel::tile_size() const noexcept { return state_->tile_size; }
std::int64_t VitModel::tokens_per_tile() const noexcept { return state_->tokens; }
std::int64_t VitModel::token_dim() const noexcept { return state_->dim; }
std::size_t VitModel::weight_bytes() const noexcept { return state_->weight_bytes; }

std::string VitModel::describe() const {
  const State& s = *state_;
  const auto grid_text = [](detail::Grid g) { return std::to_string(g.height) + "x" + std::to_string(g.width); };
  std::string text = s.arch.describe() + "\n";
  text += "weights: " + s.file.string() + " (" + std::to_string(s.weight_bytes >> 20) + " MiB laid out for " +
          std::string{models::to_string(s.precision)} + ")\n";
  text += "input: " + std::to_string(s.channels) + "x" + std::to_string(s.grid.height * s.arch.patch_size()) + "x" +
          std::to_string(s.grid.width * s.arch.patch_size()) + ", patch grid " + grid_text(s.grid) + ", " +
          std::to_string(s.tokens) + " tokens of " + std::to_string(s.dim);
  if (s.checkpoint_grid.height != s.model_grid.height || s.checkpoint_grid.width != s.model_grid.width) {
    text += "; position embeddings resampled " + grid_text(s.checkpoint_grid) + " -> " + grid_text(s.model_grid);
  }
  if (s.grid.height != s.model_grid.height || s.grid.width != s.model_grid.width) {
    text += "; position embeddings resampled " + grid_text(s.model_grid) + " -> " + grid_text(s.grid);
  }
  text += "\nprecision: " + std::string{models::to_string(s.precision)} + " (" +
          (s.context->implementation().empty() ? std::string{"oneDNN"} : "oneDNN " + s.context->implementation()) +
          "), " + std::to_string(s.threads) + " threads";
  if (!s.note.empty()) {
    text += "\n" + s.note;
  }
  return text;
}

void VitModel::run(std::span<const float> tiles, std::span<float> tokens) {
  State& s = *state_;
  const std::size_t batch = tiles.size() / s.tile_size;
  const auto out_per_tile = static_cast<std::size_t>(s.tokens * s.dim);
  if (batch == 0 || tiles.size() % s.tile_size != 0 || tokens.size() != batch * out_per_tile) {
    throw EngineError(s.file.string() + ": run() needs whole tiles of " + std::to_string(s.tile_size) + " floats and " +
                      std::to_string(out_per_tile) + " floats of tokens per tile; got " + std::to_string(tiles.size()) +
                      " and " + std::to_string(tokens.size()));
  }
  s.run(tiles, tokens);
}

}  // namespace bioptimus::engine

namespace bioptimus::engine {

void VitModel::State::run(std::span<const float> tiles, std::span<float> out) {
  const auto batch = static_cast<std::int64_t>(tiles.size() / tile_size);
  const std::int64_t rows = batch * tokens;
  const std::int64_t patch_rows = batch * patches;
  const std::int64_t heads = arch.num_heads();
  const std::int64_t head_dim = arch.head_dim();
  const std::int64_t patch = arch.patch_size();
  const std::int64_t prefix = arch.num_prefix_tokens();
  const std::int64_t inner = arch.mlp_inner();
  const bool gated = arch.mlp() == MlpKind::swiglu_packed;
  const std::int64_t wide_width = std::max({3 * dim, gated ? 2 * inner : arch.mlp_hidden(), 2 * patch_inputs + dim});
  x.reserve(static_cast<std::size_t>(rows * dim));
  h.reserve(static_cast<std::size_t>(rows * dim));
  wide.reserve(static_cast<std::size_t>(rows * wide_width));
  omp_set_num_threads(threads);
  scratch.reserve(scratch_floats * static_cast<std::size_t>(threads));
  detail::MatmulContext& ctx = *context;
  const bool low = bf16();
  const Destination to_h{.data = h.data(), .bf16 = low};
  const auto eps = static_cast<float>(arch.norm_eps());
  constexpr std::int64_t norm_chunk = 16;
  const std::int64_t norm_chunks = (rows + norm_chunk - 1) / norm_chunk;
  const auto norm_rows = [&](const float* in, const Norm& parameters, Destination target) {
#pragma omp parallel for schedule(static)
    for (std::int64_t chunk = 0; chunk < norm_chunks; ++chunk) {
      const std::int64_t first = chunk * norm_chunk;
      const std::int64_t count = std::min(norm_chunk, rows - first);
      const std::size_t offset = static_cast<std::size_t>(first * dim);
      Destination part = target;
      part.data = target.bf16 ? static_cast<void*>(static_cast<detail::Bf16Bits*>(target.data) + offset)
                              : static_cast<void*>(static_cast<float*>(target.data) + offset);
      detail::layer_norm(in + offset, dim, count, dim, parameters.weight.data(), parameters.bias.data(), eps, part,
                         dim);
    }
  };

  // Patches as rows: (channel, row, column) order, the convolution kernel's.
  const std::int64_t height = grid.height * patch;
  const std::int64_t width = grid.width * patch;
  float* columns = wide.data();
  const float* input = tiles.data();
#pragma omp parallel for schedule(static)
  for (std::int64_t band = 0; band < batch * grid.height; ++band) {
    const std::int64_t b = band / grid.height;
    const std::int64_t gy = band % grid.height;
    const float* tile = input + static_cast<std::size_t>(b) * tile_size;
    for (std::int64_t gx = 0; gx < grid.width; ++gx) {
      float* row = columns + ((b * patches + gy * grid.width + gx) * patch_inputs);
      for (std::int64_t c = 0; c < channels; ++c) {
        for (std::int64_t ky = 0; ky < patch; ++ky) {
          const float* source = tile + (c * height + gy * patch + ky) * width + gx * patch;
          std::memcpy(row + (c * patch + ky) * patch, source, static_cast<std::size_t>(patch) * sizeof(float));
        }
      }
    }
  }
  const void* patch_source = columns;
  float* embedded = columns + 2 * patch_rows * patch_inputs;
  if (low) {
    auto* converted = reinterpret_cast<detail::Bf16Bits*>(columns + patch_rows * patch_inputs);
    detail::to_bf16(columns, static_cast<std::size_t>(patch_rows * patch_inputs), converted);
    patch_source = converted;
  }
  patch_embed->run(ctx, patch_source, patch_rows, embedded);

  // Tokens: the per-position table (prefix tokens, position embeddings, the
  // patch bias) plus the embedded patches.
  float* residual = x.data();
#pragma omp parallel for schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t b = r / tokens;
    const std::int64_t t = r % tokens;
    float* target = residual + r * dim;
    const float* bias = token_bias.data() + t * dim;
    if (t < prefix) {
      std::memcpy(target, bias, static_cast<std::size_t>(dim) * sizeof(float));
      continue;
    }
    const float* value = embedded + (b * patches + t - prefix) * dim;
    for (std::int64_t c = 0; c < dim; ++c) {
      target[c] = bias[c] + value[c];
    }
  }

  float* attention_scratch = scratch.data();
  const std::size_t scratch_size = scratch_floats;
  for (const Block& block : blocks) {
    norm_rows(residual, block.norm1, to_h);
    float* qkv = wide.data();
    block.qkv.run(ctx, h.data(), rows, qkv);
#pragma omp parallel for schedule(static)
    for (std::int64_t item = 0; item < batch * heads; ++item) {
      const std::int64_t b = item / heads;
      const std::int64_t head = item % heads;
      float* mine = attention_scratch + static_cast<std::size_t>(omp_get_thread_num()) * scratch_size;
      Destination target = to_h;
      const auto offset = static_cast<std::size_t>(b * tokens * dim);
      target.data = low ? static_cast<void*>(static_cast<detail::Bf16Bits*>(to_h.data) + offset)
                        : static_cast<void*>(static_cast<float*>(to_h.data) + offset);
      detail::attention_head(qkv + b * tokens * 3 * dim, 3 * dim, tokens, heads, head, head_dim, mine, target, dim);
    }
    block.proj.run(ctx, h.data(), rows, residual);
    norm_rows(residual, block.norm2, to_h);
    if (block.value) {
      float* gate = wide.data();
      float* hidden = wide.data() + rows * inner;
      block.fc1.run(ctx, h.data(), rows, gate);
      block.value->run(ctx, h.data(), rows, hidden, gate);
      block.fc2.run(ctx, hidden, rows, residual);
    } else {
      float* hidden = wide.data();
      block.fc1.run(ctx, h.data(), rows, hidden);
      block.fc2.run(ctx, hidden, rows, residual);
    }
  }
  if (arch.final_norm()) {
    norm_rows(residual, norm, Destination{.data = out.data(), .bf16 = false});
  } else {
    std::memcpy(out.data(), residual, static_cast<std::size_t>(rows * dim) * sizeof(float));
  }
}

}  // namespace bioptimus::engine
