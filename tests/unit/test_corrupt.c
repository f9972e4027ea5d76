/* test_corrupt.c - the corruption engine: golden cases, validation, determinism, sampling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sciprune.h"

#define CASES SCIPRUNE_TEST_DATA "/cases/corrupt"

static const char *const k_langs8[] = {"python", "javascript", "typescript", "java",
                                        "c",      "cpp",        "go",         "rust"};

/* ------------------------------------------------------------------ helpers */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) {
        b[n] = '\0';
        if (len) *len = (size_t)n;
    }
    return b;
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *tmpdir(void)
{
    char *t = strdup("/tmp/sciprune-test-corrupt-XXXXXX");
    assert_non_null(mkdtemp(t));
    return t;
}

static void rmtree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            struct stat st;
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) rmtree(p);
            else unlink(p);
        }
        closedir(d);
    }
    rmdir(path);
}

/* A queries folder holding one file <dir>/<lang>/<type>.scm. */
static char *one_query(const char *lang, const char *type, const char *text)
{
    char *d = tmpdir();
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", d, lang);
    assert_int_equal(mkdir(p, 0777), 0);
    snprintf(p, sizeof p, "%s/%s/%s.scm", d, lang, type);
    spit(p, text);
    return d;
}

static sciprune_corruptor *g_c;      /* the shipped queries, loaded once */
static sciprune_parser *g_p;

static int setup(void **state)
{
    (void)state;
    sciprune_error e;
    if (sciprune_corruptor_new(&g_c, NULL, &e) != SCIPRUNE_OK) {
        fprintf(stderr, "cannot load queries: %s: %s\n", e.source, e.text);
        return -1;
    }
    return sciprune_parser_new(&g_p, &e) == SCIPRUNE_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sciprune_corruptor_free(g_c);
    sciprune_parser_free(g_p);
    return 0;
}

static int parse_errors(const char *lang, const char *s, size_t n)
{
    sciprune_parse_stats st;
    sciprune_error e;
    assert_int_equal(sciprune_parse_check(g_p, lang, s, n, &st, &e), SCIPRUNE_OK);
    return (int)(st.error_nodes + st.missing_nodes + st.indent_errors);
}

/* ------------------------------------------------------------------ golden cases */

static int read_args(const char *dir, char *lang, char *type, uint64_t *seed)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/args", dir);
    char *a = slurp(p, NULL);
    if (!a) return -1;
    *lang = *type = '\0';
    *seed = 0;
    for (char *line = strtok(a, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strncmp(line, "lang=", 5)) snprintf(lang, 64, "%s", line + 5);
        else if (!strncmp(line, "type=", 5)) snprintf(type, 64, "%s", line + 5);
        else if (!strncmp(line, "seed=", 5)) *seed = strtoull(line + 5, NULL, 10);
    }
    free(a);
    return *lang && *type ? 0 : -1;
}

/* The file in dir whose name starts with prefix ("input", "expected"). */
static int find_file(const char *dir, const char *prefix, char *out, size_t cap)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *e;
    int found = -1;
    size_t pl = strlen(prefix);
    while ((e = readdir(d)) != NULL)
        if (!strncmp(e->d_name, prefix, pl) && (e->d_name[pl] == '\0' || e->d_name[pl] == '.')) {
            snprintf(out, cap, "%s/%s", dir, e->d_name);
            found = 0;
            break;
        }
    closedir(d);
    return found;
}

static void test_golden_cases_replay(void **state)
{
    (void)state;
    DIR *d = opendir(CASES);
    assert_non_null(d);
    struct dirent *e;
    int n = 0, failed = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char dir[4096], in[4200], exp[4200], lang[64], type[64];
        snprintf(dir, sizeof dir, "%s/%s", CASES, e->d_name);
        struct stat st;
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        uint64_t seed;
        assert_int_equal(read_args(dir, lang, type, &seed), 0);
        assert_int_equal(find_file(dir, "input", in, sizeof in), 0);
        assert_int_equal(find_file(dir, "expected", exp, sizeof exp), 0);
        size_t il, el;
        char *src = slurp(in, &il), *want = slurp(exp, &el);
        assert_non_null(src);
        assert_non_null(want);
        sciprune_corrupt_result r;
        sciprune_error err;
        assert_int_equal(sciprune_corrupt_apply(g_c, g_p, lang, type, seed, src, il, &r, &err),
                         SCIPRUNE_OK);
        if (r.outcome != SCIPRUNE_CORRUPT_MADE || r.text_len != el ||
            memcmp(r.text, want, el) != 0) {
            fprintf(stderr, "golden case %s: %s\n", e->d_name,
                    r.outcome != SCIPRUNE_CORRUPT_MADE ? sciprune_corrupt_outcome_name(r.outcome)
                                                       : "output differs from expected");
            failed++;
        } else {
            /* the edit describes the splice, and the variant validates for its kind */
            assert_true(r.offset + r.removed_len <= il);
            assert_memory_equal(src + r.offset, r.removed, r.removed_len);
            assert_memory_equal(r.text + r.offset, r.inserted, r.inserted_len);
            int errs = parse_errors(lang, r.text, r.text_len);
            if (r.kind == SCIPRUNE_CORRUPT_SYNTAX) assert_true(errs > 0);
            else assert_true(errs == 0 && (el != il || memcmp(want, src, il) != 0));
        }
        sciprune_corrupt_result_clear(&r);
        free(src);
        free(want);
        n++;
    }
    closedir(d);
    assert_int_equal(failed, 0);
    assert_true(n >= 90);
}

static void test_golden_cases_cover_every_operator(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof k_langs8 / sizeof k_langs8[0]; i++) {
        const char *names[64];
        size_t n = sciprune_corrupt_list(g_c, k_langs8[i], names, NULL, 64);
        assert_true(n >= 12);
        for (size_t k = 0; k < n; k++) {
            char dir[4096], lang[64], type[64];
            uint64_t seed;
            snprintf(dir, sizeof dir, "%s/%s-%s", CASES, k_langs8[i], names[k]);
            if (read_args(dir, lang, type, &seed) != 0) fail_msg("no golden case %s", dir);
            assert_string_equal(lang, k_langs8[i]);
            assert_string_equal(type, names[k]);
        }
    }
}

