/* test_lang.c - lang/ and the language names it parses by: the grammar registry, language
 * detection from file names/paths and from user-given names (aliases), a clean parse of each
 * grammar, ERROR/MISSING counting on broken input, unknown languages, deep nesting, one parser
 * reused across languages, every file of the generated test corpus parsing cleanly, and the
 * parse guard (lang/guard.c): its verdicts, and that no public entry point hands a text it
 * refuses to tree-sitter (65,536 unclosed brackets abort libtree-sitter 0.20.7): the parse
 * check refuses it, the hash embedder embeds it from its words (row too_deep), the gates do not
 * judge it, corrupt does not use it as a source. */
#include "sciprune.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PY "/usr/bin/python3"

static const char *const k_grammars[] = {"python", "javascript", "typescript", "tsx", "java",
                                         "c",      "cpp",        "go",         "rust"};
#define NG (sizeof k_grammars / sizeof k_grammars[0])

static sciprune_parse_stats parse(sciprune_parser *p, const char *lang, const char *src)
{
    sciprune_parse_stats st;
    sciprune_error e;
    memset(&st, 0xff, sizeof st);
    assert_int_equal(sciprune_parse_check(p, lang, src, strlen(src), &st, &e), SCIPRUNE_OK);
    return st;
}

/* ------------------------------------------------------------------ registry */

static void test_registry_lists_the_grammars(void **state)
{
    (void)state;
    assert_int_equal(sciprune_lang_count(), NG);
    for (size_t i = 0; i < NG; i++) {
        assert_string_equal(sciprune_lang_name(i), k_grammars[i]);
        assert_true(sciprune_lang_has_grammar(k_grammars[i]));
        /* every canonical name is its own alias */
        assert_string_equal(sciprune_lang_canonical(k_grammars[i]), k_grammars[i]);
    }
    assert_null(sciprune_lang_name(NG));
    assert_null(sciprune_lang_name((size_t)-1));
    /* canonical names only: aliases and languages without a grammar have none */
    assert_false(sciprune_lang_has_grammar("Python"));
    assert_false(sciprune_lang_has_grammar("js"));
    assert_false(sciprune_lang_has_grammar("ruby"));
    assert_false(sciprune_lang_has_grammar(""));
    assert_false(sciprune_lang_has_grammar(NULL));
}

/* ------------------------------------------------------------------ detection */

static void test_detect_from_path(void **state)
{
    (void)state;
    static const struct { const char *path, *lang; } cases[] = {
        {"a.py", "python"},
        {"src/pkg/mod.pyi", "python"},
        {"/abs/dir/tool.pyw", "python"},
        {"x/y/z.js", "javascript"},
        {"lib/index.mjs", "javascript"},
        {"lib/index.cjs", "javascript"},
        {"ui/App.jsx", "javascript"},
        {"a.ts", "typescript"},
        {"a.mts", "typescript"},
        {"ui/App.tsx", "tsx"},
        {"Main.java", "java"},
        {"m.c", "c"},
        {"include/m.h", "c"},
        {"m.cc", "cpp"},
        {"m.cpp", "cpp"},
        {"m.cxx", "cpp"},
        {"m.c++", "cpp"},
        {"m.hpp", "cpp"},
        {"main.go", "go"},
        {"lib.rs", "rust"},
        {"x.rb", "ruby"},          /* known language without a grammar */
        {"run.sh", "shell"},
        {"MOD.PY", "python"},      /* case-insensitive */
        {"Lib.Rs", "rust"},
        {"dir.py/file.c", "c"},    /* the last component decides */
        {"archive.tar.py", "python"},
        {"a/.hidden.js", "javascript"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = sciprune_lang_from_path(cases[i].path);
        if (!got || strcmp(got, cases[i].lang) != 0)
            fail_msg("%s: got %s, want %s", cases[i].path, got ? got : "NULL", cases[i].lang);
    }
    static const char *const none[] = {
        "Makefile", "README", "x/.bashrc", ".py", "dir.py/", "dir.py/noext", "file.", "a.txt",
        "a.json", "a.pyc", "a.py~", "a.c.bak", "",
    };
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        const char *got = sciprune_lang_from_path(none[i]);
        if (got) fail_msg("'%s': got %s, want NULL", none[i], got);
    }
    assert_null(sciprune_lang_from_path(NULL));
}

