/* test_index.c - index/: shard sets, hash-sampled k-means, k lowering, assignment, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../shard/sp_npy.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char g_dir[256];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/sciprune-test-index-XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A fresh workdir under g_dir. */
static const char *workdir(const char *name)
{
    static char w[400];
    snprintf(w, sizeof w, "%s/%s", g_dir, name);
    char cmd[1000];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s/embed'", w, w);
    assert_int_equal(system(cmd), 0);
    return w;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Deterministic normal-ish noise (sum of uniforms). */
static uint64_t g_rng = 88172645463325252ull;
static double urand(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (double)(g_rng >> 11) / 9007199254740992.0;
}
static double nrand(void) { return urand() + urand() + urand() + urand() - 2.0; }

#define D 8

/* n rows around axis-aligned blob centers: row i belongs to blob (i % blobs); `status` rows
 * marked 1 every `rej_every` rows (0 = none). */
static void write_blobs(const char *w, const char *shard, size_t n, int blobs, int rej_every,
                        int f16)
{
    float *x = calloc(n * D, sizeof *x);
    uint16_t *h = calloc(n * D, sizeof *h);
    uint8_t *st = calloc(n, 1);
    for (size_t i = 0; i < n; i++) {
        if (rej_every && i % (size_t)rej_every == 1) {
            st[i] = 1;
            continue;
        }
        for (int j = 0; j < D; j++) x[i * D + j] = (float)(0.05 * nrand());
        x[i * D + (i % (size_t)blobs)] += (float)(1.0 + 2.0 * urand()); /* scale varies */
        for (int j = 0; j < D; j++) h[i * D + j] = sp_f32_to_f16(x[i * D + j]);
    }
    char p[600];
    snprintf(p, sizeof p, "%s/embed/%s.npy", w, shard);
    if (f16) assert_int_equal(sp_npy_write(p, SP_NPY_F16, n, D, h, NULL), SCIPRUNE_OK);
    else assert_int_equal(sp_npy_write(p, SP_NPY_F32, n, D, x, NULL), SCIPRUNE_OK);
    snprintf(p, sizeof p, "%s/embed/%s.status.npy", w, shard);
    assert_int_equal(sp_npy_write(p, SP_NPY_U8, n, 0, st, NULL), SCIPRUNE_OK);
    free(x);
    free(h);
    free(st);
}

static sciprune_shard_set *names2(const char *a, const char *b)
{
    const char *p[2] = {a, b};
    sciprune_shard_set *s = NULL;
    assert_int_equal(sciprune_shard_set_from_paths(&s, p, b ? 2 : 1, NULL), SCIPRUNE_OK);
    return s;
}

static void test_settings_default(void **state)
{
    (void)state;
    sciprune_index_settings s;
    sciprune_index_settings_default(&s);
    assert_int_equal(s.k, 100);
    assert_int_equal(s.niter, 20);
    assert_int_equal(s.nredo, 1);
    assert_int_equal(s.space, SCIPRUNE_SPACE_COSINE);
    assert_int_equal(s.max_points_per_centroid, 256);
    assert_int_equal(s.min_points_per_centroid, 39);
    assert_string_equal(sciprune_space_name(SCIPRUNE_SPACE_L2), "l2");
    sciprune_space sp;
    assert_int_equal(sciprune_space_parse("l2", &sp, NULL), SCIPRUNE_OK);
    assert_int_equal(sp, SCIPRUNE_SPACE_L2);
    assert_int_equal(sciprune_space_parse("manhattan", &sp, NULL), SCIPRUNE_EINVAL);
    sciprune_shard_set_free(NULL);
    sciprune_index_free(NULL);
}

static void test_shard_set_forms(void **state)
{
    (void)state;
    const char *w = workdir("sets");
    char p[600];
    sciprune_shard_set *s = NULL;
    sciprune_error e;
    /* no shards.json: *.jsonl[.zst].npy sorted by name; other .npy files ignored */
    write_blobs(w, "b.jsonl.zst", 4, 2, 0, 0);
    write_blobs(w, "a.jsonl", 4, 2, 0, 0);
    write_blobs(w, "idf", 4, 2, 0, 0);
    assert_int_equal(sciprune_shard_set_load(&s, w, &e), SCIPRUNE_OK);
    assert_int_equal(s->n, 2);
    assert_string_equal(s->names[0], "a.jsonl");
    assert_string_equal(s->names[1], "b.jsonl.zst");
    assert_null(s->paths[0]);
    sciprune_shard_set_free(s);
    /* array of paths and names */
    snprintf(p, sizeof p, "%s/embed/shards.json", w);
    write_file(p, "[\"/data/x/b.jsonl.zst\", \"a.jsonl\"]");
    assert_int_equal(sciprune_shard_set_load(&s, w, &e), SCIPRUNE_OK);
    assert_int_equal(s->n, 2);
    assert_string_equal(s->names[0], "b.jsonl.zst");
    assert_string_equal(s->paths[0], "/data/x/b.jsonl.zst");
    assert_string_equal(s->names[1], "a.jsonl");
    assert_null(s->paths[1]);
    sciprune_shard_set_free(s);
    /* object form */
    write_file(p, "{\"shards\": [{\"path\": \"/d/a.jsonl\"}, {\"name\": \"b.jsonl.zst\", \"path\": \"/e/b\"}]}");
    assert_int_equal(sciprune_shard_set_load(&s, w, &e), SCIPRUNE_OK);
    assert_string_equal(s->names[0], "a.jsonl");
    assert_string_equal(s->names[1], "b.jsonl.zst");
    assert_string_equal(s->paths[1], "/e/b");
    sciprune_shard_set_free(s);
    /* errors: duplicate names, bad JSON, nothing at all */
    write_file(p, "[\"/x/a.jsonl\", \"/y/a.jsonl\"]");
    assert_int_equal(sciprune_shard_set_load(&s, w, &e), SCIPRUNE_EINVAL);
    assert_null(s);
    write_file(p, "{\"shards\": 3}");
    assert_int_equal(sciprune_shard_set_load(&s, w, &e), SCIPRUNE_EPARSE);
    write_file(p, "[1, 2");
    assert_int_equal(sciprune_shard_set_load(&s, w, &e), SCIPRUNE_EPARSE);
    assert_int_equal(sciprune_shard_set_load(&s, workdir("empty"), &e), SCIPRUNE_EINVAL);
    snprintf(p, sizeof p, "%s/none", g_dir);
    assert_int_equal(sciprune_shard_set_load(&s, p, &e), SCIPRUNE_EIO);
    const char *dup[2] = {"x/a.jsonl", "y/a.jsonl"};
    assert_int_equal(sciprune_shard_set_from_paths(&s, dup, 2, &e), SCIPRUNE_EINVAL);
    assert_int_equal(sciprune_shard_set_from_paths(&s, dup, 0, &e), SCIPRUNE_EINVAL);
}

static int g_warned;
static char g_warning[512];
static void capture(void *user, sciprune_log_level level, const char *msg)
{
    (void)user;
    if (level == SCIPRUNE_LOG_WARN) {
        g_warned++;
        snprintf(g_warning, sizeof g_warning, "%s", msg);
    }
}

/* Three blobs, two shards (one float16, with rejected rows): every blob lands in one cluster of
 * its own, rejected rows get -1, the loaded index assigns like the files say. */
static void test_train_assign_blobs(void **state)
{
    (void)state;
    const char *w = workdir("blobs");
    write_blobs(w, "a.jsonl", 300, 3, 0, 0);
    write_blobs(w, "b.jsonl.zst", 300, 3, 10, 1);
    sciprune_shard_set *sh = names2("a.jsonl", "b.jsonl.zst");
    sciprune_index_settings s;
    sciprune_index_settings_default(&s);
    s.k = 3;
    s.nredo = 3;
    s.threads = 2;
    sciprune_index_info info;
    sciprune_error e;
    g_warned = 0;
    sciprune_set_logger(capture, NULL);
    assert_int_equal(sciprune_index_train(w, sh, &s, &info, &e), SCIPRUNE_OK);
    assert_int_equal(g_warned, 0);
    assert_int_equal(info.k, 3);
    assert_int_equal(info.d, D);
    assert_int_equal(info.n_records, 600);
    assert_int_equal(info.n_accepted, 570);
    assert_int_equal(info.n_sample, 570);
    assert_string_equal(info.warning, "");
    assert_int_equal(sciprune_index_assign_shards(w, sh, &s, &info, &e), SCIPRUNE_OK);

    char p[600];
    sp_npy c[2], dd[2];
    int blob_cluster[3] = {-1, -1, -1};
    for (int f = 0; f < 2; f++) {
        snprintf(p, sizeof p, "%s/assign/%s.cluster.npy", w, sh->names[f]);
        assert_int_equal(sp_npy_open(&c[f], p, &e), SCIPRUNE_OK);
        snprintf(p, sizeof p, "%s/assign/%s.dist.npy", w, sh->names[f]);
        assert_int_equal(sp_npy_open(&dd[f], p, &e), SCIPRUNE_OK);
        assert_int_equal(c[f].rows, 300);
        const int32_t *cl = c[f].data;
        const float *ds = dd[f].data;
        for (size_t i = 0; i < 300; i++) {
            if (f == 1 && i % 10 == 1) {
                assert_int_equal(cl[i], -1);
                assert_true(ds[i] == 0.0f);
                continue;
            }
            assert_in_range(cl[i], 0, 2);
            if (blob_cluster[i % 3] < 0) blob_cluster[i % 3] = cl[i];
            assert_int_equal(cl[i], blob_cluster[i % 3]);
            assert_true(ds[i] >= -1e-6f && ds[i] < 0.05f); /* tight blobs, cosine */
        }
    }
    assert_int_not_equal(blob_cluster[0], blob_cluster[1]);
    assert_int_not_equal(blob_cluster[1], blob_cluster[2]);
    assert_int_not_equal(blob_cluster[0], blob_cluster[2]);

    /* online assignment of the same vectors gives the same clusters */
    sciprune_index *ix = NULL;
    assert_int_equal(sciprune_index_open(&ix, w, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_index_k(ix), 3);
    assert_int_equal(sciprune_index_dim(ix), D);
    assert_int_equal(sciprune_index_space(ix), SCIPRUNE_SPACE_COSINE);
    snprintf(p, sizeof p, "%s/embed/a.jsonl.npy", w);
    sp_npy x;
    assert_int_equal(sp_npy_open(&x, p, &e), SCIPRUNE_OK);
    int32_t cl2[300];
    float d2[300];
    assert_int_equal(sciprune_index_assign(ix, x.data, 300, cl2, d2, &e), SCIPRUNE_OK);
    for (size_t i = 0; i < 300; i++) {
        assert_int_equal(cl2[i], ((const int32_t *)c[0].data)[i]);
        assert_true(fabsf(d2[i] - ((const float *)dd[0].data)[i]) < 1e-5f);
    }
    sp_npy_close(&x);
    sciprune_index_free(ix);
    for (int f = 0; f < 2; f++) {
        sp_npy_close(&c[f]);
        sp_npy_close(&dd[f]);
    }
    /* clusters.json and train.json exist; the centroids are unit length */
    snprintf(p, sizeof p, "%s/index/clusters.json", w);
    assert_true(sp_exists(p));
    snprintf(p, sizeof p, "%s/index/centroids.npy", w);
    sp_npy cent;
    assert_int_equal(sp_npy_open(&cent, p, &e), SCIPRUNE_OK);
    assert_int_equal(cent.rows, 3);
    assert_int_equal(cent.cols, D);
    for (int r = 0; r < 3; r++) {
        double n2 = 0;
        for (int j = 0; j < D; j++) n2 += pow(((const float *)cent.data)[r * D + j], 2);
        assert_true(fabs(n2 - 1.0) < 1e-4);
    }
    sp_npy_close(&cent);
    sciprune_set_logger(NULL, NULL);
    sciprune_shard_set_free(sh);
}

/* Fewer than 39 * k accepted records: k lowered, with a warning logged and returned. */
static void test_train_k_lowered(void **state)
{
    (void)state;
    const char *w = workdir("tiny");
    write_blobs(w, "t.jsonl", 120, 2, 0, 0);
    sciprune_shard_set *sh = names2("t.jsonl", NULL);
    sciprune_index_settings s;
    sciprune_index_settings_default(&s);
    s.k = 10;
    sciprune_index_info info;
    sciprune_error e;
    g_warned = 0;
    g_warning[0] = 0;
    sciprune_set_logger(capture, NULL);
    assert_int_equal(sciprune_index_train(w, sh, &s, &info, &e), SCIPRUNE_OK);
    sciprune_set_logger(NULL, NULL);
    assert_int_equal(info.k, 3); /* 120 / 39 */
    assert_int_equal(info.k_requested, 10);
    assert_int_equal(g_warned, 1);
    assert_non_null(strstr(g_warning, "k lowered from 10 to 3"));
    assert_string_equal(info.warning, g_warning);
    /* even one record trains one centroid */
    w = workdir("one");
    write_blobs(w, "t.jsonl", 1, 1, 0, 0);
    assert_int_equal(sciprune_index_train(w, sh, &s, &info, &e), SCIPRUNE_OK);
    assert_int_equal(info.k, 1);
    assert_int_equal(sciprune_index_assign_shards(w, sh, &s, &info, &e), SCIPRUNE_OK);
    sciprune_shard_set_free(sh);
}

/* The sample is capped at max_points_per_centroid * k and does not depend on shard order. */
static void test_train_sample_order_independent(void **state)
{
    (void)state;
    const char *w = workdir("order");
    write_blobs(w, "a.jsonl", 700, 4, 7, 0);
    write_blobs(w, "b.jsonl", 500, 4, 0, 1);
    sciprune_index_settings s;
    sciprune_index_settings_default(&s);
    s.k = 4;
    s.max_points_per_centroid = 50; /* cap 200 of 1100 accepted */
    s.min_points_per_centroid = 5;
    sciprune_index_info i1, i2;
    sciprune_error e;
    char p[600], q[600];
    sciprune_shard_set *ab = names2("a.jsonl", "b.jsonl"), *ba = names2("b.jsonl", "a.jsonl");
    assert_int_equal(sciprune_index_train(w, ab, &s, &i1, &e), SCIPRUNE_OK);
    assert_int_equal(i1.n_sample, 200);
    assert_int_equal(i1.n_accepted, 700 - 100 + 500);
    snprintf(p, sizeof p, "%s/index/centroids.npy", w);
    snprintf(q, sizeof q, "%s/first.npy", g_dir);
    assert_int_equal(rename(p, q), 0);
    s.threads = 1;
    assert_int_equal(sciprune_index_train(w, ba, &s, &i2, &e), SCIPRUNE_OK);
    assert_int_equal(i2.n_sample, 200);
    char *a = NULL, *b = NULL;
    size_t la, lb;
    assert_int_equal(sp_read_file(p, &a, &la, &e), SCIPRUNE_OK);
    assert_int_equal(sp_read_file(q, &b, &lb, &e), SCIPRUNE_OK);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    free(a);
    free(b);
    /* a different seed gives a different sample, hence (almost surely) other centroids */
    s.seed = 99;
    assert_int_equal(sciprune_index_train(w, ab, &s, &i2, &e), SCIPRUNE_OK);
    assert_int_equal(sp_read_file(p, &a, &la, &e), SCIPRUNE_OK);
    assert_int_equal(sp_read_file(q, &b, &lb, &e), SCIPRUNE_OK);
    assert_true(la != lb || memcmp(a, b, la) != 0);
    free(a);
    free(b);
    sciprune_shard_set_free(ab);
    sciprune_shard_set_free(ba);
}

static void test_train_errors(void **state)
{
    (void)state;
    const char *w = workdir("errors");
    sciprune_shard_set *sh = names2("a.jsonl", "b.jsonl");
    sciprune_index_settings s;
    sciprune_index_settings_default(&s);
    sciprune_error e;
    /* missing embeddings */
    assert_int_equal(sciprune_index_train(w, sh, &s, NULL, &e), SCIPRUNE_EIO);
    assert_non_null(strstr(e.source, "a.jsonl.npy"));
    /* dimensions disagree */
    write_blobs(w, "a.jsonl", 50, 2, 0, 0);
    float z[3 * 4] = {0};
    char p[600];
    snprintf(p, sizeof p, "%s/embed/b.jsonl.npy", w);
    assert_int_equal(sp_npy_write(p, SP_NPY_F32, 3, 4, z, NULL), SCIPRUNE_OK);
    assert_int_equal(sciprune_index_train(w, sh, &s, NULL, &e), SCIPRUNE_EPARSE);
    /* wrong dtype */
    int32_t zi[3 * 4] = {0};
    assert_int_equal(sp_npy_write(p, SP_NPY_I32, 3, 4, zi, NULL), SCIPRUNE_OK);
    assert_int_equal(sciprune_index_train(w, sh, &s, NULL, &e), SCIPRUNE_EPARSE);
    /* status of the wrong length */
    write_blobs(w, "b.jsonl", 50, 2, 0, 0);
    uint8_t st[7] = {0};
    snprintf(p, sizeof p, "%s/embed/b.jsonl.status.npy", w);
    assert_int_equal(sp_npy_write(p, SP_NPY_U8, 7, 0, st, NULL), SCIPRUNE_OK);
    assert_int_equal(sciprune_index_train(w, sh, &s, NULL, &e), SCIPRUNE_EPARSE);
    /* nothing accepted */
    sciprune_shard_set *one = names2("c.jsonl", NULL);
    uint8_t all1[5] = {1, 1, 1, 1, 1};
    float v[5 * 2] = {0};
    snprintf(p, sizeof p, "%s/embed/c.jsonl.npy", w);
    assert_int_equal(sp_npy_write(p, SP_NPY_F32, 5, 2, v, NULL), SCIPRUNE_OK);
    snprintf(p, sizeof p, "%s/embed/c.jsonl.status.npy", w);
    assert_int_equal(sp_npy_write(p, SP_NPY_U8, 5, 0, all1, NULL), SCIPRUNE_OK);
    assert_int_equal(sciprune_index_train(w, one, &s, NULL, &e), SCIPRUNE_EINVAL);
    /* NaN in an accepted row: training and assignment name the record */
    sciprune_shard_set *nanset = names2("n.jsonl", NULL);
    float nv[40 * 2];
    for (int i = 0; i < 80; i++) nv[i] = (float)(i % 7);
    nv[2 * 17 + 1] = NAN;
    snprintf(p, sizeof p, "%s/embed/n.jsonl.npy", w);
    assert_int_equal(sp_npy_write(p, SP_NPY_F32, 40, 2, nv, NULL), SCIPRUNE_OK);
    s.k = 1;
    assert_int_equal(sciprune_index_train(w, nanset, &s, NULL, &e), SCIPRUNE_EPARSE);
    assert_int_equal(e.line, 18);
    assert_string_equal(e.source, "n.jsonl");
    sciprune_index_settings_default(&s);
    sciprune_shard_set_free(nanset);
    /* bad settings */
    s.k = 0;
    assert_int_equal(sciprune_index_train(w, one, &s, NULL, &e), SCIPRUNE_EINVAL);
    sciprune_index_settings_default(&s);
    s.niter = -1;
    assert_int_equal(sciprune_index_train(w, one, &s, NULL, &e), SCIPRUNE_EINVAL);
    /* assignment before training; then with a dimension that no longer matches */
    sciprune_index_settings_default(&s);
    assert_int_equal(sciprune_index_assign_shards(w, one, &s, NULL, &e), SCIPRUNE_ESTATE);
    sciprune_shard_set *a = names2("a.jsonl", NULL);
    s.k = 1;
    assert_int_equal(sciprune_index_train(w, a, &s, NULL, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_index_assign_shards(w, one, &s, NULL, &e), SCIPRUNE_ESTATE);
    sciprune_index *ix = NULL;
    assert_int_equal(sciprune_index_open(&ix, g_dir, &e), SCIPRUNE_EIO);
    assert_null(ix);
    sciprune_shard_set_free(a);
    sciprune_shard_set_free(one);
    sciprune_shard_set_free(sh);
}

/* L2 k-means: distances are Euclidean, clusters still separate the blobs. */
static void test_train_l2(void **state)
{
    (void)state;
    const char *w = workdir("l2");
    write_blobs(w, "a.jsonl", 240, 2, 0, 0);
    sciprune_shard_set *sh = names2("a.jsonl", NULL);
    sciprune_index_settings s;
    sciprune_index_settings_default(&s);
    s.k = 2;
    s.space = SCIPRUNE_SPACE_L2;
    s.batch_rows = 7; /* many small batches, some below FAISS's BLAS threshold */
    sciprune_error e;
    assert_int_equal(sciprune_index_train(w, sh, &s, NULL, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_index_assign_shards(w, sh, &s, NULL, &e), SCIPRUNE_OK);
    sciprune_index *ix = NULL;
    assert_int_equal(sciprune_index_open(&ix, w, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_index_space(ix), SCIPRUNE_SPACE_L2);
    sciprune_index_free(ix);
    char p[600];
    snprintf(p, sizeof p, "%s/assign/a.jsonl.cluster.npy", w);
    sp_npy c;
    assert_int_equal(sp_npy_open(&c, p, &e), SCIPRUNE_OK);
    const int32_t *cl = c.data;
    for (size_t i = 2; i < 240; i++) assert_int_equal(cl[i], cl[i % 2]);
    assert_int_not_equal(cl[0], cl[1]);
    sp_npy_close(&c);
    sciprune_shard_set_free(sh);
}


/* ------------------------------------------------------------------ ranks */

/* Ranks as threads: the collectives of sciprune_ranks over a shared buffer and a barrier. */
typedef struct fake_world {
    pthread_barrier_t bar;
    pthread_mutex_t mu;
    int64_t acc[256];
    unsigned arrived;
    int size;
    int calls;
} fake_world;

static int fake_reduce(fake_world *fw, int64_t *v, int n, int sum)
{
    if (n > 256) return -1;
    pthread_barrier_wait(&fw->bar); /* the previous round's copies are done */
    pthread_mutex_lock(&fw->mu);
    if (fw->arrived++ % (unsigned)fw->size == 0) {
        memcpy(fw->acc, v, (size_t)n * sizeof *v);
        fw->calls++;
    } else {
        for (int i = 0; i < n; i++)
            fw->acc[i] = sum ? fw->acc[i] + v[i] : (v[i] < fw->acc[i] ? v[i] : fw->acc[i]);
    }
    pthread_mutex_unlock(&fw->mu);
    pthread_barrier_wait(&fw->bar);
    memcpy(v, fw->acc, (size_t)n * sizeof *v);
    return 0;
}
static int fake_min(void *u, int64_t *v, int n) { return fake_reduce(u, v, n, 0); }
static int fake_sum(void *u, int64_t *v, int n) { return fake_reduce(u, v, n, 1); }

typedef struct rank_arg {
    sciprune_ranks r;
    const char *w;
    const sciprune_shard_set *sh;
    const sciprune_index_settings *s;
    sciprune_status st;
    sciprune_index_info info;
} rank_arg;

static void *rank_main(void *p)
{
    rank_arg *a = p;
    sciprune_error e;
    a->st = sciprune_index_assign_part(a->w, a->sh, a->s, &a->r, &a->info, &e);
    return NULL;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    b[n] = '\0';
    *len = (size_t)n;
    return b;
}

/* Bytes of W/<rel>, with clusters.json's "seconds", "peak_rss" and "threads" cut off (they
 * are the last keys: sorted). */
static char *wfile(const char *w, const char *rel, size_t *len)
{
    char p[700];
    snprintf(p, sizeof p, "%s/%s", w, rel);
    char *b = slurp(p, len);
    char *cut = strstr(b, "\"peak_rss\"");
    if (cut) *len = (size_t)(cut - b);
    return b;
}

/* The assignment split over 2 and 3 ranks (threads with fake collectives): each rank writes
 * only its shards' files, rank 0 alone clusters.json, and every file has one process's bytes;
 * the sizes are summed (a rank's own counts alone would differ). */
static void test_assign_part_ranks_same_bytes(void **state)
{
    (void)state;
    const char *names[5] = {"s0.jsonl", "s1.jsonl", "s2.jsonl", "s3.jsonl", "s4.jsonl"};
    const char *w = workdir("parts");
    for (int i = 0; i < 5; i++) write_blobs(w, names[i], 80 + 10 * (size_t)i, 3, i == 2 ? 7 : 0, 0);
    sciprune_shard_set *sh = NULL;
    assert_int_equal(sciprune_shard_set_from_paths(&sh, names, 5, NULL), SCIPRUNE_OK);
    sciprune_index_settings s;
    sciprune_index_settings_default(&s);
    s.k = 3;
    s.threads = 1;
    sciprune_error e;
    assert_int_equal(sciprune_index_train(w, sh, &s, NULL, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_index_assign_shards(w, sh, &s, NULL, &e), SCIPRUNE_OK);
    size_t ref_len[11], len;
    char *ref[11];
    char rel[11][200];
    for (int i = 0; i < 5; i++) {
        snprintf(rel[2 * i], 200, "assign/%s.cluster.npy", names[i]);
        snprintf(rel[2 * i + 1], 200, "assign/%s.dist.npy", names[i]);
    }
    snprintf(rel[10], 200, "index/clusters.json");
    for (int f = 0; f < 11; f++) ref[f] = wfile(w, rel[f], &ref_len[f]);
    for (int nr = 2; nr <= 3; nr++) {
        char cmd[1000];
        snprintf(cmd, sizeof cmd, "rm -rf '%s/assign' '%s/index/clusters.json'", w, w);
        assert_int_equal(system(cmd), 0);
        fake_world fw;
        memset(&fw, 0, sizeof fw);
        fw.size = nr;
        pthread_barrier_init(&fw.bar, NULL, (unsigned)nr);
        pthread_mutex_init(&fw.mu, NULL);
        rank_arg a[3];
        pthread_t th[3];
        for (int r = 0; r < nr; r++) {
            memset(&a[r], 0, sizeof a[r]);
            a[r].r.rank = r;
            a[r].r.size = nr;
            a[r].r.reduce_min = fake_min;
            a[r].r.reduce_sum = fake_sum;
            a[r].r.user = &fw;
            a[r].w = w;
            a[r].sh = sh;
            a[r].s = &s;
            assert_int_equal(pthread_create(&th[r], NULL, rank_main, &a[r]), 0);
        }
        for (int r = 0; r < nr; r++) {
            pthread_join(th[r], NULL);
            assert_int_equal(a[r].st, SCIPRUNE_OK);
        }
        assert_int_equal(fw.calls, 2); /* the failure flag, then the counts */
        assert_int_equal(a[0].info.n_records, 80 + 90 + 100 + 110 + 120);
        for (int f = 0; f < 11; f++) {
            char *b = wfile(w, rel[f], &len);
            assert_int_equal(len, ref_len[f]);
            assert_memory_equal(b, ref[f], len);
            free(b);
        }
        pthread_barrier_destroy(&fw.bar);
        pthread_mutex_destroy(&fw.mu);
    }
    for (int f = 0; f < 11; f++) free(ref[f]);
    sciprune_shard_set_free(sh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settings_default),
        cmocka_unit_test(test_shard_set_forms),
        cmocka_unit_test(test_train_assign_blobs),
        cmocka_unit_test(test_train_k_lowered),
        cmocka_unit_test(test_train_sample_order_independent),
        cmocka_unit_test(test_train_errors),
        cmocka_unit_test(test_train_l2),
        cmocka_unit_test(test_assign_part_ranks_same_bytes),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
