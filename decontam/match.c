/*
 * match.c - the benchmark index and the two matchers of the decontamination stage.
 *
 * exact: every benchmark text (a docstring, a solution, an MBPP description, a named JSONL
 *   field) is whitespace-normalised (decontam_normalise: runs of whitespace -> one space,
 *   trimmed). Texts shorter than exact_min_chars normalised bytes are the allowlist (trivial
 *   solutions such as `return x + y` occur in any corpus) and are not patterns. A file is
 *   normalised the same way (untrimmed; a match's offsets are mapped back to the file's). With
 *   stride = (shortest pattern) - DECONTAM_ANCHOR + 1 (<= 32), every pattern's
 *   DECONTAM_ANCHOR-byte windows at offsets 0..stride-1 are indexed (a bit filter, then an
 *   open-addressing table keyed by the window's hash: two 64-bit words multiplied), and the
 *   scan hashes only every stride-th window of the file (each occurrence covers one whole); a
 *   hit is confirmed with memcmp of the whole pattern. The first match in file order wins.
 *
 * ngram: the code-aware tokenisation (decontam_tokens): whitespace and comments (#..., //...,
 *   / *...* /) dropped; identifiers that are keywords of the supported languages, or that
 *   follow a '.', stay themselves; every other identifier is one placeholder token (so a copy
 *   with renamed variables keeps its n-grams); numbers, string literals (Python triple quotes
 *   as one literal) and each punctuation byte are tokens. A token is a 64-bit hash of its
 *   bytes (8-byte words multiplied in, mixed); an n-gram is XXH3_64 of ngram_n token hashes. The scan keeps a
 *   rolling (Rabin-Karp) hash of the last ngram_n token hashes and computes XXH3 only where a
 *   bit filter of the index's rolling hashes says the n-gram may be there. The index holds every distinct
 *   n-gram of every item (one table, ids 0..N-1) with postings id -> items. A file's scan
 *   lists the distinct index n-grams it contains; decontam_judge counts, per item, those that
 *   pass the document-frequency cap, and picks the item with the largest share (>= threshold,
 *   items with >= ngram_min n-grams only).
 */
#include "decontam_int.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#define DECONTAM_SSSE3 1
#include <pthread.h>
#include <tmmintrin.h>
#endif

#define RK_BASE 0x100000001b3ULL
/* The bit filters in front of the two tables: 16 bits per key (a few % false positives),
 * small enough to stay in cache, which is what the scan's speed rests on. */
static unsigned filter_bits(size_t keys)
{
    unsigned b = 12;
    while (b < 26 && ((size_t)1 << b) < keys * 16) b++;
    return b;
}

/* The bit filters are blocked: a key's two bits lie in one 64-bit word (one load), the word
 * picked by x's top wbits bits, the two bits by the 12 below them (x: a mixed hash; wbits =
 * filter bits - 6, in [6, 20]). Two bits: ~1.5 % false positives at 16 bits per key, not ~6 %. */
static inline uint64_t bloom_mask(uint64_t x, unsigned wbits)
{
    return (1ULL << ((x >> (58 - wbits)) & 63)) | (1ULL << ((x >> (52 - wbits)) & 63));
}
static inline int bloom_has(const uint64_t *f, unsigned wbits, uint64_t x)
{
    uint64_t m = bloom_mask(x, wbits);
    return (f[x >> (64 - wbits)] & m) == m;
}
static inline void bloom_add(uint64_t *f, unsigned wbits, uint64_t x)
{
    f[x >> (64 - wbits)] |= bloom_mask(x, wbits);
}

/* The keywords of the supported languages (tokens that stay themselves). */
static const char *const k_keywords[] = {
    /* Python */
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
    "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if",
    "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try",
    "while", "with", "yield", "self", "print", "len", "range", "int", "str", "float", "list",
    "dict", "set", "tuple", "sorted", "sum", "min", "max", "abs", "enumerate", "zip", "map",
    "filter", "any", "all", "bool",
    /* C, C++, Java, JavaScript, Go, Rust */
    "auto", "case", "char", "const", "default", "do", "double", "enum", "extern", "goto", "long",
    "register", "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union",
    "unsigned", "void", "volatile", "bool", "true", "false", "nullptr", "NULL", "new", "delete",
    "this", "public", "private", "protected", "template", "typename", "namespace", "using",
    "virtual", "override", "final", "throw", "catch", "boolean", "byte", "extends",
    "implements", "interface", "package", "super", "var", "let", "function", "null",
    "undefined", "typeof", "instanceof", "of", "export", "func", "go", "chan", "defer", "map",
    "range", "select", "type", "fn", "impl", "mut", "pub", "use", "mod", "match", "loop",
    "where", "trait", "crate", "Self", "string", "vector", "size_t", "std", "cout", "cin",
    "endl", "printf", "System", "out", "println", "String", "Integer", "console", "log",
    "length", "push", "append", "include", "main",
};

struct decontam_index {
    decontam_params p;
    char **bench;            /* n_bench names, owned */
    size_t n_bench;
    uint64_t *bench_allow, *bench_small, *bench_pat, *bench_items; /* per benchmark */
    decontam_item *items;
    size_t n_items, cap_items;
    char **fields;           /* interned field names, owned */
    size_t n_fields;
    decontam_pattern *pat;
    size_t n_pat, cap_pat;
    /* anchors: every pattern's windows at offsets 0..stride-1 (see exact_scan); open
       addressing, key = a window's hash, value = the first entry of its chain */
    struct anchor {          /* head: the pattern's first 8 bytes, checked before memcmp */
        uint64_t head;
        uint32_t pat, off, next, len;
    } *anc;
    size_t n_anc;
    uint32_t stride;
    struct aslot { uint64_t key; uint32_t val, pad; } *aslot; /* key and value side by side */
    size_t amask;
    uint64_t *bloom;
    unsigned bloom_bits, nbloom_bits;
    /* n-grams: open addressing hash -> id */
    uint64_t *nkey;
    uint32_t *nval;          /* UINT32_MAX: empty */
    struct nslot { uint64_t key; uint32_t val, pad; } *nslot; /* after finish: nkey and nval
                                side by side (one cache miss per probe, not two) for the scan */
    size_t nmask, n_ng;
    /* (ngram id, item) pairs while adding; postings after finish */
    uint32_t *pair_id, *pair_item;
    size_t n_pairs, cap_pairs;
    uint32_t *seen;          /* cap_seen: the item that last added each n-gram id + 1 */
    size_t cap_seen;
    uint64_t *nbloom;        /* 2^nbloom_bits bits: the n-grams' rolling hashes, before XXH3
                                and the table */
    uint64_t *nroll;         /* cap_roll: each n-gram id's rolling hash (until finish) */
    size_t cap_roll;
    uint64_t roll_pow;       /* RK_BASE^(ngram_n - 1) */
    uint32_t *post_off;      /* n_ng + 1 */
    uint32_t *post_item;
    /* keyword hashes */
    uint64_t ph_ident;
    unsigned char cls[256];  /* CLS_* bits per byte */
    uint64_t h1[256];        /* each one-byte token's hash */
    size_t kw_maxlen;        /* the longest keyword's length */
    uint16_t kw_off[1025];   /* the keywords by kw_key: kwl[kw_off[k], kw_off[k + 1]) */
    struct kwent {           /* a keyword: its bytes (zero-padded), length and token hash */
        uint64_t w0, w1, h;
        size_t n;
    } kwl[sizeof k_keywords / sizeof *k_keywords];
};

struct decontam_scratch {
    char *norm;
    size_t cap;
    uint32_t *seen;          /* n_ng epochs */
    uint32_t epoch;
    decontam_hit *hits;
    size_t n_hits, cap_hits;
    uint32_t *cnt;           /* n_items */
    uint32_t *touched;
    size_t n_touched;
    size_t *first, *last;    /* n_items: span of counted n-grams */
};

/* ------------------------------------------------------------------ normalisation */

