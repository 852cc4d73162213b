// Restart from the persisted records: continuing, replaying identically, re-sending the
// same votes, and SafetyRules' refusal surviving the restart.
#include <gtest/gtest.h>

#include <algorithm>

#include "consensus/records.h"
#include "crypto/hash.h"
#include "tests/consensus/cluster.h"

namespace phalanx::consensus::testing {
namespace {

bool starts_with(const std::string& key, const char* prefix) { return key.rfind(prefix, 0) == 0; }

const Message* first_sent(const TestNode& node, MessageKind kind, uint64_t height) {
  for (const Outbound& out : node.sent) {
    if (out.message.kind == kind && out.message.height == height) return &out.message;
  }
  return nullptr;
}

TEST(Restart, RestartedReplicasContinueAndNeverOutputAHeightTwice) {
  Cluster cluster;
  for (int i = 0; i < 3; ++i) {
    cluster.propose(cluster.make_txs(1));
    cluster.pump();
  }
  for (uint32_t i = 0; i < cluster.n(); ++i) cluster.restart(i);
  cluster.pump();
  for (uint32_t i = 0; i < cluster.n(); ++i) {
    EXPECT_EQ(cluster.replica(i).committed_height(), 3u);
    EXPECT_EQ(cluster.replica(i).stable_checkpoint(), 0u);  // K = 4
  }
  for (int i = 0; i < 3; ++i) {
    cluster.propose(cluster.make_txs(1));
    cluster.pump();
  }
  for (uint32_t i = 0; i < cluster.n(); ++i) {
    ASSERT_EQ(cluster.node(i).applied.size(), 6u);  // apply() checks heights are contiguous
    EXPECT_EQ(cluster.replica(i).stable_checkpoint(), 4u);
  }
}

// A replica rebuilt from its records behaves exactly like the one that wrote them: fed the
// same messages, it persists and sends the same bytes.
TEST(Restart, RebuiltReplicaReplaysIdentically) {
  Cluster cluster;
  for (int i = 0; i < 2; ++i) {
    cluster.propose(cluster.make_txs(2));
    cluster.pump();
  }
  TestNode& node = cluster.node(1);
  auto twin = std::make_unique<Replica>(
      cluster.config_for(1),
      std::make_unique<Ed25519Signer>(crypto::SecretKey::from_seed(cluster.key(1).seed()),
                                      kChainId),
      std::make_unique<Ed25519Verifier>(cluster.config_for(1).validators, kChainId), node.disk,
      cluster.executed_state(1), cluster.now());
  EXPECT_FALSE(twin->has_ready());
  std::map<uint64_t, Hash> twin_roots = node.roots;
  const size_t sent_before = node.sent.size();
  const size_t persisted_before = node.persist_log.size();

  std::vector<Message> delivered;
  cluster.drop = [&](const Delivery& d) {
    if (d.to == 1) delivered.push_back(d.message);
    return false;
  };
  for (int i = 0; i < 3; ++i) {  // crosses the checkpoint at 4
    cluster.propose(cluster.make_txs(2));
    cluster.pump();
  }
  ASSERT_EQ(node.applied.size(), 5u);

  std::vector<Outbound> twin_sent;
  std::vector<PersistOp> twin_persisted;
  auto drain_twin = [&] {
    while (twin->has_ready()) {
      Ready ready = twin->ready();
      twin_persisted.insert(twin_persisted.end(), ready.to_persist.begin(), ready.to_persist.end());
      twin_sent.insert(twin_sent.end(), ready.messages.begin(), ready.messages.end());
      for (const CommittedBlock& block : ready.committed) {
        const uint64_t height = block.block.header.height;
        twin_roots[height] = crypto::sha256_pair(twin_roots.at(height - 1), block.hash);
        twin->on_executed(height, twin_roots[height]);
      }
      for (const ValidationRequest& request : ready.validation_requests) {
        twin->on_validated(request.height, request.digest, true);
      }
      twin->advance(ready);
    }
  };
  for (const Message& message : delivered) {
    twin->step(message);
    drain_twin();
  }
  ASSERT_EQ(twin_sent.size(), node.sent.size() - sent_before);
  for (size_t i = 0; i < twin_sent.size(); ++i) {
    EXPECT_EQ(twin_sent[i].to, node.sent[sent_before + i].to) << i;
    EXPECT_EQ(encode_message(twin_sent[i].message),
              encode_message(node.sent[sent_before + i].message))
        << i;
  }
  ASSERT_EQ(twin_persisted.size(), node.persist_log.size() - persisted_before);
  for (size_t i = 0; i < twin_persisted.size(); ++i) {
    EXPECT_EQ(twin_persisted[i].type, node.persist_log[persisted_before + i].type) << i;
    EXPECT_EQ(twin_persisted[i].key, node.persist_log[persisted_before + i].key) << i;
    EXPECT_EQ(twin_persisted[i].value, node.persist_log[persisted_before + i].value) << i;
  }
  EXPECT_EQ(twin->committed_height(), 5u);
  EXPECT_EQ(twin->stable_checkpoint(), 4u);
}

TEST(Restart, ReplicaRestartedMidHeightResendsTheSameVotes) {
  Cluster cluster;
  cluster.drop = [](const Delivery& d) { return d.message.kind == MessageKind::kCommit; };
  cluster.propose(cluster.make_txs(1));
  cluster.pump();
  const Message prepare = *first_sent(cluster.node(1), MessageKind::kPrepare, 1);
  const Message commit = *first_sent(cluster.node(1), MessageKind::kCommit, 1);
  cluster.restart(1);
  const size_t sent_before = cluster.node(1).sent.size();
  cluster.advance_time(cluster.config_for(1).retransmit_ms);
  cluster.drain(1);
  size_t resent = 0;
  for (size_t i = sent_before; i < cluster.node(1).sent.size(); ++i) {
    const Message& message = cluster.node(1).sent[i].message;
    if (message.kind == MessageKind::kPrepare) {
      EXPECT_EQ(encode_message(message), encode_message(prepare));
      ++resent;
    }
    if (message.kind == MessageKind::kCommit) {
      EXPECT_EQ(encode_message(message), encode_message(commit));
      ++resent;
    }
  }
  EXPECT_EQ(resent, 2u);
  cluster.drop = nullptr;
  cluster.advance_time(cluster.config_for(1).retransmit_ms);
  cluster.pump();
  for (uint32_t i = 0; i < cluster.n(); ++i) EXPECT_EQ(cluster.node(i).applied.size(), 1u) << i;
}

TEST(Restart, PrimaryRestartedAfterProposingResendsTheSameProposal) {
  Cluster cluster;
  cluster.drop = [](const Delivery&) { return true; };
  cluster.propose(cluster.make_txs(1));
  cluster.pump();
  const Hash digest = first_sent(cluster.node(0), MessageKind::kPrePrepare, 1)->digest;
  cluster.restart(0);
  EXPECT_TRUE(cluster.replica(0).can_propose());  // for height 2
  cluster.drop = nullptr;
  cluster.advance_time(cluster.config_for(0).retransmit_ms);
  cluster.pump();
  for (uint32_t i = 0; i < cluster.n(); ++i) {
    ASSERT_EQ(cluster.node(i).applied.size(), 1u) << i;
    EXPECT_EQ(cluster.node(i).applied[0].hash, digest);
  }
}

TEST(Restart, SafetyRulesRefuseASecondDigestAfterRestart) {
  Cluster cluster;
  cluster.drop = [](const Delivery& d) { return d.message.kind == MessageKind::kCommit; };
  cluster.propose(cluster.make_txs(1));
  cluster.pump();
  TestNode& node = cluster.node(1);
  ASSERT_TRUE(node.disk.contains(vote_key(MessageKind::kPrepare, 1, 0)));
  // Lose the accepted pre-prepare but keep the vote record: only SafetyRules remembers.
  node.disk.erase(accept_key(1, 0));
  node.disk.erase(prepared_key(1, 0));
  cluster.restart(1);
  const ledger::Block other = cluster.next_block(1, cluster.genesis_hash(), cluster.make_txs(2));
  const Message forged = cluster.sign_pre_prepare(0, 0, other);
  cluster.inject(1, forged);
  cluster.pump();
  EXPECT_EQ(cluster.replica(1).counters().safety_refusals, 1u);
  EXPECT_EQ(count_sent(node, MessageKind::kPrepare, 1, forged.digest), 0u);
}

// A backup records an accepted proposal together with its first vote on it, not on its own:
// one synced write per vote. A proposal it accepted and never voted on binds it to nothing
// across a restart; the primary's retransmission brings it back.
TEST(Restart, ABackupRecordsTheProposalWithItsFirstVote) {
  Cluster cluster;
  bool hold = true;
  cluster.validate = [&](uint32_t node, const ValidationRequest&) -> std::optional<bool> {
    if (node == 1 && hold) return std::nullopt;
    return true;
  };
  cluster.drop = [](const Delivery& d) {
    return d.to == 1 && d.message.kind != MessageKind::kPrePrepare;
  };
  cluster.propose(cluster.make_txs(1));
  cluster.pump();
  TestNode& node = cluster.node(1);
  ASSERT_EQ(node.held_validations.size(), 1u);
  EXPECT_FALSE(node.disk.contains(accept_key(1, 0)));
  for (const PersistOp& op : node.persist_log) {
    EXPECT_FALSE(starts_with(op.key, "accept/") || starts_with(op.key, "vote/")) << op.key;
  }
  // Restarted before voting: nothing to restore, and nothing lost.
  cluster.restart(1);
  hold = false;
  cluster.drop = nullptr;
  cluster.advance_time(cluster.config_for(0).retransmit_ms);
  cluster.pump();
  EXPECT_TRUE(node.disk.contains(accept_key(1, 0)));
  EXPECT_TRUE(node.disk.contains(vote_key(MessageKind::kPrepare, 1, 0)));
  // Recorded once, right before the vote's own record.
  size_t accepts = 0;
  for (size_t i = 0; i < node.persist_log.size(); ++i) {
    if (node.persist_log[i].key != accept_key(1, 0)) continue;
    ++accepts;
    ASSERT_LT(i + 1, node.persist_log.size());
    EXPECT_EQ(node.persist_log[i + 1].key, vote_key(MessageKind::kPrepare, 1, 0));
  }
  EXPECT_EQ(accepts, 1u);
  // It voted; the others committed without it (it left view 0's height 1 to catch-up).
  const bool prepared_sent =
      std::any_of(node.sent.begin(), node.sent.end(), [](const Outbound& out) {
        return out.message.kind == MessageKind::kPrepare && out.message.height == 1;
      });
  EXPECT_TRUE(prepared_sent);
  for (uint32_t i : {0u, 2u, 3u}) EXPECT_EQ(cluster.replica(i).committed_height(), 1u) << i;
}

TEST(Restart, SendBeforePersistMutationWritesNoVoteRecords) {
  for (bool mutated : {false, true}) {
    ClusterOptions options;
    options.mutations.send_before_persist = mutated;
    Cluster cluster(options);
    cluster.drop = [](const Delivery& d) { return d.message.kind == MessageKind::kCommit; };
    cluster.propose(cluster.make_txs(1));
    cluster.pump();
    size_t vote_records = 0;
    for (const auto& [key, value] : cluster.node(1).disk) {
      vote_records +=
          starts_with(key, "vote/") || starts_with(key, "accept/") || starts_with(key, "prepared/");
    }
    EXPECT_EQ(vote_records, mutated ? 0u : 4u) << mutated;
  }
}

TEST(Restart, DamagedRecordsAreReportedByKey) {
  ClusterOptions options;
  options.checkpoint_interval = 2;
  Cluster cluster(options);
  for (int i = 0; i < 3; ++i) {
    cluster.propose(cluster.make_txs(1));
    cluster.pump();
  }
  const Config config = cluster.config_for(1);
  auto disk = cluster.node(1).disk;
  ASSERT_TRUE(Replica::validate_persisted(config, disk, cluster.executed_state(1)).is_ok());
  // The ledger must not be behind the stable checkpoint.
  Status behind = Replica::validate_persisted(config, disk, ExecutedState{});
  ASSERT_FALSE(behind.is_ok());
  EXPECT_NE(behind.message().find("below the stable checkpoint 2"), std::string::npos);
  // A damaged block under an accept key.
  const std::string key = accept_key(3, 0);
  ASSERT_TRUE(disk.contains(key));
  disk[key].back() ^= 1;
  Status damaged = Replica::validate_persisted(config, disk, cluster.executed_state(1));
  ASSERT_FALSE(damaged.is_ok());
  EXPECT_NE(damaged.message().find(key), std::string::npos) << damaged.message();
  disk = cluster.node(1).disk;
  disk["vote/prepare/junk"] = {};
  EXPECT_FALSE(Replica::validate_persisted(config, disk, cluster.executed_state(1)).is_ok());
}

}  // namespace
}  // namespace phalanx::consensus::testing
