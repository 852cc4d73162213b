# shellcheck shell=bash
# Shared helpers for the testnet scripts. Sourced, not run.
# Layout of a testnet DIR:
#   DIR/testnet.json          what up.sh wrote (contract: chain_id, n, f, quorum, nodes, faucet)
#   DIR/genesis.json          the chain's genesis
#   DIR/nodeI/                node I's home (config.json, node.key, genesis.json, data/, node.log)
#   DIR/nodeI/pid             the running process id (absent when stopped by these scripts)
#   DIR/wallet/, DIR/faucet.pass   the faucet keystore and its password
#
# PHALANX_BIN_DIR (optional) names a directory holding already-built phalanxd and
# phalanx-wallet (e.g. a sanitizer tree's bin/); up.sh then neither installs nor builds.

TESTNET_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN_DIR=${PHALANX_BIN_DIR:-$TESTNET_ROOT/build/bin}
PHALANXD="$BIN_DIR/phalanxd"
WALLET="$BIN_DIR/phalanx-wallet"
# Debian's interpreter when present: a version manager's shim (pyenv) costs seconds per call.
if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi

die() { echo "$(basename "$0"): $*" >&2; exit 1; }
usage_error() { echo "$(basename "$0"): $*" >&2; exit 2; }

# json_get FILE EXPR: evaluates a Python expression over the parsed document `d`.
json_get() {
  "$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

node_count() { json_get "$1/testnet.json" 'd["n"]'; }
node_pid_file() { echo "$1/node$2/pid"; }

# node_pid DIR I: the recorded pid, or nothing.
node_pid() {
  local f; f=$(node_pid_file "$1" "$2")
  if [ -f "$f" ]; then cat "$f"; fi
}

# pid_alive PID: true when PID runs and is a phalanxd (not a recycled pid).
pid_alive() {
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  grep -q phalanxd "/proc/$pid/cmdline" 2>/dev/null
}

node_alive() { pid_alive "$(node_pid "$1" "$2")"; }

# set_node_pid DIR I PID: records the pid in nodeI/pid and in testnet.json; PID 0 means
# stopped (the pid file is removed and testnet.json says "pid": 0).
set_node_pid() {
  local dir=$1 i=$2 pid=$3
  if [ "$pid" = 0 ]; then
    rm -f "$(node_pid_file "$dir" "$i")"
  else
    echo "$pid" >"$(node_pid_file "$dir" "$i")"
  fi
  "$PYTHON" - "$dir/testnet.json" "$i" "$pid" <<'PY'
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
  set_node_pid "$dir" "$i" 0
}

node_rpc_url() { json_get "$1/testnet.json" "d['nodes'][$2]['rpc']"; }
