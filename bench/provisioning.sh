#!/usr/bin/env bash
# Measures project provisioning time: POST /v1/projects until the project is active.
#   bench/provisioning.sh [count=20] [mode=serial|burst]
# serial: one project at a time (each waits for the previous to be active);
# burst:  all POSTs at once, provisioning overlaps.
# Runs the built binary on its own embedded Postgres in a temporary directory. Times come
# from the server's own measurement (event=project.active provisioning_s=...), taken from
# the moment the project actor starts provisioning to the moment `active` is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-20}"
mode="${2:-serial}"
. bench/lib.sh
start_paige

active() { grep -c 'event=project.active' "$dir/server.log" || true; }
wait_active() {
  for _ in $(seq 1 1200); do
    [ "$(active)" -ge "$1" ] && return 0
    sleep 0.05
  done
  echo "timed out waiting for $1 active projects"; exit 1
}

start=$(date +%s.%N)
for i in $(seq 1 "$count"); do
  curl -sf -o /dev/null -X POST "http://127.0.0.1:$port/v1/projects" \
    -H "Authorization: Bearer $key" -d "{\"name\":\"bench $i\"}"
  [ "$mode" = serial ] && wait_active "$i"
done
wait_active "$count"
end=$(date +%s.%N)

grep -o 'provisioning_s=[0-9.]*' "$dir/server.log" | cut -d= -f2 | sort -n | awk -v n="$count" \
  -v mode="$mode" -v start="$start" -v end="$end" '
  { v[NR] = $1; sum += $1 }
  END {
    wall = end - start
    p50 = v[int((NR + 1) * 0.50)]; p95 = v[int(NR * 0.95) > 0 ? int(NR * 0.95) : 1]; max = v[NR]
    printf "provisioning %s, %d projects: mean %.3f s, p50 %.3f s, p95 %.3f s, max %.3f s; wall %.2f s\n", mode, n, sum / NR, p50, p95, max, wall
    printf "{\"mode\":\"%s\",\"projects\":%d,\"mean_s\":%.4f,\"p50_s\":%.4f,\"p95_s\":%.4f,\"max_s\":%.4f,\"wall_s\":%.3f}\n", mode, n, sum / NR, p50, p95, max, wall
  }'
