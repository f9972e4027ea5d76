/*
 * hash.c - the default embedder: tree-sitter-aware feature hashing.
 *
 * One parse per file, one walk over the tree with a TSTreeCursor. Every feature is a 64-bit
 * hash; a document becomes a bag of (feature, tf). The vector is
 *
 *     v[bucket(f)] += sign(f) * log(1 + tf(f)) * idf(f)       for every distinct feature f
 *     v /= |v|
 *
 * with bucket(f) = high 32 bits of f scaled to [0, dim), sign(f) = bit 31 of f, and
 * idf(f) = idf_table[f mod 2^idf_bits] (1 when no table is fitted). Features, by family
 * (each family is hashed with its own seed derived from the settings' seed):
 *   identifiers  leaf nodes whose type contains "identifier": the text split into sub-tokens
 *                at '_' / non-alphanumerics, lower->Upper, UPPER->Upper+lower ("HTTPServer"
 *                -> http, server) and letter<->digit, lower-cased, hashed from the source bytes
 *   keywords     anonymous leaves (keywords, operators, punctuation) by node type; other named
 *                leaves by type and text (when short: "int" vs "float" in primitive_type)
 *   literals     the class of string / number / char / bool / null / regex / comment nodes,
 *                never their text; the walk does not descend into them
 *   ast_pairs    (nearest named ancestor type, named node type)
 *   ast_paths    the types of path_depth consecutive named ancestors ending at a named node
 *   errors       one feature per ERROR node and per MISSING node (by the missing type)
 * Node-type hashes do not include the language, so the same construct in two grammars that
 * share type names (if_statement, identifier) hashes the same.
 *
 * Why structure is dropped on a parse error (drop_structure_on_error, on by default): the
 * prototype runs behind DESIGN.md showed that what separates syntactically broken files from
 * clean ones is that they *lose* their structural features and land far from every centroid;
 * a lexical-only embedding catches nothing. Dropping the AST pair/path block for a file with
 * ERROR/MISSING nodes makes that loss total and uniform (a partly-recovered tree still shares
 * most pairs with its original). The opposite idea, up-weighting ERROR features, backfired:
 * broken files formed their own dense clusters and stopped looking anomalous. So error markers
 * are ordinary features here (log tf, corpus idf) and are never boosted.
 *
 * Unknown languages (no grammar) and texts the parser gives up on go through a lexical
 * tokenizer (words -> identifier sub-tokens, digits -> number class, quoted runs -> string
 * class, operator runs -> keyword family) and are flagged SCIPRUNE_ROW_LEXICAL; so are the
 * texts the parse guard keeps from tree-sitter (sciprune.h, "the parse guard"), flagged
 * SCIPRUNE_ROW_TOO_DEEP / SCIPRUNE_ROW_TOO_LARGE. The tokenizer is linear and needs no tree.
 *
 * Determinism: a row depends only on the text, the language and the spec: features are added
 * in walk order and summed in insertion order in double precision; idf counts are integers
 * summed across workers. Thread count cannot change a byte.
 */
#include "embed_int.h"
#include "../gates/gates.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { K_OTHER = 0, K_IDENT, K_STRING, K_CHAR, K_NUMBER, K_BOOL, K_NULL, K_REGEX, K_COMMENT };
static const char *const k_kind_names[] = {"other", "ident", "string", "char", "number",
                                           "bool", "null", "regex", "comment"};

enum { F_IDENT = 0, F_KW, F_LIT, F_PAIR, F_PATH, F_ERR, F_MISSING, F_EMPTY, F_LEXOP, NFAM };
static const char *const k_fam_names[NFAM] = {"ident", "kw", "lit", "pair", "path",
                                              "error", "missing", "empty", "lexop"};

#define MAX_TOKEN 48     /* identifier sub-tokens longer than this are cut (deterministically) */
#define MAX_LEAF_TEXT 32 /* named leaves up to this length are hashed with their text */
#define MAX_LANGS 16

typedef struct hash_lang {
    const TSLanguage *g;
    uint32_t nsym;
    uint64_t *symh;  /* nsym: hash of (named, type name), owned */
    uint8_t *kind;   /* nsym: K_*, owned */
    uint8_t *named;  /* nsym, owned */
} hash_lang;

struct hash_state {
    hash_lang langs[MAX_LANGS];
    size_t nlangs;
    uint64_t fam[NFAM];   /* family seeds */
    uint64_t err_symh;    /* type hash of ERROR nodes */
    uint64_t lit_feat[9]; /* literal class features */
};

/* ---------------------------------------------------------------- hashing helpers */

static inline uint64_t fmix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

static inline uint64_t mix2(uint64_t a, uint64_t b)
{
    return fmix64(a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2)));
}

/* ------------------------------------------------------------ per-document feature map
 * Open addressing over a dense entry array kept in insertion order (the sum order of the
 * vector, hence determinism). Cleared in O(entries), not O(capacity), so one huge file does not
 * slow every later one down. */

typedef embed_feat fent; /* key, cnt: the layout the stage's feature cache keeps */

typedef struct fmap {
    uint32_t *slot; /* cap: entry index + 1, 0 = empty; owned */
    uint32_t cap;   /* power of two */
    fent *ent;      /* n, owned */
    uint32_t n, ecap;
    int oom;
} fmap;

static void fmap_free(fmap *m)
{
    free(m->slot);
    free(m->ent);
    memset(m, 0, sizeof *m);
}

