// Dynamic batching: tiles from concurrent requests run through the model
// together. A batch starts when it is full (max_batch tiles), when its first
// tile has waited max_delay, or as soon as no other request is being decoded
// (none could join it soon, so waiting would only add latency: one client
// alone never waits). While the model runs, new requests queue up, so under
// load batches fill by themselves.
#ifndef BIOPTIMUS_SRC_REMOTE_DYNAMIC_BATCHER_HPP
#define BIOPTIMUS_SRC_REMOTE_DYNAMIC_BATCHER_HPP

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <semaphore>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "bioptimus/remote/model_server.hpp"
#include "server_metrics.hpp"

namespace bioptimus::remote::detail {

class DynamicBatcher {
 public:
  DynamicBatcher(std::size_t input_floats, std::size_t output_floats, std::size_t max_batch,
                 std::chrono::microseconds max_delay, BatchEmbedder embed, ServerMetrics& metrics);
  DynamicBatcher(const DynamicBatcher&) = delete;
  DynamicBatcher& operator=(const DynamicBatcher&) = delete;
  /// Runs what is queued, then stops.
  ~DynamicBatcher();

  /// A request that may submit tiles soon: while one is announced, a batch
  /// that is not full waits for it (at most max_delay).
  void announce();
  /// The announced request will not submit (it failed before its tiles were ready).
  void withdraw();

  /// Runs `count` tiles (`input`: count * input_floats) through the model
  /// into `output` (count * output_floats) with others', consuming one
  /// announce(). Blocks until done; throws bioptimus::Error when the model failed.
  void run(std::span<const float> input, std::span<float> output, std::size_t count);

 private:
  struct Pending {
    const float* input = nullptr;
    float* output = nullptr;
    std::size_t count = 0;
    std::chrono::steady_clock::time_point arrived;
    std::string error;
    std::binary_semaphore done{0};
  };

  void work();
  void run_batch(std::span<Pending* const> batch, std::size_t tiles);
  [[nodiscard]] bool ready_to_run() const;

  std::size_t input_floats_;
  std::size_t output_floats_;
  std::size_t max_batch_;
  std::chrono::microseconds max_delay_;
  BatchEmbedder embed_;
  ServerMetrics& metrics_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Pending*> queue_;
  std::size_t queued_tiles_ = 0;
  std::size_t announced_ = 0;
  bool stopping_ = false;
  // The model's batch, gathered from several requests: allocated once.
  std::vector<float> batch_input_;
  std::vector<float> batch_output_;
  std::vector<Pending*> taken_;
  std::thread worker_;
};

}  // namespace bioptimus::remote::detail

#endif  // BIOPTIMUS_SRC_REMOTE_DYNAMIC_BATCHER_HPP
