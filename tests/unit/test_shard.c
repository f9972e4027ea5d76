/* test_shard.c - shard/ record layer: round trips, every bad-input case, accounting, atomic
 * writes, ids and languages, file hashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sciprune.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

static char g_dir[256];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/sciprune-test-shard-XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *path_of(const char *name)
{
    static char buf[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", g_dir, name);
    return buf[k];
}

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void *read_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long l = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)l + 1);
    assert_int_equal(fread(b, 1, (size_t)l, f), (size_t)l);
    fclose(f);
    *n = (size_t)l;
    return b;
}

/* compress `src` as one zstd frame into a malloc'ed buffer */
static void *zcompress(const void *src, size_t n, int level, size_t *out_n)
{
    size_t cap = ZSTD_compressBound(n);
    void *dst = malloc(cap);
    size_t r = ZSTD_compress(dst, cap, src, n, level);
    assert_false(ZSTD_isError(r));
    *out_n = r;
    return dst;
}

typedef struct counts {
    int lines, ok, rej;
    int reason[16];
    sciprune_record last_bad; /* copy of the last rejected record (pointers invalid) */
    int64_t bad_line[16];
    int64_t bad_offset[16];
} counts;

static counts read_all(const char *path, const sciprune_shard_options *o)
{
    counts c;
    memset(&c, 0, sizeof c);
    sciprune_shard_reader *r = NULL;
    sciprune_error e;
    assert_int_equal(sciprune_shard_reader_open(&r, path, o, &e), SCIPRUNE_OK);
    const sciprune_record *rec;
    for (;;) {
        assert_int_equal(sciprune_shard_reader_next(r, &rec, &e), SCIPRUNE_OK);
        if (!rec) break;
        c.lines++;
        assert_int_equal(rec->line, c.lines);
        if (rec->reject == SCIPRUNE_REJECT_NONE) {
            c.ok++;
            assert_non_null(rec->text);
            assert_non_null(rec->id);
        } else {
            c.rej++;
            c.reason[rec->reject]++;
            c.bad_line[rec->reject] = rec->line;
            c.bad_offset[rec->reject] = rec->offset;
            c.last_bad = *rec;
            assert_null(rec->text);
            assert_true(rec->detail[0] != '\0');
        }
    }
    /* reading past the end stays at the end */
    assert_int_equal(sciprune_shard_reader_next(r, &rec, &e), SCIPRUNE_OK);
    assert_null(rec);
    sciprune_shard_reader_close(r);
    assert_int_equal(c.ok + c.rej, c.lines);
    return c;
}

static const char *k_lines[] = {
    "{\"id\":\"a\",\"content\":\"def f(x):\\n    return x + 1\\n\",\"lang\":\"python\"}",
    "{\"id\":\"b\",\"content\":\"int main(void) { return 0; }\",\"path\":\"src/main.c\"}",
    "{\"content\":\"caf\\u00e9 \\u2603 \xe2\x98\x83 \\\"quoted\\\" \\\\ tab\\t\",\"language\":\"JavaScript\"}",
    "{\"id\":17,\"content\":\"\",\"max_stars_repo_path\":\"x/y/Z.JAVA\"}",
    "{ \"id\" : \"spaced\" , \"content\" : \"x\" , \"extra\": [1, 2.5e3, null, true, {\"n\": {}}] }",
};
#define NLINES (sizeof k_lines / sizeof k_lines[0])

