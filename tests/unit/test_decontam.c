/* test_decontam.c - decontamination: the normalisation and tokenisation the matchers rest on,
 * and the stage over benchmark files and a corpus the test writes itself (HumanEval .jsonl.gz,
 * MBPP .jsonl, a generic JSONL): a verbatim solution, a solution embedded in a larger file with
 * changed whitespace, a docstring only, a trivial allowlisted solution (kept), an idiom shared
 * by many corpus files (kept by the df cap), a near-copy with renamed variables (n-gram
 * matcher); each removal's logged benchmark, task id, matcher, field and span asserted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "sciprune.h"
#include "../../decontam/decontam_int.h"
#include "../../shard/sp_npy.h"

/* ------------------------------------------------------------------ benchmark items */

static const char *HE0_PROMPT =
    "from typing import List\n\n\ndef has_close_elements(numbers: List[float], threshold: float) -> bool:\n"
    "    \"\"\" Check if in given list of numbers, are any two numbers closer to each other than\n"
    "    given threshold.\n    >>> has_close_elements([1.0, 2.0, 3.0], 0.5)\n    False\n    \"\"\"\n";
static const char *HE0_SOL =
    "    for idx, elem in enumerate(numbers):\n        for idx2, elem2 in enumerate(numbers):\n"
    "            if idx != idx2:\n                distance = abs(elem - elem2)\n"
    "                if distance < threshold:\n                    return True\n\n    return False\n";
static const char *HE1_PROMPT =
    "\n\ndef upper_with_prefix(words, prefix):\n    \"\"\" Upper-case every word that starts with the prefix.\n"
    "    >>> upper_with_prefix(['ab', 'cd'], 'a')\n    ['AB']\n    \"\"\"\n";
static const char *HE1_SOL =
    "    result = []\n    for word in words:\n        if word.startswith(prefix):\n"
    "            result.append(word.upper())\n    return result\n";
static const char *HE2_PROMPT =
    "\n\ndef count_distinct_characters(string: str) -> int:\n    \"\"\" Given a string, find out how many "
    "distinct characters (regardless of case) does it consist of\n    >>> count_distinct_characters('xyzXYZ')\n"
    "    3\n    \"\"\"\n";
static const char *HE2_SOL = "    return len(set(string.lower()))\n";
static const char *HE3_PROMPT = "\n\ndef add(x: int, y: int):\n    \"\"\"Add two numbers x and y\n    \"\"\"\n";
static const char *HE3_SOL = "    return x + y\n";

static const char *MB_IDIOM_TEXT = "Write a function to sort a list of elements using bubble sort.";
static const char *MB_IDIOM_CODE =
    "def bubble_sort(arr):\n    n = len(arr)\n    for i in range(n):\n        for j in range(0, n - i - 1):\n"
    "            if arr[j] > arr[j + 1]:\n                arr[j], arr[j + 1] = arr[j + 1], arr[j]\n"
    "    return arr";
static const char *MB_COST_TEXT =
    "Write a function to find the minimum cost path to reach (m, n) from (0, 0) for the given cost matrix.";
static const char *MB_COST_CODE =
    "R = 3\nC = 3\ndef min_cost(cost, m, n):\n    tc = [[0 for x in range(C)] for x in range(R)]\n"
    "    tc[0][0] = cost[0][0]\n    for i in range(1, m+1):\n        tc[i][0] = tc[i-1][0] + cost[i][0]\n"
    "    for j in range(1, n+1):\n        tc[0][j] = tc[0][j-1] + cost[0][j]\n    for i in range(1, m+1):\n"
    "        for j in range(1, n+1):\n"
    "            tc[i][j] = min(tc[i-1][j-1], tc[i-1][j], tc[i][j-1]) + cost[i][j]\n    return tc[m][n]";

/* ------------------------------------------------------------------ corpus files */

