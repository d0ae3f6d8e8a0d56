// The only file that includes LibTorch (compiled as C++17: see torch_module.hpp).
#include "torch_module.hpp"

#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <torch/cuda.h>
#include <torch/script.h>
#include <torch/version.h>

#include <array>
#include <cstring>
#include <exception>
#include <optional>
#include <utility>

#include "blas.hpp"

namespace bioptimus::inference::detail {
namespace {

// The first line with text (an interpreter error starts with a blank line).
std::string first_line(const char* message) {
  std::string text = message;
  text.erase(0, text.find_first_not_of("\n "));
  return text.substr(0, text.find('\n'));
}

// What torch::jit::load says when a file needs more than this LibTorch has:
// an operator added since (aten::scaled_dot_product_attention, torch 2.0), a
// newer file format, or an operator whose arguments changed.
bool needs_newer_torch(const std::string& message) {
  constexpr std::array<const char*, 4> signs{"Unknown builtin op", "maximum supported version", "Unknown type name",
                                             "argument(s) for operator"};
  for (const char* sign : signs) {
    if (message.find(sign) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// The message of a load failure without caffe2's "[enforce fail at file:line] . " prefix.
std::string load_error(const char* message) {
  std::string line = first_line(message);
  if (line.rfind("[enforce fail", 0) == 0) {
    const std::size_t end = line.find("] ");
    if (end != std::string::npos) {
      line.erase(0, line.find_first_not_of(". ", end + 1));
    }
  }
  return line;
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

// CPU autocast to bfloat16 for one forward, in the calling thread (autocast
// state is thread-local): on entry as torch.autocast("cpu", torch.bfloat16)
// enters, on exit as it exits (the cast weights are dropped with the outermost).
class CpuAutocast {
 public:
  explicit CpuAutocast(bool enabled) : enabled_(enabled) {
    if (!enabled_) {
      return;
    }
    was_enabled_ = at::autocast::is_cpu_enabled();
    was_type_ = at::autocast::get_autocast_cpu_dtype();
    at::autocast::set_cpu_enabled(true);
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::increment_nesting();
  }
  CpuAutocast(const CpuAutocast&) = delete;
  CpuAutocast& operator=(const CpuAutocast&) = delete;
  ~CpuAutocast() {
    if (!enabled_) {
      return;
    }
    if (at::autocast::decrement_nesting() == 0) {
      at::autocast::clear_cache();
    }
    at::autocast::set_cpu_enabled(was_enabled_);
    at::autocast::set_autocast_cpu_dtype(was_type_);
  }

 private:
  bool enabled_;
  bool was_enabled_ = false;
  at::ScalarType was_type_ = at::kBFloat16;
};

}  // namespace

std::string torch_version() { return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR); }

struct TorchModule::State {
  torch::jit::Module module;
  torch::Device device{torch::kCPU};
  // The type the weights and the input are cast to; fp32 under autocast.
  torch::ScalarType type = torch::kFloat;
  bool autocast = false;
  int threads = 0;
  torch::Tensor output;

  // LibTorch's thread count is per calling thread under OpenMP: set it in the thread that runs the model.
  void use_threads() const {
    if (threads > 0 && at::get_num_threads() != threads) {
      at::set_num_threads(threads);
    }
  }

  OutputInfo forward(const torch::Tensor& batch) {
    OutputInfo info;
    try {
      use_threads();
      const CpuAutocast autocast_scope(autocast);
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

TorchModule::TorchModule(const std::string& file, const ModuleOptions& options) : state_(std::make_unique<State>()) {
  try {
    state_->device = torch::Device(options.device);
  } catch (const c10::Error& e) {
    throw TorchError(TorchError::Kind::bad_device, first_line(e.what_without_backtrace()));
  }
  if (state_->device.is_cuda() && !torch::cuda::is_available()) {
    throw TorchError(TorchError::Kind::no_cuda, "this LibTorch has no CUDA device to use");
  }
  state_->autocast = state_->device.is_cpu() && options.precision == ElementType::bf16;
  state_->type = state_->autocast ? torch::kFloat : scalar_type(options.precision);
  state_->threads = options.threads;
  if (options.threads > 0) {
    set_blas_threads(options.threads);
  }
  c10::InferenceMode inference_mode;
  try {
    state_->module = torch::jit::load(file, state_->device);
  } catch (const std::exception& e) {
    const auto* torch_error = dynamic_cast<const c10::Error*>(&e);
    const std::string message = torch_error != nullptr ? torch_error->what_without_backtrace() : e.what();
    if (needs_newer_torch(message)) {
      throw TorchError(TorchError::Kind::newer_torch, load_error(message.c_str()));
    }
    throw TorchError(TorchError::Kind::not_torchscript,
                     torch_error != nullptr ? first_line(message.c_str()) : last_line(message.c_str()));
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
