// Trace formatting (see trace.h).
#include "tests/sim/trace.h"

#include <cctype>
#include <cstdio>

#include "consensus/codec.h"

namespace phalanx::sim {

std::string short_hex(const crypto::Hash& hash) { return hex_encode(ByteSpan(hash.data(), 4)); }

std::string consensus_kind_name(consensus::MessageKind kind) {
  std::string name(consensus::kind_name(kind));  // "pre-prepare", "view-change", ...
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

std::string format_message(const consensus::Message& message) {
  std::string text = consensus_kind_name(message.kind);
  if (message.kind != consensus::MessageKind::kCheckpoint) {
    text += " v" + std::to_string(message.view);
  }
  text += " h" + std::to_string(message.height) + " d=" + short_hex(message.digest);
  if (message.kind == consensus::MessageKind::kCheckpoint) {
    text += " root=" + short_hex(message.state_root);
  }
  if (message.kind == consensus::MessageKind::kPrePrepare) {
    text += " block=" + std::to_string(message.block.size()) + "B";
  }
  return text;
}

void Trace::line(uint64_t time_ms, int replica, std::string_view text) {
  if (out_ == nullptr) return;
  char prefix[40];
  if (replica >= 0) {
    std::snprintf(prefix, sizeof(prefix), "%9llums r%-3d ",
                  static_cast<unsigned long long>(time_ms), replica);
  } else {
    std::snprintf(prefix, sizeof(prefix), "%9llums sim  ",
                  static_cast<unsigned long long>(time_ms));
  }
  *out_ << prefix << text << '\n';
}

}  // namespace phalanx::sim
