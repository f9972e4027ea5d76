/*
 * stage.c - the embed stage: every line of every shard becomes one row of W/embed/<shard>.npy.
 *
 * Files written in W/embed/ (each through a temp name and rename):
 *   embedder.json, idf.npy   the spec (embedder.c); written once, before any shard
 *   shards.json              {"shards": [{"name": "x.jsonl.zst", "path": "in/x.jsonl.zst",
 *                            "size": N, "mtime_ns": T, "hash": "<XXH3-128>"}, ...]}
 *                            the input list of the latest run, in order (read by index/), with
 *                            each file's identity (sp_input_identity): a shard whose file
 *                            differs from the one its vectors were made from is embedded
 *                            again, and prune/score refuse to apply old decisions to it
 *   <shard>.status.npy       '|u1', shape (N,): one sciprune_embed_row value per line:
 *                              0 ok, 1 rejected (zero row), 2 lexical fallback (no grammar),
 *                              3 parse error (structure features dropped), 4 empty text,
 *                              5 too deep, 6 too large: the parse guard kept the text from
 *                              tree-sitter (sciprune.h, "the parse guard"); lexical features
 *   summary.json             per-shard and total counts of every status value ("too_deep",
 *                            "too_large" only when not 0), timings
 *   <shard>.npy              '<f4' or '<f2', shape (N, dim), row i = line i + 1; written
 *                            after the status file: its presence marks the shard complete
 * <shard> is the input file name with its extensions ("x.jsonl.zst" -> "x.jsonl.zst.npy").
 *
 * Resumability: a rerun loads embedder.json; if the requested settings would make different
 * vectors (embed_settings_differ) the run is refused with ESTATE unless `force`, which deletes
 * every .npy of W/embed first. Otherwise shards whose vectors exist with the right shape and
 * dtype are skipped, and the stored idf table is reused (it is part of the spec, so new shards
 * are embedded exactly like the old ones). A failed shard leaves no vectors file behind.
 *
 * Pipeline (hash backend with threads > 1): the calling thread reads records into batches, a
 * wave of 3*threads batches at a time; the pool's workers (shard/sp_pool.h) embed a wave's
 * batches with their own parser and scratch while the calling thread reads the next wave, then
 * the calling thread appends the finished wave's batches strictly in sequence. A row depends only on
 * its record, so the output does not depend on the thread count. The idf fit pass uses the same
 * pipeline: workers count document frequencies into private integer tables that are summed at
 * the end (integer sums: order-free). Records are in the idf sample iff
 * XXH3(id, seed) < sample * 2^64; when fewer than idf_min_docs are sampled, all are used (a
 * second count pass over every record, which takes the first pass's cached records, below,
 * instead of parsing them again).
 *
 * Feature cache (hash backend, idf fitted in this run): a record is parsed once, not twice.
 * The fit pass keeps each sampled record's sparse bag of features (the fmap entries: key and
 * count, in insertion order), its row status and, when the stage scores the gates, its
 * sciprune_gate_scores (so the fit pass then scores the gates too). Workers fill the entries of
 * their batch; the calling thread moves them, batch by batch in sequence, into one list sorted
 * by (shard index, row) - no lock. The embed pass takes the entry of each record it reads (rows
 * come in the same order, so a cursor suffices): a cached record is not copied or parsed, its
 * vector comes from the cached bag through the same code as a fresh one (hash.c's
 * vectorize_bag), and each entry is freed once used. The list is bounded by
 * EMBED_CACHE_BYTES (256 MiB: features plus the list itself, and during a second count pass
 * what is left of the first one's list); once a record does not fit, no later record is kept
 * and those are parsed again in the embed pass. So with the cache large enough every record is
 * parsed once, whether the idf sample is partial, all records, or a partial one below
 * idf_min_docs followed by all records. Whether a record was
 * cached cannot change a byte: the bag, the status and the gate scores are exactly what the
 * second parse would give. Test hook: the environment variable SCIPRUNE_EMBED_CACHE_BYTES
 * (decimal bytes; 0 turns the cache off) replaces the budget; tests/e2e/e2e_embed.sh checks
 * that a tiny budget and no cache give the same bytes as the default.
 * npy and exec run on the calling thread (exec overlaps with its process by pipelining).
 *
 * Parts (sciprune_run over MPI ranks, opt->spec_only / part_count): one process makes the spec
 * (embedder.json with the idf fitted over every shard, exactly as above, and shards.json), or,
 * with opt->ranks, every rank calls spec_only and the fit pass is split (spec_split, fit_idf):
 * rank r counts the shards i = r (mod N); each attempt's record count is sum-reduced (the
 * idf_min_docs decision is global), then the document frequencies and the n-gram counts
 * (integer sums: exact, order-free; reduces of at most FIT_CHUNK int64), and the site
 * detectors' examples go through parts_dir/sites-<rank>.bin (sites.c) to rank 0, which trains
 * them once and writes the spec: the bytes of one process's fit whatever N;
 * then each process embeds the shards whose index i has i % part_count == part_index (a
 * shard's rows depend only on its records and the spec, so who embeds it changes no byte);
 * then one call without parts finds every shard complete and writes summary.json and the
 * gates' summary.
 */
#include "embed_int.h"
#include "../gates/gates.h"
#include "../shard/sp_manifest.h"
#include "../shard/sp_npy.h"
#include "../shard/sp_pool.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void sciprune_embed_options_default(sciprune_embed_options *o)
{
    memset(o, 0, sizeof *o);
    sciprune_shard_options_default(&o->shard);
    o->threads = 0;
    o->force = 0;
}

/* Memory for the fit pass's features kept for the embed pass (see the header comment). */
#define EMBED_CACHE_BYTES ((size_t)256 << 20)
enum { OP_EMBED = 0, OP_COUNT };

typedef struct slot {
    int op;
    embed_item *items;  /* cap, owned */
    size_t *toff;       /* cap: text offsets in the arena while filling, owned */
    size_t *loff;       /* cap: language offsets, owned */
    size_t n, cap;
    char *arena;        /* texts and language names, owned */
    size_t alen, acap;
    float *out;         /* out_cap floats, owned */
    size_t out_cap;
    uint8_t *status;    /* cap, owned */
    sciprune_gate_scores *gates; /* cap when the gates are scored, owned */
    float *sites;       /* sites_cap: the site detectors' scores (embed pass, e->sites), owned */
    size_t sites_cap;
    float *nat;         /* cap when the naturalness model is there, owned */
    embed_cached *cache;  /* ccap, owned: the feature cache's entries of this batch */
    size_t ccap, cn;      /* cn: entries initialized (the batch's items while the cache is on) */
    int want_cache;       /* count: keep the features of the records it parses */
    int has_cached;       /* some entries hold features (taken from the cache) */
    uint32_t shard;       /* index of the shard being read */
    uint64_t text_bytes;
    sciprune_status st;
    sciprune_error err;
} slot;


typedef struct runner runner;

/* The feature cache (see the header comment): the idf fit pass's bags, in (shard, row) order,
 * consumed front to back by the embed pass. Only the calling thread touches it. */
typedef struct cache_ent {
    uint32_t shard;
    uint64_t row;
    embed_cached c;
} cache_ent;

typedef struct fcache {
    cache_ent *ent;       /* cap, owned; [head, n) hold features */
    size_t n, cap, head;
    size_t feat_bytes;    /* bytes of the features held */
    size_t budget;        /* feat_bytes + cap * sizeof(cache_ent) stays within it; 0: off */
    int on;               /* the fit pass keeps features (hash backend, idf fitted here) */
    struct fcache *prev;  /* a second count pass takes the first one's entries from here */
    int full;             /* the budget was reached: later records are not kept */
} fcache;

struct runner {
    sciprune_embedder *e;
    int nworkers;          /* 0: everything on the calling thread */
    sp_pool *pool;         /* the workers (NULL inline), owned */
    void **wctx;           /* nworkers worker contexts, by pool worker id, owned */
    void *ictx;            /* the calling thread's context (inline mode), owned */
    slot *slots;           /* nslots = 2 waves of `wave` slots, owned */
    size_t nslots, wave;
    size_t max_items, max_bytes;
    int need_text;
    int gates;             /* score the gates on the embedder's parse */
    const sciprune_gates_settings *gates_settings; /* their settings; borrowed */
    fcache fc, fc_prev;
    int ngram_counted;     /* one process: the fit sample's n-grams are counted (by attempt 0) */
};

