/*
 * export.c - `sciprune export`: one variant of a finished workdir as a pruning model folder.
 *
 * Folder (written as <out>.tmp.<pid>/ and renamed to <out>; an older model there is replaced):
 *   model.json             the model, below
 *   embed/embedder.json    W/embed/embedder.json as is (sciprune_embedder_load reads the folder)
 *   embed/idf.npy          W/embed/idf.npy (hash backend with idf)
 *   embed/sites.npy        W/embed/sites.npy when there is one (embed features with "sites":
 *                          the embedder does not load without its site detectors)
 *   centroids.npy          W/index/centroids.npy: float32 k x d (unit rows for cosine)
 *
 * model.json (format version 1; a reader refuses any other "version"):
 *   {"format": "sciprune-model", "version": 1, "sciprune": "0.1.0",
 *    "variant": {"name", "metric" (the metric it stands for; auto: resolved), "ratio",
 *                "alpha" (metrics with one), "auto": {...} (plan.json's, auto variants)},
 *    "source": {"workdir", "n_records", "n_accepted", "n_pruned", "n_gated"},
 *    "embed": {"backend", "dim", "dtype": "float32"|"float16"},
 *    "index": {"k", "d", "space": "cosine"|"l2", "sizes": [k training records per cluster]},
 *    "random": {"seed", "key": "id"|"address"},
 *    "gates": {"plan": true|false (the variant prunes gated records first),
 *              "parse_error_langs", "undefined_name_langs": [langs] | "all" (the gates'
 *              settings: W/gates/summary.json, else the defaults), "js_envs": comma string
 *              ("" = auto), "judged_off": {"parse_error": [langs], "undefined_name": [langs]}
 *              (auto variants: the languages the analysis judged a gate off for)},
 *    "steps": [{"order": "size"|"distance"|"distance-pc"|"random"|"length", "count" (records
 *               the plan gives the step), "taken",
 *               "cut": null (nothing taken) | {"key": 16 hex digits (rank.h's key of the last
 *                       record taken), "cluster", "distance", "shard", "line"},
 *               "clusters": [[cluster, 8 hex digits = rank_ford(distance of the last record
 *                       the step pruned in it), distance], ...] (distance-pc only),
 *               "training": [[text hash (16 hex), id, 1 pruned | 0 kept], ...] (the
 *                       training records near the cut: same key for random and length, a
 *                       distance within MODEL_NEAR_EPS of the cut's (size: in the cut's
 *                       cluster; distance-pc: of their cluster's cut) for the others)}]}
 * The rule a model applies is in sciprune.h (section model). Thresholds come from replaying
 * rank_plan_make()/rank_take() over the workdir's assign/, gates and the shards, the same
 * calls score/ makes; the replay must give score/<shard>.prune.npy's bit for every record or
 * the export fails (ESTATE).
 */
#include "model_int.h"
#include "sciprune_config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

static const char *const k_order_names[RANK_ORD_COUNT] = {
    [RANK_ORD_SIZE] = "size", [RANK_ORD_DIST] = "distance", [RANK_ORD_RANDOM] = "random",
    [RANK_ORD_LENGTH] = "length", [RANK_ORD_PC] = "distance-pc", [RANK_ORD_NAT] = "naturalness",
    [RANK_ORD_LEARNED] = "learned", [RANK_ORD_SITES] = "sites"};

const char *model_order_name(rank_order o)
{
    return (unsigned)o < RANK_ORD_COUNT ? k_order_names[o] : NULL;
}

int model_order_parse(const char *name)
{
    for (int i = 0; i < RANK_ORD_COUNT; i++)
        if (name && k_order_names[i] && !strcmp(name, k_order_names[i])) return i;
    return -1;
}

uint64_t model_text_hash(const char *text, size_t len)
{
    return sp_hash64(text, len, 0x5C1B5EEDull);
}

static sciprune_status nomem(sciprune_error *err)
{
    return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
}

typedef struct ex {
    const char *workdir;
    sciprune_shard_set *sh;
    size_t k;
    uint64_t ntot, nacc;
    uint64_t *off;     /* n + 1 */
    int32_t *cl;       /* ntot */
    float *ds;         /* ntot */
    uint32_t *len;     /* ntot */
    uint64_t *idh;     /* ntot: random key */
    uint64_t *th;      /* ntot: text hash */
    uint8_t *gated;    /* ntot: bit 0 parse_error, bit 1 undefined_name */
    uint64_t *size;    /* k */
    uint32_t *crank;   /* k */
    uint32_t *pos;     /* ntot: position inside the cluster (distance-pc) */
    uint32_t *ord[RANK_ORD_COUNT];  /* nacc each, on demand */
    uint32_t *inv[RANK_ORD_COUNT];  /* ntot: position of g in ord */
    uint32_t *clord;   /* cluster-by-cluster order (distance-pc positions) */
    char **want_id;    /* ntot: ids fetched in the second pass for marked records */
    uint8_t *want;     /* ntot */
    uint64_t seed;
    int key_by_id;
    /* the embed-pass signals (variants ranked by one): naturalness, sites, learned (ntot
     * each, or NULL), learned's weights (W/analyze/report.json semantic.learned_weights) */
    float *nat, *sites, *learned;
    int nat_absent;    /* learned without a naturalness signal (zeros, weight 0) */
    double lw[RANK_LEARNED_NF], lb;
} ex;

