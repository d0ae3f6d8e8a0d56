#include "linear.hpp"

#include <cstring>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bioptimus/engine/vit_model.hpp"

namespace bioptimus::engine::detail {
namespace {

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

std::string isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41:
      return "sse4.1";
    case dnnl::cpu_isa::avx:
      return "avx";
    case dnnl::cpu_isa::avx2:
      return "avx2";
    case dnnl::cpu_isa::avx2_vnni:
      return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core:
      return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni:
      return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16:
      return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx:
      return "avx512_core_amx";
    default:
      break;
  }
  return "isa " + std::to_string(static_cast<unsigned>(isa));
}

dnnl::primitive_attr attributes(Epilogue epilogue, std::int64_t rows, std::int64_t out) {
  dnnl::post_ops ops;
  switch (epilogue) {
    case Epilogue::none:
      break;
    case Epilogue::gelu:
      ops.append_eltwise(1.0F, dnnl::algorithm::eltwise_gelu_erf, 0.0F, 0.0F);
      break;
    case Epilogue::silu:
      // swish(x) = x * sigmoid(alpha * x); alpha 1 is SiLU.
      ops.append_eltwise(1.0F, dnnl::algorithm::eltwise_swish, 1.0F, 0.0F);
      break;
    case Epilogue::accumulate:
      ops.append_sum(1.0F);
      break;
    case Epilogue::gate:
      ops.append_binary(dnnl::algorithm::binary_mul, memory::desc({rows, out}, dt::f32, tag::ab));
      break;
  }
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  return attr;
}

dnnl::matmul::primitive_desc describe(const dnnl::engine& engine, std::int64_t rows, std::int64_t in, std::int64_t out,
                                      Epilogue epilogue, dt compute, dt dst, const memory::desc& weights) {
  const memory::desc src({rows, in}, compute, tag::ab);
  const memory::desc bias({1, out}, dt::f32, tag::ab);
  const memory::desc result({rows, out}, dst, tag::ab);
  return {dnnl::matmul::desc(src, weights, bias, result), attributes(epilogue, rows, out), engine};
}

}  // namespace

MatmulSupport query_matmul_support() {
  MatmulSupport support;
  const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
  support.isa = isa_name(isa);
  try {
    const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    const memory::desc src({16, 16}, dt::bf16, tag::ab);
    const memory::desc weights({16, 16}, dt::bf16, tag::any);
    const memory::desc dst({16, 16}, dt::f32, tag::ab);
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, weights, dst), engine);
    support.bf16_runs = true;
  } catch (const dnnl::error&) {
    // oneDNN 2.6 has no bf16 matmul below AVX-512.
    support.bf16_runs = false;
  }
  return support;
}

MatmulContext::MatmulContext(bool bf16) : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_), bf16_(bf16) {}

dnnl::matmul& MatmulContext::primitive(std::int64_t rows, std::int64_t in, std::int64_t out, Epilogue epilogue,
                                       bool output_compute_type, const memory::desc& weights) {
  const Key key{rows, in, out, epilogue, output_compute_type};
  const auto found = primitives_.find(key);
  if (found != primitives_.end()) {
    return found->second;
  }
  try {
    const dnnl::matmul::primitive_desc pd = describe(engine_, rows, in, out, epilogue, compute_type(),
                                                     output_compute_type ? compute_type() : dt::f32, weights);
    implementation_ = pd.impl_info_str();
    return primitives_.emplace(key, dnnl::matmul(pd)).first->second;
  } catch (const dnnl::error& error) {
    throw EngineError("oneDNN cannot make a " + std::string{bf16_ ? "bf16" : "fp32"} + " matrix product of " +
                      std::to_string(rows) + "x" + std::to_string(in) + " by " + std::to_string(in) + "x" +
                      std::to_string(out) + ": " + error.what());
  }
}

LinearLayer::LinearLayer(MatmulContext& context, std::span<const float> weight, std::span<const float> bias,
                         std::int64_t out, std::int64_t in, Epilogue epilogue, bool output_compute_type,
                         std::int64_t layout_rows)
    : in_(in), out_(out), epilogue_(epilogue), output_compute_type_(output_compute_type) {
  const dnnl::engine& engine = context.engine();
  const dt compute = context.compute_type();
  try {
    // oneDNN's matmul multiplies src [rows, in] by weights [in, out]; torch's
    // [out, in] row-major weight is that matrix in layout "ba".
    const memory::desc any({in, out}, compute, tag::any);
    const dnnl::matmul::primitive_desc pd =
        describe(engine, layout_rows, in, out, epilogue, compute, output_compute_type ? compute : dt::f32, any);
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): a reorder source is only read.
    memory user({{in, out}, dt::f32, tag::ba}, engine, const_cast<float*>(weight.data()));
    weights_ = memory(pd.weights_desc(), engine);
    dnnl::reorder(user, weights_).execute(context.stream(), user, weights_);
    // A layer without bias gets zeros: one primitive shape for every layer.
    bias_ = memory({{1, out}, dt::f32, tag::ab}, engine);
    if (bias.empty()) {
      std::memset(bias_.get_data_handle(), 0, static_cast<std::size_t>(out) * sizeof(float));
    } else {
      std::memcpy(bias_.get_data_handle(), bias.data(), bias.size_bytes());
    }
    context.stream().wait();
  } catch (const dnnl::error& error) {
    throw EngineError("oneDNN cannot lay out the weights of a " + std::to_string(in) + " -> " + std::to_string(out) +
                      " linear layer: " + error.what());
  }
}

void LinearLayer::run(MatmulContext& context, const void* src, std::int64_t rows, void* dst, const float* other) const {
  const dnnl::engine& engine = context.engine();
  const dt compute = context.compute_type();
  dnnl::matmul& matmul = context.primitive(rows, in_, out_, epilogue_, output_compute_type_, weights_.get_desc());
  // NOLINTBEGIN(cppcoreguidelines-pro-type-const-cast): oneDNN memory takes non-const handles; inputs are only read.
  const memory source({{rows, in_}, compute, tag::ab}, engine, const_cast<void*>(src));
  const memory result({{rows, out_}, output_compute_type_ ? compute : dt::f32, tag::ab}, engine, dst);
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, source}, {DNNL_ARG_WEIGHTS, weights_}, {DNNL_ARG_BIAS, bias_}, {DNNL_ARG_DST, result}};
  if (epilogue_ == Epilogue::gate) {
    args.emplace(DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1,
                 memory({{rows, out_}, dt::f32, tag::ab}, engine, const_cast<float*>(other)));
  }
  // NOLINTEND(cppcoreguidelines-pro-type-const-cast)
  matmul.execute(context.stream(), args);
}

std::size_t LinearLayer::bytes() const noexcept { return weights_.get_desc().get_size() + bias_.get_desc().get_size(); }

}  // namespace bioptimus::engine::detail
