#!/usr/bin/env bash
# Fails if a layer reaches past its neighbours (docs/architecture.md, "Layers"): the HTTP API
# speaks no SQL (storage owns every statement), the pure core links no actor, network or
# database library, and storage knows nothing of actors or HTTP. The test command runs it
# (CTest: layers.check).
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
refuse() {  # refuse <what> <pattern> <dirs...>
  local what=$1 pattern=$2
  shift 2
  if grep -rnE "$pattern" "$@" --include='*.cpp' --include='*.hpp'; then
    echo "^ $what" >&2
    status=1
  fi
}
refuse "api/ must not use pqxx or SQL: add a named function in storage/" \
  'pqxx|SET LOCAL|SELECT |INSERT INTO|UPDATE [a-z_]+ SET|DELETE FROM' api
refuse "actors/core/ must not depend on CAF, Beast/Asio or pqxx" \
  '#include <(caf|boost|pqxx)/' actors/core
refuse "storage/ must not depend on actors, api or CAF" \
  '#include ("(actors|api)/|<caf/)' storage
exit $status
