// LMDB store: genesis initialisation, commit/reopen, rejects, all-or-nothing catch-up,
// snapshot isolation with concurrent readers, proofs, consensus records, a full map, and
// crash atomicity with a real SIGKILLed child process.
#include "ledger/store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "tests/ledger/store_fixture.h"
#include "tests/testutil/kill_child.h"

namespace phalanx::ledger {
namespace {

using namespace store_fixture;  // NOLINT(google-build-using-namespace): the shared fixture

TEST_F(StoreTest, FirstOpenInitialisesFromGenesis) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  const Block genesis = genesis_block(genesis_);
  EXPECT_EQ(store->height(), 0u);
  EXPECT_EQ(store->genesis_hash(), block_hash(genesis.header));
  auto block0 = store->block(0);
  ASSERT_TRUE(block0.is_ok() && block0->has_value());
  EXPECT_EQ(block_hash((*block0)->header), store->genesis_hash());
  EXPECT_EQ(*store->state_root(0), std::optional<Hash>(genesis.header.state_root));
  EXPECT_EQ(*store->certificate(0), std::nullopt);
  EXPECT_EQ(*store->block(1), std::nullopt);
  EXPECT_EQ(*store->block_height(store->genesis_hash()), std::optional<uint64_t>(0));
  EXPECT_EQ(*store->account(address(3)), (Account{300000, 0}));
  EXPECT_EQ(*store->account(address(77)), Account{});
  EXPECT_EQ(*store->fees_burned(), 0u);
  EXPECT_TRUE(store->check_consistency().is_ok());
}

TEST_F(StoreTest, CommitsAndResumesAfterReopen) {
  ChainGenerator chain(genesis_, 1);
  std::vector<ExecutedBlock> executed;
  {
    auto store = open_store();
    for (int i = 0; i < 5; ++i) {
      const CertifiedBlock block = chain.next(12);
      auto result = store->commit_block(block.block, block.certificate);
      ASSERT_TRUE(result.is_ok()) << result.status().to_string();
      EXPECT_EQ(result->height, chain.height());
      EXPECT_EQ(result->block_hash, chain.tip_hash());
      EXPECT_EQ(result->state_root, chain.model().state_root());
      executed.push_back(std::move(result).value());
    }
  }
  auto store = open_store();
  EXPECT_EQ(store->height(), 5u);
  EXPECT_TRUE(store->check_consistency().is_ok());
  EXPECT_EQ(*store->fees_burned(), chain.model().fees_burned());
  for (const ExecutedBlock& block : executed) {
    auto stored = store->block(block.height);
    ASSERT_TRUE(stored.is_ok() && stored->has_value());
    EXPECT_EQ(block_hash((*stored)->header), block.block_hash);
    EXPECT_EQ(*store->block_height(block.block_hash), std::optional<uint64_t>(block.height));
    EXPECT_EQ(*store->state_root(block.height), std::optional<Hash>(block.state_root));
    auto certificate = *store->certificate(block.height);
    ASSERT_TRUE(certificate.has_value());
    EXPECT_EQ(encode_certificate(*certificate), encode_certificate(certificate_for(block.height)));
    for (uint32_t i = 0; i < block.outcome.txs.size(); ++i) {
      const TxOutcome& tx = block.outcome.txs[i];
      auto record = *store->transaction(tx.hash);
      ASSERT_TRUE(record.has_value());
      if (tx.indexed()) {
        EXPECT_EQ(*record, (TxRecord{block.height, i, tx.error}));
      } else {  // a duplicate: the record is the earlier occurrence's
        EXPECT_TRUE(record->height < block.height || record->index < i);
      }
    }
  }
  for (const auto& [who, account] : chain.model().accounts()) {
    EXPECT_EQ(*store->account(who), account);
  }
  // Resumes: the next block extends height 5.
  const CertifiedBlock block = chain.next(12);
  ASSERT_TRUE(store->commit_block(block.block, block.certificate).is_ok());
  EXPECT_EQ(store->height(), 6u);
}

TEST_F(StoreTest, RefusesADirectoryOfAnotherGenesis) {
  { ASSERT_NE(open_store(), nullptr); }
  Genesis other = genesis_;
  other.allocations[0].balance += 1;
  auto store = Store::open(dir_, other, options_);
  ASSERT_FALSE(store.is_ok());
  EXPECT_NE(store.message().find("different genesis"), std::string::npos) << store.message();
}

TEST_F(StoreTest, RejectsBlocksThatDoNotExtendTheTipAndWritesNothing) {
  genesis_.block_limits.txs_max = 10;
  auto store = open_store();
  ChainGenerator chain(genesis_, 2);
  const CertifiedBlock good = chain.next(5);
  std::vector<std::pair<std::string, Block>> bad(6, {"", good.block});
  bad[0].first = "height";
  bad[0].second.header.height = 2;
  bad[1].first = "prev_hash";
  bad[1].second.header.prev_hash[0] ^= 1;
  bad[2].first = "chain id";
  bad[2].second.header.chain_id = "other";
  bad[3].first = "tx_root";
  bad[3].second.header.tx_root[0] ^= 1;
  bad[4].first = "tx_count";
  bad[4].second.header.tx_count += 1;
  bad[5].first = "more txs than the genesis limit";
  for (int i = 0; i < 6; ++i) bad[5].second.transactions.push_back(good.block.transactions[0]);
  bad[5].second.header.tx_count = 11;
  for (const auto& [what, block] : bad) {
    auto result = store->commit_block(block, good.certificate);
    EXPECT_FALSE(result.is_ok()) << what;
    EXPECT_EQ(store->height(), 0u);
  }
  CommitCertificate unknown_validator = good.certificate;
  unknown_validator.signatures.back().validator = 4;  // only validators 0..3 exist
  auto result = store->commit_block(good.block, unknown_validator);
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.message().find("certificate"), std::string::npos) << result.message();
  EXPECT_EQ(*store->block(1), std::nullopt);
  EXPECT_EQ(*store->transaction(good.block.transactions[0].hash), std::nullopt);
  EXPECT_TRUE(store->check_consistency().is_ok());
  EXPECT_TRUE(store->commit_block(good.block, good.certificate).is_ok());
}

