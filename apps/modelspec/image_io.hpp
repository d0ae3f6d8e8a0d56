// Reading tiles from PNG and .npy files and writing tensors as .npy, for the
// `preprocess` command and the parity tests.
#ifndef BIOPTIMUS_APPS_IMAGE_IO_HPP
#define BIOPTIMUS_APPS_IMAGE_IO_HPP

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "bioptimus/image/image.hpp"

namespace bioptimus::apps {

/// Decodes a PNG (any bit depth, palette or grey) with libpng into rgb8, or
/// rgba8 when it has transparency. Throws bioptimus::Error naming the file.
[[nodiscard]] image::Image read_png(const std::filesystem::path& path);

/// Reads a C-order uint8 .npy of shape (H, W, 3) or (H, W, 4) as rgb8 or rgba8.
[[nodiscard]] image::Image read_npy_image(const std::filesystem::path& path);

/// read_png or read_npy_image, by extension (.png or .npy).
[[nodiscard]] image::Image read_image(const std::filesystem::path& path);

/// Writes a C-order .npy whose dtype is `descr` (for example "<f4", "<f2",
/// "<u2") through a temporary file renamed into place.
void write_npy(const std::filesystem::path& path, const std::string& descr, std::span<const std::int64_t> shape,
               std::span<const std::byte> data);

/// A parsed .npy: its dtype, shape and raw data.
struct NpyArray {
  std::string descr;
  std::vector<std::int64_t> shape;
  std::vector<std::byte> data;
};

/// Reads a C-order .npy (version 1 to 3). Throws bioptimus::Error on anything malformed.
[[nodiscard]] NpyArray read_npy(const std::filesystem::path& path);

}  // namespace bioptimus::apps

#endif  // BIOPTIMUS_APPS_IMAGE_IO_HPP
