#!/usr/bin/env bash
# Starts a local Phalanx testnet.
#
#   testnet/up.sh [-n N] [--dir DIR] [--base-port P] [--reset] [--alloc-file FILE]
#
#   -n N            number of validators (default 4, N >= 4)
#   --dir DIR       testnet directory (default ./testnet/data)
#   --base-port P   node i listens for peers on P+2i and for JSON-RPC on P+2i+1 (default 26600)
#   --reset         wipe DIR first (all its nodes must be stopped)
#   --alloc-file F  more genesis accounts for a new testnet: one ADDRESS=AMOUNT per line
#                   (phalanxd genesis --alloc-file; phalanx-bench accounts writes one)
#
# Installs missing Debian packages, builds build/bin/phalanxd and phalanx-wallet, generates
# validator keys, genesis and configs (first run), starts every node in the background and
# waits until each answers getHealth and sees all N-1 peers. On a DIR whose nodes are all
# stopped it restarts them from their data. Refuses while any node of DIR is running.
# PHALANX_BIN_DIR=DIR: use the binaries in DIR; no install, no build. See docs/testnet.md.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

n=4
n_given=0
dir=$TESTNET_ROOT/testnet/data
base_port=26600
reset=0
alloc_file=""
while [ $# -gt 0 ]; do
  case "$1" in
    -n) [ $# -ge 2 ] || usage_error "-n needs a number"; n=$2; n_given=1; shift ;;
    --dir) [ $# -ge 2 ] || usage_error "--dir needs a path"; dir=$2; shift ;;
    --base-port) [ $# -ge 2 ] || usage_error "--base-port needs a port"; base_port=$2; shift ;;
    --reset) reset=1 ;;
    --alloc-file) [ $# -ge 2 ] || usage_error "--alloc-file needs a path"; alloc_file=$2; shift ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) usage_error "unknown option '$1' (try --help)" ;;
  esac
  shift
done
case "$n" in ''|*[!0-9]*) usage_error "-n must be a whole number >= 4 (got '$n')" ;; esac
[ "$n" -ge 4 ] || usage_error "-n must be >= 4 (got $n)"
case "$base_port" in ''|*[!0-9]*) usage_error "--base-port must be a port number" ;; esac
[ "$base_port" -ge 1024 ] && [ $((base_port + 2 * n)) -le 65535 ] ||
  usage_error "--base-port must leave room for $n nodes between 1024 and 65535"

# A relative --dir or --alloc-file is relative to where the user ran up.sh.
if [ -n "$alloc_file" ]; then
  [ -f "$alloc_file" ] || die "--alloc-file $alloc_file: no such file"
  alloc_file=$(cd "$(dirname "$alloc_file")" && pwd)/$(basename "$alloc_file")
fi
mkdir -p "$dir" || die "cannot create the testnet directory $dir"
dir=$(cd "$dir" && pwd)
cd "$TESTNET_ROOT"

# Refuse while any node of DIR runs.
if [ -f "$dir/testnet.json" ]; then
  existing=$(node_count "$dir")
  for ((i = 0; i < existing; i++)); do
    if node_alive "$dir" "$i"; then
      die "node $i of $dir is running (pid $(node_pid "$dir" "$i")); stop it first: testnet/down.sh --dir $dir"
    fi
  done
fi

# Never wipe or write into a directory that holds anything but a testnet's own files.
foreign=$(find "$dir" -mindepth 1 -maxdepth 1 ! -name 'node[0-9]*' ! -name wallet \
  ! -name faucet.pass ! -name genesis.json ! -name 'testnet.json*' -printf '%f ' | head -c 200)
[ -z "$foreign" ] || die "$dir holds files that are not a testnet's ($foreign); choose an empty or new --dir"
if [ "$reset" -eq 1 ]; then
  echo "[up] --reset: wiping $dir"
  find "$dir" -mindepth 1 -delete
  [ -z "$(ls -A "$dir")" ] || die "could not empty $dir"
elif [ ! -f "$dir/testnet.json" ] && [ -n "$(ls -A "$dir")" ]; then
  die "$dir holds an unfinished testnet (no testnet.json); run again with --reset"
fi

if [ -n "${PHALANX_BIN_DIR:-}" ]; then
  echo "[up] using the binaries in $BIN_DIR (PHALANX_BIN_DIR); not installing or building"
else
  echo "[up] checking packages"
  ./tests/install-deps.sh
  echo "[up] building phalanxd and phalanx-wallet (Release) into build/"
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build -j "$(nproc 2>/dev/null || echo 2)" --target phalanxd phalanx-wallet
fi
[ -x "$PHALANXD" ] || die "no node binary at $PHALANXD"
[ -x "$WALLET" ] || die "no wallet binary at $WALLET"

# Ports: a clear refusal now beats a node dying on "address in use" later.
if [ -f "$dir/testnet.json" ]; then
  ports=$(json_get "$dir/testnet.json" '" ".join(str(x[k].rsplit(":", 1)[1]) for x in d["nodes"] for k in ("p2p", "rpc"))')
else
  ports=$(seq "$base_port" $((base_port + 2 * n - 1)))
fi
# shellcheck disable=SC2086 # one argument per port
"$PYTHON" "$TESTNET_ROOT/testnet/lib/nodes.py" ports-free $ports ||
  die "another program (or testnet) uses that port; pick another --base-port (with --reset for an existing DIR)"

if [ -f "$dir/testnet.json" ]; then
  if [ "$n_given" -eq 1 ] && [ "$n" != "$(node_count "$dir")" ]; then
    die "$dir already holds a testnet of $(node_count "$dir") nodes; use --reset to make one of $n"
  fi
  [ -z "$alloc_file" ] || die "--alloc-file only applies to a new testnet (add --reset)"
  n=$(node_count "$dir")
  echo "[up] restarting the $n stopped nodes of $dir from their data (--reset starts afresh)"
else
  ALLOC_FILE=$alloc_file "$TESTNET_ROOT/testnet/lib/generate.sh" "$dir" "$n" "$base_port"
fi

for ((i = 0; i < n; i++)); do
  start_node "$dir" "$i"
  echo "[up] node $i started (pid $(node_pid "$dir" "$i"))"
done

"$PYTHON" "$TESTNET_ROOT/testnet/lib/nodes.py" wait "$dir" 90 || exit 1

faucet=$(json_get "$dir/testnet.json" 'd["faucet"]["address"]')
rpc0=$(node_rpc_url "$dir" 0)
echo
echo "Testnet of $n validators is up ($dir)."
for ((i = 0; i < n; i++)); do echo "  node $i  RPC $(node_rpc_url "$dir" "$i")"; done
cat <<TXT

Try it (copy and paste; the first command asks for a new password twice and keeps the key
in ~/.phalanx/keystore; skip it if you already have an 'alice'):
  export PHALANX_RPC=$rpc0
  $WALLET new alice
  $WALLET --keystore $dir/wallet --password-file $dir/faucet.pass send --from faucet --to \$($WALLET address alice) --amount 1000 --wait
  $WALLET balance alice

Faucet: $faucet
Status: testnet/status.sh --dir $dir
Faults: testnet/node.sh {stop|kill|start|pause|resume} I --dir $dir
Stop:   testnet/down.sh --dir $dir
TXT
