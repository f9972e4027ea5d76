#!/usr/bin/env bash
# e2e_index.sh - index, score and prune through the real binary on a synthetic corpus
# (tests/e2e/index_data.py), checked independently by tests/e2e/index_check.py (numpy,
# python3-faiss, libxxhash via ctypes), plus: byte-identical outputs for 1, 2 and 3 threads,
# a training sample independent of shard order, k lowered with a warning on tiny inputs, and
# clear failures on a changed shard or a missing input.
set -euo pipefail
BIN=${SCIPRUNE_BIN:?}
SRC=${SCIPRUNE_SOURCE_ROOT:?}/tests/e2e
PY=/usr/bin/python3
export OMP_WAIT_POLICY=PASSIVE
T=$(mktemp -d /tmp/sciprune-e2e-index-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

$PY "$SRC/index_data.py" "$T/data"
METRICS=size,distance,distance-pc,combined,combined-pc,random,length

for t in 1 2 3; do
  W=$T/w$t
  mkdir -p "$W"
  cp -r "$T/data/work/embed" "$W/"
  "$BIN" index --workdir "$W" --k 8 --nredo 5 --threads $t 2>"$T/index$t.err" || { cat "$T/index$t.err"; fail "index"; }
  "$BIN" score --workdir "$W" --metrics $METRICS --ratios 0.02,0.2 --alphas 0.2,0.8 --threads $t 2>/dev/null || fail "score"
  "$BIN" prune --workdir "$W" --write-removed --threads $t 2>/dev/null || fail "prune"
done
$PY "$SRC/index_check.py" "$T/w1" --truth "$T/data/truth.json" --removed || fail "cross-check"
grep -q "k lowered" "$T/index1.err" && fail "k lowered on a big enough input"

# Same bytes whatever the thread count (JSON: apart from timing fields; md: apart from Stages).
strip_json() {
  $PY -c '
import json, sys
def s(o):
    if isinstance(o, dict):
        return {k: s(v) for k, v in o.items() if k not in ("seconds", "peak_rss", "threads", "stages")}
    if isinstance(o, list):
        return [s(v) for v in o]
    return o
print(json.dumps(s(json.load(open(sys.argv[1]))), sort_keys=True))' "$1"
}
for t in 2 3; do
  (cd "$T/w1" && find . -type f | sort) > "$T/files1"
  (cd "$T/w$t" && find . -type f | sort) > "$T/files$t"
  cmp -s "$T/files1" "$T/files$t" || fail "threads=$t: different file list"
  n=0
  while read -r f; do
    case "$f" in
      *.json) [ "$(strip_json "$T/w1/$f")" = "$(strip_json "$T/w$t/$f")" ] || fail "threads=$t: $f differs" ;;
      *.md) cmp -s <(sed '/^## Stages/,$d' "$T/w1/$f") <(sed '/^## Stages/,$d' "$T/w$t/$f") || fail "threads=$t: $f differs" ;;
      *) cmp -s "$T/w1/$f" "$T/w$t/$f" || fail "threads=$t: $f differs"; n=$((n + 1)) ;;
    esac
  done < "$T/files1"
  echo "threads=$t: $n data files byte-identical to threads=1"
done

# The training sample does not depend on shard order: reversed --in gives the same centroids.
W=$T/rev; mkdir -p "$W"; cp -r "$T/data/work/embed" "$W/"; rm "$W/embed/shards.json"
S=$T/data/shards
"$BIN" index --workdir "$W" --k 8 --nredo 5 --train-only --in "$S/c.jsonl" "$S/b.jsonl.zst" "$S/a.jsonl" 2>/dev/null || fail "index reversed"
cmp -s "$W/index/centroids.npy" "$T/w1/index/centroids.npy" || fail "centroids depend on shard order"
cmp -s "$W/index/kmeans.faiss" "$T/w1/index/kmeans.faiss" || fail "index depends on shard order"
# ... and prune takes its decisions from score/, so the --in order does not matter either.
W=$T/w1
"$BIN" prune --workdir "$W" --threads 2 --in "$S/c.jsonl" "$S/a.jsonl" "$S/b.jsonl.zst" 2>/dev/null || fail "prune reordered"
cmp -s "$W/out/combined-p0.20-a0.80/kept/b.jsonl.zst" "$T/w2/out/combined-p0.20-a0.80/kept/b.jsonl.zst" || fail "prune depends on --in order"

# Tiny input: k lowered with a warning, in train.json and the report.
W=$T/tiny; mkdir -p "$W/embed"
$PY -c "
import numpy as np
np.save('$W/embed/t.jsonl.npy', np.random.default_rng(1).normal(size=(100, 8)).astype(np.float32))"
"$BIN" index --workdir "$W" --k 10 2>"$T/tiny.err" || fail "index tiny"
grep -q "k lowered from 10 to 2" "$T/tiny.err" || { cat "$T/tiny.err"; fail "no warning on stderr"; }
$PY -c "
import json, numpy as np
t = json.load(open('$W/index/train.json'))
assert t['k'] == 2 and t['k_requested'] == 10 and 'k lowered' in t['warnings'][0], t
assert np.load('$W/index/centroids.npy').shape == (2, 8)
" || fail "k not lowered in train.json"

# Failures: a changed shard, length without shard paths, no embeddings.
W=$T/w3
cp "$S/a.jsonl" "$T/a.jsonl"; echo '{"id":"extra","content":"x"}' >> "$T/a.jsonl"
if "$BIN" prune --workdir "$W" --in "$T/a.jsonl" 2>"$T/err"; then fail "prune accepted a changed shard"; fi
grep -q "ESTATE" "$T/err" || { cat "$T/err"; fail "changed shard: no ESTATE"; }
rm "$W/embed/shards.json"
if "$BIN" score --workdir "$W" --metrics length 2>"$T/err"; then fail "length without shards"; fi
grep -q "length" "$T/err" || { cat "$T/err"; fail "length: unclear error"; }
if "$BIN" index --workdir "$T/nothing" 2>"$T/err"; then fail "index without embeddings"; fi
echo "e2e_index: ok"
