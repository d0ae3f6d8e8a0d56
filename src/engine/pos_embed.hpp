// Position embeddings resampled to another patch grid (internal), as timm's
// resample_abs_pos_embed does (timm/layers/pos_embed.py:19-58 @aa4b585): the
// patch rows seen as an image of embed_dim channels, resized with torch's
// interpolate(mode="bicubic", antialias=True, align_corners=False): Pillow's
// antialiased bicubic (a = -0.5; support widened by the scale when
// shrinking), separable, the width first. Prefix rows are not resampled.
#ifndef BIOPTIMUS_SRC_ENGINE_POS_EMBED_HPP
#define BIOPTIMUS_SRC_ENGINE_POS_EMBED_HPP

#include <cstdint>
#include <span>
#include <vector>

namespace bioptimus::engine::detail {

struct Grid {
  std::int64_t height = 0;
  std::int64_t width = 0;
};

/// `patches` is [from.height * from.width, dim], grid rows first; returns
/// [to.height * to.width, dim]. Sums in double, rounded once to float.
[[nodiscard]] std::vector<float> resample_patch_embeddings(std::span<const float> patches, std::int64_t dim, Grid from,
                                                           Grid to);

}  // namespace bioptimus::engine::detail

#endif  // BIOPTIMUS_SRC_ENGINE_POS_EMBED_HPP