static int is_ws(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

#ifdef DECONTAM_SSSE3
#include <immintrin.h>
/* Where the CPU has SSSE3: 16 bytes at a time whatever the whitespace, the kept bytes packed
 * with a byte shuffle per 8-byte half (k_pack[m]: the indices of m's set bits, then 0x80).
 * Where it has AVX-512 VBMI2: 64 bytes at a time, packed by one byte compress (vpcompressb
 * into a register, then a plain store: its memory form is slow on AMD). Chosen at run time;
 * decontam_simd_cap lowers the choice (tests compare every path with the byte loop). */
static uint8_t k_pack[256][8];
static int k_ssse3, k_vbmi2, k_avx512bw;
static pthread_once_t k_pack_once = PTHREAD_ONCE_INIT;

static void pack_init(void)
{
    for (int m = 0; m < 256; m++) {
        int j = 0;
        for (int b = 0; b < 8; b++)
            if (m >> b & 1) k_pack[m][j++] = (uint8_t)b;
        while (j < 8) k_pack[m][j++] = 0x80;
    }
    __builtin_cpu_init();
    k_ssse3 = __builtin_cpu_supports("ssse3") && __builtin_cpu_supports("popcnt");
    k_avx512bw = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    k_vbmi2 = k_ssse3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("avx512vbmi2");
}

/* The AVX-512 VBMI2 form of normalise_ssse3 (the same contract), 64 bytes a step. */
__attribute__((target("avx512f,avx512bw,avx512vbmi2,popcnt"))) static size_t
normalise_vbmi2(const unsigned char *s, size_t len, char *dst, size_t *ip, int *pendp)
{
    const __m512i sp = _mm512_set1_epi8(' '), nine = _mm512_set1_epi8('\t'), four = _mm512_set1_epi8(4);
    size_t i = 0, o = 0;
    uint64_t pend = (uint64_t)*pendp;
    for (; i + 64 <= len; i += 64) { /* o <= i: every store ends within dst[0, i + 64) */
        __m512i v = _mm512_loadu_si512((const void *)(s + i));
        uint64_t m = _mm512_cmpeq_epi8_mask(v, sp) |
                     _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, nine), four);
        uint64_t keep = ~(m & ((m << 1) | pend));
        pend = m >> 63;
        __m512i r = _mm512_mask_blend_epi8(m, v, sp); /* whitespace bytes as ' ' */
        _mm512_storeu_si512((void *)(dst + o), _mm512_maskz_compress_epi8(keep, r));
        o += (size_t)__builtin_popcountll(keep);
    }
    *ip = i;
    *pendp = (int)pend;
    return o;
}

/* The vector part of the map-less normalisation: *ip input bytes consumed, *pendp the last
 * one's whitespace flag; returns the bytes written. dst holds at least len bytes. */
__attribute__((target("ssse3,popcnt"))) static size_t
normalise_ssse3(const unsigned char *s, size_t len, char *dst, size_t *ip, int *pendp)
{
    const __m128i sp = _mm_set1_epi8(' '), nine = _mm_set1_epi8('\t'), four = _mm_set1_epi8(4);
    const __m128i eight = _mm_set1_epi8(8);
    size_t i = 0, o = 0;
    unsigned pend = (unsigned)*pendp;
    for (; i + 16 <= len; i += 16) { /* o <= i: every store ends within dst[0, i + 16) */
        __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i t = _mm_sub_epi8(v, nine);
        __m128i ws = _mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(_mm_min_epu8(t, four), t));
        unsigned m = (unsigned)_mm_movemask_epi8(ws);
        unsigned keep = ~(m & ((m << 1) | pend)) & 0xffffu;
        pend = m >> 15;
        __m128i r = _mm_or_si128(_mm_andnot_si128(ws, v), _mm_and_si128(ws, sp));
        if (keep == 0xffffu) {
            _mm_storeu_si128((__m128i *)(dst + o), r);
            o += 16;
            continue;
        }
        unsigned lo = keep & 0xff, hi = keep >> 8;
        __m128i pl = _mm_loadl_epi64((const __m128i *)k_pack[lo]);
        _mm_storel_epi64((__m128i *)(dst + o), _mm_shuffle_epi8(r, pl));
        o += (size_t)__builtin_popcount(lo);
        __m128i ph = _mm_add_epi8(_mm_loadl_epi64((const __m128i *)k_pack[hi]), eight);
        _mm_storel_epi64((__m128i *)(dst + o), _mm_shuffle_epi8(r, ph));
        o += (size_t)__builtin_popcount(hi);
    }
    *ip = i;
    *pendp = (int)pend;
    return o;
}
#endif

static int k_simd_cap = 3; /* 3: any path the CPU has, 2: up to SSSE3, 1: SSE2, 0: bytes */

void decontam_simd_cap(int level)
{
    k_simd_cap = level;
}

size_t decontam_normalise(const char *src, size_t len, int trim, char *dst, uint32_t *map)
{
    size_t o = 0;
    int pend = trim; /* trim: as if after a space, so leading whitespace writes nothing */
    if (!map) { /* the scan's path: 16 bytes at a time where no whitespace run is in them
                   (copied, single whitespace bytes as ' '), else branch-free byte by byte */
        const unsigned char *s = (const unsigned char *)src;
        size_t i = 0;
#ifdef DECONTAM_SSSE3
        pthread_once(&k_pack_once, pack_init);
        if (k_vbmi2 && k_simd_cap >= 3) {
            o = normalise_vbmi2(s, len, dst, &i, &pend);
            if (i < len && k_simd_cap >= 2) { /* the tail: 16 bytes a step from i */
                size_t j;
                o += normalise_ssse3(s + i, len - i, dst + o, &j, &pend);
                i += j;
            }
        } else if (k_ssse3 && k_simd_cap >= 2) {
            o = normalise_ssse3(s, len, dst, &i, &pend);
        }
#endif
#ifdef __SSE2__
        const __m128i sp = _mm_set1_epi8(' '), nine = _mm_set1_epi8('\t'), four = _mm_set1_epi8(4);
        while (i + 16 <= len && k_simd_cap >= 1) {
            __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
            __m128i t = _mm_sub_epi8(v, nine);
            __m128i ws = _mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(_mm_min_epu8(t, four), t));
            unsigned m = (unsigned)_mm_movemask_epi8(ws);
            if (m & ((m << 1) | (unsigned)pend)) { /* a run: this block byte by byte */
                for (size_t e = i + 16; i < e; i++) {
                    unsigned char c = s[i];
                    int w = c == ' ' || (unsigned)(c - '\t') <= (unsigned)('\r' - '\t');
                    dst[o] = w ? ' ' : (char)c;
                    o += !(w & pend);
                    pend = w;
                }
                continue;
            }
            _mm_storeu_si128((__m128i *)(dst + o), _mm_or_si128(_mm_andnot_si128(ws, v), _mm_and_si128(ws, sp)));
            o += 16;
            i += 16;
            pend = (int)(m >> 15);
        }
#endif
        for (; i < len; i++) {
            unsigned char c = s[i];
            int w = c == ' ' || (unsigned)(c - '\t') <= (unsigned)('\r' - '\t');
            dst[o] = w ? ' ' : (char)c;
            o += !(w & pend);
            pend = w;
        }
    } else {
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)src[i];
            int w = is_ws(c);
            if (w && pend) continue;
            pend = w;
            map[o] = (uint32_t)i;
            dst[o++] = w ? ' ' : (char)c;
        }
    }
    if (trim && o && dst[o - 1] == ' ') o--;
    return o;
}

/* ------------------------------------------------------------------ tokens */


/* A token's hash: its bytes 8 at a time (little-endian words, the last one zero-padded),
 * each word xor-ed in and multiplied, the length mixed in, and a final mix (inline: most tokens
 * are a few bytes, where a library call costs more than the hashing; one multiplication per 8
 * bytes, not per byte as FNV-1a). */