static void fmap_clear(fmap *m)
{
    for (uint32_t e = 0; e < m->n; e++) {
        uint32_t i = (uint32_t)m->ent[e].key & (m->cap - 1);
        while (m->slot[i] != e + 1) i = (i + 1) & (m->cap - 1);
        m->slot[i] = 0;
    }
    m->n = 0;
    m->oom = 0;
}

static int fmap_grow(fmap *m)
{
    uint32_t ncap = m->cap ? m->cap * 2 : 1024;
    uint32_t *ns = calloc(ncap, sizeof *ns);
    if (!ns) return -1;
    for (uint32_t e = 0; e < m->n; e++) {
        uint32_t i = (uint32_t)m->ent[e].key & (ncap - 1);
        while (ns[i]) i = (i + 1) & (ncap - 1);
        ns[i] = e + 1;
    }
    free(m->slot);
    m->slot = ns;
    m->cap = ncap;
    return 0;
}

static inline void fmap_add(fmap *m, uint64_t key)
{
    if ((uint64_t)(m->n + 1) * 2 > m->cap && fmap_grow(m)) {
        m->oom = 1;
        return;
    }
    uint32_t i = (uint32_t)key & (m->cap - 1);
    for (;;) {
        uint32_t s = m->slot[i];
        if (!s) break;
        if (m->ent[s - 1].key == key) {
            m->ent[s - 1].cnt++;
            return;
        }
        i = (i + 1) & (m->cap - 1);
    }
    if (m->n == m->ecap) {
        uint32_t nc = m->ecap ? m->ecap * 2 : 512;
        fent *ne = realloc(m->ent, (size_t)nc * sizeof *ne);
        if (!ne) {
            m->oom = 1;
            return;
        }
        m->ent = ne;
        m->ecap = nc;
    }
    m->ent[m->n].key = key;
    m->ent[m->n].cnt = 1;
    m->slot[i] = ++m->n;
}

/* ------------------------------------------------------------------- worker context */

typedef struct hash_worker {
    sciprune_parser *parser; /* owned when own_parser */
    int own_parser;
    fmap m;
    double *acc;             /* dim, owned */
    uint64_t *anc_h;         /* named-ancestor stack: type hash, owned */
    uint32_t *anc_d;         /* and depth, owned */
    size_t anc_cap;
    uint32_t *df;            /* 2^idf_bits document frequencies (fit pass), owned, lazy */
    uint64_t df_docs;
    size_t df_n;             /* df's length (2^idf_bits, set with it), for the reset */
    sites_worker *sw;        /* e->sites: the site detectors' scratch, owned; else NULL */
    int sites_train;         /* extract() collects training examples (fit pass) */
    ngram_doc nd;            /* the record's n-gram tokens and sites (naturalness) */
    double *lpa;             /* nd's per-token log-probabilities, lpa_cap, owned */
    size_t lpa_cap;
    uint32_t *ng;            /* 2^NGRAM_BITS n-gram counts (fit pass), owned, lazy */
} hash_worker;

static void worker_free(void *p)
{
    hash_worker *w = p;
    if (!w) return;
    if (w->own_parser) sciprune_parser_free(w->parser);
    fmap_free(&w->m);
    free(w->acc);
    free(w->anc_h);
    free(w->anc_d);
    free(w->df);
    embed_sites_worker_free(w->sw);
    ngram_doc_free(&w->nd);
    free(w->lpa);
    free(w->ng);
    free(w);
}

static sciprune_status worker_make(sciprune_embedder *e, hash_worker **out, int with_parser,
                                   sciprune_error *err)
{
    *out = NULL;
    hash_worker *w = calloc(1, sizeof *w);
    if (!w) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    w->acc = malloc((size_t)e->dim * sizeof *w->acc);
    w->anc_cap = 64;
    w->anc_h = malloc(w->anc_cap * sizeof *w->anc_h);
    w->anc_d = malloc(w->anc_cap * sizeof *w->anc_d);
    if (!w->acc || !w->anc_h || !w->anc_d || fmap_grow(&w->m)) {
        worker_free(w);
        return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    }
    if (e->sites) {
        sciprune_status st = embed_sites_worker_new(e, &w->sw, err);
        if (st) {
            worker_free(w);
            return st;
        }
    }
    if (with_parser) {
        sciprune_status st = sciprune_parser_new(&w->parser, err);
        if (st) {
            worker_free(w);
            return st;
        }
        w->own_parser = 1;
    }
    *out = w;
    return SCIPRUNE_OK;
}

static sciprune_status worker_new(sciprune_embedder *e, void **out, sciprune_error *err)
{
    hash_worker *w;
    sciprune_status st = worker_make(e, &w, 1, err);
    *out = w;
    return st;
}

sites_worker *embed_hash_worker_sites(void *p) { return ((hash_worker *)p)->sw; }

void embed_hash_worker_drop_sites(void *p)
{
    hash_worker *w = p;
    embed_sites_worker_free(w->sw);
    w->sw = NULL;
}

const uint32_t *embed_hash_worker_df(void *p) { return ((hash_worker *)p)->df; }

uint64_t embed_hash_worker_docs(void *p) { return ((hash_worker *)p)->df_docs; }

const uint32_t *embed_hash_worker_ngram(void *p)
{
    return ((hash_worker *)p)->ng;
}

