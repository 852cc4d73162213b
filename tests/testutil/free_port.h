// phalanx::testutil::free_port: a TCP port on 127.0.0.1 that is free now, for tests that bind
// real sockets. Probed below the kernel's ephemeral range (32768+) so outgoing connections
// cannot take it meanwhile; the start depends on the pid so test processes running in
// parallel probe different ports. Thread-safety: one test thread (a static cursor).
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

namespace phalanx::testutil {

inline uint16_t free_port() {
  static uint32_t next = (static_cast<uint32_t>(getpid()) * 769) % 12000;
  for (int attempt = 0; attempt < 4000; ++attempt) {
    const uint16_t port = static_cast<uint16_t>(20000 + (next++ % 12000));
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool free = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    close(fd);
    if (free) return port;
  }
  ADD_FAILURE() << "no free port on 127.0.0.1";
  return 0;
}

}  // namespace phalanx::testutil
