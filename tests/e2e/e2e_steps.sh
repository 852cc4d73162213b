# shellcheck shell=bash
# The steps of tests/e2e/e2e_test.sh (sourced by it; uses its helpers and variables).
# Each step checks what a user would see, and over JSON-RPC what every node holds.

check_up_output() {
  local i
  chain_id=$("${check[@]}" testnet-json "$net/testnet.json" "$n" "$base") || fail "testnet.json"
  for ((i = 0; i < n; i++)); do
    grep -q "node $i  RPC $(url "$i")" "$work/up.out" || fail "up.sh did not print node $i's RPC URL"
    local s; s=$(result "$(url "$i")" getStatus)
    expect_eq "$(get '"%s %d %d %d %d %d" % (d["chainId"], d["nodeId"], d["n"], d["f"], d["quorum"], d["peers"])' <<<"$s")" \
      "$chain_id $i $n 1 3 $((n - 1))" "node $i getStatus chainId/nodeId/n/f/quorum/peers"
  done
  grep -q "send --from faucet --to" "$work/up.out" || fail "up.sh printed no send example"
  grep -q "balance alice" "$work/up.out" || fail "up.sh printed no balance example"
  min_fee=$(result "$(url 0)" getStatus | get 'd["minFee"]')
  faucet=$(get 'd["faucet"]["address"]' <"$net/testnet.json")

  step "up.sh refuses while the testnet runs"
  if "$repo/testnet/up.sh" --dir "$net" --base-port "$base" >"$work/up2.out" 2>&1; then
    fail "a second up.sh on a running testnet exited 0"
  fi
  grep -q "is running" "$work/up2.out" || fail "up.sh's refusal does not say why: $(cat "$work/up2.out")"
  "$repo/testnet/status.sh" --dir "$net" >"$work/status.out"
  expect_eq "$(grep -c ' alive ' "$work/status.out")" "$n" "status.sh alive lines"
}

step_wallets_and_faucet() {
  step "two wallets; fund alice from the faucet (send --wait)"
  printf 'alice-password\n' >"$work/alice.pass"
  printf 'wrong-password\n' >"$work/wrong.pass"
  alice=$("$W" --password-file "$work/alice.pass" --json new alice | get 'd["address"]')
  bob=$("$W" --password-file "$work/alice.pass" --json new bob | get 'd["address"]')
  expect_eq "$("$W" address alice)" "$alice" "wallet address alice"
  local out
  out=$("$W" --keystore "$net/wallet" --password-file "$net/faucet.pass" --rpc "$(url 0)" --json \
    send --from faucet --to "$alice" --amount 1000000 --wait --timeout 60) || fail "faucet send: $out"
  expect_eq "$(get 'd["status"]' <<<"$out")" committed "faucet send status"
  "${check[@]}" accounts "$net" "$(get 'd["height"]' <<<"$out")" "$alice=1000000/0/0" ||
    fail "alice's funding on every node"
}

step_transfer_and_certificate() {
  step "alice -> bob through node 1 with --wait; balances and nonces on every node"
  local out h i hash
  out=$("$W" --rpc "$(url 1)" --password-file "$work/alice.pass" --json \
    send --from alice --to bob --amount 1000 --wait --timeout 60) || fail "alice -> bob: $out"
  expect_eq "$(get 'd["status"]' <<<"$out")" committed "alice -> bob status"
  h=$(get 'd["height"]' <<<"$out") hash=$(get 'd["hash"]' <<<"$out")
  alice_balance=$((1000000 - 1000 - min_fee))
  "${check[@]}" accounts "$net" "$h" "$alice=$alice_balance/1/1" "$bob=1000/0/0" ||
    fail "balances and nonces after alice -> bob"
  for ((i = 0; i < n; i++)); do
    expect_eq "$(result "$(url "$i")" getTransaction "[\"$hash\"]" |
      get '"%s %d %s %s %d %d %d" % (d["status"], d["height"], d["from"], d["to"], d["amount"], d["fee"], d["nonce"])')" \
      "committed $h $alice $bob 1000 $min_fee 0" "node $i: getTransaction"
  done
  expect_eq "$("$W" --rpc "$(url 3)" --json balance bob | get '"%d %d" % (d["balance"], d["nonce"])')" \
    "1000 0" "wallet balance bob via node 3"

  step "getBlock($h): commit certificate against getValidators (documented signed bytes)"
  for ((i = 0; i < n; i++)); do
    "${check[@]}" certificate "$(url "$i")" "$verify" "$h" || fail "node $i: certificate of block $h"
  done
  expect_eq "$(result "$(url 2)" getBlock '[0]' | get 'len(d["commit"])')" 0 "getBlock(0).commit"
  expect_eq "$(result "$(url 2)" getBlock '[1000000]')" null "getBlock beyond the tip"
}

