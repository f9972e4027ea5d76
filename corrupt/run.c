/*
 * run.c - the corrupt stage: sample clean records from shards, corrupt them, write shards.
 *
 * Sampling is a pure function of (record id, corruption type, seed), so the output does not
 * depend on shard order, thread count or timing:
 *   1. scan   every input once (threads over shards); for each accepted record of a selected
 *             language L and each selected type T available for L, compute
 *             h = XXH3(id, seed = XXH3(T, seed)) and keep, per cell (L, T), the max_tries
 *             records with the smallest (h, shard, line): a bounded max-heap per cell.
 *   2. rounds until every cell has per_type variants or has run out of candidates:
 *             take the next few candidates of each unfinished cell in ascending h (round 1:
 *             1.25 x what is missing + 4; later rounds 2 x + 8), load those records' texts
 *             (threads over shards), parse each record once and apply its cells' operators
 *             (threads over records, one parser each), then walk each cell's candidates in h
 *             order counting outcomes and keeping variants until per_type are made. Results
 *             computed past that point are dropped, so counts do not depend on batch sizes
 *             being reached concurrently.
 *   3. write  corrupt-<lang>.jsonl.zst per language that had candidate records (cells in type
 *             order, variants in h order; a stale file of another language is removed),
 *             labels.jsonl and corrupt.json (no timings: byte-identical reruns).
 * The edit site inside a record is drawn from XXH3(id, seed = XXH3(T, seed) ^ K), see
 * variant_seed().
 *
 * Output line format (corrupt-<lang>.jsonl.zst):
 *   {"id":"corrupt:<type>:<orig id>", "orig_id":..., "corruption":"<type>",
 *    "kind":"syntax"|"content", "lang":..., "content":"<corrupted text>",
 *    "edit":{"offset":<byte offset in the original>, "removed":"...", "inserted":"..."},
 *    "orig_shard":"<input shard name>", "orig_line":<1-based line>}
 * labels.jsonl: {"id","orig_id","corruption","kind","lang","shard":"<output shard name>",
 *               "line":<1-based line in it>,"orig_shard","orig_line"}
 * corrupt.json: {"seed","per_type","max_tries","inputs":[names],"records","rejected",
 *               "other_lang","guarded" (only when > 0: records of a selected language the
 *               parse guard keeps from tree-sitter, never sources),"rounds","cells":[{"lang","type","kind","candidates","tried",
 *               "made","unclean","no_site","invalid"}, ...]}
 */
#include "corrupt_int.h"
#include "../shard/sp_pool.h"

#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct cand {
    uint64_t h;
    uint32_t shard;
    int64_t line;
} cand;

typedef struct variant {
    char *orig_id;          /* owned */
    char *text;             /* owned */
    size_t text_len;
    uint64_t offset;
    char *removed, *inserted; /* owned */
    size_t removed_len, inserted_len;
    uint32_t shard;
    int64_t line;
} variant;

typedef struct cell {
    sciprune_corrupt_cell pub;
    const corrupt_op *op;
    size_t lang_idx;        /* index in the registry (sciprune_lang_name) */
    uint64_t type_hash;     /* XXH3(type, seed) */
    cand *c;                /* heap while scanning, then sorted ascending; owned */
    size_t nc, cap;
    size_t next;            /* next candidate to try */
    int done;
    variant *out;           /* pub.made variants, owned */
} cell;

typedef struct job {
    size_t cell;
    size_t cand;
    size_t rec;             /* index into the round's records */
    sciprune_corrupt_result res;
    int unclean;
} job;

typedef struct record {
    uint32_t shard;
    int64_t line;
    size_t lang_idx;
    char *id;               /* owned, loaded */
    char *text;             /* owned, loaded */
    size_t text_len;
    size_t *jobs;           /* njobs job indices; owned */
    size_t njobs;
} record;

typedef struct run {
    const sciprune_corruptor *c;
    const char *const *shards;
    size_t nshards;
    const sciprune_shard_options *so;
    uint64_t seed, per_type, max_tries;
    int lang_sel[32];       /* by registry index */
    cell *cells;
    size_t ncells;
    size_t cells_by_lang[32][2]; /* [first, end) cell index per registry language */
    /* per round */
    job *jobs;
    size_t njobs;
    record *recs;
    size_t nrecs;
    size_t *shard_recs;     /* nshards + 1 offsets into recs (sorted by shard, line) */
    uint64_t records, rejected, other_lang, guarded;
} run;

