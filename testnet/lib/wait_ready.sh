#!/usr/bin/env bash
# wait_ready.sh DIR TIMEOUT_S: waits until every node answers getHealth and sees N-1 peers.
set -euo pipefail
source "$(dirname "$0")/common.sh"
dir=$1 timeout=$2
n=$(node_count "$dir")
deadline=$(( $(date +%s) + timeout ))
echo "[up] waiting for $n nodes to answer and connect (up to ${timeout}s)"
while :; do
  ready=0
  line=""
  for ((i = 0; i < n; i++)); do
    url=$(node_rpc_url "$dir" "$i")
    peers=$(rpc_result "$url" getStatus '[]' peers 2>/dev/null || true)
    health=$(rpc_result "$url" getHealth 2>/dev/null || true)
    if ! node_alive "$dir" "$i"; then
      echo "[up] node $i exited; last lines of its log:" >&2
      tail -n 20 "$dir/node$i/node.log" "$dir/node$i/stdout.log" 2>/dev/null >&2 || true
      exit 1
    fi
    [ "$health" = "ok" ] && [ "${peers:-0}" = "$((n - 1))" ] && ready=$((ready + 1))
    line+=" node$i:${health:-down}/${peers:-?}p"
  done
  echo "[up]  ready $ready/$n:$line"
  [ "$ready" -eq "$n" ] && exit 0
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "[up] timed out after ${timeout}s; nodes stay running (testnet/down.sh --dir $dir stops them)" >&2
    exit 1
  fi
  sleep 1
done
