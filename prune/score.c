/*
 * score.c - rank every record by each metric and plan what each variant prunes (stage 5).
 *
 * Records get a global index g in (shard order, line order): shard i's rows start at
 * off[i]. The keys and plan rules are rank/rank.h's (shared with analyze/); in short: each
 * metric is a total order over the accepted records, built by sorting
 * (key, g) pairs: ties in the key fall back to g, i.e. (shard index, line). Keys (ascending
 * = pruned first):
 *   size         (rank of the record's cluster by (size, id), 32 bits) << 32 | ~dist
 *   distance     ~dist, where dist is mapped to an order-preserving uint32
 *   distance-pc  floor(pos * 2^64 / size): pos = 0-based rank of the record inside its
 *                cluster by (~dist, g); distinct fractions pos/size stay distinct and ordered
 *                since sizes are below 2^32
 *   random       XXH3(id, seed ^ RANK_RANDOM_SEED_XOR)
 *   length       ~text length
 *   gate+FILL    plans, no order of their own: every record with
 *                W/gates/<shard>.parse_error.npy or .undefined_name.npy > 0 first (all of
 *                them, even past n), then FILL's order fills up to n skipping gated records
 *                (gate+combined: floor(alpha * (n - gated) + 0.5) by size, the rest by
 *                distance)
 * Decontamination (W/decontam/, sciprune_decontam_run): when it ran, the records it removed
 * leave the corpus before anything is ranked (out of "accepted", the clusters' sizes and every
 * order) and are pruned in every variant on top of its budget, like a gate; plan.json's
 * n_pruned counts them, "n_decontam" says how many (apply_decontam, decontam_mark).
 * A variant with ratio p prunes n = floor(p * accepted + 0.5) records: the first n of its
 * order; combined takes n_s = floor(alpha * n + 0.5) of the size order, then the first
 * n - n_s records of the distance (or distance-pc) order not taken yet. Every threshold is
 * exact: the whole corpus is ranked in memory (about 40 bytes per record at most). Over MPI
 * ranks (sciprune_score_sweep_part, at the end of this file) no rank ranks the whole corpus:
 * each cut is found by histogram SUM reduces over (key, g) (cut.c), with the same result.
 * plan.json's cluster "mean" is an exact sum (sum_add: per-exponent integer bins, rounded
 * once), so it does not depend on the order of the records or on how they are dealt out.
 *
 * Budget (settings.budget, score.budget): with "records" (the default) the counts above. With
 * "bytes" or "tokens" each accepted record weighs w (its JSONL line bytes + 1, or
 * sciprune_tokens_approx of its text, read from the input shards) and the budget is
 * B = p x W, W the accepted total: the gated records count first, then each step walks its
 * order and takes the next record while 2 x (taken + w) <= 2 x goal + w, i.e. while taking it
 * leaves the total nearer to the goal (a tie takes it), and stops at the first that does not
 * (the record that crosses the goal). Combined's size step has the goal
 * alpha x (B - gated), its distance step the goal B over everything taken. So each variant
 * prunes B to within half of one record's weight (more only when the gates alone exceed B).
 * The walk is sequential over a total order: thresholds stay exact and do not depend on the
 * thread count. With unit weights the rule gives floor(p * N + 0.5), the records rule.
 *
 * Per language (settings.per_lang, score.per_lang "proportional"; run_variant_lang): the
 * shards are read for each record's language and the plan above is made for each language L
 * on its own: N_L accepted records, L's gated records first (all of them), n_L =
 * floor(p * N_L + 0.5) (a bytes or tokens budget: goal p x L's total), each step walking the
 * metric's global order restricted to L (lord: the order grouped by language, stable). So each
 * variant has one threshold per language (a split over ranks reduces a histogram per
 * language); the variant prunes the sum of the n_L, which can differ from the global n by
 * rounding (at most half a record per language). "global" (the default) is the plan above.
 *
 * Files written:
 *   score/<shard>.prune.npy  '|u1', shape (N, B), B = ceil(V / 8): bit (v % 8) of byte v / 8
 *                            (little bit order) is 1 when variant v prunes the line; rows of
 *                            rejected lines are 0. numpy: np.unpackbits(a, axis=1,
 *                            bitorder='little')[:, :V]
 *   score/plan.json          {"variants": [{"name", "metric", "ratio", "alpha", "bit",
 *                            "n_pruned", "n_kept", "threshold": {...}}], "clusters": [{"id",
 *                            "size", "dist": {min, p10, p25, p50, p75, p90, max, mean},
 *                            "pruned": [V counts]}], "shards": [{"name", "rows", "accepted"}],
 *                            "k", "n_records", "n_accepted", "n_rejected", "seed",
 *                            "random_key", "mask_bytes", "seconds", "peak_rss", "per_lang"}
 *                            Each variant also has "per_lang"; with proportional the plan
 *                            has "languages": [{"lang", "accepted"}] and each threshold
 *                            "per_lang": {lang: {"n_accepted", "n_pruned", "n_gated",
 *                            "n_fill" (gate plans), "budget_goal", "budget_pruned" (bytes,
 *                            tokens), "last" (the last record taken)}}
 *                            With a bytes or tokens budget also "budget": {"unit", "total"}
 *                            and in each variant's threshold "budget_goal" (p x total),
 *                            "budget_pruned" (units pruned) and, for gate plans,
 *                            "budget_gated"; n_pruned stays a record count.
 */
#include "prune_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sciprune_score_settings_default(sciprune_score_settings *s)
{
    memset(s, 0, sizeof *s);
    s->metrics[0] = SCIPRUNE_METRIC_COMBINED;
    s->n_metrics = 1;
    s->ratios[0] = 0.2;
    s->n_ratios = 1;
    s->alphas[0] = 0.8;
    s->n_alphas = 1;
    s->seed = 1234;
    s->threads = 0;
    s->read_shards = 0;
    sciprune_shard_options_default(&s->shard);
}

/* Split a comma list into trimmed items; calls fn for each. */
static sciprune_status each_item(const char *list, const char *what,
                                 sciprune_status (*fn)(const char *, void *, sciprune_error *),
                                 void *ctx, sciprune_error *err)
{
    char buf[1024];
    if (strlen(list) >= sizeof buf)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "%s list too long", what);
    strcpy(buf, list);
    char *save = NULL;
    int any = 0;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ') t++;
        size_t l = strlen(t);
        while (l && t[l - 1] == ' ') t[--l] = '\0';
        if (!l) continue;
        sciprune_status st = fn(t, ctx, err);
        if (st) return st;
        any = 1;
    }
    if (!any) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "empty %s list", what);
    return SCIPRUNE_OK;
}

typedef struct num_list {
    double *v;
    size_t n;
    const char *what;
} num_list;

static sciprune_status add_num(const char *t, void *ctx, sciprune_error *err)
{
    num_list *l = ctx;
    char *end;
    double x = strtod(t, &end);
    if (end == t || *end)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "bad %s '%s' (want a number in [0, 1])",
                      l->what, t);
    return sp_sweep_add(l->v, &l->n, x, l->what, err); /* range, duplicates, count */
}

typedef struct metric_list {
    sciprune_score_metric v[SCIPRUNE_SWEEP_MAX];
    size_t n;
} metric_list;

static sciprune_status add_metric(const char *t, void *ctx, sciprune_error *err)
{
    metric_list *l = ctx;
    sciprune_score_metric m;
    sciprune_status st = sciprune_score_metric_parse(t, &m, err);
    if (st) return st;
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] == m) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "metric %s given twice", t);
    if (l->n == SCIPRUNE_SWEEP_MAX)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "at most %d metrics", SCIPRUNE_SWEEP_MAX);
    l->v[l->n++] = m;
    return SCIPRUNE_OK;
}

sciprune_status sciprune_score_settings_parse(sciprune_score_settings *s, const char *metrics,
                                              const char *ratios, const char *alphas,
                                              sciprune_error *err)
{
    sciprune_status st;
    if (metrics) {
        metric_list l = {.n = 0};
        if ((st = each_item(metrics, "metric", add_metric, &l, err))) return st;
        memcpy(s->metrics, l.v, sizeof l.v);
        s->n_metrics = l.n;
    }
    if (ratios) {
        double v[SCIPRUNE_SWEEP_MAX];
        num_list l = {v, 0, "ratio"};
        if ((st = each_item(ratios, "ratio", add_num, &l, err))) return st;
        memcpy(s->ratios, v, l.n * sizeof *v);
        s->n_ratios = l.n;
    }
    if (alphas) {
        double v[SCIPRUNE_SWEEP_MAX];
        num_list l = {v, 0, "alpha"};
        if ((st = each_item(alphas, "alpha", add_num, &l, err))) return st;
        memcpy(s->alphas, v, l.n * sizeof *v);
        s->n_alphas = l.n;
    }
    return SCIPRUNE_OK;
}

/* ---------------------------------------------------------------- ranking */

/* The plan orders of rank.h, and the cluster-by-cluster order distance-pc's positions come
 * from. */
enum { ORD_SIZE = RANK_ORD_SIZE, ORD_DIST = RANK_ORD_DIST, ORD_PC = RANK_ORD_PC,
       ORD_RANDOM = RANK_ORD_RANDOM, ORD_LENGTH = RANK_ORD_LENGTH, ORD_NAT = RANK_ORD_NAT,
       ORD_LEARNED = RANK_ORD_LEARNED, ORD_SITES = RANK_ORD_SITES, ORD_CLUSTER = RANK_ORD_COUNT,
       ORD_COUNT };

/* The language names one shard's reader met (score.per_lang). */
#define LANG_MAX 1024
typedef struct lang_tab {
    char *name[LANG_MAX];
    size_t n;
} lang_tab;

typedef struct scorer {
    const char *workdir;
    const sciprune_shard_set *shards;
    const sciprune_score_settings *set;
    size_t k;
    uint64_t ntot, nacc;
    uint64_t *off;        /* shard i's rows start at off[i]; n + 1 entries */
    uint64_t *acc_shard;  /* accepted per shard */
    int32_t *cl;          /* ntot */
    float *ds;            /* ntot */
    uint32_t *len;        /* ntot or NULL */
    uint64_t *idh;        /* ntot or NULL */
    uint64_t *w;          /* ntot or NULL: the budget weight of each record (bytes, tokens) */
    uint64_t wtot;        /* sum of w over the accepted records */
    int ids_from_shards;
    uint64_t *size;       /* k: accepted records per cluster */
    uint32_t *crank;      /* k: rank of a cluster by (size, id) */
    uint32_t *pos;        /* ntot: rank inside the cluster by (~dist, g) (after ORD_CLUSTER) */
    uint32_t *ord[ORD_COUNT]; /* nacc each, computed on demand */
    uint8_t *gated;       /* ntot or NULL: bit 0 parse_error > 0, bit 1 undefined_name > 0 */
    uint8_t *gated_auto;  /* ntot or NULL: the same with the gates the analysis judged per
                             language (W/analyze/clean.*.npy), for metric auto */
    uint8_t *contam;      /* ntot or NULL: removed by decontam (W/decontam/); such records have
                             cl = -1 here and are not counted in nacc */
    uint64_t ncontam;
    float *nat;           /* ntot or NULL: W/embed/<shard>.naturalness.npy */
    float *sites;         /* ntot or NULL: W/embed/<shard>.sites.npy (0 where the workdir has
                             none and only learned asked) */
    float *learned;       /* ntot or NULL: the analysis' logistic model over the signals */
    double lw[RANK_LEARNED_NF], lb; /* its weights and bias */
    /* Languages (read from the shards when score.per_lang is proportional; else NULL). */
    uint16_t *lang;       /* ntot: index into lang_names (a shard-local index while reading) */
    lang_tab *ltab;       /* shards->n: the names each shard's reader met, in order of meeting */
    char **lang_names;    /* nlang, sorted by name; owned */
    size_t nlang;
    uint64_t *loff;       /* nlang + 1: accepted records of the languages before L (prefix) */
    uint64_t *lwtot;      /* nlang: budget weight of L's accepted records (bytes, tokens) */
    uint32_t *lord[ORD_COUNT]; /* nacc each: ord[] grouped by language, stable (loff's ranges) */
    uint64_t *row0;       /* NULL, or (over ranks: `shards` is this rank's part) the first row of
                             each shard in W/analyze/clean.*.npy */
} scorer;

/* Everything a scorer owns (both score paths: one process and over ranks). */
static void scorer_free(scorer *sc)
{
    free(sc->off);
    free(sc->acc_shard);
    free(sc->cl);
    free(sc->ds);
    free(sc->len);
    free(sc->idh);
    free(sc->w);
    free(sc->size);
    free(sc->crank);
    free(sc->pos);
    free(sc->gated);
    free(sc->gated_auto);
    free(sc->contam);
    free(sc->nat);
    free(sc->learned);
    free(sc->sites);
    for (int i = 0; i < ORD_COUNT; i++) {
        free(sc->ord[i]);
        free(sc->lord[i]);
    }
    free(sc->lang);
    for (size_t i = 0; sc->ltab && i < sc->shards->n; i++)
        for (size_t j = 0; j < sc->ltab[i].n; j++) free(sc->ltab[i].name[j]);
    free(sc->ltab);
    for (size_t L = 0; sc->lang_names && L < sc->nlang; L++) free(sc->lang_names[L]);
    free(sc->lang_names);
    free(sc->loff);
    free(sc->lwtot);
    free(sc->row0);
    memset(sc, 0, sizeof *sc);
}