static void test_detect_from_alias(void **state)
{
    (void)state;
    static const struct { const char *name, *lang; } cases[] = {
        {"Python", "python"},   {"PYTHON", "python"},     {"py", "python"},
        {"python3", "python"},  {"JavaScript", "javascript"}, {"js", "javascript"},
        {"node", "javascript"}, {"TypeScript", "typescript"}, {"ts", "typescript"},
        {"TSX", "tsx"},         {"Java", "java"},         {"C", "c"},
        {"C++", "cpp"},         {"cpp", "cpp"},           {"cxx", "cpp"},
        {"Go", "go"},           {"golang", "go"},         {"Rust", "rust"},
        {"rs", "rust"},         {"C#", "csharp"},         {"Shell", "shell"},
        {"bash", "shell"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = sciprune_lang_canonical(cases[i].name);
        if (!got || strcmp(got, cases[i].lang) != 0)
            fail_msg("%s: got %s, want %s", cases[i].name, got ? got : "NULL", cases[i].lang);
    }
    static const char *const none[] = {"", "pyth", "python 3", " python", "c--", "cobol", "jsx"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        const char *got = sciprune_lang_canonical(none[i]);
        if (got) fail_msg("'%s': got %s, want NULL", none[i], got);
    }
    assert_null(sciprune_lang_canonical(NULL));
}

/* ------------------------------------------------------------------ parsing */

static const char *const k_clean[NG] = {
    /* python */
    "import os\n\n\nclass A:\n    \"\"\"Doc.\"\"\"\n\n    def f(self, x=1):\n"
    "        return [y * 2 for y in range(x) if y % 2] or f\"{x!r}\"\n",
    /* javascript */
    "'use strict';\nconst fs = require('fs');\nclass A { m(x) { return `v ${x}`; } }\n"
    "module.exports = { A, f: (a, ...b) => a + b.length };\n",
    /* typescript */
    "interface P { x: number; y?: string }\nexport function f<T>(p: P, t: T): T { return t; }\n",
    /* tsx */
    "export const C = (p: { n: number }) => <div className=\"c\">{p.n}</div>;\n",
    /* java */
    "package a;\nimport java.util.List;\npublic class M {\n  static int f(List<Integer> l) {\n"
    "    int s = 0; for (int x : l) { s += x; } return s;\n  }\n}\n",
    /* c */
    "#include <stdio.h>\n#define N 4\nstruct p { int x; };\nenum k { A, B };\n"
    "static int f(int a) { switch (a) { case A: return 1; default: break; } return N; }\n"
    "int main(void) { struct p q = {0}; printf(\"%d\\n\", f(q.x)); return 0; }\n",
    /* cpp */
    "#include <vector>\ntemplate <typename T> T sum(const std::vector<T>& v) {\n"
    "  T s{}; for (auto& x : v) s += x; return s;\n}\nnamespace a { class B { public: int c() const { return 1; } }; }\n",
    /* go */
    "package main\n\nimport \"fmt\"\n\ntype P struct{ X int }\n\nfunc main() {\n"
    "\tfor i := 0; i < 3; i++ {\n\t\tfmt.Println(P{X: i})\n\t}\n}\n",
    /* rust */
    "use std::collections::HashMap;\nstruct P { x: i32 }\nfn main() {\n"
    "    let mut m: HashMap<&str, i32> = HashMap::new();\n    m.insert(\"a\", P { x: 1 }.x);\n"
    "    match m.get(\"a\") { Some(v) => println!(\"{}\", v), None => {} }\n}\n",
};

static const char *const k_broken[NG] = {
    "def f(x:\n    return x +\n",                 /* python */
    "function f(a) { return (a + ; }\n",          /* javascript */
    "function f(p: number { return p; }\n",       /* typescript */
    "const C = () => <div>{1</div>;\n",           /* tsx */
    "public class M { void f( { } }\n",           /* java */
    "int main(void) { int x = ; return 0 }\n",    /* c */
    "int f() { std::vector<int> v{1, 2; }\n",     /* cpp */
    "package main\nfunc main() { x := ; }\n",     /* go */
    "fn main() { let x = ; }\n",                  /* rust */
};

static void test_parse_each_grammar_clean(void **state)
{
    (void)state;
    sciprune_parser *p;
    sciprune_error e;
    assert_int_equal(sciprune_parser_new(&p, &e), SCIPRUNE_OK);
    for (size_t i = 0; i < NG; i++) {
        sciprune_parse_stats st = parse(p, k_grammars[i], k_clean[i]);
        if (st.error_nodes || st.missing_nodes || st.error_bytes)
            fail_msg("%s: clean text has %u ERROR, %u MISSING, %llu error bytes", k_grammars[i],
                     st.error_nodes, st.missing_nodes, (unsigned long long)st.error_bytes);
    }
    sciprune_parser_free(p);
}

static void test_parse_each_grammar_broken(void **state)
{
    (void)state;
    sciprune_parser *p;
    sciprune_error e;
    assert_int_equal(sciprune_parser_new(&p, &e), SCIPRUNE_OK);
    for (size_t i = 0; i < NG; i++) {
        sciprune_parse_stats st = parse(p, k_grammars[i], k_broken[i]);
        if (st.error_nodes + st.missing_nodes == 0)
            fail_msg("%s: broken text counted no error: %s", k_grammars[i], k_broken[i]);
        /* error bytes: only ERROR nodes cover bytes, outermost ones once */
        assert_true(st.error_bytes <= strlen(k_broken[i]));
        if (st.error_nodes == 0) assert_int_equal(st.error_bytes, 0);
        else assert_true(st.error_bytes > 0);
    }
    sciprune_parser_free(p);
}

static void test_parse_counts_missing_and_error_nodes(void **state)
{
    (void)state;
    sciprune_parser *p;
    sciprune_error e;
    assert_int_equal(sciprune_parser_new(&p, &e), SCIPRUNE_OK);
    /* a dropped semicolon: tree-sitter-c inserts a MISSING ";" and no ERROR node */
    sciprune_parse_stats st = parse(p, "c", "int f(void) { return 0 }\n");
    assert_int_equal(st.error_nodes, 0);
    assert_int_equal(st.missing_nodes, 1);
    assert_int_equal(st.error_bytes, 0);
    /* a dropped close paren in JavaScript: also recovered by one MISSING node */
    st = parse(p, "javascript", "f(1;\n");
    assert_true(st.missing_nodes + st.error_nodes >= 1);
    /* garbage is an ERROR node covering at least the garbage, and not the clean first line */
    const char *g = "x = 1\n)))(((\ny = 2\n";
    st = parse(p, "python", g);
    assert_true(st.error_nodes >= 1);
    assert_true(st.error_bytes >= 6 && st.error_bytes <= strlen(g) - 6);
    /* more damage, more counted: two separate broken statements count at least as much as one */
    sciprune_parse_stats one = parse(p, "javascript", "let a = 1;\nlet b = (2 + ;\nlet c = 3;\n");
    sciprune_parse_stats two = parse(p, "javascript", "let a = (1 + ;\nlet b = 2;\nlet c = (3 + ;\n");
    assert_true(one.error_nodes + one.missing_nodes >= 1);
    assert_true(two.error_nodes + two.missing_nodes >= one.error_nodes + one.missing_nodes);
    /* error bytes count the outermost ERROR nodes only: never more than the text */
    const char *junk = "}}}} ]]]] {{{{ (((( ::: ;;; @@@\n";
    st = parse(p, "rust", junk);
    assert_true(st.error_nodes >= 1);
    assert_true(st.error_bytes <= strlen(junk));
    sciprune_parser_free(p);
}

static void test_parse_empty_and_nul_free_lengths(void **state)
{
    (void)state;
    sciprune_parser *p;
    sciprune_error e;
    assert_int_equal(sciprune_parser_new(&p, &e), SCIPRUNE_OK);
    for (size_t i = 0; i < NG; i++) {
        sciprune_parse_stats st = parse(p, k_grammars[i], "");
        assert_int_equal(st.error_nodes + st.missing_nodes, 0);
    }
    /* len is honoured: a prefix of a longer buffer */
    const char *s = "x = 1\ndef f(:\n";
    sciprune_parse_stats st;
    assert_int_equal(sciprune_parse_check(p, "python", s, 6, &st, &e), SCIPRUNE_OK);
    assert_int_equal(st.error_nodes + st.missing_nodes, 0);
    assert_int_equal(sciprune_parse_check(p, "python", s, strlen(s), &st, &e), SCIPRUNE_OK);
    assert_true(st.error_nodes + st.missing_nodes > 0);
    sciprune_parser_free(p);
}

static void test_parse_unknown_language(void **state)
{
    (void)state;
    sciprune_parser *p;
    sciprune_error e;
    sciprune_parse_stats st;
    assert_int_equal(sciprune_parser_new(&p, &e), SCIPRUNE_OK);
    memset(&e, 0, sizeof e);
    assert_int_equal(sciprune_parse_check(p, "cobol", "x", 1, &st, &e), SCIPRUNE_EINVAL);
    assert_non_null(strstr(e.text, "cobol"));
    assert_int_equal(sciprune_parse_check(p, "Python", "x = 1\n", 6, &st, &e), SCIPRUNE_EINVAL);
    assert_int_equal(sciprune_parse_check(p, NULL, "x", 1, &st, &e), SCIPRUNE_EINVAL);
    /* the parser still works after a refusal */
    st = parse(p, "python", "x = 1\n");
    assert_int_equal(st.error_nodes, 0);
    sciprune_parser_free(p);
    sciprune_parser_free(NULL); /* allowed */
}

static void test_parser_reused_across_languages(void **state)
{
    (void)state;
    sciprune_parser *p, *q;
    sciprune_error e;
    assert_int_equal(sciprune_parser_new(&p, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_parser_new(&q, &e), SCIPRUNE_OK);
    /* the same text in the same language gives the same counts, whatever was parsed before */
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < NG; i++) {
            size_t j = (i * 5 + round) % NG;
            sciprune_parse_stats a = parse(p, k_grammars[j], k_broken[j]);
            sciprune_parse_stats b = parse(q, k_grammars[j], k_broken[j]);
            assert_memory_equal(&a, &b, sizeof a);
            a = parse(p, k_grammars[j], k_clean[j]);
            assert_int_equal(a.error_nodes + a.missing_nodes, 0);
        }
    }
    /* Python text parsed as C is not clean C */
    sciprune_parse_stats st = parse(p, "c", k_clean[0]);
    assert_true(st.error_nodes + st.missing_nodes > 0);
    sciprune_parser_free(p);
    sciprune_parser_free(q);
}

