/*
 * eval.c - how a group of corrupted variants would be caught if mixed into the clean corpus.
 *
 * Every record (clean row g < nc, variant g = nc + local index) gets, per order, rank.h's key
 * (the same as prune/score.c's); ascending (key, g) is the pruning order: size (cluster rank
 * by clean size), distance, random, length. The clean records are sorted once per order; a
 * group's variants are sorted and merged in, which gives the union's order in O(nc + nj).
 * Each metric and gate plan is rank_plan_make()'s plan over the union: a simple metric prunes
 * the first n of its order (a variant is caught when its position is below n); combined and
 * the gate plans (every record either gate flags, cgate / vgate, first) take their steps with
 * rank_take().
 * Cluster sizes are the clean ones (see sciprune.h: variants do not grow clusters).
 */
#include "analyze_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t an_key(const an_corpus *c, int ord, int32_t cl, float dist, int64_t len, uint64_t rnd)
{
    switch (ord) {
    case AN_ORD_SIZE: return rank_key_size(c->crank[cl], dist);
    case AN_ORD_DIST: return rank_key_distance(dist);
    case AN_ORD_RANDOM: return rnd;
    default: return rank_key_length(len < 0 ? 0 : (uint64_t)len);
    }
}

/* AUROC score: higher = pruned earlier (sciprune.h). */
static double score(const an_corpus *c, int ord, int32_t cl, float dist, int64_t len, uint64_t rnd)
{
    switch (ord) {
    case AN_ORD_SIZE: return -(double)c->size[cl];
    case AN_ORD_DIST: return (double)dist;
    case AN_ORD_RANDOM: return -(double)rnd;
    default: return (double)len;
    }
}

static int cmp_dbl(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

void an_corpus_clear(an_corpus *c)
{
    if (!c) return;
    free(c->ccl); free(c->cds); free(c->clen); free(c->crnd);
    free(c->vcl); free(c->vds); free(c->vlen); free(c->vrnd); free(c->vorig);
    free(c->cgate); free(c->vgate);
    free(c->size); free(c->crank); free(c->dsorted);
    for (int o = 0; o < AN_ORD_COUNT; o++) {
        free(c->cord[o]);
        free(c->csorted[o]);
    }
    memset(c, 0, sizeof *c);
}

sciprune_status an_corpus_prepare(an_corpus *c, sciprune_error *err)
{
    size_t k = (size_t)c->k, nc = c->nc;
    sciprune_status st;
    c->size = calloc(k ? k : 1, sizeof *c->size);
    c->crank = calloc(k ? k : 1, sizeof *c->crank);
    c->dsorted = malloc((nc ? nc : 1) * sizeof *c->dsorted);
    if (!c->size || !c->crank || !c->dsorted) goto nomem;
    for (size_t i = 0; i < nc; i++) {
        if (c->ccl[i] < 0 || (size_t)c->ccl[i] >= k)
            return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "cluster %d out of range", c->ccl[i]);
        c->size[c->ccl[i]]++;
    }
    for (size_t i = 0; i < c->nv; i++)
        if (c->vcl[i] < 0 || (size_t)c->vcl[i] >= k)
            return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "cluster %d out of range", c->vcl[i]);
    if ((st = rank_cluster_ranks(c->size, k, c->crank, err))) return st;
    for (int o = 0; o < AN_ORD_COUNT; o++) {
        c->cord[o] = malloc((nc ? nc : 1) * sizeof(rank_kg));
        c->csorted[o] = malloc((nc ? nc : 1) * sizeof(double));
        if (!c->cord[o] || !c->csorted[o]) goto nomem;
        for (size_t i = 0; i < nc; i++) {
            c->cord[o][i] = (rank_kg){an_key(c, o, c->ccl[i], c->cds[i], c->clen[i], c->crnd[i]),
                                    (uint32_t)i, 0};
            c->csorted[o][i] = score(c, o, c->ccl[i], c->cds[i], c->clen[i], c->crnd[i]);
        }
        rank_sort(c->cord[o], nc);
        qsort(c->csorted[o], nc, sizeof(double), cmp_dbl);
    }
    for (size_t i = 0; i < nc; i++) c->dsorted[i] = c->cds[i];
    qsort(c->dsorted, nc, sizeof(double), cmp_dbl);
    return SCIPRUNE_OK;
nomem:
    return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
}

/* Number of a[0..n) < x, and of those == x (a ascending). */
static void count_below(const double *a, size_t n, double x, size_t *below, size_t *equal)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if (a[m] < x) lo = m + 1; else hi = m;
    }
    size_t b = lo;
    hi = n;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if (a[m] <= x) lo = m + 1; else hi = m;
    }
    *below = b;
    *equal = lo - b;
}