static void test_writer_round_trip_is_byte_identical(void **state)
{
    (void)state;
    const char *names[] = {"rt.jsonl", "rt.jsonl.zst"};
    for (int f = 0; f < 2; f++) {
        const char *p = path_of(names[f]);
        sciprune_shard_writer *w;
        sciprune_error e;
        assert_int_equal(sciprune_shard_writer_open(&w, p, NULL, &e), SCIPRUNE_OK);
        for (int rep = 0; rep < 2000; rep++)
            for (size_t i = 0; i < NLINES; i++)
                assert_int_equal(sciprune_shard_writer_write(w, k_lines[i], strlen(k_lines[i]), &e), SCIPRUNE_OK);
        assert_int_equal(sciprune_shard_writer_close(w, &e), SCIPRUNE_OK);
        sciprune_shard_reader *r;
        assert_int_equal(sciprune_shard_reader_open(&r, p, NULL, &e), SCIPRUNE_OK);
        const sciprune_record *rec;
        size_t n = 0;
        int64_t off = 0;
        for (;;) {
            assert_int_equal(sciprune_shard_reader_next(r, &rec, &e), SCIPRUNE_OK);
            if (!rec) break;
            const char *want = k_lines[n % NLINES];
            assert_int_equal(rec->raw_len, strlen(want));
            assert_memory_equal(rec->raw, want, rec->raw_len);
            assert_int_equal(rec->reject, SCIPRUNE_REJECT_NONE);
            assert_int_equal(rec->offset, off);
            off += (int64_t)rec->raw_len + 1;
            n++;
        }
        sciprune_shard_reader_close(r);
        assert_int_equal(n, 2000 * NLINES);
    }
    /* the plain file is exactly the lines joined by '\n' */
    size_t n;
    char *b = read_bytes(path_of("rt.jsonl"), &n);
    size_t o = 0;
    for (int rep = 0; rep < 2000; rep++)
        for (size_t i = 0; i < NLINES; i++) {
            size_t l = strlen(k_lines[i]);
            assert_memory_equal(b + o, k_lines[i], l);
            assert_int_equal(b[o + l], '\n');
            o += l + 1;
        }
    assert_int_equal(o, n);
    free(b);
}

