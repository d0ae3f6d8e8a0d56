// The TorchScript backbone on the tiny models of tests/data/models
// (make_models.py): parity with torch in Python, and every load error.
#include <dlfcn.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bioptimus/inference/backbone.hpp"
#include "bioptimus/models/registry.hpp"
#include "blas.hpp"
#include "precision.hpp"
#include "temp_dir.hpp"
#include "test_models.hpp"

namespace {

using bioptimus::inference::Backbone;
using bioptimus::inference::BackboneError;
using bioptimus::inference::BackboneOptions;
using bioptimus::inference::detail::native_bf16;
using bioptimus::inference::detail::NativeBf16;
using bioptimus::inference::detail::probe_x86_features;
using bioptimus::models::ModelSpec;
using bioptimus::models::Precision;
using bioptimus::models::ReadoutError;

using bioptimus::testing::tiny_vit_spec;
const std::filesystem::path& models_dir = bioptimus::testing::test_models_dir;

// make_models.py's reference_input(): element i is ((i * 37) % 101) / 50 - 1.
std::vector<float> reference_input(std::size_t floats) {
  std::vector<float> input(floats);
  for (std::size_t i = 0; i < floats; ++i) {
    input[i] = static_cast<float>((i * 37) % 101) / 50.0F - 1.0F;
  }
  return input;
}

std::vector<float> expected_embedding() {
  std::ifstream stream(models_dir / "tiny-vit-reg4.expected.f32", std::ios::binary);
  REQUIRE(stream);
  const std::vector<char> bytes{std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>()};
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

std::vector<float> embed(Backbone& backbone, std::size_t batch) {
  const std::vector<float> input = reference_input(batch * backbone.tile_size());
  std::vector<float> out(batch * backbone.embedding_size());
  backbone.embed(input, out);
  return out;
}

// The message of the `Exception` that `action` throws.
template <typename Exception, typename Action>
std::string message_of(Action action) {
  try {
    action();
  } catch (const Exception& e) {
    return e.what();
  }
  FAIL("no exception thrown");
  return {};
}

void require_within(const std::vector<float>& actual, const std::vector<float>& expected, double tolerance) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    INFO("element " << i);
    REQUIRE(actual[i] == Approx(expected[i]).margin(tolerance).epsilon(0));
  }
}

}  // namespace

TEST_CASE("The tiny ViT gives torch's embedding: CLS next to the mean of the patch tokens", "[backbone]") {
  Backbone backbone = Backbone::load(models_dir / "tiny-vit-reg4.pt", tiny_vit_spec());
  REQUIRE(backbone.precision() == Precision::fp32);
  REQUIRE_FALSE(backbone.readout().passes_through());
  REQUIRE(backbone.tile_size() == 3 * 64 * 64);
  REQUIRE(backbone.embedding_size() == 64);
  const std::vector<float> expected = expected_embedding();
  REQUIRE(expected.size() == 2 * 64);
  require_within(embed(backbone, 2), expected, 1e-5);
  // Other batch sizes than the dummy batch's give the same rows.
  const std::vector<float> one = embed(backbone, 1);
  require_within(one, {expected.begin(), expected.begin() + 64}, 1e-5);
}

TEST_CASE("A model that pools itself passes its output through", "[backbone]") {
  Backbone backbone = Backbone::load(models_dir / "tiny-vit-reg4-pooled.pt", tiny_vit_spec());
  REQUIRE(backbone.readout().passes_through());
  require_within(embed(backbone, 2), expected_embedding(), 1e-5);
}

TEST_CASE("bf16 on request runs on the CPU under autocast, even where it is emulated", "[backbone]") {
  Backbone backbone =
      Backbone::load(models_dir / "tiny-vit-reg4.pt", tiny_vit_spec(), BackboneOptions{.precision = Precision::bf16});
  REQUIRE(backbone.precision() == Precision::bf16);
  REQUIRE_THAT(backbone.precision_reason(), Catch::Matchers::StartsWith("bf16 as requested; this CPU "));
  // bfloat16 keeps 8 significant bits: about 2 decimal digits.
  const std::vector<float> bf16 = embed(backbone, 2);
  require_within(bf16, expected_embedding(), 0.15);
  // Not fp32 in disguise: the matrix products ran in bf16.
  const std::vector<float> fp32 = expected_embedding();
  double largest = 0;
  for (std::size_t i = 0; i < bf16.size(); ++i) {
    largest = std::max(largest, static_cast<double>(std::abs(bf16[i] - fp32[i])));
  }
  REQUIRE(largest > 1e-3);
}

