#!/usr/bin/env bash
# Installs the Debian 12 packages Paige needs to build, test and run. Idempotent: it calls
# apt-get only when something is missing.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config ccache
  libcaf-dev libboost1.81-dev libboost-url1.81-dev libssl-dev
  libpqxx-dev postgresql nlohmann-json3-dev libspdlog-dev catch2
  curl libre2-dev openssl clang-format
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "Installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "missing packages and not root: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
