// The only file that includes LibTorch: TorchScript loading, the load-time
// shape check, and running batches under inference mode.
#include "bioptimus/inference/backbone.hpp"

#include <torch/cuda.h>
#include <torch/script.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace bioptimus::inference {
namespace {

// The first line of a LibTorch message: the rest is a C++ or TorchScript backtrace.
std::string first_line(const char* message) {
  const std::string text = message;
  return text.substr(0, text.find('\n'));
}

torch::ScalarType scalar_type(models::Precision precision) {
  switch (precision) {
    case models::Precision::fp16:
      return torch::kHalf;
    case models::Precision::bf16:
      return torch::kBFloat16;
    case models::Precision::fp32:
      break;
  }
  return torch::kFloat;
}

std::vector<std::int64_t> to_vector(at::IntArrayRef sizes) { return {sizes.begin(), sizes.end()}; }

}  // namespace

struct Backbone::State {
  State(const std::filesystem::path& path, const models::ModelSpec& model_spec, torch::jit::Module loaded,
        torch::Device run_device, models::Precision run_precision, std::span<const std::int64_t> tile_output_shape)
      : file(path),
        spec(model_spec),
        module(std::move(loaded)),
        device(run_device),
        precision(run_precision),
        readout(model_spec, tile_output_shape, path.string()) {
    const std::array<std::int64_t, 3> input = spec.input_shape();
    tile_size = static_cast<std::size_t>(input[0] * input[1] * input[2]);
  }

  std::filesystem::path file;
  models::ModelSpec spec;
  torch::jit::Module module;
  torch::Device device;
  models::Precision precision;
  models::Readout readout;
  std::size_t tile_size = 0;
  // The 16-bit output copied out of LibTorch's types into ours, reused across batches.
  std::vector<models::Half> halves;
  std::vector<models::BFloat16> bfloats;

  // Runs the module on a float32 CPU batch; the output is a contiguous CPU tensor.
  torch::Tensor forward(const torch::Tensor& batch) {
    std::vector<torch::jit::IValue> inputs{batch.to(device, scalar_type(precision))};
    const torch::jit::IValue output = module.forward(inputs);
    if (!output.isTensor()) {
      throw BackboneError(file.string() + ": the model returns " + output.tagKind() +
                          "; expected one tensor (the token sequence or the pooled embedding)");
    }
    return output.toTensor().to(torch::kCPU).contiguous();
  }
};

Backbone Backbone::load(const std::filesystem::path& file, const models::ModelSpec& spec,
                        const BackboneOptions& options) {
  const std::string name = file.string();
  std::error_code error;
  if (!std::filesystem::is_regular_file(file, error)) {
    throw BackboneError(name + ": cannot open the TorchScript model: no such file");
  }
  std::optional<torch::Device> device;
  try {
    device.emplace(options.device);
  } catch (const c10::Error& e) {
    throw BackboneError("device " + options.device +
                        ": not a LibTorch device (cpu, cuda or cuda:N): " + first_line(e.what_without_backtrace()));
  }
  if (device->is_cuda() && !torch::cuda::is_available()) {
    throw BackboneError("device " + options.device + ": this LibTorch has no CUDA device to use");
  }
  const models::Precision precision =
      options.precision.value_or(device->is_cuda() ? spec.precision() : models::Precision::fp32);

  c10::InferenceMode inference_mode;
  torch::jit::Module module;
  try {
    module = torch::jit::load(name, *device);
  } catch (const c10::Error& e) {
    throw BackboneError(name +
                        ": not a TorchScript model (save one with torch.jit.trace or torch.jit.script, "
                        "then .save()): " +
                        first_line(e.what_without_backtrace()));
  }
  module.eval();
  std::vector<std::int64_t> tile_output_shape;
  try {
    module.to(*device, scalar_type(precision));
    // Two tiles, so that a model that drops or hard-codes the batch axis shows.
    constexpr std::int64_t dummy_batch = 2;
    const std::array<std::int64_t, 3> input = spec.input_shape();
    const torch::jit::IValue output =
        module.forward({torch::zeros({dummy_batch, input[0], input[1], input[2]},
                                     torch::TensorOptions().dtype(scalar_type(precision)).device(*device))});
    if (!output.isTensor()) {
      throw BackboneError(name + ": the model returns " + output.tagKind() +
                          "; expected one tensor (the token sequence or the pooled embedding)");
    }
    const torch::Tensor tensor = output.toTensor();
    if (tensor.dim() < 2 || tensor.size(0) != dummy_batch) {
      throw BackboneError(name + ": a batch of 2 tiles gave an output of shape " + c10::str(tensor.sizes()) +
                          "; expected the batch size first");
    }
    tile_output_shape = to_vector(tensor.sizes().slice(1));
  } catch (const c10::Error& e) {
    throw BackboneError(name + ": the model fails on a batch of zeros of shape [2, " +
                        std::to_string(spec.num_channels()) + ", " + std::to_string(spec.tile_size_pixels().height) +
                        ", " + std::to_string(spec.tile_size_pixels().width) + "] in " +
                        std::string{models::to_string(precision)} + " on " + options.device + ": " +
                        first_line(e.what_without_backtrace()));
  }
  return Backbone{std::make_unique<State>(file, spec, std::move(module), *device, precision, tile_output_shape)};
}

