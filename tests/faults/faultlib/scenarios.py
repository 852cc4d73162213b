"""The fault scenarios. Each has a setup (node binaries, config) and a schedule: a loop of
fault actions drawn from the run's seeded RNG until its time is up, ending healed (every
node running and resumed, every link restored). Actions are logged with their time
offset, so a printed seed and the log say exactly what was done.
"""
import os
import time

from faultlib import badinput, flood

BYZANTINE_BINARY = "phalanxd-byzantine"
SLOW_COMMIT_MS = 200


class Context:
    """What a schedule works with: cluster, bank, netfilter (or None), rng, log."""

    def __init__(self, cluster, bank, net, rng, log, report):
        self.cluster, self.bank, self.net, self.rng = cluster, bank, net, rng
        self.log, self.report = log, report
        self.begin = time.monotonic()

    def restart_clock(self):
        self.begin = time.monotonic()

    def action(self, text):
        self.log(f"  t=+{time.monotonic() - self.begin:5.1f}s {text}")

    def hold(self, seconds, end):
        """Lets the current fault last SECONDS (never past END)."""
        time.sleep(max(0.0, min(seconds, end - time.monotonic())))

    def victim(self):
        """The primary half of the time, else a random node."""
        primary = self.cluster.primary()
        if primary is not None and self.rng.random() < 0.5:
            return primary, "primary"
        return self.rng.randrange(self.cluster.n), "random"

    def heal(self):
        """Restores every link, resumes and starts every node, and waits until each
        answers and sees the others."""
        if self.net:
            self.net.heal()
        for i in range(self.cluster.n):
            self.cluster.resume(i)
            if not self.cluster.nodes[i].running:
                self.cluster.start(i)
        self.action("healed; waiting for every node to answer and connect")
        self.cluster.wait_ready()


# --- schedules ------------------------------------------------------------------------
def fault_node(ctx, end, i, fault, undo, hold_s, rest_s):
    """FAULT = (name, action) on node I for HOLD_S (low, high) seconds, then UNDO; then
    REST_S seconds without it."""
    ctx.action(f"{fault[0]} node{i}")
    fault[1](i)
    ctx.hold(ctx.rng.uniform(*hold_s), end)
    ctx.action(f"{undo[0]} node{i}")
    undo[1](i)
    ctx.hold(ctx.rng.uniform(*rest_s), end)


def crash(ctx, end):
    """SIGKILL a node (the primary half of the time) every few seconds; restart it later."""
    while time.monotonic() < end:
        i, why = ctx.victim()
        fault_node(ctx, end, i, (f"SIGKILL ({why})", ctx.cluster.kill),
                   ("restart", ctx.cluster.start), (1.0, 2.5), (1.0, 2.5))


def crash_all(ctx, end):
    """SIGKILL every node at once during load, restart all; repeat while time is left."""
    while time.monotonic() < end:
        ctx.hold(ctx.rng.uniform(1.5, 3.0), end)
        committed = len(ctx.bank.committed_seen)
        ctx.action(f"SIGKILL every node ({committed} txs seen committed so far)")
        for i in ctx.rng.sample(range(ctx.cluster.n), ctx.cluster.n):
            ctx.cluster.kill(i)
        ctx.hold(ctx.rng.uniform(0.3, 1.0), end + 1)
        ctx.action("restart every node")
        for i in range(ctx.cluster.n):
            ctx.cluster.start(i)
        ctx.hold(ctx.rng.uniform(2.0, 4.0), end)


def pause(ctx, end):
    """SIGSTOP the primary, then a backup, for a few seconds each; SIGCONT."""
    turn = 0
    while time.monotonic() < end:
        primary = ctx.cluster.primary()
        if primary is None:
            primary = 0
        if turn % 2 == 0:
            i, why = primary, "primary"
        else:
            i, why = ctx.rng.choice([j for j in range(ctx.cluster.n) if j != primary]), "backup"
        fault_node(ctx, end, i, (f"SIGSTOP ({why})", ctx.cluster.pause),
                   ("SIGCONT", ctx.cluster.resume), (1.5, 3.5), (1.0, 2.0))
        turn += 1


def hosts(ctx):
    return [node.host for node in ctx.cluster.nodes]


def cut_and_heal(ctx, end, groups, why):
    ctx.action(f"partition {why}: " + " | ".join(",".join(f"node{i}" for i in g) for g in groups))
    ctx.net.partition(groups, hosts(ctx))
    ctx.hold(ctx.rng.uniform(2.0, 3.5), end)
    ctx.action("heal the network")
    ctx.net.heal()
    ctx.hold(ctx.rng.uniform(1.0, 2.0), end)