TEST_F(StoreTest, CommitBlocksIsAllOrNothing) {
  auto store = open_store();
  ChainGenerator chain(genesis_, 3);
  std::vector<CertifiedBlock> blocks;
  for (int i = 0; i < 3; ++i) blocks.push_back(chain.next(12));
  std::vector<CertifiedBlock> broken = blocks;
  broken[2].block.header.prev_hash = Hash{};
  ASSERT_FALSE(store->commit_blocks(broken).is_ok());
  EXPECT_EQ(store->height(), 0u);
  EXPECT_EQ(*store->block(1), std::nullopt);
  EXPECT_EQ(*store->transaction(blocks[0].block.transactions[0].hash), std::nullopt);
  EXPECT_TRUE(store->check_consistency().is_ok());
  auto executed = store->commit_blocks(blocks);
  ASSERT_TRUE(executed.is_ok()) << executed.status().to_string();
  EXPECT_EQ(executed->size(), 3u);
  EXPECT_EQ(store->height(), 3u);
  EXPECT_EQ(executed->back().state_root, chain.model().state_root());
  EXPECT_TRUE(store->check_consistency().is_ok());
  std::vector<CertifiedBlock> too_many(kCommitBlocksMax + 1);
  EXPECT_FALSE(store->commit_blocks(too_many).is_ok());
}

TEST_F(StoreTest, TxIndexIsWriteOnce) {
  auto store = open_store();
  const SignedTransaction tx = make_transfer(key(1), kChain, address(2), 10, 1, 0);
  Hash prev = store->genesis_hash();
  for (uint64_t height = 1; height <= 2; ++height) {
    Block block;
    block.header.chain_id = kChain;
    block.header.height = height;
    block.header.prev_hash = prev;
    block.transactions = {tx};
    block.header.tx_count = 1;
    block.header.tx_root = merkle_root(transaction_hashes(block));
    prev = block_hash(block.header);
    auto executed = store->commit_block(block, certificate_for(height));
    ASSERT_TRUE(executed.is_ok());
    EXPECT_EQ(executed->outcome.txs[0].error, height == 1 ? TxError::kNone : TxError::kDuplicate);
  }
  EXPECT_EQ(*store->transaction(tx.hash), std::optional<TxRecord>(TxRecord{1, 0, TxError::kNone}));
  EXPECT_EQ(*store->account(address(1)), (Account{100000 - 11, 1}));
}

