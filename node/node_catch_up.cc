// Catch-up on the node's side (consensus/catch_up.h): serving peers' requests from the
// ledger, and reporting the certified blocks this node fetched. The replica decides whom to
// ask, verifies every response's commit certificate and outputs the blocks through
// Ready::committed; the loop applies them like any committed block (node_loop.cc).
#include <spdlog/spdlog.h>

#include "consensus/catch_up.h"
#include "node/node.h"

namespace phalanx::node {

// Committed blocks live in the ledger, not in the replica: read each requested height's
// block and certificate from one read snapshot and send them, one per message, in height
// order. A height the ledger lacks, a storage error or a full link to the peer ends the
// reply early; the peer's replica re-asks (or asks someone else) on its timeout.
void Node::serve(const consensus::ServeRequest& request) {
  auto snapshot = store_->snapshot();
  if (!snapshot) {
    log_->error("catch-up: cannot read the ledger to serve validator {}: {}", request.peer,
                snapshot.message());
    return;
  }
  uint64_t sent_last = 0;
  for (uint64_t height = request.first; height <= request.last; ++height) {
    auto block = snapshot->block(height);
    auto certificate = snapshot->certificate(height);
    if (!block || !certificate) {
      log_->error("catch-up: cannot read block {} to serve validator {}: {}", height, request.peer,
                  !block ? block.message() : certificate.message());
      break;
    }
    if (!block->has_value() || !certificate->has_value()) break;
    const consensus::Message response =
        consensus::make_catch_up_response(self_, **block, **certificate);
    if (!send_message({request.peer, response})) break;
    sent_last = height;
  }
  if (sent_last >= request.first) {
    log_->debug("catch-up: served heights {}..{} to validator {}", request.first, sent_last,
                request.peer);
  }
}

// One line per Ready that carried fetched blocks; they come from the peer whose responses
// the loop last stepped (the replica asks one peer at a time).
void Node::note_catch_up(const std::vector<consensus::CommittedBlock>& committed) {
  std::optional<uint64_t> first;
  uint64_t last = 0;
  for (const consensus::CommittedBlock& block : committed) {
    if (!block.certified_catch_up) continue;
    if (!first) first = block.block.header.height;
    last = block.block.header.height;
  }
  if (!first) return;
  log_->info("catch-up: heights {}..{} from validator {}", *first, last, catch_up_source_);
}

// Logs when the replica starts and finishes fetching committed blocks, and when a catch-up
// round starts again (another peer, or still behind).
void Node::watch_catch_up() {
  const bool catching_up = replica_->catching_up();
  if (catching_up == catching_up_) return;
  catching_up_ = catching_up;
  if (catching_up) {
    log_->info("catch-up: behind the other validators at height {}, fetching committed blocks",
               store_->height());
  } else {
    log_->info("catch-up: done at height {}", store_->height());
  }
}

}  // namespace phalanx::node
