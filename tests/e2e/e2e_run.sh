#!/usr/bin/env bash
# e2e: `sciprune run` on the generated corpus (tests/corpus/make_corpus.py: Python, JavaScript
# and C) with injected Python corruptions: recall of each metric at p = 0.2,
# full accounting (kept + removed + rejected = lines, byte-identical lines), resume after a
# kill, skip when current, refusal of changed config/inputs, --force, thread determinism.
set -euo pipefail
S=${SCIPRUNE_BIN:?}
SRC=${SCIPRUNE_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/sciprune-e2e-run.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
$PY "$SRC/tests/corpus/make_corpus.py" --seed 1 --src "$T/src" || fail "make_corpus"
"$S" ingest "$T/src" --out "$T/shards" --docs-per-shard 150 2>/dev/null
"$S" corrupt --in "$T"/shards/*.zst --out "$T/corrupt" --langs python --per-type 5 --seed 7 > "$T/corrupt.txt" 2>&1
ls "$T/corrupt/corrupt-python.jsonl.zst" >/dev/null
# a bad line too, so the rejected path is exercised
printf '%s\n' '{"id":"bad-1","content":"x = 1"' > "$T/shards/zz-bad.jsonl"
cat > "$T/job.json" <<JSON
{"inputs": ["shards/shard-*.jsonl.zst", "shards/zz-bad.jsonl", "corrupt/corrupt-*.jsonl.zst"],
 "workdir": "w1", "threads": 2,
 "index": {"k": 8},
 "score": {"metrics": ["combined", "distance", "size", "random", "length"], "ratios": [0.2], "alphas": [0.2, 0.8]},
 "prune": {"write_removed": true, "fsync": false}}
JSON
"$S" run --config "$T/job.json" > "$T/out1.txt" 2> "$T/err1.txt" || { cat "$T/err1.txt"; fail "run failed"; }
cat "$T/out1.txt"
$PY - "$T" <<'PY'
import json, subprocess, sys, glob, os
t = sys.argv[1]
def lines(p):
    data = subprocess.run(["zstd", "-dc", p], stdout=subprocess.PIPE, check=True).stdout if p.endswith(".zst") else open(p, "rb").read()
    return data.split(b"\n")[:-1] if data else []
inputs = sorted(glob.glob(t + "/shards/shard-*.jsonl.zst")) + [t + "/shards/zz-bad.jsonl"] + sorted(glob.glob(t + "/corrupt/corrupt-*.jsonl.zst"))
rep = json.load(open(t + "/w1/report.json"))
variants = [v["name"] for v in rep["variants"]]
assert len(variants) == 6, variants
n_corrupt, caught = 0, {v: 0 for v in variants}
types = {}
caught_kind = {v: {"syntax": 0, "content": 0} for v in variants}
for v in variants:
    for p in inputs:
        name = os.path.basename(p)
        src = lines(p)
        kept = lines(f"{t}/w1/out/{v}/kept/{name}")
        rem = lines(f"{t}/w1/out/{v}/removed/{name}")
        rej_path = f"{t}/w1/out/rejected/{name}.jsonl"
        rej = [json.loads(l) for l in open(rej_path)] if os.path.exists(rej_path) else []
        assert len(kept) + len(rem) + len(rej) == len(src), (v, name, len(kept), len(rem), len(rej), len(src))
        # kept and removed interleave back to the accepted input lines, byte for byte
        rej_lines = {r["line"] for r in rej}
        ki = ri = 0
        for i, l in enumerate(src):
            if i + 1 in rej_lines:
                continue
            if ki < len(kept) and kept[ki] == l: ki += 1
            elif ri < len(rem) and rem[ri] == l: ri += 1
            else: raise AssertionError(f"{v}/{name}: line {i+1} lost or altered")
        assert ki == len(kept) and ri == len(rem)
        if name.startswith("corrupt-"):
            for l in rem:
                caught[v] += 1
                caught_kind[v][json.loads(l)["kind"]] += 1
            if v == variants[0]:
                for l in src:
                    r = json.loads(l); types.setdefault(r["kind"], [0, 0])[0] += 1
                n_corrupt += len(src)
        if name == "zz-bad.jsonl":
            assert len(rej) == 1 and rej[0]["reason"] == "bad_json"
recall = {v: caught[v] / n_corrupt for v in variants}
total = rep["corpus"]["accepted"]
print("corrupted variants: %d of %d records (%.1f%%); kinds %s" % (n_corrupt, total, 100 * n_corrupt / total, types))
syn = {v: caught_kind[v]["syntax"] / types["syntax"][0] for v in variants}
con = {v: caught_kind[v]["content"] / types["content"][0] for v in variants}
print("  %-24s %8s %8s %8s" % ("recall at p = 0.2", "all", "syntax", "content"))
for v in variants:
    print("  %-24s %8.3f %8.3f %8.3f" % (v, recall[v], syn[v], con[v]))
json.dump({"all": recall, "syntax": syn, "content": con}, open(t + "/recall.json", "w"))
# SCIP on this data: combined at p = 0.2 prunes corrupted files clearly above the ratio; the
# signal is the syntax corruptions (one-token content bugs are invisible to one vector per file,
# see DESIGN.md), and the random baseline stays near the ratio.
assert recall["combined-p0.20-a0.20"] >= 0.3, recall
assert syn["combined-p0.20-a0.20"] >= 0.4 and syn["distance-p0.20"] >= 0.4, syn
assert recall["random-p0.20"] < 0.3, recall
PY

# rerun: every stage is current
"$S" run --config "$T/job.json" > /dev/null 2> "$T/err2.txt"
[ "$(grep -c 'up to date' "$T/err2.txt")" = 4 ] || { cat "$T/err2.txt"; fail "rerun did not skip"; }

# same job, one thread, new workdir: byte-identical outputs
"$S" run --config "$T/job.json" --workdir "$T/w2" --threads 1 > /dev/null 2>&1
(cd "$T/w1/out" && find . -type f -name "*.jsonl*" | sort | xargs sha256sum) > "$T/h1"
(cd "$T/w2/out" && find . -type f -name "*.jsonl*" | sort | xargs sha256sum) > "$T/h2"
cmp "$T/h1" "$T/h2" || fail "threads 1 vs 2 differ"
for f in "$T"/w1/embed/*.npy "$T"/w1/assign/*.npy "$T"/w1/score/*.npy; do
  cmp "$f" "$T/w2/${f#$T/w1/}" || fail "differs: $f"
done

# kill mid-run (during embed: as soon as the idf is fitted, while the shards are embedded), then
# resume: same bytes as the uninterrupted run
set +e
"$S" run --config "$T/job.json" --workdir "$T/w3" > /dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  [ -e "$T/w3/embed/idf.npy" ] && break
  sleep 0.02
done
kill -KILL $pid
wait $pid 2>/dev/null
set -e
grep -q '"prune"' "$T/w3/manifest.json" 2>/dev/null && fail "the run finished before the kill: the resume test tests nothing"
[ -d "$T/w3/embed" ] || fail "killed before the embed stage began"
# a killed run never leaves a file that looks finished: every output without the temp suffix is
# byte-identical to the uninterrupted run's; unfinished files are only "<name>.tmp.<killed pid>"
n_fin=0
for f in $(cd "$T/w3" && find . -path ./out -prune -o -type f ! -name '*.tmp.*' \( -name '*.npy' -o -name '*.json' \) -print | sort); do
  f=${f#./}
  case $f in manifest.json|*/summary.json|embed/shards.json|index/*.json|score/plan.json) continue ;; esac # timings, paths
  case $f in *.json) cmp -s <(sed 's/"seconds":[^,}]*//g' "$T/w3/$f") <(sed 's/"seconds":[^,}]*//g' "$T/w1/$f") ;;
             *) cmp -s "$T/w3/$f" "$T/w1/$f" ;; esac || fail "the kill left $f, which differs from the finished one"
  n_fin=$((n_fin + 1))
