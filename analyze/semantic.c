/*
 * semantic.c - report.json's "semantic" section (issue 17): how the per-record signals of the
 * embed pass (naturalness, W/embed/<shard>.naturalness.npy) and the `learned` combination catch
 * the corruptions, evaluated on files the learned model never saw.
 *
 * Held-out halves. Every clean record falls in half h(id) = sciprune_id_half(id) = bit 0 of
 * XXH3(id bytes, seed 0x68616c66 "half") (an_sem_in.chalf; without it, the older bit 0 of
 * XXH3(random key of its id, AN_SEM_SPLIT_SEED)); a variant falls in the half of its original
 * (a variant whose original is not found in the workdir is left out).
 * Held-out probes (issue 17): when analyze finds heldout/ beside the corrupted shards (`run`
 * writes it, corrupt.heldout), those variants were made from half 1's records only, with the
 * seed sciprune_corrupt_heldout_seed(corrupt.seed): every metric is tested on them, and the
 * main set's half 1 is reported beside as "mean_content_recall_same_seed". report.json says
 * which set and seed trained and tested ("train_probes", "test_probes"). Without heldout/, the
 * test is the main set's half 1 (same seed) and test_probes says so. The learned model is fitted on the
 * variants of half 0 (label 1) against the clean records of half 0 (label 0); every metric is
 * evaluated on half 1 only: the variants of half 1 mixed into the clean records of half 1, a
 * variant counted as caught at ratio p when fewer than n = floor(p * N1 + 0.5) clean records of
 * half 1 score at least as high as it (ties go against the variant). Records in the
 * naturalness model's fit sample (an_sem_in.cfit), and the variants made from them or from an
 * original not found, are in neither half: the model has seen their original text, and any
 * edit of a text the model memorized looks unnatural (on the 681-file stdlib corpus with every
 * file in the model, naturalness "caught" 0.62 of the content corruptions that way). The halves
 * never share an original file.
 *
 * learned: fitted on every corruption type (on the demo corpus this held-out mean was 0.395
 * against 0.387 when fitted on the content types but undefined-name only: within noise, and
 * the all-types model also ranks syntax corruptions first by their gates), logistic
 * regression over the features f = (distance, log(1 + clean size of the
 * record's cluster), parse_error flagged, undefined_name flagged, naturalness, log(1 + length)
 * and, when the workdir has the site detectors' signal (embed features "sites"), sites) -
 * without it the fit is the 6-feature one, bit for bit, and learned_weights has no "sites" -
 * standardized with the training set's mean and deviation; class-balanced weights (the two
 * labels weigh the same in total), L2 1e-3 on the weights, full-batch gradient descent (400
 * steps of 0.5, from zero), sums in a fixed order: the same bytes on any machine and thread
 * count. Score = w . f + b.
 *
 * Metrics evaluated (higher = pruned first): distance, random (the random key), naturalness,
 * learned, size (smaller clean cluster first: the main analysis' order) and the gate plans
 * gate+distance, gate+naturalness, gate+learned, gate+size (a record either gate flags is taken
 * first); with the sites signal also sites and gate+sites (the site
 * detectors are trained on the same sample the naturalness model is fitted on, also when the
 * idf widens to every record, so the cfit rule above leaves their training files out too).
 */
#include "analyze_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AN_SEM_SPLIT_SEED 0x68616c66ULL /* "half" */
#define NF 7 /* features() fills NF; the fit uses nf = 6 without the sites signal */

int an_sem_half(uint64_t rnd_key)
{
    return (int)(sp_hash64(&rnd_key, sizeof rnd_key, AN_SEM_SPLIT_SEED) & 1);
}

