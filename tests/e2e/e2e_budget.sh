#!/usr/bin/env bash
# e2e: issue 18's budget matching and outputs without copies, through the real binary.
#  - score --budget bytes / tokens: for every non-gate metric and several ratios, each variant's
#    removed bytes (tokens) in out/prune.json are p x the accepted total to within half of the
#    largest record (the rule gives half of the record that crosses the goal); the masks are the
#    same with 1 and 2 threads; the report lists records, MB and tokens kept per language;
#  - prune --output ids, then --output mask: the ids are the kept lines' ids, the bits the kept
#    lines; the earlier format's files go; `materialize` of every variant writes the same bytes
#    as the direct `--output shards` prune (kept and removed), plain and .zst shards alike;
#  - the config keys score.budget and prune.output drive `sciprune run`; a bad value is refused
#    naming the key;
#  - score --per-lang proportional prunes floor(p x N_L + 0.5) of each language (score.per_lang).
set -euo pipefail
S=${SCIPRUNE_BIN:?}
SRC=${SCIPRUNE_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=/usr/bin/python3
export OMP_WAIT_POLICY=PASSIVE SCIPRUNE_NO_PROGRESS=1
T=$(mktemp -d /tmp/sciprune-e2e-budget.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

$PY "$SRC/tests/corpus/make_corpus.py" --seed 5 --src "$T/src" >/dev/null || fail make_corpus
"$S" ingest "$T/src" --out "$T/shards" --docs-per-shard 120 2>/dev/null || fail ingest
# a plain shard with a rejected line too
printf '%s\n' '{"id":"bad-1","content":"x = 1"' \
  '{"id":"ok-1","content":"def f(x):\n    return x\n","lang":"python"}' \
  '{"id":"ok-2","content":"int main(void) { return 0; }\n","lang":"c"}' > "$T/shards/zz-plain.jsonl"
IN=("$T"/shards/*)
W=$T/w
"$S" embed --workdir "$W" --in "${IN[@]}" 2>/dev/null || fail embed
"$S" index --workdir "$W" --k 6 2>/dev/null || fail index
METRICS=size,distance,distance-pc,combined,combined-pc,random,length

# ---------------------------------------------------------------- budget matching
for unit in bytes tokens; do
  "$S" score --workdir "$W" --metrics $METRICS --ratios 0.1,0.2,0.5 --alphas 0.3,0.8 --budget $unit \
    --threads 1 --in "${IN[@]}" 2>/dev/null || fail "score --budget $unit"
  mkdir -p "$T/m1-$unit" && cp "$W"/score/*.prune.npy "$T/m1-$unit/"
  "$S" score --workdir "$W" --metrics $METRICS --ratios 0.1,0.2,0.5 --alphas 0.3,0.8 --budget $unit \
    --threads 2 --in "${IN[@]}" 2>/dev/null || fail "score --budget $unit (2 threads)"
  for f in "$T/m1-$unit"/*.npy; do
    cmp -s "$f" "$W/score/$(basename "$f")" || fail "$unit: masks differ between 1 and 2 threads"
  done
  "$S" prune --workdir "$W" --in "${IN[@]}" --no-fsync --threads 2 2>/dev/null || fail "prune ($unit)"
  $PY - "$W" "$unit" "${IN[@]}" <<'PY' || fail "$unit budget not matched"
import json, re, subprocess, sys
w, unit, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
plan = json.load(open(w + "/score/plan.json"))
pr = json.load(open(w + "/out/prune.json"))
rep = json.load(open(w + "/report.json"))
total = plan["budget"]["total"]
assert plan["budget"]["unit"] == unit, plan["budget"]
key = "bytes" if unit == "bytes" else "tokens"
# the largest record's weight: its line + '\n' (bytes), or the token rule of
# sciprune_tokens_approx over its text (tokens)
tok = re.compile(rb"[A-Za-z0-9_\x80-\xff]+|[^A-Za-z0-9_\x80-\xff \t\n\r\f\v]")
wmax = 0
for p in paths:
    data = subprocess.run(["zstdcat", p], capture_output=True, check=True).stdout if p.endswith(".zst") else open(p, "rb").read()
    for line in data.split(b"\n")[:-1]:
        if unit == "bytes":
            wmax = max(wmax, len(line) + 1)
        else:
            try:
                wmax = max(wmax, len(tok.findall(json.loads(line)["content"].encode())))
            except ValueError:
                pass
names = {v["name"]: v for v in plan["variants"]}
assert len(pr["variants"]) == 27, len(pr["variants"])  # (5 + 2 x 2 alphas) x 3 ratios
worst = 0
for v in pr["variants"]:
    pv = names[v["name"]]
    assert v["kept_" + key] + v["pruned_" + key] == total, (v, total)
    assert pv["threshold"]["budget_pruned"] == v["pruned_" + key], (pv, v)
    diff = abs(v["pruned_" + key] - pv["ratio"] * total)
    worst = max(worst, diff)
    assert diff <= wmax / 2, (v["name"], v["pruned_" + key], pv["ratio"] * total, wmax)
# the same numbers in report.json, per language too
rv = {v["name"]: v for v in rep["variants"]}
for v in pr["variants"]:
    assert rv[v["name"]]["kept_tokens"] == v["kept_tokens"]
assert rep["budget"]["unit"] == unit
for l in rep["languages"]:
    assert len(l["kept_tokens"]) == len(pr["variants"]) and l["tokens"] >= max(l["kept_tokens"])
print("%s: %d variants, total %d, worst |pruned - p x total| = %.1f (largest record %d)"
      % (unit, len(pr["variants"]), total, worst, wmax))
PY
  grep -q "## Kept per language" "$W/report.md" || fail "report.md has no kept-per-language table"
  grep -q "Budget: each ratio is a share of the accepted $unit" "$W/report.md" || fail "report.md does not name the budget"
done

# the spread the issue names: kept MB across variants at one ratio, records budget vs bytes
spread() {
  $PY - "$W/out/prune.json" "$1" <<'PY'
import json, sys
pr = json.load(open(sys.argv[1]))
k = [v["kept_bytes"] for v in pr["variants"]]
print("%s budget: kept bytes over %d variants at p = 0.2: %d .. %d (spread %.1f%%)"
      % (sys.argv[2], len(k), min(k), max(k), 100.0 * (max(k) - min(k)) / min(k)))
PY
}
for unit in records bytes; do
  "$S" score --workdir "$W" --metrics $METRICS --ratios 0.2 --alphas 0.8 --budget $unit \
    --in "${IN[@]}" 2>/dev/null || fail "score ($unit, spread)"
  "$S" prune --workdir "$W" --in "${IN[@]}" --no-fsync 2>/dev/null || fail "prune ($unit, spread)"
  spread $unit
done
echo "budget: bytes and tokens matched for every metric and ratio, masks thread-independent"

# ---------------------------------------------------------------- ids, mask, materialize
"$S" score --workdir "$W" --metrics $METRICS --ratios 0.2 --alphas 0.8 --budget bytes \
  --in "${IN[@]}" 2>/dev/null || fail "score (outputs)"
"$S" prune --workdir "$W" --in "${IN[@]}" --no-fsync --write-removed 2>/dev/null || fail "prune shards"
cp -r "$W/out" "$T/ref"
VARIANTS=$($PY -c "import json,sys; print(' '.join(v['name'] for v in json.load(open(sys.argv[1]))['variants']))" "$W/score/plan.json")
[ "$(echo $VARIANTS | wc -w)" = 7 ] || fail "want 7 variants: $VARIANTS"

check_outputs() { # FORMAT: the ids / bits against the reference copies
  $PY - "$W" "$T/ref" "$1" "${IN[@]}" <<'PY'
import json, os, subprocess, sys
import numpy as np
w, ref, fmt, paths = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
def lines(p):
    data = subprocess.run(["zstdcat", p], capture_output=True, check=True).stdout if p.endswith(".zst") else open(p, "rb").read()
    return data.split(b"\n")[:-1]
plan = json.load(open(w + "/score/plan.json"))
assert json.load(open(w + "/out/prune.json"))["output"] == fmt
for v in plan["variants"]:
    vn = v["name"]
    for p in paths:
        s = os.path.basename(p)
        kept = set(lines(ref + "/" + vn + "/kept/" + s))
        assert not os.path.exists(w + "/out/" + vn + "/kept/" + s), "stale shard copy"
        src = lines(p)
        if fmt == "ids":
            assert not os.path.exists(w + "/out/" + vn + "/mask/" + s + ".kept.npy")
            want_k, want_r = [], []
            for l in src:
                try:
                    rec = json.loads(l)
                except ValueError:
                    continue
                (want_k if l in kept else want_r).append(rec["id"])
            got_k = [json.loads(l) for l in open(w + "/out/" + vn + "/kept/" + s + ".ids")]
            got_r = [json.loads(l) for l in open(w + "/out/" + vn + "/removed/" + s + ".ids")]
            assert got_k == want_k and got_r == want_r, (vn, s)
        else:
            assert not os.path.exists(w + "/out/" + vn + "/kept/" + s + ".ids"), "stale ids"
            bits = np.unpackbits(np.load(w + "/out/" + vn + "/mask/" + s + ".kept.npy"), bitorder="little")
            assert len(bits) >= len(src) and not bits[len(src):].any()
            assert [bool(b) for b in bits[:len(src)]] == [l in kept for l in src], (vn, s)
print(fmt, "ok")
PY
}
same_as_ref() { # DIR VARIANT: materialized shards equal the direct prune's, kept and removed
  for d in kept removed; do
    for f in "$T/ref/$2/$d"/*; do
      cmp -s "$f" "$1/$d/$(basename "$f")" || fail "materialize $2: $d/$(basename "$f") differs"
    done
    [ "$(ls "$1/$d" | wc -l)" = "$(ls "$T/ref/$2/$d" | wc -l)" ] || fail "materialize $2: other files in $d"
  done
}
for fmt in ids mask; do
  "$S" prune --workdir "$W" --in "${IN[@]}" --no-fsync --write-removed --output $fmt 2>/dev/null \
    || fail "prune --output $fmt"
  check_outputs $fmt || fail "$fmt outputs wrong"
  for v in $VARIANTS; do
    "$S" materialize --workdir "$W" --variant "$v" --out "$T/mat-$fmt-$v" --write-removed --no-fsync \
      2>/dev/null || fail "materialize $v after $fmt"
    same_as_ref "$T/mat-$fmt-$v" "$v"
  done
done
"$S" materialize --workdir "$W" --variant nope --out "$T/x" 2> "$T/err_nope" && fail "an unknown variant was materialized"
grep -q "no such variant" "$T/err_nope" || { cat "$T/err_nope"; fail "unknown variant: no clear error"; }
echo "outputs: ids and mask match the copies; materialize gives the direct prune's bytes"

# ---------------------------------------------------------------- the config keys
cat > "$T/job.json" <<JSON
{"inputs": ["shards/*"], "workdir": "wr", "threads": 2, "index": {"k": 6},
 "score": {"metrics": ["distance", "size"], "ratios": [0.3], "budget": "tokens"},
 "prune": {"fsync": false, "output": "mask"}}
JSON
"$S" run --config "$T/job.json" > /dev/null 2> "$T/err_run" || { cat "$T/err_run"; fail "run with budget/output"; }
[ "$($PY -c "import json; print(json.load(open('$T/wr/score/plan.json'))['budget']['unit'])")" = tokens ] \
  || fail "score.budget not applied"
ls "$T"/wr/out/distance-p0.30/mask/*.kept.npy > /dev/null || fail "prune.output mask not applied"
[ ! -e "$T/wr/out/distance-p0.30/kept/zz-plain.jsonl" ] || fail "mask output wrote copies"
"$S" run --config "$T/job.json" > /dev/null 2> "$T/err_run2" || { cat "$T/err_run2"; fail "run again"; }
grep -q "run: prune  *up to date" "$T/err_run2" || { cat "$T/err_run2"; fail "a mask prune is not resumable"; }
sed 's/"tokens"/"lines"/' "$T/job.json" > "$T/bad.json"
"$S" run --config "$T/bad.json" > /dev/null 2> "$T/err_bad" && fail "a bad score.budget was accepted"
grep -q "score.budget" "$T/err_bad" || { cat "$T/err_bad"; fail "bad budget: the key is not named"; }
echo "config: score.budget and prune.output applied, a bad value refused naming the key"

# ---------------------------------------------------------------- score.per_lang
# proportional: each language loses floor(p x N_L + 0.5) of its accepted records in every
# non-gate variant (counted here from the shards and the masks); a bad mode is refused by the
# CLI and by the config naming the key.
"$S" score --workdir "$W" --metrics size,distance,combined,random --ratios 0.2,0.5 --alphas 0.3 \
  --per-lang proportional --threads 1 --in "${IN[@]}" 2>/dev/null || fail "score --per-lang proportional"
$PY - "$W" "${IN[@]}" <<'PY' || fail "per_lang proportional: a language not at p"
import json, math, os, subprocess, sys
import numpy as np
w, shards = sys.argv[1], sys.argv[2:]
plan = json.load(open(os.path.join(w, "score", "plan.json")))
assert plan["per_lang"] == "proportional", plan.get("per_lang")
nv = len(plan["variants"])
langs, bits = [], []
for s in shards:
    raw = open(s, "rb").read() if not s.endswith(".zst") else subprocess.run(["zstd", "-dc", s], stdout=subprocess.PIPE, check=True).stdout
    for l in raw.splitlines():
        try:
            r = json.loads(l)
            langs.append(r.get("lang", "unknown") if isinstance(r.get("content"), str) else None)
        except ValueError:
            langs.append(None)  # rejected
    m = np.load(os.path.join(w, "score", os.path.basename(s) + ".prune.npy"))
    bits.append(np.unpackbits(m, axis=1, bitorder="little")[:, :nv])
bits = np.concatenate(bits)
assert len(langs) == len(bits), (len(langs), len(bits))
ls = sorted(set(l for l in langs if l))
assert len(ls) >= 2, ls
for v, var in enumerate(plan["variants"]):
    for L in ls:
        idx = [i for i, l in enumerate(langs) if l == L]
        want = math.floor(var["ratio"] * len(idx) + 0.5)
        got = int(bits[idx, v].sum())
        assert got == want, (var["name"], L, got, want, len(idx))
        assert var["threshold"]["per_lang"][L]["n_pruned"] == want
print("per_lang: %d variants x %d languages at floor(p x N_L + 0.5)" % (nv, len(ls)))
PY
"$S" score --workdir "$W" --per-lang quota --in "${IN[@]}" 2> "$T/err_pl" && fail "a bad --per-lang was accepted"
grep -q "per_lang" "$T/err_pl" || { cat "$T/err_pl"; fail "bad --per-lang: no clear error"; }
sed 's/"budget": "tokens"/"per_lang": "quota"/' "$T/job.json" > "$T/bad_pl.json"
"$S" run --config "$T/bad_pl.json" > /dev/null 2> "$T/err_bad_pl" && fail "a bad score.per_lang was accepted"
grep -q "score.per_lang" "$T/err_bad_pl" || { cat "$T/err_bad_pl"; fail "bad per_lang: the key is not named"; }
echo "per_lang: proportional prunes p of each language; a bad mode refused"
