#!/usr/bin/env bash
# Latency of a flow's data-exchange endpoint under concurrent flow sessions.
#   bench/flow_endpoint.sh [sessions=100] [exchanges per session=20]
# Runs the built paige (its own embedded Postgres) and paige-metasim; makes a project with a
# number, its flows key, a flow whose screens' data come from SQL (a `services` table of 50 rows
# for INIT, one row by key for each data_exchange), sends the flow to `sessions` users, then
# the simulator runs every session at once (POST /control/flows/{id}/sessions: encrypted and
# signed as Meta does, RSA-OAEP key and AES-GCM payload, one connection per session). The
# simulator times each request from sent to answered; reports p50/p90/p99/max and the share
# answered 200.
set -euo pipefail
cd "$(dirname "$0")/.."
sessions="${1:-100}"
per_session="${2:-20}"
. bench/lib.sh

sim_log=$(mktemp /tmp/paige-metasim-XXXXXX.log)
build/bench/paige-metasim --app-secret bench --listen 127.0.0.1:0 --statuses "" 2>"$sim_log" >/dev/null &
sim_pid=$!
for _ in $(seq 1 100); do
  sim_port=$(grep -o 'metasim.listening addr=127.0.0.1:[0-9]*' "$sim_log" | sed 's/.*://' || true)
  [ -n "$sim_port" ] && break
  sleep 0.1
done
sim="http://127.0.0.1:$sim_port"
start_paige --graph-url "$sim"
trap 'kill -TERM "$pid" "$sim_pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; rm -rf "$dir" "$sim_log"' EXIT
curl -sf -X PUT "$sim/control/webhook" -d "{\"url\":\"http://127.0.0.1:$port/webhook\"}" >/dev/null
curl -sf -X PUT "$sim/control/numbers/1001" \
  -d '{"waba_id":"2001","display_phone_number":"15551001","verified_name":"Bench","access_token":"token-1001"}' >/dev/null

base="http://127.0.0.1:$port/v1/projects"
api() { curl -sf -H "Authorization: Bearer $key" "$@"; }
project=$(api -X POST "$base" -d '{"name":"flow endpoint bench"}' | sed 's/.*"id":"\([^"]*\)".*/\1/')
for _ in $(seq 1 600); do
  api "$base/$project" | grep -q '"status":"active"' && break
  sleep 0.1
done
api -X PUT "$base/$project/whatsapp" -d '{"phone_number_id":"1001","waba_id":"2001","access_token":"token-1001"}' >/dev/null
api -X PUT "$base/$project/whatsapp/flows-key" >/dev/null
for q in "CREATE TABLE services (id text PRIMARY KEY, title text)" \
         "INSERT INTO services SELECT 's' || i, 'Service ' || i FROM generate_series(1, 50) i"; do
  api -X POST "$base/$project/sql" -d "{\"query\":\"$q\"}" >/dev/null
done
flow=$(cat <<EOF
{"name": "pick", "categories": ["OTHER"],
 "endpoint_uri": "http://127.0.0.1:$port/v1/flows/endpoint/$project",
 "flow_json": {"version": "7.3", "data_api_version": "3.0",
   "routing_model": {"PICK": ["DONE"], "DONE": []},
   "screens": [
     {"id": "PICK", "data": {"services": {"type": "array", "items": {"type": "object"}, "__example__": []}},
      "layout": {"type": "SingleColumnLayout", "children": [
        {"type": "Dropdown", "name": "service", "label": "Service", "data-source": "\${data.services}"},
        {"type": "Footer", "label": "Next", "on-click-action": {"name": "data_exchange",
          "payload": {"service": "\${form.service}"}}}]}},
     {"id": "DONE", "terminal": true, "data": {"picked": {"type": "object", "__example__": {}}},
      "layout": {"type": "SingleColumnLayout", "children": [
        {"type": "Footer", "label": "Done", "on-click-action": {"name": "complete", "payload": {}}}]}}]},
 "data_sources": {
   "PICK": {"next": "DONE", "data": {"services": {"sql": "SELECT id, title FROM services ORDER BY id"}}},
   "DONE": {"data": {"picked": {"sql": "SELECT id, title FROM services WHERE id = \$1", "params": ["data.service"], "one": true}}}}}
EOF
)
flow_id=$(api -X POST "$base/$project/flows" -d "$flow" | sed 's/.*"id":"\([0-9]*\)".*/\1/')
send='{"type":"interactive","interactive":{"type":"flow","body":{"text":"Pick"},"action":{"name":"flow","parameters":{"flow_name":"pick","flow_cta":"Pick"}}}}'
for i in $(seq 1 "$sessions"); do
  wa=$((15550000 + i))
  curl -sf -X POST "$sim/control/numbers/1001/users/$wa/messages" -d '{"message":{"type":"text","text":{"body":"hi"}}}' >/dev/null
  api -X POST "$base/$project/messages" -d "{\"to\":\"$wa\",${send:1}" >/dev/null
