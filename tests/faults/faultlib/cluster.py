"""A cluster of real phalanxd processes, each on its own 127.0.S.x address.

Generation reuses the node's own commands (`phalanxd init --host`, `phalanxd genesis`), as
testnet/lib/generate.sh does, but with one loopback address per node (p2p bind, outgoing
source via `p2p.source_host`, RPC) so that netfilter.py can cut single links, and with
the bank's accounts funded in genesis. Processes are controlled by the Popen object the
cluster started (never by name): start, SIGTERM, SIGKILL, SIGSTOP, SIGCONT. Every exit the
cluster did not cause is recorded as unexpected.
"""
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import time

from faultlib import rpc

PORT_LOW, PORT_HIGH = 20000, 32000  # below Linux's ephemeral range
STOP_GRACE_S = 10
READY_TIMEOUT_S = 30


def free_port(host, rng):
    for _ in range(500):
        port = rng.randrange(PORT_LOW, PORT_HIGH)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((host, port))
                return port
            except OSError:
                continue
    raise RuntimeError(f"no free port on {host}")


def run_tool(argv):
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])}... exited {done.returncode}: "
                           f"{done.stderr.strip()[:500]}")
    return done.stdout


class Node:
    def __init__(self, index, home, host, p2p_port, rpc_port):
        self.index, self.home, self.host = index, home, host
        self.p2p_port, self.rpc_port = p2p_port, rpc_port
        self.url = f"http://{host}:{rpc_port}"
        self.binary, self.extra_args = None, []
        self.proc = None
        self.paused = False
        self.byzantine = False
        self.expected_exits = []    # (pid, returncode) of exits the cluster caused
        self.unexpected_exits = []  # (pid, returncode) of every other exit

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def pid(self):
        return self.proc.pid if self.proc else 0


