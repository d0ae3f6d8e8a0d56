// bioptimus/models/model_spec.hpp
//
// ModelSpec: the input and output contract of a tile encoder, the single
// source of truth that the tile-extraction pipeline and the model code both
// read. Built from named fields (like the SDK's keyword arguments), validated
// as a whole, immutable afterwards.
//
//   using namespace bioptimus::models;
//   using namespace bioptimus::io::wsi;
//   using bioptimus::extraction::wsi::TileSpec;  // not re-exported by models
//   const ModelSpec spec{{
//       .model_name = "h0-mini",
//       .version = "1.0.0",
//       .weights_source = "bioptimus/H0-mini",
//       .tile_spec = TileSpec{{.size = {224, 224}, .stride = {224, 224}, .resolution = MPP{0.5},
//                              .unit = MeasurementUnit::pixels}},
//       .mean = {0.707223, 0.578729, 0.703617},
//       .std = {0.211883, 0.230117, 0.177517},
//       .patch_size = 14,
//       .num_prefix_tokens = 5,
//       .embedding_dim = 1536,
//       .output_type = OutputType::cls_patch_mean,
//   }};
//   spec.sequence_length();  // 261
#ifndef BIOPTIMUS_MODELS_MODEL_SPEC_HPP
#define BIOPTIMUS_MODELS_MODEL_SPEC_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bioptimus/detail/text.hpp"
#include "bioptimus/error.hpp"
#include "bioptimus/extraction/wsi/tile_spec.hpp"
#include "bioptimus/io/wsi/mpp.hpp"
#include "bioptimus/io/wsi/resolution.hpp"
#include "bioptimus/models/stain_target.hpp"
#include "bioptimus/models/vocabulary.hpp"

namespace bioptimus::models {

/// Width and height of a dense output's feature map. Like every width/height
/// pair of the library the width comes first; build it with designated
/// initializers (`{.width = 16, .height = 14}`) so a swap cannot go unseen.
/// The YAML form is `[height, width]` (the order of a CHW tensor's last axes).
struct SpatialDims {
  std::int64_t width;
  std::int64_t height;

  friend constexpr bool operator==(const SpatialDims&, const SpatialDims&) noexcept = default;
};

/// A ViT's patch grid: tile width / patch_size by tile height / patch_size.
/// Build it with designated initializers, as SpatialDims.
struct PatchGrid {
  std::int64_t width;
  std::int64_t height;

  friend constexpr bool operator==(const PatchGrid&, const PatchGrid&) noexcept = default;
};

/// The input and output contract of a tile encoder. See the file comment for
/// an example and docs/ for the YAML form and the validation rules.
class ModelSpec {
 public:
  /// Largest embedding_dim, num_channels and num_prefix_tokens accepted:
  /// 2^24. Far above any real model, low enough that no derived value can
  /// overflow 64 bits.
  static constexpr std::int64_t max_dimension = std::int64_t{1} << 24;
  /// Longest model_name, in characters.
  static constexpr std::size_t max_name_length = 128;

  /// The constructor's arguments, grouped as in the SDK (identity, input,
  /// architecture, output, compute). Members with a default may be left out
  /// of a designated initializer; `tile_spec` cannot be.
  struct Fields {
    // Identity and provenance.
    std::string model_name = {};
    std::string version = {};
    std::optional<std::string> weights_source = std::nullopt;
    std::optional<std::string> license = std::nullopt;
    // Input and preprocessing.
    extraction::wsi::TileSpec tile_spec;
    std::int64_t num_channels = 3;
    std::vector<double> mean = {};
    std::vector<double> std = {};
    Interpolation interpolation = Interpolation::bicubic;
    bool antialias = true;
    ColorSpace color_space = ColorSpace::rgb;
    std::optional<StainNormalization> stain_normalization = std::nullopt;
    /// What stain_normalization maps tiles to; nothing means the method's
    /// reference (reference_stain_target). Not an SDK field.
    std::optional<StainTarget> stain_target = std::nullopt;
    // Architecture.
    Architecture architecture = Architecture::vit;
    std::optional<std::int64_t> patch_size = std::nullopt;
    /// Nothing means the architecture's default: 1 for vit, 0 otherwise.
    std::optional<std::int64_t> num_prefix_tokens = std::nullopt;
    // Output.
    std::int64_t embedding_dim = 0;
    std::optional<OutputType> output_type = std::nullopt;
    std::optional<SpatialDims> output_spatial_dims = std::nullopt;
    // Compute.
    Precision precision = Precision::fp32;
  };

