#!/usr/bin/env bash
# Fills the demo project of a running `scripts/run.sh` with 100 000 contacts (one open
# conversation each, through the simulator and the real webhook path) and a table `big` of
# 1 000 000 rows (through the SQL endpoint). PAIGE_DATA_DIR as for run.sh (default ./var).
set -euo pipefail
dir="${PAIGE_DATA_DIR:-$PWD/var}"
key=$(head -n1 "$dir/admin-token"); project=$(cat "$dir/demo-project")
api="http://127.0.0.1:8080/v1/projects/$project"
sql() { curl -sf -H "Authorization: Bearer $key" -X POST "$api/sql" \
  -d "$(python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1]}))' "$1")"; echo; }
python3 - <<'PY'
import json, urllib.request, concurrent.futures
def post(first):  # 100 contacts per webhook, 8 at a time
    msgs = [{"wa_id": str(491700000000 + i), "name": "User %d" % i,
             "message": {"type": "text", "text": {"body": "hello"}}} for i in range(first, first + 100)]
    urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:9090/control/numbers/1001/inbound",
        data=json.dumps({"messages": msgs}).encode(), method="POST"), timeout=120).read()
with concurrent.futures.ThreadPoolExecutor(8) as ex: list(ex.map(post, range(0, 100000, 100)))
PY
curl -sf -H "Authorization: Bearer $key" -X POST "$api/tables" -o /dev/null \
  -d '{"name":"big","columns":[{"name":"name","type":"text"},{"name":"n","type":"integer"},{"name":"tag","type":"text"},{"name":"at","type":"timestamptz"}]}'
for k in 0 1 2 3 4; do  # 200 000 rows per statement: within the SQL endpoint's timeout
  sql "INSERT INTO big (name, n, tag, at) SELECT 'row ' || g, ((g::bigint * 7919) % 1000003)::int,
       CASE WHEN g % 1000 = 0 THEN 'rare' ELSE 'common' END, now() - g * interval '1 second'
       FROM generate_series($((k * 200000 + 1)), $(((k + 1) * 200000))) g" >/dev/null
done
sql "ANALYZE big" >/dev/null
sql "SELECT (SELECT count(*) FROM conversations) AS conversations, (SELECT count(*) FROM big) AS rows"
