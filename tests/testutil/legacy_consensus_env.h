// phalanx::testutil::write_legacy_consensus_env: consensus records written the way
// node::ConsensusStore kept them before records.log -- one LMDB environment in `dir` with a
// named database "records" -- to test the migration (tests/node).
// Thread-safety: any thread, one call per directory at a time.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "ledger/lmdb.h"

namespace phalanx::testutil {

inline void write_legacy_consensus_env(const std::string& dir,
                                       const std::map<std::string, Bytes>& records) {
  ledger::lmdb::EnvOptions options;
  options.map_size_bytes = uint64_t{16} << 30;
  options.databases_max = 1;
  options.readers_max = 8;
  auto env = ledger::lmdb::Env::open(dir, options);
  ASSERT_TRUE(env.is_ok()) << env.message();
  auto txn = ledger::lmdb::Txn::begin(*env, /*read_only=*/false);
  ASSERT_TRUE(txn.is_ok());
  auto dbi = ledger::lmdb::open_database(*txn, "records", /*create=*/true);
  ASSERT_TRUE(dbi.is_ok());
  for (const auto& [key, value] : records) {
    ASSERT_TRUE(ledger::lmdb::put(*txn, *dbi, as_span(key), value).is_ok());
  }
  ASSERT_TRUE(txn->commit().is_ok());
}

}  // namespace phalanx::testutil
