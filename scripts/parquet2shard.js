#!/usr/bin/env node
/*
 * parquet2shard.js - Parquet files (The Stack v1/v1.2 layout) -> sciprune JSONL records.
 *
 * Output: one JSON object per row, one per line (UTF-8, '\n'), to stdout or --out FILE:
 *   {"id": <--id column, else "<file name>:<row>">, "content": <--text column>,
 *    "lang": <--lang column as stored, e.g. "Python">, "path": <--path column>,
 *    "size": <bytes of content>, ...kept extra columns}
 * `sciprune ingest --parquet` runs this script and pipes its output into the shard writer,
 * which maps "lang" to sciprune's names (shard/langname.c) and cuts zstd shards; the JSONL
 * is also a valid shard on its own (the reader normalises "lang" the same way).
 * Rows are read one row group at a time (memory: one row group of the selected columns).
 * Text bytes are kept exactly: the text column is decoded as strict UTF-8 (a BOM is kept).
 * A row whose text is null or not UTF-8 is not written: it goes to --rejected FILE as
 *   {"file","row_group","row","reason": "null_text"|"bad_utf8","id"}
 * and is counted in the summary. A text with a NUL byte is written (as \u0000); sciprune's
 * reader rejects it later with reason nul_in_text. Null path/lang values are left out.
 * Dependencies: hyparquet + hyparquet-compressors (npm, pinned in package-lock.json):
 * snappy, gzip, zstd, brotli, lz4 pages.
 */
'use strict';

const fs = require('fs');
const path = require('path');

const USAGE = `usage: parquet2shard.js [options] FILE.parquet...

Convert Parquet files (The Stack layout) to JSONL records for sciprune, streaming one row
group at a time.

options:
  --text COL        text column (default content)
  --path COL        path column (default max_stars_repo_path; "" for none)
  --lang COL        language column (default lang; "" for none)
  --id COL          id column (default hexsha; "" for "<file name>:<row>")
  --keep-columns    keep every other column under its own name (default: drop them)
  --columns A,B     keep these other columns
  --out FILE        write the JSONL here (default stdout)
  --rejected FILE   write rows that cannot be records here (default: count them only)
  --progress-secs N progress line to stderr every N seconds (default 2; 0 off;
                    SCIPRUNE_NO_PROGRESS=1 also turns it off)
`;

