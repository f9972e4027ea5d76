#!/usr/bin/env bash
# e2e: pruning models. A job over the generated corpus (with corrupted variants mixed in, so the
# gates flag records, and a shard with a bad line) runs every metric and plan (the embed-pass
# signal plans too: naturalness, learned, and sites on a second workdir); its "export"
# key writes a model after prune; then every variant is exported and, for EVERY accepted record
# of every shard, `sciprune judge --annotate` (sciprune_model_judge_doc) must decide what prune
# decided (score/<shard>.prune.npy), and plain `judge` must print exactly prune's kept lines.
# Also: stdin input, rejected lines named by line number (--on-error fail stops), a model of
# another format version refused with a clear error, an unknown variant named.
set -euo pipefail
S=${SCIPRUNE_BIN:?}
SRC=${SCIPRUNE_SOURCE_ROOT:?}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/sciprune-e2e-model.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
$PY "$SRC/tests/corpus/make_corpus.py" --src "$T/src" --seed 1 > /dev/null
"$S" ingest "$T/src" --out "$T/shards" --docs-per-shard 100 2>/dev/null
"$S" corrupt --in "$T"/shards/*.jsonl.zst --out "$T/variants" --langs python,javascript,c \
  --per-type 3 --seed 7 --threads 2 >/dev/null 2>&1 || fail corrupt
printf '%s\n' '{"id":"bad-1","content":"x = 1"' \
  '{"id":"ok-1","content":"def f(x):\n    return x\n","lang":"python"}' > "$T/shards/zz-bad.jsonl"
cat > "$T/job.json" <<JSON
{"inputs": ["shards/shard-*.jsonl.zst", "shards/zz-bad.jsonl", "variants/corrupt-*.jsonl.zst"],
 "workdir": "w", "threads": 2, "index": {"k": 8},
 "score": {"metrics": ["auto", "size", "distance", "distance-pc", "combined", "combined-pc",
                       "random", "length", "gate+size", "gate+distance", "gate+combined",
                       "gate+random", "gate+length", "naturalness", "learned",
                       "gate+learned"],
           "ratios": [0.2], "alphas": [0.2, 0.8]},
 "prune": {"fsync": false},
 "corrupt": {"per_type": 3, "seed": 5, "langs": ["python", "javascript"]},
 "analyze": {"ratios": [0.2], "alphas": [0.2, 0.8]},
 "export": {"variant": "gate+distance-p0.20", "out": "model"}}
JSON
"$S" run --config "$T/job.json" > /dev/null 2> "$T/err.txt" || { cat "$T/err.txt"; fail "run"; }
grep -q "run: export gate+distance-p0.20" "$T/err.txt" || { cat "$T/err.txt"; fail "run did not export"; }
[ -f "$T/model/model.json" ] || fail "run's export wrote no model.json"
n_gated=$($PY -c "import json;print(json.load(open('$T/model/model.json'))['source']['n_gated'])")
[ "$n_gated" -gt 0 ] || fail "no gated record: the test would not cover the gate rule"
# every record, every variant (the embed-pass signal plans too: naturalness, learned)
$PY "$SRC/tests/e2e/model_check.py" "$S" "$T/w" "$T/models" || fail "verdicts differ from prune"
grep -q '"order": "learned"' "$T/models/gate+learned-p0.20/model.json" || fail "no learned step"
[ -f "$T/models/learned-p0.20/embed/ngram.npy" ] || fail "a learned model without the n-gram model"
M=$T/models/gate+distance-p0.20
# stdin gives the same lines as a shard argument
sh=$(ls "$T"/shards/shard-*.jsonl.zst | sed -n 1p)
zstd -dcq "$sh" | "$S" judge --model "$M" > "$T/stdin.out" 2>/dev/null || fail "judge on stdin"
"$S" judge --model "$M" "$sh" > "$T/file.out" 2>/dev/null || fail "judge on a shard"
cmp -s "$T/stdin.out" "$T/file.out" || fail "stdin and shard input differ"
# bad lines: reported with their line number and not written; --on-error fail stops
zstd -dcq "$sh" > "$T/first.jsonl"
{ sed -n 1,3p "$T/first.jsonl"; echo '{"id": "broken", "content": '; sed -n 4,6p "$T/first.jsonl"; } > "$T/bad.jsonl"
"$S" judge --model "$M" --annotate < "$T/bad.jsonl" > "$T/bad.out" 2> "$T/bad.err" || fail "judge with a bad line failed"
grep -q "<stdin>:4: rejected (bad_json)" "$T/bad.err" || { cat "$T/bad.err"; fail "bad line not named"; }
[ "$(wc -l < "$T/bad.out")" = 6 ] || fail "annotate: want the 6 good lines"
$PY - "$T/bad.out" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    j = json.loads(l)
    assert set(j["sciprune"]) >= {"keep", "reason", "cluster", "distance", "gated"}, j
PY
if "$S" judge --model "$M" --on-error fail < "$T/bad.jsonl" > /dev/null 2> "$T/bad2.err"; then
  fail "--on-error fail accepted a bad line"
fi
# another format version: refused, naming both versions
cp -r "$M" "$T/v2"
$PY - "$T/v2/model.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); j["version"] = 2; json.dump(j, open(sys.argv[1], "w"))
PY
if "$S" judge --model "$T/v2" < /dev/null > /dev/null 2> "$T/v2.err"; then fail "version 2 accepted"; fi
grep -q "model format version 2; .* reads version 1" "$T/v2.err" || { cat "$T/v2.err"; fail "unclear version error"; }
# an unknown variant is named with the ones there are
if "$S" export --workdir "$T/w" --variant nope --out "$T/x" 2> "$T/x.err"; then fail "unknown variant exported"; fi
grep -q "no variant 'nope' (the plan has: auto-p0.20" "$T/x.err" || { cat "$T/x.err"; fail "unclear variant error"; }
# a workdir embedded with the site detectors: its models open (their embedder needs
# embed/sites.npy) and decide as prune did. "all,sites" leaves the naturalness model out
# (listed only): learned and gate+learned are fitted without it (weight 0), score ranks by
# them without the signal, and their models hold no ngram.npy and still decide as prune did
cat > "$T/job_sites.json" <<JSON
{"inputs": ["shards/shard-*.jsonl.zst", "variants/corrupt-*.jsonl.zst"], "workdir": "ws",
 "threads": 2, "index": {"k": 8},
 "embed": {"features": "all,sites"},
 "score": {"metrics": ["gate+distance", "distance", "sites", "gate+sites", "learned", "gate+learned"],
           "ratios": [0.2]},
 "prune": {"fsync": false}, "corrupt": {"per_type": 3, "seed": 5, "langs": ["python", "javascript"]},
 "analyze": {"ratios": [0.2], "alphas": [0.2]}}
JSON
"$S" run --config "$T/job_sites.json" > /dev/null 2> "$T/errs.txt" || { cat "$T/errs.txt"; fail "run with sites"; }
[ -f "$T/ws/embed/sites.npy" ] || fail "no site detectors in the workdir"
[ ! -e "$T/ws/embed/ngram.npy" ] && [ -z "$(ls "$T"/ws/embed/*.naturalness.npy 2>/dev/null)" ] ||
  fail "all,sites fitted the naturalness model"
$PY - "$T/ws/analyze/report.json" <<'PY' || fail "learned without naturalness: not weight 0, or no sites weight"
import json, sys
w = json.load(open(sys.argv[1]))["semantic"]["learned_weights"]
assert w["naturalness"] == 0 and w["sites"] != 0, w
PY
# naturalness asked for without the model: refused at config time, naming the feature
sed 's/"learned", "gate+learned"/"naturalness"/' "$T/job_sites.json" > "$T/job_nat.json"
if "$S" run --config "$T/job_nat.json" > /dev/null 2> "$T/errn.txt"; then fail "naturalness without the model accepted"; fi
grep -q 'all,sites,naturalness' "$T/errn.txt" || { cat "$T/errn.txt"; fail "no way out named for naturalness"; }
$PY "$SRC/tests/e2e/model_check.py" "$S" "$T/ws" "$T/models_sites" || fail "sites workdir: verdicts differ from prune"
cmp -s "$T/ws/embed/sites.npy" "$T/models_sites/gate+distance-p0.20/embed/sites.npy" || fail "sites.npy not in the model"
[ -f "$T/models_sites/gate+learned-p0.20/model.json" ] && [ ! -e "$T/models_sites/gate+learned-p0.20/embed/ngram.npy" ] ||
  fail "the learned model without naturalness: missing, or it carries an n-gram model"
echo "e2e_model: ok"