typedef struct worker {
    run *r;
    sciprune_parser *parser;
    sciprune_error err;
    cell *local;            /* scan: per-thread candidate heaps */
    uint64_t records, rejected, other_lang, guarded;
} worker;

void sciprune_corrupt_options_default(sciprune_corrupt_options *o)
{
    memset(o, 0, sizeof *o);
    o->per_type = 100;
    o->threads = 1;
    o->zstd_level = 3;
}

void sciprune_corrupt_stats_free(sciprune_corrupt_stats *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->ncells; i++) free((char *)s->cells[i].type);
    free(s->cells);
    memset(s, 0, sizeof *s);
}

static uint64_t variant_seed(const char *id, uint64_t type_hash)
{
    return sp_hash64(id, strlen(id), type_hash ^ UINT64_C(0x5ec0ffee5eed1234));
}

static int cand_less(const cand *a, const cand *b)
{
    if (a->h != b->h) return a->h < b->h;
    if (a->shard != b->shard) return a->shard < b->shard;
    return a->line < b->line;
}

static int cmp_cand(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    return cand_less(a, b) ? -1 : cand_less(b, a) ? 1 : 0;
}

/* Keep the `max` smallest candidates in a max-heap. Returns -1 on ENOMEM. */
static int heap_push(cell *c, cand x, size_t max)
{
    if (c->nc < max) {
        if (c->nc == c->cap) {
            size_t nc = c->cap ? c->cap * 2 : 64;
            if (nc > max) nc = max;
            cand *nv = realloc(c->c, nc * sizeof *nv);
            if (!nv) return -1;
            c->c = nv;
            c->cap = nc;
        }
        size_t i = c->nc++;
        c->c[i] = x;
        while (i > 0) {
            size_t p = (i - 1) / 2;
            if (!cand_less(&c->c[p], &c->c[i])) break;
            cand t = c->c[p];
            c->c[p] = c->c[i];
            c->c[i] = t;
            i = p;
        }
        return 0;
    }
    if (max == 0 || !cand_less(&x, &c->c[0])) return 0;
    c->c[0] = x;
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < c->nc && cand_less(&c->c[m], &c->c[l])) m = l;
        if (r < c->nc && cand_less(&c->c[m], &c->c[r])) m = r;
        if (m == i) break;
        cand t = c->c[m];
        c->c[m] = c->c[i];
        c->c[i] = t;
        i = m;
    }
    return 0;
}

static size_t lang_index(const char *lang)
{
    for (size_t i = 0; i < sciprune_lang_count() && i < 32; i++)
        if (strcmp(sciprune_lang_name(i), lang) == 0) return i;
    return (size_t)-1;
}

/* ------------------------------------------------------------------ threads */

typedef sciprune_status (*work_fn)(worker *w, size_t i);

typedef struct pool_ctx {
    worker *ws;
    work_fn fn;
} pool_ctx;

static sciprune_status pool_item(void *ctx, int wi, size_t i, sciprune_error *err)
{
    pool_ctx *p = ctx;
    worker *w = &p->ws[wi];
    sp_err_clear(&w->err);
    sciprune_status s = p->fn(w, i);
    if (s && err) *err = w->err;
    return s;
}

/* Run fn(w, i) for i in [0, n) on nthreads workers (w: the running worker's state). The
 * failing item with the lowest i gives the status and error. */
static sciprune_status pool_run(worker *ws, int nthreads, size_t n, work_fn fn,
                                sciprune_error *err)
{
    pool_ctx p = {ws, fn};
    return sp_parallel_for(n, nthreads, pool_item, &p, err);
}

/* ------------------------------------------------------------------ scan */

static sciprune_status scan_shard(worker *w, size_t si)
{
    run *r = w->r;
    sciprune_shard_reader *rd = NULL;
    sciprune_status s = sciprune_shard_reader_open(&rd, r->shards[si], r->so, &w->err);
    if (s) return s;
    const sciprune_record *rec;
    for (;;) {
        if ((s = sciprune_shard_reader_next(rd, &rec, &w->err)) != SCIPRUNE_OK) break;
        if (!rec) break;
        w->records++;
        if (rec->reject != SCIPRUNE_REJECT_NONE) {
            w->rejected++;
            continue;
        }
        size_t li = lang_index(rec->lang);
        if (li == (size_t)-1 || !r->lang_sel[li] || r->cells_by_lang[li][0] == r->cells_by_lang[li][1]) {
            w->other_lang++;
            continue;
        }
        sciprune_guard_info gi; /* never a source: the parse guard keeps it from tree-sitter */
        sciprune_guard_check(rec->lang, rec->text, rec->text_len, &gi);
        if (gi.verdict != SCIPRUNE_GUARD_OK) {
            w->guarded++;
            continue;
        }
        size_t idl = strlen(rec->id);
        for (size_t ci = r->cells_by_lang[li][0]; ci < r->cells_by_lang[li][1]; ci++) {
            cand x = {sp_hash64(rec->id, idl, r->cells[ci].type_hash), (uint32_t)si, rec->line};
            if (heap_push(&w->local[ci], x, r->max_tries)) {
                s = sp_err(&w->err, SCIPRUNE_ENOMEM, r->shards[si], -1, -1, "out of memory");
                goto done;
            }
        }
    }
done:
    sciprune_shard_reader_close(rd);
    return s;
}

