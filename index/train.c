/*
 * train.c - the hash-based training sample and FAISS k-means (stage 3, first half).
 *
 * Sample. Every accepted record (status != 1) gets h = XXH3_64("<shard name>:<line>", seed),
 * line = row + 1. The sample is the M = max_points_per_centroid * k records with the smallest
 * (h, shard name, line). One pass keeps the records under a threshold chosen so that about
 * M + 4 sqrt(M) + 64 of the accepted records fall under it (expected), then sorts them and
 * keeps the first M. Being a function of the record addresses and the seed only, the sample
 * and its order do not depend on the order of the shards, the thread count or an MPI rank
 * count; sorting by hash also makes FAISS's own seeded initialisation (it picks k random
 * training points) independent of them. FAISS never subsamples: we pass at most M points.
 *
 * k-means. FAISS Clustering with an IndexFlatIP and spherical = 1 for cosine (vectors
 * L2-normalised first, centroids renormalised each iteration), IndexFlatL2 otherwise. FAISS's
 * min_points_per_centroid warning (printed on stderr) is disabled: we lower k ourselves when
 * there are fewer than min_points_per_centroid * k accepted records, and say so.
 *
 * Files written: index/centroids.npy ('<f4', k x d), index/kmeans.faiss (a flat index holding
 * the centroids, written by faiss_write_index_fname to a temp name, then renamed),
 * index/train.json (settings, sizes, warnings, wall time, peak RSS).
 */
#include "index_int.h"

#include <c_api/Clustering_c.h>
#include <c_api/IndexFlat_c.h>
#include <c_api/index_io_c.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sciprune_index_settings_default(sciprune_index_settings *s)
{
    memset(s, 0, sizeof *s);
    s->k = 100;
    s->niter = 20;
    s->nredo = 1;
    s->seed = 1234;
    s->space = SCIPRUNE_SPACE_COSINE;
    s->max_points_per_centroid = 256;
    s->min_points_per_centroid = 39;
    s->threads = 0;
    s->batch_rows = 8192;
}

typedef struct sample_ent {
    uint64_t h;
    uint64_t row;
    uint32_t shard;
    uint32_t dest;    /* position in the training matrix (hash order) */
    const char *name; /* borrowed from the shard set */
} sample_ent;

static int cmp_sample(const void *pa, const void *pb)
{
    const sample_ent *a = pa, *b = pb;
    if (a->h != b->h) return a->h < b->h ? -1 : 1;
    int c = strcmp(a->name, b->name);
    if (c) return c;
    return a->row < b->row ? -1 : a->row > b->row;
}

static int cmp_sample_addr(const void *pa, const void *pb)
{
    const sample_ent *a = pa, *b = pb;
    if (a->shard != b->shard) return a->shard < b->shard ? -1 : 1;
    return a->row < b->row ? -1 : a->row > b->row;
}

static sciprune_status check_settings(const sciprune_index_settings *s, sciprune_error *err)
{
    if (s->k < 1 || s->niter < 1 || s->nredo < 1 || s->max_points_per_centroid < 1 ||
        s->min_points_per_centroid < 1 || s->threads < 0 ||
        (s->space != SCIPRUNE_SPACE_COSINE && s->space != SCIPRUNE_SPACE_L2))
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1,
                      "bad index settings (k, niter, nredo, points per centroid must be >= 1)");
    if ((uint64_t)s->k * (uint64_t)s->max_points_per_centroid > ((uint64_t)1 << 31))
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1,
                      "k * max_points_per_centroid is too large (at most 2^31)");
    return SCIPRUNE_OK;
}

/* Open every shard's embeddings and check they agree on d. */
static sciprune_status open_all(index_embed **out, const char *workdir,
                                const sciprune_shard_set *sh, sciprune_error *err)
{
    index_embed *e = calloc(sh->n ? sh->n : 1, sizeof *e);
    if (!e) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    sciprune_status st = SCIPRUNE_OK;
    size_t i;
    for (i = 0; i < sh->n; i++) {
        st = index_embed_open(&e[i], workdir, sh->names[i], err);
        if (st) break;
        if (e[i].d != e[0].d) {
            st = sp_err(err, SCIPRUNE_EPARSE, sh->names[i], -1, -1,
                        "embedding dimension %d differs from %d in %s", e[i].d, e[0].d,
                        sh->names[0]);
            i++;
            break;
        }
    }
    if (st) {
        for (size_t j = 0; j < i; j++) index_embed_close(&e[j]);
        free(e);
        return st;
    }
    *out = e;
    return SCIPRUNE_OK;
}

