// Scaling and normalising rgb8 pixels into channel planes (internal).
#ifndef BIOPTIMUS_SRC_PREPROCESS_NORMALIZE_HPP
#define BIOPTIMUS_SRC_PREPROCESS_NORMALIZE_HPP

#include <array>
#include <cstdint>

namespace bioptimus::detail {

/// What torchvision computes for one 8-bit value, in float32 throughout:
/// ToTensor divides by 255, Normalize subtracts the mean and divides by the std.
[[nodiscard]] inline float normalize_value(std::uint8_t value, float mean, float std) noexcept {
  return (static_cast<float>(value) / 255.0F - mean) / std;
}

/// Packed rgb8 rows and where their normalised planes go.
struct NormalizeJob {
  const std::uint8_t* pixels;
  std::int64_t stride;
  std::int64_t width;
  std::int64_t height;
  /// Source channel of each output plane: {0, 1, 2} for RGB, {2, 1, 0} for BGR.
  std::array<int, 3> source_channel;
  std::array<float, 3> mean;  // per output plane
  std::array<float, 3> std;
  float* out;  // three planes of width * height values
};

/// normalize_value for every pixel, vectorised; bit-identical to the scalar formula.
void normalize_to_float32(const NormalizeJob& job) noexcept;

}  // namespace bioptimus::detail

#endif  // BIOPTIMUS_SRC_PREPROCESS_NORMALIZE_HPP
