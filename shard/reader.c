/*
 * reader.c - streaming JSONL / JSONL.zst shard reader.
 *
 * Format read:
 *   shard      := [BOM] line*      one JSON object per line, '\n'-terminated; a UTF-8 byte-order
 *                                  mark (EF BB BF) at the very start is skipped (the first line's
 *                                  offset is then 3); anywhere else it is a bad line
 *   .jsonl.zst := zstd frame+      any level, any number of frames (skippable frames allowed);
 *                                  the decompressed bytes are the shard above. Read as zstd: a
 *                                  name ending in ".zst", or a file that starts with a zstd magic
 * A file that starts with a gzip, bzip2, xz, lz4 or zip magic number is not read: it comes back
 * as one SCIPRUNE_REJECT_STREAM record "unsupported compression: gzip (...)".
 * Every line comes back to the caller, good or bad, so that accepted + rejected = lines.
 *
 * Damaged zstd (per-frame recovery). zstd has no per-block checksum: the only integrity check is
 * the optional 32-bit content checksum at the end of each frame, and a flipped byte inside a
 * block often decodes without error into wrong bytes. So the bytes of a frame are held back
 * until the frame has decoded completely and its checksum (when it has one) matched; only then
 * are its lines returned. A frame larger than FRAME_HOLD decompressed bytes is decoded twice
 * instead: once to verify it (output thrown away), then again from its start to deliver it.
 * The first frame that fails (decode error, checksum mismatch, garbage where a frame should
 * start, or the file ends inside it) ends the shard: the lines of the frames before it come
 * back unchanged, then the partial line that ran into the damaged frame (its verified bytes,
 * possibly none) comes back once as SCIPRUNE_REJECT_STREAM with offset = the compressed byte
 * offset where the damaged frame starts. Nothing decoded from the damaged frame is returned,
 * and the reader does not resume at a later frame: the number of lines lost in the damaged
 * frame is unknown, so the line numbers after it would be wrong, and a magic number found by
 * scanning may be a false match inside compressed data. A frame without a checksum cannot be
 * verified: damage that still decodes passes unseen (our writer always writes checksums).
 *
 * Memory: one window of decompressed data that grows to hold the longest line, capped at
 * max_line_bytes (+ one read), plus one held frame (at most FRAME_HOLD bytes; the writer's
 * frames are ~8 MiB); a longer line is skipped to its newline and returned as
 * SCIPRUNE_REJECT_TOO_LONG with its first max_line_bytes bytes.
 */
#define _GNU_SOURCE /* mremap */
#include "shard_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "sciprune_config.h"

/* The fuzz build (-Dfuzz=enabled) reads in small chunks, so that short inputs reach the
 * window's refill, move and growth paths. */
#ifdef SCIPRUNE_FUZZ_READ_CHUNK
#define READ_CHUNK ((size_t)SCIPRUNE_FUZZ_READ_CHUNK)
#else
#define READ_CHUNK ((size_t)1 << 20)
#endif
#define MAX_FIELDS 8
/* Decompressed bytes of one zstd frame held back until the frame verifies; a larger frame is
 * decoded twice (verify, then deliver). The writer's frames are ~8 MiB, so they fit. */
#define FRAME_HOLD ((size_t)16 << 20)
#define VERIFY_SCRATCH ((size_t)256 << 10)

struct sciprune_shard_reader {
    int fd;
    char *path;       /* owned */
    const char *name; /* into path */
    sciprune_shard_options opt;
    char *fields;     /* owned copy of lang/path field lists, split on ',' */
    const char *lang_fields[MAX_FIELDS];
    size_t n_lang_fields;
    const char *path_fields[MAX_FIELDS];
    size_t n_path_fields;

