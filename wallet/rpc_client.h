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

class RpcClient {
 public:
  // REQUIRES: endpoint came from parse_rpc_url(url).
  RpcClient(std::string url, const RpcEndpoint& endpoint, RpcTimeouts timeouts = {});
  ~RpcClient();
  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;

  // `params` is a JSON array (positional parameters).
  Result<RpcReply> call(const std::string& method, const nlohmann::json& params);
  const std::string& url() const { return url_; }

 private:
  Result<std::string> post(const std::string& body);

  std::string url_;
  std::string path_;
  std::unique_ptr<httplib::Client> client_;
  int64_t next_id_ = 1;
};

}  // namespace phalanx::wallet
