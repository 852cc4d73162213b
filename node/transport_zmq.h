// Thin RAII over the libzmq C API for the transport: a context, a socket and a message that
// release themselves, and socket options whose failures come back as Status. The C API is
// used directly (not cppzmq) so that every zmq failure becomes an error value, never an
// exception.
// Thread-safety: none. A zmq socket belongs to one thread at a time (the transport hands
// them to its I/O thread once, behind std::thread's start barrier).
#pragma once

#include <zmq.h>

#include <string>
#include <string_view>
#include <utility>

#include "crypto/bytes.h"
#include "crypto/status.h"

namespace phalanx::node {

// "what: <zmq error text>" from the current errno.
inline Status zmq_failure(std::string_view what) {
  return Status::error(std::string(what) + ": " + zmq_strerror(zmq_errno()));
}

class ZmqContext {
 public:
  ZmqContext() : handle_(zmq_ctx_new()) {}
  ~ZmqContext() {
    // Every socket of this context is closed first (members are declared after it), so
    // zmq_ctx_term cannot wait on a socket; LINGER 0 means it never waits on a peer.
    if (handle_ != nullptr) zmq_ctx_term(handle_);
  }
  ZmqContext(const ZmqContext&) = delete;
  ZmqContext& operator=(const ZmqContext&) = delete;
  void* get() const { return handle_; }

 private:
  void* handle_;
};

class ZmqSocket {
 public:
  ZmqSocket() = default;
  ZmqSocket(void* context, int type) : handle_(zmq_socket(context, type)) {}
  ~ZmqSocket() { close(); }
  ZmqSocket(ZmqSocket&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  ZmqSocket& operator=(ZmqSocket&& other) noexcept {
    if (this != &other) {
      close();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  ZmqSocket(const ZmqSocket&) = delete;
  ZmqSocket& operator=(const ZmqSocket&) = delete;

  void* get() const { return handle_; }
  bool valid() const { return handle_ != nullptr; }
  void close() {
    if (handle_ == nullptr) return;
    const int linger_ms = 0;  // never wait on a dead peer at shutdown
    zmq_setsockopt(handle_, ZMQ_LINGER, &linger_ms, sizeof(linger_ms));
    zmq_close(handle_);
    handle_ = nullptr;
  }

  Status set_int(int option, int value, std::string_view name) {
    if (zmq_setsockopt(handle_, option, &value, sizeof(value)) != 0) {
      return zmq_failure("transport: setting " + std::string(name));
    }
    return Status::ok();
  }
  Status set_int64(int option, int64_t value, std::string_view name) {
    if (zmq_setsockopt(handle_, option, &value, sizeof(value)) != 0) {
      return zmq_failure("transport: setting " + std::string(name));
    }
    return Status::ok();
  }
  Status set_bytes(int option, ByteSpan value, std::string_view name) {
    if (zmq_setsockopt(handle_, option, value.data(), value.size()) != 0) {
      return zmq_failure("transport: setting " + std::string(name));
    }
    return Status::ok();
  }

 private:
  void* handle_ = nullptr;
};

class ZmqMessage {
 public:
  ZmqMessage() { zmq_msg_init(&message_); }
  ~ZmqMessage() { zmq_msg_close(&message_); }
  ZmqMessage(const ZmqMessage&) = delete;
  ZmqMessage& operator=(const ZmqMessage&) = delete;

  zmq_msg_t* get() { return &message_; }
  const uint8_t* data() { return static_cast<const uint8_t*>(zmq_msg_data(&message_)); }
  size_t size() const { return zmq_msg_size(&message_); }
  ByteSpan span() { return ByteSpan(data(), size()); }
  bool more() const { return zmq_msg_more(&message_) != 0; }
  // A connection property such as "User-Id", or nullptr when the frame has none.
  const char* property(const char* name) const { return zmq_msg_gets(&message_, name); }

 private:
  zmq_msg_t message_;
};

}  // namespace phalanx::node
