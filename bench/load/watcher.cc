#include "bench/load/watcher.h"

#include "bench/load/rpc.h"

namespace phalanx::bench {
namespace {

// Blocks read per getBlock batch: a full block's reply is ~280 KB of hashes.
constexpr uint64_t kBlocksPerBatch = 16;

}  // namespace

ChainWatcher::ChainWatcher(const Testnet& testnet, TxPool* pool, const RunClock& clock,
                           uint32_t node, int poll_us)
    : testnet_(testnet),
      pool_(pool),
      clock_(clock),
      poll_us_(poll_us),
      node_(node),
      avoided_(testnet.n) {}

ChainWatcher::~ChainWatcher() { stop(); }

Status ChainWatcher::start() {
  connection_ = std::make_unique<RpcConnection>(testnet_.nodes[node_].rpc, 2000);
  auto tip = connection_->call("getBlockHeight");
  if (!tip) return tip.status();
  if (tip->error_code != 0 || !tip->result.is_number_unsigned()) {
    return Status::error(connection_->url() + ": getBlockHeight failed: " + tip->error_message);
  }
  start_height_ = tip->result.get<uint64_t>();
  height_ = start_height_;
  thread_ = std::thread([this] { loop(); });
  return Status::ok();
}

void ChainWatcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  committed_changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ChainWatcher::avoid(uint32_t node) {
  avoided_[node] = true;
  // The loop switches on its next poll.
}

void ChainWatcher::wait_committed_change(uint64_t seen, std::chrono::nanoseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  committed_changed_.wait_for(lock, timeout, [&] { return stop_ || committed_ != seen; });
}

std::vector<BlockSeen> ChainWatcher::blocks() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return blocks_;
}

std::string ChainWatcher::last_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_error_;
}

void ChainWatcher::loop() {
  while (!stop_) {
    if (avoided_[node_]) next_node("avoiding node " + std::to_string(node_.load()));
    if (!poll_once()) continue;
    std::this_thread::sleep_for(std::chrono::microseconds(poll_us_));
  }
}

// One poll: the tip, then every block up to it. False after a switch of node.
bool ChainWatcher::poll_once() {
  auto tip = connection_->call("getBlockHeight");
  const int64_t observed_ns = clock_.now_ns();
  if (!tip || tip->error_code != 0 || !tip->result.is_number_unsigned()) {
    next_node(tip ? "getBlockHeight: " + tip->error_message : tip.message());
    return false;
  }
  const uint64_t top = tip->result.get<uint64_t>();
  if (top <= height_) return true;
  const Status read = read_blocks(height_ + 1, top, observed_ns);
  if (!read) {
    next_node(read.message());
    return false;
  }
  return true;
}

Status ChainWatcher::read_blocks(uint64_t from, uint64_t to, int64_t observed_ns) {
  for (uint64_t first = from; first <= to; first += kBlocksPerBatch) {
    std::vector<Call> calls;
    for (uint64_t h = first; h <= to && h < first + kBlocksPerBatch; ++h) {
      calls.push_back({"getBlock", Json::array({h})});
    }
    auto replies = connection_->batch(calls);
    if (!replies) return replies.status();
    for (size_t i = 0; i < replies->size(); ++i) {
      const Reply& reply = (*replies)[i];
      const Json& block = reply.result;
      if (reply.error_code != 0 || !block.is_object() || !block.contains("transactions") ||
          !block["transactions"].is_array()) {
        return Status::error("getBlock " + std::to_string(first + i) +
                             " failed: " + reply.error_message);
      }
      BlockSeen seen{first + i, observed_ns, 0, 0, block.value("view", uint64_t{0})};
      for (const Json& hash_hex : block["transactions"]) {
        ++seen.txs;
        auto hash = hash_hex.is_string() ? hex_decode_fixed<32>(hash_hex.get<std::string>())
                                         : Status::error("not a string");
        if (!hash) return Status::error("getBlock returned a bad tx hash: " + hash.message());
        const auto index = pool_->index_of(*hash);
        if (!index) continue;
        int64_t never = kNever;
        if (pool_->committed_ns(*index).compare_exchange_strong(never, observed_ns)) {
          ++seen.ours;
        }
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        committed_ += seen.ours;
        blocks_.push_back(seen);
        height_ = seen.height;
      }
      if (seen.ours > 0) committed_changed_.notify_all();
    }
  }
  return Status::ok();
}

void ChainWatcher::next_node(const std::string& error) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    last_error_ = error;
  }
  for (uint32_t step = 1; step <= testnet_.n; ++step) {
    const uint32_t candidate = (node_ + step) % testnet_.n;
    if (!avoided_[candidate]) {
      node_ = candidate;
      break;
    }
  }
  connection_ = std::make_unique<RpcConnection>(testnet_.nodes[node_].rpc, 2000);
  if (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

}  // namespace phalanx::bench