static void ex_free(ex *x)
{
    free(x->off);
    free(x->cl);
    free(x->ds);
    free(x->len);
    free(x->idh);
    free(x->th);
    free(x->gated);
    free(x->size);
    free(x->crank);
    free(x->pos);
    free(x->clord);
    for (int i = 0; i < RANK_ORD_COUNT; i++) free(x->ord[i]), free(x->inv[i]);
    if (x->want_id)
        for (uint64_t g = 0; g < x->ntot; g++) free(x->want_id[g]);
    free(x->want_id);
    free(x->want);
    free(x->nat);
    free(x->sites);
    free(x->learned);
    sciprune_shard_set_free(x->sh);
}

static sciprune_status load_json(const char *path, json_t **out, sciprune_error *err)
{
    json_error_t je;
    *out = json_load_file(path, 0, &je);
    if (!*out) {
        if (!sp_exists(path))
            return sp_err(err, SCIPRUNE_ESTATE, path, -1, -1, "missing: run the stages first");
        return sp_err(err, SCIPRUNE_EPARSE, path, je.line, -1, "%s", je.text);
    }
    return SCIPRUNE_OK;
}

static sciprune_status load_assign(ex *x, sciprune_error *err)
{
    size_t n = x->sh->n;
    x->off = calloc(n + 1, sizeof *x->off);
    x->size = calloc(x->k, sizeof *x->size);
    x->crank = calloc(x->k, sizeof *x->crank);
    if (!x->off || !x->size || !x->crank) return nomem(err);
    sciprune_status st = SCIPRUNE_OK;
    for (size_t pass = 0; pass < 2 && !st; pass++)
        for (size_t i = 0; i < n && !st; i++) {
            char *cp = sp_wpath(x->workdir, SP_WF_CLUSTER, x->sh->names[i]);
            char *dp = sp_wpath(x->workdir, SP_WF_DIST, x->sh->names[i]);
            sp_npy ca, da;
            memset(&ca, 0, sizeof ca);
            memset(&da, 0, sizeof da);
            if (!cp || !dp) st = nomem(err);
            if (!st) st = sp_npy_open(&ca, cp, err);
            if (!st) st = sp_npy_open(&da, dp, err);
            if (!st && (ca.dtype != SP_NPY_I32 || da.dtype != SP_NPY_F32 || ca.cols || da.cols ||
                        ca.rows != da.rows))
                st = sp_err(err, SCIPRUNE_ESTATE, cp, -1, -1, "assign files of different shapes");
            if (st == SCIPRUNE_EIO) {
                st = SCIPRUNE_ESTATE;
                if (err) err->code = st;
            }
            if (!st && pass == 0) {
                x->off[i + 1] = x->off[i] + ca.rows;
            } else if (!st) {
                if (ca.rows != x->off[i + 1] - x->off[i])
                    st = sp_err(err, SCIPRUNE_ESTATE, cp, -1, -1, "changed while reading");
                else {
                    memcpy(x->cl + x->off[i], ca.data, ca.rows * 4);
                    memcpy(x->ds + x->off[i], da.data, da.rows * 4);
                }
            }
            sp_npy_close(&ca);
            sp_npy_close(&da);
            free(cp);
            free(dp);
            if (!st && pass == 0 && i + 1 == n) {
                x->ntot = x->off[n];
                if (x->ntot >= UINT32_MAX)
                    return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "more than 4G records");
                size_t m = x->ntot ? x->ntot : 1;
                x->cl = malloc(m * sizeof *x->cl);
                x->ds = malloc(m * sizeof *x->ds);
                x->len = calloc(m, sizeof *x->len);
                x->idh = calloc(m, sizeof *x->idh);
                x->th = calloc(m, sizeof *x->th);
                x->gated = calloc(m, 1);
                x->pos = calloc(m, sizeof *x->pos);
                x->want = calloc(m, 1);
                x->want_id = calloc(m, sizeof *x->want_id);
                if (!x->cl || !x->ds || !x->len || !x->idh || !x->th || !x->gated || !x->pos ||
                    !x->want || !x->want_id)
                    return nomem(err);
            }
        }
    if (st) return st;
    for (uint64_t g = 0; g < x->ntot; g++) {
        if (x->cl[g] < -1 || x->cl[g] >= (int32_t)x->k)
            return sp_err(err, SCIPRUNE_ESTATE, NULL, -1, -1, "cluster %d out of range", x->cl[g]);
        if (x->cl[g] >= 0) {
            x->size[x->cl[g]]++;
            x->nacc++;
        }
    }
    return rank_cluster_ranks(x->size, x->k, x->crank, err);
}

/* Read every shard once: lengths, random keys, text hashes (pass 0); ids of the wanted
 * records (pass 1). */