static uint32_t shard_of(const scorer *sc, uint64_t g)
{
    size_t lo = 0, hi = sc->shards->n; /* off[lo] <= g < off[hi] */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (sc->off[mid] <= g) lo = mid;
        else hi = mid;
    }
    return (uint32_t)lo;
}

static uint64_t addr_hash(const scorer *sc, uint64_t g)
{
    uint32_t i = shard_of(sc, g);
    return rank_key_random_addr(sc->shards->names[i], g - sc->off[i] + 1, sc->set->seed);
}

static uint64_t make_key(const scorer *sc, int which, uint64_t g)
{
    switch (which) {
    case ORD_SIZE: return rank_key_size(sc->crank[sc->cl[g]], sc->ds[g]);
    case ORD_DIST: return rank_key_distance(sc->ds[g]);
    case ORD_CLUSTER: return rank_key_cluster(sc->cl[g], sc->ds[g]);
    case ORD_PC: return rank_key_pc(sc->pos[g], sc->size[sc->cl[g]]);
    case ORD_RANDOM: return sc->idh ? sc->idh[g] : addr_hash(sc, g);
    case ORD_LENGTH: return rank_key_length(sc->len[g]);
    case ORD_NAT: return rank_key_signal(sc->nat[g]);
    case ORD_LEARNED: return rank_key_signal(sc->learned[g]);
    case ORD_SITES: return rank_key_signal(sc->sites[g]);
    }
    return 0;
}

static sciprune_status build_order(scorer *sc, int which, sciprune_error *err)
{
    if (sc->ord[which]) return SCIPRUNE_OK;
    if (which == ORD_PC) {
        sciprune_status st = build_order(sc, ORD_CLUSTER, err);
        if (st) return st;
    }
    rank_kg *a = malloc((sc->nacc ? sc->nacc : 1) * sizeof *a);
    uint32_t *o = malloc((sc->nacc ? sc->nacc : 1) * sizeof *o);
    if (!a || !o) {
        free(a);
        free(o);
        return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory ranking %llu records",
                      (unsigned long long)sc->nacc);
    }
    size_t m = 0;
    for (uint64_t g = 0; g < sc->ntot; g++)
        if (sc->cl[g] >= 0) a[m++] = (rank_kg){make_key(sc, which, g), (uint32_t)g, 0};
    rank_sort(a, m);
    for (size_t i = 0; i < m; i++) o[i] = a[i].g;
    free(a);
    sc->ord[which] = o;
    if (which == ORD_CLUSTER) rank_cluster_positions(o, m, sc->cl, sc->pos);
    return SCIPRUNE_OK;
}

/* ---------------------------------------------------------------- variants */

typedef struct variant {
    char name[128];
    sciprune_score_metric metric;
    double ratio, alpha; /* alpha < 0 when not combined */
    int is_auto;         /* metric auto, resolved to metric and alpha */
} variant;

/* Shortest "%.Nf" (N >= 2) that reads back as x. */
static void fmt_num(char *out, size_t cap, double x)
{
    for (int p = 2; p <= 9; p++) {
        snprintf(out, cap, "%.*f", p, x);
        if (strtod(out, NULL) == x) return;
    }
    snprintf(out, cap, "%.17g", x);
}

static int bit_get(const uint8_t *mask, size_t nb, uint64_t g, size_t v)
{
    return (mask[g * nb + v / 8] >> (v % 8)) & 1;
}

static void bit_set(uint8_t *mask, size_t nb, uint64_t g, size_t v)
{
    mask[g * nb + v / 8] |= (uint8_t)(1u << (v % 8));
}

static json_t *record_ref(const scorer *sc, uint64_t g)
{
    uint32_t i = shard_of(sc, g);
    return json_pack("{s:s, s:I}", "shard", sc->shards->names[i], "line",
                     (json_int_t)(g - sc->off[i] + 1));
}

/* Describe the size threshold of the first n records of size order into th. */
static void describe_size(const scorer *sc, uint64_t n, json_t *th,
                          uint64_t *tmp_count /* k, zeroed, left zeroed */)
{
    const uint32_t *o = sc->ord[ORD_SIZE];
    for (uint64_t i = 0; i < n; i++) tmp_count[sc->cl[o[i]]]++;
    uint64_t whole = 0, maxwhole = 0;
    int64_t partial = -1;
    uint64_t partial_n = 0;
    for (uint64_t i = 0; i < n; i++) { /* visit each touched cluster once, in size order */
        int32_t c = sc->cl[o[i]];
        if (i && sc->cl[o[i - 1]] == c) continue;
        if (tmp_count[c] == sc->size[c]) {
            whole++;
            if (sc->size[c] > maxwhole) maxwhole = sc->size[c];
        } else {
            partial = c;
            partial_n = tmp_count[c];
        }
    }
    for (uint64_t i = 0; i < n; i++) tmp_count[sc->cl[o[i]]] = 0;
    json_object_set_new(th, "clusters_whole", json_integer((json_int_t)whole));
    json_object_set_new(th, "cluster_size_max_whole", json_integer((json_int_t)maxwhole));
    json_object_set_new(th, "partial_cluster", json_integer(partial));
    json_object_set_new(th, "partial_pruned", json_integer((json_int_t)partial_n));
    if (partial >= 0) json_object_set_new(th, "partial_distance_min", json_real(sc->ds[o[n - 1]]));
    if (n) json_object_set_new(th, "size_last", record_ref(sc, o[n - 1]));
}

static void describe_dist(const scorer *sc, int pc, uint64_t last, json_t *th)
{
    if (last == UINT64_MAX) return;
    if (pc)
        json_object_set_new(th, "percentile_max",
                            json_real((double)sc->pos[last] / (double)sc->size[sc->cl[last]]));
    else
        json_object_set_new(th, "distance_min", json_real(sc->ds[last]));
    json_object_set_new(th, "distance_last", record_ref(sc, last));
}

/* Over ranks: the analysis' row of record g (the first of a shard: its row0), *sj the shard. */
static uint64_t part_row(const scorer *sc, uint64_t g, size_t *sj, uint64_t row)
{
    while (*sj < sc->shards->n && g == sc->off[*sj]) row = sc->row0[(*sj)++];
    return row;
}

/* Load W/analyze/clean.{parse_error,undefined_name}.npy (one value per accepted record, in
 * (shard, line) order, 0 where the analysis judged a gate off for the record's language) into
 * sc->gated_auto (once): the gates of metric auto when it resolves to a plan. */
static sciprune_status load_gates_auto(scorer *sc, sciprune_error *err)
{
    if (sc->gated_auto) return SCIPRUNE_OK;
    sc->gated_auto = calloc(sc->ntot ? sc->ntot : 1, 1);
    if (!sc->gated_auto) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    static const sp_wfile name[2] = {SP_WF_ANALYZE_CLEAN_PE, SP_WF_ANALYZE_CLEAN_UN};
    for (int k = 0; k < 2; k++) {
        char *p = sp_wpath(sc->workdir, name[k], NULL);
        if (!p) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        sp_npy a;
        sciprune_status st = sp_npy_open(&a, p, err);
        if (st == SCIPRUNE_EIO)
            st = sp_err(err, SCIPRUNE_ESTATE, p, -1, -1, "missing: auto needs the analysis' gates");
        if (!st && (a.dtype != SP_NPY_F32 || a.cols || a.rows != sc->nacc + sc->ncontam)) {
            sp_npy_close(&a);
            st = sp_err(err, SCIPRUNE_ESTATE, p, -1, -1,
                        "want a float32 vector of the %llu accepted records: the analysis is "
                        "of another corpus", (unsigned long long)(sc->nacc + sc->ncontam));
        }
        free(p);
        if (st) return st;
        const float *v = a.data;
        uint64_t row = 0; /* the analysis' rows: every accepted record, decontaminated too */
        size_t sj = 0;
        for (uint64_t g = 0; g < sc->ntot; g++) {
            if (sc->row0) row = part_row(sc, g, &sj, row);
            if ((sc->cl[g] >= 0 || (sc->contam && sc->contam[g])) && v[row++] > 0.0f &&
                sc->cl[g] >= 0)
                sc->gated_auto[g] |= (uint8_t)(1u << k);
        }
        sp_npy_close(&a);
    }
    return SCIPRUNE_OK;
}

/* Load W/gates/<shard>.{parse_error,undefined_name}.npy into sc->gated (once). */
static sciprune_status load_gates(scorer *sc, sciprune_error *err)
{
    if (sc->gated) return SCIPRUNE_OK;
    sc->gated = calloc(sc->ntot ? sc->ntot : 1, 1);
    if (!sc->gated) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    static const sp_wfile suf[2] = {SP_WF_GATE_PARSE_ERROR, SP_WF_GATE_UNDEFINED_NAME};
    for (size_t i = 0; i < sc->shards->n; i++)
        for (int k = 0; k < 2; k++) {
            char *p = sp_wpath(sc->workdir, suf[k], sc->shards->names[i]);
            if (!p) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            sp_npy a;
            sciprune_status st = sp_npy_open(&a, p, err);
            if (st == SCIPRUNE_EIO)
                st = sp_err(err, SCIPRUNE_ESTATE, p, -1, -1, "missing: run `sciprune gates` first");
            uint64_t rows = sc->off[i + 1] - sc->off[i];
            if (!st && (a.dtype != SP_NPY_F32 || a.cols || a.rows != rows)) {
                sp_npy_close(&a);
                st = sp_err(err, SCIPRUNE_ESTATE, p, -1, -1,
                            "want a float32 vector of %llu rows like assign/",
                            (unsigned long long)rows);
            }
            free(p);
            if (st) return st;
            const float *v = a.data;
            for (uint64_t r = 0; r < rows; r++)
                if (v[r] > 0.0f && sc->cl[sc->off[i] + r] >= 0)
                    sc->gated[sc->off[i] + r] |= (uint8_t)(1u << k);
            sp_npy_close(&a);
        }
    return SCIPRUNE_OK;
}

/* One step of a bytes or tokens budget: walk order[0..len) and take the records not taken yet
 * while 2 x (*cum + w) <= 2 x goal + w (taking leaves *cum nearer to goal; a tie takes), stop
 * at the first that does not. *cum grows by what is taken, *taken gets the count. Returns the
 * last record taken (UINT64_MAX: none). */
static uint64_t take_weighted(const scorer *sc, const uint32_t *order, uint64_t len, uint8_t *mark,
                              size_t stride, uint8_t bit, double goal, uint64_t *cum,
                              uint64_t *taken)
{
    uint64_t last = UINT64_MAX, t = 0;
    for (uint64_t i = 0; i < len; i++) {
        uint8_t *b = &mark[(size_t)order[i] * stride];
        if (*b & bit) continue;
        uint64_t w = sc->w[order[i]];
        if (2.0 * (double)(*cum + w) > 2.0 * goal + (double)w) break;
        *b |= bit;
        *cum += w;
        last = order[i];
        t++;
    }
    *taken = t;
    return last;
}

/* One per-record signal W/embed/<shard>.<name>.npy (sp_wsignal_path) into dst (ntot floats).
 * optional: a missing file of the first shard leaves dst at 0 and sets *absent (no error).
 * Errors: ESTATE (missing, wrong shape), ENOMEM. */
static sciprune_status load_signal(scorer *sc, const char *name, const char *why, int optional,
                                   float *dst, int *absent, sciprune_error *err)
{
    if (absent) *absent = 0;
    for (size_t i = 0; i < sc->shards->n; i++) {
        char *p = sp_wsignal_path(sc->workdir, sc->shards->names[i], name);
        if (!p) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        sp_npy a;
        uint64_t rows = sc->off[i + 1] - sc->off[i];
        if (optional && i == 0 && access(p, F_OK) != 0) {
            free(p);
            memset(dst, 0, (sc->ntot ? sc->ntot : 1) * sizeof *dst);
            if (absent) *absent = 1;
            return SCIPRUNE_OK;
        }
        sciprune_status st = sp_npy_open(&a, p, err);
        if (st == SCIPRUNE_EIO) st = sp_err(err, SCIPRUNE_ESTATE, p, -1, -1, "missing: %s", why);
        if (!st && (a.dtype != SP_NPY_F32 || a.cols || a.rows != rows)) {
            sp_npy_close(&a);
            st = sp_err(err, SCIPRUNE_ESTATE, p, -1, -1, "want a float32 vector of %llu rows like assign/",
                        (unsigned long long)rows);
        }
        free(p);
        if (st) return st;
        memcpy(dst + sc->off[i], a.data, rows * sizeof(float));
        sp_npy_close(&a);
    }
    return SCIPRUNE_OK;
}