uint32_t *embed_hash_worker_take_ngram(void *p)
{
    hash_worker *w = p;
    uint32_t *t = w->ng;
    w->ng = NULL;
    return t;
}

void embed_hash_worker_reset_ngram(void *p)
{
    hash_worker *w = p;
    free(w->ng);
    w->ng = NULL;
}

void embed_hash_worker_reset_df(void *p)
{
    hash_worker *w = p;
    w->df_docs = 0;
    /* zeroed in place: the next count pass reuses the pages (no fault per page again) */
    if (w->df) memset(w->df, 0, w->df_n * sizeof *w->df);
}

uint32_t *embed_hash_worker_take_df(void *p)
{
    hash_worker *w = p;
    uint32_t *t = w->df;
    w->df = NULL;
    w->df_docs = 0;
    return t;
}

/* ------------------------------------------------------------------ symbol tables */

static int has(const char *s, const char *sub) { return strstr(s, sub) != NULL; }

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && memcmp(s + a - b, suf, b) == 0;
}

static int in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(s, *list)) return 1;
    return 0;
}

/* Kind of a named node type, from its name (the grammars share naming conventions). */
static uint8_t classify(const char *name)
{
    static const char *const bools[] = {"true", "false", "boolean", "boolean_literal", NULL};
    static const char *const nulls[] = {"none", "null", "nil", "null_literal", "nullptr",
                                        "undefined", NULL};
    static const char *const nums[] = {"integer", "float", "number", "number_literal", NULL};
    if (has(name, "comment")) return K_COMMENT;
    if (has(name, "identifier")) return K_IDENT; /* only leaves are treated as identifiers */
    if (has(name, "regex")) return K_REGEX;
    if (has(name, "char_literal") || has(name, "character_literal") || has(name, "rune_literal"))
        return K_CHAR;
    if (has(name, "string") || has(name, "text_block") || has(name, "heredoc")) return K_STRING;
    if (in_list(name, bools)) return K_BOOL;
    if (in_list(name, nulls)) return K_NULL;
    if (in_list(name, nums)) return K_NUMBER;
    if (ends_with(name, "_literal") &&
        (has(name, "int") || has(name, "float") || has(name, "decimal") || has(name, "hex") ||
         has(name, "octal") || has(name, "binary") || has(name, "imaginary") || has(name, "number")))
        return K_NUMBER;
    return K_OTHER;
}

static void hash_state_free(hash_state *hs)
{
    if (!hs) return;
    for (size_t i = 0; i < hs->nlangs; i++) {
        free(hs->langs[i].symh);
        free(hs->langs[i].kind);
        free(hs->langs[i].named);
    }
    free(hs);
}

/* Precompute, per grammar, the type-name hash and kind of every symbol id, so the walk never
 * touches a string for a node type. */
sciprune_status embed_hash_init(sciprune_embedder *e, sciprune_error *err)
{
    hash_state *hs = calloc(1, sizeof *hs);
    if (!hs) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    for (int f = 0; f < NFAM; f++)
        hs->fam[f] = sp_hash64(k_fam_names[f], strlen(k_fam_names[f]), e->s.seed);
    hs->err_symh = sp_hash64("ERROR", 5, 1);
    for (int k = 0; k < 9; k++)
        hs->lit_feat[k] = mix2(hs->fam[F_LIT], sp_hash64(k_kind_names[k], strlen(k_kind_names[k]), 0));
    size_t nl = sciprune_lang_count();
    for (size_t i = 0; i < nl && hs->nlangs < MAX_LANGS; i++) {
        const TSLanguage *g = lang_grammar(sciprune_lang_name(i));
        if (!g) continue;
        hash_lang *hl = &hs->langs[hs->nlangs++];
        hl->g = g;
        hl->nsym = ts_language_symbol_count(g);
        hl->symh = malloc((size_t)hl->nsym * sizeof *hl->symh);
        hl->kind = malloc(hl->nsym ? hl->nsym : 1);
        hl->named = malloc(hl->nsym ? hl->nsym : 1);
        if (!hl->symh || !hl->kind || !hl->named) {
            hash_state_free(hs);
            return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
        }
        for (uint32_t s = 0; s < hl->nsym; s++) {
            const char *name = ts_language_symbol_name(g, (TSSymbol)s);
            if (!name) name = "";
            int named = ts_language_symbol_type(g, (TSSymbol)s) == TSSymbolTypeRegular;
            hl->named[s] = (uint8_t)named;
            hl->symh[s] = sp_hash64(name, strlen(name), named ? 1 : 2);
            hl->kind[s] = named ? classify(name) : K_OTHER;
        }
    }
    e->hash = hs;
    return SCIPRUNE_OK;
}

static const hash_lang *find_lang(const hash_state *hs, const TSLanguage *g)
{
    if (!g) return NULL;
    for (size_t i = 0; i < hs->nlangs; i++)
        if (hs->langs[i].g == g) return &hs->langs[i];
    return NULL;
}

/* -------------------------------------------------------------------- extraction */

enum { CL_SEP = 0, CL_LOWER, CL_UPPER, CL_DIGIT };

static inline int char_class(unsigned char c)
{
    if (c >= 'a' && c <= 'z') return CL_LOWER;
    if (c >= 'A' && c <= 'Z') return CL_UPPER;
    if (c >= '0' && c <= '9') return CL_DIGIT;
    if (c >= 0x80) return CL_LOWER; /* UTF-8 letters of other scripts: part of a token */
    return CL_SEP;
}

