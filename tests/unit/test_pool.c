/* test_pool.c - shard/sp_pool: every item once, worker ids, the lowest failing item reported
 * whatever the thread count, no new items after a failure, the persistent pool reused, and
 * the default thread count following the CPU affinity and SLURM_CPUS_PER_TASK. */
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../shard/sp_pool.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 2000

typedef struct counts {
    atomic_int hits[N];
    atomic_int per_worker[SP_THREADS_MAX];
    atomic_int ran;
    int threads;
    size_t fail_a, fail_b; /* items that fail (SIZE_MAX: none) */
    atomic_int bad_worker;
} counts;

static sciprune_status item(void *ctx, int worker, size_t i, sciprune_error *err)
{
    counts *c = ctx;
    if (worker < 0 || worker >= c->threads) atomic_store(&c->bad_worker, 1);
    else atomic_fetch_add(&c->per_worker[worker], 1);
    atomic_fetch_add(&c->hits[i], 1);
    atomic_fetch_add(&c->ran, 1);
    if (i == c->fail_a || i == c->fail_b)
        return sp_err(err, i == c->fail_a ? SCIPRUNE_EPARSE : SCIPRUNE_EIO, NULL, (int64_t)i, -1,
                      "item %zu failed", i);
    return SCIPRUNE_OK;
}

static counts *counts_new(int threads, size_t fa, size_t fb)
{
    counts *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->threads = threads;
    c->fail_a = fa;
    c->fail_b = fb;
    return c;
}

static void test_parallel_for_runs_every_item_once(void **state)
{
    (void)state;
    static const int th[] = {1, 2, 3, 8};
    for (size_t t = 0; t < sizeof th / sizeof *th; t++) {
        counts *c = counts_new(th[t], SIZE_MAX, SIZE_MAX);
        sciprune_error e;
        assert_int_equal(sp_parallel_for(N, th[t], item, c, &e), SCIPRUNE_OK);
        for (size_t i = 0; i < N; i++) assert_int_equal(atomic_load(&c->hits[i]), 1);
        int sum = 0;
        for (int w = 0; w < th[t]; w++) sum += atomic_load(&c->per_worker[w]);
        assert_int_equal(sum, N);
        assert_int_equal(atomic_load(&c->bad_worker), 0);
        free(c);
    }
    /* no items: fn is not called */
    counts *c = counts_new(2, SIZE_MAX, SIZE_MAX);
    assert_int_equal(sp_parallel_for(0, 2, item, c, NULL), SCIPRUNE_OK);
    assert_int_equal(atomic_load(&c->ran), 0);
    free(c);
}

static void test_parallel_for_reports_lowest_failure(void **state)
{
    (void)state;
    for (int th = 1; th <= 8; th++) {
        for (int rep = 0; rep < 5; rep++) {
            counts *c = counts_new(th, 1500, 37); /* 37 is the lower: EIO */
            sciprune_error e;
            sp_err_clear(&e);
            assert_int_equal(sp_parallel_for(N, th, item, c, &e), SCIPRUNE_EIO);
            assert_int_equal(e.code, SCIPRUNE_EIO);
            assert_int_equal(e.line, 37);
            assert_string_equal(e.text, "item 37 failed");
            /* every item below the failure ran; one worker stops right after it */
            for (size_t i = 0; i <= 37; i++) assert_int_equal(atomic_load(&c->hits[i]), 1);
            if (th == 1) assert_int_equal(atomic_load(&c->ran), 38);
            free(c);
        }
    }
}

static void test_pool_runs_loops_in_turn(void **state)
{
    (void)state;
    sp_pool *p;
    assert_int_equal(sp_pool_new(&p, 3, NULL), SCIPRUNE_OK);
    assert_int_equal(sp_pool_threads(p), 3);
    assert_int_equal(sp_pool_wait(p, NULL), SCIPRUNE_OK); /* nothing started */
    for (int round = 0; round < 4; round++) {
        counts *c = counts_new(3, round == 2 ? 999 : SIZE_MAX, SIZE_MAX);
        sp_pool_start(p, N, item, c);
        sciprune_error e;
        sciprune_status st = sp_pool_wait(p, &e);
        if (round == 2) {
            assert_int_equal(st, SCIPRUNE_EPARSE);
            assert_int_equal(e.line, 999);
        } else {
            assert_int_equal(st, SCIPRUNE_OK);
            for (size_t i = 0; i < N; i++) assert_int_equal(atomic_load(&c->hits[i]), 1);
        }
        assert_int_equal(atomic_load(&c->bad_worker), 0);
        free(c);
    }
    counts *c = counts_new(3, SIZE_MAX, SIZE_MAX);
    sp_pool_start(p, N, item, c);
    sp_pool_free(p); /* waits for the started loop */
    assert_int_equal(atomic_load(&c->ran), N);
    free(c);
    sp_pool_free(NULL);
}

static void test_threads_clamp(void **state)
{
    (void)state;
    assert_int_equal(sp_threads(3, 2), 2);
    assert_int_equal(sp_threads(3, 0), 1);
    assert_int_equal(sp_threads(5, 100), 5);
    assert_int_equal(sp_threads(100000, 1000000), SP_THREADS_MAX);
    assert_int_equal(sp_threads(0, 1), 1);
    assert_int_equal(sp_threads(0, 1000), sp_threads_default());
}

static void test_threads_default_follows_affinity_and_slurm(void **state)
{
    (void)state;
    unsetenv("SLURM_CPUS_PER_TASK");
    cpu_set_t old;
    assert_int_equal(sched_getaffinity(0, sizeof old, &old), 0);
    int all = CPU_COUNT(&old);
    assert_int_equal(sp_threads_default(), all < SP_THREADS_MAX ? all : SP_THREADS_MAX);
    int first = -1;
    for (int i = 0; i < CPU_SETSIZE && first < 0; i++)
        if (CPU_ISSET(i, &old)) first = i;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0); /* as `taskset -c <first>` */
    assert_int_equal(sp_threads_default(), 1);
    assert_int_equal(sp_threads(0, 1000), 1);
    assert_int_equal(sp_threads(4, 1000), 4); /* an explicit count is kept */
    assert_int_equal(sched_setaffinity(0, sizeof old, &old), 0);
    /* Slurm's share, when smaller; junk and zero are ignored */
    setenv("SLURM_CPUS_PER_TASK", "1", 1);
    assert_int_equal(sp_threads_default(), 1);
    setenv("SLURM_CPUS_PER_TASK", "100000", 1);
    assert_int_equal(sp_threads_default(), all < SP_THREADS_MAX ? all : SP_THREADS_MAX);
    setenv("SLURM_CPUS_PER_TASK", "0", 1);
    assert_int_equal(sp_threads_default(), all < SP_THREADS_MAX ? all : SP_THREADS_MAX);
    setenv("SLURM_CPUS_PER_TASK", "2x", 1);
    assert_int_equal(sp_threads_default(), all < SP_THREADS_MAX ? all : SP_THREADS_MAX);
    unsetenv("SLURM_CPUS_PER_TASK");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parallel_for_runs_every_item_once),
        cmocka_unit_test(test_parallel_for_reports_lowest_failure),
        cmocka_unit_test(test_pool_runs_loops_in_turn),
        cmocka_unit_test(test_threads_clamp),
        cmocka_unit_test(test_threads_default_follows_affinity_and_slurm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
