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
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
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

/* A truncated single frame cannot be verified (its checksum is in the cut-off part): none of
 * it is returned, one stream record names frame 1 at compressed byte 0. */
static void test_reader_truncated_single_frame_is_withheld(void **state)
{
    (void)state;
    size_t n, zn;
    char *a = make_jsonl(20000, &n);
    char *z = zcompress(a, n, 3, &zn);
    write_bytes(path_of("trunc.jsonl.zst"), z, zn * 2 / 3);
    counts c = read_all(path_of("trunc.jsonl.zst"), NULL);
    assert_int_equal(c.ok, 0);
    assert_int_equal(c.rej, 1);
    assert_int_equal(c.reason[SCIPRUNE_REJECT_STREAM], 1);
    assert_int_equal(c.bad_line[SCIPRUNE_REJECT_STREAM], c.lines);
    assert_int_equal(c.bad_offset[SCIPRUNE_REJECT_STREAM], 0);
    assert_non_null(strstr(c.last_bad.detail, "truncated"));
    assert_non_null(strstr(c.last_bad.detail, "frame 1 at compressed byte 0"));
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
    /* the offset is where the damaged frame starts */
    assert_int_equal(c.bad_offset[SCIPRUNE_REJECT_STREAM], (int64_t)z1);
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
    /* the only frame is damaged: nothing decoded from it is trusted */
    assert_int_equal(c.ok, 0);
    assert_int_equal(c.bad_offset[SCIPRUNE_REJECT_STREAM], 0);
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

/* ---- damaged zstd: per-frame recovery (reader.c header comment) */

/* The original lines of a shard, to compare what the reader returns against. */
typedef struct orig_shard {
    char *data;         /* decompressed bytes, owned */
    size_t n;
    size_t *start;      /* start[i] = offset of line i (0-based); start[nlines] = n, owned */
    size_t nlines;
} orig_shard;

/* Frame layout of a zstd file: compressed and decompressed start of every frame. */
typedef struct zframes {
    size_t n;
    size_t coff[512]; /* coff[n] = file size */
    size_t doff[512]; /* doff[n] = decompressed size */
    int checksum[512];
} zframes;

static void orig_index(orig_shard *o)
{
    o->nlines = 0;
    for (size_t i = 0; i < o->n; i++) o->nlines += o->data[i] == '\n';
    o->start = malloc((o->nlines + 1) * sizeof *o->start);
    size_t k = 0;
    o->start[0] = 0;
    for (size_t i = 0; i < o->n; i++)
        if (o->data[i] == '\n') o->start[++k] = i + 1;
    assert_int_equal(o->start[o->nlines], o->n);
}

/* Lines of varied length (some > 128 KiB blocks are not needed: a few KiB each), all distinct. */
static void orig_make(orig_shard *o, size_t bytes, unsigned seed)
{
    o->data = malloc(bytes + 8192);
    o->n = 0;
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int i = 0; o->n < bytes; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        size_t len = 10 + (size_t)(x % 3000);
        o->n += (size_t)sprintf(o->data + o->n, "{\"id\":\"s%u-%d\",\"content\":\"", seed, i);
        for (size_t j = 0; j < len; j++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            o->data[o->n++] = "abcdefghij  klmnopqrstuvwxyz(){};=+ 0123456789.,"[x % 48];
        }
        o->n += (size_t)sprintf(o->data + o->n, "\",\"lang\":\"python\"}\n");
    }
    orig_index(o);
}

static void zframes_of(const char *z, size_t zn, zframes *f)
{
    memset(f, 0, sizeof *f);
    size_t off = 0, doff = 0;
    char *scratch = malloc((size_t)64 << 20);
    while (off < zn) {
        size_t fs = ZSTD_findFrameCompressedSize(z + off, zn - off);
        assert_false(ZSTD_isError(fs));
        size_t ds = ZSTD_decompress(scratch, (size_t)64 << 20, z + off, fs);
        assert_false(ZSTD_isError(ds));
        assert_true(f->n < 511 && fs > 4);
        /* Frame_Header_Descriptor (byte 4 of a frame), bit 2: Content_Checksum_flag */
        f->checksum[f->n] = ((unsigned char)z[off + 4] >> 2) & 1;
        f->coff[f->n] = off;
        f->doff[f->n] = doff;
        f->n++;
        off += fs;
        doff += ds;
    }
    f->coff[f->n] = zn;
    f->doff[f->n] = doff;
    free(scratch);
}

