/*
 * model.c - open a pruning model (format: export.c header) and judge files with it: embed
 * (one parse also scores the gates), nearest centroid, then the variant's thresholds (rule:
 * sciprune.h, section model). The model is immutable once open; a worker holds one thread's
 * embedder scratch and vector.
 */
#include "model_int.h"
#include "../embed/embed_int.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct near_rec {
    uint64_t th;  /* text hash */
    char *id;     /* owned */
    int pruned;
} near_rec;

typedef struct mstep {
    int order;            /* rank_order */
    int has_cut;
    uint64_t key;         /* the cut's key */
    uint32_t *pc_ford;    /* k (distance-pc): rank_ford of the cluster's cut; pc_has[c] */
    uint8_t *pc_has;
    near_rec *near;       /* sorted by th */
    size_t n_near;
} mstep;

struct sciprune_model {
    char *variant, *metric;
    sciprune_embedder *emb;
    int exec;                     /* exec backend: calls serialised */
    pthread_mutex_t lock;
    int f16;                      /* vectors stored as float16 in the batch */
    uint32_t dim, k;
    int cosine;
    float *cent;                  /* k x dim, owned */
    uint64_t *size;               /* k */
    uint32_t *crank;              /* k */
    uint64_t seed;
    int gate_plan;
    sciprune_gates_settings gs;
    char *pe_langs, *un_langs, *js_envs; /* owned; gs borrows */
    char *off[2];                 /* comma lists: judged off per gate (auto), owned */
    mstep step[2];
    size_t n_steps;
    int need_nat, need_sites;     /* a step ranks by an embed-pass signal (or learned) */
    int learned;                  /* a step ranks by learned: weights lw, bias lb */
    double lw[RANK_LEARNED_NF], lb;
};

struct sciprune_model_worker {
    const sciprune_model *m;
    sciprune_embed_worker *ew;
    float *vec;                   /* dim */
};

const char *sciprune_reason_name(sciprune_reason r)
{
    static const char *const n[] = {"keep", "parse_error", "undefined_name", "small_cluster",
                                    "far", "far_in_cluster", "random", "long", "unnatural",
                                    "learned", "sites"};
    return (unsigned)r < sizeof n / sizeof n[0] ? n[r] : "?";
}

void sciprune_model_free(sciprune_model *m)
{
    if (!m) return;
    free(m->variant);
    free(m->metric);
    sciprune_embedder_free(m->emb);
    if (m->exec) pthread_mutex_destroy(&m->lock);
    free(m->cent);
    free(m->size);
    free(m->crank);
    free(m->pe_langs);
    free(m->un_langs);
    free(m->js_envs);
    free(m->off[0]);
    free(m->off[1]);
    for (size_t i = 0; i < 2; i++) {
        free(m->step[i].pc_ford);
        free(m->step[i].pc_has);
        for (size_t j = 0; j < m->step[i].n_near; j++) free(m->step[i].near[j].id);
        free(m->step[i].near);
    }
    free(m);
}

const char *sciprune_model_variant(const sciprune_model *m) { return m->variant; }
const char *sciprune_model_metric(const sciprune_model *m) { return m->metric; }
uint32_t sciprune_model_dim(const sciprune_model *m) { return m->dim; }
uint32_t sciprune_model_k(const sciprune_model *m) { return m->k; }

/* A language list of model.json ([..] or "all" or a comma string) as a comma string. */
static char *list_str(const json_t *v)
{
    if (json_is_string(v)) return strdup(json_string_value(v));
    size_t cap = 1, i;
    json_t *x;
    json_array_foreach(v, i, x) cap += strlen(model_str(x, "")) + 1;
    char *s = calloc(cap, 1);
    if (!s) return NULL;
    json_array_foreach(v, i, x) {
        if (i) strcat(s, ",");
        strcat(s, model_str(x, ""));
    }
    return s;
}

static int cmp_near(const void *a, const void *b)
{
    const near_rec *x = a, *y = b;
    return (x->th > y->th) - (x->th < y->th);
}