    int zst;
    ZSTD_DCtx *dctx;    /* owned */
    unsigned char *in;  /* compressed input buffer, owned */
    size_t in_cap;
    ZSTD_inBuffer zin;
    int in_eof;
    uint64_t file_off;  /* file offset of the next read */
    uint64_t tell;      /* most file bytes read so far (a re-decoded frame does not count twice) */
    int in_frame;       /* bytes of the current frame consumed, frame not finished */
    uint64_t frame_off; /* compressed offset of the current frame's first byte */
    uint64_t frame_no;  /* frames started so far (1-based number of the current one) */
    int replay;         /* delivering a frame verified by an earlier decode (too big to hold) */
    int bom_checked;

    char *buf;          /* decompressed window, owned (win_alloc) */
    size_t buf_mapped;  /* its mapping's length; 0: malloc'd */
    size_t cap, start, end, scan;
    int eof;            /* no more data (clean end or damage) */
    int damaged;
    int64_t damage_off;
    char damage_msg[sizeof ((sciprune_record *)0)->detail];
    int done;

    int nomem;          /* parse_line could not grow dbuf: the call returns ENOMEM */
    int skipping;       /* inside a line longer than max_line_bytes */
    uint64_t skip_len;  /* bytes of that line seen so far */

    int64_t line_no;
    int64_t line_off;   /* decompressed offset of buf[start] */

    const char *keys[2 + 2 * MAX_FIELDS]; /* text, id, lang fields..., path fields... */
    size_t nkeys;
    jl_field fl[2 + 2 * MAX_FIELDS];
    char *dbuf;         /* decoded strings of the current line, owned */
    size_t dcap;
    char idbuf[320];
    char langbuf[64];
    sciprune_record rec;
};

void sciprune_shard_options_default(sciprune_shard_options *o)
{
    o->text_field = "content";
    o->id_field = "id";
    o->lang_fields = "lang,language";
    o->path_fields = "path,max_stars_repo_path";
    o->default_lang = "unknown";
    o->max_line_bytes = (size_t)16 << 20;
}

const char *sciprune_reject_name(sciprune_reject r)
{
    switch (r) {
    case SCIPRUNE_REJECT_NONE: return "none";
    case SCIPRUNE_REJECT_BAD_JSON: return "bad_json";
    case SCIPRUNE_REJECT_NO_TEXT: return "no_text";
    case SCIPRUNE_REJECT_TEXT_NOT_STRING: return "text_not_string";
    case SCIPRUNE_REJECT_BAD_UTF8: return "bad_utf8";
    case SCIPRUNE_REJECT_NUL_IN_TEXT: return "nul_in_text";
    case SCIPRUNE_REJECT_TOO_LONG: return "too_long";
    case SCIPRUNE_REJECT_NO_NEWLINE: return "no_newline";
    case SCIPRUNE_REJECT_EMPTY_LINE: return "empty_line";
    case SCIPRUNE_REJECT_STREAM: return "stream";
    }
    return "unknown";
}

static size_t split_fields(char *s, const char **out, size_t max)
{
    size_t n = 0;
    while (s && *s && n < max) {
        char *c = strchr(s, ',');
        if (c) *c = '\0';
        if (*s) out[n++] = s;
        s = c ? c + 1 : NULL;
    }
    return n;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && memcmp(s + a - b, suf, b) == 0;
}

/* Stream damage (or a file that cannot be read at all): the shard ends after the lines before
 * it, with one SCIPRUNE_REJECT_STREAM record carrying `fmt` (self-contained, offset included). */
static void set_damage(sciprune_shard_reader *r, int64_t off, const char *fmt, ...) SP_PRINTF(3, 4);
static void set_damage(sciprune_shard_reader *r, int64_t off, const char *fmt, ...)
{
    r->damaged = 1;
    r->eof = 1;
    r->damage_off = off;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->damage_msg, sizeof r->damage_msg, fmt, ap);
    va_end(ap);
    sp_log(SCIPRUNE_LOG_WARN, "%s: %s", r->path, r->damage_msg);
}

/* The compression a file's first bytes announce, or NULL. Each of these starts with a byte a
 * JSON line cannot start with, so a plain shard is never taken for one. */
