#!/usr/bin/env bash
# Installs missing packages, builds, and runs the test suites. Prints the time of each stage.
#
#   ./tests/run.sh              Release build + fast suite, then the ASan+UBSan tree (CI)
#   ./tests/run.sh --fast       Release build + fast suite only
#   ./tests/run.sh --sanitize   the clang ASan+UBSan tree only
#   ./tests/run.sh --tsan       a ThreadSanitizer tree (not in CI)
#   ./tests/run.sh --slow       also the tests labelled "slow" (long simulations, soak)
#   ./tests/run.sh -R REGEX     only tests whose name matches (passed to ctest)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

mode=all
slow=0
ctest_extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --fast) mode=fast ;;
    --sanitize) mode=sanitize ;;
    --tsan) mode=tsan ;;
    --slow) slow=1 ;;
    -R) shift; ctest_extra+=(-R "$1") ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "tests/run.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

jobs=$(nproc 2>/dev/null || echo 2)
stage_start=0
stage() { stage_start=$(date +%s); echo; echo "=== [$(date +%H:%M:%S)] $*"; }
stage_end() { echo "=== $1 took $(( $(date +%s) - stage_start ))s"; }

stage "dependencies"
./tests/install-deps.sh
stage_end dependencies

label_args=()
[ "$slow" -eq 1 ] || label_args=(-LE slow)

# build_and_test DIR NAME CMAKE_ARGS...
build_and_test() {
  local dir=$1 name=$2; shift 2
  stage "configure + build ($name) in $dir"
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  stage_end "build ($name)"
  stage "tests ($name)"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 600 "${label_args[@]}" "${ctest_extra[@]}")
  stage_end "tests ($name)"
}

# The Byzantine test node (tests/byzantine) and the fault suite run in the Release tree only:
# they test processes and protocols, and the sanitizer tree's decoders and consensus step are
# fuzzed there instead (CI time: about three minutes less).
case "$mode" in
  fast|all) build_and_test build release -DCMAKE_BUILD_TYPE=Release -DPHALANX_BYZANTINE=ON ;;
esac
case "$mode" in
  sanitize|all)
    # -O1 with line tables only: sanitizer reports keep their file:line stacks, and the
    # cold build takes less CPU than RelWithDebInfo's -O2 -g (issue #2's 8-minute budget).
    build_and_test build-asan asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG" \
      -DCMAKE_CXX_COMPILER=clang++ -DPHALANX_SANITIZE=ON -DPHALANX_FUZZ=ON ;;
  tsan)
    build_and_test build-tsan tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_COMPILER=clang++ -DPHALANX_TSAN=ON ;;
esac
