// bioptimus/models/readout.hpp
//
// Readout: a backbone's raw output for a batch -> the embedding its ModelSpec
// promises (CLS, mean of the patch tokens with the register tokens left out,
// both side by side, a dense feature map, or the token sequence as is).
//
//   const ModelSpec& spec = Registry::builtin().get(Models::h0_mini);
//   // What the backbone returns per tile, without the batch axis: 261 tokens of 768.
//   const Readout readout{spec, std::vector<std::int64_t>{261, 768}};  // throws on a mismatch, once
//   std::vector<float> embeddings(batch * readout.output_size());
//   readout.apply(std::span<const Half>{tokens}, embeddings);           // noexcept per batch
//
// The shape is checked once, when the Readout is built; apply() is a noexcept
// kernel whose only preconditions are the buffer sizes. Standard library only.
#ifndef BIOPTIMUS_MODELS_READOUT_HPP
#define BIOPTIMUS_MODELS_READOUT_HPP

#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "bioptimus/error.hpp"
#include "bioptimus/models/model_spec.hpp"
#include "bioptimus/models/vocabulary.hpp"

namespace bioptimus::models {

/// An IEEE 754 binary16 number, kept as its bits (the layout of torch.half
/// and numpy.float16).
struct Half {
  std::uint16_t bits;
};

/// A bfloat16 number, kept as its bits: the upper half of a binary32.
struct BFloat16 {
  std::uint16_t bits;
};

/// The exact float value of a binary16 (every binary16 is a binary32,
/// subnormals, infinities and NaN payloads included).
[[nodiscard]] constexpr float to_float(Half value) noexcept {
  const std::uint32_t sign = static_cast<std::uint32_t>(value.bits & 0x8000U) << 16U;
  const std::uint32_t exponent = (value.bits >> 10U) & 0x1FU;
  const std::uint32_t mantissa = value.bits & 0x3FFU;
  if (exponent == 0) {
    // Subnormal (or zero): mantissa * 2^-24, exact in binary32.
    const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-08F;
    return sign != 0 ? -magnitude : magnitude;
  }
  if (exponent == 0x1F) {
    return std::bit_cast<float>(sign | 0x7F800000U | (mantissa << 13U));
  }
  // Rebias the exponent from 15 to 127 and widen the mantissa from 10 to 23 bits.
  return std::bit_cast<float>(sign | ((exponent + 112U) << 23U) | (mantissa << 13U));
}

/// The exact float value of a bfloat16.
[[nodiscard]] constexpr float to_float(BFloat16 value) noexcept {
  return std::bit_cast<float>(static_cast<std::uint32_t>(value.bits) << 16U);
}

/// Thrown when a backbone's output does not fit its spec.
class BIOPTIMUS_VISIBLE_TYPE ReadoutError : public Error {
 public:
  using Error::Error;
};

/// Turns a backbone's output into the spec's embedding. Which outputs fit:
/// - exactly the spec's `output_shape()` per tile (a backbone that pools or
///   reads out itself): copied through;
/// - tokens [sequence_length, token_dim] (vit): CLS is token 0, the patch
///   tokens start at num_prefix_tokens (registers are prefix tokens, never
///   averaged); dense lays the patch tokens out as [token_dim, height, width]
///   in row-major grid order;
/// - a feature map [embedding_dim, height, width] with patch_mean (a CNN):
///   its spatial mean (global average pooling).
class Readout {
 public:
  /// Checks `tile_output_shape` (the backbone's output for one tile, without
  /// the batch axis) against `spec`. `source` names the model in errors (a
  /// file name, say); empty means "model output".
  /// @throws ReadoutError naming every mismatched spec field with both numbers.
  Readout(const ModelSpec& spec, std::span<const std::int64_t> tile_output_shape, std::string_view source = {})
      : output_type_(spec.output_type()),
        input_shape_(tile_output_shape.begin(), tile_output_shape.end()),
        output_shape_(spec.output_shape()),
        prefix_tokens_(spec.num_prefix_tokens()) {
    if (input_shape_ == output_shape_) {
      mode_ = Mode::copy;
    } else {
      check_shape(spec, source);
    }
    input_size_ = product(input_shape_);
    output_size_ = product(output_shape_);
  }

  /// Most elements one tile's output may have: 2^40, so that sizes never
  /// overflow (a real output is far smaller: it sits in memory).
  static constexpr std::int64_t max_tile_elements = std::int64_t{1} << 40;

