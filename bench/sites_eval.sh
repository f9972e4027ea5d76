#!/usr/bin/env bash
# Held-out recall of the site detectors (metric `sites`, issue 17) on a corpus of shards:
#   1. split the records by a hash of their id into halves A and B (bench/sites_eval.py split)
#   2. embed A with --features all,sites: the detectors are trained on A's sites only
#   3. corrupt B (seed 7; the content types the detectors cover plus delete-statement, and the
#      rest for reference), 100 variants per language x type
#   4. embed B and B's variants with A's spec (embedder.json, idf.npy, sites.npy copied): the
#      scores of records the detectors never saw
#   5. recall at p per type: the clean B records plus one type's variants, pruned by the
#      top floor(p * n + 0.5) scores (ties by a hash of the id), as analyze ranks a metric;
#      random for reference (bench/sites_eval.py recall)
#   bench/sites_eval.sh OUTDIR SHARD...
set -euo pipefail
cd "$(dirname "$0")/.."
O=${1:?outdir}; shift
S=${SCIPRUNE_BIN:-$PWD/build/cli/sciprune}  # the binary under test
export OMP_WAIT_POLICY=PASSIVE SCIPRUNE_NO_PROGRESS=1
mkdir -p "$O"
/usr/bin/python3 bench/sites_eval.py split "$O" "$@"
rm -rf "$O/wa" "$O/wb" "$O/corrupt"
/usr/bin/time -f 'embed A %e s %M KiB' "$S" embed --in "$O/a.jsonl.zst" --workdir "$O/wa" --threads 1 --features all,sites > /dev/null
"$S" corrupt --in "$O/b.jsonl.zst" --out "$O/corrupt" --langs python,javascript --per-type 100 --seed 7 --threads 1 > "$O/corrupt.txt"
mkdir -p "$O/wb/embed"
cp "$O/wa/embed/embedder.json" "$O/wa/embed/idf.npy" "$O/wa/embed/sites.npy" "$O/wb/embed/"
/usr/bin/time -f 'embed B %e s %M KiB' "$S" embed --in "$O/b.jsonl.zst" "$O"/corrupt/corrupt-*.jsonl.zst --workdir "$O/wb" --threads 1 --features all,sites > /dev/null
/usr/bin/python3 bench/sites_eval.py recall "$O"
