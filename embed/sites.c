/*
 * sites.c - site detectors (metric `sites`): DeepBugs-style (Pradel & Sen, OOPSLA 2018)
 * name-based bug detectors, trained on the corruption engine's own edits of the corpus.
 *
 * Types and sites: every content corruption that acts on one site,
 *     swap-operator (@operator)   swap-args (@swap.a/@swap.b)   off-by-one (@increment)
 *     negate-if (@negate)         drop-return-value (@delete.spaced of a return's value)
 * with the sites the engine itself finds and the edits it makes (corrupt/corrupt_sites.h: the
 * same query files, compiled together per language - on the language's first record - so one
 * query pass finds all five types; the same edit builder). drop-return-value also scores every
 * value-less return (what the corruption leaves behind, which the query no longer finds). One
 * walk per record lists its functions (range, name, how many returns with a value each holds),
 * its value-less returns, and feeds corrupt/sitepat.c's walk (corrupt_site_walk), which
 * collects the children of the nodes a site pattern can be rooted at and enumerates the matches
 * from them (no query cursor; the same sites as a query pass over the whole tree) - or, for a
 * site set outside sitepat.c's subset, lists the outermost such nodes, the query passes then
 * running on those subtrees only. The walk rides on the feature walk (hash.c walk(),
 * embed_sites_scan_*) when there is one.
 *
 * Features of one site (each hashed, salted with the (language, type) model, into one table of
 * 2^SITES_BITS weights shared by all models): the line(s) the site is on, clipped to
 * SITES_WINDOW bytes either side of it, with the edit applied for a corrupted example, are
 * tokenized lexically: identifiers -> lower-cased sub-tokens (the stream carries the last one,
 * e.g. max_len -> len), integers -> their value when <= 16 else a size class, other numbers
 * and strings -> a class, operators -> longest match. Then
 *     bias; stream unigrams, bigrams, trigrams; every identifier sub-token;
 *     (argument slot, token) and (callee, argument slot, token) inside the first parenthesis
 *         group, and (slot, sub-token) (swapped arguments change slots);
 *     (enclosing function's name, each operator or number token);
 *     returns: (value or none, how many other returns of the function carry a value: 0, 1, 2+)
 *         and (function name, value or none), (function name, both).
 * Callee parameter names (DeepBugs uses them when the callee is in the file) are not used.
 *
 * Training (fit pass of the embed stage, on the n-gram model's sample: the idf sample's hash-based
 * sample of the corpus, embed_ngram_in_sample; when the idf widens to every record because the
 * sample is under idf_min_docs, the detectors stay on the sample - analyze's semantic section
 * leaves exactly those files out of its test, so a detector never saw a test file's sites):
 * each site of a sampled record gives a clean example (label 0) and, when the engine's edit
 * applies, the corrupted one (label 1); value-less returns are clean examples of
 * drop-return-value. Per worker and model, a max-heap keeps the SITES_MAX_EX smallest distinct
 * examples in one total order (key - a hash of the site's content and place -, label,
 * features; an example the heap holds already is not taken again: a record that occurs twice,
 * or a second count pass, would crowd the heap with copies and make the kept set depend on how
 * records are split), so the kept set
 * does not depend on the order records arrive in, on the thread count or on the number of
 * ranks, and memory is flat in corpus size. The
 * workers' heaps are merged (sorted by key, label, features; exact duplicates from a second
 * count pass dropped) and each model is fitted by logistic regression with plain SGD in that
 * order: SITES_EPOCHS epochs, learning rate SITES_LR / (1 + epoch), every step scaled by
 * 1/sqrt(features), no randomness at all. One thread trains: deterministic to the bit.
 *
 * Scoring (embed pass, on the parse the embedder already makes): every site of every type of
 * the record's language gets p = sigmoid(w . x) of its text as written; the record's score is
 * the max over its sites (0 when it has none, or no grammar). Max, not noisy-or: noisy-or grows
 * with the number of sites, i.e. with file length, even more than max does.
 *
 * Files: W/embed/sites.npy  '<f4', shape (2^SITES_BITS,): the weight table (the model; written
 *                           after training, read back when a later run reuses the spec);
 *        W/embed/<shard>.sites.npy  '<f4', shape (N,): the record's score, higher = more likely
 *                           broken (0 for rejected, empty, lexical and site-less records).
 *        W/parts/embed/sites-<rank>.bin (split fit over ranks, removed by rank 0 once it has
 *                           trained): a rank's examples, merged per model as training merges
 *                           them, host byte order: u32 magic "SPS1", u32 models, then per model
 *                           u32 n and n examples of (u64 key, u32 label, u32 nf, nf u32
 *                           features). Rank 0 folds the ranks' files in one by one, keeping
 *                           per model the SITES_MAX_EX smallest distinct examples: the set one
 *                           process keeps, whatever the number of ranks.
 *
 * Cached records (stage.c's feature cache: not parsed again in the embed pass) keep their sites'
 * features in a flat uint32 list: per site a header (model << 16 | count) then count feature
 * indices; embed_sites_score_flat scores it exactly as a fresh parse would. A record visited
 * with the weights at hand and not training (the embed pass; one process's widened count pass,
 * the detectors trained on the sample before it) is scored as its sites come (site_z, the same
 * sum): no list, and the cache keeps the float.
 */
#include "embed_int.h"
#include "../corrupt/corrupt_sites.h"
#include "../shard/sp_npy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const k_types[SITES_NTYPES] = {"swap-operator", "swap-args", "off-by-one",
                                                  "negate-if", "drop-return-value"};
enum { T_OPERATOR = 0, T_ARGS, T_OFF, T_NEGATE, T_RETURN };

#define SITES_WINDOW 96     /* context bytes either side of a site */
#define SITES_MAX_TOK 160   /* tokens per example */
#define SITES_MAX_FEAT 1000 /* features per example */
#define SITES_MAX_EX 8192   /* kept training examples per model (and per worker) */
#define SITES_EPOCHS 8
#define SITES_LR 0.5
#define SITES_MASK (((uint32_t)1 << SITES_BITS) - 1)

const char *embed_sites_type_name(int t) { return t >= 0 && t < SITES_NTYPES ? k_types[t] : "?"; }

/* ------------------------------------------------------------------ hashing */

static inline uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 29);
}

static uint64_t hash_bytes(const void *p, size_t n, uint64_t seed) { return sp_hash64(p, n, seed); }

/* ------------------------------------------------------------------ examples and heaps */

typedef struct sites_ex {
    uint64_t key;
    uint32_t label;
    uint32_t nf;
    uint32_t *f;       /* nf feature indices, owned */
} sites_ex;

/* The examples a heap holds, by content: open addressing on (key, label), linear probing,
 * SET_SLOTS slots (load <= 1/2), so that an example kept already (same key, label and
 * features) is not taken again: a record that occurs twice, or is counted by a second count
 * pass, would crowd the heap with copies. A slot points at its example's features (owned by
 * the heap's entry; NULL: free). */
#define SET_SLOTS (2 * SITES_MAX_EX)
typedef struct ex_slot {
    uint64_t key;
    uint32_t label;
    uint32_t nf;
    const uint32_t *f;
} ex_slot;

typedef struct ex_heap {
    sites_ex *v;       /* max-heap in cmp_ex order, cap SITES_MAX_EX, owned */
    size_t n;
    ex_slot *set;      /* SET_SLOTS: the examples in v, owned (NULL with v) */
} ex_heap;

static int cmp_ex(const void *pa, const void *pb);

static int ex_gt(const sites_ex *a, const sites_ex *b)
{
    if (a->key != b->key) return a->key > b->key; /* cmp_ex's first criterion, inline */
    return cmp_ex(a, b) > 0;
}

static size_t set_home(uint64_t key, uint32_t label)
{
    uint64_t h = (key ^ label) * 0x9e3779b97f4a7c15ULL;
    return (size_t)(h >> 32) & (SET_SLOTS - 1);
}