static void features(const an_sem_in *in, int variant, size_t i, double *f)
{
    const an_corpus *c = in->c;
    int32_t cl = variant ? c->vcl[i] : c->ccl[i];
    f[0] = variant ? c->vds[i] : c->cds[i];
    f[1] = log1p(cl >= 0 && cl < c->k ? (double)c->size[cl] : 0.0);
    uint8_t g = variant ? (c->vgate ? c->vgate[i] : 0) : (c->cgate ? c->cgate[i] : 0);
    f[2] = (g & 1) != 0;
    f[3] = (g & 2) != 0;
    f[4] = variant ? in->vnat[i] : in->cnat[i];
    f[5] = log1p((double)(variant ? c->vlen[i] : c->clen[i]));
    f[6] = !in->have_sites ? 0.0 : variant ? in->vsites[i] : in->csites[i];
}

int an_logistic_fit(const double *X, const uint8_t *y, size_t n, size_t nf, double *w,
                    double *bias)
{
    double *mu = calloc(nf, sizeof *mu), *sd = calloc(nf, sizeof *sd), *gw = calloc(nf, sizeof *gw);
    if (!mu || !sd || !gw) {
        free(mu); free(sd); free(gw);
        return -1;
    }
    size_t npos = 0;
    for (size_t i = 0; i < n; i++) npos += y[i] != 0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < nf; k++) mu[k] += X[i * nf + k];
    for (size_t k = 0; k < nf; k++) mu[k] /= n ? (double)n : 1.0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < nf; k++) sd[k] += (X[i * nf + k] - mu[k]) * (X[i * nf + k] - mu[k]);
    for (size_t k = 0; k < nf; k++) {
        sd[k] = sqrt(sd[k] / (n ? (double)n : 1.0));
        if (!(sd[k] > 1e-12)) sd[k] = 1.0;
    }
    double wp = npos ? 0.5 / (double)npos : 0, wn = n > npos ? 0.5 / (double)(n - npos) : 0;
    double b = 0;
    for (size_t k = 0; k < nf; k++) w[k] = 0;
    for (int it = 0; it < 400; it++) {
        double gb = 0;
        for (size_t k = 0; k < nf; k++) gw[k] = 0;
        for (size_t i = 0; i < n; i++) {
            double z = b;
            for (size_t k = 0; k < nf; k++) z += w[k] * (X[i * nf + k] - mu[k]) / sd[k];
            double p = 1.0 / (1.0 + exp(-z));
            double d = (p - (y[i] ? 1.0 : 0.0)) * (y[i] ? wp : wn);
            gb += d;
            for (size_t k = 0; k < nf; k++) gw[k] += d * (X[i * nf + k] - mu[k]) / sd[k];
        }
        b -= 0.5 * gb;
        for (size_t k = 0; k < nf; k++) w[k] -= 0.5 * (gw[k] + 1e-3 * w[k]);
    }
    /* back to raw units: w . (x - mu) / sd + b */
    for (size_t k = 0; k < nf; k++) {
        w[k] /= sd[k];
        b -= w[k] * mu[k];
    }
    *bias = b;
    free(mu); free(sd); free(gw);
    return 0;
}

static int cmp_desc(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a < b) - (a > b);
}

/* Clean records of the test half scoring >= s, in desc-sorted d[0..n). */
static size_t n_at_least(const double *d, size_t n, double s)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if (d[m] >= s) lo = m + 1;
        else hi = m;
    }
    return lo;
}

/* (size, gate+size: the main analysis' size order, smaller clean cluster first, ties clean
 * first as there; so that a size pick can be weighed against learned on the same probes) */
enum { M_DIST, M_RANDOM, M_NAT, M_LEARNED, M_GDIST, M_GNAT, M_GLEARNED, M_SIZE, M_GSIZE,
       M_SITES, M_GSITES, M_COUNT };
static const char *const k_mnames[M_COUNT] = {"distance", "random", "naturalness", "learned",
                                              "gate+distance", "gate+naturalness", "gate+learned",
                                              "size", "gate+size", "sites", "gate+sites"};

