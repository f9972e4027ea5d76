/*
 * lang.c - the tree-sitter grammar registry and parser wrapper.
 * Grammars are compiled by meson from the npm packages installed by scripts/setup.sh
 * (pinned ABI-14 versions: libtree-sitter 0.20.7 rejects ABI 15).
 */
#include "lang_int.h"

#include <stdlib.h>
#include <string.h>

const TSLanguage *tree_sitter_python(void);
const TSLanguage *tree_sitter_javascript(void);
const TSLanguage *tree_sitter_typescript(void);
const TSLanguage *tree_sitter_tsx(void);
const TSLanguage *tree_sitter_java(void);
const TSLanguage *tree_sitter_c(void);
const TSLanguage *tree_sitter_cpp(void);
const TSLanguage *tree_sitter_go(void);
const TSLanguage *tree_sitter_rust(void);

static const struct {
    const char *name;
    const TSLanguage *(*fn)(void);
} k_langs[] = {
    {"python", tree_sitter_python}, {"javascript", tree_sitter_javascript},
    {"typescript", tree_sitter_typescript}, {"tsx", tree_sitter_tsx},
    {"java", tree_sitter_java}, {"c", tree_sitter_c}, {"cpp", tree_sitter_cpp},
    {"go", tree_sitter_go}, {"rust", tree_sitter_rust},
};
#define NLANGS (sizeof k_langs / sizeof k_langs[0])

struct sciprune_parser {
    TSParser *ts; /* owned */
};

size_t sciprune_lang_count(void) { return NLANGS; }

const char *sciprune_lang_name(size_t i) { return i < NLANGS ? k_langs[i].name : NULL; }

const TSLanguage *lang_grammar(const char *lang)
{
    if (!lang) return NULL;
    for (size_t i = 0; i < NLANGS; i++)
        if (strcmp(lang, k_langs[i].name) == 0) return k_langs[i].fn();
    return NULL;
}

int sciprune_lang_has_grammar(const char *lang) { return lang_grammar(lang) != NULL; }

sciprune_status sciprune_parser_new(sciprune_parser **out, sciprune_error *err)
{
    *out = NULL;
    sciprune_parser *p = calloc(1, sizeof *p);
    if (!p) return sp_err(err, SCIPRUNE_ENOMEM, "tree-sitter", -1, -1, "out of memory");
    p->ts = ts_parser_new();
    if (!p->ts) {
        free(p);
        return sp_err(err, SCIPRUNE_ENOMEM, "tree-sitter", -1, -1, "out of memory");
    }
    *out = p;
    return SCIPRUNE_OK;
}

void sciprune_parser_free(sciprune_parser *p)
{
    if (!p) return;
    ts_parser_delete(p->ts);
    free(p);
}

TSParser *lang_ts_parser(sciprune_parser *p) { return p->ts; }

sciprune_status lang_parse(sciprune_parser *p, const char *lang, const char *src, size_t len,
                           TSTree **tree, sciprune_error *err)
{
    *tree = NULL;
    if (!lang_grammar(lang)) return lang_parse_checked(p, lang, src, len, tree, err);
    sciprune_status st = lang_guard_err(lang, src, len, err);
    if (st) return st;
    return lang_parse_checked(p, lang, src, len, tree, err);
}

sciprune_status lang_parse_checked(sciprune_parser *p, const char *lang, const char *src,
                                   size_t len, TSTree **tree, sciprune_error *err)
{
    *tree = NULL;
    const TSLanguage *g = lang_grammar(lang);
    if (!g) return sp_err(err, SCIPRUNE_EINVAL, lang, -1, -1, "no grammar for language '%s'", lang ? lang : "(null)");
    if (!ts_parser_set_language(p->ts, g))
        return sp_err(err, SCIPRUNE_EBACKEND, lang, -1, -1,
                      "tree-sitter rejected the %s grammar (ABI %u)", lang, ts_language_version(g));
    *tree = ts_parser_parse_string(p->ts, NULL, src, (uint32_t)len);
    if (!*tree) return sp_err(err, SCIPRUNE_EBACKEND, lang, -1, -1, "tree-sitter parse failed");
    return SCIPRUNE_OK;
}