/* Lines that end (their '\n' included) at or before decompressed offset d. */
static size_t lines_before(const orig_shard *o, size_t d)
{
    size_t k = 0;
    while (k < o->nlines && o->start[k + 1] <= d) k++;
    return k;
}

typedef struct damage_read {
    size_t good;         /* good records: lines 1..good, each identical to the original */
    int stream;          /* a stream record came */
    int64_t stream_off;
    size_t stream_raw;   /* its raw bytes: the verified start of the cut line */
    char detail[160];
} damage_read;

/* Read a (damaged) copy of o; fail on any good record that differs from the original line with
 * the same number, and on any reject other than the final stream record. */
static damage_read read_damaged(const char *path, const orig_shard *o, const char *what)
{
    damage_read d;
    memset(&d, 0, sizeof d);
    sciprune_shard_reader *r;
    sciprune_error e;
    assert_int_equal(sciprune_shard_reader_open(&r, path, NULL, &e), SCIPRUNE_OK);
    uint64_t tell = 0;
    for (;;) {
        const sciprune_record *rec;
        assert_int_equal(sciprune_shard_reader_next(r, &rec, &e), SCIPRUNE_OK);
        assert_true(sciprune_shard_reader_tell(r) >= tell);
        tell = sciprune_shard_reader_tell(r);
        if (!rec) break;
        if (d.stream) fail_msg("%s: a record after the stream record", what);
        if (rec->reject == SCIPRUNE_REJECT_STREAM) {
            d.stream = 1;
            d.stream_off = rec->offset;
            d.stream_raw = rec->raw_len;
            snprintf(d.detail, sizeof d.detail, "%s", rec->detail);
            /* its raw bytes are the verified start of the next original line */
            size_t k = d.good;
            if (k < o->nlines) {
                size_t len = o->start[k + 1] - 1 - o->start[k];
                if (rec->raw_len > len || memcmp(rec->raw, o->data + o->start[k], rec->raw_len))
                    fail_msg("%s: stream record raw is not the start of line %zu", what, k + 1);
            } else if (rec->raw_len) {
                fail_msg("%s: stream record raw past the last line", what);
            }
            continue;
        }
        if (rec->reject != SCIPRUNE_REJECT_NONE)
            fail_msg("%s: line %lld rejected (%s: %s)", what, (long long)rec->line,
                     sciprune_reject_name(rec->reject), rec->detail);
        size_t k = (size_t)rec->line - 1;
        if (k != d.good || k >= o->nlines)
            fail_msg("%s: line %lld out of order or past the end", what, (long long)rec->line);
        size_t len = o->start[k + 1] - 1 - o->start[k];
        if (rec->raw_len != len || memcmp(rec->raw, o->data + o->start[k], len))
            fail_msg("%s: line %lld returned as good but differs from the original (damage "
                     "passed through)", what, (long long)rec->line);
        if (rec->offset != (int64_t)o->start[k])
            fail_msg("%s: line %lld offset %lld, want %zu", what, (long long)rec->line,
                     (long long)rec->offset, o->start[k]);
        d.good++;
    }
    sciprune_shard_reader_close(r);
    return d;
}

/* `zstd -dc path`: what it writes before its error. Counts its complete lines that equal the
 * original line with the same number (*intact: a prefix) and those that do not (*altered). */
