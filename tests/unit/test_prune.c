/* test_prune.c - prune/: metric orders and exact selections on a hand-computed example, ties,
 * variant names, the prune writer's accounting invariant, mismatch detection, the report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../prune/prune_int.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[256];
static char g_w[400];

/* The example, 11 lines in two shards, g = global line index:
 *   g  shard line cluster dist len        cluster sizes: c0 = 5, c1 = 3, c2 = 2
 *   0  s0    1    0       .10  10
 *   1  s0    2    0       .50  50
 *   2  s0    3    1       .30  20
 *   3  s0    4    2       .90   5
 *   4  s0    5    0       .30  50
 *   5  s0    6    1       .30   1
 *   6  s1    1    0       .20  30
 *   7  s1    2    rejected (bad JSON)
 *   8  s1    3    2       .05 100
 *   9  s1    4    0       .50   0
 *  10  s1    5    1       .70  40
 * Orders worked out by hand (ties by g): */
static const int k_size_order[10] = {3, 8, 10, 2, 5, 1, 9, 4, 6, 0};
static const int k_dist_order[10] = {3, 10, 1, 9, 2, 4, 5, 6, 0, 8};
static const int k_pc_order[10] = {1, 3, 10, 9, 2, 4, 8, 6, 5, 0};
static const int k_len_order[10] = {8, 1, 4, 10, 6, 2, 0, 3, 5, 9};
static const int32_t k_cl[11] = {0, 0, 1, 2, 0, 1, 0, -1, 2, 0, 1};
static const float k_ds[11] = {.10f, .50f, .30f, .90f, .30f, .30f, .20f, 0, .05f, .50f, .70f};
static const int k_len[11] = {10, 50, 20, 5, 50, 1, 30, 0, 100, 0, 40};
static char k_lines[11][256];
static const char *k_names[2] = {"s0.jsonl", "s1.jsonl.zst"};
static const int k_off[3] = {0, 6, 11};

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/sciprune-test-prune-XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void shard_path(char *out, size_t cap, int s)
{
    snprintf(out, cap, "%s/in/%s", g_dir, k_names[s]);
}

/* Write the example: shards, index/clusters.json, assign/ arrays. */
static void make_example(void)
{
    char p[600], cmd[2400];
    snprintf(g_w, sizeof g_w, "%s/work", g_dir);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s/in' && mkdir -p '%s/index' '%s/assign' '%s/in'",
             g_w, g_dir, g_w, g_w, g_dir);
    assert_int_equal(system(cmd), 0);
    snprintf(p, sizeof p, "%s/index/clusters.json", g_w);
    FILE *f = fopen(p, "w");
    fputs("{\"k\": 3}\n", f);
    fclose(f);
    for (int s = 0; s < 2; s++) {
        shard_path(p, sizeof p, s);
        sciprune_shard_writer *w;
        assert_int_equal(sciprune_shard_writer_open(&w, p, NULL, NULL), SCIPRUNE_OK);
        for (int g = k_off[s]; g < k_off[s + 1]; g++) {
            if (g == 7) {
                snprintf(k_lines[g], sizeof k_lines[g], "{bad json");
            } else {
                char text[128];
                memset(text, 'x', (size_t)k_len[g]);
                text[k_len[g]] = 0;
                snprintf(k_lines[g], sizeof k_lines[g],
                         "{\"id\": \"s%d-%d\", \"content\": \"%s\", \"lang\": \"%s\"}", s,
                         g - k_off[s], text, g % 2 ? "python" : "go");
            }
            assert_int_equal(sciprune_shard_writer_write(w, k_lines[g], strlen(k_lines[g]), NULL),
                             SCIPRUNE_OK);
        }
        assert_int_equal(sciprune_shard_writer_close(w, NULL), SCIPRUNE_OK);
        int n = k_off[s + 1] - k_off[s];
        snprintf(p, sizeof p, "%s/assign/%s.cluster.npy", g_w, k_names[s]);
        assert_int_equal(sp_npy_write(p, SP_NPY_I32, (uint64_t)n, 0, k_cl + k_off[s], NULL), SCIPRUNE_OK);
        snprintf(p, sizeof p, "%s/assign/%s.dist.npy", g_w, k_names[s]);
        assert_int_equal(sp_npy_write(p, SP_NPY_F32, (uint64_t)n, 0, k_ds + k_off[s], NULL), SCIPRUNE_OK);
    }
}

static sciprune_shard_set *example_set(int with_paths)
{
    char a[600], b[600];
    shard_path(a, sizeof a, 0);
    shard_path(b, sizeof b, 1);
    const char *p[2] = {a, b};
    sciprune_shard_set *s = NULL;
    assert_int_equal(sciprune_shard_set_from_paths(&s, p, 2, NULL), SCIPRUNE_OK);
    if (!with_paths)
        for (int i = 0; i < 2; i++) {
            free(s->paths[i]);
            s->paths[i] = NULL;
        }
    return s;
}

/* pruned[v][g] from score/<shard>.prune.npy */
static void load_masks(size_t nv, uint8_t pruned[][11])
{
    for (int s = 0; s < 2; s++) {
        char p[600];
        snprintf(p, sizeof p, "%s/score/%s.prune.npy", g_w, k_names[s]);
        sp_npy m;
        assert_int_equal(sp_npy_open(&m, p, NULL), SCIPRUNE_OK);
        assert_int_equal(m.dtype, SP_NPY_U8);
        assert_int_equal(m.cols, (nv + 7) / 8);
        assert_int_equal(m.rows, (uint64_t)(k_off[s + 1] - k_off[s]));
        const uint8_t *b = m.data;
        for (int g = k_off[s]; g < k_off[s + 1]; g++)
            for (size_t v = 0; v < nv; v++)
                pruned[v][g] = (b[(size_t)(g - k_off[s]) * m.cols + v / 8] >> (v % 8)) & 1;
        sp_npy_close(&m);
    }
}

static json_t *load_plan(void)
{
    char p[600];
    snprintf(p, sizeof p, "%s/score/plan.json", g_w);
    json_error_t je;
    json_t *j = json_load_file(p, 0, &je);
    assert_non_null(j);
    return j;
}

/* Expected pruned set of a variant from the hand-made orders. */
static void expected(const char *metric, double ratio, double alpha, const int *rand_order,
                     uint8_t want[11])
{
    memset(want, 0, 11);
    int n = (int)floor(ratio * 10 + 0.5);
    const int *o = NULL;
    if (!strcmp(metric, "size")) o = k_size_order;
    else if (!strcmp(metric, "distance")) o = k_dist_order;
    else if (!strcmp(metric, "distance-pc")) o = k_pc_order;
    else if (!strcmp(metric, "length")) o = k_len_order;
    else if (!strcmp(metric, "random")) o = rand_order;
    if (o) {
        for (int i = 0; i < n; i++) want[o[i]] = 1;
        return;
    }
    int ns = (int)floor(alpha * n + 0.5);
    for (int i = 0; i < ns; i++) want[k_size_order[i]] = 1;
    const int *r = !strcmp(metric, "combined") ? k_dist_order : k_pc_order;
    for (int i = 0, left = n - ns; i < 10 && left; i++)
        if (!want[r[i]]) {
            want[r[i]] = 1;
            left--;
        }
}