/* ------------------------------------------------------------------ listing, loading */

static void test_list_python_has_syntax_and_content_types(void **state)
{
    (void)state;
    const char *names[64];
    sciprune_corrupt_kind kinds[64];
    size_t n = sciprune_corrupt_list(g_c, "python", names, kinds, 64);
    int colon = 0, rename = 0;
    for (size_t i = 0; i < n; i++) {
        if (i) assert_true(strcmp(names[i - 1], names[i]) < 0);
        if (!strcmp(names[i], "drop-colon")) colon = kinds[i] == SCIPRUNE_CORRUPT_SYNTAX;
        if (!strcmp(names[i], "undefined-name")) rename = kinds[i] == SCIPRUNE_CORRUPT_CONTENT;
    }
    assert_true(colon && rename);
    /* drop-colon is Python's only; the union over languages lists it once */
    n = sciprune_corrupt_list(g_c, "javascript", names, NULL, 64);
    for (size_t i = 0; i < n; i++) assert_string_not_equal(names[i], "drop-colon");
    assert_int_equal(sciprune_corrupt_list(g_c, "no-such-lang", NULL, NULL, 0), 0);
    assert_true(sciprune_corrupt_list(g_c, NULL, NULL, NULL, 0) >= 14);
}

static void expect_load_error(const char *text, sciprune_status want, const char *needle)
{
    char *d = one_query("python", "bad", text);
    sciprune_corruptor *c = NULL;
    sciprune_error e;
    assert_int_equal(sciprune_corruptor_new(&c, d, &e), want);
    assert_null(c);
    assert_non_null(strstr(e.source, "bad.scm"));
    if (!strstr(e.text, needle)) fail_msg("error '%s' lacks '%s'", e.text, needle);
    rmtree(d);
    free(d);
}

static void test_corruptor_rejects_bad_query_files(void **state)
{
    (void)state;
    expect_load_error("(return_statement) @delete\n", SCIPRUNE_EPARSE, "kind");
    expect_load_error("; kind: syntax\n(return_statement @delete\n", SCIPRUNE_EPARSE, "syntax");
    expect_load_error("; kind: syntax\n(no_such_node) @delete\n", SCIPRUNE_EPARSE, "node type");
    expect_load_error("; kind: syntax\n(return_statement) @smash\n", SCIPRUNE_EPARSE, "capture");
    expect_load_error("; kind: syntax\n((identifier) @delete (#frob? @delete))\n",
                      SCIPRUNE_EPARSE, "#frob?");
    expect_load_error("; kind: content\n(identifier) @replace\n", SCIPRUNE_EPARSE, "replace");
    sciprune_corruptor *c = NULL;
    sciprune_error e;
    assert_int_equal(sciprune_corruptor_new(&c, "/nonexistent/queries", &e), SCIPRUNE_EIO);
    assert_null(c);
    sciprune_corruptor_free(NULL);
    sciprune_corrupt_result_clear(NULL);
}

static void test_apply_rejects_unknown_type_and_language(void **state)
{
    (void)state;
    sciprune_corrupt_result r;
    sciprune_error e;
    assert_int_equal(sciprune_corrupt_apply(g_c, g_p, "python", "no-such", 0, "x = 1\n", 6, &r, &e),
                     SCIPRUNE_EINVAL);
    assert_int_equal(sciprune_corrupt_apply(g_c, g_p, "cobol", "drop-colon", 0, "x", 1, &r, &e),
                     SCIPRUNE_EINVAL);
    /* drop-colon exists, but not for C */
    assert_int_equal(sciprune_corrupt_apply(g_c, g_p, "c", "drop-colon", 0, "int x;\n", 7, &r, &e),
                     SCIPRUNE_EINVAL);
}

/* ------------------------------------------------------------------ validation */

static const char k_py[] = "def f(a, b):\n"
                           "    if a < 10:\n"
                           "        return a + b\n"
                           "    return max(a, b)\n";

static void test_validation_rejects_syntax_variant_that_parses(void **state)
{
    (void)state;
    /* a "syntax" corruption whose edit leaves valid Python: never a variant */
    char *d = one_query("python", "fake-syntax", "; kind: syntax\n(return_statement (_) @delete.spaced)\n");
    sciprune_corruptor *c = NULL;
    sciprune_error e;
    assert_int_equal(sciprune_corruptor_new(&c, d, &e), SCIPRUNE_OK);
    for (uint64_t seed = 0; seed < 8; seed++) {
        sciprune_corrupt_result r;
        assert_int_equal(sciprune_corrupt_apply(c, g_p, "python", "fake-syntax", seed, k_py,
                                                strlen(k_py), &r, &e), SCIPRUNE_OK);
        assert_int_equal(r.outcome, SCIPRUNE_CORRUPT_INVALID);
        assert_int_equal(r.sites, 2);
        assert_int_equal(r.attempts, 2);
        assert_null(r.text);
        sciprune_corrupt_result_clear(&r);
    }
    sciprune_corruptor_free(c);
    rmtree(d);
    free(d);
}

static void test_validation_rejects_content_variant_with_parse_error(void **state)
{
    (void)state;
    char *d = one_query("python", "fake-content", "; kind: content\n\")\" @delete\n");
    sciprune_corruptor *c = NULL;
    sciprune_error e;
    assert_int_equal(sciprune_corruptor_new(&c, d, &e), SCIPRUNE_OK);
    sciprune_corrupt_result r;
    assert_int_equal(sciprune_corrupt_apply(c, g_p, "python", "fake-content", 3, k_py,
                                            strlen(k_py), &r, &e), SCIPRUNE_OK);
    assert_int_equal(r.outcome, SCIPRUNE_CORRUPT_INVALID);
    assert_int_equal(r.kind, SCIPRUNE_CORRUPT_CONTENT);
    sciprune_corrupt_result_clear(&r);
    sciprune_corruptor_free(c);
    rmtree(d);
    free(d);
}

static void test_validation_rejects_content_variant_equal_to_input(void **state)
{
    (void)state;
    /* swapping two equal arguments changes nothing: no site */
    const char *src = "def f(a):\n    return g(a, a)\n";
    sciprune_corrupt_result r;
    sciprune_error e;
    assert_int_equal(sciprune_corrupt_apply(g_c, g_p, "python", "swap-args", 0, src, strlen(src),
                                            &r, &e), SCIPRUNE_OK);
    assert_int_equal(r.outcome, SCIPRUNE_CORRUPT_NO_SITE);
    sciprune_corrupt_result_clear(&r);
}

