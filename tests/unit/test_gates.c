/* test_gates.c - quality gates: golden cases for parse_error / undefined_name, the public
 * scoring call, and the gates stage (files, accounting, thread-count independence). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sciprune.h"

#define CASES SCIPRUNE_TEST_DATA "/cases/gates"

static sciprune_parser *g_p;

static int setup(void **state)
{
    (void)state;
    sciprune_error e;
    return sciprune_parser_new(&g_p, &e) == SCIPRUNE_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sciprune_parser_free(g_p);
    return 0;
}

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

/* The file in dir named input.<ext>. */
static int find_input(const char *dir, char *out, size_t cap)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *e;
    int found = -1;
    while ((e = readdir(d)) != NULL)
        if (!strncmp(e->d_name, "input.", 6)) {
            int k = snprintf(out, cap, "%s/%s", dir, e->d_name);
            found = k > 0 && (size_t)k < cap ? 0 : -1;
            break;
        }
    closedir(d);
    return found;
}

/* ------------------------------------------------------------------ golden cases
 * tests/cases/gates/<lang>-<name>/{input.<ext>, expected}; the language is the folder name up
 * to the first '-'; `expected` holds key=value lines, each checked when present:
 * parse_errors, parse_errors_min, error_share (0 or >0), undefined_names, abstained, reason,
 * names, indent_errors, indent_line, indent_error (python: CPython's message, checked against
 * compile() when the cases were written). Two keys are inputs, not checks: path (the record's
 * path) and js_envs (the setting). Also early_errors, early_line (javascript redeclarations),
 * syntax_reason, syntax_suspects (c, cpp: the C syntax check, gates/csyntax.c). */
static int check_case(const char *name, const char *lang, const sciprune_gate_scores *g,
                      char *want)
{
    int bad = 0;
    for (char *line = strtok(want, "\n"); line; line = strtok(NULL, "\n")) {
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = '\0';
        const char *k = line, *v = eq + 1;
        long iv = strtol(v, NULL, 10);
        int ok = 1;
        char got[300];
        got[0] = '\0';
        if (!strcmp(k, "parse_errors")) ok = (long)g->parse_errors == iv, snprintf(got, sizeof got, "%u", g->parse_errors);
        else if (!strcmp(k, "parse_errors_min")) ok = (long)g->parse_errors >= iv, snprintf(got, sizeof got, "%u", g->parse_errors);
        else if (!strcmp(k, "error_share")) ok = iv ? g->parse_error_share > 0 : g->parse_error_share == 0, snprintf(got, sizeof got, "%g", g->parse_error_share);
        else if (!strcmp(k, "undefined_names")) ok = (long)g->undefined_names == iv, snprintf(got, sizeof got, "%u", g->undefined_names);
        else if (!strcmp(k, "abstained")) ok = g->undefined_abstained == iv, snprintf(got, sizeof got, "%d", g->undefined_abstained);
        else if (!strcmp(k, "reason")) ok = !strcmp(g->abstain_reason, v), snprintf(got, sizeof got, "%s", g->abstain_reason);
        else if (!strcmp(k, "names")) ok = !strcmp(g->names, v), snprintf(got, sizeof got, "%s", g->names);
        else if (!strcmp(k, "path") || !strcmp(k, "js_envs")) continue;
        else if (!strcmp(k, "early_errors")) ok = (long)g->early_errors == iv, snprintf(got, sizeof got, "%u", g->early_errors);
        else if (!strcmp(k, "early_line")) ok = (long)g->early_line == iv, snprintf(got, sizeof got, "%u", g->early_line);
        else if (!strcmp(k, "indent_errors")) ok = (long)g->indent_errors == iv, snprintf(got, sizeof got, "%u", g->indent_errors);
        else if (!strcmp(k, "indent_line")) ok = (long)g->indent_line == iv, snprintf(got, sizeof got, "%u", g->indent_line);
        else if (!strcmp(k, "indent_error")) ok = !strcmp(g->indent_error, v), snprintf(got, sizeof got, "%s", g->indent_error);
        else if (!strcmp(k, "syntax_reason")) ok = !strcmp(g->syntax_reason, v), snprintf(got, sizeof got, "%s", g->syntax_reason);
        else if (!strcmp(k, "syntax_suspects")) ok = (long)g->syntax_suspects == iv, snprintf(got, sizeof got, "%u", g->syntax_suspects);
        else ok = 0, snprintf(got, sizeof got, "unknown key");
        if (!ok) {
            fprintf(stderr, "golden case %s (%s): %s: want '%s', got '%s'\n", name, lang, k, v, got);
            bad = 1;
        }
    }
    return bad;
}

