#!/usr/bin/env bash
# e2e: `sciprune ingest --parquet` on Parquet files written at test time with real compressed
# pages (snappy; zstd with a gzip column; 6 row groups each; multi-byte UTF-8, empty text, a
# NUL byte, a BOM, null text/lang/path/id values, a 1 MiB text): every row arrives with its
# bytes intact, counts match, null texts go to rejected/, bad Parquet names file and row group.
set -euo pipefail
S=${SCIPRUNE_BIN:?}
SRC=${SCIPRUNE_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/sciprune-e2e-parquet.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v node >/dev/null || fail "node is missing (scripts/setup.sh installs it)"
[ -d "$SRC/node_modules/hyparquet" ] && [ -d "$SRC/node_modules/hyparquet-writer" ] ||
  fail "npm packages hyparquet*, missing: run scripts/setup.sh"
export SCIPRUNE_PARQUET2SHARD="$SRC/scripts/parquet2shard.js"

node "$SRC/tests/e2e/parquet_write.mjs" "$T/pq" || fail "writing the test Parquet files"
# the pages really are compressed: the codecs in the footers, zstd frames and gzip members in the bytes
node --input-type=module -e "
import { asyncBufferFromFile, parquetMetadataAsync } from '$SRC/node_modules/hyparquet/src/node.js'
for (const [f, want] of [['snappy', ['SNAPPY']], ['zstd', ['ZSTD', 'GZIP']]]) {
  const m = await parquetMetadataAsync(await asyncBufferFromFile('$T/pq/' + f + '.parquet'))
  const codecs = new Set(m.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data.codec)))
  if (m.row_groups.length !== 6 || [...codecs].sort().join() !== want.sort().join()) {
    console.error('FAIL: ' + f + ': ' + m.row_groups.length + ' row groups, codecs ' + [...codecs]); process.exit(1)
  }
  const content = m.row_groups.map((g) => g.columns.find((c) => c.meta_data.path_in_schema[0] === 'content').meta_data)
  const comp = content.reduce((a, c) => a + Number(c.total_compressed_size), 0)
  const unc = content.reduce((a, c) => a + Number(c.total_uncompressed_size), 0)
  if (!(comp < unc * 0.9)) { console.error('FAIL: ' + f + ' content not compressed: ' + comp + '/' + unc); process.exit(1) }
  console.log(f + ': codecs ' + [...codecs] + ', content ' + comp + ' of ' + unc + ' bytes')
}" || fail "codec check"
$PY - "$T/pq/zstd.parquet" <<'EOF' || fail "zstd/gzip bytes"
import sys
b = open(sys.argv[1], "rb").read()
z, g = b.count(b"\x28\xb5\x2f\xfd"), b.count(b"\x1f\x8b\x08")
assert z >= 6 * 7 and g >= 6, (z, g)
print(f"zstd.parquet: {z} zstd frames, {g} gzip members")
EOF

# convert: 10 records per shard, so the records span several shards
"$S" ingest --parquet "$T/pq/snappy.parquet" "$T/pq/zstd.parquet" --out "$T/shards" \
  --docs-per-shard 10 2> "$T/log" || { cat "$T/log"; fail "ingest --parquet"; }
cat "$T/log"
grep -q '80 rows: 72 records' "$T/log" || fail "converter summary"
grep -q 'rejected 8 null_text' "$T/log" || fail "null text count"
grep -q '^ingest: 72 records written to 8 shards' "$T/log" || fail "ingest summary"
$PY "$SRC/tests/e2e/parquet_check.py" "$T/pq/expected.jsonl" "$T/shards" || fail "records differ"

# the shards read back: the NUL text is rejected by the reader (nul_in_text), the rest accepted
"$S" check --in "$T"/shards/shard-*.jsonl.zst --out "$T/check" 2> "$T/clog" || { cat "$T/clog"; fail check; }
$PY - "$T/check/check.json" <<'EOF' || fail "check counts"
import json, sys
c = json.load(open(sys.argv[1]))
s = json.dumps(c)
tot = c.get("totals", c)
acc, rej = tot.get("accepted"), tot.get("rejected")
assert acc is not None and rej is not None, s[:300]
assert acc + rej == 72 and rej == 8, (acc, rej)
assert "nul_in_text" in s, s[:300]
print(f"check: {acc} accepted, {rej} rejected (nul_in_text)")
EOF

