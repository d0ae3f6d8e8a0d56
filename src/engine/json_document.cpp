#include "json_document.hpp"

#include <set>
#include <vector>

namespace bioptimus::engine::detail {
namespace {

// Thrown from the parser callback to stop at the first problem.
struct Stop {
  std::string message;
};

std::string path_text(const std::vector<std::string>& path) {
  std::string text;
  for (const std::string& part : path) {
    text += (text.empty() ? "" : ".") + part;
  }
  return text;
}

}  // namespace

nlohmann::json parse_json(std::string_view text, std::size_t max_depth, JsonProblem& problem) {
  // One frame per open array or object: the keys an object has had so far.
  struct Frame {
    bool object = false;
    std::set<std::string, std::less<>> keys;
  };
  std::vector<Frame> frames;
  std::vector<std::string> path;  // the keys leading to the value being parsed
  std::string pending_key;
  const auto callback = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) -> bool {
    using Event = nlohmann::json::parse_event_t;
    switch (event) {
      case Event::object_start:
      case Event::array_start:
        if (static_cast<std::size_t>(depth) >= max_depth) {
          throw Stop{"nested deeper than " + std::to_string(max_depth) + " levels" +
                     (path.empty() ? std::string{} : " at " + path_text(path))};
        }
        if (!frames.empty() && frames.back().object) {
          path.push_back(pending_key);
        }
        frames.push_back(Frame{.object = event == Event::object_start, .keys = {}});
        break;
      case Event::key: {
        std::string key = parsed.get<std::string>();
        if (!frames.back().keys.insert(key).second) {
          path.push_back(key);
          throw Stop{"key " + path_text(path) + " appears twice"};
        }
        pending_key = std::move(key);
        break;
      }
      case Event::object_end:
      case Event::array_end:
        frames.pop_back();
        if (!frames.empty() && frames.back().object && !path.empty()) {
          path.pop_back();
        }
        break;
      case Event::value:
        break;
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), callback);
  } catch (const Stop& stop) {
    problem.message = stop.message;
  } catch (const nlohmann::json::parse_error& error) {
    // nlohmann's message starts "[json.exception.parse_error.101] parse error at line 1, column 5: ".
    std::string message = error.what();
    const std::size_t colon = message.find(": ");
    if (colon != std::string::npos) {
      message.erase(0, colon + 2);
    }
    problem.message = "byte " + std::to_string(error.byte) + ": " + message;
  } catch (const nlohmann::json::exception& error) {
    problem.message = error.what();
  }
  return nlohmann::json(nlohmann::json::value_t::discarded);
}

std::string json_excerpt(const nlohmann::json& value) {
  constexpr std::size_t limit = 60;
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > limit) {
    text.resize(limit);
    text += "...";
  }
  return text;
}

std::string_view json_kind(const nlohmann::json& value) noexcept {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "an integer";
    case nlohmann::json::value_t::number_float:
      return "a number";
    case nlohmann::json::value_t::binary:
    case nlohmann::json::value_t::discarded:
      break;
  }
  return "a value";
}

}  // namespace bioptimus::engine::detail
