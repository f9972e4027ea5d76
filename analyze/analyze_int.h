/* analyze_int.h - internals of analyze/, exposed to tests/unit/test_analyze.c. */
#ifndef SCIPRUNE_ANALYZE_INT_H
#define SCIPRUNE_ANALYZE_INT_H

#include "../shard/sp_npy.h"

/* The four total orders of the analysis (the same keys as prune/score.c). */
enum { AN_ORD_SIZE = 0, AN_ORD_DIST, AN_ORD_RANDOM, AN_ORD_LENGTH, AN_ORD_COUNT };

typedef struct an_kg { /* one record in an order: ascending key, then ascending g */
    uint64_t key;
    uint32_t g;
    uint32_t pad;
} an_kg;

/* Per-record arrays of a probed corpus: nc clean records, nv variants. */
typedef struct an_corpus {
    size_t nc, nv;
    int k;
    int32_t *ccl;      /* nc clusters; owned */
    float *cds;        /* nc distances; owned */
    int64_t *clen;     /* nc text lengths; owned */
    uint64_t *crnd;    /* nc random keys; owned */
    int32_t *vcl;      /* nv; owned */
    float *vds;        /* nv; owned */
    int64_t *vlen;     /* nv; owned */
    uint64_t *vrnd;    /* nv; owned */
    int64_t *vorig;    /* nv: clean row of the original, -1 unknown; owned */
    /* derived by an_corpus_prepare() */
    uint64_t *size;    /* k clean cluster sizes; owned */
    uint32_t *crank;   /* k: rank of each cluster by (clean size, id); owned */
    an_kg *cord[AN_ORD_COUNT]; /* nc each: the clean records sorted; owned */
    double *csorted[AN_ORD_COUNT]; /* nc each: clean AUROC scores, ascending; owned */
    double *dsorted;   /* nc clean distances ascending (percentiles); owned */
} an_corpus;

/* Sizes, ranks, sorted clean orders and scores. Errors: ENOMEM, EINVAL (a cluster >= k). */
sciprune_status an_corpus_prepare(an_corpus *c, sciprune_error *err);
/* Free everything owned (the arrays above) and zero it. */
void an_corpus_clear(an_corpus *c);

/* Metric index m in the recall tables: 0 size, 1 distance, 2 .. 2+na-1 combined at alphas[i],
 * 2+na random, 3+na length. */
#define AN_N_METRICS(na) ((na) + 4)

typedef struct an_group_result {
    double *recall;    /* AN_N_METRICS(na) x nr, row-major; owned by the caller */
    double *orig_recall; /* same shape: share of the variants whose ORIGINAL (a clean record)
                            the same selection prunes; NaN without originals; caller-owned */
    double auroc[AN_ORD_COUNT];
    size_t n_orig;
    double share_smaller, share_same, med_dsize_pct, med_ddist_pct, med_dist, med_orig_dist;
} an_group_result;

/* Evaluate the variants J[0..nj) (ascending indices into the variant arrays) mixed into the
 * clean corpus, at every ratio x metric. Errors: ENOMEM. */
sciprune_status an_group_eval(const an_corpus *c, const uint32_t *J, size_t nj,
                              const double *ratios, size_t nr, const double *alphas, size_t na,
                              an_group_result *res, sciprune_error *err);

/* The order key of one record (same mapping as prune/score.c). */
uint64_t an_key(const an_corpus *c, int ord, int32_t cl, float dist, int64_t len, uint64_t rnd);

#endif /* SCIPRUNE_ANALYZE_INT_H */
