// bech32m (BIP-350) addresses with human-readable part "phx". The 20 address bytes are
// regrouped 8->5 bits (160 bits = exactly 32 characters, so no padding bits exist), and a
// 6-character checksum follows: "phx" "1" data:32 checksum:6 = 42 characters.
//
// Checks run from the coarsest to the finest so the message names the actual mistake:
// mixed case, separator/prefix, length, alphabet, checksum.
#include "crypto/address.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "crypto/hash.h"

namespace phalanx::crypto {
namespace {

constexpr std::string_view kHrp = "phx";
constexpr std::string_view kAlphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr uint32_t kBech32mConstant = 0x2bc830a3;
constexpr size_t kDataChars = 32;  // 20 bytes * 8 / 5
constexpr size_t kChecksumChars = 6;
constexpr size_t kAddressChars = kHrp.size() + 1 + kDataChars + kChecksumChars;
constexpr size_t kBech32CharsMax = 90;
constexpr std::string_view kAddressDomain = "phalanx/address/v1";

uint32_t polymod(const std::vector<uint8_t>& values) {
  static constexpr uint32_t kGenerator[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
                                             0x2a1462b3};
  uint32_t checksum = 1;
  for (uint8_t value : values) {
    const uint32_t top = checksum >> 25;
    checksum = (checksum & 0x1ffffff) << 5 ^ value;
    for (int i = 0; i < 5; ++i) {
      if ((top >> i) & 1) checksum ^= kGenerator[i];
    }
  }
  return checksum;
}

std::vector<uint8_t> expand_hrp() {
  std::vector<uint8_t> out;
  for (char c : kHrp) out.push_back(static_cast<uint8_t>(c) >> 5);
  out.push_back(0);
  for (char c : kHrp) out.push_back(static_cast<uint8_t>(c) & 31);
  return out;
}

std::vector<uint8_t> to_five_bit_groups(const std::array<uint8_t, 20>& bytes) {
  std::vector<uint8_t> out;
  uint32_t accumulator = 0;
  int bits = 0;
  for (uint8_t byte : bytes) {
    accumulator = accumulator << 8 | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(static_cast<uint8_t>(accumulator >> bits & 31));
    }
  }
  PHALANX_ASSERT(bits == 0 && out.size() == kDataChars);
  return out;
}

std::array<uint8_t, 20> from_five_bit_groups(const std::vector<uint8_t>& groups) {
  PHALANX_ASSERT(groups.size() == kDataChars);
  std::array<uint8_t, 20> out{};
  uint32_t accumulator = 0;
  int bits = 0;
  size_t index = 0;
  for (uint8_t group : groups) {
    accumulator = accumulator << 5 | group;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = static_cast<uint8_t>(accumulator >> bits);
    }
  }
  PHALANX_ASSERT(bits == 0 && index == out.size());
  return out;
}

Status check_case(std::string_view text) {
  bool lower = false;
  bool upper = false;
  for (char c : text) {
    lower |= (c >= 'a' && c <= 'z');
    upper |= (c >= 'A' && c <= 'Z');
  }
  if (lower && upper) return Status::error("invalid address: mixes upper and lower case");
  return Status::ok();
}

Status check_prefix(const std::string& text) {
  if (text.starts_with(std::string(kHrp) + "1")) return Status::ok();
  const size_t separator = text.find('1');
  if (separator == std::string::npos) {
    return Status::error("invalid address: missing the \"phx1\" prefix");
  }
  return Status::error("invalid address: expected the prefix \"phx1\", got \"" +
                       text.substr(0, std::min<size_t>(separator + 1, 16)) + "\"");
}

}  // namespace

Address address_of(const PublicKey& key) {
  // One short input: sha256() skips the EVP context a Hasher sets up and frees (the event
  // loop derives a sender's address for every transaction it admits).
  std::array<uint8_t, kAddressDomain.size() + std::tuple_size_v<PublicKey>> input{};
  std::copy(kAddressDomain.begin(), kAddressDomain.end(), input.begin());
  std::copy(key.begin(), key.end(), input.begin() + kAddressDomain.size());
  const Hash digest = sha256(input);
  Address address;
  std::copy(digest.begin(), digest.begin() + address.bytes.size(), address.bytes.begin());
  return address;
}

std::string format_address(const Address& address) {
  std::vector<uint8_t> data = to_five_bit_groups(address.bytes);
  std::vector<uint8_t> values = expand_hrp();
  values.insert(values.end(), data.begin(), data.end());
  values.insert(values.end(), kChecksumChars, 0);
  const uint32_t checksum = polymod(values) ^ kBech32mConstant;
  std::string out(kHrp);
  out.push_back('1');
  for (uint8_t group : data) out.push_back(kAlphabet[group]);
  for (size_t i = 0; i < kChecksumChars; ++i) {
    out.push_back(kAlphabet[(checksum >> (5 * (kChecksumChars - 1 - i))) & 31]);
  }
  return out;
}

Result<Address> parse_address(std::string_view input) {
  // Bound before copying; BIP-173 caps any bech32 string at 90 characters.
  if (input.size() > kBech32CharsMax) {
    return Status::error("invalid address: expected " + std::to_string(kAddressChars) +
                         " characters, got " + std::to_string(input.size()));
  }
  PHALANX_RETURN_IF_ERROR(check_case(input));
  std::string text(input);
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  PHALANX_RETURN_IF_ERROR(check_prefix(text));
  if (text.size() != kAddressChars) {
    return Status::error("invalid address: expected " + std::to_string(kAddressChars) +
                         " characters, got " + std::to_string(text.size()));
  }
  std::vector<uint8_t> values = expand_hrp();
  for (size_t i = kHrp.size() + 1; i < text.size(); ++i) {
    const size_t group = kAlphabet.find(text[i]);
    if (group == std::string_view::npos) {
      return Status::error("invalid address: character " + std::to_string(i + 1) +
                           " is not in the bech32 alphabet");
    }
    values.push_back(static_cast<uint8_t>(group));
  }
  if (polymod(values) != kBech32mConstant) {
    return Status::error("invalid address: checksum mismatch (mistyped character?)");
  }
  const size_t data_begin = expand_hrp().size();
  std::vector<uint8_t> data(values.begin() + data_begin, values.begin() + data_begin + kDataChars);
  Address address;
  address.bytes = from_five_bit_groups(data);
  return address;
}

}  // namespace phalanx::crypto
