// Transport: configuration checks, the caller-side queue entry points and the I/O thread's
// lifetime. The sockets and the loop live in transport_loop.cc / transport_io.cc.
#include "node/transport.h"

#include <set>
#include <thread>

#include "node/thread_name.h"
#include "node/transport_loop.h"
#include "node/transport_shared.h"

namespace phalanx::node {
namespace {

Status check_positive(int value, const char* name) {
  if (value <= 0) {
    return Status::error(std::string("transport: ") + name + " must be positive, got " +
                         std::to_string(value));
  }
  return Status::ok();
}

Status validate_config(const TransportConfig& config) {
  const size_t n = config.validators.size();
  if (n < 2 || n > transport_validators_max) {
    return Status::error("transport: the validator set must hold 2.." +
                         std::to_string(transport_validators_max) + " validators, got " +
                         std::to_string(n));
  }
  if (config.self >= n) {
    return Status::error("transport: self index " + std::to_string(config.self) +
                         " is outside the validator set of " + std::to_string(n));
  }
  if (config.bind_endpoint.empty() || config.bind_endpoint.size() > transport_endpoint_bytes_max) {
    return Status::error("transport: the bind endpoint must be 1.." +
                         std::to_string(transport_endpoint_bytes_max) + " characters");
  }
  if (config.source_host.size() > transport_endpoint_bytes_max ||
      config.source_host.find_first_of(";/") != std::string::npos) {
    return Status::error("transport: the source host must be an address of at most " +
                         std::to_string(transport_endpoint_bytes_max) + " characters");
  }
  for (uint32_t i = 0; i < n; ++i) {
    const std::string& endpoint = config.validators[i].endpoint;
    if (i != config.self && (endpoint.empty() || endpoint.size() > transport_endpoint_bytes_max)) {
      return Status::error("transport: validator " + std::to_string(i) +
                           " has no usable endpoint (1.." +
                           std::to_string(transport_endpoint_bytes_max) + " characters)");
    }
  }
  if (config.frame_bytes_max == 0 || config.frame_bytes_max > transport_frame_bytes_limit) {
    return Status::error("transport: frame_bytes_max must be 1.." +
                         std::to_string(transport_frame_bytes_limit) + ", got " +
                         std::to_string(config.frame_bytes_max));
  }
  if (config.outbound_queue_frames_max == 0 || config.outbound_queue_bytes_max == 0) {
    return Status::error("transport: the outbound queue bounds must be positive");
  }
  PHALANX_RETURN_IF_ERROR(check_positive(config.send_hwm, "send_hwm"));
  PHALANX_RETURN_IF_ERROR(check_positive(config.receive_hwm, "receive_hwm"));
  PHALANX_RETURN_IF_ERROR(check_positive(config.reconnect_interval_ms, "reconnect_interval_ms"));
  PHALANX_RETURN_IF_ERROR(
      check_positive(config.reconnect_interval_max_ms, "reconnect_interval_max_ms"));
  PHALANX_RETURN_IF_ERROR(check_positive(config.heartbeat_interval_ms, "heartbeat_interval_ms"));
  PHALANX_RETURN_IF_ERROR(check_positive(config.heartbeat_timeout_ms, "heartbeat_timeout_ms"));
  return check_positive(config.handshake_timeout_ms, "handshake_timeout_ms");
}

// Every validator's Curve key, distinct, with ours matching the configured identity.
Result<std::vector<CurvePublicKey>> validator_curve_keys(const TransportConfig& config) {
  std::vector<CurvePublicKey> keys;
  std::set<CurvePublicKey> seen;
  for (uint32_t i = 0; i < config.validators.size(); ++i) {
    auto key = curve_public_key(config.validators[i].public_key);
    if (!key) {
      return Status::error("transport: validator " + std::to_string(i) + ": " + key.message());
    }
    if (!seen.insert(*key).second) {
      return Status::error("transport: validator " + std::to_string(i) +
                           " repeats another validator's key");
    }
    keys.push_back(*key);
  }
  if (config.identity.public_key() != keys[config.self]) {
    return Status::error("transport: the identity key is not validator " +
                         std::to_string(config.self) + "'s key");
  }
  return keys;
}

}  // namespace

Transport::Transport(TransportConfig config, FrameHandler on_frame, LogHandler on_log)
    : config_(std::move(config)),
      on_frame_(std::move(on_frame)),
      on_log_(std::move(on_log)),
      shared_(std::make_shared<TransportShared>(config_.validators.size(),
                                                config_.outbound_queue_frames_max,
                                                config_.outbound_queue_bytes_max)) {}

Transport::~Transport() { stop(); }

Status Transport::start() {
  PHALANX_ASSERT_MSG(!started_, "a Transport starts once; a restarted node is a new Transport");
  if (!zmq_has("curve")) return Status::error("transport: libzmq was built without CURVE");
  PHALANX_RETURN_IF_ERROR(validate_config(config_));
  auto keys = validator_curve_keys(config_);
  if (!keys) return keys.status();
  PHALANX_RETURN_IF_ERROR(shared_->open());
  auto loop = TransportLoop::open(config_, std::move(keys).value(), shared_, on_frame_, on_log_);
  if (!loop) {
    shared_->close();
    return loop.status();
  }
  loop_ = std::move(loop).value();
  bound_endpoint_ = loop_->bound_endpoint();
  started_ = true;
  // Thread creation is the barrier after which only the I/O thread touches the sockets.
  thread_ = std::thread([loop = loop_.get()] {
    name_this_thread("phx-transport");
    loop->run();
  });
  return Status::ok();
}

void Transport::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  shared_->close();
  thread_.join();
  loop_.reset();  // closes every socket (LINGER 0), then terminates the context
}

bool Transport::send(uint32_t to, Bytes frame) {
  PHALANX_ASSERT(to < config_.validators.size() && to != config_.self);
  return enqueue(to, std::move(frame), 1);
}

bool Transport::broadcast(Bytes frame) {
  return enqueue(kAllPeers, std::move(frame), static_cast<uint32_t>(config_.validators.size() - 1));
}

bool Transport::enqueue(uint32_t to, Bytes frame, uint32_t destinations) {
  if (frame.size() > config_.frame_bytes_max) {
    count(shared_->counters.frames_rejected_oversize, destinations);
    return false;
  }
  OutboundFrame outbound{to, std::make_shared<const Bytes>(std::move(frame))};
  switch (shared_->push(std::move(outbound))) {
    case TransportShared::Push::kQueued:
      return true;
    case TransportShared::Push::kFull:
      count(shared_->counters.frames_dropped_queue_full, destinations);
      return false;
    case TransportShared::Push::kClosed:
      count(shared_->counters.frames_dropped_unavailable, destinations);
      return false;
  }
  return false;
}

uint32_t Transport::connected_peers() const { return shared_->connected_count(); }

uint64_t Transport::peer_links_up(uint32_t validator) const {
  PHALANX_ASSERT(validator < config_.validators.size());
  return shared_->links_up(validator);
}

bool Transport::peer_connected(uint32_t validator) const {
  PHALANX_ASSERT(validator < config_.validators.size());
  return shared_->connected(validator);
}

TransportCounters Transport::counters() const { return shared_->counters.snapshot(); }

const std::string& Transport::bound_endpoint() const {
  PHALANX_ASSERT(started_);
  return bound_endpoint_;
}

}  // namespace phalanx::node