static inline uint64_t tok_hash(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    uint64_t h = 0xcbf29ce484222325ULL ^ (n * 0x9e3779b97f4a7c15ULL);
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    if (n) {
        uint64_t w = 0;
        for (size_t i = 0; i < n; i++) w |= (uint64_t)p[i] << (8 * i);
        h = (h ^ w) * 0x100000001b3ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

/* tok_hash of s[0, n) where s[0, n + 8) may be read: the last partial word is one load, masked
 * (the same value as tok_hash, without the byte loop). */
static inline uint64_t tok_hash_padded(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    uint64_t h = 0xcbf29ce484222325ULL ^ (n * 0x9e3779b97f4a7c15ULL);
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    if (n) {
        uint64_t w;
        memcpy(&w, p, 8);
        w &= (1ULL << (8 * n)) - 1; /* little-endian: the first n bytes */
        h = (h ^ w) * 0x100000001b3ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

#define CLS_WS 1
#define CLS_IDSTART 2
#define CLS_IDCHAR 4

static void cls_init(decontam_index *ix);

/* A keyword pre-test's key from an identifier's first and last byte and its length: an
 * identifier whose key's bit is clear is no keyword (most are not; no hash needed). */
static inline unsigned kw_key(unsigned char first, unsigned char last, size_t n)
{
    return ((unsigned)first ^ ((unsigned)last << 2) ^ ((unsigned)n << 5)) & 1023u;
}

static void kw_init(decontam_index *ix)
{
    cls_init(ix);
    const size_t nk = sizeof k_keywords / sizeof *k_keywords;
    memset(ix->kw_off, 0, sizeof ix->kw_off);
    for (size_t i = 0; i < nk; i++) { /* grouped by kw_key (a counting sort) */
        size_t n = strlen(k_keywords[i]);
        if (n > ix->kw_maxlen) ix->kw_maxlen = n;
        ix->kw_off[kw_key((unsigned char)k_keywords[i][0], (unsigned char)k_keywords[i][n - 1], n) + 1]++;
    }
    for (size_t k = 0; k < 1024; k++) ix->kw_off[k + 1] += ix->kw_off[k];
    uint16_t fill[1024] = {0};
    for (size_t i = 0; i < nk; i++) {
        size_t n = strlen(k_keywords[i]);
        unsigned k = kw_key((unsigned char)k_keywords[i][0], (unsigned char)k_keywords[i][n - 1], n);
        struct kwent *e = &ix->kwl[ix->kw_off[k] + fill[k]++];
        char pad[16] = {0};
        memcpy(pad, k_keywords[i], n); /* n <= 16: checked by the test of the tokens */
        memcpy(&e->w0, pad, 8);
        memcpy(&e->w1, pad + 8, 8);
        e->h = tok_hash(k_keywords[i], n);
        e->n = n;
    }
    ix->ph_ident = tok_hash("\x01ID", 3);
    for (int c = 0; c < 256; c++) {
        char b = (char)c;
        ix->h1[c] = tok_hash(&b, 1);
    }
}

/* The token of the identifier s[b, e) (s[0, len) readable): itself after a '.' or when it is
 * a keyword (its bytes compared with the keywords of its kw_key), else the placeholder. */
static inline __attribute__((always_inline)) uint64_t
ident_token(const decontam_index *ix, const char *src, size_t b, size_t e, size_t len, int after_dot)
{
    size_t n = e - b;
    if (after_dot) return e + 8 <= len ? tok_hash_padded(src + b, n) : tok_hash(src + b, n);
    if (n > ix->kw_maxlen) return ix->ph_ident;
    unsigned k = kw_key((unsigned char)src[b], (unsigned char)src[e - 1], n);
    for (unsigned q = ix->kw_off[k]; q < ix->kw_off[k + 1]; q++) {
        const struct kwent *w = &ix->kwl[q];
        if (w->n != n) continue;
        if (e + 8 <= len) { /* one or two words, the bytes past e masked off */
            uint64_t a0, a1 = 0;
            memcpy(&a0, src + b, 8);
            if (n > 8) memcpy(&a1, src + b + 8, 8);
            if (n < 8) a0 &= (1ULL << (8 * n)) - 1;
            else if (n > 8 && n < 16) a1 &= (1ULL << (8 * (n - 8))) - 1;
            if (a0 == w->w0 && a1 == w->w1) return w->h;
        } else if (!memcmp(src + b, (const char *)&w->w0, n < 8 ? n : 8) &&
                   (n <= 8 || !memcmp(src + b + 8, (const char *)&w->w1, n - 8))) {
            return w->h;
        }
    }
    return ix->ph_ident;
}

static int ident_start(unsigned char c)
{
    return c == '_' || c == '$' || c >= 0x80 || (unsigned)((c | 32) - 'a') < 26u;
}
static int is_digit(unsigned char c) { return (unsigned)(c - '0') < 10u; }
static int ident_char(unsigned char c) { return ident_start(c) || is_digit(c); }

static void cls_init(decontam_index *ix)
{
    for (int c = 0; c < 256; c++)
        ix->cls[c] = (unsigned char)((is_ws((unsigned char)c) ? CLS_WS : 0) |
                                     (ident_start((unsigned char)c) ? CLS_IDSTART : 0) |
                                     (ident_char((unsigned char)c) ? CLS_IDCHAR : 0));
}

/* The first index >= i whose byte is not whitespace (or len); 16 bytes at a time (SSE2). */
static inline size_t skip_ws(const unsigned char *s, size_t i, size_t len, const unsigned char *cls)
{
#ifdef __SSE2__
    const __m128i sp = _mm_set1_epi8(' '), nine = _mm_set1_epi8('\t'), four = _mm_set1_epi8(4);
    while (i + 16 <= len) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i t = _mm_sub_epi8(v, nine);
        __m128i ws = _mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(_mm_min_epu8(t, four), t));
        unsigned m = ~(unsigned)_mm_movemask_epi8(ws) & 0xffffu;
        if (m) return i + (size_t)__builtin_ctz(m);
        i += 16;
    }
#endif
    while (i < len && (cls[s[i]] & CLS_WS)) i++;
    return i;
}

/* The first index >= i whose byte is not an identifier byte (ident_char), or len. */
static inline size_t skip_ident(const unsigned char *s, size_t i, size_t len, const unsigned char *cls)
{
#ifdef __SSE2__
    const __m128i x20 = _mm_set1_epi8(0x20), la = _mm_set1_epi8('a'), d0 = _mm_set1_epi8('0');
    const __m128i n25 = _mm_set1_epi8(25), n9 = _mm_set1_epi8(9), us = _mm_set1_epi8('_');
    const __m128i dl = _mm_set1_epi8('$'), zero = _mm_setzero_si128();
    while (i + 16 <= len) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i l = _mm_sub_epi8(_mm_or_si128(v, x20), la);
        __m128i d = _mm_sub_epi8(v, d0);
        __m128i ok = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(l, n25), l),
                                  _mm_cmpeq_epi8(_mm_min_epu8(d, n9), d));
        ok = _mm_or_si128(ok, _mm_or_si128(_mm_cmpeq_epi8(v, us), _mm_cmpeq_epi8(v, dl)));
        ok = _mm_or_si128(ok, _mm_cmplt_epi8(v, zero)); /* >= 0x80 */
        unsigned m = ~(unsigned)_mm_movemask_epi8(ok) & 0xffffu;
        if (m) return i + (size_t)__builtin_ctz(m);
        i += 16;
    }
#endif
    while (i < len && (cls[s[i]] & CLS_IDCHAR)) i++;
    return i;
}

/* The first index in [i, end) whose byte is a, b or d, or end (i when i >= end). */
static inline size_t find3(const unsigned char *s, size_t i, size_t end, unsigned char a,
                           unsigned char b, unsigned char d)
{
#ifdef __SSE2__
    const __m128i va = _mm_set1_epi8((char)a), vb = _mm_set1_epi8((char)b), vd = _mm_set1_epi8((char)d);
    while (i + 16 <= end) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i e = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)),
                                 _mm_cmpeq_epi8(v, vd));
        unsigned m = (unsigned)_mm_movemask_epi8(e);
        if (m) return i + (size_t)__builtin_ctz(m);
        i += 16;
    }
#endif
    while (i < end && s[i] != a && s[i] != b && s[i] != d) i++;
    return i;
}

/* One step of the tokeniser at s[i] (i < len): a whitespace run or a comment skipped, or one
 * token passed to fn (*after_dot: the last token was '.'); returns the index after it. */