TEST_CASE("Auto runs a half-precision spec in bf16 only where the CPU has native bf16", "[backbone]") {
  ModelSpec::Fields fields = tiny_vit_spec().fields();
  fields.precision = Precision::fp16;
  const Backbone backbone = Backbone::load(models_dir / "tiny-vit-reg4.pt", ModelSpec{fields});
  const bool native = native_bf16(probe_x86_features()) != NativeBf16::none;
  REQUIRE(backbone.precision() == (native ? Precision::bf16 : Precision::fp32));
  REQUIRE_THAT(backbone.precision_reason(), Catch::Matchers::StartsWith("the spec asks for fp16; this CPU "));
  // An fp32 spec runs in fp32 everywhere.
  const Backbone fp32 = Backbone::load(models_dir / "tiny-vit-reg4.pt", tiny_vit_spec());
  REQUIRE(fp32.precision() == Precision::fp32);
  REQUIRE(fp32.precision_reason() == "the spec's precision (fp32)");
}

TEST_CASE("fp16 on the CPU is refused at load, naming the file", "[backbone]") {
  const std::filesystem::path file = models_dir / "tiny-vit-reg4.pt";
  REQUIRE_THAT(message_of<BackboneError>(
                   [&] { (void)Backbone::load(file, tiny_vit_spec(), BackboneOptions{.precision = Precision::fp16}); }),
               Catch::Matchers::StartsWith(file.string() + ": precision fp16: not on the CPU"));
}

TEST_CASE("A file from a newer torch is refused naming LibTorch's version and the export fix", "[backbone]") {
  SECTION("an operator LibTorch 1.13 lacks (timm's fused attention, traced by torch 2)") {
    const std::filesystem::path file = models_dir / "tiny-vit-sdpa.pt";
    REQUIRE(message_of<BackboneError>([&] { (void)Backbone::load(file, tiny_vit_spec()); }) ==
            file.string() +
                ": LibTorch 1.13 cannot load it, it was saved by a newer torch: Unknown builtin op: "
                "aten::scaled_dot_product_attention. Export it with torch 1.13 (Debian 12's python3-torch), a timm "
                "model with TIMM_FUSED_ATTN=0 (docs/inference.md, \"Exporting an encoder\")");
  }
  SECTION("a newer file format") {
    const std::filesystem::path file = models_dir / "tiny-vit-future-format.pt";
    REQUIRE_THAT(
        message_of<BackboneError>([&] { (void)Backbone::load(file, tiny_vit_spec()); }),
        Catch::Matchers::StartsWith(file.string() + ": LibTorch 1.13 cannot load it, it was saved by a newer torch: "
                                                    "Attempted to read a PyTorch file with version 12, but the maximum "
                                                    "supported version for reading is 10."));
  }
}

TEST_CASE("threads sets LibTorch's OpenMP threads in the thread that runs the model", "[backbone]") {
  // libgomp comes with LibTorch; looked up at run time, as the test does not link it.
  using MaxThreads = int (*)();
  void* symbol = ::dlsym(RTLD_DEFAULT, "omp_get_max_threads");
  REQUIRE(symbol != nullptr);
  MaxThreads max_threads = nullptr;
  std::memcpy(&max_threads, &symbol, sizeof(symbol));
  for (const int threads : {3, 1}) {
    Backbone backbone =
        Backbone::load(models_dir / "tiny-vit-reg4.pt", tiny_vit_spec(), BackboneOptions{.threads = threads});
    std::thread runner([&] {
      (void)embed(backbone, 1);
      CHECK(max_threads() == threads);
    });
    runner.join();
  }
  REQUIRE_THROWS_AS(Backbone::load(models_dir / "tiny-vit-reg4.pt", tiny_vit_spec(), BackboneOptions{.threads = -1}),
                    BackboneError);
}

