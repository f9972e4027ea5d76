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
 * are enumerated from the children that the embed stage's one tree walk collects for the nodes
 * a pattern can be rooted at (sp_walk_*), so the whole pass costs a few child lists.
 *
 * Subset (anything else: no program, and the callers keep the query cursor):
 *   pattern    ( NAME child* predicate* ) capture*        NAME a visible named node type
 *   child      [FIELD :] node capture*  |  .  (anchor between two children, not first or last)
 *   node       ( NAME child* ) | ( _ ) | _ | "string" | [ alt+ ]
 *   alt        ( NAME ) | "string"
 *   predicate  (#name arg...)  args @capture (seen before), "string" (no escapes) or a word:
 *                            parsed into the steps ts_query_predicates_for_pattern would give,
 *                            compiled by lang_query_new_steps (the program's own capture ids)
 * No quantifiers, groups, negated fields, supertypes, ERROR nodes or (_ child...). No TSQuery
 * is compiled for the program; when one is (the query cursor's, corrupt_site_set_each), its
 * patterns must be the program's, one for one (count and start bytes are checked there).
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
    uint8_t kid_field;    /* some child step has a field */
    struct sp_node *kids; /* nkids, owned */
} sp_node;

struct sp_prog {
    sp_node *pats;        /* npats, pattern index = position; owned */
    uint32_t npats;
    uint32_t nsym;        /* the language's symbol count */
    uint32_t *first;      /* nsym + 1: patterns rooted at symbol s are byroot[first[s], first[s+1]) */
    uint32_t *byroot;     /* npats, owned */
    uint8_t *cls;         /* nsym: 1 a pattern's root symbol, 2 a nested step's (children wanted) */
    uint8_t *kfield;      /* nsym: some child step of such a node has a field */
    uint32_t *start;      /* npats: each pattern's first byte in the text, owned */
    char **capnames;      /* ncaps capture names, id = first appearance; owned */
    uint32_t ncaps;
    lang_query *query;    /* the predicates and properties (lang_query_new_steps), owned */
};

static void node_free(sp_node *n)
{
    for (uint16_t i = 0; i < n->nkids; i++) node_free(&n->kids[i]);
    free(n->kids);
}

void sp_prog_free(sp_prog *p)
{
    if (!p) return;
    for (uint32_t i = 0; p->pats && i < p->npats; i++) node_free(&p->pats[i]);
    free(p->pats);
    free(p->first);
    free(p->byroot);
    free(p->cls);
    free(p->kfield);
    free(p->start);
    for (uint32_t i = 0; i < p->ncaps; i++) free(p->capnames[i]);
    free(p->capnames);
    lang_query_free(p->query);
    free(p);
}

/* ------------------------------------------------------------------ parsing */

/* A growing array of predicate steps (one pattern's). */
typedef struct stepv {
    TSQueryPredicateStep *v;
    uint32_t n, cap;
} stepv;

typedef struct pin {
    const char *s;
    size_t n, i;
    const TSLanguage *L;
    sp_prog *g;           /* capnames / ncaps grow as captures appear */
    char **strings;       /* the predicates' strings */
    uint32_t nstrings, cstrings;
    stepv *steps;         /* per pattern (npats of g), the current one last */
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

/* The id of capture name[0, l): its first appearance's; with `add`, a new one when unseen.
 * -1 when unseen (and not added) or on ENOMEM. */
static int capture_id(pin *p, const char *name, size_t l, int add)
{
    sp_prog *g = p->g;
    for (uint32_t k = 0; k < g->ncaps; k++)
        if (strlen(g->capnames[k]) == l && !memcmp(g->capnames[k], name, l)) return (int)k;
    if (!add || g->ncaps >= 60000) return -1;
    char **nv = realloc(g->capnames, (g->ncaps + 1u) * sizeof *nv);
    if (!nv) return -1;
    g->capnames = nv;
    if (!(nv[g->ncaps] = strndup(name, l))) return -1;
    return (int)g->ncaps++;
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
            int id = capture_id(p, p->s + p->i, l, 1);
            if (id < 0) return -1;
            nd->caps[nd->ncap++] = (uint16_t)id;
            p->i += l;
            continue;
        }
        break;
    }
    if (p->i < p->n && (p->s[p->i] == '*' || p->s[p->i] == '+' || p->s[p->i] == '?')) return -1;
    return 0;
}

static int add_step(pin *p, TSQueryPredicateStepType t, uint32_t v)
{
    stepv *sv = &p->steps[p->g->npats - 1];
    if (sv->n == sv->cap) {
        uint32_t nc = sv->cap ? sv->cap * 2 : 16;
        TSQueryPredicateStep *nv = realloc(sv->v, nc * sizeof *nv);
        if (!nv) return -1;
        sv->v = nv;
        sv->cap = nc;
    }
    sv->v[sv->n++] = (TSQueryPredicateStep){t, v};
    return 0;
}

/* A string step: s[0, l) into the string table. */
static int add_string(pin *p, const char *str, size_t l)
{
    if (p->nstrings == p->cstrings) {
        uint32_t nc = p->cstrings ? p->cstrings * 2 : 32;
        char **nv = realloc(p->strings, nc * sizeof *nv);
        if (!nv) return -1;
        p->strings = nv;
        p->cstrings = nc;
    }
    if (!(p->strings[p->nstrings] = strndup(str, l))) return -1;
    return add_step(p, TSQueryPredicateStepTypeString, p->nstrings++);
}

/* A predicate `(#name arg...)` at p->i (the parenthesis), its steps added to the current
 * pattern's as tree-sitter gives them: the name (without '#'), then per argument a capture
 * (`@x`, seen before) or a string (`"text"` without escapes, or a bare word), then Done. */
static int parse_pred(pin *p)
{
    p->i += 2; /* "(#" */
    size_t l = ident(p);
    if (!l || add_string(p, p->s + p->i, l)) return -1;
    p->i += l;
    for (;;) {
        ws(p);
        if (p->i >= p->n) return -1;
        char c = p->s[p->i];
        if (c == ')') {
            p->i++;
            return add_step(p, TSQueryPredicateStepTypeDone, 0);
        }
        if (c == '@') {
            p->i++;
            l = ident(p);
            int id = l ? capture_id(p, p->s + p->i, l, 0) : -1;
            if (id < 0 || add_step(p, TSQueryPredicateStepTypeCapture, (uint32_t)id)) return -1;
            p->i += l;
        } else if (c == '"') {
            size_t j = p->i + 1;
            while (j < p->n && p->s[j] != '"') {
                if (p->s[j] == '\\' || p->s[j] == '\n') return -1; /* escapes: not in the subset */
                j++;
            }
            if (j >= p->n || add_string(p, p->s + p->i + 1, j - p->i - 1)) return -1;
            p->i = j + 1;
        } else {
            l = ident(p);
            if (!l || add_string(p, p->s + p->i, l)) return -1;
            p->i += l;
        }
    }
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
            if (parse_pred(p)) return -1;
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
        if (field) nd->kid_field = 1;
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
    int wild = l == 1 && p->s[p->i] == '_';
    if (wild) {
        if (depth == 0) return -1;
        nd->wild = 1;
    } else {
        if (named_sym(p, p->s + p->i, l, &nd->syms[0])) return -1;
        nd->nsyms = 1;
    }
    p->i += l;
    if (p->i < p->n && ident_char(p->s[p->i])) return -1;
    if (parse_kids(p, nd, depth)) return -1;
    return wild && nd->nkids ? -1 : 0; /* (_ child...): which nodes to collect is not known */
}

/* Mark the symbols of the nested steps (those with child steps) below n: their children are
 * collected too. -1 when a symbol is out of range. */
static int mark_nested(sp_prog *g, const sp_node *n)
{
    for (uint16_t i = 0; i < n->nkids; i++) {
        const sp_node *k = &n->kids[i];
        if (k->nkids) {
            for (uint16_t a = 0; a < k->nsyms; a++) {
                if (k->syms[a] >= g->nsym) return -1;
                g->cls[k->syms[a]] |= 2;
                g->kfield[k->syms[a]] |= k->kid_field;
            }
            if (mark_nested(g, k)) return -1;
        }
    }
    return 0;
}

sp_prog *sp_prog_new(const TSLanguage *L, const char *text, size_t len, const char *source)
{
    sp_prog *g = calloc(1, sizeof *g);
    pin p = {text, len, 0, L, g, NULL, 0, 0, NULL};
    uint32_t cpats = 0, np = 0;
    int64_t *lines = NULL;
    if (!g || !L) goto fail;
    for (;;) {
        ws(&p);
        if (p.i >= p.n) break;
        if (p.s[p.i] != '(') goto fail;
        if (g->npats == cpats) {
            uint32_t nc = cpats ? cpats * 2 : 16;
            sp_node *nv = realloc(g->pats, nc * sizeof *nv);
            if (nv) g->pats = nv;
            uint32_t *ns = nv ? realloc(g->start, nc * sizeof *ns) : NULL;
            if (ns) g->start = ns;
            stepv *sv = ns ? realloc(p.steps, nc * sizeof *sv) : NULL;
            if (!sv) goto fail;
            p.steps = sv;
            cpats = nc;
        }
        g->start[g->npats] = (uint32_t)p.i;
        p.steps[g->npats] = (stepv){NULL, 0, 0};
        sp_node *r = &g->pats[g->npats++];
        memset(r, 0, sizeof *r);
        if (parse_node(&p, r, 0) || r->wild || r->nsyms != 1 || captures(&p, r)) goto fail;
    }
    np = g->npats;
    if (!np) goto fail;
    g->nsym = ts_language_symbol_count(L);
    g->first = calloc(g->nsym + 2u, sizeof *g->first);
    g->byroot = malloc(np * sizeof *g->byroot);
    g->cls = calloc(g->nsym + 1u, 1);
    g->kfield = calloc(g->nsym + 1u, 1);
    if (!g->first || !g->byroot || !g->cls || !g->kfield) goto fail;
    for (uint32_t i = 0; i < np; i++) {
        if (g->pats[i].syms[0] >= g->nsym || mark_nested(g, &g->pats[i])) goto fail;
        g->first[g->pats[i].syms[0] + 1]++;
        g->cls[g->pats[i].syms[0]] |= 1;
        g->kfield[g->pats[i].syms[0]] |= g->pats[i].kid_field;
    }
    for (uint32_t s = 0; s < g->nsym; s++) g->first[s + 1] += g->first[s];
    uint32_t *fill = calloc(g->nsym + 1u, sizeof *fill);
    if (!fill) goto fail;
    for (uint32_t i = 0; i < np; i++) { /* pattern order within a symbol */
        TSSymbol s = g->pats[i].syms[0];
        g->byroot[g->first[s] + fill[s]++] = i;
    }
    free(fill);
    /* the predicates and properties: a lang_query of the parsed steps */
    const TSQueryPredicateStep **steps = malloc(np * sizeof *steps);
    uint32_t *nsteps = malloc(np * sizeof *nsteps);
    lines = malloc(np * sizeof *lines);
    if (!steps || !nsteps || !lines) {
        free(steps);
        free(nsteps);
        goto fail;
    }
    int64_t line = 1;
    size_t at = 0;
    for (uint32_t i = 0; i < np; i++) {
        for (; at < g->start[i]; at++) line += text[at] == '\n';
        lines[i] = line;
        steps[i] = p.steps[i].v;
        nsteps[i] = p.steps[i].n;
    }
    sciprune_status st = lang_query_new_steps(&g->query, np, steps, nsteps, lines, p.strings,
                                              p.nstrings, source, NULL);
    p.strings = NULL; /* taken */
    p.nstrings = 0;
    free(steps);
    free(nsteps);
    if (st) goto fail;
    for (uint32_t i = 0; i < np; i++) free(p.steps[i].v);
    free(p.steps);
    free(lines);
    return g;
fail:
    for (uint32_t i = 0; p.steps && i < g->npats; i++) free(p.steps[i].v);
    free(p.steps);
    for (uint32_t i = 0; i < p.nstrings; i++) free(p.strings[i]);
    free(p.strings);
    free(lines);
    sp_prog_free(g);
    return NULL;
}

uint32_t sp_prog_pattern_count(const sp_prog *g) { return g->npats; }
uint32_t sp_prog_pattern_start(const sp_prog *g, uint32_t i) { return g->start[i]; }
uint32_t sp_prog_capture_count(const sp_prog *g) { return g->ncaps; }
const char *sp_prog_capture_name(const sp_prog *g, uint32_t id) { return g->capnames[id]; }
const lang_query *sp_prog_query(const sp_prog *g) { return g->query; }

/* ------------------------------------------------------------------ matching */

/* A child in a list: with its own children's list when it is a collected node. */
typedef struct kid {
    TSNode n;
    TSSymbol sym;
    TSFieldId field;
    uint8_t named;
    uint32_t l0, nk;      /* its children: arena[l0, l0 + nk); l0 UINT32_MAX: not collected */
} kid;

/* A node whose children are being collected (a root symbol's, or a nested step's). */
typedef struct open_node {
    TSNode n;
    uint32_t depth;
    uint32_t s0;          /* its children start at stage[s0] */
    uint32_t entry;       /* its own entry in its parent's list (stage index), or UINT32_MAX */
    uint8_t root, fields;
} open_node;

typedef struct root_rec {
    TSNode n;
    uint32_t l0, nk;
} root_rec;

struct sp_walk {
    const sp_prog *g;
    kid *stage;           /* the open nodes' children so far, a stack; owned */
    uint32_t nstage, cstage;
    kid *arena;           /* closed nodes' children lists; owned */
    uint32_t narena, carena;
    open_node *open;      /* owned */
    uint32_t nopen, copen;
    root_rec *roots;      /* closed root nodes; owned */
    uint32_t nroots, croots;
    int oom;
    /* matching */
    TSQueryCapture caps[64];
    uint16_t ncaps;
    uint32_t pattern;
    sp_match_fn fn;
    void *user;
};

typedef struct frame {
    const sp_node *P;     /* the pattern node whose child steps are matched */
    uint32_t j;           /* the next step */
    uint32_t l0, nl;      /* the children: arena[l0, l0 + nl) */
    uint32_t from;        /* the first child the step may take */
    const struct frame *up; /* where to go on once P's steps are done; NULL: a match */
} frame;

sp_walk *sp_walk_new(void) { return calloc(1, sizeof(sp_walk)); }

void sp_walk_free(sp_walk *w)
{
    if (!w) return;
    free(w->stage);
    free(w->arena);
    free(w->open);
    free(w->roots);
    free(w);
}

void sp_walk_begin(sp_walk *w, const sp_prog *g)
{
    w->g = g;
    w->nstage = w->narena = w->nopen = w->nroots = 0;
    w->oom = 0;
}

static int grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap) return 0;
    uint32_t nc = *cap ? *cap : 64;
    while (nc < need) nc *= 2;
    void *n = realloc(*p, (size_t)nc * elem);
    if (!n) return -1;
    *p = n;
    *cap = nc;
    return 0;
}

