// StainNormalizer: target and options checked once, then per tile the source
// stains chosen (the tile's own, the slide's, or none) and the method's
// kernel applied.
#include "bioptimus/models/stain.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <variant>
#include <vector>

#include "bioptimus/error.hpp"
#include "stain_kernels.hpp"

namespace bioptimus::models {
namespace {

using detail::MutableRgbPixels;
using detail::RgbPixels;
using detail::StainWork;

std::string describe_form(const StainTarget& target) {
  return std::holds_alternative<StainVectors>(target) ? "stain vectors (hematoxylin, eosin, max_concentrations)"
                                                      : "LAB statistics (lab_mean, lab_std)";
}

std::string expected_form(StainNormalization method) {
  return method == StainNormalization::reinhard ? "LAB statistics (lab_mean, lab_std)"
                                                : "stain vectors (hematoxylin, eosin, max_concentrations)";
}

void check_target(const std::string& who, const char* what, StainNormalization method, const StainTarget& target) {
  if (!target_fits(method, target)) {
    throw Error(who + what + ": expected " + expected_form(method) + ", got " + describe_form(target));
  }
  const std::vector<Violation> violations = stain_target_violations(target, what);
  if (!violations.empty()) {
    std::string message = who + "invalid " + what + ":";
    for (const Violation& violation : violations) {
      message += "\n  " + violation.field + ": " + violation.message;
    }
    throw Error(message);
  }
}

// Whether stains can be a mapping's source: two independent vectors (their
// least squares is solvable), or LAB statistics with no flat channel.
bool usable_source(const StainTarget& stains) {
  if (const auto* lab = std::get_if<LabStatistics>(&stains)) {
    return detail::stain::reinhard_usable(*lab);
  }
  const auto& vectors = std::get<StainVectors>(stains);
  const auto dot = [](const std::array<double, 3>& a, const std::array<double, 3>& b) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  };
  const double hh = dot(vectors.hematoxylin, vectors.hematoxylin);
  const double ee = dot(vectors.eosin, vectors.eosin);
  const double he = dot(vectors.hematoxylin, vectors.eosin);
  return hh * ee - he * he > 1e-12 * hh * ee;
}

// The image's own stains, or nothing (too little tissue, degenerate).
std::optional<StainTarget> estimate(StainNormalization method, const RgbPixels& pixels, std::int64_t min_tissue,
                                    StainWork& work) {
  switch (method) {
    case StainNormalization::macenko:
      return detail::stain::macenko_estimate(pixels, min_tissue, work);
    case StainNormalization::vahadane:
      return detail::stain::vahadane_estimate(pixels, min_tissue, work);
    case StainNormalization::reinhard: {
      if (detail::stain::count_tissue(pixels) < min_tissue) {
        return std::nullopt;
      }
      detail::stain::reinhard_lab(pixels, work);
      const LabStatistics statistics = detail::stain::reinhard_statistics(work, pixels.count());
      return detail::stain::reinhard_usable(statistics) ? std::optional<StainTarget>{statistics} : std::nullopt;
    }
  }
  return std::nullopt;
}

void copy_pixels(const RgbPixels& from, const MutableRgbPixels& to) noexcept {
  for (std::int64_t y = 0; y < from.height; ++y) {
    if (from.row(y) != to.row(y)) {
      std::memmove(to.row(y), from.row(y), static_cast<std::size_t>(from.width * 3));
    }
  }
}

}  // namespace

StainScratch::StainScratch() : work_(std::make_unique<detail::StainWork>()) {}
StainScratch::~StainScratch() = default;
StainScratch::StainScratch(StainScratch&&) noexcept = default;
StainScratch& StainScratch::operator=(StainScratch&&) noexcept = default;

StainNormalizer::StainNormalizer(StainNormalization method, StainOptions options,
                                 std::optional<StainTarget> spec_target)
    : method_(method),
      options_(std::move(options)),
      target_(options_.target ? *options_.target
              : spec_target   ? *spec_target
                              : reference_stain_target(method)) {
  const std::string who = "stain normalisation (" + std::string(to_string(method)) + "): ";
  if (options_.min_tissue_pixels < 0) {
    throw Error(who + "min_tissue_pixels: expected a whole number >= 0, got " +
                std::to_string(options_.min_tissue_pixels));
  }
  check_target(who, "target", method, target_);
  if (options_.slide_stains) {
    check_target(who, "slide_stains", method, *options_.slide_stains);
    if (!usable_source(*options_.slide_stains)) {
      throw Error(who + "slide_stains cannot be a source: " +
                  (method == StainNormalization::reinhard ? "a LAB channel is flat (standard deviation <= 0.001)"
                                                          : "the two stain vectors are parallel"));
    }
  } else if (options_.estimation == StainEstimation::per_slide) {
    throw Error(who + "per-slide estimation needs slide_stains (fit them over the slide's tissue)");
  }
}

