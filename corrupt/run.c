/*
 * run.c - the corrupt stage: sample clean records from shards, corrupt them, write shards.
 *
 * Sampling is a pure function of (record id, corruption type, seed), so the output does not
 * depend on shard order, thread count or timing:
 *   1. scan   every input once (threads over shards); for each accepted record of a selected
 *             language L and each selected type T available for L, compute
 *             h = XXH3(id, seed = XXH3(T, seed)) and keep, per cell (L, T), the max_tries
 *             records with the smallest (h, shard, line): a bounded max-heap per cell.
 *   1b. strata: the scan also keeps every accepted record's length (all languages: the
 *             corpus a metric ranks the probes against, so `length` lands at p); the lengths
 *             are cut at their quantiles into `strata` bins (default 10, deciles: bounds at
 *             ranks floor(k n / strata)), and each language x type cell's per_type is split
 *             over the bins in proportion to the bin's share of the corpus (largest
 *             remainder; a bin where the cell has no candidate at all, its language having no
 *             file that long, drops out and the others share per_type). A cell's candidates
 *             are tried per bin in ascending h until the bin's quota is made; a bin that runs
 *             out of candidates (no edit site, parse errors) short of its quota passes the
 *             shortfall to the nearest bin by length with candidates left (the shorter on
 *             ties), so a cell makes per_type whenever it has enough usable records;
 *             corrupt.json's probe_bins say where the probes landed. Without this, records with no edit site (short files) or that do
 *             not parse are skipped, the probes lean long, and the `length` and `random`
 *             baselines do not land at p. corrupt.json's "strata" holds the corpus' and the
 *             probes' bins and length quantiles per language. strata = 1 is the sampling below
 *             unchanged (and corrupt.json without "strata").
 *   2. rounds until every cell (bin) has its variants or has run out of candidates:
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
 * Held-out probes (options heldout_only, issue 17): the scan ranks only the records of the
 * test half (sciprune_id_half(id) == 1: bit 0 of XXH3(id, seed "half")) as candidates, so
 * everything above applies to that half alone; `run` makes this set in W/corrupt/heldout/
 * with seed sciprune_corrupt_heldout_seed(corrupt.seed), and analyze tests its learned model
 * on it (analyze/semantic.c). Its corrupt.json has "heldout_only": true.
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
 *               "made","unclean","no_site","invalid"}, ...],
 *               "strata" (strata > 1): {"bins","rule","records" (accepted, all languages),
 *               "cuts":[bins-1 lower bounds, bytes],"corpus_bins":[records per bin],
 *               "corpus_len":{"p10".."p90"},"langs":[{"lang","records" (that language's),
 *               "probes","probe_bins":[variants per bin, all types],"probe_len":{...}}]}}
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
    uint32_t len;           /* record bytes (clipped to UINT32_MAX) */
    uint32_t bin;           /* length stratum, set after the scan */
    int64_t line;
} cand;

#define MAX_STRATA 64

typedef struct lenvec {     /* one language's accepted record lengths */
    uint32_t *v;
    size_t n, cap;
} lenvec;

typedef struct variant {
    char *orig_id;          /* owned */
    char *text;             /* owned */
    size_t text_len;
    uint64_t offset;
    char *removed, *inserted; /* owned */
    size_t removed_len, inserted_len;
    uint32_t shard;
    uint32_t len;           /* the original's bytes */
    int64_t line;
} variant;

typedef struct cell {
    sciprune_corrupt_cell pub;
    const corrupt_op *op;
    size_t lang_idx;        /* index in the registry (sciprune_lang_name) */
    uint64_t type_hash;     /* XXH3(type, seed) */
    cand *c;                /* heap while scanning, then sorted ascending; owned */
    size_t nc, cap;
    size_t boff[MAX_STRATA + 1]; /* candidates sorted by (bin, h): bin b is [boff[b], boff[b+1]) */
    size_t bnext[MAX_STRATA];   /* next candidate to try per bin */
    uint64_t quota[MAX_STRATA], bmade[MAX_STRATA];
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
    int heldout_only;       /* candidates only from records with sciprune_id_half == 1 */
    uint32_t nb;            /* length strata */
    int lang_sel[32];       /* by registry index */
    lenvec lens;            /* every accepted record's length (all languages), sorted after
                               the scan: the corpus the probes are ranked against */
    uint32_t cuts[MAX_STRATA]; /* nb - 1 bin lower bounds */
    uint64_t corpus_bin[MAX_STRATA];
    uint64_t lang_records[32]; /* accepted (unguarded) records per selected language */
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
    int part_count, part_index; /* scan only shards si % part_count == part_index */
} run;

