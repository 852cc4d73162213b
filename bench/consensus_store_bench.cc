// phalanx-consensus-store-bench: the latency of one synced consensus-record write, the cost
// every Ready pays before its votes leave.
//
// It alternates, write by write, between
//   lmdb  an LMDB environment opened and written the way node::ConsensusStore did before
//         records.log: one put in one synced write transaction per call;
//   log   node::ConsensusStore as it is now: one frame appended, one fdatasync;
// each write replacing one of 16 keys with a --value-bytes value (default 300, about a vote
// record), and prints the median, p90 and p99 of each. Run it on the disk the nodes use (the
// default directory is under TMPDIR or /tmp), not on tmpfs.
//
// Usage: phalanx-consensus-store-bench [--writes N] [--value-bytes N] [--dir DIR]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "crypto/file_io.h"
#include "ledger/lmdb.h"
#include "node/consensus_store.h"

namespace {

using namespace phalanx;
using Clock = std::chrono::steady_clock;

struct Args {
  int writes = 2000;
  size_t value_bytes = 300;
  std::string dir;
};

void die(const std::string& message) {
  std::fprintf(stderr, "phalanx-consensus-store-bench: %s\n", message.c_str());
  std::exit(1);
}

Args parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) die("missing value after " + flag);
    const std::string value = argv[++i];
    if (flag == "--writes") {
      args.writes = std::atoi(value.c_str());
    } else if (flag == "--value-bytes") {
      args.value_bytes = static_cast<size_t>(std::atoll(value.c_str()));
    } else if (flag == "--dir") {
      args.dir = value;
    } else {
      die("unknown flag " + flag);
    }
  }
  if (args.writes < 1 || args.value_bytes > node::consensus_value_bytes_max) die("bad arguments");
  return args;
}

// The environment and write path of the LMDB ConsensusStore (git show e02c3dc).
class LmdbRecords {
 public:
  explicit LmdbRecords(const std::string& dir) {
    ledger::lmdb::EnvOptions options;
    options.map_size_bytes = uint64_t{16} << 30;
    options.databases_max = 1;
    options.readers_max = 8;
    auto env = ledger::lmdb::Env::open(dir, options);
    if (!env) die(env.message());
    env_.emplace(std::move(env).value());
    auto txn = ledger::lmdb::Txn::begin(*env_, false);
    if (!txn) die(txn.message());
    auto dbi = ledger::lmdb::open_database(*txn, "records", true);
    if (!dbi) die(dbi.message());
    dbi_ = *dbi;
    if (!txn->commit()) die("commit");
  }
  void write(const consensus::PersistOp& op) {
    auto txn = ledger::lmdb::Txn::begin(*env_, false);
    if (!txn) die(txn.message());
    if (!ledger::lmdb::put(*txn, dbi_, as_span(op.key), op.value)) die("put");
    const Status committed = txn->commit();
    if (!committed) die(committed.message());
  }

 private:
  std::optional<ledger::lmdb::Env> env_;
  MDB_dbi dbi_ = 0;
};

void report(const char* name, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  const auto at = [&](double q) { return ms[static_cast<size_t>(q * (ms.size() - 1))]; };
  double sum = 0;
  for (double m : ms) sum += m;
  std::printf(
      "%-5s writes %zu  median %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms  mean %.3f ms\n",
      name, ms.size(), at(0.5), at(0.9), at(0.99), ms.back(), sum / static_cast<double>(ms.size()));
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse(argc, argv);
  std::string root = args.dir;
  if (root.empty()) {
    auto made = make_temp_dir("phalanx-consensus-store-bench");
    if (!made) die(made.message());
    root = *made;
  }
  LmdbRecords lmdb(root + "/lmdb");
  auto log = node::ConsensusStore::open(root + "/log");
  if (!log) die(log.message());
  std::vector<double> lmdb_ms;
  std::vector<double> log_ms;
  for (int i = 0; i < args.writes; ++i) {
    const std::vector<consensus::PersistOp> ops{{consensus::PersistOp::Type::kPut,
                                                 "vote/prepare/" + std::to_string(i % 16),
                                                 Bytes(args.value_bytes, static_cast<uint8_t>(i))}};
    auto start = Clock::now();
    lmdb.write(ops[0]);
    lmdb_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    start = Clock::now();
    if (!(*log)->write(ops)) die("log write");
    log_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::printf("directory %s, %zu-byte values, alternating\n", root.c_str(), args.value_bytes);
  report("lmdb", lmdb_ms);
  report("log", log_ms);
  if (args.dir.empty()) std::filesystem::remove_all(root);
  return 0;
}
