# Shared helpers for the testnet scripts. Sourced, not run.
# Layout of a testnet DIR:
#   DIR/testnet.json          what up.sh wrote (contract: chain_id, n, f, quorum, nodes, faucet)
#   DIR/genesis.json          the chain's genesis
#   DIR/nodeI/                node I's home (config.json, node.key, genesis.json, data/, node.log)
#   DIR/nodeI/pid             the running process id (absent when stopped by these scripts)
#   DIR/wallet/, DIR/faucet.pass   the faucet keystore and its password

TESTNET_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PHALANXD="$TESTNET_ROOT/build/bin/phalanxd"
WALLET="$TESTNET_ROOT/build/bin/phalanx-wallet"

die() { echo "$(basename "$0"): $*" >&2; exit 1; }
usage_error() { echo "$(basename "$0"): $*" >&2; exit 2; }

# json_get FILE EXPR: evaluates a Python expression over the parsed document `d`.
json_get() {
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

node_count() { json_get "$1/testnet.json" 'd["n"]'; }
node_pid_file() { echo "$1/node$2/pid"; }

# node_pid DIR I: the recorded pid, or nothing.
node_pid() {
  local f; f=$(node_pid_file "$1" "$2")
  [ -f "$f" ] && cat "$f"
}

# pid_alive PID: true when PID runs and is a phalanxd (not a recycled pid).
pid_alive() {
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  grep -q phalanxd "/proc/$pid/cmdline" 2>/dev/null
}

node_alive() { pid_alive "$(node_pid "$1" "$2")"; }

# set_node_pid DIR I PID: records the pid in nodeI/pid and in testnet.json.
set_node_pid() {
  local dir=$1 i=$2 pid=$3
  echo "$pid" >"$(node_pid_file "$dir" "$i")"
  python3 - "$dir/testnet.json" "$i" "$pid" <<'PY'
import json, os, sys
path, i, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
d = json.load(open(path))
d["nodes"][i]["pid"] = pid
tmp = path + ".tmp"
with open(tmp, "w") as f:
    json.dump(d, f, indent=2)
    f.write("\n")
os.replace(tmp, path)
PY
}

# start_node DIR I: starts node I in the background from its home; records its pid.
start_node() {
  local dir=$1 i=$2 home="$1/node$2"
  [ -x "$PHALANXD" ] || die "$PHALANXD is not built (run ./testnet/up.sh)"
  nohup "$PHALANXD" run --home "$home" >>"$home/stdout.log" 2>&1 </dev/null &
  set_node_pid "$dir" "$i" "$!"
}

# stop_node DIR I [GRACE_S]: SIGTERM, then SIGKILL after the grace period.
stop_node() {
  local dir=$1 i=$2 grace=${3:-10} pid
  pid=$(node_pid "$dir" "$i")
  if pid_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    kill -CONT "$pid" 2>/dev/null || true  # a paused node must run to exit
    local deadline=$(( $(date +%s) + grace ))
    while pid_alive "$pid" && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
    if pid_alive "$pid"; then
      echo "node $i (pid $pid) did not exit within ${grace}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      while pid_alive "$pid"; do sleep 0.05; done
    fi
  fi
  rm -f "$(node_pid_file "$dir" "$i")"
}

# rpc URL METHOD [PARAMS_JSON]: one JSON-RPC call; prints the raw response.
rpc() {
  local url=$1 method=$2 params=${3:-[]}
  curl -s --max-time 2 -H 'Content-Type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$method\",\"params\":$params}" "$url"
}

# rpc_result URL METHOD [PARAMS] [FIELD]: the result (or result[FIELD]) or nothing on error.
rpc_result() {
  local out; out=$(rpc "$1" "$2" "${3:-[]}") || return 1
  python3 -c 'import json,sys
try:
    r = json.loads(sys.argv[1])["result"]
except Exception:
    sys.exit(1)
f = sys.argv[2]
v = r[f] if f else r
print(json.dumps(v) if isinstance(v, (dict, list)) else ("true" if v is True else "false" if v is False else v))' "$out" "${4:-}"
}

node_rpc_url() { json_get "$1/testnet.json" "d['nodes'][$2]['rpc']"; }
