/*
 * ngram.c - the naturalness model (issue 17): a token n-gram model of the corpus and the
 * per-record signal `naturalness` scored on it.
 *
 * Tokens. The leaves of the tree-sitter parse the embedder already makes (one parse per
 * record), in text order: comments are dropped; a string (any named node whose type holds
 * "string" or "template") is one class token "<STR>"; every other leaf is the 32-bit hash of
 * its text (or of its node type when the text is over 32 bytes). A text without a tree (no
 * grammar, parse guard) has no tokens.
 *
 * Model. Order NGRAM_ORDER = 4 (the order of the prototype in DESIGN.md: 4-grams, stupid
 * backoff, caught flipped operators at ~2x random; order 3 loses the operand on both sides of
 * a binary operator, order 5 is mostly unseen on a 10 % sample of a small corpus). Counts of
 * every k-gram, k = 1..4, and the token total per language, live in ONE hashed table of
 * 2^NGRAM_BITS uint32 counters (16 MiB; saturating): key = XXH3-style mix of (language,
 * k, tokens), bucket = top NGRAM_BITS bits. Collisions only add counts, so memory is flat in
 * corpus size. Smoothing: stupid backoff (Brants et al. 2007), alpha = 0.4:
 *   S(w | c_k) = C(c_k w) / C(c_k)             when C(c_k w) > 0 (ratio capped at 1, since
 *                                              collisions can inflate a numerator)
 *              = 0.4 * S(w | c_{k-1})          otherwise, down to
 *   S(w)       = (C(w) + 1) / (T + 2^16)       T = the language's token total.
 * The context c_k is the k tokens before w inside the same file (no padding).
 *
 * Fit: like the idf fit (stage.c): the fit pass parses the idf sample (XXH3(id) below the
 * sample threshold; the model keeps to that sample even when the idf falls back to every
 * record below idf_min_docs, so that records outside it stay unseen: analyze evaluates the
 * signal on those only, since a model that has seen a file's original text flags any edit of
 * it); each worker counts into a private uint32 table (saturating increments); the tables are
 * summed with saturation into the first one (over MPI ranks: in 64 bits for the reduce, then
 * saturated), which is min(total, UINT32_MAX) either way (integer sums: the same bytes for any
 * thread or rank count). Saved as W/embed/ngram.npy (1-D, 2^NGRAM_BITS, dtype '<i4' holding the uint32
 * counts' bits: view it as uint32) beside idf.npy, read back when a workdir's spec is reused.
 *
 * Sites and score. At every site the best alternative's log-probability gain is measured:
 *   OP    a binary / comparison / boolean operator (parent node type holds "binary",
 *         "comparison" or "boolean"): alternatives are the other operators of its class
 *         {+ -}, {== != < > <= >=}, {=== !==}, {and or}, {&& ||} (the swap-operator classes);
 *   NUM   a decimal integer literal below 10^9: the literal +1 and -1 (off-by-one);
 *   SWAP  the first two arguments of an argument list, each at most 6 tokens: swapped;
 *   NEG   a `not` / `!` right after `if` / `elif` / `if (`: deleted (negate-if).
 * gain = sum of log S over the tokens of the alternative's window minus the same over the
 * written window, the window being the site's tokens and the NGRAM_ORDER-1 tokens after them
 * (every n-gram the change touches); for NEG the deleted token's own term is left out of the
 * written side so that a shorter text does not win by having fewer terms. The record's
 * `naturalness` = max gain over its sites, clamped to [-NGRAM_FLOOR, NGRAM_FLOOR]; a record
 * without sites or tokens gets -NGRAM_FLOOR (never pruned first by this signal).
 */
#include "embed_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define TOK_STR 0x5354523cu /* "<STR>" class token */
#define MAX_ARG_TOKENS 6
#define BACKOFF 0.4
#define UNI_V 65536.0

enum { OPC_ADD = 1, OPC_CMP, OPC_EQ3, OPC_BOOLW, OPC_BOOLS };

