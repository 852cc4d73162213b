#include "tests/node/node_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"
#include "tests/testutil/free_port.h"
#include "tests/testutil/temp_dir.h"

extern char** environ;

namespace phalanx::node::testing {

namespace {

using testutil::free_port;

// Spawns `program` (phalanxd unless given) with stdout and stderr going to the two files.
pid_t spawn(const std::vector<std::string>& args, const std::string& out, const std::string& err,
            const std::string& program = PHALANX_PHALANXD_PATH) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  std::vector<std::string> full{program};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : full) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(rc, 0) << "cannot spawn " << program;
  return rc == 0 ? pid : -1;
}

std::string temp_dir() { return testutil::make_temp_dir("phalanx-node"); }

crypto::SecretKey faucet_key() {
  crypto::Seed seed{};
  seed.fill(0x5a);
  return crypto::SecretKey::from_seed(seed);
}

}  // namespace

bool wait_until(const std::function<bool()>& condition, Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

CommandResult run_phalanxd(const std::vector<std::string>& args) {
  return run_program(PHALANX_PHALANXD_PATH, args);
}

CommandResult run_program(const std::string& program, const std::vector<std::string>& args) {
  const std::string dir = temp_dir();
  const std::string out = dir + "/out";
  const std::string err = dir + "/err";
  CommandResult result;
  const pid_t pid = spawn(args, out, err, program);
  if (pid > 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  result.out = read_text_file(out);
  result.err = read_text_file(err);
  std::filesystem::remove_all(dir);
  return result;
}

std::string read_text_file(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

void send_raw_tcp(uint16_t port, const Bytes& bytes) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;  // the node closed the connection: that is a fine answer to junk
      sent += static_cast<size_t>(n);
    }
  }
  close(fd);
}

std::vector<uint32_t> all_nodes(uint32_t n) {
  std::vector<uint32_t> nodes;
  for (uint32_t i = 0; i < n; ++i) nodes.push_back(i);
  return nodes;
}

crypto::Address test_address(uint8_t tag) {
  crypto::Address address;
  address.bytes.fill(tag);
  return address;
}

Cluster::Cluster(ClusterOptions options) : dir_(temp_dir()), faucet_(faucet_key()) {
  for (uint32_t k = 0; k < options.senders; ++k) {
    crypto::Seed seed{};
    seed.fill(0x3c);
    for (size_t b = 0; b < 4; ++b) seed[b] = static_cast<uint8_t>(k >> (8 * b));
    senders_.push_back(crypto::SecretKey::from_seed(seed));
  }
  init_homes(options);
}