static void test_apply_unclean_input_is_not_used(void **state)
{
    (void)state;
    const char *src = "def f(a:\n    return a\n";
    sciprune_corrupt_result r;
    sciprune_error e;
    assert_int_equal(sciprune_corrupt_apply(g_c, g_p, "python", "drop-colon", 0, src, strlen(src),
                                            &r, &e), SCIPRUNE_OK);
    assert_int_equal(r.outcome, SCIPRUNE_CORRUPT_UNCLEAN);
    assert_null(r.text);
    sciprune_corrupt_result_clear(&r);
}

static void test_apply_no_site_when_query_finds_nothing(void **state)
{
    (void)state;
    const char *src = "x = 1\n";
    sciprune_corrupt_result r;
    sciprune_error e;
    assert_int_equal(sciprune_corrupt_apply(g_c, g_p, "python", "drop-colon", 0, src, strlen(src),
                                            &r, &e), SCIPRUNE_OK);
    assert_int_equal(r.outcome, SCIPRUNE_CORRUPT_NO_SITE);
    assert_int_equal(r.sites, 0);
    sciprune_corrupt_result_clear(&r);
}

/* ------------------------------------------------------------------ @<edit>.each */

/* `(block) @dedent.each` selects the same sites as `(block (_) @dedent)`: same variant for
 * every seed (the site list, its order and size all feed the seeded choice). */
