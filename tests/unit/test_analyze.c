/* test_analyze.c - analyze/: recall of mixed-in variants, AUROC and movement on a hand-computed
 * example; settings parsing; argument and state errors of sciprune_analyze(). The whole stage
 * on real files is tests/e2e/e2e_analyze.sh (with an independent numpy recomputation). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../analyze/analyze_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* bookworm's cmocka 1.1.5 has no assert_double_equal */
#define assert_near(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

/* The example (k = 2; clean sizes c0 = 4, c1 = 2, so c1 ranks first in size order):
 *   g  cluster dist len rnd        variants (g = 6 + row)
 *   0  c0      .10  10  5           v0 (g 6): c1 .60   5  4   original: clean 5
 *   1  c0      .20  20  1           v1 (g 7): c0 .35 100  8   original: clean 2
 *   2  c0      .30  30  7
 *   3  c0      .40  40  3
 *   4  c1      .50  50  9
 *   5  c1      .05  60  2
 * Orders of the union (worked out by hand, ties by g):
 *   size     6 4 5 3 7 2 1 0     distance 6 4 3 7 2 1 0 5
 *   random   1 5 3 6 0 2 7 4     length   7 5 4 3 2 1 0 6 */
static void make(an_corpus *c)
{
    static const int32_t ccl[6] = {0, 0, 0, 0, 1, 1};
    static const float cds[6] = {.10f, .20f, .30f, .40f, .50f, .05f};
    static const int64_t clen[6] = {10, 20, 30, 40, 50, 60};
    static const uint64_t crnd[6] = {5, 1, 7, 3, 9, 2};
    static const int32_t vcl[2] = {1, 0};
    static const float vds[2] = {.60f, .35f};
    static const int64_t vlen[2] = {5, 100};
    static const uint64_t vrnd[2] = {4, 8};
    static const int64_t vorig[2] = {5, 2};
    memset(c, 0, sizeof *c);
    c->nc = 6;
    c->nv = 2;
    c->k = 2;
#define DUP(f, n) do { c->f = malloc(sizeof f); assert_non_null(c->f); memcpy(c->f, f, sizeof f); } while (0)
    DUP(ccl, 6); DUP(cds, 6); DUP(clen, 6); DUP(crnd, 6);
    DUP(vcl, 2); DUP(vds, 2); DUP(vlen, 2); DUP(vrnd, 2); DUP(vorig, 2);
#undef DUP
    assert_int_equal(an_corpus_prepare(c, NULL), SCIPRUNE_OK);
}

static void test_eval_recall_hand_example(void **state)
{
    (void)state;
    an_corpus c;
    make(&c);
    assert_int_equal(c.size[0], 4);
    assert_int_equal(c.size[1], 2);
    assert_int_equal(c.crank[1], 0);
    const uint32_t J[2] = {0, 1};
    const double ratios[2] = {0.25, 0.5};
    const double alphas[3] = {0.5, 0.75, 1.0};
    double rec[AN_N_METRICS(3) * 2], orec[AN_N_METRICS(3) * 2];
    an_group_result r = {.recall = rec, .orig_recall = orec};
    assert_int_equal(an_group_eval(&c, J, 2, ratios, 2, alphas, 3, &r, NULL), SCIPRUNE_OK);
    /* metric rows: size, distance, combined a.5, a.75, a1, random, length; columns p .25, .5 */
    const double want[7][2] = {{.5, .5}, {.5, 1.0}, {.5, 1.0}, {.5, .5}, {.5, .5}, {0, .5}, {.5, .5}};
    for (int m = 0; m < 7; m++)
        for (int i = 0; i < 2; i++) assert_near(rec[m * 2 + i], want[m][i], 1e-12);
    /* the originals (clean 5 and 2) pruned by the same selections */
    const double owant[7][2] = {{0, .5}, {0, 0}, {0, 0}, {0, .5}, {0, .5}, {.5, .5}, {.5, .5}};
    for (int m = 0; m < 7; m++)
        for (int i = 0; i < 2; i++) assert_near(orec[m * 2 + i], owant[m][i], 1e-12);
    /* AUROC: size 7/12, distance 10/12, random 4/12, length 6/12 */
    assert_near(r.auroc[AN_ORD_SIZE], 7.0 / 12, 1e-12);
    assert_near(r.auroc[AN_ORD_DIST], 10.0 / 12, 1e-12);
    assert_near(r.auroc[AN_ORD_RANDOM], 4.0 / 12, 1e-12);
    assert_near(r.auroc[AN_ORD_LENGTH], 0.5, 1e-12);
    /* movement: both stay in their original's cluster; distance percentile deltas
     * 100 - 100 * 0.5 / 6 and 100 * 4 / 6 - 100 * 3.5 / 6: median 50 */
    assert_int_equal(r.n_orig, 2);
    assert_near(r.share_smaller, 0.0, 1e-12);
    assert_near(r.share_same, 1.0, 1e-12);
    assert_near(r.med_dsize_pct, 0.0, 1e-12);
    assert_near(r.med_ddist_pct, 50.0, 1e-4);
    an_corpus_clear(&c);
}

