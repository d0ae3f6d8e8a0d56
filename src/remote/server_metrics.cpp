#include "server_metrics.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace bioptimus::remote::detail {

void ServerMetrics::record_request(const std::string& route, int status, std::chrono::nanoseconds latency) {
  const double seconds = std::chrono::duration<double>(latency).count();
  const std::lock_guard lock(mutex_);
  ++requests_[{route, status}];
  if (route == "/invocations") {
    const auto bucket = static_cast<std::size_t>(
        std::lower_bound(latency_bounds.begin(), latency_bounds.end(), seconds) - latency_bounds.begin());
    ++latency_buckets_[bucket];
    latency_seconds_ += seconds;
    ++invocations_;
  }
}

void ServerMetrics::record_batch(std::size_t tiles, std::chrono::nanoseconds model_time) {
  const std::lock_guard lock(mutex_);
  ++batches_;
  batched_tiles_ += tiles;
  largest_batch_ = std::max<std::uint64_t>(largest_batch_, tiles);
  model_seconds_ += std::chrono::duration<double>(model_time).count();
}

std::string ServerMetrics::render() const {
  const std::lock_guard lock(mutex_);
  std::string out;
  out += "# HELP bioptimus_requests_total Answered HTTP requests by route and status.\n";
  out += "# TYPE bioptimus_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    out += fmt::format("bioptimus_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", key.first, key.second, count);
  }
  out += "# HELP bioptimus_invocation_seconds Time from a request's headers to its answer, POST /invocations.\n";
  out += "# TYPE bioptimus_invocation_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < latency_bounds.size(); ++i) {
    cumulative += latency_buckets_[i];
    out += fmt::format("bioptimus_invocation_seconds_bucket{{le=\"{}\"}} {}\n", latency_bounds[i], cumulative);
  }
  cumulative += latency_buckets_.back();
  out += fmt::format("bioptimus_invocation_seconds_bucket{{le=\"+Inf\"}} {}\n", cumulative);
  out += fmt::format("bioptimus_invocation_seconds_sum {}\n", latency_seconds_);
  out += fmt::format("bioptimus_invocation_seconds_count {}\n", invocations_);
  out += "# HELP bioptimus_batches_total Model calls.\n# TYPE bioptimus_batches_total counter\n";
  out += fmt::format("bioptimus_batches_total {}\n", batches_);
  out += "# HELP bioptimus_batched_tiles_total Tiles run by the model (divided by batches: the mean batch size).\n";
  out += "# TYPE bioptimus_batched_tiles_total counter\n";
  out += fmt::format("bioptimus_batched_tiles_total {}\n", batched_tiles_);
  out += "# HELP bioptimus_batch_size_max The largest batch so far.\n# TYPE bioptimus_batch_size_max gauge\n";
  out += fmt::format("bioptimus_batch_size_max {}\n", largest_batch_);
  out += "# HELP bioptimus_model_seconds_total Time inside the model.\n# TYPE bioptimus_model_seconds_total counter\n";
  out += fmt::format("bioptimus_model_seconds_total {}\n", model_seconds_);
  return out;
}

}  // namespace bioptimus::remote::detail