sciprune_status lang_guard_err(const char *lang, const char *src, size_t len, sciprune_error *err)
{
    sciprune_guard_info g;
    sciprune_guard_check(lang, src, len, &g);
    if (g.verdict == SCIPRUNE_GUARD_OK) return SCIPRUNE_OK;
    return sp_err(err, SCIPRUNE_EINVAL, lang, -1, -1,
                  "%s: not parsed (nesting depth %u, token run %u, file-scope run %u, %llu bytes, "
                  "longest line %llu bytes; limits %u, %u, %u, %u, %u)",
                  sciprune_guard_verdict_name(g.verdict), g.depth, g.run, g.top_run,
                  (unsigned long long)g.bytes, (unsigned long long)g.longest_line,
                  SCIPRUNE_GUARD_MAX_DEPTH, SCIPRUNE_GUARD_MAX_RUN, SCIPRUNE_GUARD_MAX_TOP_RUN,
                  SCIPRUNE_GUARD_MAX_BYTES, SCIPRUNE_GUARD_MAX_LINE);
}

uint32_t lang_error_count(const sciprune_parse_stats *st)
{
    return st->error_nodes + st->missing_nodes + st->indent_errors + st->early_errors;
}

static void count_tree_errors(TSNode root, sciprune_parse_stats *st)
{
    TSTreeCursor c = ts_tree_cursor_new(root);
    uint32_t err_depth = 0; /* >0 while inside an ERROR node */
    uint32_t depth = 0;
    for (;;) {
        TSNode n = ts_tree_cursor_current_node(&c);
        int is_err = ts_node_symbol(n) == (TSSymbol)-1;
        if (is_err) {
            st->error_nodes++;
            if (err_depth == 0) st->error_bytes += ts_node_end_byte(n) - ts_node_start_byte(n);
        }
        if (ts_node_is_missing(n)) st->missing_nodes++;
        if (ts_node_has_error(n) && ts_tree_cursor_goto_first_child(&c)) {
            depth++;
            if (is_err && err_depth == 0) err_depth = depth;
            continue;
        }
        /* subtrees without errors hold no ERROR/MISSING node: skip them */
        for (;;) {
            if (ts_tree_cursor_goto_next_sibling(&c)) break;
            if (!ts_tree_cursor_goto_parent(&c)) {
                ts_tree_cursor_delete(&c);
                return;
            }
            if (err_depth == depth) err_depth = 0;
            depth--;
        }
    }
}

void lang_count_errors(const char *lang, TSNode root, const char *src, size_t len,
                       sciprune_parse_stats *st)
{
    memset(st, 0, sizeof *st);
    st->indent_error = "";
    count_tree_errors(root, st);
    if (lang && !strcmp(lang, "python") && src) {
        lang_indent_result r;
        lang_pyindent_check(src, len, &r);
        st->indent_errors = r.errors;
        st->indent_line = r.first_line;
        st->indent_error = lang_indent_error_message(r.first);
    }
    if (lang && src && (!strcmp(lang, "javascript") || !strcmp(lang, "typescript") ||
                        !strcmp(lang, "tsx")))
        lang_js_early_errors(root, src, &st->early_errors, &st->early_line);
}

sciprune_status sciprune_parse_check(sciprune_parser *p, const char *lang, const char *src,
                                     size_t len, sciprune_parse_stats *st, sciprune_error *err)
{
    TSTree *t = NULL;
    sciprune_status s = lang_parse(p, lang, src, len, &t, err);
    if (s) return s;
    lang_count_errors(lang, ts_tree_root_node(t), src, len, st);
    ts_tree_delete(t);
    return SCIPRUNE_OK;
}
