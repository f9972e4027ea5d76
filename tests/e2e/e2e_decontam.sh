#!/usr/bin/env bash
# e2e_decontam.sh - decontamination through the real binary, on benchmark files this test writes
# itself (a HumanEval-format .jsonl.gz and an MBPP-format .jsonl; made-up problems, not the
# real benchmarks) and 60 generated Python files plus planted ones: `sciprune decontam` logs a
# verbatim solution, a solution embedded with other whitespace, a docstring only (exact) and a
# near-copy with renamed variables (ngram), and keeps a trivial allowlisted solution and an idiom
# many files share; then `sciprune run` with a "decontam" section removes exactly those files in
# every variant before the budget (plan, kept shards, report), and the key table refuses a bad
# decontam value.
set -euo pipefail
BIN=${SCIPRUNE_BIN:?}
PY=/usr/bin/python3
export OMP_WAIT_POLICY=PASSIVE
T=$(mktemp -d /tmp/sciprune-e2e-decontam-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

SRC=${SCIPRUNE_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
mkdir -p "$T/src/std" "$T/src/plant" "$T/bench"
$PY "$SRC/tests/corpus/make_corpus.py" --seed 2 --src "$T/gen" || fail make_corpus
ls "$T"/gen/py_*/*.py | sort | awk 'NR % 4 == 2' | sed -n 1,60p | while read -r f; do
  cp "$f" "$T/src/std/$(basename "$(dirname "$f")")_$(basename "$f")"; done
[ "$(ls "$T/src/std" | wc -l)" = 60 ] || fail "expected 60 generated Python files"

$PY - "$T" <<'PY' || fail "writing the benchmark files"
import gzip, json, sys
t = sys.argv[1]
he = [
    {"task_id": "Example/0",
     "prompt": "def pair_within(values, limit):\n    \"\"\" Tell whether two different entries of values lie closer\n    together than limit.\n    >>> pair_within([1.0, 2.5], 1.0)\n    False\n    \"\"\"\n",
     "canonical_solution": "    for a, x in enumerate(values):\n        for b, y in enumerate(values):\n            if a != b and abs(x - y) < limit:\n                return True\n    return False\n"},
    {"task_id": "Example/1",
     "prompt": "def shout_prefixed(words, prefix):\n    \"\"\" Upper-case the words that start with prefix, in order.\n    \"\"\"\n",
     "canonical_solution": "    out = []\n    for w in words:\n        if w.startswith(prefix):\n            out.append(w.upper())\n    return out\n"},
    {"task_id": "Example/2",
     "prompt": "def letters(s):\n    \"\"\" Count the different letters of s when upper and lower case are the same letter.\n    >>> letters('aAbB')\n    2\n    \"\"\"\n",
     "canonical_solution": "    return len(set(s.lower()))\n"},
    {"task_id": "Example/3",
     "prompt": "def add(x, y):\n    \"\"\"Add x and y\"\"\"\n",
     "canonical_solution": "    return x + y\n"},
]
with gzip.open(f'{t}/bench/example_he.jsonl.gz', 'wt') as f:
    for o in he:
        f.write(json.dumps(o) + '\n')
mb = [
    {"task_id": 11, "text": "Write a function that walks a cost grid from the corner and returns the cheapest total.",
     "code": "def grid_cost(cost, m, n):\n    tc = [[0] * (n + 1) for _ in range(m + 1)]\n    tc[0][0] = cost[0][0]\n    for i in range(1, m + 1):\n        tc[i][0] = tc[i - 1][0] + cost[i][0]\n    for j in range(1, n + 1):\n        tc[0][j] = tc[0][j - 1] + cost[0][j]\n    for i in range(1, m + 1):\n        for j in range(1, n + 1):\n            tc[i][j] = min(tc[i - 1][j - 1], tc[i - 1][j], tc[i][j - 1]) + cost[i][j]\n    return tc[m][n]\n"},
    {"task_id": 12, "text": "Write a function that sorts a list in place with exchanges of neighbours.",
     "code": "def exchange_sort(arr):\n    n = len(arr)\n    for i in range(n):\n        for j in range(0, n - i - 1):\n            if arr[j] > arr[j + 1]:\n                arr[j], arr[j + 1] = arr[j + 1], arr[j]\n    return arr\n"},
]
with open(f'{t}/bench/example_mbpp.jsonl', 'w') as f:
    for o in mb:
        f.write(json.dumps(o) + '\n')
p = f'{t}/src/plant'
open(f'{p}/verbatim.py', 'w').write(he[0]['prompt'] + he[0]['canonical_solution'])
open(f'{p}/embedded.py', 'w').write(
    "import re\n\nclass Shout:\n\tdef go(self, words, prefix):\n\t\tout = []\n\t\tfor w in words:\n"
    "\t\t\tif w.startswith(prefix):\n\t\t\t\tout.append(w.upper())\n\t\treturn out\n\n\tdef n(self):\n\t\treturn 3\n")
open(f'{p}/docstring.py', 'w').write(
    "def distinct_letters(text):\n    \"\"\"\n    Count the different letters of s when upper and lower\n    case are the same letter.\n"
    "      >>> letters('aAbB')\n      2\n    \"\"\"\n    return len({c for c in text.casefold()})\n")
open(f'{p}/trivial.py', 'w').write("def total(x, y):\n    return x + y\n")
open(f'{p}/nearcopy.py', 'w').write(
    "def cheapest(grid, rows, cols):\n    dp = [[0] * (cols + 1) for _ in range(rows + 1)]\n    dp[0][0] = grid[0][0]\n"
    "    for r in range(1, rows + 1):\n        dp[r][0] = dp[r - 1][0] + grid[r][0]\n"
    "    for c in range(1, cols + 1):\n        dp[0][c] = dp[0][c - 1] + grid[0][c]\n"
    "    for r in range(1, rows + 1):\n        for c in range(1, cols + 1):\n"
    "            dp[r][c] = min(dp[r - 1][c - 1], dp[r - 1][c], dp[r][c - 1]) + 2 * grid[r][c]\n"
    "    return dp[rows][cols]\n")
for k in range(25):  # the neighbour-exchange idiom, renamed, in many files
    open(f'{p}/idiom{k}.py', 'w').write(
        f"LIMIT_{k} = {k * 3}\n\n\ndef order_{k}(seq):\n    size = len(seq)\n    for s in range(size):\n"
        "        for t in range(0, size - s - 1):\n            if seq[t] > seq[t + 1]:\n"
        f"                seq[t], seq[t + 1] = seq[t + 1], seq[t]\n    return seq[:LIMIT_{k}]\n")
PY
"$BIN" ingest "$T/src" --out "$T/shards" --docs-per-shard 16 2>/dev/null || fail ingest
SH=$(ls "$T"/shards/*.jsonl.zst | sort)

# ---- the stage alone
"$BIN" decontam --workdir "$T/w" --bench "humaneval:$T/bench/example_he.jsonl.gz" \
  --bench "mbpp:$T/bench/example_mbpp.jsonl" --in $SH 2>"$T/err" || { cat "$T/err"; fail decontam; }
grep -q "removed 4 (exact 3, ngram 1)" "$T/err" || { cat "$T/err"; fail "decontam counts"; }
"$BIN" decontam --workdir "$T/w" --in $SH 2>/dev/null && fail "no --bench accepted"
"$BIN" decontam --workdir "$T/w" --bench "csv:$T/x" --in $SH 2>/dev/null && fail "bad format accepted"

$PY - "$T" $SH <<'PY' || fail "decontam log"
import json, os, subprocess, sys
import numpy as np
t, shards = sys.argv[1], sys.argv[2:]
log = [json.loads(l) for l in open(f'{t}/w/decontam/removed.jsonl')]
by = {o['id']: o for o in log}
text = {}
for sh in shards:
    name = os.path.basename(sh)
    lines = subprocess.run(['zstdcat', sh], capture_output=True, check=True).stdout.split(b'\n')[:-1]
    flags = np.load(f'{t}/w/decontam/{name}.decontam.npy')
    assert flags.dtype == np.uint8 and flags.shape == (len(lines),)
    for i, l in enumerate(lines):
        r = json.loads(l)
        text[r['id']] = r['content']
        want = {'exact': 1, 'ngram': 2}[by[r['id']]['matcher']] if r['id'] in by else 0
        assert flags[i] == want, (r['id'], flags[i], want)
        if r['id'] in by:
            assert by[r['id']]['shard'] == name and by[r['id']]['line'] == i + 1
def norm(s):
    return ' '.join(s.split())
def span(o):
    b = text[o['id']].encode()
    return b[o['start']:o['end']].decode()
o = by['src/plant/verbatim.py']   # the docstring comes first in the file
assert (o['benchmark'], o['task_id'], o['matcher'], o['field']) == ('example_he', 'Example/0', 'exact', 'docstring'), o
assert norm(span(o)).startswith('Tell whether two different entries') and norm(span(o)).endswith('False'), span(o)
o = by['src/plant/embedded.py']
assert (o['task_id'], o['matcher'], o['field']) == ('Example/1', 'exact', 'solution'), o
assert norm(span(o)) == 'out = [] for w in words: if w.startswith(prefix): out.append(w.upper()) return out', span(o)
assert o['excerpt'] == text[o['id']].encode()[o['start']:o['start'] + 80].decode()
o = by['src/plant/docstring.py']
assert (o['task_id'], o['matcher'], o['field']) == ('Example/2', 'exact', 'docstring'), o
assert norm(span(o)) == "Count the different letters of s when upper and lower case are the same letter. >>> letters('aAbB') 2"
o = by['src/plant/nearcopy.py']
assert (o['benchmark'], o['task_id'], o['matcher']) == ('example_mbpp', '11', 'ngram'), o
assert 0.5 <= o['share'] < 1 and o['ngrams_found'] < o['ngrams_item'], o
assert 'dp[0][0] = grid[0][0]' in span(o)
assert 'src/plant/trivial.py' not in by                                 # allowlisted
assert not [k for k in by if k.startswith('src/plant/idiom')]           # the df cap
assert not [k for k in by if k.startswith('src/std/')]                  # clean code
s = json.load(open(f'{t}/w/decontam/summary.json'))
assert s['removed'] == 4 and s['removed_exact'] == 3 and s['removed_ngram'] == 1, s
assert len(by) == 4, sorted(by)
b0 = s['benchmarks'][0]
assert b0['allowlisted'] == 3 and b0['items'] == 4, b0   # add's docstring and solution, letters' solution
PY

# ---- the df cap off (df_min above the corpus): the idiom files match too
"$BIN" decontam --workdir "$T/w2" --bench "mbpp:$T/bench/example_mbpp.jsonl" --no-exact \
  --df-min 100000 --in $SH 2>"$T/err2" || { cat "$T/err2"; fail "decontam without cap"; }
$PY - "$T/w2" <<'PY' || fail "decontam without the df cap"
import json, sys
log = [json.loads(l) for l in open(f'{sys.argv[1]}/decontam/removed.jsonl')]
ids = {o['id'] for o in log}
assert {f'src/plant/idiom{k}.py' for k in range(25)} <= ids, ids
assert all(o['matcher'] == 'ngram' for o in log)
PY

# ---- the job: decontam before the budget, in every variant
cat > "$T/job.json" <<EOF
{"inputs": ["shards/*.jsonl.zst"], "workdir": "run",
 "index": {"k": 4}, "score": {"metrics": ["size", "random", "distance"], "ratios": [0.1, 0.3]},
 "decontam": {"benchmarks": ["humaneval:bench/example_he.jsonl.gz", "mbpp:bench/example_mbpp.jsonl"],
              "exact_min_chars": 32, "ngram_threshold": 0.5}}
EOF
"$BIN" run --config "$T/job.json" 2>"$T/runerr" || { cat "$T/runerr"; fail run; }
$PY - "$T" <<'PY' || fail "run with decontam"
import json, glob, os, subprocess, sys
t = sys.argv[1]
removed = {json.loads(l)['id'] for l in open(f'{t}/run/decontam/removed.jsonl')}
assert len(removed) == 4, removed
plan = json.load(open(f'{t}/run/score/plan.json'))
assert plan['decontam']['n_removed'] == 4
acc = plan['n_accepted']
for v in plan['variants']:
    p = float(v['name'].split('-p')[1])
    assert v['n_decontam'] == 4
    assert v['n_pruned'] == 4 + int(p * (acc - 4) + 0.5), v       # the budget of the rest
    assert v['n_kept'] == acc - v['n_pruned']
    kept = set()
    for f in glob.glob(f"{t}/run/out/{v['name']}/kept/*.zst"):
        for l in subprocess.run(['zstdcat', f], capture_output=True, check=True).stdout.splitlines():
            kept.add(json.loads(l)['id'])
    assert not (kept & removed), (v['name'], kept & removed)
    assert len(kept) == v['n_kept'], (len(kept), v)
rep = json.load(open(f'{t}/run/report.json'))
assert rep['decontam']['removed'] == 4 and rep['decontam']['removed_exact'] == 3
md = open(f'{t}/run/report.md').read()
assert '## Decontamination' in md and '| example_he | humaneval |' in md, md[:2000]
man = json.load(open(f'{t}/run/manifest.json'))
assert 'decontam' in json.dumps(man['stages'] if 'stages' in man else man)
PY
# a rerun is current; a bad value is refused by the key table, naming the key
"$BIN" run --config "$T/job.json" 2>"$T/rerun" || { cat "$T/rerun"; fail rerun; }
sed 's/"ngram_threshold": 0.5/"ngram_threshold": 2/' "$T/job.json" > "$T/bad.json"
"$BIN" run --config "$T/bad.json" 2>"$T/baderr" && fail "ngram_threshold 2 accepted"
grep -q "decontam.ngram_threshold" "$T/baderr" || { cat "$T/baderr"; fail "bad value not named"; }
sed 's/"exact_min_chars": 32/"exact_min": 32/' "$T/job.json" > "$T/bad2.json"
"$BIN" run --config "$T/bad2.json" 2>"$T/baderr2" && fail "unknown decontam key accepted"
grep -q 'unknown key "exact_min"' "$T/baderr2" || { cat "$T/baderr2"; fail "unknown key not named"; }
echo "e2e_decontam: ok"