static void slot_release_cache(slot *s)
{
    for (size_t i = 0; i < s->cn; i++) {
        free(s->cache[i].feat);
        s->cache[i].feat = NULL;
        free(s->cache[i].sfeat);
        s->cache[i].sfeat = NULL;
        free(s->cache[i].nat);
        s->cache[i].nat = NULL;
    }
    s->cn = 0;
    s->want_cache = 0;
    s->has_cached = 0;
}

static void cache_clear(fcache *F)
{
    for (size_t i = F->head; i < F->n; i++) {
        free(F->ent[i].c.feat);
        free(F->ent[i].c.sfeat);
        free(F->ent[i].c.nat);
    }
    free(F->ent);
    F->ent = NULL;
    F->n = F->cap = F->head = 0;
    F->feat_bytes = 0;
    F->full = 0;
}

/* Bytes `F` holds, the entry table included. */
static size_t cache_bytes(const fcache *F)
{
    return F->feat_bytes + F->cap * sizeof(cache_ent);
}

/* Keep the features of a finished fit-pass batch (in sequence order: the cache stays sorted by
 * shard and row) until the budget is reached; what is not kept is freed. */
static void cache_admit(fcache *F, slot *s)
{
    for (size_t i = 0; i < s->cn; i++) {
        embed_cached *c = &s->cache[i];
        if (!c->feat) continue;
        size_t fb = (size_t)c->n * sizeof *c->feat + (size_t)c->sn * sizeof *c->sfeat +
                    c->nat_bytes;
        size_t ncap = F->n < F->cap ? F->cap : (F->cap ? F->cap * 2 : 256);
        size_t other = F->prev ? cache_bytes(F->prev) : 0; /* not yet taken from the first pass */
        if (!F->full && F->feat_bytes + fb + ncap * sizeof(cache_ent) + other <= F->budget) {
            if (ncap != F->cap) {
                cache_ent *ne = realloc(F->ent, ncap * sizeof *ne);
                if (!ne) F->full = 1; /* out of memory: the rest is parsed again */
                else {
                    F->ent = ne;
                    F->cap = ncap;
                }
            }
            if (!F->full) {
                cache_ent *x = &F->ent[F->n++];
                x->shard = s->shard;
                x->row = s->items[i].row;
                x->c = *c;
                F->feat_bytes += fb;
                c->feat = NULL;
                c->sfeat = NULL;
                c->nat = NULL;
                continue;
            }
        }
        F->full = 1;
        free(c->feat);
        c->feat = NULL;
        free(c->sfeat);
        c->sfeat = NULL;
        free(c->nat);
        c->nat = NULL;
    }
    s->cn = 0;
}

/* Move the cached features of (shard, row) into *c (feat stays NULL when there are none).
 * Rows are asked for in increasing order, so entries before the key are dropped. */
static void cache_take(fcache *F, uint32_t shard, uint64_t row, embed_cached *c)
{
    while (F->head < F->n) {
        cache_ent *x = &F->ent[F->head];
        if (x->shard > shard || (x->shard == shard && x->row > row)) return;
        F->head++;
        F->feat_bytes -= (size_t)x->c.n * sizeof *x->c.feat +
                         (size_t)x->c.sn * sizeof *x->c.sfeat + x->c.nat_bytes;
        if (x->shard == shard && x->row == row) {
            *c = x->c;
            x->c.feat = NULL;
            x->c.sfeat = NULL;
            x->c.nat = NULL;
            break;
        }
        free(x->c.feat);
        x->c.feat = NULL;
        free(x->c.sfeat);
        x->c.sfeat = NULL;
        free(x->c.nat);
        x->c.nat = NULL;
    }
    if (F->head == F->n) cache_clear(F); /* all used: give the table back */
}

static void process(runner *R, slot *s, void *ctx)
{
    /* the fit pass scores the gates only for records whose features it keeps */
    embed_batch b = {.items = s->items, .n = s->n, .out = s->out, .status = s->status,
                     .gates = R->gates && (s->op == OP_EMBED || s->want_cache) ? s->gates : NULL,
                     .cache = s->want_cache || s->has_cached ? s->cache : NULL,
                     .keep = s->want_cache, .gates_settings = R->gates_settings,
                     .sites = s->op == OP_EMBED && R->e->sites ? s->sites : NULL,
                     .nat = s->op == OP_EMBED && R->e->ngram ? s->nat : NULL};
    sp_err_clear(&s->err);
    if (s->op == OP_COUNT) s->st = embed_hash_count_batch(R->e, ctx, &b, &s->err);
    else s->st = R->e->be->embed_batch(R->e, ctx, &b, &s->err);
}

/* A wave: batches slots[0..n) embedded by the pool while the calling thread reads the next. */
typedef struct wave {
    runner *R;
    slot *slots;
    size_t n;
    sciprune_status st;    /* inline mode: the result */
    sciprune_error err;
} wave;

static sciprune_status wave_item(void *ctx, int worker, size_t i, sciprune_error *err)
{
    wave *w = ctx;
    runner *R = w->R;
    slot *s = &w->slots[i];
    process(R, s, R->pool ? R->wctx[worker] : R->ictx);
    if (s->st && err) *err = s->err;
    return s->st;
}

static void runner_free(runner *R)
{
    if (!R) return;
    sp_pool_free(R->pool);
    const embed_backend *be = R->e->be;
    for (int i = 0; R->wctx && i < R->nworkers; i++)
        if (R->wctx[i] && be->worker_free) be->worker_free(R->wctx[i]);
    if (R->ictx && be->worker_free) be->worker_free(R->ictx);
    for (size_t i = 0; R->slots && i < R->nslots; i++) {
        slot *s = &R->slots[i];
        free(s->items);
        free(s->toff);
        free(s->loff);
        free(s->arena);
        free(s->out);
        free(s->status);
        free(s->gates);
        free(s->sites);
        free(s->nat);
        slot_release_cache(s);
        free(s->cache);
    }
    cache_clear(&R->fc);
    cache_clear(&R->fc_prev);
    free(R->slots);
    free(R->wctx);
    free(R);
}

static sciprune_status runner_new(runner **out, sciprune_embedder *e, int threads,
                                  sciprune_error *err)
{
    *out = NULL;
    runner *R = calloc(1, sizeof *R);
    if (!R) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    R->e = e;
    const embed_backend *be = e->be;
    R->nworkers = be->parallel && threads > 1 ? threads : 0;
    R->wave = R->nworkers ? (size_t)R->nworkers * 3 : 1;
    R->nslots = 2 * R->wave;
    R->need_text = be != &embed_npy_backend;
    R->fc.budget = EMBED_CACHE_BYTES;
    const char *cb = getenv("SCIPRUNE_EMBED_CACHE_BYTES"); /* test hook, see the header */
    if (cb && *cb) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(cb, &end, 10);
        if (!*end && !errno) R->fc.budget = v > SIZE_MAX ? SIZE_MAX : (size_t)v;
    }
    if (be == &embed_exec_backend) {
        R->max_items = (size_t)e->s.exec_batch * 8;
        R->max_bytes = e->s.exec_batch_bytes * 8;
    } else if (be == &embed_npy_backend) {
        R->max_items = 4096;
        R->max_bytes = (size_t)-1;
    } else {
        R->max_items = 32; /* small batches keep every worker busy on small shards */
        R->max_bytes = (size_t)512 << 10;
    }
    sciprune_status st = SCIPRUNE_OK;
    R->slots = calloc(R->nslots, sizeof *R->slots);
    if (!R->slots) goto oom;
    if (R->nworkers) {
        R->wctx = calloc((size_t)R->nworkers, sizeof *R->wctx);
        if (!R->wctx) goto oom;
        for (int i = 0; i < R->nworkers; i++) {
            st = be->worker_new(e, &R->wctx[i], err);
            if (st) goto fail;
        }
        if ((st = sp_pool_new(&R->pool, R->nworkers, err))) goto fail;
    } else if (be->worker_new) {
        st = be->worker_new(e, &R->ictx, err);
        if (st) goto fail;
    }
    *out = R;
    return SCIPRUNE_OK;
oom:
    st = sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
fail:
    runner_free(R);
    return st;
}

/* ----------------------------------------------------------------- filling a batch */