static sciprune_status read_shards(ex *x, int pass, sciprune_error *err)
{
    sciprune_shard_options so;
    sciprune_shard_options_default(&so);
    for (size_t i = 0; i < x->sh->n; i++) {
        const char *path = x->sh->paths[i];
        if (!path)
            return sp_err(err, SCIPRUNE_ESTATE, x->sh->names[i], -1, -1,
                          "the shard's path is unknown (W/embed/shards.json)");
        sciprune_shard_reader *r;
        sciprune_status st = sciprune_shard_reader_open(&r, path, &so, err);
        if (st) return st;
        uint64_t rows = x->off[i + 1] - x->off[i], line = 0;
        const sciprune_record *rec;
        for (;;) {
            if ((st = sciprune_shard_reader_next(r, &rec, err)) || !rec) break;
            if (line >= rows) {
                st = sp_err(err, SCIPRUNE_ESTATE, path, rec->line, -1, "more lines than assign/");
                break;
            }
            uint64_t g = x->off[i] + line++;
            int rej = rec->reject != SCIPRUNE_REJECT_NONE;
            if (rej != (x->cl[g] < 0)) {
                st = sp_err(err, SCIPRUNE_ESTATE, path, rec->line, -1,
                            "accepted/rejected differs from assign/: shard changed, or other "
                            "shard options than the defaults");
                break;
            }
            if (rej) continue;
            if (pass == 0) {
                x->len[g] = rec->text_len > UINT32_MAX ? UINT32_MAX : (uint32_t)rec->text_len;
                x->idh[g] = x->key_by_id ? rank_key_random_id(rec->id, x->seed)
                                         : rank_key_random_addr(x->sh->names[i], line, x->seed);
                x->th[g] = model_text_hash(rec->text, rec->text_len);
            } else if (x->want[g] && !x->want_id[g]) {
                if (!(x->want_id[g] = strdup(rec->id))) {
                    st = nomem(err);
                    break;
                }
            }
        }
        if (!st && line != rows)
            st = sp_err(err, SCIPRUNE_ESTATE, path, -1, -1, "fewer lines than assign/");
        sciprune_shard_reader_close(r);
        if (st) return st;
    }
    return SCIPRUNE_OK;
}

/* One embed-pass signal, W/embed/<shard>.<name>.npy, into dst (ntot); optional: absent files
 * give zeros (*absent = 1). */
static sciprune_status load_signal(ex *x, const char *name, int optional, float *dst, int *absent,
                                   sciprune_error *err)
{
    *absent = 0;
    for (size_t i = 0; i < x->sh->n; i++) {
        char *p = sp_wsignal_path(x->workdir, x->sh->names[i], name);
        if (!p) return nomem(err);
        uint64_t rows = x->off[i + 1] - x->off[i];
        if (optional && i == 0 && !sp_exists(p)) {
            free(p);
            memset(dst, 0, (x->ntot ? x->ntot : 1) * sizeof *dst);
            *absent = 1;
            return SCIPRUNE_OK;
        }
        sp_npy a;
        sciprune_status st = sp_npy_open(&a, p, err);
        if (st == SCIPRUNE_EIO) st = sp_err(err, SCIPRUNE_ESTATE, p, -1, -1, "missing: the %s signal", name);
        if (!st && (a.dtype != SP_NPY_F32 || a.cols || a.rows != rows)) {
            sp_npy_close(&a);
            st = sp_err(err, SCIPRUNE_ESTATE, p, -1, -1, "%s values of another length", name);
        }
        free(p);
        if (st) return st;
        memcpy(dst + x->off[i], a.data, rows * sizeof(float));
        sp_npy_close(&a);
    }
    return SCIPRUNE_OK;
}

static sciprune_status load_gates(ex *x, int from_analyze, sciprune_error *err);

/* The signals of a variant ranked by one (order o): naturalness, sites, and for learned the
 * analysis' weights over (distance, log1p(cluster size), the gates of W/gates, naturalness,
 * log1p(length), sites) in score's arithmetic (prune/score.c load_signals: the same float for
 * every record, or the replay check below fails). */
static sciprune_status load_signals(ex *x, int o, sciprune_error *err)
{
    size_t m = x->ntot ? x->ntot : 1;
    int absent = 0;
    sciprune_status st;
    if (o == RANK_ORD_NAT || o == RANK_ORD_LEARNED) {
        if (!(x->nat = malloc(m * sizeof *x->nat))) return nomem(err);
        /* learned without the naturalness model (embed features with "sites" but not
         * "naturalness"): zeros, as score has them; its weight is 0 (checked below) */
        if ((st = load_signal(x, "naturalness", o == RANK_ORD_LEARNED, x->nat, &absent, err))) return st;
        x->nat_absent = absent;
    }
    if (o == RANK_ORD_SITES || o == RANK_ORD_LEARNED) {
        if (!(x->sites = malloc(m * sizeof *x->sites))) return nomem(err);
        if ((st = load_signal(x, "sites", o == RANK_ORD_LEARNED, x->sites, &absent, err))) return st;
    }
    if (o != RANK_ORD_LEARNED) return SCIPRUNE_OK;
    /* the learned features' gates are W/gates' (not an auto plan's judged ones) */
    uint8_t *keep = x->gated;
    if (!(x->gated = calloc(m, 1))) {
        x->gated = keep;
        return nomem(err);
    }
    st = load_gates(x, 0, err);
    uint8_t *raw = x->gated;
    x->gated = keep;
    if (st) {
        free(raw);
        return st;
    }
    char *rp = sp_wpath(x->workdir, SP_WF_ANALYZE_REPORT, NULL);
    json_t *rj = NULL;
    if (!rp) st = nomem(err);
    else {
        json_error_t je;
        rj = json_load_file(rp, 0, &je);
        if (!rj) st = sp_err(err, SCIPRUNE_ESTATE, rp, -1, -1, "missing or unreadable: run analyze first");
    }
    json_t *w = json_object_get(json_object_get(rj, "semantic"), "learned_weights");
    for (int k = 0; !st && k < RANK_LEARNED_NF; k++) {
        json_t *v = json_object_get(w, rank_learned_names[k]);
        if (k == 6 && !v) x->lw[k] = 0;
        else if (!json_is_number(v))
            st = sp_err(err, SCIPRUNE_ESTATE, rp, -1, -1, "no semantic.learned_weights.%s",
                        rank_learned_names[k]);
        else x->lw[k] = json_number_value(v);
    }
    if (!st) x->lb = json_number_value(json_object_get(w, "bias"));
    if (!st && x->nat_absent && x->lw[4] != 0)
        st = sp_err(err, SCIPRUNE_ESTATE, rp, -1, -1, "the analysis weighs naturalness but the "
                    "workdir has no naturalness signal: run analyze again");
    json_decref(rj);
    free(rp);
    if (!st && !(x->learned = malloc(m * sizeof *x->learned))) st = nomem(err);
    for (uint64_t g = 0; !st && g < x->ntot; g++) {
        int32_t c = x->cl[g];
        double f[RANK_LEARNED_NF] = {x->ds[g], log1p(c >= 0 ? (double)x->size[c] : 0.0),
                                      (raw[g] & 1) != 0, (raw[g] & 2) != 0, x->nat[g],
                                      log1p((double)x->len[g]), x->sites[g]};
        x->learned[g] = rank_learned_z(x->lw, x->lb, f);
    }
    free(raw);
    return st;
}

