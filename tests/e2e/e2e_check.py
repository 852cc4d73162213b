#!/usr/bin/env python3
"""Checks for tests/e2e/e2e_test.sh that are easier in Python than in shell.

Standard library only (Debian's python3); Ed25519 goes through the small C++ helper
phalanx-e2e-ed25519-verify. Every failure prints one line naming what differed and exits 1.

  e2e_check.py free-base-port N             a base port P with P..P+2N-1 free on 127.0.0.1
  e2e_check.py rpc URL METHOD [PARAMS_JSON] the whole JSON-RPC response object
  e2e_check.py get EXPR                     eval EXPR over the JSON document `d` on stdin
  e2e_check.py testnet-json FILE N P        testnet.json has the contract's fields and values
  e2e_check.py certificate URL VERIFY_BIN H the block at height H: recomputed hash, commit
                                            signatures against getValidators
  e2e_check.py accounts NET H ADDR=B/N/P... on every node of testnet NET, once it reaches
                                            height H: balance B, nonce N, pendingNonce P
  e2e_check.py committed URL HASH...        waits (60 s) until each tx is committed; prints
                                            their nonces
"""
import hashlib
import time
import json
import random
import socket
import struct
import subprocess
import sys
import urllib.request

RESPONSE_BYTES_MAX = 1 << 20


def fail(message):
    print(f"e2e_check: {message}", file=sys.stderr)
    sys.exit(1)