static void test_each_capture_same_sites_as_child_pattern(void **state)
{
    (void)state;
    const char *src = "def f(x):\n"
                      "    if x:\n"
                      "        a = 1\n"
                      "        # note\n"
                      "        b = g(a)\n"
                      "        if a:\n"
                      "            c = 3\n"
                      "        else:\n"
                      "            c = 4\n"
                      "        return c\n"
                      "    else:\n"
                      "        return 0\n";
    char *d1 = one_query("python", "t",
                         "; kind: syntax\n(if_statement consequence: (block (_) @dedent) alternative: (_))\n");
    char *d2 = one_query("python", "t",
                         "; kind: syntax\n(if_statement consequence: (block) @dedent.each alternative: (_))\n");
    sciprune_corruptor *c1 = NULL, *c2 = NULL;
    sciprune_error e;
    assert_int_equal(sciprune_corruptor_new(&c1, d1, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_corruptor_new(&c2, d2, &e), SCIPRUNE_OK);
    for (uint64_t seed = 0; seed < 16; seed++) {
        sciprune_corrupt_result a, b;
        assert_int_equal(sciprune_corrupt_apply(c1, g_p, "python", "t", seed, src, strlen(src), &a, &e), 0);
        assert_int_equal(sciprune_corrupt_apply(c2, g_p, "python", "t", seed, src, strlen(src), &b, &e), 0);
        assert_int_equal(a.sites, b.sites);
        assert_true(a.sites >= 5);
        assert_int_equal(a.outcome, b.outcome);
        assert_int_equal(a.attempts, b.attempts);
        assert_int_equal(a.offset, b.offset);
        assert_int_equal(a.text_len, b.text_len);
        if (a.text_len) assert_memory_equal(a.text, b.text, a.text_len);
        sciprune_corrupt_result_clear(&a);
        sciprune_corrupt_result_clear(&b);
    }
    sciprune_corruptor_free(c1);
    sciprune_corruptor_free(c2);
    rmtree(d1);
    rmtree(d2);
    free(d1);
    free(d2);
    /* swaps take their two nodes from one match: no .each form */
    expect_load_error("; kind: content\n(argument_list (_) @swap.a.each . (_) @swap.b)\n",
                      SCIPRUNE_EPARSE, "capture");
}

/* break-indent on a block of thousands of statements followed by `else:`: with a child pattern
 * libtree-sitter 0.20.7 compared every pair of in-progress matches at every node (cubic; a
 * 295 KB file ran for more than 15 minutes, this one for more than 2). Each statement is a site. */
static void test_break_indent_on_a_huge_block(void **state)
{
    (void)state;
    const size_t nst = 4000;
    size_t cap = 64 + nst * 32, n = 0;
    char *src = malloc(cap);
    assert_non_null(src);
    n += (size_t)snprintf(src + n, cap - n, "def f(x):\n    if x:\n");
    for (size_t i = 0; i < nst; i++) n += (size_t)snprintf(src + n, cap - n, "        v%zu = %zu\n", i, i);
    n += (size_t)snprintf(src + n, cap - n, "    else:\n        pass\n");
    sciprune_corrupt_result r;
    sciprune_error e;
    assert_int_equal(sciprune_corrupt_apply(g_c, g_p, "python", "break-indent", 1, src, n, &r, &e),
                     SCIPRUNE_OK);
    /* the point is that the sites are found (the old query took > 2 minutes here); the variant
     * validates by the indentation check (tree-sitter-python accepts most of these slips) */
    assert_int_equal(r.outcome, SCIPRUNE_CORRUPT_MADE);
    assert_true(parse_errors("python", r.text, r.text_len) > 0);
    assert_true(r.sites >= nst);
    sciprune_corrupt_result_clear(&r);
    free(src);
}

/* ------------------------------------------------------------------ determinism, edits */

static void test_apply_same_seed_gives_same_bytes(void **state)
{
    (void)state;
    size_t len;
    char *src = slurp(CASES "/python-misspell-keyword/input.py", &len);
    assert_non_null(src);
    int differs = 0;
    for (uint64_t seed = 0; seed < 10; seed++) {
        sciprune_corrupt_result a, b, c;
        sciprune_error e;
        assert_int_equal(sciprune_corrupt_apply(g_c, g_p, "python", "misspell-keyword", seed, src, len, &a, &e), 0);
        assert_int_equal(sciprune_corrupt_apply(g_c, g_p, "python", "misspell-keyword", seed, src, len, &b, &e), 0);
        assert_int_equal(sciprune_corrupt_apply(g_c, g_p, "python", "misspell-keyword", seed + 100, src, len, &c, &e), 0);
        assert_int_equal(a.outcome, SCIPRUNE_CORRUPT_MADE);
        assert_int_equal(a.text_len, b.text_len);
        assert_memory_equal(a.text, b.text, a.text_len);
        assert_int_equal(a.offset, b.offset);
        differs += a.offset != c.offset;
        sciprune_corrupt_result_clear(&a);
        sciprune_corrupt_result_clear(&b);
        sciprune_corrupt_result_clear(&c);
    }
    assert_true(differs > 0); /* the seed does choose the site */
    free(src);
}

/* Apply a one-query corruption and return the inserted text (static buffer). */
static const char *edit_with(const char *lang, const char *query, const char *src, uint64_t seed,
                             sciprune_corrupt_outcome want)
{
    static char out[256];
    char *d = one_query(lang, "t", query);
    sciprune_corruptor *c = NULL;
    sciprune_error e;
    assert_int_equal(sciprune_corruptor_new(&c, d, &e), SCIPRUNE_OK);
    sciprune_corrupt_result r;
    assert_int_equal(sciprune_corrupt_apply(c, g_p, lang, "t", seed, src, strlen(src), &r, &e), 0);
    assert_int_equal(r.outcome, want);
    snprintf(out, sizeof out, "%s", r.inserted ? r.inserted : "");
    sciprune_corrupt_result_clear(&r);
    sciprune_corruptor_free(c);
    rmtree(d);
    free(d);
    return out;
}

/* Same, for a pattern with exactly one site: the edit's offset (the variant is MADE). */
static void edit_with_at(const char *lang, const char *query, const char *src, size_t *off)
{
    char *d = one_query(lang, "t", query);
    sciprune_corruptor *c = NULL;
    sciprune_error e;
    assert_int_equal(sciprune_corruptor_new(&c, d, &e), SCIPRUNE_OK);
    sciprune_corrupt_result r;
    assert_int_equal(sciprune_corrupt_apply(c, g_p, lang, "t", 0, src, strlen(src), &r, &e), 0);
    assert_int_equal(r.outcome, SCIPRUNE_CORRUPT_MADE);
    assert_int_equal(r.sites, 1);
    *off = (size_t)r.offset;
    sciprune_corrupt_result_clear(&r);
    sciprune_corruptor_free(c);
    rmtree(d);
    free(d);
}

static void test_edit_increment_keeps_base_and_suffix(void **state)
{
    (void)state;
    const char *q = "; kind: content\n(number_literal) @increment\n";
    for (uint64_t seed = 0; seed < 6; seed++) {
        const char *x = edit_with("c", q, "int f(void) { return 0x1Fu; }\n", seed, SCIPRUNE_CORRUPT_MADE);
        assert_true(!strcmp(x, "0x20u") || !strcmp(x, "0x1Eu"));
        x = edit_with("c", q, "int f(void) { return 0; }\n", seed, SCIPRUNE_CORRUPT_MADE);
        assert_string_equal(x, "1");
    }
    /* floats and C octal are not integers to shift */
    edit_with("c", q, "double f(void) { return 1.5 + 017; }\n", 0, SCIPRUNE_CORRUPT_NO_SITE);
    const char *x = edit_with("rust", "; kind: content\n(integer_literal) @increment\n",
                              "fn f() -> u64 { 1_000u64 }\n", 1, SCIPRUNE_CORRUPT_MADE);
    assert_true(!strcmp(x, "1001u64") || !strcmp(x, "999u64"));
}

static void test_edit_rename_picks_fresh_local_name(void **state)
{
    (void)state;
    const char *src = "def f(total):\n    count = total + 1\n    return count * 2\n";
    for (uint64_t seed = 0; seed < 8; seed++) {
        sciprune_corrupt_result r;
        sciprune_error e;
        assert_int_equal(sciprune_corrupt_apply(g_c, g_p, "python", "undefined-name", seed, src,
                                                strlen(src), &r, &e), 0);
        assert_int_equal(r.outcome, SCIPRUNE_CORRUPT_MADE);
        /* a use was renamed, to a name that occurs nowhere in the input */
        assert_true(!strcmp(r.removed, "total") || !strcmp(r.removed, "count"));
        assert_null(strstr(src, r.inserted));
        assert_int_equal(parse_errors("python", r.text, r.text_len), 0);
        sciprune_corrupt_result_clear(&r);
    }
    /* a name used only once in its function is not a local variable */
    edit_with("python", "; kind: content\n((identifier) @rename (#set! rename.scope \"function_definition\"))\n",
              "x = 1\ndef f():\n    return g(x)\n", 0, SCIPRUNE_CORRUPT_NO_SITE);
}

static void test_edit_swap_and_negate(void **state)
{
    (void)state;
    const char *x = edit_with("javascript",
                              "; kind: content\n(arguments (_) @swap.a . (_) @swap.b)\n",
                              "f(a, b + 1);\n", 0, SCIPRUNE_CORRUPT_MADE);
    assert_string_equal(x, "b + 1, a");
    x = edit_with("javascript",
                  "; kind: content\n(if_statement condition: (parenthesized_expression (_) @negate))\n",
                  "if (a < b) f();\n", 0, SCIPRUNE_CORRUPT_MADE);
    assert_string_equal(x, "!(a < b)");
    x = edit_with("javascript",
                  "; kind: content\n(if_statement condition: (parenthesized_expression (_) @negate))\n",
                  "if (ok) f();\n", 0, SCIPRUNE_CORRUPT_MADE);
    assert_string_equal(x, "!ok");
    x = edit_with("python", "; kind: syntax\n(\"def\" @replace (#set! replace \"dfe\"))\n",
                  "def f():\n    pass\n", 0, SCIPRUNE_CORRUPT_MADE);
    assert_string_equal(x, "dfe");
}

static void test_predicates_filter_matches(void **state)
{
    (void)state;
    const char *src = "def f(a, b):\n    c = a\n    return len(a) + g(a, b)\n";
    /* #eq? on a helper capture: only calls of g have two arguments to swap */
    edit_with("python",
              "; kind: content\n((call function: (identifier) @_f arguments: (argument_list (_) @swap.a . (_) @swap.b)) (#eq? @_f \"len\"))\n",
              src, 0, SCIPRUNE_CORRUPT_NO_SITE);
    const char *x = edit_with("python",
                              "; kind: content\n((call function: (identifier) @_f arguments: (argument_list (_) @swap.a . (_) @swap.b)) (#any-of? @_f \"g\" \"h\"))\n",
                              src, 0, SCIPRUNE_CORRUPT_MADE);
    assert_string_equal(x, "b, a");
    /* #has-ancestor? / #not-has-ancestor? / #match? / #not-eq? pick one identifier each */
    size_t off;
    edit_with_at("python", "; kind: content\n((identifier) @replace (#eq? @replace \"a\") (#has-ancestor? @replace assignment) (#set! replace \"q\"))\n",
                 src, &off);
    assert_int_equal(off, (size_t)(strstr(src, "= a") - src + 2));
    edit_with_at("python", "; kind: content\n((identifier) @replace (#match? @replace \"^[a-c]$\") (#not-eq? @replace \"a\") (#not-has-ancestor? @replace parameters return_statement) (#set! replace \"q\"))\n",
                 src, &off);
    assert_int_equal(off, (size_t)(strstr(src, "c =") - src));
    /* #next-on-same-line?: only a ';' followed by code on its line */
    edit_with_at("javascript", "; kind: syntax\n(\";\" @delete (#next-on-same-line? @delete))\n",
                 "a = 1; b = 2;\nc = 3;\n", &off);
    assert_int_equal(off, 5);
    /* #type? / #not-type? */
    edit_with_at("python", "; kind: content\n((expression_statement (_) @delete.line) (#type? @delete.line call))\n",
                 "x = 1\nprint(x)\n", &off);
    assert_int_equal(off, 6);
}

/* ------------------------------------------------------------------ the stage */

static void write_shard(const char *path, const char *const *texts, size_t n, const char *lang)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "doc%zu", i);
        json_t *o = json_pack("{s:s, s:s, s:s}", "id", id, "content", texts[i], "lang", lang);
        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fprintf(f, "%s\n", s);
        free(s);
        json_decref(o);
    }
    fclose(f);
}

