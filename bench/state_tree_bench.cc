// phalanx-state-bench: the cost of one block's state-tree update as the tree grows.
//
// For a small and a large tree (default 1k and 1M accounts), it times batches of `--batch`
// random account updates (default 500, about one full block), each in its own LMDB write
// transaction, as the store commits a block. Two ways of storing the tree:
//   write-back  the store's way (ledger/tree_cache.h): the populated tree, in its own LMDB
//               environment as a format-3 store keeps it, is read into memory as the store
//               does when it opens; each commit updates it in memory and writes its updates
//               to the ledger environment's tree_pending; every `--flush-commits` commits
//               (default: the store's, 4,096) or 64 MiB of pending updates, the flusher
//               thread writes the dirty nodes in the background;
//   in-place    every commit rewrites each node it touched in the ledger environment (the
//               store before format 2).
// The two trees are measured in four turns (small, large, large, small), so that the host's
// drift falls on both alike. It reports the mean per batch (which spreads the waits for
// flushes over the commits between them), the p90 and max, and the large/small ratio of the
// means (issue #2's target: <= 2x).
//
// Two durability modes are measured on the same trees:
//   durable  the store's mode: every commit fsyncs before returning;
//   nosync   MDB_NOSYNC on the ledger environment, allowed ONLY here: it removes the disk
//            flush from the timing so the tree's own CPU and page-copy cost is visible. The
//            store never uses it (nor does the tree's environment, here or anywhere).
// Population uses MDB_NOSYNC too (one sync at the end): it is setup, not what is measured.
// --writemap measures MDB_WRITEMAP (dirty pages written from the map, no pwrite copies), an
// option the store does not take: it would expose the map to stray writes.
// Besides wall time it prints the process's CPU time per batch (every thread: the writer, the
// tree's worker and the flusher writing nodes in the background), which a busy host disturbs
// less, and a write-back commit's mean time by phase: TreeCache::apply (the tree update),
// finish (the pending record), the LMDB commit, and committed() (publishing, and handing a
// due flush to the flusher). --write-back-only skips the in-place modes.
//
// Why in-place cannot meet 2x: 500 random updates saturate a 1k tree (~270 of its nodes
// rewritten) but touch ~1300 nodes of a 1M tree (sum over levels of min(16^level, 500)), and
// LMDB copies a 4 KiB page per node it rewrites. Write-back rewrites each dirty node once per
// flush, off the commit path. Per update the path cost is the depth: log16(1M)/log16(1k) = 2,
// but the hash grammar is binary, and below the ~9 levels 500 random paths share, the 1M tree
// makes ~7,000 SHA-256 calls a batch against the 1k tree's ~1,900, and copies ~1,240 cold
// 2.3 KiB nodes (the 1k tree stays in cache): its CPU per batch stays about 4x the 1k tree's,
// and each of the two parts alone scales more than 2x (hashing ~3.7x, the rest ~6.5x).
// Figures: docs/performance.md (sessions 5 to 11).
//
// phalanx-state-bench-nohash is this program linked with crypto::sha256 replaced by an almost
// free mix (bench/fake_sha256.cc): its roots are wrong but consistent, and its apply phase
// shows what the tree costs besides hashing.
//
// Usage: phalanx-state-bench [--small N] [--large N] [--batch N] [--rounds N] [--dir DIR]
//                            [--flush-commits N] [--writemap] [--write-back-only]
#include <lmdb.h>
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/file_io.h"
#include "ledger/lmdb.h"
#include "ledger/state_tree.h"
#include "ledger/tree_cache.h"
#include "tests/testutil/rng.h"