/* Gate flags: W/gates/<shard>.*.npy (explicit plans) or W/analyze/clean.*.npy (auto). */
static sciprune_status load_gates(ex *x, int from_analyze, sciprune_error *err)
{
    static const sp_wfile pf[2] = {SP_WF_GATE_PARSE_ERROR, SP_WF_GATE_UNDEFINED_NAME};
    static const sp_wfile af[2] = {SP_WF_ANALYZE_CLEAN_PE, SP_WF_ANALYZE_CLEAN_UN};
    for (int k = 0; k < 2; k++) {
        if (from_analyze) {
            char *p = sp_wpath(x->workdir, af[k], NULL);
            sp_npy a;
            sciprune_status st = p ? sp_npy_open(&a, p, err) : nomem(err);
            if (!st && (a.dtype != SP_NPY_F32 || a.cols || a.rows != x->nacc)) {
                sp_npy_close(&a);
                st = sp_err(err, SCIPRUNE_ESTATE, p, -1, -1, "not the analysis of this corpus");
            }
            free(p);
            if (st) return st;
            const float *v = a.data;
            uint64_t row = 0;
            for (uint64_t g = 0; g < x->ntot; g++)
                if (x->cl[g] >= 0 && v[row++] > 0.0f) x->gated[g] |= (uint8_t)(1u << k);
            sp_npy_close(&a);
            continue;
        }
        for (size_t i = 0; i < x->sh->n; i++) {
            char *p = sp_wpath(x->workdir, pf[k], x->sh->names[i]);
            sp_npy a;
            sciprune_status st = p ? sp_npy_open(&a, p, err) : nomem(err);
            uint64_t rows = x->off[i + 1] - x->off[i];
            if (!st && (a.dtype != SP_NPY_F32 || a.cols || a.rows != rows)) {
                sp_npy_close(&a);
                st = sp_err(err, SCIPRUNE_ESTATE, p, -1, -1, "gate values of another length");
            }
            free(p);
            if (st) return st;
            const float *v = a.data;
            for (uint64_t r = 0; r < rows; r++)
                if (v[r] > 0.0f && x->cl[x->off[i] + r] >= 0)
                    x->gated[x->off[i] + r] |= (uint8_t)(1u << k);
            sp_npy_close(&a);
        }
    }
    return SCIPRUNE_OK;
}

static uint64_t key_of(const ex *x, int o, uint64_t g)
{
    switch (o) {
    case RANK_ORD_SIZE: return rank_key_size(x->crank[x->cl[g]], x->ds[g]);
    case RANK_ORD_DIST: return rank_key_distance(x->ds[g]);
    case RANK_ORD_PC: return rank_key_pc(x->pos[g], x->size[x->cl[g]]);
    case RANK_ORD_RANDOM: return x->idh[g];
    case RANK_ORD_LENGTH: return rank_key_length(x->len[g]);
    case RANK_ORD_NAT: return rank_key_signal(x->nat[g]);
    case RANK_ORD_LEARNED: return rank_key_signal(x->learned[g]);
    case RANK_ORD_SITES: return rank_key_signal(x->sites[g]);
    default: return rank_key_cluster(x->cl[g], x->ds[g]); /* RANK_ORD_COUNT: by cluster */
    }
}

static sciprune_status sorted(ex *x, int o, uint32_t **out, sciprune_error *err)
{
    rank_kg *a = malloc((x->nacc ? x->nacc : 1) * sizeof *a);
    uint32_t *ord = malloc((x->nacc ? x->nacc : 1) * sizeof *ord);
    if (!a || !ord) {
        free(a);
        free(ord);
        return nomem(err);
    }
    size_t m = 0;
    for (uint64_t g = 0; g < x->ntot; g++)
        if (x->cl[g] >= 0) a[m++] = (rank_kg){key_of(x, o, g), (uint32_t)g, 0};
    rank_sort(a, m);
    for (size_t i = 0; i < m; i++) ord[i] = a[i].g;
    free(a);
    *out = ord;
    return SCIPRUNE_OK;
}

static sciprune_status build(ex *x, int o, sciprune_error *err)
{
    if (x->ord[o]) return SCIPRUNE_OK;
    sciprune_status st;
    if (o == RANK_ORD_PC && !x->clord) {
        if ((st = sorted(x, RANK_ORD_COUNT, &x->clord, err))) return st;
        rank_cluster_positions(x->clord, x->nacc, x->cl, x->pos);
    }
    if ((st = sorted(x, o, &x->ord[o], err))) return st;
    x->inv[o] = malloc((x->ntot ? x->ntot : 1) * sizeof *x->inv[o]);
    if (!x->inv[o]) return nomem(err);
    for (uint64_t i = 0; i < x->nacc; i++) x->inv[o][x->ord[o][i]] = (uint32_t)i;
    return SCIPRUNE_OK;
}

