// Golden-trace scripts (see golden.h).
#include "tests/sim/golden.h"

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>

#include "consensus/codec.h"
#include "crypto/file_io.h"
#include "tests/sim/checker.h"
#include "tests/sim/clients.h"
#include "tests/sim/keyring.h"
#include "tests/sim/node.h"
#include "tests/sim/trace.h"

namespace phalanx::sim {
namespace {

using consensus::Message;
using consensus::MessageKind;

constexpr uint32_t kReplicas = 4;
constexpr uint64_t kGenesisTimeMs = 1'764'000'000'000;
constexpr uint64_t kViewChangeTimeoutMs = 1000;
constexpr size_t kGoldenBytesMax = 1 << 20;
constexpr size_t kScriptStepsMax = 10'000;  // deliveries per run_until_quiet()

struct InFlight {
  uint32_t from = 0;
  uint32_t to = 0;
  Message message;
};

// Decides, per message, whether the script lets it through.
using Filter = std::function<bool(const InFlight&)>;

// A NodeHost whose network is a FIFO the script drains explicitly, with no randomness.
class Script final : public NodeHost {
 public:
  Script()
      : keyring_(1, kReplicas, SignatureScheme::kMac, "phalanx-golden"),
        clients_(1, 1, "phalanx-golden"),
        checker_(CheckerConfig{kReplicas, 3, genesis_hash(), true, {}}, keyring_.verifier(),
                 &clients_.known()),
        trace_(&out_) {
    consensus::Config config;
    config.chain_id = "phalanx-golden";
    config.validators = keyring_.public_keys();
    config.pipeline_depth = 1;
    config.checkpoint_interval = 16;
    config.log_window = 32;
    config.retransmit_ms = 100'000;  // no retransmissions: the script says what arrives
    config.view_change_timeout_ms = kViewChangeTimeoutMs;
    config.genesis_hash = genesis_hash();
    config.genesis_state_root = crypto::sha256(as_span(std::string_view("golden state")));
    config.genesis_time_ms = kGenesisTimeMs;
    for (uint32_t i = 0; i < kReplicas; ++i) {
      NodeSetup setup{config, nullptr, &keyring_, 16, 0, 1000, 1000};
      setup.config.self = i;
      nodes_.push_back(std::make_unique<SimNode>(std::move(setup), this, &checker_, &trace_));
    }
  }

  static Hash genesis_hash() { return crypto::sha256(as_span(std::string_view("golden"))); }

  // NodeHost.
  uint64_t time_ms() const override { return now_ms_; }
  void send(uint32_t from, const consensus::Outbound& outbound) override {
    checker_.on_sent(from, outbound.message);
    if (outbound.message.kind == MessageKind::kStatus) return;  // see golden.h
    std::string targets;
    for (uint32_t to = 0; to < kReplicas; ++to) {
      if (to == from || (outbound.to && *outbound.to != to)) continue;
      queue_.push_back(InFlight{from, to, outbound.message});
      targets += " r" + std::to_string(to);
    }
    note(static_cast<int>(from), "send " + format_message(outbound.message) + " to" + targets);
  }
  void request_validation(uint32_t node, uint64_t incarnation,
                          const consensus::ValidationRequest& request) override {
    validations_.push_back({node, incarnation, request.height, request.digest});
  }
  void on_crashed(uint32_t, CrashPoint) override {}

  void note(int replica, const std::string& text) { trace_.line(now_ms_, replica, text); }
  std::string text() const { return out_.str(); }
  SimNode& node(uint32_t i) { return *nodes_[i]; }
  Checker& checker() { return checker_; }

  void start() {
    for (auto& node : nodes_) node->start();
  }
  void submit_to_all() {
    const ledger::SignedTransaction& tx = clients_.create(prng_);
    note(-1, "client submits tx " + short_hex(tx.hash) + " to every replica");
    for (auto& node : nodes_) {
      if (node->up()) node->submit({&tx});
    }
  }
  void advance(uint64_t ms) {
    now_ms_ += ms;
    note(-1, "time passes: +" + std::to_string(ms) + "ms");
    for (auto& node : nodes_) {
      if (node->up()) node->tick();
    }
  }
  // Delivers queued messages (those `pass` refuses are dropped) and answers validation
  // requests (every block is valid here) until nothing is left.
  void run_until_quiet(const Filter& pass);

 private:
  struct Validation {
    uint32_t node;
    uint64_t incarnation;
    uint64_t height;
    Hash digest;
  };

