/*
 * sitepat.c - the site queries matched node by node, without a query cursor (corrupt_sites.h's
 * direct mode).
 *
 * The site types' patterns are all small: a named node with a few child steps, one level of
 * nesting at most (`(call function: (identifier) @_f arguments: (argument_list (integer)
 * @increment))`). A tree-sitter query cursor finds their matches by walking every node of the
 * subtrees it is given and advancing a state per pattern per node (in libtree-sitter 0.20.7
 * there is no max start depth to stop it descending): on the embed stage's site detectors that
 * pass cost more than the parse it rides on. Here the same query text is compiled into a tiny
 * program when every pattern is within the subset below, and the matches rooted at a given node
 * are enumerated from its children directly; the embed stage's one tree walk hands over every
 * node of a pattern's root symbol, so the whole pass costs a few child lists.
 *
 * Subset (anything else: no program, and the callers keep the query cursor):
 *   pattern    ( NAME child* predicate* ) capture*        NAME a visible named node type
 *   child      [FIELD :] node capture*  |  .  (anchor between two children, not first or last)
 *   node       ( NAME child* ) | ( _ ) | _ | "string" | [ alt+ ]
 *   alt        ( NAME ) | "string"
 *   predicate  (#name? ...)  skipped here: lang_query_match_ok evaluates it on the match, with
 *                            the TSQuery's capture ids, which the program uses too
 * No quantifiers, groups, negated fields, supertypes or ERROR nodes. The program's patterns
 * must be the TSQuery's, one for one (count and start bytes are checked).
 *
 * Semantics (libtree-sitter 0.20.7's query cursor, lib/src/query.c, for this subset): a child
 * step matches a visible child of the node (a TSTreeCursor's children) of the step's symbol
 * (ts_node_symbol: the public, alias-aware symbol), or for `(_)` any named child but an ERROR,
 * for `_` any child but an ERROR; a step with a field needs the child's field (the cursor's);
 * the steps match children in order, any children skipped between them, every combination a
 * match; an anchored step takes a child after the previous step's child up to the first named
 * one (a named child ends the search whether it matches or not; anonymous ones are skipped).
 * A pattern's root is a node of its symbol that ends after byte 0 (the cursor's range test).
 * Fields: the cursor's ts_tree_cursor_current_field_id; the query cursor's own status call
 * also gives an extra (a comment) inside a hidden wrapper the wrapper's field, which this one
 * does not (a comment as a field's only child: no such site in the types' queries).
 * test_embed's test_sites_subtrees_match_whole_tree checks on real files of 8 languages that
 * the sites and edits are the query cursor's.
 */
#include "corrupt_int.h"
#include "corrupt_sites_int.h"

#include <stdlib.h>
#include <string.h>

#define SP_MAX_ALTS 24
#define SP_MAX_CAPS 2   /* captures on one node */
#define SP_MAX_DEPTH 4  /* nesting of nodes in a pattern, the root at 0 */
#define SP_SYM_ERROR ((TSSymbol)-1) /* ts_builtin_sym_error (not in the public header) */

typedef struct sp_node {
    uint8_t wild;         /* 0: syms; 1: (_) a named node; 2: _ any node */
    uint8_t immediate;    /* anchored to the previous child step */
    uint8_t depth;        /* 0 for a pattern's root */
    uint8_t ncap;
    TSFieldId field;      /* 0: any */
    uint16_t nsyms;
    TSSymbol syms[SP_MAX_ALTS];
    uint16_t caps[SP_MAX_CAPS]; /* TSQuery capture ids */
    uint16_t nkids;
    struct sp_node *kids; /* nkids, owned */
} sp_node;

struct sp_prog {
    sp_node *pats;        /* npats, pattern index = position; owned */
    uint32_t npats;
    uint32_t nsym;        /* the language's symbol count */
    uint32_t *first;      /* nsym + 1: patterns rooted at symbol s are byroot[first[s], first[s+1]) */
    uint32_t *byroot;     /* npats, owned */
};

static void node_free(sp_node *n)
{
    for (uint16_t i = 0; i < n->nkids; i++) node_free(&n->kids[i]);
    free(n->kids);
}

void sp_prog_free(sp_prog *p)
{
    if (!p) return;
    for (uint32_t i = 0; i < p->npats; i++) node_free(&p->pats[i]);
    free(p->pats);
    free(p->first);
    free(p->byroot);
    free(p);
}

/* ------------------------------------------------------------------ parsing */

typedef struct pin {
    const char *s;
    size_t n, i;
    const TSLanguage *L;
    const TSQuery *q;
} pin;