static void random_order(int by_id, int out[10])
{
    uint64_t h[11];
    for (int g = 0; g < 11; g++) {
        if (g == 7) continue;
        int s = g >= 6, line = g - k_off[s];
        char key[64];
        if (by_id) snprintf(key, sizeof key, "s%d-%d", s, line);
        else snprintf(key, sizeof key, "%s:%d", k_names[s], line + 1);
        h[g] = sp_hash64(key, strlen(key), 1234 ^ RANK_RANDOM_SEED_XOR);
    }
    int n = 0;
    for (int g = 0; g < 11; g++)
        if (g != 7) out[n++] = g;
    for (int i = 1; i < 10; i++) /* insertion sort by (hash, g) */
        for (int j = i; j > 0 && (h[out[j - 1]] > h[out[j]]); j--) {
            int t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
}

static void check_plan_against_hand(int by_id)
{
    json_t *plan = load_plan();
    json_t *vars = json_object_get(plan, "variants");
    size_t nv = json_array_size(vars);
    assert_true(nv > 0 && nv <= 64);
    uint8_t (*pruned)[11] = calloc(nv, sizeof *pruned);
    load_masks(nv, pruned);
    int ro[10];
    random_order(by_id, ro);
    assert_string_equal(json_string_value(json_object_get(plan, "random_key")), by_id ? "id" : "address");
    assert_int_equal(json_integer_value(json_object_get(plan, "n_accepted")), 10);
    for (size_t v = 0; v < nv; v++) {
        json_t *o = json_array_get(vars, v);
        const char *metric = json_string_value(json_object_get(o, "metric"));
        double ratio = json_real_value(json_object_get(o, "ratio"));
        double alpha = json_number_value(json_object_get(o, "alpha"));
        uint8_t want[11];
        expected(metric, ratio, alpha, ro, want);
        for (int g = 0; g < 11; g++)
            if (want[g] != pruned[v][g]) {
                print_error("%s: line g=%d pruned=%d want %d\n",
                            json_string_value(json_object_get(o, "name")), g, pruned[v][g], want[g]);
                fail();
            }
        assert_int_equal(pruned[v][7], 0);
    }
    free(pruned);
    json_decref(plan);
}

static void test_metric_names_and_settings(void **state)
{
    (void)state;
    sciprune_score_settings s;
    sciprune_score_settings_default(&s);
    assert_int_equal(s.n_metrics, 1);
    assert_int_equal(s.metrics[0], SCIPRUNE_METRIC_COMBINED);
    assert_true(s.ratios[0] == 0.2 && s.alphas[0] == 0.8);
    sciprune_error e;
    assert_int_equal(sciprune_score_settings_parse(&s, " size, distance-pc ,length", "0.1,0.125", NULL, &e),
                     SCIPRUNE_OK);
    assert_int_equal(s.n_metrics, 3);
    assert_int_equal(s.metrics[1], SCIPRUNE_METRIC_DISTANCE_PC);
    assert_int_equal(s.n_ratios, 2);
    assert_int_equal(s.n_alphas, 1);
    assert_int_equal(sciprune_score_settings_parse(&s, "size,bogus", NULL, NULL, &e), SCIPRUNE_EINVAL);
    assert_int_equal(sciprune_score_settings_parse(&s, "size,size", NULL, NULL, &e), SCIPRUNE_EINVAL);
    assert_int_equal(sciprune_score_settings_parse(&s, NULL, "1.5", NULL, &e), SCIPRUNE_EINVAL);
    assert_int_equal(sciprune_score_settings_parse(&s, NULL, "0.1,abc", NULL, &e), SCIPRUNE_EINVAL);
    assert_int_equal(sciprune_score_settings_parse(&s, NULL, NULL, ",", &e), SCIPRUNE_EINVAL);
    assert_int_equal(sciprune_score_settings_parse(&s, NULL, "0,.01,.02,.03,.04,.05,.06,.07,.08,.09,.1,.11,.12,.13,.14,.15,.16", NULL, &e),
                     SCIPRUNE_EINVAL);
    for (int m = 0; m < SCIPRUNE_METRIC_COUNT; m++) {
        sciprune_score_metric x;
        assert_int_equal(sciprune_score_metric_parse(sciprune_score_metric_name((sciprune_score_metric)m), &x, &e),
                         SCIPRUNE_OK);
        assert_int_equal(x, m);
    }
    sciprune_prune_settings ps;
    sciprune_prune_settings_default(&ps);
    assert_int_equal(ps.write_removed, 0);
    assert_int_equal(ps.writer.zstd_level, 3);
}

/* Every metric against the hand-worked orders, with ties, ratios 0 and 1, both alphas. */
static void test_score_hand_example(void **state)
{
    (void)state;
    make_example();
    sciprune_shard_set *sh = example_set(1);
    sciprune_score_settings s;
    sciprune_score_settings_default(&s);
    sciprune_error e;
    assert_int_equal(sciprune_score_settings_parse(&s, "size,distance,distance-pc,combined,combined-pc,random,length",
                                                   "0.3,0.5,0,1,0.125", "0.4,0.8", &e), SCIPRUNE_OK);
    s.threads = 2;
    sciprune_score_info info;
    assert_int_equal(sciprune_score_sweep(g_w, sh, &s, &info, &e), SCIPRUNE_OK);
    assert_int_equal(info.n_variants, 5 * 5 + 2 * 5 * 2);
    assert_int_equal(info.n_records, 11);
    assert_int_equal(info.n_accepted, 10);
    check_plan_against_hand(1);

    json_t *plan = load_plan(), *vars = json_object_get(plan, "variants");
    /* names, thresholds */
    assert_string_equal(json_string_value(json_object_get(json_array_get(vars, 0), "name")), "size-p0.30");
    assert_string_equal(json_string_value(json_object_get(json_array_get(vars, 4), "name")), "size-p0.125");
    int found = 0;
    for (size_t v = 0; v < json_array_size(vars); v++) {
        json_t *o = json_array_get(vars, v), *th = json_object_get(o, "threshold");
        const char *nm = json_string_value(json_object_get(o, "name"));
        if (!strcmp(nm, "size-p0.30")) {
            assert_int_equal(json_integer_value(json_object_get(th, "clusters_whole")), 1);
            assert_int_equal(json_integer_value(json_object_get(th, "partial_cluster")), 1);
            assert_int_equal(json_integer_value(json_object_get(th, "partial_pruned")), 1);
            found++;
        }
        if (!strcmp(nm, "distance-p0.30")) {
            assert_true(fabs(json_real_value(json_object_get(th, "distance_min")) - 0.5) < 1e-6);
            found++;
        }
        if (!strcmp(nm, "combined-p0.50-a0.40")) {
            assert_int_equal(json_integer_value(json_object_get(th, "n_by_size")), 2);
            assert_int_equal(json_integer_value(json_object_get(th, "n_by_distance")), 3);
            found++;
        }
        if (!strcmp(nm, "length-p0.30")) {
            assert_int_equal(json_integer_value(json_object_get(th, "length_min")), 50);
            found++;
        }
    }
    assert_int_equal(found, 4);
    json_t *c0 = json_array_get(json_object_get(plan, "clusters"), 0);
    assert_int_equal(json_integer_value(json_object_get(c0, "size")), 5);
    json_t *dq = json_object_get(c0, "dist"); /* c0 distances .1 .2 .3 .5 .5 */
    assert_true(fabs(json_real_value(json_object_get(dq, "p50")) - 0.3) < 1e-6);
    assert_true(fabs(json_real_value(json_object_get(dq, "p25")) - 0.2) < 1e-6);
    assert_true(fabs(json_real_value(json_object_get(dq, "max")) - 0.5) < 1e-6);
    json_decref(plan);

    /* without shard paths: random hashes addresses; length is refused */
    sciprune_shard_set *np = example_set(0);
    assert_int_equal(sciprune_score_settings_parse(&s, "random,size", "0.3,0.5", NULL, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_score_sweep(g_w, np, &s, &info, &e), SCIPRUNE_OK);
    check_plan_against_hand(0);
    assert_int_equal(sciprune_score_settings_parse(&s, "length", NULL, NULL, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_score_sweep(g_w, np, &s, &info, &e), SCIPRUNE_EINVAL);
    assert_non_null(strstr(e.text, "length"));
    sciprune_shard_set_free(np);
    sciprune_shard_set_free(sh);
}

static void read_all(const char *path, char lines[][256], int *n)
{
    sciprune_shard_reader *r;
    assert_int_equal(sciprune_shard_reader_open(&r, path, NULL, NULL), SCIPRUNE_OK);
    const sciprune_record *rec;
    *n = 0;
    while (sciprune_shard_reader_next(r, &rec, NULL) == SCIPRUNE_OK && rec) {
        assert_true(rec->raw_len < 256);
        memcpy(lines[*n], rec->raw, rec->raw_len);
        lines[(*n)++][rec->raw_len] = 0;
    }
    sciprune_shard_reader_close(r);
}

/* kept + removed + rejected = lines; kept/removed byte-identical and in order; counts. */
static void test_prune_write_accounting(void **state)
{
    (void)state;
    make_example();
    sciprune_shard_set *sh = example_set(1);
    sciprune_score_settings s;
    sciprune_score_settings_default(&s);
    sciprune_error e;
    assert_int_equal(sciprune_score_settings_parse(&s, "size,distance,combined,random,length", "0.3,1",
                                                   "0.4", &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_score_sweep(g_w, sh, &s, NULL, &e), SCIPRUNE_OK);
    sciprune_prune_settings ps;
    sciprune_prune_settings_default(&ps);
    ps.write_removed = 1;
    ps.threads = 2;
    ps.writer.fsync = 0;
    sciprune_prune_info info;
    assert_int_equal(sciprune_prune_write(g_w, sh, &ps, &info, &e), SCIPRUNE_OK);
    assert_int_equal(info.n_lines, 11);
    assert_int_equal(info.n_accepted, 10);
    assert_int_equal(info.n_rejected, 1);
    assert_int_equal(info.n_variants, 10);

    json_t *plan = load_plan(), *vars = json_object_get(plan, "variants");
    size_t nv = json_array_size(vars);
    uint8_t (*pruned)[11] = calloc(nv, sizeof *pruned);
    load_masks(nv, pruned);
    char p[700];
    static char kept[16][256], rem[16][256], rej[16][256];
    for (size_t v = 0; v < nv; v++) {
        const char *nm = json_string_value(json_object_get(json_array_get(vars, v), "name"));
        for (int sidx = 0; sidx < 2; sidx++) {
            int nk, nr, nj = 0;
            snprintf(p, sizeof p, "%s/out/%s/kept/%s", g_w, nm, k_names[sidx]);
            read_all(p, kept, &nk);
            snprintf(p, sizeof p, "%s/out/%s/removed/%s", g_w, nm, k_names[sidx]);
            read_all(p, rem, &nr);
            snprintf(p, sizeof p, "%s/out/rejected/%s.jsonl", g_w, k_names[sidx]);
            if (sidx == 1) read_all(p, rej, &nj);
            else assert_false(sp_exists(p));
            assert_int_equal(nk + nr + nj, k_off[sidx + 1] - k_off[sidx]);
            int ik = 0, ir = 0;
            for (int g = k_off[sidx]; g < k_off[sidx + 1]; g++) {
                if (g == 7) continue;
                if (pruned[v][g]) assert_string_equal(rem[ir++], k_lines[g]);
                else assert_string_equal(kept[ik++], k_lines[g]);
            }
            assert_int_equal(ik, nk);
            assert_int_equal(ir, nr);
        }
    }
    /* the rejected record, verbatim with its line */
    int nj;
    snprintf(p, sizeof p, "%s/out/rejected/%s.jsonl", g_w, k_names[1]);
    read_all(p, rej, &nj);
    assert_int_equal(nj, 1);
    json_t *rj = json_loads(rej[0], 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(rj, "line")), 2);
    assert_string_equal(json_string_value(json_object_get(rj, "raw")), "{bad json");
    json_decref(rj);
    free(pruned);
    json_decref(plan);

    /* prune.json: totals and languages */
    snprintf(p, sizeof p, "%s/out/prune.json", g_w);
    json_t *pj = json_load_file(p, 0, NULL);
    assert_non_null(pj);
    json_t *v0 = json_array_get(json_object_get(pj, "variants"), 0); /* size-p0.30 */
    assert_int_equal(json_integer_value(json_object_get(v0, "pruned")), 3);
    assert_int_equal(json_integer_value(json_object_get(v0, "kept")), 7);
    assert_int_equal(json_integer_value(json_object_get(v0, "rejected")), 1);
    json_t *langs = json_object_get(pj, "languages");
    assert_int_equal(json_array_size(langs), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(langs, 0), "lang")), "go");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(langs, 0), "records")), 6);
    json_decref(pj);

    /* the report gathers it all */
    assert_int_equal(sciprune_report_write(g_w, &e), SCIPRUNE_OK);
    snprintf(p, sizeof p, "%s/report.json", g_w);
    json_t *rep = json_load_file(p, 0, NULL);
    assert_non_null(rep);
    json_t *rv = json_array_get(json_object_get(rep, "variants"), 0);
    assert_string_equal(json_string_value(json_object_get(rv, "name")), "size-p0.30");
    assert_int_equal(json_integer_value(json_object_get(rv, "kept")), 7);
    assert_non_null(json_object_get(json_object_get(rep, "stages"), "prune"));
    assert_int_equal(json_array_size(json_object_get(rep, "clusters")), 3);
    json_decref(rep);
    snprintf(p, sizeof p, "%s/report.md", g_w);
    char *md = NULL;
    assert_int_equal(sp_read_file(p, &md, NULL, &e), SCIPRUNE_OK);
    assert_non_null(strstr(md, "| size-p0.30 | 3 (30.0%) | 7 | 3 | 1 |"));
    assert_non_null(strstr(md, "## Pruned share per language"));
    free(md);
    sciprune_shard_set_free(sh);
}