static void test_golden_cases_replay(void **state)
{
    (void)state;
    DIR *d = opendir(CASES);
    assert_non_null(d);
    struct dirent *e;
    int n = 0, failed = 0, py = 0, js = 0, abst = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char dir[4096], in[4200], exp[4200], lang[64];
        snprintf(dir, sizeof dir, "%s/%s", CASES, e->d_name);
        struct stat st;
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        const char *dash = strchr(e->d_name, '-');
        assert_non_null(dash);
        snprintf(lang, sizeof lang, "%.*s", (int)(dash - e->d_name), e->d_name);
        assert_int_equal(find_input(dir, in, sizeof in), 0);
        snprintf(exp, sizeof exp, "%s/expected", dir);
        size_t il;
        char *src = slurp(in, &il), *want = slurp(exp, NULL);
        assert_non_null(src);
        assert_non_null(want);
        sciprune_gate_scores g;
        sciprune_error err;
        char path[512] = "", envs[256] = "";
        const char *kv;
        if ((kv = strstr(want, "path=")) && (kv == want || kv[-1] == '\n'))
            sscanf(kv + 5, "%511[^\n]", path);
        if ((kv = strstr(want, "js_envs=")) && (kv == want || kv[-1] == '\n'))
            sscanf(kv + 8, "%255[^\n]", envs);
        sciprune_gates_settings gs;
        sciprune_gates_settings_default(&gs);
        gs.js_envs = envs;
        assert_int_equal(sciprune_gate_score_file(g_p, lang, path[0] ? path : NULL, src, il, &gs,
                                                  &g, &err),
                         SCIPRUNE_OK);
        failed += check_case(e->d_name, lang, &g, want);
        py += !strcmp(lang, "python");
        js += !strcmp(lang, "javascript") || !strcmp(lang, "typescript");
        abst += strstr(e->d_name, "abstain") != NULL;
        free(src);
        free(want);
        n++;
    }
    closedir(d);
    assert_int_equal(failed, 0);
    assert_true(py >= 10 && js >= 5 && abst >= 5);
}


/* ------------------------------------------------------------------ the C syntax check */
static uint32_t c_errors(const char *lang, const char *src, size_t n)
{
    sciprune_gate_scores g;
    sciprune_error e;
    assert_int_equal(sciprune_gate_score(g_p, lang, src, n, &g, &e), SCIPRUNE_OK);
    return g.parse_errors;
}