static const char *foreign_compression(const unsigned char *h, size_t n)
{
    if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b) return "gzip";
    if (n >= 4 && memcmp(h, "BZh", 3) == 0 && h[3] >= '1' && h[3] <= '9') return "bzip2";
    if (n >= 6 && memcmp(h, "\xfd" "7zXZ", 5) == 0 && h[5] == 0) return "xz";
    if (n >= 4 && memcmp(h, "\x04\x22\x4d\x18", 4) == 0) return "lz4";
    if (n >= 4 && memcmp(h, "PK\x03\x04", 4) == 0) return "zip";
    return NULL;
}

/* The window's memory (win_alloc, win_grow, win_free). A held zstd frame (~8 MiB from our
 * writer, up to FRAME_HOLD) is written once by the decoder: in 4 KiB pages that is one page
 * fault per 4 KiB, again for every reader opened (the embed stage reads each shard twice),
 * several times the cost of the decode's copy. So a window of 2 MiB or more is its own
 * mapping, advised onto transparent huge pages (where the kernel gives them; else plain
 * pages), and grows by mremap. */
#define WIN_HUGE ((size_t)2 << 20)

/* A window of `bytes`: *mapped = the mapping's length (a multiple of WIN_HUGE), or 0 when it
 * came from malloc (smaller windows, or where mmap fails). */
static char *win_alloc(size_t bytes, size_t *mapped)
{
    *mapped = 0;
    if (bytes >= WIN_HUGE) {
        size_t len = (bytes + WIN_HUGE - 1) & ~(WIN_HUGE - 1);
        void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED) {
#ifdef MADV_HUGEPAGE
            (void)madvise(p, len, MADV_HUGEPAGE);
#endif
            *mapped = len;
            return p;
        }
    }
    return malloc(bytes);
}

/* The window grown to `bytes`, its contents kept (realloc's contract: NULL leaves it as it
 * was). A mapped one is remapped (no copy; it keeps its advice), as realloc would. */
static char *win_grow(char *old, size_t *mapped, size_t old_bytes, size_t bytes)
{
    if (*mapped) {
        size_t len = (bytes + WIN_HUGE - 1) & ~(WIN_HUGE - 1);
        if (len <= *mapped) return old;
        void *p = mremap(old, *mapped, len, MREMAP_MAYMOVE);
        if (p == MAP_FAILED) return NULL;
        *mapped = len;
        return p;
    }
    size_t nm;
    char *n = win_alloc(bytes, &nm);
    if (!n) return NULL;
    memcpy(n, old, old_bytes);
    free(old);
    *mapped = nm;
    return n;
}

static void win_free(char *p, size_t mapped)
{
    if (mapped) munmap(p, mapped);
    else free(p);
}

void sciprune_shard_reader_close(sciprune_shard_reader *r)
{
    if (!r) return;
    if (r->fd >= 0) close(r->fd);
    free(r->dbuf);
    ZSTD_freeDCtx(r->dctx);
    free(r->in);
    if (r->buf) win_free(r->buf, r->buf_mapped);
    free(r->fields);
    free(r->path);
    free(r);
}