/* The slot of an example equal to x (key, label, features), or NULL. */
static ex_slot *set_find(ex_slot *set, const sites_ex *x)
{
    for (size_t i = set_home(x->key, x->label);; i = (i + 1) & (SET_SLOTS - 1)) {
        if (!set[i].f) return NULL;
        if (set[i].key == x->key && set[i].label == x->label && set[i].nf == x->nf &&
            (!x->nf || !memcmp(set[i].f, x->f, (size_t)x->nf * sizeof *x->f)))
            return &set[i];
    }
}

static void set_add(ex_slot *set, const sites_ex *x)
{
    size_t i = set_home(x->key, x->label);
    while (set[i].f) i = (i + 1) & (SET_SLOTS - 1);
    set[i] = (ex_slot){x->key, x->label, x->nf, x->f};
}

/* Remove the heap entry x (found by its features' address); backward-shift the probe chain. */
static void set_del(ex_slot *set, const sites_ex *x)
{
    size_t i = set_home(x->key, x->label);
    while (set[i].f && set[i].f != x->f) i = (i + 1) & (SET_SLOTS - 1);
    if (!set[i].f) return;
    for (;;) {
        set[i].f = NULL;
        size_t j = i;
        for (;;) {
            j = (j + 1) & (SET_SLOTS - 1);
            if (!set[j].f) return;
            size_t h = set_home(set[j].key, set[j].label);
            /* j's entry may move to i when its home is not in (i, j] (cyclically) */
            if (i <= j ? (h <= i || h > j) : (h <= i && h > j)) break;
        }
        set[i] = set[j];
        i = j;
    }
}

static void heap_down(ex_heap *h, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && ex_gt(&h->v[l], &h->v[m])) m = l;
        if (r < h->n && ex_gt(&h->v[r], &h->v[m])) m = r;
        if (m == i) return;
        sites_ex t = h->v[i];
        h->v[i] = h->v[m];
        h->v[m] = t;
        i = m;
    }
}

/* Offer an example (features copied). An example the heap already holds (the same key,
 * label and features) is not taken again: the same site of a duplicated file (or of a record
 * counted twice) is one example, so the kept set is the SITES_MAX_EX smallest distinct
 * examples whatever the records' split over workers (duplicates in one worker's heap used to
 * crowd out distinct examples: the model depended on the thread count). -1 on ENOMEM. */
static int heap_offer(ex_heap *h, uint64_t key, uint32_t label, const uint32_t *f, uint32_t nf)
{
    sites_ex x = {key, label, nf, (uint32_t *)f}; /* f borrowed for the comparisons */
    if (h->n == SITES_MAX_EX && !ex_gt(&h->v[0], &x)) return 0;
    if (!h->v) {
        h->v = malloc(SITES_MAX_EX * sizeof *h->v);
        h->set = calloc(SET_SLOTS, sizeof *h->set);
        if (!h->v || !h->set) {
            free(h->v);
            free(h->set);
            h->v = NULL;
            h->set = NULL;
            return -1;
        }
    }
    /* kept already: the heap holds the smallest distinct examples in cmp_ex order, whatever
     * the order and the split of the records over workers and ranks */
    if (set_find(h->set, &x)) return 0;
    if (!(x.f = malloc((size_t)(nf ? nf : 1) * sizeof *x.f))) return -1;
    if (nf) memcpy(x.f, f, (size_t)nf * sizeof *f);
    if (h->n == SITES_MAX_EX) { /* replace the largest */
        set_del(h->set, &h->v[0]);
        set_add(h->set, &x);
        free(h->v[0].f);
        h->v[0] = x;
        heap_down(h, 0);
        return 0;
    }
    set_add(h->set, &x);
    size_t i = h->n++;
    h->v[i] = x;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!ex_gt(&h->v[i], &h->v[p])) break;
        sites_ex t = h->v[i];
        h->v[i] = h->v[p];
        h->v[p] = t;
        i = p;
    }
    return 0;
}

static void heap_free(ex_heap *h)
{
    for (size_t i = 0; i < h->n; i++) free(h->v[i].f);
    free(h->v);
    free(h->set);
    h->v = NULL;
    h->set = NULL;
    h->n = 0;
}

/* ------------------------------------------------------------------ the worker */

typedef struct fn_info {
    uint32_t start, end;
    uint64_t name;       /* last sub-token of the name, 0 when none */
    int valued;          /* returns with a value directly in it (not in nested functions) */
} fn_info;

struct sites_worker {
    ex_heap *heaps;      /* nmodels, owned (train mode) */
    size_t nmodels;
    uint32_t *flat;      /* the current record's sites: header + features, owned */
    size_t nflat, cflat;
    /* scoring with the detectors at hand (not training, weights known): each site's w . x as it
     * comes, no flat list; the record's score is sigmoid(zmax) (embed_sites_worker_score) */
    const float *zw;     /* the weights, or NULL: the flat list is kept instead */
    double zmax;
    int zany;
    uint32_t feat[SITES_MAX_FEAT];
    char *buf;           /* window text scratch, owned */
    size_t bcap;
    int oom;
    /* the current record */
    const sciprune_embedder *e;
    int train;
    int lang_idx;
    uint64_t seed;
    const char *src;
    size_t len;
    TSNode root;
    int type;
    /* the record's functions and value-less returns: one walk per record */
    fn_info *fns;        /* nfns in start order, owned */
    size_t nfns, cfns;
    uint32_t *bare;      /* nbare value-less returns: start, end pairs, owned */
    size_t nbare, cbare;
    uint32_t *stk;       /* function nesting stack (indexes into fns), owned */
    size_t cstk;
    /* the outermost nodes a site query can be rooted at (corrupt_site_set_root_symbols), in
     * document order: the query passes run on these subtrees only; same walk */
    const uint8_t *rootsym;
    uint32_t nsym;
    TSNode *sub;         /* nsub, owned */
    size_t nsub, csub;
    int direct;          /* the set matches node by node (corrupt_site_set_direct): the walk
                            feeds cw every node, returns' insides too, and sub is unused */
    corrupt_site_walk *cw; /* direct mode's walk, owned */
    size_t fdepth;       /* the walk: functions open on stk */
    uint32_t in_sub;     /* the walk: 1 + the depth of sub[nsub - 1] while inside it, else 0 */
    uint32_t in_ret;     /* direct mode: 1 + the depth of the return the walk is in, else 0 */
    int scanned;         /* the walk was driven by embed_sites_scan_* for `root` */
    /* the last clean window's tokens and window-only features (sites of one line share them):
     * valid for [cw0, cw1) of the current record; cidx: those features salted for cmodel */
    struct wcache *wc;   /* owned */
    /* the current example's first pfx features are wc's cidx[pfx_t] (a clean window's): their
     * w . x is summed once per window and model (wcache.cz) */
    uint32_t pfx;
    int pfx_t;
    /* per node symbol of the language cls_lang: SC_* bits, 0 = not yet classified, owned */
    const TSLanguage *cls_lang;
    uint8_t *cls;
    uint32_t ncls;
};

/* Hashes of the fixed token classes and of every one-byte operator: constants, made once. */
static struct {
    uint64_t str, num, small, big, ival[17], op1[256];
} g_tokh;
static pthread_once_t g_tokh_once = PTHREAD_ONCE_INIT;

static void tokh_init(void)
{
    g_tokh.str = hash_bytes("#str", 4, 0x4e55);
    g_tokh.num = hash_bytes("#num", 4, 0x4e55);
    g_tokh.small = hash_bytes("#small", 6, 0x4e55);
    g_tokh.big = hash_bytes("#big", 4, 0x4e55);
    for (int v = 0; v <= 16; v++) {
        char b[8];
        int l = snprintf(b, sizeof b, "#%d", v);
        g_tokh.ival[v] = hash_bytes(b, (size_t)l, 0x4e55);
    }
    for (int c = 0; c < 256; c++) {
        unsigned char b = (unsigned char)c;
        g_tokh.op1[c] = hash_bytes(&b, 1, 0x0b5);
    }
}