/* ------------------------------------------------------------------ load + process */

static sciprune_status load_shard(worker *w, size_t si)
{
    run *r = w->r;
    size_t a = r->shard_recs[si], b = r->shard_recs[si + 1];
    if (a == b) return SCIPRUNE_OK;
    sciprune_shard_reader *rd = NULL;
    sciprune_status s = sciprune_shard_reader_open(&rd, r->shards[si], r->so, &w->err);
    if (s) return s;
    const sciprune_record *rec;
    size_t k = a;
    while (k < b) {
        if ((s = sciprune_shard_reader_next(rd, &rec, &w->err)) != SCIPRUNE_OK) break;
        if (!rec) break;
        if (rec->line < r->recs[k].line) continue;
        if (rec->line > r->recs[k].line || rec->reject != SCIPRUNE_REJECT_NONE) break;
        record *x = &r->recs[k];
        x->id = strdup(rec->id);
        x->text = malloc(rec->text_len + 1);
        if (!x->id || !x->text) {
            s = sp_err(&w->err, SCIPRUNE_ENOMEM, r->shards[si], -1, -1, "out of memory");
            break;
        }
        memcpy(x->text, rec->text, rec->text_len + 1);
        x->text_len = rec->text_len;
        k++;
    }
    sciprune_shard_reader_close(rd);
    if (s == SCIPRUNE_OK && k < b)
        s = sp_err(&w->err, SCIPRUNE_ESTATE, r->shards[si], r->recs[k].line, -1,
                   "the shard changed while corrupting: record not found again");
    return s;
}

static sciprune_status process_record(worker *w, size_t ri)
{
    run *r = w->r;
    record *x = &r->recs[ri];
    const char *lang = sciprune_lang_name(x->lang_idx);
    TSTree *tree = NULL;
    /* guarded records were never ranked (scan_shard); lang_parse checks the guard again */
    sciprune_status s = lang_parse(w->parser, lang, x->text, x->text_len, &tree, &w->err);
    if (s) return s;
    sciprune_parse_stats st;
    lang_count_errors(lang, ts_tree_root_node(tree), x->text, x->text_len, &st);
    int unclean = lang_error_count(&st) > 0;
    for (size_t k = 0; k < x->njobs && s == SCIPRUNE_OK; k++) {
        job *j = &r->jobs[x->jobs[k]];
        if (unclean) {
            j->unclean = 1;
            continue;
        }
        cell *c = &r->cells[j->cell];
        s = corrupt_apply_tree(c->op, w->parser, variant_seed(x->id, c->type_hash), x->text,
                               x->text_len, tree, &j->res, &w->err);
    }
    ts_tree_delete(tree);
    /* the tree referenced the text; it is not needed after this record */
    return s;
}

static int cmp_rec(const void *pa, const void *pb)
{
    const record *a = pa, *b = pb;
    if (a->shard != b->shard) return a->shard < b->shard ? -1 : 1;
    if (a->line != b->line) return a->line < b->line ? -1 : 1;
    return 0;
}

static void round_free(run *r)
{
    for (size_t i = 0; i < r->njobs; i++) sciprune_corrupt_result_clear(&r->jobs[i].res);
    for (size_t i = 0; i < r->nrecs; i++) {
        free(r->recs[i].id);
        free(r->recs[i].text);
        free(r->recs[i].jobs);
    }
    free(r->jobs);
    free(r->recs);
    free(r->shard_recs);
    r->jobs = NULL;
    r->recs = NULL;
    r->shard_recs = NULL;
    r->njobs = r->nrecs = 0;
}