  /// @throws ValidationError listing every broken rule, each naming its field.
  explicit ModelSpec(Fields fields)
      : model_name_(std::move(fields.model_name)),
        version_(std::move(fields.version)),
        weights_source_(std::move(fields.weights_source)),
        license_(std::move(fields.license)),
        tile_spec_(fields.tile_spec),
        num_channels_(fields.num_channels),
        mean_(std::move(fields.mean)),
        std_(std::move(fields.std)),
        interpolation_(fields.interpolation),
        antialias_(fields.antialias),
        color_space_(fields.color_space),
        stain_normalization_(fields.stain_normalization),
        stain_target_(fields.stain_target),
        architecture_(fields.architecture),
        patch_size_(fields.patch_size),
        num_prefix_tokens_(fields.num_prefix_tokens.value_or(fields.architecture == Architecture::vit ? 1 : 0)),
        embedding_dim_(fields.embedding_dim),
        output_type_(fields.output_type.value_or(OutputType::cls)),
        output_spatial_dims_(fields.output_spatial_dims),
        precision_(fields.precision) {
    std::vector<Violation> violations = find_violations(fields.output_type.has_value());
    if (!fields.output_type) {
      violations.push_back({"output_type", "required: expected one of " + output_type_spellings()});
    }
    if (!violations.empty()) {
      detail::throw_validation_error("ModelSpec", std::move(violations));
    }
  }