  /// Elements of the backbone's output per tile.
  [[nodiscard]] std::size_t input_size() const noexcept { return input_size_; }
  /// Elements of the embedding per tile (the product of output_shape()).
  [[nodiscard]] std::size_t output_size() const noexcept { return output_size_; }
  /// The backbone's output shape per tile, as checked.
  [[nodiscard]] std::span<const std::int64_t> input_shape() const noexcept { return input_shape_; }
  /// The embedding's shape per tile: the spec's output_shape().
  [[nodiscard]] std::span<const std::int64_t> output_shape() const noexcept { return output_shape_; }
  /// Whether the backbone's output is already the embedding.
  [[nodiscard]] bool passes_through() const noexcept { return mode_ == Mode::copy; }

  /// Reads out a batch: `in` holds whole tiles of input_size() elements
  /// (row-major, batch first), `out` receives output_size() floats per tile.
  /// Means are summed in double, then rounded once to float.
  /// Preconditions: in.size() is a multiple of input_size() and out.size()
  /// is (in.size() / input_size()) * output_size().
  template <typename Element>
  requires std::is_same_v<Element, float> || std::is_same_v<Element, Half> || std::is_same_v<Element, BFloat16>
  void apply(std::span<const Element> in, std::span<float> out) const noexcept {
    assert(input_size_ > 0 && in.size() % input_size_ == 0);
    const std::size_t batch = in.size() / input_size_;
    assert(out.size() == batch * output_size_);
    for (std::size_t tile = 0; tile < batch; ++tile) {
      read_tile(in.subspan(tile * input_size_, input_size_), out.subspan(tile * output_size_, output_size_));
    }
  }

 private:
  enum class Mode { copy, tokens, feature_map_mean };

  static std::size_t product(const std::vector<std::int64_t>& shape) noexcept {
    std::size_t size = 1;
    for (const std::int64_t extent : shape) {
      size *= static_cast<std::size_t>(extent);
    }
    return size;
  }

  static float load(float value) noexcept { return value; }
  static float load(Half value) noexcept { return to_float(value); }
  static float load(BFloat16 value) noexcept { return to_float(value); }

  static std::string shape_text(std::span<const std::int64_t> shape) {
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
      text += (i == 0 ? "" : ", ") + std::to_string(shape[i]);
    }
    return text + "]";
  }

  void check_shape(const ModelSpec& spec, std::string_view source) {
    const std::string who = source.empty() ? std::string{"model output"} : std::string{source} + ": model output";
    const std::string expects = "; " + spec.model_name() + " expects ";
    const std::string embedding = "embedding_dim " + std::to_string(spec.embedding_dim());
    const std::vector<std::int64_t>& in = input_shape_;
    std::int64_t elements = 1;
    for (const std::int64_t extent : in) {
      if (extent <= 0) {
        throw ReadoutError(who + " has shape " + shape_text(in) + ", with an empty axis");
      }
      if (extent > max_tile_elements / elements) {
        throw ReadoutError(who + " has shape " + shape_text(in) + ": more than 2^40 elements per tile");
      }
      elements *= extent;
    }
    const std::optional<std::int64_t> sequence_length = spec.sequence_length();
    if (in.size() == 2 && sequence_length) {
      std::vector<std::string> problems;
      if (in[0] != *sequence_length) {
        problems.push_back(who + " has " + std::to_string(in[0]) + " tokens" + expects + "sequence_length " +
                           std::to_string(*sequence_length) + " (num_prefix_tokens " +
                           std::to_string(spec.num_prefix_tokens()) + " + " +
                           std::to_string(spec.num_patch_tokens().value_or(0)) + " patches)");
      }
      if (in[1] != spec.token_dim()) {
        std::string why = output_type_ == OutputType::cls_patch_mean ? " (" + embedding + " / 2 for cls+patch_mean)"
                                                                     : " (" + embedding + ")";
        problems.push_back(who + " has tokens " + std::to_string(in[1]) + " wide" + expects + "token_dim " +
                           std::to_string(spec.token_dim()) + why);
      }
      throw_if_any(problems);
      mode_ = Mode::tokens;
      return;
    }
    if (in.size() == 3 && output_type_ == OutputType::patch_mean && !sequence_length) {
      if (in[0] != spec.embedding_dim()) {
        throw ReadoutError(who + " has a feature map of " + std::to_string(in[0]) + " channels" + expects + embedding);
      }
      mode_ = Mode::feature_map_mean;
      return;
    }
    if (in.size() == output_shape_.size()) {
      std::vector<std::string> problems;
      // Name the spec field each axis of output_shape() comes from.
      std::vector<std::string> fields;
      switch (output_type_) {
        case OutputType::dense:
          fields = {"embedding_dim", "output_spatial_dims height", "output_spatial_dims width"};
          break;
        case OutputType::token_sequence:
          fields = {"sequence_length", "token_dim"};
          break;
        default:
          fields = {"embedding_dim"};
          break;
      }
      for (std::size_t axis = 0; axis < in.size(); ++axis) {
        if (in[axis] == output_shape_[axis]) {
          continue;
        }
        const std::string found = in.size() == 1 ? " has " + std::to_string(in[0]) + " features per tile"
                                                 : " has " + std::to_string(in[axis]) + " on axis " +
                                                       std::to_string(axis + 1) + " of " + shape_text(in);
        problems.push_back(who + found + expects + fields[axis] + " " + std::to_string(output_shape_[axis]));
      }
      throw_if_any(problems);
    }
    // Appended, not "[" + ...: g++ 12 -O3 reports a false -Wrestrict on a literal + temporary string.
    std::string accepted = "[";
    accepted += std::to_string(spec.embedding_dim());
    accepted += "] (pooled)";
    if (sequence_length) {
      accepted = shape_text(output_shape_) + " or tokens [" + std::to_string(*sequence_length) + ", " +
                 std::to_string(spec.token_dim()) + "]";
    } else if (output_type_ == OutputType::patch_mean) {
      accepted += " or a feature map [" + std::to_string(spec.embedding_dim()) + ", height, width]";
    } else {
      accepted = shape_text(output_shape_);
    }
    throw ReadoutError(who + " has shape " + shape_text(in) + " per tile" + expects + accepted + " for " +
                       std::string{to_string(output_type_)});
  }