/* A shard that does not match assign/ is refused, with no output left behind for it. */
static void test_prune_write_mismatch(void **state)
{
    (void)state;
    make_example();
    sciprune_shard_set *sh = example_set(1);
    sciprune_score_settings s;
    sciprune_score_settings_default(&s);
    sciprune_error e;
    assert_int_equal(sciprune_score_sweep(g_w, sh, &s, NULL, &e), SCIPRUNE_OK);
    sciprune_prune_settings ps;
    sciprune_prune_settings_default(&ps);
    ps.writer.fsync = 0;
    char p[700];
    /* an extra line */
    shard_path(p, sizeof p, 0);
    FILE *f = fopen(p, "a");
    fputs("{\"id\": \"new\", \"content\": \"y\"}\n", f);
    fclose(f);
    assert_int_equal(sciprune_prune_write(g_w, sh, &ps, NULL, &e), SCIPRUNE_ESTATE);
    assert_non_null(strstr(e.text, "more lines"));
    snprintf(p, sizeof p, "%s/out/combined-p0.20-a0.80/kept/s0.jsonl", g_w);
    assert_false(sp_exists(p));
    /* a line rejected now but accepted when embedded: other shard options */
    make_example();
    ps.shard.text_field = "text";
    assert_int_equal(sciprune_score_sweep(g_w, sh, &s, NULL, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_prune_write(g_w, sh, &ps, NULL, &e), SCIPRUNE_ESTATE);
    assert_int_equal(e.line, 1);
    /* score reading shards checks the same */
    s.shard.text_field = "text";
    assert_int_equal(sciprune_score_settings_parse(&s, "length", NULL, NULL, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_score_sweep(g_w, sh, &s, NULL, &e), SCIPRUNE_ESTATE);
    /* missing stages */
    char cmd[1000];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/score' '%s/assign'", g_w, g_w);
    assert_int_equal(system(cmd), 0);
    sciprune_prune_settings_default(&ps);
    assert_int_equal(sciprune_prune_write(g_w, sh, &ps, NULL, &e), SCIPRUNE_ESTATE);
    sciprune_score_settings_default(&s);
    assert_int_equal(sciprune_score_sweep(g_w, sh, &s, NULL, &e), SCIPRUNE_ESTATE);
    /* no paths */
    sciprune_shard_set *np = example_set(0);
    assert_int_equal(sciprune_prune_write(g_w, np, &ps, NULL, &e), SCIPRUNE_EINVAL);
    sciprune_shard_set_free(np);
    sciprune_shard_set_free(sh);
}

/* An output that cannot be created: EIO naming it, and no temp file left behind. */
static void test_prune_write_unwritable(void **state)
{
    (void)state;
    make_example();
    sciprune_shard_set *sh = example_set(1);
    sciprune_score_settings s;
    sciprune_score_settings_default(&s);
    sciprune_error e;
    assert_int_equal(sciprune_score_sweep(g_w, sh, &s, NULL, &e), SCIPRUNE_OK);
    char p[700], cmd[2400];
    snprintf(p, sizeof p, "%s/out/combined-p0.20-a0.80/kept", g_w);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/out/combined-p0.20-a0.80' && touch '%s'", g_w, p);
    assert_int_equal(system(cmd), 0);
    sciprune_prune_settings ps;
    sciprune_prune_settings_default(&ps);
    assert_int_equal(sciprune_prune_write(g_w, sh, &ps, NULL, &e), SCIPRUNE_EIO);
    assert_non_null(strstr(e.source, "kept"));
    /* a folder where a shard file should go: the writer fails, temp files are removed */
    snprintf(cmd, sizeof cmd, "rm -f '%s' && mkdir -p '%s/s0.jsonl/x'", p, p);
    assert_int_equal(system(cmd), 0);
    ps.threads = 1;
    assert_int_equal(sciprune_prune_write(g_w, sh, &ps, NULL, &e), SCIPRUNE_EIO);
    snprintf(cmd, sizeof cmd, "test -z \"$(find '%s/out' -name '*.tmp.*')\"", g_w);
    assert_int_equal(system(cmd), 0);
    sciprune_shard_set_free(sh);
}

/* every table line of a markdown file is whole: starts and ends with '|', and no line is the
 * broken-off rest of a cell */
static void check_md_tables(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[8192];
    int found = 0, rows = 0;
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n') line[--n] = '\0';
        if (strstr(line, needle)) found++;
        assert_true(strncmp(line, "thon", 4) != 0);
        if (line[0] == '|') {
            rows++;
            if (line[n - 1] != '|') fail_msg("%s: table line cut: %s", path, line);
        }
    }
    fclose(f);
    assert_true(rows > 0);
    if (!found) fail_msg("%s: no \"%s\"", path, needle);
}

/* A language name with a newline, a tab and '|' (read verbatim from the shards) is escaped in
 * report.md and analyze/report.md; config inputs are globs, and a file name with [ ] ? is
 * taken when escaped (README: "The job config"). */
static void test_report_escapes_names_and_inputs_are_globs(void **state)
{
    (void)state;
    char d[400], p[600];
    snprintf(d, sizeof d, "%s/esc", g_dir);
    mkdir(d, 0777);
    snprintf(p, sizeof p, "%s/sh[1]?.jsonl", d);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    for (int i = 0; i < 12; i++)
        fprintf(f, "{\"id\":\"r%d\",\"lang\":\"%s\",\"content\":\"def f%d(a):\\n    return a + %d\\n\"}\n", i,
                i % 3 ? "python" : "py\\nthon|x\\ty", i, i);
    fclose(f);
    const char *body = "\"workdir\": \"w\", \"threads\": 1, \"embed\": {\"dim\": 64},"
                       " \"index\": {\"k\": 2, \"niter\": 2},"
                       " \"score\": {\"metrics\": [\"gate+distance\"], \"ratios\": [0.25]},"
                       " \"prune\": {\"fsync\": false},"
                       " \"corrupt\": {\"per_type\": 1, \"langs\": [\"python\"], \"types\": [\"drop-close-bracket\"]},"
                       " \"analyze\": {\"ratios\": [0.25], \"alphas\": [0.5]}}";
    snprintf(p, sizeof p, "%s/job.json", d);
    /* unescaped, the name is a pattern that does not match itself */
    f = fopen(p, "w");
    assert_non_null(f);
    fprintf(f, "{\"inputs\": [\"sh[1]?.jsonl\"], %s\n", body);
    fclose(f);
    sciprune_error e;
    assert_int_equal(sciprune_run(p, NULL, &e), SCIPRUNE_EINVAL);
    assert_non_null(strstr(e.text, "matches no file"));
    /* escaped: the file */
    f = fopen(p, "w");
    assert_non_null(f);
    fprintf(f, "{\"inputs\": [\"sh\\\\[1\\\\]\\\\?.jsonl\"], %s\n", body);
    fclose(f);
    sciprune_status st = sciprune_run(p, NULL, &e);
    if (st) fail_msg("run: %s %s", e.source, e.text);
    snprintf(p, sizeof p, "%s/w/out/gate+distance-p0.25/kept/sh[1]?.jsonl", d);
    assert_int_equal(access(p, R_OK), 0);
    snprintf(p, sizeof p, "%s/w/report.md", d);
    check_md_tables(p, "py\\nthon\\|x\\ty");
    snprintf(p, sizeof p, "%s/w/analyze/report.md", d);
    check_md_tables(p, "py\\nthon\\|x\\ty");
}

/* Benchmark names (decontam) and other user strings are escaped in report.md's tables: a name
 * with '|', a newline and backticks stays one cell of one row, as text (no code span). */
static void test_report_decontam_benchmark_names_escaped(void **state)
{
    (void)state;
    char d[400], p[600];
    snprintf(d, sizeof d, "%s/dmd", g_dir);
    snprintf(p, sizeof p, "mkdir -p '%s/decontam'", d);
    assert_int_equal(system(p), 0);
    snprintf(p, sizeof p, "%s/decontam/summary.json", d);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("{\"removed\": 3, \"removed_exact\": 2, \"removed_ngram\": 1, \"accepted\": 40,"
          " \"df_cap\": 5, \"settings\": {}, \"benchmarks\": ["
          "{\"name\": \"human|eval\\n`x` <b>\", \"format\": \"json|l\", \"items\": 7,"
          " \"allowlisted\": 0, \"removed_exact\": 2, \"removed_ngram\": 1},"
          "{\"name\": \"mbpp\", \"format\": \"jsonl\", \"items\": 3, \"allowlisted\": 1,"
          " \"removed_exact\": 0, \"removed_ngram\": 0}]}\n", f);
    fclose(f);
    json_t *plan = json_pack("{s:{}}", "decontam"), *j = NULL;
    char *md = NULL;
    sciprune_error e;
    assert_int_equal(prune_decontam_report(d, plan, &j, &md, &e), SCIPRUNE_OK);
    assert_non_null(md);
    assert_non_null(strstr(md, "| human\\|eval\\n\\`x\\` \\<b> | json\\|l | 7 | 0 | 2 | 1 |\n"));
    assert_non_null(strstr(md, "| mbpp | jsonl | 3 | 1 | 0 | 0 |\n"));
    /* every table line: 7 unescaped '|' (6 cells), no backtick that is not escaped */
    int rows = 0;
    for (char *line = md; *line;) {
        char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        if (line[0] == '|') {
            int bars = 0;
            for (size_t i = 0; i < n; i++) {
                if (line[i] == '\\') {
                    i++;
                    continue;
                }
                bars += line[i] == '|';
                assert_true(line[i] != '`');
            }
            assert_int_equal(bars, 7);
            rows++;
        }
        line += n + (end ? 1 : 0);
    }
    assert_int_equal(rows, 4); /* header, rule, two benchmarks */
    json_decref(j);
    json_decref(plan);
    free(md);
}

/* Write W/gates/<shard>.{parse_error,undefined_name}.npy flagging global lines `flag` (ends -1). */
static void write_gates(const int *flag)
{
    char p[600];
    snprintf(p, sizeof p, "mkdir -p '%s/gates'", g_w);
    assert_int_equal(system(p), 0);
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < 2; k++) {
            float v[11] = {0};
            for (int i = 0; flag[i] >= 0; i++)
                if (flag[i] >= k_off[s] && flag[i] < k_off[s + 1] && (flag[i] % 2) == k)
                    v[flag[i] - k_off[s]] = 1.0f;
            snprintf(p, sizeof p, "%s/gates/%s.%s.npy", g_w, k_names[s], k ? "undefined_name" : "parse_error");
            assert_int_equal(sp_npy_write(p, SP_NPY_F32, (uint64_t)(k_off[s + 1] - k_off[s]), 0, v, NULL),
                             SCIPRUNE_OK);
        }
}