typedef struct worker {
    run *r;
    sciprune_parser *parser;
    sciprune_error err;
    cell *local;            /* scan: per-thread candidate heaps */
    lenvec lens;            /* scan: per-thread record lengths */
    uint64_t lang_records[32];
    uint64_t records, rejected, other_lang, guarded;
} worker;

void sciprune_corrupt_options_default(sciprune_corrupt_options *o)
{
    memset(o, 0, sizeof *o);
    o->per_type = 100;
    o->threads = 1;
    o->zstd_level = 3;
    o->strata = 10;
}

void sciprune_corrupt_stats_free(sciprune_corrupt_stats *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->ncells; i++) free((char *)s->cells[i].type);
    free(s->cells);
    memset(s, 0, sizeof *s);
}

int sciprune_id_half(const char *id, size_t len)
{
    return id ? (int)(sp_hash64(id, len, UINT64_C(0x68616c66)) & 1) : 0;
}

uint64_t sciprune_corrupt_heldout_seed(uint64_t seed)
{
    uint64_t h = sp_hash64("heldout", 7, seed) & (UINT64_MAX >> 1); /* a JSON integer */
    return h == seed ? h ^ 1 : h;
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

static int cmp_cand_bin(const void *pa, const void *pb)
{
    const cand *a = pa, *b = pb;
    if (a->bin != b->bin) return a->bin < b->bin ? -1 : 1;
    return cmp_cand(pa, pb);
}

static int cmp_u32(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    return a < b ? -1 : a > b;
}

static int lenvec_push(lenvec *v, uint32_t x)
{
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 256;
        uint32_t *nv = realloc(v->v, nc * sizeof *nv);
        if (!nv) return -1;
        v->v = nv;
        v->cap = nc;
    }
    v->v[v->n++] = x;
    return 0;
}

/* The stratum of a record of `len` bytes in language li: how many bin lower bounds it reaches. */
static uint32_t len_bin(const run *r, uint32_t len)
{
    uint32_t b = 0;
    while (b + 1 < r->nb && len >= r->cuts[b]) b++;
    return b;
}

/* After the scan: the bin bounds (the lengths at ranks floor(k n / nb), k = 1 .. nb-1 of every
 * accepted record, all languages: the corpus a metric ranks the probes against; equal bounds
 * leave a bin empty), the records per bin, and each cell's quota per bin: per_type x the bin's
 * share of the corpus, rounded by largest remainder (ties: the lower bin). Candidates are
 * re-sorted by (bin, h). */
static void strata_setup(run *r)
{
    lenvec *v = &r->lens;
    memset(r->corpus_bin, 0, sizeof r->corpus_bin);
    if (v->n) {
        qsort(v->v, v->n, sizeof *v->v, cmp_u32);
        for (uint32_t k = 1; k < r->nb; k++) r->cuts[k - 1] = v->v[(size_t)((uint64_t)k * v->n / r->nb)];
        for (size_t i = 0; i < v->n; i++) r->corpus_bin[len_bin(r, v->v[i])]++;
    }
    for (size_t ci = 0; ci < r->ncells; ci++) {
        cell *c = &r->cells[ci];
        /* bins without a candidate of this cell (its language has no file that long) drop out
         * and the others share per_type: the cell still makes per_type where it can */
        uint64_t ncand_bin[MAX_STRATA] = {0}, n = 0, given = 0;
        for (size_t k = 0; k < c->nc; k++) ncand_bin[len_bin(r, c->c[k].len)]++;
        for (uint32_t b = 0; b < r->nb; b++) n += ncand_bin[b] ? r->corpus_bin[b] : 0;
        double rem[MAX_STRATA];
        for (uint32_t b = 0; b < r->nb; b++) {
            double q = n && ncand_bin[b] ? (double)r->per_type * (double)r->corpus_bin[b] / (double)n : 0;
            c->quota[b] = (uint64_t)q;
            rem[b] = ncand_bin[b] ? q - (double)c->quota[b] : -1;
            given += c->quota[b];
        }
        while (n && given < r->per_type) {
            uint32_t best = 0;
            for (uint32_t b = 1; b < r->nb; b++) if (rem[b] > rem[best] + 1e-12) best = b;
            if (rem[best] < 0) break; /* every bin had its remainder: n was 0 */
            c->quota[best]++;
            rem[best] = -1;
            given++;
        }
        for (size_t k = 0; k < c->nc; k++) c->c[k].bin = len_bin(r, c->c[k].len);
        if (c->nc) qsort(c->c, c->nc, sizeof *c->c, cmp_cand_bin);
        size_t k = 0;
        for (uint32_t b = 0; b <= r->nb; b++) {
            while (k < c->nc && c->c[k].bin < b) k++;
            c->boff[b] = b == r->nb ? c->nc : k;
        }
        for (uint32_t b = 0; b < r->nb; b++) c->bnext[b] = c->boff[b];
    }
}

