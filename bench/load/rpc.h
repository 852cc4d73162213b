// A JSON-RPC 2.0 client for the benchmark: one keep-alive HTTP connection to one node (the
// wallet's RpcTransport, wallet/rpc_client.h), single calls and batches. Transport failures and
// malformed replies are a Status; an error the node returned for one call is data
// (Reply::error_code). Thread-safety: one RpcConnection per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crypto/status.h"
#include "wallet/rpc_client.h"

namespace phalanx::bench {

using Json = nlohmann::json;

// The largest reply accepted (a batch of 100 getBlock replies of full blocks is ~30 MiB at
// the genesis' default 4,096 txs per block; the benchmark asks for fewer at once).
constexpr size_t kReplyBytesMax = 64 << 20;

struct Reply {
  Json result;             // meaningful when error_code == 0
  int64_t error_code = 0;  // 0: success
  std::string error_message;
};

struct Call {
  std::string method;
  Json params;  // a JSON array
};

class RpcConnection {
 public:
  // url: "http://HOST:PORT" (testnet.json's "rpc", checked by load_testnet).
  // REQUIRES: wallet::parse_rpc_url(url) succeeds.
  explicit RpcConnection(const std::string& url, int timeout_ms = 10000);
  ~RpcConnection();
  RpcConnection(const RpcConnection&) = delete;
  RpcConnection& operator=(const RpcConnection&) = delete;

  Result<Reply> call(const std::string& method, Json params = Json::array());
  // One HTTP request carrying every call; the replies in call order.
  Result<std::vector<Reply>> batch(const std::vector<Call>& calls);
  // Sends a prepared batch body (a JSON array of `count` calls with ids 0..count-1).
  Result<std::vector<Reply>> batch_body(const std::string& body, size_t count);
  const std::string& url() const { return transport_.url(); }

 private:
  wallet::RpcTransport transport_;
};

}  // namespace phalanx::bench
