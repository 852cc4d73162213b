// phalanx-faults-signer: derives addresses and signs transfers for the fault suite's bank
// workload (tests/faults/), a line in, a line out, so one process signs thousands of
// transfers without a wallet subprocess or keystore per transaction.
//
//   request  := "key" SP seed_hex                                          LF
//             | "sign" SP seed_hex SP chain_id SP to SP amount SP fee SP nonce   LF
//   response := address SP public_key_hex                                  LF   (key)
//             | tx_hash_hex SP tx_hex                                      LF   (sign)
//             | "error" SP message                                         LF
//
// seed_hex is a 32-byte Ed25519 seed; `to` a phx1... address; amount 1..2^53-1, fee
// 0..2^53-1, nonce 0..2^64-1 (decimal). Lines longer than line_bytes_max are refused.
// Thread-safety: a single-threaded program. Exit: 0 at end of input, 2 on bad arguments.
#include <charconv>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/address.h"
#include "crypto/bytes.h"
#include "crypto/domain.h"
#include "crypto/ed25519.h"
#include "ledger/transaction.h"

namespace {

using phalanx::Result;
using phalanx::Status;

constexpr size_t line_bytes_max = 1024;
constexpr size_t request_words_max = 8;

std::vector<std::string> split_words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  std::string word;
  while (words.size() <= request_words_max && in >> word) words.push_back(word);
  return words;
}

Result<uint64_t> parse_u64(const std::string& text, uint64_t max, const char* name) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value > max) {
    return Status::error(std::string(name) + ": expected a decimal integer up to " +
                         std::to_string(max));
  }
  return value;
}

Result<phalanx::crypto::SecretKey> parse_key(const std::string& seed_hex) {
  auto seed = phalanx::hex_decode_fixed<32>(seed_hex);
  if (!seed) return Status::error("seed: " + seed.status().message());
  return phalanx::crypto::SecretKey::from_seed(*seed);
}

std::string answer_key(const std::vector<std::string>& words) {
  if (words.size() != 2) return "error key takes exactly one seed";
  auto key = parse_key(words[1]);
  if (!key) return "error " + key.status().message();
  const auto address = phalanx::crypto::address_of(key->public_key());
  return phalanx::crypto::format_address(address) + " " + phalanx::hex_encode(key->public_key());
}

std::string answer_sign(const std::vector<std::string>& words) {
  if (words.size() != 7) return "error sign takes seed chain_id to amount fee nonce";
  auto key = parse_key(words[1]);
  if (!key) return "error " + key.status().message();
  const Status chain = phalanx::crypto::validate_chain_id(words[2]);
  if (!chain.is_ok()) return "error chain_id: " + chain.message();
  auto to = phalanx::crypto::parse_address(words[3]);
  if (!to) return "error to: " + to.status().message();
  auto amount = parse_u64(words[4], phalanx::ledger::kAmountMax, "amount");
  auto fee = parse_u64(words[5], phalanx::ledger::kAmountMax, "fee");
  auto nonce = parse_u64(words[6], UINT64_MAX, "nonce");
  for (const Status& s : {amount.status(), fee.status(), nonce.status()}) {
    if (!s.is_ok()) return "error " + s.message();
  }
  if (*amount == 0) return "error amount: must be at least 1";
  const auto tx = phalanx::ledger::make_transfer(*key, words[2], *to, *amount, *fee, *nonce);
  return phalanx::hex_encode(tx.hash) + " " + phalanx::hex_encode(tx.bytes);
}

std::string answer(const std::string& line) {
  if (line.size() > line_bytes_max) return "error line longer than 1024 bytes";
  const auto words = split_words(line);
  if (words.empty()) return "error empty request";
  if (words[0] == "key") return answer_key(words);
  if (words[0] == "sign") return answer_sign(words);
  return "error unknown request '" + words[0].substr(0, 16) + "' (key or sign)";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 1) {
    std::cerr << "usage: " << argv[0] << " < requests (see the header of signer.cc)\n";
    return 2;
  }
  std::string line;
  while (std::getline(std::cin, line)) std::cout << answer(line) << '\n' << std::flush;
  return 0;
}