/* Build the round's jobs and records. Returns 0 jobs when every cell is done. */
static sciprune_status round_plan(run *r, int first, size_t *take_out, sciprune_error *err)
{
    size_t total = 0;
    for (size_t ci = 0; ci < r->ncells; ci++) {
        cell *c = &r->cells[ci];
        take_out[ci] = 0;
        if (c->done) continue;
        uint64_t want = r->per_type - c->pub.made;
        uint64_t take = first ? want + want / 4 + 4 : 2 * want + 8;
        if (take > c->nc - c->next) take = c->nc - c->next;
        take_out[ci] = (size_t)take;
        total += (size_t)take;
    }
    if (total == 0) return SCIPRUNE_OK;
    r->jobs = calloc(total, sizeof *r->jobs);
    record *tmp = calloc(total, sizeof *tmp);
    r->shard_recs = calloc(r->nshards + 1, sizeof *r->shard_recs);
    if (!r->jobs || !tmp || !r->shard_recs) {
        free(tmp);
        return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    }
    for (size_t ci = 0; ci < r->ncells; ci++)
        for (size_t k = 0; k < take_out[ci]; k++) {
            cell *c = &r->cells[ci];
            const cand *x = &c->c[c->next + k];
            job *j = &r->jobs[r->njobs];
            j->cell = ci;
            j->cand = c->next + k;
            /* records collect job indices after sorting; remember ours in njobs */
            tmp[r->njobs] = (record){x->shard, x->line, c->lang_idx, NULL, NULL, 0, NULL, r->njobs};
            r->njobs++;
        }
    /* sort by address, then merge equal addresses into one record */
    qsort(tmp, total, sizeof *tmp, cmp_rec);
    r->recs = calloc(total, sizeof *r->recs);
    if (!r->recs) {
        free(tmp);
        return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    }
    for (size_t i = 0; i < total;) {
        size_t e = i;
        while (e < total && tmp[e].shard == tmp[i].shard && tmp[e].line == tmp[i].line) e++;
        record *x = &r->recs[r->nrecs];
        *x = tmp[i];
        x->njobs = e - i;
        x->jobs = malloc(x->njobs * sizeof *x->jobs);
        if (!x->jobs) {
            free(tmp);
            return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        }
        r->nrecs++;
        for (size_t k = i; k < e; k++) {
            x->jobs[k - i] = tmp[k].njobs;
            r->jobs[tmp[k].njobs].rec = r->nrecs - 1;
        }
        r->shard_recs[x->shard + 1] = r->nrecs;
        i = e;
    }
    free(tmp);
    for (size_t s = 1; s <= r->nshards; s++)
        if (r->shard_recs[s] < r->shard_recs[s - 1]) r->shard_recs[s] = r->shard_recs[s - 1];
    return SCIPRUNE_OK;
}

/* Count the round's outcomes in candidate order and keep variants up to per_type. */
static sciprune_status round_tally(run *r, const size_t *take, sciprune_error *err)
{
    size_t j0 = 0;
    for (size_t ci = 0; ci < r->ncells; ci++) {
        cell *c = &r->cells[ci];
        for (size_t k = 0; k < take[ci]; k++) {
            job *j = &r->jobs[j0 + k];
            if (c->pub.made >= r->per_type) break;
            if (j->unclean) {
                c->pub.unclean++;
                continue;
            }
            c->pub.tried++;
            sciprune_corrupt_result *res = &j->res;
            if (res->outcome == SCIPRUNE_CORRUPT_MADE &&
                !sp_utf8_valid((const unsigned char *)res->text, res->text_len))
                res->outcome = SCIPRUNE_CORRUPT_INVALID; /* cannot be a JSON string */
            switch (res->outcome) {
            case SCIPRUNE_CORRUPT_MADE: {
                record *x = &r->recs[j->rec];
                variant *v = &c->out[c->pub.made];
                v->orig_id = strdup(x->id);
                if (!v->orig_id) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
                v->text = res->text, v->text_len = res->text_len;
                v->removed = res->removed, v->removed_len = res->removed_len;
                v->inserted = res->inserted, v->inserted_len = res->inserted_len;
                v->offset = res->offset;
                v->shard = x->shard;
                v->line = x->line;
                res->text = res->removed = res->inserted = NULL; /* moved */
                c->pub.made++;
                break;
            }
            case SCIPRUNE_CORRUPT_NO_SITE: c->pub.no_site++; break;
            default: c->pub.invalid++; break;
            }
        }
        c->next += take[ci];
        if (c->pub.made >= r->per_type || c->next >= c->nc) c->done = 1;
        j0 += take[ci];
    }
    return SCIPRUNE_OK;
}