function die(msg, code = 1) {
  process.stderr.write(`parquet2shard: ${msg}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  const o = {
    text: 'content', path: 'max_stars_repo_path', lang: 'lang', id: 'hexsha',
    keepAll: false, keep: [], out: null, rejected: null, progressSecs: 2, files: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) die(`${a} wants a value`, 2);
      return argv[++i];
    };
    if (a === '--help' || a === '-h') { process.stdout.write(USAGE); process.exit(0); }
    else if (a === '--text') o.text = val();
    else if (a === '--path') o.path = val();
    else if (a === '--lang') o.lang = val();
    else if (a === '--id') o.id = val();
    else if (a === '--keep-columns') o.keepAll = true;
    else if (a === '--columns') o.keep = val().split(',').filter(Boolean);
    else if (a === '--out') o.out = val();
    else if (a === '--rejected') o.rejected = val();
    else if (a === '--progress-secs') {
      o.progressSecs = Number(val());
      if (!(o.progressSecs >= 0)) die('--progress-secs wants a number >= 0', 2);
    } else if (a === '--') { o.files.push(...argv.slice(i + 1)); break; }
    else if (a.startsWith('-') && a !== '-') die(`unknown option ${a}\n${USAGE}`, 2);
    else o.files.push(a);
  }
  if (!o.text) die('--text must name a column', 2);
  if (o.files.length === 0) die(`give at least one Parquet file\n${USAGE}`, 2);
  if (process.env.SCIPRUNE_NO_PROGRESS === '1') o.progressSecs = 0;
  return o;
}

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/* JSON value of an extra column: BigInt -> number when exact, else string; bytes -> base64. */
function jsonValue(v) {
  if (typeof v === 'bigint') {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  }
  if (v instanceof Uint8Array) {
    try { return strict.decode(v); } catch { return Buffer.from(v).toString('base64'); }
  }
  if (v instanceof Date) return isNaN(v) ? null : v.toISOString();
  if (Array.isArray(v)) return v.map(jsonValue);
  if (v && typeof v === 'object') {
    const r = {};
    for (const k of Object.keys(v)) r[k] = jsonValue(v[k]);
    return r;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  return v === undefined ? null : v;
}

function asText(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return strict.decode(v);
  return String(jsonValue(v));
}

/* Write a string to a stream, waiting when its buffer is full (bounded memory). */
function writeAsync(stream, s) {
  return new Promise((resolve, reject) => {
    const onErr = (e) => reject(e);
    stream.once('error', onErr);
    const ok = stream.write(s, () => {});
    const done = () => { stream.removeListener('error', onErr); resolve(); };
    if (ok) done(); else stream.once('drain', done);
  });
}

function fmtRate(n, secs) { return secs > 0 ? n / secs : 0; }

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');

  const out = o.out ? fs.createWriteStream(o.out) : process.stdout;
  let rej = null;
  const openRej = () => {
    if (!rej) {
      fs.mkdirSync(path.dirname(path.resolve(o.rejected)), { recursive: true });
      rej = fs.createWriteStream(o.rejected);
    }
    return rej;
  };
  out.on('error', (e) => {
    if (e.code === 'EPIPE') die('output closed early (EPIPE)');
    die(`cannot write ${o.out || 'stdout'}: ${e.message}`);
  });

  const t0 = Date.now();
  const st = { rows: 0, written: 0, bytes: 0, rejected: {}, files: 0 };
  let lastProgress = t0;
  const isTTY = process.stderr.isTTY;
  const progress = (file, rg, nrg) => {
    const now = Date.now();
    if ((o.progressSecs === 0 || now - lastProgress < o.progressSecs * 1000)) return;
    lastProgress = now;
    const secs = (now - t0) / 1000;
    const line = `parquet2shard: ${file ? `${path.basename(file)} row group ${rg + 1}/${nrg}, ` : ''}` +
      `${st.rows} rows, ${(st.bytes / 1e6).toFixed(1)} MB, ` +
      `${fmtRate(st.rows, secs).toFixed(0)} rows/s, ${fmtRate(st.bytes / 1e6, secs).toFixed(1)} MB/s`;
    process.stderr.write(isTTY ? `\r${line}\x1b[K` : `${line}\n`);
  };

  for (const file of o.files) {
    let meta;
    let buf;
    try {
      buf = await asyncBufferFromFile(file);
      meta = await parquetMetadataAsync(buf);
    } catch (e) {
      die(`${file}: not a readable Parquet file: ${e.message}`);
    }
    const top = parquetSchema(meta).children.map((c) => c.element.name);
    const need = [...new Set([o.text, o.path, o.lang, o.id].filter(Boolean))];
    for (const c of need) {
      if (!top.includes(c)) die(`${file}: no column '${c}' (columns: ${top.join(', ')})`);
    }
    let extras = o.keepAll ? top.filter((c) => !need.includes(c)) : o.keep.filter((c) => !need.includes(c));
    for (const c of extras) {
      if (!top.includes(c)) die(`${file}: no column '${c}' (columns: ${top.join(', ')})`);
    }
    extras = extras.filter((c) => !['id', 'content', 'lang', 'path', 'size'].includes(c) ||
      (process.stderr.write(`parquet2shard: ${file}: extra column '${c}' has a record field's name; dropped\n`), false));
    const cols = [...need, ...extras];
    const idx = Object.fromEntries(cols.map((c, i) => [c, i]));
    const base = path.basename(file);
    const nrg = meta.row_groups.length;
    let rowStart = 0;
    for (let g = 0; g < nrg; g++) {
      const n = Number(meta.row_groups[g].num_rows);
      let rows = null;
      try {
        await parquetRead({
          file: buf, metadata: meta, compressors, columns: cols, rowStart, rowEnd: rowStart + n,
          utf8: false, parsers: { stringFromBytes: (b) => b },
          onComplete: (d) => { rows = d; },
        });
        if (!rows || rows.length !== n) throw new Error(`expected ${n} rows, got ${rows ? rows.length : 0}`);
      } catch (e) {
        die(`${file}: row group ${g} (rows ${rowStart}..${rowStart + n - 1}): ${e.message}`);
      }
      const lines = [];
      let pending = 0;
      for (let r = 0; r < n; r++) {
        const row = rows[r];
        const at = rowStart + r;
        let id = o.id ? row[idx[o.id]] : null;
        id = id === null || id === undefined ? `${base}:${at}` : asText(id);
        const raw = row[idx[o.text]];
        let text = null;
        let reason = null;
        if (raw === null || raw === undefined) reason = 'null_text';
        else {
          try { text = asText(raw); } catch { reason = 'bad_utf8'; }
        }
        st.rows++;
        if (reason) {
          st.rejected[reason] = (st.rejected[reason] || 0) + 1;
          if (o.rejected) {
            await writeAsync(openRej(), JSON.stringify({ file, row_group: g, row: at, reason, id }) + '\n');
          }
          continue;
        }
        const size = raw instanceof Uint8Array ? raw.length : Buffer.byteLength(text);
        const rec = { id, content: text };
        if (o.lang) { const v = row[idx[o.lang]]; if (v !== null && v !== undefined) rec.lang = asText(v); }
        if (o.path) { const v = row[idx[o.path]]; if (v !== null && v !== undefined) rec.path = asText(v); }
        rec.size = size;
        for (const c of extras) rec[c] = jsonValue(row[idx[c]]);
        const line = JSON.stringify(rec);
        lines.push(line);
        pending += line.length;
        st.written++;
        st.bytes += size;
        if (pending > 4e6) { // write in pieces of ~4 M characters: no row-group-sized string
          await writeAsync(out, lines.join('\n') + '\n');
          lines.length = 0;
          pending = 0;
        }
      }
      rows = null;
      if (lines.length) await writeAsync(out, lines.join('\n') + '\n');
      rowStart += n;
      progress(file, g, nrg);
    }
    st.files++;
  }
  const secs = (Date.now() - t0) / 1000;
  const rj = Object.entries(st.rejected).map(([k, v]) => `${v} ${k}`).join(', ') || '0';
  if (isTTY && o.progressSecs) process.stderr.write('\r\x1b[K');
  process.stderr.write(
    `parquet2shard: ${st.files} files, ${st.rows} rows: ${st.written} records (${(st.bytes / 1e6).toFixed(1)} MB of text), ` +
    `rejected ${rj}${o.rejected && rej ? ` (${o.rejected})` : ''}; ${secs.toFixed(1)} s, ` +
    `${fmtRate(st.rows, secs).toFixed(0)} rows/s, ${fmtRate(st.bytes / 1e6, secs).toFixed(1)} MB/s\n`);
  const closes = [];
  if (rej) closes.push(new Promise((res) => rej.end(res)));
  if (o.out) closes.push(new Promise((res) => out.end(res)));
  await Promise.all(closes);
}

main().catch((e) => die(e && e.stack ? e.stack : String(e)));