# the same bytes again (deterministic), and with every extra column kept
"$S" ingest --parquet "$T/pq/snappy.parquet" "$T/pq/zstd.parquet" --out "$T/shards2" \
  --docs-per-shard 10 2>/dev/null || fail "second ingest"
for f in "$T"/shards/shard-*.jsonl.zst; do cmp -s "$f" "$T/shards2/$(basename "$f")" || fail "not deterministic: $f"; done
"$S" ingest --parquet "$T/pq/snappy.parquet" "$T/pq/zstd.parquet" --out "$T/shards3" \
  --keep-columns 2> "$T/log3" || { cat "$T/log3"; fail "--keep-columns"; }
grep -q "extra column 'size' has a record field's name; dropped" "$T/log3" || fail "size column clash"
$PY "$SRC/tests/e2e/parquet_check.py" "$T/pq/expected.jsonl" "$T/shards3" --extras || fail "--keep-columns records"

# column mapping: the path column as text, no id column -> "<file>:<row>" ids
node "$SRC/scripts/parquet2shard.js" --text max_stars_repo_path --id '' --path '' "$T/pq/snappy.parquet" \
  > "$T/map.jsonl" 2> "$T/maplog" || { cat "$T/maplog"; fail "mapping"; }
$PY - "$T/map.jsonl" <<'EOF' || fail "mapping output"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert r[0] == {"id": "snappy.parquet:0", "content": "a/b.py", "lang": "Python", "size": 6}, r[0]
assert len(r) == 34, len(r)  # null paths (rows 8, 9, 19, 20, 30, 31) are null texts here
print("mapping: ok", len(r))
EOF
node "$SRC/scripts/parquet2shard.js" --text nosuch "$T/pq/snappy.parquet" > /dev/null 2> "$T/elog" && fail "missing column accepted"
grep -q "snappy.parquet: no column 'nosuch'" "$T/elog" || fail "missing column message: $(cat "$T/elog")"

# bad input: a damaged page names the file and its row group; a cut file names the file
node --input-type=module -e "
import fs from 'node:fs'
import { asyncBufferFromFile, parquetMetadataAsync } from '$SRC/node_modules/hyparquet/src/node.js'
const f = '$T/pq/zstd.parquet'
const m = await parquetMetadataAsync(await asyncBufferFromFile(f))
const c = m.row_groups[3].columns.find((c) => c.meta_data.path_in_schema[0] === 'content').meta_data
const b = fs.readFileSync(f)
const at = Number(c.data_page_offset) + Number(c.total_compressed_size) - 40
for (let i = 0; i < 24; i++) b[at + i] ^= 0x5a
fs.writeFileSync('$T/pq/damaged.parquet', b)
fs.writeFileSync('$T/pq/cut.parquet', b.subarray(0, b.length - 100))
" || fail "making damaged files"
"$S" ingest --parquet "$T/pq/damaged.parquet" --out "$T/bad" 2> "$T/blog" && fail "damaged page accepted"
cat "$T/blog"
grep -q 'damaged.parquet: row group 3 (rows 21..27)' "$T/blog" || fail "damaged page message"
grep -q 'incomplete' "$T/blog" || fail "incomplete output not said"
"$S" ingest --parquet "$T/pq/cut.parquet" --out "$T/bad2" 2> "$T/blog2" && fail "cut file accepted"
grep -q 'cut.parquet: not a readable Parquet file' "$T/blog2" || fail "cut file message: $(cat "$T/blog2")"
printf 'not parquet\n' > "$T/pq/text.parquet"
"$S" ingest --parquet "$T/pq/text.parquet" --out "$T/bad3" 2>/dev/null && fail "text file accepted"

# --jsonl: the converter's records from a pipe give the same shards
node "$SRC/scripts/parquet2shard.js" "$T/pq/snappy.parquet" "$T/pq/zstd.parquet" 2>/dev/null |
  "$S" ingest --jsonl - --out "$T/shards4" --docs-per-shard 10 2>/dev/null || fail "--jsonl -"
for f in "$T"/shards/shard-*.jsonl.zst; do cmp -s "$f" "$T/shards4/$(basename "$f")" || fail "--jsonl differs: $f"; done
printf '{"content": 1}\n' | "$S" ingest --jsonl - --out "$T/bad4" 2> "$T/jlog" && fail "bad --jsonl accepted"
grep -q 'no string "content"' "$T/jlog" || fail "--jsonl message: $(cat "$T/jlog")"
echo "e2e_parquet: ok"