/* the solution embedded in a class, re-indented with tabs, CRLF line ends */
static const char *F_EMBEDDED =
    "import os\r\n\r\nclass Words:\r\n\tdef __init__(self, words):\r\n\t\tself.words = words\r\n\r\n"
    "\tdef run(self, words, prefix):\r\n\t\tresult  =  []\r\n\t\tfor word in words:\r\n"
    "\t\t\tif word.startswith(prefix):\r\n\t\t\t\tresult.append(word.upper())\r\n\t\treturn result\r\n"
    "\r\n\tdef size(self):\r\n\t\treturn len(self.words)\r\n";
/* the docstring only, re-wrapped, in a different function */
static const char *F_DOCSTRING =
    "def distinct(s):\n    '''\n    Given a string, find out how many distinct characters\n"
    "    (regardless of case) does it consist of\n        >>> count_distinct_characters('xyzXYZ')\n"
    "        3\n    '''\n    seen = {}\n    for ch in s.casefold():\n        seen[ch] = 1\n    return len(seen)\n";
static const char *F_TRIVIAL = "def plus(x, y):\n    return x + y\n\n\ndef minus(x, y):\n    return x - y\n";
/* min_cost with every name changed and one line edited */
static const char *F_NEARCOPY =
    "ROWS = 3\nCOLS = 3\n# cheapest route through a grid\ndef cheapest(grid, r, c):\n"
    "    dp = [[0 for _ in range(COLS)] for _ in range(ROWS)]\n    dp[0][0] = grid[0][0]\n"
    "    for a in range(1, r+1):\n        dp[a][0] = dp[a-1][0] + grid[a][0]\n    for b in range(1, c+1):\n"
    "        dp[0][b] = dp[0][b-1] + grid[0][b]\n    for a in range(1, r+1):\n        for b in range(1, c+1):\n"
    "            dp[a][b] = min(dp[a-1][b-1], dp[a-1][b], dp[a][b-1]) + grid[a][b] * 1\n    return dp[r][c]\n";

#define N_IDIOM 30
#define N_FILLER 40

static char g_dir[64];

static void write_file(const char *path, const char *s)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(s, f);
    fclose(f);
}

static void put_record(FILE *f, const char *id, const char *text)
{
    json_t *o = json_pack("{s:s, s:s, s:s}", "id", id, "content", text, "lang", "python");
    char *js = json_dumps(o, JSON_COMPACT);
    fprintf(f, "%s\n", js);
    free(js);
    json_decref(o);
}

static char *idiom_file(int k)
{
    /* the bubble-sort idiom with other names, in files that differ otherwise */
    char *s = malloc(1024);
    snprintf(s, 1024,
             "def helper_%d(v):\n    return v * %d\n\n\ndef sort_%d(items):\n    m = len(items)\n"
             "    for p in range(m):\n        for q in range(0, m - p - 1):\n"
             "            if items[q] > items[q + 1]:\n"
             "                items[q], items[q + 1] = items[q + 1], items[q]\n    return items\n",
             k, k + 7, k);
    return s;
}

static char *filler_file(int k)
{
    char *s = malloc(512);
    snprintf(s, 512,
             "class Box%d:\n    def __init__(self):\n        self.items = [%d, %d]\n\n"
             "    def total(self):\n        return sum(self.items) + %d\n",
             k, k, k * 3, k * 11);
    return s;
}