static sciprune_status write_index_file(const char *path, const float *cent, int k, int d,
                                        sciprune_space space, sciprune_error *err)
{
    FaissIndex *ix = NULL;
    int rc = space == SCIPRUNE_SPACE_COSINE ? faiss_IndexFlatIP_new_with((FaissIndexFlatIP **)&ix, d)
                                            : faiss_IndexFlatL2_new_with((FaissIndexFlatL2 **)&ix, d);
    if (rc) return index_faiss_err(err, path, "cannot create index");
    sciprune_status st = SCIPRUNE_OK;
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp) {
        st = sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
        goto done;
    }
    snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
    if (faiss_Index_add(ix, k, cent)) {
        st = index_faiss_err(err, path, "cannot add centroids");
        goto done;
    }
    if (faiss_write_index_fname(ix, tmp)) {
        st = index_faiss_err(err, path, "cannot write index");
        unlink(tmp);
        goto done;
    }
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        st = sp_err_errno(err, SCIPRUNE_EIO, path, errno, "fsync failed");
        if (fd >= 0) close(fd);
        unlink(tmp);
        goto done;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        st = sp_err_errno(err, SCIPRUNE_EIO, path, errno, "rename failed");
        unlink(tmp);
    }
done:
    free(tmp);
    faiss_Index_free(ix);
    return st;
}

/* Objective of the final centroids on the sample: sum of best similarities (cosine) or of
 * squared distances (l2). */
static sciprune_status objective(const float *x, size_t n, const float *cent, int k, int d,
                                 sciprune_space space, double *obj, sciprune_error *err)
{
    FaissIndex *ix = NULL;
    int rc = space == SCIPRUNE_SPACE_COSINE ? faiss_IndexFlatIP_new_with((FaissIndexFlatIP **)&ix, d)
                                            : faiss_IndexFlatL2_new_with((FaissIndexFlatL2 **)&ix, d);
    if (rc) return index_faiss_err(err, NULL, "cannot create index");
    sciprune_status st = SCIPRUNE_OK;
    float *D = malloc(4096 * sizeof *D);
    idx_t *I = malloc(4096 * sizeof *I);
    if (!D || !I) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto done;
    }
    if (faiss_Index_add(ix, k, cent)) {
        st = index_faiss_err(err, NULL, "cannot add centroids");
        goto done;
    }
    double sum = 0;
    for (size_t i = 0; i < n; i += 4096) {
        size_t b = n - i < 4096 ? n - i : 4096;
        if (faiss_Index_search(ix, (idx_t)b, x + i * (size_t)d, 1, D, I)) {
            st = index_faiss_err(err, NULL, "search failed");
            goto done;
        }
        for (size_t j = 0; j < b; j++) sum += D[j];
    }
    *obj = sum;
done:
    free(D);
    free(I);
    faiss_Index_free(ix);
    return st;
}

/* The training sample: the accepted records whose XXH3("<shard>:<line>", seed) is under a
 * threshold, sorted by hash and cut to max_points_per_centroid * k, copied (normalised for
 * cosine) into *xo (n x d, hash order; caller frees) shard by shard. Sets inf->n_sample.
 * Errors: ENOMEM, EPARSE (NaN or infinite values). */