/* Split an identifier into lower-cased sub-tokens and add one feature per sub-token. */
static void add_ident(fmap *m, uint64_t fam, const unsigned char *s, size_t n)
{
    unsigned char buf[MAX_TOKEN];
    size_t bl = 0;
    int prev = CL_SEP;
    for (size_t i = 0; i <= n; i++) {
        int cls = i < n ? char_class(s[i]) : CL_SEP;
        int boundary = cls == CL_SEP;
        if (!boundary && prev != CL_SEP) {
            if (cls == CL_UPPER && prev == CL_LOWER) boundary = 1;
            else if (cls == CL_UPPER && prev == CL_UPPER && i + 1 < n &&
                     char_class(s[i + 1]) == CL_LOWER && s[i + 1] < 0x80)
                boundary = 1;
            else if ((cls == CL_DIGIT) != (prev == CL_DIGIT)) boundary = 1;
        }
        if (boundary && bl) {
            fmap_add(m, mix2(fam, sp_hash64(buf, bl, 0)));
            bl = 0;
        }
        if (cls != CL_SEP && bl < MAX_TOKEN)
            buf[bl++] = (unsigned char)(cls == CL_UPPER ? s[i] - 'A' + 'a' : s[i]);
        prev = cls;
    }
}

static int is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static int is_word(unsigned char c) { return char_class(c) != CL_SEP || c == '_' || c == '$'; }

/* Fallback for texts without a tree: a small language-agnostic tokenizer. */
static void lexical(const hash_state *hs, uint32_t feat, fmap *m, const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (is_ws(c)) {
            i++;
        } else if (c >= '0' && c <= '9') {
            size_t j = i;
            while (j < n && (is_word(s[j]) || s[j] == '.')) j++;
            if (feat & SCIPRUNE_FEAT_LITERAL) fmap_add(m, hs->lit_feat[K_NUMBER]);
            i = j;
        } else if (is_word(c)) {
            size_t j = i;
            while (j < n && is_word(s[j])) j++;
            if (feat & SCIPRUNE_FEAT_IDENT) add_ident(m, hs->fam[F_IDENT], s + i, j - i);
            i = j;
        } else if (c == '"' || c == '\'' || c == '`') {
            size_t j = i + 1;
            while (j < n && s[j] != c && s[j] != '\n') j += s[j] == '\\' ? 2 : 1;
            if (j < n && s[j] == c) j++;
            if (feat & SCIPRUNE_FEAT_LITERAL) fmap_add(m, hs->lit_feat[K_STRING]);
            i = j > n ? n : j;
        } else {
            size_t j = i;
            while (j < n && j - i < 3 && !is_ws(s[j]) && !is_word(s[j]) && s[j] != '"' &&
                   s[j] != '\'' && s[j] != '`')
                j++;
            if (feat & SCIPRUNE_FEAT_KEYWORD) fmap_add(m, mix2(hs->fam[F_LEXOP], sp_hash64(s + i, j - i, 0)));
            i = j;
        }
    }
}

static int anc_push(hash_worker *w, size_t *n, uint64_t h, uint32_t depth)
{
    if (*n == w->anc_cap) {
        size_t nc = w->anc_cap * 2;
        uint64_t *nh = realloc(w->anc_h, nc * sizeof *nh);
        if (!nh) return -1;
        w->anc_h = nh;
        uint32_t *nd = realloc(w->anc_d, nc * sizeof *nd);
        if (!nd) return -1;
        w->anc_d = nd;
        w->anc_cap = nc;
    }
    w->anc_h[*n] = h;
    w->anc_d[*n] = depth;
    (*n)++;
    return 0;
}

/* A node's type hash, kind and namedness from the language's tables (sym: its
 * ts_node_symbol; tsnamed: its ts_node_is_named when the walk asked already, else -1); 1 for an
 * ERROR node. */
static inline int node_sym(const hash_state *hs, const hash_lang *hl, TSNode n, TSSymbol sym,
                           int tsnamed, uint64_t *sh, uint8_t *kind, uint8_t *named)
{
    *kind = K_OTHER;
    *named = 1;
    if (sym == (TSSymbol)-1) {
        *sh = hs->err_symh;
        return 1;
    }
    if (sym < hl->nsym) {
        *sh = hl->symh[sym];
        *kind = hl->kind[sym];
        *named = hl->named[sym];
    } else {
        *sh = fmix64((uint64_t)sym + 0x51ed270b27ULL);
        *named = (uint8_t)(tsnamed >= 0 ? tsnamed : ts_node_is_named(n));
    }
    return 0;
}

/* Walk the tree and add its features to w->m; with nd the n-gram tokenizer
 * (ngram_walk_node) and with sw the site detectors' record scan (embed_sites_scan_node) ride
 * the same walk, so a tree is walked once. Each consumer decides for itself whether it wants a
 * node's children; the walk descends when any does, and a consumer that did not want them
 * skips the subtree (w_skip, g_skip, s_skip: the depth of the node it stopped at), so each
 * sees exactly the nodes its own walk would. */
