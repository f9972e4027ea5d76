/*
 * stage.c - the gates stage, and the writer of W/gates/ it shares with the embed stage.
 *
 * Files written in W/gates/ (each via a temp name + rename):
 *   <shard>.parse_error.npy     '<f4', shape (N,): ERROR + MISSING nodes of line i+1's text;
 *                               0 for rejected lines, languages without a grammar, languages
 *                               where the gate is off and texts the parse guard kept from
 *                               tree-sitter (too_deep / too_large: "not judged", never
 *                               flagged; counted as "guarded" / "not_judged" below)
 *   <shard>.undefined_name.npy  '<f4', shape (N,): distinct undefined names; 0 for rejected
 *                               lines, abstentions and languages where the gate is off
 *   <shard>.gates.json          {"name", "rows", "accepted", "settings": {...},
 *                                "languages": {"<lang>": {"files", "bytes", "pe", "pe_raw",
 *                                  "pe_share_sum", "un", "un_raw", "un_abstained",
 *                                  "reasons": {reason: n}, "guarded" (only when > 0)}}}
 *                               written last: its presence (with equal settings) marks the
 *                               shard complete
 *   summary.json                {"settings": {"parse_error_langs": [..] | "all",
 *                                             "undefined_name_langs": [..] | "all",
 *                                             "js_envs": [..] ("auto" by default)},
 *                                "shards": [{"name", "rows", "accepted"}],
 *                                "languages": {"<lang>": {"files", "bytes", "not_judged" (the
 *                                  parse guard's too_deep + too_large; only when > 0),
 *                                  "parse_error": {"on", "flagged", "share", "flagged_if_on",
 *                                                  "share_if_on", "mean_error_share"},
 *                                  "undefined_name": {"on", "flagged", "share",
 *                                                     "flagged_if_on", "share_if_on",
 *                                                     "abstained", "abstained_share",
 *                                                     "judged", "share_of_judged",
 *                                                     "abstain_reasons": {reason: n}}}},
 *                                "total": {same counts, "on" omitted}, "seconds"}
 *   "flagged" counts what the gate prunes (on for the language and score > 0); "flagged_if_on"
 *   what it would flag if it were on, so a user can judge a language before turning it on.
 *   Every file but the "seconds" field is identical whatever the thread count.
 */
#include "gates_int.h"
#include "../shard/sp_npy.h"
#include "../shard/sp_pool.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_REASONS 13

/* Every abstain reason undef.c and sciprune_gate_score() give; the last slot takes any other.
 * "too_deep" also counts the parse guard's too_deep, "too_large" is only the guard's. */
static const char *const g_reason_names[MAX_REASONS] = {
    "parse_error", "star_import", "exec_eval", "globals", "builtins_write", "side_effect_import",
    "with", "eval", "import_scripts", "too_deep", "unsupported", "too_large", "other"};

static int reason_index(const char *r)
{
    for (int i = 0; i < MAX_REASONS - 1; i++)
        if (!strcmp(g_reason_names[i], r)) return i;
    return MAX_REASONS - 1;
}

typedef struct lang_stats {
    char name[32];
    uint64_t files, bytes, pe, pe_raw, un, un_raw, un_abstained;
    uint64_t guarded;          /* not judged: the parse guard kept them from tree-sitter */
    double pe_share_sum;
    uint64_t reasons[MAX_REASONS];
} lang_stats;

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

static int cmp_stats(const void *a, const void *b)
{
    return strcmp(((const lang_stats *)a)->name, ((const lang_stats *)b)->name);
}

static void stats_add(lang_stats *to, const lang_stats *a)
{
    to->files += a->files;
    to->bytes += a->bytes;
    to->pe += a->pe;
    to->pe_raw += a->pe_raw;
    to->un += a->un;
    to->un_raw += a->un_raw;
    to->un_abstained += a->un_abstained;
    to->guarded += a->guarded;
    to->pe_share_sum += a->pe_share_sum;
    for (int r = 0; r < MAX_REASONS; r++) to->reasons[r] += a->reasons[r];
}

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

/* ------------------------------------------------------------------------- the sink */