typedef struct sample {
    int all;
    uint64_t thr;  /* in the sample iff hash < thr */
    uint64_t seed;
} sample;

static int in_sample(const sample *sm, const char *id)
{
    if (sm->all) return 1;
    return sp_hash64(id, strlen(id), sm->seed ^ 0x1df5a3b1c0ffee00ULL) < sm->thr;
}

int embed_ngram_in_sample(const sciprune_embedder *e, const char *id)
{
    sample sm = {.all = e->s.idf_sample >= 1.0, .seed = e->s.seed, .thr = 0};
    if (!sm.all) sm.thr = (uint64_t)(e->s.idf_sample * 18446744073709551616.0);
    return in_sample(&sm, id);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 64;
    while (nc < need) nc *= 2;
    void *q = realloc(*p, nc * elem);
    if (!q) return -1;
    *p = q;
    *cap = nc;
    return 0;
}

/* Read records into `s` up to the batch limits. Sets *eof at the end of the shard. */
static sciprune_status fill(runner *R, slot *s, sciprune_shard_reader *rd, int op,
                            uint32_t shard, const sample *sm, int *eof, uint64_t *lines,
                            sciprune_error *err)
{
    slot_release_cache(s);
    s->shard = shard;
    s->want_cache = op == OP_COUNT && R->fc.on && !R->fc.full;
    /* anything cached left to take: the embed pass takes from the cache, a second count pass
     * from the first one's */
    fcache *from = op == OP_EMBED ? &R->fc : R->fc.prev;
    int look = from && from->head < from->n;
    s->n = 0;
    s->alen = 0;
    s->text_bytes = 0;
    s->op = op;
    uint32_t dim = R->e->dim;
    while (s->n < R->max_items && s->text_bytes < R->max_bytes) {
        const sciprune_record *rec;
        sciprune_status st = sciprune_shard_reader_next(rd, &rec, err);
        if (st) return st;
        if (!rec) {
            *eof = 1;
            break;
        }
        uint64_t row = (*lines)++;
        int rejected = rec->reject != SCIPRUNE_REJECT_NONE;
        if (op == OP_COUNT && (rejected || !in_sample(sm, rec->id))) continue;
        if (s->n == s->cap) {
            size_t c1 = s->cap, c2 = s->cap, c3 = s->cap;
            if (grow((void **)&s->items, &c1, s->n + 1, sizeof *s->items) ||
                grow((void **)&s->toff, &c2, s->n + 1, sizeof *s->toff) ||
                grow((void **)&s->loff, &c3, s->n + 1, sizeof *s->loff))
                return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
            uint8_t *ns = realloc(s->status, c1);
            if (!ns) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
            s->status = ns;
            if (R->gates) {
                sciprune_gate_scores *ng = realloc(s->gates, c1 * sizeof *ng);
                if (!ng) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
                s->gates = ng;
            }
            if (R->e->ngram || R->e->ngram_fit) {
                float *nn = realloc(s->nat, c1 * sizeof *nn);
                if (!nn) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
                s->nat = nn;
            }
            s->cap = c1;
        }
        embed_item *it = &s->items[s->n];
        memset(it, 0, sizeof *it);
        it->row = row;
        it->rejected = rejected;
        /* the naturalness model counts the idf sample only, even when the idf widens to every
         * record (idf_min_docs): the records outside it are what analyze evaluates it on */
        it->nat_fit = op == OP_COUNT && R->e->ngram_fit && !R->ngram_counted &&
                      embed_ngram_in_sample(R->e, rec->id);
        /* the site detectors too (a widened idf would otherwise train them on every record,
         * analyze's held-out files included: their clean sites and the engine's edits of them) */
        it->sites_fit = op == OP_COUNT && embed_ngram_in_sample(R->e, rec->id);
        int cached = 0;
        if (R->fc.on) {
            if (grow((void **)&s->cache, &s->ccap, s->n + 1, sizeof *s->cache))
                return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
            embed_cached *c = &s->cache[s->n];
            c->feat = NULL;
            c->sfeat = NULL;
            c->sn = 0;
            c->sscored = 0;
            c->nat = NULL;
            c->nat_bytes = 0;
            c->has_gates = 0;
            s->cn = s->n + 1;
            if (look && !rejected) cache_take(from, shard, row, c);
            if (c->feat && R->gates && !c->has_gates) { /* cannot happen: parse it, to be sure */
                free(c->feat);
                c->feat = NULL;
                free(c->sfeat);
                c->sfeat = NULL;
                free(c->nat);
                c->nat = NULL;
            }
            cached = c->feat != NULL;
            s->has_cached |= cached;
        }
        if (!rejected && R->need_text) {
            size_t ll = strlen(rec->lang ? rec->lang : "unknown");
            size_t pl = rec->path ? strlen(rec->path) : 0; /* stored after the language */
            size_t tl = cached ? 0 : rec->text_len; /* a cached record is not parsed again */
            if (grow((void **)&s->arena, &s->acap, s->alen + tl + ll + pl + 3, 1))
                return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
            s->toff[s->n] = cached ? (size_t)-1 : s->alen;
            if (!cached) {
                memcpy(s->arena + s->alen, rec->text, rec->text_len);
                s->arena[s->alen + rec->text_len] = '\0';
                s->alen += rec->text_len + 1;
            }
            s->loff[s->n] = s->alen;
            memcpy(s->arena + s->alen, rec->lang ? rec->lang : "unknown", ll + 1);
            s->alen += ll + 1;
            if (pl) memcpy(s->arena + s->alen, rec->path, pl);
            s->arena[s->alen + pl] = '\0';
            s->alen += pl + 1;
            it->len = rec->text_len;
            s->text_bytes += rec->text_len;
        }
        s->n++;
    }
    for (size_t i = 0; i < s->n; i++) {
        embed_item *it = &s->items[i];
        if (!it->rejected && R->need_text) {
            it->text = s->toff[i] == (size_t)-1 ? NULL : s->arena + s->toff[i];
            it->lang = s->arena + s->loff[i];
            it->path = it->lang + strlen(it->lang) + 1;
            if (!*it->path) it->path = NULL;
        }
    }
    if (op == OP_EMBED && grow((void **)&s->out, &s->out_cap, s->n * (size_t)dim, sizeof(float)))
        return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    if (op == OP_EMBED && R->e->sites && grow((void **)&s->sites, &s->sites_cap, s->n + 1, sizeof(float)))
        return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    if (op == OP_EMBED && R->e->sites) memset(s->sites, 0, s->n * sizeof *s->sites);
    return SCIPRUNE_OK;
}

/* --------------------------------------------------------------- one shard, one pass */

typedef struct sink {
    sp_npy_writer *vec, *stat;
    sp_npy_writer *sites; /* W/embed/<shard>.sites.npy when e->sites, else NULL */
    sp_npy_writer *nat;   /* <shard>.naturalness.npy when the model is there, else NULL */
    gates_sink *gates;    /* NULL when the gates are not scored; borrowed */
    sciprune_vec_dtype dtype;
    uint16_t *half;       /* conversion buffer, owned */
    size_t half_cap;
    uint64_t rows[SCIPRUNE_ROW_COUNT];
    uint64_t text_bytes;
} sink;

static sciprune_status sink_write(sink *k, uint32_t dim, slot *s, sciprune_error *err)
{
    sciprune_status st;
    size_t nv = s->n * (size_t)dim;
    if (k->dtype == SCIPRUNE_VEC_F16) {
        if (grow((void **)&k->half, &k->half_cap, nv, sizeof *k->half))
            return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
        for (size_t i = 0; i < nv; i++) k->half[i] = sp_f32_to_f16(s->out[i]);
        st = sp_npy_writer_append(k->vec, k->half, s->n, err);
    } else {
        st = sp_npy_writer_append(k->vec, s->out, s->n, err);
    }
    if (st) return st;
    st = sp_npy_writer_append(k->stat, s->status, s->n, err);
    if (st) return st;
    if (k->sites && (st = sp_npy_writer_append(k->sites, s->sites, s->n, err))) return st;
    if (k->nat) {
        for (size_t i = 0; i < s->n; i++)
            if (s->items[i].rejected) s->nat[i] = (float)-NGRAM_FLOOR;
        if ((st = sp_npy_writer_append(k->nat, s->nat, s->n, err))) return st;
    }
    for (size_t i = 0; i < s->n; i++) k->rows[s->status[i] < SCIPRUNE_ROW_COUNT ? s->status[i] : 0]++;
    k->text_bytes += s->text_bytes;
    for (size_t i = 0; k->gates && i < s->n; i++) {
        const embed_item *it = &s->items[i];
        st = gates_sink_add(k->gates, it->rejected ? NULL : it->lang, it->len, &s->gates[i], err);
        if (st) return st;
    }
    return SCIPRUNE_OK;
}

