#!/usr/bin/env bash
# e2e: the evaluation step and the report a person reads.
#  - `sciprune run` from a config in a subfolder with ../ paths: printed paths are clean;
#    report.md has every stage's wall time and peak memory (embed, corrupt, analyze, ...)
#  - stratified probes: analyze/report.md shows the probes' length distribution against the
#    corpus' and the baselines against p; report.json carries corrupt.json's strata
#  - one recommendation with its rule and lift
#  - `sciprune eval add` with two variants and two MADE-UP result files (EXAMPLES written by
#    this test, not measurements of any model), in the plain format with per-problem results,
#    plus one lm-evaluation-harness and one bigcode-evaluation-harness file (made up too):
#    report.md's table (pass@1, bootstrap intervals, recall) and verdict, and eval.png /
#    recall.png rendered by scripts/plot_report.py.
set -euo pipefail
S=${SCIPRUNE_BIN:?}
PY=/usr/bin/python3
SRC=${SCIPRUNE_SOURCE_ROOT:?}
T=$(mktemp -d /tmp/sciprune-e2e-eval.XXXXXX)
[ -n "${SCIPRUNE_KEEP_TMP:-}" ] || trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
$PY "$SRC/tests/corpus/make_corpus.py" --src "$T/src" --seed 3 > /dev/null
"$S" ingest "$T/src" --out "$T/shards" --docs-per-shard 100 2>/dev/null
mkdir -p "$T/cfg/sub"
cat > "$T/cfg/sub/job.json" <<JSON
{"inputs": ["../../shards/shard-*.jsonl.zst"], "workdir": "../../w", "threads": 2,
 "index": {"k": 6},
 "score": {"metrics": ["distance", "size"], "ratios": [0.2]},
 "prune": {"fsync": false},
 "corrupt": {"per_type": 8, "seed": 5, "strata": 4},
 "analyze": {"ratios": [0.1, 0.2], "alphas": [0.2], "ratio": 0.2}}
JSON
cd "$T"
"$S" run --config cfg/sub/job.json > out.txt 2> err.txt || { cat err.txt; fail "run failed"; }
grep -q '/\.\./' out.txt && { cat out.txt; fail "printed paths are not clean"; }
grep -q '^report: w/report.md' out.txt || { cat out.txt; fail "report path not w/report.md"; }
W=w
# stages: wall time and peak memory for each
for st in embed index corrupt analyze score prune; do
  grep -Eq "^\| $st \| [0-9.]+ \| [0-9.]+ \|$" $W/report.md || { sed -n '/## Stages/,$p' $W/report.md; fail "no stage row for $st"; }
done
$PY - "$W" <<'PY'
import json, sys
w = sys.argv[1]
an = json.load(open(f"{w}/analyze/report.json"))
rec = an["recommendation"]
assert "recommendation_by_lift" not in an, "two recommendations"
assert rec["rule"] and abs(rec["mean_lift"] - (rec["mean_recall"] - rec["mean_orig_recall"])) < 1e-12
st = an["probes_strata"]
assert st["bins"] == 4, st
assert sum(st["corpus_bins"]) == st["records"] and len(st["cuts"]) == 3, st
for l in st["langs"]:
    assert sum(l["probe_bins"]) == l["probes"], l
bl = an["baselines_at_p"]
assert bl["n_variants"] == an["n_variants"] and bl["se"] > 0
md = open(f"{w}/analyze/report.md").read()
assert md.count("**Recommendation**") == 1 and "By lift" not in md and "Rule: " in md
assert "## Probes against the corpus" in md and "| probes: python |" in md.split("## Probes against the corpus")[1]
assert "lift: recall minus originals" in md
rep = json.load(open(f"{w}/report.json"))
for s in ("embed", "index", "corrupt", "analyze", "score", "prune"):
    assert rep["stages"][s]["peak_rss"] > 0 and rep["stages"][s]["seconds"] >= 0, (s, rep["stages"])
print("variants:", [v["name"] for v in rep["variants"]])
PY
# EXAMPLE results, made up by this test (not claims about any model): 20 problems each
cat > ex_distance.json <<'JSON'
{"benchmark": "humaneval", "pass@1": 0.65,
 "per_problem": [1,1,1,0,1,1,0,1,1,1,0,1,1,0,1,0,1,0,1,0]}
JSON
cat > ex_size.json <<'JSON'
{"benchmark": "humaneval",
 "per_problem": [{"task_id": "HumanEval/0", "passed": true}, {"task_id": "HumanEval/1", "passed": false},
  {"task_id": "HumanEval/2", "passed": false}, {"task_id": "HumanEval/3", "passed": false},
  {"task_id": "HumanEval/4", "passed": true}, {"task_id": "HumanEval/5", "passed": false},
  {"task_id": "HumanEval/6", "passed": false}, {"task_id": "HumanEval/7", "passed": true},
  {"task_id": "HumanEval/8", "passed": false}, {"task_id": "HumanEval/9", "passed": false},
  {"task_id": "HumanEval/10", "passed": false}, {"task_id": "HumanEval/11", "passed": true},
  {"task_id": "HumanEval/12", "passed": false}, {"task_id": "HumanEval/13", "passed": false},
  {"task_id": "HumanEval/14", "passed": false}, {"task_id": "HumanEval/15", "passed": false},
  {"task_id": "HumanEval/16", "passed": true}, {"task_id": "HumanEval/17", "passed": false},
  {"task_id": "HumanEval/18", "passed": false}, {"task_id": "HumanEval/19", "passed": false}]}
