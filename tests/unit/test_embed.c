/* test_embed.c - embed/: the hash embedder's features and quality on real files, the stage's
 * .npy files read back by numpy, resumability, npy import checks, exec protocol failures. */
#include "sciprune.h"
#include "../../shard/sp_npy.h"
#include "../../embed/embed_int.h"
#include "../../corrupt/corrupt_sites.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <ctype.h>
#include <pthread.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PY "/usr/bin/python3"
#define FAKE SCIPRUNE_TEST_DATA "/embed/fake_embedder.py"

/* ------------------------------------------------------------------ helpers */

static char g_tmp[256];

static int setup_tmp(void **state)
{
    (void)state;
    snprintf(g_tmp, sizeof g_tmp, "/tmp/sciprune-test-embed-XXXXXX");
    return mkdtemp(g_tmp) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
    return system(cmd) == 0 ? 0 : -1;
}

/* A path in the test folder. Borrowed from a ring of 64 buffers: enough for every test to keep
 * the paths it made at its start. */
static char *tpath(const char *name)
{
    static char buf[64][512];
    static int k;
    char *b = buf[k++ & 63];
    snprintf(b, 512, "%s/%s", g_tmp, name);
    return b;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    size_t r = fread(b, 1, (size_t)n, f);
    b[r] = '\0';
    fclose(f);
    if (len) *len = r;
    return b;
}

/* Run a Python snippet (written to a file: no quoting trouble); return its exit status. */
static int run_py(const char *code)
{
    char *p = tpath("snippet.py");
    write_file(p, code);
    char cmd[700];
    snprintf(cmd, sizeof cmd, PY " '%s'", p);
    int r = system(cmd);
    return WIFEXITED(r) ? WEXITSTATUS(r) : 99;
}

static double cosine(const float *a, const float *b, size_t d)
{
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < d; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    return ab / sqrt(aa * bb);
}

static double norm(const float *a, size_t d)
{
    double s = 0;
    for (size_t i = 0; i < d; i++) s += (double)a[i] * a[i];
    return sqrt(s);
}

typedef struct hemb {
    sciprune_embedder *e;
    sciprune_parser *p;
    uint32_t dim;
} hemb;

static void hemb_open(hemb *h, uint32_t features, int drop)
{
    sciprune_embedder_settings s;
    sciprune_embedder_settings_default(&s);
    s.features = features;
    s.drop_structure_on_error = drop;
    sciprune_error e;
    assert_int_equal(sciprune_embedder_open(&h->e, &s, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_parser_new(&h->p, &e), SCIPRUNE_OK);
    h->dim = sciprune_embedder_dim(h->e);
    assert_int_equal(h->dim, 256);
}

static void hemb_close(hemb *h)
{
    sciprune_embedder_free(h->e);
    sciprune_parser_free(h->p);
}

static sciprune_embed_row emb(hemb *h, const char *lang, const char *text, float *out)
{
    sciprune_error e;
    sciprune_embed_row row = (sciprune_embed_row)-1;
    assert_int_equal(sciprune_embedder_embed(h->e, h->p, lang, text, strlen(text), out, 4096, &row, &e), SCIPRUNE_OK);
    return row;
}

/* ------------------------------------------------------------------ settings */

static void test_settings_parse(void **state)
{
    (void)state;
    sciprune_embedder_settings s;
    sciprune_error e;
    sciprune_embedder_settings_default(&s);
    assert_int_equal(s.backend, SCIPRUNE_EMBED_HASH);
    assert_int_equal(s.dim, 256);
    assert_int_equal(s.features, SCIPRUNE_FEAT_ALL);
    assert_int_equal(s.drop_structure_on_error, 1);
    assert_int_equal(sciprune_embedder_settings_parse(&s, "npy:/x/y", &e), SCIPRUNE_OK);
    assert_int_equal(s.backend, SCIPRUNE_EMBED_NPY);
    assert_string_equal(s.npy_dir, "/x/y");
    assert_int_equal(s.dim, 0);
    assert_int_equal(sciprune_embedder_settings_parse(&s, "exec:python3 x.py --a", &e), SCIPRUNE_OK);
    assert_int_equal(s.backend, SCIPRUNE_EMBED_EXEC);
    assert_string_equal(s.exec_command, "python3 x.py --a");
    assert_int_equal(sciprune_embedder_settings_parse(&s, "bogus", &e), SCIPRUNE_EINVAL);
    assert_int_equal(sciprune_embedder_settings_parse(&s, "npy:", &e), SCIPRUNE_EINVAL);
    uint32_t b;
    assert_int_equal(sciprune_embed_features_parse("identifiers,ast_pairs", &b, &e), SCIPRUNE_OK);
    assert_int_equal(b, SCIPRUNE_FEAT_IDENT | SCIPRUNE_FEAT_AST_PAIR);
    assert_int_equal(sciprune_embed_features_parse("all", &b, &e), SCIPRUNE_OK);
    assert_int_equal(b, SCIPRUNE_FEAT_ALL);
    assert_int_equal(sciprune_embed_features_parse("idents", &b, &e), SCIPRUNE_EINVAL);
    /* out-of-range settings are refused */
    sciprune_embedder_settings_default(&s);
    s.dim = 32;
    sciprune_embedder *em = NULL;
    assert_int_equal(sciprune_embedder_open(&em, &s, &e), SCIPRUNE_EINVAL);
    assert_null(em);
    s.dim = 256;
    s.features = 0;
    assert_int_equal(sciprune_embedder_open(&em, &s, &e), SCIPRUNE_EINVAL);
    sciprune_embedder_free(NULL);
}

/* ------------------------------------------------------------------ hash features */

static void test_hash_identifier_subtokens(void **state)
{
    (void)state;
    hemb h;
    hemb_open(&h, SCIPRUNE_FEAT_ALL, 1);
    float a[256], b[256], c[256];
    /* snake_case, camelCase, UPPER runs: the same sub-tokens, the same vector */
    emb(&h, "python", "x = fooBarBaz\ny = HTTPServer(x)\n", a);
    emb(&h, "python", "x = foo_bar_baz\ny = http_server(x)\n", b);
    assert_memory_equal(a, b, sizeof a);
    emb(&h, "python", "x = foo_bar_qux\ny = http_server(x)\n", c);
    assert_true(memcmp(a, c, sizeof a) != 0);
    /* but identifiers are sub-tokens, not whole names: a different split differs */
    emb(&h, "python", "x = foobarbaz\ny = http_server(x)\n", c);
    assert_true(memcmp(a, c, sizeof a) != 0);
    hemb_close(&h);
}

static void test_hash_literal_classes(void **state)
{
    (void)state;
    hemb h;
    hemb_open(&h, SCIPRUNE_FEAT_ALL, 1);
    float a[256], b[256];
    emb(&h, "python", "x = 'hello world'\ny = 42  # a comment\n", a);
    emb(&h, "python", "x = \"something else\"\ny = 7  # another comment\n", b);
    assert_memory_equal(a, b, sizeof a); /* literal classes, never literal text */
    emb(&h, "python", "x = 42\ny = 43  # a comment\n", b);
    assert_true(memcmp(a, b, sizeof a) != 0);
    emb(&h, "javascript", "const s = `tpl`; let n = 0x1f; let r = /ab+c/;\n", a);
    emb(&h, "javascript", "const s = `other`; let n = 99; let r = /zz/;\n", b);
    assert_memory_equal(a, b, sizeof a);
    hemb_close(&h);
}

static void test_hash_rows_and_norm(void **state)
{
    (void)state;
    hemb h;
    hemb_open(&h, SCIPRUNE_FEAT_ALL, 1);
    float a[256], b[256];
    assert_int_equal(emb(&h, "python", "def f(x):\n    return x + 1\n", a), SCIPRUNE_ROW_OK);
    assert_true(fabs(norm(a, 256) - 1) < 1e-5);
    assert_int_equal(emb(&h, "python", "def f(x)\n    return x + 1\n", a), SCIPRUNE_ROW_PARSE_ERROR);
    assert_true(fabs(norm(a, 256) - 1) < 1e-5);
    assert_int_equal(emb(&h, "unknown", "proc foo {x} { puts $x }", a), SCIPRUNE_ROW_LEXICAL);
    assert_true(fabs(norm(a, 256) - 1) < 1e-5);
    assert_int_equal(emb(&h, "ruby", "def foo_bar; end", a), SCIPRUNE_ROW_LEXICAL);
    assert_int_equal(emb(&h, "python", "", a), SCIPRUNE_ROW_EMPTY);
    assert_true(fabs(norm(a, 256) - 1) < 1e-5);
    assert_int_equal(emb(&h, "unknown", "   \n\t ", b), SCIPRUNE_ROW_EMPTY);
    assert_memory_equal(a, b, sizeof a); /* one fixed direction for every empty text */
    /* lexical and tree features share the identifier space */
    float c[256];
    emb(&h, "unknown", "parse_config load_file read_bytes", b);
    emb(&h, "python", "parseConfig(loadFile, readBytes)\n", c);
    assert_true(cosine(b, c, 256) > 0.2);
    /* dst too small */
    sciprune_error e;
    assert_int_equal(sciprune_embedder_embed(h.e, h.p, "python", "x", 1, a, 10, NULL, &e), SCIPRUNE_EINVAL);
    /* no parser: a temporary one gives the same vector */
    assert_int_equal(sciprune_embedder_embed(h.e, NULL, "python", "def f(x):\n    return x + 1\n", 27, b, 256, NULL, &e), SCIPRUNE_OK);
    emb(&h, "python", "def f(x):\n    return x + 1\n", c);
    assert_memory_equal(b, c, sizeof b);
    hemb_close(&h);
}

/* A file with a parse error loses its whole structure block (drop_structure_on_error): with
 * only the structure families switched on, nothing is left of it. With the option off, it
 * keeps most of its structure. */
static void test_hash_drop_structure_on_error(void **state)
{
    (void)state;
    const char *good = "def f(x):\n    if x > 1:\n        return g(x - 1)\n    return [x, x]\n";
    const char *bad = "def f(x):\n    if x > 1\n        return g(x - 1)\n    return [x, x]\n";
    float a[256], b[256];
    hemb h;
    hemb_open(&h, SCIPRUNE_FEAT_AST_PAIR | SCIPRUNE_FEAT_AST_PATH, 1);
    assert_int_equal(emb(&h, "python", good, a), SCIPRUNE_ROW_OK);
    assert_int_equal(emb(&h, "python", bad, b), SCIPRUNE_ROW_EMPTY);
    hemb_close(&h);
    hemb_open(&h, SCIPRUNE_FEAT_AST_PAIR | SCIPRUNE_FEAT_AST_PATH, 0);
    assert_int_equal(emb(&h, "python", good, a), SCIPRUNE_ROW_OK);
    assert_int_equal(emb(&h, "python", bad, b), SCIPRUNE_ROW_PARSE_ERROR);
    print_message("structure only, kept on error: cos(good, bad) = %.3f\n", cosine(a, b, 256));
    assert_true(cosine(a, b, 256) > 0.2); /* what recovery kept still overlaps */
    hemb_close(&h);
    /* all families: dropping moves the broken file farther than keeping does */
    float c[256];
    hemb_open(&h, SCIPRUNE_FEAT_ALL, 1);
    emb(&h, "python", good, a);
    emb(&h, "python", bad, b);
    hemb_close(&h);
    hemb_open(&h, SCIPRUNE_FEAT_ALL, 0);
    emb(&h, "python", bad, c);
    float a2[256];
    emb(&h, "python", good, a2);
    assert_memory_equal(a, a2, sizeof a); /* clean files do not depend on the option */
    print_message("all families: cos(good, bad) dropped %.3f, kept %.3f\n", cosine(a, b, 256), cosine(a, c, 256));
    assert_true(cosine(a, b, 256) < cosine(a, c, 256));
    hemb_close(&h);
}

/* ------------------------------------------------- quality on the generated corpus */

static char *find_file(const char *pattern)
{
    glob_t g;
    char *r = NULL;
    if (glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc) r = read_all(g.gl_pathv[g.gl_pathc - 1], NULL);
    globfree(&g);
    return r;
}

/* Rename every whole-word occurrence of the first function defined with "def NAME(". */
static char *rename_first_def(const char *t)
{
    const char *d = strstr(t, "def ");
    assert_non_null(d);
    d += 4;
    size_t nl = strcspn(d, "(");
    char name[128];
    assert_true(nl > 0 && nl < sizeof name);
    memcpy(name, d, nl);
    name[nl] = '\0';
    const char *repl = "zz_renamed_function";
    size_t n = strlen(t), cap = n * 2 + 1024, o = 0;
    char *out = malloc(cap);
    for (size_t i = 0; i < n;) {
        int wb = i == 0 || !(isalnum((unsigned char)t[i - 1]) || t[i - 1] == '_');
        if (wb && !strncmp(t + i, name, nl) && !(isalnum((unsigned char)t[i + nl]) || t[i + nl] == '_')) {
            memcpy(out + o, repl, strlen(repl));
            o += strlen(repl);
            i += nl;
        } else {
            out[o++] = t[i++];
        }
    }
    out[o] = '\0';
    return out;
}

static char *whitespace_variant(const char *t)
{
    size_t n = strlen(t), o = 0;
    char *out = malloc(n * 4 + 8);
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '\n') {
            memcpy(out + o, "   \n", 4); /* trailing spaces */
            o += 4;
        } else {
            out[o++] = t[i];
        }
    }
    memcpy(out + o, "\n\n\n", 4);
    return out;
}

