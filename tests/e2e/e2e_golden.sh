#!/usr/bin/env bash
# e2e_golden.sh - byte identity of the whole pipeline against recorded hashes.
# The generated corpus (tests/corpus/make_corpus.py, seed 1) is ingested, a few corrupted variants
# are made with `sciprune corrupt`, a shard with one bad line is added, and `sciprune run` runs
# tests/cases/golden/job.json (gates on; gate+distance, distance, combined α 0.2 and 0.8, size,
# random, length at p = 0.2; removed shards written; corrupt and analyze stages; 2 threads).
# The sha256 of every output meant to be deterministic must equal tests/cases/golden/hashes.txt:
# ingest shards, `corrupt` outputs, embed/*.npy, assign/*.npy, index/centroids.npy,
# score/*.prune.npy, gates/*.npy, out/*/kept/*, out/*/removed/*, out/rejected/*, the run's
# corrupt/ shards and labels, analyze/*.npy and variants.jsonl, and the JSON reports and
# summaries with their timing, memory, thread and path fields removed (canonical JSON).
# The same job with --threads 1 must give the same hashes.
# GOLDEN_REGEN=1 writes hashes.txt instead of comparing (tests/cases/golden/regen.sh).
set -euo pipefail
BIN=${SCIPRUNE_BIN:?}
SRC=${SCIPRUNE_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=/usr/bin/python3
export OMP_WAIT_POLICY=PASSIVE SCIPRUNE_NO_PROGRESS=1
# OpenBLAS picks its kernels by CPU, and the last bits of the assignment distances (an sgemm
# inside FAISS) follow the kernel: pin one that every x86-64 CPU since 2008 runs, so the hashes
# hold on any machine (a fresh bookworm chroot on this host, without the host's
# OPENBLAS_CORETYPE=Haswell, gave other dist.npy bytes and the same everything else).
export OPENBLAS_CORETYPE=Nehalem
G=$SRC/tests/cases/golden
T=$(mktemp -d /tmp/sciprune-e2e-golden-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

$PY "$SRC/tests/corpus/make_corpus.py" --seed 1 --src "$T/src" || fail "make_corpus"
"$BIN" ingest "$T/src" --out "$T/shards" --docs-per-shard 100 2>/dev/null || fail ingest
# the input variants: unstratified (--strata 1), so the inputs stay those recorded; the job's
# own corrupt stage is stratified (corrupt.strata default 10)
"$BIN" corrupt --in "$T"/shards/*.jsonl.zst --out "$T/variants" --langs python,javascript,c \
  --per-type 3 --seed 7 --strata 1 --threads 2 >/dev/null 2>&1 || fail corrupt
printf '%s\n' '{"id":"bad-1","content":"x = 1"' \
  '{"id":"ok-1","content":"def f(x):\n    return x\n","lang":"python"}' > "$T/shards/zz-bad.jsonl"
cp "$G/job.json" "$T/job.json"
"$BIN" run --config "$T/job.json" > "$T/out2.txt" 2> "$T/err2.txt" || { cat "$T/err2.txt"; fail "run (2 threads)"; }
"$BIN" run --config "$T/job.json" --workdir "$T/w1" --threads 1 > /dev/null 2> "$T/err1.txt" \
  || { cat "$T/err1.txt"; fail "run (1 thread)"; }
for st in embed index score prune corrupt analyze; do
  grep -q "run: $st *done" "$T/err2.txt" || { cat "$T/err2.txt"; fail "stage $st did not run"; }
done

# hashes W PREFIX: "<sha256>  <name>" for every deterministic file, sorted by name
hashes() {
  local w=$1
  (
    cd "$T"
    ls shards/* variants/*.jsonl.zst variants/labels.jsonl
    cd "$w"
    ls embed/*.npy assign/*.npy index/centroids.npy score/*.prune.npy gates/*.npy \
       out/*/kept/* out/*/removed/* out/rejected/* corrupt/*.jsonl.zst corrupt/labels.jsonl \
       analyze/*.npy analyze/variants.jsonl | sed 's|^|W/|'
  ) | LC_ALL=C sort | while read -r f; do
    case $f in W/*) p="$w/${f#W/}" ;; *) p="$T/$f" ;; esac
    echo "$(sha256sum < "$p" | cut -d' ' -f1)  $f"
  done
  # JSON reports: timing, memory, threads and paths removed; canonical form hashed
  $PY - "$T" "$w" <<'PYEOF'
import hashlib, json, sys
t, w = sys.argv[1:3]
DROP = ("seconds", "peak_rss", "threads", "path", "mtime_ns", "corrupted")
def clean(o):
    if isinstance(o, dict):
        return {k: clean(v) for k, v in o.items()
                if not any(k == d or k.endswith("_" + d) for d in DROP) and "time" not in k}
    if isinstance(o, list):
        return [clean(v) for v in o]
    return o
names = [("variants/corrupt.json", t)] + [("W/" + n, w) for n in (
    "report.json", "analyze/report.json", "score/plan.json", "index/clusters.json", "index/train.json",
    "gates/summary.json", "embed/summary.json", "embed/embedder.json", "corrupt/corrupt.json")]
for name, base in sorted(names):
    p = base + "/" + (name[2:] if name.startswith("W/") else name)
    text = json.dumps(clean(json.load(open(p))), sort_keys=True, separators=(",", ":"))
    print("%s  %s (json, sanitised)" % (hashlib.sha256(text.encode()).hexdigest(), name))
PYEOF
}
hashes "$T/w" > "$T/h2"
hashes "$T/w1" > "$T/h1"
n=$(wc -l < "$T/h2")
[ "$n" -ge 150 ] || fail "only $n files hashed"
if ! cmp -s "$T/h1" "$T/h2"; then
  diff "$T/h2" "$T/h1" | head -40
  fail "1 thread and 2 threads differ"
fi
if [ "${GOLDEN_REGEN:-0}" = 1 ]; then
  { sed -n '/^#/p' "$G/hashes.txt" 2>/dev/null || true; cat "$T/h2"; } > "$T/new"
  grep -q '^#' "$T/new" || fail "hashes.txt has no header to keep"
  cp "$T/new" "$G/hashes.txt"
  echo "e2e_golden: wrote $n hashes to $G/hashes.txt"
  exit 0
fi
grep -v '^#' "$G/hashes.txt" > "$T/want"
if ! cmp -s "$T/want" "$T/h2"; then
  echo "outputs differ from tests/cases/golden/hashes.txt (< recorded, > now):" >&2
  diff "$T/want" "$T/h2" | grep '^[<>]' | head -60 >&2
  echo "$(diff "$T/want" "$T/h2" | grep -c '^>' || true) lines differ; an intended change: tests/cases/golden/regen.sh" >&2
  fail "golden hashes"
fi
echo "e2e_golden: ok ($n files, 1 and 2 threads identical, equal to hashes.txt)"