done
# Each user's flow token, from what the simulator recorded.
tokens="$dir/tokens"
: >"$tokens"
for i in $(seq 1 "$sessions"); do
  wa=$((15550000 + i))
  for _ in $(seq 1 100); do
    t=$(curl -sf "$sim/control/numbers/1001/users/$wa/messages?after=0" | grep -o '"flow_token":"[^"]*"' | head -1 | sed 's/.*:"\(.*\)"/\1/' || true)
    [ -n "$t" ] && break
    sleep 0.05
  done
  echo "$t" >>"$tokens"
done

# The sessions, each `per_session` exchanges alternating INIT and a data_exchange picking a
# service, all run by the simulator at once (one client, a connection per session): the harness
# only reads the answer.
sessions_json="$dir/sessions.json"
{
  printf '{"sessions":['
  first=1
  while read -r token; do
    [ "$first" = 1 ] || printf ','
    first=0
    printf '['
    for i in $(seq 1 "$per_session"); do
      [ "$i" = 1 ] || printf ','
      if [ $((i % 2)) -eq 1 ]; then printf '{"action":"INIT","flow_token":"%s"}' "$token"
      else printf '{"action":"data_exchange","screen":"PICK","flow_token":"%s","data":{"service":"s%d"}}' "$token" $((i % 50 + 1)); fi
    done
    printf ']'
  done <"$tokens"
  printf ']}'
} >"$sessions_json"
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }  # user + system, in clock ticks
cpu_before=$(cpu_ticks)
result=$(curl -sf -X POST "$sim/control/flows/$flow_id/sessions" --data-binary @"$sessions_json")
total=$(echo "$result" | grep -o '"requests":[0-9]*' | cut -d: -f2)
ok=$(echo "$result" | grep -o '"ok":[0-9]*' | cut -d: -f2)
wall=$(echo "$result" | grep -o '"wall_ms":[0-9.e+-]*' | cut -d: -f2)
echo "$sessions sessions x $per_session exchanges: $total requests in $wall ms, $ok answered 200"
echo "$result" | sed 's/.*"elapsed_ms":\[\([^]]*\)\].*/\1/' | tr ',' '\n' | awk '{ v[NR] = $1 } END {
  i50 = int(NR * 0.5); i90 = int(NR * 0.9); i99 = int(NR * 0.99); if (i50 < 1) i50 = 1; if (i90 < 1) i90 = 1; if (i99 < 1) i99 = 1
  printf "endpoint latency: p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms\n", v[i50], v[i90], v[i99], v[NR] }'
echo "paige CPU during the sessions: $(echo "scale=2; ($(cpu_ticks) - $cpu_before) / $(getconf CLK_TCK)" | bc) s"
# Paige's own view: its request-duration histogram for the endpoint (bucket bounds, in seconds).
curl -sf "http://127.0.0.1:$port/metrics" -H "Authorization: Bearer $key" |
  grep 'paige_http_request_duration_seconds_bucket' | grep 'flows/endpoint' |
  sed 's/.*le="\([^"]*\)"} \([0-9]*\)/\1 \2/' | awk -v total="$total" '
    { le[NR] = $1; n[NR] = $2 } END {
      split("0.5 0.9 0.99", qs, " ")
      for (q = 1; q <= 3; q++) for (i = 1; i <= NR; i++) if (n[i] >= qs[q] * n[NR]) {
        printf "paige: p%s within %s s (%d of %d requests)\n", qs[q] * 100, le[i], n[i], n[NR]; break } }'
