// phalanx-mem-tree-bench: the in-memory state tree's apply (ledger/mem_tree.h) alone, with no
// LMDB and no flusher: how much of a batch's cost is the tree's own work as it grows.
//
// It builds a tree of --accounts random accounts, then applies --batches batches of --batch
// distinct random accounts each (new values), publishing each batch as a version and keeping
// the last --keep versions held (as TreeCache keeps a few for readers). It prints the mean
// apply and publish time over the last three quarters of the batches.
//
// phalanx-mem-tree-bench-nohash is the same program linked with crypto::sha256 replaced by an
// almost free mix (bench/fake_sha256.cc, -Wl,--wrap): its roots are wrong, its timings show
// what the tree costs besides hashing (docs/performance.md, session 11: hashing is about a
// quarter of a 1M-account tree's apply).
//
// Usage: phalanx-mem-tree-bench [--accounts N] [--batches N] [--batch N] [--keep N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "ledger/mem_tree.h"
#include "tests/testutil/rng.h"

namespace phalanx::ledger {
namespace {

struct Options {
  uint64_t accounts = 1000000;
  uint64_t batches = 1000;
  uint64_t batch = 500;
  uint64_t keep = 4;
};

#ifdef PHALANX_BENCH_NOHASH
constexpr const char* kHashing = "crypto::sha256 replaced by an almost free mix: timings only";
#else
constexpr const char* kHashing = "SHA-256";
#endif

constexpr const char* kUsage =
    "usage: phalanx-mem-tree-bench [--accounts N] [--batches N (>= 4)] "
    "[--batch N (<= --accounts)] [--keep N]\n"
    "  defaults: 1000000 accounts, 1000 batches of 500 distinct accounts, 4 versions held\n";

// What is wrong with the flags (empty: nothing); *help set for --help.
std::string parse(int argc, char** argv, Options* options, bool* help) {
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      *help = true;
      return "";
    }
    if (i + 1 >= argc) return flag + " needs a value";
    char* end = nullptr;
    const uint64_t value = std::strtoull(argv[i + 1], &end, 10);
    if (*end != '\0' || end == argv[i + 1]) return flag + ": not a number: " + argv[i + 1];
    if (flag == "--accounts" && value >= 1) {
      options->accounts = value;
    } else if (flag == "--batches" && value >= 4) {
      options->batches = value;
    } else if (flag == "--batch" && value >= 1 && value <= kTreeUpdatesMax) {
      options->batch = value;
    } else if (flag == "--keep") {
      options->keep = value;
    } else {
      return "unknown flag or value out of range: " + flag + " " + argv[i + 1];
    }
  }
  if (options->batch > options->accounts) return "--batch is larger than --accounts";
  return "";
}

void sort_by_key(std::vector<TreeUpdate>* updates) {
  std::sort(updates->begin(), updates->end(),
            [](const TreeUpdate& a, const TreeUpdate& b) { return a.key < b.key; });
}

int run(const Options& options) {
  testutil::Rng rng(7);
  std::vector<Hash> keys(options.accounts);
  for (Hash& key : keys) key = rng.hash();
  MemTree tree;
  uint64_t height = 0;
  constexpr uint64_t kChunk = 10000;  // within kTreeUpdatesMax
  for (uint64_t first = 0; first < keys.size(); first += kChunk) {
    std::vector<TreeUpdate> updates;
    for (uint64_t i = first; i < std::min<uint64_t>(keys.size(), first + kChunk); ++i) {
      updates.push_back({keys[i], rng.hash()});
    }
    sort_by_key(&updates);
    MemTreeChanges changes;
    if (!tree.apply(updates, &changes).is_ok()) return 1;
    tree.publish(++height);
  }
  std::printf("tree of %llu accounts built (%s); %llu batches of %llu distinct accounts...\n",
              static_cast<unsigned long long>(options.accounts), kHashing,
              static_cast<unsigned long long>(options.batches),
              static_cast<unsigned long long>(options.batch));

  std::deque<std::shared_ptr<const MemTreeVersion>> held;
  std::vector<uint64_t> order(keys.size());
  for (uint64_t i = 0; i < order.size(); ++i) order[i] = i;
  double apply_ms = 0, publish_ms = 0;
  const uint64_t measured_from = options.batches / 4;
  for (uint64_t b = 0; b < options.batches; ++b) {
    std::vector<TreeUpdate> updates;
    for (uint64_t i = 0; i < options.batch; ++i) {  // a partial shuffle: distinct accounts
      std::swap(order[i], order[i + rng.below(order.size() - i)]);
      updates.push_back({keys[order[i]], rng.hash()});
    }
    sort_by_key(&updates);
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    MemTreeChanges changes;
    if (!tree.apply(updates, &changes).is_ok()) return 1;
    const auto applied = Clock::now();
    held.push_back(tree.publish(++height));
    while (held.size() > options.keep) held.pop_front();
    const auto published = Clock::now();
    if (b >= measured_from) {
      apply_ms += std::chrono::duration<double, std::milli>(applied - start).count();
      publish_ms += std::chrono::duration<double, std::milli>(published - applied).count();
    }
  }
  const double measured = static_cast<double>(options.batches - measured_from);
  std::printf("accounts %llu, batch %llu: apply %.3f ms, publish %.3f ms (mean of the last %.0f)\n",
              static_cast<unsigned long long>(options.accounts),
              static_cast<unsigned long long>(options.batch), apply_ms / measured,
              publish_ms / measured, measured);
  return 0;
}

}  // namespace
}  // namespace phalanx::ledger

int main(int argc, char** argv) {
  phalanx::ledger::Options options;
  bool help = false;
  const std::string error = phalanx::ledger::parse(argc, argv, &options, &help);
  if (!error.empty()) {
    std::fprintf(stderr, "phalanx-mem-tree-bench: %s\n%s", error.c_str(), phalanx::ledger::kUsage);
    return 2;
  }
  if (help) {
    std::printf("%s", phalanx::ledger::kUsage);
    return 0;
  }
  return phalanx::ledger::run(options);
}
