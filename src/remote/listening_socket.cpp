#include "bioptimus/remote/listening_socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bioptimus/error.hpp"

namespace bioptimus::remote {
namespace {

// httplib listens with a backlog of 5: a burst of new connections (a client
// opening its pool, a load balancer's health checks) would see dropped SYNs
// and a one-second retransmit. The kernel caps this at net.core.somaxconn.
constexpr int listen_backlog = 4096;

[[noreturn]] void fail(const std::string& address, const std::string& why) {
  throw Error("cannot listen on " + address + ": " + why);
}

}  // namespace

int open_listening_socket(const std::string& host, int port) {
  const std::string address =
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  if (port < 0 || port > 65535) {
    fail(address, "the port must be in [0, 65535]");
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int status = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
      status != 0) {
    fail(address, ::gai_strerror(status));
  }
  std::string last_error = "no address";
  for (const addrinfo* candidate = found; candidate != nullptr; candidate = candidate->ai_next) {
    const int fd = ::socket(candidate->ai_family, candidate->ai_socktype, candidate->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    const int on = 1;
    // A restarted server must not wait for the old connections' TIME_WAIT.
    (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    // Headers and body go out in two writes: without this, Nagle's algorithm
    // holds the body until the client's delayed ACK (40 ms).
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (::bind(fd, candidate->ai_addr, candidate->ai_addrlen) == 0 && ::listen(fd, listen_backlog) == 0) {
      ::freeaddrinfo(found);
      return fd;
    }
    last_error = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(found);
  fail(address, last_error);
}

std::optional<int> inherited_listening_socket() {
  const char* value = std::getenv(listen_fd_variable);
  if (value == nullptr) {
    return std::nullopt;
  }
  const std::string text = value;
  ::unsetenv(listen_fd_variable);
  int fd = -1;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), fd);
  if (error != std::errc{} || end != text.data() + text.size() || fd < 0) {
    return std::nullopt;
  }
  int listening = 0;
  socklen_t length = sizeof listening;
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || listening == 0) {
    return std::nullopt;
  }
  // Not handed on to anything this process executes.
  (void)::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

int local_port(int socket) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(socket, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return -1;
  }
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
}

}  // namespace bioptimus::remote
