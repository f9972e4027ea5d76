// parquet_write.mjs OUTDIR [--big MB] - write test Parquet files in The Stack's layout with
// real compressed pages (hyparquet-writer; SNAPPY by its own compressor, ZSTD by the zstd
// program, GZIP by node's zlib) and OUTDIR/expected.jsonl: per row, the values the writer got
// ({"file","row","content_b64" | null, "lang", "path", "hexsha", "size"}).
// --big MB writes OUTDIR/big.parquet instead (zstd content, snappy rest) of about MB of text
// for the throughput measurement, and no expected file.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { parquetWriteFile } from 'hyparquet-writer'

const outDir = process.argv[2]
const bigIdx = process.argv.indexOf('--big')
fs.mkdirSync(outDir, { recursive: true })

const compressors = {
  ZSTD: (b) => new Uint8Array(execFileSync('zstd', ['-q', '-c', '-3'], { input: Buffer.from(b), maxBuffer: 1 << 30 })),
  GZIP: (b) => new Uint8Array(zlib.gzipSync(b)),
}

// deterministic pseudo-random (xorshift)
let seed = 0x2545f491
function rnd() {
  seed ^= seed << 13; seed >>>= 0
  seed ^= seed >>> 17
  seed ^= seed << 5; seed >>>= 0
  return seed / 4294967296
}
const words = ['def', 'return', 'self', 'import', 'for', 'while', 'if', 'x', 'y', 'value', '(', ')', ':',
  '=', '+', 'é', '日本', '😀', 'Ω', '\t', '"', '\\', ' ', ' ', ' ']
function code(n) {
  const parts = []
  let len = 0
  while (len < n) {
    const w = rnd() < 0.08 ? '\n' : words[Math.floor(rnd() * words.length)]
    parts.push(w)
    len += Buffer.byteLength(w)
  }
  return parts.join('')
}
const hex = (i) => (i.toString(16).padStart(8, '0') + 'c0ffee').repeat(3).slice(0, 40)

function columns(rows) {
  return [
    { name: 'hexsha', data: rows.map((r) => r.hexsha), type: 'STRING' },
    { name: 'size', data: rows.map((r) => r.size === null ? null : BigInt(r.size)), type: 'INT64' },
    { name: 'ext', data: rows.map((r) => r.ext), type: 'STRING' },
    { name: 'lang', data: rows.map((r) => r.lang), type: 'STRING' },
    { name: 'max_stars_repo_path', data: rows.map((r) => r.path), type: 'STRING' },
    { name: 'max_stars_count', data: rows.map((r) => r.stars), type: 'INT32' },
    { name: 'content', data: rows.map((r) => r.content), type: 'STRING' },
    { name: 'avg_line_length', data: rows.map((r) => r.avg), type: 'DOUBLE' },
  ]
}

function row(i, content, lang, p) {
  return {
    hexsha: hex(i), size: content === null ? null : Buffer.byteLength(content), ext: p ? path.extname(p).slice(1) : null,
    lang, path: p, stars: i % 3 === 0 ? null : i, content, avg: 1.5 + i,
  }
}

if (bigIdx > 0) {
  const mb = Number(process.argv[bigIdx + 1])
  const rows = []
  let total = 0
  const langs = [['Python', 'py'], ['JavaScript', 'js'], ['C', 'c'], ['C++', 'cpp'], ['Java', 'java'], ['Go', 'go']]
  for (let i = 0; total < mb * 1e6; i++) {
    const [l, e] = langs[i % langs.length]
    const c = code(500 + Math.floor(rnd() * 8000))
    total += Buffer.byteLength(c)
    rows.push(row(i, c, l, `repo${i % 97}/src/f${i}.${e}`))
  }
  const cols = columns(rows)
  cols.find((c) => c.name === 'content').codec = 'ZSTD'
  parquetWriteFile({ filename: path.join(outDir, 'big.parquet'), columnData: cols, codec: 'SNAPPY', compressors,
    rowGroupSize: 4000 })
  process.stderr.write(`parquet_write: ${rows.length} rows, ${(total / 1e6).toFixed(1)} MB of text, ` +
    `${(fs.statSync(path.join(outDir, 'big.parquet')).size / 1e6).toFixed(1)} MB file\n`)
  process.exit(0)
}

// the small test files: every edge case in each file
function testRows(base) {
  const special = [
    ['x = 1\n', 'Python', 'a/b.py'],
    ['héllo — 日本語 😀 Ω\r\n\ttab "q" \\ back \u2028 sep\n', 'JavaScript', 'web/ü.js'],
    ['', 'C', 'empty.c'],
    ['a\u0000b', 'C++', 'nul.cpp'],
    [null, 'Python', 'null_content.py'],
    ['\ufeffbom = True\n', 'TypeScript', 't.ts'],
    ['# title\n', 'Markdown', 'README.md'],
    ['print(1)\n', null, 'no_lang.py'],
    ['int main;\n', null, null],
    ['package main\n', 'Go', null],
    [code(1 << 20), 'Python', 'big/one_mb.py'],
  ]
  const rows = []
  for (let i = 0; i < 40; i++) {
    const s = special[i % special.length]
    const c = s[0] === null || i < special.length ? s[0] : s[0] === '' ? '' : s[0].length > 1000 ? code(3000) : s[0] + code(200 + i)
    rows.push(row(base + i, c, s[1], s[2]))
  }
  rows[17].hexsha = null // id falls back to <file>:<row>
  return rows
}

const expected = []
const files = [
  ['snappy.parquet', 'SNAPPY', {}],
  ['zstd.parquet', 'ZSTD', { max_stars_repo_path: 'GZIP' }],
]
for (const [name, codec, perCol] of files) {
  const rows = testRows(name === 'snappy.parquet' ? 0 : 1000)
  const cols = columns(rows)
  for (const c of cols) if (perCol[c.name]) c.codec = perCol[c.name]
  parquetWriteFile({ filename: path.join(outDir, name), columnData: cols, codec, compressors, rowGroupSize: 7 })
  rows.forEach((r, i) => expected.push({
    file: name, row: i, content_b64: r.content === null ? null : Buffer.from(r.content, 'utf8').toString('base64'),
    lang: r.lang, path: r.path, hexsha: r.hexsha, size: r.size,
  }))
}
fs.writeFileSync(path.join(outDir, 'expected.jsonl'), expected.map((e) => JSON.stringify(e)).join('\n') + '\n')
