// The backbone on the native engine, chosen by the weights' form, and the
// weights found in the local Hugging Face cache as huggingface_hub lays it
// out (models--ORG--NAME/refs/main, snapshots/<commit>).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "bioptimus/inference/backbone.hpp"
#include "bioptimus/inference/weights.hpp"
#include "precision.hpp"
#include "temp_dir.hpp"
#include "tiny_timm_model.hpp"

namespace {

using bioptimus::inference::Backbone;
using bioptimus::inference::BackboneError;
using bioptimus::inference::BackboneOptions;
using bioptimus::inference::BackendKind;
using bioptimus::testing::tiny_timm_spec;

// Sets environment variables for one test and puts the old values back.
class Environment {
 public:
  Environment(std::initializer_list<std::pair<const char*, std::optional<std::string>>> values) {
    for (const auto& [name, value] : values) {
      const char* old = std::getenv(name);
      saved_.emplace_back(name, old != nullptr ? std::optional<std::string>{old} : std::nullopt);
      set(name, value);
    }
  }
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;
  ~Environment() {
    for (const auto& [name, value] : saved_) {
      set(name.c_str(), value);
    }
  }

 private:
  static void set(const char* name, const std::optional<std::string>& value) {
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const BackboneError& error) {
    return error.what();
  }
  return "no error";
}

// A Hugging Face cache holding the tiny model as ORG/NAME at `commit`, as
// huggingface_hub leaves it: the files in blobs/ under their hashes, the
// snapshot's files relative symbolic links to them.
std::filesystem::path cache_with_model(const std::filesystem::path& cache, const std::string& commit) {
  const std::filesystem::path repository = cache / "models--test-org--tiny-vit";
  const std::filesystem::path snapshot = repository / "snapshots" / commit;
  std::filesystem::create_directories(snapshot);
  std::filesystem::create_directories(repository / "refs");
  std::filesystem::create_directories(repository / "blobs");
  std::ofstream(repository / "refs" / "main") << commit;
  bioptimus::testing::write_model(snapshot, bioptimus::testing::tiny_shapes(), bioptimus::testing::tiny_args);
  int blob = 0;
  for (const char* name : {"model.safetensors", "config.json"}) {
    const std::string hash = "blob" + std::to_string(blob++);
    std::filesystem::rename(snapshot / name, repository / "blobs" / hash);
    std::filesystem::create_symlink(std::filesystem::path{"../../blobs"} / hash, snapshot / name);
  }
  return snapshot;
}

}  // namespace

TEST_CASE("a snapshot folder or a .safetensors file runs on the native engine, read out as the spec says") {
  const bioptimus::testing::TempDir dir;
  bioptimus::testing::write_model(dir.path(), bioptimus::testing::tiny_shapes(), bioptimus::testing::tiny_args);
  Backbone backbone = Backbone::load(dir.path(), tiny_timm_spec(), BackboneOptions{.threads = 1});
  CHECK(backbone.backend() == BackendKind::native);
  CHECK(backbone.file() == dir.path());
  CHECK(backbone.embedding_size() == 16);
  CHECK(backbone.readout().input_size() == 9 * 16);
  CHECK(backbone.precision() == bioptimus::models::Precision::fp32);
  CHECK_THAT(backbone.describe(), Catch::StartsWith("tiny@1.0.0 on the native engine: vit_base_patch14_reg4_dinov2"));
  std::vector<float> tiles(3 * backbone.tile_size(), 0.25F);
  std::vector<float> embeddings(3 * 16);
  backbone.embed(tiles, embeddings);
  // CLS after the final norm of a model of constant weights: the same for every tile.
  CHECK(std::equal(embeddings.begin(), embeddings.begin() + 16, embeddings.begin() + 32));
  CHECK_THROWS_WITH(backbone.embed(tiles, std::span<float>(embeddings).first(8)),
                    Catch::Contains("embed() needs whole tiles of 2352 floats and 16 floats of output per tile"));
  CHECK(Backbone::load(dir.path() / "model.safetensors", tiny_timm_spec()).backend() == BackendKind::native);
  CHECK_THAT(error_of([&] { (void)Backbone::load(dir.path(), tiny_timm_spec(), BackboneOptions{.device = "cuda"}); }),
             Catch::Contains("the native engine runs on the CPU only; device cuda needs a TorchScript model"));
  // The engine's own errors come through as BackboneErrors, naming the file.
  CHECK_THAT(error_of([&] { (void)Backbone::load(dir.path(), tiny_timm_spec(1)); }),
             Catch::Contains("the spec's num_prefix_tokens 1 against the model's 5"));
}

