"""The checks after every scenario, over JSON-RPC only (see docs/faults.md):

1. no node process exited unless the scenario made it;
2. after the faults heal, a new transfer sent to every honest node commits in bounded time;
3. all honest nodes reach the same height;
4. at every height they share, honest nodes agree on hash, prevHash (which links the
   chain), stateRoot and transactions;
5. every transaction of the chain is replayed from genesis by the state rules (ledger/
   state.h), independently of the node: the status every honest node reports matches,
   and for transactions this run signed, the fields match what was signed;
6. every honest node's balance and nonce of every account match the replay, and
   sum(balances) + burned fees = the genesis supply;
7. every transaction a node reported committed is executed exactly once in the chain, at
   the height reported (nothing committed is lost, e.g. across a crash of every node);
8. (scenarios that lose no mempool: no crash, no Byzantine node, no flood) the faults
   healed, no accepted transaction stays pending on any honest node: each commits.
"""
import time

from faultlib import rpc
from faultlib.bank import wait_for

AMOUNT_MAX = (1 << 53) - 1
LIVENESS_TIMEOUT_S = 30
LIVENESS_RPC_TIMEOUT_S = 10
CONVERGE_TIMEOUT_S = 30
DRAIN_TIMEOUT_S = 30
STABLE_S = 1.0
CHECK_ATTEMPTS = 3


class Report:
    def __init__(self):
        self.failures = []
        self.facts = {}

    def fail(self, message):
        self.failures.append(message)

    def fact(self, key, value):
        self.facts[key] = value


def check_processes(cluster, report):
    cluster.note_exits()
    for node in cluster.nodes:
        for pid, code in node.unexpected_exits:
            report.fail(f"node{node.index} (pid {pid}) exited by itself with {code}: "
                        f"{cluster.log_tail(node)}")
        if not node.running:
            report.fail(f"node{node.index} is not running after the faults healed")


# Refusals a client retries: a full mempool (a flood leaves a backlog that drains once the
# chain moves on) and rate limiting.
RETRIED_CODES = (-32009, -32011)


def submit_fresh(bank, node, deadline, fee):
    """Sends one fresh transfer from the node's liveness account, retrying RETRIED_CODES
    until `deadline`; (hash, outcome), or None when getAccount did not answer."""
    sender = bank.liveness_accounts[node.index]
    to = bank.accounts[node.index % len(bank.accounts)].address
    while True:
        # Patient: a node with a slow disk answers after its backlog (docs/faults.md).
        nonce = bank.pending_nonce(node, sender, timeout=LIVENESS_RPC_TIMEOUT_S)
        if nonce is None:
            return None
        tx_hash, tx_hex = bank.sign(sender, to, 1, fee, nonce)
        outcome = bank.submit(node, tx_hash, tx_hex, timeout=LIVENESS_RPC_TIMEOUT_S)
        if outcome not in RETRIED_CODES or time.monotonic() >= deadline:
            return tx_hash, outcome
        time.sleep(0.5)  # the node gives no signal for "room again": poll it


def check_liveness(cluster, bank, report, fee=1):
    """One fresh transfer per honest node, sent to it from an account nothing else uses;
    each must commit there in time."""
    sent = []
    begin = time.monotonic()
    for node in cluster.honest():
        submitted = submit_fresh(bank, node, begin + LIVENESS_TIMEOUT_S, fee)
        if submitted is None:
            report.fail(f"liveness: node{node.index} does not answer getAccount")
        elif submitted[1] != "accepted":
            report.fail(f"liveness: node{node.index} refused a fresh transfer: {submitted[1]}")
        else:
            sent.append((node, submitted[0]))

    def committed(node, tx_hash):
        try:
            tx = rpc.call(node.url, "getTransaction", [tx_hash])
            return tx is not None and tx["status"] == "committed"
        except (rpc.RpcError, rpc.Unreachable):
            return False

    pending = list(sent)

    def all_committed():
        pending[:] = [(n, h) for n, h in pending if not committed(n, h)]
        return not pending

    wait_for(all_committed, LIVENESS_TIMEOUT_S, 0.2)
    for node, tx_hash in pending:
        report.fail(f"liveness: a fresh transfer {tx_hash[:12]} sent to node{node.index} did "
                    f"not commit within {LIVENESS_TIMEOUT_S}s after the faults healed")
    report.fact("liveness", f"{len(sent) - len(pending)}/{len(sent)} fresh transfers committed "
                f"in {time.monotonic() - begin:.1f}s")


def pending_anywhere(cluster, hashes):
    """The HASHES some honest node reports pending, each with the nodes that do."""
    pending = {}
    for node in cluster.honest():
        try:
            views = fetch_transactions(node, hashes)
        except (rpc.RpcError, rpc.Unreachable):
            continue
        for h, tx in views.items():
            if tx is not None and tx["status"] == "pending":
                pending.setdefault(h, []).append(node.index)
    return pending