typedef struct progress {
    sciprune_progress_fn fn;
    void *user;
    uint64_t records, bytes_before;
} progress;

/* Stream shard number `shard` through the runner. op EMBED writes into `k`; op COUNT counts
 * (and fills the feature cache). */
static sciprune_status run_shard(runner *R, uint32_t shard, const char *path,
                                 const sciprune_shard_options *so,
                                 int op, const sample *sm, sink *k, progress *pg,
                                 uint64_t *lines_out, sciprune_error *err)
{
    sciprune_shard_reader *rd = NULL;
    sciprune_status st = sciprune_shard_reader_open(&rd, path, so, err);
    if (st) return st;
    int eof = 0;
    uint64_t lines = 0;
    sciprune_error ferr;
    sp_err_clear(&ferr);
    sciprune_status fst = SCIPRUNE_OK; /* first failure, in sequence order */
    wave W[2] = {{R, R->slots, 0, SCIPRUNE_OK, {0}}, {R, R->slots + R->wave, 0, SCIPRUNE_OK, {0}}};
    wave *cur = &W[0], *nxt = &W[1];
    for (;;) {
        /* 1. read the next wave while the workers embed the current one */
        sciprune_status rs = SCIPRUNE_OK;
        sciprune_error rerr;
        nxt->n = 0;
        while (!eof && nxt->n < R->wave) {
            slot *s = &nxt->slots[nxt->n];
            if ((rs = fill(R, s, rd, op, shard, sm, &eof, &lines, &rerr))) break;
            if (s->n) nxt->n++;
        }
        /* 2. hand the current wave's batches to the sink, strictly in order */
        if (cur->n) {
            if (R->pool) fst = sp_pool_wait(R->pool, &ferr);
            else if ((fst = cur->st)) ferr = cur->err;
            for (size_t i = 0; i < cur->n; i++) {
                slot *s = &cur->slots[i];
                if (!fst && op == OP_EMBED) fst = sink_write(k, R->e->dim, s, &ferr);
                if (!fst && pg && pg->fn && op == OP_EMBED) {
                    pg->records += s->n;
                    pg->fn(pg->user, pg->records, pg->bytes_before + sciprune_shard_reader_tell(rd));
                }
                if (!fst && op == OP_COUNT) cache_admit(&R->fc, s);
                slot_release_cache(s); /* used (embed) or not kept */
            }
            cur->n = 0;
        }
        if (!fst && rs) {
            fst = rs;
            ferr = rerr;
        }
        if (fst || nxt->n == 0) break;
        /* 3. start the next wave */
        if (R->pool) {
            sp_pool_start(R->pool, nxt->n, wave_item, nxt);
        } else {
            sp_err_clear(&nxt->err);
            nxt->st = sp_parallel_for(nxt->n, 1, wave_item, nxt, &nxt->err);
        }
        wave *t = cur;
        cur = nxt;
        nxt = t;
    }
    for (size_t i = 0; i < nxt->n; i++) slot_release_cache(&nxt->slots[i]); /* read, not run */
    if (pg) pg->bytes_before += sciprune_shard_reader_tell(rd);
    sciprune_shard_reader_close(rd);
    if (fst) {
        if (err) *err = ferr;
        return fst;
    }
    *lines_out = lines;
    return SCIPRUNE_OK;
}

/* ---------------------------------------------------------------------- the stage */

/* Remove every .npy (and the json files) of W/embed: the --force path. */
static sciprune_status clear_dir(const char *dir, sciprune_error *err)
{
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT ? SCIPRUNE_OK : sp_err_errno(err, SCIPRUNE_EIO, dir, errno, "cannot list");
    struct dirent *de;
    sciprune_status st = SCIPRUNE_OK;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        int ours = (l > 4 && !strcmp(de->d_name + l - 4, ".npy")) || !strcmp(de->d_name, "embedder.json") ||
                   !strcmp(de->d_name, "summary.json") || !strcmp(de->d_name, "shards.json");
        if (!ours) continue;
        char *p = sp_path_join(dir, de->d_name);
        if (!p) {
            st = sp_err(err, SCIPRUNE_ENOMEM, dir, -1, -1, "out of memory");
            break;
        }
        if (unlink(p) != 0 && errno != ENOENT) st = sp_err_errno(err, SCIPRUNE_EIO, p, errno, "cannot remove");
        free(p);
        if (st) break;
    }
    closedir(d);
    return st;
}

static sciprune_status write_json(const char *path, json_t *j, sciprune_error *err)
{
    return sp_json_write_atomic(path, j, JSON_INDENT(2) | JSON_PRESERVE_ORDER, err);
}

/* 1 when both files of a shard exist with consistent shapes for `e`; fills row counts. */
static int shard_complete(const sciprune_embedder *e, const char *vec, const char *stat,
                          uint64_t rows[SCIPRUNE_ROW_COUNT], uint64_t *lines)
{
    if (!sp_exists(vec) || !sp_exists(stat)) return 0;
    sp_npy v, s;
    sciprune_error ig;
    if (sp_npy_open(&v, vec, &ig)) return 0;
    if (sp_npy_open(&s, stat, &ig)) {
        sp_npy_close(&v);
        return 0;
    }
    int ok = v.cols == e->dim && v.dtype == (e->s.dtype == SCIPRUNE_VEC_F16 ? SP_NPY_F16 : SP_NPY_F32) &&
             s.dtype == SP_NPY_U8 && s.cols == 0 && s.rows == v.rows;
    if (ok) {
        const uint8_t *b = s.data;
        for (uint64_t i = 0; i < s.rows; i++) rows[b[i] < SCIPRUNE_ROW_COUNT ? b[i] : 0]++;
        *lines = s.rows;
    }
    sp_npy_close(&v);
    sp_npy_close(&s);
    return ok;
}

/* W/embed/sites.npy, before embedder.json (whose presence marks the spec). */
static sciprune_status save_sites(const sciprune_embedder *e, const char *workdir,
                                  sciprune_error *err)
{
    if (!e->sites) return SCIPRUNE_OK;
    char *mp = sp_wpath(workdir, SP_WF_SITES_MODEL, NULL);
    if (!mp) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    sciprune_status st = embed_sites_save(e->sites, mp, err);
    free(mp);
    return st;
}

/* A per-record signal file with `lines` float32 rows. */
static int signal_complete(const char *path, uint64_t lines)
{
    sp_npy a;
    sciprune_error ig;
    if (!sp_exists(path) || sp_npy_open(&a, path, &ig)) return 0;
    int ok = a.dtype == SP_NPY_F32 && a.cols == 0 && a.rows == lines;
    sp_npy_close(&a);
    return ok;
}

typedef struct shard_info {
    const char *path;
    const char *name;
    char *vec, *stat;     /* owned */
    char *sites;          /* owned: W/embed/<shard>.sites.npy */
    char *nat;            /* <shard>.naturalness.npy, owned */
    int skipped;
    int changed;          /* the file differs from the one recorded in shards.json */
    uint64_t lines, rows[SCIPRUNE_ROW_COUNT], text_bytes;
    double seconds;
} shard_info;

/* The counts of every status value; too_deep and too_large (the parse guard's) only when
 * some record has them, so a corpus without such records gives the same file as before. */
static json_t *counts_json(const uint64_t rows[SCIPRUNE_ROW_COUNT], uint64_t lines)
{
    json_t *o = json_object();
    json_object_set_new(o, "lines", json_integer((json_int_t)lines));
    for (int i = 0; i < SCIPRUNE_ROW_COUNT; i++)
        if (i < SCIPRUNE_ROW_TOO_DEEP || rows[i])
            json_object_set_new(o, embed_row_name(i), json_integer((json_int_t)rows[i]));
    return o;
}

