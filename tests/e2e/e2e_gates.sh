#!/usr/bin/env bash
# e2e_gates.sh - the gates stage and the gate+distance plan through the real binary, on clean
# Python files (60 from the generated corpus) plus hand-made broken and undefined-name
# files: per-line arrays, summary accounting, byte-identical output for 1 and 3 threads,
# gate+distance pruning every gated record first (and all of them when over budget), prune's
# line accounting, and a clear failure when the gates stage has not run.
set -euo pipefail
BIN=${SCIPRUNE_BIN:?}
PY=/usr/bin/python3
export OMP_WAIT_POLICY=PASSIVE
T=$(mktemp -d /tmp/sciprune-e2e-gates-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

SRC=${SCIPRUNE_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
mkdir -p "$T/src/std" "$T/src/bad"
# 60 clean Python files from the generated corpus (tests/corpus/make_corpus.py), several projects
$PY "$SRC/tests/corpus/make_corpus.py" --seed 1 --src "$T/gen" || fail make_corpus
ls "$T"/gen/py_*/*.py | sort | awk 'NR % 4 == 1' | sed -n 1,60p | while read -r f; do
  cp "$f" "$T/src/std/$(basename "$(dirname "$f")")_$(basename "$f")"; done
[ "$(ls "$T/src/std" | wc -l)" = 60 ] || fail "expected 60 generated Python files"
printf 'def f(x:\n    return x +\n' > "$T/src/bad/broken.py"
printf 'def g(a):\n    return a + never_bound\n' > "$T/src/bad/undef.py"
printf 'function h(a) { return a + alsoNeverBound; }\n' > "$T/src/bad/undef.js"
printf 'function k(a) { return (a + ; }\n' > "$T/src/bad/broken.js"
printf 'from os import *\nprint(path)\n' > "$T/src/bad/star.py"
"$BIN" ingest "$T/src/std" "$T/src/bad" --out "$T/shards" --docs-per-shard 16 2>/dev/null || fail ingest
SH=$(ls "$T"/shards/*.jsonl.zst | sort)
[ "$(echo "$SH" | wc -l)" -ge 4 ] || fail "expected several shards"

for t in 1 3; do
  "$BIN" gates --workdir "$T/w$t" --in $SH --threads $t 2>/dev/null || fail "gates threads=$t"
done
for f in $(cd "$T/w1/gates" && ls *.npy); do
  cmp -s "$T/w1/gates/$f" "$T/w3/gates/$f" || fail "threads=3: $f differs"
done

$PY - "$T/w1" $SH <<'PY' || fail "gates outputs"
import json, os, subprocess, sys
import numpy as np
w, shards = sys.argv[1], sys.argv[2:]
s1 = json.load(open(f'{w}/gates/summary.json'))
s3 = json.load(open(f'{w[:-1]}3/gates/summary.json'))
del s1['seconds'], s3['seconds']
assert s1 == s3, 'summary.json depends on the thread count'
flag = {}
nlines = 0
for sh in shards:
    name = os.path.basename(sh)
    pe = np.load(f'{w}/gates/{name}.parse_error.npy')
    un = np.load(f'{w}/gates/{name}.undefined_name.npy')
    lines = subprocess.run(['zstdcat', sh], capture_output=True, check=True).stdout.split(b'\n')[:-1]
    assert pe.dtype == np.float32 and un.dtype == np.float32
    assert pe.shape == un.shape == (len(lines),), (name, pe.shape, len(lines))
    nlines += len(lines)
    for i, l in enumerate(lines):
        flag[json.loads(l)['id']] = (float(pe[i]), float(un[i]))
assert flag['bad/broken.py'][0] > 0 and flag['bad/broken.js'][0] > 0, flag
assert flag['bad/undef.py'] == (0.0, 1.0) and flag['bad/undef.js'] == (0.0, 1.0)
assert flag['bad/star.py'] == (0.0, 0.0)
t = s1['total']
assert t['files'] == nlines == len(flag)
py = s1['languages']['python']
assert py['undefined_name']['abstain_reasons'].get('star_import', 0) >= 1
assert py['undefined_name']['abstain_reasons'].get('parse_error', 0) >= 1
assert py['parse_error']['flagged'] >= 1 and py['undefined_name']['flagged'] >= 1
std_flagged = sum(1 for k, v in flag.items() if k.startswith('std/') and (v[0] > 0 or v[1] > 0))
assert std_flagged <= 3, f'{std_flagged} clean generated files flagged'
PY

# gate+distance: gated records first, then distance; over budget: every gated record.
W=$T/w1
"$BIN" embed --workdir "$W" --in $SH --dim 64 2>/dev/null || fail embed
"$BIN" index --workdir "$W" --in $SH --k 3 2>/dev/null || fail index
"$BIN" score --workdir "$W" --in $SH --metrics distance,gate+distance,gate+size,gate+combined,gate+random,gate+length --ratios 0.01,0.2 --alphas 0.5 2>/dev/null || fail score
$PY - "$W" $SH <<'PY' || fail "gate+distance plan"
import json, os, sys
import numpy as np
w, shards = sys.argv[1], sys.argv[2:]
plan = json.load(open(f'{w}/score/plan.json'))
V = plan['n_variants']
byname = {v['name']: v for v in plan['variants']}
acc = plan['n_accepted']
gated, mask, dist = [], [], []
for sh in shards:
    name = os.path.basename(sh)
    g = (np.load(f'{w}/gates/{name}.parse_error.npy') > 0) | (np.load(f'{w}/gates/{name}.undefined_name.npy') > 0)
    gated.append(g)
    mask.append(np.unpackbits(np.load(f'{w}/score/{name}.prune.npy'), axis=1, bitorder='little')[:, :V])
    dist.append(np.load(f'{w}/assign/{name}.dist.npy'))
gated, mask, dist = np.concatenate(gated), np.concatenate(mask), np.concatenate(dist)
ng = int(gated.sum())
assert ng >= 4, ng
for p in ('0.01', '0.20'):
    v = byname[f'gate+distance-p{p}']
    col = mask[:, v['bit']].astype(bool)
    n = int(np.floor(float(p) * acc + 0.5))
    th = v['threshold']
    assert th['n_gated'] == ng and col[gated].all(), 'a gated record was kept'
    assert v['n_pruned'] == max(n, ng) == int(col.sum()), (v, n, ng)
    assert th['gates_exceed_budget'] == (ng > n)
    if ng < n:  # the fill is the farthest of the rest
        rest = ~gated
        assert dist[col & rest].min() >= dist[rest & ~col].max()
assert byname['gate+distance-p0.01']['threshold']['gates_exceed_budget']
# the other fills, recomputed: size order = (cluster rank by (size, id), farthest first, g)
cl = np.concatenate([np.load(f'{w}/assign/{os.path.basename(sh)}.cluster.npy') for sh in shards])
g_all = np.arange(len(cl))
acc_m = cl >= 0
size = np.bincount(cl[acc_m], minlength=plan['k'])
crank = np.empty(plan['k'], np.int64); crank[np.lexsort((np.arange(plan['k']), size))] = np.arange(plan['k'])
def order(keys):  # keys: most significant last, as np.lexsort
    idx = g_all[acc_m]
    return idx[np.lexsort(tuple([idx] + [k[acc_m] for k in keys[::-1]]))]  # keys[0] primary, ties by g
size_ord = order([crank[np.maximum(cl, 0)], -dist.astype(np.float64)])
dist_ord = order([-dist.astype(np.float64)])
def take(col, o, m):
    for g in o:
        if m == 0: break
        if not col[g]: col[g] = True; m -= 1
    return col
n = int(np.floor(0.2 * acc + 0.5)); m = n - ng
assert m > 0
want = {'gate+size-p0.20': take(gated.copy(), size_ord, m)}
ns = int(np.floor(0.5 * m + 0.5))
want['gate+combined-p0.20-a0.50'] = take(take(gated.copy(), size_ord, ns), dist_ord, m - ns)
for name, col in want.items():
    got = mask[:, byname[name]['bit']].astype(bool)
    assert (got == col).all(), (name, int(got.sum()), int(col.sum()), int((got != col).sum()))
    assert byname[name]['n_pruned'] == n
for name in ('gate+random-p0.20', 'gate+length-p0.20', 'gate+size-p0.01', 'gate+combined-p0.01-a0.50'):
    got = mask[:, byname[name]['bit']].astype(bool)
    assert got[gated].all() and byname[name]['n_pruned'] == int(got.sum()) == max(ng, int(np.floor(float(name.split('-p')[1][:4]) * acc + 0.5))), name
PY
"$BIN" prune --workdir "$W" --in $SH --write-removed 2>/dev/null || fail prune
$PY - "$W" $SH <<'PY' || fail "prune accounting"
import os, subprocess, sys
w, shards = sys.argv[1], sys.argv[2:]
for sh in shards:
    name = os.path.basename(sh)
    n = len(subprocess.run(['zstdcat', sh], capture_output=True).stdout.split(b'\n')) - 1
    d = f'{w}/out/gate+distance-p0.20'
    k = len(subprocess.run(['zstdcat', f'{d}/kept/{name}'], capture_output=True).stdout.split(b'\n')) - 1
    r = len(subprocess.run(['zstdcat', f'{d}/removed/{name}'], capture_output=True).stdout.split(b'\n')) - 1
    assert k + r == n, (name, k, r, n)
PY
grep -q "Gates over budget:\*\* gate+distance-p0.01" "$W/report.md" || fail "report.md does not say the gates exceed the budget"
grep -q "## Quality gates" "$W/report.md" || fail "report.md has no gate table"

# gate+distance without the gates stage: a clear failure
W2=$T/nogates; mkdir -p "$W2"; cp -r "$W/embed" "$W/index" "$W/assign" "$W2/"
if "$BIN" score --workdir "$W2" --in $SH --metrics gate+distance 2>"$T/err"; then fail "score without gates/ succeeded"; fi
grep -q "sciprune gates" "$T/err" || { cat "$T/err"; fail "no hint to run the gates stage"; }

# embed --gates: the same W/gates/ files from the embedder's own parse (one parse per record),
# with the vectors unchanged; a rerun skips done shards, a killed shard is redone.
"$BIN" embed --workdir "$T/eg" --in $SH --dim 64 --gates --threads 2 2>/dev/null || fail "embed --gates"
for f in $(cd "$T/w1/gates" && ls *.npy *.gates.json); do
  cmp -s "$T/w1/gates/$f" "$T/eg/gates/$f" || fail "embed --gates: $f differs from the gates stage"
done
for f in $(cd "$W/embed" && ls *.npy); do
  cmp -s "$W/embed/$f" "$T/eg/embed/$f" || fail "embed --gates changed the vectors ($f)"
done
$PY - "$T/w1" "$T/eg" <<'PY' || fail "embed --gates summary"
import json, sys
a = json.load(open(f'{sys.argv[1]}/gates/summary.json')); b = json.load(open(f'{sys.argv[2]}/gates/summary.json'))
del a['seconds'], b['seconds']
assert a == b, 'summary.json differs between the gates stage and embed --gates'
PY
first=$(echo "$SH" | head -n1); fn=$(basename "$first")
rm "$T/eg/gates/$fn.gates.json"
"$BIN" embed --workdir "$T/eg" --in $SH --dim 64 --gates 2>"$T/err" || fail "embed --gates rerun"
grep -q "(1 embedded, $(( $(echo "$SH" | wc -l) - 1 )) already done)" "$T/err" || { cat "$T/err"; fail "rerun did not redo exactly the incomplete shard"; }
cmp -s "$T/w1/gates/$fn.gates.json" "$T/eg/gates/$fn.gates.json" || fail "redone shard differs"
"$BIN" gates --workdir "$T/w1" --in $SH 2>"$T/err" || fail "gates rerun"
grep -q "$(echo "$SH" | wc -l) shards already done" "$T/err" || { cat "$T/err"; fail "gates rerun did not skip"; }
if "$BIN" embed --workdir "$T/eg2" --in $SH --gates --embedder npy:/nonexistent 2>/dev/null; then fail "gates with npy embedder accepted"; fi
if "$BIN" gates --workdir "$T/w9" --in $SH --parse-error-langs pythn 2>"$T/err"; then fail "bad language accepted"; fi
grep -q pythn "$T/err" || fail "bad language not named"

# per-language switch: a broken C file is flagged only when parse_error is on for c
mkdir -p "$T/src/c"; printf 'int main(void) { return (1 + ; }\n' > "$T/src/c/broken.c"
cp "$T/src/bad/broken.py" "$T/src/c/"
"$BIN" ingest "$T/src/c" --out "$T/cshards" 2>/dev/null || fail "ingest c"
"$BIN" gates --workdir "$T/c1" --in "$T"/cshards/*.jsonl.zst --parse-error-langs python 2>/dev/null || fail "gates c off"
"$BIN" gates --workdir "$T/c3" --in "$T"/cshards/*.jsonl.zst 2>/dev/null || fail "gates c default"
"$BIN" gates --workdir "$T/c2" --in "$T"/cshards/*.jsonl.zst --parse-error-langs all 2>/dev/null || fail "gates c all"
$PY - "$T" <<'PY' || fail "language switch"
import glob, json, os, sys
import numpy as np
t = sys.argv[1]
for d, c_on in (('c1', False), ('c2', True)):
    s = json.load(open(f'{t}/{d}/gates/summary.json'))
    c, py = s['languages']['c']['parse_error'], s['languages']['python']['parse_error']
    assert c['on'] == c_on and c['flagged_if_on'] == 1 and c['flagged'] == (1 if c_on else 0), (d, c)
    assert py['on'] and py['flagged'] == 1, (d, py)
    pe = np.concatenate([np.load(f) for f in sorted(glob.glob(f'{t}/{d}/gates/*.parse_error.npy'))])
    assert int((pe > 0).sum()) == (2 if c_on else 1), (d, pe)
assert json.load(open(f'{t}/c1/gates/summary.json'))['settings']['parse_error_langs'] == ['python']
# the default list has c and cpp (the C syntax check, not raw tree-sitter errors)
s3 = json.load(open(f'{t}/c3/gates/summary.json'))
assert s3['settings']['parse_error_langs'] == ['python', 'javascript', 'typescript', 'tsx', 'c', 'cpp'], s3['settings']
assert s3['languages']['c']['parse_error']['on'] and s3['languages']['c']['parse_error']['flagged'] == 1
assert json.load(open(f'{t}/c2/gates/summary.json'))['settings']['parse_error_langs'] == 'all'
PY

# --file explains one file
grep -q '"names": "never_bound"' <("$BIN" gates --file "$T/src/bad/undef.py") || fail "--file"
echo "e2e_gates: ok"