static double mscore(int m, const double *f, uint64_t rnd, const double *w, size_t nf, double b)
{
    double s;
    int base = m;
    if (m == M_GDIST) base = M_DIST;
    else if (m == M_GNAT) base = M_NAT;
    else if (m == M_GLEARNED) base = M_LEARNED;
    else if (m == M_GSITES) base = M_SITES;
    else if (m == M_GSIZE) base = M_SIZE;
    switch (base) {
    case M_DIST: s = f[0]; break;
    case M_SIZE: s = -f[1]; break; /* log1p(clean cluster size): monotone, the same order */
    case M_RANDOM: s = -(double)(rnd >> 11); break;
    case M_NAT: s = f[4]; break;
    case M_SITES: s = f[6]; break;
    default: {
        s = b;
        for (size_t k = 0; k < nf; k++) s += w[k] * f[k];
        break;
    }
    }
    if ((m >= M_GDIST && m <= M_GLEARNED) || m == M_GSIZE || m == M_GSITES) {
        if (f[2] > 0 || f[3] > 0) s += 1e30;
    }
    return s;
}

/* The paired comparisons of the learned metrics with the main analysis' distance, size and
 * their gate plans (and of the sites metrics with distance and gate+distance) on the same test
 * probes at the headline ratio: every type with test probes
 * weighs in->type_weight[t] (the recommendation's weights), syntax and undefined-name included.
 * Per type t the mean of d = caught(metric) - caught(against) over its n_t probes, and its
 * variance s_t^2 / n_t (s_t^2 the unbiased variance of d); diff = sum w_t mean_t / W, se =
 * sqrt(sum w_t^2 s_t^2 / n_t) / W. Into out->vs and root's "versus". Returns -1 on ENOMEM. */
static int versus(const an_sem_in *in, const uint8_t *vhalf, const uint8_t *cau, int nm,
                  an_sem_out *out, json_t *root)
{
    static const int pairs[][2] = {{M_GLEARNED, M_GDIST}, {M_LEARNED, M_DIST},
                                   {M_GLEARNED, M_GSIZE}, {M_LEARNED, M_SIZE},
                                   {M_GSITES, M_GDIST}, {M_SITES, M_DIST}};
    size_t nv = in->c->nv;
    json_t *arr = json_array();
    if (!arr) return -1;
    for (size_t q = 0; q < sizeof pairs / sizeof pairs[0]; q++) {
        int a = pairs[q][0], o = pairs[q][1];
        if (a >= nm) continue;
        double W = 0, D = 0, V = 0, ma = 0, mo = 0;
        for (size_t t = 0; t < in->ntypes; t++) {
            double n = 0, sa = 0, so = 0, sd = 0, sd2 = 0;
            for (size_t j = 0; j < nv; j++) {
                if (vhalf[j] != 1 || in->vtype[j] != t) continue;
                double ca = cau[(size_t)a * nv + j], co = cau[(size_t)o * nv + j], d = ca - co;
                n++;
                sa += ca;
                so += co;
                sd += d;
                sd2 += d * d;
            }
            if (n == 0) continue;
            double wt = in->type_weight ? in->type_weight[t] : 1.0;
            double md = sd / n, var = n > 1 ? (sd2 - n * md * md) / (n - 1) : 0.0;
            W += wt;
            D += wt * md;
            V += wt * wt * (var > 0 ? var : 0.0) / n;
            ma += wt * sa / n;
            mo += wt * so / n;
        }
        if (W <= 0) continue;
        struct an_sem_vs *v = &out->vs[out->n_vs++];
        v->metric = k_mnames[a];
        v->against = k_mnames[o];
        v->mean = ma / W;
        v->mean_against = mo / W;
        v->diff = D / W;
        v->se = sqrt(V) / W;
        json_t *e = json_pack("{s:s, s:s, s:f, s:f, s:f, s:f, s:b}", "metric", v->metric,
                              "against", v->against, "mean_recall", v->mean,
                              "mean_recall_against", v->mean_against, "diff", v->diff, "se",
                              v->se, "better", v->diff > 2 * v->se);
        if (!e || json_array_append_new(arr, e)) {
            json_decref(arr);
            return -1;
        }
    }
    json_object_set_new(root, "versus", arr);
    json_object_set_new(root, "versus_note",
                        json_string("paired on the test probes at the headline ratio, every "
                                    "type weighted as the recommendation weighs it (syntax and "
                                    "undefined-name included): diff = mean_recall - "
                                    "mean_recall_against, se its standard error; better: diff "
                                    "> 2 se"));
    return 0;
}