static void test_tokens_approx_counts_words_and_punctuation(void **state)
{
    (void)state;
    const char *a = "def f(x):\n    return x + 1\n";
    assert_int_equal(sciprune_tokens_approx(a, strlen(a)), 10); /* def f ( x ) : return x + 1 */
    const char *b = "a_b1 \xc3\xbc\xe2\x86\x92";                  /* a word, then one non-ASCII run */
    assert_int_equal(sciprune_tokens_approx(b, strlen(b)), 2);
    assert_int_equal(sciprune_tokens_approx("  \t\n", 4), 0);
    assert_int_equal(sciprune_tokens_approx("x==y", 4), 4);
    sciprune_budget_unit u;
    assert_int_equal(sciprune_budget_unit_parse("tokens", &u, NULL), SCIPRUNE_OK);
    assert_int_equal(u, SCIPRUNE_BUDGET_TOKENS);
    assert_int_equal(sciprune_budget_unit_parse("lines", &u, NULL), SCIPRUNE_EINVAL);
    sciprune_prune_output o;
    assert_int_equal(sciprune_prune_output_parse("mask", &o, NULL), SCIPRUNE_OK);
    assert_int_equal(o, SCIPRUNE_OUTPUT_MASK);
    assert_int_equal(sciprune_prune_output_parse("copies", &o, NULL), SCIPRUNE_EINVAL);
}

/* score.budget bytes: for every metric (gate plans with one gated record too) and ratio, the
 * removed bytes of each variant (out/prune.json, i.e. the written lines) are p x the accepted
 * bytes to within half of one record's line; distance's selection equals the rule worked out
 * here from the hand order; the masks do not depend on the thread count. */
static void test_score_budget_bytes_every_metric(void **state)
{
    (void)state;
    make_example();
    const int gated[] = {4, -1}; /* parse_error on line 5 of s0 (60 bytes or so) */
    write_gates(gated);
    sciprune_shard_set *sh = example_set(1);
    sciprune_score_settings s;
    sciprune_score_settings_default(&s);
    sciprune_error e;
    const char *metrics = "size,distance,distance-pc,combined,combined-pc,random,length,"
                          "gate+distance,gate+size,gate+combined,gate+random,gate+length";
    assert_int_equal(sciprune_score_settings_parse(&s, metrics, "0.1,0.25,0.5,0.9,1", "0.3", &e),
                     SCIPRUNE_OK);
    s.budget = SCIPRUNE_BUDGET_BYTES;
    s.threads = 1;
    assert_int_equal(sciprune_score_sweep(g_w, sh, &s, NULL, &e), SCIPRUNE_OK);
    /* the masks of one thread, against two */
    char p[700], q[700];
    uint8_t *m1[2];
    size_t n1[2];
    for (int i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/score/%s.prune.npy", g_w, k_names[i]);
        char *buf = NULL;
        assert_int_equal(sp_read_file(p, &buf, &n1[i], &e), SCIPRUNE_OK);
        m1[i] = (uint8_t *)buf;
    }
    s.threads = 2;
    assert_int_equal(sciprune_score_sweep(g_w, sh, &s, NULL, &e), SCIPRUNE_OK);
    for (int i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/score/%s.prune.npy", g_w, k_names[i]);
        char *buf = NULL;
        size_t n = 0;
        assert_int_equal(sp_read_file(p, &buf, &n, &e), SCIPRUNE_OK);
        assert_int_equal(n, n1[i]);
        assert_memory_equal(buf, m1[i], n);
        free(buf);
        free(m1[i]);
    }
    sciprune_prune_settings ps;
    sciprune_prune_settings_default(&ps);
    ps.writer.fsync = 0;
    assert_int_equal(sciprune_prune_write(g_w, sh, &ps, NULL, &e), SCIPRUNE_OK);

    uint64_t w[11], total = 0, wmax = 0;
    for (int g = 0; g < 11; g++) {
        w[g] = strlen(k_lines[g]) + 1;
        if (g == 7) continue;
        total += w[g];
        if (w[g] > wmax) wmax = w[g];
    }
    json_t *plan = load_plan(), *vars = json_object_get(plan, "variants");
    assert_string_equal(json_string_value(json_object_get(json_object_get(plan, "budget"), "unit")), "bytes");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(plan, "budget"), "total")), (json_int_t)total);
    snprintf(q, sizeof q, "%s/out/prune.json", g_w);
    json_t *pj = json_load_file(q, 0, NULL);
    assert_non_null(pj);
    json_t *wv = json_object_get(pj, "variants");
    size_t nv = json_array_size(vars);
    assert_int_equal(nv, 12 * 5);
    assert_int_equal(json_array_size(wv), nv);
    for (size_t v = 0; v < nv; v++) {
        json_t *pv = json_array_get(vars, v), *ov = json_array_get(wv, v);
        double ratio = json_number_value(json_object_get(pv, "ratio"));
        uint64_t pruned = (uint64_t)json_integer_value(json_object_get(ov, "pruned_bytes"));
        uint64_t kept = (uint64_t)json_integer_value(json_object_get(ov, "kept_bytes"));
        json_t *th = json_object_get(pv, "threshold");
        assert_int_equal(kept + pruned, total);
        assert_int_equal(json_integer_value(json_object_get(th, "budget_pruned")), (json_int_t)pruned);
        double diff = fabs((double)pruned - ratio * (double)total);
        if (json_is_true(json_object_get(th, "gates_exceed_budget"))) { /* only the gated line */
            assert_true(ratio * (double)total < (double)w[4]);
            assert_int_equal(pruned, w[4]);
            continue;
        }
        if (diff > (double)wmax / 2)
            fail_msg("%s: pruned %llu bytes, want %.1f +- %llu", json_string_value(json_object_get(pv, "name")),
                     (unsigned long long)pruned, ratio * (double)total, (unsigned long long)wmax / 2);
    }
    /* distance at p = 0.5 by hand: take k_dist_order while 2 (cum + w) <= 2 goal + w */
    uint8_t want[11] = {0}, pruned[60][11];
    double goal = 0.5 * (double)total;
    uint64_t cum = 0;
    for (int i = 0; i < 10; i++) {
        int g = k_dist_order[i];
        if (2.0 * (double)(cum + w[g]) > 2.0 * goal + (double)w[g]) break;
        cum += w[g];
        want[g] = 1;
    }
    load_masks(nv, pruned);
    int found = 0;
    for (size_t v = 0; v < nv; v++)
        if (!strcmp(json_string_value(json_object_get(json_array_get(vars, v), "name")), "distance-p0.50")) {
            assert_memory_equal(pruned[v], want, 11);
            found = 1;
        }
    assert_true(found);
    json_decref(pj);
    json_decref(plan);
    /* records stay the default and give the same plan as before (no "budget" in plan.json) */
    s.budget = SCIPRUNE_BUDGET_RECORDS;
    assert_int_equal(sciprune_score_sweep(g_w, sh, &s, NULL, &e), SCIPRUNE_OK);
    plan = load_plan();
    assert_null(json_object_get(plan, "budget"));
    json_decref(plan);
    /* without shard paths a bytes budget is refused */
    sciprune_shard_set *np = example_set(0);
    s.budget = SCIPRUNE_BUDGET_BYTES;
    assert_int_equal(sciprune_score_sweep(g_w, np, &s, NULL, &e), SCIPRUNE_EINVAL);
    sciprune_shard_set_free(np);
    sciprune_shard_set_free(sh);
}

