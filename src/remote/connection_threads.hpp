// One thread per open connection, up to a cap: cpp-httplib serves a
// connection on one thread from the first byte to the close, so a fixed pool
// of a few threads is held by a few idle keep-alive clients or slow senders
// ("slowloris"), and /ping waits behind them. Threads are started as
// connections arrive and kept for the next ones.
#ifndef BIOPTIMUS_SRC_REMOTE_CONNECTION_THREADS_HPP
#define BIOPTIMUS_SRC_REMOTE_CONNECTION_THREADS_HPP

#include <httplib.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace bioptimus::remote::detail {

class ConnectionThreads final : public httplib::TaskQueue {
 public:
  explicit ConnectionThreads(std::size_t max_threads) : max_threads_(max_threads) {}
  ConnectionThreads(const ConnectionThreads&) = delete;
  ConnectionThreads& operator=(const ConnectionThreads&) = delete;
  ~ConnectionThreads() override { shutdown(); }

  void enqueue(std::function<void()> job) override;
  /// Runs what is queued, then joins every thread.
  void shutdown() override;

 private:
  void work();

  std::size_t max_threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  std::size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace bioptimus::remote::detail

#endif  // BIOPTIMUS_SRC_REMOTE_CONNECTION_THREADS_HPP