namespace phalanx::ledger {
namespace {

constexpr size_t kPopulateChunk = 65536;

struct Options {
  uint64_t small = 1000;
  uint64_t large = 1000000;
  uint64_t batch = 500;
  uint64_t rounds = 0;  // 0: two flush intervals, so the mean includes two flushes
  uint64_t flush_commits = TreeCacheOptions{}.flush_commits;
  bool write_map = false;
  bool write_back_only = false;
  std::string dir;
};

using testutil::Rng;

[[noreturn]] void die(const std::string& what, const Status& status) {
  std::fprintf(stderr, "phalanx-state-bench: %s: %s\n", what.c_str(), status.to_string().c_str());
  std::exit(1);
}

// Wall ms of a write-back commit's phases: TreeCache::apply, finish (the pending record), the
// LMDB commit, and committed() (publishing the version, handing a due flush to the flusher).
struct Phases {
  double apply_ms = 0, finish_ms = 0, commit_ms = 0, publish_ms = 0;
  void add(const Phases& other, double weight) {
    apply_ms += other.apply_ms * weight;
    finish_ms += other.finish_ms * weight;
    commit_ms += other.commit_ms * weight;
    publish_ms += other.publish_ms * weight;
  }
};

struct Timing {
  double mean_ms = 0;  // the waits for flushes included: the cost per batch in the long run
  double max_ms = 0;
  double cpu_mean_ms = 0;  // the process's CPU time: steadier than wall time on a busy host
  double p90_ms = 0;
  double nodes_written = 0;  // mean per batch
  double kib_written = 0;    // mean per batch (write/pwrite bytes, /proc/self/io wchar)
  Phases phases;             // write-back only: the mean per batch
  uint64_t flushes = 0;      // write-back only: flushes started (the flusher writes them)
  double waited_ms = 0;      // write-back: per batch, waiting for flushes at the ends of turns
};

// Bytes this process has passed to write(2)-family calls so far.
uint64_t bytes_written() {
  std::ifstream io("/proc/self/io");
  std::string field;
  uint64_t value = 0;
  while (io >> field >> value) {
    if (field == "wchar:") return value;
  }
  return 0;
}

// Counts node writes on their way to the real store.
class CountingNodeStore final : public NodeStore {
 public:
  explicit CountingNodeStore(NodeStore& inner) : inner_(inner) {}
  Result<std::optional<ByteSpan>> view(ByteSpan key) const override { return inner_.view(key); }
  Status put(ByteSpan key, ByteSpan value) override {
    ++writes;
    return inner_.put(key, value);
  }
  Status erase(ByteSpan key) override {
    ++writes;
    return inner_.erase(key);
  }
  uint64_t writes = 0;

