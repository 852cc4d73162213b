"""The bank workload: accounts funded in genesis, client threads sending transfers to
random nodes over JSON-RPC, and a confirmer recording which transactions nodes report
committed. Every submission and its outcome is kept for the checker.

Transactions are signed by phalanx-faults-signer (tests/faults/signer.cc), one process,
a line per transaction. Each client thread owns a disjoint set of senders, so it tracks
their nonces alone; after any doubt (no answer, a nonce or rate refusal) it re-reads the
sender's pendingNonce from the node it is about to use.
"""
import random
import subprocess
import threading
import time

from faultlib import rpc

ACCOUNT_BALANCE = 10 ** 12
SEND_TIMEOUT_S = 2.0
CLIENT_INTERVAL_S = 0.02      # pacing: about 50 submissions/s per client
CONFIRM_INTERVAL_S = 0.5
CONFIRM_BATCH_MAX = 400
RESYNC_CODES = {-32004, -32005, -32006, -32009, -32011}


class Signer:
    """A phalanx-faults-signer process; thread-safe."""

    def __init__(self, path):
        self.proc = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.lock = threading.Lock()

    def _ask(self, line):
        with self.lock:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline().strip()
        if not answer or answer.startswith("error"):
            raise RuntimeError(f"signer: {answer or 'no answer'} (for {line.split()[0]})")
        return answer.split()

    def key(self, seed_hex):
        address, public_key = self._ask(f"key {seed_hex}")
        return address, public_key

    def sign(self, seed_hex, chain_id, to, amount, fee, nonce):
        tx_hash, tx_hex = self._ask(f"sign {seed_hex} {chain_id} {to} {amount} {fee} {nonce}")
        return tx_hash, tx_hex

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


class Account:
    def __init__(self, seed_hex, address):
        self.seed, self.address = seed_hex, address


def make_accounts(signer, rng, count):
    accounts = []
    for _ in range(count):
        seed = rng.getrandbits(256).to_bytes(32, "big").hex()
        accounts.append(Account(seed, signer.key(seed)[0]))
    return accounts


class Bank:
    """Submissions: (hash, node, outcome) with outcome 'accepted', 'timeout' or an error
    code; known: hash -> (from, to, amount, fee, nonce) of everything signed."""

    def __init__(self, signer, cluster, accounts, seed, clients=4,
                 interval_s=CLIENT_INTERVAL_S):
        self.signer, self.cluster, self.accounts = signer, cluster, accounts
        self.interval_s = interval_s
        self.seed, self.clients = seed, clients
        self.liveness_accounts = []  # one per node, for checker.check_liveness only
        self.lock = threading.Lock()
        self.known = {}
        self.submissions = []
        self.accepted = []
        self.committed_seen = {}   # hash -> height a node reported
        self.confirm_cursor = 0
        self.failed_seen = {}      # hash -> error a node reported
        self.stop_event = threading.Event()
        self.threads = []

    # --- submitting -------------------------------------------------------------------
    def sign(self, account, to, amount, fee, nonce):
        tx_hash, tx_hex = self.signer.sign(account.seed, self.cluster.chain_id, to, amount, fee,
                                           nonce)
        with self.lock:
            self.known[tx_hash] = (account.address, to, amount, fee, nonce)
        return tx_hash, tx_hex

    def submit(self, node, tx_hash, tx_hex, timeout=SEND_TIMEOUT_S):
        """Sends one signed tx; returns the outcome ('accepted', 'timeout' or the code)."""
        try:
            returned = rpc.call(node.url, "sendTransaction", [tx_hex], timeout=timeout)
            outcome = "accepted" if returned == tx_hash else f"wrong hash {returned}"
        except rpc.RpcError as e:
            outcome = e.code
        except rpc.Unreachable:
            outcome = "timeout"
        with self.lock:
            self.submissions.append((tx_hash, node.index, outcome))
            if outcome == "accepted":
                self.accepted.append(tx_hash)
        return outcome

    def pending_nonce(self, node, account, timeout=SEND_TIMEOUT_S):
        try:
            return rpc.call(node.url, "getAccount", [account.address],
                            timeout=timeout)["pendingNonce"]
        except (rpc.RpcError, rpc.Unreachable):
            return None

    def client(self, index):
        rng = random.Random(self.seed * 1009 + index)
        mine = self.accounts[index::self.clients]
        nonces = {a.address: None for a in mine}
        while not self.stop_event.is_set():
            sender = rng.choice(mine)
            node = rng.choice(self.cluster.nodes)
            if nonces[sender.address] is None:
                nonces[sender.address] = self.pending_nonce(node, sender)
                if nonces[sender.address] is None:
                    self.stop_event.wait(self.interval_s)
                    continue
            to = rng.choice(self.accounts).address
            tx_hash, tx_hex = self.sign(sender, to, rng.randint(1, 1000), rng.randint(1, 3),
                                        nonces[sender.address])
            outcome = self.submit(node, tx_hash, tx_hex)
            if outcome == "accepted":
                nonces[sender.address] += 1
            elif outcome == "timeout" or outcome in RESYNC_CODES:
                nonces[sender.address] = None
            self.stop_event.wait(self.interval_s)

    # --- confirming -------------------------------------------------------------------
    def confirm_once(self, node):
        """Asks NODE about the newest unconfirmed txs and a rotating window of the older
        ones (a tx lost with a killed node's mempool stays unconfirmed for ever and must
        not crowd out the rest)."""
        with self.lock:
            unconfirmed = [h for h in self.accepted
                    if h not in self.committed_seen and h not in self.failed_seen]
        half = CONFIRM_BATCH_MAX // 2
        older = unconfirmed[:-half]
        if len(unconfirmed) > CONFIRM_BATCH_MAX:
            self.confirm_cursor = (self.confirm_cursor + half) % len(older)
            unconfirmed = (older + older)[self.confirm_cursor:self.confirm_cursor + half] + unconfirmed[-half:]
        try:
            answers = rpc.batched(node.url, [("getTransaction", [h]) for h in unconfirmed])
        except (rpc.RpcError, rpc.Unreachable):
            return
        with self.lock:
            for h, (result, error) in zip(unconfirmed, answers):
                if error or not result:
                    continue
                if result["status"] == "committed":
                    self.committed_seen[h] = result["height"]
                elif result["status"] == "failed":
                    self.failed_seen[h] = result["error"]

    def confirmer(self):
        rng = random.Random(self.seed * 7919)
        while not self.stop_event.wait(CONFIRM_INTERVAL_S):
            live = [n for n in self.cluster.live() if not n.byzantine]
            if live:
                self.confirm_once(rng.choice(live))

    # --- lifecycle --------------------------------------------------------------------
    def start(self):
        self.stop_event.clear()
        self.threads = [threading.Thread(target=self.client, args=(i,), daemon=True)
                        for i in range(self.clients)]
        self.threads.append(threading.Thread(target=self.confirmer, daemon=True))
        for t in self.threads:
            t.start()

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=SEND_TIMEOUT_S * 4)
        self.threads = []

    def outcome_counts(self):
        counts = {}
        with self.lock:
            for _, _, outcome in self.submissions:
                counts[outcome] = counts.get(outcome, 0) + 1
        return counts


def wait_for(condition, timeout_s, interval_s=0.1):
    """Polls CONDITION until it returns a true value or the deadline passes."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval_s)