/* prune.output ids and mask: the ids and the bits are those of the kept lines; the other
 * formats' files go; materialize writes the same bytes as the shards output. */
static void test_prune_output_ids_mask_materialize(void **state)
{
    (void)state;
    make_example();
    sciprune_shard_set *sh = example_set(1);
    sciprune_score_settings s;
    sciprune_score_settings_default(&s);
    sciprune_error e;
    assert_int_equal(sciprune_score_settings_parse(&s, "distance,length", "0.3", NULL, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_score_sweep(g_w, sh, &s, NULL, &e), SCIPRUNE_OK);
    sciprune_prune_settings ps;
    sciprune_prune_settings_default(&ps);
    ps.writer.fsync = 0;
    ps.write_removed = 1;
    assert_int_equal(sciprune_prune_write(g_w, sh, &ps, NULL, &e), SCIPRUNE_OK);
    char ref[2][2][4096], p[800], d[700];
    size_t refn[2][2];
    for (int i = 0; i < 2; i++)
        for (int rem = 0; rem < 2; rem++) {
            snprintf(p, sizeof p, "%s/out/length-p0.30/%s/%s", g_w, rem ? "removed" : "kept", k_names[i]);
            char *buf = NULL;
            assert_int_equal(sp_read_file(p, &buf, &refn[i][rem], &e), SCIPRUNE_OK);
            assert_true(refn[i][rem] < sizeof ref[i][rem]);
            memcpy(ref[i][rem], buf, refn[i][rem]);
            free(buf);
        }
    uint8_t pruned[2][11];
    load_masks(2, pruned);

    ps.output = SCIPRUNE_OUTPUT_IDS;
    assert_int_equal(sciprune_prune_write(g_w, sh, &ps, NULL, &e), SCIPRUNE_OK);
    for (int i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/out/length-p0.30/kept/%s", g_w, k_names[i]);
        assert_false(sp_exists(p)); /* the shards output's copy went */
        int nk, nr;
        static char kept[16][256], rem[16][256];
        snprintf(p, sizeof p, "%s/out/length-p0.30/kept/%s.ids", g_w, k_names[i]);
        read_all(p, kept, &nk);
        snprintf(p, sizeof p, "%s/out/length-p0.30/removed/%s.ids", g_w, k_names[i]);
        read_all(p, rem, &nr);
        int ik = 0, ir = 0;
        for (int g = k_off[i]; g < k_off[i + 1]; g++) {
            if (g == 7) continue;
            char id[32];
            snprintf(id, sizeof id, "\"s%d-%d\"", i, g - k_off[i]); /* a JSON string a line */
            if (pruned[1][g]) assert_string_equal(rem[ir++], id);
            else assert_string_equal(kept[ik++], id);
        }
        assert_int_equal(ik, nk);
        assert_int_equal(ir, nr);
    }
    snprintf(p, sizeof p, "%s/out/prune.json", g_w);
    json_t *pj = json_load_file(p, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(pj, "output")), "ids");
    json_decref(pj);

    ps.output = SCIPRUNE_OUTPUT_MASK;
    ps.write_removed = 0;
    assert_int_equal(sciprune_prune_write(g_w, sh, &ps, NULL, &e), SCIPRUNE_OK);
    for (int i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/out/length-p0.30/kept/%s.ids", g_w, k_names[i]);
        assert_false(sp_exists(p));
        snprintf(p, sizeof p, "%s/out/length-p0.30/mask/%s.kept.npy", g_w, k_names[i]);
        sp_npy m;
        assert_int_equal(sp_npy_open(&m, p, &e), SCIPRUNE_OK);
        int rows = k_off[i + 1] - k_off[i];
        assert_int_equal(m.dtype, SP_NPY_U8);
        assert_int_equal(m.cols, 0);
        assert_int_equal(m.rows, (uint64_t)(rows + 7) / 8);
        const uint8_t *b = m.data;
        for (int g = k_off[i]; g < k_off[i + 1]; g++) {
            int r = g - k_off[i], bit = (b[r / 8] >> (r % 8)) & 1;
            assert_int_equal(bit, g != 7 && !pruned[1][g]);
        }
        sp_npy_close(&m);
    }
    /* materialize: the same bytes as the shards output, removed lines too */
    snprintf(d, sizeof d, "%s/mat", g_dir);
    ps.write_removed = 1;
    assert_int_equal(sciprune_prune_materialize(g_w, sh, "length-p0.30", d, &ps, &e), SCIPRUNE_OK);
    for (int i = 0; i < 2; i++)
        for (int rem = 0; rem < 2; rem++) {
            snprintf(p, sizeof p, "%s/%s/%s", d, rem ? "removed" : "kept", k_names[i]);
            char *buf = NULL;
            size_t n = 0;
            assert_int_equal(sp_read_file(p, &buf, &n, &e), SCIPRUNE_OK);
            assert_int_equal(n, refn[i][rem]);
            assert_memory_equal(buf, ref[i][rem], n);
            free(buf);
        }
    snprintf(p, sizeof p, "%s/rejected", d);
    assert_false(sp_exists(p));
    assert_int_equal(sciprune_prune_materialize(g_w, sh, "nope-p0.30", d, &ps, &e), SCIPRUNE_EINVAL);
    sciprune_shard_set_free(sh);
}

/* Write one float32 per-record vector W/<dir>/<shard><suffix> for both shards from v[11]. */
static void write_signal(const char *dir, const char *suffix, const float *v)
{
    char p[700];
    snprintf(p, sizeof p, "mkdir -p '%s/%s'", g_w, dir);
    assert_int_equal(system(p), 0);
    for (int s = 0; s < 2; s++) {
        snprintf(p, sizeof p, "%s/%s/%s%s", g_w, dir, k_names[s], suffix);
        assert_int_equal(sp_npy_write(p, SP_NPY_F32, (uint64_t)(k_off[s + 1] - k_off[s]), 0,
                                      v + k_off[s], NULL), SCIPRUNE_OK);
    }
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 16);
    assert_non_null(buf);
    *n = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

/* Metric sites ranks by W/embed/<shard>.sites.npy: a planted "corrupted" record (g = 5, the
 * smallest distance-free signal elsewhere) is pruned first, gate+sites takes the gated record
 * then the planted one, sites is refused without its file, and learned uses sites as its 7th
 * feature (weight from report.json; absent = 0), the same plan bytes on every run. */