json_t *an_semantic(const an_sem_in *in, an_sem_out *out)
{
    const an_corpus *c = in->c;
    size_t nc = c->nc, nv = c->nv;
    memset(out, 0, sizeof *out);
    json_t *root = json_object();
    double *X = malloc((nc + nv) * NF * sizeof *X);
    uint8_t *y = malloc(nc + nv);
    uint8_t *chalf = malloc(nc ? nc : 1), *vhalf = malloc(nv ? nv : 1);
    double *cs = malloc((nc ? nc : 1) * sizeof *cs);
    /* per metric and test probe: caught at the headline ratio (the paired comparisons) */
    uint8_t *cau = calloc((size_t)M_COUNT * (nv ? nv : 1), 1);
    if (!root || !X || !y || !chalf || !vhalf || !cs || !cau) goto oom;
    /* half 0 train, 1 test, 2 left out (in the n-gram sample, or the original unknown), 3 the
     * main set's half 1 when the held-out set tests (reported as the same-seed comparison) */
    size_t nv_main = in->nv_main && in->nv_main < nv ? in->nv_main : nv;
    int heldout = nv_main < nv;
    size_t nout_c = 0, nout_v = 0, nwrong = 0;
    for (size_t g = 0; g < nc; g++) {
        chalf[g] = in->cfit && in->cfit[g] ? 2
                   : in->chalf             ? (uint8_t)(in->chalf[g] & 1)
                                           : (uint8_t)an_sem_half(c->crnd[g]);
        nout_c += chalf[g] == 2;
    }
    for (size_t j = 0; j < nv; j++) {
        vhalf[j] = c->vorig[j] >= 0 ? chalf[c->vorig[j]] : 2;
        if (heldout && j < nv_main && vhalf[j] == 1) vhalf[j] = 3;
        if (j >= nv_main && vhalf[j] == 0) { /* a held-out probe of the training half: never */
            vhalf[j] = 2;
            nwrong++;
        }
        nout_v += vhalf[j] == 2;
    }
    /* training set: half 0 (rows of nf features) */
    size_t nf = in->have_sites ? NF : NF - 1;
    size_t n = 0;
    double fr[NF];
    for (size_t g = 0; g < nc; g++)
        if (chalf[g] == 0) {
            features(in, 0, g, fr);
            memcpy(X + n * nf, fr, nf * sizeof *fr);
            y[n++] = 0;
        }
    size_t ntr_v = 0;
    for (size_t j = 0; j < nv_main; j++)
        if (vhalf[j] == 0) {
            features(in, 1, j, fr);
            memcpy(X + n * nf, fr, nf * sizeof *fr);
            y[n++] = 1;
            ntr_v++;
        }
    double w[NF] = {0}, b = 0;
    if (an_logistic_fit(X, y, n, nf, w, &b)) goto oom;
    memcpy(out->w, w, sizeof w);
    out->b = b;
    static const char *const fn[NF] = {"distance", "log1p_cluster_size", "parse_error",
                                       "undefined_name", "naturalness", "log1p_length", "sites"};
    json_t *jw = json_object();
    for (size_t k = 0; k < nf; k++) json_object_set_new(jw, fn[k], json_real(w[k]));
    json_object_set_new(jw, "bias", json_real(b));
    json_object_set_new(root, "learned_weights", jw);
    char ev[1024];
    snprintf(ev, sizeof ev,
             "held-out halves: the learned model is fitted on the corruptions of half 0 of the "
             "files (half = bit 0 of XXH3(id, seed \"half\"), sciprune_id_half) made with "
             "corrupt seed %lld, against half 0's clean records; every metric here is evaluated "
             "on half 1 only: %s, mixed into half 1's clean records. The halves share no "
             "original file. Files in the naturalness model's fit sample (and corruptions of "
             "them) are in neither half: the model has seen their original text.",
             (long long)in->seed_main,
             heldout ? "the held-out probe set, corruptions made from half 1 only with a "
                       "different seed (see test_probes)"
                     : "the same corrupt run's corruptions of half 1 (same seed: no held-out "
                       "probe set beside the corrupted shards)");
    json_object_set_new(root, "evaluation", json_string(ev));
    json_object_set_new(root, "train_probes",
                        json_pack("{s:s, s:I, s:i}", "set", "main (the corrupt stage)", "seed",
                                  (json_int_t)in->seed_main, "half", 0));
    json_object_set_new(root, "test_probes",
                        json_pack("{s:s, s:I, s:i, s:b}", "set",
                                  heldout ? "held-out (heldout/ beside the corrupted shards)"
                                          : "main (same seed)",
                                  "seed", (json_int_t)(heldout ? in->seed_heldout : in->seed_main),
                                  "half", 1, "different_seed",
                                  heldout && in->seed_heldout != in->seed_main));
    if (heldout)
        json_object_set_new(root, "n_heldout_wrong_half", json_integer((json_int_t)nwrong));
    json_object_set_new(root, "learned_trained_on",
                        json_string("every corruption type (half 0) against clean records "
                                    "(half 0)"));
    json_object_set_new(root, "naturalness_available", json_boolean(in->have_nat));
    if (in->have_sites) json_object_set_new(root, "sites_available", json_true());
    json_object_set_new(root, "n_train_clean", json_integer((json_int_t)(n - ntr_v)));
    json_object_set_new(root, "n_train_variants", json_integer((json_int_t)ntr_v));
    size_t nte_c = 0, nte_v = 0;
    for (size_t g = 0; g < nc; g++) nte_c += chalf[g] == 1;
    for (size_t j = 0; j < nv; j++) nte_v += vhalf[j] == 1;
    json_object_set_new(root, "n_left_out_clean", json_integer((json_int_t)nout_c));
    json_object_set_new(root, "n_left_out_variants", json_integer((json_int_t)nout_v));
    json_object_set_new(root, "n_test_clean", json_integer((json_int_t)nte_c));
    json_object_set_new(root, "n_test_variants", json_integer((json_int_t)nte_v));
    json_t *jr = json_array();
    for (size_t r = 0; r < in->nr; r++) json_array_append_new(jr, json_real(in->ratios[r]));
    json_object_set_new(root, "ratios", jr);
    json_t *rec = json_object(), *mean = json_object(), *mean3 = json_object();
    json_t *sbl = json_object(); /* syntax_recall_by_lang: {lang: {metric: [R]}} */
    size_t nl = in->vlang && in->lang_names ? in->nlangs : 0;
    size_t *stot = calloc(nl ? nl : 1, sizeof *stot);
    size_t *scau = calloc((nl ? nl : 1) * SCIPRUNE_SWEEP_MAX, sizeof *scau);
    if (!stot || !scau) {
        free(stot); free(scau); json_decref(rec); json_decref(mean); json_decref(mean3);
        json_decref(sbl);
        goto oom;
    }
    int nm = in->have_sites ? M_COUNT : M_SITES; /* sites, gate+sites only with the signal */
    size_t ri = in->nr; /* the headline ratio's index */
    for (size_t r = 0; r < in->nr; r++)
        if (fabs(in->ratios[r] - in->ratio) < 1e-9) ri = r;
    for (int pass = heldout ? 3 : 1; pass >= 1; pass -= 2) /* 3: same-seed comparison first */
    for (int m = 0; m < nm; m++) {
        size_t k = 0;
        double f[NF];
        for (size_t g = 0; g < nc; g++)
            if (chalf[g] == 1) {
                features(in, 0, g, f);
                cs[k++] = mscore(m, f, c->crnd[g], w, nf, b);
            }
        qsort(cs, k, sizeof *cs, cmp_desc);
        json_t *per = json_object();
        double msum[SCIPRUNE_SWEEP_MAX] = {0};
        size_t mcount = 0;
        memset(stot, 0, (nl ? nl : 1) * sizeof *stot);
        memset(scau, 0, (nl ? nl : 1) * SCIPRUNE_SWEEP_MAX * sizeof *scau);
        for (size_t t = 0; t < in->ntypes; t++) {
            size_t tot = 0, caught[SCIPRUNE_SWEEP_MAX] = {0};
            for (size_t j = 0; j < nv; j++) {
                if (vhalf[j] != (uint8_t)pass || in->vtype[j] != t) continue;
                features(in, 1, j, f);
                double s = mscore(m, f, c->vrnd[j], w, nf, b);
                size_t ahead = n_at_least(cs, k, s);
                tot++;
                if (pass == 1 && ri < in->nr)
                    cau[(size_t)m * nv + j] = ahead < rank_budget(in->ratios[ri], k);
                for (size_t r = 0; r < in->nr; r++) caught[r] += ahead < rank_budget(in->ratios[r], k);
                if (nl && !in->type_content[t] && in->vlang[j] < nl) {
                    stot[in->vlang[j]]++;
                    for (size_t r = 0; r < in->nr; r++)
                        scau[in->vlang[j] * SCIPRUNE_SWEEP_MAX + r] += ahead < rank_budget(in->ratios[r], k);
                }
            }
            json_t *a = json_array();
            for (size_t r = 0; r < in->nr; r++)
                json_array_append_new(a, tot ? json_real((double)caught[r] / (double)tot) : json_null());
            if (pass == 1) json_object_set_new(per, in->type_names[t], a);
            else json_decref(a);
            if (tot && in->type_content[t] && strcmp(in->type_names[t], "undefined-name")) {
                for (size_t r = 0; r < in->nr; r++) msum[r] += (double)caught[r] / (double)tot;
                mcount++;
            }
        }
        if (pass == 1) json_object_set_new(rec, k_mnames[m], per);
        else json_decref(per);
        for (size_t l = 0; pass == 1 && l < nl; l++) {
            if (!stot[l]) continue;
            json_t *lo = json_object_get(sbl, in->lang_names[l]);
            if (!lo) json_object_set_new(sbl, in->lang_names[l], lo = json_object());
            json_t *a = json_array();
            for (size_t r = 0; r < in->nr; r++)
                json_array_append_new(a, json_real((double)scau[l * SCIPRUNE_SWEEP_MAX + r] /
                                                   (double)stot[l]));
            json_object_set_new(lo, k_mnames[m], a);
        }
        json_t *a = json_array();
        for (size_t r = 0; r < in->nr; r++) {
            double v = mcount ? msum[r] / (double)mcount : NAN;
            json_array_append_new(a, mcount ? json_real(v) : json_null());
            if (pass == 1 && fabs(in->ratios[r] - in->ratio) < 1e-9) out->mean_at_ratio[m] = v;
        }
        json_object_set_new(pass == 1 ? mean : mean3, k_mnames[m], a);
    }
    free(stot);
    free(scau);
    json_object_set_new(root, "syntax_recall_by_lang", sbl);
    json_object_set_new(root, "syntax_recall_by_lang_note",
                        json_string("the share of each language's syntax probes (test set, every "
                                    "syntax type pooled) caught at each ratio"));
    if (heldout) {
        json_object_set_new(root, "mean_content_recall_same_seed", mean3);
        json_object_set_new(root, "same_seed_note",
                            json_string("for comparison only: the main set's corruptions of "
                                        "half 1 (the training seed), same metrics and clean "
                                        "records"));
    } else
        json_decref(mean3);
    json_object_set_new(root, "recall", rec);
    json_object_set_new(root, "mean_content_recall", mean);
    json_object_set_new(root, "mean_content_recall_excludes",
                        json_string("syntax types and undefined-name"));
    out->n_metrics = (size_t)nm;
    for (int m = 0; m < nm; m++) out->names[m] = k_mnames[m];
    if (ri < in->nr && versus(in, vhalf, cau, nm, out, root)) goto oom;
    free(X); free(y); free(chalf); free(vhalf); free(cs); free(cau);
    return root;
oom:
    json_decref(root);
    free(X); free(y); free(chalf); free(vhalf); free(cs); free(cau);
    return NULL;
}
