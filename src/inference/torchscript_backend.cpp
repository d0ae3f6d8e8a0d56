// The backbone: the spec and the readout (C++20) around the LibTorch module
// (torch_module.cpp, C++17), whose failures become BackboneErrors naming the file.
#include "bioptimus/inference/backbone.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "torch_module.hpp"

namespace bioptimus::inference {
namespace {

detail::ElementType element_type(models::Precision precision) {
  switch (precision) {
    case models::Precision::fp16:
      return detail::ElementType::fp16;
    case models::Precision::bf16:
      return detail::ElementType::bf16;
    case models::Precision::fp32:
      break;
  }
  return detail::ElementType::fp32;
}

std::string shape_text(std::span<const std::int64_t> shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    text += (i == 0 ? "" : ", ") + std::to_string(shape[i]);
  }
  return text + "]";
}

// Two tiles, so that a model that drops or hard-codes the batch axis shows.
constexpr std::int64_t dummy_batch = 2;

}  // namespace

struct Backbone::State {
  std::filesystem::path file;
  models::ModelSpec spec;
  models::Precision precision;
  std::unique_ptr<detail::TorchModule> module;
  models::Readout readout;
  std::size_t tile_size;
  // The output, copied out of LibTorch into our element types; reused across batches.
  std::vector<float> floats;
  std::vector<models::Half> halves;
  std::vector<models::BFloat16> bfloats;
};

Backbone Backbone::load(const std::filesystem::path& file, const models::ModelSpec& spec,
                        const BackboneOptions& options) {
  const std::string name = file.string();
  std::error_code error;
  if (!std::filesystem::is_regular_file(file, error)) {
    throw BackboneError(name + ": cannot open the TorchScript model: no such file");
  }
  const bool cuda = options.device.starts_with("cuda");
  const models::Precision precision = options.precision.value_or(cuda ? spec.precision() : models::Precision::fp32);
  const std::array<std::int64_t, 3> input = spec.input_shape();
  const std::array<std::int64_t, 4> dummy_shape{dummy_batch, input[0], input[1], input[2]};

  std::unique_ptr<detail::TorchModule> module;
  detail::OutputInfo output;
  try {
    module = std::make_unique<detail::TorchModule>(name, options.device, element_type(precision));
    output = module->run_zeros(dummy_shape);
  } catch (const detail::TorchError& e) {
    switch (e.kind()) {
      case detail::TorchError::Kind::bad_device:
        throw BackboneError("device " + options.device + ": not a LibTorch device (cpu, cuda or cuda:N): " + e.what());
      case detail::TorchError::Kind::no_cuda:
        throw BackboneError("device " + options.device + ": " + e.what());
      case detail::TorchError::Kind::not_torchscript:
        throw BackboneError(name +
                            ": not a TorchScript model (save one with torch.jit.trace or torch.jit.script, then "
                            ".save()): " +
                            e.what());
      case detail::TorchError::Kind::failed:
        break;
    }
    throw BackboneError(name + ": the model fails on a batch of zeros of shape " + shape_text(dummy_shape) + " in " +
                        std::string{models::to_string(precision)} + " on " + options.device + ": " + e.what());
  }
  if (!output.not_a_tensor.empty()) {
    throw BackboneError(name + ": the model returns a " + output.not_a_tensor +
                        "; expected one tensor (the token sequence or the embedding)");
  }
  if (output.shape.size() < 2 || output.shape[0] != dummy_batch) {
    throw BackboneError(name + ": a batch of 2 tiles gave an output of shape " + shape_text(output.shape) +
                        "; expected the batch size first, then the output of one tile");
  }
  const std::vector<std::int64_t> tile_output_shape(output.shape.begin() + 1, output.shape.end());
  models::Readout readout{spec, tile_output_shape, name};
  const auto tile_size = static_cast<std::size_t>(input[0] * input[1] * input[2]);
  return Backbone{std::make_unique<State>(State{.file = file,
                                                .spec = spec,
                                                .precision = precision,
                                                .module = std::move(module),
                                                .readout = std::move(readout),
                                                .tile_size = tile_size,
                                                .floats = {},
                                                .halves = {},
                                                .bfloats = {}})};
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
  const std::string name = state.file.string();
  const std::size_t batch = tiles.size() / state.tile_size;
  if (batch == 0 || tiles.size() % state.tile_size != 0 || embeddings.size() != batch * embedding_size()) {
    throw BackboneError(name + ": embed() needs whole tiles of " + std::to_string(state.tile_size) + " floats and " +
                        std::to_string(embedding_size()) + " floats of output per tile; got " +
                        std::to_string(tiles.size()) + " and " + std::to_string(embeddings.size()));
  }
  const std::array<std::int64_t, 3> input = state.spec.input_shape();
  detail::OutputInfo output;
  try {
    output = state.module->run(tiles.data(), {static_cast<std::int64_t>(batch), input[0], input[1], input[2]});
  } catch (const detail::TorchError& e) {
    throw BackboneError(name + ": the model fails on a batch of " + std::to_string(batch) + " tiles: " + e.what());
  }
  std::vector<std::int64_t> expected_shape{static_cast<std::int64_t>(batch)};
  const std::span<const std::int64_t> tile_shape = state.readout.input_shape();
  expected_shape.insert(expected_shape.end(), tile_shape.begin(), tile_shape.end());
  if (output.shape != expected_shape) {
    throw BackboneError(name + ": a batch of " + std::to_string(batch) + " tiles gave an output of shape " +
                        shape_text(output.shape) + "; expected " + shape_text(expected_shape) +
                        " as at load (a model traced for one batch size?)");
  }
  const std::size_t elements = batch * state.readout.input_size();
  const auto read_out = [&](auto& buffer) {
    buffer.resize(elements);
    state.module->copy_output(buffer.data(), elements * sizeof(buffer[0]));
    state.readout.apply(std::span{std::as_const(buffer)}, embeddings);
  };
  switch (output.type) {
    case detail::ElementType::fp16:
      read_out(state.halves);
      return;
    case detail::ElementType::bf16:
      read_out(state.bfloats);
      return;
    case detail::ElementType::fp32:
      read_out(state.floats);
      return;
  }
}

}  // namespace bioptimus::inference
