/*
 * gates.c - per-record quality gates (one parse per file) and the gates stage.
 *
 * Files written in W/gates/ (each via a temp name + rename):
 *   <shard>.parse_error.npy     '<f4', shape (N,): ERROR + MISSING nodes of line i+1's text;
 *                               0 for rejected lines and languages without a grammar
 *   <shard>.undefined_name.npy  '<f4', shape (N,): distinct undefined names; 0 for rejected
 *                               lines and when the gate abstained
 *   summary.json                {"shards": [{"name", "rows", "accepted"}],
 *                                "languages": {"<lang>": {"files", "bytes",
 *                                  "parse_error": {"flagged", "share", "mean_error_share"},
 *                                  "undefined_name": {"flagged", "share", "abstained",
 *                                                     "abstained_share", "judged",
 *                                                     "abstain_reasons": {reason: n}}}},
 *                                "total": {same counts}, "threads", "seconds"}
 *   "share" is flagged / files; for undefined_name also flagged / judged is given as
 *   "share_of_judged". Every file but the "seconds" field is identical whatever the thread
 *   count (see the stage section below).
 */
#include "gates_int.h"
#include "../shard/sp_npy.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

sciprune_status sciprune_gate_score(sciprune_parser *parser, const char *lang, const char *text,
                                    size_t len, sciprune_gate_scores *out, sciprune_error *err)
{
    memset(out, 0, sizeof *out);
    out->abstain_reason = "";
    if (!lang || !lang_grammar(lang)) {
        out->undefined_abstained = 1;
        out->abstain_reason = "unsupported";
        return SCIPRUNE_OK;
    }
    TSTree *t = NULL;
    sciprune_status st = lang_parse(parser, lang, text, len, &t, err);
    if (st) return st;
    TSNode root = ts_tree_root_node(t);
    sciprune_parse_stats ps;
    lang_count_errors(root, &ps);
    out->error_nodes = ps.error_nodes;
    out->missing_nodes = ps.missing_nodes;
    out->parse_errors = ps.error_nodes + ps.missing_nodes;
    out->parse_error_share = len ? (double)ps.error_bytes / (double)len : 0.0;
    if (out->parse_error_share > 1.0) out->parse_error_share = 1.0;
    st = gates_undefined(lang, root, text, len, out, err);
    ts_tree_delete(t);
    return st;
}

void sciprune_gates_settings_default(sciprune_gates_settings *s)
{
    memset(s, 0, sizeof *s);
    s->threads = 0;
    sciprune_shard_options_default(&s->shard);
}

/* ------------------------------------------------------------------ per-language counts */
#define MAX_REASONS 12

typedef struct lang_stats {
    char name[32];
    uint64_t files, bytes, pe_flagged, un_flagged, un_abstained;
    double pe_share_sum;
    uint64_t reasons[MAX_REASONS];
} lang_stats;

/* Every abstain reason undef.c and sciprune_gate_score() give; the last slot takes any other. */
static const char *const g_reason_names[MAX_REASONS] = {
    "parse_error", "star_import", "exec_eval", "globals", "builtins_write", "gettext_install",
    "with", "eval", "import_scripts", "too_deep", "unsupported", "other"};

static int reason_index(const char *r)
{
    for (int i = 0; i < MAX_REASONS - 1; i++)
        if (!strcmp(g_reason_names[i], r)) return i;
    return MAX_REASONS - 1;
}

typedef struct stats_list {
    lang_stats *v; /* n, owned */
    size_t n, cap;
} stats_list;

static lang_stats *stats_get(stats_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].name, name)) return &l->v[i];
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 8;
        lang_stats *nv = realloc(l->v, nc * sizeof *nv);
        if (!nv) return NULL;
        l->v = nv;
        l->cap = nc;
    }
    lang_stats *s = &l->v[l->n++];
    memset(s, 0, sizeof *s);
    sp_strlcpy(s->name, name, sizeof s->name);
    return s;
}

/* ------------------------------------------------------------------ stage
 * Shards are read one after the other on the calling thread, in chunks of records; the
 * records of a chunk are scored by a pool of workers (one parser each) taking items from an
 * atomic counter, and the results folded into the statistics in line order. So the work is
 * spread over every core even for one shard, and the output does not depend on the thread
 * count. */
#define CHUNK_RECORDS 2048
#define CHUNK_BYTES (32u << 20)