class Cluster:
    """n nodes in DIR; accounts maps address -> genesis balance. With source_addresses,
    outgoing peer connections leave from each node's own address (p2p.source_host), which
    partitions need; without it the OS picks 127.0.0.1."""

    def __init__(self, bin_dir, work_dir, n, accounts, config_overrides=None, log=print,
                 source_addresses=True):
        self.bin_dir, self.dir, self.n = bin_dir, work_dir, n
        self.accounts = dict(accounts)
        self.log = log
        self.f = (n - 1) // 3
        self.quorum = (n + self.f + 2) // 2
        self.phalanxd = os.path.join(bin_dir, "phalanxd")
        # Addresses and ports are not part of the seeded schedule: another run may hold them.
        local = random.Random(os.urandom(8))
        subnet = local.randrange(1, 255)
        self.nodes = []
        for i in range(n):
            host = f"127.0.{subnet}.{10 + i}"
            p2p = free_port(host, local)
            self.nodes.append(Node(i, os.path.join(work_dir, f"node{i}"), host, p2p,
                                   free_port(host, local)))
        self.chain_id = f"phalanx-faults-{local.randrange(1 << 32):08x}"
        self.generate(config_overrides or {}, source_addresses)

    # --- generation -------------------------------------------------------------------
    def generate(self, overrides, source_addresses):
        validators = []
        for node in self.nodes:
            out = run_tool([self.phalanxd, "init", "--home", node.home, "--host", node.host,
                            "--p2p-port", str(node.p2p_port), "--rpc-port", str(node.rpc_port)])
            match = re.search(r"validator\s+([0-9a-f]{64}@tcp://\S+)", out)
            if not match:
                raise RuntimeError(f"phalanxd init printed no validator line: {out[:300]}")
            validators += ["--validator", match.group(1)]
            source = {"p2p": {"source_host": node.host}} if source_addresses else {}
            self.edit_config(node, {**source, **overrides})
        allocs = []
        for address, balance in self.accounts.items():
            allocs += ["--alloc", f"{address}={balance}"]
        genesis = os.path.join(self.dir, "genesis.json")
        run_tool([self.phalanxd, "genesis", "--out", genesis, "--chain-id", self.chain_id]
                 + validators + allocs)
        for node in self.nodes:
            shutil.copyfile(genesis, os.path.join(node.home, "genesis.json"))

    @staticmethod
    def edit_config(node, sections):
        path = os.path.join(node.home, "config.json")
        with open(path) as f:
            config = json.load(f)
        for section, values in sections.items():
            config.setdefault(section, {}).update(values)
        with open(path, "w") as f:
            json.dump(config, f, indent=2)

    # --- processes --------------------------------------------------------------------
    def set_binary(self, i, binary_name, extra_args, byzantine=False):
        node = self.nodes[i]
        node.binary = os.path.join(self.bin_dir, binary_name)
        node.extra_args = list(extra_args)
        node.byzantine = byzantine

    def start(self, i):
        node = self.nodes[i]
        assert not node.running, f"node {i} is running"
        binary = node.binary or self.phalanxd
        with open(os.path.join(node.home, "stdout.log"), "ab") as out:
            node.proc = subprocess.Popen([binary, "run", "--home", node.home] + node.extra_args,
                                         stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        node.paused = False

    def start_all(self):
        for i in range(self.n):
            self.start(i)

    def kill(self, i):
        """SIGKILL; the exit is expected."""
        node = self.nodes[i]
        if not node.running:
            return
        self.note_exits()
        node.proc.send_signal(signal.SIGKILL)
        code = node.proc.wait(timeout=STOP_GRACE_S)
        node.expected_exits.append((node.proc.pid, code))
        node.paused = False

    def stop(self, i):
        """SIGTERM (SIGCONT so a paused node can exit); SIGKILL after the grace period.
        Returns the exit code; a clean stop is 0."""
        node = self.nodes[i]
        if not node.running:
            return None
        self.note_exits()
        node.proc.send_signal(signal.SIGTERM)
        node.proc.send_signal(signal.SIGCONT)
        outcome = None
        try:
            outcome = node.proc.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            node.proc.send_signal(signal.SIGKILL)
            node.proc.wait(timeout=STOP_GRACE_S)
            outcome = f"did not exit within {STOP_GRACE_S}s of SIGTERM"
        node.expected_exits.append((node.proc.pid, node.proc.returncode))
        node.paused = False
        return outcome

    def pause(self, i):
        node = self.nodes[i]
        if node.running and not node.paused:
            node.proc.send_signal(signal.SIGSTOP)
            node.paused = True

    def resume(self, i):
        node = self.nodes[i]
        if node.running and node.paused:
            node.proc.send_signal(signal.SIGCONT)
            node.paused = False

    def note_exits(self):
        """Records every exit the cluster did not cause; returns the new ones."""
        new = []
        for node in self.nodes:
            if node.proc is None or node.proc.poll() is None:
                continue
            entry = (node.proc.pid, node.proc.returncode)
            if entry not in node.expected_exits and entry not in node.unexpected_exits:
                node.unexpected_exits.append(entry)
                new.append((node.index, entry))
        return new

    def shutdown(self):
        """SIGKILL whatever still runs (cleanup path; a checked stop uses stop())."""
        for node in self.nodes:
            if node.running:
                node.proc.send_signal(signal.SIGKILL)
                node.proc.wait(timeout=STOP_GRACE_S)

    # --- queries ----------------------------------------------------------------------
    def live(self):
        return [node for node in self.nodes if node.running and not node.paused]

    def honest(self):
        return [node for node in self.nodes if not node.byzantine]

    def status(self, node, timeout=rpc.TIMEOUT_S):
        try:
            return rpc.call(node.url, "getStatus", timeout=timeout)
        except (rpc.RpcError, rpc.Unreachable):
            return None

    def wait_ready(self, timeout_s=READY_TIMEOUT_S):
        """Every running node answers and sees every other running node."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self.note_exits():
                raise RuntimeError(f"a node exited while starting: {self.exit_summary()}")
            live = self.live()
            statuses = [self.status(node, timeout=1) for node in live]
            if all(s and s["peers"] >= len(live) - 1 for s in statuses):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"nodes not ready after {timeout_s}s: " + ", ".join(
                    f"node{n.index}:{s and s['peers']}p" for n, s in zip(live, statuses)))
            time.sleep(0.1)

    def primary(self):
        """The primary the most live nodes report, or None."""
        votes = {}
        for node in self.live():
            s = self.status(node, timeout=1)
            if s:
                votes[s["primary"]] = votes.get(s["primary"], 0) + 1
        return max(votes, key=votes.get) if votes else None

    def exit_summary(self):
        parts = []
        for node in self.nodes:
            for pid, code in node.unexpected_exits:
                parts.append(f"node{node.index} pid {pid} exited {code}: {self.log_tail(node)}")
        return "; ".join(parts) or "none"

    @staticmethod
    def log_tail(node, lines=5):
        out = []
        for name in ("stdout.log", "node.log"):
            try:
                with open(os.path.join(node.home, name), errors="replace") as f:
                    out += [line.rstrip() for line in f.readlines()[-lines:]]
            except OSError:
                pass
        return " | ".join(out)
