// The transport's I/O thread: owns the zmq context and every socket of one Transport (the
// ROUTER, one DEALER per peer, the ZAP handler's REP socket and the monitor PAIR sockets)
// and runs the single poll loop that serves them. Internal to the transport.
//
// Each Transport has its own zmq context, so its ZAP endpoint and monitor endpoints are
// private to it (several transports can live in one process, as in the tests).
// Thread-safety: open() runs on the owner's thread; afterwards only run() touches the
// sockets, on the I/O thread, until it returns. Destroy only after run() has returned.
#pragma once

#include <zmq.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "node/curve.h"
#include "node/transport.h"
#include "node/transport_shared.h"
#include "node/transport_zmq.h"
#include "node/zap.h"

namespace phalanx::node {

// Bytes a frame grows by on the wire (ZMTP framing + CURVE's MESSAGE command, nonce and
// MAC: 33 bytes), with room to spare. Handshake commands must also fit within a socket's
// ZMQ_MAXMSGSIZE, so a DEALER, which never receives data frames, is bounded by this alone.
inline constexpr size_t transport_wire_overhead_bytes_max = 1024;
// Frames read from the ROUTER, and ZAP requests served, per loop iteration: other sockets
// get their turn between batches.
inline constexpr size_t transport_inbound_batch_max = 256;
inline constexpr size_t transport_zap_batch_max = 64;
inline constexpr int transport_log_lines_per_second_max = 10;

class TransportLoop {
 public:
  static Result<std::unique_ptr<TransportLoop>> open(const TransportConfig& config,
                                                     std::vector<CurvePublicKey> keys,
                                                     std::shared_ptr<TransportShared> shared,
                                                     FrameHandler on_frame, LogHandler on_log);
  ~TransportLoop() = default;
  TransportLoop(const TransportLoop&) = delete;
  TransportLoop& operator=(const TransportLoop&) = delete;

  // Serves every socket until shared->close(). Runs on the I/O thread.
  void run();
  const std::string& bound_endpoint() const { return bound_endpoint_; }

 private:
  TransportLoop(const TransportConfig& config, std::vector<CurvePublicKey> keys,
                std::shared_ptr<TransportShared> shared, FrameHandler on_frame, LogHandler on_log);

  Status open_zap();
  Status open_router();
  Status open_dealer(uint32_t peer);
  Result<ZmqSocket> open_monitor(void* socket, const std::string& name, int events);

  void drain_outbound();
  void send_to(uint32_t peer, const Bytes& frame);
  void read_inbound();
  void deliver(ZmqMessage& payload);
  void serve_zap();
  void read_router_monitor();
  void read_dealer_monitor(uint32_t peer);
  void log(const std::string& line);

  const TransportConfig config_;
  const std::vector<CurvePublicKey> keys_;  // Curve public key of each validator
  const ZapPolicy policy_;
  std::shared_ptr<TransportShared> shared_;
  FrameHandler on_frame_;
  LogHandler on_log_;
  std::string bound_endpoint_;

  // Rate limit for log lines: a refused client reconnecting in a loop must not flood logs.
  std::chrono::steady_clock::time_point log_window_start_{};
  int log_lines_in_window_ = 0;
  uint64_t log_lines_suppressed_ = 0;

  // The context outlives every socket: members are destroyed in reverse order.
  ZmqContext context_;
  ZmqSocket zap_;
  ZmqSocket router_monitor_;
  ZmqSocket router_;
  std::vector<ZmqSocket> dealer_monitors_;  // indexed by validator; self's slot stays empty
  std::vector<ZmqSocket> dealers_;          // indexed by validator; self's slot stays empty
};

}  // namespace phalanx::node
