# Shared by the bench scripts: start the built paige on its own embedded Postgres in a
# temporary directory. After `start_paige [extra serve args...]`: $dir, $pid, $port, $key are
# set and the server is stopped (and $dir removed) on exit.
bin="${PAIGE_BIN:-build/runtime/paige}"
key="bench-admin-key-0123456789"

start_paige() {
  dir=$(mktemp -d /tmp/paige-bench-XXXXXX)
  chmod 711 "$dir"
  "$bin" serve --data-dir "$dir" --listen 127.0.0.1:0 --app-secret bench --verify-token bench \
    --admin-token "$key" --log-level info "$@" 2>"$dir/server.log" >/dev/null &
  pid=$!
  trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
  for _ in $(seq 1 600); do
    port=$(grep -o 'event=http.listening addr=127.0.0.1:[0-9]*' "$dir/server.log" | sed 's/.*://' || true)
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  echo "server did not start"
  cat "$dir/server.log"
  exit 1
}
