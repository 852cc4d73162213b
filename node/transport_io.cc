// The I/O thread's handlers: outbound frames to the DEALERs, inbound frames from the ROUTER
// (bounded, attributed by the ZAP user id), ZAP requests and monitor events.
#include <cerrno>
#include <charconv>
#include <cstring>

#include "node/transport_loop.h"

namespace phalanx::node {
namespace {

constexpr int kHandshakeFailed = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                                 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;

// One monitor event: frame 1 = event:u16 value:u32 (host order), frame 2 = endpoint.
struct MonitorEvent {
  uint16_t event = 0;
  uint32_t value = 0;
  std::string endpoint;
};

// The event's value is a ZMQ_PROTOCOL_ERROR_* code or, for AUTH, the ZAP status code.
std::string handshake_failure_text(const MonitorEvent& event) {
  switch (event.event) {
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
      return "authentication refused (ZAP status " + std::to_string(event.value) + ")";
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
      return "protocol error " + std::to_string(event.value) + " (garbage, wrong key or mechanism)";
    default:
      return "no detail (event " + std::to_string(event.event) + ")";
  }
}

// Reads one event without blocking; false when none is waiting or it is malformed.
bool read_monitor_event(void* monitor, MonitorEvent* out) {
  ZmqMessage header;
  if (zmq_msg_recv(header.get(), monitor, ZMQ_DONTWAIT) < 0) return false;
  const bool well_formed = header.size() == 6 && header.more();
  if (well_formed) {
    std::memcpy(&out->event, header.data(), sizeof(out->event));
    std::memcpy(&out->value, header.data() + sizeof(out->event), sizeof(out->value));
  }
  bool more = header.more();
  while (more) {  // the endpoint frame (a multipart message arrives whole)
    ZmqMessage part;
    if (zmq_msg_recv(part.get(), monitor, 0) < 0) return false;
    const size_t keep = std::min(part.size(), transport_endpoint_bytes_max);
    out->endpoint.assign(reinterpret_cast<const char*>(part.data()), keep);
    more = part.more();
  }
  return well_formed;
}

// The validator index libzmq attached from our ZAP reply ("User-Id"), if it is one the
// policy could have issued: the decimal index of a peer validator.
std::optional<uint32_t> parse_validator(const char* user_id, size_t validators, uint32_t self) {
  if (user_id == nullptr) return std::nullopt;
  const char* end = user_id + std::strlen(user_id);
  uint32_t value = 0;
  auto [ptr, error] = std::from_chars(user_id, end, value);
  if (error != std::errc() || ptr != end || ptr == user_id) return std::nullopt;
  if (value >= validators || value == self) return std::nullopt;
  return value;
}

// Discards the remaining parts of a multipart message.
void drain_parts(void* socket, bool more) {
  while (more) {
    ZmqMessage part;
    if (zmq_msg_recv(part.get(), socket, 0) < 0) return;
    more = part.more();
  }
}

}  // namespace

void TransportLoop::drain_outbound() {
  std::deque<OutboundFrame> batch = shared_->take();
  for (const OutboundFrame& outbound : batch) {
    if (outbound.to != kAllPeers) {
      send_to(outbound.to, *outbound.frame);
      continue;
    }
    for (uint32_t peer = 0; peer < dealers_.size(); ++peer) {
      if (peer != config_.self) send_to(peer, *outbound.frame);
    }
  }
}

void TransportLoop::send_to(uint32_t peer, const Bytes& frame) {
  PHALANX_ASSERT(peer < dealers_.size() && dealers_[peer].valid());
  // A link the monitor reported down takes nothing: libzmq emits ZMQ_EVENT_DISCONNECTED
  // before its I/O thread detaches the dead link from the DEALER, and a send in between
  // would go into the dead link, be lost, and be counted as sent.
  // Never blocks: with ZMQ_IMMEDIATE a peer without a live link, or whose send_hwm is
  // reached, fails with EAGAIN and the frame is dropped.
  if (!shared_->connected(peer) ||
      zmq_send(dealers_[peer].get(), frame.data(), frame.size(), ZMQ_DONTWAIT) < 0) {
    count(shared_->counters.frames_dropped_unavailable);
    return;
  }
  count(shared_->counters.frames_sent);
}

void TransportLoop::read_inbound() {
  for (size_t i = 0; i < transport_inbound_batch_max; ++i) {
    ZmqMessage routing_id;  // added by the ROUTER; the sender's identity comes from ZAP
    if (zmq_msg_recv(routing_id.get(), router_.get(), ZMQ_DONTWAIT) < 0) return;
    if (!routing_id.more()) {
      count(shared_->counters.frames_dropped_malformed);
      continue;
    }
    ZmqMessage payload;
    if (zmq_msg_recv(payload.get(), router_.get(), 0) < 0) return;
    if (payload.more()) {  // a DEALER of ours sends one part; anything else is not ours
      drain_parts(router_.get(), true);
      count(shared_->counters.frames_dropped_malformed);
      continue;
    }
    deliver(payload);
  }
}

void TransportLoop::deliver(ZmqMessage& payload) {
  // Only frames from a connection our ZAP handler admitted carry a User-Id we issued; a
  // frame without one is never attributed to anyone.
  auto from = parse_validator(payload.property("User-Id"), config_.validators.size(), config_.self);
  if (!from) {
    count(shared_->counters.frames_dropped_malformed);
    return;
  }
  // ZMQ_MAXMSGSIZE bounds the wire frame (payload + CURVE overhead); this is the exact bound.
  if (payload.size() > config_.frame_bytes_max) {
    count(shared_->counters.frames_dropped_oversize);
    return;
  }
  count(shared_->counters.frames_received);
  if (on_frame_) on_frame_(*from, Bytes(payload.data(), payload.data() + payload.size()));
}

void TransportLoop::serve_zap() {
  for (size_t i = 0; i < transport_zap_batch_max; ++i) {
    auto served = zap_serve_one(zap_.get(), policy_);
    if (!served) {
      log("transport: ZAP handler: " + served.message());
      return;
    }
    if (!served->has_value()) return;
    const ZapDecision& decision = **served;
    if (decision.admitted()) {
      count(shared_->counters.connections_admitted);
      continue;
    }
    count(shared_->counters.connections_refused);
    log("transport: refused connection from " +
        (decision.peer_address.empty() ? std::string("unknown address") : decision.peer_address) +
        ": " + decision.status_code + " " + decision.status_text);
  }
}

void TransportLoop::read_router_monitor() {
  MonitorEvent event;
  while (read_monitor_event(router_monitor_.get(), &event)) {
    if ((event.event & kHandshakeFailed) == 0) continue;
    count(shared_->counters.handshakes_failed);
    log("transport: inbound handshake failed on " + event.endpoint + ": " +
        handshake_failure_text(event));
  }
}

void TransportLoop::read_dealer_monitor(uint32_t peer) {
  MonitorEvent event;
  while (read_monitor_event(dealer_monitors_[peer].get(), &event)) {
    if (event.event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
      // libzmq queued the command that attaches the new link to the DEALER before it
      // emitted this event; reading ZMQ_EVENTS makes the DEALER process it now, so the
      // next send uses the link instead of failing while the command waits for zmq's
      // throttled command processing.
      int events = 0;
      size_t size = sizeof(events);
      zmq_getsockopt(dealers_[peer].get(), ZMQ_EVENTS, &events, &size);
      shared_->set_connected(peer, true);
    } else if (event.event == ZMQ_EVENT_DISCONNECTED || (event.event & kHandshakeFailed) != 0) {
      shared_->set_connected(peer, false);
    }
  }
}

void TransportLoop::log(const std::string& line) {
  if (!on_log_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - log_window_start_ >= std::chrono::seconds(1)) {
    if (log_lines_suppressed_ > 0) {
      on_log_("transport: " + std::to_string(log_lines_suppressed_) + " similar lines suppressed");
    }
    log_window_start_ = now;
    log_lines_in_window_ = 0;
    log_lines_suppressed_ = 0;
  }
  if (log_lines_in_window_ >= transport_log_lines_per_second_max) {
    ++log_lines_suppressed_;
    return;
  }
  ++log_lines_in_window_;
  on_log_(line);
}

}  // namespace phalanx::node