static void ws(pin *p)
{
    while (p->i < p->n) {
        char c = p->s[p->i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') p->i++;
        else if (c == ';')
            while (p->i < p->n && p->s[p->i] != '\n') p->i++;
        else break;
    }
}

static int ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c == '?' || c == '!';
}

/* An identifier at p->i (node, field or capture name): its length, 0 when none. */
static size_t ident(const pin *p)
{
    size_t j = p->i;
    while (j < p->n && ident_char(p->s[j])) j++;
    return j - p->i;
}

static int named_sym(const pin *p, const char *nm, size_t l, TSSymbol *out)
{
    if (l == 5 && !memcmp(nm, "ERROR", 5)) return -1;
    TSSymbol s = ts_language_symbol_for_name(p->L, nm, (uint32_t)l, true);
    if (!s || ts_language_symbol_type(p->L, s) != TSSymbolTypeRegular) return -1;
    *out = s;
    return 0;
}

/* A "string" at p->i (the quote): its anonymous symbol. */
static int string_sym(pin *p, TSSymbol *out)
{
    char b[64];
    size_t l = 0;
    p->i++;
    while (p->i < p->n && p->s[p->i] != '"') {
        char c = p->s[p->i];
        if (c == '\\' || c == '\n' || l + 1 >= sizeof b) return -1; /* escapes: not in the subset */
        b[l++] = c;
        p->i++;
    }
    if (p->i >= p->n || l == 0) return -1;
    p->i++;
    TSSymbol s = ts_language_symbol_for_name(p->L, b, (uint32_t)l, false);
    if (!s || ts_language_symbol_type(p->L, s) != TSSymbolTypeAnonymous) return -1;
    *out = s;
    return 0;
}

/* Captures after a node (`@name`...), then no quantifier. */
static int captures(pin *p, sp_node *nd)
{
    for (;;) {
        ws(p);
        if (p->i < p->n && p->s[p->i] == '@') {
            p->i++;
            size_t l = ident(p);
            if (!l || nd->ncap == SP_MAX_CAPS) return -1;
            uint32_t nc = ts_query_capture_count(p->q), id = nc;
            for (uint32_t k = 0; k < nc; k++) {
                uint32_t kl;
                const char *nm = ts_query_capture_name_for_id(p->q, k, &kl);
                if (kl == l && !memcmp(nm, p->s + p->i, l)) id = k;
            }
            if (id == nc) return -1;
            nd->caps[nd->ncap++] = (uint16_t)id;
            p->i += l;
            continue;
        }
        break;
    }
    if (p->i < p->n && (p->s[p->i] == '*' || p->s[p->i] == '+' || p->s[p->i] == '?')) return -1;
    return 0;
}

/* Skip a predicate `(#...)` at p->i (the parenthesis): strings and nesting. */
static int skip_pred(pin *p)
{
    int d = 0;
    while (p->i < p->n) {
        char c = p->s[p->i];
        if (c == '"') {
            for (p->i++; p->i < p->n && p->s[p->i] != '"'; p->i++)
                if (p->s[p->i] == '\\') p->i++;
        } else if (c == '(') d++;
        else if (c == ')' && --d == 0) {
            p->i++;
            return 0;
        }
        p->i++;
    }
    return -1;
}

static int parse_node(pin *p, sp_node *nd, int depth);

/* The children of a parenthesized node, after its name, to its ')'. */
static int parse_kids(pin *p, sp_node *nd, int depth)
{
    int anchor = 0;
    for (;;) {
        ws(p);
        if (p->i >= p->n) return -1;
        char c = p->s[p->i];
        if (c == ')') {
            p->i++;
            return anchor ? -1 : 0; /* an anchor after the last child: not in the subset */
        }
        if (c == '(' && p->i + 1 < p->n && p->s[p->i + 1] == '#') {
            if (skip_pred(p)) return -1;
            continue;
        }
        if (c == '.') {
            if (anchor || !nd->nkids) return -1; /* first-child anchors: not in the subset */
            anchor = 1;
            p->i++;
            continue;
        }
        TSFieldId field = 0;
        size_t l = ident(p);
        if (l && !(l == 1 && c == '_')) { /* a field name */
            const char *nm = p->s + p->i;
            p->i += l;
            ws(p);
            if (p->i >= p->n || p->s[p->i] != ':') return -1;
            p->i++;
            ws(p);
            field = ts_language_field_id_for_name(p->L, nm, (uint32_t)l);
            if (!field) return -1;
        }
        sp_node *k = realloc(nd->kids, (nd->nkids + 1u) * sizeof *k);
        if (!k) return -1;
        nd->kids = k;
        sp_node *ch = &nd->kids[nd->nkids++];
        memset(ch, 0, sizeof *ch);
        if (parse_node(p, ch, depth + 1)) return -1;
        ch->field = field;
        ch->immediate = (uint8_t)anchor;
        anchor = 0;
        if (captures(p, ch)) return -1;
    }
}