static struct wcache *wcache_new(void);

sciprune_status embed_sites_worker_new(const sciprune_embedder *e, sites_worker **out,
                                       sciprune_error *err)
{
    sites_worker *w = calloc(1, sizeof *w);
    if (!w) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    pthread_once(&g_tokh_once, tokh_init);
    w->nmodels = sciprune_lang_count() * SITES_NTYPES;
    w->heaps = calloc(w->nmodels, sizeof *w->heaps);
    w->wc = wcache_new();
    if (!w->heaps || !w->wc) {
        free(w->heaps);
        free(w->wc);
        free(w);
        return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    }
    (void)e;
    *out = w;
    return SCIPRUNE_OK;
}

void embed_sites_worker_free(sites_worker *w)
{
    if (!w) return;
    for (size_t i = 0; w->heaps && i < w->nmodels; i++) heap_free(&w->heaps[i]);
    free(w->heaps);
    free(w->flat);
    free(w->buf);
    free(w->fns);
    free(w->bare);
    free(w->stk);
    free(w->sub);
    corrupt_site_walk_free(w->cw);
    free(w->wc);
    free(w->cls);
    free(w);
}

const uint32_t *embed_sites_worker_flat(const sites_worker *w, uint32_t *n)
{
    *n = (uint32_t)w->nflat;
    return w->flat;
}

static double sigmoid(double z) { return 1.0 / (1.0 + exp(-z)); }

/* One site's w . x, summed in feature order (a flat list and a site scored as it comes give
 * the same double). */
static double site_z(const float *W, const uint32_t *f, uint32_t nf)
{
    double z = 0;
    for (uint32_t k = 0; k < nf; k++) z += W[f[k]];
    return z;
}

float embed_sites_worker_score(const sciprune_embedder *e, const sites_worker *w)
{
    if (!w->zw) return embed_sites_score_flat(e, w->flat, (uint32_t)w->nflat);
    return w->zany ? (float)sigmoid(w->zmax) : 0.0f;
}

int embed_sites_worker_scored(const sites_worker *w) { return w->zw != NULL; }

/* ------------------------------------------------------------------ tokens and features */

enum { TK_WORD = 1, TK_NUM, TK_STR, TK_OP };

typedef struct tok {
    uint64_t h;          /* stream hash (the last sub-token for identifiers) */
    uint8_t kind;
    uint32_t sub0, nsub; /* sub-token hashes in subs[sub0, sub0 + nsub) */
} tok;

typedef struct feats {
    uint32_t *f;
    uint32_t n;
    uint64_t salt;
} feats;

static inline void fadd(feats *F, uint64_t h)
{
    if (F->n < SITES_MAX_FEAT) F->f[F->n++] = (uint32_t)(mix(F->salt, h) & SITES_MASK);
}

static int is_alpha_(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || c >= 0x80;
}
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static int is_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }

/* Sub-tokens of an identifier (as hash.c splits them), lower-cased. */
static uint32_t split_ident(const unsigned char *s, size_t n, uint64_t *subs, uint32_t cap)
{
    uint32_t k = 0;
    size_t i = 0;
    while (i < n && k < cap) {
        while (i < n && (s[i] == '_' || s[i] == '$')) i++;
        if (i >= n) break;
        size_t j = i;
        char lw[48];
        size_t ll = 0;
        if (is_digit(s[j])) {
            while (j < n && is_digit(s[j])) j++;
        } else if (is_upper(s[j])) {
            size_t u = j;
            while (u < n && is_upper(s[u])) u++;
            if (u - j > 1 && u < n && is_lower(s[u])) j = u - 1; /* HTTPServer -> HTTP, Server */
            else if (u - j > 1) j = u;
            else {
                j++;
                while (j < n && (is_lower(s[j]) || s[j] >= 0x80)) j++;
            }
        } else {
            while (j < n && (is_lower(s[j]) || s[j] >= 0x80)) j++;
        }
        if (j == i) j = i + 1;
        for (size_t t = i; t < j && ll < sizeof lw; t++)
            lw[ll++] = (char)(is_upper(s[t]) ? s[t] + 32 : s[t]);
        subs[k++] = hash_bytes(lw, ll, 0x5173);
        i = j;
    }
    return k;
}

/* Operators of more than one byte (longest match): 3 bytes  === !== **= <<= >>= ...
 * 2 bytes  == != <= >= && || -> :: ** // << >> += -= *= /= ++ -- := => */

/* "#num", "#<v>" for v <= 16, "#small" (< 256), "#big": hashed. */
static uint64_t num_class(const unsigned char *s, size_t n)
{
    int is_int = 1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i])) {
            is_int = 0;
            break;
        }
        if (v < 1000000) v = v * 10 + (s[i] - '0');
    }
    if (!is_int) return g_tokh.num;
    if (v <= 16) return g_tokh.ival[v];
    return v < 256 ? g_tokh.small : g_tokh.big;
}

/* s[0..3) is one of the 3-byte operators. */
static int is_op3(const unsigned char *s)
{
    switch (s[0]) {
    case '=': case '!': return s[1] == '=' && s[2] == '=';                   /* === !== */
    case '*': return s[1] == '*' && s[2] == '=';                             /* **= */
    case '<': case '>': return s[1] == s[0] && s[2] == '=';                  /* <<= >>= */
    case '.': return s[1] == '.' && s[2] == '.';                             /* ... */
    default: return 0;
    }
}

/* s[0..2) is one of the 2-byte operators. */
static int is_op2(const unsigned char *s)
{
    unsigned char a = s[0], b = s[1];
    switch (a) {
    case '=': return b == '=' || b == '>';                                   /* == => */
    case '!': return b == '=';                                               /* != */
    case '<': return b == '=' || b == '<';                                   /* <= << */
    case '>': return b == '=' || b == '>';                                   /* >= >> */
    case '&': return b == '&';                                               /* && */
    case '|': return b == '|';                                               /* || */
    case '-': return b == '>' || b == '=' || b == '-';                       /* -> -= -- */
    case ':': return b == ':' || b == '=';                                   /* :: := */
    case '*': return b == '*' || b == '=';                                   /* ** *= */
    case '/': return b == '/' || b == '=';                                   /* // /= */
    case '+': return b == '=' || b == '+';                                   /* += ++ */
    default: return 0;
    }
}

/* The first bytes of the 2- and 3-byte operators. */
static int op_lead(unsigned char c)
{
    switch (c) {
    case '=': case '!': case '*': case '<': case '>': case '.': case '&': case '|': case '-':
    case ':': case '/': case '+':
        return 1;
    default:
        return 0;
    }
}

#define MAX_SUBS 512

/* Tokenize text[0, n) into toks (cap SITES_MAX_TOK) and subs. */
static uint32_t tokenize(const unsigned char *s, size_t n, tok *toks, uint64_t *subs, uint32_t *nsubs)
{
    uint32_t nt = 0, ns = 0;
    size_t i = 0;
    while (i < n && nt < SITES_MAX_TOK) {
        unsigned char c = s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            i++;
            continue;
        }
        tok *t = &toks[nt];
        t->sub0 = ns;
        t->nsub = 0;
        if (is_alpha_(c)) {
            size_t j = i;
            while (j < n && (is_alpha_(s[j]) || is_digit(s[j]))) j++;
            uint32_t k = split_ident(s + i, j - i, subs + ns, MAX_SUBS - ns > 8 ? 8 : MAX_SUBS - ns);
            t->nsub = k;
            ns += k;
            t->h = k ? subs[ns - 1] : 0;
            t->kind = TK_WORD;
            i = j;
        } else if (is_digit(c)) {
            size_t j = i;
            while (j < n && (is_digit(s[j]) || is_alpha_(s[j]) || s[j] == '.')) j++;
            t->h = num_class(s + i, j - i);
            t->kind = TK_NUM;
            i = j;
        } else if (c == '"' || c == '\'' || c == '`') {
            size_t j = i + 1;
            while (j < n && s[j] != c && s[j] != '\n') j += s[j] == '\\' ? 2 : 1;
            if (j < n) j++;
            t->h = g_tokh.str;
            t->kind = TK_STR;
            i = j > n ? n : j;
        } else {
            size_t l = 1;
            if (op_lead(c)) {
                if (i + 3 <= n && is_op3(s + i)) l = 3;
                else if (i + 2 <= n && is_op2(s + i)) l = 2;
            }
            t->h = l == 1 ? g_tokh.op1[c] : hash_bytes(s + i, l, 0x0b5);
            t->kind = TK_OP;
            i += l;
        }
        nt++;
    }
    *nsubs = ns;
    return nt;
}

