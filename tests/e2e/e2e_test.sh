#!/usr/bin/env bash
# End-to-end test of the user-facing contract: testnet/up.sh, phalanx-wallet, JSON-RPC,
# node.sh and down.sh, driven as a user would, against 4 nodes of this build tree.
#
#   tests/e2e/e2e_test.sh --bin-dir DIR --verify PATH
#
#   --bin-dir DIR   where phalanxd and phalanx-wallet are (passed to the scripts as
#                   PHALANX_BIN_DIR, so up.sh neither installs nor builds)
#   --verify PATH   the phalanx-e2e-ed25519-verify helper
#
# Loopback only, on free non-default ports, in its own temporary directory. Every phalanxd it
# started is killed by pid on exit, also on failure. Environment:
#   PHALANX_E2E_VIEW_CHANGE=0  skip "node.sh kill the primary, the chain still commits,
#                              restarted it catches up" (it needs phalanxd's view-change
#                              timer, consensus.view_change_timeout_ms > 0); default 1
#   PHALANX_E2E_KEEP=1         keep the temporary directory
#   PHALANX_E2E_DEADLINE_S=S   give up (cleaning up) after S seconds; default 330, below
#                              the ctest TIMEOUT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin_dir="" verify=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bin-dir) bin_dir=$(cd "$2" && pwd); shift ;;
    --verify) verify=$2; shift ;;
    *) echo "e2e_test.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$bin_dir/phalanxd" ] && [ -x "$bin_dir/phalanx-wallet" ] && [ -x "$verify" ] ||
  { echo "e2e_test.sh: needs --bin-dir with phalanxd and phalanx-wallet, and --verify" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/phalanx-e2e.XXXXXX")
net=$work/net
export PHALANX_BIN_DIR=$bin_dir
export PHALANX_KEYSTORE=$work/keystore PHALANX_KEYSTORE_KDF=minimum
unset PHALANX_RPC PHALANX_WALLET_PASSWORD
W=$bin_dir/phalanx-wallet
# Debian's interpreter when present: a version manager's shim (pyenv) costs seconds per call.
if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
check=("$PYTHON" "$here/e2e_check.py")
started=$(date +%s)

# Every phalanxd whose command line names this test's (unique) directory, by pid.
our_pids() { pgrep -f -- "phalanxd run --home $net/node" || true; }

cleanup() {
  local rc=$? pid
  kill "$watchdog" 2>/dev/null || true
  for pid in $(our_pids); do kill -KILL "$pid" 2>/dev/null || true; done
  if [ "$rc" -ne 0 ]; then
    echo "=== e2e FAILED (exit $rc) after $(( $(date +%s) - started ))s; node logs:" >&2
    for log in "$net"/node*/node.log "$net"/node*/stdout.log; do
      [ -f "$log" ] && { echo "--- $log" >&2; tail -n 15 "$log" >&2; }
    done
  fi
  if [ "${PHALANX_E2E_KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
  exit "$rc"
}
watchdog=""
trap cleanup EXIT
trap 'exit 143' TERM INT
# The nodes are not ctest's children, so a ctest timeout would not reach them: stop ourselves
# (and run cleanup) first. `read -t` on our own fifo waits without a child process.
deadline_s=${PHALANX_E2E_DEADLINE_S:-330}
mkfifo "$work/watchdog"
(read -r -t "$deadline_s" _ <>"$work/watchdog" || true
 echo "FAIL: the test ran over ${deadline_s}s" >&2; kill -TERM $$) &
watchdog=$!

step() { echo "=== [$(( $(date +%s) - started ))s] $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"; }
# get EXPR: evaluates EXPR over the JSON document `d` read from stdin.
get() { "${check[@]}" get "$1"; }
rpc() { "${check[@]}" rpc "$@"; }
result() { rpc "$@" | get 'd["result"]'; }
url() { echo "http://127.0.0.1:$((base + 2 * $1 + 1))"; }
# wait_for SECONDS WHAT COMMAND...: polls COMMAND (every 0.2 s) until it succeeds.
wait_for() {
  local deadline=$(( $(date +%s) + $1 )) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "timed out waiting for $what"
    sleep 0.2
  done
}
# account I ADDRESS: "balance nonce pendingNonce" from node I.
account() { result "$(url "$1")" getAccount "[\"$2\"]" | get '"%d %d %d" % (d["balance"], d["nonce"], d["pendingNonce"])'; }
error_code() { get 'd["error"]["code"]'; }
tip() { result "$(url 0)" getBlockHeight; }

n=4
base=$("${check[@]}" free-base-port $n)
source "$here/e2e_steps.sh"

step "up.sh -n $n --dir $net --base-port $base"
"$repo/testnet/up.sh" -n $n --dir "$net" --base-port "$base" >"$work/up.out" 2>&1 ||
  { cat "$work/up.out" >&2; fail "up.sh exited non-zero"; }
check_up_output
step_wallets_and_faucet
step_transfer_and_certificate
step_five_quick_sends
step_failures
step_backup_fault
if [ "${PHALANX_E2E_VIEW_CHANGE:-1}" = 1 ]; then
  step_kill_primary
else
  step "SKIPPED: kill the primary (PHALANX_E2E_VIEW_CHANGE=0)"
fi
step_down_restart_reset
step "passed in $(( $(date +%s) - started ))s"