Backbone::Backbone(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
Backbone::Backbone(Backbone&&) noexcept = default;
Backbone& Backbone::operator=(Backbone&&) noexcept = default;
Backbone::~Backbone() = default;

const models::ModelSpec& Backbone::spec() const noexcept { return state_->spec; }
const std::filesystem::path& Backbone::file() const noexcept { return state_->file; }
models::Precision Backbone::precision() const noexcept { return state_->precision; }
const models::Readout& Backbone::readout() const noexcept { return state_->readout; }
std::size_t Backbone::tile_size() const noexcept { return state_->tile_size; }
std::size_t Backbone::embedding_size() const noexcept { return state_->readout.output_size(); }

void Backbone::embed(std::span<const float> tiles, std::span<float> embeddings) {
  State& state = *state_;
  const std::size_t batch = tiles.size() / state.tile_size;
  if (batch == 0 || tiles.size() % state.tile_size != 0 || embeddings.size() != batch * embedding_size()) {
    throw BackboneError(state.file.string() + ": embed() needs whole tiles of " + std::to_string(state.tile_size) +
                        " floats and " + std::to_string(embedding_size()) + " floats of output per tile; got " +
                        std::to_string(tiles.size()) + " and " + std::to_string(embeddings.size()));
  }
  const std::array<std::int64_t, 3> shape = state.spec.input_shape();
  c10::InferenceMode inference_mode;
  torch::Tensor output;
  try {
    // from_blob wants a mutable pointer; the tensor is only read (copied by .to() or read by the model).
    const torch::Tensor input = torch::from_blob(const_cast<float*>(tiles.data()),
                                                 {static_cast<std::int64_t>(batch), shape[0], shape[1], shape[2]},
                                                 torch::TensorOptions().dtype(torch::kFloat));
    output = state.forward(input);
  } catch (const c10::Error& e) {
    throw BackboneError(state.file.string() + ": the model fails on a batch of " + std::to_string(batch) +
                        " tiles: " + first_line(e.what_without_backtrace()));
  }
  const std::size_t expected = batch * state.readout.input_size();
  if (output.size(0) != static_cast<std::int64_t>(batch) || static_cast<std::size_t>(output.numel()) != expected) {
    throw BackboneError(
        state.file.string() + ": a batch of " + std::to_string(batch) + " tiles gave an output of shape " +
        c10::str(output.sizes()) + "; at load it gave " +
        c10::str(c10::IntArrayRef(state.readout.input_shape().data(), state.readout.input_shape().size())) +
        " per tile");
  }
  const std::size_t bytes = static_cast<std::size_t>(output.nbytes());
  switch (output.scalar_type()) {
    case torch::kFloat:
      state.readout.apply(std::span<const float>{output.data_ptr<float>(), expected}, embeddings);
      return;
    case torch::kHalf:
      state.halves.resize(expected);
      std::memcpy(state.halves.data(), output.data_ptr(), bytes);
      state.readout.apply(std::span<const models::Half>{state.halves}, embeddings);
      return;
    case torch::kBFloat16:
      state.bfloats.resize(expected);
      std::memcpy(state.bfloats.data(), output.data_ptr(), bytes);
      state.readout.apply(std::span<const models::BFloat16>{state.bfloats}, embeddings);
      return;
    default: {
      // Any other floating type (float64, say) is read as float32.
      const torch::Tensor as_float = output.to(torch::kFloat);
      state.readout.apply(std::span<const float>{as_float.data_ptr<float>(), expected}, embeddings);
      return;
    }
  }
}

}  // namespace bioptimus::inference