Cluster::~Cluster() {
  for (uint32_t i = 0; i < nodes_.size(); ++i) {
    NodeHandle& node = nodes_[i];
    if (node.pid <= 0) continue;
    // A node the test did not stop must still be running: it crashed otherwise.
    EXPECT_TRUE(running(i)) << "node " << i << " exited on its own; stderr:\n"
                            << read_text_file(node.home + "/stderr.log");
    if (node.pid <= 0) continue;
    ::kill(node.pid, SIGKILL);
    waitpid(node.pid, nullptr, 0);
    node.pid = -1;
  }
  // Sanitizer reports and assertion failures of every incarnation of every node.
  for (uint32_t i = 0; i < nodes_.size(); ++i) {
    const std::string err = read_text_file(nodes_[i].home + "/stderr.log");
    EXPECT_EQ(err.find("Sanitizer"), std::string::npos) << "node " << i << ":\n" << err;
    EXPECT_EQ(err.find("runtime error"), std::string::npos) << "node " << i << ":\n" << err;
    EXPECT_EQ(err.find("PHALANX_ASSERT"), std::string::npos) << "node " << i << ":\n" << err;
  }
  // PHALANX_KEEP_TEST_HOMES=1 keeps the homes (logs, stores) for a person to read.
  if (std::getenv("PHALANX_KEEP_TEST_HOMES") != nullptr) {
    std::printf("kept %s\n", dir_.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void Cluster::init_homes(const ClusterOptions& options) {
  std::vector<std::string> validators;
  for (uint32_t i = 0; i < options.n; ++i) {
    NodeHandle node;
    node.home = dir_ + "/node" + std::to_string(i);
    node.p2p_port = free_port();
    node.rpc_port = free_port();
    const CommandResult init =
        run_phalanxd({"init", "--home", node.home, "--p2p-port", std::to_string(node.p2p_port),
                      "--rpc-port", std::to_string(node.rpc_port)});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    const size_t line = init.out.find("validator   ");
    ASSERT_NE(line, std::string::npos) << init.out;
    const size_t start = line + std::string("validator   ").size();
    validators.push_back(init.out.substr(start, init.out.find('\n', start) - start));
    // Tests recover lost messages faster than the default period.
    const std::string config = node.home + "/config.json";
    Json json = Json::parse(read_text_file(config));
    json["consensus"]["retransmit_ms"] = options.retransmit_ms;
    json["consensus"]["view_change_timeout_ms"] = options.view_change_timeout_ms;
    std::ofstream(config) << json.dump(2);
    nodes_.push_back(node);
  }
  write_genesis(options, validators);
}

void Cluster::write_genesis(const ClusterOptions& options,
                            const std::vector<std::string>& validators) {
  std::vector<std::string> args{
      "genesis",
      "--out",
      dir_ + "/genesis.json",
      "--chain-id",
      chain_id_,
      "--pipeline-depth",
      std::to_string(options.pipeline_depth),
      "--checkpoint-interval",
      std::to_string(options.checkpoint_interval),
      "--alloc",
      crypto::format_address(faucet_address()) + "=" + std::to_string(faucet_balance_)};
  for (const crypto::SecretKey& sender : senders_) {
    args.push_back("--alloc");
    args.push_back(crypto::format_address(crypto::address_of(sender.public_key())) + "=" +
                   std::to_string(options.sender_balance));
  }
  for (const std::string& validator : validators) {
    args.push_back("--validator");
    args.push_back(validator);
  }
  const CommandResult genesis = run_phalanxd(args);
  ASSERT_EQ(genesis.exit_code, 0) << genesis.err;
  for (const NodeHandle& node : nodes_) {
    std::filesystem::copy_file(dir_ + "/genesis.json", node.home + "/genesis.json");
  }
}

void Cluster::set_program(uint32_t i, std::string program, std::vector<std::string> extra_args) {
  nodes_.at(i).program = std::move(program);
  nodes_.at(i).extra_args = std::move(extra_args);
}

void Cluster::start(uint32_t i) {
  NodeHandle& node = nodes_.at(i);
  ASSERT_LE(node.pid, 0) << "node " << i << " is already running";
  std::vector<std::string> args{"run", "--home", node.home};
  args.insert(args.end(), node.extra_args.begin(), node.extra_args.end());
  node.pid = spawn(args, node.home + "/stdout.log", node.home + "/stderr.log",
                   node.program.empty() ? PHALANX_PHALANXD_PATH : node.program);
}

void Cluster::start_all() {
  for (uint32_t i = 0; i < n(); ++i) start(i);
}

void Cluster::signal(uint32_t i, int signal) {
  ASSERT_GT(nodes_.at(i).pid, 0);
  ::kill(nodes_[i].pid, signal);
}

void Cluster::kill(uint32_t i) {
  NodeHandle& node = nodes_.at(i);
  ASSERT_GT(node.pid, 0);
  ::kill(node.pid, SIGKILL);
  waitpid(node.pid, nullptr, 0);
  node.pid = -1;
}

std::optional<int> Cluster::terminate(uint32_t i, Clock::duration timeout) {
  NodeHandle& node = nodes_.at(i);
  if (node.pid <= 0) return std::nullopt;
  ::kill(node.pid, SIGTERM);
  int status = 0;
  const bool exited =
      wait_until([&] { return waitpid(node.pid, &status, WNOHANG) == node.pid; }, timeout);
  if (!exited) {
    ::kill(node.pid, SIGKILL);
    waitpid(node.pid, nullptr, 0);
  }
  node.pid = -1;
  if (!exited) return std::nullopt;
  return status;
}

bool Cluster::running(uint32_t i) {
  NodeHandle& node = nodes_.at(i);
  if (node.pid <= 0) return false;
  int status = 0;
  if (waitpid(node.pid, &status, WNOHANG) == node.pid) {
    node.pid = -1;
    return false;
  }
  return true;
}

std::optional<Json> Cluster::call(uint32_t i, const std::string& method, Json params) {
  httplib::Client client("127.0.0.1", nodes_.at(i).rpc_port);
  client.set_connection_timeout(std::chrono::seconds(2));
  client.set_read_timeout(std::chrono::seconds(10));
  const Json request = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", params}};
  auto response = client.Post("/", request.dump(), "application/json");
  if (!response || response->status != 200) return std::nullopt;
  Json reply = Json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (reply.is_discarded()) return std::nullopt;
  return reply;
}

std::optional<Json> Cluster::result(uint32_t i, const std::string& method, Json params) {
  auto reply = call(i, method, std::move(params));
  if (!reply || !reply->contains("result")) return std::nullopt;
  return (*reply)["result"];
}

std::optional<uint64_t> Cluster::height(uint32_t i) {
  auto height = result(i, "getBlockHeight");
  if (!height || !height->is_number_unsigned()) return std::nullopt;
  return height->get<uint64_t>();
}

std::optional<std::string> Cluster::block_hash(uint32_t i, uint64_t height) {
  auto block = result(i, "getBlock", Json::array({height}));
  if (!block || !block->is_object()) return std::nullopt;
  return (*block)["hash"].get<std::string>();
}

std::optional<Json> Cluster::submit(uint32_t i, const ledger::SignedTransaction& tx) {
  return call(i, "sendTransaction", Json::array({hex_encode(tx.bytes)}));
}

ledger::SignedTransaction Cluster::transfer(const crypto::Address& to, uint64_t amount,
                                            uint64_t nonce, uint64_t fee) const {
  return ledger::make_transfer(faucet_, chain_id_, to, amount, fee, nonce);
}

ledger::SignedTransaction Cluster::transfer_from(uint32_t k, const crypto::Address& to,
                                                 uint64_t amount, uint64_t nonce,
                                                 uint64_t fee) const {
  return ledger::make_transfer(senders_.at(k), chain_id_, to, amount, fee, nonce);
}

std::optional<size_t> Cluster::submit_batch(uint32_t i,
                                            const std::vector<ledger::SignedTransaction>& txs) {
  Json batch = Json::array();
  for (size_t id = 0; id < txs.size(); ++id) {
    batch.push_back({{"jsonrpc", "2.0"},
                     {"id", id},
                     {"method", "sendTransaction"},
                     {"params", Json::array({hex_encode(txs[id].bytes)})}});
  }
  httplib::Client client("127.0.0.1", nodes_.at(i).rpc_port);
  client.set_connection_timeout(std::chrono::seconds(2));
  client.set_read_timeout(std::chrono::seconds(30));
  auto response = client.Post("/", batch.dump(), "application/json");
  if (!response || response->status != 200) return std::nullopt;
  const Json replies = Json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (!replies.is_array()) return std::nullopt;
  size_t accepted = 0;
  for (const Json& reply : replies) accepted += reply.contains("result") ? 1 : 0;
  return accepted;
}

crypto::Address Cluster::faucet_address() const { return crypto::address_of(faucet_.public_key()); }

bool Cluster::committed_on(const std::vector<uint32_t>& nodes, const crypto::Hash& tx_hash) {
  for (uint32_t i : nodes) {
    auto tx = result(i, "getTransaction", Json::array({hex_encode(tx_hash)}));
    if (!tx || !tx->is_object() || (*tx)["status"] != "committed") return false;
  }
  return true;
}

void Cluster::expect_same_chain(const std::vector<uint32_t>& nodes, uint64_t height) {
  const bool reached = wait_until([&] {
    for (uint32_t i : nodes) {
      const auto at = this->height(i);
      if (!at || *at < height) return false;
    }
    return true;
  });
  ASSERT_TRUE(reached) << "not every node reached height " << height;
  for (uint64_t h = 0; h <= height; ++h) {
    const auto expected = block_hash(nodes.front(), h);
    ASSERT_TRUE(expected.has_value()) << "height " << h;
    for (uint32_t i : nodes) {
      EXPECT_EQ(block_hash(i, h), expected) << "node " << i << " differs at height " << h;
    }
  }
}

bool Cluster::wait_for_peers(const std::vector<uint32_t>& nodes) {
  return wait_until([&] {
    for (uint32_t i : nodes) {
      auto status = result(i, "getStatus");
      if (!status || (*status)["peers"] != n() - 1) return false;
    }
    return true;
  });
}

void submit_ok(Cluster& cluster, uint32_t node, const ledger::SignedTransaction& tx) {
  const auto reply = cluster.submit(node, tx);
  ASSERT_TRUE(reply.has_value()) << "node " << node << " did not answer";
  ASSERT_TRUE(reply->contains("result")) << reply->dump();
  EXPECT_EQ((*reply)["result"], hex_encode(tx.hash));
}

void start_and_commit_first(Cluster& cluster, uint32_t via, ledger::SignedTransaction* first) {
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_for_peers(all_nodes(cluster.n())));
  *first = cluster.transfer(test_address(1), 5, 0);
  ASSERT_NO_FATAL_FAILURE(submit_ok(cluster, via, *first));
  ASSERT_TRUE(
      wait_until([&] { return cluster.committed_on(all_nodes(cluster.n()), first->hash); }));
}

}  // namespace phalanx::node::testing
