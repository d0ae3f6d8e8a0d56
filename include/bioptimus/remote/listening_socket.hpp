// bioptimus/remote/listening_socket.hpp
//
// The server's TCP socket, opened on its own so that it can be opened before
// the model's libraries are loaded: `modelspec serve` listens first (in
// milliseconds) and hands the socket to the process that loads LibTorch (a
// second or more), so that connections are accepted from the start, as
// SageMaker asks (within 250 ms), and answered once that process runs.
//
// Plain POSIX: no HTTP library, nothing heavy to load.
#ifndef BIOPTIMUS_REMOTE_LISTENING_SOCKET_HPP
#define BIOPTIMUS_REMOTE_LISTENING_SOCKET_HPP

#include <optional>
#include <string>

namespace bioptimus::remote {

/// The environment variable that carries an inherited listening socket's
/// descriptor across exec (as systemd's LISTEN_FDS does).
inline constexpr const char* listen_fd_variable = "BIOPTIMUS_LISTEN_FD";

/// A TCP socket bound to `host`:`port` (port 0: any free port) and listening,
/// with a deep backlog and TCP_NODELAY (inherited by accepted connections).
/// Not closed on exec. Returns the descriptor.
/// @throws bioptimus::Error naming the address when it cannot be bound
///   (in use, not an address of this machine, no permission).
[[nodiscard]] int open_listening_socket(const std::string& host, int port);

/// The descriptor named by listen_fd_variable when it is a listening TCP
/// socket (the variable is then removed from the environment), else nothing.
[[nodiscard]] std::optional<int> inherited_listening_socket();

/// The local port a bound socket listens on.
[[nodiscard]] int local_port(int socket);

}  // namespace bioptimus::remote

#endif  // BIOPTIMUS_REMOTE_LISTENING_SOCKET_HPP