/* One variant alone: the union is 7 records, p = 0.5 prunes 4 of them. */
static void test_eval_recall_single_variant(void **state)
{
    (void)state;
    an_corpus c;
    make(&c);
    const uint32_t J[1] = {1};
    const double ratios[2] = {0.0, 0.5};
    const double alphas[1] = {0.0};
    double rec[AN_N_METRICS(1) * 2];
    an_group_result r = {.recall = rec};
    assert_int_equal(an_group_eval(&c, J, 1, ratios, 2, alphas, 1, &r, NULL), SCIPRUNE_OK);
    /* size order 4 5 3 7: v1 at position 3 < 4; distance order 4 3 7: position 2 */
    assert_near(rec[0 * 2 + 1], 1.0, 0);
    assert_near(rec[1 * 2 + 1], 1.0, 0);
    assert_near(rec[2 * 2 + 1], 1.0, 0); /* combined a0 = distance */
    for (int m = 0; m < 5; m++) assert_near(rec[m * 2 + 0], 0.0, 0); /* p = 0 */
    an_corpus_clear(&c);
}

/* Gate plans on the hand example: clean 4 flagged by parse_error, variant v0 (g 6) by
 * undefined_name. Gated records of U: {4, 6}.
 *   p = .125: n = 1 < 2 gated: both pruned anyway (recall .5 for every plan)
 *   p = .25:  n = 2: exactly the gated ones
 *   p = .5:   n = 4, 2 more among the unflagged:
 *     gate+size      5 3   -> variants {6}     originals {5}   recall .5  orig .5
 *     gate+distance  3 7   -> {6, 7}           {}              1          0
 *     gate+combined a.5: 1 by size (5), 1 by distance (3)      .5         .5
 *                   a.75, a1: 2 by size (5 3)                  .5         .5
 *     gate+random    1 5   -> {6}              {5}             .5         .5
 *     gate+length    7 5   -> {6, 7}           {5}             1          .5 */
static void test_eval_gate_plans_hand_example(void **state)
{
    (void)state;
    an_corpus c;
    make(&c);
    c.cgate = calloc(6, 1);
    c.vgate = calloc(2, 1);
    assert_non_null(c.cgate);
    assert_non_null(c.vgate);
    c.cgate[4] = 1;
    c.vgate[0] = 2;
    const uint32_t J[2] = {0, 1};
    const double ratios[3] = {0.125, 0.25, 0.5};
    const double alphas[3] = {0.5, 0.75, 1.0};
    enum { NM = AN_N_METRICS(3), NR = AN_N_ROWS(3, 1) };
    double rec[NR * 3], orec[NR * 3];
    an_group_result r = {.recall = rec, .orig_recall = orec};
    assert_int_equal(an_group_eval(&c, J, 2, ratios, 3, alphas, 3, &r, NULL), SCIPRUNE_OK);
    assert_near(r.gate_recall[0], 0.0, 0);
    assert_near(r.gate_recall[1], 0.5, 0);
    assert_near(r.gate_recall[2], 0.5, 0);
    /* the plain metrics are unchanged by the gates (rows 0..NM-1, as in the first test) */
    assert_near(rec[1 * 3 + 2], 1.0, 1e-12);
    assert_near(rec[(2 + 3) * 3 + 1], 0.0, 1e-12); /* random at p = .25 */
    /* gate plans: size, distance, combined a.5, a.75, a1, random, length */
    const double want[7] = {.5, 1.0, .5, .5, .5, .5, 1.0};
    const double owant[7] = {.5, 0, .5, .5, .5, .5, .5};
    for (int m = 0; m < 7; m++) {
        assert_near(rec[(NM + m) * 3 + 0], 0.5, 1e-12);
        assert_near(rec[(NM + m) * 3 + 1], 0.5, 1e-12);
        assert_near(orec[(NM + m) * 3 + 0], 0.0, 1e-12);
        assert_near(orec[(NM + m) * 3 + 1], 0.0, 1e-12);
        assert_near(rec[(NM + m) * 3 + 2], want[m], 1e-12);
        assert_near(orec[(NM + m) * 3 + 2], owant[m], 1e-12);
    }
    an_corpus_clear(&c);
}