typedef struct item {
    size_t text_off, text_len;      /* in chunk.text */
    char lang[32];
    sciprune_gate_scores g;         /* result */
    sciprune_status st;
    sciprune_error err;
} item;

typedef struct chunk {
    item *it;                       /* n, owned */
    size_t n, cap;
    char *text;                     /* texts back to back, owned */
    size_t tlen, tcap;
    atomic_size_t next;
} chunk;

typedef struct pool {
    sciprune_parser **parsers;      /* nt, owned */
    int nt;
    chunk *c;
} pool;

typedef struct fvec {
    float *v;
    size_t n, cap;
} fvec;

static int fvec_push(fvec *a, float x)
{
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 1024;
        float *nv = realloc(a->v, nc * sizeof *nv);
        if (!nv) return 0;
        a->v = nv;
        a->cap = nc;
    }
    a->v[a->n++] = x;
    return 1;
}

typedef struct worker_arg {
    pool *P;
    int id;
} worker_arg;

static void *score_worker(void *arg)
{
    worker_arg *wa = arg;
    chunk *c = wa->P->c;
    sciprune_parser *parser = wa->P->parsers[wa->id];
    for (;;) {
        size_t i = atomic_fetch_add(&c->next, 1);
        if (i >= c->n) break;
        item *it = &c->it[i];
        it->st = sciprune_gate_score(parser, it->lang, c->text + it->text_off, it->text_len,
                                     &it->g, &it->err);
    }
    return NULL;
}

/* Score every item of P->c on P->nt threads (the caller's thread is one of them). */
static sciprune_status score_chunk(pool *P, sciprune_error *err)
{
    pthread_t tids[256];
    worker_arg args[256];
    int started = 0;
    atomic_store(&P->c->next, 0);
    for (int t = 1; t < P->nt && t < 256; t++) {
        args[t] = (worker_arg){P, t};
        if (pthread_create(&tids[t], NULL, score_worker, &args[t])) break;
        started = t;
    }
    args[0] = (worker_arg){P, 0};
    score_worker(&args[0]);
    for (int t = 1; t <= started; t++) pthread_join(tids[t], NULL);
    for (size_t i = 0; i < P->c->n; i++)
        if (P->c->it[i].st) {
            if (err) *err = P->c->it[i].err;
            return P->c->it[i].st;
        }
    return SCIPRUNE_OK;
}

static int chunk_add(chunk *c, const sciprune_record *rec)
{
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 256;
        item *ni = realloc(c->it, nc * sizeof *ni);
        if (!ni) return 0;
        c->it = ni;
        c->cap = nc;
    }
    if (c->tlen + rec->text_len + 1 > c->tcap) {
        size_t nc = c->tcap ? c->tcap : 1 << 20;
        while (nc < c->tlen + rec->text_len + 1) nc *= 2;
        char *nt = realloc(c->text, nc);
        if (!nt) return 0;
        c->text = nt;
        c->tcap = nc;
    }
    item *it = &c->it[c->n++];
    it->text_off = c->tlen;
    it->text_len = rec->text_len;
    memcpy(c->text + c->tlen, rec->text, rec->text_len);
    c->text[c->tlen + rec->text_len] = '\0';
    c->tlen += rec->text_len + 1;
    sp_strlcpy(it->lang, rec->lang ? rec->lang : "unknown", sizeof it->lang);
    it->st = SCIPRUNE_OK;
    return 1;
}

typedef struct shard_out {
    const char *name;
    uint64_t rows, accepted;
} shard_out;

/* Fold a scored chunk into the per-line arrays and the statistics, in line order. `rej`
 * marks, per line of the chunk span, a rejected line (0 in both arrays). */
static int fold_chunk(const chunk *c, const uint8_t *rej, size_t nlines, fvec *pe, fvec *un,
                      stats_list *sl)
{
    size_t k = 0;
    for (size_t l = 0; l < nlines; l++) {
        if (rej[l]) {
            if (!fvec_push(pe, 0.0f) || !fvec_push(un, 0.0f)) return 0;
            continue;
        }
        const item *it = &c->it[k++];
        const sciprune_gate_scores *g = &it->g;
        if (!fvec_push(pe, (float)g->parse_errors) || !fvec_push(un, (float)g->undefined_names))
            return 0;
        lang_stats *ls = stats_get(sl, it->lang);
        if (!ls) return 0;
        ls->files++;
        ls->bytes += it->text_len;
        ls->pe_flagged += g->parse_errors > 0;
        ls->pe_share_sum += g->parse_error_share;
        ls->un_flagged += g->undefined_names > 0;
        if (g->undefined_abstained) {
            ls->un_abstained++;
            ls->reasons[reason_index(g->abstain_reason)]++;
        }
    }
    return 1;
}

