#!/usr/bin/env python3
"""The fault suite: real phalanxd processes on 127.0.0.0/8 under faults, a bank workload,
and a checker after every scenario (docs/faults.md).

  run.py --scenario NAME|all [--seconds S] [--nodes N] [--seed X] [--bin-dir DIR]
         [--signer PATH] [--keep]
  run.py --long SECONDS [--nodes N] [--seed X] [--bin-dir DIR] [--signer PATH]

Exit codes: 0 every scenario passed; 1 a check failed; 2 bad arguments; 77 every scenario
asked for was skipped (not root or no iptables for partitions, no phalanxd-byzantine).
The seed is printed; the same seed replays the same fault schedule.
"""
import argparse
import os
import random
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from faultlib import bank as bankmod  # noqa: E402
from faultlib import checker, netfilter, scenarios  # noqa: E402
from faultlib.cluster import Cluster  # noqa: E402

EXIT_SKIP = 77
BANK_ACCOUNTS = 32
EXTRA_ACCOUNTS = 32   # the flood's and the bad-input corpus's senders
# ... and one liveness sender per node (checker.check_liveness), used by nothing else.
CLIENTS = 4
# The long run paces its clients 5x slower, so the final check (every tx of the chain
# read back from every node) stays within minutes after 30 minutes of load.
LONG_CLIENT_INTERVAL_S = 0.1


def log(line):
    print(line, flush=True)


def skip_reason(scenario, bin_dir):
    if scenario.needs_net:
        reason = netfilter.usable()
        if reason:
            return reason
    if scenario.needs_byzantine:
        return scenarios.byzantine_binary(bin_dir)
    return None


class Run:
    """One cluster with its bank; run() does setup, schedule, heal, checks and teardown."""

    def __init__(self, args, name, seed, work_dir, cuts_links):
        self.phase_start = time.monotonic()
        self.args, self.name, self.seed = args, name, seed
        self.rng = random.Random(seed)
        self.report = checker.Report()
        self.signer = bankmod.Signer(args.signer)
        accounts = bankmod.make_accounts(self.signer, self.rng,
                                         BANK_ACCOUNTS + EXTRA_ACCOUNTS + args.nodes)
        self.accounts = accounts[:BANK_ACCOUNTS]
        self.extra = accounts[BANK_ACCOUNTS:BANK_ACCOUNTS + EXTRA_ACCOUNTS]
        funded = {a.address: bankmod.ACCOUNT_BALANCE for a in accounts}
        config = {} if name == "long" else scenarios.SCENARIOS[name].config
        self.cluster = Cluster(args.bin_dir, work_dir, args.nodes, funded, config, log,
                               source_addresses=cuts_links)
        interval = LONG_CLIENT_INTERVAL_S if name == "long" else bankmod.CLIENT_INTERVAL_S
        self.bank = bankmod.Bank(self.signer, self.cluster, self.accounts, seed, CLIENTS, interval)
        self.bank.liveness_accounts = accounts[BANK_ACCOUNTS + EXTRA_ACCOUNTS:]
        self.net = None
        self.ctx = None
        self.phases = []  # (name, seconds)

    def phase(self, name):
        """Ends the current phase, naming it, for the summary's timing line."""
        now = time.monotonic()
        self.phases.append((name, now - self.phase_start))
        self.phase_start = now

    def open_network(self, needed):
        if needed:
            self.net = netfilter.Netfilter()
            self.net.setup()

    def begin(self, setup=None):
        self.ctx = scenarios.Context(self.cluster, self.bank, self.net, self.rng, log,
                                     self.report)
        self.ctx.extra_accounts = self.extra
        if setup:
            setup(self.ctx)
        self.cluster.start_all()
        self.cluster.wait_ready()
        self.bank.start()

    def segment(self, scenario, seconds):
        """One schedule under load, healed, with the bank stopped afterwards."""
        self.ctx.restart_clock()
        if scenario.extra:
            scenario.extra[0](self.ctx)
        try:
            scenario.schedule(self.ctx, time.monotonic() + seconds)
        finally:
            self.ctx.heal()
            if scenario.extra:
                scenario.extra[1](self.ctx)

    def clean_stop(self):
        for node in self.cluster.nodes:
            outcome = self.cluster.stop(node.index)
            if outcome != 0 and not node.byzantine:
                self.report.fail(f"node{node.index}: SIGTERM did not stop it cleanly: {outcome}")

    def close(self):
        self.bank.stop()
        self.cluster.shutdown()
        if self.net:
            self.net.close()
        self.signer.close()

    def summary(self, title, elapsed):
        counts = self.bank.outcome_counts()
        log(f"--- {title}: {'PASS' if not self.report.failures else 'FAIL'} "
            f"in {elapsed:.1f}s (seed {self.seed}, {self.args.nodes} nodes)")
        log(f"  submissions: {sum(counts.values())} "
            + ", ".join(f"{k}={v}" for k, v in sorted(counts.items(), key=str)))
        if self.phases:
            log("  phases: " + ", ".join(f"{n} {t:.1f}s" for n, t in self.phases))
        for key, value in self.report.facts.items():
            log(f"  {key}: {value}")
        for failure in self.report.failures[:20]:
            log(f"  FAILED: {failure}")