static const char *const k_ops[][7] = {
    [OPC_ADD] = {"+", "-", NULL},
    [OPC_CMP] = {"==", "!=", "<", ">", "<=", ">=", NULL},
    [OPC_EQ3] = {"===", "!==", NULL},
    [OPC_BOOLW] = {"and", "or", NULL},
    [OPC_BOOLS] = {"&&", "||", NULL},
};

static inline uint64_t nmix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

uint32_t ngram_token_id(const char *s, size_t n)
{
    uint32_t t = (uint32_t)sp_hash64(s, n, 0x6e6772616d746f6bULL);
    return t == TOK_STR ? t + 1 : t;
}

uint64_t ngram_lang_key(const char *lang)
{
    return sp_hash64(lang ? lang : "", lang ? strlen(lang) : 0, 0x6c616e67ULL);
}

static inline size_t bucket(uint64_t h)
{
    return (size_t)(h >> (64 - NGRAM_BITS));
}

static uint64_t total_key(uint64_t lk)
{
    return nmix(lk, 0x544f54414cULL);
}

/* Key of the k-gram t[0..k) (k >= 1) of language lk: nmix(lk, 0x1000 + k), then nmix with
 * each token in turn. The language's seeds (the first mix, for every k) are mixed once per doc
 * (lang_keys), not once per k-gram. */
typedef struct lang_keys {
    uint64_t seed[NGRAM_ORDER + 1];
    size_t total;    /* bucket(total_key(lk)) */
} lang_keys;

static void lang_keys_init(lang_keys *K, uint64_t lk)
{
    for (size_t k = 1; k <= NGRAM_ORDER; k++) K->seed[k] = nmix(lk, 0x1000 + k);
    K->seed[0] = 0;
    K->total = bucket(total_key(lk));
}

static inline uint64_t gram_key_s(const lang_keys *K, const uint32_t *t, size_t k)
{
    uint64_t h = K->seed[k];
    for (size_t i = 0; i < k; i++) h = nmix(h, t[i]);
    return h;
}

static inline void sat_inc(uint32_t *c, uint32_t by)
{
    *c = *c > UINT32_MAX - by ? UINT32_MAX : *c + by;
}

/* A zeroed count table (2^NGRAM_BITS uint32, free() it), or NULL. 2 MiB-aligned and
 * advised as huge pages where the kernel offers them: the counts touch every page of it at
 * random, and 8 faults cost less than 4096 (a fixed cost per worker and fit attempt). */
uint32_t *ngram_table_alloc(void)
{
    return sp_table_calloc(((size_t)1 << NGRAM_BITS) * sizeof(uint32_t));
}

void embed_counts_add(uint32_t *dst, const uint32_t *src, size_t n)
{
    for (size_t b = 0; b < n; b++) {
        uint32_t v = dst[b] + src[b];
        dst[b] = v < dst[b] ? UINT32_MAX : v;
    }
}

/* ------------------------------------------------------------------------------ doc */

void ngram_doc_clear(ngram_doc *d)
{
    d->ntok = 0;
    d->nsite = 0;
    d->npend = 0;
    d->oom = 0;
    d->lang = 0;
}

void ngram_doc_free(ngram_doc *d)
{
    free(d->tok);
    free(d->tbyte);
    free(d->site);
    free(d->pend);
    free(d->pcls);
    free(d->cls);
    memset(d, 0, sizeof *d);
}

static void push_tok(ngram_doc *d, uint32_t id, uint32_t byte)
{
    if (d->ntok == d->tcap) {
        uint32_t nc = d->tcap ? d->tcap * 2 : 1024;
        uint32_t *a = realloc(d->tok, (size_t)nc * sizeof *a);
        uint32_t *b = a ? realloc(d->tbyte, (size_t)nc * sizeof *b) : NULL;
        if (a) d->tok = a;
        if (b) d->tbyte = b;
        if (!a || !b) {
            d->oom = 1;
            return;
        }
        d->tcap = nc;
    }
    d->tok[d->ntok] = id;
    d->tbyte[d->ntok] = byte;
    d->ntok++;
}

