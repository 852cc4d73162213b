// Run results: the summary, the fingerprint that proves a replay identical, and the command
// line that replays a seed.
#include <sstream>

#include "tests/sim/simulation_internal.h"

namespace phalanx::sim {
namespace {

void hash_counters(crypto::Hasher* hasher, const consensus::Counters& c) {
  Writer writer;
  for (uint64_t value : {c.dropped_not_validator,
                         c.dropped_bad_signature,
                         c.dropped_wrong_view,
                         c.dropped_outside_watermarks,
                         c.dropped_invalid_proposal,
                         c.duplicate_votes_ignored,
                         c.pipelined_heights,
                         c.checkpoints_stable,
                         c.checkpoint_gcs,
                         c.blocks_committed,
                         c.safety_refusals,
                         c.equivocations,
                         c.dropped_malformed,
                         c.view_changes,
                         c.view_change_timeouts,
                         c.dropped_view_changes,
                         c.new_views_sent,
                         c.new_views_accepted,
                         c.new_views_rejected,
                         c.reproposed_certificates,
                         c.bodies_fetched,
                         c.statuses_sent,
                         c.dropped_statuses,
                         c.catch_ups,
                         c.catch_up_blocks,
                         c.catch_up_requests_served,
                         c.dropped_catch_up_responses,
                         c.forged_certificates_refused,
                         c.catch_up_checkpoints_adopted,
                         c.new_views_fetched}) {
    writer.u64(value);
  }
  hasher->update(writer.data());
}

}  // namespace

std::string describe_counters(const consensus::Counters& c) {
  std::ostringstream out;
  out << "committed " << c.blocks_committed << ", pipelined " << c.pipelined_heights
      << ", stable checkpoints " << c.checkpoints_stable << ", GCs " << c.checkpoint_gcs
      << ", duplicates " << c.duplicate_votes_ignored << ", refusals " << c.safety_refusals
      << ", equivocations " << c.equivocations << "; dropped: not-validator "
      << c.dropped_not_validator << ", bad-signature " << c.dropped_bad_signature << ", wrong-view "
      << c.dropped_wrong_view << ", outside-window " << c.dropped_outside_watermarks
      << ", invalid-proposal " << c.dropped_invalid_proposal << ", malformed "
      << c.dropped_malformed << "; view changes " << c.view_changes << " (timeouts "
      << c.view_change_timeouts << "), NEW-VIEWs sent " << c.new_views_sent << " accepted "
      << c.new_views_accepted << " rejected " << c.new_views_rejected << ", re-proposed "
      << c.reproposed_certificates << ", bodies fetched " << c.bodies_fetched
      << ", VIEW-CHANGEs dropped " << c.dropped_view_changes << "; STATUS sent " << c.statuses_sent
      << " dropped " << c.dropped_statuses << ", catch-ups " << c.catch_ups << " (blocks "
      << c.catch_up_blocks << ", served " << c.catch_up_requests_served << ", responses dropped "
      << c.dropped_catch_up_responses << ", forged certificates refused "
      << c.forged_certificates_refused << ", checkpoints adopted " << c.catch_up_checkpoints_adopted
      << "), NEW-VIEWs fetched " << c.new_views_fetched;
  return out.str();
}

void Simulation::trace_final_state() {
  if (!trace_.on()) return;
  for (const auto& node : nodes_) {
    std::string text = "final: executed height " + std::to_string(node->ledger().height());
    if (node->up()) {
      const consensus::Replica& replica = node->replica();
      text += ", view " + std::to_string(replica.view()) + ", committed " +
              std::to_string(replica.committed_height()) + ", stable checkpoint " +
              std::to_string(replica.stable_checkpoint());
    } else {
      text += ", down";
    }
    text += ", " + std::to_string(node->storage().size()) + " persisted records, mempool " +
            std::to_string(node->mempool().size()) + "; " + describe_counters(node->counters());
    note(static_cast<int>(node->id()), text);
  }
}

RunResult Simulation::result() {
  trace_final_state();
  RunResult result;
  result.options = options_;
  result.plan = plan_;
  result.violation = checker_.violation();
  crypto::Hasher fingerprint;
  for (const auto& node : nodes_) {
    const consensus::Counters counters = node->counters();
    add_counters(&result.counters, counters);
    Writer writer;
    writer.u64(node->ledger().height());
    writer.fixed(node->ledger().tip_hash());
    fingerprint.update(writer.data());
    hash_counters(&fingerprint, counters);
  }
  result.crash_restarts = crash_restarts_;
  result.forgeries = injector_ ? injector_->forgeries() : 0;
  for (const auto& byzantine : byzantine_) {
    if (!byzantine) continue;
    const ByzantineCounters& c = byzantine->counters();
    result.byzantine.misbehaviours += c.misbehaviours;
    result.byzantine.equivocations += c.equivocations;
    result.byzantine.bad_proposals += c.bad_proposals;
    result.byzantine.dropped_certificates += c.dropped_certificates;
    result.byzantine.garbage += c.garbage;
    result.byzantine.replays += c.replays;
    result.byzantine.forged_catch_ups += c.forged_catch_ups;
  }
  result.garbage_rejected = garbage_rejected_;
  result.txs_submitted = clients_.transactions().size();
  result.highest_committed = checker_.highest_committed();
  result.events = events_;
  result.messages_sent = messages_sent_;
  result.messages_lost = network_.messages_lost();
  result.messages_duplicated = network_.messages_duplicated();
  result.end_time_ms = queue_.now_ms();
  Writer totals;
  totals.u64(result.events);
  totals.u64(result.messages_sent);
  totals.u64(result.end_time_ms);
  fingerprint.update(totals.data());
  result.fingerprint = fingerprint.finish();
  return result;
}

RunResult run_simulation(const SimOptions& options, std::ostream* trace) {
  Simulation simulation(options, trace);
  return simulation.run();
}

std::string replay_command(const SimOptions& options) {
  std::string command = "phalanx-sim --seed " + std::to_string(options.seed);
  if (options.mutations.quorum_2f) command += " --mutation quorum_2f";
  if (options.mutations.skip_prev_hash_check) command += " --mutation skip_prev_hash_check";
  if (options.mutations.send_before_persist) command += " --mutation send_before_persist";
  if (options.mutations.view_change_without_prepared) {
    command += " --mutation view_change_without_prepared";
  }
  if (options.mutations.new_view_not_rederived) command += " --mutation new_view_not_rederived";
  if (options.mutations.catch_up_without_certificate_check) {
    command += " --mutation catch_up_without_certificate_check";
  }
  if (options.injector == InjectorPolicy::kAlways) command += " --injector always";
  if (options.injector == InjectorPolicy::kNever) command += " --injector never";
  if (options.byzantine == ByzantinePolicy::kAlways) command += " --byzantine always";
  if (options.byzantine == ByzantinePolicy::kNever) command += " --byzantine never";
  if (options.byzantine_behaviours != SimOptions{}.byzantine_behaviours) {
    command += " --behaviours " + byzantine_behaviour_names(options.byzantine_behaviours);
  }
  if (!options.check_certificates) command += " --no-certificate-check";
  if (options.fault_model == FaultModel::kWide) command += " --faults wide";
  return command + " --trace";
}

std::string summarize(const RunResult& result) {
  std::ostringstream out;
  out << "seed " << result.options.seed;
  if (result.violation) {
    out << " FAILED " << invariant_name(result.violation->invariant) << ": "
        << result.violation->detail;
  } else {
    out << " ok:";
  }
  out << " [height " << result.highest_committed << ", " << result.txs_submitted << " txs, "
      << result.crash_restarts << " crashes, " << result.forgeries << " forgeries, "
      << result.messages_sent << " sent, " << result.messages_lost << " lost, "
      << result.messages_duplicated << " duplicated, view changes " << result.counters.view_changes
      << ", re-proposed " << result.counters.reproposed_certificates << ", NEW-VIEWs rejected "
      << result.counters.new_views_rejected << ", catch-ups " << result.counters.catch_ups
      << ", forged certificates refused " << result.counters.forged_certificates_refused
      << ", misbehaviours " << result.byzantine.misbehaviours << ", pipelined "
      << result.counters.pipelined_heights << ", checkpoint GCs " << result.counters.checkpoint_gcs
      << ", duplicate votes " << result.counters.duplicate_votes_ignored << ", " << result.events
      << " events, " << result.end_time_ms << " ms simulated]";
  return out.str();
}

}  // namespace phalanx::sim
