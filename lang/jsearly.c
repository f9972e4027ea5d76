/*
 * jsearly.c - JavaScript/TypeScript redeclarations that V8 rejects before running a line
 * ("SyntaxError: Identifier 'x' has already been declared") and tree-sitter's grammar accepts.
 *
 * Per scope (program, statement_block, switch_body: its cases' statements share one scope),
 * the names declared by the scope's own statements (also under `export`) are collected:
 * let/const declarators and class declarations (lexical), var declarators (var) and function
 * declarations (function). A lexical name declared twice, or declared lexically and by var or
 * function in the same scope, is an early error. Only plain identifiers are taken (patterns
 * are skipped) and var declarations hoisted from nested blocks are not followed, so the check
 * can miss an error but never flags code V8 accepts. TypeScript's declaration merging (an
 * interface, enum or namespace beside a class) is not counted: only the kinds above are.
 * Linear in the tree plus k log k per scope; an explicit cursor walk, no recursion.
 */
#include "lang_int.h"

#include <stdlib.h>
#include <string.h>

enum { D_LEX = 1, D_VAR = 2, D_FUNC = 4 };

typedef struct decl {
    const char *s;
    uint32_t len, line;
    int kind;
} decl;

typedef struct decls {
    decl *v;
    size_t n, cap;
    int oom;
} decls;

static void add(decls *d, TSNode name, const char *src, int kind)
{
    if (ts_node_is_null(name) || strcmp(ts_node_type(name), "identifier")) return;
    if (d->n == d->cap) {
        size_t nc = d->cap ? 2 * d->cap : 16;
        decl *nv = realloc(d->v, nc * sizeof *nv);
        if (!nv) {
            d->oom = 1;
            return;
        }
        d->v = nv;
        d->cap = nc;
    }
    uint32_t a = ts_node_start_byte(name), b = ts_node_end_byte(name);
    d->v[d->n++] = (decl){src + a, b - a, ts_node_start_point(name).row + 1, kind};
}

static void add_declarators(decls *d, TSNode decl_node, const char *src, int kind)
{
    uint32_t n = ts_node_named_child_count(decl_node);
    for (uint32_t i = 0; i < n; i++) {
        TSNode c = ts_node_named_child(decl_node, i);
        if (!strcmp(ts_node_type(c), "variable_declarator"))
            add(d, ts_node_child_by_field_name(c, "name", 4), src, kind);
    }
}

/* One statement of a scope. */
static void collect(decls *d, TSNode st, const char *src)
{
    const char *t = ts_node_type(st);
    if (!strcmp(t, "export_statement")) {
        st = ts_node_child_by_field_name(st, "declaration", 11);
        if (ts_node_is_null(st)) return;
        t = ts_node_type(st);
    }
    if (!strcmp(t, "lexical_declaration")) add_declarators(d, st, src, D_LEX);
    else if (!strcmp(t, "variable_declaration")) add_declarators(d, st, src, D_VAR);
    else if (!strcmp(t, "class_declaration"))
        add(d, ts_node_child_by_field_name(st, "name", 4), src, D_LEX);
    else if (!strcmp(t, "function_declaration") || !strcmp(t, "generator_function_declaration"))
        add(d, ts_node_child_by_field_name(st, "name", 4), src, D_FUNC);
}

static int cmp_decl(const void *pa, const void *pb)
{
    const decl *a = pa, *b = pb;
    if (a->len != b->len) return a->len < b->len ? -1 : 1;
    int c = memcmp(a->s, b->s, a->len);
    if (c) return c;
    return (a->line > b->line) - (a->line < b->line);
}

/* The conflicts among one scope's names: counted into *errors, the earliest line kept. */
static void judge(decls *d, uint32_t *errors, uint32_t *first_line)
{
    if (d->n < 2) return;
    qsort(d->v, d->n, sizeof *d->v, cmp_decl);
    for (size_t i = 0; i < d->n;) {
        size_t j = i;
        int kinds = 0, lex = 0;
        uint32_t line = 0;
        while (j < d->n && d->v[j].len == d->v[i].len && !memcmp(d->v[j].s, d->v[i].s, d->v[i].len)) {
            kinds |= d->v[j].kind;
            lex += d->v[j].kind == D_LEX;
            if (j > i && !line) line = d->v[j].line; /* the redeclaration */
            j++;
        }
        if (lex >= 2 || (lex == 1 && j - i >= 2)) {
            (*errors)++;
            if (!*first_line || line < *first_line) *first_line = line;
        }
        i = j;
    }
}

/* The grammar's symbols of the three scope kinds (named), so the walk compares integers. */
typedef struct scope_syms {
    TSSymbol program, block, switch_body;
} scope_syms;

static scope_syms syms_of(TSNode root)
{
    const TSLanguage *l = ts_tree_language(root.tree);
    scope_syms s;
    s.program = ts_language_symbol_for_name(l, "program", 7, true);
    s.block = ts_language_symbol_for_name(l, "statement_block", 15, true);
    s.switch_body = ts_language_symbol_for_name(l, "switch_body", 11, true);
    return s;
}

void lang_js_early_errors(TSNode root, const char *src, uint32_t *errors, uint32_t *first_line)
{
    *errors = 0;
    *first_line = 0;
    if (ts_node_is_null(root) || !src) return;
    decls d = {0};
    scope_syms ss = syms_of(root);
    TSTreeCursor c = ts_tree_cursor_new(root);
    for (;;) {
        TSNode n = ts_tree_cursor_current_node(&c);
        TSSymbol sym = ts_node_symbol(n);
        if (sym && (sym == ss.program || sym == ss.block || sym == ss.switch_body)) {
            d.n = 0;
            int sw = sym == ss.switch_body;
            uint32_t k = ts_node_named_child_count(n);
            for (uint32_t i = 0; i < k; i++) {
                TSNode s = ts_node_named_child(n, i);
                if (!sw) {
                    collect(&d, s, src);
                    continue;
                }
                uint32_t m = ts_node_named_child_count(s); /* switch_case / switch_default */
                for (uint32_t q = 0; q < m; q++) collect(&d, ts_node_named_child(s, q), src);
            }
            if (!d.oom) judge(&d, errors, first_line);
        }
        if (ts_tree_cursor_goto_first_child(&c)) continue;
        while (!ts_tree_cursor_goto_next_sibling(&c))
            if (!ts_tree_cursor_goto_parent(&c)) goto done;
    }
done:
    ts_tree_cursor_delete(&c);
    free(d.v);
}
