#!/usr/bin/env bash
# Installs the Debian packages Phalanx needs, and only those that dpkg says are missing.
# Shared by ./tests/run.sh and ./testnet/up.sh. Idempotent; runs `apt-get update` at most
# once, and only when something must be installed.
set -euo pipefail

PHALANX_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  clang libclang-rt-14-dev
  libsodium-dev libssl-dev libzmq3-dev cppzmq-dev liblmdb-dev libcereal-dev
  libgtest-dev libgmock-dev nlohmann-json3-dev libcpp-httplib-dev libcli11-dev libspdlog-dev
  iptables procps curl python3
)

missing=()
for pkg in "${PHALANX_PACKAGES[@]}"; do
  if ! dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "[deps] all ${#PHALANX_PACKAGES[@]} packages present"
  exit 0
fi

echo "[deps] missing: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "[deps] error: installing packages needs root; run as root or with sudo:" >&2
    echo "       sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=()
fi

export DEBIAN_FRONTEND=noninteractive
echo "[deps] apt-get update"
"${SUDO[@]}" apt-get update -q
echo "[deps] apt-get install ${missing[*]}"
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "[deps] done"
