// Test-only harness for transport_test.cc: validators with fixed keys on free 127.0.0.1
// ports, an inbox that can be waited on, hand-made zmq sockets playing outsiders or
// misbehaving insiders, and raw TCP helpers. Every wait polls a condition against a deadline.
// Thread-safety: Inbox and Cluster's log are safe from the transports' I/O threads; the
// rest is used by the test thread only.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zmq.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "node/curve.h"
#include "node/transport.h"
#include "tests/testutil/free_port.h"

namespace phalanx::node {

using Clock = std::chrono::steady_clock;
inline constexpr auto kDeadline = std::chrono::seconds(15);
inline constexpr size_t kFrameBytesMax = 4096;

// Polls `condition` until it holds or the deadline passes.
inline bool wait_until(const std::function<bool()>& condition,
                       Clock::duration timeout = kDeadline) {
  const auto deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

inline std::string endpoint(uint16_t port) { return "tcp://127.0.0.1:" + std::to_string(port); }

inline crypto::SecretKey validator_key(uint32_t index) {
  crypto::Seed seed{};
  seed.fill(static_cast<uint8_t>(0x40 + index));
  return crypto::SecretKey::from_seed(seed);
}

inline Bytes text_frame(const std::string& s) { return Bytes(s.begin(), s.end()); }
inline std::string frame_text(const Bytes& b) { return std::string(b.begin(), b.end()); }

// Frames one transport delivered, in order, with a condition variable for waiting.
class Inbox {
 public:
  void push(uint32_t from, Bytes frame) {
    std::lock_guard<std::mutex> lock(mutex_);
    frames_.emplace_back(from, std::move(frame));
    changed_.notify_all();
  }
  bool wait_for(const std::function<bool(const std::vector<std::pair<uint32_t, Bytes>>&)>& done) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_until(lock, Clock::now() + kDeadline, [&] { return done(frames_); });
  }
  bool wait_for_count(size_t count) {
    return wait_for([count](const auto& frames) { return frames.size() >= count; });
  }
  bool wait_for_text(uint32_t from, const std::string& text) {
    return wait_for([&](const auto& frames) {
      for (const auto& [sender, frame] : frames) {
        if (sender == from && frame_text(frame) == text) return true;
      }
      return false;
    });
  }
  std::vector<std::pair<uint32_t, Bytes>> frames() {
    std::lock_guard<std::mutex> lock(mutex_);
    return frames_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::pair<uint32_t, Bytes>> frames_;
};

// n validators with fixed keys and free ports; any of them can run as a Transport.
class Cluster {
 public:
  explicit Cluster(uint32_t n) : inboxes_(n) {
    for (uint32_t i = 0; i < n; ++i) {
      ports_.push_back(testutil::free_port());
      validators_.push_back({endpoint(ports_.back()), validator_key(i).public_key()});
    }
    nodes_.resize(n);
  }

  TransportConfig config(uint32_t self) const {
    TransportConfig config;
    config.self = self;
    config.validators = validators_;
    config.bind_endpoint = validators_[self].endpoint;
    config.identity = CurveKeyPair::from_ed25519(validator_key(self));
    config.frame_bytes_max = kFrameBytesMax;
    config.reconnect_interval_ms = 20;
    config.reconnect_interval_max_ms = 200;
    return config;
  }

  void start(uint32_t i, TransportConfig config) {
    Inbox* inbox = &inboxes_[i];
    nodes_[i] = std::make_unique<Transport>(
        std::move(config),
        [inbox](uint32_t from, Bytes frame) { inbox->push(from, std::move(frame)); },
        [this](const std::string& line) {
          std::lock_guard<std::mutex> lock(log_mutex_);
          log_lines_.push_back(line);
        });
    Status status = nodes_[i]->start();
    ASSERT_TRUE(status.is_ok()) << status.to_string();
  }
  void start(uint32_t i) { start(i, config(i)); }
  void stop(uint32_t i) { nodes_[i].reset(); }

  // Every running node has a live link to every other running node.
  bool all_connected(const std::vector<uint32_t>& running) const {
    for (uint32_t a : running) {
      for (uint32_t b : running) {
        if (a != b && !nodes_[a]->peer_connected(b)) return false;
      }
    }
    return true;
  }

  bool logged(const std::string& text) {
    std::lock_guard<std::mutex> lock(log_mutex_);
    for (const std::string& line : log_lines_) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }

  std::string log_text() {
    std::lock_guard<std::mutex> lock(log_mutex_);
    std::string text;
    for (const std::string& line : log_lines_) text += line + "\n";
    return text;
  }
  Transport& node(uint32_t i) { return *nodes_[i]; }
  Inbox& inbox(uint32_t i) { return inboxes_[i]; }
  const std::string& endpoint_of(uint32_t i) const { return validators_[i].endpoint; }
  uint16_t port_of(uint32_t i) const { return ports_[i]; }
  uint16_t port(uint32_t i) const { return ports_[i]; }

 private:
  std::vector<uint16_t> ports_;
  std::vector<PeerInfo> validators_;
  std::vector<Inbox> inboxes_;
  std::mutex log_mutex_;
  std::vector<std::string> log_lines_;  // guarded by log_mutex_
  std::vector<std::unique_ptr<Transport>> nodes_;
};

// A hand-made zmq socket in its own context: an outsider or a misbehaving insider.
class RawSocket {
 public:
  explicit RawSocket(int type) : context_(zmq_ctx_new()), socket_(zmq_socket(context_, type)) {
    set_int(ZMQ_LINGER, 0);
  }
  ~RawSocket() {
    zmq_close(socket_);
    zmq_ctx_term(context_);
  }
  void set_int(int option, int value) {
    ASSERT_EQ(zmq_setsockopt(socket_, option, &value, sizeof(value)), 0);
  }
  void set_key(int option, const std::array<uint8_t, 32>& key) {
    ASSERT_EQ(zmq_setsockopt(socket_, option, key.data(), key.size()), 0);
  }
  // A CURVE client with the given long-term key pair, pinned to `server_key`.
  void curve_client(const CurvePublicKey& server_key, const CurvePublicKey& public_key,
                    const CurveSecretKey& secret_key) {
    set_key(ZMQ_CURVE_SERVERKEY, server_key);
    set_key(ZMQ_CURVE_PUBLICKEY, public_key);
    set_key(ZMQ_CURVE_SECRETKEY, secret_key);
  }
  void connect(const std::string& to) { ASSERT_EQ(zmq_connect(socket_, to.c_str()), 0); }
  void bind(const std::string& at) { ASSERT_EQ(zmq_bind(socket_, at.c_str()), 0); }
  void send(const Bytes& frame) {
    ASSERT_GE(zmq_send(socket_, frame.data(), frame.size(), ZMQ_DONTWAIT), 0);
  }

 private:
  void* context_;
  void* socket_;
};

inline CurvePublicKey curve_of(uint32_t validator) {
  return CurveKeyPair::from_ed25519(validator_key(validator)).public_key();
}

// A Curve key pair that belongs to no validator.
inline std::pair<CurvePublicKey, CurveSecretKey> outsider_keys() {
  CurvePublicKey public_key{};
  CurveSecretKey secret_key{};
  crypto_box_keypair(public_key.data(), secret_key.data());
  return {public_key, secret_key};
}

// Writes `bytes` on a plain TCP connection to 127.0.0.1:port, then closes it.
inline void write_raw_tcp(uint16_t port, const Bytes& bytes) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  // The peer may close first; a short write is fine, only harm to the node matters.
  (void)!write(fd, bytes.data(), bytes.size());
  close(fd);
}

// A listening TCP socket that never accepts: the kernel completes TCP handshakes into its
// backlog, and nothing ever answers the ZMTP greeting (a frozen process).
inline int frozen_listener(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  EXPECT_EQ(listen(fd, 16), 0);
  return fd;
}

}  // namespace phalanx::node