/* The raw tree-sitter count would flag every one of these; the C check must not. */
static void test_csyntax_macros_and_preprocessor_not_flagged(void **state)
{
    (void)state;
    static const char *const clean[] = {
        "#define BEGIN {\n#define END }\nint f(void)\nBEGIN\n  return 1;\nEND\n",
        "#ifdef __cplusplus\nextern \"C\" {\n#endif\nint f(void);\n",          /* header half */
        "int f(int a) {\n#if A\n  if (a) {\n#else\n  if (!a) {\n#endif\n    a++;\n  }\n  return a;\n}\n",
        "#if 0\nit's { junk ( here\n#endif\nint x;\n",
        "#define S \"a/*b\"\nconst char *s = S; /* real */ int y;\n",
        "const char *s = \"a\\\n b\"; int z = sizeof(\"(\");\n",
        "#error don't build this\nint w;\n",
        "#define F(a, b) ((a) + (b)\nint v;\n",                                 /* body unbalanced */
        "#if defined(X) && \\\n    (Y > 1)\nint u;\n#endif\n",
    };
    for (size_t i = 0; i < sizeof clean / sizeof *clean; i++) {
        if (c_errors("c", clean[i], strlen(clean[i])) != 0) fail_msg("flagged clean case %zu", i);
    }
    const char cxx[] = "auto s = R\"x(\")x\"; long n = 1'000'000; char c = '}';\n";
    assert_int_equal(c_errors("cpp", cxx, sizeof cxx - 1), 0);
    /* __cplusplus is true for cpp: its extern "C" { is read as code and must be closed */
    const char half[] = "#ifdef __cplusplus\nextern \"C\" {\n#endif\nint f(void);\n";
    assert_true(c_errors("cpp", half, sizeof half - 1) > 0);
}

static void test_csyntax_broken_flagged(void **state)
{
    (void)state;
    static const char *const broken[] = {
        "int f(void) { return g(1; }\n",
        "int f(void) { return 1; \n",
        "const char *s = \"abc;\nint x;\n",
        "int c = 'a;\n",
        "int x; /* never closed\nint y;\n",
        "#if A\nint x;\n",
        "#endif\n",
        "#if defined(A\n#endif\n",
        "#include \"x.h\nint y;\n",
        "#define F(a, b\nint v;\n",
        "int f(int a) {\n#ifdef A\n  if (a) {\n#else\n  if (g(a) {\n#endif\n  }\n  return 0;\n}\n",
        "int f(int a)\n{\n  a++;\n  a = a * 2\n  return a;\n}\n",          /* dropped ';' */
        "int f(int a)\n{\n  retrun a;\n}\n",                                 /* parses */
    };
    for (size_t i = 0; i < sizeof broken / sizeof *broken; i++) {
        if (c_errors("c", broken[i], strlen(broken[i])) == 0) fail_msg("missed broken case %zu", i);
    }
}

/* Deep nesting, thousands of #if, stray quotes and random bytes: bounded, no crash. */
static void test_csyntax_pathological_input_bounded(void **state)
{
    (void)state;
    size_t n = 1 << 16;
    char *b = malloc(n + 1);
    assert_non_null(b);
    /* 4096 '{' then 4096 '}' (the typed stack's and the parse guard's limit) and a lone '(' */
    size_t k = 0;
    for (unsigned i = 0; i < SCIPRUNE_GUARD_MAX_DEPTH; i++) b[k++] = '{';
    for (unsigned i = 0; i < SCIPRUNE_GUARD_MAX_DEPTH; i++) b[k++] = '}';
    assert_int_equal(c_errors("c", b, k), 0);
    b[k++] = '(';
    assert_true(c_errors("c", b, k) > 0);
    /* 20000 deep: the parse guard keeps it from tree-sitter, the gates do not judge it */
    k = 0;
    for (int i = 0; i < 20000; i++) b[k++] = '{';
    for (int i = 0; i < 20000; i++) b[k++] = '}';
    b[k++] = '(';
    sciprune_gate_scores g;
    assert_int_equal(sciprune_gate_score(g_p, "c", b, k, &g, NULL), SCIPRUNE_OK);
    assert_int_equal(g.guard, SCIPRUNE_GUARD_TOO_DEEP);
    assert_int_equal(g.parse_errors, 0);
    /* 3000 nested #if (over the tracked depth), all closed */
    k = 0;
    for (int i = 0; i < 3000; i++) k += (size_t)sprintf(b + k, "#if A\n");
    for (int i = 0; i < 3000; i++) k += (size_t)sprintf(b + k, "#endif\n");
    assert_int_equal(c_errors("c", b, k), 0);
    /* a long line of quotes and backslashes */
    k = 0;
    for (size_t i = 0; i + 2 < n; i += 2) b[k++] = '\'', b[k++] = '\\';
    (void)c_errors("c", b, k);
    (void)c_errors("cpp", b, k);
    /* pseudo-random bytes */
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) x = x * 1103515245u + 12345u, b[i] = (char)(x >> 16);
    (void)c_errors("c", b, n);
    (void)c_errors("cpp", b, n);
    free(b);
}