/* HumanEval (.jsonl.gz), MBPP (.jsonl), a generic JSONL; the corpus in two shards */
static void make_inputs(void)
{
    strcpy(g_dir, "/tmp/sciprune-decontam-XXXXXX");
    assert_non_null(mkdtemp(g_dir));
    char p[256];
    snprintf(p, sizeof p, "%s/he.jsonl.gz", g_dir);
    gzFile gz = gzopen(p, "wb");
    assert_non_null(gz);
    const char *he[4][3] = {{"HumanEval/0", HE0_PROMPT, HE0_SOL}, {"HumanEval/1", HE1_PROMPT, HE1_SOL},
                            {"HumanEval/2", HE2_PROMPT, HE2_SOL}, {"HumanEval/3", HE3_PROMPT, HE3_SOL}};
    for (int i = 0; i < 4; i++) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "task_id", he[i][0], "prompt", he[i][1],
                              "canonical_solution", he[i][2], "entry_point", "f");
        char *js = json_dumps(o, JSON_COMPACT);
        gzprintf(gz, "%s\n", js);
        free(js);
        json_decref(o);
    }
    gzclose(gz);
    snprintf(p, sizeof p, "%s/mbpp.jsonl", g_dir);
    FILE *f = fopen(p, "w");
    json_t *o = json_pack("{s:i, s:s, s:s}", "task_id", 1, "text", MB_COST_TEXT, "code", MB_COST_CODE);
    char *js = json_dumps(o, JSON_COMPACT);
    fprintf(f, "%s\n\n", js);
    free(js);
    json_decref(o);
    o = json_pack("{s:i, s:s, s:s}", "task_id", 2, "text", MB_IDIOM_TEXT, "code", MB_IDIOM_CODE);
    js = json_dumps(o, JSON_COMPACT);
    fprintf(f, "%s\n", js);
    free(js);
    json_decref(o);
    fclose(f);
    snprintf(p, sizeof p, "%s/other.jsonl", g_dir);
    write_file(p, "{\"qid\": \"Q-7\", \"question\": \"Print the numbers from one to one hundred, but "
                  "fizz for multiples of three\", \"answer\": \"for i in range(1, 101): print(i)\"}\n");

    snprintf(p, sizeof p, "%s/s1.jsonl", g_dir);
    f = fopen(p, "w");
    size_t l1 = strlen(HE0_SOL) + 32;
    char *verb = malloc(l1);
    snprintf(verb, l1, "%s", HE0_SOL); /* the verbatim solution, alone */
    put_record(f, "verbatim.py", verb);
    free(verb);
    put_record(f, "embedded.py", F_EMBEDDED);
    put_record(f, "docstring.py", F_DOCSTRING);
    put_record(f, "trivial.py", F_TRIVIAL);
    put_record(f, "nearcopy.py", F_NEARCOPY);
    put_record(f, "fizz.py", "# Print the numbers from one to one hundred, but fizz for multiples of three\nx = 1\n");
    fputs("not json\n", f); /* a rejected line: never flagged */
    for (int k = 0; k < N_FILLER / 2; k++) {
        char id[32], *t = filler_file(k);
        snprintf(id, sizeof id, "filler%d.py", k);
        put_record(f, id, t);
        free(t);
    }
    fclose(f);
    snprintf(p, sizeof p, "%s/s2.jsonl", g_dir);
    f = fopen(p, "w");
    for (int k = 0; k < N_IDIOM; k++) {
        char id[32], *t = idiom_file(k);
        snprintf(id, sizeof id, "idiom%d.py", k);
        put_record(f, id, t);
        free(t);
    }
    for (int k = N_FILLER / 2; k < N_FILLER; k++) {
        char id[32], *t = filler_file(k);
        snprintf(id, sizeof id, "filler%d.py", k);
        put_record(f, id, t);
        free(t);
    }
    fclose(f);
}

static void rm_inputs(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    assert_int_equal(system(cmd), 0);
}

/* ------------------------------------------------------------------ units */

static void test_normalise_collapses_whitespace(void **state)
{
    (void)state;
    const char *s = "  a \t\r\n b\n\nc  ";
    char out[32];
    uint32_t map[32];
    size_t n = decontam_normalise(s, strlen(s), 1, out, NULL);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "a b c", 5);
    n = decontam_normalise(s, strlen(s), 0, out, map);
    assert_int_equal(n, 7);
    assert_memory_equal(out, " a b c ", 7);
    assert_int_equal(map[1], 2); /* 'a' */
    assert_int_equal(map[3], 8); /* 'b' */
}

/* Every vector path of the normalisation (as far as the CPU has them) against the byte loop
 * (the path with a map): random texts of every length 0..299, dense in whitespace runs, both
 * trims, each path capped in turn (decontam_simd_cap). */
