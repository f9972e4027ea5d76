/*
 * assign.c - nearest centroid for every record (stage 3, second half), and the loaded index
 * for online use.
 *
 * Files written per shard (one entry per input line, in input order; numpy.load reads them):
 *   assign/<shard>.cluster.npy  '<i4', shape (N,): nearest centroid, -1 for a rejected line
 *   assign/<shard>.dist.npy     '<f4', shape (N,): cosine: 1 - <x/|x|, c>; l2: |x - c|
 *                               (Euclidean, not squared); 0 for a rejected line
 * and index/clusters.json: {"k", "d", "metric", "n_records", "n_accepted", "n_rejected",
 * "sizes": [k counts], "shards": [{"name", "rows", "accepted"}], "seconds", "peak_rss"}.
 *
 * Determinism: workers take whole shards; each runs FAISS with one OpenMP thread (and so
 * single-threaded OpenBLAS), in batches of batch_rows rows counted from the shard's first row.
 * A record's batch, and so the arithmetic that produces its distance, does not depend on the
 * thread count: the files are byte-identical for any --threads.
 */
#include "index_int.h"

#include <c_api/IndexFlat_c.h>
#include <c_api/index_io_c.h>

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

struct sciprune_index {
    FaissIndex *fx;       /* owned */
    int k, d;
    sciprune_space space;
};

void sciprune_index_free(sciprune_index *ix)
{
    if (!ix) return;
    if (ix->fx) faiss_Index_free(ix->fx);
    free(ix);
}

sciprune_status sciprune_index_open(sciprune_index **out, const char *workdir,
                                    sciprune_error *err)
{
    *out = NULL;
    char *path = sp_wpath(workdir, SP_WF_KMEANS, NULL);
    if (!path) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    sciprune_status st = SCIPRUNE_OK;
    sciprune_index *ix = calloc(1, sizeof *ix);
    if (!ix) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto fail;
    }
    if (!sp_exists(path)) {
        st = sp_err(err, SCIPRUNE_EIO, path, -1, -1, "no trained index (run the index stage)");
        goto fail;
    }
    if (faiss_read_index_fname(path, 0, &ix->fx)) {
        st = index_faiss_err(err, path, "cannot read index");
        goto fail;
    }
    ix->k = (int)faiss_Index_ntotal(ix->fx);
    ix->d = faiss_Index_d(ix->fx);
    ix->space = faiss_Index_metric_type(ix->fx) == METRIC_INNER_PRODUCT ? SCIPRUNE_SPACE_COSINE
                                                                        : SCIPRUNE_SPACE_L2;
    if (ix->k < 1 || ix->d < 1) {
        st = sp_err(err, SCIPRUNE_ESTATE, path, -1, -1, "index holds no centroids");
        goto fail;
    }
    free(path);
    *out = ix;
    return SCIPRUNE_OK;
fail:
    free(path);
    sciprune_index_free(ix);
    return st;
}

int sciprune_index_k(const sciprune_index *ix) { return ix->k; }
int sciprune_index_dim(const sciprune_index *ix) { return ix->d; }
sciprune_space sciprune_index_space(const sciprune_index *ix) { return ix->space; }

/* Search n prepared (normalised for cosine) vectors; D and I hold n entries. */
static sciprune_status search(const sciprune_index *ix, const float *x, size_t n, float *D,
                              idx_t *I, int32_t *cluster, float *dist, sciprune_error *err)
{
    if (n == 0) return SCIPRUNE_OK;
    if (faiss_Index_search(ix->fx, (idx_t)n, x, 1, D, I))
        return index_faiss_err(err, NULL, "search failed");
    for (size_t i = 0; i < n; i++) {
        if (I[i] < 0 || I[i] >= ix->k) /* only NaN/Inf input gets no neighbour */
            return sp_err(err, SCIPRUNE_EINVAL, NULL, (int64_t)i + 1, -1,
                          "vector %zu has no nearest centroid (NaN or infinite values?)", i);
        cluster[i] = (int32_t)I[i];
        if (ix->space == SCIPRUNE_SPACE_COSINE) dist[i] = 1.0f - D[i];
        else dist[i] = D[i] > 0 ? sqrtf(D[i]) : 0.0f;
    }
    return SCIPRUNE_OK;
}

