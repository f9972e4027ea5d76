#!/usr/bin/env bash
# e2e_analyze.sh - the analyze stage through the real binary on real Python files: ingest a few
# stdlib packages, corrupt, embed, index, analyze; check the report's fields, recompute recall,
# AUROC and movement for every group with numpy (tests/e2e/analyze_check.py), check that a rerun
# gives the same report, render the plots, and check clear failures (no index, no variants).
set -euo pipefail
BIN=${SCIPRUNE_BIN:?}
SRC=${SCIPRUNE_SOURCE_ROOT:?}
PY=/usr/bin/python3
export OMP_WAIT_POLICY=PASSIVE
T=$(mktemp -d /tmp/sciprune-e2e-analyze-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

L=/usr/lib/python3.11
[ -d $L/json ] || { echo "no $L: skipping"; exit 77; }
"$BIN" ingest $L/json $L/email $L/asyncio $L/xml $L/logging $L/unittest $L/http $L/concurrent \
  $L/importlib $L/urllib $L/multiprocessing $L/sqlite3 $L/wsgiref $L/html $L/dbm $L/ctypes \
  $L/lib2to3 $L/re $L/collections $L/curses \
  --out "$T/in" >/dev/null
"$BIN" corrupt --in "$T"/in/*.jsonl.zst --out "$T/cor" --per-type 15 --threads 0 >/dev/null 2>&1
W=$T/w
"$BIN" embed --workdir "$W" "$T"/in/*.jsonl.zst >/dev/null 2>&1
# analyze before index: a clear failure
"$BIN" analyze --workdir "$W" --corrupted "$T/cor" 2>"$T/err" && fail "analyze without an index"
"$BIN" index --workdir "$W" --k 4 >/dev/null 2>&1
"$BIN" analyze --workdir "$W" --corrupted "$T/empty-does-not-exist" 2>/dev/null && fail "missing variants"
"$BIN" analyze --workdir "$W" --corrupted "$T/cor" --weights syntax=2,content=1 >"$T/out" \
  || fail "analyze"
grep -q "recommended at p=0.20" "$T/out" || fail "no recommendation printed"

$PY - "$W/analyze/report.json" <<'PYEOF' || fail "report fields"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["n_clean"] >= 200, r["n_clean"]
assert r["n_variants"] > 50 and r["n_orig_found"] == r["n_variants"], (r["n_variants"], r["n_orig_found"])
assert r["k"] == 4 and sum(r["cluster_sizes"]) == r["n_clean"]
want = ["size", "distance"] + ["combined-a%.2f" % (0.2 * i) for i in range(6)] + ["random", "length"]
assert r["metrics"] == want, r["metrics"]
types = {g["type"] for g in r["groups"] if g["lang"] == "all"}
kinds = {g["kind"] for g in r["groups"]}
assert len(types) >= 5 and kinds == {"syntax", "content"}, (types, kinds)
for g in r["groups"]:
    for m in want:
        assert len(g["recall"][m]) == 6 and all(0 <= x <= 1 for x in g["recall"][m]), g
    # combined at alpha 0 is distance, at alpha 1 is size (same budget, same orders)
    assert g["recall"]["combined-a0.00"] == g["recall"]["distance"], g["type"]
    assert g["recall"]["combined-a1.00"] == g["recall"]["size"], g["type"]
    for m in ("size", "distance", "random", "length"):
        assert 0 <= g["auroc"][m] <= 1
    assert g["recall"]["distance"] == sorted(g["recall"]["distance"])  # monotone in p
rec = r["recommendation"]
assert rec["name"] in want and rec["ratio"] == 0.2
assert rec["weights"] == {t: (2.0 if k == "syntax" else 1.0) for t, k in
                          {(g["type"], g["kind"]) for g in r["groups"]}}
# the hash embedder's signal (DESIGN.md): syntax corruptions land far from the centroids
syn = [g for g in r["groups"] if g["lang"] == "all" and g["kind"] == "syntax"]
assert sum(g["auroc"]["distance"] for g in syn) / len(syn) > 0.7, [g["auroc"] for g in syn]
assert rec["mean_recall"] > rec["random_mean_recall"]
PYEOF

$PY "$SRC/tests/e2e/analyze_check.py" "$W/analyze" --all >/dev/null || fail "numpy cross-check"
for f in clean.cluster clean.dist clean.length clean.random variants.cluster variants.dist \
         variants.length variants.random variants.orig; do
  [ -s "$W/analyze/$f.npy" ] || fail "missing $f.npy"
done
grep -q "## Recall at p = 0.20" "$W/analyze/report.md" || fail "report.md tables"

# deterministic: a rerun with 1 thread writes the same report (apart from the time)
cp "$W/analyze/report.json" "$T/r1.json"
"$BIN" analyze --workdir "$W" --corrupted "$T/cor" --weights syntax=2,content=1 --threads 1 >/dev/null
$PY - "$T/r1.json" "$W/analyze/report.json" <<'PYEOF' || fail "rerun differs"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
a.pop("seconds"); b.pop("seconds")
assert a == b
PYEOF

if $PY -c 'import matplotlib' 2>/dev/null; then
  MPLCONFIGDIR=$T/mpl $PY "$SRC/scripts/plot_report.py" "$W" >/dev/null || fail "plot_report"
  for f in cluster_sizes.png distance.png recall.png index.html; do
    [ -s "$W/analyze/$f" ] || fail "missing $f"
  done
fi
echo "e2e_analyze: ok"
