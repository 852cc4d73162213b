// Real processes against a Byzantine validator: three phalanxd and one phalanxd-byzantine
// (docs/byzantine.md) on 127.0.0.1. The honest nodes must commit every transfer, agree on
// every block hash, stay up, and show in their logs that they refused the lies; the
// Byzantine node's log shows what it did. Also: --slow-commit-ms alone, and the command line.
#include <algorithm>
#include <cstdio>

#include "gtest/gtest.h"
#include "tests/byzantine/behaviours.h"
#include "tests/node/node_cluster.h"

namespace phalanx::node::testing {
namespace {

using Counts = std::map<std::string, uint64_t>;

const std::string kRefusedLine = "refused from peers so far: ";
const std::string kFiredLine = "byzantine: fired so far: ";

std::string log_of(const Cluster& cluster, uint32_t node) {
  return read_text_file(cluster.node(node).home + "/node.log");
}

// The "name N, name N" counts of the last `marker` line of `log`.
Counts last_counts(const std::string& log, const std::string& marker) {
  Counts counts;
  const size_t at = log.rfind(marker);
  if (at == std::string::npos) return counts;
  const size_t start = at + marker.size();
  const std::string line = log.substr(start, log.find('\n', start) - start);
  size_t item = 0;
  while (item < line.size()) {
    const size_t end = std::min(line.find(", ", item), line.size());
    const std::string text = line.substr(item, end - item);
    const size_t space = text.rfind(' ');
    if (space != std::string::npos) {
      counts[text.substr(0, space)] = std::strtoull(text.c_str() + space + 1, nullptr, 10);
    }
    item = end + 2;
  }
  return counts;
}

// The sum over `nodes` of what their last refusal line counts under `name`.
uint64_t refused(const Cluster& cluster, const std::vector<uint32_t>& nodes,
                 const std::string& name) {
  uint64_t sum = 0;
  for (uint32_t i : nodes) sum += last_counts(log_of(cluster, i), kRefusedLine)[name];
  return sum;
}

uint64_t fired(const Cluster& cluster, uint32_t node, const std::string& behaviour) {
  return last_counts(log_of(cluster, node), kFiredLine)[behaviour];
}

// Faucet transfers nonce first..last, each through one of `via` in turn, all committed on
// every node of `via`.
void commit_transfers(Cluster& cluster, const std::vector<uint32_t>& via, uint64_t first,
                      uint64_t last) {
  std::vector<ledger::SignedTransaction> txs;
  for (uint64_t nonce = first; nonce <= last; ++nonce) {
    txs.push_back(cluster.transfer(test_address(2), 1, nonce));
    ASSERT_NO_FATAL_FAILURE(submit_ok(cluster, via[nonce % via.size()], txs.back()));
  }
  for (const auto& tx : txs) {
    ASSERT_TRUE(wait_until([&] { return cluster.committed_on(via, tx.hash); }))
        << "transfer nonce " << tx.tx.nonce << " not committed on the honest nodes";
  }
}

// Every honest node agrees with the first on every height up to the lowest of them.
void expect_honest_agree(Cluster& cluster, const std::vector<uint32_t>& honest) {
  uint64_t lowest = UINT64_MAX;
  for (uint32_t i : honest) lowest = std::min(lowest, cluster.height(i).value_or(0));
  ASSERT_GT(lowest, 0u);
  cluster.expect_same_chain(honest, lowest);
}

// Starts the `byzantine` nodes as phalanxd-byzantine --byzantine all, the others as phalanxd.
void start_with_byzantine(Cluster& cluster, const std::vector<uint32_t>& byzantine) {
  for (uint32_t i : byzantine) {
    cluster.set_program(i, PHALANX_BYZANTINE_PATH,
                        {"--byzantine", "all", "--byzantine-seed", std::to_string(7 + i)});
  }
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_for_peers(all_nodes(cluster.n())));
}

// A Byzantine backup (not the primary of view 0) running every behaviour.
TEST(ByzantineProcess, ByzantineBackupCannotStopOrSplitTheHonestNodes) {
  Cluster cluster;
  const std::vector<uint32_t> honest{0, 1, 2};
  ASSERT_NO_FATAL_FAILURE(start_with_byzantine(cluster, {3}));
  ASSERT_NO_FATAL_FAILURE(commit_transfers(cluster, honest, 0, 11));
  // The idle chain makes the honest nodes believe the inflated STATUS and ask the Byzantine
  // node for blocks, which it forges; the first refusals come within a few seconds (then its
  // claim loses its standing and is tried again only after a backoff: docs/consensus.md).
  const std::vector<std::string> expected{"bad signatures", "malformed frames",
                                          "frames naming another sender",
                                          "forged catch-up responses"};
  const bool seen = wait_until([&] {
    return std::all_of(expected.begin(), expected.end(),
                       [&](const std::string& name) { return refused(cluster, honest, name) > 0; });
  });
  for (const std::string& name : expected) {
    EXPECT_GT(refused(cluster, honest, name), 0u) << "the honest nodes never refused " << name;
  }
  ASSERT_TRUE(seen);
  // Its own account (logged every five seconds).
  for (const char* behaviour :
       {"conflicting-votes", "bad-signatures", "garbage", "replay", "forged-catch-up"}) {
    EXPECT_TRUE(wait_until([&] { return fired(cluster, 3, behaviour) > 0; })) << behaviour;
  }
  // Still live after all that, and still one chain.
  ASSERT_NO_FATAL_FAILURE(commit_transfers(cluster, honest, 12, 14));
  expect_honest_agree(cluster, honest);
}

// The primary of view 0 is Byzantine: it equivocates and spoils its blocks. The honest nodes
// refuse what is refutable, vote it out if it stalls them, and commit every transfer.
TEST(ByzantineProcess, ByzantinePrimaryCannotStopOrSplitTheHonestNodes) {
  Cluster cluster;
  const std::vector<uint32_t> honest{1, 2, 3};
  ASSERT_NO_FATAL_FAILURE(start_with_byzantine(cluster, {0}));
  ASSERT_NO_FATAL_FAILURE(commit_transfers(cluster, honest, 0, 11));
  EXPECT_TRUE(wait_until([&] {
    return fired(cluster, 0, "equivocate") + fired(cluster, 0, "bad-txs") > 0;
  })) << "the Byzantine primary never proposed";
  // Refutable lies are refused; an equivocation split between disjoint halves of the backups
  // is not refutable by any one of them and gathers no quorum, so the honest nodes vote the
  // primary out instead (which one happens first depends on timing).
  const auto left_view_0 = [&] {
    return std::all_of(honest.begin(), honest.end(), [&](uint32_t i) {
      const auto status = cluster.result(i, "getStatus");
      return status && status->is_object() && (*status)["view"].get<uint64_t>() > 0;
    });
  };
  const auto refused_or_left = [&] {
    return refused(cluster, honest, "equivocating pre-prepares") +
                   refused(cluster, honest, "invalid proposals") >
               0 ||
           left_view_0();
  };
  // The adversary spoils a random choice of its proposals, and half of its spoilt blocks are
  // not refutable before execution (a replayed or a gapped transfer simply fails): when the
  // chain goes idle before a refutable lie, more transfers give it more proposals to spoil.
  uint64_t next_nonce = 12;
  bool seen = false;
  for (int round = 0; round < 8 && !seen; ++round) {
    seen = wait_until(refused_or_left, std::chrono::seconds(3));  // refusals are logged every 2 s
    if (seen) break;
    ASSERT_NO_FATAL_FAILURE(commit_transfers(cluster, honest, next_nonce, next_nonce + 3));
    next_nonce += 4;
  }
  EXPECT_TRUE(seen) << "no honest node refused a proposal of the Byzantine primary, and the "
                       "honest nodes never voted it out";
  ASSERT_NO_FATAL_FAILURE(commit_transfers(cluster, honest, next_nonce, next_nonce + 2));
  expect_honest_agree(cluster, honest);
}

// f = 2 of n = 7: the primary of view 0 and a backup are Byzantine.
TEST(ByzantineProcess, TwoByzantineOfSevenCannotStopOrSplitTheHonestNodes) {
  ClusterOptions options;
  options.n = 7;
  Cluster cluster(options);
  const std::vector<uint32_t> honest{1, 2, 3, 5, 6};
  ASSERT_NO_FATAL_FAILURE(start_with_byzantine(cluster, {0, 4}));
  ASSERT_NO_FATAL_FAILURE(commit_transfers(cluster, honest, 0, 14));
  EXPECT_TRUE(wait_until([&] {
    return refused(cluster, honest, "bad signatures") > 0 &&
           refused(cluster, honest, "forged catch-up responses") > 0;
  })) << "the honest nodes never refused a lie";
  ASSERT_NO_FATAL_FAILURE(commit_transfers(cluster, honest, 15, 17));
  expect_honest_agree(cluster, honest);
}

// --slow-commit-ms alone: the slow node sleeps before each ledger commit, falls behind while
// blocks come quickly, and still ends on the same chain.
TEST(ByzantineProcess, SlowCommitNodeStaysInStepSlower) {
  constexpr uint64_t kSlowMs = 200;
  constexpr uint64_t kBlocks = 6;
  Cluster cluster;
  cluster.set_program(3, PHALANX_BYZANTINE_PATH, {"--slow-commit-ms", std::to_string(kSlowMs)});
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_for_peers(all_nodes(4)));
  // One block per transfer: each is committed on the fast nodes before the next is sent.
  for (uint64_t nonce = 0; nonce < kBlocks; ++nonce) {
    const auto tx = cluster.transfer(test_address(4), 1, nonce);
    ASSERT_NO_FATAL_FAILURE(submit_ok(cluster, nonce % 3, tx));
    ASSERT_TRUE(wait_until([&] { return cluster.committed_on({0, 1, 2}, tx.hash); }));
  }
  const uint64_t height = cluster.height(0).value_or(0);
  ASSERT_GE(height, kBlocks);
  cluster.expect_same_chain(all_nodes(4), height);
  // The slow node's ledger commits are at least kSlowMs apart (its log has millisecond times;
  // the blocks of one ledger transaction are logged together, within a few ms).
  const std::string log = log_of(cluster, 3);
  EXPECT_NE(log.find("slow commit " + std::to_string(kSlowMs) + " ms"), std::string::npos);
  std::vector<uint64_t> times_ms;
  for (size_t at = log.find("committed block"); at != std::string::npos;
       at = log.find("committed block", at + 1)) {
    const size_t line = log.rfind('\n', at) + 1;  // "YYYY-MM-DDTHH:MM:SS.mmm ..."
    const auto field = [&](size_t offset, size_t length) {
      return std::stoull(log.substr(line + offset, length));
    };
    times_ms.push_back(((field(11, 2) * 60 + field(14, 2)) * 60 + field(17, 2)) * 1000 +
                       field(20, 3));
  }
  ASSERT_GE(times_ms.size(), kBlocks);
  constexpr uint64_t kSameTransactionMs = 5;
  size_t transactions = 1;
  for (size_t i = 1; i < times_ms.size(); ++i) {
    const uint64_t gap = times_ms[i] - times_ms[i - 1];
    if (gap <= kSameTransactionMs) continue;
    ++transactions;
    EXPECT_GE(gap, kSlowMs - 5) << "commits " << i - 1 << " and " << i;
  }
  EXPECT_GE(transactions, 2u) << "every block in one ledger transaction: nothing was slowed";
}