done
[ "$n_fin" -ge 1 ] || fail "no finished file to compare after the kill"
find "$T/w3" -name '*.tmp.*' > "$T/tmp_after_kill"
if grep -v "\.tmp\.$pid\$" "$T/tmp_after_kill"; then fail "temp files not named after the killed process"; fi
echo "kill during embed: $n_fin finished files equal the uninterrupted run's, $(wc -l < "$T/tmp_after_kill") temp files"
"$S" run --config "$T/job.json" --workdir "$T/w3" > /dev/null 2>&1 || fail "resume after kill failed"
# the resumed run leaves no temp file: neither its own nor the killed process's stale ones
find "$T/w3" -name '*.tmp.*' | sort > "$T/tmp_after_resume"
[ ! -s "$T/tmp_after_resume" ] || { cat "$T/tmp_after_resume"; fail "temp files left after the resume"; }
# a stale temp file of a dead process inside out/<variant>/kept/ is removed by the next run;
# one of a live process is not
v1=$(ls "$T/w3/out" | grep -v rejected | grep -v prune.json | head -1)
( exit 0 ) & dead=$!; wait $dead
touch "$T/w3/out/$v1/kept/x.jsonl.zst.tmp.$dead" "$T/w3/out/$v1/kept/y.jsonl.zst.tmp.$$"
"$S" run --config "$T/job.json" --workdir "$T/w3" > /dev/null 2>&1 || fail "rerun after planting temp files failed"
[ ! -e "$T/w3/out/$v1/kept/x.jsonl.zst.tmp.$dead" ] || fail "a dead process's temp file in kept/ was not removed"
[ -e "$T/w3/out/$v1/kept/y.jsonl.zst.tmp.$$" ] || fail "a live process's temp file was removed"
rm -f "$T/w3/out/$v1/kept/y.jsonl.zst.tmp.$$"
(cd "$T/w3/out" && find . -type f -name "*.jsonl*" | sort | xargs sha256sum) > "$T/h3"
cmp "$T/h1" "$T/h3" || fail "resumed run differs"