/* The embed pass's signals (sp_wsignal_path): naturalness into sc->nat (need & 1), sites into
 * sc->sites (need & 4); with `learned` (need & 2), the analysis' weights (W/analyze/report.json
 * "semantic" "learned_weights", analyze/semantic.c) applied to each record's features into
 * sc->learned. learned's 7th feature, sites, is 0 when the workdir has no sites signal (and
 * its weight is 0 then, or absent in an older report); its 5th, naturalness, likewise when the
 * workdir has no naturalness signal (embed features with "sites" but not "naturalness": the
 * analysis fitted it without, weight 0). Errors: ESTATE (a signal file or the analysis missing
 * or of the wrong shape, or a weight for a signal the workdir lacks), ENOMEM. */
static sciprune_status load_signals(scorer *sc, int need, sciprune_error *err)
{
    int learned = (need & 2) != 0;
    int nat_absent = 0;
    sciprune_status st;
    if (need & 3) {
        sc->nat = malloc((sc->ntot ? sc->ntot : 1) * sizeof *sc->nat);
        if (!sc->nat) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        if ((st = load_signal(sc, "naturalness", "the naturalness signal comes from the hash embedder "
                              "with idf, and with embed.features \"sites\" only when they also list "
                              "\"naturalness\" (embed again with --force on an older workdir)",
                              !(need & 1), sc->nat, &nat_absent, err)))
            return st;
    }
    if (need & 6) {
        int absent = 0;
        sc->sites = malloc((sc->ntot ? sc->ntot : 1) * sizeof *sc->sites);
        if (!sc->sites) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        if ((st = load_signal(sc, "sites", "the sites signal comes from the hash embedder with "
                              "embed.features including \"sites\" (e.g. \"all,sites\")",
                              !(need & 4), sc->sites, &absent, err)))
            return st;
    }
    if (!learned) return SCIPRUNE_OK;
    st = load_gates(sc, err);
    if (st) return st;
    char *rp = sp_wpath(sc->workdir, SP_WF_ANALYZE_REPORT, NULL);
    json_t *rj = NULL;
    if (!rp) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    st = prune_json_load(rp, 0, &rj, err);
    json_t *w = st ? NULL : json_object_get(json_object_get(rj, "semantic"), "learned_weights");
    const char *const *fn = rank_learned_names;
    for (int k = 0; !st && k < RANK_LEARNED_NF; k++) {
        json_t *x = json_object_get(w, fn[k]);
        if (k == 6 && !x) sc->lw[k] = 0; /* a report from before the sites feature */
        else if (!json_is_number(x)) st = sp_err(err, SCIPRUNE_ESTATE, rp, -1, -1,
                                                 "no semantic.learned_weights.%s: run analyze first", fn[k]);
        else sc->lw[k] = json_number_value(x);
    }
    if (!st) sc->lb = json_number_value(json_object_get(w, "bias"));
    if (!st && nat_absent && sc->lw[4] != 0)
        st = sp_err(err, SCIPRUNE_ESTATE, rp, -1, -1, "the analysis weighs naturalness but the "
                    "workdir has no naturalness signal: run analyze again");
    json_decref(rj);
    free(rp);
    if (st) return st;
    sc->learned = malloc((sc->ntot ? sc->ntot : 1) * sizeof *sc->learned);
    if (!sc->learned) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    for (uint64_t g = 0; g < sc->ntot; g++) {
        int32_t c = sc->cl[g];
        double f[RANK_LEARNED_NF] = {sc->ds[g], log1p(c >= 0 ? (double)sc->size[c] : 0.0),
                                     (sc->gated[g] & 1) != 0, (sc->gated[g] & 2) != 0, sc->nat[g],
                                     log1p((double)sc->len[g]), sc->sites[g]};
        sc->learned[g] = rank_learned_z(sc->lw, sc->lb, f);
    }
    return SCIPRUNE_OK;
}

/* Mark variant v's records in the mask (rank_plan_make's steps) and describe its threshold. */
static sciprune_status run_variant(scorer *sc, const variant *va, size_t v, uint8_t *mask,
                                   size_t nb, uint64_t *tmp, json_t *th, uint64_t *npruned,
                                   sciprune_error *err)
{
    sciprune_status st;
    uint64_t ng = 0, npe = 0, nun = 0;
    int gate = sciprune_score_metric_is_plan(va->metric);
    if (gate) {
        if ((st = va->is_auto ? load_gates_auto(sc, err) : load_gates(sc, err))) return st;
        const uint8_t *gated = va->is_auto ? sc->gated_auto : sc->gated;
        for (uint64_t g = 0; g < sc->ntot; g++)
            if (gated[g]) {
                bit_set(mask, nb, g, v);
                ng++;
                npe += gated[g] & 1;
                nun += (gated[g] >> 1) & 1;
            }
        if (va->is_auto)
            json_object_set_new(th, "gates_source", json_string("analyze/clean.*.npy (judged per language)"));
    }
    rank_plan p;
    rank_plan_make(&p, va->metric, va->ratio, va->alpha, sc->nacc, ng);
    uint64_t n = p.n, last[2] = {UINT64_MAX, UINT64_MAX};
    *npruned = gate && ng >= n ? ng : n;
    int exceed = ng > n;
    if (sc->w) { /* a bytes or tokens budget: the steps' counts follow from the weights */
        uint64_t wg = 0;
        if (gate)
            for (uint64_t g = 0; g < sc->ntot; g++)
                if (bit_get(mask, nb, g, v)) wg += sc->w[g];
        double goal = va->ratio * (double)sc->wtot, fill = goal > (double)wg ? goal - (double)wg : 0;
        uint64_t cum = wg, taken[2] = {0, 0};
        for (size_t i = 0; i < p.n_steps; i++) {
            if ((st = build_order(sc, (int)p.step[i].ord, err))) return st;
            /* combined's size step: alpha of the fill; the last step: the goal over all */
            uint64_t local = 0;
            int first_of_two = p.n_steps == 2 && i == 0;
            last[i] = take_weighted(sc, sc->ord[p.step[i].ord], sc->nacc, mask + v / 8, nb,
                                    (uint8_t)(1u << (v % 8)), first_of_two ? va->alpha * fill : goal,
                                    first_of_two ? &local : &cum, &taken[i]);
            cum += local;
            p.step[i].count = taken[i];
        }
        n = ng + taken[0] + taken[1];
        p.n = n;
        p.n_fill = taken[0] + taken[1];
        *npruned = n;
        json_object_set_new(th, "budget_goal", json_real(goal));
        json_object_set_new(th, "budget_pruned", json_integer((json_int_t)cum));
        if (gate) json_object_set_new(th, "budget_gated", json_integer((json_int_t)wg));
        exceed = gate && (double)wg > goal;
    } else {
        for (size_t i = 0; i < p.n_steps; i++) {
            if ((st = build_order(sc, (int)p.step[i].ord, err))) return st;
            last[i] = rank_take(sc->ord[p.step[i].ord], sc->nacc, mask + v / 8, nb,
                                (uint8_t)(1u << (v % 8)), p.step[i].count, NULL);
        }
    }
    if (gate) {
        json_object_set_new(th, "n_gated", json_integer((json_int_t)ng));
        json_object_set_new(th, "n_gate_parse_error", json_integer((json_int_t)npe));
        json_object_set_new(th, "n_gate_undefined_name", json_integer((json_int_t)nun));
        json_object_set_new(th, "gates_exceed_budget", json_boolean(exceed));
        json_object_set_new(th, "n_fill", json_integer((json_int_t)p.n_fill));
    }
    if (p.n_steps == 2) {
        json_object_set_new(th, "n_by_size", json_integer((json_int_t)p.step[0].count));
        json_object_set_new(th, "n_by_distance", json_integer((json_int_t)p.step[1].count));
    }
    switch (va->metric) {
    case SCIPRUNE_METRIC_AUTO: /* resolved to its metric when the variants were made */
        break;
    case SCIPRUNE_METRIC_SIZE:
        describe_size(sc, n, th, tmp);
        break;
    case SCIPRUNE_METRIC_DISTANCE:
    case SCIPRUNE_METRIC_DISTANCE_PC:
        describe_dist(sc, va->metric == SCIPRUNE_METRIC_DISTANCE_PC, last[0], th);
        break;
    case SCIPRUNE_METRIC_COMBINED:
    case SCIPRUNE_METRIC_COMBINED_PC:
        describe_size(sc, p.step[0].count, th, tmp);
        describe_dist(sc, va->metric == SCIPRUNE_METRIC_COMBINED_PC, last[1], th);
        break;
    case SCIPRUNE_METRIC_GATE_DISTANCE:
        json_object_set_new(th, "n_by_distance", json_integer((json_int_t)p.n_fill));
        describe_dist(sc, 0, last[0], th);
        break;
    case SCIPRUNE_METRIC_GATE_COMBINED:
        if (last[0] != UINT64_MAX) json_object_set_new(th, "size_last", record_ref(sc, last[0]));
        describe_dist(sc, 0, last[1], th);
        break;
    case SCIPRUNE_METRIC_NATURALNESS:
    case SCIPRUNE_METRIC_LEARNED:
    case SCIPRUNE_METRIC_GATE_NATURALNESS:
    case SCIPRUNE_METRIC_GATE_LEARNED:
    case SCIPRUNE_METRIC_SITES:
    case SCIPRUNE_METRIC_GATE_SITES:
        if (last[0] != UINT64_MAX) {
            const float *v = va->metric == SCIPRUNE_METRIC_NATURALNESS ||
                                     va->metric == SCIPRUNE_METRIC_GATE_NATURALNESS
                                 ? sc->nat
                             : va->metric == SCIPRUNE_METRIC_SITES ||
                                     va->metric == SCIPRUNE_METRIC_GATE_SITES
                                 ? sc->sites
                                 : sc->learned;
            json_object_set_new(th, "signal_min", json_real(v[last[0]]));
            json_object_set_new(th, "last", record_ref(sc, last[0]));
        }
        break;
    case SCIPRUNE_METRIC_GATE_SIZE:
    case SCIPRUNE_METRIC_GATE_RANDOM:
    case SCIPRUNE_METRIC_GATE_LENGTH:
        if (last[0] != UINT64_MAX) json_object_set_new(th, "last", record_ref(sc, last[0]));
        break;
    case SCIPRUNE_METRIC_RANDOM:
        if (n) {
            char hex[20];
            snprintf(hex, sizeof hex, "%016llx", (unsigned long long)make_key(sc, ORD_RANDOM, last[0]));
            json_object_set_new(th, "hash_max", json_string(hex));
            json_object_set_new(th, "last", record_ref(sc, last[0]));
        }
        break;
    case SCIPRUNE_METRIC_LENGTH:
        if (n) {
            json_object_set_new(th, "length_min", json_integer((json_int_t)sc->len[last[0]]));
            json_object_set_new(th, "last", record_ref(sc, last[0]));
        }
        break;
    }
    return SCIPRUNE_OK;
}

/* ---------------------------------------------------------------- inputs */

static sciprune_status load_assign(scorer *sc, sciprune_error *err)
{
    const sciprune_shard_set *sh = sc->shards;
    sp_npy *ca = calloc(sh->n, sizeof *ca), *da = calloc(sh->n, sizeof *da);
    sciprune_status st = SCIPRUNE_OK;
    size_t opened = 0;
    if (!ca || !da) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto done;
    }
    sc->ntot = 0;
    for (size_t i = 0; i < sh->n; i++, opened++) {
        char *cp = sp_wpath(sc->workdir, SP_WF_CLUSTER, sh->names[i]);
        char *dp = sp_wpath(sc->workdir, SP_WF_DIST, sh->names[i]);
        if (!cp || !dp) {
            free(cp);
            free(dp);
            st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            goto done;
        }
        st = sp_npy_open(&ca[i], cp, err);
        if (!st) {
            st = sp_npy_open(&da[i], dp, err);
            if (!st && (ca[i].dtype != SP_NPY_I32 || ca[i].cols || da[i].dtype != SP_NPY_F32 ||
                        da[i].cols || ca[i].rows != da[i].rows))
                st = sp_err(err, SCIPRUNE_ESTATE, cp, -1, -1,
                            "assign files must be int32 and float32 vectors of one length");
        }
        if (st == SCIPRUNE_EIO) {
            st = SCIPRUNE_ESTATE;
            if (err) err->code = st;
        }
        free(cp);
        free(dp);
        if (st) {
            opened++;
            goto done;
        }
        sc->off[i] = sc->ntot;
        sc->ntot += ca[i].rows;
    }
    sc->off[sh->n] = sc->ntot;
    if (sc->ntot >= UINT32_MAX) {
        st = sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "more than 4G records in one scoring pass");
        goto done;
    }
    sc->cl = malloc((sc->ntot ? sc->ntot : 1) * sizeof *sc->cl);
    sc->ds = malloc((sc->ntot ? sc->ntot : 1) * sizeof *sc->ds);
    sc->pos = calloc(sc->ntot ? sc->ntot : 1, sizeof *sc->pos);
    if (!sc->cl || !sc->ds || !sc->pos) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory for %llu records",
                    (unsigned long long)sc->ntot);
        goto done;
    }
    for (size_t i = 0; i < sh->n; i++) {
        memcpy(sc->cl + sc->off[i], ca[i].data, ca[i].rows * 4);
        memcpy(sc->ds + sc->off[i], da[i].data, da[i].rows * 4);
        for (uint64_t g = sc->off[i]; g < sc->off[i + 1]; g++) {
            int32_t c = sc->cl[g];
            if (c < -1 || c >= (int64_t)sc->k) {
                st = sp_err(err, SCIPRUNE_ESTATE, sh->names[i], (int64_t)(g - sc->off[i] + 1), -1,
                            "cluster %d out of range (k = %zu)", c, sc->k);
                goto done;
            }
            if (c >= 0) {
                sc->size[c]++;
                sc->acc_shard[i]++;
                sc->nacc++;
            }
        }
    }
