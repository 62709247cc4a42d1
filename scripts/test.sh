#!/usr/bin/env bash
# The README's second command: installs what is missing, builds, and runs every test.
#   scripts/test.sh            Release build in build/
#   scripts/test.sh --asan     AddressSanitizer + UBSan build in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

cmake_args=()
if [ "${1:-}" = "--asan" ]; then
  export BUILD_DIR=build-asan
  cmake_args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DPAIGE_SANITIZE=ON)
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
  export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
fi
build_dir="${BUILD_DIR:-build}"
start=$(date +%s)
scripts/build.sh "${cmake_args[@]}"
echo "build took $(( $(date +%s) - start )) s"
ctest --test-dir "$build_dir" --output-on-failure --timeout 300 -j "$(nproc)"