static void test_reader_fields_ids_and_languages(void **state)
{
    (void)state;
    const char *p = path_of("fields.jsonl");
    FILE *f = fopen(p, "w");
    for (size_t i = 0; i < NLINES; i++) fprintf(f, "%s\n", k_lines[i]);
    fclose(f);
    sciprune_shard_reader *r;
    sciprune_error e;
    assert_int_equal(sciprune_shard_reader_open(&r, p, NULL, &e), SCIPRUNE_OK);
    const sciprune_record *rec;
    struct { const char *id, *lang, *text; } want[] = {
        {"a", "python", "def f(x):\n    return x + 1\n"},
        {"b", "c", "int main(void) { return 0; }"},
        {"fields.jsonl:3", "javascript", "caf\xc3\xa9 \xe2\x98\x83 \xe2\x98\x83 \"quoted\" \\ tab\t"},
        {"17", "java", ""},
        {"spaced", "unknown", "x"},
    };
    for (size_t i = 0; i < NLINES; i++) {
        assert_int_equal(sciprune_shard_reader_next(r, &rec, &e), SCIPRUNE_OK);
        assert_non_null(rec);
        assert_string_equal(rec->id, want[i].id);
        assert_string_equal(rec->lang, want[i].lang);
        assert_string_equal(rec->text, want[i].text);
        assert_int_equal(rec->text_len, strlen(want[i].text));
    }
    sciprune_shard_reader_close(r);

    /* configurable field names and default language */
    sciprune_shard_options o;
    sciprune_shard_options_default(&o);
    o.text_field = "code";
    o.id_field = "key";
    o.default_lang = "python";
    const char *p2 = path_of("fields2.jsonl");
    f = fopen(p2, "w");
    fprintf(f, "{\"key\":\"k1\",\"code\":\"pass\"}\n{\"content\":\"x\"}\n");
    fclose(f);
    assert_int_equal(sciprune_shard_reader_open(&r, p2, &o, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_shard_reader_next(r, &rec, &e), SCIPRUNE_OK);
    assert_string_equal(rec->id, "k1");
    assert_string_equal(rec->text, "pass");
    assert_string_equal(rec->lang, "python");
    assert_int_equal(sciprune_shard_reader_next(r, &rec, &e), SCIPRUNE_OK);
    assert_int_equal(rec->reject, SCIPRUNE_REJECT_NO_TEXT);
    sciprune_shard_reader_close(r);
}

/* one file with one bad line of each per-line kind between good lines */
static void test_reader_rejects_each_bad_line_kind(void **state)
{
    (void)state;
    const char *p = path_of("bad.jsonl");
    FILE *f = fopen(p, "wb");
    fprintf(f, "{\"content\":\"ok1\"}\n");                 /* 1 ok */
    fprintf(f, "{\"content\":\"unterminated}\n");          /* 2 bad_json */
    fprintf(f, "[1,2,3]\n");                               /* 3 bad_json (not an object) */
    fprintf(f, "{\"text\":\"no content\"}\n");             /* 4 no_text */
    fprintf(f, "{\"content\":42}\n");                      /* 5 text_not_string */
    fprintf(f, "{\"content\":\"bad \xff\xfe utf8\"}\n");    /* 6 bad_utf8 */
    fprintf(f, "{\"content\":\"nul\\u0000inside\"}\n");    /* 7 nul_in_text */
    fprintf(f, "\n");                                      /* 8 empty_line */
    fprintf(f, "{\"content\":\"%0200d\"}\n", 7);           /* 9 too_long (limit 128) */
    fprintf(f, "{\"content\":\"ok2\"}\n");                 /* 10 ok */
    fprintf(f, "{\"content\":\"no newline\"}");            /* 11 no_newline */
    fclose(f);
    sciprune_shard_options o;
    sciprune_shard_options_default(&o);
    o.max_line_bytes = 128;
    counts c = read_all(p, &o);
    assert_int_equal(c.lines, 11);
    assert_int_equal(c.ok, 2);
    assert_int_equal(c.rej, 9);
    assert_int_equal(c.reason[SCIPRUNE_REJECT_BAD_JSON], 2);
    assert_int_equal(c.reason[SCIPRUNE_REJECT_NO_TEXT], 1);
    assert_int_equal(c.reason[SCIPRUNE_REJECT_TEXT_NOT_STRING], 1);
    assert_int_equal(c.reason[SCIPRUNE_REJECT_BAD_UTF8], 1);
    assert_int_equal(c.reason[SCIPRUNE_REJECT_NUL_IN_TEXT], 1);
    assert_int_equal(c.reason[SCIPRUNE_REJECT_EMPTY_LINE], 1);
    assert_int_equal(c.reason[SCIPRUNE_REJECT_TOO_LONG], 1);
    assert_int_equal(c.reason[SCIPRUNE_REJECT_NO_NEWLINE], 1);
    assert_int_equal(c.bad_line[SCIPRUNE_REJECT_BAD_UTF8], 6);
    assert_int_equal(c.bad_line[SCIPRUNE_REJECT_NUL_IN_TEXT], 7);
    assert_int_equal(c.bad_line[SCIPRUNE_REJECT_TOO_LONG], 9);
    assert_int_equal(c.bad_line[SCIPRUNE_REJECT_NO_NEWLINE], 11);
}

/* a line far longer than the read window (several MiB) is skipped to its newline */
static void test_reader_skips_huge_line_and_continues(void **state)
{
    (void)state;
    const char *p = path_of("huge.jsonl.zst");
    size_t big = (size_t)5 << 20;
    char *line = malloc(big + 64);
    int n = sprintf(line, "{\"content\":\"");
    memset(line + n, 'a', big);
    strcpy(line + n + big, "\"}");
    sciprune_shard_writer *w;
    sciprune_error e;
    assert_int_equal(sciprune_shard_writer_open(&w, p, NULL, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_shard_writer_write(w, "{\"content\":\"before\"}", 20, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_shard_writer_write(w, line, strlen(line), &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_shard_writer_write(w, "{\"content\":\"after\"}", 19, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_shard_writer_close(w, &e), SCIPRUNE_OK);
    sciprune_shard_options o;
    sciprune_shard_options_default(&o);
    o.max_line_bytes = (size_t)1 << 20;
    counts c = read_all(p, &o);
    assert_int_equal(c.lines, 3);
    assert_int_equal(c.ok, 2);
    assert_int_equal(c.reason[SCIPRUNE_REJECT_TOO_LONG], 1);
    assert_int_equal(c.bad_line[SCIPRUNE_REJECT_TOO_LONG], 2);
    assert_int_equal(c.last_bad.raw_len, o.max_line_bytes);
    /* the same line under the default 16 MiB limit is accepted */
    c = read_all(p, NULL);
    assert_int_equal(c.ok, 3);
    free(line);
}

static void test_reader_empty_file_has_no_records(void **state)
{
    (void)state;
    write_bytes(path_of("empty.jsonl"), "", 0);
    write_bytes(path_of("empty.jsonl.zst"), "", 0);
    counts c = read_all(path_of("empty.jsonl"), NULL);
    assert_int_equal(c.lines, 0);
    c = read_all(path_of("empty.jsonl.zst"), NULL);
    assert_int_equal(c.lines, 0);
    /* a zstd frame of nothing is empty too */
    size_t zn;
    void *z = zcompress("", 0, 3, &zn);
    write_bytes(path_of("empty2.jsonl.zst"), z, zn);
    free(z);
    c = read_all(path_of("empty2.jsonl.zst"), NULL);
    assert_int_equal(c.lines, 0);
}

static char *make_jsonl(int nlines, size_t *len)
{
    size_t cap = (size_t)nlines * 64 + 1;
    char *s = malloc(cap);
    size_t o = 0;
    for (int i = 0; i < nlines; i++)
        o += (size_t)snprintf(s + o, cap - o, "{\"id\":\"r%d\",\"content\":\"line %d xxxxxxxx\"}\n", i, i);
    *len = o;
    return s;
}

static void test_reader_multi_frame_any_level(void **state)
{
    (void)state;
    size_t n1, n2, z1, z2;
    char *a = make_jsonl(1000, &n1);
    char *b = make_jsonl(500, &n2);
    char *za = zcompress(a, n1, 1, &z1);
    char *zb = zcompress(b, n2, 19, &z2);
    char *cat = malloc(z1 + z2);
    memcpy(cat, za, z1);
    memcpy(cat + z1, zb, z2);
    write_bytes(path_of("multi.jsonl.zst"), cat, z1 + z2);
    counts c = read_all(path_of("multi.jsonl.zst"), NULL);
    assert_int_equal(c.lines, 1500);
    assert_int_equal(c.ok, 1500);
    free(a); free(b); free(za); free(zb); free(cat);
}

static void test_reader_truncated_zstd_keeps_records_before(void **state)
{
    (void)state;
    size_t n, zn;
    char *a = make_jsonl(20000, &n);
    char *z = zcompress(a, n, 3, &zn);
    write_bytes(path_of("trunc.jsonl.zst"), z, zn * 2 / 3);
    counts c = read_all(path_of("trunc.jsonl.zst"), NULL);
    assert_true(c.ok > 1000);
    assert_true(c.ok < 20000);
    assert_int_equal(c.rej, 1);
    assert_int_equal(c.reason[SCIPRUNE_REJECT_STREAM], 1);
    assert_int_equal(c.bad_line[SCIPRUNE_REJECT_STREAM], c.lines);
    assert_int_equal(c.bad_offset[SCIPRUNE_REJECT_STREAM], (int64_t)(zn * 2 / 3));
    assert_non_null(strstr(c.last_bad.detail, "truncated"));
    free(a);
    free(z);
}

static void test_reader_garbage_in_zstd_stream(void **state)
{
    (void)state;
    size_t n, zn;
    char *a = make_jsonl(20000, &n);
    /* two frames; smash the second frame's header so the damage is at a known offset */
    size_t half = n / 2;
    while (a[half - 1] != '\n') half++;
    size_t z1, z2;
    char *za = zcompress(a, half, 3, &z1);
    char *zb = zcompress(a + half, n - half, 3, &z2);
    char *cat = malloc(z1 + z2);
    memcpy(cat, za, z1);
    memcpy(cat + z1, zb, z2);
    memset(cat + z1, 0x5a, 16);
    zn = z1 + z2;
    write_bytes(path_of("garbage.jsonl.zst"), cat, zn);
    counts c = read_all(path_of("garbage.jsonl.zst"), NULL);
    /* every record of the first frame survives */
    int first_frame_lines = 0;
    for (size_t i = 0; i < half; i++) first_frame_lines += a[i] == '\n';
    assert_int_equal(c.ok, first_frame_lines);
    assert_int_equal(c.reason[SCIPRUNE_REJECT_STREAM], 1);
    assert_int_equal(c.rej, 1);
    assert_true(c.bad_offset[SCIPRUNE_REJECT_STREAM] >= (int64_t)z1);
    assert_true(c.bad_offset[SCIPRUNE_REJECT_STREAM] <= (int64_t)zn);
    assert_non_null(strstr(c.last_bad.detail, "corrupt"));
    free(a); free(za); free(zb); free(cat);

    /* garbage inside a block of a checksummed frame (as the writer makes them): whatever the
     * damaged block decodes to is accounted for, and the shard ends with one stream record */
    a = make_jsonl(20000, &n);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
    char *z = malloc(ZSTD_compressBound(n));
    zn = ZSTD_compress2(cc, z, ZSTD_compressBound(n), a, n);
    assert_false(ZSTD_isError(zn));
    ZSTD_freeCCtx(cc);
    for (size_t i = zn / 2; i < zn / 2 + 64; i++) z[i] ^= 0xA5;
    write_bytes(path_of("garbage2.jsonl.zst"), z, zn);
    c = read_all(path_of("garbage2.jsonl.zst"), NULL);
    assert_int_equal(c.reason[SCIPRUNE_REJECT_STREAM], 1);
    assert_true(c.ok < 20000);
    free(a);
    free(z);
}

static void test_reader_not_zstd_despite_name(void **state)
{
    (void)state;
    const char *s = "{\"content\":\"plain\"}\n";
    write_bytes(path_of("plain.jsonl.zst"), s, strlen(s));
    counts c = read_all(path_of("plain.jsonl.zst"), NULL);
    assert_int_equal(c.lines, 1);
    assert_int_equal(c.reason[SCIPRUNE_REJECT_STREAM], 1);
    assert_int_equal(c.bad_offset[SCIPRUNE_REJECT_STREAM], 0);
    assert_non_null(strstr(c.last_bad.detail, "not a zstd stream"));
}

static void test_reader_open_missing_file_names_it(void **state)
{
    (void)state;
    sciprune_shard_reader *r = (void *)1;
    sciprune_error e;
    assert_int_equal(sciprune_shard_reader_open(&r, path_of("nope.jsonl"), NULL, &e), SCIPRUNE_EIO);
    assert_null(r);
    assert_int_equal(e.code, SCIPRUNE_EIO);
    assert_non_null(strstr(e.source, "nope.jsonl"));
    sciprune_shard_reader_close(NULL);
    sciprune_shard_writer_abort(NULL);
}

/* 1 when s is valid UTF-8 (enough for the test: lead bytes and their continuation bytes) */
static int utf8_ok(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int n = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
        if (!n) return 0;
        for (int i = 1; i < n; i++)
            if ((p[i] & 0xC0) != 0x80) return 0;
        p += n;
    }
    return 1;
}

static int ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && !strcmp(s + a - b, tail);
}

/* Paths longer than the error's fields: the start and the end are kept with U+2026 between,
 * cut on UTF-8 boundaries; the reason at the end of the text is never lost. */
static void test_error_long_path_keeps_reason(void **state)
{
    (void)state;
    char dir[2400], path[2600];
    int n = snprintf(dir, sizeof dir, "%s", g_dir);
    for (int i = 0; i < 18; i++) /* 18 x 62 bytes of missing folders, with 2-byte characters */
        n += snprintf(dir + n, sizeof dir - (size_t)n, "/%s", "d\xc3\xa9\xc3\xa9\xc3\xa9" "ddddddddddddddddddddddddddddddddddddddddddddddddddddd");
    snprintf(path, sizeof path, "%s/x.jsonl", dir);
    assert_true(strlen(path) > 700);
    sciprune_shard_writer *w;
    sciprune_error e;
    assert_int_equal(sciprune_shard_writer_open(&w, path, NULL, &e), SCIPRUNE_EIO);
    assert_string_equal(e.text, "cannot create: No such file or directory");
    assert_true(strlen(e.source) < sizeof e.source);
    assert_true(ends_with(e.source, "/x.jsonl"));
    assert_true(!strncmp(e.source, g_dir, strlen(g_dir)));
    assert_non_null(strstr(e.source, "\xe2\x80\xa6"));
    assert_true(utf8_ok(e.source));
    /* a 400-byte path that fits: kept whole */
    snprintf(path, sizeof path, "%.*s/x.jsonl", 392, dir);
    assert_int_equal(sciprune_shard_writer_open(&w, path, NULL, &e), SCIPRUNE_EIO);
    assert_string_equal(e.source, path);
    assert_string_equal(e.text, "cannot create: No such file or directory");
    /* a path inside the text, longer than the text: its start and the end of the message */
    char cfg[2700];
    snprintf(cfg, sizeof cfg, "%s/long-job.json", g_dir);
    FILE *f = fopen(cfg, "w");
    assert_non_null(f);
    fprintf(f, "{\"inputs\": [\"%s/none-*.jsonl\"], \"workdir\": \"w-long\"}\n", dir);
    fclose(f);
    assert_int_equal(sciprune_run(cfg, NULL, &e), SCIPRUNE_EINVAL);
    assert_true(strlen(e.text) < sizeof e.text);
    assert_non_null(strstr(e.text, "matches no file"));
    assert_true(ends_with(e.text, "/none-*.jsonl"));
    assert_non_null(strstr(e.text, "\xe2\x80\xa6"));
    assert_true(utf8_ok(e.text));
}

static void test_writer_is_atomic(void **state)
{
    (void)state;
    const char *p = path_of("atomic.jsonl.zst");
    sciprune_shard_writer *w;
    sciprune_error e;
    assert_int_equal(sciprune_shard_writer_open(&w, p, NULL, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_shard_writer_write(w, "{\"content\":\"x\"}", 15, &e), SCIPRUNE_OK);
    struct stat sb;
    assert_int_not_equal(stat(p, &sb), 0); /* not visible before close */
    sciprune_shard_writer_abort(w);
    assert_int_not_equal(stat(p, &sb), 0); /* abort leaves nothing */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -c tmp", g_dir);
    FILE *pp = popen(cmd, "r");
    int ntmp = -1;
    assert_int_equal(fscanf(pp, "%d", &ntmp), 1);
    pclose(pp);
    assert_int_equal(ntmp, 0);
    assert_int_equal(sciprune_shard_writer_open(&w, p, NULL, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_shard_writer_write(w, "{\"content\":\"x\"}", 15, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_shard_writer_close(w, &e), SCIPRUNE_OK);
    assert_int_equal(stat(p, &sb), 0);
    /* a folder that does not exist is a clear EIO naming the file */
    assert_int_equal(sciprune_shard_writer_open(&w, path_of("no/such/dir/x.jsonl"), NULL, &e), SCIPRUNE_EIO);
    assert_non_null(strstr(e.source, "no/such/dir/x.jsonl"));
}

static void test_reject_write_keeps_raw_bytes(void **state)
{
    (void)state;
    const char *p = path_of("bad2.jsonl");
    const char bad_utf8[] = "{\"content\":\"\xc3\x28\"}";
    FILE *f = fopen(p, "wb");
    fprintf(f, "{broken json \\u0000 \"\n%s\n", bad_utf8);
    fclose(f);
    const char *rp = path_of("rejected.jsonl");
    sciprune_shard_writer *w;
    sciprune_error e;
    assert_int_equal(sciprune_shard_writer_open(&w, rp, NULL, &e), SCIPRUNE_OK);
    sciprune_shard_reader *r;
    assert_int_equal(sciprune_shard_reader_open(&r, p, NULL, &e), SCIPRUNE_OK);
    const sciprune_record *rec;
    while (sciprune_shard_reader_next(r, &rec, &e) == SCIPRUNE_OK && rec) {
        assert_int_not_equal(rec->reject, SCIPRUNE_REJECT_NONE);
        assert_int_equal(sciprune_reject_write(w, "bad2.jsonl", rec, &e), SCIPRUNE_OK);
    }
    sciprune_shard_reader_close(r);
    assert_int_equal(sciprune_shard_writer_close(w, &e), SCIPRUNE_OK);
    json_error_t je;
    FILE *in = fopen(rp, "r");
    json_t *a = json_loadf(in, JSON_DISABLE_EOF_CHECK, &je);
    assert_non_null(a);
    assert_string_equal(json_string_value(json_object_get(a, "reason")), "bad_json");
    assert_int_equal(json_integer_value(json_object_get(a, "line")), 1);
    assert_string_equal(json_string_value(json_object_get(a, "raw")), "{broken json \\u0000 \"");
    assert_string_equal(json_string_value(json_object_get(a, "shard")), "bad2.jsonl");
    json_decref(a);
    fgetc(in);
    json_t *b = json_loadf(in, JSON_DISABLE_EOF_CHECK, &je);
    assert_non_null(b);
    assert_string_equal(json_string_value(json_object_get(b, "reason")), "bad_utf8");
    assert_null(json_object_get(b, "raw"));
    /* {"content":"\xc3(\"} in base64 */
    assert_string_equal(json_string_value(json_object_get(b, "raw_base64")), "eyJjb250ZW50IjoiwygifQ==");
    json_decref(b);
    fclose(in);
}

static void test_file_hash_is_stable_and_content_based(void **state)
{
    (void)state;
    write_bytes(path_of("h1"), "hello world\n", 12);
    write_bytes(path_of("h2"), "hello world\n", 12);
    write_bytes(path_of("h3"), "hello world!", 12);
    char a[33], b[33], c[33];
    sciprune_error e;
    assert_int_equal(sciprune_file_hash(path_of("h1"), a, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_file_hash(path_of("h2"), b, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_file_hash(path_of("h3"), c, &e), SCIPRUNE_OK);
    assert_int_equal(strlen(a), 32);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_int_equal(sciprune_file_hash(path_of("missing"), a, &e), SCIPRUNE_EIO);
}

static void test_lang_names(void **state)
{
    (void)state;
    assert_string_equal(sciprune_lang_from_path("a/b/c.py"), "python");
    assert_string_equal(sciprune_lang_from_path("x.HPP"), "cpp");
    assert_string_equal(sciprune_lang_from_path("x.tsx"), "tsx");
    assert_null(sciprune_lang_from_path("Makefile"));
    assert_null(sciprune_lang_from_path("dir.py/README"));
    assert_string_equal(sciprune_lang_canonical("C++"), "cpp");
    assert_string_equal(sciprune_lang_canonical("Go"), "go");
    assert_null(sciprune_lang_canonical("klingon"));
    assert_string_equal(sciprune_shard_name("/a/b/s.jsonl.zst"), "s.jsonl.zst");
}

/* Differential check of the reader's JSON scanner against jansson on mutated lines: both must
 * agree on accept / reject, and on the decoded text when accepted. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_reader_json_agrees_with_jansson(void **state)
{
    (void)state;
    static const char *seeds[] = {
        "{\"content\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
        "{\"id\":\"x\",\"content\":\"def f():\\n  return [1, {2: 3}]\",\"n\":[1,-2.5e+3,0.1,true,false,null,{},[]]}",
        "{\"content\":\"\",\"a\":{\"b\":{\"c\":[[[]]]}}}",
        " { \"content\" : \"spaces\" , \"x\" : -0 } ",
    };
    static const char alphabet[] = "{}[]\":,\\ u0aZ-+.eE\x7f\xc3\xa9\xff\x01\n\t";
    uint64_t s = 0x9E3779B97F4A7C15ull;
    const char *p = path_of("fuzz.jsonl");
    FILE *f = fopen(p, "wb");
    int n = 0;
    char line[512];
    for (int it = 0; it < 30000; it++) {
        const char *base = seeds[it % 4];
        size_t bl = strlen(base);
        memcpy(line, base, bl);
        int muts = it < 4 ? 0 : 1 + (int)(rng_next(&s) % 3);
        for (int m = 0; m < muts; m++) {
            size_t pos = rng_next(&s) % bl;
            int op = (int)(rng_next(&s) % 3);
            char ch = alphabet[rng_next(&s) % (sizeof alphabet - 1)];
            if (op == 0) line[pos] = ch;                                      /* replace */
            else if (op == 1 && bl > 2) { memmove(line + pos, line + pos + 1, bl - pos - 1); bl--; } /* delete */
            else if (bl < sizeof line - 2) { memmove(line + pos + 1, line + pos, bl - pos); line[pos] = ch; bl++; }
        }
        if (memchr(line, '\n', bl)) continue; /* keep one record per line */
        fwrite(line, 1, bl, f);
        fputc('\n', f);
        n++;
    }
    fclose(f);
    sciprune_shard_reader *r;
    sciprune_error e;
    assert_int_equal(sciprune_shard_reader_open(&r, p, NULL, &e), SCIPRUNE_OK);
    const sciprune_record *rec;
    int seen = 0, agree_ok = 0, agree_bad = 0;
    while (sciprune_shard_reader_next(r, &rec, &e) == SCIPRUNE_OK && rec) {
        seen++;
        json_error_t je;
        json_t *j = json_loadb(rec->raw, rec->raw_len, JSON_ALLOW_NUL, &je);
        if (!j && json_error_code(&je) == json_error_numeric_overflow) continue;
        int j_ok = j && json_is_object(j) && json_is_string(json_object_get(j, "content"));
        const char *jt = j_ok ? json_string_value(json_object_get(j, "content")) : NULL;
        size_t jl = j_ok ? json_string_length(json_object_get(j, "content")) : 0;
        if (j_ok && memchr(jt, '\0', jl)) j_ok = 0; /* we reject U+0000 in the text */
        int blank = 1;
        for (size_t i = 0; i < rec->raw_len; i++)
            if (rec->raw[i] != ' ' && rec->raw[i] != '\t' && rec->raw[i] != '\r') blank = 0;
        if (blank) j_ok = 0;
        if (j_ok != (rec->reject == SCIPRUNE_REJECT_NONE))
            fail_msg("line %lld: jansson %s, reader %s (%s): %.*s", (long long)rec->line,
                     j_ok ? "accepts" : "rejects", sciprune_reject_name(rec->reject), rec->detail,
                     (int)rec->raw_len, rec->raw);
        if (j_ok) {
            assert_int_equal(rec->text_len, jl);
            assert_memory_equal(rec->text, jt, jl);
            agree_ok++;
        } else {
            agree_bad++;
        }
        json_decref(j);
    }
    sciprune_shard_reader_close(r);
    assert_int_equal(seen, n);
    assert_true(agree_ok > 1000);
    assert_true(agree_bad > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer_round_trip_is_byte_identical),
        cmocka_unit_test(test_reader_fields_ids_and_languages),
        cmocka_unit_test(test_reader_rejects_each_bad_line_kind),
        cmocka_unit_test(test_reader_skips_huge_line_and_continues),
        cmocka_unit_test(test_reader_empty_file_has_no_records),
        cmocka_unit_test(test_reader_multi_frame_any_level),
        cmocka_unit_test(test_reader_truncated_zstd_keeps_records_before),
        cmocka_unit_test(test_reader_garbage_in_zstd_stream),
        cmocka_unit_test(test_reader_not_zstd_despite_name),
        cmocka_unit_test(test_reader_open_missing_file_names_it),
        cmocka_unit_test(test_error_long_path_keeps_reason),
        cmocka_unit_test(test_writer_is_atomic),
        cmocka_unit_test(test_reject_write_keeps_raw_bytes),
        cmocka_unit_test(test_file_hash_is_stable_and_content_based),
        cmocka_unit_test(test_lang_names),
        cmocka_unit_test(test_reader_json_agrees_with_jansson),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