static json_t *hex64(uint64_t v)
{
    char b[20];
    snprintf(b, sizeof b, "%016llx", (unsigned long long)v);
    return json_string(b);
}

/* One replayed step: the cut and the records near it. */
typedef struct step_out {
    int order;
    uint64_t count, taken, last; /* last: g of the last record taken, UINT64_MAX when none */
    uint32_t cutpos;             /* its position in the order */
    uint8_t *near;               /* ntot: 1 near the cut */
    int64_t *pc_last;            /* k (distance-pc): g of the last pruned record per cluster, -1 */
} step_out;

static void mark_near(ex *x, step_out *s)
{
    if (s->last == UINT64_MAX) return;
    uint64_t L = s->last;
    uint64_t K = key_of(x, s->order, L);
    for (uint64_t g = 0; g < x->ntot; g++) {
        if (x->cl[g] < 0) continue;
        int near = 0;
        switch (s->order) {
        case RANK_ORD_SIZE:
            near = x->cl[g] == x->cl[L] && fabs((double)x->ds[g] - x->ds[L]) <= MODEL_NEAR_EPS;
            break;
        case RANK_ORD_DIST: near = fabs((double)x->ds[g] - x->ds[L]) <= MODEL_NEAR_EPS; break;
        case RANK_ORD_PC: {
            int64_t c = s->pc_last[x->cl[g]];
            near = c >= 0 && fabs((double)x->ds[g] - x->ds[c]) <= MODEL_NEAR_EPS;
            break;
        }
        case RANK_ORD_LEARNED: /* the judge's distance may differ in the last bits */
            near = fabs((double)x->learned[g] - x->learned[L]) <= model_learned_eps(x->lw[0]);
            break;
        default: near = key_of(x, s->order, g) == K; break;
        }
        if (near) {
            s->near[g] = 1;
            x->want[g] = 1;
        }
    }
}

static json_t *step_json(ex *x, const step_out *s)
{
    json_t *o = json_pack("{s:s, s:I, s:I}", "order", model_order_name((rank_order)s->order),
                          "count", (json_int_t)s->count, "taken", (json_int_t)s->taken);
    if (s->last == UINT64_MAX) {
        json_object_set_new(o, "cut", json_null());
        json_object_set_new(o, "training", json_array());
        return o;
    }
    uint64_t L = s->last;
    size_t si = 0;
    while (si + 1 < x->sh->n && x->off[si + 1] <= L) si++;
    json_object_set_new(o, "cut", json_pack("{s:o, s:i, s:f, s:s, s:I}", "key",
                                            hex64(key_of(x, s->order, L)), "cluster", (int)x->cl[L],
                                            "distance", (double)x->ds[L], "shard",
                                            x->sh->names[si], "line",
                                            (json_int_t)(L - x->off[si] + 1)));
    if (s->order == RANK_ORD_PC) {
        json_t *cs = json_array();
        for (size_t c = 0; c < x->k; c++) {
            if (s->pc_last[c] < 0) continue;
            char b[12];
            snprintf(b, sizeof b, "%08x", rank_ford(x->ds[s->pc_last[c]]));
            json_array_append_new(cs, json_pack("[i, s, f]", (int)c, b, (double)x->ds[s->pc_last[c]]));
        }
        json_object_set_new(o, "clusters", cs);
    }
    json_t *tr = json_array();
    for (uint64_t g = 0; g < x->ntot; g++)
        if (s->near[g]) {
            char b[20];
            snprintf(b, sizeof b, "%016llx", (unsigned long long)x->th[g]);
            json_array_append_new(tr, json_pack("[s, s, i]", b, x->want_id[g] ? x->want_id[g] : "",
                                                x->inv[s->order][g] <= s->cutpos));
        }
    json_object_set_new(o, "training", tr);
    return o;
}

/* Copy a file (small: the embedder spec, idf, centroids). */
static sciprune_status copy_file(const char *from, const char *to, sciprune_error *err)
{
    char *buf;
    size_t n;
    sciprune_status st = sp_read_file(from, &buf, &n, err);
    if (st) return st;
    st = sp_write_file_atomic(to, buf, n, err);
    free(buf);
    return st;
}

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char *p = sp_path_join(dir, de->d_name);
        if (!p) continue;
        struct stat sb;
        if (!lstat(p, &sb) && S_ISDIR(sb.st_mode)) rm_tree(p);
        else unlink(p);
        free(p);
    }
    closedir(d);
    rmdir(dir);
}