step_five_quick_sends() {
  step "five quick sends through nodes 0,1,2,3,0: consecutive nonces, all commit"
  local k out hashes=() nonces
  for k in 0 1 2 3 4; do
    out=$("$W" --rpc "$(url $((k % n)))" --password-file "$work/alice.pass" --json \
      send --from alice --to bob --amount 1) || fail "quick send $k: $out"
    hashes+=("$(get 'd["hash"]' <<<"$out")")
  done
  nonces=$("${check[@]}" committed "$(url 0)" "${hashes[@]}") || fail "the five quick sends"
  expect_eq "$nonces" "1 2 3 4 5" "nonces of the five quick sends"
  alice_balance=$((alice_balance - 5 * (1 + min_fee))) alice_nonce=6
  "${check[@]}" accounts "$net" "$(tip)" "$alice=$alice_balance/6/6" "$bob=1005/0/0" ||
    fail "balances and nonces after the five quick sends"
}

# sign_tx EXTRA_FLAGS...: a signed alice -> bob transfer (nonce 6), as hex.
sign_tx() {
  "$W" --rpc "$(url 0)" --password-file "$work/alice.pass" --json \
    sign --from alice --to bob --amount 1 --fee "$min_fee" --nonce 6 "$@"
}

step_failures() {
  step "failures: each with its own code or message"
  local out tx flipped
  out=$(sign_tx --chain-id other-chain) || fail "sign --chain-id: $out"
  tx=$(get 'd["tx"]' <<<"$out")
  expect_eq "$(rpc "$(url 0)" sendTransaction "[\"$tx\"]" | error_code)" -32003 "other chain id"

  out=$(sign_tx) || fail "sign: $out"
  tx=$(get 'd["tx"]' <<<"$out")
  expect_eq "$("$PYTHON" -c 'import hashlib,sys; print(hashlib.sha256(bytes.fromhex(sys.argv[1])).hexdigest())' "$tx")" \
    "$(get 'd["hash"]' <<<"$out")" "tx hash = SHA-256 of every byte (docs/encoding.md)"
  # The signature is the last 64 bytes: flip a bit of its last byte.
  flipped=${tx:0:-2}$(printf '%02x' $(( 0x${tx: -2} ^ 1 )))
  expect_eq "$(rpc "$(url 1)" sendTransaction "[\"$flipped\"]" | error_code)" -32002 "flipped signature byte"

  # One bech32m character changed (q <-> p) in the middle of bob's address.
  local c=${bob:20:1} typo
  typo=${bob:0:20}$([ "$c" = q ] && echo p || echo q)${bob:21}
  expect_exit 2 "a mistyped address" "$W" --password-file "$work/alice.pass" \
    send --from alice --to "$typo" --amount 1
  grep -q "checksum mismatch" "$work/err" || fail "mistyped address message: $(cat "$work/err")"
  expect_eq "$(rpc "$(url 2)" getBalance "[\"$typo\"]" | error_code)" -32010 "getBalance of a mistyped address"

  expect_exit 3 "wrong password" "$W" --rpc "$(url 0)" --password-file "$work/wrong.pass" \
    send --from alice --to bob --amount 1
  grep -q "wrong password" "$work/err" || fail "wrong password message: $(cat "$work/err")"

  expect_exit 1 "insufficient balance" "$W" --rpc "$(url 3)" --password-file "$work/alice.pass" \
    --json send --from bob --to alice --amount 5000
  expect_eq "$(error_code <"$work/out")" -32006 "insufficient balance code"
  expect_exit 1 "reused nonce" "$W" --rpc "$(url 0)" --password-file "$work/alice.pass" \
    --json send --from alice --to bob --amount 1 --nonce 0
  expect_eq "$(error_code <"$work/out")" -32004 "reused nonce code"
  expect_eq "$(account 0 "$alice")" "$alice_balance 6 6" "alice unchanged by the failures"
}

# expect_exit CODE WHAT COMMAND...: runs COMMAND (stdout to $work/out, stderr to $work/err).
expect_exit() {
  local want=$1 what=$2 rc=0; shift 2
  "$@" >"$work/out" 2>"$work/err" || rc=$?
  expect_eq "$rc" "$want" "exit code for $what ($(cat "$work/err"))"
}

# send_and_wait NODE: alice -> bob (1) through NODE, --wait; prints the commit height.
send_and_wait() {
  local out
  out=$("$W" --rpc "$(url "$1")" --password-file "$work/alice.pass" --json \
    send --from alice --to bob --amount 1 --wait --timeout 60) || fail "send via node $1: $out"
  get 'd["height"]' <<<"$out"
}

