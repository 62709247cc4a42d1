#!/usr/bin/env bash
# Fails if a C++ source differs from what clang-format (.clang-format) makes of it; the test
# command runs it (CTest: format.check). scripts/check-format.sh --fix rewrites them instead.
set -euo pipefail
cd "$(dirname "$0")/.."
format=$(command -v clang-format-14 || command -v clang-format || true)
if [ -z "$format" ]; then
  echo "clang-format is missing: scripts/install-deps.sh installs it" >&2
  exit 1
fi
mapfile -t files < <(find actors api bench common runtime storage tests \( -name '*.cpp' -o -name '*.hpp' \) | sort)
if [ "${1:-}" = "--fix" ]; then
  "$format" -i "${files[@]}"
else
  "$format" --dry-run --Werror "${files[@]}"
fi