static int parse_node(pin *p, sp_node *nd, int depth)
{
    if (depth >= SP_MAX_DEPTH || p->i >= p->n) return -1;
    nd->depth = (uint8_t)depth;
    char c = p->s[p->i];
    if (c == '"') {
        if (string_sym(p, &nd->syms[0])) return -1;
        nd->nsyms = 1;
        return 0;
    }
    if (c == '_' && (p->i + 1 >= p->n || !ident_char(p->s[p->i + 1]))) {
        p->i++;
        nd->wild = 2;
        return 0;
    }
    if (c == '[') {
        p->i++;
        for (;;) {
            ws(p);
            if (p->i >= p->n) return -1;
            c = p->s[p->i];
            if (c == ']') {
                p->i++;
                return nd->nsyms ? 0 : -1;
            }
            if (nd->nsyms == SP_MAX_ALTS) return -1;
            if (c == '"') {
                if (string_sym(p, &nd->syms[nd->nsyms])) return -1;
            } else if (c == '(') { /* ( NAME ) */
                p->i++;
                ws(p);
                size_t l = ident(p);
                if (!l || (l == 1 && p->s[p->i] == '_') ||
                    named_sym(p, p->s + p->i, l, &nd->syms[nd->nsyms]))
                    return -1;
                p->i += l;
                ws(p);
                if (p->i >= p->n || p->s[p->i] != ')') return -1;
                p->i++;
            } else return -1;
            nd->nsyms++;
            ws(p);
            if (p->i < p->n && p->s[p->i] == '@') return -1; /* captures inside: not in the subset */
        }
    }
    if (c != '(') return -1;
    p->i++;
    ws(p);
    size_t l = ident(p);
    if (!l) return -1; /* a group: not in the subset */
    if (l == 1 && p->s[p->i] == '_') {
        if (depth == 0) return -1;
        nd->wild = 1;
    } else {
        if (named_sym(p, p->s + p->i, l, &nd->syms[0])) return -1;
        nd->nsyms = 1;
    }
    p->i += l;
    if (p->i < p->n && ident_char(p->s[p->i])) return -1;
    return parse_kids(p, nd, depth);
}

sp_prog *sp_prog_new(const TSLanguage *L, const TSQuery *q, const char *text, size_t len)
{
    sp_prog *g = calloc(1, sizeof *g);
    if (!g || !L) goto fail;
    pin p = {text, len, 0, L, q};
    uint32_t np = ts_query_pattern_count(q);
    if (!(g->pats = calloc(np ? np : 1, sizeof *g->pats))) goto fail;
    for (;;) {
        ws(&p);
        if (p.i >= p.n) break;
        if (g->npats == np || p.s[p.i] != '(' ||
            ts_query_start_byte_for_pattern(q, g->npats) != p.i)
            goto fail;
        sp_node *r = &g->pats[g->npats++];
        if (parse_node(&p, r, 0) || r->wild || r->nsyms != 1 || captures(&p, r)) goto fail;
    }
    if (g->npats != np) goto fail;
    g->nsym = ts_language_symbol_count(L);
    g->first = calloc(g->nsym + 2u, sizeof *g->first);
    g->byroot = malloc((np ? np : 1) * sizeof *g->byroot);
    if (!g->first || !g->byroot) goto fail;
    for (uint32_t i = 0; i < np; i++) {
        if (g->pats[i].syms[0] >= g->nsym) goto fail;
        g->first[g->pats[i].syms[0] + 1]++;
    }
    for (uint32_t s = 0; s < g->nsym; s++) g->first[s + 1] += g->first[s];
    uint32_t *fill = calloc(g->nsym + 1u, sizeof *fill);
    if (!fill) goto fail;
    for (uint32_t i = 0; i < np; i++) { /* pattern order within a symbol */
        TSSymbol s = g->pats[i].syms[0];
        g->byroot[g->first[s] + fill[s]++] = i;
    }
    free(fill);
    return g;
fail:
    sp_prog_free(g);
    return NULL;
}

int sp_prog_is_root(const sp_prog *g, TSSymbol s)
{
    return s < g->nsym && g->first[s + 1] > g->first[s];
}

/* ------------------------------------------------------------------ matching */

typedef struct kid {
    TSNode n;
    TSSymbol sym;
    TSFieldId field;
    uint8_t named;
} kid;

typedef struct frame {
    const sp_node *P;     /* the pattern node whose child steps are matched */
    uint32_t j;           /* the next step */
    uint32_t l0, nl;      /* the children: arena[l0, l0 + nl) */
    uint32_t from;        /* the first child the step may take */
    const struct frame *up; /* where to go on once P's steps are done; NULL: a match */
} frame;