static void test_normalise_vector_paths_match_byte_loop(void **state)
{
    (void)state;
    static const char alpha[] = "  \t\n\r\f\vab{}_x=#  ";
    char src[300], want[300], got[300];
    uint32_t map[300];
    unsigned seed = 12345;
    for (int cap = 3; cap >= 0; cap--) {
        decontam_simd_cap(cap);
        for (size_t len = 0; len < 300; len++) {
            for (int round = 0; round < 8; round++) {
                for (size_t i = 0; i < len; i++) {
                    seed = seed * 1103515245u + 12345u;
                    unsigned r = seed >> 16;
                    /* rounds 0-3: mostly letters; 4-7: mostly whitespace (runs across blocks) */
                    src[i] = round < 4 && (r & 7) ? (char)('a' + r % 26) : alpha[r % (sizeof alpha - 1)];
                }
                for (int trim = 0; trim < 2; trim++) {
                    size_t nw = decontam_normalise(src, len, trim, want, map);
                    memset(got, 0x55, sizeof got);
                    size_t ng = decontam_normalise(src, len, trim, got, NULL);
                    assert_int_equal(ng, nw);
                    if (nw) assert_memory_equal(got, want, nw);
                }
            }
        }
    }
    decontam_simd_cap(3);
}

typedef struct toks {
    uint64_t h[256];
    size_t n;
} toks;

static void tok_cb(void *ctx, uint64_t h, uint32_t s, uint32_t e)
{
    (void)s;
    (void)e;
    toks *t = ctx;
    if (t->n < 256) t->h[t->n++] = h;
}

static void test_tokens_rename_invariant_keywords_kept(void **state)
{
    (void)state;
    decontam_index *ix;
    decontam_params p = {1, 1, 32, 13, 10, 0.5};
    assert_int_equal(decontam_index_new(&ix, &p, NULL), SCIPRUNE_OK);
    toks a = {.n = 0}, b = {.n = 0}, c = {.n = 0};
    const char *x = "for i in range(n):  # count\n    total += arr[i].size\n";
    const char *y = "for k in range(m):\n    acc += xs[k].size  // other\n";
    const char *z = "while i in range(n):\n    total += arr[i].len\n";
    decontam_tokens(ix, x, strlen(x), tok_cb, &a);
    decontam_tokens(ix, y, strlen(y), tok_cb, &b);
    decontam_tokens(ix, z, strlen(z), tok_cb, &c);
    assert_int_equal(a.n, b.n); /* comments dropped */
    assert_memory_equal(a.h, b.h, a.n * sizeof *a.h); /* renamed variables: same tokens */
    assert_int_equal(a.n, c.n);
    assert_int_not_equal(a.h[0], c.h[0]);           /* keywords are themselves */
    assert_int_not_equal(a.h[a.n - 1], c.h[c.n - 1]); /* attributes after '.' too */
    decontam_index_free(ix);
}

typedef struct tokall {
    uint64_t v[4096][3];
    size_t n;
} tokall;

static void tokall_cb(void *ctx, uint64_t h, uint32_t s, uint32_t e)
{
    tokall *t = ctx;
    if (t->n < 4096) {
        t->v[t->n][0] = h;
        t->v[t->n][1] = s;
        t->v[t->n][2] = e;
    }
    t->n++;
}

/* Every tokeniser path (the 64-byte block path with AVX-512 or SSE2 masks, as far as the CPU
 * has them) against the byte-by-byte one (decontam_simd_cap 0): the same tokens, hashes and
 * offsets, on random code-like texts of every length 0..599 (identifiers of every length,
 * keywords, attributes, numbers, quotes and triple quotes, comments, backslashes, UTF-8 and
 * control bytes, whitespace runs across block edges). */