struct gates_sink {
    char *dir;                 /* W/gates, owned */
    char *workdir;             /* W, owned */
    char pe_langs[512], un_langs[512];
    json_t *settings;          /* owned */
    char *name;                /* current shard, owned */
    fvec pe, un;
    stats_list sl;
    uint64_t rows, accepted;
};

static json_t *langs_json(const char *list)
{
    if (!strcmp(list, "all")) return json_string("all");
    json_t *a = json_array();
    const char *t;
    size_t l;
    for (const char *p = list; gates_list_next(&p, &t, &l);)
        if (l) json_array_append_new(a, json_stringn(t, l));
    return a;
}

sciprune_status gates_sink_open(gates_sink **out, const char *workdir,
                                const sciprune_gates_settings *s, sciprune_error *err)
{
    *out = NULL;
    sciprune_status st = sciprune_gates_settings_check(s, err);
    if (st) return st;
    gates_sink *k = calloc(1, sizeof *k);
    if (!k || !(k->dir = sp_wdir_path(workdir, SP_WD_GATES)) || !(k->workdir = strdup(workdir))) {
        if (k) free(k->dir);
        free(k);
        return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    }
    sp_strlcpy(k->pe_langs, gates_langs_of(s, GATES_PARSE_ERROR), sizeof k->pe_langs);
    sp_strlcpy(k->un_langs, gates_langs_of(s, GATES_UNDEFINED_NAME), sizeof k->un_langs);
    k->settings = json_pack("{s:o, s:o, s:o}", "parse_error_langs", langs_json(k->pe_langs),
                            "undefined_name_langs", langs_json(k->un_langs), "js_envs",
                            langs_json(s->js_envs && *s->js_envs ? s->js_envs : "auto"));
    if (!k->settings) {
        gates_sink_free(k);
        return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    }
    if ((st = sp_mkdirs(k->dir, err))) {
        gates_sink_free(k);
        return st;
    }
    *out = k;
    return SCIPRUNE_OK;
}

static char *shard_path(const gates_sink *k, const char *name, sp_wfile f)
{
    return sp_wpath(k->workdir, f, name);
}

/* The .gates.json of a shard when it is complete with these settings, else NULL. */
static json_t *load_complete(gates_sink *k, const char *name)
{
    char *pj = shard_path(k, name, SP_WF_GATE_SHARD);
    char *p1 = shard_path(k, name, SP_WF_GATE_PARSE_ERROR);
    char *p2 = shard_path(k, name, SP_WF_GATE_UNDEFINED_NAME);
    json_t *j = NULL;
    if (pj && p1 && p2 && sp_exists(pj) && sp_exists(p1) && sp_exists(p2)) {
        j = json_load_file(pj, 0, NULL);
        if (j && !json_equal(json_object_get(j, "settings"), k->settings)) {
            json_decref(j);
            j = NULL;
        }
        if (j) {
            sp_npy a, b;
            sciprune_error ig;
            json_int_t rows = json_integer_value(json_object_get(j, "rows"));
            int ok = 0;
            if (!sp_npy_open(&a, p1, &ig)) {
                if (!sp_npy_open(&b, p2, &ig)) {
                    ok = a.dtype == SP_NPY_F32 && b.dtype == SP_NPY_F32 && a.cols == 0 &&
                         b.cols == 0 && (json_int_t)a.rows == rows && (json_int_t)b.rows == rows;
                    sp_npy_close(&b);
                }
                sp_npy_close(&a);
            }
            if (!ok) {
                json_decref(j);
                j = NULL;
            }
        }
    }
    free(pj);
    free(p1);
    free(p2);
    return j;
}

int gates_sink_shard_complete(gates_sink *k, const char *name)
{
    json_t *j = load_complete(k, name);
    json_decref(j);
    return j != NULL;
}

sciprune_status gates_sink_begin(gates_sink *k, const char *name, sciprune_error *err)
{
    free(k->name);
    k->name = strdup(name);
    if (!k->name) return sp_err(err, SCIPRUNE_ENOMEM, name, -1, -1, "out of memory");
    k->pe.n = k->un.n = 0;
    k->sl.n = 0;
    k->rows = k->accepted = 0;
    return SCIPRUNE_OK;
}