 private:
  NodeStore& inner_;
};

bool by_key(const TreeUpdate& a, const TreeUpdate& b) { return a.key < b.key; }

// Space the file really occupies (a write-mapped file is sparse, as large as the map).
double allocated_mib(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) return 0;
  return static_cast<double>(info.st_blocks) * 512.0 / (1 << 20);
}

double process_cpu_ms() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

struct BatchTime {
  double wall_ms = 0;
  double cpu_ms = 0;
  Phases phases;  // write-back only
};

double ms_since(std::chrono::steady_clock::time_point* start) {
  const auto now = std::chrono::steady_clock::now();
  const double ms = std::chrono::duration<double, std::milli>(now - *start).count();
  *start = now;
  return ms;
}

// Where a batch's tree writes go: straight into LMDB (in-place), or through the write-back
// cache, which needs a height per commit.
struct TreeWriter {
  TreeCache* cache = nullptr;  // nullptr: in-place
  uint64_t height = 0;
};

// One batch in one write transaction, timed.
BatchTime timed_batch(const lmdb::Env& env, MDB_dbi dbi, std::vector<TreeUpdate> updates,
                      TreeWriter* writer, uint64_t* nodes_written = nullptr) {
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = process_cpu_ms();
  BatchTime time;
  std::sort(updates.begin(), updates.end(), by_key);
  auto txn = lmdb::Txn::begin(env, false);
  if (!txn) die("begin", txn.status());
  auto phase = std::chrono::steady_clock::now();
  if (writer->cache == nullptr) {
    lmdb::NodeStoreTxn txn_nodes(*txn, dbi);
    CountingNodeStore nodes(txn_nodes);
    auto root = StateTree(nodes).apply(updates);
    if (!root) die("apply", root.status());
    if (nodes_written != nullptr) *nodes_written += nodes.writes;
  } else {
    auto root = writer->cache->apply(updates);
    if (!root) die("apply", root.status());
    time.phases.apply_ms = ms_since(&phase);
    Status status = writer->cache->finish(*txn, ++writer->height);
    if (!status) die("finish", status);
    time.phases.finish_ms = ms_since(&phase);
  }
  Status status = txn->commit();
  if (!status) die("commit", status);
  time.phases.commit_ms = ms_since(&phase);
  if (writer->cache != nullptr) writer->cache->committed(writer->height);
  time.phases.publish_ms = ms_since(&phase);
  time.wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  time.cpu_ms = process_cpu_ms() - cpu_start;
  return time;
}

struct TreeUnderTest {
  lmdb::Env env;
  TreeDatabases databases;
  std::vector<Hash> keys;
  uint64_t height = 0;  // of the write-back cache's commits, rising across runs
  Hash root{};
  std::unique_ptr<TreeFlusher> flusher;  // write-back: the tree's own environment
};

// A tree of `accounts` random accounts in `dir`. In-place: its nodes in the ledger
// environment's `tree` database (as before format 2); write-back: in the tree's own
// environment, as a store of format 3 keeps them.
TreeUnderTest populate(const std::string& dir, uint64_t accounts, bool write_map, bool in_place,
                       Rng& rng) {
  lmdb::EnvOptions env_options;
  env_options.map_size_bytes = uint64_t{32} << 30;
  env_options.extra_flags = MDB_NOSYNC;  // setup only; see the file comment
  if (write_map) env_options.extra_flags |= MDB_WRITEMAP;
  auto env = lmdb::Env::open(dir, env_options);
  if (!env) die("open " + dir, env.status());
  TreeUnderTest tree{std::move(env).value(), {}, {}, 0, {}, nullptr};
  {
    auto txn = lmdb::Txn::begin(tree.env, false);
    if (!txn) die("begin", txn.status());
    const std::pair<const char*, MDB_dbi*> all[] = {{"tree", &tree.databases.legacy_tree},
                                                    {"tree_pending", &tree.databases.pending},
                                                    {"meta", &tree.databases.meta}};
    for (const auto& [name, dbi] : all) {
      auto opened = lmdb::open_database(*txn, name, true);
      if (!opened) die("dbi", opened.status());
      *dbi = *opened;
    }
    Status status = txn->commit();
    if (!status) die("commit", status);
  }
  std::vector<TreeUpdate> all;
  all.reserve(accounts);
  for (uint64_t i = 0; i < accounts; ++i) all.push_back({rng.hash(), rng.hash()});
  std::sort(all.begin(), all.end(), by_key);
  TreeWriter in_ledger;
  MemTree memory;
  MemTreeChanges changes;
  const std::span<const TreeUpdate> span(all);
  for (size_t first = 0; first < all.size(); first += kPopulateChunk) {
    const size_t count = std::min(kPopulateChunk, all.size() - first);
    if (in_place) {
      timed_batch(tree.env, tree.databases.legacy_tree,
                  {all.begin() + first, all.begin() + first + count}, &in_ledger);
    } else {
      auto root = memory.apply(span.subspan(first, count), &changes);
      if (!root) die("populate", root.status());
    }
  }
  if (!in_place) {
    auto flusher = TreeFlusher::open(dir + "/tree", lmdb::EnvOptions{});
    if (!flusher) die("open " + dir + "/tree", flusher.status());
    tree.flusher = std::move(flusher).value();
    Status status = tree.flusher->write(memory.root(), 0);
    if (!status) die("write the tree", status);
    tree.root = mem_tree_root_hash(memory.root());
  }
  Status status = tree.env.sync();
  if (!status) die("sync", status);
  for (const TreeUpdate& update : all) tree.keys.push_back(update.key);
  return tree;
}

// LMDB's free list (pages freed by earlier transactions, kept for reuse): a flush frees a
// copy of every page it rewrites, and a commit that takes pages from a large free-list record
// writes the rest of it back.
void print_free_list(const lmdb::Env& env) {
  auto txn = lmdb::Txn::begin(env, true);
  if (!txn) die("begin", txn.status());
  MDB_stat stat{};
  const int rc = mdb_stat(txn->get(), 0 /* FREE_DBI */, &stat);
  if (rc != 0) die("mdb_stat", lmdb::error("mdb_stat", rc));
  std::printf(" LMDB free list: %zu records in %zu leaf and %zu overflow pages\n",
              static_cast<size_t>(stat.ms_entries), static_cast<size_t>(stat.ms_leaf_pages),
              static_cast<size_t>(stat.ms_overflow_pages));
}

// The write-back cache reads the populated tree into memory, as the store does when it opens.
void load_tree(const TreeUnderTest& tree, TreeCache* cache) {
  auto txn = lmdb::Txn::begin(tree.env, false);
  if (!txn) die("begin", txn.status());
  Status status = cache->recover(*txn, tree.height, tree.root);
  if (!status) die("load the tree", status);
  status = txn->commit();
  if (!status) die("commit", status);
  cache->committed(tree.height);
}

double mean(const std::vector<double>& values) {
  double sum = 0;
  for (double value : values) sum += value;
  return values.empty() ? 0 : sum / static_cast<double>(values.size());
}

// `count` distinct random accounts of `tree`, each with a new value.
std::vector<TreeUpdate> random_updates(const TreeUnderTest& tree, uint64_t count, Rng& rng) {
  std::vector<TreeUpdate> updates;
  std::vector<bool> used(tree.keys.size(), false);
  while (updates.size() < std::min<uint64_t>(count, tree.keys.size())) {
    const uint64_t index = rng.next() % tree.keys.size();
    if (used[index]) continue;
    used[index] = true;
    updates.push_back({tree.keys[index], rng.hash()});
  }
  return updates;
}

// One tree's batches in one mode.
struct Run {
  TreeWriter writer;
  std::vector<double> times, cpu_times;
  uint64_t nodes_written = 0, bytes_written = 0;
  double waited_ms = 0, waited_cpu_ms = 0;  // for its flushes at the end of its turns
  Timing timing;
};

Timing summary(Run& run, uint64_t rounds) {
  Timing& timing = run.timing;
  // The waits for flushes at the ends of turns spread over the batches.
  timing.mean_ms = mean(run.times) + run.waited_ms / static_cast<double>(rounds);
  timing.cpu_mean_ms = mean(run.cpu_times) + run.waited_cpu_ms / static_cast<double>(rounds);
  timing.waited_ms = run.waited_ms / static_cast<double>(rounds);
  std::sort(run.times.begin(), run.times.end());
  timing.max_ms = run.times.back();
  timing.p90_ms = run.times[run.times.size() * 9 / 10];
  timing.nodes_written = static_cast<double>(run.nodes_written) / static_cast<double>(rounds);
  timing.kib_written =
      static_cast<double>(run.bytes_written) / 1024.0 / static_cast<double>(rounds);
  return timing;
}

// Both trees in one mode, in four turns of half the rounds: small, large, large, small. The
// host's drift (a synced commit takes 0.65 ms or 1.2 ms minutes apart) falls on both alike,
// and a turn ends by waiting for its tree's flush in progress, so that no flush runs during
// the other tree's turn; that wait counts as the tree's own time (as if the commit path had
// waited: an upper bound). `caches` nullptr: in-place writes. A write-back run ends with a
// flush, so the next run starts from the same kind of tree.
void measure(const std::array<TreeUnderTest*, 2>& trees, const std::array<TreeCache*, 2>& caches,
             const Options& options, bool durable, Rng& rng, std::array<Timing, 2>* out) {
  std::array<Run, 2> runs;
  for (size_t t = 0; t < 2; ++t) {
    const int rc = mdb_env_set_flags(trees[t]->env.get(), MDB_NOSYNC, durable ? 0 : 1);
    if (rc != 0) die("mdb_env_set_flags", lmdb::error("mdb_env_set_flags", rc));
    runs[t].writer = TreeWriter{caches[t], trees[t]->height};
  }
  const uint64_t warmup = 3;
  const uint64_t half = (options.rounds + 1) / 2;
  for (const size_t t : {0, 1, 1, 0}) {
    Run& run = runs[t];
    const uint64_t first = run.writer.height - trees[t]->height;  // this tree's rounds so far
    const uint64_t last =
        std::min(options.rounds + warmup, first + half + (first == 0 ? warmup : 0));
    for (uint64_t round = first; round < last; ++round) {
      uint64_t nodes_written = 0;
      const uint64_t bytes_before = bytes_written();
      const BatchTime time =
          timed_batch(trees[t]->env, trees[t]->databases.legacy_tree,
                      random_updates(*trees[t], options.batch, rng), &run.writer, &nodes_written);
      if (caches[t] == nullptr) ++run.writer.height;  // (in-place: counts the rounds)
      if (round < warmup) continue;
      run.bytes_written += bytes_written() - bytes_before;
      run.nodes_written += nodes_written;
      run.times.push_back(time.wall_ms);
      run.cpu_times.push_back(time.cpu_ms);
      run.timing.phases.add(time.phases, 1.0 / static_cast<double>(options.rounds));
      if (caches[t] != nullptr && caches[t]->commits_since_flush() == 0) ++run.timing.flushes;
    }
    if (caches[t] != nullptr) {
      const auto start = std::chrono::steady_clock::now();
      const double cpu_start = process_cpu_ms();
      const uint64_t bytes_before = bytes_written();
      Status status = caches[t]->wait_flushed();
      if (!status) die("flush", status);
      run.waited_ms +=
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      run.waited_cpu_ms += process_cpu_ms() - cpu_start;
      run.bytes_written += bytes_written() - bytes_before;
    }
  }
  for (size_t t = 0; t < 2; ++t) {
    if (caches[t] != nullptr) {  // the rest of this run's dirty nodes, outside the timing
      Status status = caches[t]->flush_now();
      if (!status) die("flush", status);
    }
    trees[t]->height = runs[t].writer.height;
    (*out)[t] = summary(runs[t], options.rounds);
  }
}

bool parse_u64(const char* text, uint64_t* out) {
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0' || value == 0) return false;
  *out = value;
  return true;
}

// Returns -1 to continue, else the exit code.
int parse_options(int argc, char** argv, Options* options) {
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--writemap") {
      options->write_map = true;
      continue;
    }
    if (flag == "--write-back-only") {
      options->write_back_only = true;
      continue;
    }
    if (flag == "--help") {
      std::printf(
          "usage: phalanx-state-bench [--small N] [--large N] [--batch N] [--rounds N]"
          " [--dir DIR] [--flush-commits N] [--writemap]\n"
          "                           [--write-back-only]\n"
          "  --small N          accounts in the small tree (default 1000)\n"
          "  --large N          accounts in the large tree (default 1000000)\n"
          "  --batch N          random account updates per commit (default 500)\n"
          "  --rounds N         measured commits per tree and mode (default: two flush intervals)\n"
          "  --flush-commits N  the write-back cache's flush interval (default %llu)\n"
          "  --dir DIR          where the trees are built (default: a fresh temp dir)\n"
          "  --writemap         open LMDB with MDB_WRITEMAP (the store never does)\n"
          "  --write-back-only  skip the in-place modes\n",
          static_cast<unsigned long long>(TreeCacheOptions{}.flush_commits));
      return 0;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "phalanx-state-bench: %s needs a value\n", flag.c_str());
      return 2;
    }
    const char* value = argv[++i];
    bool ok = true;
    if (flag == "--small") {
      ok = parse_u64(value, &options->small);
    } else if (flag == "--large") {
      ok = parse_u64(value, &options->large);
    } else if (flag == "--batch") {
      ok = parse_u64(value, &options->batch);
    } else if (flag == "--rounds") {
      ok = parse_u64(value, &options->rounds);
    } else if (flag == "--flush-commits") {
      ok = parse_u64(value, &options->flush_commits);
    } else if (flag == "--dir") {
      options->dir = value;
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "phalanx-state-bench: bad flag or value: %s %s\n", flag.c_str(), value);
      return 2;
    }
  }
  if (options->rounds == 0) options->rounds = 2 * std::max<uint64_t>(options->flush_commits, 1);
  return -1;
}

