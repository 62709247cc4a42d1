#!/usr/bin/env bash
# Browse latency of the table editor on a large table: GET .../tables/{t}/rows.
#   bench/table_browse.sh [rows=1000000]
# Runs the built binary on its own embedded Postgres in a temporary directory, creates a
# project and a table `events (kind text not null, amount numeric, at timestamptz)`, fills it
# through the SQL endpoint, then measures with curl (one keep-alive-free request each):
#   - the first page (limit 50) by key, 20 times;
#   - a walk through the whole table by key (limit 1000, following next_cursor), reporting
#     the first pages, the deepest pages and the whole walk;
#   - the first and a deep page ordered by `kind` (no index), then with an index on (kind, id).
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1000000}"
. bench/lib.sh
start_paige --sql-timeout 10m
base="http://127.0.0.1:$port/v1/projects"
api() { curl -sf -H "Authorization: Bearer $key" "$@"; }

project=$(api -X POST "$base" -d '{"name":"browse bench"}' | sed 's/.*"id":"\([^"]*\)".*/\1/')
for _ in $(seq 1 600); do
  api "$base/$project" | grep -q '"status":"active"' && break
  sleep 0.1
done
api -X POST "$base/$project/tables" -d '{"name":"events","columns":[{"name":"kind","type":"text","nullable":false},
  {"name":"amount","type":"numeric"},{"name":"at","type":"timestamptz"}]}' >/dev/null
fill_start=$(date +%s.%N)
api -X POST "$base/$project/sql" -d "{\"query\":\"INSERT INTO events (kind, amount, at) SELECT 'kind-' || (i % 97), i / 100.0, now() - i * interval '1 second' FROM generate_series(1, $rows) i\"}" >/dev/null
api -X POST "$base/$project/sql" -d '{"query":"ANALYZE events"}' >/dev/null
fill_end=$(date +%s.%N)
echo "filled $rows rows in $(echo "$fill_end - $fill_start" | bc) s"

url="$base/$project/tables/events/rows"
# time_total of one request, in milliseconds; the body goes to $dir/body.
timed() { curl -sf -o "$dir/body" -w '%{time_total}\n' -H "Authorization: Bearer $key" "$1" | awk '{printf "%.2f\n", $1 * 1000}'; }
next_cursor() { sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p' "$dir/body"; }
summary() {  # name, then one latency per line on stdin
  sort -n | awk -v name="$1" '{ v[NR] = $1; s += $1 } END {
    i90 = int(NR * 0.9); if (i90 < 1) i90 = 1
    printf "%-40s n=%-5d p50 %7.2f ms  p90 %7.2f ms  max %7.2f ms  mean %7.2f ms\n", name, NR, v[int((NR + 1) * 0.5)],
      v[i90], v[NR], s / NR }'
}

for _ in $(seq 1 20); do timed "$url?limit=50"; done | summary "first page by key (limit 50)"

walk() {  # query, output file of per-page latencies
  : >"$2"
  local cursor="" pages=0
  while :; do
    if [ -z "$cursor" ]; then timed "$url?$1" >>"$2"; else timed "$url?$1&cursor=$cursor" >>"$2"; fi
    pages=$((pages + 1))
    cursor=$(next_cursor)
    [ -n "$cursor" ] || break
  done
}
start=$(date +%s.%N)
walk "limit=1000" "$dir/walk"
end=$(date +%s.%N)
head -n 10 "$dir/walk" | summary "key walk: first 10 pages (limit 1000)"
tail -n 10 "$dir/walk" | summary "key walk: last 10 pages (deepest)"
summary "key walk: every page" <"$dir/walk"
echo "key walk: $(wc -l <"$dir/walk") pages in $(echo "$end - $start" | bc) s"

# Ordered by a column. The deep cursor is built here (the format is internal: "r1" + hex of
# [order_by, desc, value, key]) to land about 90% into the order without walking there.
c="r1$(printf '["kind",false,"kind-90","%d"]' $((rows * 9 / 10)) | od -An -tx1 | tr -d ' \n')"
for _ in $(seq 1 5); do timed "$url?limit=50&order_by=kind"; done | summary "first page by kind, no index"
for _ in $(seq 1 5); do timed "$url?limit=50&order_by=kind&cursor=$c"; done | summary "deep page by kind, no index"
api -X POST "$base/$project/sql" -d '{"query":"CREATE INDEX events_kind ON events (kind, id)"}' >/dev/null
for _ in $(seq 1 20); do timed "$url?limit=50&order_by=kind"; done | summary "first page by kind, index (kind, id)"
for _ in $(seq 1 20); do timed "$url?limit=50&order_by=kind&cursor=$c"; done | summary "deep page by kind, index (kind, id)"
