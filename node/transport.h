// The node's peer transport: ZeroMQ over TCP between every pair of validators, each link
// authenticated and encrypted with CurveZMQ (docs/transport.md has the design).
//
// One ROUTER, a CURVE server, is bound on this node's p2p endpoint and receives from every
// peer; one DEALER per peer, a CURVE client pinned to that peer's server key, sends to it.
// A ZAP handler admits only validator keys and names the validator of every connection, so
// each inbound frame is handed to the caller as (validator index, bytes) with the index
// proven by the sender's key. The transport never parses what it carries.
//
// Thread-safety: send(), broadcast(), connected_peers(), peer_connected() and counters()
// may be called from any thread at any time. start() and stop() are called by the owner,
// from one thread. The frame handler runs on the transport's I/O thread: it must return
// quickly (it delays all other I/O), may call send()/broadcast(), and must neither throw nor
// call stop().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "crypto/bytes.h"
#include "crypto/ed25519.h"
#include "crypto/status.h"
#include "node/curve.h"

namespace phalanx::node {

inline constexpr size_t transport_validators_max = 256;
inline constexpr size_t transport_endpoint_bytes_max = 256;
// The hard ceiling for a configured frame_bytes_max.
inline constexpr size_t transport_frame_bytes_limit = size_t{64} << 20;

struct PeerInfo {
  std::string endpoint;            // "tcp://127.0.0.1:26600": where this validator's ROUTER listens
  crypto::PublicKey public_key{};  // its Ed25519 validator key (from genesis)
};

struct TransportConfig {
  uint32_t self = 0;
  std::vector<PeerInfo> validators;  // indexed by validator index; includes self
  std::string bind_endpoint;         // usually validators[self].endpoint
  CurveKeyPair identity;             // CurveKeyPair::from_ed25519(validator secret key)
  // When set (an IP address), outgoing connections leave from it: ZeroMQ's
  // "tcp://SOURCE:0;PEER" endpoint. Lets each validator of one host own a 127.0.0.x
  // address, so packet filters can cut single links (tests/faults). Empty: the OS picks.
  std::string source_host;

  // Largest frame accepted in either direction; larger outbound frames are refused and
  // larger inbound ones never reach the handler. The caller derives it from its largest
  // message.
  size_t frame_bytes_max = size_t{1} << 20;
  // Frames zmq queues per peer link before sends to it are dropped (ZMQ_SNDHWM), and per
  // inbound connection before zmq stops reading its socket (ZMQ_RCVHWM). Inbound memory
  // is bounded by about receive_hwm × frame_bytes_max per connected peer.
  int send_hwm = 1000;
  int receive_hwm = 256;
  // The queue between caller threads and the I/O thread; a send that finds it full is
  // dropped and counted.
  size_t outbound_queue_frames_max = 4096;
  size_t outbound_queue_bytes_max = size_t{64} << 20;
  // Reconnect backoff after a peer goes away: starts at the interval, doubles up to max.
  int reconnect_interval_ms = 100;
  int reconnect_interval_max_ms = 2000;
  // ZMTP heartbeats detect a peer that is gone without closing TCP (killed host, SIGSTOP).
  int heartbeat_interval_ms = 1000;
  int heartbeat_timeout_ms = 5000;
  // A connection (either direction) that has not finished its CURVE handshake by then is
  // closed: an unauthenticated client cannot hold a socket, and a DEALER stuck on a frozen
  // peer retries.
  int handshake_timeout_ms = 5000;
};

// Monotonic counts since start(). Snapshot; fields are read independently.
struct TransportCounters {
  uint64_t frames_sent = 0;                 // handed to zmq on a live link
  uint64_t frames_received = 0;             // delivered to the handler
  uint64_t frames_dropped_queue_full = 0;   // outbound queue at its bound (per destination)
  uint64_t frames_dropped_unavailable = 0;  // peer not connected, or its send_hwm reached
  uint64_t frames_rejected_oversize = 0;    // send()/broadcast() above frame_bytes_max
  uint64_t frames_dropped_oversize = 0;     // inbound above frame_bytes_max
  uint64_t frames_dropped_malformed = 0;    // inbound multipart, or without a validator id
  uint64_t connections_admitted = 0;        // ZAP: a validator key
  uint64_t connections_refused = 0;         // ZAP: any other key, or a bad request
  uint64_t handshakes_failed = 0;           // inbound handshakes that failed (incl. refused)
};

// Called on the I/O thread for every inbound frame, with the sender's validator index.
using FrameHandler = std::function<void(uint32_t from, Bytes frame)>;
// Called on the I/O thread with one line about a refused or failed peer (rate limited).
using LogHandler = std::function<void(const std::string& line)>;

class TransportShared;
class TransportLoop;

class Transport {
 public:
  Transport(TransportConfig config, FrameHandler on_frame, LogHandler on_log = nullptr);
  ~Transport();  // stops
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Validates the configuration, binds the ROUTER, starts connecting to every peer and
  // starts the I/O thread. Errors: bad configuration, a key without a Curve form, an
  // identity that is not validators[self]'s key, or an endpoint that cannot be bound.
  // REQUIRES: not started before (a restarted node is a new Transport).
  Status start();
  // Closes every socket without lingering and joins the I/O thread. Idempotent.
  void stop();

  // Queues a frame for validator `to` and returns at once. False when the frame was dropped
  // here (not running, oversized, queue full); a queued frame can still be dropped later if
  // the peer is unreachable. Both are counted.
  // REQUIRES: to < validators.size() and to != self.
  bool send(uint32_t to, Bytes frame);
  // Queues one frame for every other validator.
  bool broadcast(Bytes frame);

  // Peers whose DEALER currently has a live, authenticated connection.
  uint32_t connected_peers() const;
  bool peer_connected(uint32_t validator) const;
  // How many times the link to `validator` has come up since start(): a change means a new
  // connection, even one that went down and up between two looks at peer_connected().
  // Frames queued on the old connection may have been lost with it.
  uint64_t peer_links_up(uint32_t validator) const;
  TransportCounters counters() const;
  // The endpoint actually bound (resolves a "tcp://127.0.0.1:*" wildcard port).
  // REQUIRES: started.
  const std::string& bound_endpoint() const;

 private:
  bool enqueue(uint32_t to, Bytes frame, uint32_t destinations);

  TransportConfig config_;
  FrameHandler on_frame_;
  LogHandler on_log_;
  std::shared_ptr<TransportShared> shared_;
  std::unique_ptr<TransportLoop> loop_;
  std::thread thread_;
  std::string bound_endpoint_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace phalanx::node
