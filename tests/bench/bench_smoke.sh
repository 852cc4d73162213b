#!/usr/bin/env bash
# bench_smoke: phalanx-bench runs for a few seconds on a fresh 4-node testnet of this build
# tree, and every transfer it sent committed. It asserts nothing about speed (CI machines
# are shared); bench/run.sh is the measurement.
#
#   tests/bench/bench_smoke.sh --bin-dir DIR
#
# Loopback only, free non-default ports, its own temporary directory; the testnet's nodes
# are stopped by pid (testnet/down.sh) on exit, also on failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bin-dir) bin_dir=$(cd "$2" && pwd); shift ;;
    *) echo "bench_smoke.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$bin_dir/phalanxd" ] && [ -x "$bin_dir/phalanx-bench" ] ||
  { echo "bench_smoke.sh: needs --bin-dir with phalanxd, phalanx-wallet and phalanx-bench" >&2; exit 2; }
if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
export PHALANX_BIN_DIR=$bin_dir
work=$(mktemp -d "${TMPDIR:-/tmp}/phalanx-bench-smoke.XXXXXX")
net=$work/net
started=$(date +%s)

cleanup() {
  local rc=$?
  kill "$watchdog" 2>/dev/null || true
  [ -f "$net/testnet.json" ] && "$repo/testnet/down.sh" --dir "$net" --grace 5 >/dev/null 2>&1 || true
  if [ "$rc" -ne 0 ]; then
    echo "=== bench_smoke FAILED (exit $rc) after $(( $(date +%s) - started ))s" >&2
    for log in "$work"/*.out "$work"/*.err "$net"/node*/node.log; do
      [ -f "$log" ] && { echo "--- $log" >&2; tail -n 15 "$log" >&2; }
    done
  fi
  rm -rf "$work"
  exit "$rc"
}
watchdog=""
trap cleanup EXIT
trap 'exit 143' TERM INT
# The nodes are not ctest's children: stop (and clean up) before ctest's timeout would.
mkfifo "$work/watchdog"
(read -r -t "${PHALANX_BENCH_SMOKE_DEADLINE_S:-100}" _ <>"$work/watchdog" || true
 echo "FAIL: the test ran over its deadline" >&2; kill -TERM $$) &
watchdog=$!
fail() { echo "FAIL: $*" >&2; exit 1; }

accounts=1000
"$bin_dir/phalanx-bench" accounts --out "$work/alloc.txt" --count $accounts >/dev/null
base=$("$PYTHON" "$repo/tests/e2e/e2e_check.py" free-base-port 4)
"$repo/testnet/up.sh" -n 4 --dir "$net" --base-port "$base" --alloc-file "$work/alloc.txt" \
  >"$work/up.out" 2>&1 || fail "up.sh exited non-zero"
echo "=== [$(( $(date +%s) - started ))s] testnet up on base port $base"

# Max throughput, 1 s warm-up + 2 s window, at most 4,000 transfers; the verify rate is
# given (not measured) since this asserts no speed.
"$bin_dir/phalanx-bench" run --testnet "$net" --accounts $accounts --senders 32 --warmup 1 \
  --duration 2 --txs 4000 --drain-timeout 30 --verify-rate 1 --require-all-committed --json \
  >"$work/run.out" 2>"$work/run.err" || fail "phalanx-bench run exited non-zero"
"$PYTHON" - "$work/run.out" <<'PY' || fail "the report does not show every transfer committed"
import json, sys
r = json.load(open(sys.argv[1]))
print(f"sent {r['sent']}, accepted {r['accepted']}, committed {r['committed']}, "
      f"statuses {r['statuses']['by_status']}, rejected {r['rejected_total']}")
assert r["sent"] > 0, "nothing was sent"
assert r["all_committed"] and r["committed"] == r["sent"], "not every transfer committed"
assert r["statuses"]["by_status"].get("committed", 0) == r["sent"], "getTransaction disagrees"
PY
echo "=== [$(( $(date +%s) - started ))s] passed"
