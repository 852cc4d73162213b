"""Cuts links between loopback addresses with iptables, in a chain of this run's own.

The chain PHX-FAULTS-<pid> hangs off INPUT by one jump rule limited to 127.0.0.0/8; every
rule in it drops packets from one 127.x address to another. Nothing else is touched:
close() removes the jump, flushes and deletes the chain (run.py calls it in a finally
block and on SIGTERM/SIGINT); setup() first removes the chains of runs whose process is
gone (a SIGKILLed harness). Needs root and a working iptables; usable() says why not.
"""
import ipaddress
import os
import re
import shutil
import subprocess

CHAIN_PREFIX = "PHX-FAULTS-"

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


def _loopback(address):
    if ipaddress.ip_address(address) not in LOOPBACK:
        raise ValueError(f"{address} is outside 127.0.0.0/8")
    return address


def usable():
    """None when partitions can run, else the reason they cannot."""
    if os.geteuid() != 0:
        return "partitions need root (iptables)"
    if shutil.which("iptables") is None:
        return "iptables is not installed (tests/install-deps.sh installs it)"
    probe = subprocess.run(["iptables", "-w", "5", "-S", "INPUT"], capture_output=True,
                           text=True, timeout=30)
    if probe.returncode != 0:
        return f"iptables does not work here: {probe.stderr.strip()[:200]}"
    return None


def jump_rule(chain):
    return ["INPUT", "-s", str(LOOPBACK), "-d", str(LOOPBACK), "-j", chain]


class Netfilter:
    def __init__(self):
        self.chain = f"{CHAIN_PREFIX}{os.getpid()}"
        self.jump = jump_rule(self.chain)
        self.cuts = set()  # (source, destination)
        self.open = False

    def _iptables(self, *args, check=True):
        done = subprocess.run(["iptables", "-w", "5", *args], capture_output=True, text=True,
                              timeout=30)
        if check and done.returncode != 0:
            raise RuntimeError(f"iptables {' '.join(args)}: {done.stderr.strip()[:200]}")
        return done.returncode == 0

    def remove_stale(self):
        """Deletes the chains (and jumps) of earlier runs whose process no longer exists."""
        listing = subprocess.run(["iptables", "-w", "5", "-S"], capture_output=True, text=True,
                                 timeout=30).stdout
        for pid in set(re.findall(rf"^-N {CHAIN_PREFIX}(\d+)$", listing, re.M)):
            if os.path.exists(f"/proc/{pid}"):
                continue
            chain = f"{CHAIN_PREFIX}{pid}"
            while self._iptables("-D", *jump_rule(chain), check=False):
                pass
            self._iptables("-F", chain, check=False)
            self._iptables("-X", chain, check=False)

    def setup(self):
        self.remove_stale()
        self._iptables("-N", self.chain)
        self.open = True
        self._iptables("-I", *self.jump)

    def cut(self, a, b):
        """Drops packets between A and B, both ways."""
        for src, dst in ((a, b), (b, a)):
            if (src, dst) not in self.cuts:
                self._iptables("-A", self.chain, "-s", _loopback(src), "-d", _loopback(dst),
                               "-j", "DROP")
                self.cuts.add((src, dst))

    def heal(self):
        """Removes every cut."""
        if self.open:
            self._iptables("-F", self.chain)
        self.cuts.clear()

    def close(self):
        if not self.open:
            return
        while self._iptables("-D", *self.jump, check=False):
            pass
        self._iptables("-F", self.chain, check=False)
        self._iptables("-X", self.chain, check=False)
        self.open = False
        self.cuts.clear()

    def partition(self, groups, hosts):
        """Cuts every link between nodes of different GROUPS (lists of node indexes); a node
        in several groups (a bridge) keeps its links to all of them."""
        for gi, first in enumerate(groups):
            for second in groups[gi + 1:]:
                for a in first:
                    for b in second:
                        if a != b and not any(a in g and b in g for g in groups):
                            self.cut(hosts[a], hosts[b])
