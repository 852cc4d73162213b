// A small JSON-RPC node for wallet tests: an httplib::Server on 127.0.0.1 with an
// ephemeral port that answers getStatus, getAccount, sendTransaction and getTransaction as
// the contract describes, over in-memory accounts. sendTransaction really decodes and
// verifies the transaction, so a test sees exactly what the wallet signed. Knobs let a test
// make the node's pendingNonce lag, decide after how many polls a transaction is committed
// or failed, make a method fail with a JSON-RPC error, or send a raw (malformed) reply.
// Thread-safety: the server thread and the test thread share state under a mutex.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ledger/transaction.h"

namespace httplib {
class Server;
}

namespace phalanx::wallet::testing {

struct FakeAccount {
  uint64_t balance = 0;
  uint64_t nonce = 0;
  uint64_t pending_nonce = 0;
};

struct RawReply {
  int http_status = 200;
  std::string body;
};

class FakeNode {
 public:
  FakeNode();  // listening and serving when the constructor returns
  ~FakeNode();
  FakeNode(const FakeNode&) = delete;
  FakeNode& operator=(const FakeNode&) = delete;

  std::string url() const;

  void set_account(const std::string& address, FakeAccount account);
  // When true, accepted transactions do not advance pendingNonce (a node that has not yet
  // seen the sender's previous transaction).
  void set_lagging(bool lagging);
  // getTransaction answers "pending" for the first `polls - 1` polls of a known hash, then
  // `final_status` ("committed" at height 7, or "failed" with `error`).
  void set_outcome(int polls, const std::string& final_status, const std::string& error = "");
  // The next call of `method` answers this JSON-RPC error (once).
  void fail_next(const std::string& method, int64_t code, const std::string& message);
  // Every following request gets this reply verbatim.
  void set_raw_reply(RawReply reply);

  std::vector<ledger::Transaction> received() const;
  int calls(const std::string& method) const;
  int polls(const std::string& hash) const;

  std::string chain_id = "phalanx-test";  // set before the first request
  uint64_t min_fee = 10;

 private:
  std::string handle(const std::string& body);
  nlohmann::json dispatch(const std::string& method, const nlohmann::json& params);
  nlohmann::json get_account(const nlohmann::json& params);
  nlohmann::json send_transaction(const nlohmann::json& params);
  nlohmann::json get_transaction(const nlohmann::json& params);

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;

  mutable std::mutex mutex_;
  std::map<std::string, FakeAccount> accounts_;
  std::map<std::string, ledger::SignedTransaction> transactions_;  // by hash hex
  std::vector<ledger::Transaction> received_;
  std::map<std::string, int> calls_;
  std::map<std::string, int> polls_;
  std::map<std::string, std::pair<int64_t, std::string>> failures_;
  std::optional<RawReply> raw_reply_;
  bool lagging_ = false;
  int outcome_polls_ = 1;
  std::string final_status_ = "committed";
  std::string final_error_;
};

// A 127.0.0.1 port with a bound but not listening socket: connecting is refused, and no
// other process can take the port while this object lives.
class ClosedPort {
 public:
  ClosedPort();
  ~ClosedPort();
  ClosedPort(const ClosedPort&) = delete;
  ClosedPort& operator=(const ClosedPort&) = delete;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace phalanx::wallet::testing
