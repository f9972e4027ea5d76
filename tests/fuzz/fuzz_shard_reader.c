/*
 * fuzz_shard_reader.c - property: the shard reader (shard/reader.c) accounts for every line
 * and never alters one. Input layout:
 *   byte 0   mode % 3: 0 = the rest is a plain .jsonl file; 1 = the rest is a .jsonl.zst file
 *            as is; 2 = the rest is JSONL that this target compresses into 1..4 checksummed
 *            zstd frames (byte 2 % 4 + 1) and then, when byte 3 >= 0x80, damages by XOR-ing
 *            byte 2 | 1 into the compressed byte at (byte 3 & 0x7f) / 128 of the stream
 *   byte 1   < 0x80: default max_line_bytes (16 MiB); else 16 + 8 * (byte 1 - 0x80)
 *   byte 2,3 see mode 2 (ignored otherwise)
 * Checked for every input: line numbers run 1, 2, ... without gaps; a STREAM rejection comes
 * at most once and last; an accepted record has text (no inner NUL), id and lang; no raw line
 * is longer than max_line_bytes. Plain and undamaged compressed input (no STREAM rejection):
 * one record per line of the file (a last line without '\n' included), each record's raw
 * bytes equal to its line (the first max_line_bytes of a too-long one). Damaged compressed
 * input: every accepted record equals the original line of its number (no altered record is
 * kept); SCIPRUNE_FUZZ_SKIP_DAMAGE_CHECK=1 turns this one check off.
 */
#include "fuzz_util.h"

#include "sciprune.h"

#include <zstd.h>

typedef struct line_ref {
    size_t off, len;
    int has_nl;
} line_ref;

static size_t split_lines(const uint8_t *p, size_t n, line_ref **out)
{
    size_t cap = 16, k = 0, start = 0;
    line_ref *v = malloc(cap * sizeof *v);
    if (!v) abort();
    for (size_t i = 0; i <= n; i++) {
        if (i < n && p[i] != '\n') continue;
        if (i == n && start == n) break; /* no partial last line */
        if (k == cap) {
            cap *= 2;
            if (!(v = realloc(v, cap * sizeof *v))) abort();
        }
        v[k++] = (line_ref){start, i - start, i < n};
        start = i + 1;
    }
    *out = v;
    return k;
}

/* Compress src into nframes checksummed frames. Returns a malloc'ed buffer. */
static uint8_t *compress_frames(const uint8_t *src, size_t n, int nframes, size_t *out_len)
{
    size_t cap = 64 + (size_t)nframes * 32 + ZSTD_compressBound(n);
    uint8_t *dst = malloc(cap);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    if (!dst || !cc) abort();
    ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 1);
    size_t len = 0;
    for (int f = 0; f < nframes; f++) {
        size_t a = n * (size_t)f / (size_t)nframes, b = n * (size_t)(f + 1) / (size_t)nframes;
        size_t r = ZSTD_compress2(cc, dst + len, cap - len, src + a, b - a);
        if (ZSTD_isError(r)) abort();
        len += r;
    }
    ZSTD_freeCCtx(cc);
    *out_len = len;
    return dst;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4 || size > (1 << 20)) return 0;
    int mode = data[0] % 3;
    sciprune_shard_options o;
    sciprune_shard_options_default(&o);
    if (data[1] >= 0x80) o.max_line_bytes = 16 + 8 * (size_t)(data[1] - 0x80);
    const uint8_t *payload = data + 4;
    size_t plen = size - 4;

    const char *path;
    int damaged = 0;
    if (mode == 0) {
        path = fuzz_write("shard.jsonl", payload, plen);
    } else if (mode == 1) {
        path = fuzz_write("shard.jsonl.zst", payload, plen);
    } else {
        size_t zlen;
        uint8_t *z = compress_frames(payload, plen, data[2] % 4 + 1, &zlen);
        if (data[3] >= 0x80 && zlen) {
            size_t at = zlen * (size_t)(data[3] & 0x7f) / 128;
            z[at] ^= (uint8_t)(data[2] | 1);
            damaged = 1;
        }
        path = fuzz_write("shard.jsonl.zst", z, zlen);
        free(z);
    }

    line_ref *lines = NULL;
    size_t nlines = mode == 1 ? 0 : split_lines(payload, plen, &lines);
    const char *skip = getenv("SCIPRUNE_FUZZ_SKIP_DAMAGE_CHECK");
    int check_damage = !(skip && skip[0] == '1');

    sciprune_shard_reader *r = NULL;
    sciprune_error err;
    if (sciprune_shard_reader_open(&r, path, &o, &err) != SCIPRUNE_OK) {
        FUZZ_CHECK(err.code != SCIPRUNE_OK);
        free(lines);
        return 0;
    }
    const sciprune_record *rec;
    int64_t n = 0;
    int stream = 0;
    int bom = plen >= 3 && memcmp(payload, "\xef\xbb\xbf", 3) == 0;
    for (;;) {
        sciprune_status st = sciprune_shard_reader_next(r, &rec, &err);
        if (st != SCIPRUNE_OK || !rec) break;
        FUZZ_CHECK(!stream); /* nothing after a STREAM rejection */
        FUZZ_CHECK(rec->line == ++n);
        FUZZ_CHECK(rec->raw_len <= o.max_line_bytes);
        FUZZ_CHECK(rec->lang != NULL);
        FUZZ_CHECK(strlen(rec->detail) < sizeof rec->detail);
        if (rec->reject == SCIPRUNE_REJECT_NONE) {
            FUZZ_CHECK(rec->text && rec->id && strlen(rec->text) == rec->text_len);
        } else {
            FUZZ_CHECK(!rec->text && rec->detail[0]);
        }
        if (rec->reject == SCIPRUNE_REJECT_STREAM) {
            stream = 1;
            continue;
        }
        if (mode == 1 || (damaged && !(check_damage && rec->reject == SCIPRUNE_REJECT_NONE)))
            continue;
        /* the record must be line n of the original bytes (the first line may lose a BOM) */
        FUZZ_CHECK((size_t)n <= nlines);
        const line_ref *l = &lines[n - 1];
        size_t want = l->len > o.max_line_bytes ? o.max_line_bytes : l->len;
        if (n == 1 && bom && rec->raw_len + 3 == want &&
            memcmp(rec->raw, payload + l->off + 3, rec->raw_len) == 0)
            continue;
        FUZZ_CHECK(rec->raw_len == want);
        FUZZ_CHECK(memcmp(rec->raw, payload + l->off, want) == 0);
        FUZZ_CHECK(rec->reject != SCIPRUNE_REJECT_NO_NEWLINE || !l->has_nl);
    }
    if (mode != 1 && !damaged && !stream) FUZZ_CHECK((size_t)n == nlines);
    sciprune_shard_reader_close(r);
    free(lines);
    return 0;
}