// The modes measured: the two write-back ones, and the in-place ones unless skipped.
int modes_measured(const Options& options) { return options.write_back_only ? 2 : 4; }

constexpr const char* kModes[4] = {"write-back durable", "write-back nosync", "in-place durable",
                                   "in-place nosync"};

void measure_mode(const std::array<TreeUnderTest*, 2>& trees,
                  const std::array<TreeCache*, 2>& caches, const Options& options, int mode,
                  Rng& rng, Timing (&results)[2][4]) {
  std::printf("measuring %s...\n", kModes[mode]);
  std::fflush(stdout);
  std::array<Timing, 2> timings;
  measure(trees, caches, options, mode % 2 == 0, rng, &timings);
  for (size_t t = 0; t < 2; ++t) {
    results[t][mode] = timings[t];
    std::printf("  %llu accounts:", static_cast<unsigned long long>(trees[t]->keys.size()));
    print_free_list(trees[t]->env);
  }
}

#ifdef PHALANX_BENCH_NOHASH
constexpr const char* kHashing = " (NO HASHING: crypto::sha256 replaced, timings only)";
#else
constexpr const char* kHashing = "";
#endif

void print_results(const Options& options, const Timing (&results)[2][4]) {
  std::printf(
      "\n%llu-account batches%s, %llu rounds each, write-back flush every %llu commits\n"
      "(ms per batch incl. its commit; the mean includes the waits for flushes at turn ends)\n",
      static_cast<unsigned long long>(options.batch), kHashing,
      static_cast<unsigned long long>(options.rounds),
      static_cast<unsigned long long>(options.flush_commits));
  std::printf("%-19s %10s %9s %9s %10s %9s %9s %7s %9s %9s %7s\n", "mode", "small mean", "p90",
              "max", "large mean", "p90", "max", "ratio", "cpu small", "cpu large", "ratio");
  for (int m = 0; m < modes_measured(options); ++m) {
    const Timing& small = results[0][m];
    const Timing& large = results[1][m];
    std::printf("%-19s %10.2f %9.2f %9.2f %10.2f %9.2f %9.2f %6.2fx %9.2f %9.2f %6.2fx\n",
                kModes[m], small.mean_ms, small.p90_ms, small.max_ms, large.mean_ms, large.p90_ms,
                large.max_ms, large.mean_ms / small.mean_ms, small.cpu_mean_ms, large.cpu_mean_ms,
                large.cpu_mean_ms / small.cpu_mean_ms);
  }
  std::printf(
      "\nwrite-back, mean ms per batch by phase (apply / finish / LMDB commit / publish /\n"
      "waiting for flushes at turn ends), and the flushes started\n");
  for (int m = 0; m < 2; ++m) {
    for (int s = 0; s < 2; ++s) {
      const Phases& p = results[s][m].phases;
      std::printf("%-19s %-5s %6.2f / %6.2f / %6.2f / %6.2f / %6.2f, %llu flushes\n", kModes[m],
                  s == 0 ? "small" : "large", p.apply_ms, p.finish_ms, p.commit_ms, p.publish_ms,
                  results[s][m].waited_ms, static_cast<unsigned long long>(results[s][m].flushes));
    }
  }
}

