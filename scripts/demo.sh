#!/usr/bin/env bash
# The demo: set up what is missing, build, turn this machine's Python standard library and
# installed Python packages into shards, and run the SCIP job of data/configs/default.json on
# them (embed + quality gates -> index -> corrupt -> analyze -> score (auto = the analysis'
# pick) -> prune + report + report.html), then render the analysis plots and print the
# recommendation. Outputs in demo-work/; open demo-work/run/report.html first.
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
echo "== plots: scripts/plot_report.py"
/usr/bin/python3 scripts/plot_report.py "$W/run" || echo "(plots failed: python3-matplotlib missing?)"
echo
echo "== recommendation (corruption-informed, $W/run/analyze/report.md)"
/usr/bin/python3 - "$W/run/analyze/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
rec = r['recommendation']
print(f"recommended: {rec['name']} at p = {rec['ratio']:.2f}: mean recall over the corruption "
      f"types {rec['mean_recall']:.3f} (random {rec['random_mean_recall']:.3f})")
cand = rec.get('candidates', {})
base = lambda k: k.split('+')[-1] in ('random', 'length')
show = [k for k in sorted(cand, key=lambda k: -cand[k]) if not base(k)][:5]
show += [k for k in ('distance', 'combined-a0.20', 'size', 'random', 'length') if k in cand and k not in show]
for name in show:
    print(f"  {name:<24} {cand[name]:.3f}{'   (baseline, never recommended)' if base(name) else ''}")
print("per type, recommended:", ", ".join(f"{t} {v:.2f}" for t, v in sorted(rec['per_type_recall'].items())))
if 'auto' in rec:  # the held-out test's plan (analyze.held_out_auto): what auto-p0.20 prunes with
    print(f"auto takes {rec['auto']['metric']}: {rec['auto']['text']}")
PY
echo
echo "open first: $W/run/report.html  (what was pruned and why, the clusters, the corruption probes;"
echo "            rewrite it with: $S report --workdir $W/run)"
echo "shards:   $W/shards/"
echo "accounts: $W/check/check.json (rejected lines in $W/check/rejected/)"
echo "report:   $W/run/report.md"
echo "pruned:   $W/run/out/<variant>/kept/  (auto-p0.20: the analysis' pick)"
echo "analysis: $W/run/analyze/report.md, plots: $W/run/analyze/index.html"