static void test_is_generated(void **state)
{
    (void)state;
    const char *a = "# -*- coding: utf-8 -*-\n# Generated by the protocol buffer compiler.\nx = 1\n";
    const char *b = "// Code generated by stringer; DO NOT EDIT.\npackage x\n";
    const char *c = "def f():\n    return 1\n";
    assert_true(an_is_generated(a, strlen(a)));
    assert_true(an_is_generated(b, strlen(b)));
    assert_false(an_is_generated(c, strlen(c)));
    /* a marker after the first 2 KiB does not count */
    char *d = malloc(4096);
    assert_non_null(d);
    memset(d, 'x', 4096);
    for (int i = 80; i < 4096; i += 81) d[i] = '\n';
    memcpy(d + 3000, "@generated", 10);
    assert_false(an_is_generated(d, 4096));
    memcpy(d + 100, "@Generated", 10);
    assert_true(an_is_generated(d, 4096));
    free(d);
    /* minified: 12 KiB in 3 lines (average 4 KiB > 300); the same in 81-byte lines is not */
    char *e = malloc(12288);
    assert_non_null(e);
    memset(e, 'a', 12288);
    e[4000] = e[8000] = '\n';
    assert_true(an_is_generated(e, 12288));
    for (int i = 80; i < 12288; i += 81) e[i] = '\n';
    assert_false(an_is_generated(e, 12288));
    e[5021] = e[5102] = 'a'; /* one line of 242 bytes: still short */
    assert_false(an_is_generated(e, 12288));
    memset(e + 100, 'b', 5200); /* one line over 5000 bytes */
    assert_true(an_is_generated(e, 12288));
    free(e);
}

static void test_prepare_rejects_bad_cluster(void **state)
{
    (void)state;
    an_corpus c;
    memset(&c, 0, sizeof c);
    int32_t cl[1] = {3};
    float ds[1] = {0};
    int64_t ln[1] = {0};
    uint64_t rn[1] = {0};
    c.nc = 1;
    c.k = 2;
    c.ccl = cl; c.cds = ds; c.clen = ln; c.crnd = rn;
    sciprune_error e;
    assert_int_equal(an_corpus_prepare(&c, &e), SCIPRUNE_EINVAL);
    free(c.size); free(c.crank); free(c.dsorted);
}

static void test_settings_parse(void **state)
{
    (void)state;
    sciprune_analyze_settings s;
    sciprune_error e;
    sciprune_analyze_settings_default(&s);
    assert_int_equal(s.n_ratios, 6);
    assert_int_equal(s.n_alphas, 6);
    assert_near(s.alphas[5], 1.0, 1e-12);
    assert_near(s.ratio, 0.2, 0);
    assert_int_equal(sciprune_analyze_settings_parse(&s, "0.1, 0.3", "0.5", &e), SCIPRUNE_OK);
    assert_int_equal(s.n_ratios, 2);
    assert_near(s.ratios[1], 0.3, 0);
    assert_int_equal(s.n_alphas, 1);
    assert_int_equal(sciprune_analyze_settings_parse(&s, "0.1,0.1", NULL, &e), SCIPRUNE_EINVAL);
    assert_int_equal(sciprune_analyze_settings_parse(&s, "1.5", NULL, &e), SCIPRUNE_EINVAL);
    assert_int_equal(sciprune_analyze_settings_parse(&s, NULL, "x", &e), SCIPRUNE_EINVAL);
    assert_int_equal(sciprune_analyze_settings_parse(&s, "", NULL, &e), SCIPRUNE_EINVAL);
    assert_int_equal(s.n_ratios, 2); /* unchanged on error */
}