/* Deep nesting well below tree-sitter's limit (it aborts at 65,535 levels; lang/ itself has no
 * guard, the callers do: gates abstain over 3,000): parses and counts without recursion. */
static void test_parse_deep_nesting(void **state)
{
    (void)state;
    sciprune_parser *p;
    sciprune_error e;
    assert_int_equal(sciprune_parser_new(&p, &e), SCIPRUNE_OK);
    const int depth = 4000; /* under the parse guard's SCIPRUNE_GUARD_MAX_DEPTH */
    char *s = malloc(2 * depth + 16);
    size_t n = 0;
    n += (size_t)sprintf(s, "x = ");
    for (int i = 0; i < depth; i++) s[n++] = '(';
    s[n++] = '1';
    for (int i = 0; i < depth; i++) s[n++] = ')';
    s[n++] = '\n';
    s[n] = '\0';
    sciprune_parse_stats st = parse(p, "python", s);
    assert_int_equal(st.error_nodes + st.missing_nodes, 0);
    /* one close paren short at the bottom: an error is found at any depth */
    s[n - 2] = ' ';
    st = parse(p, "python", s);
    assert_true(st.error_nodes + st.missing_nodes > 0);
    free(s);
    sciprune_parser_free(p);
}

/* ------------------------------------------------------------------ the generated corpus */