static inline __attribute__((always_inline)) size_t
tok_step(const decontam_index *ix, const char *src, size_t len, size_t i, int *after_dot,
         void (*fn)(void *ctx, uint64_t h, uint32_t start, uint32_t end), void *ctx)
{
    const unsigned char *s = (const unsigned char *)src;
    const unsigned char *cls = ix->cls;
    unsigned char c = s[i];
    if (cls[c] & CLS_WS) return skip_ws(s, i + 1, len, cls);
    size_t b = i;
    if (c == '#' || (c == '/' && i + 1 < len && s[i + 1] == '/')) {
        const unsigned char *nl = memchr(s + i, '\n', len - i);
        return nl ? (size_t)(nl - s) : len;
    }
    if (c == '/' && i + 1 < len && s[i + 1] == '*') {
        i += 2;
        while (i + 1 < len && !(s[i] == '*' && s[i + 1] == '/')) i++;
        return i + 2 < len ? i + 2 : len;
    }
    uint64_t h;
    if (cls[c] & CLS_IDSTART) {
        i = skip_ident(s, i + 1, len, cls);
        h = ident_token(ix, src, b, i, len, *after_dot);
    } else if (is_digit(c)) {
        while (i < len && (ident_char(s[i]) || s[i] == '.')) i++;
        h = i + 8 <= len ? tok_hash_padded(src + b, i - b) : tok_hash(src + b, i - b);
    } else if (c == '"' || c == '\'' || c == '`') {
        if (i + 2 < len && s[i + 1] == c && s[i + 2] == c) { /* triple quotes */
            i += 3; /* to the closing triple (a backslash skips the next byte), or len */
            for (;;) {
                size_t j = i + 2 < len ? find3(s, i, len - 2, c, '\\', c) : len;
                if (j + 2 >= len) {
                    i = len;
                    break;
                }
                if (s[j] == '\\') {
                    i = j + 2;
                } else if (s[j + 1] == c && s[j + 2] == c) {
                    i = j + 3;
                    break;
                } else {
                    i = j + 1;
                }
            }
        } else {
            i++; /* to the closing quote or the line's end (` strings: no line end) */
            for (;;) {
                i = find3(s, i, len, c, '\\', c == '`' ? c : '\n');
                if (i >= len || s[i] != '\\') break;
                i += 2;
            }
            if (i < len && s[i] == c) i++;
            if (i > len) i = len;
        }
        h = i + 8 <= len ? tok_hash_padded(src + b, i - b) : tok_hash(src + b, i - b);
    } else {
        i++;
        h = ix->h1[c];
    }
    *after_dot = c == '.';
    fn(ctx, h, (uint32_t)b, (uint32_t)i);
    return i;
}

/* The tokeniser byte by byte (with 16-byte skips over whitespace, identifiers and strings):
 * the reference the block path below must agree with, and its fallback. */
static inline __attribute__((always_inline)) void
tokens_impl(const decontam_index *ix, const char *src, size_t len,
            void (*fn)(void *ctx, uint64_t h, uint32_t start, uint32_t end), void *ctx)
{
    int after_dot = 0;
    for (size_t i = 0; i < len;) i = tok_step(ix, src, len, i, &after_dot, fn, ctx);
}

/* The block path: 64 bytes' classes as bit masks (bit j: byte j), whitespace, identifier
 * bytes (ident_char), digits, and the bytes that start a token or comment the masks do not
 * describe ('#', '/', quotes). */
typedef struct tok_masks {
    uint64_t ws, id, dg, dt, sp; /* dt: '.' */
} tok_masks;

#ifdef __SSE2__
static inline __attribute__((always_inline)) void tok_masks_sse2(const unsigned char *s, tok_masks *m)
{
    const __m128i sp = _mm_set1_epi8(' '), nine = _mm_set1_epi8('\t'), four = _mm_set1_epi8(4);
    const __m128i x20 = _mm_set1_epi8(0x20), la = _mm_set1_epi8('a'), d0 = _mm_set1_epi8('0');
    const __m128i n25 = _mm_set1_epi8(25), n9 = _mm_set1_epi8(9), us = _mm_set1_epi8('_');
    const __m128i dl = _mm_set1_epi8('$'), zero = _mm_setzero_si128();
    const __m128i hs = _mm_set1_epi8('#'), sl = _mm_set1_epi8('/'), q1 = _mm_set1_epi8('"');
    const __m128i q2 = _mm_set1_epi8('\''), q3 = _mm_set1_epi8('`');
    const __m128i dot = _mm_set1_epi8('.');
    m->ws = m->id = m->dg = m->dt = m->sp = 0;
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + 16 * k));
        __m128i t = _mm_sub_epi8(v, nine);
        __m128i ws = _mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(_mm_min_epu8(t, four), t));
        __m128i l = _mm_sub_epi8(_mm_or_si128(v, x20), la);
        __m128i d = _mm_sub_epi8(v, d0);
        __m128i dg = _mm_cmpeq_epi8(_mm_min_epu8(d, n9), d);
        __m128i id = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(l, n25), l), dg);
        id = _mm_or_si128(id, _mm_or_si128(_mm_cmpeq_epi8(v, us), _mm_cmpeq_epi8(v, dl)));
        id = _mm_or_si128(id, _mm_cmplt_epi8(v, zero)); /* >= 0x80 */
        __m128i x = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, hs), _mm_cmpeq_epi8(v, sl)),
                                 _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q1), _mm_cmpeq_epi8(v, q2)),
                                              _mm_cmpeq_epi8(v, q3)));
        m->ws |= (uint64_t)(unsigned)_mm_movemask_epi8(ws) << (16 * k);
        m->id |= (uint64_t)(unsigned)_mm_movemask_epi8(id) << (16 * k);
        m->dg |= (uint64_t)(unsigned)_mm_movemask_epi8(dg) << (16 * k);
        m->dt |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, dot)) << (16 * k);
        m->sp |= (uint64_t)(unsigned)_mm_movemask_epi8(x) << (16 * k);
    }
}
#else
static inline void tok_masks_sse2(const unsigned char *s, tok_masks *m) /* no SSE2: bytes */
{
    m->ws = m->id = m->dg = m->dt = m->sp = 0;
    for (int j = 0; j < 64; j++) {
        unsigned char c = s[j];
        m->ws |= (uint64_t)is_ws(c) << j;
        m->id |= (uint64_t)ident_char(c) << j;
        m->dg |= (uint64_t)is_digit(c) << j;
        m->dt |= (uint64_t)(c == '.') << j;
        m->sp |= (uint64_t)(c == '#' || c == '/' || c == '"' || c == '\'' || c == '`') << j;
    }
}
#endif

#ifdef DECONTAM_SSSE3
/* (not always_inline: it is inlined where the caller's target has AVX-512, never called else) */
__attribute__((target("avx512f,avx512bw"))) static inline void
tok_masks_avx512(const unsigned char *s, tok_masks *m)
{
    __m512i v = _mm512_loadu_si512((const void *)s);
    m->ws = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(' ')) |
            _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('\t')), _mm512_set1_epi8(4));
    m->dg = _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('0')), _mm512_set1_epi8(9));
    m->id = m->dg | _mm512_movepi8_mask(v) | /* >= 0x80 */
            _mm512_cmple_epu8_mask(_mm512_sub_epi8(_mm512_or_si512(v, _mm512_set1_epi8(0x20)),
                                                   _mm512_set1_epi8('a')), _mm512_set1_epi8(25)) |
            _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('_')) |
            _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('$'));
    m->dt = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('.'));
    m->sp = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('#')) |
            _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('/')) |
            _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('"')) |
            _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\'')) |
            _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('`'));
}
#endif

/* The tokeniser 64 bytes a step: the tokens the masks describe (identifiers, numbers, single
 * punctuation bytes) found by bit scans, without a branch per whitespace run; a quote, '#' or
 * '/' goes through tok_step, and the scan goes on in the same block after it. A number is a
 * digit that starts an identifier run, not inside an earlier number, to the end of its run of
 * identifier bytes and dots (tokens_impl's rule): per run of those bytes, the bits from its
 * first such digit on (one addition carries each start to the run's end). An identifier or
 * number run that reaches the block's last byte is left to the next block, which starts with
 * it. Every block starts at a token boundary (after a token, a comment or whitespace), and a
 * quote, comment or '/' token ends before a byte that is not an identifier byte or dot, so a
 * run of those bytes after one starts a token. The same tokens as tokens_impl (the unit test
 * compares them on random texts). wide: the masks by AVX-512 (the caller's target). */