TEST_CASE("The backbone warns of a reference BLAS exactly when one is mapped", "[backbone]") {
  const Backbone backbone = Backbone::load(models_dir / "tiny-vit-reg4.pt", tiny_vit_spec());
  const std::optional<std::string> expected =
      bioptimus::inference::detail::reference_blas_warning(bioptimus::testing::read_text("/proc/self/maps"));
  if (expected) {
    REQUIRE(backbone.warnings() == std::vector<std::string>{*expected});
  } else {
    REQUIRE(backbone.warnings().empty());
  }
}

TEST_CASE("A model with the wrong token count is refused at load, naming the file and the spec field", "[backbone]") {
  const std::filesystem::path file = models_dir / "tiny-vit-broken.pt";
  REQUIRE_THROWS_MATCHES(
      Backbone::load(file, tiny_vit_spec()), ReadoutError,
      Catch::Message(file.string() + ": model output has 17 tokens; tiny-vit-reg4 expects sequence_length 21 "
                                     "(num_prefix_tokens 5 + 16 patches)"));
}

TEST_CASE("A model whose embedding width differs from the spec is refused at load", "[backbone]") {
  ModelSpec::Fields fields = tiny_vit_spec().fields();
  fields.embedding_dim = 128;
  const std::filesystem::path file = models_dir / "tiny-vit-reg4-pooled.pt";
  REQUIRE_THROWS_MATCHES(
      Backbone::load(file, ModelSpec{fields}), ReadoutError,
      Catch::Message(file.string() +
                     ": model output has 64 features per tile; tiny-vit-reg4 expects embedding_dim 128"));
}

TEST_CASE("A missing file or one that is not TorchScript is a BackboneError naming it", "[backbone]") {
  const bioptimus::testing::TempDir dir;
  SECTION("missing") {
    const std::filesystem::path file = dir.path() / "absent.pt";
    REQUIRE_THROWS_MATCHES(Backbone::load(file, tiny_vit_spec()), BackboneError,
                           Catch::Message(file.string() + ": cannot open the TorchScript model: no such file"));
  }
  SECTION("not TorchScript") {
    const std::filesystem::path file = dir.write("weights.pt", "not a zip archive, not a model");
    REQUIRE_THAT(message_of<BackboneError>([&] { (void)Backbone::load(file, tiny_vit_spec()); }),
                 Catch::Matchers::StartsWith(file.string() + ": not a TorchScript model"));
  }
  SECTION("a directory") { REQUIRE_THROWS_AS(Backbone::load(dir.path(), tiny_vit_spec()), BackboneError); }
}

TEST_CASE("A model that returns a tuple is refused at load, naming the file", "[backbone]") {
  const std::filesystem::path file = models_dir / "tiny-tuple.pt";
  REQUIRE_THROWS_MATCHES(
      Backbone::load(file, tiny_vit_spec()), BackboneError,
      Catch::Message(file.string() + ": the model returns a Tuple; expected one tensor (the token sequence or "
                                     "the embedding)"));
}

TEST_CASE("A model that fails on the input the spec describes is refused at load", "[backbone]") {
  const std::filesystem::path file = models_dir / "tiny-gray.pt";
  REQUIRE_THAT(message_of<BackboneError>([&] { (void)Backbone::load(file, tiny_vit_spec()); }),
               Catch::Matchers::StartsWith(file.string() +
                                           ": the model fails on a batch of zeros of shape [2, 3, 64, 64] in fp32 "
                                           "on cpu: "));
}

TEST_CASE("A device LibTorch does not know is refused", "[backbone]") {
  REQUIRE_THAT(message_of<BackboneError>([] {
                 (void)Backbone::load(models_dir / "tiny-vit-reg4.pt", tiny_vit_spec(),
                                      BackboneOptions{.device = "gpu7"});
               }),
               Catch::Matchers::StartsWith("device gpu7: not a LibTorch device"));
}

TEST_CASE("embed() refuses buffers that do not hold whole tiles", "[backbone]") {
  Backbone backbone = Backbone::load(models_dir / "tiny-vit-reg4.pt", tiny_vit_spec());
  std::vector<float> input(backbone.tile_size() + 1);
  std::vector<float> out(backbone.embedding_size());
  REQUIRE_THROWS_AS(backbone.embed(input, out), BackboneError);
  input.resize(backbone.tile_size());
  out.resize(2 * backbone.embedding_size());
  REQUIRE_THROWS_AS(backbone.embed(input, out), BackboneError);
}