struct sp_matcher {
    TSTreeCursor cur;
    int has_cur;
    kid *arena;           /* child lists, a stack; owned */
    uint32_t top, cap;
    TSQueryCapture caps[64];
    uint16_t ncaps;
    uint32_t pattern;
    sp_match_fn fn;
    void *user;
};

sp_matcher *sp_matcher_new(void) { return calloc(1, sizeof(sp_matcher)); }

void sp_matcher_free(sp_matcher *m)
{
    if (!m) return;
    if (m->has_cur) ts_tree_cursor_delete(&m->cur);
    free(m->arena);
    free(m);
}

/* Push the visible children of n on the arena: their offset, or UINT32_MAX on ENOMEM. */
static uint32_t gather(sp_matcher *m, TSNode n, uint32_t *count)
{
    if (!m->has_cur) {
        m->cur = ts_tree_cursor_new(n);
        m->has_cur = 1;
    } else ts_tree_cursor_reset(&m->cur, n);
    uint32_t l0 = m->top;
    *count = 0;
    if (!ts_tree_cursor_goto_first_child(&m->cur)) return l0;
    do {
        if (m->top == m->cap) {
            uint32_t nc = m->cap ? m->cap * 2 : 64;
            kid *a = realloc(m->arena, nc * sizeof *a);
            if (!a) return UINT32_MAX;
            m->arena = a;
            m->cap = nc;
        }
        TSNode c = ts_tree_cursor_current_node(&m->cur);
        m->arena[m->top++] = (kid){c, ts_node_symbol(c), ts_tree_cursor_current_field_id(&m->cur),
                                   (uint8_t)ts_node_is_named(c)};
    } while (ts_tree_cursor_goto_next_sibling(&m->cur));
    *count = m->top - l0;
    return l0;
}

static int step_ok(const sp_node *s, const kid *k)
{
    if (s->field && s->field != k->field) return 0;
    if (s->wild) return k->sym != SP_SYM_ERROR && (k->named || s->wild == 2);
    for (uint16_t i = 0; i < s->nsyms; i++)
        if (s->syms[i] == k->sym) return 1;
    return 0;
}

/* Enumerate the matches from frame f on: 0, or the callback's nonzero (stop; -1 ENOMEM). */
static int run(sp_matcher *m, const frame *f)
{
    if (f->j == f->P->nkids) {
        if (f->up) return run(m, f->up);
        TSQueryMatch qm = {0, (uint16_t)m->pattern, m->ncaps, m->caps};
        return m->fn(m->user, &qm);
    }
    const sp_node *s = &f->P->kids[f->j];
    for (uint32_t i = f->from; i < f->nl; i++) {
        kid k = m->arena[f->l0 + i]; /* a copy: the arena may move below */
        if (step_ok(s, &k)) {
            if (m->ncaps + s->ncap > sizeof m->caps / sizeof m->caps[0]) return -1;
            for (uint8_t c = 0; c < s->ncap; c++) m->caps[m->ncaps++] = (TSQueryCapture){k.n, s->caps[c]};
            frame next = {f->P, f->j + 1, f->l0, f->nl, i + 1, f->up};
            int r;
            if (s->nkids) {
                uint32_t top = m->top, nk;
                uint32_t k0 = gather(m, k.n, &nk);
                if (k0 == UINT32_MAX) return -1;
                frame in = {s, 0, k0, nk, 0, &next};
                r = run(m, &in);
                m->top = top;
            } else r = run(m, &next);
            m->ncaps -= s->ncap;
            if (r) return r;
        }
        if (s->immediate && k.named) break; /* an anchored step: up to the first named child */
    }
    return 0;
}

int sp_match_at(sp_matcher *m, const sp_prog *g, TSNode x, sp_match_fn fn, void *user)
{
    TSSymbol sym = ts_node_symbol(x);
    if (!sp_prog_is_root(g, sym) || ts_node_end_byte(x) == 0) return 0;
    m->fn = fn;
    m->user = user;
    m->top = 0;
    uint32_t nk, k0 = gather(m, x, &nk);
    if (k0 == UINT32_MAX) return -1;
    for (uint32_t pi = g->first[sym]; pi < g->first[sym + 1]; pi++) {
        const sp_node *r = &g->pats[g->byroot[pi]];
        m->pattern = g->byroot[pi];
        m->ncaps = 0;
        for (uint8_t c = 0; c < r->ncap; c++) m->caps[m->ncaps++] = (TSQueryCapture){x, r->caps[c]};
        frame f = {r, 0, k0, nk, 0, NULL};
        int rc = run(m, &f);
        if (rc) return rc;
    }
    return 0;
}