/* ------------------------------------------------------------------ tree helpers */

static int type_has(TSNode n, const char *sub) { return strstr(ts_node_type(n), sub) != NULL; }

static int is_function(TSNode n)
{
    const char *t = ts_node_type(n);
    return (strstr(t, "function") || strstr(t, "method") || !strcmp(t, "func_literal") ||
            !strcmp(t, "lambda")) &&
           !strstr(t, "call") && !strstr(t, "type") && !strstr(t, "signature");
}

/* The last sub-token of the function's name, or 0. */
static uint64_t function_name(TSNode fn, const char *src)
{
    if (ts_node_is_null(fn)) return 0;
    TSNode nm = ts_node_child_by_field_name(fn, "name", 4);
    for (int d = 0; ts_node_is_null(nm) && d < 4; d++) { /* C/C++: declarator chains */
        TSNode x = ts_node_child_by_field_name(d ? nm : fn, "declarator", 10);
        if (ts_node_is_null(x)) break;
        if (type_has(x, "identifier")) nm = x;
        else {
            TSNode y = ts_node_child_by_field_name(x, "declarator", 10);
            nm = ts_node_is_null(y) ? y : (type_has(y, "identifier") ? y : x);
            if (!ts_node_is_null(y) && !type_has(y, "identifier")) {
                TSNode z = ts_node_child_by_field_name(y, "declarator", 10);
                if (!ts_node_is_null(z) && type_has(z, "identifier")) nm = z;
            }
            break;
        }
    }
    if (ts_node_is_null(nm) || !type_has(nm, "identifier")) return 0;
    uint32_t a = ts_node_start_byte(nm), b = ts_node_end_byte(nm);
    uint64_t subs[8];
    uint32_t k = split_ident((const unsigned char *)src + a, b - a > 64 ? 64 : b - a, subs, 8);
    return k ? subs[k - 1] : 0;
}

static int is_return(TSNode n)
{
    const char *t = ts_node_type(n);
    return !strcmp(t, "return_statement") || !strcmp(t, "return_expression");
}

/* 1 when a return node carries a value. */
static int return_valued(TSNode r)
{
    uint32_t nc = ts_node_named_child_count(r);
    for (uint32_t i = 0; i < nc; i++)
        if (strcmp(ts_node_type(ts_node_named_child(r, i)), "comment") != 0) return 1;
    return 0;
}

static int grow_arr(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap * 2 : 64;
    while (nc < need) nc *= 2;
    void *n = realloc(*p, nc * elem);
    if (!n) return -1;
    *p = n;
    *cap = nc;
    return 0;
}

enum { SC_KNOWN = 1, SC_FUNCTION = 2, SC_RETURN = 4 };

/* is_function / is_return of a named node, cached per symbol of its language. */
static uint8_t node_class(sites_worker *w, TSNode x, TSSymbol sym)
{
    const TSLanguage *L = ts_tree_language(x.tree);
    if (w->cls_lang != L) {
        uint32_t nc = ts_language_symbol_count(L);
        uint8_t *c = nc ? calloc(nc, 1) : NULL;
        free(w->cls);
        w->cls = c;
        w->ncls = c ? nc : 0;
        w->cls_lang = c ? L : NULL;
    }
    if (sym < w->ncls && w->cls[sym]) return w->cls[sym];
    uint8_t c = SC_KNOWN | (is_function(x) ? SC_FUNCTION : 0) | (is_return(x) ? SC_RETURN : 0);
    if (sym < w->ncls) w->cls[sym] = c;
    return c;
}

/* The sites' record walk (a pre-order walk of every node but a return's descendants, which
 * the direct mode enters for its root nodes only): the record's functions (range, name, how
 * many returns with a value each holds directly) and its value-less returns; with w->rootsym,
 * in direct mode every node of a root symbol, else the outermost ones (w->sub: a return, which
 * the walk does not enter, stands for any inside it). scan_begin, then scan_node for
 * each node in pre-order with its depth below the root, which says whether to enter it. Either
 * scan_record's own cursor walk or another walk of the same tree drives it (hash.c's feature
 * walk: embed_sites_scan_*), so a record is walked once for both. */
static void scan_begin(sites_worker *w)
{
    w->nfns = w->nbare = w->nsub = 0;
    w->fdepth = 0;
    w->in_sub = 0;
    w->in_ret = 0;
}

/* Add x to w->sub. */
static int sub_push(sites_worker *w, TSNode x)
{
    if (grow_arr((void **)&w->sub, &w->csub, w->nsub + 1, sizeof *w->sub)) {
        w->oom = 1;
        return -1;
    }
    w->sub[w->nsub++] = x;
    return 0;
}

static int scan_node(sites_worker *w, TSNode x, TSSymbol sym, int named, uint32_t cd,
                     const TSTreeCursor *c)
{
    if (w->direct) corrupt_site_walk_node(w->cw, x, sym, named, cd, c); /* returns' insides too */
    if (w->in_ret) { /* direct mode, inside a return: the walk above only */
        if (cd < w->in_ret) w->in_ret = 0; /* left it */
        else return 1;
    }
    uint32_t xs = ts_node_start_byte(x);
    while (w->fdepth && xs >= w->fns[w->stk[w->fdepth - 1]].end) w->fdepth--;
    int descend = 1;
    uint8_t cl = named ? node_class(w, x, sym) : 0;
    if (w->rootsym && !w->direct) {
        if (w->in_sub && cd < w->in_sub) w->in_sub = 0; /* left it */
        if (!w->in_sub && ((sym < w->nsym && w->rootsym[sym]) || (cl & SC_RETURN))) {
            if (sub_push(w, x)) return 0;
            w->in_sub = cd + 1;
        }
    }
    if (cl & SC_FUNCTION) {
        if (grow_arr((void **)&w->fns, &w->cfns, w->nfns + 1, sizeof *w->fns) ||
            grow_arr((void **)&w->stk, &w->cstk, w->fdepth + 1, sizeof *w->stk)) {
            w->oom = 1;
            return 0;
        }
        w->fns[w->nfns] = (fn_info){xs, ts_node_end_byte(x), function_name(x, w->src), 0};
        w->stk[w->fdepth++] = (uint32_t)w->nfns++;
    } else if (cl & SC_RETURN) {
        /* the functions and returns inside a return are not the record's (its value is one
         * site); the direct mode still enters it for its walk */
        descend = w->direct;
        if (w->direct) w->in_ret = cd + 1;
        if (return_valued(x)) {
            if (w->fdepth) w->fns[w->stk[w->fdepth - 1]].valued++;
        } else {
            if (grow_arr((void **)&w->bare, &w->cbare, w->nbare + 2, sizeof *w->bare)) {
                w->oom = 1;
                return 0;
            }
            w->bare[w->nbare++] = xs;
            w->bare[w->nbare++] = ts_node_end_byte(x);
        }
    }
    return descend;
}

/* The record the scan is about to walk (its text, tree and the query roots of its language's
 * site set), and the scan's lists emptied (scan_begin). */
static void scan_start(sites_worker *w, const corrupt_site_set *set, TSNode root,
                       const char *text, size_t len)
{
    w->src = text;
    w->len = len;
    w->root = root;
    w->oom = 0;
    w->rootsym = corrupt_site_set_root_symbols(set, &w->nsym);
    w->direct = corrupt_site_set_direct(set) && (w->cw || (w->cw = corrupt_site_walk_new())) &&
                !corrupt_site_walk_begin(w->cw, set);
    scan_begin(w);
}