def run_scenario(args, name, seed):
    scenario = scenarios.SCENARIOS[name]
    reason = skip_reason(scenario, args.bin_dir)
    if reason:
        log(f"--- {name}: SKIPPED: {reason}")
        return None
    work_dir = tempfile.mkdtemp(prefix=f"phalanx-faults-{name}-")
    begin = time.monotonic()
    log(f"=== {name} (seed {seed}, {args.nodes} nodes, {args.seconds}s of faults) in {work_dir}")
    run = Run(args, name, seed, work_dir, scenario.needs_net)
    try:
        run.open_network(scenario.needs_net)
        run.begin(scenario.setup)
        run.phase("setup")
        run.segment(scenario, args.seconds)
        run.bank.stop()
        run.phase("faults+heal")
        checker.check_all(run.cluster, run.bank, run.report, scenario.drains,
                          scenario.liveness_fee)
        run.phase("checks")
        run.clean_stop()
        run.phase("stop")
    except Exception as e:  # a harness error is a failure with its reason, not a traceback
        run.report.fail(f"{type(e).__name__}: {e}")
    finally:
        run.close()
    run.summary(name, time.monotonic() - begin)
    passed = not run.report.failures
    if passed and not args.keep:
        shutil.rmtree(work_dir, ignore_errors=True)
    elif not passed:
        for node in run.cluster.nodes:  # for CI, where the kept homes are out of reach
            log(f"  node{node.index} log: {run.cluster.log_tail(node, lines=4)}")
        log(f"  homes and logs kept in {work_dir}")
    return passed


def run_long(args, seed):
    """Faults of LONG_MIX at random, 20-60 s each, each followed by the quick checks
    (processes, liveness, convergence); the full check at the end."""
    work_dir = tempfile.mkdtemp(prefix="phalanx-faults-long-")
    begin = time.monotonic()
    end = begin + args.long
    net_reason = netfilter.usable()
    mix = [m for m in scenarios.LONG_MIX
           if not (scenarios.SCENARIOS[m].needs_net and net_reason)]
    log(f"=== long run: {args.long}s (seed {seed}, {args.nodes} nodes) of {', '.join(mix)}"
        + (f"; no partitions: {net_reason}" if net_reason else "") + f" in {work_dir}")
    run = Run(args, "long", seed, work_dir, net_reason is None)
    segments = {}
    try:
        run.open_network(net_reason is None)
        run.begin()
        while time.monotonic() < end and not run.report.failures:
            name = run.rng.choice(mix)
            seconds = min(run.rng.uniform(20, 60), max(1.0, end - time.monotonic()))
            segments[name] = segments.get(name, 0) + 1
            log(f"segment {sum(segments.values())}: {name} for {seconds:.0f}s")
            run.segment(scenarios.SCENARIOS[name], seconds)
            run.bank.stop()
            checker.check_processes(run.cluster, run.report)
            checker.check_liveness(run.cluster, run.bank, run.report)
            checker.check_convergence(run.cluster, run.report)
            run.bank.start()
        run.bank.stop()
        checker.check_all(run.cluster, run.bank, run.report)
        run.clean_stop()
    except Exception as e:
        run.report.fail(f"{type(e).__name__}: {e}")
    finally:
        run.close()
    run.report.fact("segments", ", ".join(f"{k}×{v}" for k, v in sorted(segments.items())))
    run.summary("long run", time.monotonic() - begin)
    if run.report.failures:
        log(f"  homes and logs kept in {work_dir}")
    else:
        shutil.rmtree(work_dir, ignore_errors=True)
    return not run.report.failures