static void walk(const hash_state *hs, const sciprune_embedder_settings *s, hash_worker *w,
                 const hash_lang *hl, TSNode root, const unsigned char *text, int has_error,
                 ngram_doc *nd, sites_worker *sw)
{
    uint32_t feat = s->features;
    int structure = !(has_error && s->drop_structure_on_error);
    int want_pair = structure && (feat & SCIPRUNE_FEAT_AST_PAIR);
    int want_path = structure && (feat & SCIPRUNE_FEAT_AST_PATH);
    int want_err = (feat & SCIPRUNE_FEAT_ERROR) != 0;
    uint32_t plen = s->path_depth;
    fmap *m = &w->m;
    TSTreeCursor c = ts_tree_cursor_new(root);
    uint32_t depth = 0;
    size_t nanc = 0;
    uint32_t w_skip = UINT32_MAX, g_skip = nd ? UINT32_MAX : 0, s_skip = sw ? UINT32_MAX : 0;
    for (;;) {
        TSNode n = ts_tree_cursor_current_node(&c);
        if (depth <= w_skip) w_skip = UINT32_MAX;
        if (nd && depth <= g_skip) g_skip = UINT32_MAX;
        if (sw && depth <= s_skip) s_skip = UINT32_MAX;
        int w_on = w_skip == UINT32_MAX, g_on = g_skip == UINT32_MAX, s_on = s_skip == UINT32_MAX;
        int w_desc = 0, g_desc = 0, s_desc = 0;
        /* the node's symbol and (for the tokenizer and the sites) namedness, asked once */
        TSSymbol sym = ts_node_symbol(n);
        int tsnamed = g_on || s_on ? ts_node_is_named(n) : -1;
        if (s_on) { /* the site detectors' record walk (every node they enter) */
            s_desc = embed_sites_scan_node(sw, n, sym, tsnamed, depth, &c);
            if (!s_desc) s_skip = depth;
        }
        if (ts_node_is_missing(n)) {
            /* a token the parser invented: not in the text, so only the marker (and no token) */
            if (w_on && want_err) {
                uint64_t sh;
                uint8_t kind, named;
                (void)node_sym(hs, hl, n, sym, tsnamed, &sh, &kind, &named);
                while (nanc && w->anc_d[nanc - 1] >= depth) nanc--;
                fmap_add(m, mix2(hs->fam[F_MISSING], sh));
            }
            goto next;
        }
        uint32_t nchild = ts_node_child_count(n);
        if (g_on) {
            g_desc = ngram_walk_node(nd, n, sym, tsnamed, nchild, depth, (const char *)text);
            if (!g_desc) g_skip = depth;
        }
        if (w_on) {
            uint64_t sh;
            uint8_t kind, named;
            int is_err = node_sym(hs, hl, n, sym, tsnamed, &sh, &kind, &named);
            while (nanc && w->anc_d[nanc - 1] >= depth) nanc--;
            w_desc = 1;
            if (is_err && want_err) fmap_add(m, hs->fam[F_ERR]);
            if (named) {
                if (want_pair && nanc) fmap_add(m, mix2(mix2(hs->fam[F_PAIR], w->anc_h[nanc - 1]), sh));
                if (want_path && nanc + 1 >= plen) {
                    uint64_t h = hs->fam[F_PATH];
                    for (size_t k = nanc + 1 - plen; k < nanc; k++) h = mix2(h, w->anc_h[k]);
                    fmap_add(m, mix2(h, sh));
                }
                if (anc_push(w, &nanc, sh, depth)) m->oom = 1;
            }
            if (kind == K_IDENT && nchild == 0) {
                if (feat & SCIPRUNE_FEAT_IDENT) {
                    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
                    add_ident(m, hs->fam[F_IDENT], text + a, b - a);
                }
            } else if (kind >= K_STRING) {
                if (feat & SCIPRUNE_FEAT_LITERAL) fmap_add(m, hs->lit_feat[kind]);
                w_desc = 0; /* the class, never the text */
            } else if (nchild == 0 && !is_err && (feat & SCIPRUNE_FEAT_KEYWORD)) {
                uint64_t h = mix2(hs->fam[F_KW], sh);
                if (named) {
                    uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
                    if (b - a <= MAX_LEAF_TEXT) h = mix2(h, sp_hash64(text + a, b - a, 0));
                }
                fmap_add(m, h);
            }
            if (!w_desc || !nchild) w_skip = depth;
        }
        if ((w_desc || g_desc || s_desc) && nchild && ts_tree_cursor_goto_first_child(&c)) {
            depth++;
            continue;
        }
    next:
        for (;;) {
            if (ts_tree_cursor_goto_next_sibling(&c)) break;
            if (!ts_tree_cursor_goto_parent(&c)) {
                ts_tree_cursor_delete(&c);
                return;
            }
            depth--;
        }
    }
}

/* The embedder's consumer of a record's one parse (lang_visit): the tree's features, or the
 * lexical ones when there is no tree. */
typedef struct walk_ctx {
    sciprune_embedder *e;
    hash_worker *w;
    const hash_lang *hl;
    uint8_t *row;
    ngram_doc *nd; /* the naturalness model's tokens and sites, made on the same walk; or NULL */
} walk_ctx;