#define ONLINE_BATCH 4096

sciprune_status sciprune_index_assign(const sciprune_index *ix, const float *vecs, size_t n,
                                      int32_t *cluster, float *dist, sciprune_error *err)
{
    size_t d = (size_t)ix->d, b = n < ONLINE_BATCH ? n : ONLINE_BATCH;
    float *x = malloc((b ? b : 1) * d * sizeof *x), *D = malloc((b ? b : 1) * sizeof *D);
    idx_t *I = malloc((b ? b : 1) * sizeof *I);
    sciprune_status st = SCIPRUNE_OK;
    if (!x || !D || !I) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n && !st; i += b) {
        size_t m = n - i < b ? n - i : b;
        memcpy(x, vecs + i * d, m * d * sizeof *x);
        if (ix->space == SCIPRUNE_SPACE_COSINE)
            for (size_t j = 0; j < m; j++) index_normalize(x + j * d, d);
        st = search(ix, x, m, D, I, cluster + i, dist + i, err);
    }
done:
    free(x);
    free(D);
    free(I);
    return st;
}

/* ------------------------------------------------------------------ shards */

typedef struct assign_job {
    const char *workdir;
    const sciprune_shard_set *shards;
    const sciprune_index *ix;
    size_t batch;
    uint64_t *counts;          /* n x k cluster counts, owned by the caller */
    uint64_t *rows, *accepted; /* n each */
    const size_t *mine;        /* the shard index of each work item (this rank's shards) */
} assign_job;

static sciprune_status assign_one(assign_job *job, size_t si, sciprune_error *err)
{
    const sciprune_index *ix = job->ix;
    const char *name = job->shards->names[si];
    size_t d = (size_t)ix->d, B = job->batch;
    index_embed e;
    int32_t *cluster = NULL;
    float *dist = NULL, *x = NULL, *D = NULL, *bd = NULL;
    idx_t *I = NULL;
    uint64_t *rowidx = NULL;
    int32_t *bc = NULL;
    char *cpath = NULL, *dpath = NULL;
    sciprune_status st = index_embed_open(&e, job->workdir, name, err);
    if (st) return st;
    if ((size_t)e.d != d) {
        st = sp_err(err, SCIPRUNE_ESTATE, name, -1, -1,
                    "embedding dimension %d differs from the index's %zu", e.d, d);
        goto done;
    }
    size_t rows = (size_t)e.rows;
    cluster = malloc((rows ? rows : 1) * sizeof *cluster);
    dist = malloc((rows ? rows : 1) * sizeof *dist);
    x = malloc(B * d * sizeof *x);
    D = malloc(B * sizeof *D);
    I = malloc(B * sizeof *I);
    bd = malloc(B * sizeof *bd);
    bc = malloc(B * sizeof *bc);
    rowidx = malloc(B * sizeof *rowidx);
    cpath = sp_wpath(job->workdir, SP_WF_CLUSTER, name);
    dpath = sp_wpath(job->workdir, SP_WF_DIST, name);
    if (!cluster || !dist || !x || !D || !I || !bd || !bc || !rowidx || !cpath || !dpath) {
        st = sp_err(err, SCIPRUNE_ENOMEM, name, -1, -1, "out of memory");
        goto done;
    }
    uint64_t *counts = job->counts + si * (size_t)ix->k, acc = 0;
    for (size_t b0 = 0; b0 < rows; b0 += B) {
        size_t b1 = rows - b0 < B ? rows : b0 + B, m = 0;
        for (size_t r = b0; r < b1; r++) {
            if (!index_embed_row_ok(&e, r)) {
                cluster[r] = -1;
                dist[r] = 0.0f;
                continue;
            }
            float *v = x + m * d;
            index_embed_row(&e, r, v);
            if (!index_finite(v, d)) {
                st = sp_err(err, SCIPRUNE_EPARSE, name, (int64_t)r + 1, -1,
                            "embedding has NaN or infinite values");
                goto done;
            }
            if (ix->space == SCIPRUNE_SPACE_COSINE) index_normalize(v, d);
            rowidx[m++] = r;
        }
        st = search(ix, x, m, D, I, bc, bd, err);
        if (st) {
            sp_strlcpy(err->source, name, sizeof err->source);
            goto done;
        }
        for (size_t j = 0; j < m; j++) {
            cluster[rowidx[j]] = bc[j];
            dist[rowidx[j]] = bd[j];
            counts[bc[j]]++;
        }
        acc += m;
    }
    if ((st = sp_npy_write(cpath, SP_NPY_I32, rows, 0, cluster, err))) goto done;
    if ((st = sp_npy_write(dpath, SP_NPY_F32, rows, 0, dist, err))) goto done;
    job->rows[si] = rows;
    job->accepted[si] = acc;
done:
    index_embed_close(&e);
    free(cluster);
    free(dist);
    free(x);
    free(D);
    free(I);
    free(bd);
    free(bc);
    free(rowidx);
    free(cpath);
    free(dpath);
    return st;
}

