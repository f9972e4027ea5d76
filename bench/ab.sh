#!/usr/bin/env bash
# A/B: the same job with two sciprune binaries, run in turn (A B A B ...), so the host's speed
# drift (up to 40 % within an hour) hits both alike. Per stage, the ratio B/A of wall seconds is
# taken pair by pair; the median and range of the pairs are printed (and written to OUT.md).
#   bench/ab.sh A_BIN B_BIN [--pairs N] [--shards DIR] [--out FILE.md]
# Shards default to bench/out/small/corpus (bench/run.sh --size small makes it); the job is
# data/configs/default.json's stages without corrupt/analyze (embed + gates, index, score with
# the default metrics minus auto, prune), threads 2, fsync off. Each run starts from an empty
# workdir. Stage seconds come from each run's manifest.json.
set -euo pipefail
cd "$(dirname "$0")/.."
A=${1:?A binary}; B=${2:?B binary}; shift 2
pairs=5; shards=bench/out/small/corpus; out=bench/ab_results.md
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs=$2; shift 2 ;;
    --shards) shards=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: bench/ab.sh A_BIN B_BIN [--pairs N] [--shards DIR] [--out FILE.md]" >&2; exit 2 ;;
  esac
done
ls "$shards"/*.jsonl.zst > /dev/null
T=$(mktemp -d /tmp/sciprune-ab.XXXXXX)
trap 'rm -rf "$T"' EXIT
export OMP_WAIT_POLICY=PASSIVE SCIPRUNE_NO_PROGRESS=1
cat > "$T/job.json" <<JSON
{"inputs": ["$(cd "$shards" && pwd)/*.jsonl.zst"], "workdir": "w", "threads": 2,
 "gates": {"enabled": true},
 "index": {"k": 100},
 "score": {"metrics": ["gate+distance", "distance", "combined", "size", "random"], "ratios": [0.2], "alphas": [0.2]},
 "prune": {"fsync": false}}
JSON
for i in $(seq 1 "$pairs"); do
  for side in A B; do
    bin=$A; [ $side = B ] && bin=$B
    rm -rf "$T/w"
    s0=$(date +%s.%N)
    "$bin" run --config "$T/job.json" > /dev/null 2>&1
    s1=$(date +%s.%N)
    /usr/bin/python3 - "$T/w/manifest.json" "$side" "$i" "$s0" "$s1" >> "$T/times.txt" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
st = {k: v["seconds"] for k, v in m["stages"].items()}
st["total"] = float(sys.argv[5]) - float(sys.argv[4])
print(json.dumps({"side": sys.argv[2], "pair": int(sys.argv[3]), "stages": st}))
PY
  done
done
/usr/bin/python3 - "$T/times.txt" "$A" "$B" "$pairs" "$out" <<'PY'
import json, sys, statistics
rows = [json.loads(l) for l in open(sys.argv[1])]
A, B, pairs, out = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
by = {}
for r in rows:
    by.setdefault(r["pair"], {})[r["side"]] = r["stages"]
stages = [s for s in ["embed", "index", "score", "prune", "total"] if all(s in p["A"] and s in p["B"] for p in by.values())]
lines = [f"A = `{A}`, B = `{B}`; {pairs} pairs run A B A B ...; ratio = B seconds / A seconds per pair.", "",
         "| stage | A median s | B median s | B/A median | B/A range |", "|---|---:|---:|---:|---:|"]
for s in stages:
    ra = [p["B"][s] / p["A"][s] for p in by.values() if p["A"][s] > 0]
    lines.append(f"| {s} | {statistics.median(p['A'][s] for p in by.values()):.2f} | "
                 f"{statistics.median(p['B'][s] for p in by.values()):.2f} | {statistics.median(ra):.3f} | "
                 f"{min(ra):.3f}–{max(ra):.3f} |")
text = "\n".join(lines) + "\n"
open(out, "w").write(text)
print(text)
PY
