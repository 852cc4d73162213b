#!/usr/bin/env bash
# One line per node: id, pid, state (alive, paused or dead), height, view, peers.
#
#   testnet/status.sh [--dir DIR]
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
dir=$TESTNET_ROOT/testnet/data
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) [ $# -ge 2 ] || usage_error "--dir needs a path"; dir=$2; shift ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) usage_error "unknown option '$1' (try --help)" ;;
  esac
  shift
done
[ -f "$dir/testnet.json" ] || die "no testnet in $dir (no testnet.json)"
exec "$PYTHON" "$TESTNET_ROOT/testnet/lib/nodes.py" status "$dir"