sciprune_status gates_sink_add(gates_sink *k, const char *lang, size_t len,
                               const sciprune_gate_scores *g, sciprune_error *err)
{
    k->rows++;
    if (!lang) {
        if (!fvec_push(&k->pe, 0.0f) || !fvec_push(&k->un, 0.0f)) goto oom;
        return SCIPRUNE_OK;
    }
    k->accepted++;
    int pe_on = gates_lang_on(k->pe_langs, lang), un_on = gates_lang_on(k->un_langs, lang);
    if (!fvec_push(&k->pe, pe_on ? (float)g->parse_errors : 0.0f) ||
        !fvec_push(&k->un, un_on ? (float)g->undefined_names : 0.0f))
        goto oom;
    lang_stats *ls = stats_get(&k->sl, lang);
    if (!ls) goto oom;
    ls->files++;
    ls->bytes += len;
    ls->pe_raw += g->parse_errors > 0;
    ls->pe += pe_on && g->parse_errors > 0;
    ls->pe_share_sum += g->parse_error_share;
    ls->un_raw += g->undefined_names > 0;
    ls->un += un_on && g->undefined_names > 0;
    ls->guarded += g->guard != SCIPRUNE_GUARD_OK;
    if (g->undefined_abstained) {
        ls->un_abstained++;
        ls->reasons[reason_index(g->abstain_reason)]++;
    }
    return SCIPRUNE_OK;
oom:
    return sp_err(err, SCIPRUNE_ENOMEM, k->name, -1, -1, "out of memory");
}

static json_t *shard_stats_json(const lang_stats *l)
{
    json_t *reasons = json_object();
    for (int i = 0; i < MAX_REASONS; i++)
        if (l->reasons[i])
            json_object_set_new(reasons, g_reason_names[i], json_integer((json_int_t)l->reasons[i]));
    json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:o}", "files",
                          (json_int_t)l->files, "bytes", (json_int_t)l->bytes, "pe",
                          (json_int_t)l->pe, "pe_raw", (json_int_t)l->pe_raw, "pe_share_sum",
                          l->pe_share_sum, "un", (json_int_t)l->un, "un_raw", (json_int_t)l->un_raw,
                          "un_abstained", (json_int_t)l->un_abstained, "reasons", reasons);
    if (o && l->guarded) json_object_set_new(o, "guarded", json_integer((json_int_t)l->guarded));
    return o;
}

static sciprune_status write_json(const char *path, json_t *j, sciprune_error *err)
{
    return sp_json_write_atomic(path, j, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17), err);
}

sciprune_status gates_sink_end(gates_sink *k, sciprune_error *err)
{
    sciprune_status st = SCIPRUNE_OK;
    char *p1 = shard_path(k, k->name, SP_WF_GATE_PARSE_ERROR);
    char *p2 = shard_path(k, k->name, SP_WF_GATE_UNDEFINED_NAME);
    char *pj = shard_path(k, k->name, SP_WF_GATE_SHARD);
    json_t *j = NULL;
    if (!p1 || !p2 || !pj) {
        st = sp_err(err, SCIPRUNE_ENOMEM, k->name, -1, -1, "out of memory");
        goto done;
    }
    unlink(pj); /* incomplete until the counts are written again */
    if ((st = sp_npy_write(p1, SP_NPY_F32, k->pe.n, 0, k->pe.v, err))) goto done;
    if ((st = sp_npy_write(p2, SP_NPY_F32, k->un.n, 0, k->un.v, err))) goto done;
    qsort(k->sl.v, k->sl.n, sizeof *k->sl.v, cmp_stats);
    json_t *langs = json_object();
    for (size_t i = 0; i < k->sl.n; i++)
        json_object_set_new(langs, k->sl.v[i].name, shard_stats_json(&k->sl.v[i]));
    j = json_pack("{s:s, s:I, s:I, s:O, s:o}", "name", k->name, "rows", (json_int_t)k->rows,
                  "accepted", (json_int_t)k->accepted, "settings", k->settings, "languages", langs);
    if (!j) {
        st = sp_err(err, SCIPRUNE_ENOMEM, k->name, -1, -1, "out of memory");
        goto done;
    }
    st = write_json(pj, j, err);
done:
    json_decref(j);
    free(p1);
    free(p2);
    free(pj);
    return st;
}