static void test_tokens_vector_paths_match_byte_loop(void **state)
{
    (void)state;
    static const char *const parts[] = {
        " ", "  ", "\n", "\n    ", "\t", "\r\n", "x", "ab", "self", "return", "def", "None", "is",
        "instanceof", "implements", "a_very_long_identifier_name_1", "abcdefghijklmno",
        "abcdefghijklmnop", "abcdefghijklmnopq", "xy12", "_", "$", "\xc3\xa9t\xc3\xa9", "0", "12",
        "3.14", "1e5", ".", ".", "(", ")", ",", ":", "=", "+", "[", "]", "{", "}", "#", "# note\n",
        "/", "//", "// c\n", "/*", "*/", "/* b */", "*", "\"", "'", "`", "\"\"\"", "'''", "\\",
        "\"s\"", "'it''s'", "\x01", "\x7f", ";", "->", "@", "ZZ", "print", "length",
    };
    const size_t np = sizeof parts / sizeof *parts;
    decontam_index *ix;
    decontam_params p = {1, 1, 32, 13, 10, 0.5};
    assert_int_equal(decontam_index_new(&ix, &p, NULL), SCIPRUNE_OK);
    static tokall want, got;
    char src[700];
    unsigned seed = 777;
    for (size_t len = 0; len < 600; len++) {
        for (int round = 0; round < 6; round++) {
            size_t n = 0;
            while (n < len) { /* random parts, the last one cut at len */
                seed = seed * 1103515245u + 12345u;
                const char *q = parts[(seed >> 16) % np];
                for (size_t k = 0; q[k] && n < len; k++) src[n++] = q[k];
            }
            want.n = 0;
            decontam_simd_cap(0);
            decontam_tokens(ix, src, len, tokall_cb, &want);
            for (int cap = 3; cap >= 1; cap -= 2) {
                got.n = 0;
                decontam_simd_cap(cap);
                decontam_tokens(ix, src, len, tokall_cb, &got);
                assert_int_equal(got.n, want.n);
                if (want.n)
                    assert_memory_equal(got.v, want.v, (want.n < 4096 ? want.n : 4096) * sizeof *want.v);
            }
        }
    }
    decontam_simd_cap(3);
    decontam_index_free(ix);
}

static void test_benchmark_parse_specs(void **state)
{
    (void)state;
    sciprune_decontam_benchmark b;
    sciprune_error e;
    assert_int_equal(sciprune_decontam_benchmark_parse("humaneval:/x/HumanEval.jsonl.gz", &b, &e), SCIPRUNE_OK);
    assert_int_equal(b.format, SCIPRUNE_BENCH_HUMANEVAL);
    assert_string_equal(b.path, "/x/HumanEval.jsonl.gz");
    char label[64];
    decontam_bench_label(&b, label, sizeof label);
    assert_string_equal(label, "HumanEval");
    assert_int_equal(sciprune_decontam_benchmark_parse("mbpp:m.jsonl", &b, &e), SCIPRUNE_OK);
    assert_int_equal(b.format, SCIPRUNE_BENCH_MBPP);
    assert_int_equal(sciprune_decontam_benchmark_parse("parquet:x", &b, &e), SCIPRUNE_EINVAL);
    assert_int_equal(sciprune_decontam_benchmark_parse("jsonl:", &b, &e), SCIPRUNE_EINVAL);
}

/* ------------------------------------------------------------------ the stage */

typedef struct logged {
    json_t *o[64];
    size_t n;
} logged;

static json_t *find(const logged *l, const char *id)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(json_string_value(json_object_get(l->o[i], "id")), id)) return l->o[i];
    return NULL;
}

static const char *sget(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }
static long long iget(json_t *o, const char *k) { return (long long)json_integer_value(json_object_get(o, k)); }

/* the logged span of `text` normalises to the pattern `want` */
static void assert_span_is(json_t *o, const char *text, const char *want)
{
    long long s = iget(o, "start"), e = iget(o, "end");
    assert_true(s >= 0 && e > s && (size_t)e <= strlen(text));
    char a[2048], b[2048];
    size_t na = decontam_normalise(text + s, (size_t)(e - s), 1, a, NULL);
    size_t nb = decontam_normalise(want, strlen(want), 1, b, NULL);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    size_t ex = (size_t)(e - s) < 80 ? (size_t)(e - s) : 80;
    assert_int_equal(strlen(sget(o, "excerpt")), ex);
    assert_memory_equal(sget(o, "excerpt"), text + s, ex);
}

