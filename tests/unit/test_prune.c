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
    char p[700], cmd[1600];
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metric_names_and_settings),
        cmocka_unit_test(test_score_hand_example),
        cmocka_unit_test(test_prune_write_accounting),
        cmocka_unit_test(test_prune_write_mismatch),
        cmocka_unit_test(test_prune_write_unwritable),
        cmocka_unit_test(test_report_escapes_names_and_inputs_are_globs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
