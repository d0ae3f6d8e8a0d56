// The safetensors reader: the header is parsed and every entry checked before
// a TensorEntry points into the data, with the reference reader's rules
// (huggingface/safetensors safetensors/src/tensor.rs @000a16f:
// SafeTensors::read_metadata, Metadata::validate).
#include "bioptimus/engine/safetensors.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>
#include <utility>

#include "input_file.hpp"
#include "json_document.hpp"

namespace bioptimus::engine {
namespace {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; a big-endian host would need byte swapping");

// A header nests at most three levels: {name: {"shape": [..]}}. A little slack
// for metadata that breaks the string-to-string rule (refused by name below).
constexpr std::size_t max_header_depth = 8;

std::string quote_name(std::string_view text) {
  std::string result = "\"";
  result.append(text.substr(0, 200));
  if (text.size() > 200) {
    result += "...";
  }
  return result + "\"";
}

// A non-negative whole number that fits in 63 bits, or nothing.
std::optional<std::uint64_t> whole_number(const nlohmann::json& value) {
  if (value.is_number_unsigned()) {
    return value.get<std::uint64_t>();
  }
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0) {
    return static_cast<std::uint64_t>(value.get<std::int64_t>());
  }
  return std::nullopt;
}

}  // namespace

struct SafetensorsFile::State {
  std::string source;
  detail::MappedFile mapping;  // empty for parse()
  std::vector<TensorEntry> tensors;
  std::map<std::string, std::string, std::less<>> metadata;
};

namespace {

// Reads one header entry; `data` is the data section.
TensorEntry read_entry(const std::string& source, const std::string& name, const nlohmann::json& value,
                       std::span<const std::byte> data, std::uint64_t data_offset) {
  const std::string who = source + ": tensor " + quote_name(name);
  if (!value.is_object()) {
    throw SafetensorsError(who + ": expected an object with dtype, shape and data_offsets, got " +
                           std::string{detail::json_kind(value)});
  }
  for (const auto& [key, unused] : value.items()) {
    if (key != "dtype" && key != "shape" && key != "data_offsets") {
      throw SafetensorsError(who + ": unknown key " + quote_name(key) + " (expected dtype, shape, data_offsets)");
    }
  }
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!value.contains(key)) {
      throw SafetensorsError(who + ": no " + key);
    }
  }
  TensorEntry entry;
  entry.name = name;
  const nlohmann::json& dtype = value.at("dtype");
  const auto* known = dtype.is_string() ? std::find_if(all_dtypes.begin(), all_dtypes.end(),
                                                       [&](Dtype each) { return dtype == to_string(each); })
                                        : all_dtypes.end();
  if (known == all_dtypes.end()) {
    throw SafetensorsError(who + ": dtype " + detail::json_excerpt(dtype) +
                           " is not a safetensors dtype (BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, "
                           "U32, F32, F64, I64, U64)");
  }
  entry.dtype = *known;

  const nlohmann::json& shape = value.at("shape");
  if (!shape.is_array()) {
    throw SafetensorsError(who + ": shape: expected an array of whole numbers, got " + detail::json_excerpt(shape));
  }
  // Elements and bytes with overflow checks, as Metadata::validate's checked_mul.
  std::uint64_t bytes = size_of(entry.dtype);
  bool overflow = false;
  for (const nlohmann::json& extent : shape) {
    const std::optional<std::uint64_t> number = whole_number(extent);
    if (!number || *number > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      throw SafetensorsError(who + ": shape: expected whole numbers >= 0, got " + detail::json_excerpt(shape));
    }
    entry.shape.push_back(static_cast<std::int64_t>(*number));
    if (*number != 0 && bytes > std::numeric_limits<std::uint64_t>::max() / *number) {
      overflow = true;
    }
    bytes = overflow ? 0 : bytes * *number;
  }
  const nlohmann::json& offsets = value.at("data_offsets");
  const bool pair = offsets.is_array() && offsets.size() == 2;
  const std::optional<std::uint64_t> first = pair ? whole_number(offsets[0]) : std::nullopt;
  const std::optional<std::uint64_t> last = pair ? whole_number(offsets[1]) : std::nullopt;
  if (!first.has_value() || !last.has_value()) {
    throw SafetensorsError(who + ": data_offsets: expected [begin, end], two whole numbers, got " +
                           detail::json_excerpt(offsets));
  }
  // Plain copies: g++ -O3 sees the optionals' values as maybe uninitialised past the check.
  const std::uint64_t begin = first.value_or(0);
  const std::uint64_t end = last.value_or(0);
  const std::string range = "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "]";
  if (end < begin || end > data.size()) {
    throw SafetensorsError(who + ": " + range + " do not lie within the " + std::to_string(data.size()) +
                           " bytes of data");
  }
  if (overflow || end - begin != bytes) {
    throw SafetensorsError(who + ": " + range + " hold " + std::to_string(end - begin) + " bytes; its shape " +
                           detail::json_excerpt(shape) + " of " + std::string{to_string(entry.dtype)} + " needs " +
                           (overflow ? std::string{"more than 2^64"} : std::to_string(bytes)));
  }
  entry.file_offset = data_offset + begin;
  entry.bytes = data.subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin));
  return entry;
}

// The checked content of a file.
struct Checked {
  std::vector<TensorEntry> tensors;
  std::map<std::string, std::string, std::less<>> metadata;
};