done:
    for (size_t i = 0; i < opened && ca && da; i++) {
        sp_npy_close(&ca[i]);
        sp_npy_close(&da[i]);
    }
    free(ca);
    free(da);
    return st;
}

/* Reading the input shards for text lengths and ids. */
static sciprune_status read_shard(void *ctx, int worker, size_t i, sciprune_error *err)
{
    (void)worker;
    scorer *sc = ctx;
    const char *path = sc->shards->paths[i], *name = sc->shards->names[i];
    sciprune_shard_reader *r;
    sciprune_status st = sciprune_shard_reader_open(&r, path, &sc->set->shard, err);
    if (st) return st;
    uint64_t rows = sc->off[i + 1] - sc->off[i], line = 0;
    const sciprune_record *rec;
    for (;;) {
        if ((st = sciprune_shard_reader_next(r, &rec, err))) break;
        if (!rec) break;
        if (line >= rows) {
            st = sp_err(err, SCIPRUNE_ESTATE, path, rec->line, -1,
                        "shard has more lines than assign/%s (%llu): changed since embedding?",
                        name, (unsigned long long)rows);
            break;
        }
        uint64_t g = sc->off[i] + line++;
        int rej = rec->reject != SCIPRUNE_REJECT_NONE;
        if (rej != (sc->cl[g] < 0 && !(sc->contam && sc->contam[g]))) {
            st = sp_err(err, SCIPRUNE_ESTATE, path, rec->line, -1,
                        "line is %s here but %s in assign/: shard changed, or other shard options",
                        rej ? "rejected" : "accepted", rej ? "accepted" : "rejected");
            break;
        }
        if (rej) continue;
        if (sc->lang) { /* the shard-local index of the record's language (langs_merge) */
            lang_tab *t = &sc->ltab[i];
            const char *ln = rec->lang ? rec->lang : "unknown";
            size_t j = 0;
            while (j < t->n && strcmp(t->name[j], ln)) j++;
            if (j == t->n) {
                if (t->n == LANG_MAX) {
                    st = sp_err(err, SCIPRUNE_EINVAL, path, rec->line, -1,
                                "more than %d languages in one shard (score.per_lang)", LANG_MAX);
                    break;
                }
                if (!(t->name[j] = strdup(ln))) {
                    st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
                    break;
                }
                t->n++;
            }
            sc->lang[g] = (uint16_t)j;
        }
        if (sc->len) sc->len[g] = rec->text_len > UINT32_MAX ? UINT32_MAX : (uint32_t)rec->text_len;
        if (sc->idh)
            sc->idh[g] = rank_key_random_id(rec->id, sc->set->seed);
        if (sc->w)
            sc->w[g] = sc->set->budget == SCIPRUNE_BUDGET_BYTES
                           ? (uint64_t)rec->raw_len + 1
                           : sciprune_tokens_approx(rec->text, rec->text_len);
    }
    if (!st && line != rows)
        st = sp_err(err, SCIPRUNE_ESTATE, path, -1, -1,
                    "shard has %llu lines, assign/ has %llu: changed since embedding?",
                    (unsigned long long)line, (unsigned long long)rows);
    sciprune_shard_reader_close(r);
    return st;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* After read_shard: the shard tables' names into sc->lang_names (sorted, once each), sc->lang
 * from shard-local to global indices, and each language's accepted count (loff) and weight.
 * Errors: EINVAL (more than LANG_MAX languages), ENOMEM. */
static sciprune_status langs_merge(scorer *sc, sciprune_error *err)
{
    size_t all = 0;
    for (size_t i = 0; i < sc->shards->n; i++) all += sc->ltab[i].n;
    sc->lang_names = calloc(all ? all : 1, sizeof *sc->lang_names);
    if (!sc->lang_names) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < sc->shards->n; i++)
        for (size_t j = 0; j < sc->ltab[i].n; j++) sc->lang_names[n++] = sc->ltab[i].name[j];
    if (n) qsort(sc->lang_names, n, sizeof *sc->lang_names, cmp_str);
    size_t u = 0;
    for (size_t j = 0; j < n; j++)
        if (!u || strcmp(sc->lang_names[u - 1], sc->lang_names[j])) sc->lang_names[u++] = sc->lang_names[j];
    if (u > LANG_MAX) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1,
                                    "more than %d languages (score.per_lang)", LANG_MAX);
    for (size_t j = 0; j < u; j++) /* own the names: the shard tables are freed apart */
        if (!(sc->lang_names[j] = strdup(sc->lang_names[j]))) {
            for (size_t q = j; q < u; q++) sc->lang_names[q] = NULL;
            sc->nlang = j;
            return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        }
    sc->nlang = u;
    sc->loff = calloc(u + 1, sizeof *sc->loff);
    sc->lwtot = calloc(u ? u : 1, sizeof *sc->lwtot);
    if (!sc->loff || !sc->lwtot) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    for (size_t i = 0; i < sc->shards->n; i++) {
        uint16_t map[LANG_MAX];
        for (size_t j = 0; j < sc->ltab[i].n; j++) {
            char **f = bsearch(&sc->ltab[i].name[j], sc->lang_names, u, sizeof *sc->lang_names, cmp_str);
            map[j] = (uint16_t)(f - sc->lang_names);
        }
        for (uint64_t g = sc->off[i]; g < sc->off[i + 1]; g++) {
            if (sc->cl[g] < 0) continue; /* rejected or decontaminated: no language needed */
            uint16_t L = map[sc->lang[g]];
            sc->lang[g] = L;
            sc->loff[L + 1]++;
            if (sc->w) sc->lwtot[L] += sc->w[g];
        }
    }
    for (size_t L = 0; L < u; L++) sc->loff[L + 1] += sc->loff[L];
    return SCIPRUNE_OK;
}

/* sc->lord[which]: order `which` (built) grouped by language, stable: language L's records in
 * the metric's order are lord[which][loff[L] .. loff[L + 1]). Errors: ENOMEM. */
static sciprune_status build_lang_order(scorer *sc, int which, sciprune_error *err)
{
    if (sc->lord[which]) return SCIPRUNE_OK;
    sciprune_status st = build_order(sc, which, err);
    if (st) return st;
    uint32_t *o = malloc((sc->nacc ? sc->nacc : 1) * sizeof *o);
    uint64_t *at = malloc((sc->nlang ? sc->nlang : 1) * sizeof *at);
    if (!o || !at) {
        free(o);
        free(at);
        return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    }
    for (size_t L = 0; L < sc->nlang; L++) at[L] = sc->loff[L];
    for (uint64_t i = 0; i < sc->nacc; i++) {
        uint32_t g = sc->ord[which][i];
        o[at[sc->lang[g]]++] = g;
    }
    free(at);
    sc->lord[which] = o;
    return SCIPRUNE_OK;
}

/* Variant v with score.per_lang proportional: rank_plan_make's plan made for each language L
 * on its own (its N_L accepted records, its gated records, p of its weight for a bytes or
 * tokens budget), each step taking L's records in the metric's global order (lord): one
 * threshold per language. th gets the totals and "per_lang": {L: {"n_accepted", "n_pruned",
 * "n_gated", "n_fill", "budget_goal", "budget_pruned", "last"}}. Errors: ENOMEM, ESTATE (gates
 * or signals missing). */
static sciprune_status run_variant_lang(scorer *sc, const variant *va, size_t v, uint8_t *mask,
                                        size_t nb, json_t *th, uint64_t *npruned,
                                        sciprune_error *err)
{
    sciprune_status st;
    int gate = sciprune_score_metric_is_plan(va->metric);
    const uint8_t *gated = NULL;
    if (gate) {
        if ((st = va->is_auto ? load_gates_auto(sc, err) : load_gates(sc, err))) return st;
        gated = va->is_auto ? sc->gated_auto : sc->gated;
        if (va->is_auto)
            json_object_set_new(th, "gates_source", json_string("analyze/clean.*.npy (judged per language)"));
    }
    uint8_t bit = (uint8_t)(1u << (v % 8));
    uint64_t tot = 0, tng = 0, tfill = 0, tsteps[2] = {0, 0};
    int exceed = 0;
    /* every language's gated records first, all of them: gcount[2L] records, [2L + 1] weight */
    uint64_t *gcount = calloc(2 * (sc->nlang ? sc->nlang : 1), sizeof *gcount);
    if (!gcount) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    for (uint64_t g = 0; gate && g < sc->ntot; g++)
        if (gated[g] && sc->cl[g] >= 0) {
            bit_set(mask, nb, g, v);
            gcount[2 * sc->lang[g]]++;
            if (sc->w) gcount[2 * sc->lang[g] + 1] += sc->w[g];
        }
    json_t *pl = json_object();
    for (size_t L = 0; L < sc->nlang; L++) {
        uint64_t nl = sc->loff[L + 1] - sc->loff[L], ng = gate ? gcount[2 * L] : 0,
                 wg = gate ? gcount[2 * L + 1] : 0;
        rank_plan p;
        uint64_t last = UINT64_MAX, n;
        json_t *o = json_object();
        rank_plan_make(&p, va->metric, va->ratio, va->alpha, nl, ng);
        if (sc->w) {
            double goal = va->ratio * (double)sc->lwtot[L], fill = goal > (double)wg ? goal - (double)wg : 0;
            uint64_t cum = wg, taken[2] = {0, 0};
            for (size_t i = 0; i < p.n_steps; i++) {
                if ((st = build_lang_order(sc, (int)p.step[i].ord, err))) goto fail;
                uint64_t local = 0;
                int first_of_two = p.n_steps == 2 && i == 0;
                uint64_t l = take_weighted(sc, sc->lord[p.step[i].ord] + sc->loff[L], nl, mask + v / 8, nb,
                                           bit, first_of_two ? va->alpha * fill : goal,
                                           first_of_two ? &local : &cum, &taken[i]);
                if (l != UINT64_MAX) last = l;
                cum += local;
                p.step[i].count = taken[i];
            }
            p.n_fill = taken[0] + taken[1];
            n = ng + p.n_fill;
            exceed |= gate && (double)wg > goal;
            json_object_set_new(o, "budget_goal", json_real(goal));
            json_object_set_new(o, "budget_pruned", json_integer((json_int_t)cum));
        } else {
            for (size_t i = 0; i < p.n_steps; i++) {
                if ((st = build_lang_order(sc, (int)p.step[i].ord, err))) goto fail;
                uint64_t l = rank_take(sc->lord[p.step[i].ord] + sc->loff[L], nl, mask + v / 8, nb, bit,
                                       p.step[i].count, NULL);
                if (l != UINT64_MAX) last = l;
            }
            n = gate && ng >= p.n ? ng : p.n;
            exceed |= ng > p.n;
        }
        tot += n;
        tng += ng;
        tfill += p.n_fill;
        for (size_t i = 0; i < p.n_steps; i++) tsteps[i] += p.step[i].count;
        json_object_set_new(o, "n_accepted", json_integer((json_int_t)nl));
        json_object_set_new(o, "n_pruned", json_integer((json_int_t)n));
        if (gate) {
            json_object_set_new(o, "n_gated", json_integer((json_int_t)ng));
            json_object_set_new(o, "n_fill", json_integer((json_int_t)p.n_fill));
        }
        if (last != UINT64_MAX) json_object_set_new(o, "last", record_ref(sc, last));
        json_object_set_new(pl, sc->lang_names[L], o);
        continue;
    fail:
        json_decref(o);
        json_decref(pl);
        free(gcount);
        return st;
    }
    free(gcount);
    *npruned = tot;
    json_object_set_new(th, "per_lang_plan", json_string("proportional"));
    if (gate) {
        json_object_set_new(th, "n_gated", json_integer((json_int_t)tng));
        json_object_set_new(th, "gates_exceed_budget", json_boolean(exceed));
        json_object_set_new(th, "n_fill", json_integer((json_int_t)tfill));
    }
    if (rank_metric_has_alpha(va->metric)) {
        json_object_set_new(th, "n_by_size", json_integer((json_int_t)tsteps[0]));
        json_object_set_new(th, "n_by_distance", json_integer((json_int_t)tsteps[1]));
    }
    json_object_set_new(th, "per_lang", pl);
    return SCIPRUNE_OK;
}

/* Decontamination: load W/decontam/ (when it ran) and take its records out of the corpus
 * before ranking: cluster sizes, accepted count and every order skip them (cl = -1). */
static sciprune_status apply_decontam(scorer *sc, sciprune_error *err)
{
    sciprune_status st = prune_decontam_load(sc->workdir, sc->shards, sc->off, &sc->contam, err);
    if (st || !sc->contam) return st;
    for (uint64_t g = 0; g < sc->ntot; g++) {
        if (!sc->contam[g]) continue;
        if (sc->cl[g] < 0) { /* rejected: nothing to remove */
            sc->contam[g] = 0;
            continue;
        }
        sc->size[sc->cl[g]]--;
        sc->nacc--;
        sc->ncontam++;
        sc->cl[g] = -1;
    }
    return SCIPRUNE_OK;
}