static char *syntax_variant(const char *t)
{
    char *out = strdup(t);
    char *p = strstr(out, "):\n"); /* drop the colon of the first block header */
    assert_non_null(p);
    memmove(p + 1, p + 2, strlen(p + 2) + 1);
    return out;
}

/* Files of the generated test corpus (tests/corpus/make_corpus.py, seed 1): three Python modules
 * of three different projects (vocabulary and habits) and a JavaScript module. */
static void test_hash_quality_real_files(void **state)
{
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, PY " " SCIPRUNE_TEST_DATA "/corpus/make_corpus.py --seed 1 --src '%s'",
             tpath("corpus"));
    assert_int_equal(system(cmd), 0);
    char *py1 = find_file(tpath("corpus/py_graph/graph_functional_162.py"));
    char *py2 = find_file(tpath("corpus/py_http/http_oop_200.py"));
    char *py3 = find_file(tpath("corpus/py_game/game_mixed_62.py"));
    char *js = find_file(tpath("corpus/js_image/cjs_63.js"));
    assert_non_null(py1);
    assert_non_null(py2);
    assert_non_null(py3);
    assert_non_null(js);
    hemb h;
    hemb_open(&h, SCIPRUNE_FEAT_ALL, 1);
    float o[256], rn[256], ws[256], sy[256], o2[256], o3[256], j[256];
    char *v_rn = rename_first_def(py1), *v_ws = whitespace_variant(py1), *v_sy = syntax_variant(py1);
    assert_int_equal(emb(&h, "python", py1, o), SCIPRUNE_ROW_OK);
    assert_int_equal(emb(&h, "python", v_rn, rn), SCIPRUNE_ROW_OK);
    assert_int_equal(emb(&h, "python", v_ws, ws), SCIPRUNE_ROW_OK);
    assert_int_equal(emb(&h, "python", v_sy, sy), SCIPRUNE_ROW_PARSE_ERROR);
    emb(&h, "python", py2, o2);
    emb(&h, "python", py3, o3);
    emb(&h, "javascript", js, j);
    double c_rn = cosine(o, rn, 256), c_ws = cosine(o, ws, 256), c_sy = cosine(o, sy, 256);
    double c_py2 = cosine(o, o2, 256), c_py3 = cosine(o, o3, 256), c_js = cosine(o, j, 256);
    print_message("rename %.3f  whitespace %.3f  syntax %.3f  other py %.3f %.3f  js %.3f\n", c_rn,
                  c_ws, c_sy, c_py2, c_py3, c_js);
    assert_true(c_rn >= 0.9);
    assert_true(c_ws > c_sy);        /* a syntax error moves farther than whitespace */
    assert_true(c_sy < 0.85);
    assert_true(c_py2 < c_rn - 0.15); /* unrelated purpose: clearly lower */
    assert_true(c_py3 < c_rn - 0.15);
    assert_true(c_js < 0.5);          /* another language: lower still */
    assert_true(c_js < c_py2 || c_js < c_py3);
    free(v_rn), free(v_ws), free(v_sy);
    free(py1), free(py2), free(py3), free(js);
    hemb_close(&h);
}

/* ------------------------------------------------------------------ the stage */

/* 6 lines: ok python, bad JSON, unknown language, empty line, empty text, python with error */
static const char *k_shard =
    "{\"id\":\"a\",\"content\":\"def f(x):\\n    return x + 1\\n\",\"lang\":\"python\"}\n"
    "not json\n"
    "{\"id\":\"c\",\"content\":\"proc foo {x} { puts $x }\",\"lang\":\"tcl\"}\n"
    "\n"
    "{\"id\":\"e\",\"content\":\"\",\"lang\":\"python\"}\n"
    "{\"id\":\"f\",\"content\":\"def g(:\\n  pass\\n\",\"path\":\"x/g.py\"}\n";

static sciprune_status stage(const char *wd, const char *const *in, size_t n,
                             const sciprune_embedder_settings *s, int threads, int force,
                             sciprune_embed_stats *st, sciprune_error *e)
{
    sciprune_embed_options o;
    sciprune_embed_options_default(&o);
    o.threads = threads;
    o.force = force;
    return sciprune_embed_shards(wd, in, n, s, &o, st, e);
}

static void test_stage_numpy_roundtrip(void **state)
{
    (void)state;
    write_file(tpath("s1.jsonl"), k_shard);
    const char *in[] = {tpath("s1.jsonl")};
    for (int half = 0; half < 2; half++) {
        sciprune_embedder_settings s;
        sciprune_embedder_settings_default(&s);
        s.dim = 64;
        s.dtype = half ? SCIPRUNE_VEC_F16 : SCIPRUNE_VEC_F32;
        sciprune_error e;
        sciprune_embed_stats st;
        const char *wd = tpath(half ? "w16" : "w32");
        assert_int_equal(stage(wd, in, 1, &s, 2, 0, &st, &e), SCIPRUNE_OK);
        assert_int_equal(st.lines, 6);
        assert_int_equal(st.rows[SCIPRUNE_ROW_OK], 1);
        assert_int_equal(st.rows[SCIPRUNE_ROW_REJECTED], 2);
        assert_int_equal(st.rows[SCIPRUNE_ROW_LEXICAL], 1);
        assert_int_equal(st.rows[SCIPRUNE_ROW_EMPTY], 1);
        assert_int_equal(st.rows[SCIPRUNE_ROW_PARSE_ERROR], 1);
        assert_int_equal(st.idf_docs, 4);
        /* the saved embedder reproduces the stage's rows through the one-text API */
        char ed[600];
        snprintf(ed, sizeof ed, "%s/embed", wd);
        sciprune_embedder *em;
        assert_int_equal(sciprune_embedder_load(&em, ed, &e), SCIPRUNE_OK);
        assert_int_equal(sciprune_embedder_dim(em), 64);
        const char *texts[6] = {"def f(x):\n    return x + 1\n", NULL, "proc foo {x} { puts $x }", NULL, "", "def g(:\n  pass\n"};
        const char *langs[6] = {"python", NULL, "tcl", NULL, "python", "python"};
        float exp[6][64];
        memset(exp, 0, sizeof exp);
        for (int i = 0; i < 6; i++)
            if (texts[i]) assert_int_equal(sciprune_embedder_embed(em, NULL, langs[i], texts[i], strlen(texts[i]), exp[i], 64, NULL, &e), SCIPRUNE_OK);
        sciprune_embedder_free(em);
        FILE *f = fopen(tpath("expected.f32"), "wb");
        fwrite(exp, sizeof exp, 1, f);
        fclose(f);
        char code[2000];
        snprintf(code, sizeof code,
                 "import numpy as np, json\n"
                 "v = np.load('%s/embed/s1.jsonl.npy'); s = np.load('%s/embed/s1.jsonl.status.npy')\n"
                 "exp = np.fromfile('%s', dtype='<f4').reshape(6, 64)\n"
                 "assert v.dtype == np.%s and v.shape == (6, 64) and v.flags.c_contiguous, (v.dtype, v.shape)\n"
                 "assert s.dtype == np.uint8 and list(s) == [0, 1, 2, 1, 4, 3], list(s)\n"
                 "want = exp.astype(np.float16) if v.dtype == np.float16 else exp\n"
                 "assert np.array_equal(v, want), abs(v.astype('f4') - exp).max()\n"
                 "assert not v[1].any() and not v[3].any()\n"
                 "n = np.linalg.norm(v.astype('f4')[[0, 2, 4, 5]], axis=1); assert abs(n - 1).max() < 2e-3, n\n"
                 "idf = np.load('%s/embed/idf.npy'); assert idf.shape == (1 << 20,) and idf.dtype == np.float32\n"
                 "j = json.load(open('%s/embed/embedder.json')); assert j['dim'] == 64 and j['hash']['idf']['docs'] == 4\n"
                 "sh = json.load(open('%s/embed/shards.json')); assert sh['shards'][0]['name'] == 's1.jsonl'\n",
                 wd, wd, tpath("expected.f32"), half ? "float16" : "float32", wd, wd, wd);
        assert_int_equal(run_py(code), 0);
    }
}


/* ------------------------------------------------------------------ naturalness (ngram.c) */

/* Stupid backoff on "a b a b c" against hand-computed values: unigrams a 2, b 2, c 1 (T = 5);
 * bigrams ab 2, ba 1, bc 1; trigrams aba, bab, abc 1; 4-grams abab, babc 1. */