static int parse_hex(const char *s, uint64_t *out)
{
    if (!s || !*s) return -1;
    char *end;
    *out = strtoull(s, &end, 16);
    return *end ? -1 : 0;
}

static sciprune_status bad(sciprune_error *err, const char *path, const char *what)
{
    return sp_err(err, SCIPRUNE_EPARSE, path, -1, -1, "not a valid model: %s", what);
}

static sciprune_status load_step(sciprune_model *m, mstep *s, json_t *j, const char *path,
                                 sciprune_error *err)
{
    s->order = model_order_parse(json_string_value(json_object_get(j, "order")));
    if (s->order < 0) return bad(err, path, "unknown step order");
    json_t *cut = json_object_get(j, "cut");
    s->has_cut = json_is_object(cut);
    if (s->has_cut && parse_hex(json_string_value(json_object_get(cut, "key")), &s->key))
        return bad(err, path, "bad cut key");
    if (s->order == RANK_ORD_PC && s->has_cut) {
        s->pc_ford = calloc(m->k, sizeof *s->pc_ford);
        s->pc_has = calloc(m->k, 1);
        if (!s->pc_ford || !s->pc_has) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(j, "clusters"), i, c) {
            json_int_t id = json_integer_value(json_array_get(c, 0));
            uint64_t f;
            if (id < 0 || id >= (json_int_t)m->k || parse_hex(json_string_value(json_array_get(c, 1)), &f))
                return bad(err, path, "bad distance-pc cluster cut");
            s->pc_ford[id] = (uint32_t)f;
            s->pc_has[id] = 1;
        }
    }
    json_t *tr = json_object_get(j, "training");
    s->n_near = json_array_size(tr);
    s->near = calloc(s->n_near ? s->n_near : 1, sizeof *s->near);
    if (!s->near) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    for (size_t i = 0; i < s->n_near; i++) {
        json_t *e = json_array_get(tr, i);
        near_rec *r = &s->near[i];
        if (parse_hex(json_string_value(json_array_get(e, 0)), &r->th))
            return bad(err, path, "bad training record");
        r->id = strdup(model_str(json_array_get(e, 1), ""));
        if (!r->id) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        r->pruned = (int)json_integer_value(json_array_get(e, 2));
    }
    qsort(s->near, s->n_near, sizeof *s->near, cmp_near);
    return SCIPRUNE_OK;
}