static void push_site(ngram_doc *d, ngram_site s)
{
    if (d->nsite == d->scap) {
        uint32_t nc = d->scap ? d->scap * 2 : 128;
        ngram_site *a = realloc(d->site, (size_t)nc * sizeof *a);
        if (!a) {
            d->oom = 1;
            return;
        }
        d->site = a;
        d->scap = nc;
    }
    d->site[d->nsite++] = s;
}

static void push_pend(ngram_doc *d, uint32_t a0, uint32_t a1, uint32_t b0, uint32_t b1)
{
    if (d->npend == d->pcap) {
        uint32_t nc = d->pcap ? d->pcap * 2 : 64;
        uint32_t *a = realloc(d->pend, (size_t)nc * 4 * sizeof *a);
        if (!a) {
            d->oom = 1;
            return;
        }
        d->pend = a;
        d->pcap = nc;
    }
    uint32_t *p = d->pend + (size_t)d->npend * 4;
    p[0] = a0; p[1] = a1; p[2] = b0; p[3] = b1;
    d->npend++;
}

static int op_class(const char *s, size_t n)
{
    if (n == 0 || n > 3 || !strchr("+-=!<>&|ao", s[0])) return 0;
    for (int c = OPC_ADD; c <= OPC_BOOLS; c++)
        for (int i = 0; k_ops[c][i]; i++)
            if (strlen(k_ops[c][i]) == n && !memcmp(k_ops[c][i], s, n)) return c;
    return 0;
}

static int is_number_type(const char *t)
{
    return strstr(t, "integer") || strstr(t, "number") || strstr(t, "float") ||
           strstr(t, "int_literal");
}

/* First token index whose start byte is >= b. */
static uint32_t tok_at(const ngram_doc *d, uint32_t b)
{
    uint32_t lo = 0, hi = d->ntok;
    while (lo < hi) {
        uint32_t m = lo + (hi - lo) / 2;
        if (d->tbyte[m] < b) lo = m + 1;
        else hi = m;
    }
    return lo;
}

/* Class bits of a node type (what the walk below asks of it), cached per symbol. */
enum { CL_KNOWN = 1, CL_COMMENT = 2, CL_STRING = 4, CL_ARGS = 8, CL_NUMBER = 16, CL_BINPARENT = 32,
       CL_ARGSTOP = 64 /* an argument that ends the first-two scan (comment, keyword, splat, spread) */ };

static uint8_t type_class(const char *type)
{
    uint8_t c = CL_KNOWN;
    if (strstr(type, "comment")) c |= CL_COMMENT;
    if ((strstr(type, "string") || strstr(type, "template")) && !strstr(type, "content") &&
        !strstr(type, "fragment"))
        c |= CL_STRING;
    if (strstr(type, "argument")) c |= CL_ARGS;
    if (is_number_type(type)) c |= CL_NUMBER;
    if (strstr(type, "binary") || strstr(type, "comparison") || strstr(type, "boolean")) c |= CL_BINPARENT;
    if (strstr(type, "comment") || strstr(type, "keyword") || strstr(type, "splat") ||
        strstr(type, "spread"))
        c |= CL_ARGSTOP;
    return c;
}

static uint8_t node_class(ngram_doc *d, TSNode n, TSSymbol sym, const char **type)
{
    const TSLanguage *L = ts_tree_language(n.tree);
    if (d->cls_lang != L) {
        uint32_t nc = ts_language_symbol_count(L);
        uint8_t *c = nc ? calloc(nc, 1) : NULL;
        free(d->cls);
        d->cls = c;
        d->ncls = c ? nc : 0;
        d->cls_lang = c ? L : NULL;
    }
    if (sym < d->ncls && d->cls[sym]) return d->cls[sym];
    if (!*type) *type = ts_node_type(n);
    if (!*type) *type = "";
    uint8_t c = type_class(*type);
    if (sym < d->ncls) d->cls[sym] = c;
    return c;
}

void ngram_walk_begin(ngram_doc *d, const char *lang)
{
    ngram_doc_clear(d);
    d->lang = ngram_lang_key(lang);
}

