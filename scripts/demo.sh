#!/usr/bin/env bash
# The demo: set up what is missing, build, turn this machine's Python standard library and
# installed Python packages into shards, and run the SCIP job of data/configs/default.json on
# them (embed -> index -> score -> prune + report). Outputs in demo-work/.
set -euo pipefail
cd "$(dirname "$0")/.."
W=demo-work
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
echo "== run: data/configs/default.json"
# a re-ingest rewrites the shards (new mtimes, same bytes): the manifest compares content hashes
$S run --config data/configs/default.json
echo
echo "shards:   $W/shards/"
echo "accounts: $W/check/check.json (rejected lines in $W/check/rejected/)"
echo "report:   $W/run/report.md"
echo "pruned:   $W/run/out/<variant>/kept/"
