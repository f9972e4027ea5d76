#!/usr/bin/env bash
# Fuzz every libFuzzer target in tests/fuzz/ for N minutes each (default 10), FUZZ_JOBS at a
# time (default 2), at the lowest CPU priority. Usage:
#   scripts/fuzz.sh [minutes] [target ...]      targets: jsonline shard_reader npy config
#                                               exec_embed gates (default: all)
# Builds build-fuzz/ with clang-14, libFuzzer, ASan and UBSan (-Dfuzz=enabled; packages:
# scripts/setup.sh --fuzz). Each target starts from its committed seeds tests/fuzz/corpus/<t>/
# and grows build-fuzz/fuzz/corpus/<t>/ (not committed: copy a crash's input, once fixed, to
# tests/fuzz/corpus/<t>/crash-<what> as its regression seed). Crash inputs land in
# build-fuzz/fuzz/crashes/<t>/, logs in build-fuzz/fuzz/<t>.log. Prints a Markdown table of
# executions, execs/s, coverage (libFuzzer's final cov: edges and ft: features) and crashes,
# also written to build-fuzz/fuzz/summary.md. Exit status 1 when a target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
shift || true
all=(jsonline shard_reader npy config exec_embed gates)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
jobs=${FUZZ_JOBS:-2}
if ! command -v clang-14 >/dev/null 2>&1; then
  echo "fuzz.sh: clang-14 not found: run scripts/setup.sh --fuzz" >&2
  exit 2
fi
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang-14 CXX=clang++-14 meson setup build-fuzz -Dfuzz=enabled \
    -Db_sanitize=address,undefined -Db_lundef=false --buildtype=debugoptimized >/dev/null
fi
ninja -C build-fuzz $(printf 'tests/fuzz/fuzz_%s ' "${targets[@]}") >/dev/null
out=build-fuzz/fuzz
mkdir -p "$out"
# third-party frames only: see tests/sanitize/README.md
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/sanitize/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:suppressions=$PWD/tests/sanitize/ubsan.supp}
export OMP_WAIT_POLICY=PASSIVE SCIPRUNE_NO_PROGRESS=1

run_one() {
  local t=$1 max_len=4096
  [ "$t" = gates ] && max_len=8192
  mkdir -p "$out/corpus/$t" "$out/crashes/$t"
  nice -n 19 "build-fuzz/tests/fuzz/fuzz_$t" -max_total_time=$((minutes * 60)) \
    -max_len=$max_len -timeout=60 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$out/crashes/$t/" "$out/corpus/$t" "tests/fuzz/corpus/$t" \
    >"$out/$t.log" 2>&1 || true
}
export -f run_one
export out minutes
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}'

status=0
{
  echo "| target | minutes | executions | execs/s | cov | ft | corpus | crashes |"
  echo "|---|---|---|---|---|---|---|---|"
  for t in "${targets[@]}"; do
    log="$out/$t.log"
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    corp=$(ls "$out/corpus/$t" | wc -l)
    crashes=$(ls "$out/crashes/$t" | wc -l)
    [ "$crashes" = 0 ] || status=1
    echo "| $t | $minutes | ${execs:-?} | ${eps:-?} | ${cov:-?} | ${ft:-?} | $corp | $crashes |"
  done
} | tee "$out/summary.md"
exit $status
