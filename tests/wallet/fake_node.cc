#include "tests/wallet/fake_node.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto/address.h"

namespace phalanx::wallet::testing {
namespace {

using nlohmann::json;

// Thrown inside a handler to answer with a JSON-RPC error.
struct RpcFault {
  int64_t code;
  std::string message;
};

std::string string_param(const json& params) {
  if (!params.is_array() || params.size() != 1 || !params[0].is_string()) {
    throw RpcFault{-32602, "expected one string parameter"};
  }
  return params[0].get<std::string>();
}

json transaction_document(const ledger::SignedTransaction& signed_tx, const std::string& status,
                          const std::string& error) {
  const ledger::Transaction& tx = signed_tx.tx;
  return json{{"hash", crypto::to_hex(signed_tx.hash)},
              {"status", status},
              {"height", status == "pending" ? json(nullptr) : json(7)},
              {"index", status == "pending" ? json(nullptr) : json(0)},
              {"from", crypto::format_address(ledger::sender_address(tx))},
              {"to", crypto::format_address(tx.recipient)},
              {"amount", tx.amount},
              {"fee", tx.fee},
              {"nonce", tx.nonce},
              {"error", status == "failed" ? json(error) : json(nullptr)}};
}

}  // namespace

FakeNode::FakeNode() : server_(std::make_unique<httplib::Server>()) {
  server_->Post("/", [this](const httplib::Request& request, httplib::Response& response) {
    std::optional<RawReply> raw;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      raw = raw_reply_;
    }
    if (raw) {
      response.status = raw->http_status;
      response.set_content(raw->body, "application/json");
      return;
    }
    response.set_content(handle(request.body), "application/json");
  });
  server_->Get("/ready", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok", "text/plain");
  });
  server_->set_tcp_nodelay(true);  // keep-alive replies would otherwise wait on delayed ACKs
  port_ = server_->bind_to_any_port("127.0.0.1");
  PHALANX_ASSERT(port_ > 0);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // The reply proves the accept loop runs, so stop() in the destructor cannot miss it.
  httplib::Client client("127.0.0.1", port_);
  auto ready = client.Get("/ready");
  PHALANX_ASSERT(ready && ready->status == 200);
}

FakeNode::~FakeNode() {
  server_->stop();
  thread_.join();
}

std::string FakeNode::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void FakeNode::set_account(const std::string& address, FakeAccount account) {
  std::lock_guard<std::mutex> lock(mutex_);
  accounts_[address] = account;
}

void FakeNode::set_lagging(bool lagging) {
  std::lock_guard<std::mutex> lock(mutex_);
  lagging_ = lagging;
}

void FakeNode::set_outcome(int polls, const std::string& final_status, const std::string& error) {
  std::lock_guard<std::mutex> lock(mutex_);
  outcome_polls_ = polls;
  final_status_ = final_status;
  final_error_ = error;
}

void FakeNode::fail_next(const std::string& method, int64_t code, const std::string& message) {
  std::lock_guard<std::mutex> lock(mutex_);
  failures_[method] = {code, message};
}

void FakeNode::set_raw_reply(RawReply reply) {
  std::lock_guard<std::mutex> lock(mutex_);
  raw_reply_ = std::move(reply);
}

std::vector<ledger::Transaction> FakeNode::received() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return received_;
}

int FakeNode::calls(const std::string& method) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = calls_.find(method);
  return it == calls_.end() ? 0 : it->second;
}

int FakeNode::polls(const std::string& hash) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = polls_.find(hash);
  return it == polls_.end() ? 0 : it->second;
}

std::string FakeNode::handle(const std::string& body) {
  const json request = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded() || !request.is_object() || !request.contains("method")) {
    return json{{"jsonrpc", "2.0"},
                {"id", nullptr},
                {"error", {{"code", -32700}, {"message", "parse error"}}}}
        .dump();
  }
  json reply = {{"jsonrpc", "2.0"}, {"id", request.value("id", json())}};
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string method = request["method"].get<std::string>();
  ++calls_[method];
  try {
    if (auto failure = failures_.find(method); failure != failures_.end()) {
      const RpcFault fault{failure->second.first, failure->second.second};
      failures_.erase(failure);
      throw fault;
    }
    reply["result"] = dispatch(method, request.value("params", json::array()));
  } catch (const RpcFault& fault) {
    reply["error"] = {{"code", fault.code}, {"message", fault.message}};
  }
  return reply.dump();
}

json FakeNode::dispatch(const std::string& method, const json& params) {
  if (method == "getStatus") {
    return json{{"chainId", chain_id},
                {"nodeId", 0},
                {"height", 6},
                {"minFee", min_fee},
                {"view", 0},
                {"primary", 0},
                {"n", 4},
                {"f", 1},
                {"quorum", 3},
                {"peers", 3},
                {"mempoolSize", 0},
                {"syncing", false},
                {"lastBlockHash", std::string(64, '0')}};
  }
  if (method == "getAccount") return get_account(params);
  if (method == "sendTransaction") return send_transaction(params);
  if (method == "getTransaction") return get_transaction(params);
  throw RpcFault{-32601, "method not found"};
}

json FakeNode::get_account(const json& params) {
  const std::string address = string_param(params);
  if (!crypto::parse_address(address)) throw RpcFault{-32010, "invalid address"};
  const FakeAccount account = accounts_[address];
  return json{{"address", address},
              {"balance", account.balance},
              {"nonce", account.nonce},
              {"pendingNonce", account.pending_nonce}};
}

json FakeNode::send_transaction(const json& params) {
  auto bytes = hex_decode(string_param(params));
  if (!bytes) throw RpcFault{-32001, "transaction cannot be decoded: " + bytes.message()};
  auto signed_tx = ledger::parse_signed_transaction(*bytes);
  if (!signed_tx) throw RpcFault{-32001, "transaction cannot be decoded: " + signed_tx.message()};
  if (signed_tx->tx.chain_id != chain_id) throw RpcFault{-32003, "wrong chain id"};
  if (!ledger::verify_transaction_signature(signed_tx->tx)) {
    throw RpcFault{-32002, "bad signature"};
  }
  if (signed_tx->tx.fee < min_fee) throw RpcFault{-32007, "fee below minimum"};
  const std::string hash = crypto::to_hex(signed_tx->hash);
  if (transactions_.contains(hash)) throw RpcFault{-32008, "duplicate transaction"};
  FakeAccount& account = accounts_[crypto::format_address(ledger::sender_address(signed_tx->tx))];
  if (signed_tx->tx.nonce < account.nonce) throw RpcFault{-32004, "nonce already used"};
  if (!lagging_) account.pending_nonce = std::max(account.pending_nonce, signed_tx->tx.nonce + 1);
  received_.push_back(signed_tx->tx);
  transactions_.emplace(hash, std::move(*signed_tx));
  return hash;
}

json FakeNode::get_transaction(const json& params) {
  const std::string hash = string_param(params);
  auto it = transactions_.find(hash);
  if (it == transactions_.end()) return nullptr;
  const int poll = ++polls_[hash];
  const bool done = poll >= outcome_polls_;
  return transaction_document(it->second, done ? final_status_ : "pending", final_error_);
}

ClosedPort::ClosedPort() {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  PHALANX_ASSERT(fd_ >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  PHALANX_ASSERT(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  PHALANX_ASSERT(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  port_ = ntohs(address.sin_port);
}

ClosedPort::~ClosedPort() { ::close(fd_); }

}  // namespace phalanx::wallet::testing