static inline __attribute__((always_inline)) void
tokens_blocks(const decontam_index *ix, const char *src, size_t len, int wide,
              void (*fn)(void *ctx, uint64_t h, uint32_t start, uint32_t end), void *ctx)
{
    const unsigned char *s = (const unsigned char *)src;
    int after_dot = 0;
    size_t i = 0;
    while (i + 64 <= len) {
        tok_masks m;
#ifdef DECONTAM_SSSE3
        if (wide)
            tok_masks_avx512(s + i, &m);
        else
#endif
            tok_masks_sse2(s + i, &m);
        const size_t base = i;
        const uint64_t idm = m.id, run = idm & ~(idm << 1); /* identifier runs' first bytes */
        const uint64_t nm = idm | m.dt, ns = run & m.dg;  /* number bytes; digits starting runs */
        const uint64_t num = (((nm + ns) ^ nm) | ns) & nm; /* the numbers' bytes */
        const uint64_t starts = ((run | ~(m.ws | idm | m.sp)) & ~num) | (num & ~(num << 1));
        const uint64_t cut = nm >> 63 ? (1ULL << (63 - __builtin_clzll(nm & ~(nm << 1)))) - 1
                                      : ~0ULL; /* before a run that reaches the block's end */
        uint64_t from = ~0ULL;                 /* the bytes not taken yet */
        for (;;) {
            uint64_t sp = m.sp & from;
            uint64_t lim = sp ? (sp & (0 - sp)) - 1 : ~0ULL; /* before the next quote, '#', '/' */
            uint64_t t = starts & from & lim & cut;
            while (t) {
                unsigned p = (unsigned)__builtin_ctzll(t);
                t &= t - 1;
                size_t b = base + p, e;
                unsigned char c = s[b];
                uint64_t h;
                if (num >> p & 1) {
                    e = b + (size_t)__builtin_ctzll(~(num >> p));
                    h = e + 8 <= len ? tok_hash_padded(src + b, e - b) : tok_hash(src + b, e - b);
                } else if (idm >> p & 1) {
                    e = b + (size_t)__builtin_ctzll(~(idm >> p));
                    h = ident_token(ix, src, b, e, len, after_dot);
                } else {
                    e = b + 1;
                    h = ix->h1[c];
                }
                after_dot = c == '.';
                fn(ctx, h, (uint32_t)b, (uint32_t)e);
            }
            if ((lim & cut) == ~0ULL) {
                i = base + 64;
                break;
            }
            if (cut < lim) { /* the next block starts with that run */
                i = base + (size_t)__builtin_ctzll(~cut);
                if (!cut) i = tok_step(ix, src, len, i, &after_dot, fn, ctx); /* >= 64 bytes */
                break;
            }
            i = tok_step(ix, src, len, base + (size_t)__builtin_ctzll(~lim), &after_dot, fn, ctx);
            if (i >= base + 64) break;
            from = ~0ULL << (i - base);
        }
    }
    while (i < len) i = tok_step(ix, src, len, i, &after_dot, fn, ctx);
}

/* The widest tokeniser path the CPU has and k_simd_cap allows: 2 AVX-512 blocks, 1 blocks
 * (SSE2 or byte masks), 0 tokens_impl. */
static int tok_path(void)
{
    int level = k_simd_cap >= 1 ? 1 : 0;
#ifdef DECONTAM_SSSE3
    pthread_once(&k_pack_once, pack_init);
    if (k_avx512bw && k_simd_cap >= 3) level = 2;
#endif
    return level;
}

#ifdef DECONTAM_SSSE3
__attribute__((target("avx512f,avx512bw"))) static void
tokens_avx512(const decontam_index *ix, const char *src, size_t len,
              void (*fn)(void *ctx, uint64_t h, uint32_t start, uint32_t end), void *ctx)
{
    tokens_blocks(ix, src, len, 1, fn, ctx);
}
#endif

void decontam_tokens(const decontam_index *ix, const char *src, size_t len,
                     void (*fn)(void *ctx, uint64_t h, uint32_t start, uint32_t end), void *ctx)
{
    switch (tok_path()) {
#ifdef DECONTAM_SSSE3
    case 2: tokens_avx512(ix, src, len, fn, ctx); break;
#endif
    case 1: tokens_blocks(ix, src, len, 0, fn, ctx); break;
    default: tokens_impl(ix, src, len, fn, ctx);
    }
}

/* ------------------------------------------------------------------ the index */

sciprune_status decontam_index_new(decontam_index **out, const decontam_params *p,
                                   sciprune_error *err)
{
    *out = NULL;
    decontam_index *ix = calloc(1, sizeof *ix);
    if (!ix) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    ix->p = *p;
    ix->roll_pow = 1;
    for (uint32_t i = 1; i < p->ngram_n; i++) ix->roll_pow *= RK_BASE;
    kw_init(ix);
    ix->nmask = (1u << 12) - 1;
    ix->nkey = malloc((ix->nmask + 1) * sizeof *ix->nkey);
    ix->nval = malloc((ix->nmask + 1) * sizeof *ix->nval);
    if (!ix->nkey || !ix->nval) {
        decontam_index_free(ix);
        return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    }
    memset(ix->nval, 0xff, (ix->nmask + 1) * sizeof *ix->nval);
    *out = ix;
    return SCIPRUNE_OK;
}

void decontam_index_free(decontam_index *ix)
{
    if (!ix) return;
    for (size_t i = 0; i < ix->n_bench; i++) free(ix->bench[i]);
    free(ix->bench);
    free(ix->bench_allow);
    free(ix->bench_small);
    free(ix->bench_pat);
    free(ix->bench_items);
    for (size_t i = 0; i < ix->n_items; i++) free(ix->items[i].task_id);
    free(ix->items);
    for (size_t i = 0; i < ix->n_fields; i++) free(ix->fields[i]);
    free(ix->fields);
    for (size_t i = 0; i < ix->n_pat; i++) free(ix->pat[i].norm);
    free(ix->pat);
    free(ix->anc);
    free(ix->aslot);
    free(ix->bloom);
    free(ix->nkey);
    free(ix->nval);
    free(ix->nslot);
    free(ix->pair_id);
    free(ix->pair_item);
    free(ix->seen);
    free(ix->nroll);
    free(ix->nbloom);
    free(ix->post_off);
    free(ix->post_item);
    free(ix);
}

static sciprune_status nomem(sciprune_error *err)
{
    return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
}

static int grow(void **p, size_t *cap, size_t need, size_t el)
{
    if (need <= *cap) return 1;
    size_t nc = *cap ? *cap * 2 : 64;
    while (nc < need) nc *= 2;
    void *np = realloc(*p, nc * el);
    if (!np) return 0;
    *p = np;
    *cap = nc;
    return 1;
}

sciprune_status decontam_index_add_bench(decontam_index *ix, const char *name, uint32_t *bench,
                                         sciprune_error *err)
{
    size_t n = ix->n_bench + 1;
    char **nb = realloc(ix->bench, n * sizeof *nb);
    if (!nb) return nomem(err);
    ix->bench = nb;
    uint64_t **arrs[4] = {&ix->bench_allow, &ix->bench_small, &ix->bench_pat, &ix->bench_items};
    for (int k = 0; k < 4; k++) {
        uint64_t *na = realloc(*arrs[k], n * sizeof *na);
        if (!na) return nomem(err);
        na[n - 1] = 0;
        *arrs[k] = na;
    }
    if (!(ix->bench[ix->n_bench] = strdup(name))) return nomem(err);
    *bench = (uint32_t)ix->n_bench++;
    return SCIPRUNE_OK;
}

