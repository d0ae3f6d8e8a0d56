// The resample plan: Pillow's precompute_coeffs and torchvision's index and
// weight computation, done once per (source size, target size, filter).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <memory>
#include <numbers>
#include <string>

#include "bioptimus/error.hpp"
#include "bioptimus/image/resize.hpp"
#include "resample.hpp"

namespace bioptimus::image {
namespace detail {
namespace {

// Pillow's filter kernels (Resample.c), each with its support at scale 1.
double box_kernel(double x) { return x > -0.5 && x <= 0.5 ? 1.0 : 0.0; }

double triangle_kernel(double x) {
  x = std::abs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

// Keys' cubic convolution with a free parameter: Pillow uses a = -0.5,
// PyTorch a = -0.75 (the value OpenCV also uses).
double cubic_kernel(double x, double a) {
  x = std::abs(x);
  if (x < 1.0) {
    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  }
  if (x < 2.0) {
    return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  }
  return 0.0;
}

double sinc(double x) {
  if (x == 0.0) {
    return 1.0;
  }
  x *= std::numbers::pi;
  return std::sin(x) / x;
}

constexpr double lanczos_lobes = 3.0;
double lanczos_kernel(double x) {
  return -lanczos_lobes <= x && x < lanczos_lobes ? sinc(x) * sinc(x / lanczos_lobes) : 0.0;
}

constexpr double pillow_cubic_a = -0.5;
constexpr double torch_cubic_a = -0.75;

double support_of(Filter filter) {
  switch (filter) {
    case Filter::box:
      return 0.5;
    case Filter::bilinear:
      return 1.0;
    case Filter::bicubic:
      return 2.0;
    case Filter::lanczos:
      return lanczos_lobes;
    case Filter::nearest:
      break;
  }
  return 0.0;
}

double evaluate(Filter filter, double x) {
  switch (filter) {
    case Filter::box:
      return box_kernel(x);
    case Filter::bilinear:
      return triangle_kernel(x);
    case Filter::bicubic:
      return cubic_kernel(x, pillow_cubic_a);
    case Filter::lanczos:
      return lanczos_kernel(x);
    case Filter::nearest:
      break;
  }
  return 0.0;
}

// Rounds a normalised weight to Pillow's fixed point, half away from zero
// (normalize_coeffs_8bpc).
std::int32_t to_fixed(double weight) {
  const double scaled = weight * static_cast<double>(std::int32_t{1} << precision_bits);
  return static_cast<std::int32_t>(weight < 0 ? scaled - 0.5 : scaled + 0.5);
}

// Pillow's precompute_coeffs for a full-image box, in fixed point.
AxisPlan pillow_axis(std::int32_t input_size, std::int32_t output_size, Filter filter) {
  FilterWeights weights = antialiased_filter_weights(input_size, output_size, filter);
  AxisPlan plan;
  plan.input_size = input_size;
  plan.output_size = output_size;
  plan.taps = weights.taps;
  const auto taps = static_cast<std::size_t>(plan.taps);
  plan.coefficients.resize(weights.weights.size());
  std::transform(weights.weights.begin(), weights.weights.end(), plan.coefficients.begin(), to_fixed);
  plan.symmetric.resize(static_cast<std::size_t>(output_size));
  for (std::size_t i = 0; i < plan.symmetric.size(); ++i) {
    const std::int32_t* k = plan.coefficients.data() + i * taps;
    const std::int32_t count = weights.count[i];
    plan.symmetric[i] = std::equal(k, k + count / 2, std::reverse_iterator(k + count)) ? 1 : 0;
  }
  plan.first = std::move(weights.first);
  plan.count = std::move(weights.count);
  return plan;
}

// Pillow's nearest neighbour (ImagingScaleAffine): the source coordinate
// starts at half a step and is advanced by adding the step, in double, and
// truncated; the accumulation is what makes it exact.
AxisPlan pillow_nearest_axis(std::int32_t input_size, std::int32_t output_size) {
  AxisPlan plan;
  plan.input_size = input_size;
  plan.output_size = output_size;
  plan.taps = 1;
  plan.index.resize(static_cast<std::size_t>(output_size));
  const double step = static_cast<double>(input_size) / output_size;
  double position = step * 0.5;
  for (std::int32_t i = 0; i < output_size; ++i) {
    const std::int32_t source = position < 0.0 ? -1 : static_cast<std::int32_t>(position);
    plan.index[static_cast<std::size_t>(i)] = std::clamp(source, 0, input_size - 1);
    position += step;
  }
  return plan;
}

// torch's "nearest": floor(i * scale) with a float scale, clamped.
AxisPlan torch_nearest_axis(std::int32_t input_size, std::int32_t output_size) {
  AxisPlan plan;
  plan.input_size = input_size;
  plan.output_size = output_size;
  plan.taps = 1;
  plan.index.resize(static_cast<std::size_t>(output_size));
  const float scale = static_cast<float>(input_size) / static_cast<float>(output_size);
  for (std::int32_t i = 0; i < output_size; ++i) {
    std::int32_t source = 0;
    if (output_size == input_size) {
      source = i;
    } else if (output_size == 2 * input_size) {
      source = i / 2;
    } else {
      source = std::min(static_cast<std::int32_t>(std::floor(static_cast<float>(i) * scale)), input_size - 1);
    }
    plan.index[static_cast<std::size_t>(i)] = source;
  }
  return plan;
}

// torch's bilinear / bicubic with align_corners=False and no antialiasing:
// the source coordinate is scale * (i + 0.5) - 0.5 in float; bilinear clamps
// it at 0 and takes 2 taps, bicubic takes 4 taps with a = -0.75 and clamps the
// tap indices to the image.
AxisPlan torch_axis(std::int32_t input_size, std::int32_t output_size, Filter filter) {
  AxisPlan plan;
  plan.input_size = input_size;
  plan.output_size = output_size;
  const bool cubic = filter == Filter::bicubic;
  plan.taps = cubic ? 4 : 2;
  const auto taps = static_cast<std::size_t>(plan.taps);
  plan.index.resize(static_cast<std::size_t>(output_size) * taps);
  plan.weights.resize(static_cast<std::size_t>(output_size) * taps);
  const float scale = static_cast<float>(input_size) / static_cast<float>(output_size);
  for (std::int32_t i = 0; i < output_size; ++i) {
    const auto row = static_cast<std::size_t>(i) * taps;
    float real = scale * (static_cast<float>(i) + 0.5F) - 0.5F;
    if (cubic) {
      const float floor = std::floor(real);
      const auto base = static_cast<std::int32_t>(floor);
      const float t = real - floor;
      for (std::int32_t k = 0; k < 4; ++k) {
        plan.index[row + static_cast<std::size_t>(k)] = std::clamp(base - 1 + k, 0, input_size - 1);
        plan.weights[row + static_cast<std::size_t>(k)] =
            static_cast<float>(cubic_kernel(static_cast<double>(t) - (k - 1), torch_cubic_a));
      }
    } else {
      real = std::max(real, 0.0F);
      const auto base = static_cast<std::int32_t>(real);
      const float lambda = real - static_cast<float>(base);
      plan.index[row] = base;
      plan.index[row + 1] = base < input_size - 1 ? base + 1 : base;
      plan.weights[row] = 1.0F - lambda;
      plan.weights[row + 1] = lambda;
    }
  }
  return plan;
}

void check_size(Size size, const char* what) {
  constexpr std::int64_t max_side = std::int64_t{1} << 20;
  if (size.width <= 0 || size.height <= 0 || size.width > max_side || size.height > max_side) {
    throw Error(std::string("ResamplePlan: ") + what + " size must be in [1, " + std::to_string(max_side) +
                "] a side, got " + std::to_string(size.width) + "x" + std::to_string(size.height));
  }
}

}  // namespace
}  // namespace detail

// Output i is centred on source coordinate (i + 0.5) * scale; when shrinking,
// the filter is widened by the scale (that is the antialiasing) and its
// weights are normalised to sum to 1 over the source samples that exist.
FilterWeights antialiased_filter_weights(std::int64_t input_size, std::int64_t output_size, Filter filter) {
  detail::check_size(Size{.width = input_size, .height = 1}, "source");
  detail::check_size(Size{.width = output_size, .height = 1}, "target");
  if (filter == Filter::nearest) {
    throw Error("antialiased_filter_weights: nearest has no filter weights");
  }
  FilterWeights result;
  const auto in = static_cast<std::int32_t>(input_size);
  const auto out = static_cast<std::int32_t>(output_size);
  const double scale = static_cast<double>(in) / out;
  const double filter_scale = std::max(scale, 1.0);
  const double support = detail::support_of(filter) * filter_scale;
  result.taps = static_cast<std::int32_t>(std::ceil(support)) * 2 + 1;
  const auto taps = static_cast<std::size_t>(result.taps);
  result.first.resize(static_cast<std::size_t>(out));
  result.count.resize(static_cast<std::size_t>(out));
  result.weights.assign(static_cast<std::size_t>(out) * taps, 0.0);
  for (std::int32_t i = 0; i < out; ++i) {
    const double center = (i + 0.5) * scale;
    // Pillow truncates centre +- support + 0.5 toward zero, i.e. rounds the
    // (non-negative after clamping) bounds half up.
    const std::int32_t lo = std::max(static_cast<std::int32_t>(center - support + 0.5), 0);
    const std::int32_t hi = std::min(static_cast<std::int32_t>(center + support + 0.5), in);
    const std::int32_t count = hi - lo;
    double* w = result.weights.data() + static_cast<std::size_t>(i) * taps;
    double total = 0.0;
    for (std::int32_t t = 0; t < count; ++t) {
      w[t] = detail::evaluate(filter, (t + lo - center + 0.5) / filter_scale);
      total += w[t];
    }
    if (total != 0.0) {
      for (std::int32_t t = 0; t < count; ++t) {
        w[t] /= total;
      }
    }
    result.first[static_cast<std::size_t>(i)] = lo;
    result.count[static_cast<std::size_t>(i)] = count;
  }
  return result;
}

ResamplePlan::ResamplePlan(Size source, Size target, Filter filter, bool antialias) {
  using detail::Method;
  detail::check_size(source, "source");
  detail::check_size(target, "target");
  if (!antialias && (filter == Filter::lanczos || filter == Filter::box)) {
    throw Error("ResamplePlan: " + std::string(to_string(filter)) +
                " has no non-antialiased form (torchvision's tensor resize offers only nearest, bilinear and "
                "bicubic); use antialias: true");
  }
  auto data = std::make_shared<detail::ResamplePlanData>();
  data->source = source;
  data->target = target;
  data->filter = filter;
  data->antialias = antialias;
  const auto in_w = static_cast<std::int32_t>(source.width);
  const auto in_h = static_cast<std::int32_t>(source.height);
  const auto out_w = static_cast<std::int32_t>(target.width);
  const auto out_h = static_cast<std::int32_t>(target.height);
  data->need_horizontal = in_w != out_w;
  data->need_vertical = in_h != out_h;
  data->end_row = in_h;
  if (source == target) {
    // Pillow and torchvision both return the image unchanged.
    data->method = Method::copy;
  } else if (filter == Filter::nearest) {
    data->method = antialias ? Method::pillow_nearest : Method::torch_nearest;
    data->horizontal = antialias ? detail::pillow_nearest_axis(in_w, out_w) : detail::torch_nearest_axis(in_w, out_w);
    data->vertical = antialias ? detail::pillow_nearest_axis(in_h, out_h) : detail::torch_nearest_axis(in_h, out_h);
  } else if (antialias) {
    data->method = Method::pillow_separable;
    data->horizontal = detail::pillow_axis(in_w, out_w, filter);
    data->vertical = detail::pillow_axis(in_h, out_h, filter);
    // Pillow resamples horizontally only the rows the vertical pass reads.
    const auto last = static_cast<std::size_t>(out_h - 1);
    data->first_row = data->vertical.first.front();
    data->end_row = data->vertical.first[last] + data->vertical.count[last];
  } else {
    data->method = Method::torch_separable;
    data->horizontal = detail::torch_axis(in_w, out_w, filter);
    data->vertical = detail::torch_axis(in_h, out_h, filter);
  }
  data_ = std::move(data);
}

Size ResamplePlan::source() const noexcept { return data_->source; }
Size ResamplePlan::target() const noexcept { return data_->target; }
Filter ResamplePlan::filter() const noexcept { return data_->filter; }
bool ResamplePlan::antialias() const noexcept { return data_->antialias; }
bool ResamplePlan::is_identity() const noexcept { return data_->method == detail::Method::copy; }

}  // namespace bioptimus::image