def check_drained(cluster, bank, report):
    """Every accepted tx leaves every honest mempool (commits) once the faults healed."""
    left = {}

    def drained():
        left.clear()
        left.update(pending_anywhere(cluster, list(dict.fromkeys(bank.accepted))))
        return not left

    begin = time.monotonic()
    if wait_for(drained, DRAIN_TIMEOUT_S, 0.5):
        report.fact("drained", f"no accepted tx pending after {time.monotonic() - begin:.1f}s")
        return
    where = {}
    for nodes in left.values():
        key = ",".join(f"node{i}" for i in nodes)
        where[key] = where.get(key, 0) + 1
    report.fail(f"{len(left)} accepted txs still pending {DRAIN_TIMEOUT_S}s after the faults "
                f"healed (pending on: {where}), e.g. {next(iter(left))[:16]}")


def heights(nodes):
    out = {}
    for node in nodes:
        try:
            out[node.index] = rpc.call(node.url, "getBlockHeight")
        except (rpc.RpcError, rpc.Unreachable):
            out[node.index] = None
    return out


def check_convergence(cluster, report):
    """All honest nodes at one height, unchanged over STABLE_S (the chain is quiet, so the
    accounts read later belong to the chain read now)."""
    honest = cluster.honest()
    last = {}

    def same():
        before = dict(last)
        last.clear()
        last.update(heights(honest))
        values = set(last.values())
        return len(values) == 1 and None not in values and last == before

    if not wait_for(same, CONVERGE_TIMEOUT_S, STABLE_S):
        report.fail(f"honest nodes did not reach one height within {CONVERGE_TIMEOUT_S}s: "
                    f"{last}")
        return min((h for h in last.values() if h is not None), default=0)
    return next(iter(last.values()))


def fetch_chain(node, height):
    """Blocks 1..HEIGHT from NODE (index 0 is unused)."""
    calls = [("getBlock", [h]) for h in range(1, height + 1)]
    blocks = [None]
    for result, error in rpc.batched(node.url, calls, size=50, timeout=10):
        if error:
            raise rpc.RpcError(error)
        blocks.append(result)
    return blocks


def read_honest(cluster, read, what, report):
    """{node index: read(node)} over the honest nodes; a node that cannot answer fails."""
    out = {}
    for node in cluster.honest():
        try:
            out[node.index] = read(node)
        except (rpc.RpcError, rpc.Unreachable) as e:
            report.fail(f"node{node.index}: cannot read {what}: {e}")
    return out


def check_agreement(cluster, height, report):
    """Returns the reference chain (of the first honest node)."""
    chains = read_honest(cluster, lambda node: fetch_chain(node, height), "its chain", report)
    if not chains:
        return None
    ref_index, ref = next(iter(chains.items()))
    fields = ("hash", "prevHash", "stateRoot", "transactions")
    for index, chain in chains.items():
        for h in range(1, height + 1):
            block = chain[h]
            if block is None or block["height"] != h:
                report.fail(f"node{index}: getBlock({h}) is {block and block['height']}")
                return ref
            for field in fields:
                if block[field] != ref[h][field]:
                    report.fail(f"height {h}: node{index} {field} differs from node{ref_index}'s")
                    return ref
            if h > 1 and block["prevHash"] != chain[h - 1]["hash"]:
                report.fail(f"node{index}: block {h} does not link to block {h - 1}")
    report.fact("chain", f"{height} blocks agree on {len(chains)} honest nodes")
    return ref


def chain_transactions(chain):
    """[(height, index, hash)] in execution order."""
    return [(b["height"], i, h) for b in chain[1:] for i, h in enumerate(b["transactions"])]


def fetch_transactions(node, hashes):
    answers = rpc.batched(node.url, [("getTransaction", [h]) for h in hashes], size=100,
                          timeout=10)
    out = {}
    for h, (result, error) in zip(hashes, answers):
        if error:
            raise rpc.RpcError(error)
        out[h] = result
    return out


class Replay:
    """The state rules of ledger/state.h applied to the chain, from the genesis balances."""

    def __init__(self, genesis_balances):
        self.balances = dict(genesis_balances)
        self.nonces = {}
        self.burned = 0
        self.executed = set()
        self.status = {}       # hash -> "committed" | "failed" (first occurrence)
        self.duplicates = 0

    def apply(self, tx_hash, tx):
        if tx_hash in self.executed:
            self.duplicates += 1
            return
        self.executed.add(tx_hash)
        self.status[tx_hash] = "committed" if self.passes(tx) else "failed"
        if self.status[tx_hash] == "failed":
            return
        sender, to, amount, fee = tx["from"], tx["to"], tx["amount"], tx["fee"]
        self.balances[sender] -= amount + fee
        self.nonces[sender] = self.nonces.get(sender, 0) + 1
        self.balances[to] = self.balances.get(to, 0) + amount
        self.burned += fee

    def passes(self, tx):
        sender, amount, fee = tx["from"], tx["amount"], tx["fee"]
        if not (1 <= amount <= AMOUNT_MAX) or fee > AMOUNT_MAX:
            return False
        if tx["nonce"] != self.nonces.get(sender, 0):
            return False
        if self.balances.get(sender, 0) < amount + fee:
            return False
        return tx["to"] == sender or self.balances.get(tx["to"], 0) <= AMOUNT_MAX - amount


