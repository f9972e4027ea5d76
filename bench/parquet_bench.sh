#!/usr/bin/env bash
# parquet_bench.sh [MB] - throughput of `sciprune ingest --parquet` on a generated Parquet file
# of about MB (default 100) of code text (tests/e2e/parquet_write.mjs --big: 4000-row row
# groups, content pages zstd, other columns snappy). Alternates the converter alone (JSONL to
# /dev/null) and the whole ingest (JSONL -> lang names -> zstd shards), twice each; wall and
# CPU seconds and peak RSS from /usr/bin/time. Results: bench/parquet_results.md.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
S=${SCIPRUNE_BIN:-$here/build/cli/sciprune}
MB=${1:-100}
T=$(mktemp -d /tmp/sciprune-parquet-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
export SCIPRUNE_NO_PROGRESS=1
node "$here/tests/e2e/parquet_write.mjs" "$T" --big "$MB"
ls -l "$T/big.parquet"
for i in 1 2; do
  /usr/bin/time -f "run $i converter only:   %e s wall, %U+%S s CPU, %M KB peak RSS" \
    node "$here/scripts/parquet2shard.js" "$T/big.parquet" > /dev/null
  rm -rf "$T/shards"
  /usr/bin/time -f "run $i ingest --parquet: %e s wall, %U+%S s CPU, %M KB peak RSS" \
    "$S" ingest --parquet "$T/big.parquet" --out "$T/shards"
done
du -b "$T"/shards/*.jsonl.zst
uptime