static void test_analyze_errors(void **state)
{
    (void)state;
    sciprune_analyze_settings s;
    sciprune_error e;
    sciprune_analyze_info info;
    const char *cor[1] = {"/nonexistent/cor"};
    sciprune_analyze_settings_default(&s);
    s.weights = "syntax";
    assert_int_equal(sciprune_analyze("/nonexistent/w", cor, 1, &s, &info, &e), SCIPRUNE_EINVAL);
    s.weights = "syntax=-1";
    assert_int_equal(sciprune_analyze("/nonexistent/w", cor, 1, &s, &info, &e), SCIPRUNE_EINVAL);
    s.weights = "syntax=2,content=0.5";
    sciprune_status st = sciprune_analyze("/nonexistent/w", cor, 1, &s, &info, &e);
    assert_true(st == SCIPRUNE_EIO || st == SCIPRUNE_ESTATE);
    assert_int_equal(e.code, st);
    assert_int_equal(sciprune_analyze(NULL, cor, 1, &s, NULL, NULL), SCIPRUNE_EINVAL);
    /* the split over ranks: part_index -1 (the merge) .. part_count - 1 */
    s.parts_dir = "/nonexistent/parts";
    s.part_count = 2;
    s.part_index = 2;
    assert_int_equal(sciprune_analyze("/nonexistent/w", cor, 1, &s, &info, &e), SCIPRUNE_EINVAL);
    assert_non_null(strstr(e.text, "part_index"));
    s.part_index = -2;
    assert_int_equal(sciprune_analyze("/nonexistent/w", cor, 1, &s, &info, &e), SCIPRUNE_EINVAL);
    s.part_index = 1; /* in range: it gets as far as the workdir */
    st = sciprune_analyze("/nonexistent/w", cor, 1, &s, &info, &e);
    assert_true(st == SCIPRUNE_EIO || st == SCIPRUNE_ESTATE);
}


/* The learned model's fit (semantic.c) separates a planted set: label 1 iff 2*x0 - x1 > 1, x2
 * pure noise; the fitted score orders every positive above every negative, the noise weight is
 * small beside the planted ones, and a second fit gives the same bytes. */
static void test_logistic_fit_separates_planted_set(void **state)
{
    (void)state;
    enum { N = 400, F = 3 };
    double X[N * F], w[F], w2[F], b, b2;
    uint8_t y[N];
    uint64_t s = 12345;
    size_t np = 0;
    for (size_t i = 0; i < N; i++) {
        for (int k = 0; k < F; k++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            X[i * F + k] = (double)(s >> 11) / 9007199254740992.0 * 4.0 - 2.0;
        }
        double m = 2 * X[i * F] - X[i * F + 1] - 1;
        if (fabs(m) < 0.3) X[i * F] += m > 0 ? 0.3 : -0.3; /* a margin */
        y[i] = 2 * X[i * F] - X[i * F + 1] > 1;
        np += y[i];
    }
    assert_true(np > 40 && np < N - 40);
    assert_int_equal(an_logistic_fit(X, y, N, F, w, &b), 0);
    double minpos = 1e300, maxneg = -1e300;
    for (size_t i = 0; i < N; i++) {
        double z = b + w[0] * X[i * F] + w[1] * X[i * F + 1] + w[2] * X[i * F + 2];
        if (y[i]) minpos = z < minpos ? z : minpos;
        else maxneg = z > maxneg ? z : maxneg;
    }
    assert_true(minpos > maxneg);
    assert_true(w[0] > 0 && w[1] < 0);
    assert_true(fabs(w[2]) < 0.2 * fabs(w[0]));
    assert_int_equal(an_logistic_fit(X, y, N, F, w2, &b2), 0);
    assert_memory_equal(w, w2, sizeof w);
    assert_true(b == b2);
}

