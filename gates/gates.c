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
 *   "share_of_judged". Shards are processed by a pool of workers (one parser each) and their
 *   statistics merged in shard order, so every file but the "seconds" field is identical
 *   whatever the thread count.
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

static const char *g_reason_names[MAX_REASONS];
static pthread_mutex_t g_reason_mu = PTHREAD_MUTEX_INITIALIZER;

/* index of a (static) reason string, by content */
static int reason_index(const char *r)
{
    pthread_mutex_lock(&g_reason_mu);
    int i;
    for (i = 0; i < MAX_REASONS && g_reason_names[i]; i++)
        if (!strcmp(g_reason_names[i], r)) break;
    if (i == MAX_REASONS) i = MAX_REASONS - 1; /* more reasons than slots: fold into the last */
    else if (!g_reason_names[i]) g_reason_names[i] = r;
    pthread_mutex_unlock(&g_reason_mu);
    return i;
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

/* ------------------------------------------------------------------ stage */
typedef struct shard_job {
    const char *path;
    const char *name;
    uint64_t rows, accepted;
    stats_list stats;
    sciprune_status st;
    sciprune_error err;
} shard_job;

typedef struct stage {
    const char *gdir;
    const sciprune_gates_settings *s;
    shard_job *jobs;
    size_t n;
    atomic_size_t next;
} stage;

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

static sciprune_status run_shard(stage *S, shard_job *j, sciprune_parser *parser)
{
    sciprune_error *err = &j->err;
    sciprune_shard_reader *r = NULL;
    fvec pe = {0}, un = {0};
    char *p1 = NULL, *p2 = NULL;
    sciprune_status st = sciprune_shard_reader_open(&r, j->path, &S->s->shard, err);
    if (st) goto fail;
    for (;;) {
        const sciprune_record *rec;
        if ((st = sciprune_shard_reader_next(r, &rec, err))) goto fail;
        if (!rec) break;
        j->rows++;
        float a = 0.0f, b = 0.0f;
        if (rec->reject == SCIPRUNE_REJECT_NONE) {
            j->accepted++;
            sciprune_gate_scores g;
            if ((st = sciprune_gate_score(parser, rec->lang, rec->text, rec->text_len, &g, err))) {
                sp_strlcpy(err->source, j->name, sizeof err->source);
                err->line = rec->line;
                goto fail;
            }
            a = (float)g.parse_errors;
            b = (float)g.undefined_names;
            lang_stats *ls = stats_get(&j->stats, rec->lang ? rec->lang : "unknown");
            if (!ls) {
                st = sp_err(err, SCIPRUNE_ENOMEM, j->name, -1, -1, "out of memory");
                goto fail;
            }
            ls->files++;
            ls->bytes += rec->text_len;
            ls->pe_flagged += g.parse_errors > 0;
            ls->pe_share_sum += g.parse_error_share;
            ls->un_flagged += g.undefined_names > 0;
            if (g.undefined_abstained) {
                ls->un_abstained++;
                ls->reasons[reason_index(g.abstain_reason)]++;
            }
        }
        if (!fvec_push(&pe, a) || !fvec_push(&un, b)) {
            st = sp_err(err, SCIPRUNE_ENOMEM, j->name, -1, -1, "out of memory");
            goto fail;
        }
    }
    sciprune_shard_reader_close(r);
    r = NULL;
    size_t nl = strlen(S->gdir) + strlen(j->name) + 32;
    p1 = malloc(nl);
    p2 = malloc(nl);
    if (!p1 || !p2) {
        st = sp_err(err, SCIPRUNE_ENOMEM, j->name, -1, -1, "out of memory");
        goto fail;
    }
    snprintf(p1, nl, "%s/%s.parse_error.npy", S->gdir, j->name);
    snprintf(p2, nl, "%s/%s.undefined_name.npy", S->gdir, j->name);
    if ((st = sp_npy_write(p1, SP_NPY_F32, pe.n, 0, pe.v, err))) goto fail;
    if ((st = sp_npy_write(p2, SP_NPY_F32, un.n, 0, un.v, err))) goto fail;
fail:
    sciprune_shard_reader_close(r);
    free(pe.v);
    free(un.v);
    free(p1);
    free(p2);
    return st;
}

static void *worker(void *arg)
{
    stage *S = arg;
    sciprune_parser *parser = NULL;
    sciprune_error perr;
    sciprune_status pst = sciprune_parser_new(&parser, &perr);
    for (;;) {
        size_t i = atomic_fetch_add(&S->next, 1);
        if (i >= S->n) break;
        shard_job *j = &S->jobs[i];
        if (pst) {
            j->st = pst;
            j->err = perr;
            continue;
        }
        j->st = run_shard(S, j, parser);
    }
    sciprune_parser_free(parser);
    return NULL;
}

static json_t *stats_json(const lang_stats *l)
{
    json_t *reasons = json_object();
    for (int i = 0; i < MAX_REASONS; i++)
        if (l->reasons[i] && g_reason_names[i])
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
    shard_job *jobs = calloc(n, sizeof *jobs);
    pthread_t *tids = NULL;
    stats_list tot = {0};
    json_t *root = NULL;
    char *js = NULL, *spath = NULL;
    int nt = 0;
    if (!gdir || !jobs) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto fail;
    }
    if ((st = sp_mkdirs(gdir, err))) goto fail;
    for (size_t i = 0; i < n; i++) {
        jobs[i].path = paths[i];
        jobs[i].name = sciprune_shard_name(paths[i]);
    }
    stage S = {.gdir = gdir, .s = s, .jobs = jobs, .n = n};
    atomic_init(&S.next, 0);
    int threads = s->threads > 0 ? s->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1) threads = 1;
    if ((size_t)threads > n) threads = (int)n;
    tids = calloc((size_t)threads, sizeof *tids);
    if (!tids) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto fail;
    }
    for (; nt < threads; nt++)
        if (pthread_create(&tids[nt], NULL, worker, &S)) break;
    if (nt == 0) worker(&S);
    for (int i = 0; i < nt; i++) pthread_join(tids[i], NULL);

    json_t *shards = json_array();
    root = json_object();
    json_object_set_new(root, "shards", shards);
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].st) {
            st = jobs[i].st;
            if (err) *err = jobs[i].err;
            goto fail;
        }
        json_array_append_new(shards, json_pack("{s:s, s:I, s:I}", "name", jobs[i].name, "rows",
                                                (json_int_t)jobs[i].rows, "accepted",
                                                (json_int_t)jobs[i].accepted));
        if (info) {
            info->n_records += jobs[i].rows;
            info->n_accepted += jobs[i].accepted;
        }
        for (size_t k = 0; k < jobs[i].stats.n; k++) {
            const lang_stats *a = &jobs[i].stats.v[k];
            lang_stats *b = stats_get(&tot, a->name);
            if (!b) {
                st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
                goto fail;
            }
            b->files += a->files;
            b->bytes += a->bytes;
            b->pe_flagged += a->pe_flagged;
            b->un_flagged += a->un_flagged;
            b->un_abstained += a->un_abstained;
            b->pe_share_sum += a->pe_share_sum;
            for (int r = 0; r < MAX_REASONS; r++) b->reasons[r] += a->reasons[r];
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
    if (jobs)
        for (size_t i = 0; i < n; i++) free(jobs[i].stats.v);
    free(jobs);
    free(tids);
    free(tot.v);
    free(gdir);
    free(js);
    free(spath);
    json_decref(root);
    return st;
}
