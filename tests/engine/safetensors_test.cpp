// The safetensors reader: a valid file read back, and every malformation a
// located error (the file, the tensor or the header byte), never a crash.
#include "bioptimus/engine/safetensors.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "temp_dir.hpp"

namespace {

using bioptimus::engine::Dtype;
using bioptimus::engine::SafetensorsError;
using bioptimus::engine::SafetensorsFile;

// A file: the 8-byte little-endian length of `header`, `header`, `data`.
std::vector<std::byte> file_bytes(const std::string& header, std::size_t data_bytes, std::uint64_t length = 0) {
  const std::uint64_t size = length != 0 ? length : header.size();
  std::vector<std::byte> bytes(8 + header.size() + data_bytes, std::byte{0});
  for (int i = 0; i < 8; ++i) {
    bytes[static_cast<std::size_t>(i)] = static_cast<std::byte>((size >> (8 * i)) & 0xFFU);
  }
  std::memcpy(bytes.data() + 8, header.data(), header.size());
  for (std::size_t i = 0; i < data_bytes; ++i) {
    bytes[8 + header.size() + i] = static_cast<std::byte>(i & 0xFFU);
  }
  return bytes;
}

std::string parse_error(const std::string& header, std::size_t data_bytes, std::uint64_t length = 0) {
  const std::vector<std::byte> bytes = file_bytes(header, data_bytes, length);
  try {
    (void)SafetensorsFile::parse(bytes, "t.safetensors");
  } catch (const SafetensorsError& error) {
    return error.what();
  }
  return "no error";
}

constexpr const char* two_tensors =
    R"({"__metadata__": {"format": "pt"}, "b": {"dtype": "BF16", "shape": [2], "data_offsets": [24, 28]},)"
    R"( "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}})";

}  // namespace

TEST_CASE("a valid safetensors file gives its tensors in data order, with their bytes and metadata") {
  const std::vector<std::byte> bytes = file_bytes(two_tensors, 28);
  const SafetensorsFile file = SafetensorsFile::parse(bytes, "t.safetensors");
  REQUIRE(file.tensors().size() == 2);
  CHECK(file.tensors()[0].name == "a");
  CHECK(file.tensors()[1].name == "b");
  const auto* a = file.find("a");
  REQUIRE(a != nullptr);
  CHECK(a->dtype == Dtype::f32);
  CHECK(a->shape == std::vector<std::int64_t>{2, 3});
  CHECK(a->elements() == 6);
  CHECK(a->bytes.size() == 24);
  CHECK(a->bytes.data() == bytes.data() + 8 + std::strlen(two_tensors));
  CHECK(file.find("b")->dtype == Dtype::bf16);
  CHECK(file.find("b")->file_offset == 8 + std::strlen(two_tensors) + 24);
  CHECK(file.find("c") == nullptr);
  CHECK(file.metadata().at("format") == "pt");
  CHECK(bioptimus::engine::to_string(Dtype::bf16) == "BF16");
  CHECK(bioptimus::engine::size_of(Dtype::f64) == 8);
}

TEST_CASE("an empty safetensors file (no tensors) is valid, and a scalar has one element") {
  CHECK(SafetensorsFile::parse(file_bytes("{}      ", 0), "e").tensors().empty());
  const auto bytes = file_bytes(R"({"s": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}})", 4);
  CHECK(SafetensorsFile::parse(bytes, "s").find("s")->elements() == 1);
}

TEST_CASE("the header length and the header are checked before anything is read") {
  std::vector<std::byte> short_file(5, std::byte{0});
  CHECK_THROWS_WITH(SafetensorsFile::parse(short_file, "t.safetensors"),
                    Catch::Contains("t.safetensors: 5 bytes, too short for safetensors"));
  CHECK_THAT(parse_error("{}", 0, 200'000'000),
             Catch::Contains("200000000 bytes, more than safetensors' 100000000 limit"));
  CHECK_THAT(parse_error("{}", 0, 4096), Catch::Contains("the header length says 4096 bytes but only 2 follow it"));
  CHECK_THAT(parse_error("{\"a\": ", 0),
             Catch::Contains("t.safetensors: the JSON header (from byte 8) is not valid: byte"));
  CHECK_THAT(parse_error("[1, 2]", 0), Catch::Contains("the header is an array; expected an object"));
  CHECK_THAT(parse_error("{\"a\": 1, \"a\": 2}", 0), Catch::Contains("key a appears twice"));
  CHECK_THAT(parse_error(std::string(64, '[') + std::string(64, ']'), 0), Catch::Contains("nested deeper than"));
  CHECK_THAT(parse_error("{\"a\": \"\xff\"}", 0), Catch::Contains("is not valid"));
}

