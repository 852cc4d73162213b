// State tree: known answers, proofs (membership, absence, tampered), random batches checked
// against a naive recursive root, and canonical storage (no stale nodes).
#include "ledger/state_tree.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <span>

#include "ledger/state.h"
#include "tests/testutil/rng.h"

namespace phalanx::ledger {
namespace {

using testutil::Rng;

Hash sha(std::initializer_list<ByteSpan> parts) {
  Bytes all;
  for (ByteSpan part : parts) all.insert(all.end(), part.begin(), part.end());
  return crypto::sha256(all);
}

// The grammar of state_tree.h written out directly, independent of the implementation.
Hash naive_leaf(const Hash& key, const Hash& value) {
  const uint8_t tag = 0x00;
  return sha({ByteSpan(&tag, 1), key, value});
}
Hash naive_internal(const Hash& left, const Hash& right) {
  const uint8_t tag = 0x01;
  return sha({ByteSpan(&tag, 1), left, right});
}
bool bit(const Hash& key, uint32_t i) { return (key[i / 8] >> (7 - i % 8)) & 1; }

// REQUIRES: `leaves` sorted by key and sharing their first `depth` bits, so the keys with
// bit `depth` clear come first.
Hash naive_root(std::span<const std::pair<Hash, Hash>> leaves, uint32_t depth) {
  if (leaves.empty()) return Hash{};
  if (leaves.size() == 1) return naive_leaf(leaves[0].first, leaves[0].second);
  const auto split = std::partition_point(
      leaves.begin(), leaves.end(), [&](const auto& leaf) { return !bit(leaf.first, depth); });
  const size_t zeros = static_cast<size_t>(split - leaves.begin());
  return naive_internal(naive_root(leaves.first(zeros), depth + 1),
                        naive_root(leaves.subspan(zeros), depth + 1));
}
Hash naive_root(const std::map<Hash, Hash>& model) {
  const std::vector<std::pair<Hash, Hash>> leaves(model.begin(), model.end());
  return naive_root(leaves, 0);
}

Hash key_with_prefix(uint8_t first_byte, uint8_t last_byte) {
  Hash key{};
  key[0] = first_byte;
  key[31] = last_byte;
  return key;
}

Hash apply_ok(StateTree& tree, std::vector<TreeUpdate> updates) {
  std::sort(updates.begin(), updates.end(),
            [](const TreeUpdate& a, const TreeUpdate& b) { return a.key < b.key; });
  auto root = tree.apply(updates);
  EXPECT_TRUE(root.is_ok()) << root.status().to_string();
  return root.is_ok() ? *root : Hash{};
}

TEST(StateTreeTest, EmptyTreeHasZeroRootAndProvesAbsence) {
  MemoryNodeStore nodes;
  StateTree tree(nodes);
  EXPECT_EQ(*tree.root_hash(), Hash{});
  const Hash key = key_with_prefix(0x12, 1);
  auto proof = tree.prove(key);
  ASSERT_TRUE(proof.is_ok());
  EXPECT_TRUE(proof->siblings.empty());
  EXPECT_TRUE(verify_proof(Hash{}, key, std::nullopt, *proof));
  EXPECT_FALSE(verify_proof(Hash{}, key, Hash{}, *proof));
  EXPECT_EQ(apply_ok(tree, {}), Hash{});
  EXPECT_EQ(*tree.get(key), std::nullopt);
}

TEST(StateTreeTest, StructuralKnownAnswers) {
  MemoryNodeStore nodes;
  StateTree tree(nodes);
  const Hash value_a = crypto::sha256(as_span("a"));
  const Hash value_b = crypto::sha256(as_span("b"));
  const Hash value_c = crypto::sha256(as_span("c"));
  const Hash a = key_with_prefix(0x00, 1);  // bits 000...
  const Hash b = key_with_prefix(0x20, 2);  // bits 001...
  const Hash c = key_with_prefix(0x80, 3);  // bits 1...
  // One leaf: the root is the leaf itself.
  EXPECT_EQ(apply_ok(tree, {{a, value_a}}), naive_leaf(a, value_a));
  // a and b share bits 0 and 1 and split at bit 2.
  const Hash ab = naive_internal(naive_leaf(a, value_a), naive_leaf(b, value_b));
  EXPECT_EQ(apply_ok(tree, {{b, value_b}}), naive_internal(naive_internal(ab, Hash{}), Hash{}));
  // c splits from both at bit 0.
  const Hash abc = naive_internal(naive_internal(ab, Hash{}), naive_leaf(c, value_c));
  EXPECT_EQ(apply_ok(tree, {{c, value_c}}), abc);
  // Deleting b collapses a back up to depth 1.
  EXPECT_EQ(apply_ok(tree, {{b, std::nullopt}}),
            naive_internal(naive_leaf(a, value_a), naive_leaf(c, value_c)));
}

// Pins the whole format: address -> key, account encoding -> value hash, node grammar. The
// constant was cross-checked with an independent Python (hashlib) rendering of the grammar.
TEST(StateTreeTest, KnownAnswerRootForFixedAccounts) {
  std::map<Address, Account> accounts;
  for (uint8_t i = 1; i <= 4; ++i) {
    Address address;
    address.bytes.fill(i);
    accounts[address] = Account{1000u * i, i - 1u};
  }
  std::map<Hash, Hash> model;
  for (const auto& [address, account] : accounts) {
    model[account_key(address)] = account_value_hash(account);
  }
  const Hash root = compute_state_root(accounts);
  EXPECT_EQ(root, naive_root(model));
  EXPECT_EQ(crypto::to_hex(root),
            "c6dd90d3ae5a11d9dee0ec83c38d7200c23849c49a0e903a0c52d032eb172bef");
  EXPECT_EQ(hex_encode(encode_account(Account{1000, 7})), "00000000000003e80000000000000007");
}

TEST(StateTreeTest, RandomBatchesMatchNaiveRootAndStorageIsCanonical) {
  Rng rng(20261126);
  MemoryNodeStore nodes;
  StateTree tree(nodes);
  std::map<Hash, Hash> model;
  std::vector<Hash> known;
  for (int round = 0; round < 40; ++round) {
    std::map<Hash, std::optional<Hash>> batch;
    const uint64_t size = 1 + rng.below(round % 10 == 0 ? 300 : 40);
    for (uint64_t i = 0; i < size; ++i) {
      const uint64_t kind = rng.below(10);
      if (kind < 5 || known.empty()) {  // insert a new key
        const Hash key = rng.hash();
        known.push_back(key);
        batch[key] = rng.hash();
      } else if (kind < 8) {  // update or delete an existing key
        batch[known[rng.below(known.size())]] =
            kind < 7 ? std::optional<Hash>(rng.hash()) : std::nullopt;
      } else {  // delete a key that was never inserted
        batch[rng.hash()] = std::nullopt;
      }
    }
    std::vector<TreeUpdate> updates;
    for (const auto& [key, value] : batch) {
      updates.push_back({key, value});
      if (value)
        model[key] = *value;
      else
        model.erase(key);
    }
    ASSERT_EQ(apply_ok(tree, updates), naive_root(model)) << "round " << round;
  }
  ASSERT_GT(model.size(), 200u);
  // Updated in place: exactly the nodes a fresh build of the same set writes, no more.
  MemoryNodeStore fresh_nodes;
  StateTree fresh(fresh_nodes);
  std::vector<TreeUpdate> all;
  for (const auto& [key, value] : model) all.push_back({key, value});
  EXPECT_EQ(apply_ok(fresh, all), naive_root(model));
  EXPECT_EQ(nodes.nodes(), fresh_nodes.nodes());
  // Lookups.
  for (int i = 0; i < 50; ++i) {
    const Hash& key = known[rng.below(known.size())];
    auto it = model.find(key);
    EXPECT_EQ(*tree.get(key), it == model.end() ? std::nullopt : std::optional<Hash>(it->second));
  }
}

TEST(StateTreeTest, DeletingEverythingLeavesOnlyAnEmptyRoot) {
  Rng rng(7);
  MemoryNodeStore nodes;
  StateTree tree(nodes);
  std::vector<TreeUpdate> inserts, deletes;
  for (int i = 0; i < 500; ++i) inserts.push_back({rng.hash(), rng.hash()});
  for (const auto& insert : inserts) deletes.push_back({insert.key, std::nullopt});
  apply_ok(tree, inserts);
  EXPECT_GT(nodes.nodes().size(), 16u);
  EXPECT_EQ(apply_ok(tree, deletes), Hash{});
  EXPECT_EQ(nodes.nodes().size(), 1u);  // the root record, now empty
}

TEST(StateTreeTest, LongSharedPrefixesBuildAndCollapseChains) {
  MemoryNodeStore nodes;
  StateTree tree(nodes);
  Hash a{}, b{};
  a.fill(0x5a);
  b = a;
  b[31] ^= 0x01;  // a and b share 255 bits
  const Hash value = crypto::sha256(as_span("v"));
  std::map<Hash, Hash> model = {{a, value}, {b, value}};
  EXPECT_EQ(apply_ok(tree, {{a, value}, {b, value}}), naive_root(model));
  EXPECT_EQ(nodes.nodes().size(), 64u);  // a chain of one node per nibble
  auto proof = tree.prove(a);
  ASSERT_TRUE(proof.is_ok());
  EXPECT_EQ(proof->siblings.size(), 256u);
  EXPECT_TRUE(verify_proof(naive_root(model), a, value, *proof));
  model.erase(b);
  EXPECT_EQ(apply_ok(tree, {{b, std::nullopt}}), naive_root(model));
  EXPECT_EQ(nodes.nodes().size(), 1u);
}

class StateTreeProofTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Rng rng(99);
    std::vector<TreeUpdate> updates;
    for (int i = 0; i < 300; ++i) {
      const Hash key = rng.hash();
      const Hash value = rng.hash();
      model_[key] = value;
    }
    for (const auto& [key, value] : model_) updates.push_back({key, value});
    root_ = apply_ok(tree_, updates);
    absent_ = rng.hash();
  }
  MemoryNodeStore nodes_;
  StateTree tree_{nodes_};
  std::map<Hash, Hash> model_;
  Hash root_{};
  Hash absent_{};
};

