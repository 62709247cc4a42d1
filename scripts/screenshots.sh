#!/usr/bin/env bash
# Refreshes docs/screenshots/ (linked from the README): every dashboard page, in Debian's
# chromium, against a real paige and simulator with a little demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
mkdir -p docs/screenshots
build/tests/paige-testpg start build/testpg-shots >/dev/null
trap 'build/tests/paige-testpg stop build/testpg-shots >/dev/null' EXIT
SCREENSHOTS_DIR="$PWD/docs/screenshots" PAIGE_TEST_PG_FILE="$PWD/build/testpg-shots/conninfo" \
  build/tests/browser_tests "[.screenshots]"
