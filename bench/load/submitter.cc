#include "bench/load/submitter.h"

#include <algorithm>

#include "bench/load/rpc.h"

namespace phalanx::bench {
namespace {

// JSON-RPC codes (docs/rpc.md) the benchmark treats specially.
constexpr int64_t kDuplicate = -32008;
// Refusals that may pass later; the transfer is sent again after kRetryAfterNs, since its
// sender's later nonces wait for it.
constexpr int64_t kRetryable[] = {-32005 /* nonce too far ahead */, -32009 /* mempool full, busy */,
                                  -32011 /* rate limited */};
constexpr int64_t kRetryAfterNs = 300 * kNsPerMs;
constexpr uint8_t kRetriesMax = 200;
// A node that failed a request is left alone this long before its threads try again.
constexpr auto kNodeRetryDelay = std::chrono::milliseconds(200);
// How often the in-flight cap and the resend scan are updated.
constexpr auto kControlPeriod = std::chrono::milliseconds(100);
constexpr int64_t kRateWindowNs = 2 * kNsPerS;
constexpr uint8_t kResendsMax = 3;
// The longest a connection thread waits for room before looking at its resend queue again.
constexpr auto kIdleWaitMax = std::chrono::milliseconds(10);

}  // namespace

Submitter::Submitter(const Testnet& testnet, TxPool* pool, const RunClock& clock,
                     const ChainWatcher& watcher, LoadOptions options)
    : testnet_(testnet),
      pool_(pool),
      clock_(clock),
      watcher_(watcher),
      options_(options),
      avoided_(testnet.n),
      resend_queues_(testnet.n) {
  PHALANX_ASSERT(options.batch > 0 && options.connections > 0);
  PHALANX_ASSERT(!options.open_loop || options.rate > 0);
}

Submitter::~Submitter() { stop(); }

void Submitter::start() {
  start_ns_ = clock_.now_ns();
  inflight_cap_ = options_.inflight_floor;
  for (uint32_t t = 0; t < options_.connections; ++t) {
    threads_.emplace_back([this, t] { connection_loop(t); });
  }
  threads_.emplace_back([this] { resend_loop(); });
}

void Submitter::stop_sending() { sending_ = false; }

void Submitter::stop() {
  sending_ = false;
  stop_ = true;
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

void Submitter::avoid(uint32_t node) {
  avoided_[node] = true;
  std::lock_guard<std::mutex> lock(mutex_);
  std::deque<size_t> moved;
  moved.swap(resend_queues_[node]);
  const uint32_t to = next_live_node(node);
  resend_queues_[to].insert(resend_queues_[to].end(), moved.begin(), moved.end());
}

std::map<int64_t, Rejection> Submitter::rejections() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rejections_;
}

uint64_t Submitter::rejected() const {
  uint64_t total = 0;
  for (const auto& [code, rejection] : rejections()) total += rejection.count;
  return total;
}

uint32_t Submitter::next_live_node(uint32_t after) const {
  for (uint32_t step = 1; step < testnet_.n; ++step) {
    const uint32_t candidate = (after + step) % testnet_.n;
    if (!avoided_[candidate]) return candidate;
  }
  return after;
}

// How many new transfers may be sent now.
size_t Submitter::allowed_now() const {
  const size_t sent = cursor_;
  if (options_.open_loop) {
    const double elapsed_s = static_cast<double>(clock_.now_ns() - start_ns_) / kNsPerS;
    // Transfer j is due at j / rate.
    const auto due = static_cast<size_t>(elapsed_s * options_.rate) + 1;
    return due > sent ? due - sent : 0;
  }
  const uint64_t committed = watcher_.committed();
  const size_t inflight = sent > committed ? sent - committed : 0;
  const size_t cap = inflight_cap_;
  return cap > inflight ? cap - inflight : 0;
}

// Claims up to `wanted` new indices; the first one, or pool size when none was claimed.
size_t Submitter::claim_new(size_t wanted) {
  size_t first = cursor_;
  while (true) {
    const size_t end = std::min(first + wanted, pool_->size());
    if (end <= first) return pool_->size();
    if (cursor_.compare_exchange_weak(first, end)) return first;
  }
}

std::vector<size_t> Submitter::claim(uint32_t node) {
  std::vector<size_t> indices;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::deque<size_t>& queue = resend_queues_[node];
    while (!queue.empty() && indices.size() < options_.batch) {
      indices.push_back(queue.front());
      queue.pop_front();
    }
  }
  if (!indices.empty() || !sending_) return indices;
  const size_t wanted = std::min(options_.batch, allowed_now());
  if (wanted == 0) return indices;
  const size_t first = claim_new(wanted);
  for (size_t i = first; i < std::min(first + wanted, pool_->size()); ++i) indices.push_back(i);
  return indices;
}

void Submitter::connection_loop(uint32_t thread) {
  const uint32_t node = thread % testnet_.n;
  RpcConnection connection(testnet_.nodes[node].rpc, 5000);
  while (!stop_) {
    if (avoided_[node]) return;
    // Read before claiming: a commit after it ends the wait below at once.
    const uint64_t committed = watcher_.committed();
    const std::vector<size_t> indices = claim(node);
    if (indices.empty()) {
      idle_wait(committed);
      continue;
    }
    send(connection, node, indices);
  }
}

