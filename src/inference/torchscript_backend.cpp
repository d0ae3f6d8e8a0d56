// The TorchScript backend: LibTorch's module (torch_module.cpp, C++17) behind
// plain types, its failures become BackboneErrors naming the file. At load,
// one dummy batch gives the output shape the Readout is checked against.
// bf16 on the CPU is autocast; the BLAS behind LibTorch is checked once.
#include <array>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backend.hpp"
#include "blas.hpp"
#include "input_file.hpp"
#include "torch_module.hpp"

namespace bioptimus::inference::detail {
namespace {

ElementType element_type(models::Precision precision) {
  switch (precision) {
    case models::Precision::fp16:
      return ElementType::fp16;
    case models::Precision::bf16:
      return ElementType::bf16;
    case models::Precision::fp32:
      break;
  }
  return ElementType::fp32;
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

class TorchScriptBackend final : public Backend {
 public:
  TorchScriptBackend(std::unique_ptr<TorchModule> module, PrecisionChoice precision, std::vector<std::string> warnings,
                     std::vector<std::int64_t> tile_shape, std::array<std::int64_t, 3> input, std::string device)
      : module_(std::move(module)),
        precision_(std::move(precision)),
        warnings_(std::move(warnings)),
        tile_shape_(std::move(tile_shape)),
        input_(input),
        device_(std::move(device)) {}

  [[nodiscard]] std::vector<std::int64_t> tile_output_shape() const override { return tile_shape_; }
  [[nodiscard]] models::Precision precision() const noexcept override { return precision_.precision; }
  [[nodiscard]] const std::string& precision_reason() const noexcept override { return precision_.reason; }
  [[nodiscard]] const std::vector<std::string>& warnings() const noexcept override { return warnings_; }
  [[nodiscard]] std::string describe() const override {
    return "LibTorch " + torch_version() + " on " + device_ + " in " +
           std::string{models::to_string(precision_.precision)} + ", output " + shape_text(tile_shape_) + " per tile";
  }

  void embed(std::span<const float> tiles, std::size_t batch, const models::Readout& readout,
             std::span<float> embeddings, const std::string& name) override {
    OutputInfo output;
    try {
      output = module_->run(tiles.data(), {static_cast<std::int64_t>(batch), input_[0], input_[1], input_[2]});
    } catch (const TorchError& e) {
      throw BackboneError(name + ": the model fails on a batch of " + std::to_string(batch) + " tiles: " + e.what());
    }
    std::vector<std::int64_t> expected_shape{static_cast<std::int64_t>(batch)};
    expected_shape.insert(expected_shape.end(), tile_shape_.begin(), tile_shape_.end());
    if (output.shape != expected_shape) {
      throw BackboneError(name + ": a batch of " + std::to_string(batch) + " tiles gave an output of shape " +
                          shape_text(output.shape) + "; expected " + shape_text(expected_shape) +
                          " as at load (a model traced for one batch size?)");
    }
    const std::size_t elements = batch * readout.input_size();
    const auto read_out = [&](auto& buffer) {
      buffer.resize(elements);
      module_->copy_output(buffer.data(), elements * sizeof(buffer[0]));
      readout.apply(std::span{std::as_const(buffer)}, embeddings);
    };
    switch (output.type) {
      case ElementType::fp16:
        read_out(halves_);
        return;
      case ElementType::bf16:
        read_out(bfloats_);
        return;
      case ElementType::fp32:
        read_out(floats_);
        return;
    }
  }

 private:
  std::unique_ptr<TorchModule> module_;
  PrecisionChoice precision_;
  std::vector<std::string> warnings_;
  std::vector<std::int64_t> tile_shape_;
  std::array<std::int64_t, 3> input_;
  std::string device_;
  // The output, copied out of LibTorch into our element types; reused across batches.
  std::vector<float> floats_;
  std::vector<models::Half> halves_;
  std::vector<models::BFloat16> bfloats_;
};

}  // namespace

std::unique_ptr<Backend> load_torchscript(const std::filesystem::path& file, const models::ModelSpec& spec,
                                          const BackboneOptions& options, PrecisionChoice choice) {
  const std::string name = file.string();
  // LibTorch opens it by name: a FIFO would block that open forever.
  try {
    (void)bioptimus::detail::InputFile::open(file, {.expected = "a TorchScript file"});
  } catch (const bioptimus::detail::InputFileError& e) {
    throw BackboneError(name + ": cannot open the TorchScript model: " + e.brief_reason());
  }
  const bool cuda = options.device.starts_with("cuda");
  const models::Precision precision = choice.precision;
  const std::array<std::int64_t, 3> input = spec.input_shape();
  const std::array<std::int64_t, 4> dummy_shape{dummy_batch, input[0], input[1], input[2]};

  std::unique_ptr<TorchModule> module;
  OutputInfo output;
  try {
    module =
        std::make_unique<TorchModule>(name, ModuleOptions{options.device, element_type(precision), options.threads});
    output = module->run_zeros(dummy_shape);
  } catch (const TorchError& e) {
    switch (e.kind()) {
      case TorchError::Kind::bad_device:
        throw BackboneError("device " + options.device + ": not a LibTorch device (cpu, cuda or cuda:N): " + e.what());
      case TorchError::Kind::no_cuda:
        throw BackboneError("device " + options.device + ": " + e.what());
      case TorchError::Kind::not_torchscript:
        throw BackboneError(name +
                            ": not a TorchScript model (save one with torch.jit.trace or torch.jit.script, then "
                            ".save()): " +
                            e.what());
      case TorchError::Kind::newer_torch:
        throw BackboneError(name + ": LibTorch " + torch_version() +
                            " cannot load it, it was saved by a newer torch: " + e.what() + " Export it with torch " +
                            torch_version() +
                            " (Debian 12's python3-torch), a timm model with TIMM_FUSED_ATTN=0 (docs/inference.md, "
                            "\"Exporting an encoder\")");
      case TorchError::Kind::failed:
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
  std::vector<std::int64_t> tile_shape(output.shape.begin() + 1, output.shape.end());
  std::vector<std::string> warnings;
  if (!cuda) {
    if (const std::optional<std::string>& blas = this_process_blas_warning()) {
      warnings.push_back(*blas);
    }
  }
  return std::make_unique<TorchScriptBackend>(std::move(module), std::move(choice), std::move(warnings),
                                              std::move(tile_shape), input, options.device);
}

}  // namespace bioptimus::inference::detail