static void test_score_sites_planted_and_learned(void **state)
{
    (void)state;
    make_example();
    sciprune_shard_set *sh = example_set(1);
    sciprune_score_settings s;
    sciprune_score_settings_default(&s);
    sciprune_error e;
    /* sites missing: ESTATE naming the feature */
    assert_int_equal(sciprune_score_settings_parse(&s, "sites", "0.1", NULL, &e), SCIPRUNE_OK);
    sciprune_score_info info;
    assert_int_equal(sciprune_score_sweep(g_w, sh, &s, &info, &e), SCIPRUNE_ESTATE);
    assert_non_null(strstr(e.text, "sites"));

    float sites[11] = {.10f, .20f, .15f, .05f, .30f, .97f, .25f, 0, .12f, .18f, .22f};
    float nat[11] = {0};
    float pe[11] = {0}, un[11] = {0};
    pe[8] = 1; /* gated */
    write_signal("embed", ".sites.npy", sites);
    write_signal("embed", ".naturalness.npy", nat);
    write_signal("gates", ".parse_error.npy", pe);
    write_signal("gates", ".undefined_name.npy", un);
    assert_int_equal(sciprune_score_settings_parse(&s, "sites,gate+sites", "0.1,0.2", NULL, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_score_sweep(g_w, sh, &s, &info, &e), SCIPRUNE_OK);
    uint8_t pruned[4][11];
    load_masks(4, pruned);
    for (int g = 0; g < 11; g++) { /* variants: sites-p0.10, sites-p0.20, gate+sites-p0.10, -p0.20 */
        assert_int_equal(pruned[0][g], g == 5);
        assert_int_equal(pruned[1][g], g == 5 || g == 4);
        assert_int_equal(pruned[2][g], g == 8);
        assert_int_equal(pruned[3][g], g == 8 || g == 5);
    }

    /* learned: only the sites weight is non-zero -> the planted record first; twice, same bytes */
    char p[700];
    snprintf(p, sizeof p, "mkdir -p '%s/analyze'", g_w);
    assert_int_equal(system(p), 0);
    snprintf(p, sizeof p, "%s/analyze/report.json", g_w);
    FILE *f = fopen(p, "w");
    fputs("{\"semantic\": {\"learned_weights\": {\"distance\": 0, \"log1p_cluster_size\": 0, "
          "\"parse_error\": 0, \"undefined_name\": 0, \"naturalness\": 0, \"log1p_length\": 0, "
          "\"sites\": 5.0, \"bias\": -1}}}\n", f);
    fclose(f);
    assert_int_equal(sciprune_score_settings_parse(&s, "learned", "0.1", NULL, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_score_sweep(g_w, sh, &s, &info, &e), SCIPRUNE_OK);
    load_masks(1, pruned);
    for (int g = 0; g < 11; g++) assert_int_equal(pruned[0][g], g == 5);
    json_t *plan = load_plan();
    json_t *th = json_object_get(json_array_get(json_object_get(plan, "variants"), 0), "threshold");
    double smin = json_real_value(json_object_get(th, "signal_min")); /* 5 * .97 - 1 */
    assert_true(fabs(smin - (5.0 * .97f - 1.0)) < 1e-5);
    json_decref(plan);
    char pp[700];
    snprintf(pp, sizeof pp, "%s/score/%s.prune.npy", g_w, k_names[0]);
    size_t na, nb;
    char *a = slurp(pp, &na);
    s.threads = 2; /* the same again, on two threads */
    assert_int_equal(sciprune_score_sweep(g_w, sh, &s, &info, &e), SCIPRUNE_OK);
    char *b = slurp(pp, &nb);
    assert_int_equal(na, nb);
    assert_true(na > 0 && memcmp(a, b, na) == 0);
    free(a);
    free(b);
    plan = load_plan();
    th = json_object_get(json_array_get(json_object_get(plan, "variants"), 0), "threshold");
    assert_true(json_real_value(json_object_get(th, "signal_min")) == smin);
    json_decref(plan);
    /* an older report without "sites": weight 0, learned ranks by length here */
    f = fopen(p, "w");
    fputs("{\"semantic\": {\"learned_weights\": {\"distance\": 0, \"log1p_cluster_size\": 0, "
          "\"parse_error\": 0, \"undefined_name\": 0, \"naturalness\": 0, \"log1p_length\": 1, "
          "\"bias\": 0}}}\n", f);
    fclose(f);
    assert_int_equal(sciprune_score_sweep(g_w, sh, &s, &info, &e), SCIPRUNE_OK);
    load_masks(1, pruned);
    for (int g = 0; g < 11; g++) assert_int_equal(pruned[0][g], g == k_len_order[0]);
    sciprune_shard_set_free(sh);
}

/* A planted two-language corpus (score.per_lang): 100 records in one shard, g % 5 == 4 is "c"
 * (20 records, all in cluster 2, the smallest, and all far from its centroid: dist .90 + g/1000),
 * the other 80 "python" in clusters 0 and 1 (40 each, dist g/1000 < .10). At p = 0.2 (n = 20)
 * the global distance and size plans take exactly the 20 C files; proportional takes
 * floor(.2 x 80 + .5) = 16 python and 4 C files, each language's farthest first. A gate plan
 * with 6 C files gated takes those 6 (more than 4: the gates say they are broken) and 16
 * python. The report warns for the global variants (100 % of c > 2p) and not for the others. */
#define LF_N 100
static void make_lang_example(const char *w, char *shard, size_t cap)
{
    char p[700], cmd[2400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s/index' '%s/assign' '%s/gates' '%s/in'", w, w, w, w, w);
    assert_int_equal(system(cmd), 0);
    snprintf(p, sizeof p, "%s/index/clusters.json", w);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("{\"k\": 3}\n", f);
    fclose(f);
    snprintf(shard, cap, "%s/in/m.jsonl", w);
    sciprune_shard_writer *wr;
    assert_int_equal(sciprune_shard_writer_open(&wr, shard, NULL, NULL), SCIPRUNE_OK);
    int32_t cl[LF_N];
    float ds[LF_N], pe[LF_N] = {0}, un[LF_N] = {0};
    int nc = 0, npy = 0;
    for (int g = 0; g < LF_N; g++) {
        int c = g % 5 == 4;
        char line[256];
        snprintf(line, sizeof line, "{\"id\": \"r%d\", \"content\": \"x = %d\", \"lang\": \"%s\"}", g, g,
                 c ? "c" : "python");
        assert_int_equal(sciprune_shard_writer_write(wr, line, strlen(line), NULL), SCIPRUNE_OK);
        cl[g] = c ? 2 : (npy++ % 2);
        ds[g] = c ? 0.90f + (float)g / 1000.0f : (float)g / 1000.0f;
        if (c && nc++ < 6) pe[g] = 1.0f; /* the first 6 C files (the nearest of them) are broken */
    }
    assert_int_equal(sciprune_shard_writer_close(wr, NULL), SCIPRUNE_OK);
    snprintf(p, sizeof p, "%s/assign/m.jsonl.cluster.npy", w);
    assert_int_equal(sp_npy_write(p, SP_NPY_I32, LF_N, 0, cl, NULL), SCIPRUNE_OK);
    snprintf(p, sizeof p, "%s/assign/m.jsonl.dist.npy", w);
    assert_int_equal(sp_npy_write(p, SP_NPY_F32, LF_N, 0, ds, NULL), SCIPRUNE_OK);
    snprintf(p, sizeof p, "%s/gates/m.jsonl.parse_error.npy", w);
    assert_int_equal(sp_npy_write(p, SP_NPY_F32, LF_N, 0, pe, NULL), SCIPRUNE_OK);
    snprintf(p, sizeof p, "%s/gates/m.jsonl.undefined_name.npy", w);
    assert_int_equal(sp_npy_write(p, SP_NPY_F32, LF_N, 0, un, NULL), SCIPRUNE_OK);
}

/* Pruned count per language (c, python) of variant v in W/score/m.jsonl.prune.npy; with by_dist
 * a check that the pruned records of each language are its farthest ones, the gated C files
 * (gated) aside. */
static void lang_counts(const char *w, size_t v, int *nc, int *npy, int gated, int by_dist)
{
    char p[700];
    snprintf(p, sizeof p, "%s/score/m.jsonl.prune.npy", w);
    sp_npy m;
    assert_int_equal(sp_npy_open(&m, p, NULL), SCIPRUNE_OK);
    const uint8_t *a = m.data;
    *nc = *npy = 0;
    int seen_kept[2] = {0, 0};
    for (int g = LF_N - 1; g >= 0; g--) { /* farthest first within each language */
        int c = g % 5 == 4, pr = (a[(size_t)g * m.cols + v / 8] >> (v % 8)) & 1;
        if (gated && c && g < 30) { /* the 6 gated C files: g = 4, 9, ..., 29 */
            assert_true(pr);
            (*nc)++;
            continue;
        }
        if (pr) {
            if (by_dist) assert_false(seen_kept[c]); /* nothing kept farther than a pruned one */
            (*nc) += c;
            (*npy) += !c;
        } else {
            seen_kept[c] = 1;
        }
    }
    sp_npy_close(&m);
}

static void test_score_per_lang_proportional_keeps_minority(void **state)
{
    (void)state;
    char w[400], shard[600];
    snprintf(w, sizeof w, "%s/lang", g_dir);
    make_lang_example(w, shard, sizeof shard);
    const char *paths[1] = {shard};
    sciprune_shard_set *sh = NULL;
    assert_int_equal(sciprune_shard_set_from_paths(&sh, paths, 1, NULL), SCIPRUNE_OK);
    sciprune_score_settings s;
    sciprune_score_settings_default(&s);
    sciprune_error e;
    assert_int_equal(sciprune_score_settings_parse(&s, "distance,size,gate+distance", "0.2", NULL, &e),
                     SCIPRUNE_OK);
    s.threads = 1;
    /* global: the budget wipes out c */
    assert_int_equal(sciprune_score_sweep(w, sh, &s, NULL, &e), SCIPRUNE_OK);
    int nc, npy;
    lang_counts(w, 0, &nc, &npy, 0, 1);
    assert_int_equal(nc, 20);
    assert_int_equal(npy, 0);
    lang_counts(w, 1, &nc, &npy, 0, 0);
    assert_int_equal(nc, 20);
    assert_int_equal(npy, 0);
    sciprune_prune_settings ps;
    sciprune_prune_settings_default(&ps);
    ps.output = SCIPRUNE_OUTPUT_MASK;
    ps.writer.fsync = 0;
    assert_int_equal(sciprune_prune_write(w, sh, &ps, NULL, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_report_write(w, &e), SCIPRUNE_OK);
    char p[700];
    snprintf(p, sizeof p, "%s/report.json", w);
    json_t *rep = json_load_file(p, 0, NULL);
    assert_non_null(rep);
    json_t *ls = json_object_get(rep, "language_share");
    assert_int_equal(json_array_size(ls), 3);
    json_t *c0 = json_object_get(json_object_get(json_array_get(ls, 0), "languages"), "c");
    assert_true(json_is_true(json_object_get(c0, "over_2p")));
    assert_true(fabs(json_real_value(json_object_get(c0, "share")) - 1.0) < 1e-9);
    json_decref(rep);
    snprintf(p, sizeof p, "grep -q 'prunes 100.0%% of the records of c (20 of 20 records)' '%s/report.md'", w);
    assert_int_equal(system(p), 0);

    /* proportional: p of each language, exactly */
    assert_int_equal(sciprune_per_lang_parse("proportional", &s.per_lang, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_score_sweep(w, sh, &s, NULL, &e), SCIPRUNE_OK);
    lang_counts(w, 0, &nc, &npy, 0, 1);
    assert_int_equal(nc, 4);
    assert_int_equal(npy, 16);
    lang_counts(w, 1, &nc, &npy, 0, 0);
    assert_int_equal(nc, 4);
    assert_int_equal(npy, 16);
    lang_counts(w, 2, &nc, &npy, 1, 1); /* the gates take all 6 C files they flag */
    assert_int_equal(nc, 6);
    assert_int_equal(npy, 16);
    snprintf(p, sizeof p, "%s/score/plan.json", w);
    json_t *plan = json_load_file(p, 0, NULL);
    assert_non_null(plan);
    assert_string_equal(json_string_value(json_object_get(plan, "per_lang")), "proportional");
    json_t *v2 = json_array_get(json_object_get(plan, "variants"), 2);
    json_t *pc = json_object_get(json_object_get(json_object_get(v2, "threshold"), "per_lang"), "c");
    assert_int_equal(json_integer_value(json_object_get(pc, "n_gated")), 6);
    assert_int_equal(json_integer_value(json_object_get(pc, "n_pruned")), 6);
    assert_int_equal(json_integer_value(json_object_get(v2, "n_pruned")), 22);
    json_decref(plan);
    assert_int_equal(sciprune_prune_write(w, sh, &ps, NULL, &e), SCIPRUNE_OK);
    assert_int_equal(sciprune_report_write(w, &e), SCIPRUNE_OK);
    snprintf(p, sizeof p, "grep -q 'Warning: languages' '%s/report.md'", w);
    assert_int_not_equal(system(p), 0); /* 6 of 20 = 30 % < 2p: no warning */

    /* a bytes budget: each language within half of one record of p x its bytes */
    s.budget = SCIPRUNE_BUDGET_BYTES;
    assert_int_equal(sciprune_score_sweep(w, sh, &s, NULL, &e), SCIPRUNE_OK);
    lang_counts(w, 0, &nc, &npy, 0, 1);
    assert_int_equal(nc, 4);
    assert_true(npy >= 15 && npy <= 17);
    /* settings: an unknown mode, and proportional without shard paths */
    assert_int_equal(sciprune_per_lang_parse("quota", &s.per_lang, &e), SCIPRUNE_EINVAL);
    s.budget = SCIPRUNE_BUDGET_RECORDS;
    free(sh->paths[0]);
    sh->paths[0] = NULL;
    assert_int_equal(sciprune_score_sweep(w, sh, &s, NULL, &e), SCIPRUNE_EINVAL);
    assert_non_null(strstr(e.text, "per_lang"));
    sciprune_shard_set_free(sh);
}

/* ------------------------------------------------------------------ cut (ranks) */

/* Ranks as threads: sciprune_ranks.reduce_sum over a shared buffer and a barrier. */
typedef struct cut_world {
    pthread_barrier_t bar;
    pthread_mutex_t mu;
    int64_t *acc;
    unsigned arrived;
    int size;
    long calls;
} cut_world;

static int cut_fake_sum(void *u, int64_t *v, int n)
{
    cut_world *fw = u;
    pthread_barrier_wait(&fw->bar);
    pthread_mutex_lock(&fw->mu);
    if (fw->arrived++ % (unsigned)fw->size == 0) {
        free(fw->acc);
        fw->acc = malloc((size_t)n * sizeof *v);
        memcpy(fw->acc, v, (size_t)n * sizeof *v);
        fw->calls++;
    } else {
        for (int i = 0; i < n; i++) fw->acc[i] += v[i];
    }
    pthread_mutex_unlock(&fw->mu);
    pthread_barrier_wait(&fw->bar);
    memcpy(v, fw->acc, (size_t)n * sizeof *v);
    return 0;
}

/* One simulated rank: its records, and the steps it runs. */
typedef struct cut_rank {
    sciprune_ranks r;
    rank_kg *a;
    uint64_t *w;
    size_t n;
    int weighted;
    uint64_t count;
    double goal;
    uint64_t cum;
    prune_cut_step_out out;
    prune_cut *tg;
    size_t nt;
    sciprune_status st, st2;
} cut_rank;

static void *cut_rank_main(void *p)
{
    cut_rank *c = p;
    sciprune_error e;
    c->st = prune_cut_step(c->a, c->weighted ? c->w : NULL, c->n, c->count, c->goal, &c->cum,
                           &c->out, &c->r, &e);
    c->st2 = c->tg ? prune_cut_find(c->a, NULL, c->n, c->tg, c->nt, 8, &c->r, &e) : SCIPRUNE_OK;
    return NULL;
}

static uint64_t cut_rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* The in-memory walk of score.c (rank_take, take_weighted) over the sorted records. */
static void cut_reference(const rank_kg *all, const uint64_t *wall, size_t n, int weighted,
                          uint64_t count, double goal, uint64_t *cum, uint8_t *taken)
{
    memset(taken, 0, n);
    if (!weighted) {
        for (size_t i = 0; i < n && i < count; i++) taken[all[i].g] = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t w = wall[all[i].g];
        if (2.0 * (double)(*cum + w) > 2.0 * goal + (double)w) break;
        taken[all[i].g] = 1;
        *cum += w;
    }
}

/* The threshold finder over 1, 2 and 3 ranks (threads) against the in-memory exact walk on
 * random data: keys with many ties and duplicates on both sides of a 16-bit bucket edge (the
 * g tie-break decides), counts and bytes budgets (zero weights too), every record dealt to a
 * random rank; also per-group quantile positions (8 bits a round). */
static void test_cut_ranks_equal_in_memory(void **state)
{
    (void)state;
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    enum { N = 700 };
    for (int trial = 0; trial < 24; trial++) {
        rank_kg *all = malloc(N * sizeof *all);
        uint64_t *wall = malloc(N * sizeof *wall);
        uint8_t *ref = malloc(N), *got = calloc(N, 1);
        assert_non_null(all);
        assert_non_null(wall);
        static const uint64_t edge[4] = {0x0000FFFFFFFFFFFFull, 0x0001000000000000ull,
                                         0xFFFF000000000000ull, 0x7FFFFFFFFFFFFFFFull};
        for (uint32_t g = 0; g < N; g++) {
            uint64_t r = cut_rng(&seed);
            uint64_t key = trial % 3 == 0 ? r % 5                           /* heavy ties */
                           : trial % 3 == 1 ? edge[r % 4] + (r >> 60) % 2   /* bucket edges */
                                            : r;                            /* distinct */
            all[g] = (rank_kg){key, g, (uint32_t)(r >> 40) % 3};
            wall[g] = trial % 2 ? (r >> 20) % 50 : 1; /* zeros among them */
        }
        int weighted = trial % 2;
        uint64_t tot = 0;
        for (int g = 0; g < N; g++) tot += wall[g];
        uint64_t count = (uint64_t)(trial * 37) % (N + 40); /* past N too */
        double goal = (double)(cut_rng(&seed) % (tot + 30)) + 0.5 * (trial % 4 == 1);
        uint64_t cum0 = trial % 4 == 3 ? cut_rng(&seed) % 40 : 0;
        /* the quantile targets: positions in each group (pad) */
        size_t gsize[3] = {0, 0, 0};
        for (int g = 0; g < N; g++) gsize[all[g].pad]++;
        prune_cut tgt[9];
        for (int x = 0; x < 3; x++)
            for (int q = 0; q < 3; q++)
                tgt[x * 3 + q] = (prune_cut){.group = (uint32_t)x,
                                             .t = 1 + (uint64_t)q * (gsize[x] - 1) / 2 + (q == 2)};
        /* reference: sort */
        rank_kg *srt = malloc(N * sizeof *srt);
        memcpy(srt, all, N * sizeof *srt);
        rank_sort(srt, N);
        uint64_t rcum = cum0;
        cut_reference(srt, wall, N, weighted, count, goal, &rcum, ref);
        for (int nr = 1; nr <= 3; nr++) {
            cut_world fw;
            memset(&fw, 0, sizeof fw);
            fw.size = nr;
            pthread_barrier_init(&fw.bar, NULL, (unsigned)nr);
            pthread_mutex_init(&fw.mu, NULL);
            cut_rank cr[3];
            memset(cr, 0, sizeof cr);
            for (int r = 0; r < nr; r++) {
                cr[r].r = (sciprune_ranks){.rank = r, .size = nr, .user = &fw,
                                           .reduce_sum = cut_fake_sum};
                cr[r].a = malloc(N * sizeof *cr[r].a);
                cr[r].w = malloc(N * sizeof *cr[r].w);
                cr[r].nt = 9;
                cr[r].weighted = weighted;
                cr[r].count = count;
                cr[r].goal = goal;
                cr[r].cum = cum0;
            }
            for (uint32_t g = 0; g < N; g++) { /* deal by a hash: not by index */
                cut_rank *c = &cr[(g * 2654435761u >> 7) % (uint32_t)nr];
                c->a[c->n] = all[g];
                c->w[c->n++] = wall[g];
            }
            /* the step needs pad 0 (one group); keep the groups for the quantiles */
            rank_kg *grp[3];
            for (int r = 0; r < nr; r++) {
                grp[r] = malloc(N * sizeof **grp);
                memcpy(grp[r], cr[r].a, cr[r].n * sizeof **grp);
            }
            pthread_t th[3];
            for (int r = 0; r < nr; r++) {
                for (size_t i = 0; i < cr[r].n; i++) cr[r].a[i].pad = 0;
                cr[r].tg = NULL;
                assert_int_equal(pthread_create(&th[r], NULL, cut_rank_main, &cr[r]), 0);
            }
            for (int r = 0; r < nr; r++) pthread_join(th[r], NULL);
            memset(got, 0, N);
            uint64_t ntaken = 0;
            for (int r = 0; r < nr; r++) {
                assert_int_equal(cr[r].st, SCIPRUNE_OK);
                assert_int_equal(cr[r].out.any, cr[0].out.any);
                assert_true(cr[r].out.key == cr[0].out.key && cr[r].out.g == cr[0].out.g);
                assert_true(cr[r].cum == (weighted ? rcum : cum0));
                for (size_t i = 0; i < cr[r].n; i++)
                    if (prune_cut_taken(&cr[r].a[i], &cr[r].out)) got[cr[r].a[i].g] = 1, ntaken++;
            }
            assert_memory_equal(got, ref, N);
            assert_int_equal(cr[0].out.taken, ntaken);
            /* quantile positions per group, 8 bits a round */
            for (int r = 0; r < nr; r++) {
                memcpy(cr[r].a, grp[r], cr[r].n * sizeof **grp);
                cr[r].tg = malloc(sizeof tgt);
                memcpy(cr[r].tg, tgt, sizeof tgt);
                cr[r].count = 0;
                cr[r].weighted = 0;
                assert_int_equal(pthread_create(&th[r], NULL, cut_rank_main, &cr[r]), 0);
            }
            for (int r = 0; r < nr; r++) pthread_join(th[r], NULL);
            for (int j = 0; j < 9; j++) {
                size_t seen = 0; /* the reference: the t-th record of the group in order */
                const rank_kg *want = NULL;
                for (int i = 0; i < N && !want; i++)
                    if (srt[i].pad == tgt[j].group && ++seen == tgt[j].t) want = &srt[i];
                for (int r = 0; r < nr; r++) {
                    assert_int_equal(cr[r].st2, SCIPRUNE_OK);
                    assert_int_equal(cr[r].tg[j].found, want != NULL);
                    if (want) {
                        assert_true(cr[r].tg[j].key == want->key);
                        assert_int_equal(cr[r].tg[j].g, want->g);
                        assert_int_equal(cr[r].tg[j].before, tgt[j].t - 1);
                    }
                }
            }
            if (nr > 1) assert_true(fw.calls >= 6); /* it did reduce */
            for (int r = 0; r < nr; r++) {
                free(cr[r].a);
                free(cr[r].w);
                free(cr[r].tg);
                free(grp[r]);
            }
            free(fw.acc);
            pthread_barrier_destroy(&fw.bar);
            pthread_mutex_destroy(&fw.mu);
        }
        free(srt);
        free(all);
        free(wall);
        free(ref);
        free(got);
    }
}

/* sciprune_score_sweep_part on one rank of a fake world (a thread). */
typedef struct score_rank {
    sciprune_ranks r;
    const sciprune_shard_set *sh;
    const sciprune_score_settings *s;
    sciprune_status st;
} score_rank;

static void *score_rank_main(void *p)
{
    score_rank *c = p;
    sciprune_error e;
    c->st = sciprune_score_sweep_part(g_w, c->sh, c->s, &c->r, NULL, &e);
    if (c->st) fprintf(stderr, "rank %d: %s\n", c->r.rank, e.text);
    return NULL;
}

/* W/score/ as one string: the masks' bytes and plan.json without its timings. */
static char *score_bytes(void)
{
    char p[700];
    size_t cap = 1 << 20, len = 0;
    char *out = calloc(cap, 1);
    for (int i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/score/%s.prune.npy", g_w, k_names[i]);
        char *buf = NULL;
        size_t n = 0;
        assert_int_equal(sp_read_file(p, &buf, &n, NULL), SCIPRUNE_OK);
        assert_true(len + n < cap);
        memcpy(out + len, buf, n);
        len += n;
        free(buf);
        unlink(p);
    }
    json_t *plan = load_plan();
    json_object_del(plan, "seconds");
    json_object_del(plan, "peak_rss");
    char *js = json_dumps(plan, JSON_SORT_KEYS | JSON_INDENT(1));
    assert_true(len + strlen(js) < cap);
    memcpy(out + len, js, strlen(js) + 1);
    free(js);
    json_decref(plan);
    snprintf(p, sizeof p, "%s/score/plan.json", g_w);
    unlink(p);
    return out;
}

/* The score stage over 2 and 3 ranks (threads with a fake SUM reduce; with 3, one rank holds
 * no shard) writes one process's bytes: every mask and plan.json (thresholds, the clusters'
 * quantiles and means, timings aside), for every metric that splits, records, bytes and
 * tokens budgets, gate plans. */
static void test_score_part_ranks_same_bytes(void **state)
{
    (void)state;
    make_example();
    const int gated[] = {4, 9, -1};
    write_gates(gated);
    sciprune_shard_set *sh = example_set(1);
    sciprune_score_settings s;
    sciprune_score_settings_default(&s);
    sciprune_error e;
    const char *metrics = "size,distance,combined,random,length,"
                          "gate+distance,gate+size,gate+combined,gate+random,gate+length";
    assert_int_equal(sciprune_score_settings_parse(&s, metrics, "0,0.1,0.25,0.5,0.9,1", "0,0.3,1", &e),
                     SCIPRUNE_OK);
    s.threads = 1;
    for (int b = 0; b < 3; b++) {
        s.budget = b == 0 ? SCIPRUNE_BUDGET_RECORDS : b == 1 ? SCIPRUNE_BUDGET_BYTES : SCIPRUNE_BUDGET_TOKENS;
        assert_int_equal(sciprune_score_sweep(g_w, sh, &s, NULL, &e), SCIPRUNE_OK);
        char *ref = score_bytes();
        for (int nr = 2; nr <= 3; nr++) {
            cut_world fw;
            memset(&fw, 0, sizeof fw);
            fw.size = nr;
            pthread_barrier_init(&fw.bar, NULL, (unsigned)nr);
            pthread_mutex_init(&fw.mu, NULL);
            score_rank cr[3];
            pthread_t th[3];
            for (int r = 0; r < nr; r++) {
                cr[r] = (score_rank){.r = {.rank = r, .size = nr, .user = &fw, .reduce_sum = cut_fake_sum},
                                     .sh = sh, .s = &s};
                assert_int_equal(pthread_create(&th[r], NULL, score_rank_main, &cr[r]), 0);
            }
            for (int r = 0; r < nr; r++) pthread_join(th[r], NULL);
            for (int r = 0; r < nr; r++) assert_int_equal(cr[r].st, SCIPRUNE_OK);
            assert_true(fw.calls > 6);
            char *got = score_bytes();
            assert_memory_equal(got, ref, 1 << 20);
            free(got);
            free(fw.acc);
            pthread_barrier_destroy(&fw.bar);
            pthread_mutex_destroy(&fw.mu);
        }
        free(ref);
    }
    sciprune_shard_set_free(sh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metric_names_and_settings),
        cmocka_unit_test(test_score_hand_example),
        cmocka_unit_test(test_prune_write_accounting),
        cmocka_unit_test(test_tokens_approx_counts_words_and_punctuation),
        cmocka_unit_test(test_score_budget_bytes_every_metric),
        cmocka_unit_test(test_prune_output_ids_mask_materialize),
        cmocka_unit_test(test_prune_write_mismatch),
        cmocka_unit_test(test_prune_write_unwritable),
        cmocka_unit_test(test_report_escapes_names_and_inputs_are_globs),
        cmocka_unit_test(test_report_decontam_benchmark_names_escaped),
        cmocka_unit_test(test_score_sites_planted_and_learned),
        cmocka_unit_test(test_score_per_lang_proportional_keeps_minority),
        cmocka_unit_test(test_cut_ranks_equal_in_memory),
        cmocka_unit_test(test_score_part_ranks_same_bytes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
