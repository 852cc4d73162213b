#include "bench/load/report.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

namespace phalanx::bench {
namespace {

using nlohmann::json;

double rounded(double value, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(value * scale) / scale;
}

double ms_of(int64_t ns) { return static_cast<double>(ns) / kNsPerMs; }

}  // namespace

json latency_percentiles(std::vector<double> ms) {
  json out = {{"p50", 0}, {"p90", 0}, {"p99", 0}, {"max", 0}, {"count", ms.size()}};
  if (ms.empty()) return out;
  std::sort(ms.begin(), ms.end());
  const auto rank = [&](double p) {
    const auto index = static_cast<size_t>(std::ceil(p * static_cast<double>(ms.size()))) - 1;
    return rounded(ms[std::min(index, ms.size() - 1)], 2);
  };
  out["p50"] = rank(0.50);
  out["p90"] = rank(0.90);
  out["p99"] = rank(0.99);
  out["max"] = rounded(ms.back(), 2);
  return out;
}

WindowCounts window_counts(const std::vector<BlockSeen>& blocks, int64_t from_ns, int64_t to_ns) {
  WindowCounts counts;
  for (const BlockSeen& block : blocks) {
    if (block.observed_ns <= from_ns || block.observed_ns > to_ns) continue;
    ++counts.blocks;
    counts.txs += block.txs;
    if (counts.first_height == 0) counts.first_height = block.height;
    counts.last_height = block.height;
  }
  return counts;
}

std::vector<uint64_t> timeline(const std::vector<BlockSeen>& blocks, int64_t end_ns) {
  std::vector<uint64_t> seconds(static_cast<size_t>(std::max<int64_t>(end_ns, 0) / kNsPerS) + 1, 0);
  for (const BlockSeen& block : blocks) {
    const auto second = static_cast<size_t>(block.observed_ns / kNsPerS);
    if (second < seconds.size()) seconds[second] += block.ours;
  }
  return seconds;
}

json kill_summary(const std::vector<BlockSeen>& blocks, const RunMarks& marks) {
  json out = {{"killed_node", marks.killed_node},
              {"killed_at_s", rounded(static_cast<double>(marks.kill_ns) / kNsPerS, 3)},
              {"view_at_kill", marks.view_at_kill},
              {"height_at_kill", marks.height_at_kill},
              {"resume_ms", nullptr},
              {"new_view", nullptr},
              {"longest_gap_ms", nullptr}};
  int64_t previous_ns = marks.kill_ns;
  int64_t longest_ns = 0;
  for (const BlockSeen& block : blocks) {
    if (block.observed_ns < marks.kill_ns) continue;
    longest_ns = std::max(longest_ns, block.observed_ns - previous_ns);
    previous_ns = block.observed_ns;
    if (block.view > marks.view_at_kill && out["resume_ms"].is_null()) {
      out["resume_ms"] = rounded(ms_of(block.observed_ns - marks.kill_ns), 1);
      out["new_view"] = block.view;
    }
  }
  out["longest_gap_ms"] = rounded(ms_of(longest_ns), 1);
  return out;
}

void print_table(const json& report, std::ostream& out) {
  const auto row = [&](const std::string& label, const std::string& value) {
    out << "  " << std::left << std::setw(34) << label << value << "\n";
  };
  const auto num = [](const json& value) {
    if (value.is_null()) return std::string("-");
    std::ostringstream text;
    text << value;
    return text.str();
  };
  const json& latency = report["latency_ms"];
  out << "phalanx-bench: " << report.value("name", std::string("run")) << " (n = " << report["n"]
      << ", " << report["mode"].get<std::string>() << ")\n";
  row("committed tx/s (getTransaction)", num(report["tx_per_s"]));
  row("committed tx/s (getBlock)",
      num(report["tx_per_s_getblock"]) +
          (report["counts_agree"].get<bool>() ? "  (agree within 5%)" : "  (DISAGREE)"));
  row("bound tx/s (verify rate / n)", num(report["bound_tx_per_s"]));
  row("percent of bound", num(report["percent_of_bound"]) + " %");
  row("latency p50 / p90 / p99 / max", num(latency["p50"]) + " / " + num(latency["p90"]) + " / " +
                                           num(latency["p99"]) + " / " + num(latency["max"]) +
                                           " ms");
  row("blocks/s, txs/block", num(report["blocks_per_s"]) + ", " + num(report["txs_per_block"]));
  row("view changes", num(report["view_changes"]));
  row("sent / accepted / committed",
      num(report["sent"]) + " / " + num(report["accepted"]) + " / " + num(report["committed"]));
  row("rejected", num(report["rejected_total"]) + " " + report["rejected"].dump());
  row("peak RssAnon per node (MiB)", num(report["rss_anon_mib_max"]));
  for (const json& node : report["nodes"]) {
    row("  node " + num(node["id"]),
        num(node["cpu_percent"]) + " % CPU, " + num(node["rss_anon_mib_max"]) + " MiB RssAnon");
  }
  row("load generator CPU", num(report["bench_cpu_percent"]) + " %");
  if (report.contains("kill")) row("primary killed", report["kill"].dump());
}

}  // namespace phalanx::bench