/* Split fit: v[0..n) summed over the ranks, FIT_CHUNK values per reduce (bounded messages). */
#define FIT_CHUNK ((size_t)1 << 17)
static int reduce_chunked(const sciprune_ranks *rk, uint64_t *v, size_t n)
{
    for (size_t o = 0; o < n; o += FIT_CHUNK) {
        size_t m = n - o < FIT_CHUNK ? n - o : FIT_CHUNK;
        if (rk->reduce_sum(rk->user, (int64_t *)(v + o), (int)m) != 0) return -1;
    }
    return 0;
}

/* Split fit: the parts file of rank r (W/parts/embed/sites-<r>.bin). NULL: ENOMEM. */
static char *sites_part_path(const char *parts, int r)
{
    char nm[48];
    snprintf(nm, sizeof nm, "sites-%d.bin", r);
    return sp_path_join(parts, nm);
}

/* The sites part: every rank writes its examples, the ranks meet, rank 0 merges and trains,
 * then removes the files. st: this rank's status so far (it still meets the others).
 * *others: another rank failed (this one did not). */
static sciprune_status fit_sites_split(sciprune_embedder *e, sites_worker **sw, size_t nw,
                                       const sciprune_ranks *rk, const char *parts,
                                       sciprune_status st, int *others, sciprune_error *err)
{
    char *mine = st ? NULL : sites_part_path(parts, rk->rank);
    if (!st) st = mine ? sp_mkdirs(parts, err) : sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    if (!st) st = embed_sites_part_save(sw, nw, mine, err);
    free(mine);
    int64_t v[1] = {st != SCIPRUNE_OK};
    if (rk->reduce_sum(rk->user, v, 1) != 0)
        return st ? st : sp_err(err, SCIPRUNE_EIO, "embed", -1, -1, "MPI: the reduce failed");
    if (st) return st;
    if (v[0]) {
        *others = 1;
        return SCIPRUNE_OK;
    }
    if (rk->rank != 0) return SCIPRUNE_OK;
    char **paths = calloc((size_t)rk->size, sizeof *paths);
    if (!paths) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    for (int r = 0; r < rk->size && !st; r++)
        if (!(paths[r] = sites_part_path(parts, r)))
            st = sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    uint64_t bytes = 0;
    for (int r = 0; r < rk->size && !st; r++) {
        struct stat sb;
        if (stat(paths[r], &sb) == 0) bytes += (uint64_t)sb.st_size;
    }
    if (!st) st = embed_sites_train_parts(e, (const char *const *)paths, (size_t)rk->size, err);
    if (!st)
        sp_log(SCIPRUNE_LOG_INFO, "embed: site detectors trained on the examples of %d ranks (%.1f KiB of parts)",
               rk->size, (double)bytes / 1024.0);
    for (int r = 0; r < rk->size; r++) free(paths[r]);
    free(paths);
    DIR *d = st ? NULL : opendir(parts);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) { /* ours, and those of a killed job with more ranks */
        size_t l = strlen(de->d_name);
        if (strncmp(de->d_name, "sites-", 6) || l < 10 || strcmp(de->d_name + l - 4, ".bin")) continue;
        char *p = sp_path_join(parts, de->d_name);
        if (p) (void)unlink(p);
        free(p);
    }
    if (d) closedir(d);
    if (!st) (void)rmdir(parts); /* fails quietly while other parts are there */
    return st;
}

/* The counting contexts: one per pool worker, or the calling thread's (inline mode). */
static int runner_nctx(const runner *R) { return R->nworkers ? R->nworkers : 1; }
static void *runner_ctx(const runner *R, int w) { return R->nworkers ? R->wctx[w] : R->ictx; }

/* The workers' site detector scratch (with their training examples), *n of them; NULL on
 * ENOMEM. */
static sites_worker **sites_workers(runner *R, size_t *n)
{
    *n = (size_t)runner_nctx(R);
    sites_worker **sw = calloc(*n, sizeof *sw);
    for (size_t w = 0; sw && w < *n; w++) sw[w] = embed_hash_worker_sites(runner_ctx(R, (int)w));
    return sw;
}

/* One process: the site detectors from its workers' examples. Errors: ENOMEM. */
static sciprune_status train_sites(runner *R, sciprune_embedder *e, sciprune_error *err)
{
    size_t n;
    sites_worker **sw = sites_workers(R, &n);
    if (!sw) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    sciprune_status st = embed_sites_train(e, sw, n, err);
    free(sw);
    return st;
}

/* The idf fit pass over all input shards. Split (rk, see sciprune_embed_options.ranks): this
 * rank counts its shards; the record count of each attempt (the idf_min_docs decision), then
 * the document frequencies and n-gram counts are sum-reduced, the sites examples gathered
 * (fit_sites_split); every rank meets every reduce, failed or not. *others: another rank
 * failed (this one returns OK and nothing is fitted). */
