#!/usr/bin/env bash
# Runs the standard benchmark scenarios of issue #8 from nothing and writes
# bench/results/latest.md and bench/results/latest.json.
#
#   bench/run.sh [--scenarios LIST] [--quick] [--duration S] [--out DIR] [--keep]
#                [--no-profile]
#
#   --scenarios LIST  comma-separated subset of 1,2,3,4,5 (default all)
#                       1  n = 4, max throughput
#                       2  n = 4, open loop at 850 tx/s and at 25% and 50% of scenario 1
#                       3  n = 7, max throughput
#                       4  n = 4, max throughput, the primary SIGKILLed mid-window
#                       5  n = 4, a node misses 10,000 blocks, restarts and catches up
#   --duration S      seconds of each measured window (default 60; scenario 2's runs and
#                     scenario 4 use half)
#   --quick           --duration 10, and scenario 5 misses 2,000 blocks
#   --idle-timeout S  how long the bound waits for an idle machine (default 120)
#   --out DIR         where latest.md / latest.json go (default bench/results)
#   --keep            keep the work directory (testnets, logs, raw JSON)
#   --no-profile      no perf profiles (by default, when `perf` works, node 0 is sampled at
#                     999 Hz through a 10 s max-throughput run after scenarios 1-2, and a
#                     node through a second, 2,000-block catch-up after scenario 5: runs of
#                     their own, not measured; the report shows where the CPU went)
#
# Installs missing packages and builds build/ (Release) like testnet/up.sh, measures the
# physical bound first (waiting for an idle machine), then for each scenario starts a fresh
# testnet with 100,000 funded accounts on free non-default ports (testnet/up.sh --dir
# --base-port --alloc-file), runs phalanx-bench against it and stops it (testnet/down.sh,
# by pid: only the nodes it started). See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
scenarios=1,2,3,4,5
duration=60
missed_blocks=10000
out_dir=$repo/bench/results
keep=0
idle_timeout=120
profile=1
while [ $# -gt 0 ]; do
  case "$1" in
    --scenarios) [ $# -ge 2 ] || { echo "run.sh: --scenarios needs a list" >&2; exit 2; }; scenarios=$2; shift ;;
    --duration) [ $# -ge 2 ] || { echo "run.sh: --duration needs seconds" >&2; exit 2; }; duration=$2; shift ;;
    --quick) duration=10; missed_blocks=2000 ;;
    --out) [ $# -ge 2 ] || { echo "run.sh: --out needs a directory" >&2; exit 2; }; out_dir=$2; shift ;;
    --idle-timeout) [ $# -ge 2 ] || { echo "run.sh: --idle-timeout needs seconds" >&2; exit 2; }; idle_timeout=$2; shift ;;
    --keep) keep=1 ;;
    --no-profile) profile=0 ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$duration" in ''|*[!0-9]*|0) echo "run.sh: --duration must be a whole number of seconds > 0" >&2; exit 2 ;; esac
for s in ${scenarios//,/ }; do
  case "$s" in 1|2|3|4|5) ;; *) echo "run.sh: unknown scenario '$s' (1..5)" >&2; exit 2 ;; esac
done
if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
has() { [[ ",$scenarios," == *",$1,"* ]]; }
say() { echo "=== [$(date +%H:%M:%S)] $*"; }

say "packages and build (Release, build/)"
./tests/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)" --target phalanxd phalanx-wallet phalanx-bench
bench=$repo/build/bin/phalanx-bench
export PHALANX_BIN_DIR=$repo/build/bin

