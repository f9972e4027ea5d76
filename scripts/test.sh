#!/usr/bin/env bash
# The test command: set up what is missing (scripts/setup.sh), build, run every test with
# `meson test -v` (so cmocka's summary lines print). Exit status is meson's.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export OMP_WAIT_POLICY=PASSIVE
if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=debugoptimized
else
  meson setup --reconfigure build >/dev/null
fi
ninja -C build
meson test -C build -v --num-processes "${SCIPRUNE_TEST_JOBS:-2}" "$@"