/* ------------------------------------------------------------------ output */

static char *line_json(const run *r, const cell *c, const variant *v, int with_content,
                       const char *out_shard, uint64_t out_line)
{
    const char *type = c->pub.type;
    size_t n = strlen(type) + strlen(v->orig_id) + 16;
    char *id = malloc(n);
    if (!id) return NULL;
    snprintf(id, n, "corrupt:%s:%s", type, v->orig_id);
    json_t *o = json_object();
    int bad = !o;
    bad = bad || json_object_set_new(o, "id", json_string(id));
    bad = bad || json_object_set_new(o, "orig_id", json_string(v->orig_id));
    bad = bad || json_object_set_new(o, "corruption", json_string(type));
    bad = bad || json_object_set_new(o, "kind", json_string(sciprune_corrupt_kind_name(c->pub.kind)));
    bad = bad || json_object_set_new(o, "lang", json_string(c->pub.lang));
    if (with_content) {
        json_t *e = json_object();
        bad = bad || !e;
        bad = bad || json_object_set_new(o, "content", json_stringn(v->text, v->text_len));
        bad = bad || json_object_set_new(e, "offset", json_integer((json_int_t)v->offset));
        bad = bad || json_object_set_new(e, "removed", json_stringn(v->removed, v->removed_len));
        bad = bad || json_object_set_new(e, "inserted", json_stringn(v->inserted, v->inserted_len));
        bad = bad || json_object_set_new(o, "edit", e);
    } else {
        bad = bad || json_object_set_new(o, "shard", json_string(out_shard));
        bad = bad || json_object_set_new(o, "line", json_integer((json_int_t)out_line));
    }
    bad = bad || json_object_set_new(o, "orig_shard", json_string(sciprune_shard_name(r->shards[v->shard])));
    bad = bad || json_object_set_new(o, "orig_line", json_integer((json_int_t)v->line));
    char *s = bad ? NULL : sp_json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    free(id);
    return s;
}

static sciprune_status write_outputs(run *r, const char *out_dir, int level, sciprune_error *err)
{
    sciprune_status s = SCIPRUNE_OK;
    sciprune_writer_options wo;
    sciprune_writer_options_default(&wo);
    wo.zstd_level = level;
    sciprune_shard_writer *lw = NULL, *w = NULL;
    char *path = sp_path_join(out_dir, "labels.jsonl");
    if (!path) return sp_err(err, SCIPRUNE_ENOMEM, out_dir, -1, -1, "out of memory");
    s = sciprune_shard_writer_open(&lw, path, &wo, err);
    free(path);
    if (s) return s;
    for (size_t li = 0; li < 32 && li < sciprune_lang_count(); li++) {
        char name[64];
        snprintf(name, sizeof name, "corrupt-%s.jsonl.zst", sciprune_lang_name(li));
        path = sp_path_join(out_dir, name);
        if (!path) {
            s = sp_err(err, SCIPRUNE_ENOMEM, out_dir, -1, -1, "out of memory");
            goto fail;
        }
        uint64_t cands = 0;
        for (size_t ci = r->cells_by_lang[li][0]; ci < r->cells_by_lang[li][1]; ci++)
            cands += r->cells[ci].pub.candidates;
        if (cands == 0) { /* no input in this language: no file (and none left from before) */
            unlink(path);
            free(path);
            continue;
        }
        s = sciprune_shard_writer_open(&w, path, &wo, err);
        free(path);
        if (s) goto fail;
        uint64_t line = 0;
        for (size_t ci = r->cells_by_lang[li][0]; ci < r->cells_by_lang[li][1]; ci++) {
            const cell *c = &r->cells[ci];
            for (uint64_t k = 0; k < c->pub.made; k++) {
                char *a = line_json(r, c, &c->out[k], 1, NULL, 0);
                char *b = a ? line_json(r, c, &c->out[k], 0, name, line + 1) : NULL;
                if (!a || !b) {
                    free(a);
                    s = sp_err(err, SCIPRUNE_ENOMEM, name, -1, -1, "cannot encode a record");
                    goto fail;
                }
                s = sciprune_shard_writer_write(w, a, strlen(a), err);
                if (!s) s = sciprune_shard_writer_write(lw, b, strlen(b), err);
                free(a);
                free(b);
                if (s) goto fail;
                line++;
            }
        }
        s = sciprune_shard_writer_close(w, err);
        w = NULL;
        if (s) goto fail;
    }
    return sciprune_shard_writer_close(lw, err);
fail:
    sciprune_shard_writer_abort(w);
    sciprune_shard_writer_abort(lw);
    return s;
}