static char g_tmp[256];

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    size_t got = fread(b, 1, (size_t)n, f);
    fclose(f);
    b[got] = '\0';
    *len = got;
    return b;
}

/* Every generated Python and JavaScript file parses without an ERROR or MISSING node (the
 * generator checks them with compile() and node); and so do the generated C files, which are
 * self-contained (gcc -fsyntax-only). */
static void test_parse_generated_corpus(void **state)
{
    (void)state;
    snprintf(g_tmp, sizeof g_tmp, "/tmp/sciprune-test-lang-XXXXXX");
    assert_non_null(mkdtemp(g_tmp));
    char cmd[1024];
    snprintf(cmd, sizeof cmd, PY " " SCIPRUNE_TEST_DATA "/corpus/make_corpus.py --seed 1 --src '%s'",
             g_tmp);
    assert_int_equal(system(cmd), 0);
    static const struct { const char *glob, *lang; size_t min; } sets[] = {
        {"py_*/*.py", "python", 200},
        {"js_*/*.js", "javascript", 80},
        {"js_*/*.mjs", "javascript", 20},
        {"c_*/*.c", "c", 60},
        {"c_*/*.h", "c", 3},
    };
    sciprune_parser *p;
    sciprune_error e;
    assert_int_equal(sciprune_parser_new(&p, &e), SCIPRUNE_OK);
    for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
        char pat[512];
        snprintf(pat, sizeof pat, "%s/%s", g_tmp, sets[k].glob);
        glob_t g;
        assert_int_equal(glob(pat, 0, NULL, &g), 0);
        if (g.gl_pathc < sets[k].min) fail_msg("%s: only %zu files", sets[k].glob, g.gl_pathc);
        size_t bad = 0;
        for (size_t i = 0; i < g.gl_pathc; i++) {
            size_t len = 0;
            char *t = read_all(g.gl_pathv[i], &len);
            assert_non_null(t);
            assert_string_equal(sciprune_lang_from_path(g.gl_pathv[i]), sets[k].lang);
            sciprune_parse_stats st;
            assert_int_equal(sciprune_parse_check(p, sets[k].lang, t, len, &st, &e), SCIPRUNE_OK);
            if (st.error_nodes || st.missing_nodes) {
                print_message("%s: %u ERROR, %u MISSING\n", g.gl_pathv[i], st.error_nodes,
                              st.missing_nodes);
                bad++;
            }
            free(t);
        }
        print_message("%-12s %4zu files, %zu with parse errors\n", sets[k].glob, g.gl_pathc, bad);
        assert_int_equal(bad, 0);
        globfree(&g);
    }
    sciprune_parser_free(p);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
    assert_int_equal(system(cmd), 0);
}