/* The gates' settings: W/gates/summary.json "settings", else the defaults. */
static json_t *gates_json(const char *workdir, int plan, int is_auto, sciprune_error *err,
                          sciprune_status *st)
{
    *st = SCIPRUNE_OK;
    json_t *g = json_object();
    char *sp = sp_wpath(workdir, SP_WF_GATES_SUMMARY, NULL);
    json_t *sum = sp && sp_exists(sp) ? json_load_file(sp, 0, NULL) : NULL;
    free(sp);
    json_t *set = json_object_get(sum, "settings");
    json_t *pe = json_object_get(set, "parse_error_langs"), *un = json_object_get(set, "undefined_name_langs");
    json_t *js = json_object_get(set, "js_envs");
    json_object_set_new(g, "plan", json_boolean(plan));
    json_object_set_new(g, "settings_source", json_string(set ? "gates/summary.json" : "defaults"));
    json_object_set(g, "parse_error_langs", pe ? pe : json_string(SCIPRUNE_GATES_PARSE_ERROR_LANGS));
    json_object_set(g, "undefined_name_langs", un ? un : json_string(SCIPRUNE_GATES_UNDEFINED_NAME_LANGS));
    char envs[512] = "";
    if (json_is_array(js)) {
        size_t i;
        json_t *v;
        json_array_foreach(js, i, v) {
            if (!json_is_string(v)) continue;
            if (*envs) strncat(envs, ",", sizeof envs - strlen(envs) - 1);
            strncat(envs, json_string_value(v), sizeof envs - strlen(envs) - 1);
        }
    } else if (json_is_string(js)) {
        sp_strlcpy(envs, json_string_value(js), sizeof envs);
    }
    json_object_set_new(g, "js_envs", json_string(envs));
    json_decref(sum);
    if (is_auto) { /* the analysis' judgement per language */
        char *ap = sp_wpath(workdir, SP_WF_ANALYZE_REPORT, NULL);
        json_t *rep = ap ? json_load_file(ap, 0, NULL) : NULL;
        json_t *langs = json_object_get(json_object_get(json_object_get(rep, "gates"), "judged"), "languages");
        json_t *off = json_pack("{s:[], s:[]}", "parse_error", "undefined_name");
        if (!rep) *st = sp_err(err, SCIPRUNE_ESTATE, ap, -1, -1, "auto variant without an analysis");
        const char *lang;
        json_t *lv;
        json_object_foreach(langs, lang, lv) {
            static const char *const gn[2] = {"parse_error", "undefined_name"};
            for (int k = 0; k < 2; k++) {
                json_t *o = json_object_get(lv, gn[k]);
                if (json_is_true(json_object_get(o, "on_by_settings")) &&
                    !json_is_true(json_object_get(o, "on")))
                    json_array_append_new(json_object_get(off, gn[k]), json_string(lang));
            }
        }
        json_object_set_new(g, "judged_off", off);
        json_decref(rep);
        free(ap);
    }
    return g;
}