static sciprune_status draw_sample(index_embed *e, const sciprune_shard_set *shards,
                                   const sciprune_index_settings *s, int k,
                                   sciprune_index_info *inf, float **xo, size_t *no,
                                   sciprune_error *err)
{
    sciprune_status st = SCIPRUNE_OK;
    const int d = e[0].d;
    sample_ent *ents = NULL;
    char *key = NULL;
    float *x = NULL;
    size_t n = 0, keycap = 0;
    for (size_t i = 0; i < shards->n; i++) {
        size_t l = strlen(shards->names[i]) + 24;
        if (l > keycap) keycap = l;
    }
    const uint64_t M = (uint64_t)s->max_points_per_centroid * (uint64_t)k;
    int take_all = 1;
    uint64_t thr = 0;
    if (inf->n_accepted > M) {
        double q = ((double)M + 4.0 * sqrt((double)M) + 64.0) / (double)inf->n_accepted;
        if (q < 1.0) {
            take_all = 0;
            thr = (uint64_t)(q * 18446744073709551616.0);
        }
    }

    /* The sample: accepted records under the threshold, sorted, cut to M. */
    size_t cap = take_all ? (size_t)inf->n_accepted : (size_t)(M + 8 * sqrt((double)M) + 256);
    ents = malloc((cap ? cap : 1) * sizeof *ents);
    key = malloc(keycap);
    if (!ents || !key) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory for the sample");
        goto out;
    }
    for (size_t i = 0; i < shards->n; i++) {
        for (uint64_t r = 0; r < e[i].rows; r++) {
            if (!index_embed_row_ok(&e[i], r)) continue;
            int kl = snprintf(key, keycap, "%s:%llu", shards->names[i], (unsigned long long)r + 1);
            uint64_t h = sp_hash64(key, (size_t)kl, s->seed);
            if (!take_all && h >= thr) continue;
            if (n == cap) {
                size_t nc = cap * 2;
                sample_ent *ne = realloc(ents, nc * sizeof *ne);
                if (!ne) {
                    st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory for the sample");
                    goto out;
                }
                ents = ne;
                cap = nc;
            }
            ents[n++] = (sample_ent){.h = h, .row = r, .shard = (uint32_t)i, .dest = 0, .name = shards->names[i]};
        }
    }
    qsort(ents, n, sizeof *ents, cmp_sample);
    if (n > M) n = (size_t)M;
    inf->n_sample = n;
    x = malloc((n ? n : 1) * (size_t)d * sizeof *x);
    if (!x) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory for %zu training vectors", n);
        goto out;
    }
    /* Copy the sample shard by shard, in row order (each row to its place in hash order, which
     * FAISS sees), dropping each shard's pages once read: memory stays flat in corpus size. */
    for (size_t i = 0; i < n; i++) ents[i].dest = (uint32_t)i;
    qsort(ents, n, sizeof *ents, cmp_sample_addr);
    for (size_t i = 0; i < n; i++) {
        float *v = x + (size_t)ents[i].dest * (size_t)d;
        index_embed_row(&e[ents[i].shard], ents[i].row, v);
        if (!index_finite(v, (size_t)d)) {
            st = sp_err(err, SCIPRUNE_EPARSE, shards->names[ents[i].shard], (int64_t)ents[i].row + 1,
                        -1, "embedding has NaN or infinite values");
            goto out;
        }
        if (s->space == SCIPRUNE_SPACE_COSINE) index_normalize(v, (size_t)d);
        if (i + 1 == n || ents[i + 1].shard != ents[i].shard) index_embed_release(&e[ents[i].shard]);
    }
    sp_log(SCIPRUNE_LOG_INFO, "k-means: %zu of %llu accepted records, d=%d, k=%d, %s", n,
           (unsigned long long)inf->n_accepted, d, k, sciprune_space_name(s->space));
    *xo = x;
    *no = n;
    x = NULL;
out:
    free(ents);
    free(key);
    free(x);
    return st;
}

/* FAISS k-means on x (n x d) into cent (k x d, caller-owned). Errors: EBACKEND. */
static sciprune_status run_kmeans(const sciprune_index_settings *s, const float *x, size_t n,
                                  int d, int k, float *cent, sciprune_error *err)
{
    sciprune_status st = SCIPRUNE_OK;
    FaissClustering *cl = NULL;
    FaissIndex *tix = NULL;
    FaissClusteringParameters cp;
    faiss_ClusteringParameters_init(&cp);
    cp.niter = s->niter;
    cp.nredo = s->nredo;
    cp.verbose = 0;
    cp.spherical = s->space == SCIPRUNE_SPACE_COSINE;
    cp.min_points_per_centroid = 1; /* we lowered k ourselves; no stderr warning */
    cp.max_points_per_centroid = s->max_points_per_centroid;
    cp.seed = (int)(s->seed & 0x7fffffff);
    if (faiss_Clustering_new_with_params(&cl, d, k, &cp)) {
        st = index_faiss_err(err, NULL, "cannot create clustering");
        goto out;
    }
    int rc = cp.spherical ? faiss_IndexFlatIP_new_with((FaissIndexFlatIP **)&tix, d)
                          : faiss_IndexFlatL2_new_with((FaissIndexFlatL2 **)&tix, d);
    if (rc) {
        st = index_faiss_err(err, NULL, "cannot create index");
        goto out;
    }
    if (faiss_Clustering_train(cl, (idx_t)n, x, tix)) {
        st = index_faiss_err(err, NULL, "k-means failed");
        goto out;
    }
    float *cp_cent = NULL;
    size_t csize = 0;
    faiss_Clustering_centroids(cl, &cp_cent, &csize);
    if (!cp_cent || csize != (size_t)k * (size_t)d) {
        st = sp_err(err, SCIPRUNE_EBACKEND, NULL, -1, -1, "FAISS returned %zu centroid values, want %zu",
                    csize, (size_t)k * (size_t)d);
        goto out;
    }
    memcpy(cent, cp_cent, csize * sizeof *cent);
out:
    if (tix) faiss_Index_free(tix);
    if (cl) faiss_Clustering_free(cl);
    return st;
}