/* Every variant prunes the decontaminated records. */
static void decontam_mark(const scorer *sc, uint8_t *mask, size_t nb, size_t nv)
{
    for (uint64_t g = 0; sc->contam && g < sc->ntot; g++)
        if (sc->contam[g])
            for (size_t v = 0; v < nv; v++) mask[g * nb + v / 8] |= (uint8_t)(1u << (v % 8));
}

/* numpy's default ('linear') quantile of ascending values v(i), i in [0, n). */
static double quantile(const scorer *sc, const uint32_t *desc, uint64_t n, double q)
{
    double h = q * (double)(n - 1);
    uint64_t lo = (uint64_t)floor(h), hi = lo + 1 < n ? lo + 1 : lo;
    double a = sc->ds[desc[n - 1 - lo]], b = sc->ds[desc[n - 1 - hi]];
    return a + (h - (double)lo) * (b - a);
}

/* Validate the sweep's settings; what the metrics need: text lengths, ids, reading the
 * shards at all. Errors: EINVAL. */
static sciprune_status check_settings(const char *workdir, const sciprune_shard_set *shards,
                                      const sciprune_score_settings *s, prune_auto *au,
                                      int *need_len, int *need_rand, int *read,
                                      int *need_sig, sciprune_error *err)
{
    if (!shards || shards->n == 0) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "no shards");
    if (s->n_metrics == 0 || s->n_ratios == 0 || s->n_metrics > SCIPRUNE_SWEEP_MAX ||
        s->n_ratios > SCIPRUNE_SWEEP_MAX || s->n_alphas > SCIPRUNE_SWEEP_MAX)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "need 1..%d metrics and ratios",
                      SCIPRUNE_SWEEP_MAX);
    int combined = 0;
    *need_len = *need_rand = 0;
    for (size_t i = 0; i < s->n_metrics; i++) {
        if ((unsigned)s->metrics[i] >= SCIPRUNE_METRIC_COUNT)
            return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "unknown metric %d", (int)s->metrics[i]);
        sciprune_score_metric me = s->metrics[i];
        if (me == SCIPRUNE_METRIC_AUTO) { /* what the analysis recommends */
            sciprune_status st = prune_auto_resolve(workdir, au, err);
            if (st) return st;
            me = au->metric;
        }
        int learned = me == SCIPRUNE_METRIC_LEARNED || me == SCIPRUNE_METRIC_GATE_LEARNED;
        *need_len |= me == SCIPRUNE_METRIC_LENGTH || me == SCIPRUNE_METRIC_GATE_LENGTH || learned;
        /* 1: naturalness must be there; 2: learned (takes it when there, else 0 at weight 0) */
        *need_sig |= (me == SCIPRUNE_METRIC_NATURALNESS || me == SCIPRUNE_METRIC_GATE_NATURALNESS ? 1 : 0) |
                     (learned ? 2 : 0) |
                     (me == SCIPRUNE_METRIC_SITES || me == SCIPRUNE_METRIC_GATE_SITES ? 4 : 0);
        *need_rand |= me == SCIPRUNE_METRIC_RANDOM || me == SCIPRUNE_METRIC_GATE_RANDOM;
        combined |= s->metrics[i] != SCIPRUNE_METRIC_AUTO && rank_metric_has_alpha(me);
    }
    if (combined && s->n_alphas == 0)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "combined needs at least one alpha");
    for (size_t i = 0; i < s->n_ratios; i++)
        if (!(s->ratios[i] >= 0 && s->ratios[i] <= 1))
            return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "ratio %g not in [0, 1]", s->ratios[i]);
    for (size_t i = 0; i < s->n_alphas; i++)
        if (!(s->alphas[i] >= 0 && s->alphas[i] <= 1))
            return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "alpha %g not in [0, 1]", s->alphas[i]);
    int have_paths = 1;
    for (size_t i = 0; i < shards->n; i++) have_paths &= shards->paths[i] != NULL;
    if (*need_len && !have_paths)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1,
                      "the length and learned metrics read the input shards: give their paths");
    if ((unsigned)s->budget > SCIPRUNE_BUDGET_TOKENS)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "unknown budget unit %d", (int)s->budget);
    if (s->budget != SCIPRUNE_BUDGET_RECORDS && !have_paths)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1,
                      "a %s budget reads the input shards: give their paths",
                      sciprune_budget_unit_name(s->budget));
    if ((unsigned)s->per_lang > SCIPRUNE_PER_LANG_PROPORTIONAL)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "unknown per_lang %d", (int)s->per_lang);
    if (s->per_lang != SCIPRUNE_PER_LANG_GLOBAL && !have_paths)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1,
                      "per_lang proportional reads the languages from the input shards: give their paths");
    *read = *need_len || (*need_rand && have_paths) || s->read_shards ||
            s->budget != SCIPRUNE_BUDGET_RECORDS || s->per_lang != SCIPRUNE_PER_LANG_GLOBAL;
    if (*read && !have_paths)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "reading the shards needs their paths");
    return SCIPRUNE_OK;
}

/* The variants, in metric x ratio x alpha order; *out freed by the caller. Errors: ENOMEM. */
static sciprune_status make_variants(const sciprune_score_settings *s, const prune_auto *au,
                                     variant **out, size_t *n, sciprune_error *err)
{
    size_t nv = 0, cap = s->n_metrics * s->n_ratios * (s->n_alphas ? s->n_alphas : 1);
    variant *va = calloc(cap, sizeof *va);
    if (!va) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    for (size_t m = 0; m < s->n_metrics; m++)
        for (size_t r = 0; r < s->n_ratios; r++) {
            sciprune_score_metric me = s->metrics[m];
            int is_auto = me == SCIPRUNE_METRIC_AUTO;
            int comb = !is_auto && rank_metric_has_alpha(me);
            for (size_t a = 0; a < (comb ? s->n_alphas : 1); a++) {
                variant *v = &va[nv++];
                char rs[32], as[32];
                fmt_num(rs, sizeof rs, s->ratios[r]);
                v->metric = me;
                v->ratio = s->ratios[r];
                v->alpha = comb ? s->alphas[a] : -1;
                if (is_auto) { /* the analysis' pick, under a name that does not move */
                    v->metric = au->metric;
                    v->alpha = rank_metric_has_alpha(au->metric) ? au->alpha : -1;
                    v->is_auto = 1;
                    snprintf(v->name, sizeof v->name, "auto-p%s", rs);
                } else if (comb) {
                    fmt_num(as, sizeof as, s->alphas[a]);
                    snprintf(v->name, sizeof v->name, "%s-p%s-a%s", sciprune_score_metric_name(me), rs, as);
                } else {
                    snprintf(v->name, sizeof v->name, "%s-p%s", sciprune_score_metric_name(me), rs);
                }
            }
        }
    *out = va;
    *n = nv;
    return SCIPRUNE_OK;
}

/* The distances' sum of a cluster, exact and so independent of the order and of how the
 * records are dealt over ranks: each float's 24-bit significand is added into the bin of its
 * exponent (int64: 2^39 values before overflow), the bins summed over ranks, carried into one
 * canonical form and only then rounded to double. */
enum { SUM_BINS = 256 };
static void sum_add(int64_t *bins, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    uint32_t e = (u >> 23) & 0xff;
    if (e == 0xff) return; /* not finite: not a distance */
    int64_t m = (int64_t)((u & 0x7fffff) | (e ? 0x800000u : 0));
    bins[e ? e : 1] += (u >> 31) ? -m : m; /* bin b: m x 2^(b - 150) */
}

static double sum_value(const int64_t *bins)
{
    int64_t b[SUM_BINS];
    memcpy(b, bins, sizeof b);
    for (int i = 1; i + 1 < SUM_BINS; i++) { /* carry: b[i] in {0, 1} below the top */
        int64_t q = b[i] >= 0 ? b[i] / 2 : -((1 - b[i]) / 2);
        b[i + 1] += q;
        b[i] -= 2 * q;
    }
    double s = 0;
    for (int i = 1; i < SUM_BINS; i++)
        if (b[i]) s += ldexp((double)b[i], i - 150);
    return s;
}

/* plan.json's "clusters": size, distance quantiles and pruned counts per variant of each
 * cluster (needs ORD_CLUSTER). cpruned: nv * k counts, zeroed. */
static json_t *clusters_json(scorer *sc, const uint8_t *mask, size_t nb, size_t nv,
                             uint64_t *cpruned)
{
    for (uint64_t g = 0; g < sc->ntot; g++) {
        if (sc->cl[g] < 0) continue;
        for (size_t v = 0; v < nv; v++)
            if (bit_get(mask, nb, g, v)) cpruned[v * sc->k + (size_t)sc->cl[g]]++;
    }
    json_t *jc = json_array();
    const uint32_t *co = sc->ord[ORD_CLUSTER];
    uint64_t at = 0;
    for (size_t c = 0; c < sc->k; c++) {
        uint64_t n = sc->size[c];
        json_t *pr = json_array();
        for (size_t v = 0; v < nv; v++) json_array_append_new(pr, json_integer((json_int_t)cpruned[v * sc->k + c]));
        json_t *d = json_null();
        if (n) {
            const uint32_t *desc = co + at;
            int64_t bins[SUM_BINS] = {0};
            for (uint64_t i = 0; i < n; i++) sum_add(bins, sc->ds[desc[i]]);
            double sum = sum_value(bins);
            d = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "min", (double)sc->ds[desc[n - 1]],
                          "p10", quantile(sc, desc, n, 0.10), "p25", quantile(sc, desc, n, 0.25),
                          "p50", quantile(sc, desc, n, 0.50), "p75", quantile(sc, desc, n, 0.75),
                          "p90", quantile(sc, desc, n, 0.90), "max", (double)sc->ds[desc[0]],
                          "mean", sum / (double)n);
        }
        at += n;
        json_array_append_new(jc, json_pack("{s:i, s:I, s:o, s:o}", "id", (int)c, "size",
                                            (json_int_t)n, "dist", d, "pruned", pr));
    }
    return jc;
}

/* score/<shard>.prune.npy for every shard, and plan.json's "shards" into *out.
 * Errors: EIO, ENOMEM. */
static sciprune_status write_masks(scorer *sc, const uint8_t *mask, size_t nb, json_t **out,
                                   sciprune_error *err)
{
    sciprune_status st = SCIPRUNE_OK;
    json_t *jsh = json_array();
    for (size_t i = 0; i < sc->shards->n; i++) {
        uint64_t rows = sc->off[i + 1] - sc->off[i];
        json_array_append_new(jsh, json_pack("{s:s, s:I, s:I}", "name", sc->shards->names[i], "rows",
                                             (json_int_t)rows, "accepted", (json_int_t)sc->acc_shard[i]));
        char *mp = sp_wpath(sc->workdir, SP_WF_PRUNE_MASK, sc->shards->names[i]);
        if (!mp) {
            st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        } else {
            st = sp_npy_write(mp, SP_NPY_U8, rows, nb, mask + sc->off[i] * nb, err);
            free(mp);
        }
        if (st) {
            json_decref(jsh);
            return st;
        }
    }
    *out = jsh;
    return SCIPRUNE_OK;
}

/* A variant's entry in plan.json (th, its thresholds, is taken); one place for the one-process
 * sweep and the split one, so their plan.json stay the same bytes. */
static json_t *variant_json(const scorer *sc, const sciprune_score_settings *s, const variant *va,
                            size_t v, uint64_t npr, json_t *th, const prune_auto *au)
{
    json_t *o = json_pack("{s:s, s:s, s:f, s:i, s:I, s:I, s:o}", "name", va->name, "metric",
                          sciprune_score_metric_name(va->metric), "ratio", va->ratio, "bit", (int)v,
                          "n_pruned", (json_int_t)(npr + sc->ncontam), "n_kept",
                          (json_int_t)(sc->nacc - npr), "threshold", th);
    if (!o) return NULL;
    if (sc->contam) json_object_set_new(o, "n_decontam", json_integer((json_int_t)sc->ncontam));
    if (va->alpha >= 0) json_object_set_new(o, "alpha", json_real(va->alpha));
    if (va->is_auto) json_object_set_new(o, "auto", prune_auto_json(au));
    json_object_set_new(o, "per_lang", json_string(sciprune_per_lang_name(s->per_lang)));
    return o;
}