sciprune_status sciprune_model_open(sciprune_model **out, const char *path, sciprune_error *err)
{
    *out = NULL;
    sciprune_status st = SCIPRUNE_OK;
    char *jp = sp_path_join(path, MODEL_JSON), *ed = sp_path_join(path, MODEL_EMBED_DIR);
    char *cp = sp_path_join(path, MODEL_CENTROIDS);
    json_t *j = NULL;
    sp_npy cen;
    memset(&cen, 0, sizeof cen);
    sciprune_model *m = calloc(1, sizeof *m);
    if (!m || !jp || !ed || !cp) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto fail;
    }
    json_error_t je;
    if (!(j = json_load_file(jp, 0, &je))) {
        st = sp_exists(jp) ? sp_err(err, SCIPRUNE_EPARSE, jp, je.line, -1, "%s", je.text)
                           : sp_err(err, SCIPRUNE_EIO, jp, -1, -1, "no model here (model.json missing)");
        goto fail;
    }
    const char *fmt = json_string_value(json_object_get(j, "format"));
    if (!fmt || strcmp(fmt, MODEL_FORMAT)) {
        st = bad(err, jp, "\"format\" is not \"sciprune-model\"");
        goto fail;
    }
    json_t *ver = json_object_get(j, "version");
    if (!json_is_integer(ver) || json_integer_value(ver) != SCIPRUNE_MODEL_VERSION) {
        char vs[32] = "missing";
        if (json_is_integer(ver)) snprintf(vs, sizeof vs, "%lld", (long long)json_integer_value(ver));
        else if (ver) sp_strlcpy(vs, "not an integer", sizeof vs);
        st = sp_err(err, SCIPRUNE_ESTATE, jp, -1, -1,
                    "model format version %s; this library (sciprune %s) reads version %d only: "
                    "export the model again with this version", vs, sciprune_version(),
                    SCIPRUNE_MODEL_VERSION);
        goto fail;
    }
    json_t *va = json_object_get(j, "variant"), *ix = json_object_get(j, "index");
    json_t *ga = json_object_get(j, "gates"), *steps = json_object_get(j, "steps");
    m->variant = strdup(model_str(json_object_get(va, "name"), ""));
    m->metric = strdup(model_str(json_object_get(va, "metric"), ""));
    if (!m->variant || !m->metric) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto fail;
    }
    json_int_t k = json_integer_value(json_object_get(ix, "k"));
    json_int_t d = json_integer_value(json_object_get(ix, "d"));
    json_t *sizes = json_object_get(ix, "sizes");
    if (k < 1 || d < 1 || json_array_size(sizes) != (size_t)k || !json_is_array(steps) ||
        json_array_size(steps) > 2 || !json_is_object(ga)) {
        st = bad(err, jp, "index k/d/sizes, gates or steps");
        goto fail;
    }
    m->k = (uint32_t)k;
    m->dim = (uint32_t)d;
    const char *space = json_string_value(json_object_get(ix, "space"));
    m->cosine = !space || strcmp(space, "l2");
    const char *dt = json_string_value(json_object_get(json_object_get(j, "embed"), "dtype"));
    m->f16 = dt && !strcmp(dt, "float16");
    m->seed = (uint64_t)json_integer_value(json_object_get(json_object_get(j, "random"), "seed"));
    m->size = calloc(m->k, sizeof *m->size);
    m->crank = calloc(m->k, sizeof *m->crank);
    m->cent = malloc((size_t)m->k * m->dim * sizeof *m->cent);
    if (!m->size || !m->crank || !m->cent) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto fail;
    }
    for (uint32_t c = 0; c < m->k; c++) m->size[c] = (uint64_t)json_integer_value(json_array_get(sizes, c));
    if ((st = rank_cluster_ranks(m->size, m->k, m->crank, err))) goto fail;
    if ((st = sp_npy_open(&cen, cp, err))) goto fail;
    if (cen.dtype != SP_NPY_F32 || cen.rows != m->k || cen.cols != m->dim) {
        st = bad(err, cp, "centroids are not float32 k x d");
        goto fail;
    }
    memcpy(m->cent, cen.data, (size_t)m->k * m->dim * sizeof *m->cent);
    /* gates */
    m->gate_plan = json_is_true(json_object_get(ga, "plan"));
    m->pe_langs = list_str(json_object_get(ga, "parse_error_langs"));
    m->un_langs = list_str(json_object_get(ga, "undefined_name_langs"));
    m->js_envs = strdup(model_str(json_object_get(ga, "js_envs"), ""));
    json_t *off = json_object_get(ga, "judged_off");
    m->off[0] = list_str(json_object_get(off, "parse_error"));
    m->off[1] = list_str(json_object_get(off, "undefined_name"));
    if (!m->pe_langs || !m->un_langs || !m->js_envs || !m->off[0] || !m->off[1]) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto fail;
    }
    sciprune_gates_settings_default(&m->gs);
    m->gs.parse_error_langs = m->pe_langs;
    m->gs.undefined_name_langs = m->un_langs;
    m->gs.js_envs = *m->js_envs ? m->js_envs : NULL;
    if ((st = sciprune_gates_settings_check(&m->gs, err))) goto fail;
    m->n_steps = json_array_size(steps);
    for (size_t i = 0; i < m->n_steps; i++) {
        if ((st = load_step(m, &m->step[i], json_array_get(steps, i), jp, err))) goto fail;
        int o = m->step[i].order;
        m->need_nat |= o == RANK_ORD_NAT;
        m->need_sites |= o == RANK_ORD_SITES;
        m->learned |= o == RANK_ORD_LEARNED;
    }
    if (m->learned) { /* the analysis' weights (export.c) */
        json_t *lj = json_object_get(j, "learned"), *lw = json_object_get(lj, "weights");
        for (int k = 0; k < RANK_LEARNED_NF; k++) {
            json_t *v = json_object_get(lw, rank_learned_names[k]);
            if (!json_is_number(v)) {
                st = bad(err, jp, "a learned step without learned.weights");
                goto fail;
            }
            m->lw[k] = json_number_value(v);
        }
        m->lb = json_number_value(json_object_get(lj, "bias"));
        /* a signal learned gives no weight is not computed: 0 in its place, as score has it
         * (a job with the site detectors and without the naturalness model, or without them) */
        m->need_nat |= m->lw[4] != 0;
        m->need_sites |= m->lw[6] != 0;
    }
    if ((st = sciprune_embedder_load(&m->emb, ed, err))) goto fail;
    if (sciprune_embedder_dim(m->emb) != m->dim) {
        st = bad(err, ed, "embedder dimension differs from the centroids'");
        goto fail;
    }
    if (m->need_nat && !sciprune_embedder_has_naturalness(m->emb)) {
        st = bad(err, ed, "the variant ranks by naturalness and the embedder has no ngram.npy");
        goto fail;
    }
    m->exec = !strcmp(sciprune_embedder_backend_name(m->emb), "exec");
    if (m->exec) pthread_mutex_init(&m->lock, NULL);
    sp_npy_close(&cen);
    json_decref(j);
    free(jp);
    free(ed);
    free(cp);
    *out = m;
    return SCIPRUNE_OK;