static void zstd_dc(const char *path, const orig_shard *o, size_t *intact, size_t *altered)
{
    /* posix_spawn, not popen: no shell, no fork of this (large) process */
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
    posix_spawn_file_actions_addclose(&fa, pfd[0]);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    char *argv[] = {"zstd", "-q", "-dc", (char *)path, NULL};
    pid_t pid;
    assert_int_equal(posix_spawnp(&pid, "zstd", &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[1]);
    size_t cap = o->n + ((size_t)1 << 20), n = 0;
    char *b = malloc(cap);
    ssize_t got;
    while ((got = read(pfd[0], b + n, cap - n)) > 0) {
        n += (size_t)got;
        if (n == cap) { cap *= 2; b = realloc(b, cap); }
    }
    close(pfd[0]);
    int wst;
    waitpid(pid, &wst, 0);
    *intact = *altered = 0;
    int still = 1;
    size_t k = 0, ls = 0;
    for (size_t i = 0; i < n; i++) {
        if (b[i] != '\n') continue;
        size_t len = i - ls;
        int same = k < o->nlines && len == o->start[k + 1] - 1 - o->start[k] &&
                   memcmp(b + ls, o->data + o->start[k], len) == 0;
        if (same && still) (*intact)++;
        if (!same) { (*altered)++; still = 0; }
        k++;
        ls = i + 1;
    }
    free(b);
}

typedef struct flip_tally {
    size_t positions, detected, undetected, later_offset;
    size_t reader_good, required;
    size_t dc_runs, dc_reader_good, dc_intact, dc_altered; /* positions also run by zstd -dc */
} flip_tally;

/* Flip one byte of z at p (mask m), read it back, check the recovery rules. */
static void flip_check(const char *z, size_t zn, const zframes *f, const orig_shard *o, size_t p,
                       unsigned char m, const char *name, flip_tally *t)
{
    char *d = malloc(zn);
    memcpy(d, z, zn);
    d[p] ^= (char)m;
    const char *path = path_of(name);
    write_bytes(path, d, zn);
    free(d);
    char what[200];
    snprintf(what, sizeof what, "%s, byte %zu ^ 0x%02x", name, p, m);
    size_t k = 0;
    while (f->coff[k + 1] <= p) k++;
    size_t before = lines_before(o, f->doff[k]);
    damage_read r = read_damaged(path, o, what);
    t->positions++;
    t->reader_good += r.good;
    t->required += before;
    /* every record lying entirely before the damaged frame comes back */
    if (r.good < before) fail_msg("%s: %zu records, want the %zu before frame %zu", what, r.good, before, k + 1);
    if (t->positions % 3 == 1) { /* the zstd CLI costs ~20 ms a run: every third position */
        size_t dc_intact, dc_altered;
        zstd_dc(path, o, &dc_intact, &dc_altered);
        t->dc_runs++;
        t->dc_reader_good += r.good;
        t->dc_intact += dc_intact;
        t->dc_altered += dc_altered;
        /* nothing we return is something zstd -dc would not have written intact */
        if (r.good > dc_intact) fail_msg("%s: %zu records, zstd -dc has %zu intact", what, r.good, dc_intact);
    }
    if (!r.stream) {
        /* damage nobody can see (e.g. inside a skippable frame): then everything is intact */
        if (r.good != o->nlines) fail_msg("%s: no stream record but %zu of %zu lines", what, r.good, o->nlines);
        t->undetected++;
        return;
    }
    t->detected++;
    if (r.stream_off == (int64_t)f->coff[k]) {
        /* the damaged frame is named by its first byte, and nothing of it is returned */
        if (r.good != before) fail_msg("%s: %zu records from a damaged frame", what, r.good - before);
        char want[64];
        snprintf(want, sizeof want, "frame %zu at compressed byte %zu", k + 1, f->coff[k]);
        if (!strstr(r.detail, want) && !(k == 0 && strstr(r.detail, "bad magic number at compressed byte 0")))
            fail_msg("%s: detail \"%s\" lacks \"%s\"", what, r.detail, want);
    } else {
        /* the flip left frame k decodable and verified (e.g. it cleared the checksum flag, so
         * the checksum bytes then read as a bad next frame): the damage shows after p */
        if (r.stream_off <= (int64_t)p)
            fail_msg("%s: stream offset %lld is neither frame %zu's start %zu nor after the flip",
                     what, (long long)r.stream_off, k + 1, f->coff[k]);
        t->later_offset++;
    }
}

/* 200+ flipped bytes spread over a file, plus every frame's first bytes and the last ones. */
static void flip_many(const char *z, size_t zn, const orig_shard *o, const char *name, flip_tally *t)
{
    zframes f;
    zframes_of(z, zn, &f);
    size_t step = zn / 200;
    for (size_t i = 0; i < 200; i++) {
        size_t p = i * step + (i * 131) % (step ? step : 1);
        flip_check(z, zn, &f, o, p, (unsigned char)(i % 3 == 0 ? 0xFF : 1u << (i % 8)), name, t);
    }
    for (size_t k = 0; k < f.n; k++)
        for (size_t j = 0; j < 6 && f.coff[k] + j < zn; j++)
            flip_check(z, zn, &f, o, f.coff[k] + j, 0x10, name, t);
    for (size_t j = 1; j <= 4; j++) flip_check(z, zn, &f, o, zn - j, 0x01, name, t);
}

/* Cut the file at many lengths: the lines of the frames before the cut come back, the cut frame
 * is named; a cut exactly at a frame boundary looks like a shorter, complete shard. */
static void truncate_many(const char *z, size_t zn, const orig_shard *o, const char *name)
{
    zframes f;
    zframes_of(z, zn, &f);
    const char *path = path_of(name);
    size_t cuts[300], nc = 0;
    for (size_t i = 1; i < 60; i++) cuts[nc++] = i * (zn / 60);
    for (size_t k = 1; k < f.n; k++) { cuts[nc++] = f.coff[k]; cuts[nc++] = f.coff[k] + 3; }
    cuts[nc++] = 1;
    cuts[nc++] = 5;
    cuts[nc++] = zn - 1;
    cuts[nc++] = zn - 4;
    for (size_t c = 0; c < nc; c++) {
        size_t L = cuts[c];
        write_bytes(path, z, L);
        char what[160];
        snprintf(what, sizeof what, "%s cut at %zu of %zu", name, L, zn);
        size_t k = 0;
        while (f.coff[k + 1] <= L && k < f.n) k++;
        damage_read r = read_damaged(path, o, what);
        size_t before = lines_before(o, f.doff[k]);
        if (r.good != before) fail_msg("%s: %zu records, want %zu", what, r.good, before);
        if (L == f.coff[k]) {
            if (r.stream) fail_msg("%s: cut at a frame boundary gave a stream record", what);
        } else {
            if (!r.stream || r.stream_off != (int64_t)f.coff[k] || !strstr(r.detail, "truncated"))
                fail_msg("%s: want a truncation record at %zu, got %d at %lld (%s)", what,
                         f.coff[k], r.stream, (long long)r.stream_off, r.detail);
        }
    }
}

/* The writer cuts frames at line ends, each with a checksum, and no empty frame at the end. */
static void test_writer_zstd_frames_end_at_lines(void **state)
{
    (void)state;
    orig_shard o;
    orig_make(&o, (size_t)3 << 20, 1);
    const char *p = path_of("frames.jsonl.zst");
    sciprune_writer_options wo;
    sciprune_writer_options_default(&wo);
    assert_int_equal(wo.zstd_frame_bytes, (size_t)8 << 20);
    wo.zstd_frame_bytes = (size_t)256 << 10;
    wo.fsync = 0;
    sciprune_shard_writer *w;
    sciprune_error e;
    assert_int_equal(sciprune_shard_writer_open(&w, p, &wo, &e), SCIPRUNE_OK);
    for (size_t i = 0; i < o.nlines; i++)
        assert_int_equal(sciprune_shard_writer_write(w, o.data + o.start[i],
                                                     o.start[i + 1] - 1 - o.start[i], &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_shard_writer_close(w, &e), SCIPRUNE_OK);
    size_t zn;
    char *z = read_bytes(p, &zn);
    zframes f;
    zframes_of(z, zn, &f);
    assert_true(f.n >= 12 && f.n <= 13);
    assert_int_equal(f.doff[f.n], o.n);
    for (size_t k = 0; k < f.n; k++) {
        assert_true(f.checksum[k]);
        assert_true(f.doff[k + 1] > f.doff[k]); /* no empty frame */
        assert_int_equal(f.doff[k + 1] - 1 < o.n ? o.data[f.doff[k + 1] - 1] : 0, '\n');
        if (k + 1 < f.n) assert_true(f.doff[k + 1] - f.doff[k] >= wo.zstd_frame_bytes);
    }
    free(z);
    /* default options: a 3 MiB shard is one frame */
    wo.zstd_frame_bytes = (size_t)8 << 20;
    assert_int_equal(sciprune_shard_writer_open(&w, p, &wo, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_shard_writer_write(w, o.data, o.n - 1, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_shard_writer_close(w, &e), SCIPRUNE_OK);
    z = read_bytes(p, &zn);
    zframes_of(z, zn, &f);
    assert_int_equal(f.n, 1);
    free(z);
    free(o.data);
    free(o.start);
}

/* One flipped byte at 200+ positions of (a) a 13-frame 1.5 MiB shard from our writer and (b) a
 * single-frame `zstd -19 --check` file: no returned record differs from the original, every
 * record before the damaged frame comes back, the offset is that frame's first byte; compared
 * with what `zstd -dc` writes before its error. Then truncation at 60+ lengths of both. */
static void test_reader_zstd_flipped_bytes_keep_whole_frames(void **state)
{
    (void)state;
    orig_shard o;
    orig_make(&o, (size_t)3 << 19, 2);
    const char *pw = path_of("flip-w.jsonl.zst");
    sciprune_writer_options wo;
    sciprune_writer_options_default(&wo);
    wo.zstd_frame_bytes = (size_t)128 << 10;
    wo.fsync = 0;
    sciprune_shard_writer *w;
    sciprune_error e;
    assert_int_equal(sciprune_shard_writer_open(&w, pw, &wo, &e), SCIPRUNE_OK);
    for (size_t i = 0; i < o.nlines; i++)
        assert_int_equal(sciprune_shard_writer_write(w, o.data + o.start[i],
                                                     o.start[i + 1] - 1 - o.start[i], &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_shard_writer_close(w, &e), SCIPRUNE_OK);
    size_t zn;
    char *z = read_bytes(pw, &zn);
    damage_read clean = read_damaged(pw, &o, "intact writer shard");
    assert_int_equal(clean.good, o.nlines);
    assert_false(clean.stream);
    flip_tally tw;
    memset(&tw, 0, sizeof tw);
    flip_many(z, zn, &o, "flip-w-bad.jsonl.zst", &tw);
    truncate_many(z, zn, &o, "cut-w.jsonl.zst");
    free(z);

    /* (b) a zstd CLI file: one frame, content size and checksum in it */
    orig_shard o2;
    orig_make(&o2, (size_t)400 << 10, 3);
    write_bytes(path_of("flip-z.jsonl"), o2.data, o2.n);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "zstd -q -f -19 --check '%s' -o '%s'", path_of("flip-z.jsonl"),
             path_of("flip-z.jsonl.zst"));
    assert_int_equal(system(cmd), 0);
    z = read_bytes(path_of("flip-z.jsonl.zst"), &zn);
    clean = read_damaged(path_of("flip-z.jsonl.zst"), &o2, "intact zstd file");
    assert_int_equal(clean.good, o2.nlines);
    flip_tally tz;
    memset(&tz, 0, sizeof tz);
    flip_many(z, zn, &o2, "flip-z-bad.jsonl.zst", &tz);
    truncate_many(z, zn, &o2, "cut-z.jsonl.zst");
    free(z);

    flip_tally *ts[2] = {&tw, &tz};
    const char *names[2] = {"writer, 13 frames", "zstd -19 --check, 1 frame"};
    for (int i = 0; i < 2; i++) {
        print_message("flips (%s): %zu positions, %zu detected (%zu named after the flip), "
                      "%zu harmless; reader %zu records (0 altered; %zu required); at %zu of "
                      "them: reader %zu records, zstd -dc %zu intact + %zu altered lines\n",
                      names[i], ts[i]->positions, ts[i]->detected, ts[i]->later_offset,
                      ts[i]->undetected, ts[i]->reader_good, ts[i]->required, ts[i]->dc_runs,
                      ts[i]->dc_reader_good, ts[i]->dc_intact, ts[i]->dc_altered);
        /* a flip nobody can see (a frame header's window size grown) is rare */
        assert_true(ts[i]->undetected * 10 <= ts[i]->positions);
    }
    /* the writer's frames pay off: most of the shard survives a flip, on average */
    assert_true(tw.reader_good > tw.positions * o.nlines / 3);
    free(o.data); free(o.start); free(o2.data); free(o2.start);
}

/* A frame larger than the reader holds (16 MiB) is verified by a first decode, then decoded
 * again to deliver it; damage in it still withholds all of it. */
static void test_reader_zstd_big_frame_verified_before_use(void **state)
{
    (void)state;
    orig_shard o;
    size_t cap = (size_t)20 << 20;
    o.data = malloc(cap);
    o.n = 0;
    for (int i = 0; o.n < (size_t)18 << 20; i++)
        o.n += (size_t)snprintf(o.data + o.n, cap - o.n,
                                "{\"id\":\"big%d\",\"content\":\"x = %d # padding padding padding "
                                "padding padding padding padding padding padding\"}\n", i, i % 97);
    orig_index(&o);
    size_t small = o.start[1000]; /* frame 1: 1000 lines; frame 2: the rest (~18 MiB) */
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 1);
    size_t zcap = ZSTD_compressBound(o.n) + 64;
    char *z = malloc(zcap + 4096);
    size_t z1 = ZSTD_compress2(cc, z, zcap, o.data, small);
    assert_false(ZSTD_isError(z1));
    size_t z2 = ZSTD_compress2(cc, z + z1, zcap - z1, o.data + small, o.n - small);
    assert_false(ZSTD_isError(z2));
    size_t zn = z1 + z2;
    write_bytes(path_of("big.jsonl.zst"), z, zn);
    damage_read r = read_damaged(path_of("big.jsonl.zst"), &o, "big frame intact");
    assert_int_equal(r.good, o.nlines);
    assert_false(r.stream);
    /* damage near the end of the big frame: only frame 1 comes back */
    z[zn - 40] ^= 0x04;
    write_bytes(path_of("big-bad.jsonl.zst"), z, zn);
    r = read_damaged(path_of("big-bad.jsonl.zst"), &o, "big frame damaged");
    assert_int_equal(r.good, 1000);
    assert_true(r.stream);
    assert_int_equal(r.stream_off, (int64_t)z1);
    z[zn - 40] ^= 0x04;
    /* the big frame intact, a damaged small frame after it: all of the big one comes back */
    orig_shard o3 = o;
    o3.data = malloc(o.n + small);
    memcpy(o3.data, o.data, o.n);
    memcpy(o3.data + o.n, o.data, small);
    o3.n = o.n + small;
    orig_index(&o3);
    memcpy(z + zn, z, z1);
    z[zn + z1 / 2] ^= 0x20;
    write_bytes(path_of("big-then-bad.jsonl.zst"), z, zn + z1);
    r = read_damaged(path_of("big-then-bad.jsonl.zst"), &o3, "big frame, then a damaged one");
    assert_int_equal(r.good, o.nlines);
    assert_true(r.stream);
    assert_int_equal(r.stream_off, (int64_t)zn);
    assert_non_null(strstr(r.detail, "frame 3 at compressed byte"));
    ZSTD_freeCCtx(cc);
    free(z); free(o.data); free(o.start); free(o3.data); free(o3.start);
}

/* A UTF-8 byte-order mark at the start of a shard (plain or zstd) is skipped: the records are
 * the same bytes, line 1 sits at offset 3. Elsewhere it makes a bad line that names it. */
static void test_reader_skips_leading_bom(void **state)
{
    (void)state;
    const char *body = "{\"id\":\"a\",\"content\":\"x = 1\"}\n{\"id\":\"b\",\"content\":\"y\"}\n";
    char buf[256];
    size_t n = (size_t)snprintf(buf, sizeof buf, "\xef\xbb\xbf%s", body);
    write_bytes(path_of("bom.jsonl"), buf, n);
    size_t zn;
    void *z = zcompress(buf, n, 3, &zn);
    write_bytes(path_of("bom.jsonl.zst"), z, zn);
    free(z);
    const char *names[] = {"bom.jsonl", "bom.jsonl.zst"};
    for (int f = 0; f < 2; f++) {
        sciprune_shard_reader *r;
        sciprune_error e;
        assert_int_equal(sciprune_shard_reader_open(&r, path_of(names[f]), NULL, &e), SCIPRUNE_OK);
        const sciprune_record *rec;
        assert_int_equal(sciprune_shard_reader_next(r, &rec, &e), SCIPRUNE_OK);
        assert_non_null(rec);
        assert_int_equal(rec->reject, SCIPRUNE_REJECT_NONE);
        assert_int_equal(rec->offset, 3);
        assert_int_equal(rec->raw_len, strchr(body, '\n') - body);
        assert_memory_equal(rec->raw, body, rec->raw_len);
        assert_string_equal(rec->id, "a");
        assert_int_equal(sciprune_shard_reader_next(r, &rec, &e), SCIPRUNE_OK);
        assert_non_null(rec);
        assert_int_equal(rec->reject, SCIPRUNE_REJECT_NONE);
        assert_string_equal(rec->id, "b");
        assert_int_equal(sciprune_shard_reader_next(r, &rec, &e), SCIPRUNE_OK);
        assert_null(rec);
        sciprune_shard_reader_close(r);
    }
    /* a BOM on line 2 is a bad line, and the message says so */
    n = (size_t)snprintf(buf, sizeof buf, "%s\xef\xbb\xbf{\"content\":\"z\"}\n", body);
    write_bytes(path_of("bom2.jsonl"), buf, n);
    counts c = read_all(path_of("bom2.jsonl"), NULL);
    assert_int_equal(c.ok, 2);
    assert_int_equal(c.reason[SCIPRUNE_REJECT_BAD_JSON], 1);
    assert_non_null(strstr(c.last_bad.detail, "byte-order mark"));
    /* a shard that is only a BOM is empty */
    write_bytes(path_of("bom3.jsonl"), "\xef\xbb\xbf", 3);
    c = read_all(path_of("bom3.jsonl"), NULL);
    assert_int_equal(c.lines, 0);
}

/* gzip, bzip2, xz, lz4, zip: one stream record that names the compression, whatever the name. */
static void test_reader_names_unsupported_compression(void **state)
{
    (void)state;
    write_bytes(path_of("g.jsonl"), "{\"content\":\"x\"}\n", 16);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "gzip -c '%s' > '%s' && cp '%s' '%s' && cp '%s' '%s'",
             path_of("g.jsonl"), path_of("g.jsonl.gz"), path_of("g.jsonl.gz"),
             path_of("gz-named-plain.jsonl"), path_of("g.jsonl.gz"), path_of("gz-named.jsonl.zst"));
    assert_int_equal(system(cmd), 0);
    write_bytes(path_of("b.jsonl.bz2"), "BZh91AY&SY\x01\x02", 12);
    write_bytes(path_of("x.jsonl.xz"), "\xfd" "7zXZ\0\0\x04\xe6", 10);
    write_bytes(path_of("l.jsonl.lz4"), "\x04\x22\x4d\x18\x64\x40", 6);
    write_bytes(path_of("z.jsonl.zip"), "PK\x03\x04\x14\0", 6);
    struct { const char *name, *comp; } cases[] = {
        {"g.jsonl.gz", "gzip"}, {"gz-named-plain.jsonl", "gzip"}, {"gz-named.jsonl.zst", "gzip"},
        {"b.jsonl.bz2", "bzip2"}, {"x.jsonl.xz", "xz"}, {"l.jsonl.lz4", "lz4"}, {"z.jsonl.zip", "zip"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        counts c = read_all(path_of(cases[i].name), NULL);
        assert_int_equal(c.lines, 1);
        assert_int_equal(c.reason[SCIPRUNE_REJECT_STREAM], 1);
        assert_int_equal(c.bad_offset[SCIPRUNE_REJECT_STREAM], 0);
        char want[160];
        snprintf(want, sizeof want,
                 "unsupported compression: %s (decompress it or recompress with zstd)", cases[i].comp);
        assert_string_equal(c.last_bad.detail, want);
    }
    /* zstd data in a file not named .zst is read as zstd */
    size_t zn;
    void *z = zcompress("{\"content\":\"x\"}\n", 16, 3, &zn);
    write_bytes(path_of("zstd-named-plain.jsonl"), z, zn);
    free(z);
    counts c = read_all(path_of("zstd-named-plain.jsonl"), NULL);
    assert_int_equal(c.lines, 1);
    assert_int_equal(c.ok, 1);
}

/* sciprune_ingest_jsonl: fields in ingest's order, language names as the reader makes them,
 * size defaulted, sharding; a bad line names its line. */
static void test_ingest_jsonl_names_langs_and_orders_fields(void **state)
{
    (void)state;
    static const char in[] =
        "{\"lang\":\"Python\",\"content\":\"x\",\"id\":\"a\",\"extra\":[1],\"path\":\"p.py\"}\n"
        "{\"content\":\"a\\u0000b \\u00e9\",\"lang\":null,\"path\":\"m.cpp\"}\n"
        "\n"
        "{\"id\":\"c\",\"content\":\"\",\"lang\":\"Markdown\",\"size\":99}\n"
        "{\"content\":\"q\",\"lang\":\"\"}\n";
    static const char *want[] = {
        "{\"id\":\"a\",\"content\":\"x\",\"lang\":\"python\",\"path\":\"p.py\",\"size\":1,\"extra\":[1]}",
        "{\"content\":\"a\\u0000b \xc3\xa9\",\"lang\":\"cpp\",\"path\":\"m.cpp\",\"size\":6}",
        "{\"id\":\"c\",\"content\":\"\",\"lang\":\"markdown\",\"size\":99}",
        "{\"content\":\"q\",\"lang\":\"unknown\",\"size\":1}",
    };
    FILE *f = fmemopen((void *)in, sizeof in - 1, "r");
    assert_non_null(f);
    sciprune_ingest_options o;
    sciprune_ingest_options_default(&o);
    o.docs_per_shard = 2;
    o.prefix = "pq";
    sciprune_ingest_stats st;
    sciprune_error e;
    const char *dir = path_of("ingest_jsonl");
    assert_int_equal(sciprune_ingest_jsonl(f, "t", dir, &o, &st, &e), SCIPRUNE_OK);
    fclose(f);
    assert_int_equal(st.files_written, 4);
    assert_int_equal(st.shards, 2);
    assert_int_equal(st.bytes_written, 1 + 6 + 0 + 1);
    size_t k = 0;
    for (int s = 0; s < 2; s++) {
        char name[600];
        snprintf(name, sizeof name, "%s/pq-%05d.jsonl.zst", dir, s);
        sciprune_shard_reader *r;
        assert_int_equal(sciprune_shard_reader_open(&r, name, NULL, &e), SCIPRUNE_OK);
        const sciprune_record *rec;
        while (sciprune_shard_reader_next(r, &rec, &e) == SCIPRUNE_OK && rec) {
            assert_true(k < 4);
            assert_int_equal(rec->raw_len, strlen(want[k]));
            assert_memory_equal(rec->raw, want[k], rec->raw_len);
            k++;
        }
        sciprune_shard_reader_close(r);
    }
    assert_int_equal(k, 4);
    /* a line that is not a record, and a cut last line, stop it with the line number */
    static const char bad[] = "{\"content\":\"x\"}\n[1]\n";
    f = fmemopen((void *)bad, sizeof bad - 1, "r");
    assert_int_equal(sciprune_ingest_jsonl(f, "t", dir, &o, &st, &e), SCIPRUNE_EINVAL);
    fclose(f);
    assert_int_equal(e.line, 2);
    static const char cut[] = "{\"content\":\"x\"}\n{\"content\":";
    f = fmemopen((void *)cut, sizeof cut - 1, "r");
    assert_int_equal(sciprune_ingest_jsonl(f, "t", dir, &o, &st, &e), SCIPRUNE_EINVAL);
    fclose(f);
    assert_non_null(strstr(e.text, "no newline"));
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
        cmocka_unit_test(test_reader_truncated_single_frame_is_withheld),
        cmocka_unit_test(test_reader_garbage_in_zstd_stream),
        cmocka_unit_test(test_reader_not_zstd_despite_name),
        cmocka_unit_test(test_reader_open_missing_file_names_it),
        cmocka_unit_test(test_error_long_path_keeps_reason),
        cmocka_unit_test(test_writer_is_atomic),
        cmocka_unit_test(test_reject_write_keeps_raw_bytes),
        cmocka_unit_test(test_file_hash_is_stable_and_content_based),
        cmocka_unit_test(test_lang_names),
        cmocka_unit_test(test_reader_json_agrees_with_jansson),
        cmocka_unit_test(test_writer_zstd_frames_end_at_lines),
        cmocka_unit_test(test_reader_zstd_flipped_bytes_keep_whole_frames),
        cmocka_unit_test(test_reader_zstd_big_frame_verified_before_use),
        cmocka_unit_test(test_reader_skips_leading_bom),
        cmocka_unit_test(test_reader_names_unsupported_compression),
        cmocka_unit_test(test_ingest_jsonl_names_langs_and_orders_fields),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