def partition_majority(ctx, end):
    """A random minority of f nodes cut off from the majority, both ways."""
    n, f = ctx.cluster.n, ctx.cluster.f
    while time.monotonic() < end:
        minority = sorted(ctx.rng.sample(range(n), f))
        majority = [i for i in range(n) if i not in minority]
        cut_and_heal(ctx, end, [majority, minority], "majority/minority")


def partition_primary(ctx, end):
    """The current primary cut off from every other node."""
    while time.monotonic() < end:
        primary = ctx.cluster.primary()
        primary = ctx.rng.randrange(ctx.cluster.n) if primary is None else primary
        others = [i for i in range(ctx.cluster.n) if i != primary]
        cut_and_heal(ctx, end, [[primary], others], "isolated primary")


def partition_bridge(ctx, end):
    """Two sides that cannot reach each other, and a bridge node that reaches both."""
    n = ctx.cluster.n
    while time.monotonic() < end:
        order = ctx.rng.sample(range(n), n)
        bridge, rest = order[0], order[1:]
        split = ctx.rng.randrange(1, len(rest))
        cut_and_heal(ctx, end, [[bridge] + rest[:split], [bridge] + rest[split:]],
                     f"bridge node{bridge}")


def steady(ctx, end):
    """No fault of its own: the scenario's setup is the fault (Byzantine or slow nodes)."""
    ctx.hold(end - time.monotonic(), end)


def rpc_bad_input(ctx, end):
    """The corpus against a live node, under load; then load until the time is up."""
    node = ctx.cluster.nodes[ctx.rng.randrange(ctx.cluster.n)]
    ctx.action(f"bad-input corpus against node{node.index}")
    badinput.run_corpus(ctx, node)
    ctx.hold(end - time.monotonic(), end)


# --- setups -----------------------------------------------------------------------------
def byzantine_binary(bin_dir):
    path = os.path.join(bin_dir, BYZANTINE_BINARY)
    if not os.access(path, os.X_OK):
        return f"no {BYZANTINE_BINARY} in {bin_dir} (build it with the Byzantine test option)"
    return None


def setup_byzantine(ctx):
    for i in ctx.rng.sample(range(ctx.cluster.n), ctx.cluster.f):
        ctx.action(f"node{i} runs {BYZANTINE_BINARY} --byzantine all")
        ctx.cluster.set_binary(i, BYZANTINE_BINARY, ["--byzantine", "all"], byzantine=True)


def setup_slow_disk(ctx):
    i = ctx.rng.randrange(ctx.cluster.n)
    ctx.action(f"node{i} runs {BYZANTINE_BINARY} --slow-commit-ms {SLOW_COMMIT_MS} (honest)")
    ctx.cluster.set_binary(i, BYZANTINE_BINARY, ["--slow-commit-ms", str(SLOW_COMMIT_MS)])


class Scenario:
    def __init__(self, schedule, setup=None, needs_net=False, needs_byzantine=False,
                 config=None, extra=None, drains=False, liveness_fee=1):
        self.schedule, self.setup = schedule, setup
        self.liveness_fee = liveness_fee
        # No mempool is lost (no crash, no Byzantine node, no refused mid-sequence nonce):
        # every accepted tx must commit once healed (checker.check_drained).
        self.drains = drains
        self.needs_net, self.needs_byzantine = needs_net, needs_byzantine
        self.config = config or {}
        self.extra = extra  # (start(ctx), finish(ctx)) around the schedule


SCENARIOS = {
    "crash": Scenario(crash),
    "crash-all": Scenario(crash_all),
    "pause": Scenario(pause, drains=True),
    "partition-majority": Scenario(partition_majority, needs_net=True, drains=True),
    "partition-primary": Scenario(partition_primary, needs_net=True, drains=True),
    "partition-bridge": Scenario(partition_bridge, needs_net=True, drains=True),
    "byzantine": Scenario(steady, setup=setup_byzantine, needs_byzantine=True),
    "slow-disk": Scenario(steady, setup=setup_slow_disk, needs_byzantine=True, drains=True),
    "flood": Scenario(steady, config=flood.CONFIG, extra=(flood.start, flood.finish),
                      liveness_fee=flood.LIVENESS_FEE),
    "rpc-bad-input": Scenario(rpc_bad_input, drains=True),
}

# The faults the long run mixes (setups that need a fresh cluster are left out).
LONG_MIX = ["crash", "crash-all", "pause", "partition-majority", "partition-primary",
            "partition-bridge"]
