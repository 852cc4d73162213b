#!/usr/bin/env bash
# One line per node: id, pid and alive/dead, height, view, peers.
#
#   testnet/status.sh [--dir DIR]
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
dir=$TESTNET_ROOT/testnet/data
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) [ $# -ge 2 ] || usage_error "--dir needs a path"; dir=$2; shift ;;
    -h|--help) sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) usage_error "unknown option '$1' (try --help)" ;;
  esac
  shift
done
[ -f "$dir/testnet.json" ] || die "no testnet in $dir (no testnet.json)"
n=$(node_count "$dir")
printf '%-5s %-8s %-6s %-8s %-6s %-6s\n' node pid state height view peers
for ((i = 0; i < n; i++)); do
  pid=$(node_pid "$dir" "$i" || true)
  state=dead
  node_alive "$dir" "$i" && state=alive
  height=- view=- peers=-
  if [ "$state" = alive ]; then
    status=$(rpc_result "$(node_rpc_url "$dir" "$i")" getStatus || true)
    if [ -n "$status" ]; then
      read -r height view peers < <(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print(s["height"], s["view"], s["peers"])' "$status")
    fi
  fi
  printf '%-5s %-8s %-6s %-8s %-6s %-6s\n' "$i" "${pid:--}" "$state" "$height" "$view" "$peers"
done
