// The in-memory state tree (ledger/mem_tree.h) against StateTree over a MemoryNodeStore (the
// reference): same roots batch after batch, the same node records, versions that stay as they
// were, the loader's round trip and its refusal of corrupt records, a failed apply, and who
// frees the versions' nodes. The tree in LMDB through TreeCache: mem_tree_lmdb_test.cc.
#include "ledger/mem_tree.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "tests/ledger/tree_batches.h"
#include "tests/testutil/rng.h"

namespace phalanx::ledger {
namespace {

using testutil::Rng;

// Every node of a version as (key, record), as a flush from nothing would write them.
std::map<std::string, Bytes> records_of(const MemNode* root) {
  std::map<std::string, Bytes> out;
  Status status =
      mem_tree_for_each_newer(root, 0, [&](const TreeNodeKey& key, const MemNode& node) {
        out[std::string(key.span().begin(), key.span().end())] = encode_node(node.to_tree_node());
        return Status::ok();
      });
  EXPECT_TRUE(status.is_ok()) << status.to_string();
  return out;
}

// A tree of `count` random keys (with near neighbours, see random_batch), built in one apply.
MemTree random_tree(uint64_t seed, uint64_t count) {
  Rng rng(seed);
  std::vector<Hash> known;
  MemTreeChanges changes;
  MemTree tree;
  auto root = tree.apply(random_batch(rng, &known, count), &changes);
  EXPECT_TRUE(root.is_ok()) << root.status().to_string();
  return tree;
}

Result<Hash> decode_and_hash(ByteSpan record) {
  TreeNode node;
  PHALANX_RETURN_IF_ERROR(decode_node(record, &node));
  return node_hash(node);
}

Result<MemTree> load(const std::map<std::string, Bytes>& records) {
  MemTreeLoader loader;
  for (const auto& [key, record] : records) {
    PHALANX_RETURN_IF_ERROR(loader.add(as_span(key), record));
  }
  return loader.finish(0);
}

// StateTree over a MemoryNodeStore as the reference, the tree under test and its versions.
class MemTreeVsStateTree : public ::testing::Test {
 protected:
  MemoryNodeStore reference_nodes;
  StateTree reference{reference_nodes};
  MemTree tree;
  std::vector<Hash> known;
  std::vector<std::pair<std::shared_ptr<const MemTreeVersion>, Hash>> versions;
};

TEST_F(MemTreeVsStateTree, RandomBatchesMatchRootsAndRecords) {
  Rng rng(20261127);
  for (uint64_t round = 1; round <= 60; ++round) {
    const auto updates = random_batch(rng, &known, 1 + rng.below(round % 10 == 0 ? 400 : 30));
    MemTreeChanges changes;
    auto next = tree.apply(updates, &changes);
    ASSERT_TRUE(next.is_ok()) << next.status().to_string();
    auto expected = reference.apply(updates);
    ASSERT_TRUE(expected.is_ok());
    ASSERT_EQ(*next, *expected) << "round " << round;
    for (const TreeNodeKey& key : changes.erased) {
      EXPECT_EQ(mem_tree_find(tree.root(), key.span()), nullptr) << "round " << round;
    }
    versions.emplace_back(tree.publish(round), *expected);
  }
  EXPECT_EQ(records_of(tree.root()), reference_nodes.nodes());
  // Every node's hash (dense nodes: from cached subtree hashes, rehashed where changed) is
  // the hash of its decoded form.
  size_t dense = 0;
  for (const auto& [version, expected] : versions) {
    ASSERT_TRUE(mem_tree_for_each_newer(version->root(), 0,
                                        [&](const TreeNodeKey& key, const MemNode& node) {
                                          EXPECT_EQ(node.hash, node_hash(node.to_tree_node()))
                                              << hex_encode(key.span());
                                          EXPECT_EQ(node.inner() != nullptr,
                                                    node.slots().size() >= kMemInnerHashesSlotsMin);
                                          if (node.inner() != nullptr) ++dense;
                                          return Status::ok();
                                        })
                    .is_ok());
  }
  EXPECT_GT(dense, 100u);
  // Older versions read as they were, through StateTree's reader.
  for (const auto& [version, expected] : versions) {
    EXPECT_EQ(mem_tree_root_hash(version->root()), expected);
    const MemNodeReader reader(version);
    EXPECT_EQ(*StateTree(static_cast<const NodeReader&>(reader)).root_hash(), expected);
  }
  // Proofs through the reader equal the reference's.
  const MemNodeReader reader(tree.root());
  const StateTree read(static_cast<const NodeReader&>(reader));
  for (int i = 0; i < 40; ++i) {
    const Hash key = i % 4 == 0 ? rng.hash() : known[rng.below(known.size())];
    EXPECT_EQ(*read.prove(key), *reference.prove(key));
    EXPECT_EQ(*read.get(key), *reference.get(key));
  }
}

// The blocks of one commit share a batch: each apply replaces (and frees) the nodes the batch
// wrote before. Every intermediate root is right when returned, and earlier versions stay.
TEST_F(MemTreeVsStateTree, AppliesSharingABatchReplaceItsNodesAndLeaveOlderVersions) {
  Rng rng(20261128);
  for (uint64_t commit = 1; commit <= 12; ++commit) {
    MemTreeChanges changes;
    for (int block = 0; block < 5; ++block) {
      const auto updates = random_batch(rng, &known, 1 + rng.below(block == 0 ? 300 : 25));
      auto next = tree.apply(updates, &changes);
      ASSERT_TRUE(next.is_ok()) << next.status().to_string();
      ASSERT_EQ(*next, *reference.apply(updates)) << "commit " << commit << " block " << block;
    }
    versions.emplace_back(tree.publish(commit), mem_tree_root_hash(tree.root()));
  }
  EXPECT_EQ(records_of(tree.root()), reference_nodes.nodes());
  for (const auto& [version, expected] : versions) {
    const MemNode* root = version->root();
    ASSERT_TRUE(mem_tree_for_each_newer(root, 0, [&](const TreeNodeKey&, const MemNode& node) {
                  EXPECT_EQ(node.hash, node_hash(node.to_tree_node()));
                  EXPECT_EQ(node.inner() != nullptr,
                            node.slots().size() >= kMemInnerHashesSlotsMin);
                  for (const MemSlot& slot : node.slots()) {  // no child changed under its parent
                    if (!slot.is_leaf) {
                      EXPECT_EQ(slot.hash, slot.child->hash);
                    }
                  }
                  return Status::ok();
                }).is_ok());
    EXPECT_EQ(root->hash, expected);
  }
}

TEST(MemTree, OnlyNodesOnChangedPathsAreNewer) {
  Rng rng(5);
  std::vector<TreeUpdate> inserts;
  for (int i = 0; i < 2000; ++i) inserts.push_back({rng.hash(), rng.hash()});
  std::sort(inserts.begin(), inserts.end(),
            [](const TreeUpdate& a, const TreeUpdate& b) { return a.key < b.key; });
  MemTreeChanges changes;
  MemTree tree;
  ASSERT_TRUE(tree.apply(inserts, &changes).is_ok());
  tree.publish(1);
  const size_t all = records_of(tree.root()).size();
  const TreeUpdate one[] = {{inserts[1000].key, rng.hash()}};
  ASSERT_TRUE(tree.apply(one, &changes).is_ok());
  size_t newer = 0;
  ASSERT_TRUE(mem_tree_for_each_newer(tree.root(), 1, [&](const TreeNodeKey&, const MemNode& node) {
                EXPECT_EQ(node.born, 2u);
                ++newer;
                return Status::ok();
              }).is_ok());
  EXPECT_GE(newer, 2u);
  EXPECT_LE(newer, 4u);  // the path of one random key in a tree of 2,000
  EXPECT_GT(all, 100u);
}

TEST(MemTree, LoaderRebuildsTheTreeFromItsRecords) {
  const MemTree tree = random_tree(11, 3000);
  const MemNode* root = tree.root();
  ASSERT_NE(root, nullptr);
  auto loaded = load(records_of(root));
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  EXPECT_EQ(mem_tree_root_hash(loaded->root()), mem_tree_root_hash(root));
  const MemNodeReader reader(loaded->root());
  for (const auto& [key, record] : records_of(root)) {
    auto view = reader.get(as_span(key));
    ASSERT_TRUE(view.is_ok() && view->has_value());
    EXPECT_EQ(**view, record);
  }
  EXPECT_TRUE(records_of(loaded->root()).empty());  // loaded nodes are born 0: as old as LMDB's
  auto empty = load({});
  ASSERT_TRUE(empty.is_ok());
  EXPECT_EQ(empty->root(), nullptr);
}

TEST(MemTree, LoaderRefusesCorruptRecords) {
  Rng rng(12);
  const MemTree tree = random_tree(12, 600);
  ASSERT_NE(tree.root(), nullptr);
  const std::map<std::string, Bytes> good = records_of(tree.root());
  ASSERT_GT(good.size(), 20u);
  const auto deep = std::prev(good.end());  // a node below the root
  ASSERT_GT(deep->first.size(), 1u);

  auto expect_refused = [&](std::map<std::string, Bytes> records, const std::string& what) {
    auto loaded = load(records);
    ASSERT_FALSE(loaded.is_ok()) << what;
    EXPECT_NE(loaded.status().message().find("corrupt store"), std::string::npos) << what;
  };
  auto missing = good;
  missing.erase(deep->first);
  expect_refused(missing, "a missing child");
  auto flipped = good;
  flipped[deep->first].back() ^= 0x01;
  expect_refused(flipped, "a child whose hash differs from its parent's slot");
  auto orphan = good;
  orphan.erase(std::string(1, '\0'));
  expect_refused(orphan, "no root");
  auto stray = good;
  stray[deep->first + std::string(1, '\x0f')] = deep->second;
  expect_refused(stray, "a node its parent does not have");
  auto truncated = good;
  truncated[deep->first].pop_back();
  expect_refused(truncated, "a record that does not decode");
  auto bad_key = good;
  bad_key[std::string("\x00\x10", 2)] = deep->second;
  expect_refused(bad_key, "a nibble above 15");
  auto too_deep = good;
  too_deep[std::string(65, '\0')] = deep->second;
  expect_refused(too_deep, "a node at nibble depth 64");
  // A lone leaf moved to the other slot of its pair hashes the same: only its key's path
  // shows it is misplaced (a lookup would miss it and an insert would add it twice).
  bool moved = false;
  for (const auto& [key, record] : good) {
    TreeNode node;
    ASSERT_TRUE(decode_node(record, &node).is_ok());
    for (uint32_t i = 0; i < kTreeRadix && !moved; ++i) {
      if (node.slots[i].kind != TreeSlot::Kind::kLeaf || !node.slots[i ^ 1].empty()) continue;
      std::swap(node.slots[i], node.slots[i ^ 1]);
      ASSERT_EQ(node_hash(node), *decode_and_hash(record));
      auto misplaced = good;
      misplaced[key] = encode_node(node);
      expect_refused(misplaced, "a leaf off its key's path");
      moved = true;
    }
    if (moved) break;
  }
  EXPECT_TRUE(moved);
  // A node at depth > 0 holding one leaf must have collapsed into its parent.
  auto key_at = [&](std::initializer_list<uint8_t> nibbles) {
    Hash key = rng.hash();
    uint32_t i = 0;
    for (uint8_t nibble : nibbles) {
      uint8_t& byte = key[i / 2];
      byte = i % 2 == 0 ? static_cast<uint8_t>((nibble << 4) | (byte & 0x0f))
                        : static_cast<uint8_t>((byte & 0xf0) | nibble);
      ++i;
    }
    return key;
  };
  TreeNode single;
  single.slots[3] = TreeSlot::make_leaf({key_at({0, 3}), rng.hash()});
  TreeNode parent;
  parent.slots[0] = TreeSlot::make_internal(node_hash(single));
  parent.slots[1] = TreeSlot::make_leaf({key_at({1}), rng.hash()});
  MemTreeLoader loader;
  ASSERT_TRUE(loader.add(as_span(std::string(1, '\0')), encode_node(parent)).is_ok());
  auto refused = loader.add(as_span(std::string("\x00\x00", 2)), encode_node(single));
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.message().find("not collapsed"), std::string::npos) << refused.message();
}

TEST(MemTree, DeletingEverythingLeavesAnEmptyRootAndErasesTheRest) {
  Rng rng(13);
  std::vector<TreeUpdate> inserts, deletes;
  for (int i = 0; i < 500; ++i) inserts.push_back({rng.hash(), rng.hash()});
  std::sort(inserts.begin(), inserts.end(),
            [](const TreeUpdate& a, const TreeUpdate& b) { return a.key < b.key; });
  for (const auto& insert : inserts) deletes.push_back({insert.key, std::nullopt});
  MemTreeChanges changes;
  MemTree tree;
  ASSERT_TRUE(tree.apply(inserts, &changes).is_ok());
  const auto full = tree.publish(1);
  const size_t nodes = records_of(full->root()).size();
  MemTreeChanges deleted;
  auto empty = tree.apply(deletes, &deleted);
  ASSERT_TRUE(empty.is_ok());
  EXPECT_EQ(*empty, Hash{});
  EXPECT_EQ(records_of(tree.root()).size(), 1u);  // the root record, now empty
  EXPECT_EQ(deleted.erased.size(), nodes - 1);
  EXPECT_EQ(records_of(full->root()).size(), nodes);  // the old version is untouched
}

// A hand-built corrupt tree: a chain of one-slot nodes down the key whose every nibble is
// `nibble`, ending in an internal slot below depth 64 (which no apply or loader writes).
const MemNode* corrupt_chain(uint8_t nibble, Hash* down_the_chain) {
  down_the_chain->fill(static_cast<uint8_t>(nibble << 4 | nibble));
  MemSlot leaf;
  leaf.nibble = nibble;
  leaf.is_leaf = true;
  const MemNode* chain = MemNode::make(0, std::span<const MemSlot>(&leaf, 1));  // depth 64
  for (int depth = 63; depth >= 0; --depth) {
    MemSlot slot;
    slot.nibble = nibble;
    slot.child = chain;
    chain = MemNode::make(0, std::span<const MemSlot>(&slot, 1));
  }
  return chain;
}

// An apply that reaches the corrupt chain under the root's slot `chain_nibble` fails, and
// leaves the open batch as it was; the batch then publishes. Most of the batch goes under
// `busy_nibble`: the writer takes the root's slots in order from slot 0 and the worker the
// next one free (mem_tree.cc, update_in_parallel), so a chain under slot 0 is reached by the
// writer, and one under slot 1, with the writer busy on slot 0, by the worker. ASan: nothing
// the failed applies wrote survives, and nothing of the open batch is freed.
void expect_apply_through_corrupt_chain_fails(uint8_t chain_nibble, uint8_t busy_nibble) {
  Hash chain_key;
  const MemNode* chain = corrupt_chain(chain_nibble, &chain_key);
  const TreeNodeKey deep = tree_node_key(chain_key, 63);
  const MemNode* deep_node = mem_tree_find(chain, deep.span());
  ASSERT_NE(deep_node, nullptr);
  MemTree tree(MemSubtree(chain), 1);

  Rng rng(16 + chain_nibble);
  std::vector<TreeUpdate> elsewhere;  // off the chain: 1,900 under busy_nibble, 100 anywhere
  for (int i = 0; i < 2000; ++i) {
    Hash key = rng.hash();
    uint8_t first = i < 1900 ? busy_nibble : static_cast<uint8_t>(key[0] >> 4);
    if (first == chain_nibble) first = busy_nibble;
    key[0] = static_cast<uint8_t>(first << 4 | (key[0] & 0x0f));
    elsewhere.push_back({key, rng.hash()});
  }
  const auto by_key = [](const TreeUpdate& a, const TreeUpdate& b) { return a.key < b.key; };
  std::sort(elsewhere.begin(), elsewhere.end(), by_key);
  MemTreeChanges changes;
  const auto opened = tree.apply(elsewhere, &changes);  // the open batch
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  const MemNode* batch_root = tree.root();
  const std::map<std::string, Bytes> batch_records = records_of(batch_root);

  std::vector<TreeUpdate> reaching;
  for (const TreeUpdate& update : elsewhere) reaching.push_back({update.key, rng.hash()});
  reaching.push_back({chain_key, rng.hash()});
  std::sort(reaching.begin(), reaching.end(), by_key);
  for (int round = 0; round < 10; ++round) {
    MemTreeChanges failed_changes;
    const auto failed = tree.apply(reaching, &failed_changes);
    ASSERT_FALSE(failed.is_ok()) << "round " << round;
    EXPECT_NE(failed.message().find("below depth 64"), std::string::npos) << failed.message();
    EXPECT_TRUE(tree.in_batch());
    EXPECT_EQ(tree.root(), batch_root);
    EXPECT_EQ(mem_tree_root_hash(tree.root()), *opened);
  }

  const auto version = tree.publish(2);
  EXPECT_EQ(mem_tree_root_hash(version->root()), *opened);
  EXPECT_EQ(mem_tree_find(version->root(), deep.span()), deep_node);  // shared, not copied
  EXPECT_EQ(records_of(version->root()), batch_records);
}

TEST(MemTree, AnApplyReachingACorruptNodeFailsAndLeavesTheBatchAsItWas) {
  expect_apply_through_corrupt_chain_fails(/*chain_nibble=*/0, /*busy_nibble=*/1);  // writer
  expect_apply_through_corrupt_chain_fails(/*chain_nibble=*/1, /*busy_nibble=*/0);  // worker
}

// Who lets go last frees: versions outlive the tree that wrote them, an old version holds
// every newer one (released one by one, not recursively: 20,000 here), and a discarded batch
// frees what it wrote. ASan fails this test on a use after free or a leak.
TEST(MemTree, VersionsOutliveTheirTreeAndAnyReleaseOrderFreesAll) {
  Rng rng(14);
  std::vector<Hash> known;
  std::shared_ptr<const MemTreeVersion> oldest, middle;
  std::map<std::string, Bytes> oldest_records, middle_records;
  {
    MemTree tree;
    for (uint64_t commit = 1; commit <= 20000; ++commit) {
      MemTreeChanges changes;
      if (commit % 97 == 0) {  // a batch written, then dropped
        const Hash before = mem_tree_root_hash(tree.root());
        std::vector<Hash> scratch = known;
        ASSERT_TRUE(tree.apply(random_batch(rng, &scratch, 20), &changes).is_ok());
        tree.discard();
        ASSERT_EQ(mem_tree_root_hash(tree.root()), before);
      }
      const auto updates = random_batch(rng, &known, commit == 1 ? 600 : 1 + rng.below(4));
      ASSERT_TRUE(tree.apply(updates, &changes).is_ok());
      auto version = tree.publish(commit);
      if (commit == 1) {
        oldest = version;
        oldest_records = records_of(oldest->root());
      } else if (commit == 10000) {
        middle = version;
        middle_records = records_of(middle->root());
      }
    }
    MemTreeChanges changes;
    ASSERT_TRUE(tree.apply(random_batch(rng, &known, 30), &changes).is_ok());
  }  // the tree (with a batch open) goes first
  EXPECT_EQ(records_of(oldest->root()), oldest_records);
  EXPECT_EQ(records_of(middle->root()), middle_records);
  oldest.reset();  // frees the versions before `middle`
  EXPECT_EQ(records_of(middle->root()), middle_records);
  middle.reset();  // and the rest
}

// A tree of `count` random keys, published as version 1, and what it takes to go on.
struct PublishedTree {
  PublishedTree(uint64_t seed, uint64_t count) : rng(seed) {
    EXPECT_TRUE(tree.apply(random_batch(rng, &known, count), &changes).is_ok());
    first = tree.publish(1);
  }
  // One more version, of a batch of `count` random updates.
  std::shared_ptr<const MemTreeVersion> commit(uint64_t number, uint64_t count) {
    EXPECT_TRUE(tree.apply(random_batch(rng, &known, count), &changes).is_ok());
    return tree.publish(number);
  }
  Rng rng;
  std::vector<Hash> known;
  MemTreeChanges changes;
  MemTree tree;
  std::shared_ptr<const MemTreeVersion> first;
};

// A reader holding an old version keeps that version's nodes, not every node replaced since.
TEST(MemTree, AnOldVersionHeldKeepsOnlyItsOwnNodes) {
  PublishedTree t(15, 2000);
  const std::map<std::string, Bytes> held_records = records_of(t.first->root());
  std::deque<std::shared_ptr<const MemTreeVersion>> recent;  // the last 4, as TreeCache keeps
  for (uint64_t commit = 2; commit <= 300; ++commit) {
    recent.push_back(t.commit(commit, 40));
    if (recent.size() > 4) recent.pop_front();
    // Its own nodes and the last few versions' (up to ~300 a commit); keeping every node
    // replaced since would pass 20,000 before the end.
    EXPECT_LE(t.tree.replaced_nodes_kept(), held_records.size() + 2000) << "commit " << commit;
  }
  EXPECT_EQ(records_of(t.first->root()), held_records);
}

// Releasing a version between two held ones frees the nodes only it reached, and nothing the
// held ones reach.
TEST(MemTree, ReleasingAVersionBetweenHeldOnesFreesWhatOnlyItReached) {
  PublishedTree t(17, 500);
  auto second = t.commit(2, 60);
  auto third = t.commit(3, 60);
  const auto first_records = records_of(t.first->root());
  const auto third_records = records_of(third->root());
  t.commit(4, 60);  // the newest, held by the tree
  const size_t before = t.tree.replaced_nodes_kept();
  second.reset();  // its own nodes (born 2, replaced by 3 or 4) go
  const size_t after = t.tree.replaced_nodes_kept();
  EXPECT_LT(after, before);
  EXPECT_GT(after, 0u);
  EXPECT_EQ(records_of(t.first->root()), first_records);
  EXPECT_EQ(records_of(third->root()), third_records);
  t.first.reset();
  third.reset();
  EXPECT_EQ(t.tree.replaced_nodes_kept(), 0u);  // only the newest is held
}

// Readers on another thread take, read and release versions while the writer publishes (the
// last holder of a version is often the reader). ASan and TSan check the frees.
TEST(MemTree, ReadersReleasingVersionsOnAnotherThread) {
  PublishedTree t(16, 1000);
  std::mutex mutex;
  std::shared_ptr<const MemTreeVersion> latest = std::exchange(t.first, nullptr);
  std::atomic<bool> done{false};
  std::atomic<uint64_t> reads{0};
  std::thread reader([&] {
    std::vector<std::shared_ptr<const MemTreeVersion>> holding;
    while (!done.load()) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        holding.push_back(latest);
      }
      // Every node of the oldest version held: a freed one would not hash to its slot.
      EXPECT_TRUE(
          mem_tree_for_each(holding.front()->root(), [](const TreeNodeKey&, const MemNode& node) {
            for (const MemSlot& slot : node.slots()) {
              if (!slot.is_leaf && slot.hash != slot.child->hash) {
                return Status::error("a child that changed under its parent");
              }
            }
            return node.hash == node_hash(node.to_tree_node())
                       ? Status::ok()
                       : Status::error("a node that does not hash to its slots");
          }).is_ok());
      if (holding.size() > 6) holding.erase(holding.begin(), holding.begin() + 3);
      reads.fetch_add(1);
    }
  });
  for (uint64_t commit = 2; commit <= 3000; ++commit) {
    auto version = t.commit(commit, 1 + t.rng.below(30));
    std::lock_guard<std::mutex> lock(mutex);
    latest = std::move(version);
  }
  done = true;
  reader.join();
  EXPECT_GT(reads.load(), 0u);
}

}  // namespace
}  // namespace phalanx::ledger