static sciprune_status write_summary(const run *r, const char *out_dir, uint64_t rounds,
                                     sciprune_error *err)
{
    json_t *o = json_object(), *ins = json_array(), *cells = json_array();
    int bad = !o || !ins || !cells;
    bad = bad || json_object_set_new(o, "seed", json_integer((json_int_t)r->seed));
    bad = bad || json_object_set_new(o, "per_type", json_integer((json_int_t)r->per_type));
    bad = bad || json_object_set_new(o, "max_tries", json_integer((json_int_t)r->max_tries));
    for (size_t i = 0; !bad && i < r->nshards; i++)
        bad = json_array_append_new(ins, json_string(sciprune_shard_name(r->shards[i])));
    bad = bad || json_object_set(o, "inputs", ins);
    bad = bad || json_object_set_new(o, "records", json_integer((json_int_t)r->records));
    bad = bad || json_object_set_new(o, "rejected", json_integer((json_int_t)r->rejected));
    bad = bad || json_object_set_new(o, "other_lang", json_integer((json_int_t)r->other_lang));
    if (r->guarded) /* only when some: a corpus without them gives the same file as before */
        bad = bad || json_object_set_new(o, "guarded", json_integer((json_int_t)r->guarded));
    bad = bad || json_object_set_new(o, "rounds", json_integer((json_int_t)rounds));
    for (size_t i = 0; !bad && i < r->ncells; i++) {
        const sciprune_corrupt_cell *c = &r->cells[i].pub;
        json_t *x = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "lang", c->lang,
                              "type", c->type, "kind", sciprune_corrupt_kind_name(c->kind),
                              "candidates", (json_int_t)c->candidates, "tried",
                              (json_int_t)c->tried, "made", (json_int_t)c->made, "unclean",
                              (json_int_t)c->unclean, "no_site", (json_int_t)c->no_site,
                              "invalid", (json_int_t)c->invalid);
        bad = !x || json_array_append_new(cells, x);
    }
    bad = bad || json_object_set(o, "cells", cells);
    char *s = bad ? NULL : sp_json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(ins);
    json_decref(cells);
    json_decref(o);
    if (!s) return sp_err(err, SCIPRUNE_ENOMEM, out_dir, -1, -1, "cannot encode corrupt.json");
    char *path = sp_path_join(out_dir, "corrupt.json");
    sciprune_status st = SCIPRUNE_OK;
    if (!path) st = sp_err(err, SCIPRUNE_ENOMEM, out_dir, -1, -1, "out of memory");
    else {
        size_t n = strlen(s);
        s[n] = '\n'; /* json_dumps ends at the NUL; write a final newline in its place */
        st = sp_write_file_atomic(path, s, n + 1, err);
    }
    free(path);
    free(s);
    return st;
}

/* ------------------------------------------------------------------ setup */

/* Split a comma list in place into at most max items. */
static size_t split_list(char *s, char **out, size_t max)
{
    size_t n = 0;
    for (char *t = strtok(s, ", "); t && n < max; t = strtok(NULL, ", ")) out[n++] = t;
    return n;
}

static int is_all(const char *s) { return !s || !*s || strcmp(s, "all") == 0; }