/* ------------------------------------------------------------------ the scoring call */
static void test_gate_score_unsupported_language_abstains(void **state)
{
    (void)state;
    sciprune_gate_scores g;
    sciprune_error e;
    assert_int_equal(sciprune_gate_score(g_p, "cobol", "x", 1, &g, &e), SCIPRUNE_OK);
    assert_int_equal(g.parse_errors, 0);
    assert_int_equal(g.undefined_abstained, 1);
    assert_string_equal(g.abstain_reason, "unsupported");
    const char go[] = "package main\nfunc main() { x := y }\n";
    assert_int_equal(sciprune_gate_score(g_p, "go", go, sizeof go - 1, &g, &e), SCIPRUNE_OK);
    assert_int_equal(g.parse_errors, 0);
    assert_int_equal(g.undefined_abstained, 1);
}

static void test_gate_score_error_share(void **state)
{
    (void)state;
    sciprune_gate_scores g;
    sciprune_error e;
    const char src[] = "x = 1\n)))) ((( $$$ \ny = 2\n";
    assert_int_equal(sciprune_gate_score(g_p, "python", src, sizeof src - 1, &g, &e), SCIPRUNE_OK);
    assert_true(g.error_nodes >= 1);
    assert_true(g.parse_error_share > 0.0 && g.parse_error_share <= 1.0);
    assert_int_equal(g.parse_errors, g.error_nodes + g.missing_nodes);
    assert_int_equal(sciprune_gate_score(g_p, "python", "", 0, &g, &e), SCIPRUNE_OK);
    assert_int_equal(g.parse_errors, 0);
    assert_true(g.parse_error_share == 0.0);
}

static void test_gate_score_names_truncated_and_sorted(void **state)
{
    (void)state;
    /* 200 distinct undefined names: counted in full, listed truncated with "..." */
    size_t cap = 200 * 32, len = 0;
    char *src = malloc(cap);
    assert_non_null(src);
    for (int i = 199; i >= 0; i--) len += (size_t)snprintf(src + len, cap - len, "print(undefined_name_%03d)\n", i);
    sciprune_gate_scores g;
    sciprune_error e;
    assert_int_equal(sciprune_gate_score(g_p, "python", src, len, &g, &e), SCIPRUNE_OK);
    assert_int_equal(g.undefined_names, 200);
    assert_true(strlen(g.names) < sizeof g.names);
    assert_true(!strncmp(g.names, "undefined_name_000,undefined_name_001,", 38));
    assert_non_null(strstr(g.names, "..."));
    free(src);
}

/* ------------------------------------------------------------------ the stage */
static void write_shard(const char *path, int n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < n; i++) {
        switch (i % 5) {
        case 0: fprintf(f, "{\"id\":\"r%d\",\"lang\":\"python\",\"content\":\"def f(a):\\n    return a + %d\\n\"}\n", i, i); break;
        case 1: fprintf(f, "{\"id\":\"r%d\",\"lang\":\"python\",\"content\":\"def f(a:\\n    return b%d\\n\"}\n", i, i); break;
        case 2: fprintf(f, "{\"id\":\"r%d\",\"lang\":\"python\",\"content\":\"def f(a):\\n    return a + missing%d\\n\"}\n", i, i); break;
        case 3: fprintf(f, "{\"id\":\"r%d\",\"lang\":\"javascript\",\"content\":\"function f(a) { return a + q%d; }\\n\"}\n", i, i); break;
        default: fprintf(f, "not json %d\n", i); break;
        }
    }
    assert_int_equal(fclose(f), 0);
}

