// bech32m addresses: known answers (cross-checked with the BIP-350 reference code), round
// trips, and rejection of every single-character substitution with a clear reason.
#include "crypto/address.h"

#include <gtest/gtest.h>

#include <cctype>

namespace phalanx::crypto {
namespace {

// RFC 8032 TEST 1 public key.
constexpr std::string_view kRfcKey =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr std::string_view kRfcAddress = "phx1fnn02fpkfr9ca28h8k42fyxuzuyvvn6q78cpdt";

PublicKey rfc_key() { return *hex_decode_fixed<32>(kRfcKey); }

std::string parse_error(std::string_view text) {
  auto result = parse_address(text);
  return result ? std::string("(accepted)") : result.message();
}

TEST(Address, KnownAnswers) {
  EXPECT_EQ(format_address(address_of(rfc_key())), kRfcAddress);
  Seed seed{};
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(format_address(address_of(SecretKey::from_seed(seed).public_key())),
            "phx1cnz6qfrct0k6xgqqq42e4nzmn7zz5wvq5wsegy");
}

TEST(Address, RoundTripsAndAcceptsAllUppercase) {
  for (uint8_t fill : {0x00, 0x01, 0x7f, 0xff}) {
    Address address;
    address.bytes.fill(fill);
    const std::string text = format_address(address);
    ASSERT_EQ(text.size(), 42u);
    auto parsed = parse_address(text);
    ASSERT_TRUE(parsed.is_ok()) << parsed.message();
    EXPECT_EQ(*parsed, address);
  }
  std::string upper(kRfcAddress);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto parsed = parse_address(upper);
  ASSERT_TRUE(parsed.is_ok()) << parsed.message();
  EXPECT_EQ(*parsed, address_of(rfc_key()));
}

TEST(Address, EverySingleCharacterSubstitutionIsRejected) {
  const std::string original(kRfcAddress);
  int accepted = 0;
  for (size_t position = 0; position < original.size(); ++position) {
    for (int value = 0; value < 256; ++value) {
      const char c = static_cast<char>(value);
      if (c == original[position]) continue;
      std::string changed = original;
      changed[position] = c;
      if (parse_address(changed).is_ok()) {
        ++accepted;
        ADD_FAILURE() << "accepted substitution at " << position << ": " << changed;
      }
    }
  }
  EXPECT_EQ(accepted, 0);
}

TEST(Address, ErrorsSayWhatIsWrong) {
  const std::string good(kRfcAddress);
  std::string mixed = good;
  mixed[5] = static_cast<char>(std::toupper(static_cast<unsigned char>(mixed[5])));
  EXPECT_EQ(parse_error(mixed), "invalid address: mixes upper and lower case");
  EXPECT_EQ(parse_error("tph1fnn02fpkfr9ca28h8k42fyxuzuyvvn6qdc2zt8"),
            "invalid address: expected the prefix \"phx1\", got \"tph1\"");
  EXPECT_EQ(parse_error("phxfnn02fpkfr9ca28h8k42fyxuzuyvvn6q78cpdt"),
            "invalid address: missing the \"phx1\" prefix");
  EXPECT_EQ(parse_error(""), "invalid address: missing the \"phx1\" prefix");
  EXPECT_EQ(parse_error(good.substr(0, 41)), "invalid address: expected 42 characters, got 41");
  EXPECT_EQ(parse_error(good + "q"), "invalid address: expected 42 characters, got 43");
  EXPECT_EQ(parse_error("phx1" + std::string(5000, 'q')),
            "invalid address: expected 42 characters, got 5004");
  std::string bad_char = good;
  bad_char[10] = 'b';  // 'b', 'i', 'o' and '1' are outside the bech32 alphabet
  EXPECT_EQ(parse_error(bad_char), "invalid address: character 11 is not in the bech32 alphabet");
  std::string typo = good;
  typo[20] = typo[20] == 'q' ? 'p' : 'q';
  EXPECT_EQ(parse_error(typo), "invalid address: checksum mismatch (mistyped character?)");
  // The same data with a bech32 (BIP-173) checksum instead of bech32m.
  EXPECT_EQ(parse_error("phx1fnn02fpkfr9ca28h8k42fyxuzuyvvn6qtmgdgf"),
            "invalid address: checksum mismatch (mistyped character?)");
}

TEST(Address, DifferentKeysGiveDifferentAddresses) {
  PublicKey other = rfc_key();
  other[0] ^= 1;
  EXPECT_NE(address_of(other), address_of(rfc_key()));
}

}  // namespace
}  // namespace phalanx::crypto