static double median(double *v, size_t n)
{
    if (!n) return NAN;
    qsort(v, n, sizeof *v, cmp_dbl);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Percentile of a cluster size over the clean records. */
static double size_pct(const an_corpus *c, uint64_t s)
{
    uint64_t below = 0, eq = 0;
    for (int i = 0; i < c->k; i++) {
        if (c->size[i] < s) below += c->size[i];
        else if (c->size[i] == s) eq += c->size[i];
    }
    return c->nc ? 100.0 * ((double)below + 0.5 * (double)eq) / (double)c->nc : NAN;
}

static double dist_pct(const an_corpus *c, double d)
{
    size_t b, e;
    count_below(c->dsorted, c->nc, d, &b, &e);
    return c->nc ? 100.0 * ((double)b + 0.5 * (double)e) / (double)c->nc : NAN;
}

/* The metric or gate plan of a row of the recall tables (analyze_int.h), and its alpha. */
static sciprune_score_metric row_metric(size_t row, const double *alphas, size_t na,
                                        double *alpha)
{
    size_t m = row % AN_N_METRICS(na);
    int gate = row >= AN_N_METRICS(na);
    *alpha = 0;
    if (m == 0) return gate ? SCIPRUNE_METRIC_GATE_SIZE : SCIPRUNE_METRIC_SIZE;
    if (m == 1) return gate ? SCIPRUNE_METRIC_GATE_DISTANCE : SCIPRUNE_METRIC_DISTANCE;
    if (m < 2 + na) {
        *alpha = alphas[m - 2];
        return gate ? SCIPRUNE_METRIC_GATE_COMBINED : SCIPRUNE_METRIC_COMBINED;
    }
    if (m == 2 + na) return gate ? SCIPRUNE_METRIC_GATE_RANDOM : SCIPRUNE_METRIC_RANDOM;
    return gate ? SCIPRUNE_METRIC_GATE_LENGTH : SCIPRUNE_METRIC_LENGTH;
}

/* Number of entries of pos[0..n) (ascending) below lim. */
static size_t count_lt(const size_t *pos, size_t n, size_t lim)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if (pos[m] < lim) lo = m + 1; else hi = m;
    }
    return lo;
}

