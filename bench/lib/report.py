#!/usr/bin/env python3
"""bench/run.sh's reports, standard library only.

  report.py line FILE                   one line from a phalanx-bench run --json report
  report.py failed NAME ERRFILE         {"name", "error"} for a run that failed (its last
                                        stderr line)
  report.py disk DIR                    this disk's fdatasync latency: 200 synced 4 KiB overwrites
                                        in DIR (JSON; a ledger commit and every consensus
                                        persist wait for one)
  report.py compose WORK OUT DURATION   OUT/latest.json and OUT/latest.md from the reports
                                        run.sh left in WORK (bound.json, disk.json, s*.json,
                                        *.profile.txt), with scenario 1's CPU per transfer
                                        (cpu_per_tx) against what the 60% target leaves
"""
import datetime
import glob
import json
import math
import os
import subprocess
import sys
import time

# The scenarios' report keys kept in latest.json (the raw reports hold more).
KEPT = ("name", "n", "mode", "offered_tx_per_s", "window_s", "tx_per_s", "tx_per_s_getblock",
        "counts_agree", "percent_of_bound", "latency_ms", "blocks_per_s", "txs_per_block",
        "rss_anon_mib_max", "view_changes", "sent", "committed", "all_committed",
        "rejected_total", "rejected", "resent", "nodes", "bench_cpu_percent", "kill",
        "timeline_tx_per_s")


REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load(path):
    with open(path) as f:
        return json.load(f)


def line(report):
    lat = report["latency_ms"]
    return (f"{report['name']}: {report['tx_per_s']} tx/s ({report['percent_of_bound']}% of "
            f"{report['bound_tx_per_s']}), getBlock {report['tx_per_s_getblock']}, latency p50 "
            f"{lat['p50']} p99 {lat['p99']} ms, {report['txs_per_block']} txs/block, view changes "
            f"{report['view_changes']}, RssAnon {report['rss_anon_mib_max']} MiB, "
            f"committed {report['committed']}/{report['sent']}")