/* plan.json's root over ntot records (jv, jc and jsh are taken, even on failure: NULL). */
static json_t *plan_json(const scorer *sc, const sciprune_score_settings *s, uint64_t ntot,
                         size_t nv, size_t nb, json_t *jv, json_t *jc, json_t *jsh, double secs)
{
    json_t *plan = json_pack("{s:I, s:I, s:I, s:I, s:I, s:s, s:i, s:i, s:o, s:o, s:o, s:f, s:I}",
                             "k", (json_int_t)sc->k, "n_records", (json_int_t)ntot, "n_accepted",
                             (json_int_t)(sc->nacc + sc->ncontam), "n_rejected",
                             (json_int_t)(ntot - sc->nacc - sc->ncontam), "seed",
                             (json_int_t)s->seed, "random_key", sc->ids_from_shards ? "id" : "address",
                             "n_variants", (int)nv, "mask_bytes", (int)nb, "variants", jv,
                             "clusters", jc, "shards", jsh, "seconds", secs, "peak_rss",
                             (json_int_t)sp_peak_rss());
    if (!plan) return NULL;
    if (sc->w)
        json_object_set_new(plan, "budget", json_pack("{s:s, s:I}", "unit",
                                                      sciprune_budget_unit_name(s->budget),
                                                      "total", (json_int_t)sc->wtot));
    json_object_set_new(plan, "per_lang", json_string(sciprune_per_lang_name(s->per_lang)));
    if (sc->lang) { /* the languages the per-language plans were made over */
        json_t *jl = json_array();
        for (size_t L = 0; L < sc->nlang; L++)
            json_array_append_new(jl, json_pack("{s:s, s:I}", "lang", sc->lang_names[L], "accepted",
                                                (json_int_t)(sc->loff[L + 1] - sc->loff[L])));
        json_object_set_new(plan, "languages", jl);
    }
    if (sc->contam) /* the decontamination, before the budget */
        json_object_set_new(plan, "decontam", json_pack("{s:I, s:s}", "n_removed",
                            (json_int_t)sc->ncontam, "source", "decontam/"));
    return plan;
}

sciprune_status sciprune_score_sweep(const char *workdir, const sciprune_shard_set *shards,
                                     const sciprune_score_settings *s, sciprune_score_info *info,
                                     sciprune_error *err)
{
    double t0 = sp_now();
    int need_len = 0, need_rand = 0, read = 0, need_sig = 0;
    prune_auto au;
    memset(&au, 0, sizeof au);
    sciprune_status st = check_settings(workdir, shards, s, &au, &need_len, &need_rand, &read,
                                        &need_sig, err);
    if (!st) st = sp_inputs_verify(workdir, shards, err); /* the files the vectors came from */
    if (st) return st;

    scorer sc;
    memset(&sc, 0, sizeof sc);
    sc.workdir = workdir;
    sc.shards = shards;
    sc.set = s;
    variant *va = NULL;
    uint8_t *mask = NULL;
    uint64_t *tmp = NULL, *cpruned = NULL, *npr = NULL;
    json_t *clj = NULL, *plan = NULL, *jv = NULL;
    char *cpath = sp_wpath(workdir, SP_WF_CLUSTERS, NULL);
    char *sdir = sp_wdir_path(workdir, SP_WD_SCORE);
    char *ppath = sp_wpath(workdir, SP_WF_PLAN, NULL);
    if (!cpath || !sdir || !ppath) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto done;
    }
    if ((st = prune_json_load(cpath, 0, &clj, err))) {
        if (st == SCIPRUNE_EIO) {
            st = SCIPRUNE_ESTATE;
            if (err) err->code = st;
        }
        goto done;
    }
    json_int_t kk = json_integer_value(json_object_get(clj, "k"));
    if (kk < 1 || kk > (1 << 24)) {
        st = sp_err(err, SCIPRUNE_EPARSE, cpath, -1, -1, "no valid \"k\"");
        goto done;
    }
    sc.k = (size_t)kk;
    sc.off = calloc(shards->n + 1, sizeof *sc.off);
    sc.acc_shard = calloc(shards->n, sizeof *sc.acc_shard);
    sc.size = calloc(sc.k, sizeof *sc.size);
    sc.crank = calloc(sc.k, sizeof *sc.crank);
    tmp = calloc(sc.k, sizeof *tmp);
    if (!sc.off || !sc.acc_shard || !sc.size || !sc.crank || !tmp) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto done;
    }
    if ((st = load_assign(&sc, err))) goto done;
    if ((st = apply_decontam(&sc, err))) goto done;
    if ((st = rank_cluster_ranks(sc.size, sc.k, sc.crank, err))) goto done;
    if (read) {
        if (need_len) sc.len = calloc(sc.ntot ? sc.ntot : 1, sizeof *sc.len);
        if (need_rand) sc.idh = calloc(sc.ntot ? sc.ntot : 1, sizeof *sc.idh);
        int weighted = s->budget != SCIPRUNE_BUDGET_RECORDS;
        int langs = s->per_lang != SCIPRUNE_PER_LANG_GLOBAL;
        if (weighted) sc.w = calloc(sc.ntot ? sc.ntot : 1, sizeof *sc.w);
        if (langs) {
            sc.lang = calloc(sc.ntot ? sc.ntot : 1, sizeof *sc.lang);
            sc.ltab = calloc(shards->n, sizeof *sc.ltab);
        }
        if ((need_len && !sc.len) || (need_rand && !sc.idh) || (weighted && !sc.w) ||
            (langs && (!sc.lang || !sc.ltab))) {
            st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            goto done;
        }
        if ((st = sp_parallel_for(shards->n, s->threads, read_shard, &sc, err))) goto done;
        sc.ids_from_shards = need_rand;
        for (uint64_t g = 0; sc.w && g < sc.ntot; g++)
            if (sc.cl[g] >= 0) sc.wtot += sc.w[g];
        if (langs && (st = langs_merge(&sc, err))) goto done;
    }

    if (need_sig && (st = load_signals(&sc, need_sig, err))) goto done;

    size_t nv = 0;
    if ((st = make_variants(s, &au, &va, &nv, err))) goto done;
    size_t nb = (nv + 7) / 8;
    mask = calloc(sc.ntot ? sc.ntot * nb : 1, 1);
    cpruned = calloc(nv * sc.k, sizeof *cpruned);
    npr = calloc(nv, sizeof *npr);
    jv = json_array();
    if (!mask || !cpruned || !npr || !jv) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory for the masks");
        goto done;
    }
    for (size_t v = 0; v < nv; v++) {
        json_t *th = json_object();
        if ((st = sc.lang ? run_variant_lang(&sc, &va[v], v, mask, nb, th, &npr[v], err)
                          : run_variant(&sc, &va[v], v, mask, nb, tmp, th, &npr[v], err))) {
            json_decref(th);
            goto done;
        }
        json_array_append_new(jv, variant_json(&sc, s, &va[v], v, npr[v], th, &au));
    }
    decontam_mark(&sc, mask, nb, nv);
    if ((st = build_order(&sc, ORD_CLUSTER, err))) goto done;
    json_t *jc = clusters_json(&sc, mask, nb, nv, cpruned);
    if ((st = sp_mkdirs(sdir, err))) {
        json_decref(jc);
        goto done;
    }
    json_t *jsh = NULL;
    if ((st = write_masks(&sc, mask, nb, &jsh, err))) {
        json_decref(jc);
        goto done;
    }
    double secs = sp_now() - t0;
    plan = plan_json(&sc, s, sc.ntot, nv, nb, jv, jc, jsh, secs);
    jv = NULL;
    if (!plan) {
        st = sp_err(err, SCIPRUNE_ENOMEM, ppath, -1, -1, "cannot build JSON");
        goto done;
    }
    if ((st = prune_json_write(ppath, plan, err))) goto done;
    if (info) {
        info->n_variants = nv;
        info->n_records = sc.ntot;
        info->n_accepted = sc.nacc + sc.ncontam;
        info->seconds = secs;
    }
done:
    json_decref(plan);
    json_decref(jv);
    json_decref(clj);
    free(cpath);
    free(sdir);
    free(ppath);
    free(va);
    free(mask);
    free(tmp);
    free(cpruned);
    free(npr);
    scorer_free(&sc);
    return st;
}

/* ---------------------------------------------------------------- over ranks */

/* sciprune_score_sweep_part: each rank loads only its shards (index i = rank mod N of the
 * shard list) into a scorer of its own, with the corpus-wide numbers (rows and accepted per
 * shard, cluster sizes, the decontaminated count, the budget total, the gated counts) summed
 * over ranks. Each plan step's cut is found by prune_cut_step (cut.c: histogram SUM reduces
 * over (key, g), g the global record index), so each rank marks exactly the records one
 * process marks; the values a threshold description names (the last record's distance,
 * length, signal, hash) come from the rank that holds it in one more SUM reduce. plan.json's
 * per-cluster quantiles are order statistics of the distance's 32 bits found the same way
 * (4 bits a round: 8 reduces of 12 x 16 int64 per cluster, 1024 clusters a call) and the means
 * exact sums (sum_add: 256 int64 per cluster). Each rank writes its shards' masks, rank 0
 * plan.json. distance-pc and combined-pc (a record's position inside its cluster is not a
 * per-record key) run on rank 0 alone, as sciprune_score_sweep. */
typedef struct part_ctx {
    scorer *sc;                     /* this rank's shards */
    const sciprune_shard_set *all;  /* every shard */
    const sciprune_ranks *R;
    size_t rank, size;
    uint64_t *goff;                 /* S + 1: global row offsets */
    uint64_t *gacc;                 /* S: accepted per shard (decontaminated too) */
    uint32_t *gg;                   /* the global index of each local record */
    rank_kg *a;                     /* scratch: local records */
    uint64_t *aw;
    uint32_t *al;
    int64_t *tmp;                   /* k */
} part_ctx;

static sciprune_status part_sum(const part_ctx *p, int64_t *v, size_t n, sciprune_error *err)
{
    if (n == 0) return SCIPRUNE_OK;
    if (n > INT32_MAX || p->R->reduce_sum(p->R->user, v, (int)n) != 0)
        return sp_err(err, SCIPRUNE_EIO, NULL, -1, -1, "MPI: the score reduce failed");
    return SCIPRUNE_OK;
}

/* The global shard of record g. */
static size_t part_shard(const part_ctx *p, uint64_t g)
{
    size_t lo = 0, hi = p->all->n;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (p->goff[mid] <= g) lo = mid;
        else hi = mid;
    }
    return lo;
}

/* The local index of global record g, or UINT64_MAX when another rank holds it. */
static uint64_t part_local(const part_ctx *p, uint64_t g)
{
    size_t i = part_shard(p, g);
    if (i % p->size != p->rank) return UINT64_MAX;
    return p->sc->off[i / p->size] + (g - p->goff[i]);
}

static json_t *part_ref(const part_ctx *p, uint64_t g)
{
    size_t i = part_shard(p, g);
    return json_pack("{s:s, s:I}", "shard", p->all->names[i], "line", (json_int_t)(g - p->goff[i] + 1));
}

/* What a threshold description reads of one record, from the rank that holds it. */
typedef struct part_vals {
    float ds, nat, sites, learned;
    uint32_t len;
    int32_t cl;
    uint64_t rkey;
} part_vals;