static void test_ngram_probabilities_by_hand(void **state)
{
    (void)state;
    uint32_t *tab = calloc((size_t)1 << NGRAM_BITS, sizeof *tab);
    assert_non_null(tab);
    uint32_t t[5] = {1, 2, 1, 2, 3}; /* a b a b c */
    ngram_doc d;
    memset(&d, 0, sizeof d);
    d.tok = t;
    d.ntok = 5;
    d.lang = 7;
    ngram_count(tab, &d);
    const uint32_t ab[] = {1, 2}, b_[] = {2}, aa[] = {1, 1}, bab[] = {2, 1, 2}, xbab[] = {9, 2, 1, 2};
    /* seen trigram: C(abc)/C(ab) = 1/2 */
    assert_true(fabs(ngram_logprob(tab, 7, ab, 2, 3) - log(0.5)) < 1e-12);
    /* seen bigram: C(ba)/C(b) = 1/2 */
    assert_true(fabs(ngram_logprob(tab, 7, b_, 1, 1) - log(0.5)) < 1e-12);
    /* seen 4-gram: C(babc)/C(bab) = 1; only the last 3 context tokens count */
    assert_true(fabs(ngram_logprob(tab, 7, bab, 3, 3) - 0.0) < 1e-12);
    assert_true(fabs(ngram_logprob(tab, 7, xbab, 4, 3) - 0.0) < 1e-12);
    /* unseen: a a c -> 0.4 * 0.4 * (C(c) + 1) / (T + 65536) */
    assert_true(fabs(ngram_logprob(tab, 7, aa, 2, 3) - log(0.16 * 2.0 / 65541.0)) < 1e-12);
    /* b a b b: three back-offs to the unigram (C(b) + 1) / (T + 65536) */
    assert_true(fabs(ngram_logprob(tab, 7, bab, 3, 2) - log(0.064 * 3.0 / 65541.0)) < 1e-12);
    /* another language sees nothing: 1 / 65536 */
    assert_true(fabs(ngram_logprob(tab, 8, NULL, 0, 1) - log(1.0 / 65536.0)) < 1e-12);
    free(tab);
}

/* The signal ranks a flipped comparison above the written one once the model has seen the
 * idiom; and the stage's ngram.npy and <shard>.naturalness.npy are the same bytes for 1 and 3
 * threads. */
static void test_ngram_stage_deterministic_and_flags_flip(void **state)
{
    (void)state;
    FILE *f = fopen(tpath("nat.jsonl"), "w");
    assert_non_null(f);
    for (int i = 0; i < 300; i++)
        fprintf(f, "{\"id\":\"r%d\",\"lang\":\"python\",\"content\":\"def f%d(xs, n):\\n"
                   "    for i in range(len(xs)):\\n        if i < n:\\n            total = i + %d\\n"
                   "    return max(xs, n)\\n\"}\n", i, i, i % 7);
    fclose(f);
    const char *in[] = {tpath("nat.jsonl")};
    sciprune_embedder_settings s;
    sciprune_embedder_settings_default(&s);
    s.dim = 64;
    s.idf_sample = 1.0;
    sciprune_error e;
    sciprune_embed_stats st;
    sciprune_status rc = stage(tpath("nat1"), in, 1, &s, 1, 0, &st, &e);
    if (rc) fprintf(stderr, "%s\n", e.text);
    assert_int_equal(rc, SCIPRUNE_OK);
    assert_int_equal(stage(tpath("nat3"), in, 1, &s, 3, 0, &st, &e), SCIPRUNE_OK);
    char code[1500];
    snprintf(code, sizeof code,
             "import numpy as np\n"
             "for f in ['ngram.npy', 'nat.jsonl.naturalness.npy']:\n"
             "    a = open('%s/embed/' + f, 'rb').read(); b = open('%s/embed/' + f, 'rb').read()\n"
             "    assert a == b, f\n"
             "v = np.load('%s/embed/nat.jsonl.naturalness.npy'); assert v.dtype == np.float32 and v.shape == (300,)\n"
             "g = np.load('%s/embed/ngram.npy').view(np.uint32); assert g.shape == (1 << 22,) and g.sum() > 0\n",
             tpath("nat1"), tpath("nat3"), tpath("nat1"), tpath("nat1"));
    assert_int_equal(run_py(code), 0);
    char ed[600];
    snprintf(ed, sizeof ed, "%s/embed", tpath("nat1"));
    sciprune_embedder *em;
    assert_int_equal(sciprune_embedder_load(&em, ed, &e), SCIPRUNE_OK);
    assert_true(sciprune_embedder_has_naturalness(em));
    const char *clean = "def f1(xs, n):\n    for i in range(len(xs)):\n        if i < n:\n"
                        "            total = i + 1\n    return max(xs, n)\n";
    const char *flip = "def f1(xs, n):\n    for i in range(len(xs)):\n        if i >= n:\n"
                       "            total = i + 1\n    return max(xs, n)\n";
    const char *swap = "def f1(xs, n):\n    for i in range(len(xs)):\n        if i < n:\n"
                       "            total = i + 1\n    return max(n, xs)\n";
    float a, b, c;
    assert_int_equal(sciprune_embedder_naturalness(em, NULL, "python", clean, strlen(clean), &a, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_embedder_naturalness(em, NULL, "python", flip, strlen(flip), &b, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_embedder_naturalness(em, NULL, "python", swap, strlen(swap), &c, &e), SCIPRUNE_OK);
    assert_true(b > a + 1.0f);
    assert_true(c > a + 1.0f);
    sciprune_embedder_free(em);
}

/* The n-gram tokens ride the embedder's feature walk (hash.c walk + ngram_walk_node: one walk
 * of the tree); ngram_tokens walks the tree on its own. On real files of three languages
 * (CPython's standard library, the C headers, the JavaScript of the npm packages setup
 * installs), with a model counted from half of them, the naturalness through the embedder
 * equals, bit for bit, ngram_score over ngram_tokens' tokens and sites: a token or site the
 * shared walk missed, added or reordered would change it. */
/* The site query passes on the outermost subtrees a pattern can be rooted in (what the sites'
 * walk hands corrupt_site_set_each) give exactly the sites, edits included, of one pass over
 * the whole tree: every language, real files and small snippets. */
typedef struct site_rec {
    int kind, type;
    uint32_t a0, a1, b0, b1;
    size_t offset, removed, ins_len;
    char ins[64];
} site_rec;
typedef struct site_list {
    site_rec *v;
    size_t n, cap;
} site_list;

static int collect_site(void *user, const corrupt_site_edit *se)
{
    site_list *L = user;
    if (L->n == L->cap) {
        L->cap = L->cap ? 2 * L->cap : 256;
        L->v = realloc(L->v, L->cap * sizeof *L->v);
        assert_non_null(L->v);
    }
    site_rec *r = &L->v[L->n++];
    memset(r, 0, sizeof *r);
    r->kind = se->kind;
    r->type = se->type;
    r->a0 = ts_node_start_byte(se->a);
    r->a1 = ts_node_end_byte(se->a);
    if (!ts_node_is_null(se->b)) {
        r->b0 = ts_node_start_byte(se->b);
        r->b1 = ts_node_end_byte(se->b);
    }
    r->offset = se->offset;
    r->removed = se->removed;
    r->ins_len = se->ins_len;
    if (se->ins) memcpy(r->ins, se->ins, se->ins_len < sizeof r->ins ? se->ins_len : sizeof r->ins);
    return 0;
}

/* The outermost nodes of a root symbol, in document order. */
static size_t outermost_roots(TSNode root, const uint8_t *rs, uint32_t ns, TSNode **out)
{
    size_t n = 0, cap = 0;
    *out = NULL;
    TSTreeCursor c = ts_tree_cursor_new(root);
    for (;;) {
        TSNode x = ts_tree_cursor_current_node(&c);
        TSSymbol sym = ts_node_symbol(x);
        int hit = sym < ns && rs[sym];
        if (hit) {
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                *out = realloc(*out, cap * sizeof **out);
                assert_non_null(*out);
            }
            (*out)[n++] = x;
        }
        if (!hit && ts_tree_cursor_goto_first_child(&c)) continue;
        int up = 0;
        while (!ts_tree_cursor_goto_next_sibling(&c))
            if (!ts_tree_cursor_goto_parent(&c)) {
                up = 1;
                break;
            }
        if (up) break;
    }
    ts_tree_cursor_delete(&c);
    return n;
}

/* The sites of a direct set from a plain pre-order cursor walk feeding a corrupt_site_walk;
 * the number of nodes walked. */
static size_t walk_sites(corrupt_site_walk *cw, const corrupt_site_set *S, TSNode root,
                         const char *src, size_t len, int with_edit, uint64_t seed, site_list *out)
{
    sciprune_error e;
    assert_int_equal(corrupt_site_walk_begin(cw, S), 0);
    size_t nodes = 0;
    uint32_t depth = 0;
    TSTreeCursor c = ts_tree_cursor_new(root);
    for (;;) {
        TSNode x = ts_tree_cursor_current_node(&c);
        corrupt_site_walk_node(cw, x, ts_node_symbol(x), ts_node_is_named(x), depth, &c);
        nodes++;
        if (ts_tree_cursor_goto_first_child(&c)) {
            depth++;
            continue;
        }
        int up = 0;
        while (!ts_tree_cursor_goto_next_sibling(&c)) {
            if (!ts_tree_cursor_goto_parent(&c)) {
                up = 1;
                break;
            }
            depth--;
        }
        if (up) break;
    }
    ts_tree_cursor_delete(&c);
    assert_int_equal(corrupt_site_walk_each(cw, root, src, len, with_edit, seed, collect_site, out, &e),
                     SCIPRUNE_OK);
    return nodes;
}

/* The site sets' three ways to find sites give the same sites and edits: one query pass over
 * the whole tree, query passes over the outermost subtrees where a pattern can be rooted, and
 * (corrupt/sitepat.c) the patterns matched from the children a walk of the tree collects. Real
 * files (and corrupted ones) of every language with site queries. */
static void test_sites_subtrees_match_whole_tree(void **state)
{
    (void)state;
    static const char *const types[] = {"swap-operator", "swap-args", "off-by-one", "negate-if",
                                        "drop-return-value"};
    const char *root = getenv("SCIPRUNE_SOURCE_ROOT");
    char jsg[1200], cases[6][1200];
    snprintf(jsg, sizeof jsg, "%s/node_modules/hyparquet*/src/*.js", root ? root : ".");
    static const char *const ext[] = {"go", "java", "rs", "ts", "cpp", "js"};
    for (int k = 0; k < 6; k++)
        snprintf(cases[k], sizeof cases[k], "%s/tests/cases/*/*/*.%s", root ? root : ".", ext[k]);
    static const struct { const char *lang, *text; } snip[] = {
        {"go", "package main\nfunc f(a int, b int) int {\n if a < 3 { return a + b }\n g(a, b)\n x := a[1:2]\n return -1\n}\n"},
        {"java", "class A { int f(int a, int b) { if (a < 3) { return a + b; } g(a, b); int x = arr[1]; return -1; } }\n"},
        {"rust", "fn f(a: i32, b: i32) -> i32 { if a < 3 { return a + b; } g(a, b); let x = v[1]; for i in 0..n {} return -1; }\n"},
        {"typescript", "function f(a: number, b: number): number { if (a < 3) { return a + b; } g(a, b); const x = v[1]; return -1; }\n"},
        {"cpp", "int f(int a, int b) { if (a < 3 && b) { return a + b; } g(a, b); int x = v[1]; return -1; }\n"},
        /* a return's value holding what other patterns match; comments between arguments */
        {"javascript", "function f(a, b) { return g(a, /* c */ b) + (a < 1 ? h(x[2], 3) : 0); }\n"},
        {"python", "def f(a, b):\n    if a < 3 and b:\n        return g(a, b) - range(2)[1]\n    elif not a:\n        return\n    return [x for x in range(1, 5) if x != 2]\n"},
    };
    const struct { const char *lang, *pat; size_t max; } sets[] = {
        {"python", "/usr/lib/python3*/[a-m]*.py", 40},
        {"c", "/usr/include/[a-s]*.h", 40},
        {"javascript", jsg, 40},
        {"cpp", "/usr/include/c++/*/bits/[a-s]*.h", 25},
        {"go", cases[0], 40},
        {"java", cases[1], 40},
        {"rust", cases[2], 40},
        {"typescript", cases[3], 40},
        {"cpp", cases[4], 40},
        {"javascript", cases[5], 40},
    };
    sciprune_error e;
    sciprune_corruptor *c = NULL;
    assert_int_equal(corrupt_corruptor_new_types(&c, types, 5, &e), SCIPRUNE_OK);
    sciprune_parser *p;
    assert_int_equal(sciprune_parser_new(&p, &e), SCIPRUNE_OK);
    corrupt_site_walk *cw = corrupt_site_walk_new();
    assert_non_null(cw);
    static char buf[1 << 20];
    size_t nsn = sizeof snip / sizeof snip[0], nfiles = 0, nsites = 0, nnodes = 0;
    for (size_t k = 0; k < nsn + sizeof sets / sizeof sets[0]; k++) {
        const char *lang = k < nsn ? snip[k].lang : sets[k - nsn].lang;
        corrupt_site_set *S = NULL;
        assert_int_equal(corrupt_site_set_new(&S, c, lang, types, 5, &e), SCIPRUNE_OK);
        assert_non_null(S);
        /* the default queries are all within sitepat.c's subset */
        assert_true(corrupt_site_set_direct(S));
        uint32_t ns;
        const uint8_t *rs = corrupt_site_set_root_symbols(S, &ns);
        assert_non_null(rs); /* every language's patterns are rooted at a plain named node */
        glob_t g = {0};
        size_t nf = 1;
        if (k >= nsn) {
            assert_int_equal(glob(sets[k - nsn].pat, 0, NULL, &g), 0);
            nf = g.gl_pathc < sets[k - nsn].max ? g.gl_pathc : sets[k - nsn].max;
        }
        for (size_t i = 0; i < nf; i++) {
            size_t n;
            if (k < nsn) {
                n = strlen(snip[k].text);
                memcpy(buf, snip[k].text, n + 1);
            } else {
                FILE *f = fopen(g.gl_pathv[i], "rb");
                if (!f) continue;
                n = fread(buf, 1, sizeof buf - 1, f);
                fclose(f);
                if (n == 0 || n == sizeof buf - 1) continue;
                buf[n] = 0;
            }
            TSTree *t = NULL;
            if (lang_parse(p, lang, buf, n, &t, &e)) continue;
            TSNode r = ts_tree_root_node(t);
            TSNode *sub;
            size_t nsub = outermost_roots(r, rs, ns, &sub), nwalk = 0;
            site_list whole = {0}, parts = {0}, direct = {0};
            for (int with_edit = 0; with_edit < 2; with_edit++) {
                whole.n = parts.n = direct.n = 0;
                assert_int_equal(corrupt_site_set_each(S, r, NULL, 0, buf, n, with_edit, 77 + i,
                                                       collect_site, &whole, &e), SCIPRUNE_OK);
                assert_int_equal(corrupt_site_set_each(S, r, sub ? sub : &r, nsub, buf, n, with_edit,
                                                       77 + i, collect_site, &parts, &e), SCIPRUNE_OK);
                nwalk = walk_sites(cw, S, r, buf, n, with_edit, 77 + i, &direct);
                assert_int_equal(whole.n, parts.n);
                if (whole.n && memcmp(whole.v, parts.v, whole.n * sizeof *whole.v))
                    fail_msg("%s: the subtree passes' sites differ from the whole tree's", lang);
                if (whole.n != direct.n ||
                    (whole.n && memcmp(whole.v, direct.v, whole.n * sizeof *whole.v)))
                    fail_msg("%s (%s): direct matching found %zu sites, the query %zu (or others)",
                             lang, k < nsn ? "snippet" : g.gl_pathv[i], direct.n, whole.n);
            }
            nsites += whole.n;
            nnodes += nwalk;
            nfiles++;
            free(whole.v);
            free(parts.v);
            free(direct.v);
            free(sub);
            ts_tree_delete(t);
        }
        if (k >= nsn) globfree(&g);
        corrupt_site_set_free(S);
    }
    /* every language's site set (tsx borrows typescript's files): a direct one compiles with
     * tree-sitter too (its query cursor's query, made on first use), with the same patterns */
    size_t ndirect_sets = 0;
    for (size_t li = 0; li < sciprune_lang_count(); li++) {
        const char *lang = sciprune_lang_name(li);
        corrupt_site_set *S = NULL;
        assert_int_equal(corrupt_site_set_new(&S, c, lang, types, 5, &e), SCIPRUNE_OK);
        if (!S || !corrupt_site_set_direct(S)) {
            corrupt_site_set_free(S);
            continue;
        }
        TSTree *t = NULL;
        if (lang_parse(p, lang, "\n", 1, &t, &e) == SCIPRUNE_OK) {
            site_list none = {0};
            if (corrupt_site_set_each(S, ts_tree_root_node(t), NULL, 0, "\n", 1, 1, 1, collect_site,
                                      &none, &e) != SCIPRUNE_OK)
                fail_msg("%s: the direct site set's query does not compile: %s", lang, e.text);
            free(none.v);
            ts_tree_delete(t);
            ndirect_sets++;
        }
        corrupt_site_set_free(S);
    }
    assert_true(ndirect_sets >= 8);
    fprintf(stderr, "%zu texts, %zu sites (%zu nodes walked): the same from the subtrees and from "
            "direct matching as from the whole tree\n", nfiles, nsites, nnodes);
    assert_true(nfiles >= 150);
    assert_true(nsites >= 5000);
    corrupt_site_walk_free(cw);
    sciprune_parser_free(p);
    sciprune_corruptor_free(c);
}

static void test_ngram_one_walk_matches_own_walk(void **state)
{
    (void)state;
    const char *root = getenv("SCIPRUNE_SOURCE_ROOT");
    char jsg[1200];
    snprintf(jsg, sizeof jsg, "%s/node_modules/hyparquet*/src/*.js", root ? root : ".");
    const struct { const char *lang, *pat; } sets[] = {
        {"python", "/usr/lib/python3*/[a-m]*.py"},
        {"c", "/usr/include/[a-s]*.h"},
        {"javascript", jsg},
    };
    sciprune_embedder_settings s;
    sciprune_embedder_settings_default(&s);
    s.dim = 64;
    sciprune_error e;
    sciprune_embedder *em;
    assert_int_equal(sciprune_embedder_open(&em, &s, &e), SCIPRUNE_OK);
    sciprune_parser *p;
    assert_int_equal(sciprune_parser_new(&p, &e), SCIPRUNE_OK);
    uint32_t *tab = ngram_table_alloc();
    assert_non_null(tab);
    ngram_doc d;
    memset(&d, 0, sizeof d);
    double *lpa = NULL;
    size_t lcap = 0;
    for (int pass = 0; pass < 2; pass++) { /* 0: count every other file; 1: compare */
        for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
            glob_t g;
            assert_int_equal(glob(sets[k].pat, 0, NULL, &g), 0);
            int with_sites = 0, compared = 0;
            for (size_t i = 0; i < g.gl_pathc && compared < 60; i++) {
                FILE *f = fopen(g.gl_pathv[i], "rb");
                if (!f) continue;
                static char buf[1 << 20];
                size_t n = fread(buf, 1, sizeof buf - 1, f);
                fclose(f);
                if (n == 0 || n == sizeof buf - 1) continue;
                buf[n] = 0;
                TSTree *t = NULL;
                if (lang_parse(p, sets[k].lang, buf, n, &t, &e)) continue;
                ngram_tokens(&d, sets[k].lang, ts_tree_root_node(t), buf);
                ts_tree_delete(t);
                assert_false(d.oom);
                if (pass == 0) {
                    if (i % 2 == 0) ngram_count(tab, &d);
                    continue;
                }
                if (d.ntok > lcap) {
                    lcap = d.ntok;
                    lpa = realloc(lpa, lcap * sizeof *lpa);
                    assert_non_null(lpa);
                }
                float own = ngram_score(tab, &d, lpa), one;
                em->ngram = tab;
                assert_int_equal(embed_hash_naturalness_one(em, p, sets[k].lang, buf, n, &one, &e), SCIPRUNE_OK);
                em->ngram = NULL;
                if (memcmp(&own, &one, sizeof own) != 0)
                    fail_msg("%s: %.9g (own walk) != %.9g (shared walk)", g.gl_pathv[i], own, one);
                with_sites += d.nsite > 0 && own > -NGRAM_FLOOR;
                compared++;
            }
            globfree(&g);
            if (pass == 1) {
                fprintf(stderr, "%s: %d files compared, %d with a scored site\n", sets[k].lang, compared, with_sites);
                assert_true(compared >= 20);
                assert_true(with_sites >= 10);
            }
        }
    }
    free(lpa);
    ngram_doc_free(&d);
    free(tab);
    sciprune_parser_free(p);
    sciprune_embedder_free(em);
}

