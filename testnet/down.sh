#!/usr/bin/env bash
# Stops every node of a testnet: SIGTERM, then SIGKILL after a grace period. Leaves no process.
#
#   testnet/down.sh [--dir DIR] [--grace S]
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
dir=$TESTNET_ROOT/testnet/data
grace=10
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) [ $# -ge 2 ] || usage_error "--dir needs a path"; dir=$2; shift ;;
    --grace) [ $# -ge 2 ] || usage_error "--grace needs seconds"; grace=$2; shift ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) usage_error "unknown option '$1' (try --help)" ;;
  esac
  shift
done
case "$grace" in ''|*[!0-9]*) usage_error "--grace must be a whole number of seconds" ;; esac
[ -f "$dir/testnet.json" ] || die "no testnet in $dir (no testnet.json)"
n=$(node_count "$dir")
for ((i = 0; i < n; i++)); do
  if node_alive "$dir" "$i"; then
    echo "[down] stopping node $i (pid $(node_pid "$dir" "$i"))"
  fi
  stop_node "$dir" "$i" "$grace"
done
echo "[down] all $n nodes of $dir are stopped"