Checked check(std::span<const std::byte> file, const std::string& who) {
  Checked result;
  Checked* state = &result;
  if (file.size() < 8) {
    throw SafetensorsError(who + ": " + std::to_string(file.size()) +
                           " bytes, too short for safetensors (an 8-byte header length, a JSON header, the data)");
  }
  std::uint64_t header_size = 0;
  std::memcpy(&header_size, file.data(), sizeof header_size);
  if (header_size > SafetensorsFile::max_header_bytes) {
    throw SafetensorsError(who + ": the header length (first 8 bytes, little-endian) says " +
                           std::to_string(header_size) + " bytes, more than safetensors' 100000000 limit");
  }
  if (header_size > file.size() - 8) {
    throw SafetensorsError(who + ": the header length says " + std::to_string(header_size) + " bytes but only " +
                           std::to_string(file.size() - 8) + " follow it");
  }
  const std::string_view text{reinterpret_cast<const char*>(file.data() + 8), static_cast<std::size_t>(header_size)};
  detail::JsonProblem problem;
  const nlohmann::json header = detail::parse_json(text, max_header_depth, problem);
  if (!problem.message.empty()) {
    // The header starts at byte 8 of the file.
    throw SafetensorsError(who + ": the JSON header (from byte 8) is not valid: " + problem.message);
  }
  if (!header.is_object()) {
    throw SafetensorsError(who + ": the header is " + std::string{detail::json_kind(header)} +
                           "; expected an object of tensor name -> {dtype, shape, data_offsets}");
  }
  const std::uint64_t data_offset = 8 + header_size;
  const std::span<const std::byte> data = file.subspan(static_cast<std::size_t>(data_offset));
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) {
        throw SafetensorsError(who + ": __metadata__: expected an object of strings, got " +
                               std::string{detail::json_kind(value)});
      }
      for (const auto& [key, text_value] : value.items()) {
        if (!text_value.is_string()) {
          throw SafetensorsError(who + ": __metadata__." + key + ": expected a string, got " +
                                 detail::json_excerpt(text_value));
        }
        state->metadata.emplace(key, text_value.get<std::string>());
      }
      continue;
    }
    state->tensors.push_back(read_entry(who, name, value, data, data_offset));
  }
  // The tensors must tile the data in offset order, without holes or overlap,
  // up to its very end (Metadata::validate and MetadataIncompleteBuffer).
  std::sort(state->tensors.begin(), state->tensors.end(), [](const TensorEntry& a, const TensorEntry& b) {
    return std::pair{a.file_offset, a.bytes.size()} < std::pair{b.file_offset, b.bytes.size()};
  });
  std::uint64_t expected = data_offset;
  for (const TensorEntry& entry : state->tensors) {
    if (entry.file_offset != expected) {
      throw SafetensorsError(
          who + ": tensor " + quote_name(entry.name) + " starts at data offset " +
          std::to_string(entry.file_offset - data_offset) + "; expected " + std::to_string(expected - data_offset) +
          (entry.file_offset < expected ? " (it overlaps the tensor before it)" : " (a hole in the data)"));
    }
    expected += entry.bytes.size();
  }
  if (expected != file.size()) {
    throw SafetensorsError(who + ": the tensors cover " + std::to_string(expected - data_offset) + " of the " +
                           std::to_string(data.size()) +
                           " bytes of data; safetensors data must end with the last tensor");
  }
  return result;
}

}  // namespace

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path, std::uint64_t max_file_bytes) {
  detail::MappedFile mapping;
  try {
    mapping = detail::map_input_file(
        path, {.expected = "a safetensors file", .max_bytes = max_file_bytes, .noun = "safetensors file"});
  } catch (const bioptimus::detail::InputFileError& error) {
    throw SafetensorsError(path.string() + ": " + error.brief_reason());
  }
  Checked checked = check(mapping.bytes(), path.string());
  return SafetensorsFile{std::make_unique<State>(State{.source = path.string(),
                                                       .mapping = std::move(mapping),
                                                       .tensors = std::move(checked.tensors),
                                                       .metadata = std::move(checked.metadata)})};
}

SafetensorsFile SafetensorsFile::parse(std::span<const std::byte> bytes, std::string_view source) {
  std::string name{source};
  Checked checked = check(bytes, name);
  return SafetensorsFile{std::make_unique<State>(State{.source = std::move(name),
                                                       .mapping = {},
                                                       .tensors = std::move(checked.tensors),
                                                       .metadata = std::move(checked.metadata)})};
}

SafetensorsFile::SafetensorsFile(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
SafetensorsFile::SafetensorsFile(SafetensorsFile&&) noexcept = default;
SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&&) noexcept = default;
SafetensorsFile::~SafetensorsFile() = default;

const std::string& SafetensorsFile::source() const noexcept { return state_->source; }
std::span<const TensorEntry> SafetensorsFile::tensors() const noexcept { return state_->tensors; }

const TensorEntry* SafetensorsFile::find(std::string_view name) const noexcept {
  const auto found = std::find_if(state_->tensors.begin(), state_->tensors.end(),
                                  [&](const TensorEntry& entry) { return entry.name == name; });
  return found == state_->tensors.end() ? nullptr : &*found;
}

const std::map<std::string, std::string, std::less<>>& SafetensorsFile::metadata() const noexcept {
  return state_->metadata;
}

void SafetensorsFile::release(const TensorEntry& entry) const noexcept {
  state_->mapping.release(static_cast<std::size_t>(entry.file_offset), entry.bytes.size());
}

}  // namespace bioptimus::engine
