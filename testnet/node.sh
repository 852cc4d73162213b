#!/usr/bin/env bash
# Fault control of one node (0-based index I).
#
#   testnet/node.sh {stop|kill|start|pause|resume} I [--dir DIR]
#
#   stop    SIGTERM (then SIGKILL after 10 s)     kill    SIGKILL
#   start   restart from its data (updates its pid in testnet.json)
#   pause   SIGSTOP                               resume  SIGCONT
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
dir=$TESTNET_ROOT/testnet/data
action="" index=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) [ $# -ge 2 ] || usage_error "--dir needs a path"; dir=$2; shift ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    stop|kill|start|pause|resume) [ -z "$action" ] || usage_error "one action at a time"; action=$1 ;;
    *)
      case "$1" in ''|*[!0-9]*) usage_error "unknown argument '$1' (try --help)" ;; esac
      [ -z "$index" ] || usage_error "one node index at a time"; index=$1 ;;
  esac
  shift
done
[ -n "$action" ] && [ -n "$index" ] || usage_error "usage: node.sh {stop|kill|start|pause|resume} I [--dir DIR]"
[ -f "$dir/testnet.json" ] || die "no testnet in $dir (no testnet.json)"
n=$(node_count "$dir")
[ "$index" -lt "$n" ] || usage_error "node index $index out of range (testnet has $n nodes)"
pid=$(node_pid "$dir" "$index" || true)
case "$action" in
  stop) stop_node "$dir" "$index"; echo "node $index stopped" ;;
  kill)
    pid_alive "$pid" || die "node $index is not running"
    kill -KILL "$pid"; while pid_alive "$pid"; do sleep 0.05; done
    set_node_pid "$dir" "$index" 0; echo "node $index killed (pid $pid)" ;;
  start)
    pid_alive "$pid" && die "node $index is already running (pid $pid)"
    start_node "$dir" "$index"; echo "node $index started (pid $(node_pid "$dir" "$index"))" ;;
  pause) pid_alive "$pid" || die "node $index is not running"; kill -STOP "$pid"; echo "node $index paused" ;;
  resume) pid_alive "$pid" || die "node $index is not running"; kill -CONT "$pid"; echo "node $index resumed" ;;
esac