int ngram_walk_node(ngram_doc *d, TSNode n, TSSymbol sym, int named, uint32_t nchild,
                    uint32_t depth, const char *text)
{
    if (d->oom) return 0;
    const char *type = NULL; /* ts_node_type(n), looked up only when needed */
    uint32_t a = ts_node_start_byte(n);
    uint8_t cl = named || nchild ? node_class(d, n, sym, &type) : 0;
    if (named && (cl & CL_COMMENT)) return 0;
    if (named && (cl & CL_STRING)) {
        push_tok(d, TOK_STR, a);
        return 0;
    }
    if (named && nchild >= 2 && (cl & CL_ARGS)) { /* argument list: first two */
        uint32_t ac = 0, r[4] = {0};
        for (uint32_t i = 0; i < nchild && ac < 2; i++) {
            TSNode ch = ts_node_child(n, i);
            if (!ts_node_is_named(ch)) continue;
            const char *ct = NULL;
            if (node_class(d, ch, ts_node_symbol(ch), &ct) & CL_ARGSTOP) break;
            r[ac * 2] = ts_node_start_byte(ch);
            r[ac * 2 + 1] = ts_node_end_byte(ch);
            ac++;
        }
        if (ac == 2) push_pend(d, r[0], r[1], r[2], r[3]);
    }
    if (nchild == 0) {
        size_t len = ts_node_end_byte(n) - a;
        const char *s = text + a;
        if (named && (cl & CL_NUMBER)) {
            uint32_t id = ngram_token_id(s, len);
            int dec = len > 0 && len <= 9;
            int64_t v = 0;
            for (size_t i = 0; dec && i < len; i++) {
                if (s[i] < '0' || s[i] > '9') dec = 0;
                else v = v * 10 + (s[i] - '0');
            }
            if (dec && !(len > 1 && s[0] == '0'))
                push_site(d, (ngram_site){d->ntok, d->ntok + 1, 0, 0, NGRAM_SITE_NUM, (int32_t)v});
            push_tok(d, id, a);
        } else {
            uint32_t id;
            if (len <= 32) {
                id = ngram_token_id(s, len);
            } else {
                if (!type) type = ts_node_type(n);
                if (!type) type = "";
                id = ngram_token_id(type, strlen(type));
            }
            if (!named) {
                int oc = op_class(s, len);
                if (oc && depth && (d->pcls[depth - 1] & CL_BINPARENT))
                    push_site(d, (ngram_site){d->ntok, d->ntok + 1, 0, 0, NGRAM_SITE_OP, oc});
            }
            push_tok(d, id, a);
        }
        return 0;
    }
    if (depth >= d->pcap2) { /* the parents' classes (is an operator's parent binary?) */
        uint32_t nc = d->pcap2 ? d->pcap2 * 2 : 64;
        while (nc <= depth) nc *= 2;
        uint8_t *p = realloc(d->pcls, nc);
        if (!p) {
            d->oom = 1;
            return 0;
        }
        d->pcls = p;
        d->pcap2 = nc;
    }
    d->pcls[depth] = cl;
    return 1;
}

void ngram_walk_end(ngram_doc *d)
{
    if (d->oom) return;
    /* argument swaps: byte ranges to token ranges */
    for (uint32_t i = 0; i < d->npend; i++) {
        const uint32_t *p = d->pend + (size_t)i * 4;
        uint32_t a0 = tok_at(d, p[0]), a1 = tok_at(d, p[1]), b0 = tok_at(d, p[2]), b1 = tok_at(d, p[3]);
        if (a1 <= a0 || b1 <= b0 || b0 < a1 || a1 - a0 > MAX_ARG_TOKENS || b1 - b0 > MAX_ARG_TOKENS ||
            b0 - a1 > 2)
            continue;
        push_site(d, (ngram_site){a0, b1, a1, b0, NGRAM_SITE_SWAP, 0});
    }
    /* negations right after if / elif / if ( */
    uint32_t t_if = ngram_token_id("if", 2), t_elif = ngram_token_id("elif", 4),
             t_par = ngram_token_id("(", 1), t_not = ngram_token_id("not", 3),
             t_bang = ngram_token_id("!", 1);
    for (uint32_t i = 1; i < d->ntok; i++) {
        uint32_t t = d->tok[i];
        if (t != t_not && t != t_bang) continue;
        uint32_t p = d->tok[i - 1];
        if (p == t_if || p == t_elif || (p == t_par && i >= 2 && d->tok[i - 2] == t_if))
            push_site(d, (ngram_site){i, i + 1, 0, 0, NGRAM_SITE_NEG, 0});
    }
}