void gates_sink_abort(gates_sink *k)
{
    if (!k || !k->name) return;
    char *pj = shard_path(k, k->name, SP_WF_GATE_SHARD);
    if (pj) unlink(pj);
    free(pj);
}

static uint64_t jint(json_t *o, const char *key)
{
    return (uint64_t)json_integer_value(json_object_get(o, key));
}

static json_t *summary_stats_json(const lang_stats *l, int pe_on, int un_on, int with_on)
{
    json_t *reasons = json_object();
    for (int i = 0; i < MAX_REASONS; i++)
        if (l->reasons[i])
            json_object_set_new(reasons, g_reason_names[i], json_integer((json_int_t)l->reasons[i]));
    double f = l->files ? (double)l->files : 1.0;
    uint64_t judged = l->files - l->un_abstained;
    json_t *pe = json_pack("{s:I, s:f, s:I, s:f, s:f}", "flagged", (json_int_t)l->pe, "share",
                           (double)l->pe / f, "flagged_if_on", (json_int_t)l->pe_raw,
                           "share_if_on", (double)l->pe_raw / f, "mean_error_share",
                           l->pe_share_sum / f);
    json_t *un = json_pack("{s:I, s:f, s:I, s:f, s:I, s:f, s:I, s:f, s:o}", "flagged",
                           (json_int_t)l->un, "share", (double)l->un / f, "flagged_if_on",
                           (json_int_t)l->un_raw, "share_if_on", (double)l->un_raw / f,
                           "abstained", (json_int_t)l->un_abstained, "abstained_share",
                           (double)l->un_abstained / f, "judged", (json_int_t)judged,
                           "share_of_judged", judged ? (double)l->un_raw / (double)judged : 0.0,
                           "abstain_reasons", reasons);
    if (with_on) {
        json_object_set_new(pe, "on", json_boolean(pe_on));
        json_object_set_new(un, "on", json_boolean(un_on));
    }
    json_t *o = json_pack("{s:I, s:I, s:o, s:o}", "files", (json_int_t)l->files, "bytes",
                          (json_int_t)l->bytes, "parse_error", pe, "undefined_name", un);
    if (o && l->guarded) json_object_set_new(o, "not_judged", json_integer((json_int_t)l->guarded));
    return o;
}