TEST_F(StateTreeProofTest, MembershipProofsVerifyAndAreLogarithmic) {
  for (const auto& [key, value] : model_) {
    auto proof = tree_.prove(key);
    ASSERT_TRUE(proof.is_ok());
    EXPECT_TRUE(verify_proof(root_, key, value, *proof));
    EXPECT_FALSE(verify_proof(root_, key, std::nullopt, *proof));  // not an absence proof
    EXPECT_LE(proof->siblings.size(), 40u);
  }
}

TEST_F(StateTreeProofTest, AbsenceProofsVerify) {
  Rng rng(5);
  for (int i = 0; i < 200; ++i) {
    const Hash key = rng.hash();
    auto proof = tree_.prove(key);
    ASSERT_TRUE(proof.is_ok());
    EXPECT_TRUE(verify_proof(root_, key, std::nullopt, *proof));
    EXPECT_FALSE(verify_proof(root_, key, rng.hash(), *proof));
  }
}

TEST_F(StateTreeProofTest, TamperedProofsFail) {
  const auto& [key, value] = *std::next(model_.begin(), 17);
  const TreeProof good = *tree_.prove(key);
  ASSERT_TRUE(verify_proof(root_, key, value, good));
  for (size_t i = 0; i < good.siblings.size(); ++i) {
    TreeProof bad = good;
    bad.siblings[i][i % 32] ^= 0x01;
    EXPECT_FALSE(verify_proof(root_, key, value, bad)) << "sibling " << i;
  }
  TreeProof shorter = good;
  shorter.siblings.pop_back();
  EXPECT_FALSE(verify_proof(root_, key, value, shorter));
  TreeProof longer = good;
  longer.siblings.push_back(Hash{});
  EXPECT_FALSE(verify_proof(root_, key, value, longer));
  Hash other_value = value;
  other_value[0] ^= 0x80;
  EXPECT_FALSE(verify_proof(root_, key, other_value, good));
  Hash other_root = root_;
  other_root[31] ^= 0x01;
  EXPECT_FALSE(verify_proof(other_root, key, value, good));
  // Another key's leaf and path do not prove this key, present or absent.
  const auto& [key2, value2] = *std::next(model_.begin(), 200);
  const TreeProof other = *tree_.prove(key2);
  EXPECT_FALSE(verify_proof(root_, key, value2, other));
  EXPECT_FALSE(verify_proof(root_, key, std::nullopt, other));
  TreeProof too_long;
  too_long.siblings.resize(257);
  EXPECT_FALSE(verify_proof(root_, key, std::nullopt, too_long));
}

