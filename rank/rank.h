/*
 * rank.h - the SCIP ranking, defined once: every metric's key, the cluster ranks, the plan
 * rules (budget, combined's alpha split, gate+FILL). prune/score.c ranks the corpus with it and
 * analyze/eval.c ranks the corpus mixed with the corrupted probes with it, so a metric means the
 * same in both; model/ replays a variant's plan with it to turn the cuts into a model's
 * thresholds. A module-level internal header (like shard/sp_*.h): prune/, analyze/ and model/
 * include it; it is not part of the public API.
 *
 * Orders. Each metric is a total order over the records, ascending (key, g) = pruned first,
 * where g is the caller's record index (a tie in the key falls back to g):
 *   size         rank_key_size:     rank of the record's cluster by (size, id), 32 bits,
 *                                   << 32 | ~ford(dist)   (smallest cluster, farthest first)
 *   distance     rank_key_distance: ~ford(dist)           (farthest first)
 *   cluster      rank_key_cluster:  cluster << 32 | ~ford(dist) (cluster by cluster; gives the
 *                                   positions distance-pc needs)
 *   distance-pc  rank_key_pc:       floor(pos * 2^64 / size), pos = 0-based rank inside the
 *                                   cluster by (~dist, g): distinct fractions stay distinct and
 *                                   ordered since sizes are below 2^32
 *   random       rank_key_random_id / _addr: XXH3(id or "<shard>:<line>", seed ^
 *                                   RANK_RANDOM_SEED_XOR)
 *   length       rank_key_length:   ~min(len, 2^32 - 1)   (longest first)
 * ford(f) maps a float to a uint32 in the same order (-0 and +0 alike).
 *
 * Plans. A variant with ratio p over N records prunes n = floor(p * N + 0.5) (at most N):
 * the first n of its order; combined takes n_s = floor(alpha * n + 0.5) of the size order, then
 * the first n - n_s of the distance (or distance-pc) order not taken yet. A gate plan
 * gate+FILL takes every gated record first (all of them, even past n), then FILL's steps fill
 * up to n, skipping taken records (gate+combined: floor(alpha * rest + 0.5) by size, the rest
 * by distance). rank_plan_make() turns (metric, p, alpha, N, gated) into these steps;
 * rank_take() performs one step on the caller's marks.
 */
#ifndef SCIPRUNE_RANK_H
#define SCIPRUNE_RANK_H

#include "../shard/sp_common.h"

/* Seed offset of the random baseline's hash, so that it is not the index sample's hash. */
#define RANK_RANDOM_SEED_XOR 0x9E3779B97F4A7C15ull

/* The orders a plan walks (analyze/ evaluates the first four: it has no distance-pc). */
typedef enum rank_order {
    RANK_ORD_SIZE = 0,
    RANK_ORD_DIST,
    RANK_ORD_RANDOM,
    RANK_ORD_LENGTH,
    RANK_ORD_PC,
    RANK_ORD_NAT,       /* naturalness (prune/ only) */
    RANK_ORD_LEARNED,   /* learned (prune/ only) */
    RANK_ORD_SITES,     /* sites (prune/ only) */
    RANK_ORD_COUNT
} rank_order;

/* One record in an order: ascending key, then ascending g. */
typedef struct rank_kg {
    uint64_t key;
    uint32_t g;
    uint32_t pad;
} rank_kg;

/* qsort comparator of rank_kg: (key, g) ascending. */
int rank_cmp_kg(const void *a, const void *b);
/* Sort a[0..n) by (key, g). */
void rank_sort(rank_kg *a, size_t n);

/* Order-preserving map of a float to uint32 (ascending); -0 and +0 map alike. */
uint32_t rank_ford(float f);

uint64_t rank_key_size(uint32_t cluster_rank, float dist);
uint64_t rank_key_distance(float dist);
uint64_t rank_key_cluster(int32_t cluster, float dist);
/* pos < size required (size > 0). */
uint64_t rank_key_pc(uint32_t pos, uint64_t size);
/* The random baseline's key from the record's id (NUL-terminated). */
uint64_t rank_key_random_id(const char *id, uint64_t seed);
/* The same from the record's address when ids are not read: "<shard>:<line>" (line 1-based). */
uint64_t rank_key_random_addr(const char *shard, uint64_t line, uint64_t seed);
/* A per-record signal, highest first: ~ford(s). */
uint64_t rank_key_signal(float s);
/* len is clamped to 2^32 - 1. */
uint64_t rank_key_length(uint64_t len);

/* crank[c] = rank of cluster c by (size[c], c), c in [0, k). Errors: ENOMEM. */
sciprune_status rank_cluster_ranks(const uint64_t *size, size_t k, uint32_t *crank,
                                   sciprune_error *err);
/* pos[order[i]] = position of record order[i] inside its cluster cl[order[i]], given `order`
 * (n records) sorted by rank_key_cluster: 0 for the farthest of each cluster. */
void rank_cluster_positions(const uint32_t *order, size_t n, const int32_t *cl, uint32_t *pos);

/* floor(p * n + 0.5), at most n (p in [0, 1]). */
uint64_t rank_budget(double p, uint64_t n);

/* What a variant takes, in this order: every gated record (when `gated`), then each step's
 * `count` first records of its order not taken yet. */
typedef struct rank_step {
    rank_order ord;
    uint64_t count;
} rank_step;

typedef struct rank_plan {
    uint64_t n;         /* the budget: rank_budget(ratio, n_records) */
    int gated;          /* 1: a gate plan, the gated records first */
    uint64_t n_gated;   /* as given (0 unless gated) */
    uint64_t n_fill;    /* records the steps take: n, or n - n_gated (0 when the gated exceed n) */
    size_t n_steps;     /* 1 or 2 */
    rank_step step[2];  /* combined: size, then distance (or distance-pc) */
} rank_plan;

/* learned (analyze/semantic.c's logistic model): its features in order, as
 * semantic.learned_weights (report.json) and model.json "learned" "weights" name them. */
#define RANK_LEARNED_NF 7
static const char *const rank_learned_names[RANK_LEARNED_NF] = {
    "distance", "log1p_cluster_size", "parse_error", "undefined_name", "naturalness",
    "log1p_length", "sites"};

/* w . f + b as score/ ranks by it and a model replays it (one function: the replay must give
 * the same float): the sites term only with a weight (without the signal the 6-feature sum,
 * same bits), as a float. */
static inline float rank_learned_z(const double *w, double b, const double *f)
{
    double z = b;
    for (int k = 0; k < 6; k++) z += w[k] * f[k];
    if (w[6] != 0) z += w[6] * f[6];
    return (float)z;
}

/* 1 for combined, combined-pc and gate+combined: the metrics with an alpha. */
int rank_metric_has_alpha(sciprune_score_metric m);
/* Plan of metric m at ratio p (alpha: combined's share by size, ignored otherwise) over
 * n_records records of which n_gated are gated (used by gate plans only). m must be valid. */
void rank_plan_make(rank_plan *plan, sciprune_score_metric m, double ratio, double alpha,
                    uint64_t n_records, uint64_t n_gated);

/* Take the first `count` records of order[0..len) not taken yet. A record g is taken when
 * mark[g * stride] & bit is set; taking sets it. Returns the last record taken (UINT64_MAX when
 * none); *taken (may be NULL) gets how many were taken (less than count when the order ends). */
uint64_t rank_take(const uint32_t *order, size_t len, uint8_t *mark, size_t stride, uint8_t bit,
                   uint64_t count, uint64_t *taken);

#endif /* SCIPRUNE_RANK_H */
