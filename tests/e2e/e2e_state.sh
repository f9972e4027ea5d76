#!/usr/bin/env bash
# e2e: workdir state that must not be trusted blindly (issue 13 items 2, 3, 5, 6):
#  - check: every rejected line counted in check.json is in rejected/ (also with two shards of
#    one file name in different folders);
#  - the workdir lock: a second writer fails at once (exit 3, naming the holder's pid and
#    command), succeeds once the first is done, and a SIGKILLed holder leaves no stale lock;
#  - resume verifies each stage's recorded outputs: a deleted or changed output reruns that
#    stage and the ones after it, also under --force; the result equals the original;
#  - standalone prune/score refuse an input shard rewritten since it was embedded;
#  - a bad config value is refused before any work, naming the key.
set -euo pipefail
S=${SCIPRUNE_BIN:?}
SRC=${SCIPRUNE_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/sciprune-e2e-state.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# ---------------------------------------------------------------- check: no lost rejects
# every shard's rejected count in check.json equals the records in rejected/<shard>.jsonl, and
# those records are exactly that shard's bad lines (distinct line numbers, raw bytes equal)
rejects_all_there() {
  $PY - "$1" "${@:2}" <<'PY'
import json, os, sys
out, paths = sys.argv[1], sys.argv[2:]
summary = json.load(open(out + "/check.json"))
by_name = {}
for p in paths:
    by_name.setdefault(os.path.basename(p), []).append(p)
total = 0
for row in summary["shards"]:
    rp = out + "/rejected/" + row["shard"] + ".jsonl"
    recs = [json.loads(l) for l in open(rp)] if os.path.exists(rp) else []
    assert len(recs) == row["rejected"], (row["shard"], len(recs), row["rejected"])
    assert len({r["line"] for r in recs}) == len(recs), "a rejected line recorded twice"
    src = by_name[row["shard"]]
    assert len(src) == 1, "two inputs reported under one name: %s" % src
    lines = open(src[0], "rb").read().split(b"\n")
    for r in recs:
        assert r["shard"] == row["shard"] and r["raw"].encode() == lines[r["line"] - 1], r
    total += len(recs)
assert total == summary["rejected"], (total, summary["rejected"])
print("check: %d rejected lines counted, %d in rejected/" % (summary["rejected"], total))
PY
}
mkdir -p "$T/d1" "$T/d2"
printf '%s\n' '{"id":"a","content":"x = 1"}' 'nope' 'nope again' > "$T/d1/x.jsonl"
printf '%s\n' 'bad' '{"id":"b","content":"y = 2"}' > "$T/d2/x.jsonl"
printf '%s\n' '{"id":"c","content":"z = 3"}' '{"content":' > "$T/d2/y.jsonl"
"$S" check --in "$T/d1/x.jsonl" "$T/d2/y.jsonl" --out "$T/chk" 2>/dev/null || fail "check"
rejects_all_there "$T/chk" "$T/d1/x.jsonl" "$T/d2/y.jsonl" || fail "rejected lines lost"
# one file name in two folders: either refused before anything is written, or nothing lost
set +e
"$S" check --in "$T/d1/x.jsonl" "$T/d2/x.jsonl" "$T/d2/y.jsonl" --out "$T/dup" 2> "$T/errdup"; rc=$?
set -e
if [ "$rc" = 0 ]; then
  rejects_all_there "$T/dup" "$T/d1/x.jsonl" "$T/d2/x.jsonl" "$T/d2/y.jsonl" || fail "duplicate names lost rejects"
else
  [ "$rc" = 1 ] && grep -q "x.jsonl" "$T/errdup" || { cat "$T/errdup"; fail "duplicate names: exit $rc, unclear"; }
  [ ! -e "$T/dup/check.json" ] || fail "duplicate names refused, yet a check.json claims counts"
fi

# ---------------------------------------------------------------- a job
$PY "$SRC/tests/corpus/make_corpus.py" --seed 3 --src "$T/src" >/dev/null || fail "make_corpus"
"$S" ingest "$T/src" --out "$T/shards" --docs-per-shard 150 2>/dev/null
cat > "$T/job.json" <<JSON
{"inputs": ["shards/shard-*.jsonl.zst"], "workdir": "w", "threads": 1,
 "index": {"k": 6}, "score": {"metrics": ["distance", "size"], "ratios": [0.2]},
 "prune": {"fsync": false, "write_removed": true}}
JSON
out_hashes() { (cd "$1" && find out score assign index embed -type f -name '*.*' ! -name '*.json' | LC_ALL=C sort | xargs sha256sum); }

# ---------------------------------------------------------------- the workdir lock
# wait until W/.lock names a live holder (the run took the lock)
wait_lock() {
  for _ in $(seq 1 500); do
    [ -s "$1/.lock" ] && return 0
    sleep 0.01
  done
  return 1
}
"$S" run --config "$T/job.json" > /dev/null 2> "$T/err_first" &
first=$!
wait_lock "$T/w" || fail "the first run never took the lock"
t0=$(date +%s%N)
set +e
"$S" run --config "$T/job.json" > /dev/null 2> "$T/err_second"; rc=$?
"$S" index --workdir "$T/w" --k 6 2> "$T/err_index"; rc_index=$?
"$S" prune --workdir "$T/w" 2> "$T/err_prune"; rc_prune=$?
set -e
t1=$(date +%s%N)
kill -0 $first 2>/dev/null || fail "the first run ended before the second was tried: the lock test tests nothing"
[ "$rc" = 3 ] || { cat "$T/err_second"; fail "a second run on a locked workdir exited $rc (want 3)"; }
grep -q "workdir .*w in use by pid $first (sciprune run)" "$T/err_second" || { cat "$T/err_second"; fail "the message does not name the holder"; }
[ "$rc_index" = 3 ] && grep -q "in use by pid $first" "$T/err_index" || { cat "$T/err_index"; fail "index on a locked workdir: exit $rc_index"; }
[ "$rc_prune" = 3 ] || { cat "$T/err_prune"; fail "prune on a locked workdir: exit $rc_prune"; }
[ $(( (t1 - t0) / 1000000 )) -lt 3000 ] || fail "refusals took $(( (t1 - t0) / 1000000 )) ms: they must not wait"
"$S" inspect "$T/w" > /dev/null || fail "inspect (read-only) refused while a run holds the workdir"
wait $first || { cat "$T/err_first"; fail "the first run failed (the second must not disturb it)"; }
"$S" run --config "$T/job.json" > /dev/null 2> "$T/err_after" || { cat "$T/err_after"; fail "a run after the holder finished"; }
[ "$(grep -c 'up to date' "$T/err_after")" = 4 ] || { cat "$T/err_after"; fail "the run after the holder did not find its work"; }
[ ! -s "$T/w/.lock" ] || fail "the lock file still names a holder after a clean exit"
out_hashes "$T/w" > "$T/h_ref"
# a holder killed with SIGKILL leaves no stale lock
"$S" run --config "$T/job.json" --workdir "$T/wk" > /dev/null 2>&1 &
victim=$!
wait_lock "$T/wk" || fail "the victim never took the lock"
kill -KILL $victim
wait $victim 2>/dev/null || true
grep -q "^$victim " "$T/wk/.lock" || fail "the killed holder's line is not in the lock file (test setup)"
"$S" run --config "$T/job.json" --workdir "$T/wk" > /dev/null 2> "$T/err_k" || { cat "$T/err_k"; fail "a run after a killed holder failed (stale lock?)"; }
echo "lock: second writer refused at once (exit 3), first finished, SIGKILLed holder left no lock"

# ---------------------------------------------------------------- resume verifies outputs
# a deleted stage folder: that stage and the later ones rerun, saying why; the result is the same
rm -rf "$T/w/score"
"$S" run --config "$T/job.json" > /dev/null 2> "$T/err_score" || { cat "$T/err_score"; fail "run after deleting score/"; }
grep -q "run: embed  up to date" "$T/err_score" && grep -q "run: index  up to date" "$T/err_score" \
  || { cat "$T/err_score"; fail "stages before score reran"; }
grep -q "run: score  score/.* missing, rerunning score" "$T/err_score" || { cat "$T/err_score"; fail "no reason given for rerunning score"; }
grep -q "run: score  done" "$T/err_score" && grep -q "run: prune  done" "$T/err_score" \
  || { cat "$T/err_score"; fail "score/ deleted, yet score and prune did not rerun"; }
out_hashes "$T/w" | cmp -s - "$T/h_ref" || fail "outputs after rerunning score differ"
# the same under --force
rm -rf "$T/w/score"
"$S" run --config "$T/job.json" --force > /dev/null 2> "$T/err_force" || { cat "$T/err_force"; fail "run --force after deleting score/"; }
grep -q "run: score  done" "$T/err_force" && grep -q "run: prune  done" "$T/err_force" \
  || { cat "$T/err_force"; fail "--force reported score/ up to date"; }
out_hashes "$T/w" | cmp -s - "$T/h_ref" || fail "outputs after --force differ"
# a changed (truncated) vectors file: embed reruns (that shard), then everything after it
v=$(ls "$T"/w/embed/shard-*.npy | grep -v status | head -1)
truncate -s -100 "$v"
"$S" run --config "$T/job.json" > /dev/null 2> "$T/err_vec" || { cat "$T/err_vec"; fail "run after truncating $v"; }
grep -q "run: embed  embed/$(basename "$v") changed" "$T/err_vec" || { cat "$T/err_vec"; fail "a truncated vectors file was trusted"; }
for st in index score prune; do grep -q "run: $st *done" "$T/err_vec" || { cat "$T/err_vec"; fail "$st did not rerun after embed"; }; done
out_hashes "$T/w" | cmp -s - "$T/h_ref" || fail "outputs after re-embedding differ"
# a small output edited in place (same size): caught by its hash
$PY - "$T/w/index/clusters.json" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.index(b"1")
b[i:i + 1] = b"2"
open(p, "wb").write(bytes(b))
PY
"$S" run --config "$T/job.json" > /dev/null 2> "$T/err_edit" || { cat "$T/err_edit"; fail "run after editing clusters.json"; }
grep -q "run: index  index/clusters.json changed" "$T/err_edit" || { cat "$T/err_edit"; fail "an edited clusters.json was trusted"; }
# a removed kept shard: prune reruns
k=$(ls "$T"/w/out/distance-p0.20/kept/* | head -1)
rm "$k"
"$S" run --config "$T/job.json" > /dev/null 2> "$T/err_kept" || { cat "$T/err_kept"; fail "run after removing $k"; }
grep -q "run: prune  out/distance-p0.20/kept/.* missing" "$T/err_kept" && grep -q "run: score  up to date" "$T/err_kept" \
  || { cat "$T/err_kept"; fail "a removed kept shard was not rewritten (or more than prune reran)"; }
out_hashes "$T/w" | cmp -s - "$T/h_ref" || fail "outputs after rewriting a kept shard differ"
"$S" run --config "$T/job.json" > /dev/null 2> "$T/err_final"
[ "$(grep -c 'up to date' "$T/err_final")" = 4 ] || { cat "$T/err_final"; fail "not current after the reruns"; }
echo "resume: deleted, truncated and edited outputs rerun their stage and the later ones"

# ---------------------------------------------------------------- prune/score on a rewritten shard
W=$T/ws
"$S" embed --workdir "$W" --in "$T"/shards/*.zst 2>/dev/null || fail "embed"
"$S" index --workdir "$W" --k 6 2>/dev/null || fail "index"
"$S" score --workdir "$W" --metrics distance,length --in "$T"/shards/*.zst 2>/dev/null || fail "score"
"$S" prune --workdir "$W" --in "$T"/shards/*.zst --no-fsync 2>/dev/null || fail "prune"
# the same file touched (mtime only): accepted
touch "$T"/shards/*.zst
"$S" prune --workdir "$W" --in "$T"/shards/*.zst --no-fsync 2>/dev/null || fail "prune after touch"
# rewritten with the same line count (two lines swapped): refused, naming the shard
cp -r "$T/shards" "$T/shards2"
$PY - "$T/shards2/shard-00001.jsonl.zst" <<'PY'
import subprocess, sys
p = sys.argv[1]
lines = subprocess.run(["zstd", "-dc", p], stdout=subprocess.PIPE, check=True).stdout.split(b"\n")[:-1]
lines[0], lines[1] = lines[1], lines[0]
subprocess.run(["zstd", "-q", "-f", "-o", p], input=b"\n".join(lines) + b"\n", check=True)
PY
for cmd in prune score; do
  set +e
  if [ $cmd = prune ]; then "$S" prune --workdir "$W" --in "$T"/shards2/*.zst --no-fsync 2> "$T/err_$cmd"; rc=$?
  else "$S" score --workdir "$W" --metrics distance,length --in "$T"/shards2/*.zst 2> "$T/err_$cmd"; rc=$?; fi
  set -e
  [ "$rc" = 1 ] || { cat "$T/err_$cmd"; fail "$cmd on a rewritten shard exited $rc"; }
  grep -q "shard-00001.jsonl.zst differs from the file" "$T/err_$cmd" || { cat "$T/err_$cmd"; fail "$cmd: the message does not name the shard"; }
done
# embed again over the rewritten file: that shard is re-embedded, then prune accepts it
"$S" embed --workdir "$W" --in "$T"/shards2/*.zst 2> "$T/err_reembed" || { cat "$T/err_reembed"; fail "re-embed"; }
$PY -c "
import json; s = json.load(open('$W/embed/summary.json'))['shards']
assert [x['skipped'] for x in s] == [x['name'] != 'shard-00001.jsonl.zst' for x in s], s" || fail "the changed shard was not re-embedded (or others were)"
echo "prune/score: a rewritten shard is refused by name; embed re-embeds it"

# ---------------------------------------------------------------- config checked before any work
printf '{"inputs": ["shards/shard-*.jsonl.zst"], "workdir": "wbad", "index": {"k": -3}}' > "$T/bad1.json"
printf '{"inputs": ["shards/shard-*.jsonl.zst"], "workdir": "wbad", "prune": {"fsync": "yes"}}' > "$T/bad2.json"
for c in bad1 bad2; do
  set +e
  "$S" run --config "$T/$c.json" 2> "$T/err_$c"; rc=$?
  set -e
  [ "$rc" = 1 ] || fail "$c: exit $rc"
  [ ! -e "$T/wbad" ] || { cat "$T/err_$c"; fail "$c: the workdir was made before the config was refused"; }
done
grep -q "index.k" "$T/err_bad1" || { cat "$T/err_bad1"; fail "k = -3 not named"; }
grep -q "prune.fsync" "$T/err_bad2" || { cat "$T/err_bad2"; fail "fsync \"yes\" not named"; }
echo "e2e_state: ok"