  /// Lowercase [a-z0-9] words joined by '-', '.' or '_', at most
  /// max_name_length characters (the registry key, e.g. "h0-mini").
  [[nodiscard]] static constexpr bool is_valid_model_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > max_name_length) {
      return false;
    }
    bool after_separator = true;
    for (const char c : name) {
      const bool word_char = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (word_char) {
        after_separator = false;
      } else if ((c == '-' || c == '.' || c == '_') && !after_separator) {
        after_separator = true;
      } else {
        return false;
      }
    }
    return !after_separator;
  }

  /// Whether `side` may be one side of output_spatial_dims: a whole number in
  /// [1, TileSpec::max_side_pixels].
  [[nodiscard]] static constexpr bool is_valid_spatial_side(std::int64_t side) noexcept {
    return side >= 1 && side <= extraction::wsi::TileSpec::max_side_pixels;
  }

  /// A Semantic Versioning 2.0.0 version: MAJOR.MINOR.PATCH[-pre][+build].
  [[nodiscard]] static constexpr bool is_valid_version(std::string_view version) noexcept {
    const auto take_identifiers = [](std::string_view text, bool numeric_no_leading_zero) {
      if (text.empty()) {
        return false;
      }
      std::size_t start = 0;
      while (start <= text.size()) {
        const std::size_t dot = text.find('.', start);
        const std::string_view part = text.substr(start, dot == std::string_view::npos ? text.npos : dot - start);
        if (part.empty()) {
          return false;
        }
        bool all_digits = true;
        for (const char c : part) {
          const bool digit = c >= '0' && c <= '9';
          const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
          if (!digit && !alpha) {
            return false;
          }
          all_digits = all_digits && digit;
        }
        if (numeric_no_leading_zero && all_digits && part.size() > 1 && part[0] == '0') {
          return false;
        }
        if (dot == std::string_view::npos) {
          return true;
        }
        start = dot + 1;
      }
      return false;
    };
    const std::size_t plus = version.find('+');
    const std::string_view before_build = version.substr(0, plus);
    if (plus != std::string_view::npos && !take_identifiers(version.substr(plus + 1), false)) {
      return false;
    }
    const std::size_t dash = before_build.find('-');
    const std::string_view core = before_build.substr(0, dash);
    if (dash != std::string_view::npos && !take_identifiers(before_build.substr(dash + 1), true)) {
      return false;
    }
    int numbers = 0;
    std::size_t start = 0;
    while (true) {
      const std::size_t dot = core.find('.', start);
      const std::string_view number = core.substr(start, dot == std::string_view::npos ? core.npos : dot - start);
      if (number.empty() || number.size() > 18 || (number.size() > 1 && number[0] == '0')) {
        return false;
      }
      for (const char c : number) {
        if (c < '0' || c > '9') {
          return false;
        }
      }
      ++numbers;
      if (dot == std::string_view::npos) {
        break;
      }
      start = dot + 1;
    }
    return numbers == 3;
  }

  // Identity and provenance.
  /// Registry key, e.g. "h0-mini".
  [[nodiscard]] const std::string& model_name() const noexcept { return model_name_; }
  /// SemVer version of the weights; embeddings of two versions must not mix.
  [[nodiscard]] const std::string& version() const noexcept { return version_; }
  /// Hugging Face repo, URL or path of the weights; nothing = no auto-download.
  [[nodiscard]] const std::optional<std::string>& weights_source() const noexcept { return weights_source_; }
  /// SPDX identifier or short description of the licence.
  [[nodiscard]] const std::optional<std::string>& license() const noexcept { return license_; }

  // Input and preprocessing.
  /// Tile geometry the model expects; its resolution is always an MPP.
  [[nodiscard]] const extraction::wsi::TileSpec& tile_spec() const noexcept { return tile_spec_; }
  /// Number of input channels.
  [[nodiscard]] std::int64_t num_channels() const noexcept { return num_channels_; }
  /// Per-channel normalisation mean, in channel order, for pixels scaled to [0, 1].
  [[nodiscard]] std::span<const double> mean() const noexcept { return mean_; }
  /// Per-channel normalisation standard deviation (every value > 0).
  [[nodiscard]] std::span<const double> std() const noexcept { return std_; }
  /// Resize filter.
  [[nodiscard]] Interpolation interpolation() const noexcept { return interpolation_; }
  /// Whether the resize is antialiased.
  [[nodiscard]] bool antialias() const noexcept { return antialias_; }
  /// Colour space of the input.
  [[nodiscard]] ColorSpace color_space() const noexcept { return color_space_; }
  /// Stain normalisation applied before the model; nothing = none.
  [[nodiscard]] std::optional<StainNormalization> stain_normalization() const noexcept { return stain_normalization_; }
  /// The stain normalisation's target; nothing = the method's reference.
  [[nodiscard]] const std::optional<StainTarget>& stain_target() const noexcept { return stain_target_; }

  // Architecture.
  /// Architecture family.
  [[nodiscard]] Architecture architecture() const noexcept { return architecture_; }
  /// ViT patch size in pixels; nothing for other architectures.
  [[nodiscard]] std::optional<std::int64_t> patch_size() const noexcept { return patch_size_; }
  /// Tokens before the patch tokens: CLS plus registers (5 for DINOv2 with 4
  /// registers), 0 for non-token architectures.
  [[nodiscard]] std::int64_t num_prefix_tokens() const noexcept { return num_prefix_tokens_; }

  // Output.
  /// Width of the published embedding (for cls+patch_mean, twice the token width).
  [[nodiscard]] std::int64_t embedding_dim() const noexcept { return embedding_dim_; }
  /// How the raw output becomes the embedding.
  [[nodiscard]] OutputType output_type() const noexcept { return output_type_; }
  /// Feature-map size of a dense output; nothing otherwise.
  [[nodiscard]] std::optional<SpatialDims> output_spatial_dims() const noexcept { return output_spatial_dims_; }

  // Compute.
  /// Recommended inference precision.
  [[nodiscard]] Precision precision() const noexcept { return precision_; }

  // Derived values.
  /// The tile's resolution (a ModelSpec always has a physical one).
  [[nodiscard]] io::wsi::MPP mpp() const noexcept { return tile_spec_.mpp().value_or(io::wsi::MPP{1.0}); }
  /// Tile size in pixels.
  [[nodiscard]] extraction::wsi::PixelExtent tile_size_pixels() const noexcept { return tile_spec_.size_pixels(); }
  /// Stride in pixels.
  [[nodiscard]] extraction::wsi::PixelExtent stride_pixels() const noexcept { return tile_spec_.stride_pixels(); }
  /// Tile size in microns.
  [[nodiscard]] extraction::wsi::Extent tile_size_microns() const noexcept {
    return tile_spec_.size_microns().value_or(extraction::wsi::Extent{0});
  }
  /// Stride in microns.
  [[nodiscard]] extraction::wsi::Extent stride_microns() const noexcept {
    return tile_spec_.stride_microns().value_or(extraction::wsi::Extent{0});
  }
  /// Tile size minus stride per axis, in pixels (negative = gap).
  [[nodiscard]] extraction::wsi::PixelExtent overlap_pixels() const noexcept { return tile_spec_.overlap_pixels(); }
  /// The ViT patch grid; nothing for other architectures.
  [[nodiscard]] std::optional<PatchGrid> patch_grid() const noexcept {
    if (!patch_size_) {
      return std::nullopt;
    }
    const extraction::wsi::PixelExtent tile = tile_size_pixels();
    return PatchGrid{.width = tile.width / *patch_size_, .height = tile.height / *patch_size_};
  }
  /// Patch tokens: grid width x grid height; nothing without a grid.
  [[nodiscard]] std::optional<std::int64_t> num_patch_tokens() const noexcept {
    const std::optional<PatchGrid> grid = patch_grid();
    return grid ? std::optional<std::int64_t>{grid->width * grid->height} : std::nullopt;
  }
  /// Tokens the backbone outputs: num_prefix_tokens + num_patch_tokens.
  [[nodiscard]] std::optional<std::int64_t> sequence_length() const noexcept {
    const std::optional<std::int64_t> patches = num_patch_tokens();
    return patches ? std::optional<std::int64_t>{num_prefix_tokens_ + *patches} : std::nullopt;
  }
  /// Width of one token: embedding_dim / 2 for cls+patch_mean, else embedding_dim.
  [[nodiscard]] std::int64_t token_dim() const noexcept {
    return output_type_ == OutputType::cls_patch_mean ? embedding_dim_ / 2 : embedding_dim_;
  }
  /// Model input as [channels, height, width].
  [[nodiscard]] std::array<std::int64_t, 3> input_shape() const noexcept {
    const extraction::wsi::PixelExtent tile = tile_size_pixels();
    return {num_channels_, tile.height, tile.width};
  }
  /// Output of one tile: [embedding_dim] for pooled outputs,
  /// [embedding_dim, height, width] for dense, [sequence_length, token_dim]
  /// for token_sequence.
  [[nodiscard]] std::vector<std::int64_t> output_shape() const {
    switch (output_type_) {
      case OutputType::cls:
      case OutputType::patch_mean:
      case OutputType::cls_patch_mean:
        return {embedding_dim_};
      case OutputType::dense: {
        const SpatialDims dims = output_spatial_dims_.value_or(SpatialDims{.width = 0, .height = 0});
        return {embedding_dim_, dims.height, dims.width};
      }
      case OutputType::token_sequence:
        return {sequence_length().value_or(0), token_dim()};
    }
    return {};
  }
  /// "model_name@version": the key that keeps embeddings of two versions apart.
  [[nodiscard]] std::string identity() const { return model_name_ + "@" + version_; }

  /// The fields this spec was built from (defaults resolved), for making a
  /// changed copy: `auto f = spec.fields(); f.precision = Precision::fp16;
  /// ModelSpec changed{f};`.
  [[nodiscard]] Fields fields() const {
    return {.model_name = model_name_,
            .version = version_,
            .weights_source = weights_source_,
            .license = license_,
            .tile_spec = tile_spec_,
            .num_channels = num_channels_,
            .mean = mean_,
            .std = std_,
            .interpolation = interpolation_,
            .antialias = antialias_,
            .color_space = color_space_,
            .stain_normalization = stain_normalization_,
            .stain_target = stain_target_,
            .architecture = architecture_,
            .patch_size = patch_size_,
            .num_prefix_tokens = num_prefix_tokens_,
            .embedding_dim = embedding_dim_,
            .output_type = output_type_,
            .output_spatial_dims = output_spatial_dims_,
            .precision = precision_};
  }

  friend bool operator==(const ModelSpec&, const ModelSpec&) = default;

 private:
  static std::string output_type_spellings() { return detail::join_spellings(detail::spellings_of(all_output_types)); }

  // The rules that read output_type are skipped when none was given.
  [[nodiscard]] std::vector<Violation> find_violations(bool output_type_given) const;

  std::string model_name_;
  std::string version_;
  std::optional<std::string> weights_source_;
  std::optional<std::string> license_;
  extraction::wsi::TileSpec tile_spec_;
  std::int64_t num_channels_;
  std::vector<double> mean_;
  std::vector<double> std_;
  Interpolation interpolation_;
  bool antialias_;
  ColorSpace color_space_;
  std::optional<StainNormalization> stain_normalization_;
  std::optional<StainTarget> stain_target_;
  Architecture architecture_;
  std::optional<std::int64_t> patch_size_;
  std::int64_t num_prefix_tokens_;
  std::int64_t embedding_dim_;
  OutputType output_type_;
  std::optional<SpatialDims> output_spatial_dims_;
  Precision precision_;
};