work=$(mktemp -d "${TMPDIR:-/tmp}/phalanx-bench.XXXXXX")
nets=()
profile_pid=  # the perf record running, if any (profile_start)
cleanup() {
  local rc=$? net
  if [ -n "${profile_pid:-}" ]; then kill -INT "$profile_pid" 2>/dev/null || true; wait "$profile_pid" 2>/dev/null || true; fi
  for net in "${nets[@]}"; do
    [ -f "$net/testnet.json" ] && "$repo/testnet/down.sh" --dir "$net" --grace 5 >/dev/null 2>&1 || true
  done
  if [ "$keep" = 1 ] || [ "$rc" -ne 0 ]; then echo "work directory kept: $work" >&2; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# Profiles: perf samples one node's threads (named phx-writer, phx-verify-N, ...) through an
# unmeasured run; profile_stop writes $work/NAME.profile.txt for the report.
perf_ok=0
if [ "$profile" = 1 ]; then
  if command -v perf >/dev/null 2>&1 && perf record -q -o "$work/perf.check" -- true >/dev/null 2>&1; then
    perf_ok=1
  else
    say "perf is not available: the report will have no profiles (Debian: apt-get install linux-perf)"
  fi
fi
profile_start() {  # NAME PID
  [ "$perf_ok" = 1 ] || return 0
  perf record -q -F 999 -p "$2" -o "$work/$1.perf" >/dev/null 2>&1 &
  profile_pid=$!
}
profile_stop() {  # NAME
  [ -n "$profile_pid" ] || return 0
  kill -INT "$profile_pid" 2>/dev/null || true
  wait "$profile_pid" 2>/dev/null || true
  profile_pid=
  [ -s "$work/$1.perf" ] || { say "no profile of $1 (perf recorded nothing)"; return 0; }
  {
    echo "by thread:"
    perf report -i "$work/$1.perf" --sort comm --stdio 2>/dev/null | grep '%' | head -n 12
    echo
    echo "by thread and function (top 25):"
    perf report -i "$work/$1.perf" --sort comm,dso,sym --stdio 2>/dev/null | grep '%' |
      head -n 25 | cut -c1-150
  } >"$work/$1.profile.txt" || true
}
node_pid() { cat "$work/$1/node$2/pid"; }  # TESTNET NODE

say "disk: fdatasync latency in the work directory"
"$PYTHON" "$repo/bench/lib/report.py" disk "$work" >"$work/disk.json"
cat "$work/disk.json"

say "accounts: 99,999 funded accounts + the faucet"
"$bench" accounts --out "$work/alloc.txt" --count 99999

say "physical bound (waits up to $idle_timeout s for an idle machine)"
"$bench" bound --n 4 --idle-timeout "$idle_timeout" --json >"$work/bound.json"
cat "$work/bound.json"
verify_rate=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["verify_per_s"])' "$work/bound.json")

# up NAME N: a fresh testnet in $work/NAME; echoes its directory.
up() {
  local net=$work/$1 base
  base=$("$PYTHON" "$repo/tests/e2e/e2e_check.py" free-base-port "$2")
  nets+=("$net")
  "$repo/testnet/up.sh" -n "$2" --dir "$net" --base-port "$base" --alloc-file "$work/alloc.txt" \
    >"$work/$1.up.log" 2>&1 || { tail -n 30 "$work/$1.up.log" >&2; return 1; }
}
down() { "$repo/testnet/down.sh" --dir "$work/$1" --grace 10 >/dev/null; }
# run NAME TESTNET ARGS...: phalanx-bench run; the report goes to $work/NAME.json. A run that
# fails (e.g. the chain stalls) is recorded as {"name", "error"} and the next scenario goes on.
run() {
  local name=$1 net=$2; shift 2
  say "scenario $name: phalanx-bench run $*"
  if "$bench" run --testnet "$work/$net" --name "$name" --verify-rate "$verify_rate" --json "$@" \
      >"$work/$name.json" 2>"$work/$name.err"; then
    "$PYTHON" "$repo/bench/lib/report.py" line "$work/$name.json"
  else
    tail -n 3 "$work/$name.err" >&2
    "$PYTHON" "$repo/bench/lib/report.py" failed "$name" "$work/$name.err" >"$work/$name.json"
  fi
}
half=$(( (duration + 1) / 2 ))