/* The scan's own cursor walk of w->root (after scan_start), for a visit the feature walk did
 * not drive. */
static void scan_record(sites_worker *w)
{
    uint32_t cd = 0; /* the cursor's depth */
    TSTreeCursor c = ts_tree_cursor_new(w->root);
    for (;;) {
        TSNode x = ts_tree_cursor_current_node(&c);
        int descend = scan_node(w, x, ts_node_symbol(x), ts_node_is_named(x), cd, &c);
        if (w->oom) break;
        if (descend && ts_tree_cursor_goto_first_child(&c)) {
            cd++;
            continue;
        }
        int up = 0;
        for (;;) {
            if (ts_tree_cursor_goto_next_sibling(&c)) break;
            if (!ts_tree_cursor_goto_parent(&c)) {
                up = 1;
                break;
            }
            cd--;
        }
        if (up) break;
    }
    ts_tree_cursor_delete(&c);
}

/* The record's language index, or -1. */
static int lang_index(const char *lang)
{
    for (size_t i = 0; i < sciprune_lang_count(); i++)
        if (!strcmp(sciprune_lang_name(i), lang)) return (int)i;
    return -1;
}

static sciprune_status sites_set(embed_sites *S, size_t li, const corrupt_site_set **out,
                                 sciprune_error *err);

int embed_sites_scan_begin(const sciprune_embedder *e, sites_worker *w, const char *lang,
                           TSNode root, const char *text, size_t len)
{
    w->scanned = 0;
    if (ts_node_is_null(root) || !e->sites) return 0;
    int li = lang_index(lang);
    const corrupt_site_set *set = NULL;
    if (li < 0 || sites_set(e->sites, (size_t)li, &set, NULL) || !set) return 0;
    scan_start(w, set, root, text, len);
    w->scanned = 1;
    return 1;
}

int embed_sites_scan_node(sites_worker *w, TSNode x, TSSymbol sym, int named, uint32_t depth,
                          const TSTreeCursor *c)
{
    return w->oom ? 0 : scan_node(w, x, sym, named, depth, c);
}

/* The innermost function holding [s0, s1), or NULL. */
static const fn_info *fn_at(const sites_worker *w, uint32_t s0, uint32_t s1)
{
    /* fns are in start order and nest: the holder that starts last is the innermost */
    size_t lo = 0, hi = w->nfns;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (w->fns[mid].start <= s0) lo = mid + 1;
        else hi = mid;
    }
    for (size_t i = lo; i-- > 0;)
        if (w->fns[i].end >= s1) return &w->fns[i];
    return NULL;
}

/* ------------------------------------------------------------------ one example */

typedef struct wcache {
    int valid;
    uint32_t w0, w1;
    tok toks[SITES_MAX_TOK];
    uint64_t subs[MAX_SUBS];
    uint32_t nt, ns;
    uint64_t pre[SITES_MAX_FEAT]; /* unsalted, in order (capped: fadd keeps no more) */
    uint32_t npre;
    /* those features salted per model: the record's language is fixed, so one slot per type */
    int model[SITES_NTYPES];      /* cidx[t]'s model, -1: none */
    uint32_t cidx[SITES_NTYPES][SITES_MAX_FEAT];
    uint32_t nidx[SITES_NTYPES];
    /* the sum over cidx[t] of the weights czw[t] (NULL: not summed): every site of the window
     * starts its w . x from it; the sum is sequential, so z is the same double as summing the
     * whole list (site_z) */
    double cz[SITES_NTYPES];
    const float *czw[SITES_NTYPES];
} wcache;

static wcache *wcache_new(void) { return calloc(1, sizeof(wcache)); }

/* The window-only features of a token stream, unsalted, in fadd order: bias, stream
 * unigrams/bigrams/trigrams, sub-tokens, argument slots of the first parenthesis group. */
static uint32_t window_pre(const tok *toks, uint32_t nt, const uint64_t *subs, uint32_t ns,
                           uint64_t *pre)
{
    uint32_t np = 0;
#define PRE(h) do { if (np < SITES_MAX_FEAT) pre[np++] = (h); } while (0)
    PRE(1); /* bias */
    uint64_t u = 0x100, b = 0x200, t3 = 0x300;
    for (uint32_t i = 0; i < nt; i++) {
        PRE(mix(u, toks[i].h));
        if (i + 1 < nt) PRE(mix(mix(b, toks[i].h), toks[i + 1].h));
        if (i + 2 < nt) PRE(mix(mix(mix(t3, toks[i].h), toks[i + 1].h), toks[i + 2].h));
    }
    for (uint32_t i = 0; i < ns; i++) PRE(mix(0x400, subs[i]));
    /* argument slots in the first parenthesis group */
    uint64_t callee = 0;
    int depth = 0, slot = -1, done = 0;
    uint64_t h_open = g_tokh.op1['('], h_close = g_tokh.op1[')'], h_comma = g_tokh.op1[','];
    for (uint32_t i = 0; i < nt && !done; i++) {
        uint64_t h = toks[i].h;
        if (toks[i].kind == TK_OP && h == h_open) {
            if (depth == 0 && slot < 0) {
                slot = 0;
                callee = i > 0 && toks[i - 1].kind == TK_WORD ? toks[i - 1].h : 0;
            }
            depth++;
        } else if (toks[i].kind == TK_OP && h == h_close) {
            if (--depth <= 0 && slot >= 0) done = 1;
        } else if (toks[i].kind == TK_OP && h == h_comma && depth == 1 && slot >= 0) {
            slot++;
        } else if (slot >= 0 && depth >= 1 && toks[i].kind != TK_OP) {
            uint64_t sh = mix(0x500, (uint64_t)slot);
            PRE(mix(sh, h));
            PRE(mix(mix(sh, h), callee));
            for (uint32_t k = 0; k < toks[i].nsub; k++) PRE(mix(mix(0x600, (uint64_t)slot), subs[toks[i].sub0 + k]));
        }
    }
#undef PRE
    return np;
}

/* The features of a site into w->feat; the splice applied when se->ins (corrupted example).
 * `ret` is the return node for drop-return-value sites (else null). Returns the count. */
