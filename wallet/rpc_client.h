// A JSON-RPC 2.0 client for one node (cpp-httplib): POSTs {"jsonrpc":"2.0","id":N,
// "method":M,"params":[...]} to the node's URL and checks the reply's shape. Transport
// failures and malformed replies are a Status; an error the node returned is data
// (RpcReply::error), because callers show its code and message to the user.
// Thread-safety: one RpcClient per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "crypto/status.h"

namespace httplib {
class Client;
}

namespace phalanx::wallet {

// A reply larger than this is refused before it is parsed (the largest legitimate reply the
// wallet asks for, getTransaction, is well under 1 KiB).
constexpr size_t kRpcReplyBytesMax = 1 << 20;

struct RpcEndpoint {
  std::string scheme;  // "http" or "https"
  std::string host_port;
  std::string path;  // "/" when the URL has none
};

// "http://HOST[:PORT][/PATH]" or "https://..."; anything else is refused with a message.
Result<RpcEndpoint> parse_rpc_url(const std::string& url);

struct NodeError {
  int64_t code = 0;
  std::string message;
  nlohmann::json data;  // null when the node sent none
};

struct RpcReply {
  nlohmann::json result;  // meaningful only when !error
  std::optional<NodeError> error;
};

struct RpcTimeouts {
  int connect_ms = 3000;
  int read_ms = 10000;
};

// One keep-alive HTTP connection that POSTs JSON bodies to a node's RPC URL and reads a
// reply of at most `reply_bytes_max` bytes (larger ones are cut off and refused). The
// transport under RpcClient and under the benchmark's batch client (bench/load/rpc.h).
class RpcTransport {
 public:
  // REQUIRES: endpoint came from parse_rpc_url(url). `unreachable_hint` ends the error when
  // the node cannot be reached (how to point the caller elsewhere).
  RpcTransport(std::string url, const RpcEndpoint& endpoint, RpcTimeouts timeouts,
               size_t reply_bytes_max, std::string unreachable_hint = "");
  ~RpcTransport();
  RpcTransport(const RpcTransport&) = delete;
  RpcTransport& operator=(const RpcTransport&) = delete;

  // The reply body; an error for transport failures and for non-200 answers that are not
  // JSON-RPC (a JSON-RPC error reply comes back as a body).
  Result<std::string> post(const std::string& body);
  const std::string& url() const { return url_; }

 private:
  std::string url_;
  std::string path_;
  size_t reply_bytes_max_;
  std::string unreachable_hint_;
  std::unique_ptr<httplib::Client> client_;
};

class RpcClient {
 public:
  // REQUIRES: endpoint came from parse_rpc_url(url).
  RpcClient(std::string url, const RpcEndpoint& endpoint, RpcTimeouts timeouts = {});
  ~RpcClient();
  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;

  // `params` is a JSON array (positional parameters).
  Result<RpcReply> call(const std::string& method, const nlohmann::json& params);
  const std::string& url() const { return transport_.url(); }

 private:
  RpcTransport transport_;
  int64_t next_id_ = 1;
};

}  // namespace phalanx::wallet
