"""Malformed and hostile JSON-RPC requests against a live phalanxd (docs/rpc.md "Errors").

tests/node/rpc_* check the envelope rules in process against a fake backend; this corpus
checks the real process: its HTTP limits, its admission errors on real signed bytes
(-32001..-32010), and that after each request the node still answers getHealth.
"""
import json

from faultlib import rpc
from faultlib.bank import wait_for


def envelope(method, params, call_id=1):
    return json.dumps({"jsonrpc": "2.0", "id": call_id, "method": method,
                       "params": params}).encode()


def static_cases(address):
    deep = b"[" * 100000 + b"]" * 100000
    many = [{"jsonrpc": "2.0", "id": i, "method": "getHealth"} for i in range(101)]
    return [
        ("broken JSON", b'{"jsonrpc":"2.0","method":', 200, -32700),
        ("invalid UTF-8", b'{"jsonrpc":"2.0","id":1,"method":"get\xff"}', 200, -32700),
        ("number beyond a double", b'{"jsonrpc":"2.0","id":1e400,"method":"getHealth"}',
         200, -32700),
        ("nesting 100000 deep", deep, 200, -32700),
        ("empty batch", b"[]", 200, -32600),
        ("batch above batch_max", json.dumps(many).encode(), 200, -32600),
        ("body above 1 MiB", b'{"x":"' + b"a" * (2 << 20) + b'"}', 413, -32600),
        ("method not a string", b'{"jsonrpc":"2.0","id":1,"method":5}', 200, -32600),
        ("jsonrpc 1.0", b'{"jsonrpc":"1.0","id":1,"method":"getHealth"}', 200, -32600),
        ("id an object", b'{"jsonrpc":"2.0","id":{},"method":"getHealth"}', 200, -32600),
        ("unknown method", envelope("getEverything", []), 200, -32601),
        ("params not array or object", envelope("getBlock", 5), 200, -32600),
        ("address of the wrong type", envelope("getBalance", [5]), 200, -32602),
        ("mistyped address", envelope("getBalance", [address[:-1] + (
            "q" if address[-1] != "q" else "p")]), 200, -32010),
        ("negative height", envelope("getBlock", [-1]), 200, -32602),
        ("fractional height", envelope("getBlock", [1.5]), 200, -32602),
        ("exponent height", b'{"jsonrpc":"2.0","id":1,"method":"getBlock","params":[1e3]}',
         200, -32602),
        ("height 2^53", envelope("getBlock", [1 << 53]), 200, -32602),
        ("height 2^64 overflow", b'{"jsonrpc":"2.0","id":1,"method":"getBlock",'
         b'"params":[18446744073709551616]}', 200, -32602),
        ("height as a string", envelope("getBlock", ["1"]), 200, -32602),
        ("unknown named param", envelope("getBlock", {"heigth": 1}), 200, -32602),
        ("extra param", envelope("getBlockHeight", [1]), 200, -32602),
        ("hash of 63 hex", envelope("getTransaction", ["a" * 63]), 200, -32602),
        ("hash not hex", envelope("getTransaction", ["zz" * 32]), 200, -32602),
        ("hash with 0x", envelope("getTransaction", ["0x" + "a" * 62]), 200, -32602),
        ("tx not hex", envelope("sendTransaction", ["xyz1"]), 200, -32602),
        ("tx odd-length hex", envelope("sendTransaction", ["abc"]), 200, -32602),
        ("tx of one byte", envelope("sendTransaction", ["01"]), 200, -32001),
        ("tx longer than any", envelope("sendTransaction", ["01" * 4096]), 200, -32001),
    ]


