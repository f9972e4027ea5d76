/* test_rank.c - rank/: the keys' orders, the random key, cluster ranks and positions, the
 * budget's rounding, the plans of every metric, taking records on a shared mask. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../rank/rank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_ford_preserves_order(void **state)
{
    (void)state;
    const float v[] = {-INFINITY, -1e30f, -2.5f, -1e-30f, 0.0f, 1e-30f, 0.5f, 1.0f, 3e38f,
                       INFINITY};
    for (size_t i = 1; i < sizeof v / sizeof *v; i++)
        assert_true(rank_ford(v[i - 1]) < rank_ford(v[i]));
    assert_int_equal(rank_ford(-0.0f), rank_ford(0.0f));
}

static void test_key_distance_farthest_first(void **state)
{
    (void)state;
    assert_true(rank_key_distance(0.9f) < rank_key_distance(0.5f));
    assert_true(rank_key_distance(0.5f) < rank_key_distance(-0.5f));
    assert_true(rank_key_distance(0.5f) < (1ull << 32)); /* 32 bits */
}

static void test_key_size_cluster_rank_then_distance(void **state)
{
    (void)state;
    /* a smaller cluster (rank 0) comes before any record of a larger one, however near */
    assert_true(rank_key_size(0, 0.0f) < rank_key_size(1, 0.99f));
    /* inside one cluster: farthest first */
    assert_true(rank_key_size(3, 0.8f) < rank_key_size(3, 0.2f));
    assert_int_equal(rank_key_size(2, 0.4f) >> 32, 2);
    assert_int_equal(rank_key_cluster(5, 0.4f) >> 32, 5);
    assert_true(rank_key_cluster(0, 0.1f) < rank_key_cluster(1, 0.9f));
}

static void test_key_pc_fraction_order(void **state)
{
    (void)state;
    assert_int_equal(rank_key_pc(0, 7), 0);
    /* 1/3 < 2/5 < 1/2 = 2/4 < 2/3 */
    assert_true(rank_key_pc(1, 3) < rank_key_pc(2, 5));
    assert_true(rank_key_pc(2, 5) < rank_key_pc(1, 2));
    assert_int_equal(rank_key_pc(1, 2), rank_key_pc(2, 4));
    assert_true(rank_key_pc(1, 2) < rank_key_pc(2, 3));
    assert_int_equal(rank_key_pc(1, 2), 1ull << 63);
    /* distinct fractions of clusters near 2^32 stay distinct */
    assert_true(rank_key_pc(4294967293u, 4294967295u) < rank_key_pc(4294967294u, 4294967295u));
}

static void test_key_length_longest_first_clamped(void **state)
{
    (void)state;
    assert_true(rank_key_length(100) < rank_key_length(10));
    assert_true(rank_key_length(10) < rank_key_length(0));
    assert_int_equal(rank_key_length(UINT32_MAX), rank_key_length(1ull << 40));
}

static void test_key_random_is_seeded_hash(void **state)
{
    (void)state;
    assert_int_equal(rank_key_random_id("abc", 1234),
                     sp_hash64("abc", 3, 1234 ^ RANK_RANDOM_SEED_XOR));
    assert_int_equal(rank_key_random_addr("shard-00000", 17, 5),
                     sp_hash64("shard-00000:17", 14, 5 ^ RANK_RANDOM_SEED_XOR));
    assert_true(rank_key_random_id("abc", 1) != rank_key_random_id("abc", 2));
    /* not the index sample's hash (seed without the offset) */
    assert_true(rank_key_random_id("abc", 1234) != sp_hash64("abc", 3, 1234));
}

static void test_sort_ties_by_g(void **state)
{
    (void)state;
    rank_kg a[] = {{5, 3, 0}, {1, 9, 0}, {5, 1, 0}, {1, 2, 0}, {UINT64_MAX, 0, 0}};
    rank_sort(a, 5);
    const uint32_t want[] = {2, 9, 1, 3, 0};
    for (int i = 0; i < 5; i++) assert_int_equal(a[i].g, want[i]);
}

static void test_cluster_ranks_by_size_then_id(void **state)
{
    (void)state;
    const uint64_t size[] = {5, 3, 2, 3, 0};
    uint32_t crank[5];
    assert_int_equal(rank_cluster_ranks(size, 5, crank, NULL), SCIPRUNE_OK);
    const uint32_t want[] = {4, 2, 1, 3, 0};
    for (int c = 0; c < 5; c++) assert_int_equal(crank[c], want[c]);
}