static uint64_t f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float u2f(int64_t v)
{
    uint32_t u = (uint32_t)v;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static sciprune_status part_get(const part_ctx *p, uint64_t g, part_vals *o, sciprune_error *err)
{
    memset(o, 0, sizeof *o);
    if (g == UINT64_MAX) return SCIPRUNE_OK;
    const scorer *sc = p->sc;
    int64_t v[7] = {0};
    uint64_t l = part_local(p, g);
    if (l != UINT64_MAX) {
        v[0] = (int64_t)f2u(sc->ds[l]);
        v[1] = sc->len ? (int64_t)sc->len[l] : 0;
        v[2] = sc->nat ? (int64_t)f2u(sc->nat[l]) : 0;
        v[3] = sc->sites ? (int64_t)f2u(sc->sites[l]) : 0;
        v[4] = sc->learned ? (int64_t)f2u(sc->learned[l]) : 0;
        v[5] = (int64_t)(make_key(sc, ORD_RANDOM, l) >> 1); /* two halves: no signed overflow */
        v[6] = (int64_t)(((make_key(sc, ORD_RANDOM, l) & 1) << 32) | (uint32_t)sc->cl[l]);
    }
    sciprune_status st = part_sum(p, v, 7, err);
    if (st) return st;
    o->ds = u2f(v[0]);
    o->len = (uint32_t)v[1];
    o->nat = u2f(v[2]);
    o->sites = u2f(v[3]);
    o->learned = u2f(v[4]);
    o->rkey = (uint64_t)v[5] << 1 | (uint64_t)(v[6] >> 32);
    o->cl = (int32_t)(uint32_t)v[6];
    return SCIPRUNE_OK;
}

/* describe_size over ranks: tmp holds this rank's count per cluster of the step's records. */
static sciprune_status part_describe_size(part_ctx *p, uint64_t n, uint64_t lastg,
                                          const part_vals *lv, json_t *th, sciprune_error *err)
{
    scorer *sc = p->sc;
    sciprune_status st = part_sum(p, p->tmp, sc->k, err);
    if (st) return st;
    uint64_t whole = 0, maxwhole = 0, partial_n = 0;
    int64_t partial = -1;
    for (size_t c = 0; c < sc->k; c++)
        if (p->tmp[c] > 0 && (uint64_t)p->tmp[c] == sc->size[c]) {
            whole++;
            if (sc->size[c] > maxwhole) maxwhole = sc->size[c];
        }
    if (n && lastg != UINT64_MAX && (uint64_t)p->tmp[lv->cl] != sc->size[lv->cl]) {
        partial = lv->cl;
        partial_n = (uint64_t)p->tmp[lv->cl];
    }
    memset(p->tmp, 0, sc->k * sizeof *p->tmp);
    json_object_set_new(th, "clusters_whole", json_integer((json_int_t)whole));
    json_object_set_new(th, "cluster_size_max_whole", json_integer((json_int_t)maxwhole));
    json_object_set_new(th, "partial_cluster", json_integer(partial));
    json_object_set_new(th, "partial_pruned", json_integer((json_int_t)partial_n));
    if (partial >= 0) json_object_set_new(th, "partial_distance_min", json_real(lv->ds));
    if (n) json_object_set_new(th, "size_last", part_ref(p, lastg));
    return SCIPRUNE_OK;
}

static void part_describe_dist(const part_ctx *p, uint64_t lastg, const part_vals *lv, json_t *th)
{
    if (lastg == UINT64_MAX) return;
    json_object_set_new(th, "distance_min", json_real(lv->ds));
    json_object_set_new(th, "distance_last", part_ref(p, lastg));
}

/* run_variant over ranks (collective). */
static sciprune_status part_variant(part_ctx *p, const variant *va, size_t v, uint8_t *mask,
                                    size_t nb, json_t *th, uint64_t *npruned, sciprune_error *err)
{
    scorer *sc = p->sc;
    sciprune_status st;
    int64_t gc[4] = {0, 0, 0, 0}; /* gated, parse_error, undefined_name, their weight */
    int gate = sciprune_score_metric_is_plan(va->metric);
    if (gate) {
        const uint8_t *gated = va->is_auto ? sc->gated_auto : sc->gated;
        for (uint64_t l = 0; l < sc->ntot; l++)
            if (gated[l]) {
                bit_set(mask, nb, l, v);
                gc[0]++;
                gc[1] += gated[l] & 1;
                gc[2] += (gated[l] >> 1) & 1;
                if (sc->w) gc[3] += (int64_t)sc->w[l];
            }
        if ((st = part_sum(p, gc, 4, err))) return st;
        if (va->is_auto)
            json_object_set_new(th, "gates_source", json_string("analyze/clean.*.npy (judged per language)"));
    }
    uint64_t ng = (uint64_t)gc[0], wg = (uint64_t)gc[3];
    rank_plan pl;
    rank_plan_make(&pl, va->metric, va->ratio, va->alpha, sc->nacc, ng);
    uint64_t n = pl.n, last[2] = {UINT64_MAX, UINT64_MAX};
    *npruned = gate && ng >= n ? ng : n;
    int exceed = ng > n;
    int size_first = va->metric == SCIPRUNE_METRIC_SIZE || va->metric == SCIPRUNE_METRIC_COMBINED;
    double goal = 0, fill = 0;
    uint64_t cum = wg, taken[2] = {0, 0};
    if (sc->w) {
        goal = va->ratio * (double)sc->wtot;
        fill = goal > (double)wg ? goal - (double)wg : 0;
    }
    for (size_t i = 0; i < pl.n_steps; i++) {
        size_t m = 0;
        for (uint64_t l = 0; l < sc->ntot; l++)
            if (sc->cl[l] >= 0 && !bit_get(mask, nb, l, v)) {
                p->a[m] = (rank_kg){make_key(sc, (int)pl.step[i].ord, l), p->gg[l], 0};
                p->aw[m] = sc->w ? sc->w[l] : 1;
                p->al[m++] = (uint32_t)l;
            }
        prune_cut_step_out o;
        if (sc->w) {
            int first_of_two = pl.n_steps == 2 && i == 0;
            uint64_t local = 0;
            st = prune_cut_step(p->a, p->aw, m, 0, first_of_two ? va->alpha * fill : goal,
                                first_of_two ? &local : &cum, &o, p->R, err);
            cum += local;
            taken[i] = o.taken;
            pl.step[i].count = o.taken;
        } else {
            uint64_t unused = 0;
            st = prune_cut_step(p->a, NULL, m, pl.step[i].count, 0, &unused, &o, p->R, err);
        }
        if (st) return st;
        last[i] = o.any ? o.g : UINT64_MAX;
        for (size_t k = 0; k < m; k++)
            if (prune_cut_taken(&p->a[k], &o)) {
                bit_set(mask, nb, p->al[k], v);
                if (size_first && i == 0) p->tmp[sc->cl[p->al[k]]]++;
            }
    }
    if (sc->w) {
        n = ng + taken[0] + taken[1];
        pl.n = n;
        pl.n_fill = taken[0] + taken[1];
        *npruned = n;
        json_object_set_new(th, "budget_goal", json_real(goal));
        json_object_set_new(th, "budget_pruned", json_integer((json_int_t)cum));
        if (gate) json_object_set_new(th, "budget_gated", json_integer((json_int_t)wg));
        exceed = gate && (double)wg > goal;
    }
    if (gate) {
        json_object_set_new(th, "n_gated", json_integer((json_int_t)ng));
        json_object_set_new(th, "n_gate_parse_error", json_integer((json_int_t)gc[1]));
        json_object_set_new(th, "n_gate_undefined_name", json_integer((json_int_t)gc[2]));
        json_object_set_new(th, "gates_exceed_budget", json_boolean(exceed));
        json_object_set_new(th, "n_fill", json_integer((json_int_t)pl.n_fill));
    }
    if (pl.n_steps == 2) {
        json_object_set_new(th, "n_by_size", json_integer((json_int_t)pl.step[0].count));
        json_object_set_new(th, "n_by_distance", json_integer((json_int_t)pl.step[1].count));
    }
    part_vals lv[2];
    if ((st = part_get(p, last[0], &lv[0], err)) || (st = part_get(p, last[1], &lv[1], err)))
        return st;
    switch (va->metric) {
    case SCIPRUNE_METRIC_AUTO:
    case SCIPRUNE_METRIC_DISTANCE_PC: /* not split (sciprune_score_sweep_part) */
    case SCIPRUNE_METRIC_COMBINED_PC:
        break;
    case SCIPRUNE_METRIC_SIZE:
        st = part_describe_size(p, n, last[0], &lv[0], th, err);
        break;
    case SCIPRUNE_METRIC_DISTANCE:
        part_describe_dist(p, last[0], &lv[0], th);
        break;
    case SCIPRUNE_METRIC_COMBINED:
        st = part_describe_size(p, pl.step[0].count, last[0], &lv[0], th, err);
        part_describe_dist(p, last[1], &lv[1], th);
        break;
    case SCIPRUNE_METRIC_GATE_DISTANCE:
        json_object_set_new(th, "n_by_distance", json_integer((json_int_t)pl.n_fill));
        part_describe_dist(p, last[0], &lv[0], th);
        break;
    case SCIPRUNE_METRIC_GATE_COMBINED:
        if (last[0] != UINT64_MAX) json_object_set_new(th, "size_last", part_ref(p, last[0]));
        part_describe_dist(p, last[1], &lv[1], th);
        break;
    case SCIPRUNE_METRIC_NATURALNESS:
    case SCIPRUNE_METRIC_LEARNED:
    case SCIPRUNE_METRIC_GATE_NATURALNESS:
    case SCIPRUNE_METRIC_GATE_LEARNED:
    case SCIPRUNE_METRIC_SITES:
    case SCIPRUNE_METRIC_GATE_SITES:
        if (last[0] != UINT64_MAX) {
            float x = va->metric == SCIPRUNE_METRIC_NATURALNESS ||
                              va->metric == SCIPRUNE_METRIC_GATE_NATURALNESS
                          ? lv[0].nat
                      : va->metric == SCIPRUNE_METRIC_SITES || va->metric == SCIPRUNE_METRIC_GATE_SITES
                          ? lv[0].sites
                          : lv[0].learned;
            json_object_set_new(th, "signal_min", json_real(x));
            json_object_set_new(th, "last", part_ref(p, last[0]));
        }
        break;
    case SCIPRUNE_METRIC_GATE_SIZE:
    case SCIPRUNE_METRIC_GATE_RANDOM:
    case SCIPRUNE_METRIC_GATE_LENGTH:
        if (last[0] != UINT64_MAX) json_object_set_new(th, "last", part_ref(p, last[0]));
        break;
    case SCIPRUNE_METRIC_RANDOM:
        if (n) {
            char hex[20];
            snprintf(hex, sizeof hex, "%016llx", (unsigned long long)lv[0].rkey);
            json_object_set_new(th, "hash_max", json_string(hex));
            json_object_set_new(th, "last", part_ref(p, last[0]));
        }
        break;
    case SCIPRUNE_METRIC_LENGTH:
        if (n) {
            json_object_set_new(th, "length_min", json_integer((json_int_t)lv[0].len));
            json_object_set_new(th, "last", part_ref(p, last[0]));
        }
        break;
    }
    return st;
}

/* numpy's linear quantile from the ascending values at positions lo and hi. */
static double part_quantile(uint64_t n, double q, const float *at /* lo, hi */)
{
    double h = q * (double)(n - 1);
    uint64_t lo = (uint64_t)floor(h);
    double a = at[0], b = at[1];
    return a + (h - (double)lo) * (b - a);
}

/* clusters_json over ranks (collective): pruned counts summed; per cluster the values at the
 * 12 positions min, max and p10..p90's two neighbours found by prune_cut_find_top (ascending
 * distance; ties do not matter for a value), the means from summed exact bins. A distance of
 * -0 reads back as +0 (rank_ford maps them alike). */
static sciprune_status part_clusters(part_ctx *p, const uint8_t *mask, size_t nb, size_t nv,
                                     uint64_t *cpruned, json_t **out, sciprune_error *err)
{
    scorer *sc = p->sc;
    enum { BATCH = 1024, PER = 12 };
    static const double qs[5] = {0.10, 0.25, 0.50, 0.75, 0.90};
    sciprune_status st = SCIPRUNE_OK;
    int64_t *cp = calloc(nv * sc->k > 0 ? nv * sc->k : 1, sizeof *cp);
    prune_cut *tg = calloc(BATCH * PER, sizeof *tg);
    int64_t *vals = calloc(BATCH * PER, sizeof *vals);
    int64_t *bins = calloc((size_t)BATCH * SUM_BINS, sizeof *bins);
    json_t *jc = json_array();
    if (!cp || !tg || !vals || !bins || !jc) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto done;
    }
    for (uint64_t l = 0; l < sc->ntot; l++) {
        if (sc->cl[l] < 0) continue;
        for (size_t v = 0; v < nv; v++)
            if (bit_get(mask, nb, l, v)) cp[v * sc->k + (size_t)sc->cl[l]]++;
    }
    if ((st = part_sum(p, cp, nv * sc->k, err))) goto done;
    for (size_t i = 0; i < nv * sc->k; i++) cpruned[i] = (uint64_t)cp[i];
    size_t m = 0;
    for (uint64_t l = 0; l < sc->ntot; l++)
        if (sc->cl[l] >= 0) /* the value in the key's top 32 bits: 8 rounds of 4 bits find it */
            p->a[m++] = (rank_kg){(uint64_t)rank_ford(sc->ds[l]) << 32, p->gg[l], (uint32_t)sc->cl[l]};
    for (size_t c0 = 0; c0 < sc->k; c0 += BATCH) {
        size_t c1 = c0 + BATCH < sc->k ? c0 + BATCH : sc->k, nt = 0;
        for (size_t c = c0; c < c1; c++) {
            uint64_t n = sc->size[c];
            if (!n) continue;
            uint64_t pos[PER] = {0, n - 1};
            for (int q = 0; q < 5; q++) {
                double h = qs[q] * (double)(n - 1);
                uint64_t lo = (uint64_t)floor(h);
                pos[2 + 2 * q] = lo;
                pos[3 + 2 * q] = lo + 1 < n ? lo + 1 : lo;
            }
            for (int j = 0; j < PER; j++) tg[nt++] = (prune_cut){.group = (uint32_t)c, .t = pos[j] + 1};
        }
        if ((st = prune_cut_find_top(p->a, NULL, m, tg, nt, 4, 32, p->R, err))) goto done;
        for (size_t j = 0; j < nt; j++) { /* rank_ford back to the float (+0 for a zero) */
            uint32_t k = (uint32_t)(tg[j].key >> 32);
            vals[j] = (int64_t)((k & 0x80000000u) ? (k & 0x7fffffffu) : ~k);
        }
        memset(bins, 0, (c1 - c0) * SUM_BINS * sizeof *bins);
        for (uint64_t l = 0; l < sc->ntot; l++)
            if (sc->cl[l] >= 0 && (size_t)sc->cl[l] >= c0 && (size_t)sc->cl[l] < c1)
                sum_add(bins + ((size_t)sc->cl[l] - c0) * SUM_BINS, sc->ds[l]);
        if ((st = part_sum(p, bins, (c1 - c0) * SUM_BINS, err))) goto done;
        size_t j = 0;
        for (size_t c = c0; c < c1; c++) {
            uint64_t n = sc->size[c];
            json_t *pr = json_array();
            for (size_t v = 0; v < nv; v++) json_array_append_new(pr, json_integer((json_int_t)cpruned[v * sc->k + c]));
            json_t *d = json_null();
            if (n) {
                float f[PER];
                for (int q = 0; q < PER; q++) f[q] = u2f(vals[j + (size_t)q]);
                j += PER;
                double sum = sum_value(bins + (c - c0) * SUM_BINS);
                d = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "min", (double)f[0],
                              "p10", part_quantile(n, 0.10, f + 2), "p25", part_quantile(n, 0.25, f + 4),
                              "p50", part_quantile(n, 0.50, f + 6), "p75", part_quantile(n, 0.75, f + 8),
                              "p90", part_quantile(n, 0.90, f + 10), "max", (double)f[1],
                              "mean", sum / (double)n);
            }
            json_array_append_new(jc, json_pack("{s:i, s:I, s:o, s:o}", "id", (int)c, "size",
                                                (json_int_t)n, "dist", d, "pruned", pr));
        }
    }