static void read_npy_f32(const char *path, float *out, size_t n)
{
    size_t len;
    char *b = slurp(path, &len);
    assert_non_null(b);
    assert_true(len >= 10 + n * 4);
    uint16_t hl = (uint16_t)((unsigned char)b[8] | (unsigned char)b[9] << 8);
    assert_int_equal(len, 10u + hl + n * 4);
    memcpy(out, b + 10 + hl, n * 4);
    free(b);
}

static void test_gates_run_files_counts_and_threads(void **state)
{
    (void)state;
    char dir[] = "/tmp/sciprune-test-gates-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char in[4][4200], w1[4200], w4[4200];
    const char *ins[4];
    for (int i = 0; i < 4; i++) {
        snprintf(in[i], sizeof in[i], "%s/s%d.jsonl", dir, i);
        write_shard(in[i], 20 + 5 * i);
        ins[i] = in[i];
    }
    snprintf(w1, sizeof w1, "%s/w1", dir);
    snprintf(w4, sizeof w4, "%s/w4", dir);
    sciprune_gates_settings s;
    sciprune_gates_settings_default(&s);
    sciprune_gates_info info;
    sciprune_error e;
    s.threads = 1;
    assert_int_equal(sciprune_gates_run(w1, ins, 4, &s, &info, &e), SCIPRUNE_OK);
    assert_int_equal(info.n_records, 20 + 25 + 30 + 35);
    assert_int_equal(info.n_accepted, 16 + 20 + 24 + 28);
    assert_int_equal(info.n_parse_error, 4 + 5 + 6 + 7);
    assert_int_equal(info.n_undefined, 2 * (4 + 5 + 6 + 7));
    assert_int_equal(info.n_abstained, 4 + 5 + 6 + 7);
    s.threads = 4;
    assert_int_equal(sciprune_gates_run(w4, ins, 4, &s, NULL, &e), SCIPRUNE_OK);
    for (int i = 0; i < 4; i++) {
        char p1[4400], p4[4400];
        for (int k = 0; k < 2; k++) {
            const char *suf = k ? "undefined_name" : "parse_error";
            snprintf(p1, sizeof p1, "%s/gates/s%d.jsonl.%s.npy", w1, i, suf);
            snprintf(p4, sizeof p4, "%s/gates/s%d.jsonl.%s.npy", w4, i, suf);
            size_t l1, l4;
            char *a = slurp(p1, &l1), *b = slurp(p4, &l4);
            assert_non_null(a);
            assert_non_null(b);
            assert_int_equal(l1, l4);
            assert_memory_equal(a, b, l1);
            free(a);
            free(b);
        }
    }
    /* per line: clean 0, parse error > 0, undefined 1, js undefined 1, rejected 0 */
    float pe[20], un[20];
    char p[4400];
    snprintf(p, sizeof p, "%s/gates/s0.jsonl.parse_error.npy", w1);
    read_npy_f32(p, pe, 20);
    snprintf(p, sizeof p, "%s/gates/s0.jsonl.undefined_name.npy", w1);
    read_npy_f32(p, un, 20);
    for (int i = 0; i < 20; i++) {
        assert_true(pe[i] == (i % 5 == 1 ? pe[1] : 0.0f));
        assert_true(un[i] == (i % 5 == 2 || i % 5 == 3 ? 1.0f : 0.0f));
    }
    assert_true(pe[1] > 0.0f);
    /* summary.json: per language, same apart from seconds */
    snprintf(p, sizeof p, "%s/gates/summary.json", w1);
    json_error_t je;
    json_t *j1 = json_load_file(p, 0, &je);
    snprintf(p, sizeof p, "%s/gates/summary.json", w4);
    json_t *j4 = json_load_file(p, 0, &je);
    assert_non_null(j1);
    assert_non_null(j4);
    json_object_del(j1, "seconds");
    json_object_del(j4, "seconds");
    assert_true(json_equal(j1, j4));
    json_t *py = json_object_get(json_object_get(j1, "languages"), "python");
    assert_int_equal(json_integer_value(json_object_get(py, "files")), 3 * 22);
    json_t *un_py = json_object_get(py, "undefined_name");
    assert_int_equal(json_integer_value(json_object_get(un_py, "abstained")), 22);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(un_py, "abstain_reasons"), "parse_error")), 22);
    json_decref(j1);
    json_decref(j4);
    /* two shards with one name are refused */
    const char *dup[2] = {in[0], in[0]};
    assert_int_equal(sciprune_gates_run(w1, dup, 2, &s, NULL, &e), SCIPRUNE_EINVAL);
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_gates_settings_languages(void **state)
{
    (void)state;
    sciprune_gates_settings s;
    sciprune_gates_settings_default(&s);
    sciprune_error e;
    assert_int_equal(sciprune_gates_settings_check(&s, &e), SCIPRUNE_OK);
    s.parse_error_langs = "all";
    s.undefined_name_langs = "python, javascript";
    assert_int_equal(sciprune_gates_settings_check(&s, &e), SCIPRUNE_OK);
    s.parse_error_langs = "python,C++"; /* an alias, not a canonical name */
    assert_int_equal(sciprune_gates_settings_check(&s, &e), SCIPRUNE_EINVAL);
    assert_non_null(strstr(e.text, "C++"));
    s.parse_error_langs = "python,,go";
    assert_int_equal(sciprune_gates_settings_check(&s, &e), SCIPRUNE_EINVAL);
    s.parse_error_langs = "cobol";
    assert_int_equal(sciprune_gates_settings_check(&s, &e), SCIPRUNE_EINVAL);
}