static uint32_t site_features(sites_worker *w, int model, const corrupt_site_edit *se, int apply,
                              const uint32_t *ret, uint64_t *key)
{
    const char *src = w->src;
    uint32_t s0, s1;
    if (ret) {
        s0 = ret[0];
        s1 = ret[1];
    } else {
        s0 = ts_node_start_byte(se->a);
        s1 = ts_node_is_null(se->b) ? ts_node_end_byte(se->a) : ts_node_end_byte(se->b);
    }
    /* the context: the lines the site is on (clipped below to SITES_WINDOW either side) */
    uint32_t c0 = s0, c1 = s1;
    while (c0 > 0 && src[c0 - 1] != '\n' && s0 - c0 < SITES_WINDOW) c0--;
    while (c1 < w->len && src[c1] != '\n' && c1 - s1 < SITES_WINDOW) c1++;
    uint32_t w0 = s0 > c0 + SITES_WINDOW ? s0 - SITES_WINDOW : c0;
    uint32_t w1 = c1 > s1 + SITES_WINDOW ? s1 + SITES_WINDOW : c1;
    if (apply && se->ins) {
        if (se->offset < w0) w0 = (uint32_t)se->offset;
        if (se->offset + se->removed > w1) w1 = (uint32_t)(se->offset + se->removed);
    }
    /* the key: where the site is and what it says, clean (both examples of a pair share it);
     * only training orders examples by it */
    *key = 0;
    if (w->train) {
        *key = mix(hash_bytes(src + s0, s1 - s0 > 256 ? 256 : s1 - s0, (uint64_t)model), s0);
        *key = mix(*key, hash_bytes(src + w0, w1 - w0 > 512 ? 512 : w1 - w0, w->len));
    }

    /* the window's tokens and window-only features: the clean window's are kept for the next
     * site on the same window (the same text: the same tokens, the same features) */
    int clean = !(apply && se->ins);
    wcache *C = w->wc;
    tok stoks[SITES_MAX_TOK];
    uint64_t ssubs[MAX_SUBS];
    uint64_t spre[SITES_MAX_FEAT];
    const tok *toks;
    uint32_t nt;
    feats F = {w->feat, 0, mix(0x51735173ULL, (uint64_t)model)};
    if (clean && C && C->valid && C->w0 == w0 && C->w1 == w1) {
        toks = C->toks;
        nt = C->nt;
        int t = model % SITES_NTYPES;
        if (C->model[t] == model) {
            memcpy(F.f, C->cidx[t], (size_t)C->nidx[t] * sizeof *F.f);
            F.n = C->nidx[t];
        } else {
            for (uint32_t k = 0; k < C->npre; k++) fadd(&F, C->pre[k]);
            memcpy(C->cidx[t], F.f, (size_t)F.n * sizeof *F.f);
            C->nidx[t] = F.n;
            C->model[t] = model;
            C->czw[t] = NULL;
        }
    } else {
        tok *tk = clean && C ? C->toks : stoks;
        uint64_t *sb = clean && C ? C->subs : ssubs;
        uint64_t *pre = clean && C ? C->pre : spre;
        size_t ins_len = apply && se->ins ? se->ins_len : 0;
        size_t need = (size_t)(w1 - w0) + ins_len + 1;
        if (need > w->bcap) {
            char *nb = realloc(w->buf, need);
            if (!nb) {
                w->oom = 1;
                return 0;
            }
            w->buf = nb;
            w->bcap = need;
        }
        size_t bl;
        if (apply && se->ins) {
            size_t pre0 = se->offset - w0;
            memcpy(w->buf, src + w0, pre0);
            memcpy(w->buf + pre0, se->ins, se->ins_len);
            size_t post0 = se->offset + se->removed;
            memcpy(w->buf + pre0 + se->ins_len, src + post0, w1 - post0);
            bl = pre0 + se->ins_len + (w1 - post0);
        } else {
            memcpy(w->buf, src + w0, w1 - w0);
            bl = w1 - w0;
        }
        uint32_t ns;
        nt = tokenize((const unsigned char *)w->buf, bl, tk, sb, &ns);
        uint32_t np = window_pre(tk, nt, sb, ns, pre);
        for (uint32_t k = 0; k < np; k++) fadd(&F, pre[k]);
        toks = tk;
        if (clean && C) {
            C->valid = 1;
            C->w0 = w0;
            C->w1 = w1;
            C->nt = nt;
            C->ns = ns;
            C->npre = np;
            int t = model % SITES_NTYPES;
            for (int u = 0; u < SITES_NTYPES; u++) {
                C->model[u] = -1;
                C->czw[u] = NULL;
            }
            memcpy(C->cidx[t], F.f, (size_t)F.n * sizeof *F.f);
            C->nidx[t] = F.n;
            C->model[t] = model;
        }
    }
    /* a clean window's features lead the list: their sum can be shared */
    w->pfx = clean && C ? C->nidx[model % SITES_NTYPES] : 0;
    w->pfx_t = model % SITES_NTYPES;
    /* the enclosing function's name with each operator / keyword-like token */
    const fn_info *fn = fn_at(w, s0, s1);
    uint64_t fname = fn ? fn->name : 0;
    if (fname)
        for (uint32_t i = 0; i < nt; i++)
            if (toks[i].kind == TK_OP || toks[i].kind == TK_NUM) fadd(&F, mix(mix(0x700, fname), toks[i].h));
    if (ret || se->kind == CORRUPT_SITE_DELETE) {
        /* a bare return (ret) has no value; a return's value site has one until deleted */
        int valued = !ret && !(apply && se->ins);
        int others = fn ? fn->valued - (ret ? 0 : 1) : 0;
        int ob = others <= 0 ? 0 : others == 1 ? 1 : 2;
        fadd(&F, mix(0x800, (uint64_t)(valued * 4 + ob)));
        fadd(&F, mix(mix(0x900, fname), (uint64_t)valued));
        fadd(&F, mix(mix(0xa00, fname), (uint64_t)(valued * 4 + ob)));
    }
    return F.n;
}

/* The current example (w->feat): appended to the record's flat list, or, when scoring with the
 * weights at hand, its w . x taken into the record's max instead (summed in the order embed_sites_score_flat
 * sums a flat list: the same doubles). */
static void take_site(sites_worker *w, int model, uint32_t nf)
{
    if (w->zw) {
        double z;
        if (w->pfx) { /* site_z's sum, its first pfx terms summed once per window */
            wcache *C = w->wc;
            int t = w->pfx_t;
            if (C->czw[t] != w->zw) {
                C->cz[t] = site_z(w->zw, w->feat, w->pfx);
                C->czw[t] = w->zw;
            }
            z = C->cz[t];
            for (uint32_t k = w->pfx; k < nf; k++) z += w->zw[w->feat[k]];
        } else {
            z = site_z(w->zw, w->feat, nf);
        }
        if (!w->zany || z > w->zmax) w->zmax = z;
        w->zany = 1;
        return;
    }
    if (w->nflat + nf + 1 > w->cflat) {
        size_t nc = w->cflat ? w->cflat * 2 : 1024;
        while (nc < w->nflat + nf + 1) nc *= 2;
        uint32_t *n = realloc(w->flat, nc * sizeof *n);
        if (!n) {
            w->oom = 1;
            return;
        }
        w->flat = n;
        w->cflat = nc;
    }
    w->flat[w->nflat++] = ((uint32_t)model << 16) | nf;
    memcpy(w->flat + w->nflat, w->feat, (size_t)nf * sizeof *w->feat);
    w->nflat += nf;
}

static int model_of(const sites_worker *w) { return w->lang_idx * SITES_NTYPES + w->type; }

static int on_site(void *user, const corrupt_site_edit *se)
{
    sites_worker *w = user;
    w->type = se->type;
    int m = model_of(w);
    uint64_t key;
    uint32_t nf = site_features(w, m, se, 0, NULL, &key);
    if (w->oom) return 1;
    take_site(w, m, nf);
    if (w->train && w->heaps) {
        if (heap_offer(&w->heaps[m], key, 0, w->feat, nf)) w->oom = 1;
        /* the corrupted example's features only when the heap would keep it */
        const ex_heap *h = &w->heaps[m];
        int lost = h->n == SITES_MAX_EX &&
                   (h->v[0].key < key || (h->v[0].key == key && h->v[0].label < 1));
        if (se->ins && !lost) {
            uint64_t k2;
            nf = site_features(w, m, se, 1, NULL, &k2);
            if (heap_offer(&w->heaps[m], key, 1, w->feat, nf)) w->oom = 1;
        }
    }
    return w->oom;
}

/* Value-less returns: clean examples and scored sites of drop-return-value. */
static void bare_returns(sites_worker *w)
{
    int m = w->lang_idx * SITES_NTYPES + T_RETURN;
    for (size_t i = 0; i < w->nbare && !w->oom; i++) {
        corrupt_site_edit se = {CORRUPT_SITE_DELETE, T_RETURN, {{0}, 0, 0}, {{0}, 0, 0}, 0, 0, NULL, 0};
        uint64_t key;
        uint32_t nf = site_features(w, m, &se, 0, w->bare + 2 * i, &key);
        if (w->oom) break;
        take_site(w, m, nf);
        if (w->train && w->heaps && heap_offer(&w->heaps[m], key, 0, w->feat, nf)) w->oom = 1;
    }
}

