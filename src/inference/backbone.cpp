// The backbone: the engine chosen by the weights' form, the precision decided
// once for either engine (precision.hpp), the spec, and the Readout made once
// from the engine's output shape.
#include "bioptimus/inference/backbone.hpp"

#include <array>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "backend.hpp"
#include "precision.hpp"

namespace bioptimus::inference {
namespace {

// A folder (a Hugging Face snapshot) or a .safetensors file is the native
// engine's; anything else is taken for TorchScript.
BackendKind backend_for(const std::filesystem::path& weights) {
  std::error_code error;
  return std::filesystem::is_directory(weights, error) || weights.extension() == ".safetensors"
             ? BackendKind::native
             : BackendKind::torchscript;
}

// The CPU does not change while the process runs; probed once (the AMX permission is a system call).
detail::NativeBf16 this_cpu_bf16() {
  static const detail::NativeBf16 unit = detail::native_bf16(detail::probe_x86_features());
  return unit;
}

}  // namespace

// A library built without one of the engines refuses its weights by name.
#ifndef BIOPTIMUS_INFERENCE_WITH_TORCHSCRIPT
std::unique_ptr<detail::Backend> detail::load_torchscript(const std::filesystem::path& file, const models::ModelSpec&,
                                                          const BackboneOptions&, PrecisionChoice) {
  throw BackboneError(file.string() +
                      ": taken for a TorchScript model (not a folder or a .safetensors file), but this bioptimus was "
                      "built without LibTorch; the native engine reads a Hugging Face snapshot (model.safetensors + "
                      "config.json)");
}
#endif
#ifndef BIOPTIMUS_INFERENCE_WITH_NATIVE_ENGINE
std::unique_ptr<detail::Backend> detail::load_native(const std::filesystem::path& weights, const models::ModelSpec&,
                                                     const BackboneOptions&, PrecisionChoice) {
  throw BackboneError(weights.string() +
                      ": safetensors weights for the native engine, but this bioptimus was built without it (oneDNN "
                      "not found); export the model as TorchScript for LibTorch");
}
#endif

struct Backbone::State {
  std::filesystem::path file;
  models::ModelSpec spec;
  BackendKind kind;
  std::unique_ptr<detail::Backend> backend;
  models::Readout readout;
  std::size_t tile_size;
};

Backbone Backbone::load(const std::filesystem::path& file, const models::ModelSpec& spec,
                        const BackboneOptions& options) {
  const BackendKind kind = backend_for(file);
  const std::string name = file.string();
  if (options.threads < 0) {
    throw BackboneError(name + ": threads must be 0 (the engine's default) or more, got " +
                        std::to_string(options.threads));
  }
  // One decision for both engines: the same spec, request and CPU give the same precision.
  const bool cuda = options.device.starts_with("cuda");
  detail::PrecisionChoice choice = [&] {
    try {
      return detail::choose_precision(spec.precision(), options.precision,
                                      cuda ? detail::DeviceKind::cuda : detail::DeviceKind::cpu,
                                      cuda ? detail::NativeBf16::none : this_cpu_bf16());
    } catch (const BackboneError& e) {
      throw BackboneError(name + ": " + e.what());
    }
  }();
  std::unique_ptr<detail::Backend> backend = kind == BackendKind::native
                                                 ? detail::load_native(file, spec, options, std::move(choice))
                                                 : detail::load_torchscript(file, spec, options, std::move(choice));
  models::Readout readout{spec, backend->tile_output_shape(), file.string()};
  const std::array<std::int64_t, 3> input = spec.input_shape();
  const auto tile_size = static_cast<std::size_t>(input[0] * input[1] * input[2]);
  return Backbone{std::make_unique<State>(State{.file = file,
                                                .spec = spec,
                                                .kind = kind,
                                                .backend = std::move(backend),
                                                .readout = std::move(readout),
                                                .tile_size = tile_size})};
}

Backbone::Backbone(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
Backbone::Backbone(Backbone&&) noexcept = default;
Backbone& Backbone::operator=(Backbone&&) noexcept = default;
Backbone::~Backbone() = default;

const models::ModelSpec& Backbone::spec() const noexcept { return state_->spec; }
const std::filesystem::path& Backbone::file() const noexcept { return state_->file; }
models::Precision Backbone::precision() const noexcept { return state_->backend->precision(); }
BackendKind Backbone::backend() const noexcept { return state_->kind; }
const std::string& Backbone::precision_reason() const noexcept { return state_->backend->precision_reason(); }
const std::vector<std::string>& Backbone::warnings() const noexcept { return state_->backend->warnings(); }
const models::Readout& Backbone::readout() const noexcept { return state_->readout; }
std::size_t Backbone::tile_size() const noexcept { return state_->tile_size; }
std::size_t Backbone::embedding_size() const noexcept { return state_->readout.output_size(); }

std::string Backbone::describe() const {
  return state_->spec.identity() + " on the " + std::string{to_string(state_->kind)} +
         " engine: " + state_->backend->describe();
}

void Backbone::embed(std::span<const float> tiles, std::span<float> embeddings) {
  State& state = *state_;
  const std::string name = state.file.string();
  const std::size_t batch = tiles.size() / state.tile_size;
  if (batch == 0 || tiles.size() % state.tile_size != 0 || embeddings.size() != batch * embedding_size()) {
    throw BackboneError(name + ": embed() needs whole tiles of " + std::to_string(state.tile_size) + " floats and " +
                        std::to_string(embedding_size()) + " floats of output per tile; got " +
                        std::to_string(tiles.size()) + " and " + std::to_string(embeddings.size()));
  }
  state.backend->embed(tiles, batch, state.readout, embeddings, name);
}

}  // namespace bioptimus::inference
