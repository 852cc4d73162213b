#!/usr/bin/env python3
"""Reads a testnet's nodes for status.sh and up.sh: one process, standard library only.

  nodes.py status DIR          one line per node: id, pid, state, height, view, peers
  nodes.py wait DIR TIMEOUT_S  until every node answers getHealth and sees N-1 peers;
                               exit 1 (with the log's tail) if a node exits or on timeout
  nodes.py answers DIR I TIMEOUT_S
                               until node I answers getHealth (its start-up is over);
                               exit 1 if it exits or on timeout
  nodes.py ports-free PORT...  exit 1 naming the first port 127.0.0.1 cannot bind

A node's pid comes from DIR/nodeI/pid, written by the scripts; it counts as running only
while /proc/PID/cmdline names phalanxd, so a recycled pid is never mistaken for a node.
"""
import json
import os
import socket
import sys
import time
import urllib.request

RPC_TIMEOUT_S = 2
RESPONSE_BYTES_MAX = 1 << 20


def node_pid(home):
    try:
        with open(os.path.join(home, "pid")) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def node_state(pid):
    """alive, paused (SIGSTOP) or dead."""
    if pid <= 0:
        return "dead"
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if b"phalanxd" not in f.read():
                return "dead"
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "dead"
    if state == "Z":
        return "dead"
    return "paused" if state in ("T", "t") else "alive"


def rpc(url, method):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": []}).encode()
    request = urllib.request.Request(url, data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=RPC_TIMEOUT_S) as response:
            return json.loads(response.read(RESPONSE_BYTES_MAX)).get("result")
    except (OSError, ValueError):
        return None


def load(testnet_dir):
    with open(os.path.join(testnet_dir, "testnet.json")) as f:
        return json.load(f)


def status(testnet_dir):
    doc = load(testnet_dir)
    print(f"{'node':<5} {'pid':<8} {'state':<6} {'height':<8} {'view':<6} {'peers':<6}")
    for node in doc["nodes"]:
        pid = node_pid(node["home"])
        state = node_state(pid)
        s = rpc(node["rpc"], "getStatus") if state == "alive" else None
        height, view, peers = (s["height"], s["view"], s["peers"]) if s else ("-", "-", "-")
        print(f"{node['id']:<5} {pid or '-':<8} {state:<6} {height:<8} {view:<6} {peers:<6}")


def print_log_tail(home, lines=20):
    for name in ("node.log", "stdout.log"):
        try:
            with open(os.path.join(home, name), errors="replace") as f:
                tail = f.readlines()[-lines:]
        except OSError:
            continue
        print(f"--- {home}/{name}", file=sys.stderr)
        sys.stderr.writelines(tail)


def wait(testnet_dir, timeout_s):
    doc = load(testnet_dir)
    n = doc["n"]
    deadline = time.monotonic() + timeout_s
    print(f"[up] waiting for {n} nodes to answer and connect (up to {timeout_s}s)", flush=True)
    last_line = None
    while True:
        ready, parts = 0, []
        for node in doc["nodes"]:
            if node_state(node_pid(node["home"])) == "dead":
                print(f"[up] node {node['id']} exited; last lines of its logs:", file=sys.stderr)
                print_log_tail(node["home"])
                return 1
            health = rpc(node["rpc"], "getHealth")
            s = rpc(node["rpc"], "getStatus") if health == "ok" else None
            peers = s["peers"] if s else "?"
            ready += health == "ok" and peers == n - 1
            parts.append(f"node{node['id']}:{health or 'down'}/{peers}p")
        line = f"[up]  ready {ready}/{n}: " + " ".join(parts)
        if line != last_line:
            print(line, flush=True)
            last_line = line
        if ready == n:
            return 0
        if time.monotonic() >= deadline:
            print(f"[up] timed out after {timeout_s}s; the nodes stay running "
                  f"(testnet/down.sh --dir {testnet_dir} stops them)", file=sys.stderr)
            return 1
        time.sleep(0.2)


def answers(testnet_dir, index, timeout_s):
    node = load(testnet_dir)["nodes"][index]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if node_state(node_pid(node["home"])) == "dead":
            return 1
        if rpc(node["rpc"], "getHealth") is not None:
            return 0
        time.sleep(0.05)
    return 1


def ports_free(ports):
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            # As the node's listeners do: a port in TIME_WAIT is usable.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError as e:
                print(f"port {port} on 127.0.0.1 is not free ({e.strerror})", file=sys.stderr)
                return 1
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "status":
        status(argv[2])
        return 0
    if len(argv) == 4 and argv[1] == "wait":
        return wait(argv[2], int(argv[3]))
    if len(argv) == 5 and argv[1] == "answers":
        return answers(argv[2], int(argv[3]), int(argv[4]))
    if len(argv) >= 3 and argv[1] == "ports-free":
        return ports_free([int(p) for p in argv[2:]])
    print("usage: nodes.py status DIR | wait DIR TIMEOUT_S | ports-free PORT...",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
