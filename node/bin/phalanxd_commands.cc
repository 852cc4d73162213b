// phalanxd init | genesis | run.
#include "node/bin/phalanxd_commands.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <thread>

#include "crypto/address.h"
#include "crypto/file_io.h"
#include "ledger/genesis.h"
#include "node/home.h"
#include "node/node.h"

namespace phalanx::node {

namespace {

int fail(const std::string& message) {
  std::cerr << "phalanxd: error: " << message << "\n";
  return kExitFailure;
}

int usage(const std::string& message) {
  std::cerr << "phalanxd: error: " << message << " (see --help)\n";
  return kExitUsage;
}

uint64_t now_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// "PUBKEYHEX@tcp://HOST:PORT"
Result<ledger::Validator> parse_validator(const std::string& text) {
  const size_t at = text.find('@');
  if (at == std::string::npos) {
    return Status::error("--validator '" + text + "': expected PUBKEYHEX@tcp://HOST:PORT");
  }
  auto key = hex_decode_fixed<32>(std::string_view(text).substr(0, at));
  if (!key) return Status::error("--validator '" + text + "': public key: " + key.message());
  ledger::Validator validator;
  validator.public_key = *key;
  validator.p2p = text.substr(at + 1);
  if (validator.p2p.rfind("tcp://", 0) != 0 || validator.p2p.size() <= 6) {
    return Status::error("--validator '" + text + "': the endpoint must be tcp://HOST:PORT");
  }
  return validator;
}

// "ADDRESS=AMOUNT"
Result<ledger::Allocation> parse_allocation(const std::string& text) {
  const size_t equals = text.find('=');
  if (equals == std::string::npos) {
    return Status::error("--alloc '" + text + "': expected ADDRESS=AMOUNT");
  }
  auto address = crypto::parse_address(std::string_view(text).substr(0, equals));
  if (!address) return Status::error("--alloc '" + text + "': " + address.message());
  const std::string amount = text.substr(equals + 1);
  const bool digits = !amount.empty() && amount.size() <= 16 &&
                      amount.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || std::stoull(amount) == 0 || std::stoull(amount) > ledger::kAmountMax) {
    return Status::error("--alloc '" + text + "': the amount must be an integer in 1..2^53-1");
  }
  return ledger::Allocation{*address, std::stoull(amount)};
}

// An --alloc-file: one "ADDRESS=AMOUNT" per line; blank lines and '#' comments are
// skipped. Bounded before it is read: a genesis holds at most 100,000 accounts of about 80
// bytes each.
constexpr size_t kAllocFileBytesMax = 16 << 20;

Status add_alloc_file(const std::string& path, ledger::Genesis* genesis) {
  auto text = read_small_file(path, kAllocFileBytesMax, "--alloc-file");
  if (!text) return text.status();
  size_t line_number = 0;
  for (size_t start = 0; start < text->size();) {
    size_t end = text->find('\n', start);
    if (end == std::string::npos) end = text->size();
    std::string line = text->substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto allocation = parse_allocation(line);
    if (!allocation) {
      return Status::error(path + ":" + std::to_string(line_number) + ": " + allocation.message());
    }
    genesis->allocations.push_back(std::move(allocation).value());
  }
  return Status::ok();
}

Result<ledger::Genesis> build_genesis(const GenesisOptions& options) {
  ledger::Genesis genesis;
  genesis.chain_id = options.chain_id;
  genesis.genesis_time_ms = options.genesis_time_ms != 0 ? options.genesis_time_ms : now_ms();
  genesis.pipeline_depth = options.pipeline_depth;
  genesis.checkpoint_interval = options.checkpoint_interval;
  for (const std::string& text : options.validators) {
    auto validator = parse_validator(text);
    if (!validator) return validator.status();
    genesis.validators.push_back(std::move(validator).value());
  }
  for (const std::string& text : options.allocations) {
    auto allocation = parse_allocation(text);
    if (!allocation) return allocation.status();
    genesis.allocations.push_back(std::move(allocation).value());
  }
  if (!options.alloc_file.empty()) {
    PHALANX_RETURN_IF_ERROR(add_alloc_file(options.alloc_file, &genesis));
  }
  // The parser owns every rule (validator count, duplicates, supply cap, W and K ranges).
  auto checked = ledger::parse_genesis(ledger::genesis_to_json(genesis));
  if (!checked) return checked.status();
  return checked;
}

sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);  // the loop ended by itself (a fatal error)
  return set;
}

}  // namespace

int run_init(const InitOptions& options) {
  NodeConfig config;
  config.p2p_host = options.host;
  config.p2p_port = options.p2p_port;
  config.rpc_host = options.host;
  config.rpc_port = options.rpc_port;
  // Reuse the config parser's checks on what the flags put in.
  auto checked = parse_node_config(node_config_to_json(config));
  if (!checked) return usage(checked.message());
  const HomePaths paths(options.home);
  auto public_key = init_home(paths, config);
  if (!public_key) return fail(public_key.message());
  const std::string key_hex = hex_encode(*public_key);
  std::cout << "initialised " << paths.root << "\n"
            << "public key  " << key_hex << "\n"
            << "address     " << crypto::format_address(crypto::address_of(*public_key)) << "\n"
            << "validator   " << key_hex << "@tcp://" << options.host << ":" << options.p2p_port
            << "\n"
            << "Put the chain's genesis.json in " << paths.genesis
            << " (see `phalanxd genesis`), then `phalanxd run --home " << paths.root << "`.\n";
  return kExitOk;
}

int run_genesis(const GenesisOptions& options) {
  auto genesis = build_genesis(options);
  if (!genesis) return usage(genesis.message());
  std::error_code ec;
  if (!options.force && std::filesystem::exists(options.out, ec)) {
    return fail(options.out + " already exists (pass --force to overwrite)");
  }
  const Status written = write_file_atomic(options.out, ledger::genesis_to_json(*genesis), 0644);
  if (!written) return fail(written.message());
  std::cout << "wrote " << options.out << ": chain " << genesis->chain_id << ", " << genesis->n()
            << " validators (f = " << genesis->f() << ", quorum = " << genesis->quorum()
            << "), supply " << genesis->total_supply() << "\n";
  return kExitOk;
}

// Signals are blocked in every thread (the mask is inherited), and this thread waits for
// them with sigwait(), so no handler ever interrupts a system call in the node's threads.
// Shutdown order: RPC (finishing its workers), transport, then the loop; then the stores
// close as the node is destroyed.
int run_node(const std::string& home, std::unique_ptr<NodeHooks> hooks) {
  const sigset_t signals = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  auto node = Node::open(home, std::move(hooks));
  if (!node) return fail(node.message());
  const Status started = (*node)->start();
  if (!started) return fail(started.message());
  std::cout << "phalanxd: validator " << (*node)->self() << " running; JSON-RPC on port "
            << (*node)->rpc_port() << "; log " << HomePaths(home).log << std::endl;
  Status result;
  const pthread_t main_thread = pthread_self();
  std::thread loop([&] {
    result = (*node)->run();
    pthread_kill(main_thread, SIGUSR1);
  });
  int signal = 0;
  sigwait(&signals, &signal);
  if (signal != SIGUSR1) (*node)->log().info("received signal {}, shutting down", signal);
  (*node)->stop_services();
  (*node)->request_stop();
  loop.join();
  node->reset();
  if (!result) return fail(result.message());
  return kExitOk;
}

}  // namespace phalanx::node