TEST_CASE("each tensor entry is checked and named") {
  const std::string prefix = R"({"w": )";
  const auto entry = [&](const std::string& body, std::size_t data = 8) {
    return parse_error(prefix + body + "}", data);
  };
  CHECK_THAT(entry("3"),
             Catch::Contains("tensor \"w\": expected an object with dtype, shape and data_offsets, got an integer"));
  CHECK_THAT(entry(R"({"dtype": "F32", "shape": [2]})"), Catch::Contains("tensor \"w\": no data_offsets"));
  CHECK_THAT(entry(R"({"dtype": "F32", "shape": [2], "data_offsets": [0, 8], "extra": 1})"),
             Catch::Contains("tensor \"w\": unknown key \"extra\""));
  CHECK_THAT(entry(R"({"dtype": "F33", "shape": [2], "data_offsets": [0, 8]})"),
             Catch::Contains("tensor \"w\": dtype \"F33\" is not a safetensors dtype"));
  CHECK_THAT(entry(R"({"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]})"),
             Catch::Contains("tensor \"w\": shape: expected whole numbers >= 0, got [-2]"));
  CHECK_THAT(entry(R"({"dtype": "F32", "shape": [2.5], "data_offsets": [0, 8]})"),
             Catch::Contains("shape: expected whole numbers >= 0"));
  CHECK_THAT(entry(R"({"dtype": "F32", "shape": [2], "data_offsets": [0]})"),
             Catch::Contains("tensor \"w\": data_offsets: expected [begin, end], two whole numbers, got [0]"));
  CHECK_THAT(entry(R"({"dtype": "F32", "shape": [2], "data_offsets": [0, 16]})"),
             Catch::Contains("tensor \"w\": data_offsets [0, 16] do not lie within the 8 bytes of data"));
  CHECK_THAT(entry(R"({"dtype": "F32", "shape": [2], "data_offsets": [8, 0]})"),
             Catch::Contains("data_offsets [8, 0] do not lie within"));
  CHECK_THAT(entry(R"({"dtype": "F32", "shape": [3], "data_offsets": [0, 8]})"),
             Catch::Contains("tensor \"w\": data_offsets [0, 8] hold 8 bytes; its shape [3] of F32 needs 12"));
  CHECK_THAT(entry(R"({"dtype": "F64", "shape": [4294967296, 4294967296], "data_offsets": [0, 8]})"),
             Catch::Contains("needs more than 2^64"));
  CHECK_THAT(entry(R"({"dtype": "F32", "shape": [2], "data_offsets": [0, 18446744073709551615]})"),
             Catch::Contains("do not lie within"));
}

TEST_CASE("the tensors must tile the data, as the reference reader requires") {
  CHECK_THAT(parse_error(R"({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},)"
                         R"( "b": {"dtype": "U8", "shape": [4], "data_offsets": [2, 6]}})",
                         6),
             Catch::Contains("tensor \"b\" starts at data offset 2; expected 4 (it overlaps the tensor before it)"));
  CHECK_THAT(parse_error(R"({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},)"
                         R"( "b": {"dtype": "U8", "shape": [2], "data_offsets": [6, 8]}})",
                         8),
             Catch::Contains("tensor \"b\" starts at data offset 6; expected 4 (a hole in the data)"));
  CHECK_THAT(parse_error(R"({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}})", 9),
             Catch::Contains("the tensors cover 4 of the 9 bytes of data"));
  CHECK_THAT(parse_error(R"({"__metadata__": {"k": 1}})", 0),
             Catch::Contains("__metadata__.k: expected a string, got 1"));
  CHECK_THAT(parse_error(R"({"__metadata__": []})", 0), Catch::Contains("__metadata__: expected an object of strings"));
}

TEST_CASE("open maps a regular file and refuses anything else by name, without blocking") {
  const bioptimus::testing::TempDir dir;
  const std::filesystem::path path = dir.path() / "model.safetensors";
  {
    const std::vector<std::byte> bytes = file_bytes(two_tensors, 28);
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  const SafetensorsFile file = SafetensorsFile::open(path);
  CHECK(file.source() == path.string());
  const auto* a = file.find("a");
  REQUIRE(a != nullptr);
  std::vector<float> values(6);
  std::memcpy(values.data(), a->bytes.data(), 24);
  file.release(*a);
  // Released pages are read again from the file when touched.
  std::vector<float> again(6);
  std::memcpy(again.data(), a->bytes.data(), 24);
  CHECK(std::memcmp(values.data(), again.data(), 24) == 0);

  CHECK_THROWS_WITH(SafetensorsFile::open(dir.path() / "missing.safetensors"), Catch::EndsWith(": no such file"));
  CHECK_THROWS_WITH(SafetensorsFile::open(dir.path()),
                    Catch::Contains(": expected a safetensors file, got a directory"));
  const std::filesystem::path fifo = dir.path() / "fifo.safetensors";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_WITH(SafetensorsFile::open(fifo),
                    Catch::Contains("fifo.safetensors: expected a safetensors file, got a FIFO (named pipe)"));
  CHECK_THROWS_WITH(SafetensorsFile::open(path, 16), Catch::EndsWith(": safetensors file too large: " +
                                                                     std::to_string(std::filesystem::file_size(path)) +
                                                                     " bytes, at most 16 are accepted"));
  const std::filesystem::path empty = dir.path() / "empty.safetensors";
  std::ofstream{empty}.close();
  CHECK_THROWS_WITH(SafetensorsFile::open(empty), Catch::Contains("empty.safetensors: 0 bytes, too short"));
}