  static void throw_if_any(const std::vector<std::string>& problems) {
    if (problems.empty()) {
      return;
    }
    std::string text;
    for (const std::string& problem : problems) {
      text += (text.empty() ? "" : "\n") + problem;
    }
    throw ReadoutError(text);
  }

  template <typename Element>
  void read_tile(std::span<const Element> in, std::span<float> out) const noexcept {
    switch (mode_) {
      case Mode::copy:
        for (std::size_t i = 0; i < in.size(); ++i) {
          out[i] = load(in[i]);
        }
        return;
      case Mode::feature_map_mean: {
        const std::size_t channels = static_cast<std::size_t>(input_shape_[0]);
        const std::size_t pixels = in.size() / channels;
        for (std::size_t channel = 0; channel < channels; ++channel) {
          double sum = 0;
          for (std::size_t pixel = 0; pixel < pixels; ++pixel) {
            sum += static_cast<double>(load(in[channel * pixels + pixel]));
          }
          out[channel] = static_cast<float>(sum / static_cast<double>(pixels));
        }
        return;
      }
      case Mode::tokens:
        read_tokens(in, out);
        return;
    }
  }

  template <typename Element>
  void read_tokens(std::span<const Element> in, std::span<float> out) const noexcept {
    const std::size_t tokens = static_cast<std::size_t>(input_shape_[0]);
    const std::size_t width = static_cast<std::size_t>(input_shape_[1]);
    const std::size_t first_patch = static_cast<std::size_t>(prefix_tokens_);
    const auto token = [&](std::size_t index) { return in.subspan(index * width, width); };
    const auto write_patch_mean = [&](std::span<float> target) {
      const std::size_t patches = tokens - first_patch;
      for (std::size_t d = 0; d < width; ++d) {
        double sum = 0;
        for (std::size_t t = first_patch; t < tokens; ++t) {
          sum += static_cast<double>(load(in[t * width + d]));
        }
        target[d] = static_cast<float>(sum / static_cast<double>(patches));
      }
    };
    const auto write_cls = [&](std::span<float> target) {
      const std::span<const Element> cls = token(0);
      for (std::size_t d = 0; d < width; ++d) {
        target[d] = load(cls[d]);
      }
    };
    switch (output_type_) {
      case OutputType::cls:
        write_cls(out);
        return;
      case OutputType::patch_mean:
        write_patch_mean(out);
        return;
      case OutputType::cls_patch_mean:
        write_cls(out.first(width));
        write_patch_mean(out.subspan(width));
        return;
      case OutputType::dense: {
        // Patch tokens are in row-major grid order; the map is [width, grid rows, grid columns].
        const std::size_t patches = tokens - first_patch;
        for (std::size_t p = 0; p < patches; ++p) {
          const std::span<const Element> patch = token(first_patch + p);
          for (std::size_t d = 0; d < width; ++d) {
            out[d * patches + p] = load(patch[d]);
          }
        }
        return;
      }
      case OutputType::token_sequence:
        // A token sequence always matches output_shape() and is copied.
        return;
    }
  }

  OutputType output_type_;
  std::vector<std::int64_t> input_shape_;
  std::vector<std::int64_t> output_shape_;
  std::int64_t prefix_tokens_;
  Mode mode_ = Mode::copy;
  std::size_t input_size_ = 0;
  std::size_t output_size_ = 0;
};

}  // namespace bioptimus::models

#endif  // BIOPTIMUS_MODELS_READOUT_HPP