static sciprune_status walk_visit(void *self, const char *lang, TSNode root,
                                  sciprune_guard_verdict guard, const char *text, size_t len,
                                  sciprune_error *err)
{
    walk_ctx *x = self;
    (void)err;
    const hash_state *hs = x->e->hash;
    if (x->nd) ngram_walk_begin(x->nd, lang);
    if (!ts_node_is_null(root)) {
        int has_error = ts_node_has_error(root);
        /* the site detectors' record walk rides on this one when they will visit the tree */
        sites_worker *sw = x->w->sw && embed_sites_scan_begin(x->e, x->w->sw, lang, root, text, len)
                               ? x->w->sw
                               : NULL;
        walk(hs, &x->e->s, x->w, x->hl, root, (const unsigned char *)text, has_error, x->nd, sw);
        if (x->nd) ngram_walk_end(x->nd);
        *x->row = has_error ? SCIPRUNE_ROW_PARSE_ERROR : SCIPRUNE_ROW_OK;
    } else {
        lexical(hs, x->e->s.features, &x->w->m, (const unsigned char *)text, len);
        if (guard == SCIPRUNE_GUARD_TOO_DEEP) *x->row = SCIPRUNE_ROW_TOO_DEEP;
        else if (guard == SCIPRUNE_GUARD_TOO_LARGE) *x->row = SCIPRUNE_ROW_TOO_LARGE;
    }
    return SCIPRUNE_OK;
}

/* The site detectors' consumer of the same parse. */
static sciprune_status sites_visit(void *self, const char *lang, TSNode root,
                                   sciprune_guard_verdict guard, const char *text, size_t len,
                                   sciprune_error *err)
{
    walk_ctx *x = self;
    (void)guard;
    return embed_sites_visit(x->e, x->w->sw, x->w->sites_train, lang, root, text, len, err);
}

/* The naturalness of the doc d with e's model (scratch in w) into *out. Errors: ENOMEM (the
 * doc's tokens or the scratch could not be allocated: never a silently different value). */
static sciprune_status nat_score(const sciprune_embedder *e, hash_worker *w, const ngram_doc *d,
                                 float *out, sciprune_error *err)
{
    *out = (float)-NGRAM_FLOOR;
    if (d->oom) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    if (!e->ngram || !d->ntok) return SCIPRUNE_OK;
    if (d->ntok > w->lpa_cap) {
        double *q = realloc(w->lpa, (size_t)d->ntok * sizeof *q);
        if (!q) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
        w->lpa = q;
        w->lpa_cap = d->ntok;
    }
    *out = ngram_score(e->ngram, d, w->lpa);
    return SCIPRUNE_OK;
}

/* Fill w->m with the features of one text; *row gets OK / LEXICAL / PARSE_ERROR / EMPTY /
 * TOO_DEEP / TOO_LARGE (the parse guard kept the text from tree-sitter: lexical features).
 * With `gates`, the gates' consumer (gates/gates.h) scores the same parse into it. */
static sciprune_status extract(sciprune_embedder *e, hash_worker *w, sciprune_parser *p,
                               const char *lang, const char *text, size_t len, uint8_t *row,
                               sciprune_gate_scores *gates, const char *path,
                               const sciprune_gates_settings *gs, sciprune_error *err)
{
    const hash_state *hs = e->hash;
    fmap_clear(&w->m);
    ngram_doc_clear(&w->nd);
    size_t nb = 0;
    while (nb < len && is_ws((unsigned char)text[nb])) nb++;
    lang_visitor v[3]; /* walk (+ the n-gram tokens), gates, sites */
    size_t nv = 0;
    sciprune_status st;
    gates_visit_ctx gc = {gates, path, gs};
    if (w->sw) /* an empty list until the parse says otherwise */
        (void)embed_sites_visit(e, w->sw, 0, lang, (TSNode){{0}, 0, 0}, text, len, NULL);
    if (nb == len) { /* empty or blank: one fixed direction, whatever the language */
        if (gates) {
            v[nv++] = gates_visitor(&gc);
            if ((st = lang_visit(p, lang, text, len, LANG_VISIT_NO_PARSE, v, nv, err))) return st;
        }
        fmap_add(&w->m, hs->fam[F_EMPTY]);
        *row = SCIPRUNE_ROW_EMPTY;
        return w->m.oom ? sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory") : SCIPRUNE_OK;
    }
    const hash_lang *hl = find_lang(hs, lang_grammar(lang));
    *row = SCIPRUNE_ROW_LEXICAL;
    /* the naturalness model's tokens and sites come from the feature walk (one walk) */
    walk_ctx wc = {e, w, hl, row, e->ngram || e->ngram_fit ? &w->nd : NULL};
    v[nv++] = (lang_visitor){walk_visit, &wc};
    if (gates) v[nv++] = gates_visitor(&gc);
    if (w->sw) v[nv++] = (lang_visitor){sites_visit, &wc};
    /* a text tree-sitter cannot parse, or that the parse guard keeps from it, is embedded from
     * its words, not an error */
    lang_visit_mode mode = hl ? LANG_VISIT_PARSE_OR_NULL : LANG_VISIT_NO_PARSE;
    if ((st = lang_visit(p, lang, text, len, mode, v, nv, err))) return st;
    if (w->m.oom) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    if (w->m.n == 0) {
        fmap_add(&w->m, hs->fam[F_EMPTY]);
        *row = SCIPRUNE_ROW_EMPTY;
    }
    return SCIPRUNE_OK;
}

/* The vector of a bag of features (n entries in insertion order): the worker's fmap after
 * extract(), or a bag the fit pass kept (embed_cached). acc: dim doubles of scratch. */
