#!/usr/bin/env bash
# Installs the Debian 12 packages Paige needs to build, test and run, and the browser tests'
# npm packages (playwright-core, pinned in tests/browser/package-lock.json; the starter code
# bot's, in runtime/bot-templates/starter-node). Idempotent: it calls
# apt-get and npm only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake ninja-build pkg-config ccache
  libcaf-dev libboost1.81-dev libboost-url1.81-dev libssl-dev
  libpqxx-dev postgresql nlohmann-json3-dev libspdlog-dev catch2
  curl libre2-dev openssl clang-format
  chromium nodejs
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# npm: Debian's package only when the installed Node.js does not bring its own (NodeSource's
# nodejs does, and conflicts with Debian's npm).
if ! command -v npm >/dev/null; then
  missing+=(npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "missing packages and not root: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The browser tests' driver, exactly as locked; it never downloads a browser (Debian's
# chromium is the one driven).
lock=tests/browser/package-lock.json
installed=tests/browser/node_modules/.package-lock.json
if [ ! -f "$installed" ] || [ "$lock" -nt "$installed" ]; then
  echo "Installing the browser tests' npm packages"
  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
fi

# The starter code bot's packages (express, pg), exactly as locked: its end-to-end test runs it.
lock=runtime/bot-templates/starter-node/package-lock.json
installed=runtime/bot-templates/starter-node/node_modules/.package-lock.json
if [ ! -f "$installed" ] || [ "$lock" -nt "$installed" ]; then
  echo "Installing the starter code bot's npm packages"
  npm ci --prefix runtime/bot-templates/starter-node --no-audit --no-fund --loglevel=error
fi
