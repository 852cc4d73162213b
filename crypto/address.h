// Addresses: 20 bytes derived from an Ed25519 public key,
//
//   address_bytes := first 20 bytes of SHA-256("phalanx/address/v1" || public_key)
//
// written as bech32m (BIP-350) with human-readable part "phx": "phx1" + 32 data characters
// + 6 checksum characters, all lowercase. bech32m detects every error of up to 4
// characters, so a single mistyped character is always rejected.
// Thread-safety: pure functions.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "crypto/status.h"

namespace phalanx::crypto {

struct Address {
  std::array<uint8_t, 20> bytes{};
  auto operator<=>(const Address&) const = default;
};

// For unordered containers keyed by an Address. Clients choose addresses (by grinding keys),
// so this is HashHasher's seeded mix of the address's first 16 bytes.
struct AddressHasher {
  size_t operator()(const Address& address) const noexcept {
    Hash key{};
    std::copy(address.bytes.begin(), address.bytes.end(), key.begin());
    return HashHasher{}(key);
  }
};

Address address_of(const PublicKey& key);
std::string format_address(const Address& address);
// Rejects wrong prefix, wrong length, mixed case, characters outside the bech32 alphabet
// and checksum mismatches, each with a message saying which.
Result<Address> parse_address(std::string_view text);

}  // namespace phalanx::crypto
