// HOME/config.json (node/config.h) and the home directory (node/home.h).
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "node/config.h"
#include "node/home.h"
#include "tests/testutil/temp_dir.h"

namespace phalanx::node {
namespace {

// A directory for one test's config files, removed with them.
struct ConfigDir : testutil::TempDir {
  ConfigDir() : TempDir("phalanx-node-unit") {}
};

std::string error_of(std::string_view json) {
  auto config = parse_node_config(json);
  return config.is_ok() ? "" : config.message();
}

TEST(NodeConfig, EmptyObjectTakesDefaultsAndRoundTrips) {
  auto config = parse_node_config("{}");
  ASSERT_TRUE(config.is_ok()) << config.message();
  EXPECT_EQ(config->rpc_host, "127.0.0.1");
  EXPECT_EQ(config->p2p_port, 26600);
  EXPECT_EQ(config->min_fee, 1u);
  EXPECT_EQ(config->view_change_timeout_ms, 1500u);
  EXPECT_EQ(config->mempool_gapped_ttl_ms, 600'000u);
  auto off = parse_node_config(R"({"consensus": {"view_change_timeout_ms": 0}})");
  ASSERT_TRUE(off.is_ok()) << off.message();
  EXPECT_EQ(off->view_change_timeout_ms, 0u);
  NodeConfig custom;
  custom.p2p_port = 3000;
  custom.min_fee = 0;
  custom.log_level = "debug";
  custom.rpc_calls_per_second = 0;
  auto again = parse_node_config(node_config_to_json(custom));
  ASSERT_TRUE(again.is_ok()) << again.message();
  EXPECT_EQ(node_config_to_json(*again), node_config_to_json(custom));
}

TEST(NodeConfig, SourceHostIsOptionalAndCheckedLikeAHost) {
  auto unset = parse_node_config("{}");
  ASSERT_TRUE(unset.is_ok()) << unset.message();
  EXPECT_EQ(unset->p2p_source_host, "");  // the OS picks
  auto empty = parse_node_config(R"({"p2p": {"source_host": ""}})");
  ASSERT_TRUE(empty.is_ok()) << empty.message();
  auto set = parse_node_config(R"({"p2p": {"source_host": "127.0.3.11"}})");
  ASSERT_TRUE(set.is_ok()) << set.message();
  EXPECT_EQ(set->p2p_source_host, "127.0.3.11");
  EXPECT_EQ(error_of(R"({"p2p": {"source_host": "1.2.3.4;tcp://x"}})").substr(0, 16),
            "p2p.source_host:");
  EXPECT_EQ(error_of(R"({"p2p": {"source_host": 5}})"), "p2p.source_host: expected a string");
}

TEST(NodeConfig, EveryMistakeNamesItsKey) {
  EXPECT_EQ(error_of(R"({"mempool": {"min_fee": -1}})"),
            "mempool.min_fee: expected a non-negative integer");
  EXPECT_EQ(error_of(R"({"rpc": {"port": 70000}})"), "rpc.port: 70000 is out of range 1..65535");
  EXPECT_EQ(error_of(R"({"mempool": {"gapped_ttl_ms": 999}})"),
            "mempool.gapped_ttl_ms: 999 is out of range 1000..86400000");
  EXPECT_EQ(error_of(R"({"rpc": {"prot": 1}})"), "rpc.prot: unknown key");
  EXPECT_EQ(error_of(R"({"mempol": {}})"), "mempol: unknown section");
  EXPECT_EQ(error_of(R"({"consensus": {"view_change_timeout_ms": 600001}})"),
            "consensus.view_change_timeout_ms: 600001 is out of range 0..600000");
  EXPECT_EQ(error_of(R"({"log": {"level": "loud"}})").substr(0, 10), "log.level:");
  EXPECT_EQ(error_of(R"({"p2p": {"host": "a b"}})").substr(0, 9), "p2p.host:");
  EXPECT_EQ(error_of(R"({"p2p": {"host": 5}})"), "p2p.host: expected a string");
  EXPECT_EQ(error_of(R"({"consensus": 3})"), "consensus: expected an object");
  EXPECT_NE(error_of(R"({"rpc": {"port": 1, "port": 2}})").find("duplicate key 'port'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"rpc": {"port": [1]}})").find("nested too deeply"), std::string::npos);
  EXPECT_EQ(error_of("[]"), "expected a JSON object");
  EXPECT_NE(error_of("{").find("invalid JSON"), std::string::npos);
  EXPECT_NE(error_of(R"({"rpc": {"port": 1.5}})").find("rpc.port"), std::string::npos);
}

TEST(NodeConfig, MissingFileSaysToInit) {
  auto config = load_node_config("/nonexistent/config.json");
  ASSERT_FALSE(config.is_ok());
  EXPECT_NE(config.message().find("phalanxd init"), std::string::npos);
}

TEST(Home, InitWritesAPrivateKeyAndRefusesToOverwriteIt) {
  ConfigDir dir;
  const HomePaths paths(dir.path() + "/home");
  auto public_key = init_home(paths, NodeConfig{});
  ASSERT_TRUE(public_key.is_ok()) << public_key.message();
  struct stat info {};
  ASSERT_EQ(stat(paths.key.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto key = load_node_key(paths.key);
  ASSERT_TRUE(key.is_ok()) << key.message();
  EXPECT_EQ(key->public_key(), *public_key);
  EXPECT_TRUE(load_node_config(paths.config).is_ok());
  auto again = init_home(paths, NodeConfig{});
  ASSERT_FALSE(again.is_ok());
  EXPECT_NE(again.message().find("already initialised"), std::string::npos);
  EXPECT_EQ(load_node_key(paths.key)->public_key(), *public_key);
}

TEST(Home, KeyFileMustBePrivateAndWellFormed) {
  ConfigDir dir;
  const std::string path = dir.path() + "/node.key";
  ASSERT_TRUE(write_file_atomic(path, std::string(64, 'a') + "\n", 0644).is_ok());
  auto readable = load_node_key(path);
  ASSERT_FALSE(readable.is_ok());
  EXPECT_NE(readable.message().find("chmod 600"), std::string::npos);
  ASSERT_TRUE(write_file_atomic(path, "abc\n", 0600).is_ok());
  EXPECT_FALSE(load_node_key(path).is_ok());
  ASSERT_TRUE(write_file_atomic(path, std::string(64, 'a'), 0600).is_ok());
  EXPECT_TRUE(load_node_key(path).is_ok());
}

TEST(Home, LockIsExclusiveUntilReleased) {
  ConfigDir dir;
  const std::string path = dir.path() + "/node.lock";
  {
    auto first = HomeLock::acquire(path);
    ASSERT_TRUE(first.is_ok()) << first.message();
    auto second = HomeLock::acquire(path);
    ASSERT_FALSE(second.is_ok());
    EXPECT_NE(second.message().find("another phalanxd"), std::string::npos);
  }
  EXPECT_TRUE(HomeLock::acquire(path).is_ok());
}

}  // namespace
}  // namespace phalanx::node
