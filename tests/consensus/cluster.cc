#include "tests/consensus/cluster.h"

#include <gtest/gtest.h>

#include "consensus/catch_up.h"
#include "crypto/hash.h"

namespace phalanx::consensus::testing {

namespace {

constexpr size_t kPumpStepsMax = 1'000'000;

crypto::Seed seed_for(uint8_t tag, uint32_t index) {
  crypto::Seed seed{};
  seed[0] = tag;
  seed[1] = static_cast<uint8_t>(index);
  return seed;
}

}  // namespace

Cluster::Cluster(ClusterOptions options)
    : options_(options),
      now_ms_(genesis_time_ms() + 1000),
      client_key_(crypto::SecretKey::from_seed(seed_for(0xc1, 0))) {
  for (uint32_t i = 0; i < options_.n; ++i) {
    keys_.push_back(crypto::SecretKey::from_seed(seed_for(0x5e, i)));
    public_keys_.push_back(keys_.back().public_key());
  }
  nodes_.resize(options_.n);
  for (uint32_t i = 0; i < options_.n; ++i) {
    nodes_[i].roots[0] = genesis_state_root();
    nodes_[i].replica = make_replica(i);
  }
}

Hash Cluster::genesis_hash() const { return crypto::sha256(as_span("genesis block")); }
Hash Cluster::genesis_state_root() const { return crypto::sha256(as_span("genesis state")); }

Config Cluster::config_for(uint32_t index) const {
  Config config;
  config.chain_id = kChainId;
  config.validators = public_keys_;
  config.self = index;
  config.pipeline_depth = options_.pipeline_depth;
  config.checkpoint_interval = options_.checkpoint_interval;
  config.log_window = options_.log_window;
  config.genesis_hash = genesis_hash();
  config.genesis_state_root = genesis_state_root();
  config.genesis_time_ms = genesis_time_ms();
  config.view_change_timeout_ms = options_.view_change_timeout_ms;
  config.catch_up_bytes_max = options_.catch_up_bytes_max;
  config.mutations = options_.mutations;
  return config;
}

std::unique_ptr<Replica> Cluster::make_replica(uint32_t index) const {
  auto signer =
      std::make_unique<Ed25519Signer>(crypto::SecretKey::from_seed(keys_[index].seed()), kChainId);
  auto verifier = std::make_unique<Ed25519Verifier>(public_keys_, kChainId);
  const ExecutedState executed = executed_state(index);
  const Status valid = Replica::validate_persisted(config_for(index), nodes_[index].disk, executed);
  EXPECT_TRUE(valid.is_ok()) << valid.to_string();
  return std::make_unique<Replica>(config_for(index), std::move(signer), std::move(verifier),
                                   nodes_[index].disk, executed, now_ms_);
}

ExecutedState Cluster::executed_state(uint32_t index) const {
  const TestNode& node = nodes_[index];
  ExecutedState state;
  state.height = node.applied.size();
  state.block_hash = node.applied.empty() ? genesis_hash() : node.applied.back().hash;
  state.timestamp_ms =
      node.applied.empty() ? genesis_time_ms() : node.applied.back().block.header.timestamp_ms;
  state.state_roots = node.roots;
  return state;
}

void Cluster::restart(uint32_t index) {
  nodes_[index].held_validations.clear();
  nodes_[index].replica = make_replica(index);
  nodes_[index].up = true;
}

void Cluster::apply(uint32_t index, const CommittedBlock& block) {
  TestNode& node = nodes_[index];
  const uint64_t height = node.applied.size() + 1;
  EXPECT_EQ(block.block.header.height, height);
  node.roots[height] = crypto::sha256_pair(node.roots.at(height - 1), block.hash);
  node.applied.push_back(block);
  node.replica->on_executed(height, node.roots[height]);
}

void Cluster::execute_held(uint32_t index) {
  std::vector<CommittedBlock> held = std::move(nodes_[index].unexecuted);
  nodes_[index].unexecuted.clear();
  for (const auto& block : held) apply(index, block);
}

bool Cluster::drain(uint32_t index) {
  TestNode& node = nodes_[index];
  if (!node.up) return false;
  bool any = false;
  while (node.replica->has_ready()) {
    any = true;
    Ready ready = node.replica->ready();
    for (const PersistOp& op : ready.to_persist) {
      if (op.type == PersistOp::Type::kPut) {
        node.disk[op.key] = op.value;
      } else {
        node.disk.erase(op.key);
      }
      node.persist_log.push_back(op);
    }
    for (const Outbound& out : ready.messages) {
      node.sent.push_back(out);
      for (uint32_t to = 0; to < n(); ++to) {
        if (to == index || (out.to && *out.to != to)) continue;
        queue_.push_back({index, to, out.message});
      }
    }
    for (const CommittedBlock& block : ready.committed) {
      if (node.auto_execute && node.unexecuted.empty()) {
        apply(index, block);
      } else {
        node.unexecuted.push_back(block);
      }
    }
    for (const ValidationRequest& request : ready.validation_requests) {
      node.validation_requests.push_back(request);
      const std::optional<bool> verdict = validate ? validate(index, request) : true;
      if (verdict) {
        node.replica->on_validated(request.height, request.digest, *verdict);
      } else {
        node.held_validations.push_back(request);
      }
    }
    for (const ServeRequest& request : ready.serve_requests) serve(index, request);
    node.replica->advance(ready);
  }
  return any;
}

// The caller's half of catch-up: committed blocks and certificates from the toy ledger.
void Cluster::serve(uint32_t index, const ServeRequest& request) {
  TestNode& node = nodes_[index];
  for (uint64_t height = request.first; height <= request.last; ++height) {
    if (height == 0 || height > node.applied.size()) return;
    const CommittedBlock& block = node.applied[height - 1];
    Message response = make_catch_up_response(index, block.block, block.certificate);
    if (tamper_response) tamper_response(index, &response);
    node.sent.push_back({request.peer, response});
    queue_.push_back({index, request.peer, response});
  }
}

void Cluster::deliver(const Delivery& delivery) {
  if (!nodes_[delivery.to].up || (drop && drop(delivery))) return;
  // Through the wire format, as a node would.
  const Bytes bytes = encode_message(delivery.message);
  auto decoded = decode_message(bytes, config_for(delivery.to).block_limits);
  ASSERT_TRUE(decoded.is_ok()) << decoded.message();
  nodes_[delivery.to].replica->step(*decoded);
}

void Cluster::pump() {
  for (size_t step = 0; step < kPumpStepsMax; ++step) {
    bool worked = false;
    for (uint32_t i = 0; i < n(); ++i) worked = drain(i) || worked;
    if (!queue_.empty()) {
      const Delivery delivery = queue_.front();
      queue_.pop_front();
      deliver(delivery);
      worked = true;
    }
    if (!worked) return;
  }
  ADD_FAILURE() << "pump did not quiesce";
}

void Cluster::advance_time(uint64_t ms) {
  now_ms_ += ms;
  for (uint32_t i = 0; i < n(); ++i) {
    if (nodes_[i].up) nodes_[i].replica->tick(now_ms_);
  }
}

void Cluster::propose(std::vector<ledger::SignedTransaction> txs) {
  Replica& primary = replica(replica(0).primary());
  ASSERT_TRUE(primary.can_propose());
  primary.propose(std::move(txs));
}

void Cluster::propose_at(uint32_t index, std::vector<ledger::SignedTransaction> txs) {
  ASSERT_TRUE(replica(index).can_propose());
  replica(index).propose(std::move(txs));
}

std::vector<ledger::SignedTransaction> Cluster::make_txs(size_t count) {
  std::vector<ledger::SignedTransaction> txs;
  const crypto::Address recipient = crypto::address_of(public_keys_[0]);
  for (size_t i = 0; i < count; ++i) {
    txs.push_back(ledger::make_transfer(client_key_, kChainId, recipient, 1, 0, next_nonce_++));
  }
  return txs;
}

void Cluster::inject(uint32_t to, const Message& message) {
  queue_.push_back({message.from, to, message});
}

Message Cluster::sign_vote(uint32_t from, MessageKind kind, uint64_t view, uint64_t height,
                           const Hash& digest) const {
  Message message;
  message.kind = kind;
  message.from = from;
  message.view = view;
  message.height = height;
  message.digest = digest;
  message.signature =
      crypto::sign_domain(keys_[from], domain_of(kind), kChainId, vote_body(view, height, digest));
  return message;
}

Message Cluster::sign_checkpoint(uint32_t from, uint64_t height, const Hash& block_hash,
                                 const Hash& state_root) const {
  Message message;
  message.kind = MessageKind::kCheckpoint;
  message.from = from;
  message.height = height;
  message.digest = block_hash;
  message.state_root = state_root;
  message.signature = crypto::sign_domain(keys_[from], crypto::Domain::kCheckpoint, kChainId,
                                          checkpoint_body(height, block_hash, state_root));
  return message;
}

Message Cluster::sign_pre_prepare(uint32_t from, uint64_t view, const ledger::Block& block) const {
  Message message = sign_vote(from, MessageKind::kPrePrepare, view, block.header.height,
                              ledger::block_hash(block.header));
  message.block = ledger::encode_block(block);
  return message;
}

void Cluster::reseal(ledger::Block* block) {
  block->header.tx_root = ledger::merkle_root(ledger::transaction_hashes(*block));
  block->header.tx_count = static_cast<uint32_t>(block->transactions.size());
}

ledger::Block Cluster::next_block(uint64_t height, const Hash& prev_hash,
                                  std::vector<ledger::SignedTransaction> txs) const {
  ledger::Block block;
  block.header.chain_id = kChainId;
  block.header.height = height;
  block.header.prev_hash = prev_hash;
  block.header.timestamp_ms = now_ms_;
  block.header.proposer = 0;
  block.header.view = 0;
  block.header.state_root = height <= options_.pipeline_depth
                                ? genesis_state_root()
                                : nodes_[0].roots.at(height - options_.pipeline_depth);
  block.transactions = std::move(txs);
  reseal(&block);
  return block;
}

Hash Cluster::applied_hash(uint32_t index, uint64_t height) const {
  return nodes_[index].applied.at(height - 1).hash;
}

size_t count_sent(const TestNode& node, MessageKind kind, uint64_t height,
                  std::optional<Hash> digest) {
  size_t count = 0;
  for (const Outbound& out : node.sent) {
    const Message& message = out.message;
    if (message.kind == kind && message.height == height &&
        (!digest || message.digest == *digest)) {
      ++count;
    }
  }
  return count;
}

}  // namespace phalanx::consensus::testing
