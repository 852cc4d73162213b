// RpcServer: phalanxd's JSON-RPC endpoint over HTTP/1.1 (cpp-httplib). It owns the HTTP
// side — listening socket, bounded worker pool, body and time limits, per-client rate
// limits — and hands each body to jsonrpc::handle_body with the RpcMethods table.
//
//   POST /        Content-Type application/json (parameters such as charset allowed)
//                 200 + JSON-RPC response; 204 + empty body when every call was a
//                 notification; 413 when the body exceeds body_bytes_max; 415 for another
//                 Content-Type (both with a JSON-RPC -32600 error body)
//   GET /health   200 "ok"
//
// Bounds: body_bytes_max per request; jsonrpc::Limits (batch_max, depth_max) per body;
// `threads` workers serve connections and at most connections_queued_max accepted
// connections wait for one — beyond that the accept loop waits, leaving further
// connections in the kernel's listen backlog rather than in memory; read/write timeouts per
// socket operation; keep-alive connections idle at most keep_alive_timeout_s and serve at
// most keep_alive_requests_max requests.
//
// Rate limits (token buckets per client IP, node/rate_limiter.h): `calls_limit` counts every
// call (each element of a batch, notifications included), `send_limit` counts
// sendTransaction calls on top. A refused call is answered with -32011 "rate limited"; the
// rest of its batch still runs. The clock is injectable so tests need no sleeps.
//
// Thread-safety: start() and stop() from one controlling thread; handle_rpc() from any
// thread (the workers call it). stop() returns once the workers have finished, i.e. within
// read_timeout + keep_alive_timeout of its call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/status.h"
#include "node/jsonrpc.h"
#include "node/rate_limiter.h"
#include "node/rpc_backend.h"

namespace phalanx::node {

// Monotonic time in nanoseconds.
using MonotonicClock = std::function<uint64_t()>;

struct RpcServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 26601;  // 0: the kernel picks a free port (see RpcServer::port())
  size_t body_bytes_max = size_t{1} << 20;
  jsonrpc::Limits limits;  // batch_max 100, depth_max 16
  size_t threads = 16;     // an idle keep-alive client holds one for keep_alive_timeout_s
  size_t connections_queued_max = 256;
  uint32_t read_timeout_ms = 5'000;
  uint32_t write_timeout_ms = 5'000;
  uint32_t keep_alive_timeout_s = 5;
  size_t keep_alive_requests_max = 100;
  // Generous enough for phalanx-bench at the node's measured ceiling (~9,600 tx/s in all).
  RateLimit calls_limit{20'000, 40'000};
  RateLimit send_limit{12'000, 24'000};
  size_t rate_clients_max = 4'096;  // client IPs tracked per limit (least recent forgotten)
};

// Each option within its named range; the message names the option.
Status validate_rpc_server_options(const RpcServerOptions& options);

class RpcServer {
 public:
  // Validates the options; no I/O. The backend must outlive the server. An empty clock
  // means std::chrono::steady_clock.
  static Result<std::unique_ptr<RpcServer>> create(RpcBackend& backend, RpcServerOptions options,
                                                   MonotonicClock clock = {});
  ~RpcServer();  // stop()
  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;

  // Binds host:port and starts serving on a background thread. An error (address in use,
  // bad host) leaves the server stopped. REQUIRES: not started before.
  Status start();
  // The bound port. REQUIRES: start() succeeded.
  uint16_t port() const;
  // Stops accepting, lets the workers finish and joins them. Idempotent.
  void stop();

  // The JSON-RPC processing of one POST / body from `client` (an IP address), rate limits
  // included, without HTTP: the response body, or nullopt when no response is due.
  std::optional<std::string> handle_rpc(std::string_view client, std::string_view body);

 private:
  struct Impl;
  explicit RpcServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace phalanx::node