// Open loop: until the next transfer is due (at most 10 ms). Max throughput, and the drain:
// until a commit makes room (the watcher's notice), or kIdleWaitMax for the resends the
// control thread queues every kControlPeriod. (A 500 us sleep here was ~45% of the load
// generator's CPU at max throughput: 8 threads waking 2,000 times a second each.)
void Submitter::idle_wait(uint64_t committed_seen) const {
  if (!options_.open_loop || !sending_) {
    watcher_.wait_committed_change(committed_seen, kIdleWaitMax);
    return;
  }
  const auto due_ns =
      start_ns_ + static_cast<int64_t>(static_cast<double>(cursor_) / options_.rate * kNsPerS);
  const int64_t wait_ns = std::clamp<int64_t>(due_ns - clock_.now_ns(), 0, 10 * kNsPerMs);
  std::this_thread::sleep_for(std::chrono::nanoseconds(wait_ns));
}

void Submitter::send(RpcConnection& connection, uint32_t node, const std::vector<size_t>& indices) {
  std::string body = "[";
  for (size_t i = 0; i < indices.size(); ++i) {
    if (i > 0) body += ',';
    body += R"({"jsonrpc":"2.0","method":"sendTransaction","id":)" + std::to_string(i) +
            R"(,"params":[")";
    pool_->append_hex(indices[i], &body);
    body += "\"]}";
  }
  body += ']';
  const int64_t sent_ns = clock_.now_ns();
  std::vector<char> resend(indices.size());
  for (size_t i = 0; i < indices.size(); ++i) {
    int64_t never = kNever;
    resend[i] = !pool_->first_sent_ns(indices[i]).compare_exchange_strong(never, sent_ns);
    pool_->last_sent_ns(indices[i]) = sent_ns;
    pool_->sent_to(indices[i]) = node;
  }
  auto replies = connection.batch_body(body, indices.size());
  if (!replies) {
    ++transport_failures_;
    requeue(node, indices);
    std::this_thread::sleep_for(kNodeRetryDelay);
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  for (size_t i = 0; i < indices.size(); ++i) {
    const Reply& reply = (*replies)[i];
    const size_t index = indices[i];
    if (resend[i]) ++resent_;
    if (reply.error_code == 0 || (resend[i] && reply.error_code == kDuplicate)) {
      if (pool_->state(index).exchange(kAccepted) != kAccepted) ++accepted_;
      continue;
    }
    if (pool_->state(index) == kAccepted) continue;  // an earlier send was accepted
    const bool retry = std::find(std::begin(kRetryable), std::end(kRetryable), reply.error_code) !=
                       std::end(kRetryable);
    if (pool_->state(index).exchange(retry ? kRetry : kRefused) != kRefused && !retry) {
      ++refused_;
    }
    Rejection& rejection = rejections_[reply.error_code];
    if (rejection.count++ == 0) rejection.message = reply.error_message;
  }
}

// A batch the node did not answer goes to the next node's resend queue.
void Submitter::requeue(uint32_t from_node, std::vector<size_t> indices) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::deque<size_t>& queue = resend_queues_[next_live_node(from_node)];
  queue.insert(queue.end(), indices.begin(), indices.end());
}

void Submitter::resend_loop() {
  std::deque<std::pair<int64_t, uint64_t>> history;
  while (!stop_) {
    std::this_thread::sleep_for(kControlPeriod);
    update_inflight_cap(&history);
    queue_resends(clock_.now_ns());
  }
}

void Submitter::update_inflight_cap(std::deque<std::pair<int64_t, uint64_t>>* history) {
  const int64_t now_ns = clock_.now_ns();
  history->emplace_back(now_ns, watcher_.committed());
  while (history->size() > 1 && now_ns - history->front().first > kRateWindowNs) {
    history->pop_front();
  }
  const double span_s = static_cast<double>(now_ns - history->front().first) / kNsPerS;
  if (span_s <= 0) return;
  const double rate =
      static_cast<double>(history->back().second - history->front().second) / span_s;
  const auto cap = static_cast<size_t>(rate * options_.inflight_s);
  inflight_cap_ = std::clamp(cap, options_.inflight_floor, options_.inflight_max);
}

// Transfers a node accepted long ago and still not committed go to another live node, at
// most kResendsMax times each; transfers refused for now go again after kRetryAfterNs.
bool Submitter::resend_due(size_t i, int64_t now_ns) const {
  const int64_t last = pool_->last_sent_ns(i);
  if (last == kNever || pool_->committed_ns(i) != kNever) return false;
  switch (pool_->state(i)) {
    case kAccepted:
      return now_ns - last >= options_.resend_after_ms * kNsPerMs &&
             pool_->resends(i) < kResendsMax;
    case kRetry:
      return now_ns - last >= kRetryAfterNs && pool_->resends(i) < kRetriesMax;
    default:
      return false;
  }
}

void Submitter::queue_resends(int64_t now_ns) {
  const size_t sent = std::min<size_t>(cursor_, pool_->size());
  std::vector<std::pair<uint32_t, size_t>> due;
  for (size_t i = 0; i < sent; ++i) {
    if (!resend_due(i, now_ns)) continue;
    pool_->last_sent_ns(i) = now_ns;  // not queued again before it has had its chance
    ++pool_->resends(i);
    due.emplace_back(next_live_node(pool_->sent_to(i)), i);
  }
  if (due.empty()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [node, index] : due) resend_queues_[node].push_back(index);
}

}  // namespace phalanx::bench