StainTarget StainNormalizer::fit(const image::ImageView& image, image::Rgb8 background) const {
  return fit(std::span<const image::ImageView>(&image, 1), background);
}

StainTarget StainNormalizer::fit(std::span<const image::ImageView> images, image::Rgb8 background) const {
  const std::string who = "stain normalisation (" + std::string(to_string(method_)) + "): fit: ";
  if (images.empty()) {
    throw Error(who + "no image given");
  }
  std::int64_t total = 0;
  for (std::size_t i = 0; i < images.size(); ++i) {
    image::validate(images[i], images.size() == 1 ? "image" : "image " + std::to_string(i));
    total += images[i].width * images[i].height;
  }
  // One rgb8 row of every pixel: the methods treat pixels as a set, so
  // several images pool their pixels.
  std::vector<std::uint8_t> pooled;
  RgbPixels pixels{};
  if (images.size() == 1 && images[0].format == image::PixelFormat::rgb8) {
    pixels = {images[0].data, images[0].width, images[0].height, images[0].stride_bytes};
  } else {
    pooled.resize(static_cast<std::size_t>(total * 3));
    std::int64_t offset = 0;
    for (const image::ImageView& view : images) {
      const std::int64_t bytes = view.width * view.height * 3;
      image::to_rgb8_into(view,
                          {.data = pooled.data() + offset,
                           .width = view.width,
                           .height = view.height,
                           .stride_bytes = view.width * 3,
                           .format = image::PixelFormat::rgb8},
                          background);
      offset += bytes;
    }
    pixels = {pooled.data(), total, 1, total * 3};
  }
  StainScratch scratch;
  const std::int64_t needed = std::max<std::int64_t>(options_.min_tissue_pixels, 2);
  if (const std::optional<StainTarget> stains = estimate(method_, pixels, needed, scratch.work())) {
    return *stains;
  }
  const std::int64_t tissue = detail::stain::count_tissue(pixels);
  if (tissue < needed) {
    throw Error(who + "the pixels have " + std::to_string(tissue) +
                " tissue pixels (optical density >= 0.15 in every channel), at least " + std::to_string(needed) +
                " needed");
  }
  throw Error(who + "the estimate is degenerate (" +
              (method_ == StainNormalization::reinhard ? std::string("a flat LAB channel")
                                                       : std::string("the tissue shows a single stain colour")) +
              ")");
}

StainOutcome StainNormalizer::operator()(const image::ImageView& tile, const image::MutableImageView& out,
                                         StainScratch& scratch) const {
  image::validate(tile, "tile");
  image::validate(out, "destination");
  if (tile.format != image::PixelFormat::rgb8 || out.format != image::PixelFormat::rgb8) {
    throw Error("stain normalisation: expected rgb8 pixels in and out, got " +
                std::string(image::to_string(tile.format)) + " and " + std::string(image::to_string(out.format)));
  }
  if (tile.width != out.width || tile.height != out.height) {
    throw Error("stain normalisation: the destination is " + std::to_string(out.width) + "x" +
                std::to_string(out.height) + ", the tile " + std::to_string(tile.width) + "x" +
                std::to_string(tile.height));
  }
  const RgbPixels pixels{tile.data, tile.width, tile.height, tile.stride_bytes};
  const MutableRgbPixels to{out.data, out.width, out.height, out.stride_bytes};
  StainWork& work = scratch.work();

  std::optional<StainTarget> own;
  if (options_.estimation == StainEstimation::per_tile) {
    own = estimate(method_, pixels, options_.min_tissue_pixels, work);
  }
  const StainTarget* source = own ? &*own : options_.slide_stains ? &*options_.slide_stains : nullptr;
  if (source == nullptr) {
    copy_pixels(pixels, to);
    return StainOutcome::unchanged;
  }
  switch (method_) {
    case StainNormalization::macenko:
      detail::stain::macenko_apply(pixels, std::get<StainVectors>(*source), std::get<StainVectors>(target_), to);
      break;
    case StainNormalization::vahadane:
      detail::stain::vahadane_apply(pixels, std::get<StainVectors>(*source), std::get<StainVectors>(target_), to);
      break;
    case StainNormalization::reinhard:
      if (!own) {
        detail::stain::reinhard_lab(pixels, work);  // the tile's LAB, which its own estimate would have made
      }
      detail::stain::reinhard_apply(work, std::get<LabStatistics>(*source), std::get<LabStatistics>(target_), to);
      break;
  }
  return own ? StainOutcome::own_stains : StainOutcome::slide_stains;
}

}  // namespace bioptimus::models