static void run_stage(sciprune_decontam_settings *s, sciprune_decontam_benchmark *bs,
                      const char *w, int threads, sciprune_decontam_info *info)
{
    char p0[256], p1[256], p2[256];
    snprintf(p0, sizeof p0, "%s/he.jsonl.gz", g_dir);
    snprintf(p1, sizeof p1, "%s/mbpp.jsonl", g_dir);
    snprintf(p2, sizeof p2, "%s/other.jsonl", g_dir);
    bs[0] = (sciprune_decontam_benchmark){SCIPRUNE_BENCH_HUMANEVAL, strdup(p0), NULL, NULL, NULL};
    bs[1] = (sciprune_decontam_benchmark){SCIPRUNE_BENCH_MBPP, strdup(p1), "mbpp", NULL, NULL};
    bs[2] = (sciprune_decontam_benchmark){SCIPRUNE_BENCH_JSONL, strdup(p2), NULL, "question,answer", "qid"};
    s->benchmarks = bs;
    s->n_benchmarks = 3;
    s->threads = threads;
    char s1[256], s2[256];
    snprintf(s1, sizeof s1, "%s/s1.jsonl", g_dir);
    snprintf(s2, sizeof s2, "%s/s2.jsonl", g_dir);
    const char *shards[2] = {s1, s2};
    sciprune_error e;
    sciprune_status st = sciprune_decontam_run(w, shards, 2, s, info, &e);
    if (st) fprintf(stderr, "%s: %s\n", e.source, e.text);
    assert_int_equal(st, SCIPRUNE_OK);
    for (int i = 0; i < 3; i++) free((char *)bs[i].path);
}

static void load_log(const char *w, logged *l)
{
    char p[256], line[8192];
    snprintf(p, sizeof p, "%s/decontam/removed.jsonl", w);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    l->n = 0;
    while (fgets(line, sizeof line, f)) {
        assert_true(l->n < 64);
        l->o[l->n] = json_loads(line, 0, NULL);
        assert_non_null(l->o[l->n]);
        l->n++;
    }
    fclose(f);
}