void ngram_tokens(ngram_doc *d, const char *lang, TSNode root, const char *text)
{
    ngram_walk_begin(d, lang);
    if (ts_node_is_null(root)) return;
    TSTreeCursor c = ts_tree_cursor_new(root);
    uint32_t depth = 0;
    for (;;) {
        TSNode n = ts_tree_cursor_current_node(&c);
        uint32_t nchild = ts_node_child_count(n);
        if (!ts_node_is_missing(n) && ngram_walk_node(d, n, ts_node_symbol(n), ts_node_is_named(n), nchild, depth, text) &&
            ts_tree_cursor_goto_first_child(&c)) {
            depth++;
            continue;
        }
        for (;;) {
            if (ts_tree_cursor_goto_next_sibling(&c)) break;
            if (!ts_tree_cursor_goto_parent(&c)) {
                ts_tree_cursor_delete(&c);
                ngram_walk_end(d);
                return;
            }
            if (depth) depth--;
        }
    }
}

/* ----------------------------------------------------------------------------- model */

void ngram_count(uint32_t *tab, const ngram_doc *d)
{
    if (!d->ntok) return;
    /* in blocks: every bucket of a block hashed and prefetched, then incremented (saturating
     * increments commute: the same table as one at a time) */
    enum { BLK = 16 };
    size_t bk[BLK * NGRAM_ORDER];
    lang_keys K;
    lang_keys_init(&K, d->lang);
    for (uint32_t i0 = 0; i0 < d->ntok; i0 += BLK) {
        uint32_t i1 = d->ntok - i0 < BLK ? d->ntok : i0 + BLK;
        size_t nb = 0;
        for (uint32_t i = i0; i < i1; i++)
            for (uint32_t k = 1; k <= NGRAM_ORDER && k <= i + 1; k++) {
                bk[nb] = bucket(gram_key_s(&K, d->tok + i + 1 - k, k));
                __builtin_prefetch(&tab[bk[nb]], 1);
                nb++;
            }
        for (size_t j = 0; j < nb; j++) sat_inc(&tab[bk[j]], 1);
    }
    sat_inc(&tab[K.total], d->ntok);
}

static double logprob_k(const uint32_t *tab, const lang_keys *K, const uint32_t *ctx, size_t nctx,
                        uint32_t w)
{
    uint32_t buf[NGRAM_ORDER];
    if (nctx > NGRAM_ORDER - 1) {
        ctx += nctx - (NGRAM_ORDER - 1);
        nctx = NGRAM_ORDER - 1;
    }
    if (nctx) memcpy(buf, ctx, nctx * sizeof *buf);
    buf[nctx] = w;
    /* the longest context first: when its n-gram was counted (most written code in the
     * model's sample) no other bucket is hashed */
    double mult = 1.0;
    if (nctx) {
        size_t n0 = bucket(gram_key_s(K, buf, nctx + 1)), d0 = bucket(gram_key_s(K, buf, nctx));
        uint32_t cn = tab[n0], cd = tab[d0];
        if (cn > 0 && cd > 0) {
            double r = (double)cn / (double)cd;
            return log(r > 1 ? 1 : r);
        }
        mult = BACKOFF;
        nctx--;
    }
    /* every bucket the rest of the backoff may read, hashed and prefetched first: the table
     * is far larger than the caches, so the lookups' misses overlap instead of queueing */
    const uint32_t *base = buf + 1; /* the shorter contexts end where the longest one did */
    size_t bn[NGRAM_ORDER], bd[NGRAM_ORDER];
    for (size_t k = nctx; k >= 1; k--) {
        const uint32_t *g = base + nctx - k;
        bn[k] = bucket(gram_key_s(K, g, k + 1));
        bd[k] = bucket(gram_key_s(K, g, k));
        __builtin_prefetch(&tab[bn[k]]);
        __builtin_prefetch(&tab[bd[k]]);
    }
    for (size_t k = nctx; k >= 1; k--) {
        uint32_t cn = tab[bn[k]];
        uint32_t cd = tab[bd[k]];
        if (cn > 0 && cd > 0) {
            double r = (double)cn / (double)cd;
            return log(mult * (r > 1 ? 1 : r));
        }
        mult *= BACKOFF;
    }
    double T = (double)tab[K->total];
    double c1 = (double)tab[bucket(gram_key_s(K, &w, 1))];
    return log(mult * (c1 + 1.0) / (T + UNI_V));
}