/* ------------------------------------------------------------------ the parse guard */

/* prefix + n x opener + "\n", malloc'ed */
static char *nested(const char *prefix, char opener, size_t n, size_t *len)
{
    size_t pl = strlen(prefix);
    char *s = malloc(pl + n + 2);
    assert_non_null(s);
    memcpy(s, prefix, pl);
    memset(s + pl, opener, n);
    s[pl + n] = '\n';
    s[pl + n + 1] = '\0';
    *len = pl + n + 1;
    return s;
}

/* text repeated n times, malloc'ed */
static char *repeat(const char *head, const char *unit, size_t n, const char *tail, size_t *len)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * n + tl + 1);
    assert_non_null(s);
    memcpy(s, head, hl);
    for (size_t i = 0; i < n; i++) memcpy(s + hl + i * ul, unit, ul);
    memcpy(s + hl + ul * n, tail, tl + 1);
    *len = hl + ul * n + tl;
    return s;
}

static const struct {
    const char *lang, *prefix;
    char opener;
} k_deep[] = {{"python", "x = ", '('}, {"javascript", "var x = ", '['}, {"c", "int x = ", '('}};

static sciprune_guard_verdict verdict(const char *lang, const char *s, size_t n)
{
    sciprune_guard_info g;
    memset(&g, 0x5a, sizeof g);
    sciprune_guard_check(lang, s, n, &g);
    assert_int_equal(g.bytes, n);
    return g.verdict;
}

