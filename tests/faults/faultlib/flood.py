"""The flood: valid transfers far beyond the mempool bound (CONFIG shrinks it to
MEMPOOL_TXS_MAX) mixed with invalid ones, in JSON-RPC batches to random nodes, while a
probe checks that every node keeps answering and the chain keeps growing.

Checks: some valid transfers are refused with -32009 (the bound was reached); every
invalid one is refused with one of its allowed codes (a bad signature may also meet a
full pool first: admission checks room before the signature, docs/node.md); no probe
goes unanswered; the height grows while the flood runs.
"""
import threading

from faultlib import rpc

MEMPOOL_TXS_MAX = 500
BATCH = 1000            # calls per JSON-RPC batch: twice the pool in one request
CONFIG = {"mempool": {"txs_max": MEMPOOL_TXS_MAX}, "rpc": {"batch_max": BATCH}}
TXS_PER_ACCOUNT = 200   # below sender_txs_max and nonce_gap_max (256)
BAD_SIGNATURE_NONCE = 250  # unused by the valid ones, within nonce_gap_max
# The pool is full of transactions behind nonce gaps after the flood; an executable one
# evicts them whatever its fee (node/mempool.h), so the minimum fee must get in (docs/faults.md,
# "What it found").
LIVENESS_FEE = 1
FLOOD_ACCOUNTS = 24     # of the run's extra accounts; badinput.py uses the last ones
PROBE_INTERVAL_S = 0.25
PROBE_TIMEOUT_S = 2.0
MEMPOOL_FULL = -32009

# kind -> codes it may get
INVALID = {
    "bad-signature": {-32002, MEMPOOL_FULL},
    "nonce-far-ahead": {-32005},
    "not-hex": {-32602},
    "truncated": {-32001},
}


class Flood:
    def __init__(self, ctx):
        self.ctx = ctx
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.codes = {}          # kind -> {outcome: count}
        self.unanswered = []     # probe failures
        self.heights = []        # (node, height) samples
        self.threads = []

    def count(self, kind, outcome):
        with self.lock:
            per_kind = self.codes.setdefault(kind, {})
            per_kind[outcome] = per_kind.get(outcome, 0) + 1

    def invalid(self, account, nonce):
        bank = self.ctx.bank
        to = bank.accounts[0].address
        _, tx_hex = bank.signer.sign(account.seed, self.ctx.cluster.chain_id, to, 5, 1, nonce)
        _, unused = bank.signer.sign(account.seed, self.ctx.cluster.chain_id, to, 5, 1,
                                     BAD_SIGNATURE_NONCE)
        flipped = unused[:-2] + f"{int(unused[-2:], 16) ^ 1:02x}"
        _, far = bank.signer.sign(account.seed, self.ctx.cluster.chain_id, to, 5, 1,
                                  nonce + 100000)
        return [("bad-signature", flipped), ("nonce-far-ahead", far), ("not-hex", "zz" + tx_hex),
                ("truncated", tx_hex[:-2])]

    def requests(self, accounts):
        """(kind, tx_hex) to send, accounts interleaved so senders spread over batches."""
        out = []
        to = self.ctx.bank.accounts
        for nonce in range(TXS_PER_ACCOUNT):
            for k, account in enumerate(accounts):
                _, tx_hex = self.ctx.bank.sign(account, to[(nonce + k) % len(to)].address,
                                               1 + nonce, 1, nonce)
                out.append(("valid", tx_hex))
                if nonce % 20 == 0:
                    out += self.invalid(account, nonce)
        return out

    def sender(self, index, accounts):
        requests = self.requests(accounts)
        nodes = self.ctx.cluster.nodes
        for start in range(0, len(requests), BATCH):
            if self.stop_event.is_set():
                return
            chunk = requests[start:start + BATCH]
            node = nodes[(index + start // BATCH) % len(nodes)]
            try:
                answers = rpc.batch(node.url, [("sendTransaction", [tx]) for _, tx in chunk],
                                    timeout=10)
            except (rpc.RpcError, rpc.Unreachable):
                for kind, _ in chunk:
                    self.count(kind, "no answer")
                continue
            for (kind, _), (result, error) in zip(chunk, answers):
                self.count(kind, "accepted" if error is None else error.get("code"))

    def probe(self):
        while not self.stop_event.wait(PROBE_INTERVAL_S):
            for node in self.ctx.cluster.nodes:
                try:
                    self.heights.append((node.index, rpc.call(node.url, "getBlockHeight",
                                                              timeout=PROBE_TIMEOUT_S)))
                except (rpc.RpcError, rpc.Unreachable) as e:
                    self.unanswered.append(f"node{node.index}: {e}")

    def start(self):
        extra = self.ctx.extra_accounts[:FLOOD_ACCOUNTS]
        halves = [extra[0::2], extra[1::2]]
        self.threads = [threading.Thread(target=self.sender, args=(i, h), daemon=True)
                        for i, h in enumerate(halves)]
        self.threads.append(threading.Thread(target=self.probe, daemon=True))
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=60)
        report = self.ctx.report
        with self.lock:
            codes = {k: dict(v) for k, v in self.codes.items()}
        if codes.get("valid", {}).get(MEMPOOL_FULL, 0) == 0:
            report.fail(f"flood: the mempool bound ({MEMPOOL_TXS_MAX}) was never reached: "
                        f"{codes.get('valid')}")
        for kind, allowed in INVALID.items():
            wrong = {c: n for c, n in codes.get(kind, {}).items() if c not in allowed}
            if wrong:
                report.fail(f"flood: {kind} txs got {wrong}, expected only {sorted(allowed)}")
        if self.unanswered:
            report.fail(f"flood: {len(self.unanswered)} probes unanswered, e.g. "
                        f"{self.unanswered[0]}")
        for node in self.ctx.cluster.nodes:
            seen = [h for i, h in self.heights if i == node.index]
            if len(seen) < 2 or seen[-1] <= seen[0]:
                report.fail(f"flood: node{node.index} did not commit during the flood "
                            f"(heights {seen[:1]}..{seen[-1:]})")
        report.fact("flood", "; ".join(f"{k}: {v}" for k, v in sorted(codes.items())))
        sizes, outcome = self.min_fee_probe()
        report.fact("after the flood", f"mempool sizes {sizes} (bound {MEMPOOL_TXS_MAX}); a "
                    f"fee-1 transfer to node0: {outcome}")
        if outcome != "accepted":
            report.fail(f"flood: a fee-1 transfer right after the flood got {outcome}")

    def min_fee_probe(self):
        """Mempool sizes, and what a fee-1 transfer gets, right after the flood."""
        sizes = [(s or {}).get("mempoolSize") for s in map(self.ctx.cluster.status,
                                                          self.ctx.cluster.nodes)]
        node, account = self.ctx.cluster.nodes[0], self.ctx.extra_accounts[FLOOD_ACCOUNTS]
        nonce = self.ctx.bank.pending_nonce(node, account)
        outcome = "no nonce"
        if nonce is not None:
            tx_hash, tx_hex = self.ctx.bank.sign(account, account.address, 1, 1, nonce)
            outcome = self.ctx.bank.submit(node, tx_hash, tx_hex)
        return sizes, outcome


def start(ctx):
    ctx.flood = Flood(ctx)
    ctx.flood.start()


def finish(ctx):
    ctx.flood.finish()