static sciprune_status select_cells(run *r, const sciprune_corrupt_options *o, sciprune_error *err)
{
    const sciprune_corruptor *c = r->c;
    int type_sel_all = is_all(o->types), lang_sel_all = is_all(o->langs);
    char **tnames = NULL;
    size_t ntn = 0;
    char *tbuf = NULL, *lbuf = NULL;
    sciprune_status s = SCIPRUNE_OK;
    if (!type_sel_all) {
        tbuf = strdup(o->types);
        tnames = calloc(strlen(o->types) + 1, sizeof *tnames);
        if (!tbuf || !tnames) goto oom;
        ntn = split_list(tbuf, tnames, strlen(o->types) + 1);
        for (size_t i = 0; i < ntn; i++) {
            size_t k = 0;
            while (k < c->ntypes && strcmp(c->types[k], tnames[i]) != 0) k++;
            if (k == c->ntypes) {
                s = sp_err(err, SCIPRUNE_EINVAL, tnames[i], -1, -1, "unknown corruption type");
                goto done;
            }
        }
    }
    memset(r->lang_sel, 0, sizeof r->lang_sel);
    if (lang_sel_all) {
        for (size_t i = 0; i < sciprune_lang_count() && i < 32; i++) r->lang_sel[i] = 1;
    } else {
        lbuf = strdup(o->langs);
        if (!lbuf) goto oom;
        char *items[64];
        size_t n = split_list(lbuf, items, 64);
        for (size_t i = 0; i < n; i++) {
            const char *canon = sciprune_lang_canonical(items[i]);
            size_t li = canon ? lang_index(canon) : (size_t)-1;
            if (li == (size_t)-1 || !corrupt_has_lang(c, canon)) {
                s = sp_err(err, SCIPRUNE_EINVAL, items[i], -1, -1,
                           "no corruption queries for this language");
                goto done;
            }
            r->lang_sel[li] = 1;
        }
    }
    r->cells = calloc(c->nops, sizeof *r->cells);
    if (!r->cells) goto oom;
    for (size_t i = 0; i < c->nops; i++) {
        const corrupt_op *op = &c->ops[i];
        size_t li = lang_index(op->lang);
        if (li == (size_t)-1 || !r->lang_sel[li]) continue;
        int want = type_sel_all;
        for (size_t k = 0; k < ntn && !want; k++) want = strcmp(tnames[k], op->type) == 0;
        if (!want) continue;
        cell *x = &r->cells[r->ncells++];
        x->op = op;
        x->lang_idx = li;
        x->pub.lang = op->lang;
        x->pub.type = op->type;
        x->pub.kind = op->kind;
        x->type_hash = sp_hash64(op->type, strlen(op->type), r->seed);
    }
    if (r->ncells == 0) {
        s = sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1,
                   "no corruption type applies to the selected languages");
        goto done;
    }
    /* ops are sorted by (lang, type) and languages sort in registry order only by chance:
     * index the cells per registry language */
    for (size_t li = 0; li < 32; li++) r->cells_by_lang[li][0] = r->cells_by_lang[li][1] = 0;
    for (size_t i = 0; i < r->ncells; i++) {
        size_t li = r->cells[i].lang_idx;
        if (r->cells_by_lang[li][0] == r->cells_by_lang[li][1]) r->cells_by_lang[li][0] = i;
        r->cells_by_lang[li][1] = i + 1;
    }
    goto done;
oom:
    s = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
done:
    free(tbuf);
    free(lbuf);
    free(tnames);
    return s;
}

static void run_free(run *r)
{
    round_free(r);
    for (size_t i = 0; r->cells && i < r->ncells; i++) {
        cell *c = &r->cells[i];
        free(c->c);
        for (uint64_t k = 0; c->out && k < c->pub.made; k++) {
            free(c->out[k].orig_id);
            free(c->out[k].text);
            free(c->out[k].removed);
            free(c->out[k].inserted);
        }
        free(c->out);
    }
    free(r->cells);
}

sciprune_status sciprune_corrupt_options_check(const sciprune_corrupt_options *o,
                                               sciprune_error *err)
{
    if (o->per_type == 0) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "per_type must be > 0");
    run r;
    memset(&r, 0, sizeof r);
    sciprune_corruptor *c = NULL;
    sciprune_status s = sciprune_corruptor_new(&c, o->queries_dir, err);
    if (!s) {
        r.c = c;
        s = select_cells(&r, o, err); /* the same selection the stage makes */
    }
    free(r.cells);
    sciprune_corruptor_free(c);
    return s;
}

