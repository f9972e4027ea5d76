#!/usr/bin/env bash
# e2e_corrupt.sh - `sciprune corrupt` on the generated corpus (tests/corpus/make_corpus.py: Python,
# JavaScript, C), sciprune's own C sources and the golden-case inputs (eight languages; the syntax cases' expected files do not
# parse and must be counted as unclean, never used). Checks the output fields, labels,
# per-type counts, that every variant validates (`corrupt --verify` re-parses each one), that
# each edit undoes to the original record, and that 1 and 3 threads give identical files.
set -euo pipefail
: "${SCIPRUNE_BIN:?set SCIPRUNE_BIN to the sciprune binary}"
root=${SCIPRUNE_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/src"
"$py" "$root/tests/corpus/make_corpus.py" --seed 1 --src "$tmp/src/gen"
cp -r "$root/shard" "$root/lang" "$root/corrupt" "$tmp/src/"
cp -r "$root/tests/cases/corrupt" "$tmp/src/cases"
"$SCIPRUNE_BIN" ingest "$tmp/src" --out "$tmp/shards" --docs-per-shard 40 2>"$tmp/ingest.log"
ls "$tmp"/shards/*.jsonl.zst >/dev/null

per=6
"$SCIPRUNE_BIN" corrupt --in "$tmp"/shards/*.jsonl.zst --out "$tmp/c1" --per-type $per \
    --seed 7 --threads 1 >"$tmp/table1.txt" 2>"$tmp/run1.log"
"$SCIPRUNE_BIN" corrupt "$tmp"/shards/*.jsonl.zst --out "$tmp/c3" --per-type $per \
    --seed 7 --threads 3 >"$tmp/table3.txt" 2>"$tmp/run3.log"

# same files, byte for byte, whatever the thread count
(cd "$tmp/c1" && ls) >"$tmp/files1"
(cd "$tmp/c3" && ls) >"$tmp/files3"
cmp "$tmp/files1" "$tmp/files3"
while read -r f; do cmp "$tmp/c1/$f" "$tmp/c3/$f"; done <"$tmp/files1"
cmp "$tmp/table1.txt" "$tmp/table3.txt"

# every variant re-parses as its kind demands, and its edit undoes to a clean original
"$SCIPRUNE_BIN" corrupt --verify "$tmp"/c1/corrupt-*.jsonl.zst >"$tmp/verify.txt"
grep -q ' 0 bad$' "$tmp/verify.txt"

"$SCIPRUNE_BIN" corrupt --list >"$tmp/list.txt"

"$py" - "$tmp" "$per" <<'PY'
import json, subprocess, sys, glob, os
tmp, per = sys.argv[1], int(sys.argv[2])
def zlines(path):
    out = subprocess.run(["zstdcat", path], check=True, capture_output=True).stdout
    return [json.loads(l) for l in out.decode("utf-8").splitlines()]

orig = {}
for s in sorted(glob.glob(f"{tmp}/shards/*.jsonl.zst")):
    for r in zlines(s):
        orig[r["id"]] = r
kinds = {}
for line in open(f"{tmp}/list.txt"):
    lang, typ, kind = line.split()
    kinds[(lang, typ)] = kind

summary = json.load(open(f"{tmp}/c1/corrupt.json"))
cells = {(c["lang"], c["type"]): c for c in summary["cells"]}
assert summary["per_type"] == per and summary["seed"] == 7, summary
assert summary["records"] == len(orig), (summary["records"], len(orig))

variants, made = [], {}
for path in sorted(glob.glob(f"{tmp}/c1/corrupt-*.jsonl.zst")):
    lang = os.path.basename(path)[len("corrupt-"):-len(".jsonl.zst")]
    for i, v in enumerate(zlines(path)):
        need = {"id", "orig_id", "corruption", "kind", "lang", "content", "edit",
                "orig_shard", "orig_line"}
        assert need <= set(v), (path, sorted(v))
        assert v["lang"] == lang
        assert v["id"] == f"corrupt:{v['corruption']}:{v['orig_id']}"
        assert v["kind"] == kinds[(lang, v["corruption"])], v["id"]
        o = orig[v["orig_id"]]
        assert o["lang"] == lang
        e = v["edit"]
        off, rem, ins = e["offset"], e["removed"], e["inserted"]
        # offsets are bytes
        cb, ob = v["content"].encode(), o["content"].encode()
        assert cb[off:off + len(ins.encode())] == ins.encode(), v["id"]
        assert cb[:off] + rem.encode() + cb[off + len(ins.encode()):] == ob, v["id"]
        assert cb != ob
        made[(lang, v["corruption"])] = made.get((lang, v["corruption"]), 0) + 1
        variants.append((v["id"], os.path.basename(path), i + 1))

labels = [json.loads(l) for l in open(f"{tmp}/c1/labels.jsonl")]
assert sorted((l["id"], l["shard"], l["line"]) for l in labels) == sorted(variants)
assert all({"id", "orig_id", "corruption", "kind", "lang"} <= set(l) for l in labels)
assert len(set(l["id"] for l in labels)) == len(labels), "duplicate variant ids"

for key, c in cells.items():
    assert c["made"] == made.get(key, 0), (key, c, made.get(key))
    assert c["made"] <= per
    assert c["tried"] == c["made"] + c["no_site"] + c["invalid"], c
    assert c["candidates"] >= c["tried"] + c["unclean"], c
    assert c["kind"] == kinds[key]
# Python (the generated corpus) fills every type; every one of the eight languages has variants
for (lang, typ), c in cells.items():
    if lang == "python":
        assert c["made"] == per, c
for lang in ["python", "javascript", "typescript", "java", "c", "cpp", "go", "rust"]:
    assert sum(c["made"] for (l, _), c in cells.items() if l == lang) > 0, lang
# the syntax cases' expected files do not parse: they are counted, never corrupted
assert sum(c["unclean"] for c in cells.values()) > 0
# (ids are "src/<path>": ingest names records after the folder it was given)
for u in {l["orig_id"] for l in labels}:
    parts = u.split("/")
    if len(parts) == 4 and parts[1] == "cases" and parts[3].startswith("expected."):
        lang, typ = parts[2].split("-", 1)
        assert kinds[(lang, typ)] != "syntax", f"{u} does not parse but was corrupted"
# the printed table agrees with corrupt.json
rows = [l.split() for l in open(f"{tmp}/table1.txt").read().splitlines()[1:]]
for lang, typ, kind, m, tried, unclean, no_site, invalid in rows:
    c = cells[(lang, typ)]
    assert (int(m), int(tried), int(unclean)) == (c["made"], c["tried"], c["unclean"]), (lang, typ)
print(f"e2e_corrupt: {len(labels)} variants in {len(cells)} cells checked")
PY

# one file at a time: same seed, same bytes
in_py="$root/tests/cases/corrupt/python-drop-colon/input.py"
"$SCIPRUNE_BIN" corrupt --file "$in_py" --lang python --type drop-colon --seed 3 >"$tmp/a.py" 2>/dev/null
"$SCIPRUNE_BIN" corrupt --file "$in_py" --lang python --type drop-colon --seed 3 >"$tmp/b.py" 2>/dev/null
cmp "$tmp/a.py" "$tmp/b.py"
! cmp -s "$in_py" "$tmp/a.py"

# bad requests fail without writing output
if "$SCIPRUNE_BIN" corrupt --in "$tmp"/shards/*.jsonl.zst --out "$tmp/bad" --types frobnicate 2>/dev/null; then
    echo "unknown type accepted" >&2
    exit 1
fi
if "$SCIPRUNE_BIN" corrupt --in "$tmp"/shards/*.jsonl.zst --out "$tmp/bad" --langs cobol 2>/dev/null; then
    echo "unknown language accepted" >&2
    exit 1
fi
[ ! -e "$tmp/bad/labels.jsonl" ]
echo "e2e_corrupt: ok"