# a changed config is refused (exit 1, says why) ...
sed -i 's/"ratios": \[0.2\]/"ratios": [0.1, 0.2]/' "$T/job.json"
set +e
"$S" run --config "$T/job.json" > /dev/null 2> "$T/err4.txt"; rc=$?
set -e
[ $rc = 1 ] && grep -q 'another config' "$T/err4.txt" || { cat "$T/err4.txt"; fail "changed config not refused"; }
# ... unless --force, which reruns only score and prune
"$S" run --config "$T/job.json" --force > /dev/null 2> "$T/err5.txt"
grep -q 'embed  up to date' "$T/err5.txt" && grep -q 'index  up to date' "$T/err5.txt" && grep -q 'score  done' "$T/err5.txt" \
  || { cat "$T/err5.txt"; fail "--force did not rerun just what changed"; }
[ -d "$T/w1/out/combined-p0.10-a0.20/kept" ] || fail "new variant missing"
# changed inputs are refused
printf '%s\n' '{"id":"new","content":"y = 2\n"}' >> "$T/shards/zz-bad.jsonl"
set +e
"$S" run --config "$T/job.json" > /dev/null 2> "$T/err6.txt"; rc=$?
set -e
[ $rc = 1 ] && grep -q 'other inputs' "$T/err6.txt" || { cat "$T/err6.txt"; fail "changed inputs not refused"; }
# a typo in the config is an error naming the key
printf '{"inputs":["shards/zz-bad.jsonl"],"workdir":"w9","index":{"kk":3}}' > "$T/typo.json"
set +e
"$S" run --config "$T/typo.json" 2> "$T/err7.txt"; rc=$?
set -e
[ $rc = 1 ] && grep -q 'unknown key "kk"' "$T/err7.txt" || { cat "$T/err7.txt"; fail "typo not reported"; }
grep -q 'prune *done' <("$S" inspect "$T/w1") || fail "inspect"

# gates + corrupt + analyze in the same job: the gates come from the embedder's parse, the
# variants from W/corrupt, the analysis into W/analyze; each stage keyed on its own section.
cat > "$T/full.json" <<JSON
{"inputs": ["shards/shard-*.jsonl.zst"], "workdir": "wf", "threads": 2,
 "index": {"k": 8},
 "score": {"metrics": ["gate+distance", "distance"], "ratios": [0.2]},
 "prune": {"fsync": false},
 "corrupt": {"per_type": 3, "langs": ["python"], "types": "drop-colon,undefined-name", "seed": 7},
 "analyze": {"ratios": [0.2], "alphas": [0.2]}}
