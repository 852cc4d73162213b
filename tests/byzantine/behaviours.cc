#include "tests/byzantine/behaviours.h"

namespace phalanx::byzantine {

namespace {

std::string known_names() {
  std::string names;
  for (std::string_view name : kBehaviourNames) {
    if (!names.empty()) names += ", ";
    names += name;
  }
  return names + " or all";
}

constexpr std::array<std::string_view, kBehaviourCount> kBehaviourHelp = {
    "as primary, two validly signed PRE-PREPAREs (different blocks) for one (view, height) "
    "to the two halves of the backups",
    "PREPARE/COMMIT for a random digest to some peers, the real one to the others; "
    "VIEW-CHANGE without its prepared certificates to some",
    "a copy with an invalid signature before one in four signed messages",
    "random bytes, truncated frames, noise envelopes and messages under another "
    "validator's name, ten a second",
    "its own consensus messages again, at least 2 s old, ten a second",
    "as primary, blocks with a corrupted-signature, duplicated, already proposed or "
    "wrong-nonce transaction",
    "STATUS claiming 100 more heights (or, one in four, nearly 2^64); catch-up answered "
    "with forged blocks and certificates"};

}  // namespace

std::string behaviours_help() {
  std::string help;
  for (size_t i = 0; i < kBehaviourCount; ++i) {
    std::string name(kBehaviourNames[i]);
    name.resize(18, ' ');
    help += "  " + name + std::string(kBehaviourHelp[i]) + "\n";
  }
  return help;
}

std::string Behaviours::to_string() const {
  std::string text;
  for (size_t i = 0; i < kBehaviourCount; ++i) {
    if (!set_.test(i)) continue;
    if (!text.empty()) text += ",";
    text += kBehaviourNames[i];
  }
  return text.empty() ? "none" : text;
}

Result<Behaviours> parse_behaviours(std::string_view list) {
  Behaviours behaviours;
  if (list == "all") {
    for (size_t i = 0; i < kBehaviourCount; ++i) behaviours.add(static_cast<Behaviour>(i));
    return behaviours;
  }
  size_t start = 0;
  while (true) {
    const size_t comma = list.find(',', start);
    const std::string_view name = list.substr(start, comma - start);
    size_t index = 0;
    while (index < kBehaviourCount && kBehaviourNames[index] != name) ++index;
    if (index == kBehaviourCount) {
      return Status::error("unknown behaviour '" + std::string(name) +
                           "' in --byzantine (known: " + known_names() + ")");
    }
    const auto behaviour = static_cast<Behaviour>(index);
    if (behaviours.has(behaviour)) {
      return Status::error("behaviour '" + std::string(name) + "' given twice in --byzantine");
    }
    behaviours.add(behaviour);
    if (comma == std::string_view::npos) return behaviours;
    start = comma + 1;
  }
}

}  // namespace phalanx::byzantine