static sciprune_status run_shard(const char *gdir, const sciprune_gates_settings *s, pool *P,
                                 const char *path, shard_out *so, stats_list *sl,
                                 sciprune_error *err)
{
    sciprune_shard_reader *r = NULL;
    fvec pe = {0}, un = {0};
    char *p1 = NULL, *p2 = NULL;
    uint8_t *rej = NULL;
    size_t nlines = 0, rcap = 0;
    chunk *c = P->c;
    c->n = 0;
    c->tlen = 0;
    sciprune_status st = sciprune_shard_reader_open(&r, path, &s->shard, err);
    if (st) goto fail;
    for (int eof = 0; !eof;) {
        const sciprune_record *rec = NULL;
        if ((st = sciprune_shard_reader_next(r, &rec, err))) goto fail;
        eof = rec == NULL;
        if (rec) {
            so->rows++;
            if (nlines == rcap) {
                size_t nc = rcap ? rcap * 2 : 4096;
                uint8_t *nr = realloc(rej, nc);
                if (!nr) goto oom;
                rej = nr;
                rcap = nc;
            }
            rej[nlines++] = rec->reject != SCIPRUNE_REJECT_NONE;
            if (rec->reject == SCIPRUNE_REJECT_NONE) {
                so->accepted++;
                if (!chunk_add(c, rec)) goto oom;
            }
        }
        if (eof || c->n >= CHUNK_RECORDS || c->tlen >= CHUNK_BYTES) {
            if ((st = score_chunk(P, err))) {
                if (err) sp_strlcpy(err->source, so->name, sizeof err->source);
                goto fail;
            }
            if (!fold_chunk(c, rej, nlines, &pe, &un, sl)) goto oom;
            c->n = 0;
            c->tlen = 0;
            nlines = 0;
        }
    }
    sciprune_shard_reader_close(r);
    r = NULL;
    size_t nl = strlen(gdir) + strlen(so->name) + 32;
    p1 = malloc(nl);
    p2 = malloc(nl);
    if (!p1 || !p2) goto oom;
    snprintf(p1, nl, "%s/%s.parse_error.npy", gdir, so->name);
    snprintf(p2, nl, "%s/%s.undefined_name.npy", gdir, so->name);
    if ((st = sp_npy_write(p1, SP_NPY_F32, pe.n, 0, pe.v, err))) goto fail;
    if ((st = sp_npy_write(p2, SP_NPY_F32, un.n, 0, un.v, err))) goto fail;
    goto fail; /* success: shared cleanup */
oom:
    st = sp_err(err, SCIPRUNE_ENOMEM, so->name, -1, -1, "out of memory");
fail:
    sciprune_shard_reader_close(r);
    free(pe.v);
    free(un.v);
    free(p1);
    free(p2);
    free(rej);
    return st;
}

static json_t *stats_json(const lang_stats *l)
{
    json_t *reasons = json_object();
    for (int i = 0; i < MAX_REASONS; i++)
        if (l->reasons[i])
            json_object_set_new(reasons, g_reason_names[i], json_integer((json_int_t)l->reasons[i]));
    double f = l->files ? (double)l->files : 1.0;
    uint64_t judged = l->files - l->un_abstained;
    return json_pack(
        "{s:I, s:I, s:{s:I, s:f, s:f}, s:{s:I, s:f, s:I, s:f, s:I, s:f, s:o}}", "files",
        (json_int_t)l->files, "bytes", (json_int_t)l->bytes, "parse_error", "flagged",
        (json_int_t)l->pe_flagged, "share", (double)l->pe_flagged / f, "mean_error_share",
        l->pe_share_sum / f, "undefined_name", "flagged", (json_int_t)l->un_flagged, "share",
        (double)l->un_flagged / f, "abstained", (json_int_t)l->un_abstained, "abstained_share",
        (double)l->un_abstained / f, "judged", (json_int_t)judged, "share_of_judged",
        judged ? (double)l->un_flagged / (double)judged : 0.0, "abstain_reasons", reasons);
}

