#!/usr/bin/env bash
# The demo: set up what is missing, build, turn this machine's Python standard library and
# installed Python packages into shards, and run the pipeline on them.
#   scripts/demo.sh [WORKDIR]      (default: demo-work/)
set -euo pipefail
cd "$(dirname "$0")/.."
W=${1:-demo-work}
bash scripts/setup.sh
[ -f build/build.ninja ] || meson setup build --buildtype=debugoptimized >/dev/null
ninja -C build >/dev/null
S=build/cli/sciprune
export OMP_WAIT_POLICY=PASSIVE
mkdir -p "$W"
srcs=()
for d in /usr/lib/python3.11 /usr/lib/python3/dist-packages /usr/local/lib/python3.11/dist-packages; do
  [ -d "$d" ] && srcs+=("$d")
done
echo "== ingest: ${srcs[*]}"
$S ingest "${srcs[@]}" --out "$W/shards" --docs-per-shard 2000
echo "== check: account for every record"
$S check --in "$W"/shards/*.jsonl.zst --out "$W/check"
echo
echo "shards:   $W/shards/"
echo "summary:  $W/check/check.json"
echo "rejected: $W/check/rejected/ (empty when every record is valid)"