sciprune_status sciprune_model_export(const char *workdir, const char *variant,
                                      const char *out_dir, sciprune_error *err)
{
    if (!workdir || !variant || !out_dir)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "workdir, variant and out are required");
    ex x;
    memset(&x, 0, sizeof x);
    x.workdir = workdir;
    json_t *plan = NULL, *clj = NULL, *emb = NULL, *model = NULL, *steps = NULL;
    step_out so[2];
    memset(so, 0, sizeof so);
    uint8_t *mark = NULL;
    char *tmp = NULL, *p1 = NULL, *p2 = NULL;
    sciprune_status st;
    char *pp = sp_wpath(workdir, SP_WF_PLAN, NULL), *cp = sp_wpath(workdir, SP_WF_CLUSTERS, NULL);
    char *ep = sp_wpath(workdir, SP_WF_EMBEDDER, NULL);
    if (!pp || !cp || !ep) {
        st = nomem(err);
        goto done;
    }
    if ((st = load_json(pp, &plan, err)) || (st = load_json(cp, &clj, err)) ||
        (st = load_json(ep, &emb, err)))
        goto done;
    json_t *va = NULL, *v;
    size_t idx;
    json_array_foreach(json_object_get(plan, "variants"), idx, v)
        if (!strcmp(model_str(json_object_get(v, "name"), ""), variant)) va = v;
    if (!va) {
        char names[200] = "";
        json_array_foreach(json_object_get(plan, "variants"), idx, v) {
            if (*names) strncat(names, ", ", sizeof names - strlen(names) - 1);
            strncat(names, model_str(json_object_get(v, "name"), "?"),
                    sizeof names - strlen(names) - 1);
        }
        st = sp_err(err, SCIPRUNE_EINVAL, pp, -1, -1, "no variant '%s' (the plan has: %s)", variant, names);
        goto done;
    }
    if (json_object_get(plan, "budget")) { /* a bytes or tokens budget (score.budget) */
        st = sp_err(err, SCIPRUNE_ESTATE, pp, -1, -1,
                    "variant '%s' was planned with a %s budget: a model replays record budgets "
                    "only (score with budget records to export one)", variant,
                    model_str(json_object_get(json_object_get(plan, "budget"), "unit"), "?"));
        goto done;
    }
    if (!strcmp(model_str(json_object_get(plan, "per_lang"), "global"), "proportional")) {
        st = sp_err(err, SCIPRUNE_ESTATE, pp, -1, -1,
                    "variant '%s' was planned with score.per_lang proportional (a threshold per "
                    "language): a model replays one global plan only (score with per_lang "
                    "global to export one)", variant);
        goto done;
    }
    const char *backend = json_string_value(json_object_get(emb, "backend"));
    if (!backend || !strcmp(backend, "npy")) {
        st = sp_err(err, SCIPRUNE_EINVAL, ep, -1, -1,
                    "the embedder is '%s': a model must embed texts itself (hash or exec)",
                    backend ? backend : "?");
        goto done;
    }
    sciprune_score_metric metric;
    const char *mname = json_string_value(json_object_get(va, "metric"));
    if (!mname || sciprune_score_metric_parse(mname, &metric, NULL) || metric == SCIPRUNE_METRIC_AUTO) {
        st = sp_err(err, SCIPRUNE_EPARSE, pp, -1, -1, "variant %s: bad metric", variant);
        goto done;
    }
    int is_auto = json_object_get(va, "auto") != NULL;
    double ratio = json_number_value(json_object_get(va, "ratio"));
    json_t *ja = json_object_get(va, "alpha");
    double alpha = ja ? json_number_value(ja) : 0.0;
    int bit = (int)json_integer_value(json_object_get(va, "bit"));
    size_t nb = (size_t)json_integer_value(json_object_get(plan, "mask_bytes"));
    x.seed = (uint64_t)json_integer_value(json_object_get(plan, "seed"));
    const char *rk = json_string_value(json_object_get(plan, "random_key"));
    x.key_by_id = rk && !strcmp(rk, "id");
    json_int_t kk = json_integer_value(json_object_get(clj, "k"));
    if (kk < 1 || nb < 1 || bit < 0 || (size_t)bit >= nb * 8) {
        st = sp_err(err, SCIPRUNE_EPARSE, pp, -1, -1, "plan.json / clusters.json without k, bit or mask_bytes");
        goto done;
    }
    x.k = (size_t)kk;
    if ((st = sciprune_shard_set_load(&x.sh, workdir, err))) goto done;
    if ((st = load_assign(&x, err))) goto done;
    if ((st = read_shards(&x, 0, err))) goto done;
    int gate_plan = sciprune_score_metric_is_plan(metric);
    uint64_t ng = 0;
    mark = calloc(x.ntot ? x.ntot : 1, 1);
    if (!mark) {
        st = nomem(err);
        goto done;
    }
    if (gate_plan) {
        if ((st = load_gates(&x, is_auto, err))) goto done;
        for (uint64_t g = 0; g < x.ntot; g++)
            if (x.gated[g]) mark[g] = 1, ng++;
    }
    rank_plan rp;
    rank_plan_make(&rp, metric, ratio, alpha, x.nacc, ng);
    int sig = -1; /* the embed-pass signal a step ranks by, if any */
    for (size_t i = 0; i < rp.n_steps; i++)
        if (rp.step[i].ord == RANK_ORD_NAT || rp.step[i].ord == RANK_ORD_LEARNED ||
            rp.step[i].ord == RANK_ORD_SITES)
            sig = rp.step[i].ord;
    if (sig >= 0 && (st = load_signals(&x, sig, err))) goto done;
    for (size_t i = 0; i < rp.n_steps; i++) {
        step_out *s = &so[i];
        s->order = rp.step[i].ord;
        s->count = rp.step[i].count;
        if ((st = build(&x, s->order, err))) goto done;
        s->last = rank_take(x.ord[s->order], x.nacc, mark, 1, 1, s->count, &s->taken);
        s->near = calloc(x.ntot ? x.ntot : 1, 1);
        if (!s->near) {
            st = nomem(err);
            goto done;
        }
        if (s->last != UINT64_MAX) s->cutpos = x.inv[s->order][s->last];
        if (s->order == RANK_ORD_PC) {
            s->pc_last = malloc(x.k * sizeof *s->pc_last);
            if (!s->pc_last) {
                st = nomem(err);
                goto done;
            }
            for (size_t c = 0; c < x.k; c++) s->pc_last[c] = -1;
            for (uint64_t j = 0; s->last != UINT64_MAX && j <= s->cutpos; j++) {
                uint32_t g = x.ord[RANK_ORD_PC][j];
                s->pc_last[x.cl[g]] = g; /* ascending pc order: the last one is the nearest */
            }
        }
        mark_near(&x, s);
    }
    /* the replay must be what score decided */
    for (size_t i = 0; i < x.sh->n; i++) {
        char *mp = sp_wpath(workdir, SP_WF_PRUNE_MASK, x.sh->names[i]);
        sp_npy a;
        st = mp ? sp_npy_open(&a, mp, err) : nomem(err);
        uint64_t rows = x.off[i + 1] - x.off[i];
        if (!st && (a.dtype != SP_NPY_U8 || a.rows != rows || a.cols != nb)) {
            sp_npy_close(&a);
            st = sp_err(err, SCIPRUNE_ESTATE, mp, -1, -1, "prune mask of another shape");
        }
        if (st) {
            free(mp);
            goto done;
        }
        const uint8_t *m = a.data;
        for (uint64_t r = 0; r < rows && !st; r++) {
            int want = (m[r * nb + (size_t)bit / 8] >> (bit % 8)) & 1;
            if (want != (mark[x.off[i] + r] & 1))
                st = sp_err(err, SCIPRUNE_ESTATE, mp, (int64_t)r + 1, -1,
                            "variant %s: the replayed plan %s this line, score %s it (workdir "
                            "changed after score?)", variant, mark[x.off[i] + r] ? "prunes" : "keeps",
                            want ? "pruned" : "kept");
        }
        sp_npy_close(&a);
        free(mp);
        if (st) goto done;
    }
    if ((st = read_shards(&x, 1, err))) goto done;

    /* model.json */
    steps = json_array();
    for (size_t i = 0; i < rp.n_steps; i++) json_array_append_new(steps, step_json(&x, &so[i]));
    json_t *sizes = json_array();
    for (size_t c = 0; c < x.k; c++) json_array_append_new(sizes, json_integer((json_int_t)x.size[c]));
    uint64_t npr = 0;
    for (uint64_t g = 0; g < x.ntot; g++) npr += mark[g] & 1;
    json_t *jv = json_pack("{s:s, s:s, s:f}", "name", variant, "metric", mname, "ratio", ratio);
    if (ja) json_object_set(jv, "alpha", ja);
    if (is_auto) json_object_set(jv, "auto", json_object_get(va, "auto"));
    char absw[4096];
    if (!realpath(workdir, absw)) sp_strlcpy(absw, workdir, sizeof absw);
    json_t *gj = gates_json(workdir, gate_plan, is_auto && gate_plan, err, &st);
    if (st) {
        json_decref(gj);
        json_decref(jv);
        json_decref(sizes);
        goto done;
    }
    const char *space = json_string_value(json_object_get(clj, "metric"));
    model = json_pack("{s:s, s:i, s:s, s:o, s:{s:s, s:I, s:I, s:I, s:I}, s:{s:s, s:O, s:O},"
                      " s:{s:I, s:O, s:s, s:o}, s:{s:I, s:s}, s:o, s:o}",
                      "format", MODEL_FORMAT, "version", SCIPRUNE_MODEL_VERSION, "sciprune",
                      SCIPRUNE_VERSION_STRING, "variant", jv,
                      "source", "workdir", absw, "n_records", (json_int_t)x.ntot, "n_accepted",
                      (json_int_t)x.nacc, "n_pruned", (json_int_t)npr, "n_gated", (json_int_t)ng,
                      "embed", "backend", backend, "dim", json_object_get(emb, "dim"), "dtype",
                      json_object_get(emb, "dtype") ? json_object_get(emb, "dtype") : json_string("float32"),
                      "index", "k", (json_int_t)x.k, "d", json_object_get(clj, "d"), "space",
                      space ? space : "cosine", "sizes", sizes,
                      "random", "seed", (json_int_t)x.seed, "key", x.key_by_id ? "id" : "address",
                      "gates", gj, "steps", steps);
    steps = NULL;
    if (model && sig == RANK_ORD_LEARNED) {
        json_t *lw = json_object();
        for (int k = 0; k < RANK_LEARNED_NF; k++)
            json_object_set_new(lw, rank_learned_names[k], json_real(x.lw[k]));
        json_object_set_new(model, "learned", json_pack("{s:o, s:f}", "weights", lw, "bias", x.lb));
    }
    if (!model) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "cannot build model.json");
        goto done;
    }
    /* the folder, atomically */
    size_t tl = strlen(out_dir) + 32;
    tmp = malloc(tl);
    if (!tmp) {
        st = nomem(err);
        goto done;
    }
    snprintf(tmp, tl, "%s.tmp.%ld", out_dir, (long)getpid());
    rm_tree(tmp);
    char *edir = sp_path_join(tmp, MODEL_EMBED_DIR);
    if (!edir || (st = sp_mkdirs(edir, err))) {
        if (!edir) st = nomem(err);
        free(edir);
        goto done;
    }
    p1 = sp_path_join(edir, "embedder.json");
    st = p1 ? copy_file(ep, p1, err) : nomem(err);
    char *ip = sp_wpath(workdir, SP_WF_IDF, NULL);
    free(p1);
    p1 = sp_path_join(edir, "idf.npy");
    if (!st && ip && sp_exists(ip)) st = p1 ? copy_file(ip, p1, err) : nomem(err);
    free(ip);
    char *sp = sp_wpath(workdir, SP_WF_SITES_MODEL, NULL);
    free(p1);
    p1 = sp_path_join(edir, "sites.npy");
    if (!st && (!sp || !p1)) st = nomem(err);
    if (!st && sp_exists(sp)) st = copy_file(sp, p1, err);
    free(sp);
    if (!st && (sig == RANK_ORD_NAT || (sig == RANK_ORD_LEARNED && !x.nat_absent))) { /* the naturalness model */
        char *np = sp_wngram_path(workdir);
        free(p1);
        p1 = sp_path_join(edir, "ngram.npy");
        st = np && p1 ? copy_file(np, p1, err) : nomem(err);
        free(np);
    }
    free(edir);
    if (st) goto done;
    char *cen = sp_wpath(workdir, SP_WF_CENTROIDS, NULL);
    free(p1);
    p1 = sp_path_join(tmp, MODEL_CENTROIDS);
    st = cen && p1 ? copy_file(cen, p1, err) : nomem(err);
    free(cen);
    if (st) goto done;
    char *txt = json_dumps(model, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    free(p2);
    p2 = sp_path_join(tmp, MODEL_JSON);
    if (!txt || !p2) {
        free(txt);
        st = nomem(err);
        goto done;
    }
    size_t tn = strlen(txt);
    txt[tn] = '\0';
    char *t2 = realloc(txt, tn + 2);
    if (!t2) {
        free(txt);
        st = nomem(err);
        goto done;
    }
    t2[tn] = '\n';
    st = sp_write_file_atomic(p2, t2, tn + 1, err);
    free(t2);
    if (st) goto done;
    /* replace an older model (only a folder that holds a model.json) */
    free(p1);
    p1 = sp_path_join(out_dir, MODEL_JSON);
    if (!p1) {
        st = nomem(err);
        goto done;
    }
    struct stat sb;
    if (!stat(out_dir, &sb)) {
        if (!sp_exists(p1)) {
            DIR *d = opendir(out_dir);
            int empty = 1;
            struct dirent *de;
            while (d && (de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) empty = 0;
            if (d) closedir(d);
            if (!empty) {
                st = sp_err(err, SCIPRUNE_EIO, out_dir, -1, -1,
                            "exists and is not a model folder: not replaced");
                goto done;
            }
        }
        rm_tree(out_dir);
    }
    if (rename(tmp, out_dir)) {
        st = sp_err_errno(err, SCIPRUNE_EIO, out_dir, errno, "cannot rename %s", tmp);
        goto done;
    }
done:
    if (st && tmp) rm_tree(tmp);
    for (int i = 0; i < 2; i++) free(so[i].near), free(so[i].pc_last);
    free(mark);
    free(tmp);
    free(p1);
    free(p2);
    free(pp);
    free(cp);
    free(ep);
    json_decref(plan);
    json_decref(clj);
    json_decref(emb);
    json_decref(model);
    json_decref(steps);
    ex_free(&x);
    return st;
}
