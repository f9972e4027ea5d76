/*
 * rank.c - the SCIP ranking (keys, cluster ranks, plans), once for prune/ and analyze/; the
 * rules are laid out in rank.h. Also the metric vocabulary of the public API
 * (sciprune_score_metric_name / _parse / _is_plan).
 */
#include "rank.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const k_metric_names[SCIPRUNE_METRIC_COUNT] = {
    [SCIPRUNE_METRIC_SIZE] = "size",
    [SCIPRUNE_METRIC_DISTANCE] = "distance",
    [SCIPRUNE_METRIC_DISTANCE_PC] = "distance-pc",
    [SCIPRUNE_METRIC_COMBINED] = "combined",
    [SCIPRUNE_METRIC_COMBINED_PC] = "combined-pc",
    [SCIPRUNE_METRIC_RANDOM] = "random",
    [SCIPRUNE_METRIC_LENGTH] = "length",
    [SCIPRUNE_METRIC_GATE_DISTANCE] = "gate+distance",
    [SCIPRUNE_METRIC_GATE_SIZE] = "gate+size",
    [SCIPRUNE_METRIC_GATE_COMBINED] = "gate+combined",
    [SCIPRUNE_METRIC_GATE_RANDOM] = "gate+random",
    [SCIPRUNE_METRIC_GATE_LENGTH] = "gate+length",
    [SCIPRUNE_METRIC_AUTO] = "auto",
    [SCIPRUNE_METRIC_NATURALNESS] = "naturalness",
    [SCIPRUNE_METRIC_LEARNED] = "learned",
    [SCIPRUNE_METRIC_GATE_NATURALNESS] = "gate+naturalness",
    [SCIPRUNE_METRIC_GATE_LEARNED] = "gate+learned",
    [SCIPRUNE_METRIC_SITES] = "sites",
    [SCIPRUNE_METRIC_GATE_SITES] = "gate+sites",
};

int sciprune_score_metric_is_plan(sciprune_score_metric m)
{
    return (m >= SCIPRUNE_METRIC_GATE_DISTANCE && m <= SCIPRUNE_METRIC_GATE_LENGTH) ||
           m == SCIPRUNE_METRIC_GATE_NATURALNESS || m == SCIPRUNE_METRIC_GATE_LEARNED ||
           m == SCIPRUNE_METRIC_GATE_SITES;
}

const char *sciprune_score_metric_name(sciprune_score_metric m)
{
    return (unsigned)m < SCIPRUNE_METRIC_COUNT ? k_metric_names[m] : "?";
}

sciprune_status sciprune_score_metric_parse(const char *name, sciprune_score_metric *out,
                                            sciprune_error *err)
{
    for (int i = 0; i < SCIPRUNE_METRIC_COUNT; i++)
        if (!strcmp(name, k_metric_names[i])) {
            *out = (sciprune_score_metric)i;
            return SCIPRUNE_OK;
        }
    return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1,
                  "unknown metric '%s' (want size, distance, distance-pc, combined, "
                  "combined-pc, random, length, a plan gate+distance, gate+size, "
                  "gate+combined, gate+random, gate+length, naturalness, learned, "
                  "gate+naturalness, gate+learned, sites, gate+sites, or auto)", name);
}

/* ---------------------------------------------------------------- keys */

int rank_cmp_kg(const void *pa, const void *pb)
{
    const rank_kg *a = pa, *b = pb;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return (a->g > b->g) - (a->g < b->g);
}

void rank_sort(rank_kg *a, size_t n)
{
    if (n > 1) qsort(a, n, sizeof *a, rank_cmp_kg);
}

uint32_t rank_ford(float f)
{
    if (f == 0.0f) f = 0.0f;
    uint32_t u;
    memcpy(&u, &f, 4);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

uint64_t rank_key_size(uint32_t cluster_rank, float dist)
{
    return (uint64_t)cluster_rank << 32 | (uint32_t)~rank_ford(dist);
}

uint64_t rank_key_distance(float dist)
{
    return (uint32_t)~rank_ford(dist);
}

uint64_t rank_key_cluster(int32_t cluster, float dist)
{
    return (uint64_t)(uint32_t)cluster << 32 | (uint32_t)~rank_ford(dist);
}

uint64_t rank_key_pc(uint32_t pos, uint64_t size)
{
    unsigned __int128 q = ((unsigned __int128)pos << 64) / size;
    return (uint64_t)q;
}

uint64_t rank_key_random_id(const char *id, uint64_t seed)
{
    return sp_hash64(id, strlen(id), seed ^ RANK_RANDOM_SEED_XOR);
}

uint64_t rank_key_random_addr(const char *shard, uint64_t line, uint64_t seed)
{
    char key[4200];
    int l = snprintf(key, sizeof key, "%s:%llu", shard, (unsigned long long)line);
    if (l < 0) l = 0;
    if ((size_t)l >= sizeof key) l = (int)sizeof key - 1;
    return sp_hash64(key, (size_t)l, seed ^ RANK_RANDOM_SEED_XOR);
}

uint64_t rank_key_signal(float s)
{
    return (uint32_t)~rank_ford(s);
}

uint64_t rank_key_length(uint64_t len)
{
    return ~(uint64_t)(len > UINT32_MAX ? UINT32_MAX : len);
}

sciprune_status rank_cluster_ranks(const uint64_t *size, size_t k, uint32_t *crank,
                                   sciprune_error *err)
{
    rank_kg *a = malloc((k ? k : 1) * sizeof *a);
    if (!a) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    for (size_t c = 0; c < k; c++) a[c] = (rank_kg){size[c], (uint32_t)c, 0};
    rank_sort(a, k);
    for (size_t r = 0; r < k; r++) crank[a[r].g] = (uint32_t)r;
    free(a);
    return SCIPRUNE_OK;
}

void rank_cluster_positions(const uint32_t *order, size_t n, const int32_t *cl, uint32_t *pos)
{
    int32_t prev = -1;
    uint32_t p = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t c = cl[order[i]];
        p = c == prev ? p + 1 : 0;
        prev = c;
        pos[order[i]] = p;
    }
}

