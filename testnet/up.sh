#!/usr/bin/env bash
# Starts a local Phalanx testnet (see README.md and the contract in docs/).
#
#   testnet/up.sh [-n N] [--dir DIR] [--base-port P] [--reset]
#
# Installs missing Debian packages, builds build/bin/*, then generates keys, genesis and
# configs for N nodes and starts them. The node binary (phalanxd) does not exist yet: this
# script currently stops after the build and says so.
set -euo pipefail
cd "$(dirname "$0")/.."

n=4
dir=./testnet/data
base_port=26600
reset=0
usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    -n) n=${2:?"-n needs a number"}; shift ;;
    --dir) dir=${2:?"--dir needs a path"}; shift ;;
    --base-port) base_port=${2:?"--base-port needs a port"}; shift ;;
    --reset) reset=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "up.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$n" in ''|*[!0-9]*) echo "up.sh: -n must be a whole number >= 4" >&2; exit 2 ;; esac
[ "$n" -ge 4 ] || { echo "up.sh: -n must be >= 4 (got $n)" >&2; exit 2; }

echo "[up] installing missing packages"
./tests/install-deps.sh
echo "[up] building (Release) into build/"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)"

if [ ! -x build/bin/phalanxd ]; then
  echo "[up] not yet: the node binary (phalanxd) is not built by this version of Phalanx." >&2
  echo "[up] The libraries and tests are ready (./tests/run.sh); the node arrives with the" >&2
  echo "[up] node and user-surface milestones. Requested: n=$n dir=$dir base port=$base_port reset=$reset" >&2
  exit 1
fi
