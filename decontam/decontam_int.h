/* decontam_int.h - internals of decontam/: the benchmark index (benchmark texts as exact
 * patterns and n-grams), the per-file scan and the n-gram judgement (match.c), the benchmark
 * loaders (bench.c). The stage (stage.c) drives them over the shards. */
#ifndef SCIPRUNE_DECONTAM_INT_H
#define SCIPRUNE_DECONTAM_INT_H

#include "../shard/sp_common.h"

#include <stddef.h>
#include <stdint.h>

#define DECONTAM_ANCHOR 16 /* normalised bytes hashed to find candidate exact patterns */
#define DECONTAM_EXCERPT 80

typedef struct decontam_item {
    uint32_t bench;        /* index into the index's benchmark names */
    char *task_id;         /* owned */
    uint32_t n_ngrams;     /* distinct n-grams */
} decontam_item;

typedef struct decontam_pattern {
    uint32_t item;
    const char *field;     /* static or interned in the index */
    char *norm;            /* whitespace-normalised text, owned */
    size_t len;
} decontam_pattern;

typedef struct decontam_index decontam_index;
typedef struct decontam_scratch decontam_scratch;

/* An n-gram of the index found in a file: its id and where its first occurrence lies. */
typedef struct decontam_hit {
    uint32_t id;
    uint32_t start, end;   /* byte offsets in the file */
} decontam_hit;

/* What one file's scan found. */
typedef struct decontam_scan_result {
    int exact;             /* 1: an exact pattern matched */
    uint32_t pattern;      /* ... this one */
    size_t start, end;     /* its span in the file (bytes, end exclusive) */
    const decontam_hit *hits; /* n_hits distinct index n-grams (borrowed from the scratch) */
    size_t n_hits;
} decontam_scan_result;

/* An n-gram verdict: the item with the largest share of its n-grams found (>= threshold). */
typedef struct decontam_verdict {
    int match;
    uint32_t item;
    double share;
    uint32_t found;        /* the item's n-grams found (counted) */
    size_t start, end;     /* from the first to the last counted n-gram of the item */
} decontam_verdict;

/* The matcher settings the index needs (from sciprune_decontam_settings). */
typedef struct decontam_params {
    int exact, ngram;
    uint32_t exact_min_chars, ngram_n, ngram_min;
    double threshold;
} decontam_params;

sciprune_status decontam_index_new(decontam_index **out, const decontam_params *p,
                                   sciprune_error *err);
void decontam_index_free(decontam_index *ix);
/* A benchmark name; its index into *bench. Errors: ENOMEM. */
sciprune_status decontam_index_add_bench(decontam_index *ix, const char *name, uint32_t *bench,
                                         sciprune_error *err);
/* One item: n texts matched exactly (fields[i] names texts[i]; static or outliving the index
 * strings are interned), and `code` (len code_len) whose n-grams are indexed. Errors: ENOMEM. */
sciprune_status decontam_index_add_item(decontam_index *ix, uint32_t bench, const char *task_id,
                                        size_t n, const char *const *fields,
                                        const char *const *texts, const size_t *lens,
                                        const char *code, size_t code_len, sciprune_error *err);
/* After the last item: the postings. Errors: ENOMEM. */
sciprune_status decontam_index_finish(decontam_index *ix, sciprune_error *err);

/* Accessors. */
size_t decontam_index_items(const decontam_index *ix);
const decontam_item *decontam_index_item(const decontam_index *ix, uint32_t i);
const decontam_pattern *decontam_index_pattern(const decontam_index *ix, uint32_t i);
size_t decontam_index_patterns(const decontam_index *ix);
size_t decontam_index_ngrams(const decontam_index *ix);
const char *decontam_index_bench_name(const decontam_index *ix, uint32_t b);
size_t decontam_index_benches(const decontam_index *ix);
/* Per benchmark: texts below exact_min_chars (the allowlist), items below ngram_min. */
void decontam_index_bench_counts(const decontam_index *ix, uint32_t b, uint64_t *items,
                                 uint64_t *patterns, uint64_t *allowlisted,
                                 uint64_t *ngram_small);

/* Per-thread scratch. Errors: ENOMEM. */
sciprune_status decontam_scratch_new(decontam_scratch **out, const decontam_index *ix,
                                     sciprune_error *err);
void decontam_scratch_free(decontam_scratch *s);

/* Scan one file with both matchers on: the first exact pattern in it, and its distinct index
 * n-grams (valid until the next scan with this scratch). Errors: ENOMEM. */
sciprune_status decontam_scan(const decontam_index *ix, decontam_scratch *s, const char *text,
                              size_t len, decontam_scan_result *out, sciprune_error *err);
/* Judge n-gram hits: counting only ids whose df <= cap (df NULL: all). */
void decontam_judge(const decontam_index *ix, decontam_scratch *s, const decontam_hit *hits,
                    size_t n_hits, const uint32_t *df, uint32_t cap, decontam_verdict *out);

/* Whitespace normalisation: runs of ' ', \t, \n, \r, \f, \v become one ' '; with trim, none at
 * either end. Writes at most len bytes to dst (and, when map is non-NULL, the source offset of
 * each byte); returns the length. */
size_t decontam_normalise(const char *src, size_t len, int trim, char *dst, uint32_t *map);
/* For tests: the widest vector path decontam_normalise may take (3: any the CPU has, 2: up
 * to SSSE3, 1: SSE2, 0: the byte loop). Process-wide; not for use while scans run. */
void decontam_simd_cap(int level);

/* The code-aware tokenisation: calls fn(ctx, hash, start, end) for every token. */
void decontam_tokens(const decontam_index *ix, const char *src, size_t len,
                     void (*fn)(void *ctx, uint64_t h, uint32_t start, uint32_t end), void *ctx);

/* Load benchmark b (its file) into the index. Errors: EIO, EPARSE, EINVAL, ENOMEM. */
sciprune_status decontam_load(decontam_index *ix, const sciprune_decontam_benchmark *b,
                              sciprune_error *err);
/* The benchmark's label (name, or the file name without .jsonl[.gz]) into buf. */
void decontam_bench_label(const sciprune_decontam_benchmark *b, char *buf, size_t cap);

#endif /* SCIPRUNE_DECONTAM_INT_H */