/* ---------------------------------------------------------------- plans */

uint64_t rank_budget(double p, uint64_t n)
{
    double x = floor(p * (double)n + 0.5);
    if (!(x > 0)) return 0;
    return x > (double)n ? n : (uint64_t)x;
}

int rank_metric_has_alpha(sciprune_score_metric m)
{
    return m == SCIPRUNE_METRIC_COMBINED || m == SCIPRUNE_METRIC_COMBINED_PC ||
           m == SCIPRUNE_METRIC_GATE_COMBINED;
}

void rank_plan_make(rank_plan *plan, sciprune_score_metric m, double ratio, double alpha,
                    uint64_t n_records, uint64_t n_gated)
{
    memset(plan, 0, sizeof *plan);
    plan->n = rank_budget(ratio, n_records);
    plan->n_fill = plan->n;
    if (sciprune_score_metric_is_plan(m)) {
        plan->gated = 1;
        plan->n_gated = n_gated;
        plan->n_fill = n_gated < plan->n ? plan->n - n_gated : 0;
        switch (m) { /* the fill metric */
        case SCIPRUNE_METRIC_GATE_DISTANCE: m = SCIPRUNE_METRIC_DISTANCE; break;
        case SCIPRUNE_METRIC_GATE_SIZE: m = SCIPRUNE_METRIC_SIZE; break;
        case SCIPRUNE_METRIC_GATE_COMBINED: m = SCIPRUNE_METRIC_COMBINED; break;
        case SCIPRUNE_METRIC_GATE_RANDOM: m = SCIPRUNE_METRIC_RANDOM; break;
        case SCIPRUNE_METRIC_GATE_NATURALNESS: m = SCIPRUNE_METRIC_NATURALNESS; break;
        case SCIPRUNE_METRIC_GATE_LEARNED: m = SCIPRUNE_METRIC_LEARNED; break;
        case SCIPRUNE_METRIC_GATE_SITES: m = SCIPRUNE_METRIC_SITES; break;
        default: m = SCIPRUNE_METRIC_LENGTH; break;
        }
    }
    uint64_t fill = plan->n_fill;
    plan->n_steps = 1;
    switch (m) {
    case SCIPRUNE_METRIC_SIZE: plan->step[0] = (rank_step){RANK_ORD_SIZE, fill}; break;
    case SCIPRUNE_METRIC_DISTANCE: plan->step[0] = (rank_step){RANK_ORD_DIST, fill}; break;
    case SCIPRUNE_METRIC_DISTANCE_PC: plan->step[0] = (rank_step){RANK_ORD_PC, fill}; break;
    case SCIPRUNE_METRIC_RANDOM: plan->step[0] = (rank_step){RANK_ORD_RANDOM, fill}; break;
    case SCIPRUNE_METRIC_LENGTH: plan->step[0] = (rank_step){RANK_ORD_LENGTH, fill}; break;
    case SCIPRUNE_METRIC_NATURALNESS: plan->step[0] = (rank_step){RANK_ORD_NAT, fill}; break;
    case SCIPRUNE_METRIC_LEARNED: plan->step[0] = (rank_step){RANK_ORD_LEARNED, fill}; break;
    case SCIPRUNE_METRIC_SITES: plan->step[0] = (rank_step){RANK_ORD_SITES, fill}; break;
    default: { /* combined, combined-pc */
        uint64_t ns = rank_budget(alpha, fill);
        plan->n_steps = 2;
        plan->step[0] = (rank_step){RANK_ORD_SIZE, ns};
        plan->step[1] = (rank_step){m == SCIPRUNE_METRIC_COMBINED_PC ? RANK_ORD_PC : RANK_ORD_DIST,
                                    fill - ns};
        break;
    }
    }
}

uint64_t rank_take(const uint32_t *order, size_t len, uint8_t *mark, size_t stride, uint8_t bit,
                   uint64_t count, uint64_t *taken)
{
    uint64_t last = UINT64_MAX, t = 0;
    for (size_t i = 0; i < len && t < count; i++) {
        uint8_t *b = &mark[(size_t)order[i] * stride];
        if (*b & bit) continue;
        *b |= bit;
        last = order[i];
        t++;
    }
    if (taken) *taken = t;
    return last;
}