static sciprune_status fit_idf(runner *R, shard_info *sh, size_t n, const sciprune_shard_options *so,
                               const sciprune_ranks *rk, const char *parts, sciprune_status st,
                               int *others, sciprune_error *err)
{
    sciprune_embedder *e = R ? R->e : NULL;
    *others = 0;
    if (!rk && st) return st;
    size_t nb = e ? (size_t)1 << e->s.idf_bits : 0;
    /* the naturalness model is fitted on the same sample and parse, unless the site detectors
     * are on and it is not asked for (embed_naturalness_wanted; test and bench hook:
     * SCIPRUNE_NO_NATURALNESS=1 leaves it out in any case) */
    const char *nn = getenv("SCIPRUNE_NO_NATURALNESS");
    if (e) e->ngram_fit = !(nn && *nn && strcmp(nn, "0")) && embed_naturalness_wanted(e->s.features);
    /* the document frequencies: split, the workers' tables summed in 64 bits for the reduce
     * (df); in one process the workers' uint32 tables of the last count pass are summed with
     * saturation into the first one's (df32: a record count of 2^32 is far beyond a process) */
    uint64_t *df = NULL;
    uint32_t *df32 = NULL;
    if (!st && rk && !(df = calloc(nb, sizeof *df))) st = sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    sample sm = {.all = 0, .seed = 0, .thr = 0};
    if (e) {
        sm.all = e->s.idf_sample >= 1.0;
        sm.seed = e->s.seed;
        if (!sm.all) sm.thr = (uint64_t)(e->s.idf_sample * 18446744073709551616.0);
    }
    uint64_t docs = 0;
    /* the n-gram counts: split, summed in 64 bits for the reduce (ng); in one process the
     * workers' uint32 tables are summed with saturation straight into the first one's (ng32:
     * min(a + b, UINT32_MAX) step by step is the saturated 64-bit sum, and no 32 MiB table is
     * zeroed, summed and narrowed per run) */
    uint64_t *ng = NULL;
    uint32_t *ng32 = NULL;
    int want_ng = e && e->ngram_fit;
    if (!st && want_ng && rk && !(ng = calloc((size_t)1 << NGRAM_BITS, sizeof *ng)))
        st = sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    if (!rk && st) {
        free(df);
        return st;
    }
    if (!st) R->fc.on = R->fc.budget > 0;
    int sites_trained = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (attempt && !st) { /* every record: those of the first attempt's sample are not parsed again */
            R->fc_prev = R->fc;
            R->fc_prev.prev = NULL;
            memset(&R->fc, 0, sizeof R->fc);
            R->fc.budget = R->fc_prev.budget;
            R->fc.on = R->fc_prev.on;
            R->fc.prev = &R->fc_prev;
        }
        for (size_t i = 0; i < n && !st; i++) {
            if (rk && i % (size_t)rk->size != (size_t)rk->rank) continue; /* another rank's */
            uint64_t lines;
            st = run_shard(R, (uint32_t)i, sh[i].path, so, OP_COUNT, &sm, NULL, NULL, &lines, err);
        }
        if (R) {
            cache_clear(&R->fc_prev);
            R->fc.prev = NULL;
        }
        if (st && !rk) break;
        if (!st) {
            /* the n-grams of the model's sample: a second (widened) count pass in one process
             * counts none (R->ngram_counted), the first one's sums stand */
            int sum_ng = want_ng && !R->ngram_counted;
            if (ng && attempt) memset(ng, 0, ((size_t)1 << NGRAM_BITS) * sizeof *ng);
            if (sum_ng) {
                free(ng32);
                ng32 = NULL;
            }
            docs = 0;
            for (int w = 0; w < runner_nctx(R); w++) {
                void *ctx = runner_ctx(R, w);
                docs += embed_hash_worker_docs(ctx); /* the tables are summed after the last pass */
                if (!sum_ng) continue;
                if (ng) {
                    const uint32_t *g = embed_hash_worker_ngram(ctx);
                    if (g)
                        for (size_t b = 0; b < ((size_t)1 << NGRAM_BITS); b++) ng[b] += g[b];
                } else if (!ng32) {
                    ng32 = embed_hash_worker_take_ngram(ctx); /* NULL: it counted nothing */
                } else {
                    const uint32_t *g = embed_hash_worker_ngram(ctx);
                    if (g) embed_counts_add(ng32, g, (size_t)1 << NGRAM_BITS);
                }
                embed_hash_worker_reset_ngram(ctx);
            }
            if (sum_ng && !ng && !ng32 && !(ng32 = ngram_table_alloc()))
                st = sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
            if (sum_ng && !rk) R->ngram_counted = 1;
        }
        if (rk) { /* [failed, records counted, with n-grams]: every rank takes the same way */
            int64_t v[3] = {st != SCIPRUNE_OK, (int64_t)docs, ng != NULL};
            if (rk->reduce_sum(rk->user, v, 3) != 0) {
                if (!st) st = sp_err(err, SCIPRUNE_EIO, "embed", -1, -1, "MPI: the reduce failed");
                break;
            }
            if (st) break;
            if (v[0]) {
                *others = 1;
                break;
            }
            if (v[2] != 0 && v[2] != rk->size) {
                st = sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1,
                            "the ranks disagree on SCIPRUNE_NO_NATURALNESS");
                break;
            }
            docs = (uint64_t)v[1];
        }
        /* one process: the site detectors train on this attempt's sample now, so that a second
         * count pass over every record scores their sites as it goes (no flat lists kept); the
         * second pass adds no example (they train on the sample only) */
        if (!rk && !st && !attempt && e->sites && !(sm.all || docs >= e->s.idf_min_docs)) {
            st = train_sites(R, e, err);
            sites_trained = !st;
        }
        if (st && !rk) break;
        if (sm.all || docs >= e->s.idf_min_docs) break;
        if (!rk || rk->rank == 0)
            sp_log(SCIPRUNE_LOG_INFO, "embed: idf sample holds %llu records (< %llu): fitting on all records",
                   (unsigned long long)docs, (unsigned long long)e->s.idf_min_docs);
        sm.all = 1;
        for (int w = 0; w < runner_nctx(R); w++) embed_hash_worker_reset_df(runner_ctx(R, w));
    }
    int all_ok = !st && !*others; /* split: every rank took this way (the flag reduce) */
    if (all_ok) { /* the last count pass's document frequencies */
        for (int w = 0; w < runner_nctx(R); w++) {
            void *ctx = runner_ctx(R, w);
            const uint32_t *t = embed_hash_worker_df(ctx);
            if (!t) continue;
            if (df) {
                for (size_t b = 0; b < nb; b++) df[b] += t[b];
            } else if (!df32) {
                df32 = embed_hash_worker_take_df(ctx);
            } else {
                embed_counts_add(df32, t, nb);
            }
        }
        for (int w = 0; w < runner_nctx(R); w++) free(embed_hash_worker_take_df(runner_ctx(R, w)));
        if (!df && !df32 && !(df32 = calloc(nb, sizeof *df32))) { /* nothing was counted */
            st = sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
            all_ok = 0;
        }
    }
    if (rk && all_ok) {
        if (reduce_chunked(rk, df, nb) || (ng && reduce_chunked(rk, ng, (size_t)1 << NGRAM_BITS)))
            st = sp_err(err, SCIPRUNE_EIO, "embed", -1, -1, "MPI: the reduce failed");
        else if (rk->rank == 0)
            sp_log(SCIPRUNE_LOG_INFO, "embed: fit pass over %d ranks: %llu records; summed %.1f MiB "
                   "of counts per rank (idf %zu, n-grams %zu int64)", rk->size,
                   (unsigned long long)docs, (double)(nb + (ng ? (size_t)1 << NGRAM_BITS : 0)) * 8 / 1048576.0,
                   nb, ng ? (size_t)1 << NGRAM_BITS : (size_t)0);
    }
    if (!st && !*others) st = embed_hash_set_idf(e, df, df32, docs, sm.all ? 1.0 : e->s.idf_sample, err);
    /* the site detectors, on the examples the same pass collected (split: every rank meets
     * fit_sites_split's reduce, a failed one too) */
    if (all_ok && e->sites && rk) {
        size_t nw;
        sites_worker **sw = sites_workers(R, &nw);
        if (!sw && !st) st = sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
        st = fit_sites_split(e, sw, nw, rk, parts, st, others, err);
        free(sw);
    } else if (all_ok && e->sites && !st && !sites_trained) {
        st = train_sites(R, e, err);
    }
    if (!st && !*others && ng) { /* the n-gram model: summed counts, saturated to uint32 (ngram.c) */
        size_t nbk = (size_t)1 << NGRAM_BITS;
        uint32_t *t = malloc(nbk * sizeof *t);
        if (!t) st = sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
        for (size_t b = 0; t && b < nbk; b++) t[b] = ng[b] > UINT32_MAX ? UINT32_MAX : (uint32_t)ng[b];
        free(e->ngram);
        e->ngram = t;
        e->ngram_fit = 0;
    } else if (!st && !*others && ng32) { /* one process: already summed and saturated */
        free(e->ngram);
        e->ngram = ng32;
        ng32 = NULL;
        e->ngram_fit = 0;
    }
    free(ng);
    free(ng32);
    if (!st && !*others)
        sp_log(SCIPRUNE_LOG_DEBUG, "embed: kept the features of %zu of %llu idf records (%.1f MiB%s)",
               R->fc.n, (unsigned long long)docs, (double)R->fc.feat_bytes / 1048576.0,
               R->fc.full ? ", budget reached" : "");
    free(df);
    free(df32);
    return st;
}

/* The embedder of this run: the workdir's spec when there is one and it makes the same
 * vectors (*have_spec: its idf table is there too), else a new one after clearing the
 * outputs of any other spec. Errors: ESTATE (another spec, without force), EIO, ENOMEM. */
static sciprune_status open_spec(sciprune_embedder **out, const sciprune_embedder_settings *s,
                                 int force, const char *dir, const char *jpath, int *have_spec,
                                 sciprune_error *err)
{
    sciprune_status st;
    sciprune_embedder *e = NULL;
    *out = NULL;
    *have_spec = 0;
    if (sp_exists(jpath) && !force) {
        sciprune_error lerr;
        st = embed_load_dir(&e, dir, &lerr);
        if (st)
            return sp_err(err, SCIPRUNE_ESTATE, jpath, -1, -1,
                          "cannot reuse this workdir's embedder (%.120s); use --force to recompute",
                          lerr.text);
        char why[200];
        if (embed_settings_differ(s, e, why, sizeof why)) {
            sciprune_embedder_free(e);
            return sp_err(err, SCIPRUNE_ESTATE, jpath, -1, -1,
                          "this workdir was embedded differently: %.150s; use --force to "
                          "recompute or another workdir", why);
        }
        /* runtime knobs come from this run */
        e->s.exec_batch = s->exec_batch;
        e->s.exec_batch_bytes = s->exec_batch_bytes;
        e->s.exec_timeout_s = s->exec_timeout_s;
        e->s.exec_start_timeout_s = s->exec_start_timeout_s;
        *have_spec = !(e->s.backend == SCIPRUNE_EMBED_HASH && e->s.idf && !e->idf);
    } else {
        st = clear_dir(dir, err); /* --force, or outputs of an unknown spec */
        if (st) return st;
        st = embed_create(&e, s, err);
        if (st) return st;
    }
    *out = e;
    return SCIPRUNE_OK;
}

/* shards.json: the input list of this run, in order, with each file's identity; sets
 * sh[i].changed for a shard whose file differs from the one the previous list recorded under
 * its name. Errors: EIO, ENOMEM. */