TEST_F(StoreTest, SnapshotsKeepTheirViewWhileTheWriterCommits) {
  auto store = open_store();
  ChainGenerator chain(genesis_, 4);
  const CertifiedBlock first = chain.next(12);
  ASSERT_TRUE(store->commit_block(first.block, first.certificate).is_ok());
  auto old_snapshot = store->snapshot();
  ASSERT_TRUE(old_snapshot.is_ok());
  const Account old_account = *old_snapshot->account(address(1));
  const Hash old_root = **old_snapshot->state_root(1);
  for (int i = 0; i < 4; ++i) {  // the open snapshot does not block these commits
    const CertifiedBlock block = chain.next(12);
    ASSERT_TRUE(store->commit_block(block.block, block.certificate).is_ok());
  }
  EXPECT_EQ(old_snapshot->height(), 1u);
  EXPECT_EQ(*old_snapshot->block(2), std::nullopt);
  EXPECT_EQ(*old_snapshot->account(address(1)), old_account);
  auto proof = old_snapshot->prove(address(1));
  ASSERT_TRUE(proof.is_ok());
  EXPECT_EQ(proof->state_root, old_root);
  auto fresh = store->snapshot();
  EXPECT_EQ(fresh->height(), 5u);
  EXPECT_EQ(*fresh->account(address(1)), **chain.model().account(address(1)));
}

// Readers on another thread always see a conserved supply, whatever the writer is doing.
TEST_F(StoreTest, ConcurrentReadersSeeConsistentSnapshots) {
  auto store = open_store();
  ChainGenerator chain(genesis_, 5);
  std::atomic<bool> done{false};
  std::atomic<uint64_t> snapshots_checked{0};
  std::atomic<bool> reader_ok{true};
  std::vector<Address> addresses;  // computed here: key() is not thread-safe
  for (uint8_t i = 1; i <= kUsers + 3; ++i) addresses.push_back(address(i));
  std::thread reader([&] {
    while (!done.load()) {
      auto snapshot = store->snapshot();
      if (!snapshot) {
        reader_ok = false;
        return;
      }
      uint64_t sum = snapshot->fees_burned();
      for (const Address& who : addresses) sum += snapshot->account(who)->balance;
      if (sum != genesis_.total_supply()) reader_ok = false;
      snapshots_checked.fetch_add(1);
    }
  });
  for (int i = 0; i < 15; ++i) {
    const CertifiedBlock block = chain.next(12);
    ASSERT_TRUE(store->commit_block(block.block, block.certificate).is_ok());
  }
  while (snapshots_checked.load() < 3 && reader_ok.load()) std::this_thread::yield();
  done = true;
  reader.join();
  EXPECT_TRUE(reader_ok.load());
}

TEST_F(StoreTest, AccountProofsVerifyAgainstTheStateRoot) {
  auto store = open_store();
  ChainGenerator chain(genesis_, 6);
  for (int i = 0; i < 3; ++i) {
    const CertifiedBlock block = chain.next(12);
    ASSERT_TRUE(store->commit_block(block.block, block.certificate).is_ok());
  }
  const Hash root = **store->state_root(3);
  for (uint8_t i : {uint8_t{1}, uint8_t{4}, uint8_t{200}}) {  // 200: never written
    auto proof = store->prove(address(i));
    ASSERT_TRUE(proof.is_ok());
    EXPECT_EQ(proof->state_root, root);
    EXPECT_EQ(proof->account.has_value(), i != 200);
    EXPECT_TRUE(proof->verify(address(i)));
    AccountProof tampered = *proof;
    if (tampered.account)
      tampered.account->balance += 1;
    else
      tampered.account = Account{1, 0};
    EXPECT_FALSE(tampered.verify(address(i)));
  }
}

TEST_F(StoreTest, StateRootsOutsideTheKeptWindowArePruned) {
  options_.state_roots_kept = 3;
  auto store = open_store();
  ChainGenerator chain(genesis_, 7);
  for (int i = 0; i < 6; ++i) {
    const CertifiedBlock block = chain.next(2);
    ASSERT_TRUE(store->commit_block(block.block, block.certificate).is_ok());
  }
  auto snapshot = store->snapshot();
  EXPECT_EQ(*snapshot->state_root(3), std::nullopt);
  EXPECT_TRUE(snapshot->state_root(4)->has_value());
  auto recent = snapshot->recent_state_roots(5);
  ASSERT_TRUE(recent.is_ok());
  EXPECT_EQ(recent->size(), 3u);
  EXPECT_EQ(recent->rbegin()->first, 6u);
}