static void vectorize_bag(const sciprune_embedder *e, double *acc, const fent *ent, uint32_t n,
                          float *out)
{
    uint32_t dim = e->dim;
    memset(acc, 0, (size_t)dim * sizeof *acc);
    uint64_t mask = ((uint64_t)1 << e->s.idf_bits) - 1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t k = ent[i].key;
        double wt = log1p((double)ent[i].cnt);
        if (e->idf) wt *= (double)e->idf[k & mask];
        uint32_t b = (uint32_t)(((k >> 32) * (uint64_t)dim) >> 32);
        acc[b] += (k & ((uint64_t)1 << 31)) ? -wt : wt;
    }
    double nrm = 0;
    for (uint32_t i = 0; i < dim; i++) nrm += acc[i] * acc[i];
    if (nrm <= 0) { /* every feature cancelled out: use the fixed "empty" direction */
        uint64_t k = e->hash->fam[F_EMPTY];
        acc[(uint32_t)(((k >> 32) * (uint64_t)dim) >> 32)] = 1;
        nrm = 1;
    }
    double inv = 1.0 / sqrt(nrm);
    for (uint32_t i = 0; i < dim; i++) out[i] = (float)(acc[i] * inv);
}

static void vectorize(const sciprune_embedder *e, hash_worker *w, float *out)
{
    vectorize_bag(e, w->acc, w->m.ent, w->m.n, out);
}

/* ------------------------------------------------------------------- backend table */

static sciprune_status hash_start(sciprune_embedder *e, sciprune_error *err)
{
    (void)e;
    (void)err;
    return SCIPRUNE_OK;
}

static sciprune_status hash_embed_batch(sciprune_embedder *e, void *wp, embed_batch *b,
                                        sciprune_error *err)
{
    hash_worker *w = wp;
    for (size_t i = 0; i < b->n; i++) {
        const embed_item *it = &b->items[i];
        float *out = b->out + i * e->dim;
        if (it->rejected) {
            memset(out, 0, (size_t)e->dim * sizeof *out);
            b->status[i] = SCIPRUNE_ROW_REJECTED;
            continue;
        }
        const embed_cached *c = b->cache ? &b->cache[i] : NULL;
        if (c && c->feat && (c->has_gates || !b->gates)) { /* kept by the fit pass: no parse */
            b->status[i] = c->status;
            if (b->gates) b->gates[i] = c->gates;
            if (b->sites) b->sites[i] = c->sscored ? c->sscore : embed_sites_score_flat(e, c->sfeat, c->sn);
            vectorize_bag(e, w->acc, c->feat, c->n, out);
            if (b->nat) {
                ngram_doc v;
                if (c->nat) ngram_doc_view(c->nat, &v);
                else memset(&v, 0, sizeof v);
                sciprune_status st = nat_score(e, w, &v, &b->nat[i], err);
                if (st) return st;
            }
            continue;
        }
        sciprune_status st = extract(e, w, w->parser, it->lang, it->text, it->len, &b->status[i],
                                     b->gates ? &b->gates[i] : NULL, it->path, b->gates_settings,
                                     err);
        if (st) return st;
        if (b->sites) b->sites[i] = w->sw ? embed_sites_worker_score(e, w->sw) : 0.0f;
        vectorize(e, w, out);
        if (b->nat && (st = nat_score(e, w, &w->nd, &b->nat[i], err))) return st;
    }
    return SCIPRUNE_OK;
}

sciprune_status embed_hash_naturalness_one(sciprune_embedder *e, sciprune_parser *p,
                                           const char *lang, const char *text, size_t len,
                                           float *out, sciprune_error *err)
{
    *out = (float)-NGRAM_FLOOR;
    if (!e->ngram) return SCIPRUNE_OK;
    hash_worker *w;
    sciprune_status st = worker_make(e, &w, p == NULL, err);
    if (st) return st;
    if (p) w->parser = p; /* borrowed */
    uint8_t row;
    st = extract(e, w, w->parser, lang, text, len, &row, NULL, NULL, NULL, err);
    if (st == SCIPRUNE_OK) st = nat_score(e, w, &w->nd, out, err);
    worker_free(w);
    return st;
}

sciprune_status embed_hash_embed_one(sciprune_embedder *e, sciprune_parser *p, const char *lang,
                                     const char *text, size_t len, float *out, uint8_t *row,
                                     sciprune_error *err)
{
    hash_worker *w;
    sciprune_status st = worker_make(e, &w, p == NULL, err);
    if (st) return st;
    if (p) w->parser = p; /* borrowed */
    st = extract(e, w, w->parser, lang, text, len, row, NULL, NULL, NULL, err);
    if (st == SCIPRUNE_OK) vectorize(e, w, out);
    worker_free(w);
    return st;
}

sciprune_status embed_hash_sites_one(sciprune_embedder *e, sciprune_parser *p, const char *lang,
                                     const char *text, size_t len, float *score,
                                     sciprune_error *err)
{
    hash_worker *w;
    sciprune_status st = worker_make(e, &w, p == NULL, err);
    if (st) return st;
    if (p) w->parser = p; /* borrowed */
    uint8_t row;
    st = extract(e, w, w->parser, lang, text, len, &row, NULL, NULL, NULL, err);
    if (st == SCIPRUNE_OK) *score = w->sw ? embed_sites_worker_score(e, w->sw) : 0.0f;
    worker_free(w);
    return st;
}