def check_transactions(cluster, bank, chain, report):
    """Replays the chain; compares every honest node's view of each tx with the replay."""
    order = chain_transactions(chain)
    hashes = list(dict.fromkeys(h for _, _, h in order))
    views = read_honest(cluster, lambda node: fetch_transactions(node, hashes), "transactions",
                        report)
    if not views:
        return None
    ref = next(iter(views.values()))
    replay = Replay(bank.cluster.accounts)
    for height, index, h in order:
        tx = ref.get(h)
        if tx is None:
            report.fail(f"tx {h[:12]} of block {height} is unknown to getTransaction")
            return replay
        ours = bank.known.get(h)
        if ours and (tx["from"], tx["to"], tx["amount"], tx["fee"], tx["nonce"]) != ours:
            report.fail(f"tx {h[:12]}: fields differ from what was signed: {tx} vs {ours}")
        if h not in replay.executed and (tx["height"], tx["index"]) != (height, index):
            report.fail(f"tx {h[:12]}: reported at {tx['height']}/{tx['index']}, "
                        f"first in the chain at {height}/{index}")
        replay.apply(h, tx)
    for node_index, view in views.items():
        wrong = [h for h in hashes if view[h] is None or view[h]["status"] != replay.status[h]]
        for h in wrong[:3]:
            report.fail(f"node{node_index}: tx {h[:12]} is {view[h] and view[h]['status']}, "
                        f"the replay says {replay.status[h]}")
    foreign = sum(1 for h in hashes if h not in bank.known)
    committed = sum(1 for s in replay.status.values() if s == "committed")
    report.fact("txs", f"{len(hashes)} in the chain ({committed} committed, "
                f"{len(hashes) - committed} failed, {foreign} not ours, "
                f"{replay.duplicates} duplicate entries)")
    return replay


def check_balances(cluster, replay, report):
    supply = sum(cluster.accounts.values())
    if sum(replay.balances.values()) + replay.burned != supply:
        report.fail("replay: sum(balances) + burned fees != genesis supply")
    addresses = sorted(replay.balances)
    for node in cluster.honest():
        try:
            answers = rpc.batched(node.url, [("getAccount", [a]) for a in addresses], timeout=10)
        except (rpc.RpcError, rpc.Unreachable) as e:
            report.fail(f"node{node.index}: cannot read accounts: {e}")
            continue
        total, wrong = replay.burned, []
        for address, (account, error) in zip(addresses, answers):
            if error:
                report.fail(f"node{node.index}: getAccount({address}): {error}")
                return
            total += account["balance"]
            expected = (replay.balances[address], replay.nonces.get(address, 0))
            if (account["balance"], account["nonce"]) != expected:
                wrong.append(f"{address} has balance/nonce {account['balance']}/"
                             f"{account['nonce']}, the replay {expected[0]}/{expected[1]}")
        if wrong:
            report.fail(f"node{node.index}: {len(wrong)} accounts differ, e.g. {wrong[0]}")
        if total != supply:
            report.fail(f"node{node.index}: sum(balances) + burned = {total} != supply {supply}")
    report.fact("supply", f"{supply} = balances + {replay.burned} burned, "
                f"{len(addresses)} accounts checked on every honest node")


def check_seen_committed(bank, chain, report):
    first = {}
    for height, _, h in chain_transactions(chain):
        first.setdefault(h, height)
    lost = {h: height for h, height in bank.committed_seen.items() if first.get(h) != height}
    for h, height in list(lost.items())[:5]:
        report.fail(f"tx {h[:12]} was reported committed at height {height} but the chain has "
                    f"it at {first.get(h)}")
    accepted = set(bank.accepted)
    report.fact("observed", f"{len(bank.committed_seen)} seen committed during the run, "
                f"{len(accepted & set(first))}/{len(accepted)} accepted txs in the chain")


def check_chain(cluster, bank, height, report):
    chain = check_agreement(cluster, height, report)
    if chain is None:
        return
    replay = check_transactions(cluster, bank, chain, report)
    if replay is not None:
        check_balances(cluster, replay, report)
    check_seen_committed(bank, chain, report)


def check_all(cluster, bank, report, drains=False, liveness_fee=1):
    check_processes(cluster, report)
    check_liveness(cluster, bank, report, liveness_fee)
    if drains:
        check_drained(cluster, bank, report)
    # Txs behind a backlog may still commit: the chain checks count only if no block was
    # added while they read it (else they run again on the longer chain).
    for attempt in range(CHECK_ATTEMPTS):
        height = check_convergence(cluster, report)
        attempt_report = Report()
        check_chain(cluster, bank, height, attempt_report)
        if set(heights(cluster.honest()).values()) == {height} or attempt + 1 == CHECK_ATTEMPTS:
            break
    report.failures += attempt_report.failures
    report.facts.update(attempt_report.facts)