TEST_CASE("the native engine runs the precision decided as for LibTorch: auto, bf16 and fp16 alike") {
  namespace detail = bioptimus::inference::detail;
  using bioptimus::models::Precision;
  const detail::NativeBf16 cpu = detail::native_bf16(detail::probe_x86_features());
  const bioptimus::testing::TempDir dir;
  bioptimus::testing::write_model(dir.path(), bioptimus::testing::tiny_shapes(), bioptimus::testing::tiny_args);
  // auto: the spec's precision where this CPU runs bf16 natively, fp32 elsewhere, for the same reason.
  for (const Precision wanted : {Precision::fp32, Precision::bf16, Precision::fp16}) {
    bioptimus::models::ModelSpec::Fields fields = tiny_timm_spec().fields();
    fields.precision = wanted;
    const bioptimus::models::ModelSpec spec{fields};
    const detail::PrecisionChoice choice =
        detail::choose_precision(spec.precision(), std::nullopt, detail::DeviceKind::cpu, cpu);
    const Backbone backbone = Backbone::load(dir.path(), spec, BackboneOptions{.threads = 1});
    INFO("spec precision " << bioptimus::models::to_string(wanted));
    CHECK(backbone.precision() == choice.precision);
    CHECK(backbone.precision_reason() == choice.reason);
    CHECK(backbone.warnings().empty());
  }
  // bf16 asked for: decided bf16; where oneDNN has no bf16 product (no AVX-512), fp32 and both reasons.
  const Backbone asked = Backbone::load(dir.path(), tiny_timm_spec(), BackboneOptions{.precision = Precision::bf16});
  const detail::PrecisionChoice bf16 =
      detail::choose_precision(Precision::fp32, Precision::bf16, detail::DeviceKind::cpu, cpu);
  CHECK_THAT(asked.precision_reason(), Catch::StartsWith(bf16.reason));
  if (asked.precision() == Precision::fp32) {
    CHECK_THAT(asked.precision_reason(),
               Catch::Contains("; bf16 requested, but oneDNN runs no bf16 matrix product on this CPU") &&
                   Catch::Contains("running fp32"));
  } else {
    CHECK(asked.precision() == Precision::bf16);
  }
  // fp16 on the CPU is refused for either engine, naming the weights.
  CHECK_THAT(error_of([&] {
               (void)Backbone::load(dir.path(), tiny_timm_spec(), BackboneOptions{.precision = Precision::fp16});
             }),
             Catch::Contains(dir.path().string() + ": precision fp16: not on the CPU"));
}

TEST_CASE("the hub cache folder is found as huggingface_hub finds it") {
  using bioptimus::inference::hugging_face_hub_cache;
  {
    const Environment env{{"HF_HUB_CACHE", "/a/hub"}, {"HF_HOME", "/b"}, {"HOME", "/home/u"}};
    CHECK(hugging_face_hub_cache() == "/a/hub");
  }
  {
    const Environment env{{"HF_HUB_CACHE", std::nullopt},
                          {"HUGGINGFACE_HUB_CACHE", std::nullopt},
                          {"HF_HOME", "~/hf"},
                          {"HOME", "/home/u"}};
    CHECK(hugging_face_hub_cache() == "/home/u/hf/hub");
  }
  {
    const Environment env{{"HF_HUB_CACHE", std::nullopt},
                          {"HUGGINGFACE_HUB_CACHE", std::nullopt},
                          {"HF_HOME", std::nullopt},
                          {"XDG_CACHE_HOME", "/x"},
                          {"HOME", "/home/u"}};
    CHECK(hugging_face_hub_cache() == "/x/huggingface/hub");
  }
  {
    const Environment env{{"HF_HUB_CACHE", std::nullopt},
                          {"HUGGINGFACE_HUB_CACHE", std::nullopt},
                          {"HF_HOME", std::nullopt},
                          {"XDG_CACHE_HOME", std::nullopt},
                          {"HOME", "/home/u"}};
    CHECK(hugging_face_hub_cache() == "/home/u/.cache/huggingface/hub");
  }
}