sciprune_status sciprune_shard_reader_open(sciprune_shard_reader **out, const char *path,
                                           const sciprune_shard_options *opt,
                                           sciprune_error *err)
{
    *out = NULL;
    sciprune_status st = SCIPRUNE_OK;
    sciprune_shard_reader *r = calloc(1, sizeof *r);
    if (!r) return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
    r->fd = -1;
    if (opt)
        r->opt = *opt;
    else
        sciprune_shard_options_default(&r->opt);
    if (!r->opt.text_field || !r->opt.text_field[0] || r->opt.max_line_bytes < 16) {
        st = sp_err(err, SCIPRUNE_EINVAL, path, -1, -1,
                    "bad shard options (text field empty or max line below 16 bytes)");
        goto fail;
    }
    if (!r->opt.default_lang) r->opt.default_lang = "unknown";
    r->path = strdup(path);
    size_t fl = strlen(r->opt.lang_fields ? r->opt.lang_fields : "") +
                strlen(r->opt.path_fields ? r->opt.path_fields : "") + 2;
    r->fields = malloc(fl);
    if (!r->path || !r->fields) {
        st = sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
        goto fail;
    }
    r->name = sciprune_shard_name(r->path);
    {
        size_t la = strlen(r->opt.lang_fields ? r->opt.lang_fields : "");
        memcpy(r->fields, r->opt.lang_fields ? r->opt.lang_fields : "", la + 1);
        strcpy(r->fields + la + 1, r->opt.path_fields ? r->opt.path_fields : "");
        r->n_lang_fields = split_fields(r->fields, r->lang_fields, MAX_FIELDS);
        r->n_path_fields = split_fields(r->fields + la + 1, r->path_fields, MAX_FIELDS);
        r->keys[0] = r->opt.text_field;
        r->keys[1] = r->opt.id_field;
        for (size_t i = 0; i < r->n_lang_fields; i++) r->keys[2 + i] = r->lang_fields[i];
        for (size_t i = 0; i < r->n_path_fields; i++)
            r->keys[2 + r->n_lang_fields + i] = r->path_fields[i];
        r->nkeys = 2 + r->n_lang_fields + r->n_path_fields;
    }
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        st = sp_err_errno(err, SCIPRUNE_EIO, path, errno, "cannot open shard");
        goto fail;
    }
    /* Sniff the first bytes (a regular file; a pipe cannot be sniffed and is read by name). */
    unsigned char head[8];
    ssize_t hn = pread(r->fd, head, sizeof head, 0);
    if (hn < 0) hn = 0;
    uint32_t magic = hn >= 4 ? (uint32_t)head[0] | (uint32_t)head[1] << 8 |
                                   (uint32_t)head[2] << 16 | (uint32_t)head[3] << 24
                             : 0;
    int zmagic = hn >= 4 && (magic == ZSTD_MAGICNUMBER || (magic & ZSTD_MAGIC_SKIPPABLE_MASK) ==
                                                               ZSTD_MAGIC_SKIPPABLE_START);
    const char *foreign = foreign_compression(head, (size_t)hn);
    r->zst = !foreign && (ends_with(path, ".zst") || zmagic);
    if (r->zst) {
        r->dctx = ZSTD_createDCtx();
        r->in_cap = ZSTD_DStreamInSize();
        r->in = malloc(r->in_cap);
        if (!r->dctx || !r->in) {
            st = sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
            goto fail;
        }
    }
    r->cap = READ_CHUNK * 2;
    r->buf = win_alloc(r->cap + 1, &r->buf_mapped);
    if (!r->buf) {
        st = sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
        goto fail;
    }
    if (foreign)
        set_damage(r, 0, "unsupported compression: %s (decompress it or recompress with zstd)",
                   foreign);
    else if (r->zst && hn >= 4 && !zmagic)
        set_damage(r, 0, "not a zstd stream (bad magic number at compressed byte 0)");
    *out = r;
    return SCIPRUNE_OK;
fail:
    sciprune_shard_reader_close(r);
    return st;
}

uint64_t sciprune_shard_reader_tell(const sciprune_shard_reader *r) { return r->tell; }

/* Read raw file bytes into dst. Returns bytes read, 0 at EOF, -1 on error (err set). */
static ssize_t read_file(sciprune_shard_reader *r, void *dst, size_t cap, sciprune_error *err)
{
    for (;;) {
        ssize_t n = read(r->fd, dst, cap);
        if (n >= 0) {
            r->file_off += (uint64_t)n;
            if (r->file_off > r->tell) r->tell = r->file_off;
            return n;
        }
        if (errno == EINTR) continue;
        sp_err_errno(err, SCIPRUNE_EIO, r->path, errno, "read failed");
        return -1;
    }
}

/* Plain shard: append file bytes at buf[end..cap). */
static sciprune_status fill_plain(sciprune_shard_reader *r, sciprune_error *err)
{
    ssize_t n = read_file(r, r->buf + r->end, r->cap - r->end, err);
    if (n < 0) return SCIPRUNE_EIO;
    if (n == 0) r->eof = 1;
    r->end += (size_t)n;
    return SCIPRUNE_OK;
}