static void test_decontam_run_cases_logged(void **state)
{
    (void)state;
    make_inputs();
    char w[128];
    snprintf(w, sizeof w, "%s/w", g_dir);
    sciprune_decontam_settings s;
    sciprune_decontam_settings_default(&s);
    sciprune_decontam_benchmark bs[3];
    sciprune_decontam_info info;
    run_stage(&s, bs, w, 1, &info);
    assert_int_equal(info.n_items, 7);
    assert_int_equal(info.n_records, 6 + 1 + N_FILLER + N_IDIOM);
    assert_int_equal(info.n_accepted, 6 + N_FILLER + N_IDIOM);
    logged l;
    load_log(w, &l);
    assert_int_equal(info.n_exact, 4);
    assert_int_equal(info.n_ngram, 1);
    assert_int_equal(l.n, 5);

    json_t *o = find(&l, "verbatim.py"); /* a verbatim solution */
    assert_non_null(o);
    assert_string_equal(sget(o, "benchmark"), "he");
    assert_string_equal(sget(o, "task_id"), "HumanEval/0");
    assert_string_equal(sget(o, "matcher"), "exact");
    assert_string_equal(sget(o, "field"), "solution");
    assert_string_equal(sget(o, "shard"), "s1.jsonl");
    assert_int_equal(iget(o, "line"), 1);
    assert_span_is(o, HE0_SOL, HE0_SOL);
    assert_int_equal(iget(o, "start"), 4); /* after the leading indentation */

    o = find(&l, "embedded.py"); /* embedded, with other whitespace */
    assert_non_null(o);
    assert_string_equal(sget(o, "task_id"), "HumanEval/1");
    assert_string_equal(sget(o, "matcher"), "exact");
    assert_string_equal(sget(o, "field"), "solution");
    assert_span_is(o, F_EMBEDDED, HE1_SOL);
    assert_int_equal(iget(o, "start"), (long long)(strstr(F_EMBEDDED, "result  =") - F_EMBEDDED));

    o = find(&l, "docstring.py"); /* the docstring only */
    assert_non_null(o);
    assert_string_equal(sget(o, "task_id"), "HumanEval/2");
    assert_string_equal(sget(o, "matcher"), "exact");
    assert_string_equal(sget(o, "field"), "docstring");
    assert_int_equal(iget(o, "start"), (long long)(strstr(F_DOCSTRING, "Given") - F_DOCSTRING));

    assert_null(find(&l, "trivial.py")); /* `return x + y`: allowlisted */
    for (int k = 0; k < N_IDIOM; k++) { /* the idiom many files share: the df cap */
        char id[32];
        snprintf(id, sizeof id, "idiom%d.py", k);
        assert_null(find(&l, id));
    }

    o = find(&l, "nearcopy.py"); /* renamed variables: the n-gram matcher */
    assert_non_null(o);
    assert_string_equal(sget(o, "benchmark"), "mbpp");
    assert_string_equal(sget(o, "task_id"), "1");
    assert_string_equal(sget(o, "matcher"), "ngram");
    double share = json_real_value(json_object_get(o, "share"));
    assert_true(share >= 0.5 && share < 1.0); /* one line edited */
    assert_true(iget(o, "ngrams_found") < iget(o, "ngrams_item"));
    assert_int_equal(iget(o, "start"), (long long)(strstr(F_NEARCOPY, "ROWS") - F_NEARCOPY));
    assert_true(iget(o, "end") > (long long)(strstr(F_NEARCOPY, "min(dp") - F_NEARCOPY));
    assert_true(iget(o, "end") <= (long long)strlen(F_NEARCOPY));
    assert_memory_equal(sget(o, "excerpt"), F_NEARCOPY, 80);

    o = find(&l, "fizz.py"); /* a generic JSONL field, in a comment */
    assert_non_null(o);
    assert_string_equal(sget(o, "benchmark"), "other");
    assert_string_equal(sget(o, "task_id"), "Q-7");
    assert_string_equal(sget(o, "field"), "question");

    /* the flags: one byte per line, the rejected line 0 */
    char p[256];
    snprintf(p, sizeof p, "%s/decontam/s1.jsonl.decontam.npy", w);
    sp_npy a;
    sciprune_error e;
    assert_int_equal(sp_npy_open(&a, p, &e), SCIPRUNE_OK);
    assert_int_equal(a.dtype, SP_NPY_U8);
    assert_int_equal(a.rows, 7 + N_FILLER / 2);
    const uint8_t *v = a.data;
    uint8_t want[7] = {1, 1, 1, 0, 2, 1, 0};
    assert_memory_equal(v, want, 7);
    for (size_t i = 7; i < a.rows; i++) assert_int_equal(v[i], 0);
    sp_npy_close(&a);
    snprintf(p, sizeof p, "%s/decontam/summary.json", w);
    json_t *sum = json_load_file(p, 0, NULL);
    assert_non_null(sum);
    assert_int_equal(iget(sum, "removed"), 5);
    json_t *b0 = json_array_get(json_object_get(sum, "benchmarks"), 0);
    assert_int_equal(iget(b0, "allowlisted"), 3); /* add's docstring and solution,
                                                     count_distinct's solution */
    assert_int_equal(iget(b0, "removed_exact"), 3);
    assert_int_equal(iget(sum, "df_cap"), 10);
    assert_true(iget(sum, "ngram_candidates") >= N_IDIOM + 1); /* the idiom passed without the cap */
    json_decref(sum);

    /* without the df cap (df_min above the corpus) the idiom files match: the cap is what
     * keeps them; the log is the same for 3 threads otherwise */
    char w2[160];
    snprintf(w2, sizeof w2, "%s/w2", g_dir);
    sciprune_decontam_settings s2;
    sciprune_decontam_settings_default(&s2);
    s2.ngram_df_min = 1000;
    sciprune_decontam_info info2;
    run_stage(&s2, bs, w2, 3, &info2);
    assert_int_equal(info2.n_ngram, 1 + N_IDIOM);
    logged l2;
    load_log(w2, &l2);
    o = find(&l2, "idiom4.py");
    assert_non_null(o);
    assert_string_equal(sget(o, "task_id"), "2");
    assert_string_equal(sget(o, "matcher"), "ngram");
    char w3[160];
    snprintf(w3, sizeof w3, "%s/w3", g_dir);
    sciprune_decontam_info info3;
    run_stage(&s, bs, w3, 3, &info3);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cmp -s %s/decontam/removed.jsonl %s/decontam/removed.jsonl", w, w3);
    assert_int_equal(system(cmd), 0);
    for (size_t i = 0; i < l.n; i++) json_decref(l.o[i]);
    for (size_t i = 0; i < l2.n; i++) json_decref(l2.o[i]);
    rm_inputs();
}