static int cmp_stats(const void *a, const void *b)
{
    return strcmp(((const lang_stats *)a)->name, ((const lang_stats *)b)->name);
}

sciprune_status sciprune_gates_run(const char *workdir, const char *const *paths, size_t n,
                                   const sciprune_gates_settings *s, sciprune_gates_info *info,
                                   sciprune_error *err)
{
    double t0 = sp_now();
    sciprune_gates_settings defs;
    if (!s) {
        sciprune_gates_settings_default(&defs);
        s = &defs;
    }
    if (info) memset(info, 0, sizeof *info);
    if (!n) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "no input shards");
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < i; k++)
            if (!strcmp(sciprune_shard_name(paths[i]), sciprune_shard_name(paths[k])))
                return sp_err(err, SCIPRUNE_EINVAL, paths[i], -1, -1,
                              "two input shards are named %s", sciprune_shard_name(paths[i]));
    sciprune_status st = SCIPRUNE_OK;
    char *gdir = sp_path_join(workdir, "gates");
    shard_out *outs = calloc(n, sizeof *outs);
    stats_list tot = {0};
    json_t *root = NULL;
    char *js = NULL, *spath = NULL;
    chunk ch;
    memset(&ch, 0, sizeof ch);
    pool P = {.c = &ch};
    int threads = s->threads > 0 ? s->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1) threads = 1;
    if (threads > 256) threads = 256;
    P.parsers = calloc((size_t)threads, sizeof *P.parsers);
    if (!gdir || !outs || !P.parsers) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto fail;
    }
    for (; P.nt < threads; P.nt++)
        if ((st = sciprune_parser_new(&P.parsers[P.nt], err))) goto fail;
    if ((st = sp_mkdirs(gdir, err))) goto fail;
    for (size_t i = 0; i < n; i++) {
        outs[i].name = sciprune_shard_name(paths[i]);
        if ((st = run_shard(gdir, s, &P, paths[i], &outs[i], &tot, err))) goto fail;
    }

    json_t *shards = json_array();
    root = json_object();
    json_object_set_new(root, "shards", shards);
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(shards, json_pack("{s:s, s:I, s:I}", "name", outs[i].name, "rows",
                                                (json_int_t)outs[i].rows, "accepted",
                                                (json_int_t)outs[i].accepted));
        if (info) {
            info->n_records += outs[i].rows;
            info->n_accepted += outs[i].accepted;
        }
    }
    qsort(tot.v, tot.n, sizeof *tot.v, cmp_stats);
    lang_stats all;
    memset(&all, 0, sizeof all);
    sp_strlcpy(all.name, "total", sizeof all.name);
    json_t *langs = json_object();
    json_object_set_new(root, "languages", langs);
    for (size_t k = 0; k < tot.n; k++) {
        const lang_stats *a = &tot.v[k];
        json_object_set_new(langs, a->name, stats_json(a));
        all.files += a->files;
        all.bytes += a->bytes;
        all.pe_flagged += a->pe_flagged;
        all.un_flagged += a->un_flagged;
        all.un_abstained += a->un_abstained;
        all.pe_share_sum += a->pe_share_sum;
        for (int r = 0; r < MAX_REASONS; r++) all.reasons[r] += a->reasons[r];
    }
    json_object_set_new(root, "total", stats_json(&all));
    double secs = sp_now() - t0;
    json_object_set_new(root, "seconds", json_real(secs));
    js = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(6));
    spath = sp_path_join(gdir, "summary.json");
    if (!js || !spath) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto fail;
    }
    size_t jl = strlen(js);
    js[jl] = '\n'; /* replace the NUL: written with its length */
    if ((st = sp_write_file_atomic(spath, js, jl + 1, err))) goto fail;
    if (info) {
        info->n_parse_error = all.pe_flagged;
        info->n_undefined = all.un_flagged;
        info->n_abstained = all.un_abstained;
        info->bytes = all.bytes;
        info->seconds = secs;
    }
fail:
    for (int t = 0; t < P.nt; t++) sciprune_parser_free(P.parsers[t]);
    free(P.parsers);
    free(ch.it);
    free(ch.text);
    free(outs);
    free(tot.v);
    free(gdir);
    free(js);
    free(spath);
    json_decref(root);
    return st;
}
