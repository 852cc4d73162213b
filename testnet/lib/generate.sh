#!/usr/bin/env bash
# generate.sh DIR N BASE_PORT: keys, faucet, genesis, configs and testnet.json for a new testnet.
# ALLOC_FILE (optional, absolute): more genesis accounts, one ADDRESS=AMOUNT per line.
set -euo pipefail
source "$(dirname "$0")/common.sh"
dir=$1 n=$2 base_port=$3
f=$(( (n - 1) / 3 ))
quorum=$(( (n + f + 2) / 2 ))
chain_id="phalanx-testnet-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"

echo "[up] generating $n validator homes in $dir (chain id $chain_id)"
validators=()
for ((i = 0; i < n; i++)); do
  home="$dir/node$i"
  out=$("$PHALANXD" init --home "$home" --p2p-port $((base_port + 2 * i)) --rpc-port $((base_port + 2 * i + 1)))
  pubkey=$(grep -oE '\b[0-9a-f]{64}\b' <<<"$out" | head -n 1)
  [ -n "$pubkey" ] || die "phalanxd init printed no public key: $out"
  validators+=(--validator "$pubkey@tcp://127.0.0.1:$((base_port + 2 * i))")
done

echo "[up] creating the faucet key in $dir/wallet"
od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$dir/faucet.pass"
chmod 600 "$dir/faucet.pass"
faucet=$("$WALLET" --keystore "$dir/wallet" --password-file "$dir/faucet.pass" --json new faucet |
  "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["address"])')

# Supply: the faucet holds most of it; JSON-safe (< 2^53).
"$PHALANXD" genesis --out "$dir/genesis.json" --chain-id "$chain_id" "${validators[@]}" \
  --alloc "$faucet=1000000000000000" ${ALLOC_FILE:+--alloc-file "$ALLOC_FILE"} >/dev/null
for ((i = 0; i < n; i++)); do cp "$dir/genesis.json" "$dir/node$i/genesis.json"; done

"$PYTHON" - "$dir" "$n" "$f" "$quorum" "$chain_id" "$base_port" "$faucet" <<'PY'
import json, sys
d, n, f, q, chain, base, faucet = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6]), sys.argv[7]
doc = {"chain_id": chain, "n": n, "f": f, "quorum": q,
       "nodes": [{"id": i, "rpc": f"http://127.0.0.1:{base + 2 * i + 1}",
                  "p2p": f"tcp://127.0.0.1:{base + 2 * i}", "home": f"{d}/node{i}",
                  "pid": 0, "log": f"{d}/node{i}/node.log"} for i in range(n)],
       "faucet": {"name": "faucet", "keystore": f"{d}/wallet",
                  "password_file": f"{d}/faucet.pass", "address": faucet}}
with open(f"{d}/testnet.json", "w") as fh:
    json.dump(doc, fh, indent=2)
    fh.write("\n")
PY