double ngram_logprob(const uint32_t *tab, uint64_t lang, const uint32_t *ctx, size_t nctx,
                     uint32_t w)
{
    lang_keys K;
    lang_keys_init(&K, lang);
    return logprob_k(tab, &K, ctx, nctx, w);
}

/* The sum of log S over buf[from..len) (each token given those before it, within buf) minus
 * act. Every term is <= 0, so the running value only falls: once it is <= bound the rest
 * cannot lift it above bound, and that value (<= bound) comes back at once. */
static double seq_gain(const uint32_t *tab, const lang_keys *K, const uint32_t *buf, size_t len,
                       size_t from, double act, double bound)
{
    double s = 0;
    for (size_t i = from; i < len; i++) {
        size_t lo = i >= NGRAM_ORDER - 1 ? i - (NGRAM_ORDER - 1) : 0;
        s += logprob_k(tab, K, buf + lo, i - lo, buf[i]);
        if (s - act <= bound) return s - act;
    }
    return s - act;
}

#define WIN 64

/* Gain of replacing tok[s..e) by alt[0..na): the window's alternative minus written
 * log-probability (see the header). `lpa`: per-token written log S. The caller keeps only a
 * gain above `bound`: when the gain cannot exceed it (the alternative's sum is <= 0, so the
 * gain is <= -written), some value <= bound comes back sooner, and the maximum over the sites
 * is the same bytes as computing every gain in full. */
static double alt_gain(const uint32_t *tab, const lang_keys *K, const ngram_doc *d, const double *lpa, uint32_t s,
                       uint32_t e, const uint32_t *alt, size_t na, double bound)
{
    uint32_t lo = s >= NGRAM_ORDER - 1 ? s - (NGRAM_ORDER - 1) : 0;
    uint32_t hi = e + NGRAM_ORDER - 1 < d->ntok ? e + NGRAM_ORDER - 1 : d->ntok;
    double act = 0;
    for (uint32_t i = na ? s : e; i < hi; i++) act += lpa[i];
    if (0.0 - act <= bound) return 0.0 - act;
    uint32_t buf[WIN];
    size_t n = 0;
    for (uint32_t i = lo; i < s; i++) buf[n++] = d->tok[i];
    size_t from = n;
    for (size_t i = 0; i < na && n < WIN; i++) buf[n++] = alt[i];
    for (uint32_t i = e; i < hi && n < WIN; i++) buf[n++] = d->tok[i];
    return seq_gain(tab, K, buf, n, from, act, bound);
}