sciprune_status embed_sites_visit(const sciprune_embedder *e, sites_worker *w, int train,
                                  const char *lang, TSNode root, const char *text, size_t len,
                                  sciprune_error *err)
{
    int scanned = w->scanned;
    w->scanned = 0;
    w->nflat = 0;
    w->zw = NULL;
    w->zany = 0;
    w->zmax = 0;
    if (ts_node_is_null(root) || !e->sites) return SCIPRUNE_OK;
    int li = lang_index(lang);
    if (li < 0) return SCIPRUNE_OK;
    const corrupt_site_set *set;
    sciprune_status st = sites_set(e->sites, (size_t)li, &set, err);
    if (st || !set) return st;
    w->e = e;
    w->train = train;
    w->lang_idx = li;
    w->zw = train ? NULL : e->sites->w;
    w->wc->valid = 0; /* a new text */
    /* the record's walk: done already when the feature walk drove it (same tree and text) */
    if (!(scanned && ts_node_eq(w->root, root) && w->src == text && w->len == len)) {
        scan_start(w, set, root, text, len);
        scan_record(w);
    }
    w->nbare /= 2;
    if (w->oom) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    uint64_t seed = mix(e->s.seed, hash_bytes(text, len, 0x5173));
    if (w->direct)
        st = corrupt_site_walk_each(w->cw, root, text, len, train, seed, on_site, w, err);
    else { /* no subtree: no site (root stands for an empty list) */
        const TSNode *sub = !w->rootsym ? NULL : w->nsub ? w->sub : &root;
        st = corrupt_site_set_each(set, root, sub, w->nsub, text, len, train, seed, on_site, w, err);
    }
    if (st) return st;
    if (!w->oom) bare_returns(w);
    if (w->oom) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    return SCIPRUNE_OK;
}

/* ------------------------------------------------------------------ scoring */

float embed_sites_score_flat(const sciprune_embedder *e, const uint32_t *flat, uint32_t n)
{
    if (!e->sites || !e->sites->w) return 0.0f;
    const float *W = e->sites->w;
    /* the max of sigmoid(z) is sigmoid(max z) (exp is monotone): one exp per record */
    double zmax = 0;
    int any = 0;
    for (uint32_t i = 0; i < n;) {
        uint32_t nf = flat[i] & 0xffff;
        double z = site_z(W, flat + i + 1, nf);
        if (!any || z > zmax) zmax = z;
        any = 1;
        i += 1 + nf;
    }
    return any ? (float)sigmoid(zmax) : 0.0f;
}

/* ------------------------------------------------------------------ training */

static int cmp_ex(const void *pa, const void *pb)
{
    const sites_ex *a = pa, *b = pb;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    if (a->label != b->label) return a->label < b->label ? -1 : 1;
    if (a->nf != b->nf) return a->nf < b->nf ? -1 : 1;
    return memcmp(a->f, b->f, (size_t)a->nf * sizeof *a->f);
}

sciprune_status embed_sites_train(sciprune_embedder *e, sites_worker *const *ws, size_t nw,
                                  sciprune_error *err)
{
    embed_sites *S = e->sites;
    if (!S) return SCIPRUNE_OK;
    size_t nb = (size_t)1 << SITES_BITS;
    float *W = sp_table_calloc(nb * sizeof *W);
    if (!W) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    size_t nmodels = sciprune_lang_count() * SITES_NTYPES;
    memset(S->pairs, 0, sizeof S->pairs);
    for (size_t m = 0; m < nmodels; m++) {
        size_t tot = 0;
        for (size_t k = 0; k < nw; k++) tot += ws[k]->heaps[m].n;
        if (!tot) continue;
        sites_ex *all = malloc(tot * sizeof *all);
        if (!all) {
            free(W);
            return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
        }
        size_t n = 0;
        for (size_t k = 0; k < nw; k++) {
            if (ws[k]->heaps[m].n)
                memcpy(all + n, ws[k]->heaps[m].v, ws[k]->heaps[m].n * sizeof *all);
            n += ws[k]->heaps[m].n;
        }
        if (n) qsort(all, n, sizeof *all, cmp_ex);
        size_t u = 0;
        for (size_t i = 0; i < n && u < SITES_MAX_EX; i++) /* one per example, as a heap */
            if (u == 0 || cmp_ex(&all[u - 1], &all[i]) != 0) all[u++] = all[i];
        n = u;
        uint64_t pos = 0;
        size_t nfeat = 0;
        for (size_t i = 0; i < n; i++) {
            pos += all[i].label;
            nfeat += all[i].nf;
        }
        /* the epochs read the examples' features in order, packed in one array (each example's
         * own array lies wherever the heap allocated it); without the memory, in place */
        uint32_t *pack = malloc((nfeat ? nfeat : 1) * sizeof *pack);
        uint32_t **fs = pack ? malloc((n ? n : 1) * sizeof *fs) : NULL;
        for (size_t i = 0, o = 0; fs && i < n; i++) {
            memcpy(pack + o, all[i].f, (size_t)all[i].nf * sizeof *pack);
            fs[i] = pack + o;
            o += all[i].nf;
        }
        /* plain SGD on the log loss, fixed order and schedule */
        for (int ep = 0; ep < SITES_EPOCHS; ep++) {
            double lr = SITES_LR / (1.0 + ep);
            for (size_t i = 0; i < n; i++) {
                const sites_ex *x = &all[i];
                const uint32_t *f = fs ? fs[i] : x->f;
                double z = 0;
                for (uint32_t k = 0; k < x->nf; k++) z += W[f[k]];
                double g = (sigmoid(z) - (double)x->label) * lr / sqrt((double)(x->nf ? x->nf : 1));
                for (uint32_t k = 0; k < x->nf; k++) W[f[k]] -= (float)g;
            }
        }
        free(fs);
        free(pack);
        size_t t = m % SITES_NTYPES;
        S->pairs[t] += pos;
        S->examples[t] += n;
        sp_log(SCIPRUNE_LOG_DEBUG, "embed: sites model %s/%s: %zu examples, %llu corrupted",
               sciprune_lang_name(m / SITES_NTYPES), k_types[t], n, (unsigned long long)pos);
        free(all); /* the features stay owned by the heaps */
    }
    free(S->w);
    S->w = W;
    for (size_t k = 0; k < nw; k++)
        for (size_t m = 0; m < nmodels; m++) heap_free(&ws[k]->heaps[m]);
    return SCIPRUNE_OK;
}

/* ------------------------------------------------------------------ the model object */

sciprune_status embed_sites_new(embed_sites **out, sciprune_error *err)
{
    *out = NULL;
    embed_sites *S = calloc(1, sizeof *S);
    if (!S) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    if (pthread_mutex_init(&S->lock, NULL)) {
        free(S);
        return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    }
    /* the queries are compiled per language on its first record (sites_set): compiling every
     * language's at start was a fixed ~0.1 s, most of it for languages the corpus lacks */
    sciprune_status st = corrupt_corruptor_new_types(&S->corr, k_types, SITES_NTYPES, err);
    if (!st && (!(S->sets = calloc(sciprune_lang_count(), sizeof *S->sets)) ||
                !(S->ready = calloc(sciprune_lang_count(), sizeof *S->ready))))
        st = sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    if (!st) S->nsets = sciprune_lang_count();
    for (size_t i = 0; !st && i < S->nsets; i++) atomic_init(&S->ready[i], 0);
    if (st) {
        embed_sites_free(S);
        return st;
    }
    *out = S;
    return SCIPRUNE_OK;
}

/* The site set of language li, compiled on first use (thread-safe: one compile, under the
 * lock; later calls read it lock-free once `ready` is published). *out NULL when the
 * language has none of the types. */
static sciprune_status sites_set(embed_sites *S, size_t li, const corrupt_site_set **out,
                                 sciprune_error *err)
{
    *out = NULL;
    if (li >= S->nsets) return SCIPRUNE_OK;
    if (!atomic_load_explicit(&S->ready[li], memory_order_acquire)) {
        sciprune_status st = SCIPRUNE_OK;
        pthread_mutex_lock(&S->lock);
        if (!atomic_load_explicit(&S->ready[li], memory_order_relaxed)) {
            st = corrupt_site_set_new(&S->sets[li], S->corr, sciprune_lang_name(li), k_types,
                                      SITES_NTYPES, err);
            if (!st) atomic_store_explicit(&S->ready[li], 1, memory_order_release);
        }
        pthread_mutex_unlock(&S->lock);
        if (st) return st;
    }
    *out = S->sets[li];
    return SCIPRUNE_OK;
}