def tx_cases(ctx):
    """Signed bytes from the corpus's own account, each broken one way."""
    bank, chain_id = ctx.bank, ctx.cluster.chain_id
    account, to = ctx.extra_accounts[-1], bank.accounts[0].address
    sign = bank.signer.sign
    _, good = sign(account.seed, chain_id, to, 7, 1, 0)
    amount_at = len(good) - 2 * (64 + 8 + 8 + 8)  # amount:u64 fee:u64 nonce:u64 signature:64
    over = good[:amount_at] + f"{1 << 53:016x}" + good[amount_at + 16:]
    zero = good[:amount_at] + "0" * 16 + good[amount_at + 16:]
    flipped = good[:-2] + f"{int(good[-2:], 16) ^ 1:02x}"
    _, wrong_chain = sign(account.seed, "phalanx-elsewhere", to, 7, 1, 0)
    _, low_fee = sign(account.seed, chain_id, to, 7, 0, 0)
    _, far = sign(account.seed, chain_id, to, 7, 1, 100000)
    _, too_much = sign(account.seed, chain_id, to, (1 << 53) - 1, 1, 0)
    return [
        ("tx with a trailing byte", good + "00", -32001),
        ("tx truncated", good[:-2], -32001),
        ("tx version 2", "02" + good[2:], -32001),
        ("tx chain id length off by one", good[:2] + f"{int(good[2:4], 16) + 1:02x}" + good[4:],
         -32001),
        ("tx amount 2^53", over, -32001),
        ("tx amount 0", zero, -32001),
        ("tx uppercase hex, bad signature", flipped.upper(), -32002),
        ("tx wrong chain id", wrong_chain, -32003),
        ("tx fee below minimum", low_fee, -32007),
        ("tx nonce far ahead", far, -32005),
        ("tx amount above the balance", too_much, -32006),
    ]


def expect(ctx, node, name, body, status, code, content_type="application/json"):
    report = ctx.report
    try:
        got_status, data = rpc.post_raw(node.url, body, content_type=content_type, timeout=10)
    except rpc.Unreachable as e:
        report.fail(f"bad input '{name}': no answer: {e}")
        return None
    reply = None
    try:
        reply = json.loads(data) if data else None
    except ValueError:
        pass
    got_code = reply.get("error", {}).get("code") if isinstance(reply, dict) else None
    if got_status != status or got_code != code:
        report.fail(f"bad input '{name}': HTTP {got_status} code {got_code}, expected HTTP "
                    f"{status} code {code} ({data[:120]!r})")
    try:
        rpc.call(node.url, "getHealth", timeout=2)
    except (rpc.RpcError, rpc.Unreachable) as e:
        report.fail(f"bad input '{name}': the node stopped answering getHealth: {e}")
    return reply


def replayed_cases(ctx, node):
    """Nonce already used and duplicate: a tx committed, then sent again / replaced."""
    bank, account = ctx.bank, ctx.extra_accounts[-2]
    to = bank.accounts[0].address
    tx_hash, tx_hex = bank.sign(account, to, 3, 1, 0)
    if bank.submit(node, tx_hash, tx_hex, timeout=5) != "accepted":
        ctx.report.fail("bad input: a valid transfer for the replay cases was refused")
        return

    def committed():
        try:
            tx = rpc.call(node.url, "getTransaction", [tx_hash])
            return tx is not None and tx["status"] == "committed"
        except (rpc.RpcError, rpc.Unreachable):
            return False

    if not wait_for(committed, 20, 0.1):
        ctx.report.fail("bad input: the replay cases' transfer did not commit within 20s")
        return
    _, other = bank.sign(account, to, 4, 1, 0)
    expect(ctx, node, "tx replayed", envelope("sendTransaction", [tx_hex]), 200, -32008)
    expect(ctx, node, "tx reusing a used nonce", envelope("sendTransaction", [other]), 200,
           -32004)


def run_corpus(ctx, node):
    address = ctx.bank.accounts[0].address
    cases = static_cases(address)
    for name, body, status, code in cases:
        expect(ctx, node, name, body, status, code)
    expect(ctx, node, "text/plain body", envelope("getHealth", []), 415, -32600,
           content_type="text/plain")
    tx = tx_cases(ctx)
    for name, tx_hex, code in tx:
        expect(ctx, node, name, envelope("sendTransaction", [tx_hex]), 200, code)
    replayed_cases(ctx, node)
    full = [{"jsonrpc": "2.0", "id": i, "method": "getBlockHeight"} for i in range(100)]
    reply = expect(ctx, node, "batch of batch_max", json.dumps(full).encode(), 200, None)
    if not isinstance(reply, list) or len(reply) != 100:
        ctx.report.fail("bad input: a batch of 100 calls did not get 100 answers")
    for path, method, status in (("/nowhere", "GET", 404), ("/", "GET", 404)):
        try:
            got, _ = rpc.post_raw(node.url, None, content_type=None, path=path, method=method)
            if got != status:
                ctx.report.fail(f"bad input: {method} {path} got HTTP {got}, expected {status}")
        except rpc.Unreachable as e:
            ctx.report.fail(f"bad input: {method} {path}: no answer: {e}")
    ctx.report.fact("bad input", f"{len(cases) + len(tx) + 7} malformed requests against "
                    f"node{node.index}")