// The rules of DESIGN section 5, in order; each violation names its field.
inline std::vector<Violation> ModelSpec::find_violations(bool output_type_given) const {
  std::vector<Violation> out;
  const auto fail = [&out](std::string field, std::string message, std::vector<std::string> related = {}) {
    out.push_back({std::move(field), std::move(message), std::move(related)});
  };
  const auto number = [](auto value) { return detail::format_number(value); };

  // 1. Identity.
  if (!is_valid_model_name(model_name_)) {
    fail("model_name", "expected lowercase [a-z0-9] words joined by '-', '.' or '_' (at most " +
                           std::to_string(max_name_length) + " characters), got " + detail::quote(model_name_));
  }
  if (!is_valid_version(version_)) {
    fail("version",
         "expected a SemVer 2.0 version MAJOR.MINOR.PATCH[-prerelease][+build], got " + detail::quote(version_));
  }
  // Free text must be UTF-8 so that every output format (YAML, JSON, a
  // terminal) can carry it, and not blank so that "given" means something.
  if (weights_source_ && !detail::is_valid_utf8(*weights_source_)) {
    fail("weights_source", "expected UTF-8 text, got " + detail::quote(*weights_source_));
  } else if (weights_source_ && detail::is_blank(*weights_source_)) {
    fail("weights_source",
         "expected a non-empty repository, URL or path (or null), got " + detail::quote(*weights_source_));
  }
  if (license_ && !detail::is_valid_utf8(*license_)) {
    fail("license", "expected UTF-8 text, got " + detail::quote(*license_));
  } else if (license_ && detail::is_blank(*license_)) {
    fail("license", "expected a non-empty licence identifier (or null), got " + detail::quote(*license_));
  }

  // 2. A ModelSpec needs a physical resolution.
  if (!tile_spec_.mpp()) {
    fail("tile_spec.resolution", "expected an MPP (a ModelSpec needs a physical resolution), got " +
                                     io::wsi::describe(tile_spec_.resolution()));
  }

  // 3. Channels and normalisation.
  const bool channels_ok = num_channels_ >= 1 && num_channels_ <= max_dimension;
  if (!channels_ok) {
    fail("num_channels", "expected a whole number in [1, " + number(max_dimension) + "], got " + number(num_channels_));
  }
  const auto check_values = [&](const char* field, const std::vector<double>& values, bool positive) {
    if (channels_ok && values.size() != static_cast<std::size_t>(num_channels_)) {
      fail(field,
           "expected " + number(num_channels_) + " values (one per channel), got " + std::to_string(values.size()) +
               ": " + detail::format_list(values),
           {"num_channels"});
      return;
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
      const bool ok = positive ? detail::is_finite_positive(values[i]) : detail::is_finite(values[i]);
      if (!ok) {
        fail(std::string(field) + "[" + std::to_string(i) + "]",
             std::string(positive ? "expected a finite number > 0" : "expected a finite number") + ", got " +
                 number(values[i]));
      }
    }
  };
  check_values("mean", mean_, false);
  check_values("std", std_, true);

  // 4. Colour spaces are three-channel.
  if (channels_ok && num_channels_ != 3) {
    fail("color_space",
         "colour space " + std::string(to_string(color_space_)) + " needs num_channels == 3, got num_channels " +
             number(num_channels_),
         {"num_channels"});
  }

  // 4b. A stain target belongs to a stain normalisation, in its form.
  if (stain_target_) {
    if (!stain_normalization_) {
      fail("stain_target", "expected null without a stain_normalization (there is nothing to map to it)",
           {"stain_normalization"});
    } else if (!target_fits(*stain_normalization_, *stain_target_)) {
      const bool lab = *stain_normalization_ == StainNormalization::reinhard;
      fail("stain_target",
           "stain_normalization " + std::string(to_string(*stain_normalization_)) + " needs " +
               (lab ? "lab_mean and lab_std" : "hematoxylin, eosin and max_concentrations") + ", got " +
               (lab ? "stain vectors" : "LAB statistics"),
           {"stain_normalization"});
    }
    for (Violation& violation : stain_target_violations(*stain_target_, "stain_target")) {
      out.push_back(std::move(violation));
    }
  }

  // 5. Architecture.
  const bool vit = architecture_ == Architecture::vit;
  const std::string architecture_name(to_string(architecture_));
  std::optional<PatchGrid> grid;
  if (patch_size_ && *patch_size_ <= 0) {
    fail("patch_size", "expected a whole number > 0, got " + number(*patch_size_));
  } else if (vit && !patch_size_) {
    fail("patch_size", "required for architecture vit: expected a whole number > 0", {"architecture"});
  } else if (vit) {
    const extraction::wsi::PixelExtent tile = tile_size_pixels();
    if (tile.width % *patch_size_ != 0 || tile.height % *patch_size_ != 0) {
      fail("patch_size",
           "expected a divisor of both tile sides " + number(tile.width) + " x " + number(tile.height) + " px, got " +
               number(*patch_size_),
           {"tile_spec"});
    } else {
      grid = patch_grid();
    }
  } else if (patch_size_) {
    fail("patch_size",
         "expected null for architecture " + architecture_name + " (patches are a vit notion), got " +
             number(*patch_size_),
         {"architecture"});
  }

  // 6. Prefix tokens and output types that read tokens.
  const bool prefix_in_range = num_prefix_tokens_ >= 0 && num_prefix_tokens_ <= max_dimension;
  if (!prefix_in_range) {
    fail("num_prefix_tokens",
         "expected a whole number in [0, " + number(max_dimension) + "], got " + number(num_prefix_tokens_));
  } else if (!vit && num_prefix_tokens_ != 0) {
    fail("num_prefix_tokens",
         "expected 0 for architecture " + architecture_name + " (no CLS or register tokens), got " +
             number(num_prefix_tokens_),
         {"architecture"});
  }
  const std::string output_name(to_string(output_type_));
  const bool reads_cls = output_type_ == OutputType::cls || output_type_ == OutputType::cls_patch_mean;
  if (output_type_given && (reads_cls || output_type_ == OutputType::token_sequence) && !vit) {
    fail("output_type",
         "output_type " + output_name + " needs a token architecture (vit), got architecture " + architecture_name,
         {"architecture"});
  } else if (output_type_given && reads_cls && prefix_in_range && num_prefix_tokens_ < 1) {
    fail("num_prefix_tokens",
         "output_type " + output_name + " reads the CLS token: expected >= 1, got " + number(num_prefix_tokens_),
         {"output_type"});
  }

  // 7. Embedding width.
  if (embedding_dim_ <= 0 || embedding_dim_ > max_dimension) {
    fail("embedding_dim",
         "expected a whole number in [1, " + number(max_dimension) + "], got " + number(embedding_dim_));
  } else if (output_type_given && output_type_ == OutputType::cls_patch_mean && embedding_dim_ % 2 != 0) {
    fail("embedding_dim",
         "cls+patch_mean concatenates two halves: expected an even number, got " + number(embedding_dim_),
         {"output_type"});
  }

  // 8. Spatial output.
  // Appended piece by piece: `"[" + std::string` here trips a false
  // -Wrestrict in g++ 12 at -O3.
  const auto dims_text = [&] {
    std::string text = "[";
    text += number(output_spatial_dims_->height);
    text += ", ";
    text += number(output_spatial_dims_->width);
    text += "]";
    return text;
  };
  if (output_spatial_dims_ &&
      (!is_valid_spatial_side(output_spatial_dims_->height) || !is_valid_spatial_side(output_spatial_dims_->width))) {
    fail("output_spatial_dims", "expected [height, width] as two whole numbers in [1, " +
                                    number(extraction::wsi::TileSpec::max_side_pixels) + "], got " + dims_text());
  } else if (output_type_given && output_type_ == OutputType::dense) {
    if (!output_spatial_dims_) {
      fail("output_spatial_dims", "required for output_type dense: expected [height, width]", {"output_type"});
    } else if (grid && (output_spatial_dims_->height != grid->height || output_spatial_dims_->width != grid->width)) {
      fail("output_spatial_dims",
           "expected the patch grid [" + number(grid->height) + ", " + number(grid->width) +
               "] (tile / patch_size), got " + dims_text(),
           {"tile_spec", "patch_size"});
    }
  } else if (output_type_given && output_spatial_dims_) {
    fail("output_spatial_dims", "expected null for output_type " + output_name + ", got " + dims_text(),
         {"output_type"});
  }
  return out;
}

}  // namespace bioptimus::models

#endif  // BIOPTIMUS_MODELS_MODEL_SPEC_HPP
