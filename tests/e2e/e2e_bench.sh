#!/usr/bin/env bash
# e2e_bench.sh - the benchmark's Python reference pipeline (bench/reference/scip_ref.py: numpy +
# python3-faiss + python3-zstandard) prunes exactly what sciprune index + score + prune prune,
# on the same vectors, seed and sample, and writes the same kept lines; and the FAISS k-means
# floor (build/bench/bench_kmeans) runs on the sample the reference dumps.
# The corpus: the generated corpus's Python files (tests/corpus/make_corpus.py), repeated with distinct ids so that the k-means sample is a
# strict subset (N > 256 k) and exact distance ties occur; plus a shard with rejected lines.
set -euo pipefail
BIN=${SCIPRUNE_BIN:?}
SRC=${SCIPRUNE_SOURCE_ROOT:?}
PY=/usr/bin/python3
export OMP_WAIT_POLICY=PASSIVE
# scripts/setup.sh installs these: a missing one is a broken setup, not a reason to skip
$PY -c 'import faiss, xxhash, zstandard' || { echo "FAIL: python3-faiss/xxhash/zstandard missing (scripts/setup.sh)" >&2; exit 1; }
T=$(mktemp -d /tmp/sciprune-e2e-bench-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$T/src" "$T/shards"
$PY "$SRC/tests/corpus/make_corpus.py" --seed 1 --src "$T/gen" || fail make_corpus
ls "$T"/gen/py_*/*.py | sort | sed -n 1,150p | xargs -I{} cp {} "$T/src/"
[ "$(ls "$T/src" | wc -l)" = 150 ] || fail "expected 150 Python files"
"$BIN" ingest "$T/src" --out "$T/one" --docs-per-shard 1000 2>/dev/null
$PY - "$T/one" "$T/shards" <<'PY'
import glob, json, subprocess, sys
lines = []
for s in sorted(glob.glob(sys.argv[1] + "/*.jsonl.zst")):
    lines += subprocess.run(["zstd", "-dc", s], capture_output=True, check=True).stdout.splitlines()
out, i = [], 0
for r in range(8):
    for l in lines:
        o = json.loads(l); o["id"] = "%s#%d" % (o["id"], r)
        out.append(json.dumps(o).encode() + b"\n")
for s in range(3):
    part = b"".join(out[s::3])
    subprocess.run(["zstd", "-q", "-f", "-o", "%s/part-%d.jsonl.zst" % (sys.argv[2], s)], input=part, check=True)
open(sys.argv[2] + "/bad.jsonl", "wb").write(b"".join(out[:40]) + b"not json\n" + b"".join(out[40:80]) + b"{}\n")
PY
W=$T/w
"$BIN" embed --in "$T"/shards/* --workdir "$W" --threads 2 2>/dev/null || fail embed
"$BIN" index --workdir "$W" --k 4 --threads 2 2>/dev/null || fail index
"$BIN" score --workdir "$W" --threads 2 2>/dev/null || fail score
"$BIN" prune --workdir "$W" --threads 2 --no-fsync 2>/dev/null || fail prune
n=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["n_sample"])' "$W/index/train.json" 2>/dev/null || echo ?)
$PY "$SRC/bench/reference/scip_ref.py" "$W" "$T/ref" --k 4 --threads 2 || fail "reference pipeline"
$PY - "$W" "$T/ref" <<'PY' || fail "sample size"
import json, sys
r = json.load(open(sys.argv[2] + "/ref.json"))
assert r["sample"] == 256 * r["k"] < r["accepted"], r
PY
$PY "$SRC/bench/reference/compare.py" "$W" "$T/ref" || fail "reference selection differs from sciprune"
# 1 thread in the reference: same selection
$PY "$SRC/bench/reference/scip_ref.py" "$W" "$T/ref1" --k 4 --threads 1 || fail "reference pipeline, 1 thread"
$PY "$SRC/bench/reference/compare.py" "$W" "$T/ref1" || fail "reference (1 thread) differs"
# FAISS k-means alone, on the sample the reference dumps, finds sciprune's centroids bit for bit
KM=${SCIPRUNE_BUILD_ROOT:-$(dirname "$(dirname "$BIN")")}/bench/bench_kmeans
[ -x "$KM" ] || fail "no $KM (built with the project: bench/meson.build)"
$PY "$SRC/bench/reference/scip_ref.py" "$W" "$T/ref" --k 4 --dump-sample "$T/sample.npy" || fail "dump sample"
"$KM" "$T/sample.npy" 4 20 1234 1 "$W/index/centroids.npy" > "$T/km.json" || fail bench_kmeans
grep -q '"same_centroids": true' "$T/km.json" || fail "bench_kmeans centroids differ: $(cat "$T/km.json")"
echo "e2e_bench: ok"
