// bioptimus::remote in process: the protocol's pieces (base64 against RFC
// 4648's vectors, PNG tiles and the bomb refused from its header), then
// ModelServer and RemoteBackend talking over loopback with a stand-in model
// (no LibTorch): embeddings in tile order whatever the concurrency and the
// batch form, dynamic batching, the failures a client must report.
#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base64.hpp"
#include "bioptimus/models/preprocess.hpp"
#include "bioptimus/remote/model_server.hpp"
#include "bioptimus/remote/remote_backend.hpp"
#include "png_codec.hpp"
#include "test_models.hpp"

namespace {

using bioptimus::image::ImageView;
using bioptimus::image::PixelFormat;
using bioptimus::remote::ModelServer;
using bioptimus::remote::RemoteBackend;
using bioptimus::remote::RemoteError;
using bioptimus::remote::detail::base64_decode;
using bioptimus::remote::detail::base64_encode;
using bioptimus::remote::detail::decode_png_tile;
using bioptimus::remote::detail::encode_png;

std::string encode(std::string_view text) {
  std::string out;
  base64_encode({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, out);
  return out;
}

std::string decode(std::string_view text) {
  std::vector<std::uint8_t> bytes;
  const std::string error = base64_decode(text, bytes);
  REQUIRE(error.empty());
  return {bytes.begin(), bytes.end()};
}

std::string decode_error(std::string_view text) {
  std::vector<std::uint8_t> bytes;
  return base64_decode(text, bytes);
}

// Deterministic pixels that differ from tile to tile.
std::vector<std::uint8_t> pixels(std::int64_t width, std::int64_t height, std::uint32_t seed) {
  std::vector<std::uint8_t> out(static_cast<std::size_t>(width * height * 3));
  std::uint32_t state = seed * 2654435761U + 1U;
  for (std::uint8_t& value : out) {
    state = state * 1664525U + 1013904223U;
    value = static_cast<std::uint8_t>(state >> 24);
  }
  return out;
}

ImageView view_of(const std::vector<std::uint8_t>& data, std::int64_t width, std::int64_t height) {
  return {
      .data = data.data(), .width = width, .height = height, .stride_bytes = width * 3, .format = PixelFormat::rgb8};
}

// The stand-in model: per tile, 64 floats made from the preprocessed input
// (each a sum over a strided slice), so that every input value matters.
void stand_in_model(std::span<const float> tiles, std::span<float> embeddings) {
  const std::size_t tile_floats = 3 * 64 * 64;
  const std::size_t count = tiles.size() / tile_floats;
  REQUIRE(embeddings.size() == count * 64);
  for (std::size_t t = 0; t < count; ++t) {
    for (std::size_t j = 0; j < 64; ++j) {
      double sum = 0;
      for (std::size_t i = j; i < tile_floats; i += 64) {
        sum += static_cast<double>(tiles[t * tile_floats + i]) * static_cast<double>(1 + (i % 7));
      }
      embeddings[t * 64 + j] = static_cast<float>(sum);
    }
  }
}

std::vector<float> expected_embeddings(const bioptimus::models::ModelSpec& spec, std::span<const ImageView> tiles) {
  const bioptimus::models::Preprocessor preprocessor(spec);
  std::vector<float> input(tiles.size() * static_cast<std::size_t>(preprocessor.output_elements()));
  preprocessor(tiles, input);
  std::vector<float> out(tiles.size() * 64);
  stand_in_model(input, out);
  return out;
}

std::string metrics_value(const ModelServer& server, const std::string& name) {
  const std::string text = server.metrics();
  const std::size_t at = text.find("\n" + name + " ");
  REQUIRE(at != std::string::npos);
  return text.substr(at + name.size() + 2, text.find('\n', at + 1) - at - name.size() - 2);
}

}  // namespace

TEST_CASE("base64 encodes and decodes RFC 4648's test vectors", "[remote]") {
  const std::array<std::pair<std::string_view, std::string_view>, 7> vectors{{{"", ""},
                                                                              {"f", "Zg=="},
                                                                              {"fo", "Zm8="},
                                                                              {"foo", "Zm9v"},
                                                                              {"foob", "Zm9vYg=="},
                                                                              {"fooba", "Zm9vYmE="},
                                                                              {"foobar", "Zm9vYmFy"}}};
  for (const auto& [plain, encoded] : vectors) {
    CHECK(encode(plain) == encoded);
    CHECK(decode(encoded) == plain);
  }
  CHECK(decode("Zm9vYg") == "foob");  // padding may be left out
  CHECK(decode_error("Zm9v!mFy") == "'!' at offset 4 is not a base64 character");
  CHECK(decode_error("Zm9v\nYmFy") == "byte 0x0a at offset 4 is not a base64 character");
  CHECK(decode_error("Zm9vY") == "its length 5 is not one an encoder writes");
  CHECK(decode_error("Zg=") == "its padding ends a group of 3 characters, not 4");
  CHECK(decode_error("Zg=a").find("'=' at offset 2") == 0);
}

TEST_CASE("PNG tiles: encoded losslessly, refused by size before decoding", "[remote]") {
  const std::vector<std::uint8_t> tile = pixels(64, 48, 1);
  std::vector<std::uint8_t> png;
  encode_png(view_of(tile, 64, 48), png);
  REQUIRE(png.size() > 8);

  std::vector<std::uint8_t> decoded;
  ImageView view;
  REQUIRE(decode_png_tile(png, {.width = 64, .height = 48}, decoded, view).empty());
  CHECK(view.format == PixelFormat::rgb8);
  CHECK(view.width == 64);
  CHECK(view.height == 48);
  CHECK(decoded == tile);

  CHECK(decode_png_tile(png, {.width = 64, .height = 64}, decoded, view) ==
        "image_data is a 64x48 PNG; this model takes 64x64 tiles (resize them to the model's tile size)");
  const std::vector<std::uint8_t> garbage{'G', 'I', 'F', '8', '9', 'a', 0, 0};
  CHECK(decode_png_tile(garbage, {.width = 64, .height = 64}, decoded, view).find("not a readable PNG") !=
        std::string::npos);

  // A bomb: the header declares 100000 x 100000 (30 GB of pixels); the size
  // check refuses it before anything of that size is allocated.
  std::vector<std::uint8_t> bomb = png;
  const std::array<std::uint8_t, 4> side{0x00, 0x01, 0x86, 0xA0};  // 100000, big-endian
  std::copy(side.begin(), side.end(), bomb.begin() + 16);          // IHDR width
  std::copy(side.begin(), side.end(), bomb.begin() + 20);          // IHDR height
  const std::uint32_t crc = [&] {
    // The IHDR chunk's CRC-32 over its type and data (PNG spec, section 5.5).
    std::uint32_t value = 0xFFFFFFFFU;
    for (std::size_t i = 12; i < 12 + 4 + 13; ++i) {
      value ^= bomb[i];
      for (int bit = 0; bit < 8; ++bit) {
        value = (value >> 1) ^ (0xEDB88320U & (0U - (value & 1U)));
      }
    }
    return ~value;
  }();
  for (std::size_t i = 0; i < 4; ++i) {
    bomb[29 + i] = static_cast<std::uint8_t>(crc >> (24 - 8 * i));
  }
  decoded.clear();
  decoded.shrink_to_fit();
  CHECK(decode_png_tile(bomb, {.width = 64, .height = 64}, decoded, view).find("100000x100000 PNG") !=
        std::string::npos);
  CHECK(decoded.capacity() == 0);
}

TEST_CASE("ModelServer and RemoteBackend: embeddings in tile order, batched", "[remote]") {
  const bioptimus::models::ModelSpec spec = bioptimus::testing::tiny_vit_spec();
  ModelServer server({.host = "127.0.0.1", .port = 0, .max_batch = 8, .access_log = false});
  server.serve(spec, stand_in_model, R"({"model_name": "tiny-vit-reg4", "version": "1.0.0", "embedding_dim": 64})");

  std::vector<std::vector<std::uint8_t>> data;
  std::vector<ImageView> tiles;
  for (std::uint32_t i = 0; i < 37; ++i) {
    data.push_back(pixels(64, 64, i));
  }
  for (const auto& tile : data) {
    tiles.push_back(view_of(tile, 64, 64));
  }
  const std::vector<float> expected = expected_embeddings(spec, tiles);

  for (const int tiles_per_request : {1, 3}) {
    RemoteBackend remote(spec, {.endpoint = "http://127.0.0.1:" + std::to_string(server.port()),
                                .concurrency = 6,
                                .tiles_per_request = tiles_per_request});
    CHECK(remote.url() == "http://127.0.0.1:" + std::to_string(server.port()) + "/invocations");
    std::vector<float> embeddings(tiles.size() * remote.embedding_size());
    remote.embed(tiles, embeddings, "slide-1");
    // The same floats as the model gave: the shortest decimal form reads back exactly.
    CHECK(embeddings == expected);
  }
  CHECK(std::stoi(metrics_value(server, "bioptimus_batched_tiles_total")) == 2 * 37);
  // Six requests in flight shared model calls.
  CHECK(std::stoi(metrics_value(server, "bioptimus_batch_size_max")) > 1);
  CHECK(std::stoi(metrics_value(server, "bioptimus_batch_size_max")) <= 8);
}

TEST_CASE("RemoteBackend reports what went wrong, naming the endpoint and the tile", "[remote]") {
  const bioptimus::models::ModelSpec spec = bioptimus::testing::tiny_vit_spec();
  const std::vector<std::uint8_t> data = pixels(64, 64, 3);
  const std::vector<ImageView> tiles{view_of(data, 64, 64)};
  std::vector<float> embeddings(64);

  SECTION("the server serves another model") {
    ModelServer server({.host = "127.0.0.1", .port = 0, .access_log = false});
    server.serve(spec, stand_in_model, R"({"model_name": "tiny-vit-reg4", "version": "0.9.0"})");
    CHECK_THROWS_WITH(RemoteBackend(spec, {.endpoint = "http://127.0.0.1:" + std::to_string(server.port())}),
                      Catch::Contains("serves tiny-vit-reg4@0.9.0, this run's model is tiny-vit-reg4@1.0.0"));
  }
  SECTION("the model fails: 500, retried, then reported with the server's message") {
    std::atomic<int> calls{0};
    ModelServer server({.host = "127.0.0.1", .port = 0, .access_log = false});
    server.serve(
        spec,
        [&calls](std::span<const float>, std::span<float>) {
          ++calls;
          throw bioptimus::Error("out of memory");
        },
        R"({"model_name": "tiny-vit-reg4", "version": "1.0.0"})");
    RemoteBackend remote(spec, {.endpoint = "http://127.0.0.1:" + std::to_string(server.port()),
                                .retries = 2,
                                .backoff = std::chrono::milliseconds(1)});
    const std::array<bioptimus::remote::TilePosition, 1> positions{{{.x = 640, .y = 320, .patch_idx = 5}}};
    CHECK_THROWS_WITH(remote.embed(tiles, embeddings, "s", positions),
                      Catch::Contains("/invocations: tile 5 (x=640, y=320) failed after 3 attempts: HTTP 500: the "
                                      "model failed: out of memory"));
    CHECK(calls == 3);
  }
  SECTION("the server is gone: connection errors, retried, then reported") {
    // Stopping waits for the client's idle kept-alive connections: 1 s.
    std::optional<ModelServer> server(
        std::in_place,
        bioptimus::remote::ServerOptions{
            .host = "127.0.0.1", .port = 0, .idle_timeout = std::chrono::seconds(1), .access_log = false});
    server->serve(spec, stand_in_model, R"({"model_name": "tiny-vit-reg4", "version": "1.0.0"})");
    const int port = server->port();
    RemoteBackend remote(spec, {.endpoint = "http://127.0.0.1:" + std::to_string(port),
                                .retries = 1,
                                .backoff = std::chrono::milliseconds(1)});
    remote.embed(tiles, embeddings);
    server.reset();
    CHECK_THROWS_AS(remote.embed(tiles, embeddings), RemoteError);
    CHECK_THROWS_WITH(remote.embed(tiles, embeddings),
                      Catch::Contains("http://127.0.0.1:" + std::to_string(port) +
                                      "/invocations: tile 0 (x=0, y=0) failed after 2 attempts"));
  }
  SECTION("tiles not of the model's size are refused before sending") {
    ModelServer server({.host = "127.0.0.1", .port = 0, .access_log = false});
    server.serve(spec, stand_in_model, R"({"model_name": "tiny-vit-reg4", "version": "1.0.0"})");
    const std::vector<std::uint8_t> small = pixels(32, 32, 1);
    const std::vector<ImageView> wrong{view_of(small, 32, 32)};
    RemoteBackend remote(spec, {.endpoint = "http://127.0.0.1:" + std::to_string(server.port())});
    CHECK_THROWS_WITH(remote.embed(wrong, embeddings), Catch::Contains("must be rgb8 of 64x64"));
  }
  SECTION("a client error (4xx) is not retried") {
    // A body limit that the metadata request fits in and a tile does not: 413.
    ModelServer server({.host = "127.0.0.1", .port = 0, .max_body_bytes = 200, .access_log = false});
    server.serve(spec, stand_in_model, R"({"model_name": "tiny-vit-reg4", "version": "1.0.0"})");
    RemoteBackend remote(spec, {.endpoint = "http://127.0.0.1:" + std::to_string(server.port()), .retries = 3});
    CHECK_THROWS_WITH(remote.embed(tiles, embeddings),
                      Catch::Contains("failed after 1 attempt: HTTP 413: the request body is larger"));
    CHECK(server.metrics().find("bioptimus_requests_total{route=\"/invocations\",status=\"413\"} 1\n") !=
          std::string::npos);
  }
  SECTION("a bad endpoint") {
    CHECK_THROWS_WITH(RemoteBackend(spec, {.endpoint = "ftp://host:21"}),
                      Catch::Contains("the scheme must be http or https"));
    CHECK_THROWS_WITH(RemoteBackend(spec, {.endpoint = "127.0.0.1:8080"}), Catch::Contains("no scheme"));
  }
}
