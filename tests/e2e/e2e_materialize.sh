#!/usr/bin/env bash
# e2e: the prune's outputs and what reads them again, through the real binary.
#  - score, prune and materialize share their shard / writer options (one helper): the same
#    errors for a bad value, --default-lang for all three;
#  - .ids lines are JSON strings: ids holding "\n", "\t", "\\", '"' read back exactly;
#  - materialize after --output ids / mask writes what that prune decided (byte-identical to
#    the direct --output shards prune of the same plan) even after a later score changed
#    score/; ids or masks that do not match the shards are refused naming the file;
#  - stale W/parts/ of a killed run over ranks: a one-process prune and run are not confused
#    by them and remove them.
set -euo pipefail
S=${SCIPRUNE_BIN:?}
PY=/usr/bin/python3
export OMP_WAIT_POLICY=PASSIVE SCIPRUNE_NO_PROGRESS=1
T=$(mktemp -d /tmp/sciprune-e2e-materialize.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# ---------------------------------------------------------------- shared options
for cmd in score prune materialize; do
  "$S" $cmd --workdir "$T/x" --max-line 1Q 2> "$T/err" && fail "$cmd took --max-line 1Q"
  [ $? -eq 2 ] || true
  grep -q "sciprune $cmd: bad --max-line '1Q': a size like 4096, 64K, 16M" "$T/err" || { cat "$T/err"; fail "$cmd: --max-line error"; }
  "$S" $cmd --workdir "$T/x" --threads x 2> "$T/err" && fail "$cmd took --threads x"
  grep -q "sciprune $cmd: bad --threads 'x': a count 0..4096" "$T/err" || { cat "$T/err"; fail "$cmd: --threads error"; }
  "$S" $cmd --default-lang python --help > "$T/help" || fail "$cmd: no --default-lang"
  grep -q -- "--max-line SIZE      longest accepted line, like 4096, 64K, 16M (default 16M)" "$T/help" || fail "$cmd: help text"
done
for cmd in prune materialize; do
  "$S" $cmd --workdir "$T/x" --zstd-level 23 2> "$T/err" && fail "$cmd took --zstd-level 23"
  grep -q "sciprune $cmd: bad --zstd-level '23': a level 1..22" "$T/err" || { cat "$T/err"; fail "$cmd: --zstd-level error"; }
done
"$S" score --workdir "$T/x" --no-fsync 2> "$T/err" && fail "score took a writer option"
echo "options: one parser, the same errors for score, prune and materialize"

# ---------------------------------------------------------------- a corpus with awkward ids
mkdir -p "$T/in"
$PY - "$T/in" <<'PY'
import json, sys
d = sys.argv[1]
odd = ["a\nb", "tab\there", "back\\slash", 'quo"te', "ctl\x01\x7f", "plain/path.py", "uni\u00e9\u2028"]
for s in range(2):
    with open(f"{d}/s{s}.jsonl", "w") as f:
        for i in range(40):
            rid = odd[i] + f"#{s}" if i < len(odd) else f"r{s}-{i}"
            body = "\n".join(f"    x{k} = a * {k} + {i}" for k in range(1 + (i * 7 + s) % 9))
            txt = f"def f{i}(a):\n{body}\n    return a\n" if i % 3 else f"class C{i}:\n    def m(self):\n        return {i}\n"
            f.write(json.dumps({"id": rid, "lang": "python", "content": txt}) + "\n")
    if s == 1:
        with open(f"{d}/s{s}.jsonl", "a") as f:
            f.write('{"id": "broken", "content": \n')   # a rejected line
PY
IN=("$T"/in/*.jsonl)
W=$T/w
"$S" embed --workdir "$W" --in "${IN[@]}" 2>/dev/null || fail embed
"$S" index --workdir "$W" --k 3 2>/dev/null || fail index
score() { "$S" score --workdir "$W" --metrics random,size --ratios 0.3 --seed "$1" --in "${IN[@]}" 2>/dev/null || fail "score seed $1"; }
score 1
"$S" prune --workdir "$W" --in "${IN[@]}" --no-fsync --write-removed 2>/dev/null || fail "prune shards"
cp -r "$W/out" "$T/ref"
cp "$W"/score/*.prune.npy "$T/ref/"
VARIANTS="random-p0.30 size-p0.30"
same_as_ref() { # DIR VARIANT
  for d in kept removed; do
    for f in "$T/ref/$2/$d"/*; do
      cmp -s "$f" "$1/$d/$(basename "$f")" || fail "materialize $2 ($3): $d/$(basename "$f") differs"
    done
  done
}
for fmt in ids mask; do
  score 1
  "$S" prune --workdir "$W" --in "${IN[@]}" --no-fsync --write-removed --output $fmt 2>/dev/null || fail "prune --output $fmt"
  if [ $fmt = ids ]; then
    $PY - "$W" "$T/ref" <<'PY' || fail "ids do not read back"
import json, sys
w, ref = sys.argv[1], sys.argv[2]
n = odd = 0
for v in ("random-p0.30", "size-p0.30"):
    for s in ("s0.jsonl", "s1.jsonl"):
        for d in ("kept", "removed"):
            want = [json.loads(l)["id"] for l in open(f"{ref}/{v}/{d}/{s}", encoding="utf-8")]
            raw = open(f"{w}/out/{v}/{d}/{s}.ids", "rb").read()
            lines = raw.decode("utf-8").split("\n")
            assert lines[-1] == "" and len(lines) - 1 == len(want), (v, s, d, len(lines), len(want))
            got = [json.loads(l) for l in lines[:-1]]
            assert got == want, (v, s, d, got[:5], want[:5])
            n += len(got)
            odd += sum(1 for i in got if any(c in i for c in "\n\t\\\"\x01"))
assert odd >= 4, odd
print(f"ids: {n} ids read back exactly, {odd} with a line break, tab, backslash, quote or control byte")
PY
  fi
  score 2   # another seed: score/ now decides otherwise for random-p0.30
  cmp -s "$T/ref/s0.jsonl.prune.npy" "$W/score/s0.jsonl.prune.npy" && cmp -s "$T/ref/s1.jsonl.prune.npy" "$W/score/s1.jsonl.prune.npy" \
    && fail "seed 2 decides as seed 1: the test cannot tell"
  for v in $VARIANTS; do
    rm -rf "$T/mat"
    "$S" materialize --workdir "$W" --variant $v --out "$T/mat" --write-removed --no-fsync 2> "$T/err" \
      || { cat "$T/err"; fail "materialize $v after $fmt"; }
    same_as_ref "$T/mat" $v $fmt
  done
  # what does not match is refused, naming the file
  if [ $fmt = ids ]; then
    F="$W/out/random-p0.30/kept/s0.jsonl.ids"
    cp "$F" "$T/keep.ids"
    sed -i '$d' "$F"
    "$S" materialize --workdir "$W" --variant random-p0.30 --out "$T/bad" 2> "$T/err" && fail "a short .ids was taken"
    grep -q "s0.jsonl.ids.*out/prune.json says" "$T/err" || { cat "$T/err"; fail "short .ids: no clear error"; }
    printf '"no-such-id"\n' >> "$F"
    "$S" materialize --workdir "$W" --variant random-p0.30 --out "$T/bad" 2> "$T/err" && fail "an unknown id was taken"
    grep -q 's0.jsonl.ids.*"no-such-id" is not an accepted line' "$T/err" || { cat "$T/err"; fail "unknown id: no clear error"; }
    printf 'not json\n' > "$F"
    "$S" materialize --workdir "$W" --variant random-p0.30 --out "$T/bad" 2> "$T/err" && fail "a bad .ids line was taken"
    grep -q "s0.jsonl.ids.*not an id" "$T/err" || { cat "$T/err"; fail "bad .ids line: no clear error"; }
    cp "$T/keep.ids" "$F"
  else
    F="$W/out/size-p0.30/mask/s1.jsonl.kept.npy"
    cp "$F" "$T/keep.npy"
    $PY -c "import numpy as np, sys; np.save(sys.argv[1], np.load(sys.argv[1])[:-1])" "$F"
    "$S" materialize --workdir "$W" --variant size-p0.30 --out "$T/bad" 2> "$T/err" && fail "a short mask was taken"
    grep -q "s1.jsonl.kept.npy.*not the mask of this shard" "$T/err" || { cat "$T/err"; fail "short mask: no clear error"; }
    $PY -c "import numpy as np, sys; a = np.load(sys.argv[1]); a[0] ^= 1; np.save(sys.argv[1], a)" "$F"
    cp "$T/keep.npy" "$F"
    $PY -c "import numpy as np, sys; a = np.load(sys.argv[1]); a[0] ^= 1; np.save(sys.argv[1], a)" "$F"
    "$S" materialize --workdir "$W" --variant size-p0.30 --out "$T/bad" 2> "$T/err" && fail "a changed mask was taken"
    grep -q "s1.jsonl.kept.npy.*out/prune.json says" "$T/err" || { cat "$T/err"; fail "changed mask: no clear error"; }
    cp "$T/keep.npy" "$F"
  fi
  "$S" materialize --workdir "$W" --variant random-p0.30 --out "$T/bad" --in "${IN[0]}" 2> "$T/err" && fail "other shards were taken"
  grep -q "prune.json.*the prune wrote $fmt for 2 shards, materialize was given 1" "$T/err" || { cat "$T/err"; fail "other shards: no clear error"; }
done
echo "materialize: the ids / mask prune's decisions after a new score, mismatches refused naming the file"

# ---------------------------------------------------------------- stale parts
score 1
plant() {
  mkdir -p "$1/parts/prune" "$1/parts/corrupt" "$1/parts/index"
  echo '{"lines": 999, "v": []}' > "$1/parts/prune/s0.jsonl.json"
  echo '{"lines": 999}' > "$1/parts/prune/gone-shard.jsonl.json"
  echo junk > "$1/parts/corrupt/scan-1.bin"
  echo junk > "$1/parts/index/x"
}
plant "$W"
"$S" prune --workdir "$W" --in "${IN[@]}" --no-fsync --write-removed 2>/dev/null || fail "prune over stale parts"
for v in $VARIANTS; do same_as_ref "$W/out/$v" $v "over stale parts"; done
$PY - "$W/out/prune.json" "$T/ref/prune.json" <<'PY' || fail "prune.json over stale parts"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for k in ("seconds", "peak_rss", "threads"):
    a.pop(k, None); b.pop(k, None)
assert a == b
PY
[ ! -e "$W/parts/prune" ] || fail "prune left W/parts/prune"
cat > "$T/job.json" <<JSON
{"inputs": ["in/*.jsonl"], "workdir": "wr", "threads": 2, "index": {"k": 3},
 "score": {"metrics": ["size"], "ratios": [0.3]}, "prune": {"fsync": false},
 "corrupt": {"enabled": false}, "analyze": {"enabled": false}}
JSON
"$S" run --config "$T/job.json" > /dev/null 2> "$T/err" || { cat "$T/err"; fail "run"; }
cp -r "$T/wr/out" "$T/ref-run"
sed -i 's/"ratios": \[0.3\]/"ratios": [0.3, 0.5]/' "$T/job.json"
plant "$T/wr"
"$S" run --config "$T/job.json" --force > /dev/null 2> "$T/err" || { cat "$T/err"; fail "run over stale parts"; }
[ ! -e "$T/wr/parts" ] || { find "$T/wr/parts"; fail "run left W/parts"; }
for f in "$T"/ref-run/size-p0.30/kept/*; do
  cmp -s "$f" "$T/wr/out/size-p0.30/kept/$(basename "$f")" || fail "run over stale parts: $(basename "$f") differs"
done
$PY -c "
import json, sys
p = json.load(open(sys.argv[1]))
assert p['lines'] == 81 and [v['name'] for v in p['variants']] == ['size-p0.30', 'size-p0.50'], p['lines']
" "$T/wr/out/prune.json" || fail "run over stale parts: prune.json"
echo "parts: stale W/parts/ neither read nor left by a one-process prune or run"
