// Validation of typed values (amounts, fees, nonces, hashes, durations, RPC URLs), each with
// a message that names the flag and says what is allowed.
#include "wallet/values.h"

#include <gtest/gtest.h>

#include "wallet/rpc_client.h"

namespace phalanx::wallet {
namespace {

std::string error_of(const Result<uint64_t>& result) {
  return result ? "(ok " + std::to_string(*result) + ")" : result.message();
}

TEST(WalletValuesTest, AmountAcceptsOneToTwoPow53MinusOne) {
  EXPECT_EQ(*parse_amount("1"), 1u);
  EXPECT_EQ(*parse_amount("9007199254740991"), 9007199254740991u);
  EXPECT_EQ(*parse_amount("0042"), 42u);
}

TEST(WalletValuesTest, AmountRejectsNonPositive) {
  EXPECT_NE(error_of(parse_amount("0")).find("--amount must be at least 1"), std::string::npos)
      << error_of(parse_amount("0"));
  EXPECT_NE(error_of(parse_amount("-5")).find("--amount must not be negative"), std::string::npos)
      << error_of(parse_amount("-5"));
}

TEST(WalletValuesTest, AmountRejectsOverflow) {
  for (const char* text : {"9007199254740992", "18446744073709551615", "18446744073709551616",
                           "99999999999999999999999999999"}) {
    const std::string error = error_of(parse_amount(text));
    EXPECT_NE(error.find("is too large: the maximum is 9007199254740991"), std::string::npos)
        << text << ": " << error;
  }
}

TEST(WalletValuesTest, AmountRejectsNonIntegers) {
  for (const char* text : {"", "1.5", "1e3", "+5", "0x10", " 5", "5 ", "five"}) {
    const std::string error = error_of(parse_amount(text));
    EXPECT_NE(error.find("--amount must be a whole number from 1 to 9007199254740991"),
              std::string::npos)
        << "'" << text << "': " << error;
  }
}

TEST(WalletValuesTest, FeeMayBeZeroAndNonceSpansU64) {
  EXPECT_EQ(*parse_fee("0"), 0u);
  EXPECT_FALSE(parse_fee("9007199254740992"));
  EXPECT_EQ(*parse_nonce("18446744073709551615"), UINT64_MAX);
  EXPECT_NE(error_of(parse_nonce("18446744073709551616")).find("--nonce"), std::string::npos);
}

TEST(WalletValuesTest, HashIsSixtyFourHexCharactersAndLowercased) {
  const std::string upper(64, 'A');
  EXPECT_EQ(*parse_tx_hash(upper), std::string(64, 'a'));
  EXPECT_NE(parse_tx_hash("abc").message().find("64 hex characters, got 3"), std::string::npos);
  std::string bad(64, '0');
  bad[10] = 'g';
  EXPECT_NE(parse_tx_hash(bad).message().find("character 11"), std::string::npos);
}

TEST(WalletValuesTest, TimeoutAndPollInterval) {
  EXPECT_DOUBLE_EQ(*parse_timeout_seconds("0.25"), 0.25);
  EXPECT_DOUBLE_EQ(*parse_timeout_seconds("60"), 60.0);
  for (const char* text : {"0", "-1", "abc", "86401", "1e3", ""}) {
    EXPECT_FALSE(parse_timeout_seconds(text)) << text;
  }
  EXPECT_EQ(*parse_poll_interval_ms("10"), 10);
  EXPECT_FALSE(parse_poll_interval_ms("0"));
  EXPECT_FALSE(parse_poll_interval_ms("60001"));
}

TEST(WalletValuesTest, AddressPrefixDecidesNameOrAddress) {
  EXPECT_TRUE(looks_like_address("phx1qqqq"));
  EXPECT_TRUE(looks_like_address("PHX1QQQQ"));
  EXPECT_FALSE(looks_like_address("alice"));
  EXPECT_FALSE(looks_like_address("phx"));
}

TEST(WalletValuesTest, RpcUrls) {
  auto plain = parse_rpc_url("http://127.0.0.1:26601");
  ASSERT_TRUE(plain) << plain.message();
  EXPECT_EQ(plain->scheme, "http");
  EXPECT_EQ(plain->host_port, "127.0.0.1:26601");
  EXPECT_EQ(plain->path, "/");
  auto with_path = parse_rpc_url("HTTPS://node.example:443/rpc");
  ASSERT_TRUE(with_path) << with_path.message();
  EXPECT_EQ(with_path->scheme, "https");
  EXPECT_EQ(with_path->path, "/rpc");
  EXPECT_TRUE(parse_rpc_url("http://[::1]:26601"));
  EXPECT_NE(parse_rpc_url("127.0.0.1:26601").message().find("must look like http://HOST:PORT"),
            std::string::npos);
  EXPECT_NE(parse_rpc_url("ftp://x:1").message().find("scheme 'ftp'"), std::string::npos);
  EXPECT_NE(parse_rpc_url("http://x:99999").message().find("bad port"), std::string::npos);
  EXPECT_NE(parse_rpc_url("http://x:").message().find("bad port"), std::string::npos);
  EXPECT_NE(parse_rpc_url("http://").message().find("no host"), std::string::npos);
}

}  // namespace
}  // namespace phalanx::wallet