def parse_args(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    default_bin = os.environ.get("PHALANX_BIN_DIR") or os.path.join(here, "..", "..", "build",
                                                                     "bin")
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scenario", help="a scenario name or 'all': " +
                   ", ".join(scenarios.SCENARIOS))
    p.add_argument("--long", type=int, metavar="SECONDS", help="mixed faults for SECONDS")
    p.add_argument("--seconds", type=float, default=10, help="faults per scenario (default 10)")
    p.add_argument("--nodes", type=int, default=4, help="validators, >= 4 (default 4)")
    p.add_argument("--seed", type=int, help="seed of the fault schedule (default: random)")
    p.add_argument("--bin-dir", default=default_bin, help="where phalanxd is (default "
                   "$PHALANX_BIN_DIR or build/bin)")
    p.add_argument("--signer", help="phalanx-faults-signer (default: in --bin-dir)")
    p.add_argument("--keep", action="store_true", help="keep the homes of passing runs")
    args = p.parse_args(argv)
    if (args.scenario is None) == (args.long is None):
        p.error("give exactly one of --scenario and --long")
    if args.scenario and args.scenario != "all" and args.scenario not in scenarios.SCENARIOS:
        p.error(f"unknown scenario '{args.scenario}' ({', '.join(scenarios.SCENARIOS)}, all)")
    if args.nodes < 4 or args.nodes > 64:
        p.error("--nodes must be 4..64")
    if not 1 <= args.seconds <= 3600 or (args.long is not None and not 10 <= args.long <= 86400):
        p.error("--seconds must be 1..3600 and --long 10..86400")
    args.bin_dir = os.path.abspath(args.bin_dir)
    args.signer = args.signer or os.path.join(args.bin_dir, "phalanx-faults-signer")
    for path in (os.path.join(args.bin_dir, "phalanxd"), args.signer):
        if not os.access(path, os.X_OK):
            p.error(f"{path} is not an executable (build it, or pass --bin-dir/--signer)")
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1 << 31)
    return args


def interrupted(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv):
    args = parse_args(argv)
    # SIGTERM (ctest's timeout) unwinds like Ctrl-C, so every finally block runs: the
    # iptables chain is removed and every node this run started is killed.
    signal.signal(signal.SIGTERM, interrupted)
    log(f"fault suite: seed {args.seed} (rerun: --seed {args.seed})")
    if args.long is not None:
        return 0 if run_long(args, args.seed) else 1
    names = list(scenarios.SCENARIOS) if args.scenario == "all" else [args.scenario]
    results = {name: run_scenario(args, name, args.seed + k) for k, name in enumerate(names)}
    ran = {k: v for k, v in results.items() if v is not None}
    if len(names) > 1:
        log("=== " + ", ".join(f"{k}: {'skip' if v is None else 'pass' if v else 'FAIL'}"
                              for k, v in results.items()))
    if not ran:
        return EXIT_SKIP
    return 0 if all(ran.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
