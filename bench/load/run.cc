#include "bench/load/run.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>

#include "bench/load/accounts.h"
#include "bench/load/bound.h"
#include "bench/load/nodes.h"
#include "bench/load/procstat.h"
#include "bench/load/report.h"
#include "bench/load/rpc.h"
#include "bench/load/sampler.h"
#include "bench/load/testnet.h"
#include "bench/load/txpool.h"
#include "bench/load/watcher.h"

namespace phalanx::bench {
namespace {

constexpr size_t kPoolMax = 4'000'000;
// The machine counts as idle below this busy fraction (of all cores).
constexpr double kIdleBusyMax = 0.10;
constexpr double kVerifyMeasureS = 2.0;

Result<Json> physical_bound(const RunOptions& options, uint32_t n) {
  Json bound = Json::object();
  double rate = options.verify_rate;
  if (rate <= 0) {
    const IdleCheck idle = wait_for_idle(kIdleBusyMax, options.idle_timeout_s);
    if (!idle.idle) {
      std::cerr << "phalanx-bench: warning: the machine is busy ("
                << std::lround(idle.busy_fraction * 100) << "% of its CPU after " << idle.waited_s
                << " s); the verify rate, and the bound, will be low\n";
    }
    bound["idle"] = idle.idle;
    bound["busy_percent"] = std::lround(idle.busy_fraction * 100);
    rate = measure_verify_rate(kVerifyMeasureS);
  }
  bound["verify_per_s"] = std::lround(rate);
  bound["bound_tx_per_s"] = std::lround(rate / n);
  return bound;
}

// The senders' next nonces (the largest pendingNonce any live node reports), after checking
// each is funded.
size_t pool_size(const RunOptions& options, double bound_tx_per_s) {
  if (options.txs > 0) return std::min(options.txs, kPoolMax);
  const double seconds = options.warmup_s + options.duration_s;
  const double rate = options.load.open_loop ? options.load.rate : bound_tx_per_s;
  return std::clamp<size_t>(static_cast<size_t>(std::ceil(rate * seconds)) + 1, 1, kPoolMax);
}

}  // namespace

class LoadRun {
 public:
  explicit LoadRun(const RunOptions& options) : options_(options) {}
  Result<Json> run();

 private:
  Status prepare();
  void measure();
  void tick(int64_t now_ns);
  void kill_primary();
  void drain();
  Json transaction_statuses();
  void progress(int64_t now_ns);
  Json report();
  void add_rejections(Json* report) const;
  void add_processes(Json* report, double window_s) const;
  void add_views(Json* report, const std::vector<BlockSeen>& blocks) const;

