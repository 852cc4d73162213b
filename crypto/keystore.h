// Encrypted key files, one per named key:
//
//   DIR/NAME.key  (JSON, mode 0600)
//   {"version":1,"name":"...","address":"phx1...","public_key":"hex",
//    "kdf":{"algorithm":"argon2id13","opslimit":N,"memlimit":N,"salt":"hex16"},
//    "cipher":{"algorithm":"xchacha20poly1305-ietf","nonce":"hex24","ciphertext":"hex"}}
//
// The 32-byte Ed25519 seed is encrypted with XChaCha20-Poly1305 under a key derived from
// the password by Argon2id (crypto_pwhash); the header fields are authenticated as
// associated data. A wrong password and a corrupted file are told apart where possible
// ("wrong password or corrupted key file" when the tag fails). Derived keys and seeds are
// wiped after use.
// Thread-safety: functions touch only the files they are given.
#pragma once

#include <string>
#include <vector>

#include "crypto/address.h"
#include "crypto/ed25519.h"
#include "crypto/status.h"

namespace phalanx::crypto {

struct KeystoreParams {
  // Interactive defaults; tests use the minimum to stay fast.
  unsigned long long opslimit;
  size_t memlimit;
  static KeystoreParams interactive();
  static KeystoreParams minimum();
};

struct KeyInfo {
  std::string name;
  Address address;
  PublicKey public_key{};
};

// Names: 1..64 characters of [A-Za-z0-9._-], not starting with '.'.
Status validate_key_name(const std::string& name);

// Creates DIR (0700) if needed; refuses an existing NAME.
Status keystore_create(const std::string& dir, const std::string& name, const Seed& seed,
                       const std::string& password, const KeystoreParams& params);
Result<SecretKey> keystore_unlock(const std::string& dir, const std::string& name,
                                  const std::string& password);
// Public information only; no password needed.
Result<KeyInfo> keystore_info(const std::string& dir, const std::string& name);
Result<std::vector<KeyInfo>> keystore_list(const std::string& dir);

}  // namespace phalanx::crypto