JSON
"$S" run --config "$T/full.json" > /dev/null 2> "$T/err8.txt" || { cat "$T/err8.txt"; fail "full job failed"; }
for st in embed index score prune corrupt analyze; do
  grep -q "run: $st *done" "$T/err8.txt" || { cat "$T/err8.txt"; fail "stage $st did not run"; }
done
grep -q "run: embed  done (with the gates)" "$T/err8.txt" || fail "the gates did not ride on the embed parse"
grep -q "run: gates *running" "$T/err8.txt" && fail "a separate gates stage ran although the hash embedder parses"
"$S" gates --workdir "$T/wg" --in "$T"/shards/shard-*.jsonl.zst 2>/dev/null || fail "gates stage"
for f in $(cd "$T/wg/gates" && ls *.npy); do cmp -s "$T/wg/gates/$f" "$T/wf/gates/$f" || fail "run's gates differ: $f"; done
$PY - "$T/wf" <<'PY' || fail "full job outputs"
import json, sys
w = sys.argv[1]
rep = json.load(open(f'{w}/analyze/report.json'))
types = sorted({g['type'] for g in rep['groups']})
assert types == ['drop-colon', 'undefined-name'], types
assert rep['n_variants'] == 6, rep['n_variants']
assert rep['recommendation']['name'], rep['recommendation']
plan = json.load(open(f'{w}/score/plan.json'))
assert [v['name'] for v in plan['variants']] == ['gate+distance-p0.20', 'distance-p0.20']
assert sorted(json.load(open(f'{w}/corrupt/corrupt.json')).keys())
# the held-out probes (corrupt.heldout, default on): the test half only, another seed; the
# semantic section tests on them and says so
hc = json.load(open(f'{w}/corrupt/heldout/corrupt.json'))
assert hc.get('heldout_only') is True and hc['seed'] != 7, hc
sem = rep['semantic']
assert sem['train_probes']['seed'] == 7 and sem['train_probes']['half'] == 0, sem['train_probes']
tp = sem['test_probes']
assert tp['half'] == 1 and tp['seed'] == hc['seed'] and tp['different_seed'] is True, tp
assert sem['n_heldout_wrong_half'] == 0, sem
import glob
hv = glob.glob(f'{w}/corrupt/heldout/corrupt-*.jsonl.zst')
assert hv and 'mean_content_recall_same_seed' in sem, (hv, sorted(sem))
md = open(f'{w}/analyze/report.md').read()
assert 'corrupt seed %d' % hc['seed'] in md and 'different seed' in md, md[-2000:]
# the paired comparisons of the held-out test, and the advice only where one wins by > 2 se
vs = sem['versus']
pairs = {(v['metric'], v['against']) for v in vs}
assert ('gate+learned', 'gate+distance') in pairs and ('learned', 'distance') in pairs, vs
for v in vs:
    assert abs(v['diff'] - (v['mean_recall'] - v['mean_recall_against'])) < 1e-9, v
    assert v['se'] >= 0 and v['better'] == (v['diff'] > 2 * v['se']), v
rc = rep['recommendation']
wins = [v for v in vs if v['against'] == rc['metric'] and v['better']]
adv = rc.get('held_out_advice')
assert (adv is not None) == bool(wins), (adv, wins, rc['metric'])
if adv:
    assert adv['diff'] == max(v['diff'] for v in wins) and 'Held-out advice' in md, adv
    assert rc['auto']['metric'] == adv['metric'], rc  # analyze.held_out_auto: on by default
else:
    assert 'auto' not in rc, rc