static int bin_done(const cell *c, uint32_t b)
{
    return c->bmade[b] >= c->quota[b] || c->bnext[b] >= c->boff[b + 1];
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
    if (r->part_count > 0 && si % (size_t)r->part_count != (size_t)r->part_index) return SCIPRUNE_OK;
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
        uint32_t len = rec->text_len > UINT32_MAX ? UINT32_MAX : (uint32_t)rec->text_len;
        if (lenvec_push(&w->lens, len)) {
            s = sp_err(&w->err, SCIPRUNE_ENOMEM, r->shards[si], -1, -1, "out of memory");
            goto done;
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
        w->lang_records[li]++;
        if (r->heldout_only && sciprune_id_half(rec->id, idl) != 1) continue;
        for (size_t ci = r->cells_by_lang[li][0]; ci < r->cells_by_lang[li][1]; ci++) {
            cand x = {sp_hash64(rec->id, idl, r->cells[ci].type_hash), (uint32_t)si, len, 0, rec->line};
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

/* ------------------------------------------------------------------ parts (ranks) */

/*
 * A rank's scan, parts_dir/scan-<k>.bin: native-endian uint64 words (the ranks of one job
 * share a machine type):
 *   magic "SPCSCAN1", nshards, ncells, seed, max_tries, part_count, part_index,
 *   records, rejected, other_lang, guarded, lang_records[32], nlens,
 *   nlens uint32 lengths (padded to a whole word with a zero uint32),
 *   per cell in cell order: nc, then nc x (h, shard, len, line).
 * The merge sums the counts, concatenates the lengths (sorted after) and pushes every
 * candidate through the same bounded heap: all three are independent of the order the
 * shards were scanned in, so the merged scan is the one-process scan.
 */
#define SCAN_MAGIC 0x314e414353435053ULL /* "SPCSCAN1" */
#define SCAN_HDR 11

static char *scan_path(const char *dir, int k)
{
    size_t n = strlen(dir) + 32;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/scan-%d.bin", dir, k);
    return p;
}

static sciprune_status scan_write(const run *r, const char *dir, sciprune_error *err)
{
    size_t words = SCAN_HDR + 32 + 1 + (r->lens.n + 1) / 2;
    for (size_t ci = 0; ci < r->ncells; ci++) words += 1 + 4 * r->cells[ci].nc;
    uint64_t *b = calloc(words, sizeof *b);
    char *path = scan_path(dir, r->part_index);
    sciprune_status s;
    if (!b || !path) {
        s = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto done;
    }
    size_t k = 0;
    uint64_t hdr[SCAN_HDR] = {SCAN_MAGIC, r->nshards, r->ncells, r->seed, r->max_tries,
                              (uint64_t)r->part_count, (uint64_t)r->part_index, r->records,
                              r->rejected, r->other_lang, r->guarded};
    memcpy(b, hdr, sizeof hdr);
    k = SCAN_HDR;
    memcpy(b + k, r->lang_records, 32 * sizeof *b);
    k += 32;
    b[k++] = r->lens.n;
    if (r->lens.n) memcpy(b + k, r->lens.v, r->lens.n * sizeof *r->lens.v);
    k += (r->lens.n + 1) / 2;
    for (size_t ci = 0; ci < r->ncells; ci++) {
        const cell *c = &r->cells[ci];
        b[k++] = c->nc;
        for (size_t i = 0; i < c->nc; i++) {
            b[k++] = c->c[i].h;
            b[k++] = c->c[i].shard;
            b[k++] = c->c[i].len;
            b[k++] = (uint64_t)c->c[i].line;
        }
    }
    s = sp_write_file_atomic(path, b, words * sizeof *b, err);
done:
    free(b);
    free(path);
    return s;
}

/* Read scan k into r (counts summed, lengths appended, candidates through the heaps). */
static sciprune_status scan_merge(run *r, const char *dir, int count, int k, sciprune_error *err)
{
    char *path = scan_path(dir, k), *data = NULL;
    size_t len = 0;
    if (!path) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    sciprune_status s = sp_read_file(path, &data, &len, err);
    if (s) {
        s = sp_err(err, SCIPRUNE_ESTATE, path, -1, -1, "a rank's corrupt scan is missing");
        goto done;
    }
    const uint64_t *b = (const uint64_t *)data;
    size_t words = len / 8, at = SCAN_HDR + 33;
    if (len % 8 || words < at || b[0] != SCAN_MAGIC || b[1] != r->nshards || b[2] != r->ncells ||
        b[3] != r->seed || b[4] != r->max_tries || b[5] != (uint64_t)count || b[6] != (uint64_t)k)
        goto stale;
    r->records += b[7];
    r->rejected += b[8];
    r->other_lang += b[9];
    r->guarded += b[10];
    for (size_t li = 0; li < 32; li++) r->lang_records[li] += b[SCAN_HDR + li];
    uint64_t nl = b[SCAN_HDR + 32];
    if (nl > (words - at) * 2) goto stale;
    const uint32_t *lv = (const uint32_t *)(b + at);
    for (uint64_t i = 0; i < nl; i++)
        if (lenvec_push(&r->lens, lv[i])) goto nomem;
    at += (size_t)(nl + 1) / 2;
    for (size_t ci = 0; ci < r->ncells; ci++) {
        if (at >= words) goto stale;
        uint64_t nc = b[at++];
        if (nc > (words - at) / 4) goto stale;
        for (uint64_t i = 0; i < nc; i++, at += 4) {
            cand x = {b[at], (uint32_t)b[at + 1], (uint32_t)b[at + 2], 0, (int64_t)b[at + 3]};
            if (heap_push(&r->cells[ci], x, r->max_tries)) goto nomem;
        }
    }
    if (at != words) goto stale;
    goto done;
stale:
    s = sp_err(err, SCIPRUNE_ESTATE, path, -1, -1, "a rank's corrupt scan is from another job");
    goto done;
nomem:
    s = sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
done:
    free(data);
    free(path);
    return s;
}

static void scan_remove(const char *dir, int n)
{
    for (int k = 0; k < n; k++) {
        char *p = scan_path(dir, k);
        if (p) unlink(p);
        free(p);
    }
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
        for (uint32_t b = 0; b < r->nb; b++) {
            size_t *t = &take_out[ci * r->nb + b];
            *t = 0;
            if (c->done || bin_done(c, b)) continue;
            uint64_t want = c->quota[b] - c->bmade[b];
            uint64_t take = first ? want + want / 4 + 4 : 2 * want + 8;
            if (take > c->boff[b + 1] - c->bnext[b]) take = c->boff[b + 1] - c->bnext[b];
            *t = (size_t)take;
            total += (size_t)take;
        }
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
        for (uint32_t b = 0; b < r->nb; b++)
        for (size_t k = 0; k < take_out[ci * r->nb + b]; k++) {
            cell *c = &r->cells[ci];
            const cand *x = &c->c[c->bnext[b] + k];
            job *j = &r->jobs[r->njobs];
            j->cell = ci;
            j->cand = c->bnext[b] + k;
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
        for (uint32_t b = 0; b < r->nb; b++) {
        size_t tk = take[ci * r->nb + b];
        for (size_t k = 0; k < tk; k++) {
            job *j = &r->jobs[j0 + k];
            if (c->bmade[b] >= c->quota[b]) break;
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
                v->len = c->c[j->cand].len;
                res->text = res->removed = res->inserted = NULL; /* moved */
                c->pub.made++;
                c->bmade[b]++;
                break;
            }
            case SCIPRUNE_CORRUPT_NO_SITE: c->pub.no_site++; break;
            default: c->pub.invalid++; break;
            }
        }
        c->bnext[b] += tk;
        j0 += tk;
        }
        /* a bin out of candidates short of its quota passes the shortfall to the nearest bin
         * (by length; the shorter one on ties) that has candidates left */
        for (uint32_t b = 0; b < r->nb; b++) {
            if (c->bnext[b] < c->boff[b + 1] || c->bmade[b] >= c->quota[b]) continue;
            uint64_t deficit = c->quota[b] - c->bmade[b];
            for (uint32_t d = 1; d < r->nb; d++) {
                int32_t lo = (int32_t)b - (int32_t)d, hi = (int32_t)(b + d);
                int32_t to = lo >= 0 && c->bnext[lo] < c->boff[lo + 1] ? lo
                             : hi < (int32_t)r->nb && c->bnext[hi] < c->boff[hi + 1] ? hi : -1;
                if (to < 0) continue;
                c->quota[b] -= deficit;
                c->quota[to] += deficit;
                break;
            }
        }
        c->done = 1;
        for (uint32_t b = 0; b < r->nb; b++) c->done &= bin_done(c, b);
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

static int cmp_u64(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return a < b ? -1 : a > b;
}

/* corrupt.json's "strata": the corpus' and the probes' length distribution per language. */
static json_t *strata_json(const run *r)
{
    json_t *o = json_object(), *langs = json_array();
    int bad = !o || !langs;
    bad = bad || json_object_set_new(o, "bins", json_integer(r->nb));
    bad = bad || json_object_set_new(o, "rule", json_string(
        "bins: quantiles of the lengths (bytes) of every accepted record, all languages (the "
        "corpus the probes are ranked against); each language x type cell makes per_type x "
        "(the bin's share of the corpus) variants per bin, largest remainder"));
    const lenvec *v = &r->lens;
    static const int qs[5] = {10, 25, 50, 75, 90};
    {
        json_t *cuts = json_array(), *corp = json_array(), *cq = json_object();
        bad = bad || !cuts || !corp || !cq;
        for (uint32_t b = 0; !bad && b < r->nb; b++) {
            if (b) bad = json_array_append_new(cuts, json_integer(r->cuts[b - 1]));
            bad = bad || json_array_append_new(corp, json_integer((json_int_t)r->corpus_bin[b]));
        }
        for (int q = 0; !bad && v->n && q < 5; q++) {
            char key[8];
            snprintf(key, sizeof key, "p%d", qs[q]);
            bad = json_object_set_new(cq, key, json_integer(v->v[(size_t)((uint64_t)qs[q] * (v->n - 1) / 100)]));
        }
        bad = bad || json_object_set_new(o, "records", json_integer((json_int_t)v->n));
        bad = bad || json_object_set_new(o, "cuts", cuts);
        bad = bad || json_object_set_new(o, "corpus_bins", corp);
        bad = bad || json_object_set_new(o, "corpus_len", cq);
    }
    for (size_t li = 0; li < 32 && !bad; li++) {
        if (r->cells_by_lang[li][0] == r->cells_by_lang[li][1] || !r->lang_records[li]) continue;
        json_t *x = json_object(), *pro = json_array(), *pq = json_object();
        bad = !x || !pro || !pq;
        uint64_t pb[MAX_STRATA] = {0}, np = 0;
        for (size_t ci = r->cells_by_lang[li][0]; ci < r->cells_by_lang[li][1]; ci++) np += r->cells[ci].pub.made;
        uint64_t *pl = np ? malloc(np * sizeof *pl) : NULL;
        bad = bad || (np && !pl);
        size_t k = 0;
        for (size_t ci = r->cells_by_lang[li][0]; !bad && ci < r->cells_by_lang[li][1]; ci++)
            for (uint64_t m = 0; m < r->cells[ci].pub.made; m++) {
                uint32_t len = r->cells[ci].out[m].len;
                pb[len_bin(r, len)]++;
                pl[k++] = len;
            }
        if (pl) qsort(pl, np, sizeof *pl, cmp_u64);
        for (uint32_t b = 0; !bad && b < r->nb; b++)
            bad = json_array_append_new(pro, json_integer((json_int_t)pb[b]));
        for (int q = 0; !bad && np && q < 5; q++) {
            char key[8];
            snprintf(key, sizeof key, "p%d", qs[q]);
            bad = json_object_set_new(pq, key, json_integer((json_int_t)pl[(size_t)((uint64_t)qs[q] * (np - 1) / 100)]));
        }
        free(pl);
        bad = bad || json_object_set_new(x, "lang", json_string(sciprune_lang_name(li)));
        bad = bad || json_object_set_new(x, "records", json_integer((json_int_t)r->lang_records[li]));
        bad = bad || json_object_set_new(x, "probes", json_integer((json_int_t)np));
        bad = bad || json_object_set_new(x, "probe_bins", pro);
        bad = bad || json_object_set_new(x, "probe_len", pq);
        bad = bad || json_array_append_new(langs, x);
    }
    bad = bad || json_object_set_new(o, "langs", langs);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
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
    if (r->heldout_only) /* only then: the main set's file is as before */
        bad = bad || json_object_set_new(o, "heldout_only", json_true());
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
    if (r->nb > 1 && !bad) { /* only when stratified: strata 1 gives the file as before */
        json_t *st = strata_json(r);
        bad = !st || json_object_set_new(o, "strata", st);
    }
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
    if (o->strata > MAX_STRATA) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "strata must be 1..64");
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
    r.nb = o.strata ? o.strata : 1;
    if (r.nb > MAX_STRATA) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "strata must be 1..64");
    r.heldout_only = o.heldout_only != 0;
    int merge = 0;
    if (o.parts_dir && o.part_count > 0) {
        if (o.part_index < -1 || o.part_index >= o.part_count)
            return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "part_index must be -1 .. part_count - 1");
        merge = o.part_index == -1;
        if (!merge) {
            r.part_count = o.part_count;
            r.part_index = o.part_index;
        }
    }
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
    if ((s = sp_mkdirs(r.part_count ? o.parts_dir : out_dir, err)) != SCIPRUNE_OK) goto done;
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
    /* the held-out probes' scan says so: under ranks each rank logs two scans */
    const char *who = o.heldout_only ? "corrupt (held-out probes)" : "corrupt";
    if (merge)
        sp_log(SCIPRUNE_LOG_INFO, "%s: merging %d ranks' scans of %zu shards, %zu language x type cells",
               who, o.part_count, nshards, r.ncells);
    else if (r.part_count)
        sp_log(SCIPRUNE_LOG_INFO, "%s: scanning part %d of %d (%zu shards in all), %zu language x type cells",
               who, r.part_index, r.part_count, nshards, r.ncells);
    else
        sp_log(SCIPRUNE_LOG_INFO, "%s: scanning %zu shards, %zu language x type cells", who, nshards,
               r.ncells);
    if (!merge && (s = pool_run(ws, nthreads, nshards, scan_shard, err)) != SCIPRUNE_OK) goto done;
    for (int k = 0; merge && k < o.part_count; k++)
        if ((s = scan_merge(&r, o.parts_dir, o.part_count, k, err)) != SCIPRUNE_OK) goto done;
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
        for (size_t li = 0; li < 32; li++) r.lang_records[li] += ws[t].lang_records[li];
        lenvec *a = &ws[t].lens;
        for (size_t k = 0; k < a->n; k++)
            if (lenvec_push(&r.lens, a->v[k])) {
                s = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
                goto done;
            }
        free(a->v);
        memset(a, 0, sizeof *a);
    }
    if (r.part_count) { /* this rank's scan, for the merge */
        s = scan_write(&r, o.parts_dir, err);
        goto done;
    }
    for (size_t ci = 0; ci < r.ncells; ci++) {
        cell *x = &r.cells[ci];
        if (x->nc) qsort(x->c, x->nc, sizeof *x->c, cmp_cand);
        x->pub.candidates = x->nc;
        x->out = calloc((size_t)r.per_type, sizeof *x->out);
        if (!x->out) {
            s = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            goto done;
        }
    }

    strata_setup(&r);
    for (size_t ci = 0; ci < r.ncells; ci++) {
        cell *x = &r.cells[ci];
        x->done = 1;
        for (uint32_t b = 0; b < r.nb; b++) x->done &= bin_done(x, b);
    }

    /* 2. rounds */
    take = calloc(r.ncells * r.nb, sizeof *take);
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
    if (merge) scan_remove(o.parts_dir, o.part_count);
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
        free(ws[t].lens.v);
    }
    free(r.lens.v);
    free(ws);
    free(take);
    run_free(&r);
    sciprune_corruptor_free(c);
    return s;
}