static const char *const k_docs[] = {
    "def a(x):\n    if x:\n        return 1\n    return 2\n",
    "def b(y):\n    while y > 0:\n        y -= 1\n    return y\n",
    "def c(z:\n    return z\n", /* does not parse */
    "class D:\n    def e(self):\n        return [1, 2]\n",
    "x = (1,\n", /* does not parse */
    "for i in range(3):\n    print(i)\n",
};
#define NDOCS (sizeof k_docs / sizeof k_docs[0])

static void test_run_counts_unclean_inputs_and_does_not_use_them(void **state)
{
    (void)state;
    char *d = tmpdir();
    char shard[4096], out[4096];
    snprintf(shard, sizeof shard, "%s/in.jsonl", d);
    snprintf(out, sizeof out, "%s/out", d);
    write_shard(shard, k_docs, NDOCS, "python");
    sciprune_corrupt_options o;
    sciprune_corrupt_options_default(&o);
    o.types = "drop-colon";
    o.per_type = 10;
    sciprune_corrupt_stats st;
    sciprune_error e;
    const char *ins[] = {shard};
    assert_int_equal(sciprune_corrupt_run(ins, 1, out, &o, &st, &e), SCIPRUNE_OK);
    size_t found = 0;
    for (size_t i = 0; i < st.ncells; i++) {
        const sciprune_corrupt_cell *c = &st.cells[i];
        if (strcmp(c->lang, "python") != 0) {
            assert_int_equal(c->candidates, 0);
            continue;
        }
        found++;
        assert_string_equal(c->type, "drop-colon");
        assert_int_equal(c->candidates, NDOCS);
        assert_int_equal(c->unclean, 2);
        assert_int_equal(c->tried, NDOCS - 2);
        assert_int_equal(c->made, NDOCS - 2); /* every clean doc has a ':' */
    }
    assert_int_equal(found, 1);
    assert_int_equal(st.records, NDOCS);
    sciprune_corrupt_stats_free(&st);
    /* no variant comes from an unclean doc */
    char lp[4200];
    snprintf(lp, sizeof lp, "%s/labels.jsonl", out);
    char *labels = slurp(lp, NULL);
    assert_non_null(labels);
    assert_null(strstr(labels, "\"doc2\""));
    assert_null(strstr(labels, "\"doc4\""));
    assert_non_null(strstr(labels, "\"corrupt:drop-colon:doc0\""));
    free(labels);
    rmtree(d);
    free(d);
}

static void test_run_output_same_for_any_thread_count(void **state)
{
    (void)state;
    char *d = tmpdir();
    char s1[4096], s2[4096], o1[4096], o2[4096];
    snprintf(s1, sizeof s1, "%s/a.jsonl", d);
    snprintf(s2, sizeof s2, "%s/b.jsonl", d);
    snprintf(o1, sizeof o1, "%s/o1", d);
    snprintf(o2, sizeof o2, "%s/o2", d);
    write_shard(s1, k_docs, 3, "python");
    write_shard(s2, k_docs + 3, NDOCS - 3, "py");
    sciprune_corrupt_options o;
    sciprune_corrupt_options_default(&o);
    o.per_type = 2;
    o.seed = 42;
    o.langs = "python";
    o.strata = 1; /* six documents: too few to stratify (test_run_strata_match_corpus does) */
    sciprune_error e;
    const char *ins[] = {s1, s2};
    o.threads = 1;
    assert_int_equal(sciprune_corrupt_run(ins, 2, o1, &o, NULL, &e), SCIPRUNE_OK);
    o.threads = 4;
    assert_int_equal(sciprune_corrupt_run(ins, 2, o2, &o, NULL, &e), SCIPRUNE_OK);
    const char *files[] = {"corrupt-python.jsonl.zst", "labels.jsonl", "corrupt.json"};
    for (size_t i = 0; i < 3; i++) {
        char a[4200], b[4200];
        snprintf(a, sizeof a, "%s/%s", o1, files[i]);
        snprintf(b, sizeof b, "%s/%s", o2, files[i]);
        size_t la, lb;
        char *x = slurp(a, &la), *y = slurp(b, &lb);
        assert_non_null(x);
        assert_non_null(y);
        assert_int_equal(la, lb);
        assert_memory_equal(x, y, la);
        free(x);
        free(y);
    }
    /* and the variants verify */
    char v[4200];
    snprintf(v, sizeof v, "%s/corrupt-python.jsonl.zst", o1);
    const char *vs[] = {v};
    sciprune_corrupt_verify_stats vst;
    assert_int_equal(sciprune_corrupt_verify(vs, 1, &vst, &e), SCIPRUNE_OK);
    assert_int_equal(vst.bad, 0);
    assert_true(vst.syntax_ok > 0 && vst.content_ok > 0);
    rmtree(d);
    free(d);
}

