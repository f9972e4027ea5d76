#!/usr/bin/env bash
# A/B of the embed stage alone: two sciprune binaries on the same shard, run in turn
# (A B A B ...), 1 thread, with and without the gates; wall seconds per run, the ratio B/A per
# pair, its median and range.
#   bench/ab_embed.sh A_BIN B_BIN SHARD [PAIRS]
# E.g. the first 3000 records of a bench shard:
#   zstd -dc bench/out/small/corpus/part-00002.jsonl.zst | head -3000 | zstd -q -o /tmp/mix.jsonl.zst
set -euo pipefail
A=${1:?A binary}; B=${2:?B binary}; SHARD=${3:?shard}; PAIRS=${4:-4}
T=$(mktemp -d /tmp/sciprune-ab-embed.XXXXXX)
trap 'rm -rf "$T"' EXIT
export OMP_WAIT_POLICY=PASSIVE SCIPRUNE_NO_PROGRESS=1
for g in "" "--gates"; do
  for i in $(seq 1 "$PAIRS"); do
    for side in A B; do
      bin=$A; [ $side = B ] && bin=$B
      rm -rf "$T/w"
      /usr/bin/time -f '%e' -o "$T/t" "$bin" embed --in "$SHARD" --workdir "$T/w" --threads 1 $g > /dev/null 2>&1
      echo "${g:-plain} $i $side $(cat "$T/t")" >> "$T/times"
    done
  done
done
/usr/bin/python3 - "$T/times" <<'PY'
import sys, statistics, collections
t = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    g, i, side, s = line.split()
    t[(g, i)][side] = float(s)
for g in ("plain", "--gates"):
    r = [v["B"] / v["A"] for (gg, i), v in t.items() if gg == g]
    print(f"embed {g:8s} B/A median {statistics.median(r):.3f} range {min(r):.3f}-{max(r):.3f} ({len(r)} pairs)")
PY
