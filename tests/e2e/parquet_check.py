#!/usr/bin/env python3
"""parquet_check.py EXPECTED.jsonl SHARD_DIR [--extras] - compare `sciprune ingest --parquet`
output with the values the Parquet writer was given (tests/e2e/parquet_write.mjs): every row
with a text arrives, in order, content bytes identical, id/path/size right, "lang" mapped to
sciprune's names; every null-text row is in SHARD_DIR/rejected/parquet.jsonl with its row."""
import base64
import glob
import json
import os
import subprocess
import sys

LANG = {"Python": "python", "JavaScript": "javascript", "C": "c", "C++": "cpp",
        "TypeScript": "typescript", "Markdown": "markdown", "Go": "go"}
EXT = {".py": "python", ".c": "c"}


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    expected_path, shard_dir = sys.argv[1], sys.argv[2]
    extras = "--extras" in sys.argv
    expected = [json.loads(l) for l in open(expected_path, encoding="utf-8")]
    shards = sorted(glob.glob(os.path.join(shard_dir, "shard-*.jsonl.zst")))
    if not shards:
        fail("no shards")
    lines = []
    for s in shards:
        raw = subprocess.run(["zstd", "-dcq", s], check=True, stdout=subprocess.PIPE).stdout
        if not raw.endswith(b"\n"):
            fail(f"{s}: no final newline")
        lines += raw.split(b"\n")[:-1]
    recs = [json.loads(l) for l in lines]
    want = [e for e in expected if e["content_b64"] is not None]
    nulls = [e for e in expected if e["content_b64"] is None]
    if len(recs) != len(want):
        fail(f"{len(recs)} records, want {len(want)}")
    nbytes = 0
    for r, e in zip(recs, want):
        got = r["content"].encode("utf-8")
        exp = base64.b64decode(e["content_b64"])
        if got != exp:
            fail(f"{e['file']} row {e['row']}: content differs ({len(got)} vs {len(exp)} bytes)")
        nbytes += len(exp)
        want_id = e["hexsha"] if e["hexsha"] is not None else f"{e['file']}:{e['row']}"
        if r["id"] != want_id:
            fail(f"{e['file']} row {e['row']}: id {r['id']!r}, want {want_id!r}")
        if e["path"] is None:
            if "path" in r:
                fail(f"row {e['row']}: null path written as {r['path']!r}")
        elif r.get("path") != e["path"]:
            fail(f"row {e['row']}: path {r.get('path')!r}")
        if e["lang"] is not None:
            want_lang = LANG[e["lang"]]
        else:
            want_lang = EXT.get(os.path.splitext(e["path"] or "")[1], "unknown")
        if r["lang"] != want_lang:
            fail(f"{e['file']} row {e['row']}: lang {r['lang']!r}, want {want_lang!r} (from {e['lang']!r})")
        if r["size"] != len(exp) or r["size"] != e["size"]:
            fail(f"row {e['row']}: size {r['size']}, want {len(exp)}")
        keys = list(r.keys())
        if keys[:3] != ["id", "content", "lang"]:
            fail(f"field order {keys}")
        if extras:
            for k in ("ext", "max_stars_count", "avg_line_length"):
                if k not in r:
                    fail(f"extra column {k} missing with --keep-columns")
            if "hexsha" in r or "content_b64" in r:
                fail("mapped columns repeated as extras")
        elif set(keys) - {"id", "content", "lang", "path", "size"}:
            fail(f"extra fields without --keep-columns: {keys}")
    rej_path = os.path.join(shard_dir, "rejected", "parquet.jsonl")
    rej = [json.loads(l) for l in open(rej_path, encoding="utf-8")] if nulls else []
    if len(rej) != len(nulls):
        fail(f"{len(rej)} rejected rows, want {len(nulls)}")
    for r, e in zip(rej, nulls):
        if os.path.basename(r["file"]) != e["file"] or r["row"] != e["row"] or r["reason"] != "null_text":
            fail(f"rejected {r} for {e}")
        if r["row_group"] != e["row"] // 7:
            fail(f"rejected row group {r['row_group']} for row {e['row']}")
    big = max(len(base64.b64decode(e["content_b64"])) for e in want)
    if big < 1 << 20:
        fail(f"largest content only {big} bytes")
    print(f"parquet_check: {len(expected)} rows: {len(recs)} records in {len(shards)} shards "
          f"({nbytes} content bytes identical, largest {big}), {len(rej)} null-text rows rejected")


main()