/* Split over ranks: each part scans its shards (i % part_count == part_index) into
 * parts_dir; the merge reads the scans and writes the same bytes as one call, then removes
 * the scans. A missing scan is ESTATE. */
static void test_run_parts_merge_same_as_one_call(void **state)
{
    (void)state;
    char *d = tmpdir();
    char sh[3][4096], one[4096], outp[4096], parts[4096];
    for (int i = 0; i < 3; i++) snprintf(sh[i], sizeof sh[i], "%s/s%d.jsonl", d, i);
    snprintf(one, sizeof one, "%s/one", d);
    snprintf(outp, sizeof outp, "%s/merged", d);
    snprintf(parts, sizeof parts, "%s/parts", d);
    write_shard(sh[0], k_docs, 2, "python");
    write_shard(sh[1], k_docs + 2, 2, "python");
    write_shard(sh[2], k_docs + 4, NDOCS - 4, "py");
    const char *ins[] = {sh[0], sh[1], sh[2]};
    sciprune_corrupt_options o;
    sciprune_corrupt_options_default(&o);
    o.per_type = 2;
    o.seed = 42;
    o.langs = "python";
    o.strata = 2;
    sciprune_error e;
    assert_int_equal(sciprune_corrupt_run(ins, 3, one, &o, NULL, &e), SCIPRUNE_OK);
    for (int n = 2; n <= 3; n++) {
        sciprune_corrupt_options po = o;
        po.parts_dir = parts;
        po.part_count = n;
        po.part_index = -1; /* no scans yet */
        assert_int_equal(sciprune_corrupt_run(ins, 3, outp, &po, NULL, &e), SCIPRUNE_ESTATE);
        for (int k = n - 1; k >= 0; k--) {
            po.part_index = k;
            assert_int_equal(sciprune_corrupt_run(ins, 3, outp, &po, NULL, &e), SCIPRUNE_OK);
        }
        char scan[4200];
        snprintf(scan, sizeof scan, "%s/scan-%d.bin", parts, n - 1);
        assert_int_equal(access(scan, F_OK), 0);
        po.part_index = -1;
        assert_int_equal(sciprune_corrupt_run(ins, 3, outp, &po, NULL, &e), SCIPRUNE_OK);
        assert_int_not_equal(access(scan, F_OK), 0); /* removed after the merge */
        const char *files[] = {"corrupt-python.jsonl.zst", "labels.jsonl", "corrupt.json"};
        for (size_t i = 0; i < 3; i++) {
            char a[4200], b[4200];
            snprintf(a, sizeof a, "%s/%s", one, files[i]);
            snprintf(b, sizeof b, "%s/%s", outp, files[i]);
            size_t la, lb;
            char *x = slurp(a, &la), *y = slurp(b, &lb);
            assert_non_null(x);
            assert_non_null(y);
            assert_int_equal(la, lb);
            assert_memory_equal(x, y, la);
            free(x);
            free(y);
        }
    }
    rmtree(d);
    free(d);
}

/* Stratified sampling: 400 documents of 1..40 functions (lengths spread 40x); with 4 strata
 * the probes of each type fill the bins in proportion to the corpus' records per bin, and
 * corrupt.json reports both. Without strata the same corpus is still accepted (strata = 1). */
static void test_run_strata_match_corpus(void **state)
{
    (void)state;
    char *d = tmpdir();
    char shard[4096], out[4096], cj[4200];
    snprintf(shard, sizeof shard, "%s/in.jsonl", d);
    snprintf(out, sizeof out, "%s/out", d);
    snprintf(cj, sizeof cj, "%s/corrupt.json", out);
    enum { N = 400 };
    char **texts = calloc(N, sizeof *texts);
    assert_non_null(texts);
    for (size_t i = 0; i < N; i++) {
        size_t nf = (i * 7919) % 40 + 1, cap = nf * 80 + 1, n = 0;
        texts[i] = malloc(cap);
        assert_non_null(texts[i]);
        texts[i][0] = 0;
        for (size_t k = 0; k < nf; k++)
            n += (size_t)snprintf(texts[i] + n, cap - n,
                                  "def f%zu(x):\n    if x > %zu:\n        return x + %zu\n    return %zu\n",
                                  k, k, k, k);
    }
    write_shard(shard, (const char *const *)texts, N, "python");
    sciprune_corrupt_options o;
    sciprune_corrupt_options_default(&o);
    o.per_type = 40;
    o.strata = 4;
    o.langs = "python";
    o.types = "negate-if,drop-colon";
    sciprune_error e;
    const char *ins[] = {shard};
    sciprune_corrupt_stats st;
    assert_int_equal(sciprune_corrupt_run(ins, 1, out, &o, &st, &e), SCIPRUNE_OK);
    assert_int_equal(st.ncells, 2);
    for (size_t i = 0; i < st.ncells; i++) assert_int_equal(st.cells[i].made, 40);
    sciprune_corrupt_stats_free(&st);
    json_error_t je;
    json_t *root = json_load_file(cj, 0, &je);
    assert_non_null(root);
    json_t *strata = json_object_get(root, "strata");
    assert_int_equal(json_integer_value(json_object_get(strata, "bins")), 4);
    assert_int_equal(json_integer_value(json_object_get(strata, "records")), N);
    assert_int_equal(json_array_size(json_object_get(strata, "cuts")), 3);
    json_t *py = json_array_get(json_object_get(strata, "langs"), 0);
    assert_string_equal(json_string_value(json_object_get(py, "lang")), "python");
    assert_int_equal(json_integer_value(json_object_get(py, "records")), N);
    assert_int_equal(json_integer_value(json_object_get(py, "probes")), 80);
    json_t *cb = json_object_get(strata, "corpus_bins"), *pb = json_object_get(py, "probe_bins");
    assert_int_equal(json_array_size(cb), 4);
    long long csum = 0, psum = 0;
    for (size_t b = 0; b < 4; b++) {
        long long c = json_integer_value(json_array_get(cb, b)), p = json_integer_value(json_array_get(pb, b));
        csum += c;
        psum += p;
        double want = 80.0 * (double)c / N; /* two cells, each off by < 1 from rounding */
        assert_true(p >= want - 2 && p <= want + 2);
    }
    assert_int_equal(csum, N);
    assert_int_equal(psum, 80);
    /* medians: the probes' within one bin width of the corpus' */
    json_t *cl = json_object_get(strata, "corpus_len"), *pl = json_object_get(py, "probe_len");
    double cm = (double)json_integer_value(json_object_get(cl, "p50")),
           pm = (double)json_integer_value(json_object_get(pl, "p50"));
    assert_true(pm > 0.6 * cm && pm < 1.6 * cm);
    json_decref(root);
    /* strata = 1: no "strata" section (the file as before stratification) */
    o.strata = 1;
    assert_int_equal(sciprune_corrupt_run(ins, 1, out, &o, NULL, &e), SCIPRUNE_OK);
    root = json_load_file(cj, 0, &je);
    assert_non_null(root);
    assert_null(json_object_get(root, "strata"));
    json_decref(root);
    for (size_t i = 0; i < N; i++) free(texts[i]);
    free(texts);
    rmtree(d);
    free(d);
}

