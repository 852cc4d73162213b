// The misbehaviours phalanxd-byzantine can be told to show (docs/byzantine.md), and the
// parsing of its --byzantine LIST flag.
// Thread-safety: value types and pure functions.
#pragma once

#include <array>
#include <bitset>
#include <cstddef>
#include <string>
#include <string_view>

#include "crypto/status.h"

namespace phalanx::byzantine {

enum class Behaviour : size_t {
  kEquivocate = 0,        // as primary: two signed PRE-PREPAREs for one (view, height)
  kConflictingVotes = 1,  // PREPARE/COMMIT for another digest to some peers
  kBadSignatures = 2,     // copies of its messages with invalid signatures
  kGarbage = 3,           // random bytes, truncated frames, messages naming another sender
  kReplay = 4,            // its own old consensus messages again
  kBadTxs = 5,            // as primary: blocks with invalid or duplicated transactions
  kForgedCatchUp = 6,     // inflated STATUS heights; forged blocks and certificates served
};
inline constexpr size_t kBehaviourCount = 7;

// The names --byzantine takes, indexed by Behaviour.
inline constexpr std::array<std::string_view, kBehaviourCount> kBehaviourNames = {
    "equivocate", "conflicting-votes", "bad-signatures", "garbage",
    "replay",     "bad-txs",           "forged-catch-up"};

// One line per behaviour, "  NAME  what it does", for --help.
std::string behaviours_help();

class Behaviours {
 public:
  bool has(Behaviour behaviour) const { return set_.test(static_cast<size_t>(behaviour)); }
  void add(Behaviour behaviour) { set_.set(static_cast<size_t>(behaviour)); }
  bool empty() const { return set_.none(); }
  // "equivocate,replay" in the order of kBehaviourNames; "none" when empty.
  std::string to_string() const;

 private:
  std::bitset<kBehaviourCount> set_;
};

// "all", or a comma-separated list of names from kBehaviourNames (each at most once, no
// empty item). An unknown name is an error that lists the known ones.
Result<Behaviours> parse_behaviours(std::string_view list);

}  // namespace phalanx::byzantine