  const RunOptions& options_;
  Testnet testnet_;
  std::vector<NodeView> views_;
  Json bound_;
  std::vector<crypto::SecretKey> keys_;
  std::unique_ptr<TxPool> pool_;
  RunClock clock_;
  std::unique_ptr<ChainWatcher> watcher_;
  std::unique_ptr<Submitter> submitter_;
  std::unique_ptr<ProcessSampler> sampler_;
  RunMarks marks_;
  std::vector<double> cpu_at_window_start_;
  std::vector<double> cpu_at_window_end_;
  uint64_t last_progress_committed_ = 0;
  int64_t last_progress_ns_ = 0;
  bool stalled_ = false;
};

Status LoadRun::prepare() {
  auto testnet = load_testnet(options_.testnet_dir);
  if (!testnet) return testnet.status();
  testnet_ = std::move(*testnet);
  auto views = node_views(testnet_);
  if (!views) return views.status();
  views_ = std::move(*views);
  const uint32_t live = static_cast<uint32_t>(
      std::count_if(views_.begin(), views_.end(), [](const NodeView& v) { return v.live; }));
  const uint32_t f = (testnet_.n - 1) / 3;
  const uint32_t quorum = (testnet_.n + f + 2) / 2;
  if (live < quorum) {
    return Status::error("only " + std::to_string(live) + " of the " + std::to_string(testnet_.n) +
                         " nodes run; a quorum is " + std::to_string(quorum) +
                         ", so nothing can commit");
  }
  auto bound = physical_bound(options_, testnet_.n);
  if (!bound) return bound.status();
  bound_ = std::move(*bound);
  if (options_.senders > options_.accounts) {
    return Status::error("--senders " + std::to_string(options_.senders) + " exceeds --accounts");
  }
  keys_ = derive_keys(options_.seed, options_.accounts);
  const std::vector<crypto::Address> addresses = addresses_of(keys_);
  keys_.erase(keys_.begin() + options_.senders, keys_.end());
  const std::vector<crypto::Address> senders(addresses.begin(),
                                             addresses.begin() + options_.senders);
  auto nonces = sender_nonces(testnet_, views_, senders, options_.seed);
  if (!nonces) return nonces.status();
  TransferPlan plan;
  plan.chain_id = testnet_.chain_id;
  plan.senders = &keys_;
  plan.base_nonces = std::move(*nonces);
  plan.recipients = &addresses;
  plan.fee = std::max<uint64_t>(1, views_[first_live(views_, testnet_.n)].min_fee);
  plan.seed = options_.seed;
  plan.count = pool_size(options_, bound_["bound_tx_per_s"].get<double>());
  if (options_.progress) std::cerr << "[bench] signing " << plan.count << " transfers\n";
  pool_ = TxPool::build(plan);
  return Status::ok();
}

void LoadRun::measure() {
  const int64_t warmup_ns = static_cast<int64_t>(options_.warmup_s * kNsPerS);
  const int64_t duration_ns = static_cast<int64_t>(options_.duration_s * kNsPerS);
  marks_.send_start_ns = clock_.now_ns();
  marks_.window_start_ns = marks_.send_start_ns + warmup_ns;
  const int64_t planned_end_ns = marks_.window_start_ns + duration_ns;
  const int64_t kill_ns =
      options_.kill_primary_after_s < 0
          ? -1
          : marks_.window_start_ns + static_cast<int64_t>(options_.kill_primary_after_s * kNsPerS);
  const uint64_t start_height = watcher_->start_height();
  const int64_t stall_ns = static_cast<int64_t>(options_.stall_timeout_s * kNsPerS);
  uint64_t last_height = start_height;
  int64_t last_height_ns = clock_.now_ns();
  submitter_->start();
  bool window_started = false;
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const int64_t now_ns = clock_.now_ns();
    if (watcher_->height() != last_height || submitter_->sent() <= watcher_->committed()) {
      last_height = watcher_->height();
      last_height_ns = now_ns;
    } else if (now_ns - last_height_ns > stall_ns) {
      stalled_ = true;
      break;
    }
    if (!window_started && now_ns >= marks_.window_start_ns) {
      cpu_at_window_start_ = sampler_->cpu_s();
      window_started = true;
    }
    if (kill_ns >= 0 && marks_.kill_ns < 0 && now_ns >= kill_ns) kill_primary();
    const bool blocks_done = options_.stop_after_blocks > 0 &&
                             watcher_->height() >= start_height + options_.stop_after_blocks;
    if (now_ns >= planned_end_ns || submitter_->exhausted() || blocks_done) break;
    progress(now_ns);
  }
  submitter_->stop_sending();
  marks_.window_end_ns = clock_.now_ns();
  if (!window_started) {  // stopped during the warm-up: the window is empty
    marks_.window_start_ns = marks_.window_end_ns;
    cpu_at_window_start_ = sampler_->cpu_s();
  }
  cpu_at_window_end_ = sampler_->cpu_s();
  if (submitter_->exhausted() && options_.progress) {
    std::cerr << "[bench] all " << pool_->size()
              << " pre-signed transfers were sent before the window ended; pass a larger --txs\n";
  }
}

