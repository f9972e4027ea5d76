#!/usr/bin/env bash
# Throughput of in-process judging (sciprune_model_judge_doc, one file per call, 1 thread)
# against the batch embed stage with the gates (1 thread), A/B pairs alternated.
#   bench/ab_judge.sh [SHARD] [RECORDS] [PAIRS]
# Default: the first 3000 records of the small bench corpus' part-00002 (bench/run.sh makes it).
# A model is made from those records first (sciprune run: hash embedder, k = 100,
# gate+distance at p = 0.2, exported), then build/bench/bench_judge runs the pairs.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARD=${1:-bench/out/small/corpus/part-00002.jsonl.zst}; N=${2:-3000}; PAIRS=${3:-5}
T=$(mktemp -d /tmp/sciprune-ab-judge.XXXXXX)
trap 'rm -rf "$T"' EXIT
export OMP_WAIT_POLICY=PASSIVE SCIPRUNE_NO_PROGRESS=1
mkdir -p "$T/in"
{ zstd -dcq "$SHARD" || true; } | head -n "$N" | zstd -q -o "$T/in/mix.jsonl.zst" # head closes the pipe early
cat > "$T/job.json" <<JSON
{"inputs": ["in/mix.jsonl.zst"], "workdir": "w", "threads": 1,
 "score": {"metrics": ["gate+distance"], "ratios": [0.2]}, "prune": {"fsync": false},
 "export": {"variant": "gate+distance-p0.20", "out": "model"}}
JSON
build/cli/sciprune run --config "$T/job.json" > /dev/null 2>&1
build/bench/bench_judge "$T/model" "$T/in/mix.jsonl.zst" "$PAIRS"