JSON
cat > ex_lmeval.json <<'JSON'
{"results": {"mbpp": {"alias": "mbpp", "pass_at_1,none": 0.25, "pass_at_1_stderr,none": 0.019}},
 "config": {"model": "example"}}
JSON
cat > ex_bigcode.json <<'JSON'
{"mbpp": {"pass@1": 0.31, "pass@10": 0.5}, "config": {"model": "example"}}
JSON
"$S" eval add --workdir $W --variant distance-p0.20 ex_distance.json > e1.txt || fail "eval add 1"
"$S" eval add --workdir $W --variant size-p0.20 ex_size.json > e2.txt || fail "eval add 2"
"$S" eval add --workdir $W --variant size-p0.20 ex_lmeval.json > /dev/null || fail "eval add lm-eval"
"$S" eval add --workdir $W --variant distance-p0.20 ex_bigcode.json > /dev/null || fail "eval add bigcode"
if "$S" eval add --workdir $W --variant nosuch-p0.20 ex_size.json 2> bad.txt; then fail "unknown variant accepted"; fi
grep -q "no such variant" bad.txt || fail "unknown variant: $(cat bad.txt)"
echo '{"nothing": 1}' > ex_bad.json
if "$S" eval add --workdir $W --variant size-p0.20 ex_bad.json 2> bad.txt; then fail "a file without pass@1 accepted"; fi
for f in distance-p0.20/humaneval.json distance-p0.20/humaneval.source.json size-p0.20/humaneval.json \
         size-p0.20/mbpp.json distance-p0.20/mbpp.json; do
  [ -f $W/eval/$f ] || fail "W/eval/$f missing"
done
cmp -s ex_size.json $W/eval/size-p0.20/humaneval.source.json || fail "source not kept as given"
$PY - "$W" <<'PY'
import json, sys
w = sys.argv[1]
ev = json.load(open(f"{w}/report.json"))["eval"]
assert ev["benchmarks"] == ["humaneval", "mbpp"], ev["benchmarks"]
v = {x["name"]: x for x in ev["variants"]}
d, s = v["distance-p0.20"]["results"], v["size-p0.20"]["results"]
assert abs(d["humaneval"]["pass@1"] - 0.65) < 1e-12 and abs(s["humaneval"]["pass@1"] - 0.25) < 1e-12
assert d["humaneval"]["lo"] < 0.65 < d["humaneval"]["hi"] and s["humaneval"]["lo"] < 0.25 < s["humaneval"]["hi"]
assert abs(s["mbpp"]["pass@1"] - 0.25) < 1e-12 and "lo" not in s["mbpp"]   # no per-problem: no interval
assert abs(d["mbpp"]["pass@1"] - 0.31) < 1e-12
an = json.load(open(f"{w}/analyze/report.json"))["recommendation"]["candidates"]
assert abs(v["distance-p0.20"]["recall"] - an["distance"]) < 1e-6 and abs(v["size-p0.20"]["recall"] - an["size"]) < 1e-6
vh = ev["verdict"]["humaneval"]
assert vh.startswith("humaneval: best distance-p0.20") and "outside the interval" in vh, vh
assert "no interval" in ev["verdict"]["mbpp"], ev["verdict"]["mbpp"]
md = open(f"{w}/report.md").read()
sec = md.split("## Evaluation results")[1].split("## Stages")[0]
assert "| distance-p0.20 |" in sec and "0.650 [" in sec and "| size-p0.20 |" in sec, sec
assert "- humaneval: best distance-p0.20" in sec, sec
print(sec)
PY
# deterministic: a rewrite gives the same intervals
cp $W/report.json r1.json
"$S" eval add --workdir $W --variant size-p0.20 ex_size.json > /dev/null
$PY -c "import json,sys; a,b=(json.load(open(f))['eval'] for f in sys.argv[1:]); assert a==b" r1.json $W/report.json || fail "intervals not deterministic"
if $PY -c "import matplotlib" 2>/dev/null; then
  $PY "$SRC/scripts/plot_report.py" $W > plot.txt || fail "plot_report failed"
  grep -q "eval.png" plot.txt || fail "no eval.png: $(cat plot.txt)"
  for f in eval.png recall.png; do
    [ -s $W/analyze/$f ] || fail "$f missing"
  done
  grep -q 'Evaluation results' $W/analyze/index.html || fail "index.html has no eval section"
  [ -n "${SCIPRUNE_KEEP_PLOTS:-}" ] && cp $W/analyze/eval.png $W/analyze/recall.png "$SCIPRUNE_KEEP_PLOTS/"
else
  echo "e2e_eval: matplotlib missing, plots not checked"
fi
echo "e2e_eval: ok"
