#!/usr/bin/env bash
# The README's first command: from a fresh Debian 12 machine (as root) to a running Paige
# server on its embedded Postgres, with the Meta simulator (paige-metasim) and a demo project
# whose starter bot is connected to a simulated number. Ctrl-C stops both, cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh

export PAIGE_LISTEN="${PAIGE_LISTEN:-127.0.0.1:8080}"
sim_listen="${PAIGE_SIM_LISTEN:-127.0.0.1:9090}"
export PAIGE_APP_SECRET="${PAIGE_APP_SECRET:-demo-app-secret}"
export PAIGE_VERIFY_TOKEN="${PAIGE_VERIFY_TOKEN:-demo-verify-token}"
export PAIGE_GRAPH_URL="${PAIGE_GRAPH_URL:-http://$sim_listen}"
# The embedded signup against the simulator: its dialog hands over simulated number 1002.
export PAIGE_APP_ID="${PAIGE_APP_ID:-4242}"
export PAIGE_FACEBOOK_URL="${PAIGE_FACEBOOK_URL:-http://$sim_listen}"
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
mkdir -p "$PAIGE_DATA_DIR"

build/bench/paige-metasim --listen "$sim_listen" --app-secret "$PAIGE_APP_SECRET" --app-id "$PAIGE_APP_ID" \
  --webhook-url "http://$PAIGE_LISTEN/webhook" >"$PAIGE_DATA_DIR/metasim.log" 2>&1 &
sim_pid=$!
build/runtime/paige serve &
paige_pid=$!
stop() {
  trap - INT TERM EXIT
  kill -TERM "$paige_pid" 2>/dev/null || true
  wait "$paige_pid" 2>/dev/null || true
  kill -TERM "$sim_pid" 2>/dev/null || true
  wait "$sim_pid" 2>/dev/null || true
}
trap stop INT TERM EXIT

api="http://$PAIGE_LISTEN"
sim="http://$sim_listen"
for _ in $(seq 1 600); do
  curl -sf "$api/readyz" >/dev/null 2>&1 && break
  kill -0 "$paige_pid" 2>/dev/null || { echo "paige did not start"; exit 1; }
  sleep 0.1
done
key="${PAIGE_ADMIN_TOKEN:-$(head -n1 "$PAIGE_DATA_DIR/admin-token")}"
auth=(-H "Authorization: Bearer $key")

# The demo: simulated number 1001, and a project whose starter bot answers on it.
curl -sf -X PUT "$sim/control/numbers/1001" -o /dev/null \
  -d '{"waba_id":"2001","display_phone_number":"15550001001","verified_name":"Paige Demo","access_token":"demo-access-token"}'
curl -sf -X PUT "$sim/control/numbers/1002" -o /dev/null \
  -d '{"waba_id":"2002","display_phone_number":"15550001002","verified_name":"Signed Up Demo","access_token":"demo-signup-token"}'
curl -sf -X PUT "$sim/control/signup" -o /dev/null -d '{"phone_number_id":"1002"}'
project=""
if [ -f "$PAIGE_DATA_DIR/demo-project" ]; then
  project=$(cat "$PAIGE_DATA_DIR/demo-project")
  curl -sf "${auth[@]}" "$api/v1/projects/$project" -o /dev/null || project=""
fi
if [ -z "$project" ]; then
  project=$(curl -sf "${auth[@]}" -X POST "$api/v1/projects" -d '{"name":"Demo"}' |
    grep -o '"id":"prj_[0-9a-f]*"' | cut -d'"' -f4)
  echo "$project" >"$PAIGE_DATA_DIR/demo-project"
fi
for _ in $(seq 1 300); do
  curl -sf "${auth[@]}" "$api/v1/projects/$project" | grep -q '"status":"active"' && break
  sleep 0.1
done
curl -sf "${auth[@]}" -X PUT "$api/v1/projects/$project/whatsapp" -o /dev/null \
  -d '{"phone_number_id":"1001","waba_id":"2001","access_token":"demo-access-token"}'

cat <<EOT

Paige is running on $api (admin key: $PAIGE_DATA_DIR/admin-token).
Open $api/ in a browser (the API's documentation is at $api/docs).
Demo project $project: the starter bot, connected to simulated WhatsApp number 1001.
A new project's WhatsApp page offers "Connect with Facebook": the simulator's signup dialog
hands it simulated number 1002.
Chat with it from another terminal:
    build/bench/paige-chat            (interactive; type "Book" to tap the Book button)
    build/bench/paige-chat hello      (one message, prints the replies)
Ctrl-C stops Paige and the simulator.
EOT
wait "$paige_pid"