TEST(ByzantineCommandLine, UnknownBehaviourAndBadFlagsAreUsageErrors) {
  const std::string home = "/nonexistent-phalanx-home";
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"run", "--home", home, "--byzantine", "bogus"},
                                             {"--home", home, "--byzantine", "equivocate,bogus"},
                                             {"--home", home, "--byzantine", ""},
                                             {"--home", home, "--slow-commit-ms", "soon"},
                                             {"--home", home, "--slow-commit-ms", "-1"},
                                             {"--home", home, "--byzantine-seed", "x"},
                                             {"--byzantine", "all"},
                                             {"--home", home, "--bogus-flag"}}) {
    const CommandResult result = run_program(PHALANX_BYZANTINE_PATH, args);
    EXPECT_EQ(result.exit_code, 2) << args.back() << ": " << result.err;
    EXPECT_NE(result.err.find("phalanxd-byzantine: error: "), std::string::npos) << result.err;
  }
  const CommandResult unknown =
      run_program(PHALANX_BYZANTINE_PATH, {"--home", home, "--byzantine", "replay,bogus"});
  EXPECT_NE(unknown.err.find("unknown behaviour 'bogus'"), std::string::npos) << unknown.err;
  // Well-formed flags get as far as the home directory.
  const CommandResult missing_home =
      run_program(PHALANX_BYZANTINE_PATH, {"run", "--home", home, "--byzantine", "all"});
  EXPECT_EQ(missing_home.exit_code, 1) << missing_home.err;
  EXPECT_NE(missing_home.err.find("does not exist"), std::string::npos) << missing_home.err;
}

TEST(ByzantineCommandLine, HelpTellsEveryBehaviourAndTheReleaseNodeHasNone) {
  const CommandResult help = run_program(PHALANX_BYZANTINE_PATH, {"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* text : {"--home", "--byzantine ", "--byzantine-seed", "--slow-commit-ms"}) {
    EXPECT_NE(help.out.find(text), std::string::npos) << text << " in\n" << help.out;
  }
  for (std::string_view name : byzantine::kBehaviourNames) {
    EXPECT_NE(help.out.find(std::string(name)), std::string::npos) << name;
  }
  // phalanxd knows neither the flags nor the behaviours.
  const CommandResult release =
      run_phalanxd({"run", "--home", "/nonexistent-phalanx-home", "--byzantine", "all"});
  EXPECT_EQ(release.exit_code, 2) << release.err;
  const std::string binary = read_text_file(PHALANX_PHALANXD_PATH);
  ASSERT_FALSE(binary.empty());
  EXPECT_EQ(binary.find("byzantine: "), std::string::npos);
  EXPECT_EQ(binary.find("forged-catch-up"), std::string::npos);
}

}  // namespace
}  // namespace phalanx::node::testing
