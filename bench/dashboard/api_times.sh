#!/usr/bin/env bash
# Times (three runs each, seconds) the API calls the dashboard's pages make, after seed.sh.
set -euo pipefail
dir="${PAIGE_DATA_DIR:-$PWD/var}"
key=$(head -n1 "$dir/admin-token"); project=$(cat "$dir/demo-project")
api="http://127.0.0.1:8080/v1/projects/$project"
t() {
  local out=""
  for _ in 1 2 3; do out+="$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $key" "$api$1") "; done
  echo "$1 : $out"
}
next() { curl -s -H "Authorization: Bearer $key" "$api$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["next_cursor"])'; }
t "/tables/big/rows?limit=50"
t "/tables/big/rows?limit=50&cursor=$(next "/tables/big/rows?limit=50")"
t "/tables/big/rows?limit=50&order_by=n"
t "/tables/big/rows?limit=50&order_by=n&desc=true"
t "/tables/big/rows?limit=50&order_by=n&cursor=$(next "/tables/big/rows?limit=50&order_by=n")"
t "/tables/big/rows?limit=50&where.tag=common"
t "/tables/big/rows?limit=50&where.tag=rare"
t "/tables/big/rows?limit=50&where.tag=none"
t "/tables/big"
t "/conversations?status=open&limit=50"
t "/conversations/states"
t "/conversations?status=open&limit=50&search=4917000"
t "/conversations?status=open&limit=50&search=User%2099999"
t "/contacts?limit=50"