/* Held-out probes (issue 17): heldout_only makes variants of the test half only
 * (sciprune_id_half(orig id) == 1), and `run`'s held-out set uses
 * sciprune_corrupt_heldout_seed(seed): its probes are not the training seed's probes of that
 * half (this fails if the held-out set were made with the main seed), and the main set draws
 * from both halves. */
static size_t read_probes(const char *dir, char ***keys, int *halves)
{
    char lp[4200];
    snprintf(lp, sizeof lp, "%s/labels.jsonl", dir);
    FILE *f = fopen(lp, "rb");
    assert_non_null(f);
    char line[8192];
    size_t n = 0;
    *keys = NULL;
    while (fgets(line, sizeof line, f)) {
        json_t *o = json_loads(line, 0, NULL);
        assert_non_null(o);
        const char *oid = json_string_value(json_object_get(o, "orig_id"));
        const char *ty = json_string_value(json_object_get(o, "corruption"));
        assert_non_null(oid);
        assert_non_null(ty);
        halves[sciprune_id_half(oid, strlen(oid))]++;
        *keys = realloc(*keys, (n + 1) * sizeof **keys);
        assert_non_null(*keys);
        char k[256];
        snprintf(k, sizeof k, "%s|%s", ty, oid);
        (*keys)[n++] = strdup(k);
        json_decref(o);
    }
    fclose(f);
    return n;
}

static void test_run_heldout_probes_other_seed_test_half(void **state)
{
    (void)state;
    char *d = tmpdir();
    char shard[4096], om[4096], oh[4096], os[4096], cj[4200];
    snprintf(shard, sizeof shard, "%s/in.jsonl", d);
    snprintf(om, sizeof om, "%s/main", d);
    snprintf(oh, sizeof oh, "%s/heldout", d);
    snprintf(os, sizeof os, "%s/same", d);
    enum { N = 300 };
    char **texts = calloc(N, sizeof *texts);
    assert_non_null(texts);
    for (size_t i = 0; i < N; i++) {
        size_t nf = (i * 7919) % 5 + 1, cap = nf * 80 + 1, n = 0;
        texts[i] = malloc(cap);
        assert_non_null(texts[i]);
        texts[i][0] = 0;
        for (size_t k = 0; k < nf; k++)
            n += (size_t)snprintf(texts[i] + n, cap - n,
                                  "def f%zu(x):\n    if x > %zu:\n        return x + %zu\n    return %zu\n",
                                  k, k, k, k);
    }
    write_shard(shard, (const char *const *)texts, N, "python");
    /* the split is by id alone: a fixed function of the bytes, about half each way */
    size_t nh1 = 0;
    for (size_t i = 0; i < N; i++) {
        char id[32];
        snprintf(id, sizeof id, "doc%zu", i);
        int h = sciprune_id_half(id, strlen(id));
        assert_true(h == 0 || h == 1);
        assert_int_equal(h, sciprune_id_half(id, strlen(id)));
        nh1 += (size_t)h;
    }
    assert_true(nh1 > N / 4 && nh1 < 3 * N / 4);
    const uint64_t seed = 7;
    uint64_t hs = sciprune_corrupt_heldout_seed(seed);
    assert_true(hs != seed);
    assert_true(hs == sciprune_corrupt_heldout_seed(seed));
    sciprune_corrupt_options o;
    sciprune_corrupt_options_default(&o);
    o.per_type = 30;
    o.langs = "python";
    o.types = "negate-if,off-by-one";
    o.seed = seed;
    sciprune_error e;
    const char *ins[] = {shard};
    assert_int_equal(sciprune_corrupt_run(ins, 1, om, &o, NULL, &e), SCIPRUNE_OK);
    o.heldout_only = 1; /* the train seed on the test half: what the held-out set must not be */
    assert_int_equal(sciprune_corrupt_run(ins, 1, os, &o, NULL, &e), SCIPRUNE_OK);
    o.seed = hs;        /* the held-out set as `run` makes it */
    assert_int_equal(sciprune_corrupt_run(ins, 1, oh, &o, NULL, &e), SCIPRUNE_OK);
    char **km, **kh, **ks;
    int hm[2] = {0, 0}, hh[2] = {0, 0}, hsm[2] = {0, 0};
    size_t nm = read_probes(om, &km, hm), nh = read_probes(oh, &kh, hh), ns = read_probes(os, &ks, hsm);
    assert_int_equal(nm, 60);
    assert_int_equal(nh, 60);
    assert_int_equal(ns, 60);
    assert_true(hm[0] > 0 && hm[1] > 0); /* the main set: both halves */
    assert_int_equal(hh[0], 0);          /* held-out: the test half only */
    assert_int_equal(hsm[0], 0);
    size_t same = 0;                     /* held-out probes the train seed also draws */
    for (size_t i = 0; i < nh; i++)
        for (size_t j = 0; j < ns; j++)
            if (!strcmp(kh[i], ks[j])) { same++; break; }
    assert_true(same < nh / 2);
    snprintf(cj, sizeof cj, "%s/corrupt.json", oh);
    json_t *root = json_load_file(cj, 0, NULL);
    assert_non_null(root);
    assert_true(json_is_true(json_object_get(root, "heldout_only")));
    assert_true((uint64_t)json_integer_value(json_object_get(root, "seed")) == hs);
    json_decref(root);
    snprintf(cj, sizeof cj, "%s/corrupt.json", om);
    root = json_load_file(cj, 0, NULL);
    assert_non_null(root);
    assert_null(json_object_get(root, "heldout_only"));
    json_decref(root);
    /* split over ranks (run's corrupt_part: each rank scans its shards of the test half, rank
     * 0 merges): the same files as one process; shard 0 is rank 0's, rank 1 scans nothing */
    char parts[4200], oh2[4200], cmd[9000];
    snprintf(parts, sizeof parts, "%s/parts-heldout", d);
    snprintf(oh2, sizeof oh2, "%s/heldout-split", d);
    o.parts_dir = parts;
    o.part_count = 2;
    for (int k = 1; k >= 0; k--) {
        o.part_index = k;
        assert_int_equal(sciprune_corrupt_run(ins, 1, parts, &o, NULL, &e), SCIPRUNE_OK);
    }
    o.part_index = -1;
    assert_int_equal(sciprune_corrupt_run(ins, 1, oh2, &o, NULL, &e), SCIPRUNE_OK);
    snprintf(cmd, sizeof cmd, "diff -r '%s' '%s' >&2", oh, oh2);
    assert_int_equal(system(cmd), 0);
    for (size_t i = 0; i < nm; i++) free(km[i]);
    for (size_t i = 0; i < nh; i++) free(kh[i]);
    for (size_t i = 0; i < ns; i++) free(ks[i]);
    free(km); free(kh); free(ks);
    for (size_t i = 0; i < N; i++) free(texts[i]);
    free(texts);
    rmtree(d);
    free(d);
}