static void test_gates_settings_js_envs(void **state)
{
    (void)state;
    sciprune_gates_settings s;
    sciprune_gates_settings_default(&s);
    sciprune_error e;
    s.js_envs = "browser, jquery,es6";
    assert_int_equal(sciprune_gates_settings_check(&s, &e), SCIPRUNE_OK);
    s.js_envs = "auto,node";
    assert_int_equal(sciprune_gates_settings_check(&s, &e), SCIPRUNE_OK);
    s.js_envs = "browser,netscape";
    assert_int_equal(sciprune_gates_settings_check(&s, &e), SCIPRUNE_EINVAL);
    assert_non_null(strstr(e.text, "netscape"));
}

/* The stage hands each record's path and the js_envs setting to the gate: a lit config is
 * judged with lit's globals, a browser-only name with js_envs = browser; the setting is in
 * summary.json and a different setting redoes the shard. */
static void test_gates_run_path_and_js_envs(void **state)
{
    (void)state;
    char dir[] = "/tmp/sciprune-test-gates-env-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char in[4200], w[4200], p[4400];
    snprintf(in, sizeof in, "%s/env.jsonl", dir);
    snprintf(w, sizeof w, "%s/w", dir);
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    fputs("{\"id\":\"a\",\"lang\":\"python\",\"path\":\"t/lit.local.cfg.py\","
          "\"content\":\"config.suffixes = ['.c']\\n\"}\n", f);
    fputs("{\"id\":\"b\",\"lang\":\"python\",\"path\":\"t/other.py\","
          "\"content\":\"config.suffixes = ['.c']\\n\"}\n", f);
    fputs("{\"id\":\"c\",\"lang\":\"javascript\",\"path\":\"w.js\","
          "\"content\":\"function f() { return outerWidth; }\\n\"}\n", f);
    fclose(f);
    const char *ins[1] = {in};
    sciprune_error e;
    for (int forced = 0; forced < 2; forced++) {
        sciprune_gates_settings s;
        sciprune_gates_settings_default(&s);
        s.js_envs = forced ? "browser" : NULL;
        sciprune_gates_info info;
        assert_int_equal(sciprune_gates_run(w, ins, 1, &s, &info, &e), SCIPRUNE_OK);
        assert_int_equal(info.shards_skipped, 0);
        float un[3];
        snprintf(p, sizeof p, "%s/gates/env.jsonl.undefined_name.npy", w);
        read_npy_f32(p, un, 3);
        assert_true(un[0] == 0.0f);
        assert_true(un[1] == 1.0f);
        assert_true(un[2] == (forced ? 0.0f : 1.0f));
        snprintf(p, sizeof p, "%s/gates/summary.json", w);
        json_error_t je;
        json_t *j = json_load_file(p, 0, &je);
        assert_non_null(j);
        json_t *env = json_array_get(json_object_get(json_object_get(j, "settings"), "js_envs"), 0);
        assert_string_equal(json_string_value(env), forced ? "browser" : "auto");
        json_decref(j);
    }
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* A shard of broken C and broken Python: parse_error prunes C only when it is on for C, and
 * the summary says what it would flag either way. */
static void test_gates_run_language_switch(void **state)
{
    (void)state;
    char dir[] = "/tmp/sciprune-test-gates-lang-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char in[4200], w[4200];
    snprintf(in, sizeof in, "%s/mix.jsonl", dir);
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    fputs("{\"id\":\"a\",\"lang\":\"c\",\"content\":\"int f(void) { return (1 + ; }\\n\"}\n", f);
    fputs("{\"id\":\"b\",\"lang\":\"python\",\"content\":\"def f(:\\n    pass\\n\"}\n", f);
    fputs("{\"id\":\"c\",\"lang\":\"c\",\"content\":\"int g(void) { return 1; }\\n\"}\n", f);
    fclose(f);
    const char *ins[1] = {in};
    sciprune_error e;
    for (int on = 0; on < 2; on++) {
        sciprune_gates_settings s;
        sciprune_gates_settings_default(&s);
        s.parse_error_langs = on ? "c,python" : "python";
        snprintf(w, sizeof w, "%s/w%d", dir, on);
        sciprune_gates_info info;
        assert_int_equal(sciprune_gates_run(w, ins, 1, &s, &info, &e), SCIPRUNE_OK);
        assert_int_equal(info.n_parse_error, on ? 2 : 1);
        float pe[3];
        char p[4400];
        snprintf(p, sizeof p, "%s/gates/mix.jsonl.parse_error.npy", w);
        read_npy_f32(p, pe, 3);
        assert_true((pe[0] > 0) == on);
        assert_true(pe[1] > 0);
        assert_true(pe[2] == 0.0f);
        snprintf(p, sizeof p, "%s/gates/summary.json", w);
        json_error_t je;
        json_t *j = json_load_file(p, 0, &je);
        assert_non_null(j);
        json_t *c = json_object_get(json_object_get(json_object_get(j, "languages"), "c"), "parse_error");
        assert_int_equal(json_is_true(json_object_get(c, "on")), on);
        assert_int_equal(json_integer_value(json_object_get(c, "flagged")), on);
        assert_int_equal(json_integer_value(json_object_get(c, "flagged_if_on")), 1);
        json_decref(j);
        /* rerun with the same settings: the shard is complete, nothing is redone */
        assert_int_equal(sciprune_gates_run(w, ins, 1, &s, &info, &e), SCIPRUNE_OK);
        assert_int_equal(info.shards_skipped, 1);
        assert_int_equal(info.n_parse_error, on ? 2 : 1);
    }
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_cases_replay),
        cmocka_unit_test(test_csyntax_macros_and_preprocessor_not_flagged),
        cmocka_unit_test(test_csyntax_broken_flagged),
        cmocka_unit_test(test_csyntax_pathological_input_bounded),
        cmocka_unit_test(test_gate_score_unsupported_language_abstains),
        cmocka_unit_test(test_gate_score_error_share),
        cmocka_unit_test(test_gate_score_names_truncated_and_sorted),
        cmocka_unit_test(test_gates_run_files_counts_and_threads),
        cmocka_unit_test(test_gates_settings_languages),
        cmocka_unit_test(test_gates_run_language_switch),
        cmocka_unit_test(test_gates_settings_js_envs),
        cmocka_unit_test(test_gates_run_path_and_js_envs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