TEST_F(StateTreeProofTest, TamperedAbsenceProofsFail) {
  const auto& [present_key, present_value] = *model_.begin();
  // A present key cannot be shown absent with its own membership proof's leaf.
  EXPECT_FALSE(verify_proof(root_, present_key, std::nullopt, *tree_.prove(present_key)));
  TreeProof absence = *tree_.prove(absent_);
  ASSERT_TRUE(verify_proof(root_, absent_, std::nullopt, absence));
  if (absence.leaf) {
    TreeProof bad = absence;
    bad.leaf->value_hash[5] ^= 0x10;
    EXPECT_FALSE(verify_proof(root_, absent_, std::nullopt, bad));
    bad = absence;
    bad.leaf.reset();
    EXPECT_FALSE(verify_proof(root_, absent_, std::nullopt, bad));
  } else {
    TreeProof bad = absence;
    bad.leaf = TreeLeaf{present_key, present_value};
    EXPECT_FALSE(verify_proof(root_, absent_, std::nullopt, bad));
  }
  for (size_t i = 0; i < absence.siblings.size(); ++i) {
    TreeProof bad = absence;
    bad.siblings[i][0] ^= 0x04;
    EXPECT_FALSE(verify_proof(root_, absent_, std::nullopt, bad));
  }
}

