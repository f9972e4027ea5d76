#!/usr/bin/env bash
# e2e: `sciprune check` on real and broken shards: accounting, rejected/ records with reasons,
# --on-error fail naming file and line, exit codes, and .npy files loading in numpy.
set -euo pipefail
S=${SCIPRUNE_BIN:?}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/sciprune-e2e-shard.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# -- a good plain shard and its zstd twin
printf '%s\n' '{"id":"a","content":"x = 1\n","lang":"python"}' '{"id":"b","content":"int x;","path":"a.c"}' > "$T/good.jsonl"
zstd -q -19 "$T/good.jsonl" -o "$T/good.jsonl.zst"
# -- one bad line of each kind
{
  printf '%s\n' '{"content":"ok"}'
  printf '%s\n' '{"content":"oops'
  printf '%s\n' '{"nocontent":1}'
  printf '%s\n' '{"content":["x"]}'
  printf '{"content":"\xff"}\n'
  printf '%s\n' '{"content":"a\u0000b"}'
  printf '\n'
  printf '{"content":"%s"}\n' "$(head -c 3000 /dev/zero | tr '\0' 'x')"
  printf '%s' '{"content":"no final newline"}'
} > "$T/bad.jsonl"
# -- damaged streams
$PY - "$T" <<'PY'
import sys, subprocess
t = sys.argv[1]
lines = b"".join(b'{"id":"r%d","content":"line %d"}\n' % (i, i) for i in range(50000))
half = lines.index(b"\n", len(lines) // 2) + 1
z1 = subprocess.run(["zstd", "-q", "-c"], input=lines[:half], stdout=subprocess.PIPE, check=True).stdout
z2 = subprocess.run(["zstd", "-q", "-c"], input=lines[half:], stdout=subprocess.PIPE, check=True).stdout
# two frames, the second cut in half: the first frame's lines, then one record naming frame 2
open(t + "/trunc.jsonl.zst", "wb").write(z1 + z2[: len(z2) // 2])
open(t + "/garbage.jsonl.zst", "wb").write(z1 + b"\x00GARBAGE" * 8 + z2)
# one flipped byte in the second frame: its lines are withheld, none of them comes back altered
flip = bytearray(z1 + z2)
flip[len(z1) + len(z2) // 2] ^= 0x40
open(t + "/flip.jsonl.zst", "wb").write(bytes(flip))
open(t + "/z1len", "w").write(str(len(z1)))
open(t + "/half", "w").write(str(lines[:half].count(b"\n")))
# a leading UTF-8 byte-order mark is skipped; a gzip shard is named as such
open(t + "/bom.jsonl", "wb").write(b"\xef\xbb\xbf" + b"".join(l + b"\n" for l in lines.split(b"\n")[:1000]))
subprocess.run("gzip -c %s/bom.jsonl > %s/gz.jsonl.gz" % (t, t), shell=True, check=True)
open(t + "/notzstd.jsonl.zst", "wb").write(lines[:1000])
open(t + "/empty.jsonl", "wb").write(b"")
PY

"$S" check --in "$T/good.jsonl" "$T/good.jsonl.zst" "$T/bad.jsonl" "$T/trunc.jsonl.zst" \
  "$T/garbage.jsonl.zst" "$T/notzstd.jsonl.zst" "$T/empty.jsonl" "$T/flip.jsonl.zst" "$T/bom.jsonl" \
  "$T/gz.jsonl.gz" --out "$T/out" --max-line 2K 2> "$T/stderr"
grep -q "gz.jsonl.gz: unsupported compression: gzip (decompress it or recompress with zstd)" "$T/stderr" \
  || { cat "$T/stderr"; fail "gzip shard not named on stderr"; }
grep -q 'rejected' "$T/stderr" || fail "no summary line"
$PY - "$T" <<'PY'
import json, sys
t = sys.argv[1]
summary = json.load(open(t + "/out/check.json"))
by = {s["shard"]: s for s in summary["shards"]}
def lines_of(name):
    import subprocess
    p = t + "/" + name
    data = open(p, "rb").read()
    return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
# accounting: accepted + rejected = lines, for every shard
for s in summary["shards"]:
    assert s["accepted"] + s["rejected"] == s["lines"], s
assert by["good.jsonl"] == {"shard": "good.jsonl", "lines": 2, "accepted": 2, "rejected": 0, "reasons": {}}, by["good.jsonl"]
assert by["good.jsonl.zst"]["accepted"] == 2
assert by["bad.jsonl"]["lines"] == lines_of("bad.jsonl") == 9
assert by["bad.jsonl"]["reasons"] == {"bad_json": 1, "no_text": 1, "text_not_string": 1, "bad_utf8": 1,
                                      "nul_in_text": 1, "too_long": 1, "no_newline": 1, "empty_line": 1}, by["bad.jsonl"]
assert by["empty.jsonl"]["lines"] == 0
# rejected records: verbatim raw, right reason and line
rej = [json.loads(l) for l in open(t + "/out/rejected/bad.jsonl.jsonl")]
raw = open(t + "/bad.jsonl", "rb").read().split(b"\n")
for r in rej:
    got = r["raw"].encode() if "raw" in r else __import__("base64").b64decode(r["raw_base64"])
    if r["reason"] == "too_long":
        assert raw[r["line"] - 1].startswith(got) and len(got) == 2048, r["detail"]
    else:
        assert got == raw[r["line"] - 1], (r, raw[r["line"] - 1])
    assert r["shard"] == "bad.jsonl"
assert [r["reason"] for r in rej] == ["bad_json", "no_text", "text_not_string", "bad_utf8", "nul_in_text", "empty_line", "too_long", "no_newline"], [r["reason"] for r in rej]
# streams: everything before the damage is accepted, then exactly one stream record
z1len, half = int(open(t + "/z1len").read()), int(open(t + "/half").read())
for name in ("trunc.jsonl.zst", "flip.jsonl.zst"):
    tr = by[name]
    assert tr["reasons"] == {"stream": 1} and tr["accepted"] == half, tr
    r = [json.loads(l) for l in open(t + "/out/rejected/" + name + ".jsonl")]
    assert len(r) == 1 and r[0]["offset"] == z1len and "frame 2 at compressed byte %d" % z1len in r[0]["detail"], r
assert by["bom.jsonl"] == {"shard": "bom.jsonl", "lines": 1000, "accepted": 1000, "rejected": 0, "reasons": {}}, by["bom.jsonl"]
gz = [json.loads(l) for l in open(t + "/out/rejected/gz.jsonl.gz.jsonl")]
assert by["gz.jsonl.gz"]["reasons"] == {"stream": 1} and by["gz.jsonl.gz"]["lines"] == 1, by["gz.jsonl.gz"]
assert gz[0]["detail"] == "unsupported compression: gzip (decompress it or recompress with zstd)", gz
ga = by["garbage.jsonl.zst"]
assert ga["reasons"] == {"stream": 1} and ga["accepted"] == half, ga
nz = by["notzstd.jsonl.zst"]
assert nz == {"shard": "notzstd.jsonl.zst", "lines": 1, "accepted": 0, "rejected": 1, "reasons": {"stream": 1}}, nz
g = [json.loads(l) for l in open(t + "/out/rejected/garbage.jsonl.zst.jsonl")]
assert g[0]["reason"] == "stream" and "corrupt" in g[0]["detail"] and g[0]["offset"] == z1len, g
n = [json.loads(l) for l in open(t + "/out/rejected/notzstd.jsonl.zst.jsonl")]
assert n[0]["offset"] == 0 and "not a zstd stream" in n[0]["detail"], n
print("check accounting ok")
PY
[ ! -e "$T/out/rejected/good.jsonl.jsonl" ] || fail "rejected file written for a clean shard"

# --on-error fail: exit 1, message names the file and the line, no summary written
rm -rf "$T/out2"
set +e
"$S" check --in "$T/good.jsonl" "$T/bad.jsonl" --out "$T/out2" --on-error fail 2> "$T/err2"
rc=$?
set -e
[ "$rc" = 1 ] || fail "--on-error fail exited $rc"
grep -q "bad.jsonl:2: rejected (bad_json)" "$T/err2" || { cat "$T/err2"; fail "message does not name file and line"; }
[ ! -e "$T/out2/check.json" ] || fail "summary written after a fail-fast stop"

# usage errors exit 2; --help and --version exit 0
set +e
"$S" check --out "$T/x" 2>/dev/null; [ $? = 2 ] || fail "missing input is not a usage error"
"$S" nosuchcommand 2>/dev/null; [ $? = 2 ] || fail "unknown command is not a usage error"
"$S" check --on-error maybe --in a --out b 2>/dev/null; [ $? = 2 ] || fail "bad --on-error is not a usage error"
set -e
grep -q '^sciprune ' <("$S" --version) || fail "--version"
grep -q 'usage: sciprune check' <("$S" check --help) || fail "check --help"
# two shards with one file name in different folders: refused (their rejected/ files collide)
mkdir -p "$T/d1" "$T/d2"
printf '%s\n' '{"id":"a","content":"x = 1"}' 'nope' > "$T/d1/x.jsonl"
printf '%s\n' 'bad' '{"id":"b","content":"y = 2"}' > "$T/d2/x.jsonl"
set +e
"$S" check --in "$T/d1/x.jsonl" "$T/d2/x.jsonl" --out "$T/dup" 2> "$T/errdup"; rc=$?
set -e
[ "$rc" = 1 ] || fail "duplicate shard names: exit $rc"
grep -q "two input shards are named x" "$T/errdup" || { cat "$T/errdup"; fail "duplicate names: unclear error"; }
[ ! -e "$T/dup/check.json" ] || fail "duplicate names: a summary was written"
grep -q 'usage: sciprune ingest' <("$S" ingest --help) || fail "ingest --help"
echo "e2e_shard: ok"
