#include "dynamic_batcher.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include "bioptimus/error.hpp"

namespace bioptimus::remote::detail {

using Clock = std::chrono::steady_clock;

DynamicBatcher::DynamicBatcher(std::size_t input_floats, std::size_t output_floats, std::size_t max_batch,
                               std::chrono::microseconds max_delay, BatchEmbedder embed, ServerMetrics& metrics)
    : input_floats_(input_floats),
      output_floats_(output_floats),
      max_batch_(max_batch),
      max_delay_(max_delay),
      embed_(std::move(embed)),
      metrics_(metrics),
      batch_input_(max_batch * input_floats),
      batch_output_(max_batch * output_floats),
      worker_([this] { work(); }) {
  taken_.reserve(max_batch);
}

DynamicBatcher::~DynamicBatcher() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void DynamicBatcher::announce() {
  const std::lock_guard lock(mutex_);
  ++announced_;
}

void DynamicBatcher::withdraw() {
  bool wake = false;
  {
    const std::lock_guard lock(mutex_);
    --announced_;
    wake = announced_ == 0 && !queue_.empty();
  }
  if (wake) {
    changed_.notify_all();
  }
}

bool DynamicBatcher::ready_to_run() const { return stopping_ || queued_tiles_ >= max_batch_ || announced_ == 0; }

void DynamicBatcher::run(std::span<const float> input, std::span<float> output, std::size_t count) {
  Pending pending;
  pending.input = input.data();
  pending.output = output.data();
  pending.count = count;
  pending.arrived = Clock::now();
  bool wake = false;
  {
    const std::lock_guard lock(mutex_);
    --announced_;
    queue_.push_back(&pending);
    queued_tiles_ += count;
    wake = queue_.size() == 1 || ready_to_run();
  }
  if (wake) {
    changed_.notify_all();
  }
  pending.done.acquire();
  if (!pending.error.empty()) {
    throw Error(pending.error);
  }
}

void DynamicBatcher::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) {
      return;
    }
    const Clock::time_point deadline = queue_.front()->arrived + max_delay_;
    changed_.wait_until(lock, deadline, [this] { return ready_to_run(); });
    // Whole requests, oldest first, as many as fit; a request larger than a
    // batch runs alone (in slices).
    taken_.clear();
    std::size_t tiles = 0;
    while (!queue_.empty() && (taken_.empty() || tiles + queue_.front()->count <= max_batch_)) {
      tiles += queue_.front()->count;
      taken_.push_back(queue_.front());
      queue_.pop_front();
    }
    queued_tiles_ -= tiles;
    lock.unlock();
    run_batch(taken_, tiles);
    lock.lock();
  }
}

void DynamicBatcher::run_batch(std::span<Pending* const> batch, std::size_t tiles) {
  std::string error;
  try {
    if (batch.size() == 1) {
      // One request: the model reads and writes its buffers directly.
      Pending& alone = *batch.front();
      for (std::size_t first = 0; first < alone.count; first += max_batch_) {
        const std::size_t slice = std::min(max_batch_, alone.count - first);
        const Clock::time_point start = Clock::now();
        embed_(std::span<const float>(alone.input + first * input_floats_, slice * input_floats_),
               std::span<float>(alone.output + first * output_floats_, slice * output_floats_));
        metrics_.record_batch(slice, Clock::now() - start);
      }
    } else {
      std::size_t offset = 0;
      for (const Pending* pending : batch) {
        std::copy_n(pending->input, pending->count * input_floats_, batch_input_.data() + offset * input_floats_);
        offset += pending->count;
      }
      const Clock::time_point start = Clock::now();
      embed_(std::span<const float>(batch_input_.data(), tiles * input_floats_),
             std::span<float>(batch_output_.data(), tiles * output_floats_));
      metrics_.record_batch(tiles, Clock::now() - start);
      offset = 0;
      for (Pending* pending : batch) {
        std::copy_n(batch_output_.data() + offset * output_floats_, pending->count * output_floats_, pending->output);
        offset += pending->count;
      }
    }
  } catch (const std::exception& failure) {
    error = std::string("the model failed: ") + failure.what();
  } catch (...) {
    error = "the model failed";
  }
  for (Pending* pending : batch) {
    pending->error = error;
    pending->done.release();
  }
}

}  // namespace bioptimus::remote::detail