static void test_stage_resume_and_refuse(void **state)
{
    (void)state;
    write_file(tpath("r1.jsonl"), k_shard);
    write_file(tpath("r2.jsonl"), k_shard);
    const char *in[] = {tpath("r1.jsonl"), tpath("r2.jsonl")};
    const char *wd = tpath("wr");
    sciprune_embedder_settings s;
    sciprune_embedder_settings_default(&s);
    sciprune_error e;
    sciprune_embed_stats st;
    assert_int_equal(stage(wd, in, 1, &s, 1, 0, &st, &e), SCIPRUNE_OK);
    assert_int_equal(st.shards_done, 1);
    size_t l1;
    char *before = read_all(tpath("wr/embed/r1.jsonl.npy"), &l1);
    /* a second shard later: the first is skipped, the stored idf is reused */
    assert_int_equal(stage(wd, in, 2, &s, 1, 0, &st, &e), SCIPRUNE_OK);
    assert_int_equal(st.shards_done, 1);
    assert_int_equal(st.shards_skipped, 1);
    assert_int_equal(st.lines, 12);
    size_t l2;
    char *r2 = read_all(tpath("wr/embed/r2.jsonl.npy"), &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(before, r2, l1); /* same content, same idf: same bytes */
    free(r2);
    /* a removed vectors file is recomputed */
    unlink(tpath("wr/embed/r2.jsonl.npy"));
    assert_int_equal(stage(wd, in, 2, &s, 1, 0, &st, &e), SCIPRUNE_OK);
    assert_int_equal(st.shards_done, 1);
    /* another spec is refused, naming the difference */
    s.dim = 128;
    assert_int_equal(stage(wd, in, 2, &s, 1, 0, &st, &e), SCIPRUNE_ESTATE);
    assert_non_null(strstr(e.text, "dimension 256"));
    assert_non_null(strstr(e.text, "128"));
    s.dim = 256;
    s.drop_structure_on_error = 0;
    assert_int_equal(stage(wd, in, 2, &s, 1, 0, &st, &e), SCIPRUNE_ESTATE);
    assert_non_null(strstr(e.text, "drop_structure_on_error"));
    /* --force recomputes everything */
    s.dim = 128;
    assert_int_equal(stage(wd, in, 2, &s, 1, 1, &st, &e), SCIPRUNE_OK);
    assert_int_equal(st.shards_done, 2);
    sp_npy a;
    assert_int_equal(sp_npy_open(&a, tpath("wr/embed/r1.jsonl.npy"), &e), SCIPRUNE_OK);
    assert_int_equal(a.cols, 128);
    sp_npy_close(&a);
    /* two shards with one name are refused */
    mkdir(tpath("sub"), 0777);
    write_file(tpath("sub/r1.jsonl"), k_shard);
    const char *dup[] = {tpath("r1.jsonl"), tpath("sub/r1.jsonl")};
    assert_int_equal(stage(tpath("wd2"), dup, 2, &s, 1, 0, &st, &e), SCIPRUNE_EINVAL);
    free(before);
}


/* An empty shard gives empty arrays numpy reads; a missing shard or an unusable workdir is a
 * clean error that leaves no embedder.json behind. */
static void test_stage_edge_cases(void **state)
{
    (void)state;
    write_file(tpath("empty.jsonl"), "");
    write_file(tpath("one.jsonl"), k_shard);
    char p0[512], p1[512]; /* tpath() rotates its buffers: keep copies */
    snprintf(p0, sizeof p0, "%s", tpath("empty.jsonl"));
    snprintf(p1, sizeof p1, "%s", tpath("one.jsonl"));
    const char *in[] = {p0, p1};
    sciprune_embedder_settings s;
    sciprune_embedder_settings_default(&s);
    sciprune_error e;
    sciprune_embed_stats st;
    assert_int_equal(stage(tpath("we0"), in, 2, &s, 2, 0, &st, &e), SCIPRUNE_OK);
    assert_int_equal(st.lines, 6);
    char code[1200];
    snprintf(code, sizeof code,
             "import numpy as np\n"
             "v = np.load('%s/we0/embed/empty.jsonl.npy'); s = np.load('%s/we0/embed/empty.jsonl.status.npy')\n"
             "assert v.shape == (0, 256) and v.dtype == np.float32 and s.shape == (0,)\n",
             g_tmp, g_tmp);
    assert_int_equal(run_py(code), 0);
    const char *missing[] = {tpath("one.jsonl"), tpath("no-such.jsonl")};
    assert_int_equal(stage(tpath("we1"), missing, 2, &s, 1, 0, &st, &e), SCIPRUNE_EIO);
    assert_non_null(strstr(e.source, "no-such.jsonl"));
    assert_false(access(tpath("we1/embed/embedder.json"), F_OK) == 0);
    write_file(tpath("notadir"), "x");
    assert_int_equal(stage(tpath("notadir"), in, 2, &s, 1, 0, &st, &e), SCIPRUNE_EIO);
    assert_int_equal(stage(tpath("we2"), in, 0, &s, 1, 0, &st, &e), SCIPRUNE_EINVAL);
    /* a damaged embedder.json is not silently replaced */
    write_file(tpath("we0/embed/embedder.json"), "{not json");
    assert_int_equal(stage(tpath("we0"), in, 2, &s, 1, 0, &st, &e), SCIPRUNE_ESTATE);
    assert_non_null(strstr(e.text, "--force"));
    assert_int_equal(stage(tpath("we0"), in, 2, &s, 1, 1, &st, &e), SCIPRUNE_OK);
}

/* ------------------------------------------------------------------ npy import */

static sciprune_status npy_stage(const char *wd, const char *const *in, size_t n, const char *dir,
                                 uint32_t dim, sciprune_embed_stats *st, sciprune_error *e)
{
    sciprune_embedder_settings s;
    sciprune_embedder_settings_default(&s);
    char spec[600];
    snprintf(spec, sizeof spec, "npy:%s", dir);
    assert_int_equal(sciprune_embedder_settings_parse(&s, spec, e), SCIPRUNE_OK);
    if (dim) s.dim = dim;
    return stage(wd, in, n, &s, 1, 0, st, e);
}

static void test_npy_import(void **state)
{
    (void)state;
    mkdir(tpath("vec"), 0777);
    write_file(tpath("n1.jsonl"), k_shard);
    write_file(tpath("n2.jsonl.zst.src"), ""); /* unused: names only */
    char code[1200];
    snprintf(code, sizeof code,
             "import numpy as np\n"
             "np.save('%s/vec/n1.jsonl.npy', np.arange(48, dtype=np.float32).reshape(6, 8) - 3.5)\n"
             "np.save('%s/vec/n2.npy', (np.arange(48).reshape(6, 8) / 7).astype(np.float16))\n",
             g_tmp, g_tmp);
    assert_int_equal(run_py(code), 0);
    write_file(tpath("n2.jsonl"), k_shard);
    const char *in[] = {tpath("n1.jsonl"), tpath("n2.jsonl")};
    sciprune_error e;
    sciprune_embed_stats st;
    assert_int_equal(npy_stage(tpath("wn"), in, 2, tpath("vec"), 0, &st, &e), SCIPRUNE_OK);
    assert_int_equal(st.dim, 8);
    assert_int_equal(st.rows[SCIPRUNE_ROW_REJECTED], 4);
    assert_int_equal(st.rows[SCIPRUNE_ROW_OK], 8);
    snprintf(code, sizeof code,
             "import numpy as np\n"
             "a = np.load('%s/wn/embed/n1.jsonl.npy'); b = np.load('%s/wn/embed/n2.jsonl.npy')\n"
             "ea = np.arange(48, dtype=np.float32).reshape(6, 8) - 3.5\n"
             "eb = (np.arange(48).reshape(6, 8) / 7).astype(np.float16).astype(np.float32)\n"
             "for e in (ea, eb): e[[1, 3]] = 0\n"
             "assert a.dtype == np.float32 and np.array_equal(a, ea)\n"
             "assert np.array_equal(b, eb)\n"
             "assert list(np.load('%s/wn/embed/n1.jsonl.status.npy')) == [0, 1, 0, 1, 0, 0]\n",
             g_tmp, g_tmp, g_tmp);
    assert_int_equal(run_py(code), 0);
}

/* Each bad file: EPARSE naming the file and both numbers; the shard gets no vectors. */
static void test_npy_mismatches(void **state)
{
    (void)state;
    mkdir(tpath("bad"), 0777);
    char code[1200];
    snprintf(code, sizeof code,
             "import numpy as np\n"
             "d = '%s/bad/'\n"
             "np.save(d + 'ok.jsonl.npy', np.zeros((6, 8), np.float32))\n"
             "np.save(d + 'f64.jsonl.npy', np.zeros((6, 8)))\n"
             "np.save(d + 'i32.jsonl.npy', np.zeros((6, 8), np.int32))\n"
             "np.save(d + 'fort.jsonl.npy', np.asfortranarray(np.zeros((6, 8), np.float32)))\n"
             "np.save(d + 'rows.jsonl.npy', np.zeros((7, 8), np.float32))\n"
             "np.save(d + 'short.jsonl.npy', np.zeros((5, 8), np.float16))\n"
             "np.save(d + 'dim.jsonl.npy', np.zeros((6, 12), np.float32))\n"
             "np.save(d + 'flat.jsonl.npy', np.zeros(6, np.float32))\n"
             "z = np.zeros((6, 8), np.float32); z[2, 5] = np.nan; np.save(d + 'nan.jsonl.npy', z)\n",
             g_tmp);
    assert_int_equal(run_py(code), 0);
    static const struct { const char *name; const char *want[3]; } cases[] = {
        {"f64", {"f64.jsonl.npy", "<f8", "float32"}},
        {"i32", {"i32.jsonl.npy", "<i4", "float16"}},
        {"fort", {"fort.jsonl.npy", "Fortran", NULL}},
        {"rows", {"rows.jsonl.npy", "7 rows", "6 lines"}},
        {"short", {"short.jsonl.npy", "5 rows", "6 lines"}},
        {"dim", {"dim.jsonl.npy", "dimension 12", "8 in"}},
        {"flat", {"flat.jsonl.npy", "1-D", NULL}},
        {"nan", {"nan.jsonl.npy", "non-finite", "line 3"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char shard[600], wd[600], out[700];
        snprintf(shard, sizeof shard, "%s/%s.jsonl", g_tmp, cases[i].name);
        write_file(shard, k_shard);
        write_file(tpath("ok.jsonl"), k_shard);
        snprintf(wd, sizeof wd, "%s/wbad-%s", g_tmp, cases[i].name);
        const char *in[] = {tpath("ok.jsonl"), shard}; /* the dimension is set by ok.jsonl.npy */
        sciprune_error e;
        sciprune_embed_stats st;
        sciprune_status r = npy_stage(wd, in, 2, tpath("bad"), 0, &st, &e);
        print_message("%s: [%s] %s: %s\n", cases[i].name, sciprune_status_name(r), e.source, e.text);
        assert_int_equal(r, SCIPRUNE_EPARSE);
        char full[1600];
        snprintf(full, sizeof full, "%s: %s", e.source, e.text);
        for (int k = 0; k < 3; k++)
            if (cases[i].want[k]) assert_non_null(strstr(full, cases[i].want[k]));
        snprintf(out, sizeof out, "%s/embed/%s.jsonl.npy", wd, cases[i].name);
        assert_false(access(out, F_OK) == 0);
    }
    /* a requested dimension that the files do not have */
    const char *in[] = {tpath("ok.jsonl")};
    sciprune_error e;
    sciprune_embed_stats st;
    assert_int_equal(npy_stage(tpath("wbad-req"), in, 1, tpath("bad"), 16, &st, &e), SCIPRUNE_EPARSE);
    assert_non_null(strstr(e.text, "dimension 8"));
    assert_non_null(strstr(e.text, "16"));
    /* a missing file */
    write_file(tpath("none.jsonl"), k_shard);
    const char *in2[] = {tpath("none.jsonl")};
    assert_int_equal(npy_stage(tpath("wbad-none"), in2, 1, tpath("bad"), 0, &st, &e), SCIPRUNE_EIO);
    assert_non_null(strstr(e.text, "none.jsonl"));
}

/* ------------------------------------------------------------------ exec */

static sciprune_status exec_stage(const char *wd, const char *const *in, size_t n, const char *args,
                                  double timeout, sciprune_embed_stats *st, sciprune_error *e)
{
    sciprune_embedder_settings s;
    sciprune_embedder_settings_default(&s);
    char spec[800];
    snprintf(spec, sizeof spec, "exec:" PY " " FAKE " %s", args);
    assert_int_equal(sciprune_embedder_settings_parse(&s, spec, e), SCIPRUNE_OK);
    s.exec_batch = 2;
    s.exec_timeout_s = timeout;
    s.exec_start_timeout_s = 10;
    return stage(wd, in, n, &s, 1, 0, st, e);
}

static void test_exec_ok(void **state)
{
    (void)state;
    write_file(tpath("x1.jsonl"), k_shard);
    const char *in[] = {tpath("x1.jsonl")};
    sciprune_error e;
    sciprune_embed_stats st;
    assert_int_equal(exec_stage(tpath("wx"), in, 1, "ok 5", 20, &st, &e), SCIPRUNE_OK);
    assert_int_equal(st.dim, 5);
    assert_string_equal(st.model, "fake-5");
    assert_int_equal(st.rows[SCIPRUNE_ROW_OK], 4);
    assert_int_equal(st.rows[SCIPRUNE_ROW_REJECTED], 2);
    char code[1200];
    snprintf(code, sizeof code,
             "import numpy as np, json\n"
             "v = np.load('%s/wx/embed/x1.jsonl.npy')\n"
             "texts = [b'def f(x):\\n    return x + 1\\n', None, b'proc foo {x} { puts $x }', None, b'', b'def g(:\\n  pass\\n']\n"
             "for i, t in enumerate(texts):\n"
             "    want = [0.0] * 5 if t is None else [len(t)] + [t.count(bytes([97 + k])) for k in range(4)]\n"
             "    assert list(v[i]) == want, (i, list(v[i]), want)\n"
             "j = json.load(open('%s/wx/embed/embedder.json'))\n"
             "assert j['exec']['model'] == 'fake-5' and j['dim'] == 5 and j['backend'] == 'exec'\n",
             g_tmp, g_tmp);
    assert_int_equal(run_py(code), 0);
    /* the same texts one at a time through the online API */
    sciprune_embedder_settings s;
    sciprune_embedder_settings_default(&s);
    assert_int_equal(sciprune_embedder_settings_parse(&s, "exec:" PY " " FAKE " ok 5", &e), SCIPRUNE_OK);
    sciprune_embedder *em;
    assert_int_equal(sciprune_embedder_open(&em, &s, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_embedder_dim(em), 5);
    assert_string_equal(sciprune_embedder_model(em), "fake-5");
    float v[5];
    for (int rep = 0; rep < 3; rep++) {
        assert_int_equal(sciprune_embedder_embed(em, NULL, "python", "abba", 4, v, 5, NULL, &e), SCIPRUNE_OK);
        assert_true(v[0] == 4 && v[1] == 2 && v[2] == 2 && v[3] == 0);
    }
    sciprune_embedder_free(em);
}

/* Every failure: EBACKEND with a telling message, and the shard is never marked complete. */
static void test_exec_failures(void **state)
{
    (void)state;
    write_file(tpath("xf.jsonl"), k_shard);
    static const struct { const char *args; const char *want; } cases[] = {
        {"crash 4 0", "exited with status 3"},
        {"crash 4 1", "during request 2"},
        {"segv 4 0", "signal 11"},
        {"hang 4 1", "timeout"},
        {"rows 4 0", "1 rows for a request of 2 texts"},
        {"dim 4 0", "dimension 5, the handshake said 4"},
        {"junk 4 0", "SPEV"},
        {"nan 4 0", "non-finite"},
        {"nohandshake", "before its handshake"},
        {"badhandshake", "not a JSON object"},
        {"closein 4", "exited with status 0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char wd[600];
        snprintf(wd, sizeof wd, "%s/wxf%zu", g_tmp, i);
        const char *in[] = {tpath("xf.jsonl")};
        sciprune_error e;
        sciprune_embed_stats st;
        sciprune_status r = exec_stage(wd, in, 1, cases[i].args, 1.0, &st, &e);
        print_message("%-14s [%s] %s\n", cases[i].args, sciprune_status_name(r), e.text);
        assert_int_equal(r, SCIPRUNE_EBACKEND);
        assert_non_null(strstr(e.text, cases[i].want));
        char out[700];
        snprintf(out, sizeof out, "%s/embed/xf.jsonl.npy", wd);
        assert_false(access(out, F_OK) == 0);
    }
    /* the crash left the last stderr line in the message */
    sciprune_error e;
    sciprune_embed_stats st;
    const char *in[] = {tpath("xf.jsonl")};
    assert_int_equal(exec_stage(tpath("wxf-msg"), in, 1, "crash 4 0", 5, &st, &e), SCIPRUNE_EBACKEND);
    assert_non_null(strstr(e.text, "fake: boom"));
}

/* A child that stops reading while we write a large request: EPIPE, not a SIGPIPE death of
 * this (test) process, whose SIGPIPE disposition is the default. */
static void test_exec_sigpipe(void **state)
{
    (void)state;
    size_t n = 600000;
    char *big = malloc(n + 200);
    strcpy(big, "{\"id\":\"big\",\"lang\":\"python\",\"content\":\"");
    size_t o = strlen(big);
    memset(big + o, 'a', n);
    strcpy(big + o + n, "\"}\n");
    write_file(tpath("big.jsonl"), big);
    free(big);
    const char *in[] = {tpath("big.jsonl")};
    sciprune_error e;
    sciprune_embed_stats st;
    assert_int_equal(exec_stage(tpath("wpipe"), in, 1, "closein 4", 5, &st, &e), SCIPRUNE_EBACKEND);
    assert_false(access(tpath("wpipe/embed/big.jsonl.npy"), F_OK) == 0);
}

/* A failure in the second shard leaves the first complete; a rerun with the same command
 * (now behaving) resumes with the second. */
static void test_exec_resume_after_failure(void **state)
{
    (void)state;
    write_file(tpath("e1.jsonl"), k_shard);
    write_file(tpath("e2.jsonl"), k_shard);
    write_file(tpath("mode"), "crash 4 2\n"); /* two requests answered: shard 1 (4 texts) */
    const char *in[] = {tpath("e1.jsonl"), tpath("e2.jsonl")};
    char args[600];
    snprintf(args, sizeof args, "file:%s", tpath("mode"));
    sciprune_error e;
    sciprune_embed_stats st;
    assert_int_equal(exec_stage(tpath("we"), in, 2, args, 5, &st, &e), SCIPRUNE_EBACKEND);
    assert_true(access(tpath("we/embed/e1.jsonl.npy"), F_OK) == 0);
    assert_false(access(tpath("we/embed/e2.jsonl.npy"), F_OK) == 0);
    write_file(tpath("mode"), "ok 4\n");
    assert_int_equal(exec_stage(tpath("we"), in, 2, args, 5, &st, &e), SCIPRUNE_OK);
    assert_int_equal(st.shards_skipped, 1);
    assert_int_equal(st.shards_done, 1);
    /* a process announcing another model under the same command is refused */
    write_file(tpath("mode"), "ok 6\n");
    unlink(tpath("we/embed/e2.jsonl.npy"));
    assert_int_equal(exec_stage(tpath("we"), in, 2, args, 5, &st, &e), SCIPRUNE_EBACKEND);
    assert_non_null(strstr(e.text, "dimension 6, want 4"));
}

/* ------------------------------------------------------------------ site detectors */

static const char *const k_words[] = {"alpha", "beta", "gamma", "delta", "omega", "kappa",
                                      "sigma", "theta", "lambda_", "zeta", "rho", "tau"};

/* A planted Python file: the same idioms with names varied by k. */
static void planted(char *buf, size_t cap, int k)
{
    const char *w = k_words[k % 12], *v = k_words[(k / 12 + 3) % 12];
    snprintf(buf, cap,
             "def count_%s_%d(items, limit):\n"
             "    total = 0\n"
             "    for i in range(0, len(items)):\n"
             "        if total < limit:\n"
             "            total = total + items[i]\n"
             "    return total\n"
             "\n"
             "def copy_%s_%d(src, dst):\n"
             "    shutil_copy(src, dst)\n"
             "    return dst\n"
             "\n"
             "def run_%s_%d(src_path, dst_path):\n"
             "    data = load_%s()\n"
             "    copy_%s_%d(src_path, dst_path)\n"
             "    return count_%s_%d(data, 10)\n",
             w, k, w, k, v, k, v, w, k, w, k);
}

/* A shard of n planted records (JSON-escaped newlines). */
static void write_planted_shard(const char *path, int n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    char t[2048];
    for (int k = 0; k < n; k++) {
        planted(t, sizeof t, k);
        fprintf(f, "{\"id\":\"p%d\",\"lang\":\"python\",\"path\":\"x/p%d.py\",\"content\":\"", k, k);
        for (const char *c = t; *c; c++) {
            if (*c == '\n') fputs("\\n", f);
            else fputc(*c, f);
        }
        fputs("\"}\n", f);
    }
    fclose(f);
}

static void sites_settings(sciprune_embedder_settings *s)
{
    sciprune_embedder_settings_default(s);
    s->dim = 64;
    s->features = SCIPRUNE_FEAT_ALL | SCIPRUNE_FEAT_SITES;
    s->idf_sample = 1.0;
}

/* Detectors trained on a planted corpus score each corruption of an unseen planted file above
 * the clean file, for every site type; the clean file stays low. */
static void test_sites_planted_separates(void **state)
{
    (void)state;
    write_planted_shard(tpath("planted.jsonl"), 96);
    const char *in[] = {tpath("planted.jsonl")};
    sciprune_embedder_settings s;
    sites_settings(&s);
    sciprune_error e;
    sciprune_embed_stats st;
    assert_int_equal(stage(tpath("wsites"), in, 1, &s, 1, 0, &st, &e), SCIPRUNE_OK);
    char ed[600];
    snprintf(ed, sizeof ed, "%s/embed", tpath("wsites"));
    sciprune_embedder *em;
    assert_int_equal(sciprune_embedder_load(&em, ed, &e), SCIPRUNE_OK);
    sciprune_corruptor *c;
    assert_int_equal(sciprune_corruptor_new(&c, NULL, &e), SCIPRUNE_OK);
    sciprune_parser *p;
    assert_int_equal(sciprune_parser_new(&p, &e), SCIPRUNE_OK);
    static const char *const types[] = {"swap-operator", "swap-args", "off-by-one", "negate-if",
                                        "drop-return-value"};
    int made = 0;
    for (int k = 200; k < 206; k++) { /* names never seen in training */
        char t[2048];
        planted(t, sizeof t, k);
        float clean = -1;
        assert_int_equal(sciprune_embedder_sites(em, p, "python", t, strlen(t), &clean, &e), SCIPRUNE_OK);
        assert_true(clean >= 0 && clean < 0.5f);
        for (size_t ty = 0; ty < 5; ty++) {
            sciprune_corrupt_result r;
            assert_int_equal(sciprune_corrupt_apply(c, p, "python", types[ty], (uint64_t)k, t, strlen(t), &r, &e), SCIPRUNE_OK);
            if (r.outcome == SCIPRUNE_CORRUPT_MADE) {
                float bad = -1;
                assert_int_equal(sciprune_embedder_sites(em, p, "python", r.text, r.text_len, &bad, &e), SCIPRUNE_OK);
                if (!(bad > clean + 0.2f))
                    fail_msg("%s (k %d): corrupted %.3f, clean %.3f\n%s", types[ty], k, bad, clean, r.text);
                made++;
            }
            sciprune_corrupt_result_clear(&r);
        }
    }
    assert_true(made >= 25);
    /* the stage's row of a record equals the one-text API on the same text */
    char t0[2048];
    planted(t0, sizeof t0, 0);
    float one;
    assert_int_equal(sciprune_embedder_sites(em, p, "python", t0, strlen(t0), &one, &e), SCIPRUNE_OK);
    char code[3000];
    snprintf(code, sizeof code,
             "import numpy as np\n"
             "a = np.load('%s/planted.jsonl.sites.npy'); w = np.load('%s/sites.npy')\n"
             "assert a.dtype == np.float32 and a.shape == (96,), (a.dtype, a.shape)\n"
             "assert w.dtype == np.float32 and w.shape == (1 << 20,) and np.count_nonzero(w) > 100\n"
             "assert abs(float(a[0]) - %.9g) < 1e-6, (a[0], %.9g)\n",
             ed, ed, (double)one, (double)one);
    assert_int_equal(run_py(code), 0);
    sciprune_parser_free(p);
    sciprune_corruptor_free(c);
    sciprune_embedder_free(em);
}

/* The detectors and every record's score are the same bytes on 1, 2 and 3 threads. */
static void test_sites_threads_deterministic(void **state)
{
    (void)state;
    write_planted_shard(tpath("pt.jsonl"), 70);
    const char *in[] = {tpath("pt.jsonl")};
    sciprune_embedder_settings s;
    sites_settings(&s);
    char *model[3], *rows[3];
    size_t ml[3], rl[3];
    for (int t = 0; t < 3; t++) {
        char wd[64];
        snprintf(wd, sizeof wd, "wt%d", t + 1);
        sciprune_error e;
        sciprune_embed_stats st;
        assert_int_equal(stage(tpath(wd), in, 1, &s, t + 1, 0, &st, &e), SCIPRUNE_OK);
        char path[700];
        snprintf(path, sizeof path, "%s/embed/sites.npy", tpath(wd));
        model[t] = read_all(path, &ml[t]);
        snprintf(path, sizeof path, "%s/embed/pt.jsonl.sites.npy", tpath(wd));
        rows[t] = read_all(path, &rl[t]);
        assert_non_null(model[t]);
        assert_non_null(rows[t]);
    }
    for (int t = 1; t < 3; t++) {
        assert_true(ml[t] == ml[0] && memcmp(model[t], model[0], ml[0]) == 0);
        assert_true(rl[t] == rl[0] && memcmp(rows[t], rows[0], rl[0]) == 0);
    }
    /* a rerun keeps the spec; a lost scores file is made again with the saved detectors */
    sciprune_error e;
    sciprune_embed_stats st;
    assert_int_equal(stage(tpath("wt1"), in, 1, &s, 1, 0, &st, &e), SCIPRUNE_OK);
    assert_int_equal(st.shards_skipped, 1);
    char path[700];
    snprintf(path, sizeof path, "%s/embed/pt.jsonl.sites.npy", tpath("wt1"));
    assert_int_equal(unlink(path), 0);
    assert_int_equal(stage(tpath("wt1"), in, 1, &s, 2, 0, &st, &e), SCIPRUNE_OK);
    assert_int_equal(st.shards_done, 1);
    size_t l2;
    char *again = read_all(path, &l2);
    assert_non_null(again);
    assert_true(l2 == rl[0] && memcmp(again, rows[0], l2) == 0);
    free(again);
    for (int t = 0; t < 3; t++) {
        free(model[t]);
        free(rows[t]);
    }
}

/* The site detectors train on the n-gram model's sample only, even when the idf sample is too
 * small and the idf widens to every record (analyze's semantic section leaves exactly that
 * sample out of its test): the same model from the whole corpus as from its sampled records
 * alone, and a different one when every record is sampled. */
static void test_sites_train_on_sample_only(void **state)
{
    (void)state;
    write_planted_shard(tpath("samp_all.jsonl"), 120);
    const char *in[] = {tpath("samp_all.jsonl")};
    sciprune_embedder_settings s;
    sites_settings(&s);
    s.idf_sample = 0.3; /* ~36 sampled records < idf_min_docs: the idf widens to all 120 */
    sciprune_error e;
    sciprune_embed_stats st;
    assert_int_equal(stage(tpath("wsamp_all"), in, 1, &s, 2, 0, &st, &e), SCIPRUNE_OK);
    char ed[600];
    snprintf(ed, sizeof ed, "%s/embed", tpath("wsamp_all"));
    sciprune_embedder *em;
    assert_int_equal(sciprune_embedder_load(&em, ed, &e), SCIPRUNE_OK);
    /* the sampled records alone, as they are in the shard */
    FILE *f = fopen(tpath("samp_all.jsonl"), "r"), *g = fopen(tpath("samp_only.jsonl"), "w");
    assert_non_null(f);
    assert_non_null(g);
    char line[8192];
    int kept = 0, total = 0;
    while (fgets(line, sizeof line, f)) {
        char id[32];
        assert_int_equal(sscanf(line, "{\"id\":\"%31[^\"]\"", id), 1);
        total++;
        if (sciprune_embedder_naturalness_sampled(em, id)) {
            fputs(line, g);
            kept++;
        }
    }
    fclose(f);
    fclose(g);
    sciprune_embedder_free(em);
    assert_int_equal(total, 120);
    assert_true(kept >= 15 && kept <= 60);
    const char *in2[] = {tpath("samp_only.jsonl")};
    assert_int_equal(stage(tpath("wsamp_only"), in2, 1, &s, 1, 0, &st, &e), SCIPRUNE_OK);
    s.idf_sample = 1.0; /* every record trains */
    assert_int_equal(stage(tpath("wsamp_every"), in, 1, &s, 1, 0, &st, &e), SCIPRUNE_OK);
    char path[700];
    size_t la, lb, lc;
    snprintf(path, sizeof path, "%s/embed/sites.npy", tpath("wsamp_all"));
    char *a = read_all(path, &la);
    snprintf(path, sizeof path, "%s/embed/sites.npy", tpath("wsamp_only"));
    char *b = read_all(path, &lb);
    snprintf(path, sizeof path, "%s/embed/sites.npy", tpath("wsamp_every"));
    char *c = read_all(path, &lc);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_true(la == lb && memcmp(a, b, la) == 0);
    assert_true(la == lc && memcmp(a, c, la) != 0);
    free(a);
    free(b);
    free(c);
}

/* ------------------------------------------------------------------ the fit over ranks */

/* Ranks as threads of one process: a sum reduce through a mutex and a barrier. */
typedef struct fake_comm {
    pthread_mutex_t mu;
    pthread_barrier_t bar;
    int64_t acc[1 << 17];
    int calls;
} fake_comm;

static int fake_sum(void *user, int64_t *v, int n)
{
    fake_comm *c = user;
    if (n < 1 || n > (1 << 17)) return -1;
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < n; i++) c->acc[i] += v[i];
    pthread_mutex_unlock(&c->mu);
    pthread_barrier_wait(&c->bar);
    memcpy(v, c->acc, (size_t)n * sizeof *v);
    if (pthread_barrier_wait(&c->bar) == PTHREAD_BARRIER_SERIAL_THREAD) {
        memset(c->acc, 0, (size_t)n * sizeof *v);
        c->calls++;
    }
    pthread_barrier_wait(&c->bar);
    return 0;
}

typedef struct fit_rank {
    sciprune_ranks rk;
    const char *wd;
    const char *const *in;
    size_t n;
    const sciprune_embedder_settings *s;
    sciprune_status st;
    sciprune_error e;
} fit_rank;

static void *fit_rank_main(void *p)
{
    fit_rank *r = p;
    sciprune_embed_options o;
    sciprune_embed_options_default(&o);
    o.threads = 1;
    o.spec_only = 1;
    o.ranks = &r->rk;
    r->st = sciprune_embed_shards(r->wd, r->in, r->n, r->s, &o, NULL, &r->e);
    return NULL;
}

/* A planted shard of records k0 .. k1-1 (ids by k: records shared by two shards are the
 * same text under the same id, as a corpus with copies has). */
static void write_planted_range(const char *path, int k0, int k1)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    char t[2048];
    for (int k = k0; k < k1; k++) {
        planted(t, sizeof t, k);
        fprintf(f, "{\"id\":\"p%d\",\"lang\":\"python\",\"path\":\"x/p%d.py\",\"content\":\"", k, k);
        for (const char *c = t; *c; c++) {
            if (*c == '\n') fputs("\\n", f);
            else fputc(*c, f);
        }
        fputs("\"}\n", f);
    }
    fclose(f);
}

/* The spec (idf, n-gram counts, site detectors) fitted over 2 and 3 ranks, each counting its
 * shards and the counts summed, the examples gathered: the bytes of one process's fit; the
 * parts are removed. Shards overlap (copies of records), the sample is partial and below
 * idf_min_docs (the second count attempt, decided on the summed record count). */
static void test_stage_fit_split_same_bytes(void **state)
{
    (void)state;
    write_planted_range(tpath("fa.jsonl"), 0, 40);
    write_planted_range(tpath("fb.jsonl"), 20, 60);
    write_planted_range(tpath("fc.jsonl"), 50, 90);
    write_planted_range(tpath("fd.jsonl"), 90, 100);
    const char *in[] = {tpath("fa.jsonl"), tpath("fb.jsonl"), tpath("fc.jsonl"), tpath("fd.jsonl")};
    sciprune_embedder_settings s;
    sites_settings(&s);
    s.features |= SCIPRUNE_FEAT_NATURALNESS; /* the n-gram counts too */
    s.idf_sample = 0.5; /* about 60 of 120 records: below idf_min_docs, so every record */
    const char *files[] = {"embedder.json", "idf.npy", "ngram.npy", "sites.npy"};
    char *ref[4];
    size_t rl[4];
    sciprune_error e;
    sciprune_embed_options o;
    sciprune_embed_options_default(&o);
    o.threads = 2;
    o.spec_only = 1;
    assert_int_equal(sciprune_embed_shards(tpath("fs1"), in, 4, &s, &o, NULL, &e), SCIPRUNE_OK);
    for (int f = 0; f < 4; f++) {
        char p[700];
        snprintf(p, sizeof p, "%s/embed/%s", tpath("fs1"), files[f]);
        ref[f] = read_all(p, &rl[f]);
        if (!ref[f]) fail_msg("one process: no %s", files[f]);
    }
    for (int N = 2; N <= 3; N++) {
        char wd[64];
        snprintf(wd, sizeof wd, "fs%d", N);
        static fake_comm comm;
        memset(&comm, 0, sizeof comm);
        pthread_mutex_init(&comm.mu, NULL);
        pthread_barrier_init(&comm.bar, NULL, (unsigned)N);
        fit_rank r[3];
        pthread_t th[3];
        const char *w = tpath(wd);
        for (int k = 0; k < N; k++) {
            memset(&r[k], 0, sizeof r[k]);
            r[k].rk.rank = k;
            r[k].rk.size = N;
            r[k].rk.reduce_sum = fake_sum;
            r[k].rk.user = &comm;
            r[k].wd = w;
            r[k].in = in;
            r[k].n = 4;
            r[k].s = &s;
            assert_int_equal(pthread_create(&th[k], NULL, fit_rank_main, &r[k]), 0);
        }
        for (int k = 0; k < N; k++) pthread_join(th[k], NULL);
        for (int k = 0; k < N; k++)
            if (r[k].st) fail_msg("N %d rank %d: %s", N, k, r[k].e.text);
        /* 1 (rank 0's checks) + 2 (attempts) + 8 (idf, 2^20 in 2^17) + 32 (n-grams) + 1 (sites) */
        assert_int_equal(comm.calls, 44);
        pthread_barrier_destroy(&comm.bar);
        pthread_mutex_destroy(&comm.mu);
        for (int f = 0; f < 4; f++) {
            char p[700];
            snprintf(p, sizeof p, "%s/embed/%s", w, files[f]);
            size_t l;
            char *b = read_all(p, &l);
            if (!b || l != rl[f] || memcmp(b, ref[f], l)) fail_msg("N %d: %s differs from one process's", N, files[f]);
            free(b);
        }
        char pd[700];
        snprintf(pd, sizeof pd, "%s/parts/embed", w);
        assert_int_not_equal(access(pd, F_OK), 0);
    }
    for (int f = 0; f < 4; f++) free(ref[f]);
    /* an input that cannot be read (a folder): rank 0 fails in its checks and says why, rank 1
     * returns OK without a spec (the caller's status reduce names rank 0), nobody waits */
    assert_int_equal(mkdir(tpath("bad.jsonl"), 0755), 0);
    const char *in2[] = {tpath("fa.jsonl"), tpath("bad.jsonl")};
    static fake_comm comm;
    memset(&comm, 0, sizeof comm);
    pthread_mutex_init(&comm.mu, NULL);
    pthread_barrier_init(&comm.bar, NULL, 2);
    fit_rank r[2];
    pthread_t th[2];
    for (int k = 0; k < 2; k++) {
        memset(&r[k], 0, sizeof r[k]);
        r[k].rk.rank = k;
        r[k].rk.size = 2;
        r[k].rk.reduce_sum = fake_sum;
        r[k].rk.user = &comm;
        r[k].wd = tpath("fsbad");
        r[k].in = in2;
        r[k].n = 2;
        r[k].s = &s;
        assert_int_equal(pthread_create(&th[k], NULL, fit_rank_main, &r[k]), 0);
    }
    for (int k = 0; k < 2; k++) pthread_join(th[k], NULL);
    pthread_barrier_destroy(&comm.bar);
    pthread_mutex_destroy(&comm.mu);
    if (r[0].st == SCIPRUNE_OK || r[1].st != SCIPRUNE_OK)
        fail_msg("rank 0: %s (%s), rank 1: %s", sciprune_status_name(r[0].st), r[0].e.text,
                 sciprune_status_name(r[1].st));
    assert_non_null(strstr(r[0].e.source, "bad.jsonl"));
    char sp[700];
    snprintf(sp, sizeof sp, "%s/embed/embedder.json", tpath("fsbad"));
    assert_int_not_equal(access(sp, F_OK), 0);
}

/* Duplicated files do not change the detectors with the thread count: 200 copies of one file
 * of 100 `+` sites (200 distinct training pairs of swap-operator, 40000 offers: more than a
 * worker's heap holds) train the same model on 1 and 2 threads. Before each heap held a
 * (key, label) once, one worker's heap filled with copies of the same smallest examples while
 * two workers' heaps kept more distinct ones (checked: main's sciprune gave different
 * sites.npy on 1 and 2 threads for this corpus). */
static void test_sites_duplicates_thread_independent(void **state)
{
    (void)state;
    FILE *f = fopen(tpath("dup.jsonl"), "w");
    assert_non_null(f);
    for (int k = 0; k < 200; k++) {
        fprintf(f, "{\"id\":\"d%d\",\"lang\":\"python\",\"path\":\"x/d%d.py\",\"content\":\"", k, k);
        for (int i = 0; i < 100; i++) fprintf(f, "v%d = a%d + b%d\\n", i, i % 37, i % 41);
        fputs("\"}\n", f);
    }
    fclose(f);
    const char *in[] = {tpath("dup.jsonl")};
    sciprune_embedder_settings s;
    sites_settings(&s);
    char *model[2];
    size_t ml[2];
    for (int t = 0; t < 2; t++) {
        char wd[64];
        snprintf(wd, sizeof wd, "wdup%d", t + 1);
        sciprune_error e;
        sciprune_embed_stats st;
        assert_int_equal(stage(tpath(wd), in, 1, &s, t + 1, 0, &st, &e), SCIPRUNE_OK);
        char path[700];
        snprintf(path, sizeof path, "%s/embed/sites.npy", tpath(wd));
        model[t] = read_all(path, &ml[t]);
        assert_non_null(model[t]);
    }
    assert_true(ml[1] == ml[0] && memcmp(model[1], model[0], ml[0]) == 0);
    free(model[0]);
    free(model[1]);
}

/* Every signal on one parse: the hash walk, the gates, the site detectors and the n-gram
 * counts are four visitors of one tree-sitter walk (embed/hash.c extract()). A visitor array
 * of 3 slots once overflowed into the next stack slots with all of them on and made NaN
 * vectors: embed "all,sites" with the gates, then every float the stage wrote (vectors,
 * naturalness, sites) is finite and the same bytes on 1 and 3 threads. */
static void test_stage_all_signals_with_gates_finite(void **state)
{
    (void)state;
    write_planted_shard(tpath("allsig.jsonl"), 60);
    const char *in[] = {tpath("allsig.jsonl")};
    sciprune_embedder_settings s;
    sites_settings(&s);
    s.features |= SCIPRUNE_FEAT_NATURALNESS; /* with the site detectors only when listed */
    sciprune_gates_settings gs;
    sciprune_gates_settings_default(&gs);
    for (int t = 0; t < 2; t++) {
        sciprune_embed_options o;
        sciprune_embed_options_default(&o);
        o.threads = t ? 3 : 1;
        o.gates = &gs;
        sciprune_error e;
        sciprune_embed_stats st;
        sciprune_status rc = sciprune_embed_shards(tpath(t ? "allsig3" : "allsig1"), in, 1, &s, &o, &st, &e);
        if (rc) fail_msg("embed: %s %s", e.source, e.text);
        assert_int_equal(st.lines, 60);
    }
    char code[2000];
    snprintf(code, sizeof code,
             "import glob, os, numpy as np\n"
             "a, b = '%s', '%s'\n"
             "fs = sorted(os.path.basename(f) for f in glob.glob(a + '/embed/allsig.jsonl*.npy'))\n"
             "need = {'allsig.jsonl.npy', 'allsig.jsonl.naturalness.npy', 'allsig.jsonl.sites.npy'}\n"
             "assert need <= set(fs), fs\n"
             "assert glob.glob(a + '/gates/allsig.jsonl.*.npy'), 'no gates'\n"
             "for f in fs:\n"
             "    x = np.load(a + '/embed/' + f)\n"
             "    if x.dtype.kind == 'f':\n"
             "        assert np.isfinite(x.astype(np.float64)).all(), f\n"
             "    assert open(a + '/embed/' + f, 'rb').read() == open(b + '/embed/' + f, 'rb').read(), f\n"
             "v = np.load(a + '/embed/allsig.jsonl.npy').astype(np.float64)\n"
             "assert v.shape[0] == 60 and (np.abs(np.linalg.norm(v, axis=1) - 1) < 1e-3).all()\n"
             "for f in glob.glob(a + '/gates/allsig.jsonl.*.npy'):\n"
             "    g = os.path.basename(f)\n"
             "    assert open(f, 'rb').read() == open(b + '/gates/' + g, 'rb').read(), g\n",
             tpath("allsig1"), tpath("allsig3"));
    assert_int_equal(run_py(code), 0);
}

/* The naturalness model rides with the site detectors only when the features list it
 * ("all,sites" leaves it out, "all,sites,naturalness" keeps it): without it no ngram.npy and no
 * naturalness signal, and the vectors, the site detectors and their signal are the same bytes
 * either way; without "sites" it is on whether listed or not. */
static void test_naturalness_with_sites_only_when_listed(void **state)
{
    (void)state;
    uint32_t b = 0;
    sciprune_error e;
    assert_int_equal(sciprune_embed_features_parse("all,sites,naturalness", &b, &e), SCIPRUNE_OK);
    assert_int_equal(b, SCIPRUNE_FEAT_ALL | SCIPRUNE_FEAT_SITES | SCIPRUNE_FEAT_NATURALNESS);
    write_planted_shard(tpath("natsw.jsonl"), 60);
    const char *in[] = {tpath("natsw.jsonl")};
    static const char *const wd[3] = {"natsw_off", "natsw_on", "natsw_plain"};
    for (int k = 0; k < 3; k++) {
        sciprune_embedder_settings s;
        sites_settings(&s);
        if (k == 1) s.features |= SCIPRUNE_FEAT_NATURALNESS;
        if (k == 2) s.features = SCIPRUNE_FEAT_ALL;
        sciprune_embed_stats st;
        if (stage(tpath(wd[k]), in, 1, &s, 1, 0, &st, &e)) fail_msg("embed %s: %s", wd[k], e.text);
    }
    char code[2400];
    snprintf(code, sizeof code,
             "import os\n"
             "off, on, plain = '%s/embed', '%s/embed', '%s/embed'\n"
             "ex = lambda d, f: os.path.exists(os.path.join(d, f))\n"
             "assert not ex(off, 'ngram.npy') and not ex(off, 'natsw.jsonl.naturalness.npy'), os.listdir(off)\n"
             "assert ex(on, 'ngram.npy') and ex(on, 'natsw.jsonl.naturalness.npy'), os.listdir(on)\n"
             "assert ex(plain, 'ngram.npy') and ex(plain, 'natsw.jsonl.naturalness.npy'), os.listdir(plain)\n"
             "for f in ('natsw.jsonl.npy', 'natsw.jsonl.sites.npy', 'sites.npy', 'idf.npy', 'natsw.jsonl.status.npy'):\n"
             "    assert open(os.path.join(off, f), 'rb').read() == open(os.path.join(on, f), 'rb').read(), f\n"
             "import json\n"
             "assert 'naturalness' in json.dumps(json.load(open(os.path.join(on, 'embedder.json'))))\n"
             "assert 'naturalness' not in json.dumps(json.load(open(os.path.join(off, 'embedder.json'))))\n",
             tpath("natsw_off"), tpath("natsw_on"), tpath("natsw_plain"));
    assert_int_equal(run_py(code), 0);
    /* the spec differs: a workdir made without it is not resumed with it */
    sciprune_embedder_settings s;
    sites_settings(&s);
    s.features |= SCIPRUNE_FEAT_NATURALNESS;
    sciprune_embed_stats st;
    assert_int_equal(stage(tpath("natsw_off"), in, 1, &s, 1, 0, &st, &e), SCIPRUNE_ESTATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settings_parse),
        cmocka_unit_test(test_hash_identifier_subtokens),
        cmocka_unit_test(test_hash_literal_classes),
        cmocka_unit_test(test_hash_rows_and_norm),
        cmocka_unit_test(test_hash_drop_structure_on_error),
        cmocka_unit_test(test_hash_quality_real_files),
        cmocka_unit_test(test_stage_numpy_roundtrip),
        cmocka_unit_test(test_stage_fit_split_same_bytes),
        cmocka_unit_test(test_stage_resume_and_refuse),
        cmocka_unit_test(test_stage_edge_cases),
        cmocka_unit_test(test_npy_import),
        cmocka_unit_test(test_npy_mismatches),
        cmocka_unit_test(test_exec_ok),
        cmocka_unit_test(test_exec_failures),
        cmocka_unit_test(test_ngram_probabilities_by_hand),
        cmocka_unit_test(test_ngram_stage_deterministic_and_flags_flip),
        cmocka_unit_test(test_ngram_one_walk_matches_own_walk),
        cmocka_unit_test(test_sites_subtrees_match_whole_tree),
        cmocka_unit_test(test_exec_sigpipe),
        cmocka_unit_test(test_exec_resume_after_failure),
        cmocka_unit_test(test_sites_planted_separates),
        cmocka_unit_test(test_sites_threads_deterministic),
        cmocka_unit_test(test_sites_train_on_sample_only),
        cmocka_unit_test(test_sites_duplicates_thread_independent),
        cmocka_unit_test(test_stage_all_signals_with_gates_finite),
        cmocka_unit_test(test_naturalness_with_sites_only_when_listed),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
