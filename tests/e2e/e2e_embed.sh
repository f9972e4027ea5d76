#!/usr/bin/env bash
# e2e_embed.sh - `sciprune embed` on the generated corpus (tests/corpus/make_corpus.py): byte-identical output for 1 and 2 threads, every
# .npy loaded by numpy, resumability, spec changes refused, hash quality with a fitted idf,
# npy import round trip, exec with a fake embedder (success and failures).
set -euo pipefail
S=${SCIPRUNE_BIN:?}
SRC=${SCIPRUNE_SOURCE_ROOT:?}
PY=/usr/bin/python3
FAKE=$SRC/tests/embed/fake_embedder.py
T=$(mktemp -d /tmp/sciprune-e2e-embed-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# ---- corpus: generated Python, JavaScript and C files, plus a shard with bad lines
mkdir -p "$T/src/py" "$T/src/js" "$T/src/c" "$T/shards"
$PY "$SRC/tests/corpus/make_corpus.py" --seed 1 --src "$T/gen" || fail make_corpus
pydir=$T/gen/py_all
mkdir -p "$pydir"
for f in "$T"/gen/py_*/*.py; do cp "$f" "$pydir/$(basename "$(dirname "$f")")_$(basename "$f")"; done
ls "$pydir"/*.py | sort | sed -n 1,120p | xargs -I{} cp {} "$T/src/py/"
ls "$T"/gen/js_*/*.*js | sort | sed -n 1,40p | xargs -I{} cp {} "$T/src/js/"
ls "$T"/gen/c_*/*.[ch] | sort | sed -n 1,30p | xargs -I{} cp {} "$T/src/c/"
"$S" ingest "$T/src/py" "$T/src/js" "$T/src/c" --out "$T/shards" --docs-per-shard 40 2>/dev/null
printf '%s\n' '{"id":"ok1","content":"def f(x):\n    return x\n","lang":"python"}' 'not json' \
  '{"id":"ok2","content":"fn main() { let x = 1; }","lang":"rust"}' '' \
  '{"id":"ok3","content":"some text in a language we do not know","lang":"cobol"}' > "$T/shards/extra.jsonl"
ls "$T/shards" > "$T/names.txt"
n_shards=$(wc -l < "$T/names.txt")
[ "$n_shards" -ge 4 ] || fail "expected at least 4 shards, got $n_shards"

# ---- threads 1 vs 2: byte-identical
"$S" embed --in "$T"/shards/* --workdir "$T/w1" --threads 1 2> "$T/log1"
"$S" embed --in "$T"/shards/* --workdir "$T/w2" --threads 2 2> "$T/log2"
for f in "$T"/w1/embed/*.npy; do
  cmp "$f" "$T/w2/embed/$(basename "$f")" || fail "threads 1 and 2 differ: $(basename "$f")"
done
n_npy=$(ls "$T"/w1/embed/*.npy | wc -l)
# per shard: vectors, status, naturalness; once: idf.npy, ngram.npy (the naturalness model)
[ "$n_npy" -eq $((3 * n_shards + 2)) ] || fail "expected $((3 * n_shards + 2)) .npy files, got $n_npy"
echo "threads 1 and 2: $n_npy .npy files byte-identical"

# ---- the fit pass's feature cache (embed/stage.c) cannot change a byte: default budget (every
# record kept), a tiny one (some kept, the rest parsed again) and none, with the gates, for the
# all-records idf and a partial sample; SCIPRUNE_EMBED_CACHE_BYTES is the stage's test hook
same_outputs() { # workdir workdir what
  local n=0 f
  for f in $(cd "$1" && find embed gates -type f \( -name '*.npy' -o -name '*.gates.json' \) | sort); do
    cmp "$1/$f" "$2/$f" || fail "$3: $f differs"
    n=$((n + 1))
  done
  [ "$n" -eq $(( $(cd "$2" && find embed gates -type f \( -name '*.npy' -o -name '*.gates.json' \) | wc -l) )) ] ||
    fail "$3: file counts differ"
  [ "$n" -gt $((2 * n_shards)) ] || fail "$3: only $n files"
  echo "$n"
}
for mode in all part; do
  opts=(--gates --threads 2)
  [ $mode = part ] && opts+=(--idf-sample 0.3 --idf-min-docs 5)
  run_c() { SCIPRUNE_DEBUG=1 SCIPRUNE_EMBED_CACHE_BYTES=$1 "$S" embed --in "$T"/shards/* \
              --workdir "$T/wc-$mode$1" "${opts[@]}" 2> "$T/logc-$mode$1"; }
  run_c ""
  # a budget that keeps some records, not all: half of what the default run kept (from its
  # log, so the test follows any change of the per-record cache size)
  mib=$(grep -o 'kept the features of [0-9]* of [0-9]* idf records ([0-9.]* MiB' "$T/logc-$mode" |
        sed 's/.*(//; s/ MiB//')
  tiny=$(awk -v m="$mib" 'BEGIN { printf "%d", m * 1048576 / 2 }')
  [ "$tiny" -gt 0 ] || fail "no cache size in the default run's log"
  run_c "$tiny"
  run_c 0
  kept=$(grep -o 'kept the features of [0-9]* of [0-9]*' "$T/logc-$mode")
  read -r k n <<< "$(echo "$kept" | awk '{print $5, $7}')"
  [ -n "$k" ] && [ "$k" -eq "$n" ] && [ "$n" -gt 0 ] || fail "default cache did not keep every record: $kept"
  kt=$(grep -o 'kept the features of [0-9]* of [0-9]* idf records ([0-9.]* MiB, budget reached' "$T/logc-${mode}$tiny" |
       awk '{print $5}')
  [ -n "$kt" ] && [ "$kt" -gt 0 ] && [ "$kt" -lt "$n" ] || fail "tiny cache budget: $(grep kept "$T/logc-${mode}$tiny")"
  grep -q 'kept the features of 0 of' "$T/logc-${mode}0" || fail "cache not off: $(grep kept "$T/logc-${mode}0")"
  c1=$(same_outputs "$T/wc-$mode" "$T/wc-${mode}$tiny" "cache $mode tiny")
  same_outputs "$T/wc-$mode" "$T/wc-${mode}0" "cache $mode off" > /dev/null
  echo "feature cache ($mode idf sample, gates): $n records kept / $kt kept (tiny budget) / none: $c1 files byte-identical"
done
for f in "$T"/w1/embed/*.npy; do # and the same vectors as without the gates
  cmp "$f" "$T/wc-all/embed/$(basename "$f")" || fail "--gates changed $(basename "$f")"
done
# the gates, the site detectors and the n-gram model together (4 visitors on one parse): the same
# bytes as without the gates. The visitor array once held 3 and the 4th overwrote the stack; that
# showed on the demo corpus (bench/semantic_results.md) but not on these small shards, so this is
# the invariant, not a reproduction of that bug
for g in "" --gates; do # (naturalness rides with the site detectors when listed)
  "$S" embed --in "$T"/shards/* --workdir "$T/ws$g" --features all,sites,naturalness --threads 2 $g 2> /dev/null ||
    fail "embed all,sites,naturalness $g"
done
ns=0
for f in "$T"/ws/embed/*.npy; do
  cmp "$f" "$T/ws--gates/embed/$(basename "$f")" || fail "--gates with sites changed $(basename "$f")"
  ns=$((ns + 1))
done
ls "$T"/ws/embed/*.sites.npy > /dev/null 2>&1 || fail "no sites signal written"
ls "$T"/ws/embed/*.naturalness.npy > /dev/null 2>&1 || fail "no naturalness signal written"
echo "gates + sites + naturalness: $ns .npy files identical to the run without the gates"

# ---- numpy loads every .npy; shapes match the line counts; values make sense
for s in "$T"/shards/*; do
  case "$s" in *.zst) zstd -dc "$s" | wc -l ;; *) wc -l < "$s" ;; esac
done > "$T/lines.txt"
$PY - "$T/w1/embed" "$T/names.txt" "$T/lines.txt" <<'PYEOF'
import json, sys, numpy as np
d, names, lines = sys.argv[1], open(sys.argv[2]).read().split(), [int(x) for x in open(sys.argv[3]).read().split()]
spec = json.load(open(d + "/embedder.json"))
assert spec["backend"] == "hash" and spec["dim"] == 256 and spec["hash"]["drop_structure_on_error"] is True
idf = np.load(d + "/idf.npy")
assert idf.dtype == np.float32 and idf.shape == (1 << 20,) and idf.min() >= 1.0
assert [s["name"] for s in json.load(open(d + "/shards.json"))["shards"]] == names
tot = np.zeros(5, int)
for name, n in zip(names, lines):
    v = np.load("%s/%s.npy" % (d, name)); st = np.load("%s/%s.status.npy" % (d, name))
    assert v.shape == (n, 256) and v.dtype == np.float32 and st.shape == (n,) and st.dtype == np.uint8, (name, v.shape, n)
    nr = np.linalg.norm(v, axis=1)
    assert np.all(np.abs(nr[st != 1] - 1) < 1e-4), name
    assert np.all(v[st == 1] == 0), name
    tot += np.bincount(st, minlength=5)[:5]
summ = json.load(open(d + "/summary.json"))["totals"]
assert [summ[k] for k in ("ok", "rejected", "lexical", "parse_error", "empty")] == list(tot), (summ, tot)
assert tot[1] == 2 and tot[2] == 1, tot  # extra.jsonl: 2 rejected lines, 1 language without a grammar
print("numpy: %d shards loaded; status totals ok=%d rejected=%d lexical=%d parse_error=%d empty=%d" % ((len(names),) + tuple(tot)))
PYEOF

# ---- float16 option
"$S" embed --in "$T"/shards/* --workdir "$T/w16" --threads 2 --dtype float16 2>/dev/null
$PY - "$T/w1/embed" "$T/w16/embed" "$(head -1 "$T/names.txt")" <<'PYEOF'
import sys, numpy as np
a = np.load("%s/%s.npy" % (sys.argv[1], sys.argv[3])); b = np.load("%s/%s.npy" % (sys.argv[2], sys.argv[3]))
assert b.dtype == np.float16 and np.array_equal(a.astype(np.float16), b)
print("float16: equals numpy's rounding of the float32 vectors")
PYEOF

# ---- resumable: a rerun skips everything; another spec is refused; --force recomputes
before=$(md5sum "$T"/w1/embed/*.npy)
"$S" embed --in "$T"/shards/* --workdir "$T/w1" --threads 2 2> "$T/log3"
grep -q "0 embedded, $n_shards already done" "$T/log3" || fail "rerun did not skip: $(cat "$T/log3")"
[ "$before" = "$(md5sum "$T"/w1/embed/*.npy)" ] || fail "rerun changed outputs"
rm "$T/w1/embed/$(head -1 "$T/names.txt").npy"
"$S" embed --in "$T"/shards/* --workdir "$T/w1" --threads 2 2> "$T/log3"
grep -q "1 embedded" "$T/log3" || fail "a removed shard was not redone"
[ "$before" = "$(md5sum "$T"/w1/embed/*.npy)" ] || fail "redoing one shard changed outputs"
if "$S" embed --in "$T"/shards/* --workdir "$T/w1" --dim 512 2> "$T/log4"; then fail "a different dim was accepted"; fi
grep -q "embedded differently: dimension 256, this run asks for 512" "$T/log4" || fail "unclear refusal: $(cat "$T/log4")"
if "$S" embed --in "$T"/shards/* --workdir "$T/w1" --embedder "npy:$T" 2> "$T/log4"; then fail "a different backend was accepted"; fi
"$S" embed --in "$T"/shards/* --workdir "$T/w2" --dim 128 --force 2>/dev/null
$PY -c "import numpy, sys; assert numpy.load(sys.argv[1]).shape[1] == 128" "$T/w2/embed/$(head -1 "$T/names.txt").npy"
echo "resume: rerun skipped, removed shard redone identically, other spec refused, --force ok"

# ---- npy import: the hash vectors exported and imported again give the same bytes
mkdir -p "$T/vecs"
while read -r name; do cp "$T/w1/embed/$name.npy" "$T/vecs/"; done < "$T/names.txt"
"$S" embed --in "$T"/shards/* --workdir "$T/w3" --embedder "npy:$T/vecs" 2>/dev/null
while read -r name; do
  cmp "$T/w1/embed/$name.npy" "$T/w3/embed/$name.npy" || fail "npy import changed $name"
done < "$T/names.txt"
$PY -c "
import numpy, sys
for n in open(sys.argv[2]).read().split():
    assert set(numpy.load(sys.argv[1] + '/' + n + '.status.npy')) <= {0, 1}
" "$T/w3/embed" "$T/names.txt"
echo "npy: import reproduces the exported vectors byte for byte"

# ---- exec: the fake embedder (rows = letter counts), then failures leave no vectors
"$S" embed --in "$T/shards/extra.jsonl" --workdir "$T/wx" --embedder "exec:$PY $FAKE ok 6" --exec-batch 2 2> "$T/log5"
grep -q "model fake-6" "$T/log5" || fail "exec: $(cat "$T/log5")"
$PY - "$T/wx/embed/extra.jsonl.npy" <<'PYEOF'
import sys, numpy as np
v = np.load(sys.argv[1])
texts = [b"def f(x):\n    return x\n", None, b"fn main() { let x = 1; }", None, b"some text in a language we do not know"]
for i, t in enumerate(texts):
    want = [0] * 6 if t is None else [len(t)] + [t.count(bytes([97 + k])) for k in range(5)]
    assert list(v[i]) == want, (i, v[i], want)
print("exec: fake embedder rows received in input order, rejected rows zero")
PYEOF
# scripts/embed_hf.py: importable without torch; its protocol layer (model replaced by
# --fake-dim) gives the same rows as the fake embedder
$PY -c "
import sys; sys.path.insert(0, sys.argv[1]); import embed_hf
assert 'torch' not in sys.modules and embed_hf.model_id(sys.argv[1], 512).endswith(':mean:512')
" "$SRC/scripts"
"$S" embed --in "$T/shards/extra.jsonl" --workdir "$T/wh" --embedder "exec:$PY $SRC/scripts/embed_hf.py --fake-dim 6 /no/model" \
  --exec-batch 2 2>/dev/null
cmp "$T/wx/embed/extra.jsonl.npy" "$T/wh/embed/extra.jsonl.npy" || fail "embed_hf.py protocol rows differ"
echo "embed_hf.py: importable without torch, protocol layer answers like the fake embedder"
for mode in "crash 4 1" "hang 4 0" "rows 4 0" "dim 4 0"; do
  rm -rf "$T/wf"
  if "$S" embed --in "$T/shards/extra.jsonl" --workdir "$T/wf" --embedder "exec:$PY $FAKE $mode" \
       --exec-batch 1 --exec-timeout 1 2> "$T/log6"; then fail "exec $mode succeeded"; fi
  [ ! -e "$T/wf/embed/extra.jsonl.npy" ] || fail "exec $mode: shard marked complete"
  echo "exec $mode: $(tail -1 "$T/log6" | cut -c1-110)"
done

# ---- hash quality with the corpus idf: originals, renamed / whitespace / syntax variants
$PY - "$pydir" "$T/gen" "$T/q.jsonl" <<'PYEOF'
import glob, json, re, sys
pydir, src, out = sys.argv[1:]
files = [f for f in sorted(glob.glob(pydir + "/*.py")) if 3000 < len(open(f).read()) < 40000 and "def " in open(f).read()]
files = files[::max(1, len(files) // 50)][:50]  # spread over the corpus's projects
recs = [{"id": f, "content": open(f).read(), "lang": "python"} for f in files]
for f in files[:6]:
    t = open(f).read(); name = re.search(r"def (\w+)\(", t).group(1)
    recs.append({"id": f + ":rename", "content": re.sub(r"\b%s\b" % name, "zz_renamed_fn", t), "lang": "python"})
    recs.append({"id": f + ":ws", "content": t.replace("\n", "   \n") + "\n\n", "lang": "python"})
    i = t.find("):\n"); recs.append({"id": f + ":syntax", "content": t[:i + 1] + t[i + 2:], "lang": "python"})
for f in sorted(glob.glob(src + "/js_*/*.js"))[:6]:
    recs.append({"id": "js:" + f, "content": open(f).read(), "lang": "javascript"})
with open(out, "w") as o:
    for r in recs: o.write(json.dumps(r) + "\n")
PYEOF
"$S" embed --in "$T/q.jsonl" --workdir "$T/wq" --threads 2 2>/dev/null
$PY - "$T/q.jsonl" "$T/wq/embed" <<'PYEOF'
import json, sys, numpy as np
ids = [json.loads(l)["id"] for l in open(sys.argv[1])]
v = np.load(sys.argv[2] + "/q.jsonl.npy"); st = np.load(sys.argv[2] + "/q.jsonl.status.npy")
ix = {k: i for i, k in enumerate(ids)}; c = v @ v.T
orig = [i for i, k in enumerate(ids) if ":" not in k]
js = [i for i, k in enumerate(ids) if k.startswith("js:")]
for k in [k for k in ids if k.endswith(":rename")]:
    b = ix[k[:-7]]
    rn, ws, sy = c[b, ix[k]], c[b, ix[k[:-7] + ":ws"]], c[b, ix[k[:-7] + ":syntax"]]
    others = [c[b, j] for j in orig if j != b]
    print("%-24s rename %.3f  ws %.3f  syntax %.3f  other-py mean %.3f max %.3f  js max %.3f" % (
        k[:-7].split("/")[-1], rn, ws, sy, np.mean(others), max(others), c[b, js].max()))
    assert rn >= 0.9 and ws > sy and st[ix[k[:-7] + ":syntax"]] == 3
    assert np.mean(others) < rn - 0.3 and c[b, js].max() < rn - 0.3
PYEOF
echo "e2e_embed: ok"