static sciprune_status assign_item(void *ctx, int worker, size_t i, sciprune_error *err)
{
    (void)worker;
    omp_set_num_threads(1); /* this thread's ICV only: FAISS and OpenBLAS run single-threaded */
    assign_job *job = ctx;
    return assign_one(job, job->mine[i], err);
}

/* Ranks (sciprune_index_assign_part): rank r assigns the shards i = r (mod N); then one sum
 * reduce of [failed, k sizes, n rows, n accepted] (every rank brings zeros for the shards it
 * did not assign), after which rank 0 holds the counts one process would have and writes
 * clusters.json. The ranks call the reduce even when they failed, so that none waits. */
static sciprune_status assign_run(const char *workdir, const sciprune_shard_set *shards,
                                  const sciprune_index_settings *s, const sciprune_ranks *R,
                                  sciprune_index_info *info, sciprune_error *err)
{
    int nr = R && R->size > 1 ? R->size : 1, me = nr > 1 ? R->rank : 0;
    if (nr > 1 && (!R->reduce_sum || me < 0 || me >= nr))
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "rank %d of %d, or no sum reduce", me, nr);
    double t0 = sp_now();
    if (!shards || shards->n == 0) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "no shards");
    if (s->batch_rows < 1 || s->threads < 0)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "bad settings (batch_rows, threads)");
    sciprune_index *ix = NULL;
    sciprune_status st = sciprune_index_open(&ix, workdir, err);
    if (st == SCIPRUNE_EIO) {
        st = SCIPRUNE_ESTATE; /* no trained index: the stages ran out of order */
        if (err) err->code = st;
    }
    if (st) {
        int64_t one[1] = {1}; /* the others must not wait for this rank's counts */
        if (nr > 1) R->reduce_sum(R->user, one, 1);
        return st;
    }
    size_t n = shards->n, k = (size_t)ix->k;
    assign_job job;
    memset(&job, 0, sizeof job);
    job.workdir = workdir;
    job.shards = shards;
    job.ix = ix;
    job.batch = s->batch_rows;
    job.counts = calloc(n * k, sizeof *job.counts);
    job.rows = calloc(n, sizeof *job.rows);
    job.accepted = calloc(n, sizeof *job.accepted);
    size_t *mine = malloc(n * sizeof *mine), nmine = 0;
    int64_t *red = NULL;
    size_t nred = 1 + k + 2 * n;
    for (size_t i = 0; mine && i < n; i++)
        if ((int)(i % (size_t)nr) == me) mine[nmine++] = i;
    job.mine = mine;
    char *dir = sp_wdir_path(workdir, SP_WD_ASSIGN);
    char *jpath = sp_wpath(workdir, SP_WF_CLUSTERS, NULL);
    json_t *j = NULL;
    int nth = sp_threads(s->threads, nmine ? nmine : 1);
    if (!job.counts || !job.rows || !job.accepted || !dir || !jpath || !mine) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    } else if (!(st = sp_mkdirs(dir, err)) && nmine) {
        int omp_old = omp_get_max_threads(); /* the calling thread is worker 0 */
        st = sp_parallel_for(nmine, nth, assign_item, &job, err);
        omp_set_num_threads(omp_old);
    }
    if (nr > 1) { /* every rank reduces its flag, failed or not; the counts when none failed */
        red = calloc(nred, sizeof *red);
        if (!st && !red) st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        int64_t failed[1] = {st != SCIPRUNE_OK};
        if (R->reduce_sum(R->user, failed, 1) != 0 && !st)
            st = sp_err(err, SCIPRUNE_EIO, NULL, -1, -1, "MPI: the sum reduce failed");
        if (st || failed[0]) goto done; /* a failure elsewhere: the caller learns it */
        {
            for (size_t c = 0; c < k; c++) {
                uint64_t t = 0;
                for (size_t i = 0; i < n; i++) t += job.counts[i * k + c];
                red[1 + c] = (int64_t)t;
            }
            for (size_t i = 0; i < n; i++) {
                red[1 + k + i] = (int64_t)job.rows[i];
                red[1 + k + n + i] = (int64_t)job.accepted[i];
            }
        }
        if (R->reduce_sum(R->user, red, (int)nred) != 0) {
            st = sp_err(err, SCIPRUNE_EIO, NULL, -1, -1, "MPI: the sum reduce failed");
            goto done;
        }
        if (me != 0) goto done;
        /* the totals stand in for the per-shard counts: shard 0 takes the sizes */
        memset(job.counts, 0, n * k * sizeof *job.counts);
        for (size_t c = 0; c < k; c++) job.counts[c] = (uint64_t)red[1 + c];
        for (size_t i = 0; i < n; i++) {
            job.rows[i] = (uint64_t)red[1 + k + i];
            job.accepted[i] = (uint64_t)red[1 + k + n + i];
        }
    }
    if (st) goto done;

    uint64_t nrec = 0, nacc = 0;
    json_t *sizes = json_array(), *sh = json_array();
    for (size_t c = 0; c < k; c++) {
        uint64_t t = 0;
        for (size_t i = 0; i < n; i++) t += job.counts[i * k + c];
        json_array_append_new(sizes, json_integer((json_int_t)t));
    }
    for (size_t i = 0; i < n; i++) {
        nrec += job.rows[i];
        nacc += job.accepted[i];
        json_array_append_new(sh, json_pack("{s:s, s:I, s:I}", "name", shards->names[i], "rows",
                                            (json_int_t)job.rows[i], "accepted",
                                            (json_int_t)job.accepted[i]));
    }
    double secs = sp_now() - t0;
    j = json_pack("{s:i, s:i, s:s, s:I, s:I, s:I, s:o, s:o, s:f, s:I, s:i}", "k", (int)k, "d",
                  ix->d, "metric", sciprune_space_name(ix->space), "n_records", (json_int_t)nrec,
                  "n_accepted", (json_int_t)nacc, "n_rejected", (json_int_t)(nrec - nacc),
                  "sizes", sizes, "shards", sh, "seconds", secs, "peak_rss",
                  (json_int_t)sp_peak_rss(), "threads", nth);
    if (!j) {
        st = sp_err(err, SCIPRUNE_ENOMEM, jpath, -1, -1, "cannot build JSON");
        goto done;
    }
    if ((st = index_json_write(jpath, j, err))) goto done;
    if (info) {
        memset(info, 0, sizeof *info);
        info->k_requested = s->k;
        info->k = (int)k;
        info->d = ix->d;
        info->n_records = nrec;
        info->n_accepted = nacc;
        info->seconds = secs;
    }
done:
    json_decref(j);
    free(mine);
    free(red);
    free(job.counts);
    free(job.rows);
    free(job.accepted);
    free(dir);
    free(jpath);
    sciprune_index_free(ix);
    return st;
}

sciprune_status sciprune_index_assign_shards(const char *workdir,
                                             const sciprune_shard_set *shards,
                                             const sciprune_index_settings *s,
                                             sciprune_index_info *info, sciprune_error *err)
{
    return assign_run(workdir, shards, s, NULL, info, err);
}

sciprune_status sciprune_index_assign_part(const char *workdir, const sciprune_shard_set *shards,
                                           const sciprune_index_settings *s,
                                           const sciprune_ranks *ranks,
                                           sciprune_index_info *info, sciprune_error *err)
{
    return assign_run(workdir, shards, s, ranks, info, err);
}