/* The last open node's children are complete: move them to the arena. */
static void close_top(sp_walk *w)
{
    open_node o = w->open[--w->nopen];
    uint32_t nk = w->nstage - o.s0;
    if (grow((void **)&w->arena, &w->carena, w->narena + nk, sizeof *w->arena)) {
        w->oom = 1;
        w->nstage = o.s0;
        return;
    }
    uint32_t l0 = w->narena;
    if (nk) memcpy(w->arena + l0, w->stage + o.s0, nk * sizeof *w->arena);
    w->narena += nk;
    w->nstage = o.s0;
    if (o.entry != UINT32_MAX) {
        w->stage[o.entry].l0 = l0;
        w->stage[o.entry].nk = nk;
    }
    /* a pattern's root must end after byte 0 (the query cursor's range test) */
    if (o.root && ts_node_end_byte(o.n) > 0) {
        if (grow((void **)&w->roots, &w->croots, w->nroots + 1, sizeof *w->roots)) {
            w->oom = 1;
            return;
        }
        w->roots[w->nroots++] = (root_rec){o.n, l0, nk};
    }
}

void sp_walk_node(sp_walk *w, TSNode x, TSSymbol sym, int named, uint32_t depth,
                  const TSTreeCursor *c)
{
    if (w->oom) return;
    while (w->nopen && w->open[w->nopen - 1].depth >= depth) close_top(w);
    const sp_prog *g = w->g;
    uint32_t entry = UINT32_MAX;
    if (w->nopen && w->open[w->nopen - 1].depth + 1 == depth) { /* a child of the last open node */
        if (grow((void **)&w->stage, &w->cstage, w->nstage + 1, sizeof *w->stage)) {
            w->oom = 1;
            return;
        }
        entry = w->nstage++;
        w->stage[entry] = (kid){x, sym,
                                w->open[w->nopen - 1].fields ? ts_tree_cursor_current_field_id(c) : 0,
                                (uint8_t)named, UINT32_MAX, 0};
    }
    uint8_t cl = sym < g->nsym ? g->cls[sym] : 0;
    if (cl) {
        if (grow((void **)&w->open, &w->copen, w->nopen + 1, sizeof *w->open)) {
            w->oom = 1;
            return;
        }
        w->open[w->nopen++] = (open_node){x, depth, w->nstage, entry, (uint8_t)(cl & 1),
                                          g->kfield[sym]};
    }
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
static int run(sp_walk *w, const frame *f)
{
    if (f->j == f->P->nkids) {
        if (f->up) return run(w, f->up);
        TSQueryMatch qm = {0, (uint16_t)w->pattern, w->ncaps, w->caps};
        return w->fn(w->user, &qm);
    }
    const sp_node *s = &f->P->kids[f->j];
    for (uint32_t i = f->from; i < f->nl; i++) {
        const kid *k = &w->arena[f->l0 + i];
        if (step_ok(s, k)) {
            if (w->ncaps + s->ncap > sizeof w->caps / sizeof w->caps[0]) return -1;
            for (uint8_t c = 0; c < s->ncap; c++) w->caps[w->ncaps++] = (TSQueryCapture){k->n, s->caps[c]};
            frame next = {f->P, f->j + 1, f->l0, f->nl, i + 1, f->up};
            int r;
            if (s->nkids) { /* a nested node: its children were collected (its symbol is marked) */
                frame in = {s, 0, k->l0 == UINT32_MAX ? 0 : k->l0, k->l0 == UINT32_MAX ? 0 : k->nk,
                            0, &next};
                r = run(w, &in);
            } else r = run(w, &next);
            w->ncaps -= s->ncap;
            if (r) return r;
        }
        if (s->immediate && k->named) break; /* an anchored step: up to the first named child */
    }
    return 0;
}

int sp_walk_matches(sp_walk *w, sp_match_fn fn, void *user)
{
    while (w->nopen) close_top(w);
    if (w->oom) return -1;
    const sp_prog *g = w->g;
    w->fn = fn;
    w->user = user;
    for (uint32_t r = 0; r < w->nroots; r++) {
        const root_rec *rr = &w->roots[r];
        TSSymbol sym = ts_node_symbol(rr->n);
        for (uint32_t pi = g->first[sym]; pi < g->first[sym + 1]; pi++) {
            const sp_node *pat = &g->pats[g->byroot[pi]];
            w->pattern = g->byroot[pi];
            w->ncaps = 0;
            for (uint8_t c = 0; c < pat->ncap; c++) w->caps[w->ncaps++] = (TSQueryCapture){rr->n, pat->caps[c]};
            frame f = {pat, 0, rr->l0, rr->nk, 0, NULL};
            int rc = run(w, &f);
            if (rc) return rc;
        }
    }
    return 0;
}