float ngram_score(const uint32_t *tab, const ngram_doc *d, double *scratch_lpa)
{
    if (!tab || !d->ntok || !d->nsite) return -NGRAM_FLOOR;
    const double *lpa = scratch_lpa;
    lang_keys K;
    lang_keys_init(&K, d->lang);
    /* the written log-probabilities, only of the tokens some site's window covers (the same
     * values, summed in the same order, as computing every token's: cost in sites, not tokens) */
    for (uint32_t i = 0; i < d->ntok; i++) scratch_lpa[i] = NAN;
    for (uint32_t k = 0; k < d->nsite; k++) {
        const ngram_site *st = &d->site[k];
        uint32_t hi = st->e + NGRAM_ORDER - 1 < d->ntok ? st->e + NGRAM_ORDER - 1 : d->ntok;
        for (uint32_t i = st->s; i < hi; i++) {
            if (!isnan(scratch_lpa[i])) continue;
            uint32_t lo = i >= NGRAM_ORDER - 1 ? i - (NGRAM_ORDER - 1) : 0;
            scratch_lpa[i] = logprob_k(tab, &K, d->tok + lo, i - lo, d->tok[i]);
        }
    }
    double best = -NGRAM_FLOOR;
    uint32_t alt[2 * MAX_ARG_TOKENS + 4];
    for (uint32_t k = 0; k < d->nsite; k++) {
        const ngram_site *st = &d->site[k];
        double g = -NGRAM_FLOOR;
        switch (st->kind) {
        case NGRAM_SITE_OP: {
            uint32_t cur = d->tok[st->s];
            for (int i = 0; k_ops[st->val][i]; i++) {
                uint32_t id = ngram_token_id(k_ops[st->val][i], strlen(k_ops[st->val][i]));
                if (id == cur) continue;
                double x = alt_gain(tab, &K, d, lpa, st->s, st->e, &id, 1, g > best ? g : best);
                if (x > g) g = x;
            }
            break;
        }
        case NGRAM_SITE_NUM:
            for (int dv = -1; dv <= 1; dv += 2) {
                int64_t v = (int64_t)st->val + dv;
                if (v < 0) continue;
                char b[24];
                int l = 0;
                char r[24];
                do {
                    r[l++] = (char)('0' + v % 10);
                    v /= 10;
                } while (v);
                for (int i = 0; i < l; i++) b[i] = r[l - 1 - i];
                uint32_t id = ngram_token_id(b, (size_t)l);
                double x = alt_gain(tab, &K, d, lpa, st->s, st->e, &id, 1, g > best ? g : best);
                if (x > g) g = x;
            }
            break;
        case NGRAM_SITE_SWAP: {
            size_t n = 0;
            for (uint32_t i = st->b0; i < st->e; i++) alt[n++] = d->tok[i];
            for (uint32_t i = st->a1; i < st->b0; i++) alt[n++] = d->tok[i];
            for (uint32_t i = st->s; i < st->a1; i++) alt[n++] = d->tok[i];
            g = alt_gain(tab, &K, d, lpa, st->s, st->e, alt, n, best);
            break;
        }
        case NGRAM_SITE_NEG:
            g = alt_gain(tab, &K, d, lpa, st->s, st->e, NULL, 0, best);
            break;
        default: break;
        }
        if (g > best) best = g;
    }
    if (best > NGRAM_FLOOR) best = NGRAM_FLOOR;
    if (best < -NGRAM_FLOOR) best = -NGRAM_FLOOR;
    return (float)best;
}

/* ------------------------------------------------------------------------ cache blob */

void *ngram_doc_pack(const ngram_doc *d, size_t *bytes)
{
    size_t nb = 4 * sizeof(uint32_t) + (size_t)d->ntok * sizeof(uint32_t) +
                (size_t)d->nsite * sizeof(ngram_site);
    uint8_t *p = malloc(nb);
    if (!p) return NULL;
    uint32_t h[4] = {d->ntok, d->nsite, (uint32_t)d->lang, (uint32_t)(d->lang >> 32)};
    memcpy(p, h, sizeof h);
    if (d->ntok) memcpy(p + sizeof h, d->tok, (size_t)d->ntok * sizeof(uint32_t));
    if (d->nsite)
        memcpy(p + sizeof h + (size_t)d->ntok * sizeof(uint32_t), d->site,
               (size_t)d->nsite * sizeof(ngram_site));
    *bytes = nb;
    return p;
}

void ngram_doc_view(const void *blob, ngram_doc *v)
{
    const uint8_t *p = blob;
    uint32_t h[4];
    memcpy(h, p, sizeof h);
    memset(v, 0, sizeof *v);
    v->ntok = h[0];
    v->nsite = h[1];
    v->lang = (uint64_t)h[2] | (uint64_t)h[3] << 32;
    v->tok = (uint32_t *)(void *)(p + sizeof h);
    v->site = (ngram_site *)(void *)(p + sizeof h + (size_t)h[0] * sizeof(uint32_t));
}
