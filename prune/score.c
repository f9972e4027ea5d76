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
 * A variant with ratio p prunes n = floor(p * accepted + 0.5) records: the first n of its
 * order; combined takes n_s = floor(alpha * n + 0.5) of the size order, then the first
 * n - n_s records of the distance (or distance-pc) order not taken yet. Every threshold is
 * exact: the whole corpus is ranked in memory (about 40 bytes per record at most).
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
 *                            "random_key", "mask_bytes", "seconds", "peak_rss"}
 */
#include "prune_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
       ORD_RANDOM = RANK_ORD_RANDOM, ORD_LENGTH = RANK_ORD_LENGTH, ORD_CLUSTER = RANK_ORD_COUNT,
       ORD_COUNT };

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
    int ids_from_shards;
    uint64_t *size;       /* k: accepted records per cluster */
    uint32_t *crank;      /* k: rank of a cluster by (size, id) */
    uint32_t *pos;        /* ntot: rank inside the cluster by (~dist, g) (after ORD_CLUSTER) */
    uint32_t *ord[ORD_COUNT]; /* nacc each, computed on demand */
    uint8_t *gated;       /* ntot or NULL: bit 0 parse_error > 0, bit 1 undefined_name > 0 */
    uint8_t *gated_auto;  /* ntot or NULL: the same with the gates the analysis judged per
                             language (W/analyze/clean.*.npy), for metric auto */
} scorer;

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
        if (!st && (a.dtype != SP_NPY_F32 || a.cols || a.rows != sc->nacc)) {
            sp_npy_close(&a);
            st = sp_err(err, SCIPRUNE_ESTATE, p, -1, -1,
                        "want a float32 vector of the %llu accepted records: the analysis is "
                        "of another corpus", (unsigned long long)sc->nacc);
        }
        free(p);
        if (st) return st;
        const float *v = a.data;
        uint64_t row = 0;
        for (uint64_t g = 0; g < sc->ntot; g++)
            if (sc->cl[g] >= 0 && v[row++] > 0.0f) sc->gated_auto[g] |= (uint8_t)(1u << k);
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
    for (size_t i = 0; i < p.n_steps; i++) {
        if ((st = build_order(sc, (int)p.step[i].ord, err))) return st;
        last[i] = rank_take(sc->ord[p.step[i].ord], sc->nacc, mask + v / 8, nb,
                            (uint8_t)(1u << (v % 8)), p.step[i].count, NULL);
    }
    if (gate) {
        json_object_set_new(th, "n_gated", json_integer((json_int_t)ng));
        json_object_set_new(th, "n_gate_parse_error", json_integer((json_int_t)npe));
        json_object_set_new(th, "n_gate_undefined_name", json_integer((json_int_t)nun));
        json_object_set_new(th, "gates_exceed_budget", json_boolean(ng > n));
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
        if (rej != (sc->cl[g] < 0)) {
            st = sp_err(err, SCIPRUNE_ESTATE, path, rec->line, -1,
                        "line is %s here but %s in assign/: shard changed, or other shard options",
                        rej ? "rejected" : "accepted", rej ? "accepted" : "rejected");
            break;
        }
        if (rej) continue;
        if (sc->len) sc->len[g] = rec->text_len > UINT32_MAX ? UINT32_MAX : (uint32_t)rec->text_len;
        if (sc->idh)
            sc->idh[g] = rank_key_random_id(rec->id, sc->set->seed);
    }
    if (!st && line != rows)
        st = sp_err(err, SCIPRUNE_ESTATE, path, -1, -1,
                    "shard has %llu lines, assign/ has %llu: changed since embedding?",
                    (unsigned long long)line, (unsigned long long)rows);
    sciprune_shard_reader_close(r);
    return st;
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
                                      sciprune_error *err)
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
        *need_len |= me == SCIPRUNE_METRIC_LENGTH || me == SCIPRUNE_METRIC_GATE_LENGTH;
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
                      "the length metric reads the input shards: give their paths");
    *read = *need_len || (*need_rand && have_paths) || s->read_shards;
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
            double sum = 0;
            for (uint64_t i = 0; i < n; i++) sum += sc->ds[desc[i]];
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

sciprune_status sciprune_score_sweep(const char *workdir, const sciprune_shard_set *shards,
                                     const sciprune_score_settings *s, sciprune_score_info *info,
                                     sciprune_error *err)
{
    double t0 = sp_now();
    int need_len = 0, need_rand = 0, read = 0;
    prune_auto au;
    memset(&au, 0, sizeof au);
    sciprune_status st = check_settings(workdir, shards, s, &au, &need_len, &need_rand, &read, err);
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
    if ((st = rank_cluster_ranks(sc.size, sc.k, sc.crank, err))) goto done;
    if (read) {
        if (need_len) sc.len = calloc(sc.ntot ? sc.ntot : 1, sizeof *sc.len);
        if (need_rand) sc.idh = calloc(sc.ntot ? sc.ntot : 1, sizeof *sc.idh);
        if ((need_len && !sc.len) || (need_rand && !sc.idh)) {
            st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            goto done;
        }
        if ((st = sp_parallel_for(shards->n, s->threads, read_shard, &sc, err))) goto done;
        sc.ids_from_shards = need_rand;
    }

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
        if ((st = run_variant(&sc, &va[v], v, mask, nb, tmp, th, &npr[v], err))) {
            json_decref(th);
            goto done;
        }
        json_t *o = json_pack("{s:s, s:s, s:f, s:i, s:I, s:I, s:o}", "name", va[v].name, "metric",
                              sciprune_score_metric_name(va[v].metric), "ratio", va[v].ratio, "bit", (int)v,
                              "n_pruned", (json_int_t)npr[v], "n_kept",
                              (json_int_t)(sc.nacc - npr[v]), "threshold", th);
        if (va[v].alpha >= 0) json_object_set_new(o, "alpha", json_real(va[v].alpha));
        if (va[v].is_auto) json_object_set_new(o, "auto", prune_auto_json(&au));
        json_array_append_new(jv, o);
    }
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
    plan = json_pack("{s:I, s:I, s:I, s:I, s:I, s:s, s:i, s:i, s:o, s:o, s:o, s:f, s:I}", "k",
                     (json_int_t)sc.k, "n_records", (json_int_t)sc.ntot, "n_accepted",
                     (json_int_t)sc.nacc, "n_rejected", (json_int_t)(sc.ntot - sc.nacc), "seed",
                     (json_int_t)s->seed, "random_key", sc.ids_from_shards ? "id" : "address",
                     "n_variants", (int)nv, "mask_bytes", (int)nb, "variants", jv, "clusters", jc,
                     "shards", jsh, "seconds", secs, "peak_rss", (json_int_t)sp_peak_rss());
    jv = NULL;
    if (!plan) {
        st = sp_err(err, SCIPRUNE_ENOMEM, ppath, -1, -1, "cannot build JSON");
        goto done;
    }
    if ((st = prune_json_write(ppath, plan, err))) goto done;
    if (info) {
        info->n_variants = nv;
        info->n_records = sc.ntot;
        info->n_accepted = sc.nacc;
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
    free(sc.off);
    free(sc.acc_shard);
    free(sc.cl);
    free(sc.ds);
    free(sc.len);
    free(sc.idh);
    free(sc.size);
    free(sc.crank);
    free(sc.pos);
    free(sc.gated);
    free(sc.gated_auto);
    for (int i = 0; i < ORD_COUNT; i++) free(sc.ord[i]);
    return st;
}