/* What a decode error means for a damaged file (zstd's own names can mislead: a corrupt frame
 * that declares its size fails as "Destination buffer is too small"). */
static const char *zstd_error_text(size_t code)
{
    switch (ZSTD_getErrorCode(code)) {
    case ZSTD_error_checksum_wrong: return "content checksum mismatch";
    case ZSTD_error_dstSize_tooSmall: return "decodes past its declared size";
    case ZSTD_error_corruption_detected: return "corrupt block";
    case ZSTD_error_prefix_unknown: return "no zstd magic number where a frame should start";
    default: return ZSTD_getErrorName(code);
    }
}

/* The damaged frame ends the shard (see the header comment: no resync at a later frame). */
static void frame_damage(sciprune_shard_reader *r, const char *why, uint64_t withheld)
{
    if (withheld)
        set_damage(r, (int64_t)r->frame_off,
                   "zstd frame %llu at compressed byte %llu %s; its %llu decoded bytes and the "
                   "rest of the shard are skipped",
                   (unsigned long long)r->frame_no, (unsigned long long)r->frame_off, why,
                   (unsigned long long)withheld);
    else
        set_damage(r, (int64_t)r->frame_off,
                   "zstd frame %llu at compressed byte %llu %s; the rest of the shard is skipped",
                   (unsigned long long)r->frame_no, (unsigned long long)r->frame_off, why);
}

/* zstd shard: decode until at least one more verified byte is visible at buf[end..), or the
 * stream ends (clean end or damage). A held frame's bytes sit at [end, hold) and become visible
 * (end = hold) only once the frame is complete, checksum included; a frame too big to hold is
 * decoded to verify it (output into [end, cap), thrown away), then decoded again from its first
 * byte straight into the window (replay). */
static sciprune_status fill_zstd(sciprune_shard_reader *r, sciprune_error *err)
{
    const size_t entry_end = r->end;
    size_t hold = r->end;
    int verify_only = 0;
    uint64_t decoded = 0; /* bytes of the current frame decoded by this pass */
    for (;;) {
        if (r->zin.pos == r->zin.size && !r->in_eof) {
            ssize_t n = read_file(r, r->in, r->in_cap, err);
            if (n < 0) return SCIPRUNE_EIO;
            if (n == 0) r->in_eof = 1;
            r->zin.src = r->in;
            r->zin.size = (size_t)n;
            r->zin.pos = 0;
        }
        if (r->zin.pos == r->zin.size) { /* end of file */
            if (r->in_frame) {
                char why[96];
                snprintf(why, sizeof why, "is cut off at byte %llu (truncated file)",
                         (unsigned long long)r->file_off);
                frame_damage(r, why, decoded);
            } else {
                r->eof = 1;
            }
            return SCIPRUNE_OK;
        }
        if (!r->in_frame) {
            r->in_frame = 1;
            r->frame_off = r->file_off - (r->zin.size - r->zin.pos);
            r->frame_no++;
            decoded = 0;
        }
        char *dst;
        size_t room;
        if (r->replay) {
            dst = r->buf + r->end;
            room = r->cap - r->end;
        } else {
            if (!verify_only && hold == r->cap) {
                if (hold - r->end >= FRAME_HOLD) {
                    verify_only = 1; /* drop what is held; [end, cap) becomes scratch */
                    hold = r->end;
                } else {
                    size_t ncap = r->cap * 2;
                    char *nb = win_grow(r->buf, &r->buf_mapped, r->cap + 1, ncap + 1);
                    if (!nb)
                        return sp_err(err, SCIPRUNE_ENOMEM, r->path, -1, -1, "out of memory");
                    r->buf = nb;
                    r->cap = ncap;
                }
            }
            dst = r->buf + hold;
            room = r->cap - hold;
            /* verifying: the output is thrown away, so it cycles through a cache-sized piece
             * of the scratch instead of the whole window */
            if (verify_only && room > VERIFY_SCRATCH) room = VERIFY_SCRATCH;
        }
        ZSTD_outBuffer zout = {dst, room, 0};
        size_t ret = ZSTD_decompressStream(r->dctx, &zout, &r->zin);
        if (ZSTD_isError(ret)) {
            char why[96];
            snprintf(why, sizeof why, "is %s (%s)", r->replay ? "changed since it verified" : "corrupt",
                     zstd_error_text(ret));
            frame_damage(r, why, decoded + zout.pos);
            return SCIPRUNE_OK;
        }
        decoded += zout.pos;
        if (r->replay)
            r->end += zout.pos;
        else if (!verify_only)
            hold += zout.pos;
        if (ret == 0) { /* frame complete; the decoder has checked its checksum */
            r->in_frame = 0;
            if (verify_only) {
                /* verified: decode it again from its first byte, straight into the window */
                if (lseek(r->fd, (off_t)r->frame_off, SEEK_SET) < 0)
                    return sp_err_errno(err, SCIPRUNE_EIO, r->path, errno,
                                        "cannot seek back to zstd frame %llu (larger than %zu MiB)",
                                        (unsigned long long)r->frame_no, FRAME_HOLD >> 20);
                r->file_off = r->frame_off;
                r->zin.pos = r->zin.size = 0;
                r->in_eof = 0;
                ZSTD_DCtx_reset(r->dctx, ZSTD_reset_session_only);
                r->replay = 1;
                r->in_frame = 1;
                verify_only = 0;
                decoded = 0;
                continue;
            }
            if (r->replay)
                r->replay = 0; /* its bytes went straight into the window */
            else
                r->end = hold; /* the held bytes are verified: make them visible */
            hold = r->end;
            if (r->end > entry_end) return SCIPRUNE_OK;
            continue;
        }
        if (r->replay && zout.pos > 0) return SCIPRUNE_OK;
    }
}