fail:
    sp_npy_close(&cen);
    json_decref(j);
    free(jp);
    free(ed);
    free(cp);
    sciprune_model_free(m);
    return st;
}

sciprune_status sciprune_model_worker_new(sciprune_model_worker **out, const sciprune_model *m,
                                          sciprune_error *err)
{
    *out = NULL;
    sciprune_model_worker *w = calloc(1, sizeof *w);
    if (!w) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    w->m = m;
    w->vec = malloc((size_t)m->dim * sizeof *w->vec);
    sciprune_status st = w->vec ? sciprune_embed_worker_new(&w->ew, m->emb, err)
                                : sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    if (!st && !m->need_sites) embed_worker_drop_sites(w->ew); /* vectors do not need them */
    if (st) {
        sciprune_model_worker_free(w);
        return st;
    }
    *out = w;
    return SCIPRUNE_OK;
}

void sciprune_model_worker_free(sciprune_model_worker *w)
{
    if (!w) return;
    sciprune_embed_worker_free(w->ew);
    free(w->vec);
    free(w);
}

static int in_list(const char *list, const char *lang)
{
    size_t n = strlen(lang);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == n && !strncmp(p, lang, n)) return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

/* Embed into w->vec (the batch's stored precision) and score the gates. */
static sciprune_status embed(const sciprune_model *m, sciprune_model_worker *w,
                             const sciprune_model_doc *d, sciprune_embed_row *row,
                             sciprune_gate_scores *gs, float *nat, float *sites,
                             sciprune_error *err)
{
    sciprune_model *mm = (sciprune_model *)m; /* the lock only */
    if (m->exec) pthread_mutex_lock(&mm->lock);
    sciprune_status st = embed_worker_embed_signals(w->ew, d->lang ? d->lang : "unknown", d->path,
                                                    d->text, d->len, w->vec, m->dim, row, &m->gs,
                                                    gs, nat, sites, err);
    if (m->exec) pthread_mutex_unlock(&mm->lock);
    if (!st && m->f16)
        for (uint32_t i = 0; i < m->dim; i++) w->vec[i] = sp_f16_to_f32(sp_f32_to_f16(w->vec[i]));
    return st;
}

