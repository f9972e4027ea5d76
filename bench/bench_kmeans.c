/* bench_kmeans.c - the floor for `sciprune index`: FAISS k-means alone, through the FAISS C API,
 * on a training sample already in memory-ready form, with the settings sciprune uses
 * (spherical k-means on an IndexFlatIP, same k, niter, seed, no subsampling).
 *
 *   bench_kmeans SAMPLE.npy K NITER SEED THREADS [CENTROIDS.npy]
 *
 * SAMPLE.npy: '<f4', C order, n x d, the normalised sample in sciprune's order (written by
 * bench/reference/scip_ref.py --dump-sample). Prints JSON {"n", "d", "k", "load_seconds",
 * "train_seconds", "same_centroids"}; with CENTROIDS.npy (index/centroids.npy) it checks that
 * FAISS alone found bit-identical centroids, i.e. that it did exactly sciprune's work.
 * Including FAISS outside index/ is allowed here only: this is the floor, not the library. */
#include <c_api/Clustering_c.h>
#include <c_api/IndexFlat_c.h>
#include <c_api/error_c.h>

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Minimal .npy v1/v2 reader for '<f4' C-order 2-d arrays. Returns malloc'd data. */
static float *npy_read(const char *path, size_t *rows, size_t *cols)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char pre[12];
    float *x = NULL;
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6)) goto out;
    size_t hl = pre[8] | (size_t)pre[9] << 8;
    if (pre[6] >= 2) {
        if (fread(pre + 10, 1, 2, f) != 2) goto out;
        hl |= (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    }
    char *h = calloc(1, hl + 1);
    if (!h || fread(h, 1, hl, f) != hl) { free(h); goto out; }
    const char *s = strstr(h, "'shape': (");
    if (!strstr(h, "'<f4'") || strstr(h, "'fortran_order': True") || !s) { free(h); goto out; }
    unsigned long long r = 0, c = 1;
    if (sscanf(s + 10, "%llu, %llu", &r, &c) < 1) { free(h); goto out; }
    free(h);
    x = malloc((r * c > 0 ? r * c : 1) * sizeof *x);
    if (x && fread(x, sizeof *x, r * c, f) != r * c) { free(x); x = NULL; }
    *rows = r;
    *cols = c;
out:
    fclose(f);
    return x;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: bench_kmeans SAMPLE.npy K NITER SEED THREADS [CENTROIDS.npy]\n");
        return 2;
    }
    double t0 = now();
    size_t n, d;
    float *x = npy_read(argv[1], &n, &d);
    if (!x) { fprintf(stderr, "bench_kmeans: cannot read %s\n", argv[1]); return 1; }
    int k = atoi(argv[2]), niter = atoi(argv[3]), threads = atoi(argv[5]);
    long long seed = atoll(argv[4]);
    if (threads > 0) omp_set_num_threads(threads);
    double t1 = now();
    FaissClusteringParameters cp;
    faiss_ClusteringParameters_init(&cp);
    cp.niter = niter;
    cp.nredo = 1;
    cp.verbose = 0;
    cp.spherical = 1;
    cp.min_points_per_centroid = 1;
    cp.max_points_per_centroid = 256;
    cp.seed = (int)(seed & 0x7fffffff);
    FaissClustering *cl = NULL;
    FaissIndexFlatIP *ix = NULL;
    if (faiss_Clustering_new_with_params(&cl, (int)d, k, &cp) || faiss_IndexFlatIP_new_with(&ix, (idx_t)d) ||
        faiss_Clustering_train(cl, (idx_t)n, x, (FaissIndex *)ix)) {
        fprintf(stderr, "bench_kmeans: FAISS: %s\n", faiss_get_last_error());
        return 1;
    }
    double t2 = now();
    float *c = NULL;
    size_t cs = 0;
    faiss_Clustering_centroids(cl, &c, &cs);
    int same = -1;
    if (argc > 6) {
        size_t cr, cc;
        float *want = npy_read(argv[6], &cr, &cc);
        same = want && cr * cc == cs && !memcmp(want, c, cs * sizeof *c);
        free(want);
    }
    printf("{\"n\": %zu, \"d\": %zu, \"k\": %d, \"threads\": %d, \"load_seconds\": %.4f, "
           "\"train_seconds\": %.4f, \"same_centroids\": %s}\n",
           n, d, k, threads, t1 - t0, t2 - t1, same < 0 ? "null" : same ? "true" : "false");
    faiss_Index_free((FaissIndex *)ix);
    faiss_Clustering_free(cl);
    free(x);
    return 0;
}