if has 1 || has 2; then
  say "testnet s1 (n = 4)"; up s1 4
  has 1 && run s1-max s1 --duration "$duration"
  if has 2; then
    run s2-850 s1 --rate 850 --duration "$half"
    max=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("tx_per_s", 0))' \
      "$work/s1-max.json" 2>/dev/null || echo 0)
    if [ "${max%.*}" -gt 0 ]; then
      for pct in 25 50; do
        rate=$("$PYTHON" -c "print(max(1, round($max * $pct / 100)))")
        run "s2-$pct" s1 --rate "$rate" --duration "$half"
      done
    else
      say "scenario 2 at 25% and 50% of scenario 1 skipped: scenario 1 did not run or failed"
    fi
  fi
  # The profile is taken in a run of its own after the measured ones: sampling a node
  # while it is measured slows it (catch-up ran ~30% slower under perf).
  if has 1 && [ "$perf_ok" = 1 ]; then
    profile_start s1-max "$(node_pid s1 0)"
    "$bench" run --testnet "$work/s1" --name s1-profile --duration 10 --json \
      >"$work/prof-s1.json" 2>"$work/prof-s1.err" || say "the profiling run failed (prof-s1.err)"
    profile_stop s1-max
  fi
  down s1
fi
if has 3; then
  say "testnet s3 (n = 7)"; up s3 7
  run s3-max-n7 s3 --duration "$duration"
  down s3
fi
if has 4; then
  say "testnet s4 (n = 4)"; up s4 4
  run s4-kill-primary s4 --duration "$half" --kill-primary-after $(( half / 2 ))
  down s4
fi
if has 5; then
  say "testnet s5 (n = 4): node 3 stopped while the others commit $missed_blocks blocks"
  up s5 4
  "$repo/testnet/node.sh" stop 3 --dir "$work/s5"
  # Many small blocks quickly: a steady open loop well below the throughput (no overload,
  # no view change), so the primary proposes whenever a pipeline slot frees: blocks of a
  # few dozen txs at the pipeline's block rate. At most 5 minutes of it.
  run s5-fill s5 --rate 500 --warmup 0 --duration 300 --stop-after-blocks "$missed_blocks"
  "$repo/testnet/node.sh" start 3 --dir "$work/s5"
  say "scenario s5-catch-up: node 3 restarted"
  if ! "$bench" catch-up --testnet "$work/s5" --node 3 --timeout 600 --json \
      >"$work/s5-catch-up.json" 2>"$work/s5-catch-up.err"; then
    "$PYTHON" "$repo/bench/lib/report.py" failed s5-catch-up "$work/s5-catch-up.err" >"$work/s5-catch-up.json"
  fi
  cat "$work/s5-catch-up.json"
  if [ "$perf_ok" = 1 ]; then
    # A second, unmeasured catch-up for the profile (2,000 blocks), sampled from the moment
    # node 3 answers: its start-up (reading 100,000 genesis accounts) is not catch-up.
    say "profile of a catch-up: node 3 misses 2,000 more blocks"
    "$repo/testnet/node.sh" stop 3 --dir "$work/s5" >/dev/null
    "$bench" run --testnet "$work/s5" --name s5-profile-fill --rate 500 --warmup 0 \
      --duration 120 --stop-after-blocks 2000 --json >"$work/prof-s5-fill.json" 2>"$work/prof-s5.err" ||
      say "the profile's fill failed (prof-s5.err)"
    "$repo/testnet/node.sh" start 3 --dir "$work/s5" >/dev/null
    "$bench" catch-up --testnet "$work/s5" --node 3 --timeout 300 --json \
      >"$work/prof-s5.json" 2>>"$work/prof-s5.err" &
    catch_up_pid=$!
    if "$PYTHON" "$repo/testnet/lib/nodes.py" answers "$work/s5" 3 120; then
      profile_start s5-catch-up "$(node_pid s5 3)"
    fi
    wait "$catch_up_pid" || say "the profiled catch-up failed (prof-s5.err)"
    profile_stop s5-catch-up
  fi
  down s5
fi

mkdir -p "$out_dir"
"$PYTHON" "$repo/bench/lib/report.py" compose "$work" "$out_dir" "$duration"
say "wrote $out_dir/latest.md and $out_dir/latest.json"
cat "$out_dir/latest.md"
