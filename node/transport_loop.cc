// The I/O thread's sockets and poll loop. Every socket option that bounds memory, time or
// blocking is set here; docs/transport.md explains the choices.
#include "node/transport_loop.h"

#include <cerrno>
#include <cstring>

namespace phalanx::node {
namespace {

constexpr int kHandshakeFailedEvents = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                                       ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                       ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
constexpr int kDealerEvents =
    ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED | kHandshakeFailedEvents;

// Poll slots before the per-peer monitors.
enum PollSlot : size_t { kWake = 0, kZap = 1, kRouter = 2, kRouterMonitor = 3, kFixedSlots = 4 };

// "tcp://HOST:PORT" dialled from `source_host` (any port): "tcp://SOURCE:0;HOST:PORT",
// zmq_tcp(7).
std::string connect_endpoint(const std::string& source_host, const std::string& endpoint) {
  constexpr std::string_view kTcp = "tcp://";
  if (source_host.empty() || endpoint.rfind(kTcp, 0) != 0) return endpoint;
  return std::string(kTcp) + source_host + ":0;" + endpoint.substr(kTcp.size());
}

}  // namespace

TransportLoop::TransportLoop(const TransportConfig& config, std::vector<CurvePublicKey> keys,
                             std::shared_ptr<TransportShared> shared, FrameHandler on_frame,
                             LogHandler on_log)
    : config_(config),
      keys_(std::move(keys)),
      policy_(keys_, config.self),
      shared_(std::move(shared)),
      on_frame_(std::move(on_frame)),
      on_log_(std::move(on_log)) {}

Result<std::unique_ptr<TransportLoop>> TransportLoop::open(const TransportConfig& config,
                                                           std::vector<CurvePublicKey> keys,
                                                           std::shared_ptr<TransportShared> shared,
                                                           FrameHandler on_frame,
                                                           LogHandler on_log) {
  std::unique_ptr<TransportLoop> loop(new TransportLoop(config, std::move(keys), std::move(shared),
                                                        std::move(on_frame), std::move(on_log)));
  if (loop->context_.get() == nullptr) return zmq_failure("transport: creating a zmq context");
  // The ZAP handler exists before the ROUTER can accept anyone: libzmq admits every CURVE
  // client when no handler is bound.
  PHALANX_RETURN_IF_ERROR(loop->open_zap());
  PHALANX_RETURN_IF_ERROR(loop->open_router());
  loop->dealers_.resize(config.validators.size());
  loop->dealer_monitors_.resize(config.validators.size());
  for (uint32_t peer = 0; peer < config.validators.size(); ++peer) {
    if (peer == config.self) continue;
    PHALANX_RETURN_IF_ERROR(loop->open_dealer(peer));
  }
  return loop;
}

Status TransportLoop::open_zap() {
  zap_ = ZmqSocket(context_.get(), ZMQ_REP);
  if (!zap_.valid()) return zmq_failure("transport: creating the ZAP socket");
  PHALANX_RETURN_IF_ERROR(zap_.set_int(ZMQ_LINGER, 0, "ZMQ_LINGER on the ZAP socket"));
  if (zmq_bind(zap_.get(), kZapEndpoint) != 0) {
    return zmq_failure(std::string("transport: binding ") + kZapEndpoint);
  }
  return Status::ok();
}

Status TransportLoop::open_router() {
  router_ = ZmqSocket(context_.get(), ZMQ_ROUTER);
  if (!router_.valid()) return zmq_failure("transport: creating the ROUTER");
  ZmqSocket& s = router_;
  PHALANX_RETURN_IF_ERROR(s.set_int(ZMQ_LINGER, 0, "ZMQ_LINGER"));
  PHALANX_RETURN_IF_ERROR(s.set_int(ZMQ_CURVE_SERVER, 1, "ZMQ_CURVE_SERVER"));
  PHALANX_RETURN_IF_ERROR(
      s.set_bytes(ZMQ_CURVE_SECRETKEY, config_.identity.secret_key(), "ZMQ_CURVE_SECRETKEY"));
  PHALANX_RETURN_IF_ERROR(s.set_bytes(ZMQ_ZAP_DOMAIN, as_span(kZapDomain), "ZMQ_ZAP_DOMAIN"));
  PHALANX_RETURN_IF_ERROR(
      s.set_int64(ZMQ_MAXMSGSIZE,
                  static_cast<int64_t>(config_.frame_bytes_max + transport_wire_overhead_bytes_max),
                  "ZMQ_MAXMSGSIZE"));
  PHALANX_RETURN_IF_ERROR(s.set_int(ZMQ_RCVHWM, config_.receive_hwm, "ZMQ_RCVHWM"));
  PHALANX_RETURN_IF_ERROR(
      s.set_int(ZMQ_HANDSHAKE_IVL, config_.handshake_timeout_ms, "ZMQ_HANDSHAKE_IVL"));
  PHALANX_RETURN_IF_ERROR(
      s.set_int(ZMQ_HEARTBEAT_IVL, config_.heartbeat_interval_ms, "ZMQ_HEARTBEAT_IVL"));
  PHALANX_RETURN_IF_ERROR(
      s.set_int(ZMQ_HEARTBEAT_TIMEOUT, config_.heartbeat_timeout_ms, "ZMQ_HEARTBEAT_TIMEOUT"));
  auto monitor = open_monitor(s.get(), "inproc://phalanx.monitor.router", kHandshakeFailedEvents);
  if (!monitor) return monitor.status();
  router_monitor_ = std::move(monitor).value();
  if (zmq_bind(s.get(), config_.bind_endpoint.c_str()) != 0) {
    return zmq_failure("transport: cannot bind " + config_.bind_endpoint);
  }
  char endpoint[transport_endpoint_bytes_max + 1] = {};
  size_t size = sizeof(endpoint);
  if (zmq_getsockopt(s.get(), ZMQ_LAST_ENDPOINT, endpoint, &size) != 0) {
    return zmq_failure("transport: reading the bound endpoint");
  }
  bound_endpoint_ = endpoint;
  return Status::ok();
}

Status TransportLoop::open_dealer(uint32_t peer) {
  ZmqSocket s(context_.get(), ZMQ_DEALER);
  if (!s.valid()) return zmq_failure("transport: creating a DEALER");
  PHALANX_RETURN_IF_ERROR(s.set_int(ZMQ_LINGER, 0, "ZMQ_LINGER"));
  PHALANX_RETURN_IF_ERROR(s.set_bytes(ZMQ_CURVE_SERVERKEY, keys_[peer], "ZMQ_CURVE_SERVERKEY"));
  PHALANX_RETURN_IF_ERROR(
      s.set_bytes(ZMQ_CURVE_PUBLICKEY, config_.identity.public_key(), "ZMQ_CURVE_PUBLICKEY"));
  PHALANX_RETURN_IF_ERROR(
      s.set_bytes(ZMQ_CURVE_SECRETKEY, config_.identity.secret_key(), "ZMQ_CURVE_SECRETKEY"));
  // Queue only on a finished (authenticated) connection: with no link, a send fails at once
  // and the frame is dropped instead of waiting for a peer that may never come back.
  PHALANX_RETURN_IF_ERROR(s.set_int(ZMQ_IMMEDIATE, 1, "ZMQ_IMMEDIATE"));
  PHALANX_RETURN_IF_ERROR(s.set_int(ZMQ_SNDHWM, config_.send_hwm, "ZMQ_SNDHWM"));
  // Peers never send on this link; anything beyond handshake-sized commands is hostile.
  PHALANX_RETURN_IF_ERROR(s.set_int64(
      ZMQ_MAXMSGSIZE, static_cast<int64_t>(transport_wire_overhead_bytes_max), "ZMQ_MAXMSGSIZE"));
  PHALANX_RETURN_IF_ERROR(s.set_int(ZMQ_RCVHWM, 1, "ZMQ_RCVHWM"));
  PHALANX_RETURN_IF_ERROR(
      s.set_int(ZMQ_HANDSHAKE_IVL, config_.handshake_timeout_ms, "ZMQ_HANDSHAKE_IVL"));
  PHALANX_RETURN_IF_ERROR(
      s.set_int(ZMQ_RECONNECT_IVL, config_.reconnect_interval_ms, "ZMQ_RECONNECT_IVL"));
  PHALANX_RETURN_IF_ERROR(
      s.set_int(ZMQ_RECONNECT_IVL_MAX, config_.reconnect_interval_max_ms, "ZMQ_RECONNECT_IVL_MAX"));
  PHALANX_RETURN_IF_ERROR(
      s.set_int(ZMQ_HEARTBEAT_IVL, config_.heartbeat_interval_ms, "ZMQ_HEARTBEAT_IVL"));
  PHALANX_RETURN_IF_ERROR(
      s.set_int(ZMQ_HEARTBEAT_TIMEOUT, config_.heartbeat_timeout_ms, "ZMQ_HEARTBEAT_TIMEOUT"));
  auto monitor =
      open_monitor(s.get(), "inproc://phalanx.monitor.peer." + std::to_string(peer), kDealerEvents);
  if (!monitor) return monitor.status();
  const std::string endpoint =
      connect_endpoint(config_.source_host, config_.validators[peer].endpoint);
  if (zmq_connect(s.get(), endpoint.c_str()) != 0) {
    return zmq_failure("transport: cannot connect to validator " + std::to_string(peer) + " at " +
                       endpoint);
  }
  dealer_monitors_[peer] = std::move(monitor).value();
  dealers_[peer] = std::move(s);
  return Status::ok();
}

Result<ZmqSocket> TransportLoop::open_monitor(void* socket, const std::string& name, int events) {
  if (zmq_socket_monitor(socket, name.c_str(), events) != 0) {
    return zmq_failure("transport: starting monitor " + name);
  }
  ZmqSocket pair(context_.get(), ZMQ_PAIR);
  if (!pair.valid()) return zmq_failure("transport: creating a monitor socket");
  PHALANX_RETURN_IF_ERROR(pair.set_int(ZMQ_LINGER, 0, "ZMQ_LINGER"));
  if (zmq_connect(pair.get(), name.c_str()) != 0) {
    return zmq_failure("transport: connecting monitor " + name);
  }
  return pair;
}

void TransportLoop::run() {
  std::vector<zmq_pollitem_t> items(kFixedSlots);
  items[kWake] = {nullptr, shared_->wake_fd(), ZMQ_POLLIN, 0};
  items[kZap] = {zap_.get(), 0, ZMQ_POLLIN, 0};
  items[kRouter] = {router_.get(), 0, ZMQ_POLLIN, 0};
  items[kRouterMonitor] = {router_monitor_.get(), 0, ZMQ_POLLIN, 0};
  std::vector<uint32_t> monitor_peer;  // poll slot - kFixedSlots → validator index
  for (uint32_t peer = 0; peer < dealer_monitors_.size(); ++peer) {
    if (!dealer_monitors_[peer].valid()) continue;
    items.push_back({dealer_monitors_[peer].get(), 0, ZMQ_POLLIN, 0});
    monitor_peer.push_back(peer);
  }
  while (!shared_->closed()) {
    if (zmq_poll(items.data(), static_cast<int>(items.size()), -1) < 0) {
      PHALANX_ASSERT_MSG(zmq_errno() == EINTR, "zmq_poll failed on the transport's own sockets");
      continue;
    }
    if (shared_->closed()) break;
    if (items[kWake].revents & ZMQ_POLLIN) {
      shared_->consume_wake();
      drain_outbound();
    }
    if (items[kZap].revents & ZMQ_POLLIN) serve_zap();
    if (items[kRouter].revents & ZMQ_POLLIN) read_inbound();
    if (items[kRouterMonitor].revents & ZMQ_POLLIN) read_router_monitor();
    for (size_t i = 0; i < monitor_peer.size(); ++i) {
      if (items[kFixedSlots + i].revents & ZMQ_POLLIN) read_dealer_monitor(monitor_peer[i]);
    }
  }
}

}  // namespace phalanx::node
