#!/usr/bin/env bash
# Starts a local Phalanx testnet.
#
#   testnet/up.sh [-n N] [--dir DIR] [--base-port P] [--reset]
#
#   -n N            number of validators (default 4, N >= 4)
#   --dir DIR       testnet directory (default ./testnet/data)
#   --base-port P   node i listens for peers on P+2i and for JSON-RPC on P+2i+1 (default 26600)
#   --reset         wipe DIR first (all its nodes must be stopped)
#
# Installs missing Debian packages, builds build/bin/*, generates validator keys, genesis and
# configs (first run), starts every node in the background and waits until each answers
# getHealth and sees all N-1 peers. On a DIR whose nodes are all stopped it restarts them from
# their data. Refuses while any node of DIR is running.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$TESTNET_ROOT"

n=4
dir=./testnet/data
base_port=26600
reset=0
while [ $# -gt 0 ]; do
  case "$1" in
    -n) [ $# -ge 2 ] || usage_error "-n needs a number"; n=$2; shift ;;
    --dir) [ $# -ge 2 ] || usage_error "--dir needs a path"; dir=$2; shift ;;
    --base-port) [ $# -ge 2 ] || usage_error "--base-port needs a port"; base_port=$2; shift ;;
    --reset) reset=1 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) usage_error "unknown option '$1' (try --help)" ;;
  esac
  shift
done
case "$n" in ''|*[!0-9]*) usage_error "-n must be a whole number >= 4 (got '$n')" ;; esac
[ "$n" -ge 4 ] || usage_error "-n must be >= 4 (got $n)"
case "$base_port" in ''|*[!0-9]*) usage_error "--base-port must be a port number" ;; esac
[ "$base_port" -ge 1024 ] && [ $((base_port + 2 * n)) -le 65535 ] ||
  usage_error "--base-port must leave room for $n nodes between 1024 and 65535"

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# Refuse while any node of DIR runs.
if [ -f "$dir/testnet.json" ]; then
  existing=$(node_count "$dir")
  for ((i = 0; i < existing; i++)); do
    if node_alive "$dir" "$i"; then
      die "node $i of $dir is running (pid $(node_pid "$dir" "$i")); stop it first: testnet/down.sh --dir $dir"
    fi
  done
fi

echo "[up] checking packages"
./tests/install-deps.sh
echo "[up] building (Release) into build/"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)"
if [ ! -x "$PHALANXD" ]; then
  die "not yet: this version of Phalanx does not build the node binary ($PHALANXD); the libraries, wallet and tests are ready (./tests/run.sh)"
fi
[ -x "$WALLET" ] || die "the build did not produce $WALLET"

if [ "$reset" -eq 1 ]; then
  echo "[up] --reset: wiping $dir"
  rm -rf "${dir:?}"/*
fi

if [ -f "$dir/testnet.json" ]; then
  n=$(node_count "$dir")
  echo "[up] restarting the $n stopped nodes of $dir from their data"
else
  "$TESTNET_ROOT/testnet/lib/generate.sh" "$dir" "$n" "$base_port"
fi

for ((i = 0; i < n; i++)); do
  start_node "$dir" "$i"
  echo "[up] node $i started (pid $(node_pid "$dir" "$i"))"
done

"$TESTNET_ROOT/testnet/lib/wait_ready.sh" "$dir" 90

faucet=$(json_get "$dir/testnet.json" 'd["faucet"]["address"]')
rpc0=$(node_rpc_url "$dir" 0)
echo
echo "Testnet of $n validators is up ($dir)."
for ((i = 0; i < n; i++)); do echo "  node $i  RPC $(node_rpc_url "$dir" "$i")"; done
cat <<TXT

Try it (copy and paste):
  export PHALANX_RPC=$rpc0
  build/bin/phalanx-wallet --keystore ~/.phalanx/keystore new alice
  build/bin/phalanx-wallet --keystore $dir/wallet --password-file $dir/faucet.pass \\
      send --from faucet --to \$(build/bin/phalanx-wallet --keystore ~/.phalanx/keystore address alice) --amount 1000 --wait
  build/bin/phalanx-wallet --keystore ~/.phalanx/keystore balance alice

Faucet: $faucet    Status: testnet/status.sh --dir $dir    Stop: testnet/down.sh --dir $dir
TXT
