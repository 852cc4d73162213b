// phalanx-e2e-ed25519-verify: checks one Ed25519 signature for the end-to-end test, which
// rebuilds the documented signed bytes itself (in Python) and needs only the curve check;
// Debian's python3 has no Ed25519 in its standard library. It calls libsodium directly, not
// crypto/ed25519.h, so the test does not trust the code it is checking.
//
//   phalanx-e2e-ed25519-verify PUBKEY_HEX MESSAGE_HEX SIGNATURE_HEX
//
// Exit codes: 0 the signature verifies, 1 it does not, 2 malformed arguments.
// Thread-safety: a single-threaded program.
#include <sodium.h>

#include <cstdio>
#include <string_view>

#include "crypto/bytes.h"

namespace {

// The longest message this helper accepts (a COMMIT's signed bytes are under 200).
constexpr size_t message_hex_chars_max = 1 << 16;

int usage(const char* why) {
  std::fprintf(stderr,
               "phalanx-e2e-ed25519-verify: %s\n"
               "usage: phalanx-e2e-ed25519-verify PUBKEY_HEX MESSAGE_HEX SIGNATURE_HEX\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using phalanx::hex_decode;
  using phalanx::hex_decode_fixed;
  if (argc != 4) return usage("expected exactly 3 arguments");
  if (sodium_init() < 0) {
    std::fprintf(stderr, "phalanx-e2e-ed25519-verify: libsodium failed to initialise\n");
    return 3;
  }
  auto public_key = hex_decode_fixed<crypto_sign_PUBLICKEYBYTES>(argv[1]);
  if (!public_key.is_ok()) return usage("PUBKEY_HEX is not 32 bytes of hex");
  const std::string_view message_hex = argv[2];
  if (message_hex.size() > message_hex_chars_max) return usage("MESSAGE_HEX is too long");
  auto message = hex_decode(message_hex);
  if (!message.is_ok()) return usage("MESSAGE_HEX is not hex");
  auto signature = hex_decode_fixed<crypto_sign_BYTES>(argv[3]);
  if (!signature.is_ok()) return usage("SIGNATURE_HEX is not 64 bytes of hex");
  const int rc = crypto_sign_verify_detached(signature.value().data(), message.value().data(),
                                             message.value().size(), public_key.value().data());
  std::puts(rc == 0 ? "valid" : "invalid");
  return rc == 0 ? 0 : 1;
}
