// The only file that includes LibTorch (compiled as C++17: see torch_module.hpp).
#include "torch_module.hpp"

#include <torch/cuda.h>
#include <torch/script.h>

#include <cstring>
#include <exception>
#include <optional>
#include <utility>

namespace bioptimus::inference::detail {
namespace {

std::string first_line(const char* message) {
  const std::string text = message;
  return text.substr(0, text.find('\n'));
}

torch::ScalarType scalar_type(ElementType type) {
  switch (type) {
    case ElementType::fp16:
      return torch::kHalf;
    case ElementType::bf16:
      return torch::kBFloat16;
    case ElementType::fp32:
      break;
  }
  return torch::kFloat;
}

// A TorchScript interpreter error (torch::jit::JITException) starts with a
// TorchScript traceback and ends with the error itself: keep that line.
std::string last_line(const char* message) {
  std::string text = message;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text.substr(text.find_last_of('\n') + 1);
}

}  // namespace

struct TorchModule::State {
  torch::jit::Module module;
  torch::Device device{torch::kCPU};
  torch::ScalarType type = torch::kFloat;
  torch::Tensor output;

  OutputInfo forward(const torch::Tensor& batch) {
    OutputInfo info;
    try {
      const torch::jit::IValue result = module.forward({batch.to(device, type)});
      if (!result.isTensor()) {
        info.not_a_tensor = result.tagKind();
        return info;
      }
      output = result.toTensor().to(torch::kCPU).contiguous();
      // Other floating types (float64, say) are read as float32.
      if (output.scalar_type() != torch::kFloat && output.scalar_type() != torch::kHalf &&
          output.scalar_type() != torch::kBFloat16) {
        output = output.to(torch::kFloat);
      }
    } catch (const c10::Error& e) {
      throw TorchError(TorchError::Kind::failed, first_line(e.what_without_backtrace()));
    } catch (const std::exception& e) {
      throw TorchError(TorchError::Kind::failed, last_line(e.what()));
    }
    info.shape.assign(output.sizes().begin(), output.sizes().end());
    info.type = output.scalar_type() == torch::kHalf       ? ElementType::fp16
                : output.scalar_type() == torch::kBFloat16 ? ElementType::bf16
                                                           : ElementType::fp32;
    return info;
  }
};

TorchModule::TorchModule(const std::string& file, const std::string& device, ElementType precision)
    : state_(std::make_unique<State>()) {
  try {
    state_->device = torch::Device(device);
  } catch (const c10::Error& e) {
    throw TorchError(TorchError::Kind::bad_device, first_line(e.what_without_backtrace()));
  }
  if (state_->device.is_cuda() && !torch::cuda::is_available()) {
    throw TorchError(TorchError::Kind::no_cuda, "this LibTorch has no CUDA device to use");
  }
  state_->type = scalar_type(precision);
  c10::InferenceMode inference_mode;
  try {
    state_->module = torch::jit::load(file, state_->device);
  } catch (const c10::Error& e) {
    throw TorchError(TorchError::Kind::not_torchscript, first_line(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    throw TorchError(TorchError::Kind::not_torchscript, last_line(e.what()));
  }
  try {
    state_->module.eval();
    state_->module.to(state_->device, state_->type);
  } catch (const c10::Error& e) {
    throw TorchError(TorchError::Kind::failed, first_line(e.what_without_backtrace()));
  }
}

TorchModule::~TorchModule() = default;

bool TorchModule::on_cuda() const noexcept { return state_->device.is_cuda(); }

OutputInfo TorchModule::run(const float* tiles, const std::array<std::int64_t, 4>& shape) {
  c10::InferenceMode inference_mode;
  // from_blob wants a mutable pointer; the tensor is only read (copied by .to() or read by the model).
  const torch::Tensor input = torch::from_blob(const_cast<float*>(tiles), {shape[0], shape[1], shape[2], shape[3]},
                                               torch::TensorOptions().dtype(torch::kFloat));
  return state_->forward(input);
}

OutputInfo TorchModule::run_zeros(const std::array<std::int64_t, 4>& shape) {
  c10::InferenceMode inference_mode;
  return state_->forward(torch::zeros({shape[0], shape[1], shape[2], shape[3]}));
}

void TorchModule::copy_output(void* destination, std::size_t bytes) const {
  std::memcpy(destination, state_->output.data_ptr(), bytes);
}

}  // namespace bioptimus::inference::detail
