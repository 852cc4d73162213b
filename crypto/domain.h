// Domain separation for every signature in Phalanx. A signature covers
//
//   signing_message := tag_len:u8 tag chain_id_len:u8 chain_id body
//
// where tag is one of the tags below ("phalanx/tx/v1", "phalanx/prepare/v1", ...), so a
// signature made for one kind of message, or on one chain, never verifies as another.
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "crypto/bytes.h"
#include "crypto/ed25519.h"

namespace phalanx::crypto {

enum class Domain : uint8_t {
  kTransaction,
  kPrePrepare,
  kPrepare,
  kCommit,
  kCheckpoint,
  kViewChange,
  kNewView,
  kStatus,
};

std::string_view domain_tag(Domain domain);

// Chain ids: 1..64 bytes of [a-z0-9._-].
constexpr size_t kChainIdBytesMax = 64;
Status validate_chain_id(std::string_view chain_id);

// REQUIRES: validate_chain_id(chain_id).is_ok()
Bytes signing_message(Domain domain, std::string_view chain_id, ByteSpan body);
Signature sign_domain(const SecretKey& key, Domain domain, std::string_view chain_id,
                      ByteSpan body);
bool verify_domain(const PublicKey& key, Domain domain, std::string_view chain_id, ByteSpan body,
                   const Signature& signature);

}  // namespace phalanx::crypto