sciprune_status sciprune_model_embed(const sciprune_model *m, sciprune_model_worker *w,
                                     const char *text, size_t len, const char *lang, float *dst,
                                     size_t dst_cap, sciprune_error *err)
{
    if (dst_cap < m->dim)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "output holds %zu floats, dimension is %u",
                      dst_cap, m->dim);
    sciprune_model_doc d = {.text = text, .len = len, .lang = lang};
    sciprune_gate_scores g;
    sciprune_status st = embed(m, w, &d, NULL, &g, NULL, NULL, err);
    if (!st) memcpy(dst, w->vec, (size_t)m->dim * sizeof *dst);
    return st;
}

/* Nearest centroid as index/ computes it: cosine normalises like index_normalize (a double
 * sum, a float scale) and takes 1 - <x, c>; l2 the Euclidean distance. */
static void nearest(const sciprune_model *m, float *v, int32_t *cl, float *dist)
{
    uint32_t d = m->dim;
    if (m->cosine) {
        double s = 0;
        for (uint32_t i = 0; i < d; i++) s += (double)v[i] * v[i];
        if (s > 0) {
            float inv = (float)(1.0 / sqrt(s));
            for (uint32_t i = 0; i < d; i++) v[i] *= inv;
        }
    }
    int32_t best = 0;
    float bv = 0;
    for (uint32_t c = 0; c < m->k; c++) {
        const float *q = m->cent + (size_t)c * d;
        float acc = 0;
        if (m->cosine) {
            for (uint32_t i = 0; i < d; i++) acc += v[i] * q[i];
            if (c == 0 || acc > bv) best = (int32_t)c, bv = acc;
        } else {
            for (uint32_t i = 0; i < d; i++) acc += (v[i] - q[i]) * (v[i] - q[i]);
            if (c == 0 || acc < bv) best = (int32_t)c, bv = acc;
        }
    }
    *cl = best;
    *dist = m->cosine ? 1.0f - bv : (bv > 0 ? sqrtf(bv) : 0.0f);
}

/* -1 not near, else the stored decision for (th, id). Without an id only an unambiguous
 * text hash decides. */
static int near_lookup(const mstep *s, uint64_t th, const char *id)
{
    size_t lo = 0, hi = s->n_near;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->near[mid].th < th) lo = mid + 1;
        else hi = mid;
    }
    int any = -1;
    for (size_t i = lo; i < s->n_near && s->near[i].th == th; i++) {
        if (id) {
            if (!strcmp(s->near[i].id, id)) return s->near[i].pruned;
        } else {
            if (any >= 0 && any != s->near[i].pruned) return -1;
            any = s->near[i].pruned;
        }
    }
    return id ? -1 : any;
}

static const sciprune_reason k_step_reason[RANK_ORD_COUNT] = {
    [RANK_ORD_SIZE] = SCIPRUNE_REASON_SMALL_CLUSTER, [RANK_ORD_DIST] = SCIPRUNE_REASON_FAR,
    [RANK_ORD_RANDOM] = SCIPRUNE_REASON_RANDOM, [RANK_ORD_LENGTH] = SCIPRUNE_REASON_LONG,
    [RANK_ORD_PC] = SCIPRUNE_REASON_FAR_IN_CLUSTER, [RANK_ORD_NAT] = SCIPRUNE_REASON_UNNATURAL,
    [RANK_ORD_LEARNED] = SCIPRUNE_REASON_LEARNED, [RANK_ORD_SITES] = SCIPRUNE_REASON_SITES};