  std::ostringstream out_;
  Keyring keyring_;
  Clients clients_;
  Checker checker_;
  Trace trace_;
  Prng prng_{7};
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::deque<InFlight> queue_;
  std::deque<Validation> validations_;
  uint64_t now_ms_ = 0;
};

void Script::run_until_quiet(const Filter& pass) {
  for (size_t step = 0; step < kScriptStepsMax; ++step) {
    if (!validations_.empty()) {
      const Validation v = validations_.front();
      validations_.pop_front();
      SimNode& target = *nodes_[v.node];
      if (!target.up() || target.incarnation() != v.incarnation) continue;
      note(static_cast<int>(v.node),
           "validated h" + std::to_string(v.height) + " " + short_hex(v.digest) + ": valid");
      target.validated(v.height, v.digest, true);
      continue;
    }
    if (queue_.empty()) return;
    const InFlight item = queue_.front();
    queue_.pop_front();
    SimNode& target = *nodes_[item.to];
    const std::string what = format_message(item.message) + " from r" + std::to_string(item.from);
    if (!target.up()) {
      note(static_cast<int>(item.to), "down, lost " + what);
    } else if (!pass(item)) {
      note(static_cast<int>(item.to), "dropped by the script: " + what);
    } else {
      note(static_cast<int>(item.to), "recv " + what);
      target.step(item.message);
    }
  }
  checker_.fail(Invariant::kProgress, "the golden script did not go quiet");
}

GoldenRun finish(Script& script, std::vector<std::string> failures) {
  if (!script.checker().ok()) failures.push_back(script.checker().violation()->detail);
  return GoldenRun{script.text(), std::move(failures)};
}

// The block at height 1 as replica `i` executed it, or none.
std::optional<Hash> executed_hash(SimNode& node) {
  if (node.ledger().height() < 1) return std::nullopt;
  return node.ledger().hash_at(1);
}

GoldenRun view_change_script() {
  Script script;
  script.note(-1,
              "golden view_change: height 1 prepared at r1 and r2 in view 0, r0 crashes, "
              "view 1 commits the same block");
  script.start();
  script.submit_to_all();
  Hash proposed{};
  bool seen_proposal = false;
  // View 0: PREPAREs reach r1 and r2 only; every COMMIT is lost.
  script.run_until_quiet([&](const InFlight& item) {
    if (item.message.kind == MessageKind::kPrePrepare && !seen_proposal) {
      proposed = item.message.digest;
      seen_proposal = true;
    }
    if (item.message.kind == MessageKind::kCommit) return false;
    if (item.message.kind == MessageKind::kPrepare) return item.to == 1 || item.to == 2;
    return true;
  });
  script.note(0, "script: crash the primary");
  script.node(0).crash_now();
  // The backups hold the tx and an accepted proposal: their timers fire; view 1 runs
  // without any loss.
  for (int round = 0; round < 6 && !executed_hash(script.node(1)); ++round) {
    script.advance(kViewChangeTimeoutMs / 2 + 1);
    script.run_until_quiet([](const InFlight&) { return true; });
  }
  for (uint32_t i = 1; i < kReplicas; ++i) {
    const std::optional<Hash> hash = executed_hash(script.node(i));
    script.note(static_cast<int>(i), "result: view " +
                                         std::to_string(script.node(i).replica().view()) +
                                         ", height 1 = " + (hash ? short_hex(*hash) : "none") +
                                         " (view 0 proposed " + short_hex(proposed) + ")");
  }
  std::vector<std::string> failures;
  if (!seen_proposal) failures.push_back("replica 0 proposed nothing");
  for (uint32_t i = 1; i < kReplicas; ++i) {
    const std::optional<Hash> hash = executed_hash(script.node(i));
    if (!hash) {
      failures.push_back("replica " + std::to_string(i) + " did not commit height 1");
    } else if (*hash != proposed) {
      failures.push_back("replica " + std::to_string(i) + " committed " + short_hex(*hash) +
                         " at height 1, view 0 proposed " + short_hex(proposed));
    }
    if (script.node(i).up() && script.node(i).replica().view() != 1) {
      failures.push_back("replica " + std::to_string(i) + " is in view " +
                         std::to_string(script.node(i).replica().view()) + ", not 1");
    }
  }
  return finish(script, std::move(failures));
}

}  // namespace

std::vector<std::string> golden_names() { return {"view_change"}; }

GoldenRun run_golden(const std::string& name) {
  PHALANX_ASSERT_MSG(name == "view_change", "unknown golden script");
  return view_change_script();
}

std::string golden_path(const std::string& directory, const std::string& name) {
  return directory + "/" + name + ".golden";
}

Result<std::string> read_golden(const std::string& path) {
  return read_small_file(path, kGoldenBytesMax, "golden trace");
}

Status write_golden(const std::string& path, const std::string& text) {
  return write_file_atomically(path, text);
}

}  // namespace phalanx::sim
