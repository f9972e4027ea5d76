#!/usr/bin/env bash
# e2e_guard.sh - the parse guard (sciprune.h, "the parse guard") through `sciprune run`:
# records libtree-sitter 0.20.7 aborts on (65,536 and 100,000 unclosed brackets in python,
# javascript and c; 70,000 `not` before a stray `)`), one it is quadratic on (a file-scope C
# comma list) and one over the size limit go with the generated corpus through ingest-like
# shards -> embed (+gates) -> index -> corrupt -> analyze -> score -> prune. The run must exit
# 0, every such record must have row status too_deep (5) / too_large (6), gate values 0 (not
# judged), never be a corruption source, be counted in embed/summary.json, gates/summary.json,
# corrupt/corrupt.json, analyze/report.json and report.json, and be accounted for in every
# variant (kept + removed + rejected = lines). `gates --file` on the issue's repro exits 0.
set -euo pipefail
BIN=${SCIPRUNE_BIN:?}
SRC=${SCIPRUNE_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=/usr/bin/python3
export OMP_WAIT_POLICY=PASSIVE SCIPRUNE_NO_PROGRESS=1
T=$(mktemp -d /tmp/sciprune-e2e-guard-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# the issue's repro: sciprune gates --file on 65,536 unclosed brackets
$PY -c "print('x = ' + '('*65536)" > "$T/crash.py"
"$BIN" gates --file "$T/crash.py" --lang python > "$T/g.json" || fail "gates --file crashed (rc $?)"
$PY - "$T/g.json" <<'PYEOF' || fail "gates --file output"
import json, sys
g = json.load(open(sys.argv[1]))
assert g["guard"] == "too_deep" and g["parse_errors"] == 0 and g["abstained"] == 1, g
assert g["abstain_reason"] == "too_deep", g
PYEOF

$PY "$SRC/tests/corpus/make_corpus.py" --seed 1 --src "$T/src" || fail "make_corpus"
"$BIN" ingest "$T"/src/py_* "$T"/src/js_* "$T"/src/c_* --out "$T/shards" --docs-per-shard 200 \
  >/dev/null 2>&1 || fail ingest
# the pathological shard: one record per line (a JSON line of 4+ MiB is fine for the reader)
$PY - "$T/shards/deep.jsonl" <<'PYEOF'
import json, sys
recs = []
for lang, opener, prefix in (("python", "(", "x = "), ("javascript", "[", "var x = "),
                             ("c", "(", "int x = ")):
    for n in (65536, 100000):
        recs.append((lang, prefix + opener * n + "\n"))
recs.append(("python", "x = " + "not " * 70000 + ")\n"))            # a deep stack, no bracket
recs.append(("c", "1, " * 30000 + "1\n"))                           # quadratic in 0.20.7
recs.append(("javascript", "var a = [" + "1, " * 1500000 + "1];\n"))  # 4.5 MB: too large
recs.append(("python", "def ok(x):\n    return (((x)))\n"))          # a normal record
with open(sys.argv[1], "w") as f:
    for i, (lang, text) in enumerate(recs):
        f.write(json.dumps({"id": "deep-%d" % i, "content": text, "lang": lang}) + "\n")
PYEOF
cat > "$T/job.json" <<'EOF'
{"inputs": ["shards/*.jsonl.zst", "shards/deep.jsonl"], "workdir": "w", "threads": 2,
 "gates": {"enabled": true},
 "index": {"k": 8},
 "score": {"metrics": ["gate+distance", "distance"], "ratios": [0.2]},
 "prune": {"write_removed": true, "fsync": false},
 "corrupt": {"per_type": 3, "langs": ["python", "javascript", "c"], "seed": 3},
 "analyze": {"ratios": [0.2], "alphas": [0.2]}}
EOF
"$BIN" run --config "$T/job.json" > "$T/out.txt" 2> "$T/err.txt" \
  || { tail -20 "$T/err.txt"; fail "run failed or crashed"; }
for st in embed index corrupt analyze score prune; do
  grep -q "run: $st *done" "$T/err.txt" || { cat "$T/err.txt"; fail "stage $st did not run"; }
done

$PY - "$T" <<'PYEOF' || fail "guarded records not accounted"
import glob, json, os, sys
import numpy as np
t = sys.argv[1]; w = t + "/w"
DEEP, LARGE, OK = list(range(8)), [8], [9]   # rows of deep.jsonl: too_deep, too_large, ok
st = np.load(w + "/embed/deep.jsonl.status.npy")
assert list(st[DEEP]) == [5] * 8 and list(st[LARGE]) == [6] and st[OK][0] == 0, list(st)
v = np.load(w + "/embed/deep.jsonl.npy")
assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-3), "lexical vectors are unit vectors"
es = json.load(open(w + "/embed/summary.json"))["totals"]
assert es["too_deep"] == 8 and es["too_large"] == 1, es
for g in ("parse_error", "undefined_name"):
    a = np.load(w + "/gates/deep.jsonl.%s.npy" % g)
    assert (a[DEEP + LARGE] == 0).all(), (g, a)          # not judged: never flagged
gs = json.load(open(w + "/gates/summary.json"))["languages"]
assert gs["python"]["not_judged"] == 3 and gs["javascript"]["not_judged"] == 3, gs
assert gs["c"]["not_judged"] == 3, gs["c"]
assert gs["python"]["undefined_name"]["abstain_reasons"]["too_deep"] >= 3, gs["python"]
cj = json.load(open(w + "/corrupt/corrupt.json"))
assert cj["guarded"] == 9, cj
for line in open(w + "/corrupt/labels.jsonl"):
    assert not json.loads(line)["orig_id"].startswith("deep-"), line
ar = json.load(open(w + "/analyze/report.json"))
assert ar["n_clean_guarded"] == 9, ar.get("n_clean_guarded")
rep = json.load(open(w + "/report.json"))
assert rep["corpus"]["too_deep"] == 8 and rep["corpus"]["too_large"] == 1, rep["corpus"]
assert "too deep" in open(w + "/report.md").read()
# every line of deep.jsonl is kept or removed in every variant
for var in rep["variants"]:
    def lines(p):
        if not os.path.exists(p): return 0
        return sum(1 for _ in open(p, "rb"))
    d = w + "/out/" + var["name"]
    n = lines(d + "/kept/deep.jsonl") + lines(d + "/removed/deep.jsonl")
    assert n == 10, (var["name"], n)
PYEOF
# the corrupt command alone says how many records it did not use
"$BIN" corrupt --in "$T/shards/deep.jsonl" --out "$T/cor" --langs python,javascript,c \
  --per-type 1 > /dev/null 2> "$T/cerr.txt" || { cat "$T/cerr.txt"; fail "corrupt failed"; }
grep -q "^corrupt: 9 records not used as sources" "$T/cerr.txt" \
  || { cat "$T/cerr.txt"; fail "corrupt did not report the guarded records"; }
echo "e2e_guard: ok"