sciprune_status embed_hash_count_batch(sciprune_embedder *e, void *wp, const embed_batch *b,
                                       sciprune_error *err)
{
    hash_worker *w = wp;
    uint64_t mask = ((uint64_t)1 << e->s.idf_bits) - 1;
    if (!w->df) {
        w->df = sp_table_calloc(((size_t)mask + 1) * sizeof *w->df);
        if (!w->df) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
        w->df_n = (size_t)mask + 1;
    }
    for (size_t i = 0; i < b->n; i++) {
        const embed_item *it = &b->items[i];
        if (it->rejected) continue;
        /* the n-gram table, once a record of this pass is to be counted (a second count pass
         * over every record counts none: the model's sample was counted by the first) */
        if (it->nat_fit && !w->ng && !(w->ng = ngram_table_alloc()))
            return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
        uint8_t row;
        embed_cached *c = b->cache ? &b->cache[i] : NULL;
        if (c && c->feat) { /* kept by an earlier count of the same record: no parse */
            for (uint32_t k = 0; k < c->n; k++) w->df[c->feat[k].key & mask]++;
            w->df_docs++;
            if (w->ng && c->nat && it->nat_fit) {
                ngram_doc v;
                ngram_doc_view(c->nat, &v);
                ngram_count(w->ng, &v);
            }
            continue;
        }
        if (c && !b->keep) c = NULL;
        sciprune_gate_scores *g = c && b->gates ? &b->gates[i] : NULL;
        w->sites_train = it->sites_fit && !(e->sites && e->sites->w); /* trained already: score */
        sciprune_status st = extract(e, w, w->parser, it->lang, it->text, it->len, &row, g,
                                     it->path, b->gates_settings, err);
        w->sites_train = 0;
        if (st) return st;
        for (uint32_t k = 0; k < w->m.n; k++) w->df[w->m.ent[k].key & mask]++;
        w->df_docs++;
        if (w->ng && it->nat_fit) {
            if (w->nd.oom) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
            ngram_count(w->ng, &w->nd);
        }
        if (c) { /* keep the bag for the embed pass; out of memory: it is parsed again there */
            c->feat = malloc((size_t)w->m.n * sizeof *c->feat);
            c->sfeat = NULL;
            c->sn = 0;
            c->sscored = 0;
            if (c->feat && w->sw && embed_sites_worker_scored(w->sw)) { /* the score itself */
                c->sscore = embed_sites_worker_score(e, w->sw);
                c->sscored = 1;
            } else if (c->feat && w->sw) { /* the sites' features too, or nothing is kept */
                uint32_t sn;
                const uint32_t *sf = embed_sites_worker_flat(w->sw, &sn);
                if (sn && !(c->sfeat = malloc((size_t)sn * sizeof *c->sfeat))) {
                    free(c->feat);
                    c->feat = NULL;
                } else if (sn) {
                    memcpy(c->sfeat, sf, (size_t)sn * sizeof *sf);
                    c->sn = sn;
                }
            }
            if (c->feat) {
                memcpy(c->feat, w->m.ent, (size_t)w->m.n * sizeof *c->feat);
                c->n = w->m.n;
                c->status = row;
                c->has_gates = g != NULL;
                if (g) c->gates = *g;
                c->nat = NULL;
                c->nat_bytes = 0;
                if (e->ngram_fit && w->nd.oom) { /* a partial doc would score differently */
                    free(c->feat);
                    c->feat = NULL;
                    return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
                }
                if (e->ngram_fit) {
                    c->nat = ngram_doc_pack(&w->nd, &c->nat_bytes);
                    if (!c->nat) { /* out of memory: parsed again in the embed pass */
                        free(c->feat);
                        c->feat = NULL;
                    }
                }
            }
        }
    }
    return SCIPRUNE_OK;
}

/* One bucket's idf weight (the one expression: the memo below holds its values). */
static inline float idf_of(uint64_t docs, uint64_t df)
{
    return (float)(log((1.0 + (double)docs) / (1.0 + (double)df)) + 1.0);
}

#define IDF_MEMO 1024

sciprune_status embed_hash_set_idf(sciprune_embedder *e, const uint64_t *df, const uint32_t *df32,
                                   uint64_t docs, double sample_used, sciprune_error *err)
{
    size_t nb = (size_t)1 << e->s.idf_bits;
    float *t = sp_table_alloc(nb * sizeof *t);
    if (!t) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    /* most buckets hold small counts (most of them 0): their weights are computed once each */
    float memo[IDF_MEMO];
    for (uint64_t v = 0; v < IDF_MEMO; v++) memo[v] = idf_of(docs, v);
    for (size_t i = 0; i < nb; i++) {
        uint64_t v = df ? df[i] : df32[i];
        t[i] = v < IDF_MEMO ? memo[v] : idf_of(docs, v);
    }
    free(e->idf);
    e->idf = t;
    e->idf_docs = docs;
    e->idf_sample_used = sample_used;
    return SCIPRUNE_OK;
}

static void hash_destroy(sciprune_embedder *e)
{
    hash_state_free(e->hash);
    e->hash = NULL;
}

const embed_backend embed_hash_backend = {
    .name = "hash",
    .parallel = 1,
    .start = hash_start,
    .worker_new = worker_new,
    .worker_free = worker_free,
    .shard_begin = NULL,
    .embed_batch = hash_embed_batch,
    .shard_end = NULL,
    .destroy = hash_destroy,
};
