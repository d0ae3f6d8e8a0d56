// The server's counters, rendered for GET /metrics in Prometheus' text format:
// requests by route and status, request latency, and how full the model's
// batches are (the point of dynamic batching).
#ifndef BIOPTIMUS_SRC_REMOTE_SERVER_METRICS_HPP
#define BIOPTIMUS_SRC_REMOTE_SERVER_METRICS_HPP

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace bioptimus::remote::detail {

class ServerMetrics {
 public:
  /// One answered request; `route` is one of the server's routes or "other".
  void record_request(const std::string& route, int status, std::chrono::nanoseconds latency);
  /// One model call of `tiles` tiles.
  void record_batch(std::size_t tiles, std::chrono::nanoseconds model_time);

  [[nodiscard]] std::string render() const;

 private:
  // Upper bounds of the latency histogram's buckets, in seconds.
  static constexpr std::array<double, 13> latency_bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                         0.1,    0.25,  0.5,    1.0,   2.5,  10.0};
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::array<std::uint64_t, latency_bounds.size() + 1> latency_buckets_{};
  double latency_seconds_ = 0;
  std::uint64_t invocations_ = 0;
  std::uint64_t batches_ = 0;
  std::uint64_t batched_tiles_ = 0;
  std::uint64_t largest_batch_ = 0;
  double model_seconds_ = 0;
};

}  // namespace bioptimus::remote::detail

#endif  // BIOPTIMUS_SRC_REMOTE_SERVER_METRICS_HPP