sciprune_status sciprune_model_judge_doc(const sciprune_model *m, sciprune_model_worker *w,
                                         const sciprune_model_doc *doc, sciprune_verdict *out,
                                         sciprune_error *err)
{
    memset(out, 0, sizeof *out);
    if (!doc || !doc->text) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "no text");
    if (doc->len > UINT32_MAX) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "text over 4 GiB");
    const char *lang = doc->lang ? doc->lang : "unknown";
    sciprune_gate_scores g;
    memset(&g, 0, sizeof g);
    /* the embed-pass signals of a model ranked by one come from the same parse, as the embed
     * stage computes them */
    float nat = 0, sites = 0, learned = 0;
    sciprune_status st = embed(m, w, doc, &out->row, &g, m->need_nat ? &nat : NULL,
                               m->need_sites ? &sites : NULL, err);
    if (st) return st;
    nearest(m, w->vec, &out->cluster, &out->distance);
    out->cluster_size = m->size[out->cluster];
    /* gate values after the language switch (and, auto, the analysis' judgement) */
    int pe_on = sciprune_gates_lang_on(&m->gs, SCIPRUNE_GATE_PARSE_ERROR, lang) && !in_list(m->off[0], lang);
    int un_on = sciprune_gates_lang_on(&m->gs, SCIPRUNE_GATE_UNDEFINED_NAME, lang) && !in_list(m->off[1], lang);
    out->parse_error = pe_on ? (float)g.parse_errors : 0.0f;
    out->undefined_name = un_on ? (float)g.undefined_names : 0.0f;
    out->keep = 1;
    out->reason = SCIPRUNE_REASON_KEEP;
    if (m->gate_plan && (out->parse_error > 0 || out->undefined_name > 0)) {
        out->gated = 1;
        out->keep = 0;
        out->reason = out->parse_error > 0 ? SCIPRUNE_REASON_PARSE_ERROR : SCIPRUNE_REASON_UNDEFINED_NAME;
        return SCIPRUNE_OK;
    }
    /* learned over the signals with the raw gates (after the language switch, not the
     * analysis' judgement: W/gates') */
    if (m->learned) {
        int pe = sciprune_gates_lang_on(&m->gs, SCIPRUNE_GATE_PARSE_ERROR, lang) && g.parse_errors > 0;
        int un = sciprune_gates_lang_on(&m->gs, SCIPRUNE_GATE_UNDEFINED_NAME, lang) && g.undefined_names > 0;
        double f[RANK_LEARNED_NF] = {out->distance, log1p((double)out->cluster_size), pe, un, nat,
                                      log1p((double)doc->len), sites};
        learned = rank_learned_z(m->lw, m->lb, f);
    }
    uint64_t th = 0;
    int have_th = 0;
    for (size_t i = 0; i < m->n_steps; i++) {
        const mstep *s = &m->step[i];
        if (!s->has_cut) continue;
        if (!have_th) th = model_text_hash(doc->text, doc->len), have_th = 1;
        int pruned = near_lookup(s, th, doc->id);
        if (pruned >= 0) {
            out->from_training = 1;
        } else {
            switch (s->order) {
            case RANK_ORD_SIZE:
                pruned = rank_key_size(m->crank[out->cluster], out->distance) < s->key;
                break;
            case RANK_ORD_DIST: pruned = rank_key_distance(out->distance) < s->key; break;
            case RANK_ORD_PC:
                pruned = s->pc_has[out->cluster] && rank_ford(out->distance) > s->pc_ford[out->cluster];
                break;
            case RANK_ORD_LENGTH: pruned = rank_key_length(doc->len) < s->key; break;
            case RANK_ORD_NAT: pruned = rank_key_signal(nat) < s->key; break;
            case RANK_ORD_LEARNED: pruned = rank_key_signal(learned) < s->key; break;
            case RANK_ORD_SITES: pruned = rank_key_signal(sites) < s->key; break;
            case RANK_ORD_RANDOM:
                if (!doc->id)
                    return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1,
                                  "model %s ranks by the random baseline, which hashes the "
                                  "record id: give one", m->variant);
                pruned = rank_key_random_id(doc->id, m->seed) < s->key;
                break;
            default: pruned = 0;
            }
        }
        if (pruned) {
            out->keep = 0;
            out->reason = k_step_reason[s->order];
            return SCIPRUNE_OK;
        }
    }
    return SCIPRUNE_OK;
}

sciprune_status sciprune_model_judge(const sciprune_model *m, sciprune_model_worker *w,
                                     const char *text, size_t len, const char *lang,
                                     sciprune_verdict *out, sciprune_error *err)
{
    sciprune_model_doc d = {.text = text, .len = len, .lang = lang};
    return sciprune_model_judge_doc(m, w, &d, out, err);
}
