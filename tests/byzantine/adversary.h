// byzantine::Adversary: the NodeHooks (node/node_hooks.h) of the test build phalanxd-byzantine.
// It rewrites what the node sends, answers some requests with lies and injects junk, for the
// behaviours it was given (behaviours.h, docs/byzantine.md), and can slow every ledger commit
// to simulate a slow disk. Every random choice comes from one Rng seeded from
// AdversaryOptions::seed (default: the validator index); the seed is logged. What it did is
// logged as "byzantine: ..." lines in the node's log: the first few of each behaviour in full,
// then a count per behaviour every few seconds and at shutdown.
// Thread-safety: as NodeHooks (the node's event-loop thread).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "consensus/types.h"
#include "node/node_hooks.h"
#include "tests/byzantine/behaviours.h"
#include "tests/testutil/rng.h"

namespace phalanx::byzantine {

struct AdversaryOptions {
  Behaviours behaviours;
  std::optional<uint64_t> seed;  // nullopt: the validator index
  uint64_t slow_commit_ms = 0;   // sleep before each ledger block commit
};

class Adversary final : public node::NodeHooks {
 public:
  explicit Adversary(AdversaryOptions options);
  ~Adversary() override;

  void attach(const node::HookContext& context) override;
  std::vector<node::HookFrame> outbound(const consensus::Outbound& outbound) override;
  std::vector<node::HookFrame> inbound(uint32_t from, const consensus::Message& message) override;
  std::vector<node::HookFrame> tick(uint64_t now_ms) override;
  void before_commit(uint64_t height) override;

 private:
  // What to send for one outbound message: (recipient or nullopt for all, message) in order.
  using Plan = std::vector<std::pair<std::optional<uint32_t>, consensus::Message>>;
  // The PRE-PREPARE(s) sent for one (view, height) this node proposed.
  struct Proposal {
    bool equivocate = false;  // else bad transactions
    consensus::Message twin;  // the second proposal, or the one with bad transactions
  };
  struct Sent {
    uint64_t at_ms = 0;
    Bytes frame;
  };

  std::vector<uint32_t> recipients(const consensus::Outbound& outbound) const;
  Plan plan(const consensus::Outbound& outbound);
  Plan proposal_plan(const consensus::Outbound& outbound);
  std::optional<Proposal> make_proposal(const consensus::Message& original);
  Plan vote_plan(const consensus::Outbound& outbound);
  Plan split_plan(const consensus::Outbound& outbound, const consensus::Message& lie);
  consensus::Message forged_response(uint64_t height);
  std::vector<node::HookFrame> finish(const Plan& plan);
  void junk(std::vector<node::HookFrame>* frames);
  void fired(Behaviour behaviour, const std::string& detail);
  void log_summary();
  uint32_t random_peer();

  AdversaryOptions options_;
  uint32_t self_ = 0;
  const ledger::Genesis* genesis_ = nullptr;
  const ledger::Store* store_ = nullptr;
  spdlog::logger* log_ = nullptr;
  std::optional<crypto::SecretKey> key_;       // the validator key
  std::optional<crypto::SecretKey> stranger_;  // an unfunded account's key (bad-txs)
  consensus::Config config_;                   // chain, validators, limits (no replica)
  testutil::Rng rng_{0};
  std::map<std::pair<uint64_t, uint64_t>, Proposal> proposals_;  // (view, height); bounded
  std::vector<ledger::SignedTransaction> proposed_txs_;          // from own proposals; bounded
  std::deque<Sent> sent_;                                        // signed frames; bounded
  std::array<uint64_t, kBehaviourCount> fired_{};
  uint64_t fired_logged_sum_ = 0;
  uint64_t now_ms_ = 0;
  uint64_t junk_ms_ = 0;
  uint64_t replay_ms_ = 0;
  uint64_t summary_ms_ = 0;
};

}  // namespace phalanx::byzantine