static void test_cluster_positions_restart_per_cluster(void **state)
{
    (void)state;
    const int32_t cl[] = {1, 0, 1, 0, 1};
    const uint32_t order[] = {3, 1, 4, 0, 2}; /* cluster 0: 3, 1; cluster 1: 4, 0, 2 */
    uint32_t pos[5] = {99, 99, 99, 99, 99};
    rank_cluster_positions(order, 5, cl, pos);
    const uint32_t want[] = {1, 1, 2, 0, 0};
    for (int g = 0; g < 5; g++) assert_int_equal(pos[g], want[g]);
}

static void test_budget_rounds_half_up_and_caps(void **state)
{
    (void)state;
    assert_int_equal(rank_budget(0.2, 270), 54);
    assert_int_equal(rank_budget(0.25, 10), 3); /* 2.5 -> 3 */
    assert_int_equal(rank_budget(0.05, 10), 1); /* 0.5 -> 1 */
    assert_int_equal(rank_budget(0.04, 10), 0);
    assert_int_equal(rank_budget(0.0, 10), 0);
    assert_int_equal(rank_budget(1.0, 10), 10);
    assert_int_equal(rank_budget(1.0, 0), 0);
}

static void test_plan_simple_metrics(void **state)
{
    (void)state;
    static const struct { sciprune_score_metric m; rank_order o; } t[] = {
        {SCIPRUNE_METRIC_SIZE, RANK_ORD_SIZE},     {SCIPRUNE_METRIC_DISTANCE, RANK_ORD_DIST},
        {SCIPRUNE_METRIC_DISTANCE_PC, RANK_ORD_PC}, {SCIPRUNE_METRIC_RANDOM, RANK_ORD_RANDOM},
        {SCIPRUNE_METRIC_LENGTH, RANK_ORD_LENGTH}};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        rank_plan p;
        rank_plan_make(&p, t[i].m, 0.3, 0.5, 11, 4 /* ignored */);
        assert_int_equal(p.n, 3);
        assert_int_equal(p.gated, 0);
        assert_int_equal(p.n_fill, 3);
        assert_int_equal(p.n_steps, 1);
        assert_int_equal(p.step[0].ord, t[i].o);
        assert_int_equal(p.step[0].count, 3);
    }
}

static void test_plan_combined_alpha_split(void **state)
{
    (void)state;
    rank_plan p;
    rank_plan_make(&p, SCIPRUNE_METRIC_COMBINED, 0.2, 0.8, 100, 0); /* n 20, 16 by size */
    assert_int_equal(p.n, 20);
    assert_int_equal(p.n_steps, 2);
    assert_int_equal(p.step[0].ord, RANK_ORD_SIZE);
    assert_int_equal(p.step[0].count, 16);
    assert_int_equal(p.step[1].ord, RANK_ORD_DIST);
    assert_int_equal(p.step[1].count, 4);
    rank_plan_make(&p, SCIPRUNE_METRIC_COMBINED_PC, 0.5, 0.25, 10, 0); /* n 5, 1.25 -> 1 */
    assert_int_equal(p.step[0].count, 1);
    assert_int_equal(p.step[1].ord, RANK_ORD_PC);
    assert_int_equal(p.step[1].count, 4);
    rank_plan_make(&p, SCIPRUNE_METRIC_COMBINED, 0.5, 0.5, 5, 0); /* n 3 (2.5), ns 2 (1.5) */
    assert_int_equal(p.step[0].count, 2);
    assert_int_equal(p.step[1].count, 1);
    assert_true(rank_metric_has_alpha(SCIPRUNE_METRIC_GATE_COMBINED));
    assert_false(rank_metric_has_alpha(SCIPRUNE_METRIC_GATE_DISTANCE));
}

