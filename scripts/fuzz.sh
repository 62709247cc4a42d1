#!/usr/bin/env bash
# Fuzzes Paige's parsers with libFuzzer (clang 14, AddressSanitizer, UBSan).
#   scripts/fuzz.sh [seconds] [target...]   each target for `seconds` (default 60), two at a time
#   scripts/fuzz.sh --merge [target...]     adds the inputs fuzzing kept to the seed corpora
#                                           (tests/fuzz/corpus, replayed by the test suite)
# FUZZ_JOBS: targets run at once (default: the number of cores).
# Targets: webhook_codec http_request json_body bot column_values cursor (default: all).
# Build in build-fuzz/; new inputs in build-fuzz/corpus/<target>, crashes (each a file
# to replay with build-fuzz/tests/fuzz/fuzz_<target> <file>) in build-fuzz/crashes/<target>.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
missing=()
for p in clang-14 libfuzzer-14-dev libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

merge=false
seconds=60
if [ "${1:-}" = "--merge" ]; then merge=true; shift
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then seconds=$1; shift; fi
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(webhook_codec http_request json_body bot column_values cursor)

build=build-fuzz
CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPAIGE_FUZZ=ON \
  -DCMAKE_CXX_COMPILER_LAUNCHER= >/dev/null
cmake --build "$build" --target "${targets[@]/#/fuzz_}"

if $merge; then
  for t in "${targets[@]}"; do
    mkdir -p "$build/corpus/$t"
    "$build/tests/fuzz/fuzz_$t" -merge=1 "tests/fuzz/corpus/$t" "$build/corpus/$t"
  done
  exit 0
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
run() {
  local t=$1
  mkdir -p "$build/corpus/$t" "$build/crashes/$t"
  local status=0
  "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$build/crashes/$t/" "$build/corpus/$t" "tests/fuzz/corpus/$t" > "$build/fuzz-$t.log" 2>&1 || status=$?  # set -e would end run() before the summary
  echo "$t: exit $status, $(grep -c '' < <(ls "$build/crashes/$t")) crash file(s), $(tail -n 12 "$build/fuzz-$t.log" | grep -E 'stat::number_of_executed_units|cov:' | tr '\n' ' ')"
  return $status
}
failed=0
jobs_running=0
for t in "${targets[@]}"; do
  run "$t" &
  jobs_running=$((jobs_running + 1))
  if [ $jobs_running -ge "${FUZZ_JOBS:-$(nproc)}" ]; then wait -n || failed=1; jobs_running=$((jobs_running - 1)); fi
done
while [ $jobs_running -gt 0 ]; do wait -n || failed=1; jobs_running=$((jobs_running - 1)); done
exit $failed