static sciprune_status fill(sciprune_shard_reader *r, sciprune_error *err)
{
    return r->zst ? fill_zstd(r, err) : fill_plain(r, err);
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return 0;
    return 1;
}

static void reject(sciprune_shard_reader *r, sciprune_reject why, const char *fmt, ...)
    SP_PRINTF(3, 4);
static void reject(sciprune_shard_reader *r, sciprune_reject why, const char *fmt, ...)
{
    r->rec.reject = why;
    r->rec.text = NULL;
    r->rec.text_len = 0;
    r->rec.id = NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->rec.detail, sizeof r->rec.detail, fmt, ap);
    va_end(ap);
}

static const char *lower_copy(char *dst, size_t cap, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++) dst[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
    dst[i] = '\0';
    return dst;
}

/* Fill r->rec for one complete line. */
static void parse_line(sciprune_shard_reader *r, const char *raw, size_t len, int64_t off)
{
    sciprune_record *rec = &r->rec;
    memset(rec, 0, sizeof *rec);
    rec->line = ++r->line_no;
    rec->offset = off;
    rec->raw = raw;
    rec->raw_len = len;
    rec->lang = r->opt.default_lang;
    if (len == 0 || is_blank(raw, len)) {
        reject(r, SCIPRUNE_REJECT_EMPTY_LINE, "blank line");
        return;
    }
    if (len + 64 > r->dcap) {
        size_t nc = len + 64 > 2 * r->dcap ? len + 64 : 2 * r->dcap;
        char *nb = realloc(r->dbuf, nc);
        if (!nb) { /* an error, not a rejected line: the line is good, memory is short */
            r->nomem = 1;
            return;
        }
        r->dbuf = nb;
        r->dcap = nc;
    }
    jl_field *fl = r->fl;
    jl_result jr;
    if (jl_parse(raw, len, r->keys, r->nkeys, fl, r->dbuf, r->dcap, &jr) != 0) {
        if (jr.error == JL_BAD_UTF8)
            reject(r, SCIPRUNE_REJECT_BAD_UTF8, "invalid UTF-8 at byte %zu of the line", jr.error_pos);
        else if (len >= 3 && memcmp(raw, "\xef\xbb\xbf", 3) == 0)
            reject(r, SCIPRUNE_REJECT_BAD_JSON, "invalid JSON at byte 0 of the line: a UTF-8 "
                   "byte-order mark (EF BB BF), accepted only at the start of a shard");
        else
            reject(r, SCIPRUNE_REJECT_BAD_JSON, "invalid JSON at byte %zu of the line: %s",
                   jr.error_pos, jr.error_msg);
        return;
    }
    jl_field *text = &fl[0];
    if (text->type == JL_ABSENT) {
        reject(r, SCIPRUNE_REJECT_NO_TEXT, "text field \"%s\" missing", r->opt.text_field);
        return;
    }
    if (text->type != JL_STRING) {
        reject(r, SCIPRUNE_REJECT_TEXT_NOT_STRING, "text field \"%s\" is not a string",
               r->opt.text_field);
        return;
    }
    const char *tv = r->dbuf + text->str_off;
    if (text->has_nul) {
        const char *nul = memchr(tv, '\0', text->str_len);
        reject(r, SCIPRUNE_REJECT_NUL_IN_TEXT, "text field contains U+0000 at byte %zu of the text",
               (size_t)(nul ? nul - tv : 0));
        return;
    }
    rec->text = tv;
    rec->text_len = text->str_len;

    jl_field *id = &fl[1];
    if (id->type == JL_STRING && id->str_len > 0) {
        rec->id = r->dbuf + id->str_off;
    } else if (id->type == JL_NUMBER && id->raw_len < sizeof r->idbuf &&
               !memchr(id->raw, '.', id->raw_len) && !memchr(id->raw, 'e', id->raw_len) &&
               !memchr(id->raw, 'E', id->raw_len)) {
        memcpy(r->idbuf, id->raw, id->raw_len);
        r->idbuf[id->raw_len] = '\0';
        rec->id = r->idbuf;
    } else {
        snprintf(r->idbuf, sizeof r->idbuf, "%s:%lld", r->name, (long long)rec->line);
        rec->id = r->idbuf;
    }
    for (size_t i = 0; i < r->n_path_fields && !rec->path; i++) {
        jl_field *p = &fl[2 + r->n_lang_fields + i];
        if (p->type == JL_STRING) rec->path = r->dbuf + p->str_off;
    }
    const char *lang = NULL;
    for (size_t i = 0; i < r->n_lang_fields && !lang; i++) {
        jl_field *l = &fl[2 + i];
        if (l->type == JL_STRING && l->str_len > 0) {
            const char *lv = r->dbuf + l->str_off;
            lang = sciprune_lang_canonical(lv);
            if (!lang) lang = lower_copy(r->langbuf, sizeof r->langbuf, lv);
        }
    }
    if (!lang && rec->path) lang = sciprune_lang_from_path(rec->path);
    rec->lang = lang ? lang : r->opt.default_lang;
}