static void test_plan_gate_fill_and_overflow(void **state)
{
    (void)state;
    rank_plan p;
    rank_plan_make(&p, SCIPRUNE_METRIC_GATE_DISTANCE, 0.2, 0, 100, 6); /* 6 gated + 14 fill */
    assert_int_equal(p.gated, 1);
    assert_int_equal(p.n_gated, 6);
    assert_int_equal(p.n, 20);
    assert_int_equal(p.n_fill, 14);
    assert_int_equal(p.n_steps, 1);
    assert_int_equal(p.step[0].ord, RANK_ORD_DIST);
    assert_int_equal(p.step[0].count, 14);
    rank_plan_make(&p, SCIPRUNE_METRIC_GATE_COMBINED, 0.2, 0.4, 100, 10); /* rest 10: 4 + 6 */
    assert_int_equal(p.n_steps, 2);
    assert_int_equal(p.step[0].ord, RANK_ORD_SIZE);
    assert_int_equal(p.step[0].count, 4);
    assert_int_equal(p.step[1].ord, RANK_ORD_DIST);
    assert_int_equal(p.step[1].count, 6);
    rank_plan_make(&p, SCIPRUNE_METRIC_GATE_LENGTH, 0.2, 0, 100, 25); /* gated exceed n */
    assert_int_equal(p.n_fill, 0);
    assert_int_equal(p.step[0].ord, RANK_ORD_LENGTH);
    assert_int_equal(p.step[0].count, 0);
    rank_plan_make(&p, SCIPRUNE_METRIC_GATE_RANDOM, 0.2, 0, 100, 20);
    assert_int_equal(p.step[0].ord, RANK_ORD_RANDOM);
    assert_int_equal(p.n_fill, 0);
    rank_plan_make(&p, SCIPRUNE_METRIC_GATE_SIZE, 0.2, 0, 100, 0);
    assert_int_equal(p.step[0].ord, RANK_ORD_SIZE);
    assert_int_equal(p.step[0].count, 20);
}

static void test_take_skips_taken_on_shared_mask(void **state)
{
    (void)state;
    /* 6 records, 2 bytes per record; this variant's bit is bit 3 of byte 1 */
    uint8_t mask[12];
    memset(mask, 0, sizeof mask);
    const uint8_t bit = 1u << 3;
    mask[2 * 4 + 1] = bit;         /* record 4 already taken (gated) */
    mask[2 * 0 + 1] = 1u << 2;     /* another variant's bit: not ours */
    const uint32_t order[] = {4, 0, 5, 1, 3, 2};
    uint64_t taken;
    uint64_t last = rank_take(order, 6, mask + 1, 2, bit, 2, &taken);
    assert_int_equal(taken, 2);
    assert_int_equal(last, 5);
    assert_true(mask[2 * 0 + 1] & bit);
    assert_true(mask[2 * 5 + 1] & bit);
    assert_false(mask[2 * 1 + 1] & bit);
    assert_int_equal(mask[2 * 0 + 1] & (1u << 2), 1u << 2); /* left alone */
    for (int g = 0; g < 6; g++) assert_int_equal(mask[2 * g], 0);
    /* asking past the end takes what is left */
    last = rank_take(order, 6, mask + 1, 2, bit, 10, &taken);
    assert_int_equal(taken, 3);
    assert_int_equal(last, 2);
    last = rank_take(order, 6, mask + 1, 2, bit, 1, &taken);
    assert_int_equal(taken, 0);
    assert_true(last == UINT64_MAX);
}

static void test_metric_names_round_trip(void **state)
{
    (void)state;
    for (int m = 0; m < SCIPRUNE_METRIC_COUNT; m++) {
        sciprune_score_metric back;
        assert_int_equal(sciprune_score_metric_parse(sciprune_score_metric_name(m), &back, NULL),
                         SCIPRUNE_OK);
        assert_int_equal(back, m);
        assert_int_equal(sciprune_score_metric_is_plan(m),
                         !strncmp(sciprune_score_metric_name(m), "gate+", 5));
    }
    sciprune_error e;
    sciprune_score_metric x;
    assert_int_equal(sciprune_score_metric_parse("gate+pc", &x, &e), SCIPRUNE_EINVAL);
    assert_non_null(strstr(e.text, "gate+pc"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ford_preserves_order),
        cmocka_unit_test(test_key_distance_farthest_first),
        cmocka_unit_test(test_key_size_cluster_rank_then_distance),
        cmocka_unit_test(test_key_pc_fraction_order),
        cmocka_unit_test(test_key_length_longest_first_clamped),
        cmocka_unit_test(test_key_random_is_seeded_hash),
        cmocka_unit_test(test_sort_ties_by_g),
        cmocka_unit_test(test_cluster_ranks_by_size_then_id),
        cmocka_unit_test(test_cluster_positions_restart_per_cluster),
        cmocka_unit_test(test_budget_rounds_half_up_and_caps),
        cmocka_unit_test(test_plan_simple_metrics),
        cmocka_unit_test(test_plan_combined_alpha_split),
        cmocka_unit_test(test_plan_gate_fill_and_overflow),
        cmocka_unit_test(test_take_skips_taken_on_shared_mask),
        cmocka_unit_test(test_metric_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