sciprune_status an_group_eval(const an_corpus *c, const uint32_t *J, size_t nj,
                              const double *ratios, size_t nr, const double *alphas, size_t na,
                              an_group_result *res, sciprune_error *err)
{
    size_t nc = c->nc, nu = nc + nj;
    rank_kg *vk = malloc((nj ? nj : 1) * sizeof *vk);
    uint32_t *u[AN_ORD_COUNT] = {0};
    size_t *vpos[AN_ORD_COUNT] = {0};
    uint32_t *cpos[AN_ORD_COUNT] = {0}; /* position in the union's order of each clean g */
    size_t norig = 0;
    uint8_t *mark = malloc(nu ? nu : 1);
    uint8_t *gmark = c->cgate ? malloc(nu ? nu : 1) : NULL; /* gated records of U */
    size_t ngated = 0;
    double *tmp = malloc((2 * nj + 1) * sizeof *tmp);
    sciprune_status st = SCIPRUNE_OK;
    if (!vk || !mark || !tmp || (c->cgate && !gmark)) goto nomem;
    for (int q = 0; q < 3; q++) res->gate_recall[q] = NAN;
    if (c->cgate) {
        size_t nflag[3] = {0, 0, 0};
        for (size_t g = 0; g < nc; g++) ngated += gmark[g] = c->cgate[g] != 0;
        for (size_t i = 0; i < nj; i++) {
            uint8_t f = c->vgate[J[i]];
            ngated += gmark[nc + i] = f != 0;
            nflag[0] += f & 1;
            nflag[1] += (f >> 1) & 1;
            nflag[2] += f != 0;
        }
        for (int q = 0; q < 3; q++) res->gate_recall[q] = nj ? (double)nflag[q] / (double)nj : NAN;
    }
    for (int o = 0; o < AN_ORD_COUNT; o++) {
        u[o] = malloc((nu ? nu : 1) * sizeof **u);
        vpos[o] = malloc((nj ? nj : 1) * sizeof **vpos);
        cpos[o] = malloc((nc ? nc : 1) * sizeof **cpos);
        if (!u[o] || !vpos[o] || !cpos[o]) goto nomem;
        for (size_t i = 0; i < nj; i++) {
            uint32_t j = J[i];
            vk[i] = (rank_kg){an_key(c, o, c->vcl[j], c->vds[j], c->vlen[j], c->vrnd[j]),
                            (uint32_t)(nc + i), 0};
        }
        rank_sort(vk, nj);
        size_t a = 0, b = 0, w = 0;
        const rank_kg *co = c->cord[o];
        while (a < nc || b < nj) {
            if (b == nj || (a < nc && rank_cmp_kg(&co[a], &vk[b]) < 0)) {
                cpos[o][co[a].g] = (uint32_t)w;
                u[o][w++] = co[a++].g;
            } else {
                vpos[o][b] = w;
                u[o][w++] = vk[b++].g;
            }
        }
    }
    for (size_t i = 0; i < nj; i++) norig += c->vorig[J[i]] >= 0;
    double denom = nj ? (double)nj : NAN;
    for (size_t r = 0; r < nr; r++)
        for (size_t row = 0; row < AN_N_ROWS(na, c->cgate != NULL); row++) {
            double alpha;
            sciprune_score_metric me = row_metric(row, alphas, na, &alpha);
            rank_plan p; /* over U; its orders are among the four of u[] (no distance-pc) */
            rank_plan_make(&p, me, ratios[r], alpha, nu, ngated);
            size_t hit = 0, oh = 0;
            if (!p.gated && p.n_steps == 1) { /* the first `count` of one order */
                int o = (int)p.step[0].ord;
                uint64_t cnt = p.step[0].count;
                hit = count_lt(vpos[o], nj, cnt);
                for (size_t i = 0; res->orig_recall && i < nj; i++) {
                    int64_t og = c->vorig[J[i]];
                    if (og >= 0) oh += cpos[o][og] < cnt;
                }
            } else {
                if (p.gated) memcpy(mark, gmark, nu);
                else memset(mark, 0, nu);
                for (size_t s = 0; s < p.n_steps; s++)
                    rank_take(u[p.step[s].ord], nu, mark, 1, 1, p.step[s].count, NULL);
                for (size_t i = 0; i < nj; i++) {
                    hit += mark[nc + i];
                    int64_t og = c->vorig[J[i]];
                    if (og >= 0) oh += mark[og];
                }
            }
            res->recall[row * nr + r] = (double)hit / denom;
            if (res->orig_recall)
                res->orig_recall[row * nr + r] = norig ? (double)oh / (double)norig : NAN;
        }
    /* AUROC: sum over variants of (#clean below + #clean equal / 2) / (nj * nc). */
    for (int o = 0; o < AN_ORD_COUNT; o++) {
        double s = 0;
        for (size_t i = 0; i < nj; i++) {
            uint32_t j = J[i];
            size_t bl, eq;
            count_below(c->csorted[o], nc, score(c, o, c->vcl[j], c->vds[j], c->vlen[j], c->vrnd[j]),
                        &bl, &eq);
            s += (double)bl + 0.5 * (double)eq;
        }
        res->auroc[o] = nj && nc ? s / ((double)nj * (double)nc) : NAN;
    }
    /* Movement against the originals. */
    size_t no = 0, smaller = 0, same = 0;
    for (size_t i = 0; i < nj; i++) {
        uint32_t j = J[i];
        if (c->vorig[j] < 0) continue;
        int32_t oc = c->ccl[c->vorig[j]];
        smaller += c->size[c->vcl[j]] < c->size[oc];
        same += c->vcl[j] == oc;
        tmp[no++] = size_pct(c, c->size[c->vcl[j]]) - size_pct(c, c->size[oc]);
    }
    res->n_orig = no;
    res->share_smaller = no ? (double)smaller / (double)no : NAN;
    res->share_same = no ? (double)same / (double)no : NAN;
    res->med_dsize_pct = median(tmp, no);
    no = 0;
    for (size_t i = 0; i < nj; i++) {
        uint32_t j = J[i];
        if (c->vorig[j] < 0) continue;
        tmp[no++] = dist_pct(c, c->vds[j]) - dist_pct(c, c->cds[c->vorig[j]]);
    }
    res->med_ddist_pct = median(tmp, no);
    no = 0;
    for (size_t i = 0; i < nj; i++) {
        uint32_t j = J[i];
        if (c->vorig[j] >= 0) tmp[no++] = c->cds[c->vorig[j]];
    }
    res->med_orig_dist = median(tmp, no);
    for (size_t i = 0; i < nj; i++) tmp[i] = c->vds[J[i]];
    res->med_dist = median(tmp, nj);
    goto done;
nomem:
    st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
done:
    free(vk);
    free(mark);
    free(gmark);
    free(tmp);
    for (int o = 0; o < AN_ORD_COUNT; o++) {
        free(u[o]);
        free(vpos[o]);
        free(cpos[o]);
    }
    return st;
}

int an_is_generated(const char *text, size_t len)
{
    static const char *const markers[] = {"generated by", "do not edit", "auto-generated",
                                          "autogenerated", "@generated", "code generated"};
    char head[2049];
    size_t h = len < 2048 ? len : 2048;
    for (size_t i = 0; i < h; i++) {
        char ch = text[i];
        head[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch ? ch : ' ';
    }
    head[h] = '\0';
    for (size_t i = 0; i < sizeof markers / sizeof *markers; i++)
        if (strstr(head, markers[i])) return 1;
    if (len <= 10240) return 0;
    size_t lines = 0, cur = 0, longest = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n') {
            lines++;
            if (cur > longest) longest = cur;
            cur = 0;
        } else {
            cur++;
        }
    }
    if (cur) {
        lines++;
        if (cur > longest) longest = cur;
    }
    return longest > 5000 || (lines && (double)len / (double)lines > 300.0);
}