# fault_and_recover ACTION I VIA: node.sh ACTION I, a tx still commits through node VIA,
# node.sh start I, and node I catches up with the same balances.
fault_and_recover() {
  local action=$1 i=$2 via=$3 pid h
  "$repo/testnet/node.sh" "$action" "$i" --dir "$net" >/dev/null || fail "node.sh $action $i"
  expect_eq "$(get "d['nodes'][$i]['pid']" <"$net/testnet.json")" 0 "testnet.json pid after $action"
  local status; status=$("$repo/testnet/status.sh" --dir "$net")
  grep -qE "^$i +- +dead" <<<"$status" || fail "status.sh after $action $i: $status"
  h=$(send_and_wait "$via")
  fault_height=$h
  alice_balance=$((alice_balance - 1 - min_fee)) alice_nonce=$((alice_nonce + 1))
  "$repo/testnet/node.sh" start "$i" --dir "$net" >/dev/null || fail "node.sh start $i"
  pid=$(get "d['nodes'][$i]['pid']" <"$net/testnet.json")
  grep -q phalanxd "/proc/$pid/cmdline" || fail "testnet.json pid $pid of node $i is not a phalanxd"
  "${check[@]}" accounts "$net" "$h" "$alice=$alice_balance/$alice_nonce/$alice_nonce" ||
    fail "restarted node $i did not catch up to height $h with the same balances"
}

step_backup_fault() {
  local primary backup
  primary=$(result "$(url 0)" getStatus | get 'd["primary"]')
  backup=$(( (primary + 1) % n ))
  step "node.sh stop $backup (a backup): the chain commits; node.sh start: it catches up"
  fault_and_recover stop "$backup" "$primary"
  step "node.sh pause/resume $backup"
  "$repo/testnet/node.sh" pause "$backup" --dir "$net" >/dev/null
  local status; status=$("$repo/testnet/status.sh" --dir "$net")
  grep -qE "^$backup +[0-9]+ +paused" <<<"$status" || fail "status.sh: not paused: $status"
  "$repo/testnet/node.sh" resume "$backup" --dir "$net" >/dev/null
  wait_for 30 "node $backup to answer after resume" result "$(url "$backup")" getHealth
}

step_kill_primary() {
  local primary via view
  primary=$(result "$(url 0)" getStatus | get 'd["primary"]')
  via=$(( (primary + 2) % n ))
  view=$(result "$(url "$via")" getStatus | get 'd["view"]')
  step "node.sh kill $primary (the primary): the chain still commits; restarted, it catches up"
  fault_and_recover kill "$primary" "$via"
  [ "$(result "$(url "$via")" getStatus | get 'd["view"]')" -gt "$view" ] || fail "no view change"
  step "getBlock($fault_height), committed after the view change: its certificate"
  "${check[@]}" certificate "$(url "$via")" "$verify" "$fault_height" || fail "certificate after the view change"
  [ "$(result "$(url "$via")" getBlock "[$fault_height]" | get 'd["commitView"]')" -gt "$view" ] ||
    fail "block $fault_height was not committed in a later view"
}

step_down_restart_reset() {
  step "down.sh leaves no process; up.sh restarts from the data; --reset wipes"
  local h pids
  h=$(tip)
  pids=$(our_pids)
  [ -n "$pids" ] || fail "no phalanxd of this testnet is running before down.sh"
  "$repo/testnet/down.sh" --dir "$net" >/dev/null || fail "down.sh exited non-zero"
  [ -z "$(our_pids)" ] || fail "phalanxd processes left after down.sh: $(our_pids)"
  expect_eq "$(get '[x["pid"] for x in d["nodes"]]' <"$net/testnet.json")" "[0, 0, 0, 0]" "pids after down.sh"
  "$repo/testnet/up.sh" --dir "$net" >"$work/up.out" 2>&1 || fail "restart: $(tail -n 5 "$work/up.out")"
  grep -q "restarting" "$work/up.out" || fail "up.sh did not say it restarts from the data"
  [ "$(tip)" -ge "$h" ] || fail "height after restart $(tip) < $h"
  expect_eq "$(account 3 "$alice" | cut -d' ' -f1)" "$alice_balance" "alice after restart"
  "$repo/testnet/down.sh" --dir "$net" >/dev/null
  "$repo/testnet/up.sh" --dir "$net" --reset --base-port "$base" >"$work/up.out" 2>&1 ||
    fail "up.sh --reset: $(tail -n 5 "$work/up.out")"
  [ "$(get 'd["chain_id"]' <"$net/testnet.json")" != "$chain_id" ] || fail "--reset kept the chain id"
  expect_eq "$(account 0 "$alice")" "0 0 0" "alice on the reset chain"
  "$repo/testnet/down.sh" --dir "$net" >/dev/null
  [ -z "$(our_pids)" ] || fail "phalanxd processes left after the last down.sh"
}