/* Hand out the record parse_line made, or ENOMEM when it could not. */
static sciprune_status line_out(sciprune_shard_reader *r, const sciprune_record **out,
                                sciprune_error *err)
{
    if (r->nomem) {
        r->nomem = 0;
        r->done = 1;
        return sp_err(err, SCIPRUNE_ENOMEM, r->path, r->rec.line, -1, "out of memory decoding a line");
    }
    *out = &r->rec;
    return SCIPRUNE_OK;
}

sciprune_status sciprune_shard_reader_next(sciprune_shard_reader *r,
                                           const sciprune_record **out, sciprune_error *err)
{
    *out = NULL;
    for (;;) {
        if (r->done) return SCIPRUNE_OK;
        if (!r->bom_checked && (r->end >= 3 || r->eof || memchr(r->buf, '\n', r->end))) {
            r->bom_checked = 1;
            if (r->end >= 3 && memcmp(r->buf, "\xef\xbb\xbf", 3) == 0) {
                r->start = r->scan = 3;
                r->line_off = 3;
                sp_log(SCIPRUNE_LOG_INFO, "%s: skipped the UTF-8 byte-order mark at its start",
                       r->path);
            }
        }
        char *nl = r->scan < r->end ? memchr(r->buf + r->scan, '\n', r->end - r->scan) : NULL;
        if (nl) {
            size_t pos = (size_t)(nl - r->buf);
            if (r->skipping) {
                /* window holds [start, start+max) of the long line; data after it is new */
                size_t keep_end = r->start + r->opt.max_line_bytes;
                uint64_t total = r->skip_len + (pos - keep_end);
                int64_t off = r->line_off;
                parse_line(r, r->buf + r->start, r->opt.max_line_bytes, off);
                reject(r, SCIPRUNE_REJECT_TOO_LONG,
                       "line of %llu bytes exceeds the limit of %zu; first %zu bytes kept",
                       (unsigned long long)total, r->opt.max_line_bytes, r->opt.max_line_bytes);
                r->skipping = 0;
                r->line_off += (int64_t)total + 1;
                r->start = r->scan = pos + 1;
                return line_out(r, out, err);
            }
            size_t len = pos - r->start;
            int64_t off = r->line_off;
            if (len > r->opt.max_line_bytes) {
                parse_line(r, r->buf + r->start, r->opt.max_line_bytes, off);
                reject(r, SCIPRUNE_REJECT_TOO_LONG,
                       "line of %zu bytes exceeds the limit of %zu; first %zu bytes kept", len,
                       r->opt.max_line_bytes, r->opt.max_line_bytes);
            } else {
                parse_line(r, r->buf + r->start, len, off);
            }
            r->line_off += (int64_t)len + 1;
            r->start = r->scan = pos + 1;
            return line_out(r, out, err);
        }
        r->scan = r->end;
        if (r->eof) {
            size_t len = r->end - r->start;
            if (r->skipping) len = r->opt.max_line_bytes;
            if (r->damaged) {
                parse_line(r, r->buf + r->start, len, r->line_off);
                reject(r, SCIPRUNE_REJECT_STREAM, "%s", r->damage_msg);
                r->rec.offset = r->damage_off;
                r->done = 1;
                return line_out(r, out, err);
            }
            r->done = 1;
            if (len == 0) return SCIPRUNE_OK;
            parse_line(r, r->buf + r->start, len, r->line_off);
            if (r->skipping)
                reject(r, SCIPRUNE_REJECT_TOO_LONG,
                       "last line exceeds the limit of %zu bytes and has no final newline",
                       r->opt.max_line_bytes);
            else
                reject(r, SCIPRUNE_REJECT_NO_NEWLINE,
                       "last line has no final newline (truncated write?)");
            return line_out(r, out, err);
        }
        /* need more data */
        if (r->skipping) {
            size_t keep_end = r->start + r->opt.max_line_bytes;
            r->skip_len += r->end - keep_end;
            r->end = r->scan = keep_end;
        } else if (r->end - r->start > r->opt.max_line_bytes) {
            r->skipping = 1;
            size_t keep_end = r->start + r->opt.max_line_bytes;
            r->skip_len = r->end - r->start;
            r->end = r->scan = keep_end;
        }
        /* (zstd: a whole frame lands after end, so the window always starts at 0 before it) */
        if (r->start > 0 && (r->zst || r->end == r->cap || r->cap - r->end < READ_CHUNK / 2)) {
            memmove(r->buf, r->buf + r->start, r->end - r->start);
            r->end -= r->start;
            r->scan -= r->start;
            r->start = 0;
        }
        if (r->end == r->cap) {
            size_t ncap = r->cap * 2;
            char *nb = win_grow(r->buf, &r->buf_mapped, r->cap + 1, ncap + 1);
            if (!nb) return sp_err(err, SCIPRUNE_ENOMEM, r->path, r->line_no + 1, -1, "out of memory");
            r->buf = nb;
            r->cap = ncap;
        }
        sciprune_status st = fill(r, err);
        if (st != SCIPRUNE_OK) return st;
    }
}