TEST_F(StoreTest, ConsensusRecordsPersistAcrossReopen) {
  {
    auto store = open_store();
    const std::vector<ConsensusWrite> writes = {
        {ConsensusWrite::Type::kPut, "vote/1", {1, 2, 3}},
        {ConsensusWrite::Type::kPut, "vote/2", {4}},
        {ConsensusWrite::Type::kErase, "vote/1", {}},
        {ConsensusWrite::Type::kErase, "never-written", {}},
        {ConsensusWrite::Type::kPut, "view", {9}},
    };
    ASSERT_TRUE(store->write_consensus(writes).is_ok());
    const std::vector<ConsensusWrite> bad_key = {{ConsensusWrite::Type::kPut, "", {1}}};
    EXPECT_FALSE(store->write_consensus(bad_key).is_ok());
    const std::vector<ConsensusWrite> long_key = {
        {ConsensusWrite::Type::kPut, std::string(kConsensusKeyBytesMax + 1, 'k'), {1}}};
    EXPECT_FALSE(store->write_consensus(long_key).is_ok());
  }
  auto store = open_store();
  const std::map<std::string, Bytes> expected = {{"view", {9}}, {"vote/2", {4}}};
  EXPECT_EQ(*store->consensus_entries(), expected);
}

TEST_F(StoreTest, FullMapIsAnErrorAndLeavesTheLastCommit) {
  options_.map_size_bytes = 256 << 10;
  auto store = open_store();
  ChainGenerator chain(genesis_, 8);
  Status status;
  for (int i = 0; i < 200 && status.is_ok(); ++i) {
    const CertifiedBlock block = chain.next(40);
    status = store->commit_block(block.block, block.certificate).status();
  }
  ASSERT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("MDB_MAP_FULL"), std::string::npos) << status.message();
  EXPECT_EQ(store->height(), chain.height() - 1);
  EXPECT_TRUE(store->check_consistency().is_ok());
}

// Child: resumes the generator at the store's height and commits until killed, reporting
// each durable height on `report_fd`. Never returns into the test framework.
[[noreturn]] void commit_until_killed(const std::string& dir, const Genesis& genesis,
                                      const StoreOptions& options, int report_fd) {
  auto store = Store::open(dir, genesis, options);
  if (!store) _exit(3);
  ChainGenerator chain(genesis, 99);
  while (chain.height() < (*store)->height()) {
    chain.next(12);
  }
  for (int i = 0; i < 10000; ++i) {
    const CertifiedBlock block = chain.next(12);
    if (!(*store)->commit_block(block.block, block.certificate)) _exit(4);
    const uint64_t height = chain.height();
    if (write(report_fd, &height, sizeof height) != sizeof height) _exit(5);
  }
  _exit(0);
}

TEST_F(StoreTest, SigkilledWriterLeavesAConsistentStore) {
  options_.tree_cache.flush_commits = 5;  // kills land between flushes too: reopening replays
  Rng rng(20261126);
  uint64_t reported = 0;
  for (int round = 0; round < 4; ++round) {
    ASSERT_NO_FATAL_FAILURE(testutil::kill_child_mid_work(
        rng, 2 + rng.below(12), &reported,
        [&](int report_fd) { commit_until_killed(dir_, genesis_, options_, report_fd); }));
    auto store = open_store();
    ASSERT_NE(store, nullptr);
    ASSERT_GE(store->height(), reported) << "a durable commit was lost";
    ASSERT_LE(store->height(), reported + 1);
    Status consistent = store->check_consistency();
    ASSERT_TRUE(consistent.is_ok()) << consistent.to_string();
    ChainGenerator chain(genesis_, 99);
    while (chain.height() < store->height()) {
      chain.next(12);
    }
    EXPECT_EQ(*store->state_root(store->height()), std::optional<Hash>(chain.model().state_root()));
    EXPECT_EQ(store->snapshot()->tip_hash(), chain.tip_hash());
    EXPECT_EQ(*store->fees_burned(), chain.model().fees_burned());
    reported = store->height();
  }
}

}  // namespace
}  // namespace phalanx::ledger
