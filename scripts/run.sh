#!/usr/bin/env bash
# The README's first command: from a fresh Debian 12 machine (as root) to a running Paige
# server on its embedded Postgres. Stops with Ctrl-C (SIGINT), cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh

export PAIGE_LISTEN="${PAIGE_LISTEN:-127.0.0.1:8080}"
export PAIGE_APP_SECRET="${PAIGE_APP_SECRET:-demo-app-secret}"
export PAIGE_VERIFY_TOKEN="${PAIGE_VERIFY_TOKEN:-demo-verify-token}"
if [ -z "${PAIGE_DATA_DIR:-}" ]; then
  PAIGE_DATA_DIR="$PWD/var"
  # As root, Postgres runs as the postgres account, which must be able to reach the data
  # directory; a checkout under /root is not reachable, so fall back to /var/lib/paige.
  if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$PWD" 2>/dev/null; then
    PAIGE_DATA_DIR=/var/lib/paige
    echo "note: the postgres account cannot reach $PWD; using data directory $PAIGE_DATA_DIR"
  fi
fi
export PAIGE_DATA_DIR

echo "Starting Paige on http://$PAIGE_LISTEN (data: $PAIGE_DATA_DIR). Ctrl-C stops it."
exec build/runtime/paige serve
