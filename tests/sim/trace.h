// The readable event trace of a run: one line per event, "time replica what", e.g.
//
//        812ms r2   recv PREPARE v0 h17 d=3fa1c2d9 from r1
//
// Lines are formatted only when tracing is on, so a disabled trace costs one branch.
// Thread-safety: none; owned by one simulation.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "consensus/types.h"

namespace phalanx::sim {

// First 4 bytes of a hash as 8 hex characters.
std::string short_hex(const crypto::Hash& hash);
// "PRE-PREPARE", "PREPARE", ... (consensus::kind_name in capitals).
std::string consensus_kind_name(consensus::MessageKind kind);
// "PREPARE v0 h17 d=3fa1c2d9" (CHECKPOINT adds the root; PRE-PREPARE the block size).
std::string format_message(const consensus::Message& message);

class Trace {
 public:
  // Tracing is off when `out` is null.
  explicit Trace(std::ostream* out) : out_(out) {}
  bool on() const { return out_ != nullptr; }
  // `replica` < 0: an event of the whole simulation (network, clients, injector).
  void line(uint64_t time_ms, int replica, std::string_view text);

 private:
  std::ostream* out_;
};

}  // namespace phalanx::sim