static sciprune_status write_shard_list(const char *workdir, shard_info *sh, size_t n,
                                        sciprune_error *err)
{
    char *sjp = sp_wpath(workdir, SP_WF_SHARDS, NULL);
    json_t *prev = sjp && sp_exists(sjp) ? json_load_file(sjp, 0, NULL) : NULL;
    json_t *js = json_object();
    json_t *arr = json_array();
    sciprune_status st = SCIPRUNE_OK;
    for (size_t i = 0; i < n && !st; i++) {
        json_t *o = json_object(), *old = NULL, *x;
        size_t k;
        json_array_foreach(json_object_get(prev, "shards"), k, x) {
            const char *nm = json_string_value(json_object_get(x, "name"));
            if (nm && !strcmp(nm, sh[i].name)) old = x;
        }
        json_object_set_new(o, "name", json_string(sh[i].name));
        json_object_set_new(o, "path", json_string(sh[i].path));
        st = sp_input_identity(o, sh[i].path, old, &sh[i].changed, err);
        /* a changed file's old vectors go before its new identity is recorded: a kill in
         * between must not leave vectors that pass for the new file's */
        if (!st && sh[i].changed &&
            ((unlink(sh[i].vec) != 0 && errno != ENOENT) || (unlink(sh[i].stat) != 0 && errno != ENOENT)))
            st = sp_err_errno(err, SCIPRUNE_EIO, sh[i].vec, errno, "cannot remove the vectors of a changed shard");
        json_array_append_new(arr, o);
    }
    json_decref(prev);
    json_object_set_new(js, "shards", arr);
    if (!st)
        st = sjp ? write_json(sjp, js, err) : sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    free(sjp);
    json_decref(js);
    return st;
}

/* Embed one shard (number i) through the runner into its vectors and status files (and the
 * gates' files with gk); fills sh's counts. A failed shard leaves no vectors file behind.
 * Errors: those of the reader, the backend and the writers. */
static sciprune_status embed_shard(runner *R, sciprune_embedder *e, gates_sink *gk,
                                   shard_info *sh, uint32_t i, const sciprune_shard_options *so,
                                   progress *pg, sciprune_error *err)
{
    double ts = sp_now();
    sink k;
    memset(&k, 0, sizeof k);
    k.dtype = e->s.dtype;
    k.gates = gk;
    sciprune_status st = gk ? gates_sink_begin(gk, sh->name, err) : SCIPRUNE_OK;
    if (!st) st = sp_npy_writer_open(&k.stat, sh->stat, SP_NPY_U8, 0, err);
    if (!st && e->sites) st = sp_npy_writer_open(&k.sites, sh->sites, SP_NPY_F32, 0, err);
    if (!st)
        st = sp_npy_writer_open(&k.vec, sh->vec, k.dtype == SCIPRUNE_VEC_F16 ? SP_NPY_F16 : SP_NPY_F32,
                                e->dim, err);
    if (!st && e->ngram) st = sp_npy_writer_open(&k.nat, sh->nat, SP_NPY_F32, 0, err);
    if (!st && e->be->shard_begin) st = e->be->shard_begin(e, sh->name, err);
    uint64_t lines = 0;
    if (!st) st = run_shard(R, i, sh->path, so, OP_EMBED, NULL, &k, pg, &lines, err);
    if (!st && e->be->shard_end) st = e->be->shard_end(e, lines, err);
    if (!st && gk) st = gates_sink_end(gk, err); /* before the vectors: they mark it done */
    if (!st && k.nat) {
        st = sp_npy_writer_close(k.nat, err);
        k.nat = NULL;
    }
    if (!st) {
        st = sp_npy_writer_close(k.stat, err);
        k.stat = NULL;
    }
    if (!st && k.sites) {
        st = sp_npy_writer_close(k.sites, err);
        k.sites = NULL;
    }
    if (!st) {
        st = sp_npy_writer_close(k.vec, err); /* last: marks the shard complete */
        k.vec = NULL;
    }
    if (st) {
        if (err && !err->source[0]) sp_strlcpy(err->source, sh->path, sizeof err->source);
        gates_sink_abort(gk);
        sp_npy_writer_abort(k.vec);
        sp_npy_writer_abort(k.stat);
        sp_npy_writer_abort(k.sites);
        sp_npy_writer_abort(k.nat);
        free(k.half);
        return st;
    }
    free(k.half);
    sh->lines = lines;
    memcpy(sh->rows, k.rows, sizeof k.rows);
    sh->text_bytes = k.text_bytes;
    sh->seconds = sp_now() - ts;
    return SCIPRUNE_OK;
}

/* summary.json: per-shard and total row counts, timings; the totals into tot and *tlines.
 * Errors: EIO, ENOMEM. */
static sciprune_status write_summary(const char *workdir, const sciprune_embedder *e,
                                     const shard_info *sh, size_t n, double idf_seconds,
                                     double t0, uint64_t tot[SCIPRUNE_ROW_COUNT], uint64_t *tlines,
                                     sciprune_error *err)
{
    json_t *js = json_object();
    json_object_set_new(js, "backend", json_string(e->be->name));
    json_object_set_new(js, "dim", json_integer(e->dim));
    if (e->model[0]) json_object_set_new(js, "model", json_string(e->model));
    json_t *sa = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = counts_json(sh[i].rows, sh[i].lines);
        json_object_set_new(o, "name", json_string(sh[i].name));
        json_object_set_new(o, "skipped", json_boolean(sh[i].skipped));
        if (!sh[i].skipped) {
            json_object_set_new(o, "text_bytes", json_integer((json_int_t)sh[i].text_bytes));
            json_object_set_new(o, "seconds", json_real(sh[i].seconds));
        }
        json_array_append_new(sa, o);
        for (int v = 0; v < SCIPRUNE_ROW_COUNT; v++) tot[v] += sh[i].rows[v];
        *tlines += sh[i].lines;
    }
    json_object_set_new(js, "shards", sa);
    json_object_set_new(js, "totals", counts_json(tot, *tlines));
    if (e->idf) json_object_set_new(js, "idf_docs", json_integer((json_int_t)e->idf_docs));
    json_object_set_new(js, "idf_seconds", json_real(idf_seconds));
    json_object_set_new(js, "seconds", json_real(sp_now() - t0));
    char *sp = sp_wpath(workdir, SP_WF_EMBED_SUMMARY, NULL);
    sciprune_status st = sp ? write_json(sp, js, err)
                            : sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    free(sp);
    json_decref(js);
    return st;
}

/* spec_only over ranks (opt->ranks): rank 0 opens the spec (reuse, refuse, or clear with
 * force) and writes the shard list; one reduce tells every rank whether rank 0 failed and
 * whether the idf is to be fitted; then every rank fits its part (fit_idf split) and rank 0
 * writes the spec. Another backend, or a spec already there: rank 0 alone, as in one call. */
static sciprune_status spec_split(const char *workdir, shard_info *sh, size_t n,
                                  const sciprune_embedder_settings *s,
                                  const sciprune_embed_options *opt, int threads, const char *dir,
                                  const char *jpath, sciprune_embed_stats *stats,
                                  sciprune_error *err)
{
    const sciprune_ranks *rk = opt->ranks;
    sciprune_embedder *e = NULL;
    runner *R = NULL;
    sciprune_status st = SCIPRUNE_OK;
    int fit = 0, have_spec = 0, others = 0;
    if (rk->rank == 0) {
        st = open_spec(&e, s, opt->force, dir, jpath, &have_spec, err);
        if (!st) st = write_shard_list(workdir, sh, n, err);
        if (!st && !have_spec) {
            fit = e->s.backend == SCIPRUNE_EMBED_HASH && e->s.idf;
            for (size_t i = 0; i < n && !st && !fit && e->be == &embed_npy_backend; i++)
                st = embed_npy_check_file(e, sh[i].name, err);
            if (!st && !fit && !(st = embed_ensure_started(e, err)))
                st = sciprune_embedder_save(e, dir, err);
        }
    }
    int64_t v[2] = {rk->rank == 0 && st, rk->rank == 0 && fit};
    if (rk->reduce_sum(rk->user, v, 2) != 0) {
        if (!st) st = sp_err(err, SCIPRUNE_EIO, "embed", -1, -1, "MPI: the reduce failed");
        goto done;
    }
    if (v[0] || !v[1]) goto done; /* rank 0 failed (it says so), or nothing to fit */
    char *parts = opt->parts_dir ? strdup(opt->parts_dir) : sp_path_join(workdir, "parts/embed");
    if (!parts) st = sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    if (!st && rk->rank != 0) st = embed_create(&e, s, err);
    if (!st) st = embed_ensure_started(e, err);
    if (!st) st = runner_new(&R, e, threads, err);
    double ti = sp_now();
    st = fit_idf(R, sh, n, &opt->shard, rk, parts, st, &others, err);
    free(parts);
    stats->idf_seconds = sp_now() - ti;
    if (!st && !others && rk->rank == 0) {
        st = save_sites(e, workdir, err);
        if (!st) st = sciprune_embedder_save(e, dir, err);
    }
done:
    runner_free(R);
    sciprune_embedder_free(e);
    stats->shards = n;
    return st;
}