int run(int argc, char** argv) {
  Options options;
  if (const int exit_code = parse_options(argc, argv, &options); exit_code >= 0) return exit_code;
  const bool own_dir = options.dir.empty();
  if (own_dir) {
    auto dir = make_temp_dir("phalanx-state-bench");
    if (!dir) {
      std::fprintf(stderr, "phalanx-state-bench: %s\n", dir.message().c_str());
      return 1;
    }
    options.dir = *dir;
  }
  Rng rng(1);
  Timing results[2][4];  // [small|large][kModes]
  const uint64_t sizes[2] = {options.small, options.large};
  std::string dirs[2];
  for (int s = 0; s < 2; ++s) {
    dirs[s] = options.dir + "/tree-" + std::to_string(sizes[s]);
    // Each run builds its trees from scratch (a directory left by an earlier run holds pending
    // updates of another tree).
    std::filesystem::remove_all(dirs[s]);
    std::filesystem::remove_all(dirs[s] + "-in-place");
  }
  if (!options.write_back_only) {
    TreeUnderTest small = populate(dirs[0] + "-in-place", sizes[0], options.write_map, true, rng);
    TreeUnderTest large = populate(dirs[1] + "-in-place", sizes[1], options.write_map, true, rng);
    for (int m = 2; m < 4; ++m) measure_mode({&small, &large}, {}, options, m, rng, results);
  }
  std::optional<TreeUnderTest> trees[2];
  std::unique_ptr<TreeCache> caches[2];
  for (int s = 0; s < 2; ++s) {
    const auto start = std::chrono::steady_clock::now();
    trees[s].emplace(populate(dirs[s], sizes[s], options.write_map, false, rng));
    caches[s] = std::make_unique<TreeCache>(std::move(trees[s]->flusher), trees[s]->databases,
                                            TreeCacheOptions{options.flush_commits});
    load_tree(*trees[s], caches[s].get());
    const double setup_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("tree of %llu accounts: populated and loaded in %.1f s, its environment %.1f MiB\n",
                static_cast<unsigned long long>(sizes[s]), setup_s,
                allocated_mib(dirs[s] + "/tree/data.mdb"));
  }
  for (int m = 0; m < 2; ++m) {
    measure_mode({&*trees[0], &*trees[1]}, {caches[0].get(), caches[1].get()}, options, m, rng,
                 results);
  }
  for (int s = 0; s < 2; ++s) {
    std::printf("%llu accounts, per batch: %.0f KiB handed to the kernel write-back (nosync)",
                static_cast<unsigned long long>(sizes[s]), results[s][1].kib_written);
    if (!options.write_back_only) {
      std::printf(", %.0f in-place; in-place writes %.0f nodes", results[s][3].kib_written,
                  results[s][3].nodes_written);
    }
    std::printf("\n");
  }
  print_results(options, results);
  if (own_dir) std::filesystem::remove_all(options.dir);
  return 0;
}

}  // namespace
}  // namespace phalanx::ledger

int main(int argc, char** argv) { return phalanx::ledger::run(argc, argv); }