sciprune_status gates_sink_finish(gates_sink *k, const char *const *names, size_t n,
                                  double seconds, sciprune_gates_info *info, sciprune_error *err)
{
    sciprune_status st = SCIPRUNE_OK;
    stats_list tot = {0};
    json_t *root = json_object(), *shards = json_array();
    json_object_set_new(root, "settings", json_deep_copy(k->settings));
    json_object_set_new(root, "shards", shards);
    uint64_t rows = 0, accepted = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *j = load_complete(k, names[i]);
        if (!j) {
            st = sp_json_alloc_failed()
                     ? sp_err(err, SCIPRUNE_ENOMEM, k->dir, -1, -1, "out of memory")
                     : sp_err(err, SCIPRUNE_ESTATE, k->dir, -1, -1,
                              "gate files of shard %s are missing or incomplete", names[i]);
            goto done;
        }
        json_array_append_new(shards, json_pack("{s:s, s:I, s:I}", "name", names[i], "rows",
                                                (json_int_t)jint(j, "rows"), "accepted",
                                                (json_int_t)jint(j, "accepted")));
        rows += jint(j, "rows");
        accepted += jint(j, "accepted");
        const char *lang;
        json_t *o;
        json_object_foreach(json_object_get(j, "languages"), lang, o) {
            lang_stats a;
            memset(&a, 0, sizeof a);
            a.files = jint(o, "files");
            a.bytes = jint(o, "bytes");
            a.pe = jint(o, "pe");
            a.pe_raw = jint(o, "pe_raw");
            a.un = jint(o, "un");
            a.un_raw = jint(o, "un_raw");
            a.un_abstained = jint(o, "un_abstained");
            a.guarded = jint(o, "guarded");
            a.pe_share_sum = json_number_value(json_object_get(o, "pe_share_sum"));
            for (int r = 0; r < MAX_REASONS; r++)
                a.reasons[r] = jint(json_object_get(o, "reasons"), g_reason_names[r]);
            lang_stats *ls = stats_get(&tot, lang);
            if (!ls) {
                json_decref(j);
                st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
                goto done;
            }
            stats_add(ls, &a);
        }
        json_decref(j);
    }
    qsort(tot.v, tot.n, sizeof *tot.v, cmp_stats);
    lang_stats all;
    memset(&all, 0, sizeof all);
    json_t *langs = json_object();
    json_object_set_new(root, "languages", langs);
    for (size_t i = 0; i < tot.n; i++) {
        json_object_set_new(langs, tot.v[i].name,
                            summary_stats_json(&tot.v[i], gates_lang_on(k->pe_langs, tot.v[i].name),
                                               gates_lang_on(k->un_langs, tot.v[i].name), 1));
        stats_add(&all, &tot.v[i]);
    }
    json_object_set_new(root, "total", summary_stats_json(&all, 0, 0, 0));
    json_object_set_new(root, "seconds", json_real(seconds));
    char *sp = sp_wpath(k->workdir, SP_WF_GATES_SUMMARY, NULL);
    if (!sp) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto done;
    }
    st = write_json(sp, root, err);
    free(sp);
    if (!st && info) {
        info->n_records = rows;
        info->n_accepted = accepted;
        info->n_parse_error = all.pe;
        info->n_undefined = all.un;
        info->n_abstained = all.un_abstained;
        info->n_guarded = all.guarded;
        info->bytes = all.bytes;
        info->seconds = seconds;
    }
done:
    free(tot.v);
    json_decref(root);
    return st;
}

void gates_sink_free(gates_sink *k)
{
    if (!k) return;
    free(k->dir);
    free(k->workdir);
    free(k->name);
    free(k->pe.v);
    free(k->un.v);
    free(k->sl.v);
    json_decref(k->settings);
    free(k);
}

/* ------------------------------------------------------------------------- the stage
 * Shards are read one after the other on the calling thread, in chunks of records; the
 * records of a chunk are scored by a pool of workers (one parser each) taking items from an
 * atomic counter, and the results handed to the sink in line order. So the work is spread
 * over every core even for one shard, and the output does not depend on the thread count. */
#define CHUNK_RECORDS 2048
#define CHUNK_BYTES (32u << 20)

typedef struct item {
    size_t text_off, text_len;      /* in chunk.text */
    size_t path_off;                /* in chunk.text; (size_t)-1: no path */
    char lang[32];
    int rejected;
    sciprune_gate_scores g;         /* result */
} item;

typedef struct chunk {
    item *it;                       /* n, owned */
    size_t n, cap;
    char *text;                     /* texts back to back, owned */
    size_t tlen, tcap;
} chunk;

typedef struct pool {
    const sciprune_gates_settings *s; /* borrowed */
    sciprune_parser **parsers;      /* nt, owned */
    int nt;
    chunk *c;
} pool;

static sciprune_status score_item(void *ctx, int worker, size_t i, sciprune_error *err)
{
    pool *P = ctx;
    item *it = &P->c->it[i];
    if (it->rejected) return SCIPRUNE_OK;
    return sciprune_gate_score_file(P->parsers[worker], it->lang,
                                    it->path_off == (size_t)-1 ? NULL : P->c->text + it->path_off,
                                    P->c->text + it->text_off, it->text_len, P->s, &it->g, err);
}