sciprune_status sciprune_corrupt_run(const char *const *shards, size_t nshards,
                                     const char *out_dir, const sciprune_corrupt_options *opt,
                                     sciprune_corrupt_stats *stats, sciprune_error *err)
{
    if (stats) memset(stats, 0, sizeof *stats);
    sciprune_corrupt_options o;
    if (opt) o = *opt;
    else sciprune_corrupt_options_default(&o);
    if (!shards || nshards == 0 || nshards > UINT32_MAX || !out_dir)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "give input shards and an output folder");
    if (o.per_type == 0) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "per_type must be > 0");
    int nthreads = sp_threads(o.threads, SP_THREADS_MAX);

    run r;
    memset(&r, 0, sizeof r);
    r.shards = shards;
    r.nshards = nshards;
    r.so = o.shard;
    r.seed = o.seed;
    r.per_type = o.per_type;
    r.max_tries = o.max_tries ? o.max_tries : 20 * o.per_type;
    if (r.max_tries < r.per_type) r.max_tries = r.per_type;
    sciprune_corruptor *c = NULL;
    worker *ws = calloc((size_t)nthreads, sizeof *ws);
    size_t *take = NULL;
    uint64_t rounds = 0;
    sciprune_status s;
    if (!ws) {
        s = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto done;
    }
    if ((s = sciprune_corruptor_new(&c, o.queries_dir, err)) != SCIPRUNE_OK) goto done;
    r.c = c;
    if ((s = select_cells(&r, &o, err)) != SCIPRUNE_OK) goto done;
    if ((s = sp_mkdirs(out_dir, err)) != SCIPRUNE_OK) goto done;
    for (int t = 0; t < nthreads; t++) {
        ws[t].r = &r;
        if ((s = sciprune_parser_new(&ws[t].parser, err)) != SCIPRUNE_OK) goto done;
    }

    /* 1. scan: threads over shards, each keeping its own heaps, merged after */
    for (int t = 0; t < nthreads; t++) {
        ws[t].local = calloc(r.ncells, sizeof *ws[t].local);
        if (!ws[t].local) {
            s = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            goto done;
        }
    }
    sp_log(SCIPRUNE_LOG_INFO, "corrupt: scanning %zu shards, %zu language x type cells", nshards,
           r.ncells);
    if ((s = pool_run(ws, nthreads, nshards, scan_shard, err)) != SCIPRUNE_OK) goto done;
    for (int t = 0; t < nthreads; t++) {
        r.records += ws[t].records;
        r.rejected += ws[t].rejected;
        r.other_lang += ws[t].other_lang;
        r.guarded += ws[t].guarded;
        for (size_t ci = 0; ci < r.ncells; ci++) {
            cell *l = &ws[t].local[ci];
            for (size_t k = 0; k < l->nc; k++)
                if (heap_push(&r.cells[ci], l->c[k], r.max_tries)) {
                    s = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
                    goto done;
                }
            free(l->c);
            l->c = NULL;
        }
        free(ws[t].local);
        ws[t].local = NULL;
    }
    for (size_t ci = 0; ci < r.ncells; ci++) {
        cell *x = &r.cells[ci];
        if (x->nc) qsort(x->c, x->nc, sizeof *x->c, cmp_cand);
        x->pub.candidates = x->nc;
        x->done = x->nc == 0;
        x->out = calloc((size_t)r.per_type, sizeof *x->out);
        if (!x->out) {
            s = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            goto done;
        }
    }

    /* 2. rounds */
    take = calloc(r.ncells, sizeof *take);
    if (!take) {
        s = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto done;
    }
    for (;;) {
        if ((s = round_plan(&r, rounds == 0, take, err)) != SCIPRUNE_OK) goto done;
        if (r.njobs == 0) break;
        rounds++;
        sp_log(SCIPRUNE_LOG_INFO, "corrupt: round %llu: %zu records, %zu operator runs",
               (unsigned long long)rounds, r.nrecs, r.njobs);
        if ((s = pool_run(ws, nthreads, nshards, load_shard, err)) != SCIPRUNE_OK) goto done;
        if ((s = pool_run(ws, nthreads, r.nrecs, process_record, err)) != SCIPRUNE_OK) goto done;
        if ((s = round_tally(&r, take, err)) != SCIPRUNE_OK) goto done;
        round_free(&r);
    }

    /* 3. write */
    if ((s = write_outputs(&r, out_dir, o.zstd_level, err)) != SCIPRUNE_OK) goto done;
    if ((s = write_summary(&r, out_dir, rounds, err)) != SCIPRUNE_OK) goto done;
    if (stats) {
        stats->cells = calloc(r.ncells, sizeof *stats->cells);
        if (!stats->cells) {
            s = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < r.ncells; i++) {
            stats->cells[i] = r.cells[i].pub;
            stats->cells[i].type = strdup(r.cells[i].pub.type);
            stats->ncells = i + 1;
            if (!stats->cells[i].type) {
                sciprune_corrupt_stats_free(stats);
                s = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
                goto done;
            }
        }
        stats->records = r.records;
        stats->rejected = r.rejected;
        stats->other_lang = r.other_lang;
        stats->guarded = r.guarded;
        stats->rounds = rounds;
    }
done:
    for (int t = 0; ws && t < nthreads; t++) {
        sciprune_parser_free(ws[t].parser);
        if (ws[t].local) {
            for (size_t ci = 0; ci < r.ncells; ci++) free(ws[t].local[ci].c);
            free(ws[t].local);
        }
    }
    free(ws);
    free(take);
    run_free(&r);
    sciprune_corruptor_free(c);
    return s;
}