PY
"$S" inspect "$T/wf" > "$T/insp.txt"
grep -q "gates *done" "$T/insp.txt" && grep -q "analyze *done" "$T/insp.txt" && grep -q "analysis: recommends" "$T/insp.txt" || { cat "$T/insp.txt"; fail "inspect of the full job"; }
"$S" run --config "$T/full.json" > /dev/null 2> "$T/err9.txt"
[ "$(grep -c 'up to date' "$T/err9.txt")" = 7 ] || { cat "$T/err9.txt"; fail "full rerun did not skip"; }
# a narrower corruption set reruns corrupt and analyze only, and leaves no stale variants
sed -i 's/"types": "drop-colon,undefined-name"/"types": "drop-colon"/' "$T/full.json"
"$S" run --config "$T/full.json" --force > /dev/null 2> "$T/err10.txt"
for st in embed index score prune; do grep -q "run: $st *up to date" "$T/err10.txt" || { cat "$T/err10.txt"; fail "$st reran"; }; done
grep -q "run: analyze done" "$T/err10.txt" || fail "analyze did not rerun"
$PY -c "import json,sys; r=json.load(open('$T/wf/analyze/report.json')); assert sorted({g['type'] for g in r['groups']}) == ['drop-colon'], r['groups']" || fail "stale variants analysed"
[ -n "$(ls "$T"/wf/corrupt/heldout/corrupt-*.jsonl.zst 2>/dev/null)" ] || fail "held-out set not remade"
grep -q '"corruption":"undefined-name"' <(zstd -dc "$T"/wf/corrupt/heldout/corrupt-*.jsonl.zst) && fail "stale held-out variants"
# a plan with the gates switched off is a config error
sed 's/"prune": {"fsync": false},/"prune": {"fsync": false}, "gates": {"enabled": false},/' "$T/full.json" > "$T/nogates.json"
if "$S" run --config "$T/nogates.json" --workdir "$T/wx" 2> "$T/err11.txt"; then fail "plan without gates accepted"; fi
grep -q "needs the gates" "$T/err11.txt" || { cat "$T/err11.txt"; fail "no reason given"; }
# metric sites without the sites feature is a config error
sed 's/"metrics": \["gate+distance", "distance"\]/"metrics": ["sites", "distance"]/' "$T/full.json" > "$T/nosites.json"
grep -q '"sites", "distance"' "$T/nosites.json" || fail "nosites.json not made"
if "$S" run --config "$T/nosites.json" --workdir "$T/wx" 2> "$T/err11b.txt"; then fail "sites without the feature accepted"; fi
grep -q "needs the site detectors" "$T/err11b.txt" || { cat "$T/err11b.txt"; fail "no reason given for sites"; }
# a variant dropped from the sweep loses its out/ folder: old outputs never pass for current
[ -d "$T/wf/out/gate+distance-p0.20/kept" ] || fail "no gate+distance output"
sed -i 's/"metrics": \["gate+distance", "distance"\]/"metrics": ["distance"]/' "$T/full.json"
"$S" run --config "$T/full.json" --force > /dev/null 2> "$T/err12.txt" || { cat "$T/err12.txt"; fail "narrower sweep"; }
[ -e "$T/wf/out/gate+distance-p0.20" ] && fail "stale variant output left in out/"
[ -d "$T/wf/out/distance-p0.20/kept" ] || fail "current variant output missing"
grep -q "run: embed  up to date" "$T/err12.txt" || { cat "$T/err12.txt"; fail "dropping the plan re-embedded"; }
# other gate languages: the gates run on their own parse, the vectors stay
sed -i 's/"metrics": \["distance"\]/"metrics": ["gate+distance"]/; s/"prune": {"fsync": false},/"prune": {"fsync": false}, "gates": {"parse_error_langs": "all"},/' "$T/full.json"
"$S" run --config "$T/full.json" --force > /dev/null 2> "$T/err13.txt" || { cat "$T/err13.txt"; fail "gate languages"; }
grep -q "run: embed  up to date" "$T/err13.txt" && grep -q "run: gates *done" "$T/err13.txt" || { cat "$T/err13.txt"; fail "gate settings change"; }
$PY -c "import json; assert json.load(open('$T/wf/gates/summary.json'))['settings']['parse_error_langs'] == 'all'" || fail "gate settings not applied"
echo "e2e_run: ok"