static void test_guard_verdicts(void **state)
{
    (void)state;
    sciprune_guard_info g;
    size_t n;
    for (size_t k = 0; k < sizeof k_deep / sizeof *k_deep; k++) {
        const size_t depths[] = {65536, 100000};
        for (size_t d = 0; d < 2; d++) {
            char *s = nested(k_deep[k].prefix, k_deep[k].opener, depths[d], &n);
            sciprune_guard_check(k_deep[k].lang, s, n, &g);
            assert_int_equal(g.verdict, SCIPRUNE_GUARD_TOO_DEEP);
            assert_int_equal(g.depth, depths[d]);
            free(s);
        }
    }
    /* the limit itself is allowed, one more is not; closed brackets do not add up */
    char *s = nested("x = ", '(', SCIPRUNE_GUARD_MAX_DEPTH, &n);
    assert_int_equal(verdict("python", s, n), SCIPRUNE_GUARD_OK);
    free(s);
    s = nested("x = ", '(', SCIPRUNE_GUARD_MAX_DEPTH + 1, &n);
    assert_int_equal(verdict("python", s, n), SCIPRUNE_GUARD_TOO_DEEP);
    free(s);
    s = repeat("", "f(x)\n", 20000, "", &n);
    sciprune_guard_check("python", s, n, &g);
    assert_int_equal(g.verdict, SCIPRUNE_GUARD_OK);
    assert_int_equal(g.depth, 1);
    free(s);
    /* brackets in closed strings and comments are not code */
    s = repeat("x = [", "\"((((\", '[[[[', # {{{{\n", 3000, "]\n", &n);
    sciprune_guard_check("python", s, n, &g);
    assert_int_equal(g.verdict, SCIPRUNE_GUARD_OK);
    assert_int_equal(g.depth, 1);
    free(s);
    s = repeat("int a[] = {", "\"((((\", /* (((( */ // {{{{\n", 3000, "};\n", &n);
    sciprune_guard_check("c", s, n, &g);
    assert_int_equal(g.verdict, SCIPRUNE_GUARD_OK);
    assert_int_equal(g.depth, 1);
    free(s);
    /* a deep parse stack without brackets: 70,000 `not` (aborts 0.20.7 before a stray `)`) */
    s = repeat("x = ", "not ", 70000, ")\n", &n);
    sciprune_guard_check("python", s, n, &g);
    assert_int_equal(g.verdict, SCIPRUNE_GUARD_TOO_DEEP);
    assert_true(g.run > SCIPRUNE_GUARD_MAX_RUN);
    free(s);
    /* c: a file-scope comma list (quadratic in 0.20.7) is too deep, the same list in a
     * function body or in an initializer is not, and other languages have no top_run */
    s = repeat("", "1,\n", 3000, "1\n", &n);
    sciprune_guard_check("c", s, n, &g);
    assert_int_equal(g.verdict, SCIPRUNE_GUARD_TOO_DEEP);
    assert_true(g.top_run > SCIPRUNE_GUARD_MAX_TOP_RUN);
    sciprune_guard_check("javascript", s, n, &g);
    assert_int_equal(g.verdict, SCIPRUNE_GUARD_OK);
    assert_int_equal(g.top_run, 0);
    free(s);
    s = repeat("int f(void) { return ", "1,\n", 3000, "1; }\nint a[] = {1, 2};\n", &n);
    assert_int_equal(verdict("c", s, n), SCIPRUNE_GUARD_OK);
    free(s);
    s = repeat("#define A 1\n", "#define B(x) (x), (x), (x)\n", 3000, "int x;\n", &n);
    assert_int_equal(verdict("cpp", s, n), SCIPRUNE_GUARD_OK); /* preprocessor lines reset */
    free(s);
    /* size and line length */
    s = repeat("var a = [", "1,\n", SCIPRUNE_GUARD_MAX_BYTES / 3 + 1, "];\n", &n);
    assert_true(n > SCIPRUNE_GUARD_MAX_BYTES);
    assert_int_equal(verdict("javascript", s, n), SCIPRUNE_GUARD_TOO_LARGE);
    free(s);
    s = repeat("var a = [", "1,", SCIPRUNE_GUARD_MAX_LINE / 2, "];\n", &n);
    sciprune_guard_check("javascript", s, n, &g);
    assert_int_equal(g.verdict, SCIPRUNE_GUARD_TOO_LARGE);
    assert_int_equal(g.longest_line, n - 1);
    free(s);
    /* unclosed comments and escaped quotes by the million: one linear pass (a rescan from
     * each of them would not finish) */
    s = repeat("", "/*", 1 << 20, "\n", &n);
    assert_int_equal(verdict("c", s, n), SCIPRUNE_GUARD_TOO_DEEP); /* 2M tokens, no separator */
    free(s);
    s = repeat("x = ", "\\\"", 400000, "\n", &n);
    sciprune_guard_check("python", s, n, &g);
    assert_int_equal(g.depth, 0);
    free(s);
    assert_int_equal(verdict("python", "", 0), SCIPRUNE_GUARD_OK);
    assert_string_equal(sciprune_guard_verdict_name(SCIPRUNE_GUARD_TOO_DEEP), "too_deep");
    assert_string_equal(sciprune_guard_verdict_name(SCIPRUNE_GUARD_TOO_LARGE), "too_large");
    assert_string_equal(sciprune_guard_verdict_name(SCIPRUNE_GUARD_OK), "ok");
}