/* Score every item of P->c on P->nt workers, one parser each (the caller's thread is one). */
static sciprune_status score_chunk(pool *P, sciprune_error *err)
{
    return sp_parallel_for(P->c->n, P->nt, score_item, P, err);
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
    item *it = &c->it[c->n++];
    it->rejected = rec->reject != SCIPRUNE_REJECT_NONE;
    it->text_off = c->tlen;
    it->text_len = 0;
    it->path_off = (size_t)-1;
    if (it->rejected) return 1;
    size_t pl = rec->path ? strlen(rec->path) + 1 : 0;
    if (c->tlen + rec->text_len + 1 + pl > c->tcap) {
        size_t nc = c->tcap ? c->tcap : 1 << 20;
        while (nc < c->tlen + rec->text_len + 1 + pl) nc *= 2;
        char *nt = realloc(c->text, nc);
        if (!nt) return 0;
        c->text = nt;
        c->tcap = nc;
    }
    it->text_len = rec->text_len;
    memcpy(c->text + c->tlen, rec->text, rec->text_len);
    c->text[c->tlen + rec->text_len] = '\0';
    c->tlen += rec->text_len + 1;
    if (pl) {
        it->path_off = c->tlen;
        memcpy(c->text + c->tlen, rec->path, pl);
        c->tlen += pl;
    }
    sp_strlcpy(it->lang, rec->lang ? rec->lang : "unknown", sizeof it->lang);
    return 1;
}

static sciprune_status run_shard(gates_sink *k, const sciprune_gates_settings *s, pool *P,
                                 const char *path, const char *name, sciprune_error *err)
{
    sciprune_shard_reader *r = NULL;
    chunk *c = P->c;
    c->n = 0;
    c->tlen = 0;
    sciprune_status st = gates_sink_begin(k, name, err);
    if (!st) st = sciprune_shard_reader_open(&r, path, &s->shard, err);
    for (int eof = 0; !st && !eof;) {
        const sciprune_record *rec = NULL;
        if ((st = sciprune_shard_reader_next(r, &rec, err))) break;
        eof = rec == NULL;
        if (rec && !chunk_add(c, rec)) {
            st = sp_err(err, SCIPRUNE_ENOMEM, name, -1, -1, "out of memory");
            break;
        }
        if (eof || c->n >= CHUNK_RECORDS || c->tlen >= CHUNK_BYTES) {
            if ((st = score_chunk(P, err))) {
                if (err) sp_strlcpy(err->source, name, sizeof err->source);
                break;
            }
            for (size_t i = 0; i < c->n && !st; i++) {
                const item *it = &c->it[i];
                st = gates_sink_add(k, it->rejected ? NULL : it->lang, it->text_len, &it->g, err);
            }
            c->n = 0;
            c->tlen = 0;
        }
    }
    sciprune_shard_reader_close(r);
    if (!st) st = gates_sink_end(k, err);
    return st;
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
        for (size_t j = 0; j < i; j++)
            if (!strcmp(sciprune_shard_name(paths[i]), sciprune_shard_name(paths[j])))
                return sp_err(err, SCIPRUNE_EINVAL, paths[i], -1, -1,
                              "two input shards are named %s", sciprune_shard_name(paths[i]));
    sciprune_status st = SCIPRUNE_OK;
    gates_sink *k = NULL;
    const char **names = calloc(n, sizeof *names);
    chunk ch;
    memset(&ch, 0, sizeof ch);
    pool P = {.c = &ch, .s = s};
    uint64_t skipped = 0;
    int threads = sp_threads(s->threads, SP_THREADS_MAX);
    P.parsers = calloc((size_t)threads, sizeof *P.parsers);
    if (!names || !P.parsers) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto done;
    }
    if ((st = gates_sink_open(&k, workdir, s, err))) goto done;
    for (; P.nt < threads; P.nt++)
        if ((st = sciprune_parser_new(&P.parsers[P.nt], err))) goto done;
    for (size_t i = 0; i < n; i++) {
        names[i] = sciprune_shard_name(paths[i]);
        if (gates_sink_shard_complete(k, names[i])) {
            skipped++;
            continue;
        }
        if ((st = run_shard(k, s, &P, paths[i], names[i], err))) {
            gates_sink_abort(k);
            goto done;
        }
    }
    st = gates_sink_finish(k, names, n, sp_now() - t0, info, err);
    if (info) info->shards_skipped = skipped;
done:
    for (int t = 0; t < P.nt; t++) sciprune_parser_free(P.parsers[t]);
    free(P.parsers);
    free(ch.it);
    free(ch.text);
    free(names);
    gates_sink_free(k);
    return st;
}