void LoadRun::progress(int64_t now_ns) {
  if (!options_.progress || now_ns - last_progress_ns_ < kNsPerS) return;
  const uint64_t committed = watcher_->committed();
  const double span_s = static_cast<double>(now_ns - last_progress_ns_) / kNsPerS;
  const double rate = static_cast<double>(committed - last_progress_committed_) / span_s;
  last_progress_ns_ = now_ns;
  last_progress_committed_ = committed;
  const size_t sent = submitter_->sent();
  std::cerr << "[bench] " << std::fixed << std::setprecision(1)
            << static_cast<double>(now_ns) / kNsPerS << " s  sent " << sent << "  committed "
            << committed << "  " << std::setprecision(0) << rate << " tx/s  in flight "
            << (sent > committed ? sent - committed : 0) << "  height " << watcher_->height()
            << "  rejected " << submitter_->rejected() << "\n";
}

// Scenario 4: SIGKILL the current primary (by the pid testnet.json names, checked to be a
// phalanxd), after steering the watcher and the load away from it.
void LoadRun::kill_primary() {
  marks_.kill_ns = clock_.now_ns();
  auto views = node_views(testnet_);
  if (!views) {
    std::cerr << "[bench] cannot find the primary to kill: " << views.message() << "\n";
    return;
  }
  const NodeView& any = (*views)[first_live(*views, testnet_.n)];
  const uint32_t primary = any.primary;
  const pid_t pid = testnet_.nodes[primary].pid;
  if (!is_phalanxd(pid)) {
    std::cerr << "[bench] primary " << primary << " (pid " << pid << ") is not running\n";
    return;
  }
  watcher_->avoid(primary);
  submitter_->avoid(primary);
  marks_.killed_node = primary;
  marks_.view_at_kill = any.view;
  marks_.height_at_kill = watcher_->height();
  marks_.kill_ns = clock_.now_ns();
  ::kill(pid, SIGKILL);
  if (options_.progress) {
    std::cerr << "[bench] killed the primary, node " << primary << " (pid " << pid << "), in view "
              << any.view << "\n";
  }
}