/* Every public entry point on the records that abort libtree-sitter 0.20.7 (on main this test
 * dies with `munmap_chunk(): invalid pointer`). */
static void test_guard_keeps_deep_texts_from_tree_sitter(void **state)
{
    (void)state;
    sciprune_parser *p;
    sciprune_error e;
    assert_int_equal(sciprune_parser_new(&p, &e), SCIPRUNE_OK);
    sciprune_embedder_settings es;
    sciprune_embedder_settings_default(&es);
    sciprune_embedder *emb;
    assert_int_equal(sciprune_embedder_open(&emb, &es, &e), SCIPRUNE_OK);
    uint32_t dim = sciprune_embedder_dim(emb);
    float *v = malloc(dim * sizeof *v);
    assert_non_null(v);
    for (size_t k = 0; k < sizeof k_deep / sizeof *k_deep; k++) {
        const size_t depths[] = {65536, 100000};
        for (size_t d = 0; d < 2; d++) {
            size_t n;
            char *s = nested(k_deep[k].prefix, k_deep[k].opener, depths[d], &n);
            sciprune_parse_stats ps;
            assert_int_equal(sciprune_parse_check(p, k_deep[k].lang, s, n, &ps, &e),
                             SCIPRUNE_EINVAL);
            assert_memory_equal(e.text, "too_deep:", 9);
            sciprune_gate_scores g;
            assert_int_equal(sciprune_gate_score(p, k_deep[k].lang, s, n, &g, &e), SCIPRUNE_OK);
            assert_int_equal(g.guard, SCIPRUNE_GUARD_TOO_DEEP);
            assert_int_equal(g.parse_errors, 0); /* not judged: never flagged */
            assert_int_equal(g.undefined_names, 0);
            assert_int_equal(g.undefined_abstained, 1);
            assert_string_equal(g.abstain_reason, "too_deep");
            sciprune_embed_row row = SCIPRUNE_ROW_OK;
            assert_int_equal(sciprune_embedder_embed(emb, p, k_deep[k].lang, s, n, v, dim, &row, &e),
                             SCIPRUNE_OK);
            assert_int_equal(row, SCIPRUNE_ROW_TOO_DEEP);
            double nrm = 0;
            for (uint32_t i = 0; i < dim; i++) nrm += (double)v[i] * v[i];
            assert_true(fabs(nrm - 1.0) < 1e-4); /* a lexical vector, not a zero row */
            free(s);
        }
    }
    /* a text over the size limit: too_large, from its words */
    size_t n;
    char *s = repeat("var a = [", "1,\n", SCIPRUNE_GUARD_MAX_BYTES / 3 + 1, "];\n", &n);
    sciprune_embed_row row = SCIPRUNE_ROW_OK;
    assert_int_equal(sciprune_embedder_embed(emb, p, "javascript", s, n, v, dim, &row, &e),
                     SCIPRUNE_OK);
    assert_int_equal(row, SCIPRUNE_ROW_TOO_LARGE);
    sciprune_gate_scores g;
    assert_int_equal(sciprune_gate_score(p, "javascript", s, n, &g, &e), SCIPRUNE_OK);
    assert_int_equal(g.guard, SCIPRUNE_GUARD_TOO_LARGE);
    assert_string_equal(g.abstain_reason, "too_large");
    free(s);
    /* a normal text is parsed as before */
    const char *ok = "def f(x):\n    return ((x))\n";
    assert_int_equal(sciprune_embedder_embed(emb, p, "python", ok, strlen(ok), v, dim, &row, &e),
                     SCIPRUNE_OK);
    assert_int_equal(row, SCIPRUNE_ROW_OK);
    assert_int_equal(sciprune_gate_score(p, "python", ok, strlen(ok), &g, &e), SCIPRUNE_OK);
    assert_int_equal(g.guard, SCIPRUNE_GUARD_OK);
    free(v);
    sciprune_embedder_free(emb);
    sciprune_parser_free(p);
}