sciprune_status sciprune_index_train(const char *workdir, const sciprune_shard_set *shards,
                                     const sciprune_index_settings *s, sciprune_index_info *info,
                                     sciprune_error *err)
{
    double t0 = sp_now();
    sciprune_index_info inf;
    memset(&inf, 0, sizeof inf);
    sciprune_status st = check_settings(s, err);
    if (st) return st;
    if (!shards || shards->n == 0)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "no shards");
    index_embed *e = NULL;
    float *x = NULL, *cent = NULL;
    char *dir = NULL, *cpath = NULL, *ipath = NULL, *jpath = NULL;
    json_t *j = NULL;
    int omp_old = omp_get_max_threads();
    omp_set_num_threads(sp_threads(s->threads, SP_THREADS_MAX)); /* affinity, Slurm */

    st = open_all(&e, workdir, shards, err);
    if (st) goto fail;
    const int d = e[0].d;
    inf.d = d;
    inf.k_requested = s->k;
    for (size_t i = 0; i < shards->n; i++) {
        inf.n_records += e[i].rows;
        for (uint64_t r = 0; r < e[i].rows; r++) inf.n_accepted += (uint64_t)index_embed_row_ok(&e[i], r);
    }
    if (inf.n_accepted == 0) {
        st = sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "no accepted record to cluster");
        goto fail;
    }
    int k = s->k;
    if (inf.n_accepted < (uint64_t)s->min_points_per_centroid * (uint64_t)k) {
        uint64_t nk = inf.n_accepted / (uint64_t)s->min_points_per_centroid;
        k = nk < 1 ? 1 : (int)nk;
        snprintf(inf.warning, sizeof inf.warning,
                 "k lowered from %d to %d: only %llu accepted records, k-means wants at least "
                 "%d per centroid",
                 s->k, k, (unsigned long long)inf.n_accepted, s->min_points_per_centroid);
        sp_log(SCIPRUNE_LOG_WARN, "%s", inf.warning);
    }
    inf.k = k;
    size_t n = 0;
    if ((st = draw_sample(e, shards, s, k, &inf, &x, &n, err))) goto fail;
    cent = malloc((size_t)k * (size_t)d * sizeof *cent);
    if (!cent) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory for the centroids");
        goto fail;
    }

    if ((st = run_kmeans(s, x, n, d, k, cent, err))) goto fail;
    st = objective(x, n, cent, k, d, s->space, &inf.objective, err);
    if (st) goto fail;

    dir = sp_wdir_path(workdir, SP_WD_INDEX);
    cpath = sp_wpath(workdir, SP_WF_CENTROIDS, NULL);
    ipath = sp_wpath(workdir, SP_WF_KMEANS, NULL);
    jpath = sp_wpath(workdir, SP_WF_TRAIN, NULL);
    if (!dir || !cpath || !ipath || !jpath) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto fail;
    }
    if ((st = sp_mkdirs(dir, err))) goto fail;
    if ((st = sp_npy_write(cpath, SP_NPY_F32, (uint64_t)k, (uint64_t)d, cent, err))) goto fail;
    if ((st = write_index_file(ipath, cent, k, d, s->space, err))) goto fail;

    inf.seconds = sp_now() - t0;
    json_t *names = json_array(), *warns = json_array();
    j = json_pack("{s:i, s:i, s:i, s:s, s:i, s:i, s:I, s:i, s:i, s:I, s:I, s:I, s:f, s:o, s:o,"
                  " s:f, s:I}",
                  "k_requested", s->k, "k", k, "d", d, "metric", sciprune_space_name(s->space),
                  "niter", s->niter, "nredo", s->nredo, "seed", (json_int_t)s->seed,
                  "max_points_per_centroid", s->max_points_per_centroid,
                  "min_points_per_centroid", s->min_points_per_centroid,
                  "n_records", (json_int_t)inf.n_records, "n_accepted", (json_int_t)inf.n_accepted,
                  "n_sample", (json_int_t)inf.n_sample, "objective", inf.objective,
                  "shards", names, "warnings", warns, "seconds", inf.seconds,
                  "peak_rss", (json_int_t)sp_peak_rss());
    if (!j) {
        st = sp_err(err, SCIPRUNE_ENOMEM, jpath, -1, -1, "cannot build JSON");
        goto fail;
    }
    for (size_t i = 0; i < shards->n; i++) json_array_append_new(names, json_string(shards->names[i]));
    if (inf.warning[0]) json_array_append_new(warns, json_string(inf.warning));
    st = index_json_write(jpath, j, err);
    if (st) goto fail;
    if (info) *info = inf;

fail:
    json_decref(j);
    if (e)
        for (size_t i = 0; i < shards->n; i++) index_embed_close(&e[i]);
    free(e);
    free(x);
    free(cent);
    free(dir);
    free(cpath);
    free(ipath);
    free(jpath);
    omp_set_num_threads(omp_old);
    return st;
}