static void test_decontam_settings_refused(void **state)
{
    (void)state;
    sciprune_decontam_settings s;
    sciprune_decontam_settings_default(&s);
    sciprune_error e;
    assert_int_equal(sciprune_decontam_settings_check(&s, &e), SCIPRUNE_EINVAL); /* no benchmark */
    sciprune_decontam_benchmark b = {SCIPRUNE_BENCH_JSONL, "x.jsonl", NULL, NULL, NULL};
    s.benchmarks = &b;
    s.n_benchmarks = 1;
    assert_int_equal(sciprune_decontam_settings_check(&s, &e), SCIPRUNE_EINVAL); /* no fields */
    b.fields = "q";
    assert_int_equal(sciprune_decontam_settings_check(&s, &e), SCIPRUNE_OK);
    s.exact = s.ngram = 0;
    assert_int_equal(sciprune_decontam_settings_check(&s, &e), SCIPRUNE_EINVAL);
    s.exact = 1;
    s.exact_min_chars = 4;
    assert_int_equal(sciprune_decontam_settings_check(&s, &e), SCIPRUNE_EINVAL);
    s.exact_min_chars = 32;
    s.ngram_threshold = 0;
    assert_int_equal(sciprune_decontam_settings_check(&s, &e), SCIPRUNE_EINVAL);
    /* a benchmark file that is not JSONL: EPARSE with the line */
    char dir[] = "/tmp/sciprune-decontam-bad-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char p[128], w[128];
    snprintf(p, sizeof p, "%s/bad.jsonl", dir);
    snprintf(w, sizeof w, "%s/w", dir);
    write_file(p, "{\"task_id\": \"a\", \"text\": \"t\", \"code\": \"c\"}\n[1, 2]\n");
    sciprune_decontam_settings_default(&s);
    b = (sciprune_decontam_benchmark){SCIPRUNE_BENCH_MBPP, p, NULL, NULL, NULL};
    s.benchmarks = &b;
    s.n_benchmarks = 1;
    const char *shards[1] = {p};
    assert_int_equal(sciprune_decontam_run(w, shards, 1, &s, NULL, &e), SCIPRUNE_EPARSE);
    assert_int_equal(e.line, 2);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalise_collapses_whitespace),
        cmocka_unit_test(test_normalise_vector_paths_match_byte_loop),
        cmocka_unit_test(test_tokens_rename_invariant_keywords_kept),
        cmocka_unit_test(test_tokens_vector_paths_match_byte_loop),
        cmocka_unit_test(test_benchmark_parse_specs),
        cmocka_unit_test(test_decontam_run_cases_logged),
        cmocka_unit_test(test_decontam_settings_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