/* corrupt: records the guard refuses are counted and never used as sources (the issue's
 * drop-open-bracket on 100k-deep parentheses took 15-20 s per record; bench/guard_results.md
 * has the timings, here only that the record was skipped). */
static void test_guard_corrupt_skips_and_counts(void **state)
{
    (void)state;
    char dir[] = "/tmp/sciprune-test-guard-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char shard[512], out[512], cmd[1100];
    snprintf(shard, sizeof shard, "%s/in.jsonl", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    FILE *f = fopen(shard, "w");
    assert_non_null(f);
    for (size_t k = 0; k < sizeof k_deep / sizeof *k_deep; k++) {
        fprintf(f, "{\"id\": \"deep-%zu\", \"lang\": \"%s\", \"content\": \"%s", k,
                k_deep[k].lang, k_deep[k].prefix);
        for (int i = 0; i < 100000; i++) fputc(k_deep[k].opener, f);
        fprintf(f, "\"}\n");
    }
    fprintf(f, "{\"id\": \"ok-1\", \"lang\": \"python\", \"content\": "
               "\"def f(x):\\n    if x:\\n        return (x + 1)\\n    return [x]\\n\"}\n");
    fclose(f);
    sciprune_corrupt_options o;
    sciprune_corrupt_options_default(&o);
    o.langs = "python,javascript,c";
    o.types = "drop-open-bracket";
    o.per_type = 5;
    sciprune_corrupt_stats st;
    sciprune_error e;
    const char *ins[] = {shard};
    assert_int_equal(sciprune_corrupt_run(ins, 1, out, &o, &st, &e), SCIPRUNE_OK);
    assert_int_equal(st.records, 4);
    assert_int_equal(st.guarded, 3);
    uint64_t candidates = 0;
    for (size_t i = 0; i < st.ncells; i++) candidates += st.cells[i].candidates;
    assert_int_equal(candidates, 1); /* only ok-1 */
    sciprune_corrupt_stats_free(&st);
    snprintf(cmd, sizeof cmd, "grep -q '\"guarded\": 3' '%s/corrupt.json'", out);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_lists_the_grammars),
        cmocka_unit_test(test_detect_from_path),
        cmocka_unit_test(test_detect_from_alias),
        cmocka_unit_test(test_parse_each_grammar_clean),
        cmocka_unit_test(test_parse_each_grammar_broken),
        cmocka_unit_test(test_parse_counts_missing_and_error_nodes),
        cmocka_unit_test(test_parse_empty_and_nul_free_lengths),
        cmocka_unit_test(test_parse_unknown_language),
        cmocka_unit_test(test_parser_reused_across_languages),
        cmocka_unit_test(test_parse_deep_nesting),
        cmocka_unit_test(test_parse_generated_corpus),
        cmocka_unit_test(test_guard_verdicts),
        cmocka_unit_test(test_guard_keeps_deep_texts_from_tree_sitter),
        cmocka_unit_test(test_guard_corrupt_skips_and_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