sciprune_status sciprune_embed_shards(const char *workdir, const char *const *shards, size_t n,
                                      const sciprune_embedder_settings *s,
                                      const sciprune_embed_options *opt,
                                      sciprune_embed_stats *stats, sciprune_error *err)
{
    double t0 = sp_now();
    sciprune_embed_options dopt;
    if (!opt) {
        sciprune_embed_options_default(&dopt);
        opt = &dopt;
    }
    sciprune_embed_stats local;
    if (!stats) stats = &local;
    memset(stats, 0, sizeof *stats);
    if (n == 0) return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1, "no input shards");
    int threads = sp_threads(opt->threads, SP_THREADS_MAX);

    sciprune_status st = SCIPRUNE_OK;
    sciprune_embedder *e = NULL;
    runner *R = NULL;
    gates_sink *gk = NULL;
    const char **names = NULL;
    char *dir = sp_wdir_path(workdir, SP_WD_EMBED);
    char *jpath = sp_wpath(workdir, SP_WF_EMBEDDER, NULL);
    shard_info *sh = calloc(n, sizeof *sh);
    if (!dir || !jpath || !sh) {
        st = sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        sh[i].path = shards[i];
        sh[i].name = sciprune_shard_name(shards[i]);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(sh[i].name, sh[j].name)) {
                st = sp_err(err, SCIPRUNE_EINVAL, shards[i], -1, -1,
                            "two input shards share the name %s (%s); outputs are named by shard",
                            sh[i].name, shards[j]);
                goto done;
            }
        sh[i].vec = sp_wpath(workdir, SP_WF_VECTORS, sh[i].name);
        sh[i].stat = sp_wpath(workdir, SP_WF_STATUS, sh[i].name);
        sh[i].sites = sp_wpath(workdir, SP_WF_SITES, sh[i].name);
        sh[i].nat = sp_wsignal_path(workdir, sh[i].name, "naturalness");
        if (!sh[i].vec || !sh[i].stat || !sh[i].sites || !sh[i].nat) {
            st = sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
            goto done;
        }
    }
    st = sp_mkdirs(dir, err);
    if (st) goto done;
    if (opt->spec_only && opt->ranks && opt->ranks->size > 1 && opt->ranks->reduce_sum) {
        st = spec_split(workdir, sh, n, s, opt, threads, dir, jpath, stats, err);
        goto done;
    }
    if (opt->gates) {
        if (s->backend != SCIPRUNE_EMBED_HASH) {
            st = sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1,
                        "the gates can share the parse of the hash embedder only; run the gates "
                        "stage separately for the %s embedder",
                        s->backend == SCIPRUNE_EMBED_NPY ? "npy" : "exec");
            goto done;
        }
        names = calloc(n, sizeof *names);
        if (!names) {
            st = sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < n; i++) names[i] = sh[i].name;
        if ((st = gates_sink_open(&gk, workdir, opt->gates, err))) goto done;
    }

    /* the spec: reuse, refuse, or start afresh */
    int have_spec = 0, others = 0;
    if ((st = open_spec(&e, s, opt->force, dir, jpath, &have_spec, err))) goto done;

    int parts = opt->part_count > 0 && !opt->spec_only;
    if (parts && (opt->part_index < 0 || opt->part_index >= opt->part_count)) {
        st = sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1, "part %d of %d", opt->part_index,
                    opt->part_count);
        goto done;
    }
    if (parts && !have_spec) {
        st = sp_err(err, SCIPRUNE_ESTATE, jpath, -1, -1,
                    "embedding a part of the shards needs the spec made first (spec_only)");
        goto done;
    }
    /* with parts, the first process has written the list (and dropped changed shards' vectors) */
    if (!parts && (st = write_shard_list(workdir, sh, n, err))) goto done;

    if (opt->spec_only) {
        if (!have_spec) {
            /* npy: every header is checked up front, as in one call (it gives the dimension) */
            for (size_t i = 0; i < n && !st && e->be == &embed_npy_backend; i++)
                st = embed_npy_check_file(e, sh[i].name, err);
            if (st) goto done;
            if ((st = embed_ensure_started(e, err)) || (st = runner_new(&R, e, threads, err)))
                goto done;
            if (e->s.backend == SCIPRUNE_EMBED_HASH && e->s.idf) {
                double ti = sp_now();
                if ((st = fit_idf(R, sh, n, &opt->shard, NULL, NULL, SCIPRUNE_OK, &others, err))) goto done;
                stats->idf_seconds = sp_now() - ti;
            }
            if ((st = save_sites(e, workdir, err)) || (st = sciprune_embedder_save(e, dir, err)))
                goto done;
        }
        stats->shards = n;
        goto done;
    }

    size_t todo = 0;
    for (size_t i = 0; i < n; i++) {
        if (parts && i % (size_t)opt->part_count != (size_t)opt->part_index) {
            sh[i].skipped = 1; /* another part's */
            continue;
        }
        if (have_spec && !sh[i].changed && (!gk || gates_sink_shard_complete(gk, sh[i].name)) &&
            shard_complete(e, sh[i].vec, sh[i].stat, sh[i].rows, &sh[i].lines) &&
            (!e->sites || signal_complete(sh[i].sites, sh[i].lines)) &&
            (!e->ngram || signal_complete(sh[i].nat, sh[i].lines))) {
            sh[i].skipped = 1;
            stats->shards_skipped++;
        } else {
            memset(sh[i].rows, 0, sizeof sh[i].rows);
            todo++;
        }
    }

    if (todo) {
        /* get the backend ready: npy checks every header, exec does its handshake */
        if (e->be == &embed_npy_backend) {
            for (size_t i = 0; i < n && !st; i++)
                if (!sh[i].skipped) st = embed_npy_check_file(e, sh[i].name, err);
            if (st) goto done;
        }
        st = embed_ensure_started(e, err);
        if (st) goto done;
        st = runner_new(&R, e, threads, err);
        if (st) goto done;
        R->gates = gk != NULL;
        R->gates_settings = opt->gates;
        if (!have_spec) {
            if (e->s.backend == SCIPRUNE_EMBED_HASH && e->s.idf) {
                double ti = sp_now();
                st = fit_idf(R, sh, n, &opt->shard, NULL, NULL, SCIPRUNE_OK, &others, err);
                if (st) goto done;
                stats->idf_seconds = sp_now() - ti;
            }
            st = save_sites(e, workdir, err);
            if (!st) st = sciprune_embedder_save(e, dir, err);
            if (st) goto done;
        }
        progress pg = {.fn = opt->progress, .user = opt->progress_user};
        for (size_t i = 0; i < n; i++) {
            if (sh[i].skipped) continue;
            if ((st = embed_shard(R, e, gk, &sh[i], (uint32_t)i, &opt->shard, &pg, err)))
                goto done;
            stats->shards_done++;
            stats->text_bytes += sh[i].text_bytes;
        }
    }

    if (parts) {
        stats->shards = n;
        goto done;
    }
    if (gk && (st = gates_sink_finish(gk, names, n, sp_now() - t0, NULL, err))) goto done;

    uint64_t tot[SCIPRUNE_ROW_COUNT] = {0}, tlines = 0;
    if ((st = write_summary(workdir, e, sh, n, stats->idf_seconds, t0, tot, &tlines, err))) goto done;

    stats->shards = n;
    stats->lines = tlines;
    memcpy(stats->rows, tot, sizeof tot);
    stats->idf_docs = e->idf_docs;
    stats->dim = e->dim;
    sp_strlcpy(stats->model, e->model, sizeof stats->model);
done:
    runner_free(R);
    gates_sink_free(gk);
    free(names);
    sciprune_embedder_free(e);
    for (size_t i = 0; sh && i < n; i++) {
        free(sh[i].vec);
        free(sh[i].stat);
        free(sh[i].sites);
        free(sh[i].nat);
    }
    free(sh);
    free(dir);
    free(jpath);
    stats->seconds = sp_now() - t0;
    return st;
}