void embed_sites_free(embed_sites *S)
{
    if (!S) return;
    for (size_t i = 0; S->sets && i < S->nsets; i++) corrupt_site_set_free(S->sets[i]);
    free(S->sets);
    free((void *)S->ready);
    sciprune_corruptor_free(S->corr);
    pthread_mutex_destroy(&S->lock);
    free(S->w);
    free(S);
}

sciprune_status embed_sites_save(const embed_sites *S, const char *path, sciprune_error *err)
{
    if (!S->w) return sp_err(err, SCIPRUNE_ESTATE, path, -1, -1, "the site detectors are not trained");
    return sp_npy_write(path, SP_NPY_F32, (uint64_t)1 << SITES_BITS, 0, S->w, err);
}

sciprune_status embed_sites_load(embed_sites *S, const char *path, sciprune_error *err)
{
    sp_npy a;
    sciprune_status st = sp_npy_open(&a, path, err);
    if (st) return st;
    if (a.dtype != SP_NPY_F32 || a.cols != 0 || a.rows != ((uint64_t)1 << SITES_BITS)) {
        sp_npy_close(&a);
        return sp_err(err, SCIPRUNE_EPARSE, path, -1, -1, "not a site detector table (<f4, 2^%d)",
                      SITES_BITS);
    }
    float *W = sp_table_alloc(((size_t)1 << SITES_BITS) * sizeof *W);
    if (!W) {
        sp_npy_close(&a);
        return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
    }
    memcpy(W, a.data, ((size_t)1 << SITES_BITS) * sizeof *W);
    sp_npy_close(&a);
    free(S->w);
    S->w = W;
    return SCIPRUNE_OK;
}

/* ------------------------------------------------------------------ split fit (ranks) */

/* One model's examples from every worker: sorted (cmp_ex), exact duplicates dropped, the
 * SITES_MAX_EX smallest kept; the features stay the heaps'. *out NULL when there are none. */
static int merged_examples(sites_worker *const *ws, size_t nw, size_t m, sites_ex **out,
                           size_t *n)
{
    size_t tot = 0;
    for (size_t k = 0; k < nw; k++) tot += ws[k]->heaps[m].n;
    *out = NULL;
    *n = 0;
    if (!tot) return 0;
    sites_ex *all = malloc(tot * sizeof *all);
    if (!all) return -1;
    size_t c = 0;
    for (size_t k = 0; k < nw; k++) {
        if (ws[k]->heaps[m].n) memcpy(all + c, ws[k]->heaps[m].v, ws[k]->heaps[m].n * sizeof *all);
        c += ws[k]->heaps[m].n;
    }
    qsort(all, c, sizeof *all, cmp_ex);
    size_t u = 0;
    for (size_t i = 0; i < c && u < SITES_MAX_EX; i++)
        if (u == 0 || cmp_ex(&all[u - 1], &all[i]) != 0) all[u++] = all[i];
    *out = all;
    *n = u;
    return 0;
}

sciprune_status embed_sites_part_save(sites_worker *const *ws, size_t nw, const char *path,
                                      sciprune_error *err)
{
    size_t nmodels = sciprune_lang_count() * SITES_NTYPES;
    size_t cap = 16 + 4 * nmodels, len = 0;
    for (size_t k = 0; k < nw; k++)
        for (size_t m = 0; m < nmodels; m++)
            for (size_t i = 0; i < ws[k]->heaps[m].n; i++)
                cap += 16 + 4 * (size_t)ws[k]->heaps[m].v[i].nf;
    unsigned char *buf = malloc(cap);
    if (!buf) return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
#define PUT(p, sz) do { memcpy(buf + len, (p), (sz)); len += (sz); } while (0)
    uint32_t hdr[2] = {0x31535053u /* "SPS1" */, (uint32_t)nmodels};
    PUT(hdr, sizeof hdr);
    for (size_t m = 0; m < nmodels; m++) {
        sites_ex *ex;
        size_t n;
        if (merged_examples(ws, nw, m, &ex, &n)) {
            free(buf);
            return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
        }
        uint32_t n32 = (uint32_t)n;
        PUT(&n32, 4);
        for (size_t i = 0; i < n; i++) {
            PUT(&ex[i].key, 8);
            PUT(&ex[i].label, 4);
            PUT(&ex[i].nf, 4);
            if (ex[i].nf) PUT(ex[i].f, (size_t)ex[i].nf * 4);
        }
        free(ex);
    }
#undef PUT
    sciprune_status st = sp_write_file_atomic(path, buf, len, err);
    free(buf);
    return st;
}

/* Read one part file into kept[m] (appending), then bring each model back to its merged
 * SITES_MAX_EX (freeing the features of the examples dropped). */
static sciprune_status part_merge(ex_heap *kept, size_t nmodels, const char *path,
                                  sciprune_error *err)
{
    char *data = NULL;
    size_t len = 0, o = 0;
    sciprune_status st = sp_read_file(path, &data, &len, err);
    if (st) return st;
    const unsigned char *b = (const unsigned char *)data;
    uint32_t hdr[2];
#define GET(p, sz) (o + (sz) <= len ? (memcpy((p), b + o, (sz)), o += (sz), 1) : 0)
    if (!GET(hdr, sizeof hdr) || hdr[0] != 0x31535053u || hdr[1] != nmodels) {
        free(data);
        return sp_err(err, SCIPRUNE_EPARSE, path, -1, -1, "not a sites part file of this build");
    }
    for (size_t m = 0; m < nmodels && !st; m++) {
        uint32_t n;
        if (!GET(&n, 4) || n > SITES_MAX_EX) {
            st = sp_err(err, SCIPRUNE_EPARSE, path, -1, -1, "truncated sites part file");
            break;
        }
        if (!n) continue;
        ex_heap *h = &kept[m];
        sites_ex *v = realloc(h->v, (h->n + n) * sizeof *v);
        if (!v) {
            st = sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
            break;
        }
        h->v = v;
        for (uint32_t i = 0; i < n && !st; i++) {
            sites_ex x = {0, 0, 0, NULL};
            if (!GET(&x.key, 8) || !GET(&x.label, 4) || !GET(&x.nf, 4) || x.nf > SITES_MAX_FEAT ||
                o + (size_t)x.nf * 4 > len) {
                st = sp_err(err, SCIPRUNE_EPARSE, path, -1, -1, "truncated sites part file");
                break;
            }
            if (!(x.f = malloc((size_t)(x.nf ? x.nf : 1) * sizeof *x.f))) {
                st = sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
                break;
            }
            if (x.nf) (void)GET(x.f, (size_t)x.nf * 4);
            h->v[h->n++] = x;
        }
        if (st) break;
        /* back to the merged SITES_MAX_EX: sort, drop exact duplicates and the largest */
        qsort(h->v, h->n, sizeof *h->v, cmp_ex);
        size_t u = 0;
        for (size_t i = 0; i < h->n; i++) {
            if (u < SITES_MAX_EX && (u == 0 || cmp_ex(&h->v[u - 1], &h->v[i]) != 0)) h->v[u++] = h->v[i];
            else free(h->v[i].f);
        }
        h->n = u;
    }
#undef GET
    free(data);
    return st;
}

sciprune_status embed_sites_train_parts(sciprune_embedder *e, const char *const *paths, size_t np,
                                        sciprune_error *err)
{
    if (!e->sites) return SCIPRUNE_OK;
    sites_worker *w = NULL;
    sciprune_status st = embed_sites_worker_new(e, &w, err);
    for (size_t i = 0; i < np && !st; i++) st = part_merge(w->heaps, w->nmodels, paths[i], err);
    /* one worker holding the merged set: the training of one process (it sorts again) */
    if (!st) st = embed_sites_train(e, &w, 1, err);
    embed_sites_worker_free(w);
    return st;
}