static void test_run_rejects_unknown_type_and_language(void **state)
{
    (void)state;
    char *d = tmpdir();
    char shard[4096], out[4096];
    snprintf(shard, sizeof shard, "%s/in.jsonl", d);
    snprintf(out, sizeof out, "%s/out", d);
    write_shard(shard, k_docs, 2, "python");
    const char *ins[] = {shard};
    sciprune_corrupt_options o;
    sciprune_corrupt_options_default(&o);
    sciprune_error e;
    o.types = "drop-colon,frobnicate";
    assert_int_equal(sciprune_corrupt_run(ins, 1, out, &o, NULL, &e), SCIPRUNE_EINVAL);
    assert_string_equal(e.source, "frobnicate");
    o.types = NULL;
    o.langs = "cobol";
    assert_int_equal(sciprune_corrupt_run(ins, 1, out, &o, NULL, &e), SCIPRUNE_EINVAL);
    o.langs = "c";
    o.types = "drop-colon"; /* exists, but not for C */
    assert_int_equal(sciprune_corrupt_run(ins, 1, out, &o, NULL, &e), SCIPRUNE_EINVAL);
    rmtree(d);
    free(d);
}

static void test_verify_flags_a_tampered_variant(void **state)
{
    (void)state;
    char *d = tmpdir();
    char p[4096];
    snprintf(p, sizeof p, "%s/v.jsonl", d);
    /* a "syntax" variant that parses, and a content variant whose edit does not match */
    spit(p, "{\"id\":\"corrupt:drop-colon:x\",\"kind\":\"syntax\",\"lang\":\"python\","
            "\"content\":\"x = 1\\n\",\"edit\":{\"offset\":5,\"removed\":\"\",\"inserted\":\"\"}}\n"
            "{\"id\":\"corrupt:swap-args:y\",\"kind\":\"content\",\"lang\":\"python\","
            "\"content\":\"f(b, a)\\n\",\"edit\":{\"offset\":2,\"removed\":\"a, b\",\"inserted\":\"a, b\"}}\n");
    const char *vs[] = {p};
    sciprune_corrupt_verify_stats st;
    sciprune_error e;
    assert_int_equal(sciprune_corrupt_verify(vs, 1, &st, &e), SCIPRUNE_OK);
    assert_int_equal(st.lines, 2);
    assert_int_equal(st.bad, 2);
    assert_non_null(strstr(st.first_bad, "parses cleanly"));
    rmtree(d);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_cases_replay),
        cmocka_unit_test(test_golden_cases_cover_every_operator),
        cmocka_unit_test(test_list_python_has_syntax_and_content_types),
        cmocka_unit_test(test_corruptor_rejects_bad_query_files),
        cmocka_unit_test(test_apply_rejects_unknown_type_and_language),
        cmocka_unit_test(test_validation_rejects_syntax_variant_that_parses),
        cmocka_unit_test(test_validation_rejects_content_variant_with_parse_error),
        cmocka_unit_test(test_validation_rejects_content_variant_equal_to_input),
        cmocka_unit_test(test_apply_unclean_input_is_not_used),
        cmocka_unit_test(test_apply_no_site_when_query_finds_nothing),
        cmocka_unit_test(test_apply_same_seed_gives_same_bytes),
        cmocka_unit_test(test_each_capture_same_sites_as_child_pattern),
        cmocka_unit_test(test_break_indent_on_a_huge_block),
        cmocka_unit_test(test_edit_increment_keeps_base_and_suffix),
        cmocka_unit_test(test_edit_rename_picks_fresh_local_name),
        cmocka_unit_test(test_edit_swap_and_negate),
        cmocka_unit_test(test_predicates_filter_matches),
        cmocka_unit_test(test_run_counts_unclean_inputs_and_does_not_use_them),
        cmocka_unit_test(test_run_parts_merge_same_as_one_call),
        cmocka_unit_test(test_run_output_same_for_any_thread_count),
        cmocka_unit_test(test_run_strata_match_corpus),
        cmocka_unit_test(test_run_heldout_probes_other_seed_test_half),
        cmocka_unit_test(test_run_rejects_unknown_type_and_language),
        cmocka_unit_test(test_verify_flags_a_tampered_variant),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