done:
    free(cp);
    free(tg);
    free(vals);
    free(bins);
    if (st) json_decref(jc);
    else *out = jc;
    return st;
}

sciprune_status sciprune_score_sweep_part(const char *workdir, const sciprune_shard_set *shards,
                                          const sciprune_score_settings *s,
                                          const struct sciprune_ranks *ranks,
                                          sciprune_score_info *info, sciprune_error *err)
{
    if (!ranks || ranks->size <= 1 || !ranks->reduce_sum)
        return ranks && ranks->rank != 0 ? SCIPRUNE_OK : sciprune_score_sweep(workdir, shards, s, info, err);
    double t0 = sp_now();
    int need_len = 0, need_rand = 0, read = 0, need_sig = 0;
    prune_auto au;
    memset(&au, 0, sizeof au);
    /* the same checks on every rank (the same files): the same outcome */
    sciprune_status st = check_settings(workdir, shards, s, &au, &need_len, &need_rand, &read,
                                        &need_sig, err);
    if (st) return st;
    int pc = 0, gates = 0, gates_auto = 0;
    for (size_t i = 0; i < s->n_metrics; i++) {
        sciprune_score_metric me = s->metrics[i] == SCIPRUNE_METRIC_AUTO ? au.metric : s->metrics[i];
        pc |= me == SCIPRUNE_METRIC_DISTANCE_PC || me == SCIPRUNE_METRIC_COMBINED_PC;
        if (sciprune_score_metric_is_plan(me)) {
            if (s->metrics[i] == SCIPRUNE_METRIC_AUTO) gates_auto = 1;
            else gates = 1;
        }
    }
    /* positions inside a cluster, or one plan per language (score.per_lang proportional): rank
     * 0 ranks the corpus in memory, as one process */
    if (pc || s->per_lang != SCIPRUNE_PER_LANG_GLOBAL)
        return ranks->rank == 0 ? sciprune_score_sweep(workdir, shards, s, info, err) : SCIPRUNE_OK;

    size_t S = shards->n, N = (size_t)ranks->size, R0 = (size_t)ranks->rank;
    sciprune_shard_set sub = {0, NULL, NULL};
    scorer sc;
    memset(&sc, 0, sizeof sc);
    part_ctx p;
    memset(&p, 0, sizeof p);
    p.sc = &sc;
    p.all = shards;
    p.R = ranks;
    p.rank = R0;
    p.size = N;
    variant *va = NULL;
    uint8_t *mask = NULL;
    uint64_t *cpruned = NULL, *npr = NULL;
    int64_t *red = NULL;
    json_t *clj = NULL, *plan = NULL, *jv = NULL;
    char *cpath = sp_wpath(workdir, SP_WF_CLUSTERS, NULL);
    char *sdir = sp_wdir_path(workdir, SP_WD_SCORE);
    char *ppath = sp_wpath(workdir, SP_WF_PLAN, NULL);
    size_t nsub = S > R0 ? (S - R0 + N - 1) / N : 0;
    sub.names = calloc(nsub ? nsub : 1, sizeof *sub.names);
    sub.paths = calloc(nsub ? nsub : 1, sizeof *sub.paths);
    if (!cpath || !sdir || !ppath || !sub.names || !sub.paths) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto local_done;
    }
    for (size_t i = R0; i < S; i += N) {
        sub.names[sub.n] = shards->names[i];
        sub.paths[sub.n++] = shards->paths ? shards->paths[i] : NULL;
    }
    sc.workdir = workdir;
    sc.shards = &sub;
    sc.set = s;
    if ((st = sp_inputs_verify(workdir, &sub, err))) goto local_done;
    if ((st = prune_json_load(cpath, 0, &clj, err))) {
        if (st == SCIPRUNE_EIO) {
            st = SCIPRUNE_ESTATE;
            if (err) err->code = st;
        }
        goto local_done;
    }
    json_int_t kk = json_integer_value(json_object_get(clj, "k"));
    if (kk < 1 || kk > (1 << 24)) {
        st = sp_err(err, SCIPRUNE_EPARSE, cpath, -1, -1, "no valid \"k\"");
        goto local_done;
    }
    sc.k = (size_t)kk;
    sc.off = calloc(sub.n + 1, sizeof *sc.off);
    sc.acc_shard = calloc(sub.n + 1, sizeof *sc.acc_shard);
    sc.size = calloc(sc.k, sizeof *sc.size);
    sc.crank = calloc(sc.k, sizeof *sc.crank);
    p.tmp = calloc(sc.k, sizeof *p.tmp);
    p.goff = calloc(S + 1, sizeof *p.goff);
    p.gacc = calloc(S, sizeof *p.gacc);
    sc.row0 = calloc(sub.n + 1, sizeof *sc.row0);
    red = calloc(2 + 2 * S + sc.k, sizeof *red);
    if (!sc.off || !sc.acc_shard || !sc.size || !sc.crank || !p.tmp || !p.goff || !p.gacc ||
        !sc.row0 || !red) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto local_done;
    }
    if (sub.n) {
        if ((st = load_assign(&sc, err))) goto local_done;
    } else {
        sc.cl = malloc(sizeof *sc.cl);
        sc.ds = malloc(sizeof *sc.ds);
        sc.pos = calloc(1, sizeof *sc.pos);
        if (!sc.cl || !sc.ds || !sc.pos) {
            st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            goto local_done;
        }
    }
    if (sub.n && (st = apply_decontam(&sc, err))) goto local_done;
local_done:
    /* meet: [failed, ncontam, rows per shard, accepted per shard, cluster sizes] */
    if (red) {
        red[0] = st != SCIPRUNE_OK;
        red[1] = (int64_t)sc.ncontam;
        for (size_t j = 0; !st && j < sub.n; j++) {
            red[2 + R0 + j * N] = (int64_t)(sc.off[j + 1] - sc.off[j]);
            red[2 + S + R0 + j * N] = (int64_t)sc.acc_shard[j];
        }
        for (size_t c = 0; !st && c < sc.k; c++) red[2 + 2 * S + c] = (int64_t)sc.size[c];
        sciprune_status rs = part_sum(&p, red, red ? 2 + 2 * S + sc.k : 0, err);
        if (!st) st = rs;
    } else {
        int64_t f[1] = {1}; /* out of memory before the meeting: its size is unknown here */
        part_sum(&p, f, 1, NULL);
    }
    if (st || red[0]) goto done; /* another rank failed: the caller's status exchange names it */
    sc.ncontam = (uint64_t)red[1];
    for (size_t i = 0; i < S; i++) {
        p.goff[i + 1] = p.goff[i] + (uint64_t)red[2 + i];
        p.gacc[i] = (uint64_t)red[2 + S + i];
    }
    sc.nacc = 0;
    for (size_t c = 0; c < sc.k; c++) sc.nacc += (sc.size[c] = (uint64_t)red[2 + 2 * S + c]);
    if (p.goff[S] >= UINT32_MAX) {
        st = sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "more than 4G records in one scoring pass");
        goto done;
    }
    for (size_t j = 0, row = 0, i = 0; j < sub.n; j++) { /* the analysis' rows of my shards */
        for (; i < R0 + j * N; i++) row += p.gacc[i];
        sc.row0[j] = row;
    }
    uint64_t nloc = sc.ntot;
    int fail = 0;
    if ((st = rank_cluster_ranks(sc.size, sc.k, sc.crank, err))) fail = 1;
    p.gg = malloc((nloc ? nloc : 1) * sizeof *p.gg);
    p.a = malloc((nloc ? nloc : 1) * sizeof *p.a);
    p.aw = malloc((nloc ? nloc : 1) * sizeof *p.aw);
    p.al = malloc((nloc ? nloc : 1) * sizeof *p.al);
    if (!fail && (!p.gg || !p.a || !p.aw || !p.al)) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        fail = 1;
    }
    for (size_t j = 0; !fail && j < sub.n; j++)
        for (uint64_t l = sc.off[j]; l < sc.off[j + 1]; l++)
            p.gg[l] = (uint32_t)(p.goff[R0 + j * N] + (l - sc.off[j]));
    if (!fail && read) {
        if (need_len) sc.len = calloc(nloc ? nloc : 1, sizeof *sc.len);
        if (need_rand) sc.idh = calloc(nloc ? nloc : 1, sizeof *sc.idh);
        int weighted = s->budget != SCIPRUNE_BUDGET_RECORDS;
        if (weighted) sc.w = calloc(nloc ? nloc : 1, sizeof *sc.w);
        if ((need_len && !sc.len) || (need_rand && !sc.idh) || (weighted && !sc.w)) {
            st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            fail = 1;
        } else if (sub.n && (st = sp_parallel_for(sub.n, s->threads, read_shard, &sc, err))) {
            fail = 1;
        }
        sc.ids_from_shards = need_rand;
        for (uint64_t l = 0; !fail && sc.w && l < nloc; l++)
            if (sc.cl[l] >= 0) sc.wtot += sc.w[l];
    }
    if (!fail && need_sig && (st = load_signals(&sc, need_sig, err))) fail = 1;
    if (!fail && gates && (st = load_gates(&sc, err))) fail = 1;
    if (!fail && gates_auto && (st = load_gates_auto(&sc, err))) fail = 1;
    size_t nv = 0;
    if (!fail && (st = make_variants(s, &au, &va, &nv, err))) fail = 1;
    size_t nb = (nv + 7) / 8;
    if (!fail) {
        mask = calloc(nloc ? nloc * nb : 1, 1);
        cpruned = calloc(nv * sc.k, sizeof *cpruned);
        npr = calloc(nv, sizeof *npr);
        jv = json_array();
        if (!mask || !cpruned || !npr || !jv) {
            st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory for the masks");
            fail = 1;
        }
    }
    int64_t meet[2] = {fail, (int64_t)sc.wtot}; /* [failed, budget total] */
    if (part_sum(&p, meet, 2, fail ? NULL : err) && !fail) st = SCIPRUNE_EIO;
    if (st || meet[0]) goto done;
    sc.wtot = (uint64_t)meet[1];

    for (size_t v = 0; v < nv; v++) {
        json_t *th = json_object();
        if ((st = part_variant(&p, &va[v], v, mask, nb, th, &npr[v], err))) {
            json_decref(th);
            goto done;
        }
        json_array_append_new(jv, variant_json(&sc, s, &va[v], v, npr[v], th, &au));
    }
    decontam_mark(&sc, mask, nb, nv);
    json_t *jc = NULL;
    if ((st = part_clusters(&p, mask, nb, nv, cpruned, &jc, err))) goto done;
    if ((st = sp_mkdirs(sdir, err))) {
        json_decref(jc);
        goto done;
    }
    json_t *jown = NULL; /* this rank's masks */
    if (sub.n && (st = write_masks(&sc, mask, nb, &jown, err))) {
        json_decref(jc);
        goto done;
    }
    json_decref(jown);
    if (info) {
        info->n_variants = nv;
        info->n_records = p.goff[S];
        info->n_accepted = sc.nacc + sc.ncontam;
        info->seconds = sp_now() - t0;
    }
    if (R0 != 0) {
        json_decref(jc);
        goto done;
    }
    json_t *jsh = json_array();
    for (size_t i = 0; i < S; i++)
        json_array_append_new(jsh, json_pack("{s:s, s:I, s:I}", "name", shards->names[i], "rows",
                                             (json_int_t)(p.goff[i + 1] - p.goff[i]), "accepted",
                                             (json_int_t)p.gacc[i]));
    double secs = sp_now() - t0;
    uint64_t ntot = p.goff[S];
    /* per_lang is always "global" here (proportional runs on rank 0, sciprune_score_sweep);
     * sc.contam: decontam ran (rank 0 holds shard 0: it loaded W/decontam/) */
    plan = plan_json(&sc, s, ntot, nv, nb, jv, jc, jsh, secs);
    jv = NULL;
    if (!plan) {
        st = sp_err(err, SCIPRUNE_ENOMEM, ppath, -1, -1, "cannot build JSON");
        goto done;
    }
    st = prune_json_write(ppath, plan, err);
done:
    json_decref(plan);
    json_decref(jv);
    json_decref(clj);
    free(cpath);
    free(sdir);
    free(ppath);
    free(va);
    free(mask);
    free(cpruned);
    free(npr);
    free(red);
    free(sub.names);
    free(sub.paths);
    free(p.tmp);
    free(p.goff);
    free(p.gacc);
    free(p.gg);
    free(p.a);
    free(p.aw);
    free(p.al);
    scorer_free(&sc);
    return st;
}