// Until every transfer sent is committed or refused for good (resends and retries still
// run), or the drain timeout.
void LoadRun::drain() {
  const int64_t deadline_ns =
      clock_.now_ns() + static_cast<int64_t>(options_.drain_timeout_s * kNsPerS);
  while (clock_.now_ns() < deadline_ns) {
    if (watcher_->committed() + submitter_->refused() >= submitter_->sent()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    progress(clock_.now_ns());
  }
  marks_.drain_end_ns = clock_.now_ns();
}

// getTransaction for every transfer sent, spread over the live nodes: how many each status,
// and how many committed at a height of the window.
Json LoadRun::transaction_statuses() {
  const WindowCounts window =
      window_counts(watcher_->blocks(), marks_.window_start_ns, marks_.window_end_ns);
  std::map<std::string, uint64_t> statuses;
  uint64_t in_window = 0;
  uint64_t unanswered = 0;
  std::vector<uint32_t> live;
  for (uint32_t i = 0; i < testnet_.n; ++i) {
    if (views_[i].live && static_cast<int64_t>(i) != marks_.killed_node) live.push_back(i);
  }
  std::vector<std::unique_ptr<RpcConnection>> connections;
  for (uint32_t node : live)
    connections.push_back(std::make_unique<RpcConnection>(testnet_.nodes[node].rpc, 10000));
  const size_t sent = std::min(submitter_->sent(), pool_->size());
  for (size_t first = 0, round = 0; first < sent; first += kStatusBatch, ++round) {
    std::vector<Call> calls;
    for (size_t j = first; j < std::min(first + kStatusBatch, sent); ++j) {
      calls.push_back({"getTransaction", Json::array({crypto::to_hex(pool_->hash(j))})});
    }
    auto replies = connections[round % connections.size()]->batch(calls);
    if (!replies) {
      unanswered += calls.size();
      continue;
    }
    for (const Reply& reply : *replies) {
      const Json& tx = reply.result;
      const std::string status = reply.error_code != 0 ? "error"
                                 : tx.is_null()        ? "unknown"
                                                       : tx.value("status", std::string("?"));
      ++statuses[status];
      if (status == "committed" && tx["height"].is_number_unsigned()) {
        const uint64_t height = tx["height"].get<uint64_t>();
        in_window +=
            window.blocks > 0 && height >= window.first_height && height <= window.last_height;
      }
    }
  }
  return {{"by_status", statuses}, {"committed_in_window", in_window}, {"unanswered", unanswered}};
}

Result<Json> LoadRun::run() {
  PHALANX_RETURN_IF_ERROR(prepare());
  std::vector<pid_t> pids;
  for (const TestnetNode& node : testnet_.nodes)
    pids.push_back(views_[node.id].live ? node.pid : 0);
  pids.push_back(::getpid());
  sampler_ = std::make_unique<ProcessSampler>(pids);
  sampler_->start(std::chrono::milliseconds(200));
  clock_ = RunClock();
  const uint32_t primary = views_[first_live(views_, testnet_.n)].primary;
  watcher_ = std::make_unique<ChainWatcher>(testnet_, pool_.get(), clock_,
                                            first_live(views_, primary), options_.poll_us);
  for (uint32_t i = 0; i < testnet_.n; ++i) {
    if (!views_[i].live) watcher_->avoid(i);
  }
  PHALANX_RETURN_IF_ERROR(watcher_->start());
  LoadOptions load = options_.load;
  load.inflight_max = std::min<size_t>(load.inflight_max, size_t{options_.senders} * 250);
  submitter_ = std::make_unique<Submitter>(testnet_, pool_.get(), clock_, *watcher_, load);
  for (uint32_t i = 0; i < testnet_.n; ++i) {
    if (!views_[i].live) submitter_->avoid(i);
  }
  measure();
  if (!stalled_) drain();
  submitter_->stop();
  watcher_->stop();
  sampler_->stop();
  if (stalled_) {
    return Status::error(
        "the chain committed no block for " + std::to_string(options_.stall_timeout_s) +
        " s at height " + std::to_string(watcher_->height()) + " with " +
        std::to_string(submitter_->sent() - watcher_->committed()) +
        " transfers in flight; see the nodes' logs (watcher: " + watcher_->last_error() + ")");
  }
  return report();
}

Json LoadRun::report() {
  const std::vector<BlockSeen> blocks = watcher_->blocks();
  const double window_s =
      std::max(1e-9, static_cast<double>(marks_.window_end_ns - marks_.window_start_ns) / kNsPerS);
  const WindowCounts window = window_counts(blocks, marks_.window_start_ns, marks_.window_end_ns);
  Json statuses = transaction_statuses();
  const double tx_per_s = statuses["committed_in_window"].get<double>() / window_s;
  const double tx_per_s_getblock = static_cast<double>(window.txs) / window_s;
  const double bound = bound_["bound_tx_per_s"].get<double>();
  std::vector<double> latencies;
  uint64_t in_blocks = 0;
  const size_t sent = std::min(submitter_->sent(), pool_->size());
  for (size_t j = 0; j < sent; ++j) {
    const int64_t done = pool_->committed_ns(j);
    if (done == kNever) continue;
    ++in_blocks;
    const int64_t first = pool_->first_sent_ns(j);
    if (first > marks_.window_start_ns && first <= marks_.window_end_ns) {
      latencies.push_back(static_cast<double>(done - first) / kNsPerMs);
    }
  }
  Json report = {
      {"name", options_.name},
      {"n", testnet_.n},
      {"mode", options_.load.open_loop ? "open" : "max"},
      {"offered_tx_per_s", options_.load.open_loop ? Json(options_.load.rate) : Json()},
      {"window_s", std::round(window_s * 1000) / 1000},
      {"tx_per_s", std::round(tx_per_s)},
      {"tx_per_s_getblock", std::round(tx_per_s_getblock)},
      {"counts_agree",
       std::abs(tx_per_s - tx_per_s_getblock) <= 0.05 * std::max(tx_per_s_getblock, 1.0)},
      {"bound_tx_per_s", bound},
      {"verify_per_s", bound_["verify_per_s"]},
      {"percent_of_bound", bound > 0 ? std::round(1000 * tx_per_s / bound) / 10 : 0},
      {"latency_ms", latency_percentiles(std::move(latencies))},
      {"blocks_per_s", std::round(10 * static_cast<double>(window.blocks) / window_s) / 10},
      {"txs_per_block", window.blocks ? std::round(10 * static_cast<double>(window.txs) /
                                                   static_cast<double>(window.blocks)) /
                                            10
                                      : 0.0},
      {"sent", sent},
      {"accepted", submitter_->accepted()},
      // By the nodes' own word (getTransaction): a transfer in a block may have failed.
      {"committed", statuses["by_status"].value("committed", uint64_t{0})},
      {"in_blocks", in_blocks},
      {"all_committed", statuses["by_status"].value("committed", uint64_t{0}) == sent},
      {"resent", submitter_->resent()},
      {"transport_failures", submitter_->transport_failures()},
      {"statuses", statuses},
      {"timeline_tx_per_s", timeline(blocks, marks_.drain_end_ns)},
  };
  add_rejections(&report);
  add_processes(&report, window_s);
  add_views(&report, blocks);
  if (marks_.kill_ns >= 0) report["kill"] = kill_summary(blocks, marks_);
  report["bound"] = bound_;
  return report;
}

void LoadRun::add_rejections(Json* report) const {
  Json rejected = Json::object();
  uint64_t total = 0;
  for (const auto& [code, rejection] : submitter_->rejections()) {
    rejected[std::to_string(code)] = {{"count", rejection.count}, {"message", rejection.message}};
    total += rejection.count;
  }
  (*report)["rejected"] = rejected;
  (*report)["rejected_total"] = total;
}

void LoadRun::add_processes(Json* report, double window_s) const {
  Json nodes = Json::array();
  double rss_max = 0;
  for (uint32_t i = 0; i < testnet_.n; ++i) {
    if (!views_[i].live) continue;
    const double rss_mib =
        std::round(static_cast<double>(sampler_->rss_anon_peak_kib(i)) / 102.4) / 10;
    const double cpu = cpu_at_window_end_[i] - cpu_at_window_start_[i];
    nodes.push_back(
        {{"id", i},
         {"cpu_percent",
          cpu_at_window_end_[i] < 0 ? Json() : Json(std::round(1000 * cpu / window_s) / 10)},
         {"rss_anon_mib_max", rss_mib}});
    rss_max = std::max(rss_max, rss_mib);
  }
  const size_t self = testnet_.n;
  (*report)["nodes"] = nodes;
  (*report)["rss_anon_mib_max"] = rss_max;
  (*report)["bench_cpu_percent"] =
      std::round(1000 * (cpu_at_window_end_[self] - cpu_at_window_start_[self]) / window_s) / 10;
}

// View changes: how far the highest view any live node reports moved during the run.
void LoadRun::add_views(Json* report, const std::vector<BlockSeen>& blocks) const {
  uint64_t before = 0;
  for (const NodeView& view : views_) before = std::max(before, view.live ? view.view : 0);
  uint64_t after = before;
  auto final_views = node_views(testnet_);
  if (final_views) {
    for (const NodeView& view : *final_views) after = std::max(after, view.live ? view.view : 0);
  }
  for (const BlockSeen& block : blocks) after = std::max(after, block.view);
  (*report)["view_changes"] = after - before;
}

Result<Json> run_load(const RunOptions& options) {
  LoadRun run(options);
  return run.run();
}

}  // namespace phalanx::bench