/* an_semantic with the sites signal: 400 clean records and 200 variants (one content type)
 * whose only difference is a planted sites value (variants 0.9, clean 0.1 but 20 clean at
 * 0.95): sites catches the test half's variants at p = 0.2, learned gets a positive sites
 * weight and the same bytes on a second run; without the signal the section has no sites
 * metric and no sites weight. */
static void test_semantic_sites_planted(void **state)
{
    (void)state;
    enum { NC = 400, NV = 200 };
    an_corpus c;
    memset(&c, 0, sizeof c);
    c.nc = NC;
    c.nv = NV;
    c.k = 2;
    c.ccl = calloc(NC, sizeof *c.ccl); c.cds = calloc(NC, sizeof *c.cds);
    c.clen = calloc(NC, sizeof *c.clen); c.crnd = calloc(NC, sizeof *c.crnd);
    c.vcl = calloc(NV, sizeof *c.vcl); c.vds = calloc(NV, sizeof *c.vds);
    c.vlen = calloc(NV, sizeof *c.vlen); c.vrnd = calloc(NV, sizeof *c.vrnd);
    c.vorig = calloc(NV, sizeof *c.vorig);
    float cnat[NC], vnat[NV], cs[NC], vs[NV];
    size_t vt[NV];
    uint64_t r = 99;
    for (size_t g = 0; g < NC; g++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        c.ccl[g] = (int32_t)(g % 2);
        c.cds[g] = (float)((r >> 40) % 1000) / 1000.0f;
        c.clen[g] = 100 + (int64_t)(g % 37);
        c.crnd[g] = r;
        cnat[g] = 0;
        cs[g] = g % 20 == 0 ? 0.95f : 0.1f;
    }
    for (size_t j = 0; j < NV; j++) {
        size_t o = j * 2;
        c.vcl[j] = c.ccl[o];
        c.vds[j] = c.cds[o];
        c.vlen[j] = c.clen[o];
        c.vrnd[j] = c.crnd[o] ^ 0x5555;
        c.vorig[j] = (int64_t)o;
        vnat[j] = 0;
        vs[j] = 0.9f;
        vt[j] = 0;
    }
    assert_int_equal(an_corpus_prepare(&c, NULL), SCIPRUNE_OK);
    const char *names[1] = {"swap-operator"};
    int content[1] = {1};
    double ratios[1] = {0.2};
    an_sem_in in = {.c = &c, .cnat = cnat, .vnat = vnat, .have_nat = 1, .csites = cs,
                    .vsites = vs, .have_sites = 1, .vtype = vt, .type_names = names,
                    .type_content = content, .ntypes = 1, .ratios = ratios, .nr = 1, .ratio = 0.2};
    an_sem_out out, out2;
    json_t *a = an_semantic(&in, &out), *b = an_semantic(&in, &out2);
    assert_non_null(a);
    assert_non_null(b);
    char *sa = json_dumps(a, JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    char *sb = json_dumps(b, JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
    assert_string_equal(sa, sb);
    free(sa);
    free(sb);
    json_t *rec = json_object_get(a, "recall");
    double rs = json_real_value(json_array_get(json_object_get(json_object_get(rec, "sites"), "swap-operator"), 0));
    double rr = json_real_value(json_array_get(json_object_get(json_object_get(rec, "random"), "swap-operator"), 0));
    assert_true(rs == 1.0);
    assert_true(rr < 0.6);
    assert_non_null(json_object_get(rec, "gate+sites"));
    json_t *w = json_object_get(a, "learned_weights");
    assert_true(json_real_value(json_object_get(w, "sites")) > 0);
    assert_true(out.w[6] > 0);
    assert_int_equal(out.n_metrics, 11);
    assert_non_null(json_object_get(rec, "size"));
    assert_non_null(json_object_get(rec, "gate+size"));
    /* the paired comparison sites vs distance on the same test probes: one type, so the diff
     * is the recall difference, and with sites catching every probe d = 1 - caught(distance):
     * se = sqrt(rd (1 - rd) n / (n - 1) / n) */
    double rd = json_real_value(json_array_get(json_object_get(json_object_get(rec, "distance"), "swap-operator"), 0));
    double nt = (double)json_integer_value(json_object_get(a, "n_test_variants"));
    assert_true(nt >= 50);
    assert_int_equal(out.n_vs, 6);
    const struct an_sem_vs *sv = NULL;
    for (size_t i = 0; i < out.n_vs; i++)
        if (!strcmp(out.vs[i].metric, "sites") && !strcmp(out.vs[i].against, "distance")) sv = &out.vs[i];
    assert_non_null(sv);
    assert_true(fabs(sv->diff - (rs - rd)) < 1e-12);
    assert_true(fabs(sv->mean - rs) < 1e-12 && fabs(sv->mean_against - rd) < 1e-12);
    assert_true(fabs(sv->se - sqrt(rd * (1 - rd) / (nt - 1))) < 1e-12);
    assert_true(rd < 0.5 && sv->diff > 2 * sv->se);
    /* learned against size, paired on the same probes: its means are the two recalls */
    const struct an_sem_vs *lz = NULL;
    for (size_t i = 0; i < out.n_vs; i++)
        if (!strcmp(out.vs[i].metric, "learned") && !strcmp(out.vs[i].against, "size")) lz = &out.vs[i];
    assert_non_null(lz);
    double rl = json_real_value(json_array_get(json_object_get(json_object_get(rec, "learned"), "swap-operator"), 0));
    double rz = json_real_value(json_array_get(json_object_get(json_object_get(rec, "size"), "swap-operator"), 0));
    assert_true(fabs(lz->mean - rl) < 1e-12 && fabs(lz->mean_against - rz) < 1e-12);
    assert_true(fabs(lz->diff - (rl - rz)) < 1e-12);
    json_t *vsj = json_object_get(a, "versus");
    assert_int_equal(json_array_size(vsj), 6);
    /* weights scale nothing with one type; a zero-weight type adds nothing either */
    double tw[1] = {3.0};
    in.type_weight = tw;
    json_t *a3 = an_semantic(&in, &out2);
    assert_non_null(a3);
    for (size_t i = 0; i < out.n_vs; i++) {
        assert_true(fabs(out2.vs[i].diff - out.vs[i].diff) < 1e-12);
        assert_true(fabs(out2.vs[i].se - out.vs[i].se) < 1e-12);
    }
    json_decref(a3);
    in.type_weight = NULL;
    json_decref(a);
    json_decref(b);
    in.have_sites = 0; /* no signal: the 6-feature model, no sites metric */
    a = an_semantic(&in, &out);
    assert_non_null(a);
    assert_null(json_object_get(json_object_get(a, "learned_weights"), "sites"));
    assert_null(json_object_get(json_object_get(a, "recall"), "sites"));
    assert_int_equal(out.n_metrics, 9);
    assert_true(out.w[6] == 0);
    json_decref(a);
    an_corpus_clear(&c);
}

/* an_semantic with a held-out probe set (variants [nv_main, nv)): the test is the held-out
 * set, not the main set's half 1. The main variants carry a planted sites value 0.9 (caught),
 * the held-out ones 0.1 (like the clean records: not caught), so the held-out recall of sites
 * is low while the same-seed comparison is 1; held-out probes of half 0 are left out and
 * counted; report.json says which seeds trained and tested. */
static void test_semantic_tests_on_heldout_set(void **state)
{
    (void)state;
    enum { NC = 400, NM = 200, NH = 100, NV = NM + NH };
    an_corpus c;
    memset(&c, 0, sizeof c);
    c.nc = NC;
    c.nv = NV;
    c.k = 2;
    c.ccl = calloc(NC, sizeof *c.ccl); c.cds = calloc(NC, sizeof *c.cds);
    c.clen = calloc(NC, sizeof *c.clen); c.crnd = calloc(NC, sizeof *c.crnd);
    c.vcl = calloc(NV, sizeof *c.vcl); c.vds = calloc(NV, sizeof *c.vds);
    c.vlen = calloc(NV, sizeof *c.vlen); c.vrnd = calloc(NV, sizeof *c.vrnd);
    c.vorig = calloc(NV, sizeof *c.vorig);
    float cnat[NC], vnat[NV], cs[NC], vs[NV];
    size_t vt[NV];
    uint8_t ch[NC];
    uint64_t r = 7;
    for (size_t g = 0; g < NC; g++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        c.ccl[g] = (int32_t)(g % 2);
        c.cds[g] = (float)((r >> 40) % 1000) / 1000.0f;
        c.clen[g] = 100 + (int64_t)(g % 37);
        c.crnd[g] = r;
        cnat[g] = 0;
        cs[g] = 0.1f;
        ch[g] = (uint8_t)(g % 2);
    }
    size_t heldout_half0 = 0;
    for (size_t j = 0; j < NV; j++) {
        size_t o = j < NM ? 2 * j + j % 2 : (j - NM) * 4 % NC + (j % 5 == 0 ? 0 : 1);
        c.vcl[j] = c.ccl[o];
        c.vds[j] = c.cds[o];
        c.vlen[j] = c.clen[o];
        c.vrnd[j] = c.crnd[o] ^ 0x5555;
        c.vorig[j] = (int64_t)o;
        vnat[j] = 0;
        vs[j] = j < NM ? 0.9f : 0.1f;
        vt[j] = 0;
        heldout_half0 += j >= NM && ch[o] == 0;
    }
    assert_true(heldout_half0 > 0);
    assert_int_equal(an_corpus_prepare(&c, NULL), SCIPRUNE_OK);
    const char *names[1] = {"swap-operator"};
    int content[1] = {1};
    double ratios[1] = {0.2};
    an_sem_in in = {.c = &c, .cnat = cnat, .vnat = vnat, .have_nat = 1, .csites = cs,
                    .vsites = vs, .have_sites = 1, .vtype = vt, .type_names = names,
                    .type_content = content, .ntypes = 1, .ratios = ratios, .nr = 1, .ratio = 0.2,
                    .chalf = ch, .nv_main = NM, .seed_main = 5, .seed_heldout = 77};
    an_sem_out out;
    json_t *a = an_semantic(&in, &out);
    assert_non_null(a);
    double held = json_real_value(json_array_get(json_object_get(json_object_get(a, "mean_content_recall"), "sites"), 0));
    double same = json_real_value(json_array_get(json_object_get(json_object_get(a, "mean_content_recall_same_seed"), "sites"), 0));
    assert_true(held < 0.3);
    assert_true(same == 1.0);
    json_t *tp = json_object_get(a, "test_probes");
    assert_int_equal(json_integer_value(json_object_get(tp, "seed")), 77);
    assert_int_equal(json_integer_value(json_object_get(tp, "half")), 1);
    assert_true(json_is_true(json_object_get(tp, "different_seed")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "train_probes"), "seed")), 5);
    assert_int_equal(json_integer_value(json_object_get(a, "n_heldout_wrong_half")), (json_int_t)heldout_half0);
    assert_int_equal(json_integer_value(json_object_get(a, "n_test_variants")), (json_int_t)(NH - heldout_half0));
    json_decref(a);
    in.nv_main = 0; /* no held-out set: the main set's half 1 tests, and the report says so */
    a = an_semantic(&in, &out);
    assert_non_null(a);
    tp = json_object_get(a, "test_probes");
    assert_int_equal(json_integer_value(json_object_get(tp, "seed")), 5);
    assert_true(json_is_false(json_object_get(tp, "different_seed")));
    assert_null(json_object_get(a, "mean_content_recall_same_seed"));
    json_decref(a);
    an_corpus_clear(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logistic_fit_separates_planted_set),
        cmocka_unit_test(test_semantic_sites_planted),
        cmocka_unit_test(test_semantic_tests_on_heldout_set),
        cmocka_unit_test(test_eval_recall_hand_example),
        cmocka_unit_test(test_eval_recall_single_variant),
        cmocka_unit_test(test_eval_gate_plans_hand_example),
        cmocka_unit_test(test_is_generated),
        cmocka_unit_test(test_prepare_rejects_bad_cluster),
        cmocka_unit_test(test_settings_parse),
        cmocka_unit_test(test_analyze_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
