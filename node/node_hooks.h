// node::NodeHooks: the one seam through which a test build of the node misbehaves on purpose
// and slows its disk (phalanxd-byzantine, tests/byzantine/, docs/byzantine.md). The release
// phalanxd passes no hooks: every call site skips a null pointer, and no misbehaviour is
// compiled into node/.
//
// The node calls, when hooks are installed:
//   attach()         once, from Node::open, before anything else;
//   outbound()       for every consensus message it sends (the replica's Ready::messages and
//                    the catch-up responses it serves): the frames returned go out instead;
//   inbound()        for every consensus message from a peer, before the replica steps it:
//                    the frames returned go out (the message is stepped unchanged);
//   tick()           on every loop tick: the frames returned go out;
//   before_commit()  before each ledger write transaction of committed blocks (one or more
//                    blocks; `height` is the last of them).
// Thread-safety: every call but attach() and before_commit() is made on the event-loop
// thread; before_commit() on the ledger writer's thread (node/ledger_writer.h), so it must
// not touch what the other calls do without a lock; attach() on the thread that opens the
// node, before the loop starts.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "consensus/types.h"
#include "crypto/ed25519.h"
#include "ledger/genesis.h"
#include "ledger/store.h"

namespace spdlog {
class logger;
}

namespace phalanx::node {

struct HookFrame {
  std::optional<uint32_t> to;  // nullopt: every other validator
  Bytes frame;                 // a whole wire frame (node/wire.h), sent as it is
};

struct HookContext {
  uint32_t self = 0;
  const ledger::Genesis* genesis = nullptr;  // lives as long as the node
  const ledger::Store* store = nullptr;      // read-only use (snapshots); lives as the node
  const crypto::SecretKey* key = nullptr;    // the validator key; valid during attach() only
  spdlog::logger* log = nullptr;             // the node's log; lives as long as the node
};

class NodeHooks {
 public:
  virtual ~NodeHooks() = default;
  virtual void attach(const HookContext& context) = 0;
  virtual std::vector<HookFrame> outbound(const consensus::Outbound& outbound) = 0;
  virtual std::vector<HookFrame> inbound(uint32_t from, const consensus::Message& message) = 0;
  virtual std::vector<HookFrame> tick(uint64_t now_ms) = 0;
  virtual void before_commit(uint64_t height) = 0;
};

}  // namespace phalanx::node