TEST_CASE("with no weights given, the spec's weights_source is found in the local cache, offline") {
  using bioptimus::inference::find_snapshot;
  using bioptimus::inference::resolve_weights;
  const bioptimus::testing::TempDir dir;
  const std::filesystem::path cache = dir.path() / "hub";
  const std::string commit = "0123456789abcdef0123456789abcdef01234567";
  const std::filesystem::path snapshot = cache_with_model(cache, commit);
  const Environment env{{"HF_HUB_CACHE", cache.string()}};
  const auto spec = tiny_timm_spec(5, 28, "test-org/tiny-vit");
  CHECK(resolve_weights(spec, std::nullopt) == snapshot);
  CHECK(resolve_weights(spec, std::filesystem::path{"/given.pt"}) == "/given.pt");
  Backbone backbone = Backbone::load(resolve_weights(spec, std::nullopt), spec);
  CHECK(backbone.backend() == BackendKind::native);

  CHECK(std::filesystem::is_symlink(snapshot / "model.safetensors"));
  CHECK_THAT(error_of([&] { (void)find_snapshot("test-org/other", cache); }),
             Catch::Contains("test-org/other is not in the Hugging Face cache: no " +
                             (cache / "models--test-org--other").string()) &&
                 Catch::Contains("huggingface-cli download test-org/other") &&
                 Catch::Contains("the cache is " + cache.string() + "; huggingface_hub's order: $HF_HUB_CACHE"));
  {
    // Not in the cache: the message says where it looked and what chose that folder.
    const Environment home{{"HF_HUB_CACHE", std::nullopt},
                           {"HUGGINGFACE_HUB_CACHE", std::nullopt},
                           {"HF_HOME", (dir.path() / "hf").string()}};
    CHECK_THAT(error_of([&] { (void)resolve_weights(spec, std::nullopt); }),
               Catch::Contains("test-org/tiny-vit is not in the Hugging Face cache: no " +
                               (dir.path() / "hf" / "hub" / "models--test-org--tiny-vit").string()) &&
                   Catch::Contains("(the cache is " + (dir.path() / "hf" / "hub").string() + ", from $HF_HOME/hub;"));
  }
  CHECK_THAT(error_of([&] { (void)find_snapshot("https://github.com/x/y/releases/download/ckpt/m.pth", cache); }),
             Catch::Contains("is not a Hugging Face repository (ORG/NAME)"));
  CHECK_THAT(error_of([&] { (void)resolve_weights(tiny_timm_spec(), std::nullopt); }),
             Catch::Contains("tiny names no weights_source: pass the weights with --weights"));
  // refs/main naming a commit that is not there.
  std::ofstream(cache / "models--test-org--tiny-vit" / "refs" / "main") << "feedface";
  CHECK_THAT(error_of([&] { (void)find_snapshot("test-org/tiny-vit", cache); }),
             Catch::Contains("refs/main names commit feedface, which has no folder in"));
  std::ofstream(cache / "models--test-org--tiny-vit" / "refs" / "main") << "..";
  CHECK_THAT(error_of([&] { (void)find_snapshot("test-org/tiny-vit", cache); }),
             Catch::Contains("refs/main names commit .., which has no folder in"));
  // No refs/main: the only snapshot, and none when there are several.
  std::filesystem::remove(cache / "models--test-org--tiny-vit" / "refs" / "main");
  CHECK(find_snapshot("test-org/tiny-vit", cache) == snapshot);
  std::filesystem::create_directories(cache / "models--test-org--tiny-vit" / "snapshots" / "other");
  CHECK_THAT(
      error_of([&] { (void)find_snapshot("test-org/tiny-vit", cache); }),
      Catch::Contains("is missing and") && Catch::Contains("holds 2 snapshots; pass the one to use with --weights"));
}