static const char *intern(decontam_index *ix, const char *f)
{
    for (size_t i = 0; i < ix->n_fields; i++)
        if (!strcmp(ix->fields[i], f)) return ix->fields[i];
    char **nf = realloc(ix->fields, (ix->n_fields + 1) * sizeof *nf);
    if (!nf) return NULL;
    ix->fields = nf;
    if (!(nf[ix->n_fields] = strdup(f))) return NULL;
    return nf[ix->n_fields++];
}

/* An anchor's hash: its DECONTAM_ANCHOR (16) bytes as two 64-bit words, multiplied and added.
 * Not rolling: each window is hashed on its own, so the scan has no chain of multiplications
 * from one byte to the next (a rolling hash's latency was the exact matcher's floor). */
static inline uint64_t rk_hash(const char *s)
{
    uint64_t a, b;
    memcpy(&a, s, 8);
    memcpy(&b, s + 8, 8);
    return a * 0x9e3779b97f4a7c15ULL + b * 0xc2b2ae3d27d4eb4fULL;
}

static inline __attribute__((always_inline)) uint64_t mix(uint64_t h) { return (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ULL; }

/* n-gram table: the id of h, inserting it when absent (insert) */
static sciprune_status ngram_id(decontam_index *ix, uint64_t h, uint32_t *id, sciprune_error *err)
{
    if ((ix->n_ng + 1) * 2 > ix->nmask + 1) { /* grow to keep the load <= 1/2 */
        size_t nm = (ix->nmask + 1) * 2 - 1;
        uint64_t *nk = malloc((nm + 1) * sizeof *nk);
        uint32_t *nv = malloc((nm + 1) * sizeof *nv);
        if (!nk || !nv) {
            free(nk);
            free(nv);
            return nomem(err);
        }
        memset(nv, 0xff, (nm + 1) * sizeof *nv);
        for (size_t j = 0; j <= ix->nmask; j++) {
            if (ix->nval[j] == UINT32_MAX) continue;
            size_t k = (size_t)mix(ix->nkey[j]) & nm;
            while (nv[k] != UINT32_MAX) k = (k + 1) & nm;
            nk[k] = ix->nkey[j];
            nv[k] = ix->nval[j];
        }
        free(ix->nkey);
        free(ix->nval);
        ix->nkey = nk;
        ix->nval = nv;
        ix->nmask = nm;
    }
    size_t k = (size_t)mix(h) & ix->nmask;
    while (ix->nval[k] != UINT32_MAX) {
        if (ix->nkey[k] == h) {
            *id = ix->nval[k];
            return SCIPRUNE_OK;
        }
        k = (k + 1) & ix->nmask;
    }
    ix->nkey[k] = h;
    ix->nval[k] = (uint32_t)ix->n_ng;
    *id = (uint32_t)ix->n_ng++;
    return SCIPRUNE_OK;
}

static uint32_t ngram_find(const decontam_index *ix, uint64_t h)
{
    const struct nslot *t = ix->nslot;
    for (size_t k = (size_t)mix(h) & ix->nmask; t[k].val != UINT32_MAX; k = (k + 1) & ix->nmask)
        if (t[k].key == h) return t[k].val;
    return UINT32_MAX;
}

/* The n-gram window over a token stream, one for the index and the scan: the last n token
 * hashes in a ring (each stored twice, at slot and slot + n, so a window is contiguous for
 * XXH3), their starts, and the window's rolling (Rabin-Karp) hash. */
typedef struct ngwin {
    uint64_t ring[128];
    uint32_t start[64];
    uint64_t roll, pow;
    uint32_t n, slot, count;
} ngwin;

static void ngwin_init(ngwin *w, uint32_t n, uint64_t pow)
{
    w->n = n;
    w->pow = pow;
    w->roll = 0;
    w->slot = w->count = 0;
}

/* Adds a token; 1 when it ends a window of n tokens: *roll the window's rolling hash, *win
 * its n token hashes, *ws its first token's start. */
static inline __attribute__((always_inline)) int ngwin_push(ngwin *w, uint64_t h, uint32_t start, uint64_t *roll,
                             const uint64_t **win, uint32_t *ws)
{
    uint32_t n = w->n, slot = w->slot, nx = slot + 1 == n ? 0 : slot + 1;
    w->ring[slot] = w->ring[slot + n] = h;
    w->start[slot] = start;
    w->slot = nx;
    w->roll = w->roll * RK_BASE + h;
    if (w->count < n - 1) {
        w->count++;
        return 0;
    }
    *roll = w->roll;
    *win = w->ring + nx;        /* the window's first token is in slot nx */
    *ws = w->start[nx];
    w->roll -= w->ring[nx] * w->pow;
    return 1;
}

/* add_item's token callback: every window's n-gram into the table and the item's pairs */
typedef struct index_ng {
    decontam_index *ix;
    ngwin w;
    uint32_t item, distinct;
    sciprune_status st;
    sciprune_error *err;
} index_ng;

static void index_tok(void *ctx, uint64_t h, uint32_t start, uint32_t end)
{
    index_ng *g = ctx;
    decontam_index *ix = g->ix;
    uint64_t r;
    const uint64_t *win;
    uint32_t ws, id = 0;
    (void)end;
    if (g->st || !ngwin_push(&g->w, h, start, &r, &win, &ws)) return;
    size_t before = ix->n_ng;
    if ((g->st = ngram_id(ix, XXH3_64bits(win, g->w.n * sizeof *win), &id, g->err))) return;
    if (ix->n_ng != before) { /* a new id: keep its rolling hash for the filter */
        if (!grow((void **)&ix->nroll, &ix->cap_roll, ix->n_ng, sizeof *ix->nroll)) {
            g->st = nomem(g->err);
            return;
        }
        ix->nroll[id] = r;
    }
    if (id >= ix->cap_seen) { /* distinct per item: the last item that added the id */
        size_t oc = ix->cap_seen;
        if (!grow((void **)&ix->seen, &ix->cap_seen, (size_t)id + 1, sizeof *ix->seen)) {
            g->st = nomem(g->err);
            return;
        }
        memset(ix->seen + oc, 0, (ix->cap_seen - oc) * sizeof *ix->seen);
    }
    if (ix->seen[id] == g->item + 1) return;
    ix->seen[id] = g->item + 1;
    size_t c1 = ix->cap_pairs;
    if (!grow((void **)&ix->pair_id, &c1, ix->n_pairs + 1, sizeof *ix->pair_id)) {
        g->st = nomem(g->err);
        return;
    }
    size_t c2 = ix->cap_pairs;
    if (!grow((void **)&ix->pair_item, &c2, ix->n_pairs + 1, sizeof *ix->pair_item)) {
        g->st = nomem(g->err);
        return;
    }
    ix->cap_pairs = c1 < c2 ? c1 : c2;
    ix->pair_id[ix->n_pairs] = id;
    ix->pair_item[ix->n_pairs++] = g->item;
    g->distinct++;
}

sciprune_status decontam_index_add_item(decontam_index *ix, uint32_t bench, const char *task_id,
                                        size_t n, const char *const *fields,
                                        const char *const *texts, const size_t *lens,
                                        const char *code, size_t code_len, sciprune_error *err)
{
    if (!grow((void **)&ix->items, &ix->cap_items, ix->n_items + 1, sizeof *ix->items))
        return nomem(err);
    decontam_item *it = &ix->items[ix->n_items];
    memset(it, 0, sizeof *it);
    it->bench = bench;
    if (!(it->task_id = strdup(task_id ? task_id : ""))) return nomem(err);
    uint32_t item = (uint32_t)ix->n_items++;
    ix->bench_items[bench]++;
    for (size_t i = 0; i < n && ix->p.exact; i++) {
        char *norm = malloc(lens[i] + 1);
        if (!norm) return nomem(err);
        size_t l = decontam_normalise(texts[i], lens[i], 1, norm, NULL);
        if (l < ix->p.exact_min_chars || l < DECONTAM_ANCHOR) {
            free(norm);
            if (l) ix->bench_allow[bench]++;
            continue;
        }
        const char *f = intern(ix, fields[i]);
        if (!f || !grow((void **)&ix->pat, &ix->cap_pat, ix->n_pat + 1, sizeof *ix->pat)) {
            free(norm);
            return nomem(err);
        }
        norm[l] = '\0';
        ix->pat[ix->n_pat++] = (decontam_pattern){item, f, norm, l};
        ix->bench_pat[bench]++;
    }
    if (!ix->p.ngram || !code) return SCIPRUNE_OK;
    index_ng g = {.ix = ix, .item = item, .err = err};
    ngwin_init(&g.w, ix->p.ngram_n, ix->roll_pow);
    tokens_impl(ix, code, code_len, index_tok, &g);
    sciprune_status st = g.st;
    uint32_t distinct = g.distinct;
    ix->items[item].n_ngrams = distinct;
    if (!st && distinct < ix->p.ngram_min) ix->bench_small[bench]++;
    return st;
}

sciprune_status decontam_index_finish(decontam_index *ix, sciprune_error *err)
{
    /* anchors: the scan hashes one window every `stride` normalised bytes, stride =
       (shortest pattern) - DECONTAM_ANCHOR + 1 (at most 32), so every pattern is indexed at
       each offset 0..stride-1: any occurrence covers one sampled window whole */
    size_t minlen = SIZE_MAX;
    for (size_t i = 0; i < ix->n_pat; i++)
        if (ix->pat[i].len < minlen) minlen = ix->pat[i].len;
    ix->stride = ix->n_pat ? (uint32_t)(minlen - DECONTAM_ANCHOR + 1 < 32 ? minlen - DECONTAM_ANCHOR + 1 : 32) : 1;
    ix->n_anc = ix->n_pat * ix->stride;
    size_t as = 64;
    while (as < ix->n_anc * 2) as *= 2;
    ix->amask = as - 1;
    ix->anc = malloc((ix->n_anc ? ix->n_anc : 1) * sizeof *ix->anc);
    ix->aslot = malloc(as * sizeof *ix->aslot);
    ix->bloom_bits = filter_bits(ix->n_anc);
    ix->nbloom_bits = filter_bits(ix->n_ng);
    ix->bloom = calloc(((size_t)1 << ix->bloom_bits) / 64, sizeof *ix->bloom);
    ix->post_off = calloc(ix->n_ng + 1, sizeof *ix->post_off);
    ix->post_item = malloc((ix->n_pairs ? ix->n_pairs : 1) * sizeof *ix->post_item);
    ix->nbloom = calloc(((size_t)1 << ix->nbloom_bits) / 64, sizeof *ix->nbloom);
    if (!ix->nbloom || !ix->anc || !ix->aslot || !ix->bloom || !ix->post_off || !ix->post_item) return nomem(err);
    for (size_t k = 0; k < as; k++) ix->aslot[k] = (struct aslot){0, UINT32_MAX, 0};
    for (size_t e = 0; e < ix->n_anc; e++) {
        uint32_t pi = (uint32_t)(e / ix->stride), off = (uint32_t)(e % ix->stride);
        uint64_t h = rk_hash(ix->pat[pi].norm + off), head;
        memcpy(&head, ix->pat[pi].norm, 8);
        size_t k = (size_t)mix(h) & ix->amask;
        while (ix->aslot[k].val != UINT32_MAX && ix->aslot[k].key != h) k = (k + 1) & ix->amask;
        ix->anc[e] = (struct anchor){head, pi, off, ix->aslot[k].val, (uint32_t)ix->pat[pi].len};
        ix->aslot[k].key = h;
        ix->aslot[k].val = (uint32_t)e;
        bloom_add(ix->bloom, ix->bloom_bits - 6, h);
    }
    if (!(ix->nslot = malloc((ix->nmask + 1) * sizeof *ix->nslot))) return nomem(err);
    for (size_t k = 0; k <= ix->nmask; k++)
        ix->nslot[k] = (struct nslot){ix->nval[k] == UINT32_MAX ? 0 : ix->nkey[k], ix->nval[k], 0};
    for (size_t j = 0; j < ix->n_ng; j++) { /* the n-gram filter */
        bloom_add(ix->nbloom, ix->nbloom_bits - 6, mix(ix->nroll[j]));
    }
    free(ix->nroll);
    ix->nroll = NULL;
    ix->cap_roll = 0;
    free(ix->seen);
    ix->seen = NULL;
    ix->cap_seen = 0;
    /* postings (items ascending within an id: pairs were added in item order) */
    for (size_t q = 0; q < ix->n_pairs; q++) ix->post_off[ix->pair_id[q] + 1]++;
    for (size_t i = 0; i < ix->n_ng; i++) ix->post_off[i + 1] += ix->post_off[i];
    uint32_t *fill = calloc(ix->n_ng ? ix->n_ng : 1, sizeof *fill);
    if (!fill) return nomem(err);
    for (size_t q = 0; q < ix->n_pairs; q++) {
        uint32_t id = ix->pair_id[q];
        ix->post_item[ix->post_off[id] + fill[id]++] = ix->pair_item[q];
    }
    free(fill);
    free(ix->pair_id);
    free(ix->pair_item);
    ix->pair_id = ix->pair_item = NULL;
    return SCIPRUNE_OK;
}

size_t decontam_index_items(const decontam_index *ix) { return ix->n_items; }
const decontam_item *decontam_index_item(const decontam_index *ix, uint32_t i) { return &ix->items[i]; }
const decontam_pattern *decontam_index_pattern(const decontam_index *ix, uint32_t i) { return &ix->pat[i]; }
size_t decontam_index_patterns(const decontam_index *ix) { return ix->n_pat; }
size_t decontam_index_ngrams(const decontam_index *ix) { return ix->n_ng; }
const char *decontam_index_bench_name(const decontam_index *ix, uint32_t b) { return ix->bench[b]; }
size_t decontam_index_benches(const decontam_index *ix) { return ix->n_bench; }

void decontam_index_bench_counts(const decontam_index *ix, uint32_t b, uint64_t *items,
                                 uint64_t *patterns, uint64_t *allowlisted, uint64_t *ngram_small)
{
    *items = ix->bench_items[b];
    *patterns = ix->bench_pat[b];
    *allowlisted = ix->bench_allow[b];
    *ngram_small = ix->bench_small[b];
}

/* ------------------------------------------------------------------ scanning */

sciprune_status decontam_scratch_new(decontam_scratch **out, const decontam_index *ix,
                                     sciprune_error *err)
{
    decontam_scratch *s = calloc(1, sizeof *s);
    if (!s) return nomem(err);
    s->seen = calloc(ix->n_ng ? ix->n_ng : 1, sizeof *s->seen);
    s->cnt = calloc(ix->n_items ? ix->n_items : 1, sizeof *s->cnt);
    s->touched = malloc((ix->n_items ? ix->n_items : 1) * sizeof *s->touched);
    s->first = malloc((ix->n_items ? ix->n_items : 1) * sizeof *s->first);
    s->last = malloc((ix->n_items ? ix->n_items : 1) * sizeof *s->last);
    if (!s->seen || !s->cnt || !s->touched || !s->first || !s->last) {
        decontam_scratch_free(s);
        return nomem(err);
    }
    *out = s;
    return SCIPRUNE_OK;
}

void decontam_scratch_free(decontam_scratch *s)
{
    if (!s) return;
    free(s->norm);
    free(s->seen);
    free(s->hits);
    free(s->cnt);
    free(s->touched);
    free(s->first);
    free(s->last);
    free(s);
}

/* The first exact match in file order (the smallest start, then the lowest pattern index):
 * windows at p = 0, stride, 2 stride, ... An occurrence at s is seen at the first sampled p >= s
 * (p - s < stride: an indexed offset; p + DECONTAM_ANCHOR <= s + the pattern's length), so the
 * first sampled window with a confirmed match holds the smallest start: every occurrence
 * starting in (p - stride, p] is confirmed there and the best of them taken. */
static int exact_scan(const decontam_index *ix, decontam_scratch *s, size_t len,
                      decontam_scan_result *out)
{
    const char *t = s->norm;
    if (len < DECONTAM_ANCHOR || !ix->n_pat) return 0;
    const uint64_t *bloom = ix->bloom;
    const unsigned wb = ix->bloom_bits - 6;
    for (size_t p = 0; p + DECONTAM_ANCHOR <= len; p += ix->stride) {
        uint64_t h = rk_hash(t + p);
        if (!bloom_has(bloom, wb, h)) continue; /* a product's top bits: mixed enough */
        const struct aslot *as = ix->aslot;
        size_t k = (size_t)mix(h) & ix->amask;
        while (as[k].val != UINT32_MAX && as[k].key != h) k = (k + 1) & ix->amask;
        int found = 0;
        size_t best = 0;
        uint32_t bp = 0;
        for (uint32_t e = as[k].val; e != UINT32_MAX; e = ix->anc[e].next) {
            const struct anchor *a = &ix->anc[e];
            if (a->off > p) continue;
            size_t st = p - a->off;
            if (a->len > len - st || (found && (st > best || (st == best && a->pat > bp)))) continue;
            uint64_t w;
            memcpy(&w, t + st, 8);
            if (w != a->head) continue;
            const decontam_pattern *pt = &ix->pat[a->pat];
            if (!memcmp(t + st, pt->norm, pt->len)) {
                found = 1;
                best = st;
                bp = a->pat;
            }
        }
        if (found) {
            out->exact = 1;
            out->pattern = bp;
            out->start = best;                  /* normalised offsets: mapped back by */
            out->end = best + ix->pat[bp].len - 1; /* decontam_scan */
            return 1;
        }
    }
    return 0;
}

/* The scan's token callback: a window whose rolling hash passes the n-gram filter is
 * XXH3'd and its table slot prefetched; the lookups go in batches (flushed when full and at
 * the end, in order), so the table's cache misses overlap instead of stalling one by one. */
enum { SCAN_BATCH = 32 };
typedef struct scan_ng {
    const decontam_index *ix;
    decontam_scratch *s;
    ngwin w;
    const uint64_t *bloom;
    unsigned sh0, sh1, sh2;  /* the n-gram filter's shifts: 64, 58 and 52 - (bits - 6) */
    int oom;
    size_t nb;
    uint64_t bx[SCAN_BATCH];
    uint32_t bs[SCAN_BATCH], be[SCAN_BATCH];
} scan_ng;

static void scan_flush(scan_ng *g)
{
    decontam_scratch *s = g->s;
    for (size_t q = 0; q < g->nb && !g->oom; q++) {
        uint32_t id = ngram_find(g->ix, g->bx[q]);
        if (id == UINT32_MAX || s->seen[id] == s->epoch) continue;
        s->seen[id] = s->epoch;
        if (!grow((void **)&s->hits, &s->cap_hits, s->n_hits + 1, sizeof *s->hits)) {
            g->oom = 1;
            break;
        }
        s->hits[s->n_hits++] = (decontam_hit){id, g->bs[q], g->be[q]};
    }
    g->nb = 0;
}

static inline __attribute__((always_inline)) void scan_tok(void *ctx, uint64_t h, uint32_t start, uint32_t end)
{
    scan_ng *g = ctx;
    uint64_t roll;
    const uint64_t *win;
    uint32_t ws;
    if (!ngwin_push(&g->w, h, start, &roll, &win, &ws)) return;
    uint64_t x0 = mix(roll), m = (1ULL << ((x0 >> g->sh1) & 63)) | (1ULL << ((x0 >> g->sh2) & 63));
    if ((g->bloom[x0 >> g->sh0] & m) != m) return; /* bloom_has, its shifts precomputed */
    uint64_t x = XXH3_64bits(win, g->w.n * sizeof *win);
    __builtin_prefetch(&g->ix->nslot[(size_t)mix(x) & g->ix->nmask]);
    g->bx[g->nb] = x;
    g->bs[g->nb] = ws;
    g->be[g->nb++] = end;
    if (g->nb == SCAN_BATCH) scan_flush(g);
}

/* The scan's tokeniser, scan_tok inlined, on the path tok_path picks. */
#ifdef DECONTAM_SSSE3
__attribute__((target("avx512f,avx512bw"))) static void
scan_tokens_avx512(const decontam_index *ix, const char *text, size_t len, scan_ng *g)
{
    tokens_blocks(ix, text, len, 1, scan_tok, g);
}
#endif

static void scan_tokens(const decontam_index *ix, const char *text, size_t len, scan_ng *g)
{
    switch (tok_path()) {
#ifdef DECONTAM_SSSE3
    case 2: scan_tokens_avx512(ix, text, len, g); break;
#endif
    case 1: tokens_blocks(ix, text, len, 0, scan_tok, g); break;
    default: tokens_impl(ix, text, len, scan_tok, g);
    }
}

sciprune_status decontam_scan(const decontam_index *ix, decontam_scratch *s, const char *text,
                              size_t len, decontam_scan_result *out, sciprune_error *err)
{
    memset(out, 0, sizeof *out);
    s->n_hits = 0;
    if (len >= UINT32_MAX) len = UINT32_MAX - 1; /* offsets are 32-bit: the rest is not scanned */
    if (ix->p.exact && ix->n_pat) {
        if (len > s->cap) {
            size_t nc = len + 4096;
            char *nn = realloc(s->norm, nc);
            if (!nn) return nomem(err);
            s->norm = nn;
            s->cap = nc;
        }
        size_t nl = decontam_normalise(text, len, 0, s->norm, NULL);
        if (exact_scan(ix, s, nl, out)) { /* the normalised span back to the file's bytes */
            size_t o = 0, want = out->start, last = out->end;
            int pend = 0;
            for (size_t i = 0; i < len; i++) {
                if (is_ws((unsigned char)text[i])) {
                    if (pend) continue;
                    pend = 1;
                } else {
                    pend = 0;
                }
                if (o == want) out->start = i;
                if (o == last) {
                    out->end = i + 1;
                    break;
                }
                o++;
            }
        }
    }
    if (ix->p.ngram && ix->n_ng) {
        if (++s->epoch == 0) { /* wrapped: clear the marks */
            memset(s->seen, 0, ix->n_ng * sizeof *s->seen);
            s->epoch = 1;
        }
        unsigned wb = ix->nbloom_bits - 6;
        scan_ng g = {.ix = ix, .s = s, .bloom = ix->nbloom, .sh0 = 64 - wb, .sh1 = 58 - wb, .sh2 = 52 - wb};
        ngwin_init(&g.w, ix->p.ngram_n, ix->roll_pow);
        scan_tokens(ix, text, len, &g);
        scan_flush(&g);
        if (g.oom) return nomem(err);
        out->hits = s->hits;
        out->n_hits = s->n_hits;
    }
    return SCIPRUNE_OK;
}

void decontam_judge(const decontam_index *ix, decontam_scratch *s, const decontam_hit *hits,
                    size_t n_hits, const uint32_t *df, uint32_t cap, decontam_verdict *out)
{
    memset(out, 0, sizeof *out);
    s->n_touched = 0;
    for (size_t h = 0; h < n_hits; h++) {
        uint32_t id = hits[h].id;
        if (df && df[id] > cap) continue;
        for (uint32_t q = ix->post_off[id]; q < ix->post_off[id + 1]; q++) {
            uint32_t it = ix->post_item[q];
            if (!s->cnt[it]) {
                s->touched[s->n_touched++] = it;
                s->first[it] = hits[h].start;
                s->last[it] = hits[h].end;
            }
            s->cnt[it]++;
            if (hits[h].start < s->first[it]) s->first[it] = hits[h].start;
            if (hits[h].end > s->last[it]) s->last[it] = hits[h].end;
        }
    }
    for (size_t t = 0; t < s->n_touched; t++) {
        uint32_t it = s->touched[t];
        const decontam_item *item = &ix->items[it];
        if (item->n_ngrams >= ix->p.ngram_min && item->n_ngrams) {
            double share = (double)s->cnt[it] / (double)item->n_ngrams;
            if (share >= ix->p.threshold &&
                (!out->match || share > out->share || (share == out->share && it < out->item))) {
                out->match = 1;
                out->item = it;
                out->share = share;
                out->found = s->cnt[it];
                out->start = s->first[it];
                out->end = s->last[it];
            }
        }
        s->cnt[it] = 0;
    }
}
