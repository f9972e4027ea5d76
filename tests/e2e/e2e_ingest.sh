#!/usr/bin/env bash
# e2e: `sciprune ingest` turns source trees into Stack-like shards: fields, languages, binary and
# oversized files skipped and counted, deterministic bytes, --docs-per-shard.
set -euo pipefail
S=${SCIPRUNE_BIN:?}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/sciprune-e2e-ingest.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$T/src/pkg/sub" "$T/src/.git"
printf 'def f(x):\n    return x\n' > "$T/src/pkg/a.py"
printf 'int main(void) { return 0; }\n' > "$T/src/pkg/sub/m.c"
printf 'const x = "caf\xc3\xa9";\n' > "$T/src/pkg/sub/z.js"
printf 'binary\x00data' > "$T/src/pkg/bin.py"
printf 'bad utf8 \xff\n' > "$T/src/pkg/latin1.py"
head -c 50000 /dev/zero | tr '\0' 'x' > "$T/src/pkg/big.py"
printf 'notes\n' > "$T/src/pkg/README"
printf 'x = 1\n' > "$T/src/.git/hook.py"
ln -s "$T/src/pkg/a.py" "$T/src/pkg/link.py"
# generated code too (tests/corpus/make_corpus.py): a dozen Python modules
SRC=${SCIPRUNE_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
$PY "$SRC/tests/corpus/make_corpus.py" --seed 1 --src "$T/gen" || fail make_corpus
cp "$T"/gen/py_graph/*.py "$T/src/pkg/sub/"
[ "$(ls "$T"/src/pkg/sub/*.py | wc -l)" -ge 10 ] || fail "too few generated files"

"$S" ingest "$T/src" --out "$T/shards" --docs-per-shard 4 --max-file-bytes 40K 2> "$T/log"
cat "$T/log"
grep -q '2 binary, 1 too large, 1 unknown language' "$T/log" || fail "skip counts"
"$S" ingest "$T/src" --out "$T/shards2" --docs-per-shard 4 --max-file-bytes 40K 2>/dev/null
for f in "$T"/shards/*.zst; do cmp "$f" "$T/shards2/$(basename "$f")" || fail "not deterministic: $f"; done
$PY - "$T" <<'PY'
import json, subprocess, sys, glob, os
t = sys.argv[1]
shards = sorted(glob.glob(t + "/shards/*.jsonl.zst"))
recs = []
for s in shards:
    out = subprocess.run(["zstd", "-dc", s], stdout=subprocess.PIPE, check=True).stdout
    rs = [json.loads(l) for l in out.decode().splitlines()]
    assert len(rs) <= 4
    recs += rs
ids = [r["id"] for r in recs]
assert ids == sorted(ids, key=lambda s: s.encode().split(b"/")) or ids == sorted(ids), ids
assert "src/pkg/a.py" in ids and "src/pkg/sub/m.c" in ids and "src/pkg/sub/z.js" in ids, ids
assert not any("bin.py" in i or "latin1" in i or "big.py" in i or "README" in i or ".git" in i or "link.py" in i for i in ids), ids
by = {r["id"]: r for r in recs}
a = by["src/pkg/a.py"]
assert a["content"] == "def f(x):\n    return x\n" and a["lang"] == "python" and a["path"] == a["id"] and a["size"] == len(a["content"].encode())
assert by["src/pkg/sub/z.js"]["content"] == 'const x = "caf\u00e9";\n' and by["src/pkg/sub/z.js"]["lang"] == "javascript"
assert by["src/pkg/sub/m.c"]["lang"] == "c"
for r in recs:
    if r["id"].startswith("src/pkg/sub/") and r["id"].endswith(".py"):
        assert r["content"].encode() == open(t + "/" + r["id"], "rb").read()
assert len(shards) == (len(recs) + 3) // 4
print("ingest ok:", len(recs), "records in", len(shards), "shards")
PY
# a re-ingest into the same folder with fewer files removes stale shards
rm -rf "$T/src/pkg/sub"
"$S" ingest "$T/src" --out "$T/shards" --docs-per-shard 4 2>/dev/null
[ "$(ls "$T/shards" | wc -l)" = 1 ] || fail "stale shards left behind"
# checked round trip: every ingested record is accepted by the reader
"$S" check --in "$T"/shards2/*.zst --out "$T/chk" 2> "$T/log2"
grep -q ' 0 rejected' "$T/log2" || fail "ingested shards do not read back cleanly"
# the generated corpus as shards (make_corpus.py --shards) holds the same records as its source
# tree ingested: ids, contents, languages, paths, sizes
$PY "$SRC/tests/corpus/make_corpus.py" --seed 1 --shards "$T/gshards" --docs-per-shard 100 || fail "make_corpus --shards"
"$S" ingest "$T/gen" --out "$T/gingest" --docs-per-shard 100 2>/dev/null || fail "ingest of the generated corpus"
"$S" check --in "$T"/gshards/*.jsonl --out "$T/gchk" 2> "$T/log3"
grep -q ' 0 rejected' "$T/log3" || fail "generated shards do not read back cleanly: $(cat "$T/log3")"
$PY - "$T" <<'PY' || fail "generated shards differ from the ingested tree"
import glob, json, subprocess, sys
t = sys.argv[1]
a = [json.loads(l) for s in sorted(glob.glob(t + "/gshards/*.jsonl")) for l in open(s, encoding="utf-8")]
b = [json.loads(l) for s in sorted(glob.glob(t + "/gingest/*.jsonl.zst"))
     for l in subprocess.run(["zstd", "-dc", s], capture_output=True, check=True).stdout.decode().splitlines()]
assert len(a) == len(b) >= 500, (len(a), len(b))
for x, y in zip(a, b):
    assert "gen/" + x["id"] == y["id"] and x["content"] == y["content"] and x["lang"] == y["lang"], (x["id"], y["id"])
    assert x["size"] == y["size"] and x["path"] == x["id"]
print("generated shards: %d records, equal to the ingested tree" % len(a))
PY
echo "e2e_ingest: ok"