def rpc_call(url, method, params=None):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                       "params": [] if params is None else params}).encode()
    request = urllib.request.Request(url, data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        raw = response.read(RESPONSE_BYTES_MAX + 1)
    if len(raw) > RESPONSE_BYTES_MAX:
        fail(f"{method} on {url}: response above {RESPONSE_BYTES_MAX} bytes")
    return json.loads(raw)


def rpc_result(url, method, params=None):
    reply = rpc_call(url, method, params)
    if "error" in reply:
        fail(f"{method}{params or ''} on {url} failed: {reply['error']}")
    return reply["result"]


def free_base_port(n):
    rng = random.Random()
    for _ in range(200):
        # Below Linux's ephemeral range (32768+), so no outgoing connection takes one later.
        base = rng.randrange(20000, 32000 - 2 * n, 2)
        sockets = []
        try:
            for port in range(base, base + 2 * n):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sockets.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    fail("no run of free ports found")


def expect(condition, message):
    if not condition:
        fail(message)


def check_testnet_json(path, n, base):
    d = json.load(open(path))
    f = (n - 1) // 3
    expect(isinstance(d.get("chain_id"), str) and d["chain_id"], "testnet.json: no chain_id")
    expect((d.get("n"), d.get("f"), d.get("quorum")) == (n, f, -(-(n + f + 1) // 2)),
           f"testnet.json: n/f/quorum are {d.get('n')}/{d.get('f')}/{d.get('quorum')}")
    expect(len(d.get("nodes", [])) == n, "testnet.json: wrong number of nodes")
    home_root = path.rsplit("/", 1)[0]
    for i, node in enumerate(d["nodes"]):
        want = {"id": i, "rpc": f"http://127.0.0.1:{base + 2 * i + 1}",
                "p2p": f"tcp://127.0.0.1:{base + 2 * i}", "home": f"{home_root}/node{i}",
                "log": f"{home_root}/node{i}/node.log"}
        for key, value in want.items():
            expect(node.get(key) == value, f"testnet.json: nodes[{i}].{key} is "
                   f"{node.get(key)!r}, want {value!r}")
        expect(isinstance(node.get("pid"), int) and node["pid"] > 0,
               f"testnet.json: nodes[{i}].pid is {node.get('pid')!r}")
        cmdline = open(f"/proc/{node['pid']}/cmdline", "rb").read()
        expect(b"phalanxd" in cmdline, f"testnet.json: pid {node['pid']} is not a phalanxd")
    faucet = d.get("faucet", {})
    want = {"name": "faucet", "keystore": f"{home_root}/wallet",
            "password_file": f"{home_root}/faucet.pass"}
    for key, value in want.items():
        expect(faucet.get(key) == value, f"testnet.json: faucet.{key} is {faucet.get(key)!r}")
    expect(str(faucet.get("address", "")).startswith("phx1"), "testnet.json: faucet.address")
    print(d["chain_id"])


def short_string(text):
    raw = text.encode()
    return bytes([len(raw)]) + raw


def block_hash(block, chain_id):
    """The header of docs/encoding.md, hashed with SHA-256."""
    header = (b"\x01" + short_string(chain_id) + struct.pack(">Q", block["height"]) +
              bytes.fromhex(block["prevHash"]) + struct.pack(">Q", block["timestamp"]) +
              struct.pack(">I", block["proposer"]) + struct.pack(">Q", block["view"]) +
              bytes.fromhex(block["txRoot"]) + bytes.fromhex(block["stateRoot"]) +
              struct.pack(">I", len(block["transactions"])))
    return hashlib.sha256(header).hexdigest()


def commit_message(chain_id, view, height, hash_hex):
    """signing_message("phalanx/commit/v1", chain_id, view:u64 height:u64 block_hash:32)."""
    return (short_string("phalanx/commit/v1") + short_string(chain_id) +
            struct.pack(">QQ", view, height) + bytes.fromhex(hash_hex))


def verifies(verify_bin, public_key, message, signature):
    run = subprocess.run([verify_bin, public_key, message.hex(), signature],
                         capture_output=True, text=True, timeout=30)
    if run.returncode not in (0, 1):
        fail(f"{verify_bin} failed: {run.stderr.strip()}")
    return run.returncode == 0


def check_certificate(url, verify_bin, height):
    status = rpc_result(url, "getStatus")
    chain_id, quorum, n = status["chainId"], status["quorum"], status["n"]
    validators = rpc_result(url, "getValidators")
    expect([v["index"] for v in validators] == list(range(n)), "getValidators: indexes")
    block = rpc_result(url, "getBlock", [height])
    expect(block is not None and block["height"] == height, f"getBlock({height}) missing")
    recomputed = block_hash(block, chain_id)
    expect(recomputed == block["hash"],
           f"block {height}: hash {block['hash']} but the documented header gives {recomputed}")
    commit = block["commit"]
    indexes = [c["validator"] for c in commit]
    expect(indexes == sorted(set(indexes)), f"block {height}: commit indexes {indexes}")
    expect(len(indexes) >= quorum, f"block {height}: {len(indexes)} signatures < quorum {quorum}")
    message = commit_message(chain_id, block["commitView"], height, block["hash"])
    for c in commit:
        key = validators[c["validator"]]["publicKey"]
        expect(verifies(verify_bin, key, message, c["signature"]),
               f"block {height}: validator {c['validator']}'s COMMIT signature does not verify")
    # Teeth: the same check refuses a flipped signature byte, another height and another key.
    first = commit[0]
    key = validators[first["validator"]]["publicKey"]
    flipped = f"{int(first['signature'][:2], 16) ^ 1:02x}" + first["signature"][2:]
    expect(not verifies(verify_bin, key, message, flipped), "a flipped signature verified")
    other = commit_message(chain_id, block["commitView"], height + 1, block["hash"])
    expect(not verifies(verify_bin, key, other, first["signature"]), "another height verified")
    other_key = validators[(first["validator"] + 1) % n]["publicKey"]
    expect(not verifies(verify_bin, other_key, message, first["signature"]),
           "another validator's key verified")
    print(f"block {height} {block['hash'][:16]}: {len(commit)} valid COMMIT signatures "
          f"(quorum {quorum}), view {block['commitView']}")


def wait_until(timeout_s, what, condition):
    deadline = time.monotonic() + timeout_s

    def holds():
        try:
            return condition()
        except OSError:  # the node is not listening (yet)
            return False

    while not holds():
        if time.monotonic() >= deadline:
            fail(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(0.1)


def check_accounts(net, height, specs):
    nodes = json.load(open(f"{net}/testnet.json"))["nodes"]
    for node in nodes:
        url = node["rpc"]
        wait_until(60, f"node {node['id']} to reach height {height}",
                   lambda: rpc_result(url, "getBlockHeight") >= height)
        for spec in specs:
            address, want = spec.split("=")
            a = rpc_result(url, "getAccount", [address])
            got = f"{a['balance']}/{a['nonce']}/{a['pendingNonce']}"
            expect(got == want, f"node {node['id']}: getAccount({address[:12]}...) "
                   f"balance/nonce/pendingNonce {got}, want {want}")


def wait_committed(url, hashes):
    nonces = []
    for h in hashes:
        def committed():
            status = (rpc_result(url, "getTransaction", [h]) or {}).get("status")
            expect(status != "failed", f"tx {h} failed: {rpc_result(url, 'getTransaction', [h])}")
            return status == "committed"
        wait_until(60, f"tx {h[:16]} to commit", committed)
        nonces.append(str(rpc_result(url, "getTransaction", [h])["nonce"]))
    print(" ".join(nonces))


def main(argv):
    if len(argv) < 2:
        fail("usage: see the header of e2e_check.py")
    command, args = argv[1], argv[2:]
    if command == "free-base-port" and len(args) == 1:
        print(free_base_port(int(args[0])))
    elif command == "rpc" and len(args) in (2, 3):
        params = json.loads(args[2]) if len(args) == 3 else []
        print(json.dumps(rpc_call(args[0], args[1], params)))
    elif command == "get" and len(args) == 1:
        d = json.load(sys.stdin)  # noqa: F841 (used by the expression)
        value = eval(args[0])
        print(json.dumps(value) if isinstance(value, (dict, list, bool)) or value is None
              else value)
    elif command == "testnet-json" and len(args) == 3:
        check_testnet_json(args[0], int(args[1]), int(args[2]))
    elif command == "certificate" and len(args) == 3:
        check_certificate(args[0], args[1], int(args[2]))
    elif command == "accounts" and len(args) >= 3:
        check_accounts(args[0], int(args[1]), args[2:])
    elif command == "committed" and len(args) >= 2:
        wait_committed(args[0], args[1:])
    else:
        fail(f"unknown command or wrong arguments: {' '.join(argv[1:])}")


if __name__ == "__main__":
    main(sys.argv)
