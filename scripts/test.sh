#!/usr/bin/env bash
# The test command: set up what is missing (scripts/setup.sh), build, run every test with
# `meson test -v` (so cmocka's summary lines print). Exit status is meson's.
#   scripts/test.sh [meson test args]              build/ (debugoptimized)
#   scripts/test.sh --sanitize [meson test args]   build-sanitize/: gcc ASan + UBSan
#       (-fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer
#       -fno-sanitize-recover=all:
#       UBSan halts on the first finding), the same tests; suppressions for third-party frames
#       only, in tests/sanitize/ (README there). Timeouts x4.
set -euo pipefail
cd "$(dirname "$0")/.."
sanitize=0
if [ "${1:-}" = --sanitize ]; then
  sanitize=1
  shift
fi
bash scripts/setup.sh
export OMP_WAIT_POLICY=PASSIVE
dir=build
opts=(--buildtype=debugoptimized)
test_opts=()
if [ $sanitize = 1 ]; then
  dir=build-sanitize
  flags='-fno-omit-frame-pointer -fsanitize=float-cast-overflow -fno-sanitize-recover=all'
  opts+=(-Db_sanitize=address,undefined -Db_lundef=false "-Dc_args=$flags" "-Dcpp_args=$flags")
  test_opts=(--timeout-multiplier 4)
fi
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" "${opts[@]}"
else
  meson setup --reconfigure "$dir" >/dev/null
fi
ninja -C "$dir"
# SCIPRUNE_TEST_EXCLUDE: a regular expression (grep -E, whole name) of tests to leave out when
# no test is named (.ci/run uses it for the sanitized pass)
if [ -n "${SCIPRUNE_TEST_EXCLUDE:-}" ] && [ $# -eq 0 ]; then
  mapfile -t names < <(meson test -C "$dir" --list 2>/dev/null | grep -E '^[A-Za-z0-9_.-]+$' |
                       grep -vxE "$SCIPRUNE_TEST_EXCLUDE")
  set -- "${names[@]}"
fi
if [ $sanitize = 1 ]; then
  # reports go to files (printed at the end): a report from a CLI run whose failure a test
  # expected (or whose stderr it dropped) must still fail the run
  sup="$PWD/tests/sanitize"
  logs="$PWD/$dir/sanitizer-logs"
  rm -rf "$logs"
  mkdir -p "$logs"
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1:log_path=$logs/asan"
  export LSAN_OPTIONS="suppressions=$sup/lsan.supp:print_suppressions=0"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$sup/ubsan.supp:log_path=$logs/ubsan"
fi
rc=0
meson test -C "$dir" -v --num-processes "${SCIPRUNE_TEST_JOBS:-2}" "${test_opts[@]}" "$@" || rc=$?
if [ $sanitize = 1 ] && [ -n "$(ls -A "$logs")" ]; then
  echo "test.sh: sanitizer reports in $logs:" >&2
  cat "$logs"/* >&2
  [ $rc != 0 ] || rc=1
fi
exit $rc
