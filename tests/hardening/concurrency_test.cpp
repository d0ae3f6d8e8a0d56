// Many threads meet Registry::builtin() for the first time at once, then look
// models up concurrently. Its own executable, so that nothing else in the
// process has touched builtin() before: the tsan preset runs it under
// ThreadSanitizer, the asan and dev presets as a plain test.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstddef>
#include <latch>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bioptimus/models/registry.hpp"

using namespace bioptimus::models;

namespace {

constexpr std::size_t thread_count = 16;
constexpr int rounds = 50;

}  // namespace

TEST_CASE("concurrency: Registry::builtin() is built once, from first use, under many threads",
          "[hardening][concurrency]") {
  // Catch2's assertions are not thread-safe: threads count their failures.
  std::atomic<int> failures{0};
  std::vector<const Registry*> seen(thread_count, nullptr);
  std::latch start(static_cast<std::ptrdiff_t>(thread_count));
  std::vector<std::thread> threads;
  threads.reserve(thread_count);
  for (std::size_t t = 0; t < thread_count; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();  // every thread calls builtin() at the same moment
      const Registry& registry = Registry::builtin();
      seen[t] = &registry;
      for (int round = 0; round < rounds; ++round) {
        for (const Models model : all_models) {
          const ModelSpec& spec = registry.get(model);
          if (spec.model_name() != to_string(model) || registry.find(to_string(model)) != &spec ||
              spec.embedding_dim() <= 0 || spec.output_shape().empty()) {
            ++failures;
          }
        }
        if (registry.names().size() != all_models.size() || registry.find("no-such-model") != nullptr) {
          ++failures;
        }
        try {
          static_cast<void>(registry.get("h0-mimi"));
          ++failures;
        } catch (const LookupError&) {
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  CHECK(failures.load() == 0);
  for (const Registry* registry : seen) {
    CHECK(registry == &Registry::builtin());
  }
  CHECK(Registry::builtin().size() == all_models.size());
}

TEST_CASE("concurrency: parsing, loading and merging from many threads at once", "[hardening][concurrency]") {
  std::atomic<int> failures{0};
  std::latch start(static_cast<std::ptrdiff_t>(thread_count));
  std::vector<std::thread> threads;
  threads.reserve(thread_count);
  for (std::size_t t = 0; t < thread_count; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int round = 0; round < 5; ++round) {
        const Registry& builtin = Registry::builtin();
        const ModelSpec& spec = builtin.specs()[(t + static_cast<std::size_t>(round)) % builtin.size()];
        try {
          const ModelSpec copy = parse_spec(to_yaml(spec), "thread.yaml");
          const Registry own = Registry::from_specs({copy});
          if (!(copy == spec) || own.find(spec.model_name()) == nullptr) {
            ++failures;
          }
          static_cast<void>(Registry::merge(builtin, own));
          ++failures;  // the name is in both: merge must throw
        } catch (const LookupError&) {
        } catch (...) {
          ++failures;
        }
        try {
          static_cast<void>(parse_spec("model_name: [\n", "bad.yaml"));
          ++failures;
        } catch (const ConfigError&) {
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  CHECK(failures.load() == 0);
}