def git_commit(repo):
    try:
        return subprocess.run(["git", "-C", repo, "rev-parse", "--short", "HEAD"], check=True,
                              capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def failed(name, err_path):
    with open(err_path, errors="replace") as f:
        lines = [line.strip() for line in f if line.strip()]
    return {"name": name, "error": lines[-1] if lines else "failed without a message"}


def disk(directory, count=200):
    """Latency of overwriting 4 KiB of an existing, synced 4 MiB file then fdatasync, at
    spread offsets (no block allocation in the timing, as LMDB rewrites its pages)."""
    path = os.path.join(directory, "fsync.probe")
    block = os.urandom(4096)
    times = []
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.pwrite(fd, os.urandom(4096 * 1024), 0)
        os.fsync(fd)
        for i in range(count):
            start = time.perf_counter()
            os.pwrite(fd, block, (i * 37 % 1024) * 4096)
            os.fdatasync(fd)
            times.append((time.perf_counter() - start) * 1000)
    finally:
        os.close(fd)
        os.unlink(path)
    times.sort()
    # Nearest rank: the smallest value with at least q of the samples at or below it.
    pick = lambda q: round(times[max(0, math.ceil(q * len(times)) - 1)], 3)
    return {"fdatasync_4k_ms": {"p50": pick(0.5), "p90": pick(0.9), "p99": pick(0.99),
                                "max": round(times[-1], 3)}, "count": count}


def profiles_of(work):
    """{scenario name: profile text} from run.sh's *.profile.txt files."""
    out = {}
    for path in sorted(glob.glob(os.path.join(work, "*.profile.txt"))):
        with open(path, errors="replace") as f:
            text = f.read().strip()
        if "%" in text:  # perf's lines have percentages; headers alone mean no samples
            out[os.path.basename(path)[:-len(".profile.txt")]] = text
    return out


def scenarios_of(work, bound):
    scenarios = {}
    # In the order they ran.
    for path in sorted(glob.glob(os.path.join(work, "s*.json")), key=os.path.getmtime):
        name = os.path.basename(path)[:-5]
        report = load(path)
        if "error" in report:
            scenarios[name] = report
            continue
        if name == "s5-catch-up":
            report["name"] = name
            report["n"] = 4
            scenarios[name] = report
            continue
        kept = {k: report[k] for k in KEPT if k in report}
        # The bound for this scenario's n (each node verifies each tx once).
        kept["bound_tx_per_s"] = round(bound["verify_per_s"] / report["n"])
        kept["percent_of_bound"] = round(100 * report["tx_per_s"] / kept["bound_tx_per_s"], 1)
        scenarios[name] = kept
    s1, s5 = scenarios.get("s1-max"), scenarios.get("s5-catch-up")
    if s1 and s5 and "error" not in s1 and "error" not in s5 and s1["tx_per_s"]:
        s5["ratio_to_s1"] = round(s5["tx_per_s"] / s1["tx_per_s"], 2)
    return scenarios


def targets(all_scenarios):
    """(target, measured, met) for each target of issue #8 whose scenario ran."""
    s = {k: v for k, v in all_scenarios.items() if "error" not in v}
    out = []
    if "s1-max" in s:
        r = s["s1-max"]
        out.append(("scenario 1 >= 60% of the bound", f"{r['percent_of_bound']}%",
                    r["percent_of_bound"] >= 60))
        out.append(("RssAnon per node < 300 MiB (scenario 1)", f"{r['rss_anon_mib_max']} MiB",
                    r["rss_anon_mib_max"] < 300))
    if "s2-850" in s:
        p50 = s["s2-850"]["latency_ms"]["p50"]
        out.append(("p50 <= 4.5 ms at 850 tx/s", f"{p50} ms", p50 <= 4.5))
    if "s2-50" in s:
        lat = s["s2-50"]["latency_ms"]
        out.append(("at 50% load p50 <= 50 ms, p99 <= 250 ms", f"{lat['p50']} / {lat['p99']} ms",
                    lat["p50"] <= 50 and lat["p99"] <= 250))
    if "s4-kill-primary" in s and "kill" in s["s4-kill-primary"]:
        resume = s["s4-kill-primary"]["kill"]["resume_ms"]
        out.append(("commits resume <= 3 s after the primary dies",
                    "never" if resume is None else f"{resume} ms",
                    resume is not None and resume <= 3000))
    spurious = [n for n in ("s1-max", "s2-850", "s2-25", "s2-50", "s3-max-n7")
                if n in s and s[n]["view_changes"]]
    if any(n in s for n in ("s1-max", "s2-850", "s3-max-n7")):
        out.append(("no view change in scenarios 1-3", ", ".join(spurious) or "none", not spurious))
    if "s5-catch-up" in s and "ratio_to_s1" in s["s5-catch-up"]:
        ratio = s["s5-catch-up"]["ratio_to_s1"]
        out.append(("catch-up >= 5x scenario 1's tx/s", f"{ratio}x", ratio >= 5))
    return out


def cpu_per_tx(s1, verify_per_s, cores, target_percent=60):
    """What a committed transfer of scenario 1 (max throughput) cost in CPU, from the run's own
    figures, against what the target would leave. Each node verifies each transfer once, and
    one verify costs cores / verify_per_s CPU-seconds (the bound's all-core rate), so that
    much of each node's figure is the bound's own work; the rest is what must shrink. At
    target_percent of the bound the machine (n nodes and the load generator) has
    cores / target_tx_per_s CPU-seconds per transfer in all. None without the figures."""
    if not s1 or "error" in s1 or not s1.get("tx_per_s") or not verify_per_s or not cores:
        return None
    nodes = [node["cpu_percent"] for node in s1.get("nodes", []) if node.get("cpu_percent")]
    if not nodes or s1.get("bench_cpu_percent") is None:
        return None
    tx = s1["tx_per_s"]
    us = lambda percent: percent / 100 * 1e6 / tx  # CPU microseconds per committed transfer
    node_us = [round(us(p), 1) for p in nodes]
    node_mean = sum(node_us) / len(node_us)
    bench_us = us(s1["bench_cpu_percent"])
    verify_us = cores * 1e6 / verify_per_s
    target_tx = target_percent / 100 * verify_per_s / s1["n"]
    # The machine's CPU per transfer at the target, less the load generator's (as measured),
    # shared by the n nodes, less each node's verify.
    target_node_us = (cores * 1e6 / target_tx - bench_us) / s1["n"]
    return {"scenario": s1["name"], "tx_per_s": tx, "n": s1["n"], "cores": cores,
            "machine_busy_percent": round((sum(nodes) + s1["bench_cpu_percent"]) / cores, 1),
            "node_us": node_us, "node_us_mean": round(node_mean, 1),
            "bench_us": round(bench_us, 1), "verify_us": round(verify_us, 1),
            "verify_share_percent": round(100 * verify_us / node_mean, 1),
            "other_us": round(node_mean - verify_us, 1),
            "target_percent": target_percent, "target_tx_per_s": round(target_tx),
            "target_node_us": round(target_node_us, 1),
            "target_other_us": round(target_node_us - verify_us, 1)}


def cpu_lines(c):
    """latest.md's "CPU per transfer" section from a cpu_per_tx() object."""
    return ["", "## CPU per transfer", "",
            f"Scenario 1 ({c['scenario']}): {c['tx_per_s']} tx/s with the machine "
            f"{c['machine_busy_percent']}% busy ({c['n']} nodes and the load generator on "
            f"{c['cores']} cores). CPU per committed transfer: each node "
            f"{', '.join(f'{u:g}' for u in c['node_us'])} us (mean {c['node_us_mean']:g}), the "
            f"load generator {c['bench_us']:g} us. A signature verify costs "
            f"{c['verify_us']:g} us (the bound's verify rate), once per transfer per node: "
            f"{c['verify_share_percent']:g}% of a node's CPU; the other {c['other_us']:g} us "
            "are the rest of its work (ledger writer, event loop, JSON-RPC, transport).",
            "",
            f"At {c['target_percent']}% of the bound ({c['target_tx_per_s']} tx/s) the machine "
            f"has {c['target_node_us']:g} us per transfer per node (after the load generator's "
            f"share), i.e. {c['target_other_us']:g} us besides the verify: the rest must "
            + (f"shrink {c['other_us'] / c['target_other_us']:.1f}x." if c["target_other_us"] > 0
               else "vanish, and the verify alone does not fit.")]


def tried(performance_md):
    """What docs/performance.md records as tried: [(session heading, [step headings])] from its
    "## Session N..." and "### Step N..." headings, in the file's order."""
    sessions = []
    if not os.path.exists(performance_md):
        return sessions
    with open(performance_md, encoding="utf-8") as f:
        for text in f:
            if text.startswith("## "):
                title = text[3:].strip()
                if title.startswith("Session "):
                    sessions.append((title, []))
                elif sessions and title.startswith("Step "):  # a step under no session heading
                    sessions.append((title, []))
            elif text.startswith("### ") and sessions:
                sessions[-1][1].append(text[4:].strip())
    return sessions


def tried_lines(sessions):
    """latest.md's "What was tried" section: each session's steps, before/after figures in the
    file."""
    if not sessions:
        return []
    lines = ["", "## What was tried", "",
             "Each step with its before/after figures and what it showed: docs/performance.md."]
    for title, steps in sessions:
        lines.append(f"- {title}" + (": " + "; ".join(steps) if steps else ""))
    return lines


def markdown(doc):
    m = doc["machine"]
    lines = [f"# phalanx-bench results ({doc['date']}, commit {doc['commit']})", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_mib']} MiB, Linux {m['kernel']}. "
             f"Ed25519 verify (libsodium, all cores): {doc['verify_per_s']}/s "
             f"(idle: {doc['bound_idle']}); bound for n = 4: **{doc['bound_tx_per_s']} tx/s**. "
             f"Window {doc['duration_s']} s per max-throughput run.", "",
             "| scenario | n | load | tx/s | % of bound | p50 / p90 / p99 / max ms | blocks/s | "
             "txs/block | view changes | RssAnon MiB | committed/sent |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in doc["scenarios"]:
        if "error" in r:
            lines.append(f"| {r['name']} | | | failed: {r['error']} | | | | | | | |")
            continue
        if r["name"] == "s5-catch-up":
            continue
        lat = r["latency_ms"]
        load = "max" if r["mode"] == "max" else f"{r['offered_tx_per_s']:g} tx/s"
        lines.append(f"| {r['name']} | {r['n']} | {load} | {r['tx_per_s']} | "
                     f"{r['percent_of_bound']} | {lat['p50']} / {lat['p90']} / {lat['p99']} / "
                     f"{lat['max']} | {r['blocks_per_s']} | {r['txs_per_block']} | "
                     f"{r['view_changes']} | {r['rss_anon_mib_max']} | "
                     f"{r['committed']}/{r['sent']} |")
    for r in doc["scenarios"]:
        if "error" in r:
            continue
        if r["name"] == "s4-kill-primary" and "kill" in r:
            k = r["kill"]
            lines += ["", f"Scenario 4: node {k['killed_node']} (primary of view {k['view_at_kill']}) "
                      f"SIGKILLed {k['killed_at_s']} s into the run; first block of view "
                      f"{k['new_view']} seen after {k['resume_ms']} ms; longest gap between blocks "
                      f"{k['longest_gap_ms']} ms. Committed tx per second: "
                      f"{r['timeline_tx_per_s']}."]
        if r["name"] == "s5-catch-up":
            lines += ["", f"Scenario 5: node {r['node']} restarted {r['blocks']} blocks behind "
                      f"({r['txs']} txs); caught up in {r['seconds']} s after its RPC answered: "
                      f"{r['blocks_per_s']} blocks/s, {r['tx_per_s']} tx/s"
                      + (f" ({r['ratio_to_s1']}x scenario 1)." if "ratio_to_s1" in r else ".")]
    lines += ["", "| target (issue #8) | measured | met |", "|---|---|---|"]
    for target, measured, met in doc["targets"]:
        lines.append(f"| {target} | {measured} | {'yes' if met else '**no**'} |")
    if doc.get("cpu_per_tx"):
        lines += cpu_lines(doc["cpu_per_tx"])
    if doc.get("disk"):
        d = doc["disk"]["fdatasync_4k_ms"]
        lines += ["", f"Disk (before the testnets started): a 4 KiB write + fdatasync took p50 "
                  f"{d['p50']} ms, p90 {d['p90']} ms, p99 {d['p99']} ms. Each block waits, on "
                  "every node, for synced writes in series with its votes and its ledger commit "
                  "(docs/performance.md, \"Session 4: the latency was the disk\"); under the "
                  "testnet's own writes each takes several times the idle figure."]
    if doc.get("profiles"):
        lines += ["", "## Profiles", "",
                  "`perf record -F 999` of one node in runs of their own, after the measured ones "
                  "(sampling a node while it is measured slows it): node 0 through a 10 s "
                  "max-throughput run on scenario 1's testnet, node 3 through a second, "
                  "2,000-block catch-up after scenario 5; by thread (`phx-writer` the ledger "
                  "writer, `phx-verify-N` the signature pool, `phx-rpc`/`phx-rpc-listen` JSON-RPC, "
                  "`phx-transport` and `ZMQbg` ZeroMQ's I/O, `phalanxd` the event loop) and by "
                  "function. How to read them against "
                  "the targets: docs/performance.md."]
        for name, text in doc["profiles"].items():
            lines += ["", f"### {name}", "", "```", text, "```"]
    lines += tried_lines(doc.get("tried") or [])
    return "\n".join(lines) + "\n"


def compose(work, out, duration):
    bound = load(os.path.join(work, "bound.json"))
    s = scenarios_of(work, bound)
    doc = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "commit": git_commit(REPO),
           "machine": bound["machine"], "verify_per_s": bound["verify_per_s"],
           "bound_idle": bound["idle"], "bound_tx_per_s": bound["bound_tx_per_s"],
           "duration_s": int(duration), "scenarios": list(s.values()),
           "disk": load(os.path.join(work, "disk.json"))
           if os.path.exists(os.path.join(work, "disk.json")) else None,
           "cpu_per_tx": cpu_per_tx(s.get("s1-max"), bound["verify_per_s"],
                                    bound["machine"].get("cores")),
           "profiles": profiles_of(work),
           "tried": tried(os.path.join(REPO, "docs", "performance.md")),
           "targets": [{"target": t, "measured": m, "met": ok} for t, m, ok in targets(s)]}
    with open(os.path.join(out, "latest.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    doc["targets"] = targets(s)
    with open(os.path.join(out, "latest.md"), "w") as f:
        f.write(markdown(doc))


def main(argv):
    if len(argv) == 3 and argv[1] == "line":
        print(line(load(argv[2])))
        return 0
    if len(argv) == 4 and argv[1] == "failed":
        print(json.dumps(failed(argv[2], argv[3])))
        return 0
    if len(argv) == 3 and argv[1] == "disk":
        print(json.dumps(disk(argv[2])))
        return 0
    if len(argv) == 5 and argv[1] == "compose":
        compose(argv[2], argv[3], argv[4])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