TEST_F(StateTreeProofTest, ProofEncodingRoundTripsAndRejectsMalformedBytes) {
  for (const Hash& key : {model_.begin()->first, absent_}) {
    const TreeProof proof = *tree_.prove(key);
    auto decoded = decode_proof(encode_proof(proof));
    ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
    EXPECT_EQ(*decoded, proof);
  }
  const Bytes good = encode_proof(*tree_.prove(model_.begin()->first));
  Bytes truncated(good.begin(), good.end() - 1);
  EXPECT_FALSE(decode_proof(truncated).is_ok());
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_FALSE(decode_proof(trailing).is_ok());
  Bytes bad_terminal = {0x00, 0x00, 0x02};
  EXPECT_FALSE(decode_proof(bad_terminal).is_ok());
  Bytes huge_count = {0xff, 0xff, 0x00};  // claims 65535 siblings in 3 bytes
  EXPECT_FALSE(decode_proof(huge_count).is_ok());
}

TEST(TreeNodeTest, DecodeRejectsMalformedRecords) {
  TreeNode node;
  node.slots[3] = TreeSlot::make_internal(crypto::sha256(as_span("x")));
  node.slots[9] = TreeSlot::make_leaf({crypto::sha256(as_span("k")), crypto::sha256(as_span("v"))});
  const Bytes good = encode_node(node);
  TreeNode decoded;
  ASSERT_TRUE(decode_node(good, &decoded).is_ok());
  EXPECT_EQ(decoded, node);
  Bytes leaf_not_present = good;
  leaf_not_present[3] |= 0x01;  // slot 0 marked leaf but not present
  EXPECT_FALSE(decode_node(leaf_not_present, &decoded).is_ok());
  Bytes trailing = good;
  trailing.push_back(1);
  EXPECT_FALSE(decode_node(trailing, &decoded).is_ok());
  Bytes truncated(good.begin(), good.end() - 1);
  EXPECT_FALSE(decode_node(truncated, &decoded).is_ok());
}

TEST(TreeNodeTest, CorruptStoredNodeIsAnError) {
  MemoryNodeStore nodes;
  StateTree tree(nodes);
  Rng rng(3);
  std::vector<TreeUpdate> updates;
  for (int i = 0; i < 40; ++i) updates.push_back({rng.hash(), rng.hash()});
  apply_ok(tree, updates);
  ASSERT_TRUE(nodes.put(tree_node_key(Hash{}, 0).span(), Bytes{0xff}).is_ok());
  EXPECT_FALSE(tree.root_hash().is_ok());
  EXPECT_FALSE(tree.prove(rng.hash()).is_ok());
  EXPECT_FALSE(tree.apply(std::vector<TreeUpdate>{{rng.hash(), rng.hash()}}).is_ok());
}

}  // namespace
}  // namespace phalanx::ledger
