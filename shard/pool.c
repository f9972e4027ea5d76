/*
 * pool.c - the parallel loop (sp_parallel_for, sp_pool) and the default thread count; the
 * contract is in sp_pool.h.
 *
 * A loop is one atomic counter handing out item indexes in increasing order and one atomic
 * "failed" flag checked before taking the next item. A failing item records itself under a
 * mutex when its index is below the best recorded one, so the reported failure is the lowest
 * failing index: every item below it was taken before it and runs to its end.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT_S */
#include "sp_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sp_threads_default(void)
{
    long n = 0;
    long conf = sysconf(_SC_NPROCESSORS_CONF);
    size_t ncpu = conf > 1024 ? (size_t)conf : 1024;
    cpu_set_t *set = CPU_ALLOC(ncpu);
    if (set) {
        size_t sz = CPU_ALLOC_SIZE(ncpu);
        CPU_ZERO_S(sz, set);
        if (sched_getaffinity(0, sz, set) == 0) n = CPU_COUNT_S(sz, set);
        CPU_FREE(set);
    }
    if (n < 1) n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    const char *s = getenv("SLURM_CPUS_PER_TASK");
    if (s && *s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (!*end && v > 0 && v < n) n = v;
    }
    return n > SP_THREADS_MAX ? SP_THREADS_MAX : (int)n;
}

int sp_threads(int requested, size_t n_items)
{
    int t = requested > 0 ? requested : sp_threads_default();
    if (t > SP_THREADS_MAX) t = SP_THREADS_MAX;
    if (n_items == 0) n_items = 1;
    if ((size_t)t > n_items) t = (int)n_items;
    return t < 1 ? 1 : t;
}

/* ------------------------------------------------------------------ one loop */

typedef struct loop {
    size_t n;
    sp_item_fn fn;
    void *ctx;
    atomic_size_t next;
    atomic_int failed;
    pthread_mutex_t mu;         /* guards the three below */
    size_t bad_i;
    sciprune_status bad_st;     /* OK while nothing failed */
    sciprune_error bad_err;
} loop;

static void loop_reset(loop *L, size_t n, sp_item_fn fn, void *ctx)
{
    L->n = n;
    L->fn = fn;
    L->ctx = ctx;
    atomic_store(&L->next, 0);
    atomic_store(&L->failed, 0);
    L->bad_i = SIZE_MAX;
    L->bad_st = SCIPRUNE_OK;
    sp_err_clear(&L->bad_err);
}

static void loop_work(loop *L, int worker)
{
    sciprune_error e;
    for (;;) {
        if (atomic_load(&L->failed)) break;
        size_t i = atomic_fetch_add(&L->next, 1);
        if (i >= L->n) break;
        sp_err_clear(&e);
        sciprune_status st = L->fn(L->ctx, worker, i, &e);
        if (st) {
            pthread_mutex_lock(&L->mu);
            if (i < L->bad_i) {
                L->bad_i = i;
                L->bad_st = st;
                L->bad_err = e;
                if (!L->bad_err.code) L->bad_err.code = st;
            }
            pthread_mutex_unlock(&L->mu);
            atomic_store(&L->failed, 1);
            break;
        }
    }
}

static sciprune_status loop_result(loop *L, sciprune_error *err)
{
    if (L->bad_st && err) *err = L->bad_err;
    return L->bad_st;
}

/* ------------------------------------------------------------------ sp_parallel_for */

typedef struct pf_arg {
    loop *L;
    int worker;
} pf_arg;

static void *pf_main(void *p)
{
    pf_arg *a = p;
    loop_work(a->L, a->worker);
    return NULL;
}

sciprune_status sp_parallel_for(size_t n, int threads, sp_item_fn fn, void *ctx,
                                sciprune_error *err)
{
    if (n == 0) return SCIPRUNE_OK;
    loop L;
    pthread_mutex_init(&L.mu, NULL);
    loop_reset(&L, n, fn, ctx);
    int nt = sp_threads(threads, n);
    pthread_t *tids = NULL;
    pf_arg *args = NULL;
    if (nt > 1) {
        tids = malloc((size_t)nt * sizeof *tids);
        args = malloc((size_t)nt * sizeof *args);
        if (!tids || !args) {
            free(tids);
            free(args);
            pthread_mutex_destroy(&L.mu);
            return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        }
    }
    int started = 0; /* threads 1 .. started run */
    for (int t = 1; t < nt; t++) {
        args[t] = (pf_arg){&L, t};
        if (pthread_create(&tids[t], NULL, pf_main, &args[t]) != 0) break;
        started = t;
    }
    loop_work(&L, 0);
    for (int t = 1; t <= started; t++) pthread_join(tids[t], NULL);
    free(tids);
    free(args);
    sciprune_status st = loop_result(&L, err);
    pthread_mutex_destroy(&L.mu);
    return st;
}

/* ------------------------------------------------------------------ sp_pool */

typedef struct pool_arg {
    sp_pool *p;
    int worker;
} pool_arg;

struct sp_pool {
    int nt;                 /* workers started */
    pthread_t *tids;        /* owned */
    pool_arg *args;         /* owned */
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    uint64_t gen;           /* loops started */
    int active;             /* workers still in the current loop */
    int running, quit;
    loop L;
};

static void *pool_main(void *arg)
{
    pool_arg *a = arg;
    sp_pool *p = a->p;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->gen == seen) pthread_cond_wait(&p->go, &p->mu);
        if (p->gen == seen) break; /* quit */
        seen = p->gen;
        pthread_mutex_unlock(&p->mu);
        loop_work(&p->L, a->worker);
        pthread_mutex_lock(&p->mu);
        if (--p->active == 0) pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

sciprune_status sp_pool_new(sp_pool **out, int threads, sciprune_error *err)
{
    *out = NULL;
    sp_pool *p = calloc(1, sizeof *p);
    int nt = sp_threads(threads, SP_THREADS_MAX);
    if (!p) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    pthread_mutex_init(&p->L.mu, NULL);
    p->tids = malloc((size_t)nt * sizeof *p->tids);
    p->args = malloc((size_t)nt * sizeof *p->args);
    if (p->tids && p->args)
        for (; p->nt < nt; p->nt++) {
            p->args[p->nt] = (pool_arg){p, p->nt};
            if (pthread_create(&p->tids[p->nt], NULL, pool_main, &p->args[p->nt]) != 0) break;
        }
    if (p->nt == 0) {
        sp_pool_free(p);
        return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "cannot start a worker thread");
    }
    *out = p;
    return SCIPRUNE_OK;
}

void sp_pool_start(sp_pool *p, size_t n, sp_item_fn fn, void *ctx)
{
    pthread_mutex_lock(&p->mu);
    loop_reset(&p->L, n, fn, ctx);
    p->active = p->nt;
    p->running = 1;
    p->gen++;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
}

sciprune_status sp_pool_wait(sp_pool *p, sciprune_error *err)
{
    pthread_mutex_lock(&p->mu);
    while (p->running && p->active > 0) pthread_cond_wait(&p->done, &p->mu);
    int was = p->running;
    p->running = 0;
    pthread_mutex_unlock(&p->mu);
    return was ? loop_result(&p->L, err) : SCIPRUNE_OK;
}

int sp_pool_threads(const sp_pool *p)
{
    return p->nt;
}

void sp_pool_free(sp_pool *p)
{
    if (!p) return;
    if (p->nt) {
        sp_pool_wait(p, NULL);
        pthread_mutex_lock(&p->mu);
        p->quit = 1;
        pthread_cond_broadcast(&p->go);
        pthread_mutex_unlock(&p->mu);
        for (int t = 0; t < p->nt; t++) pthread_join(p->tids[t], NULL);
    }
    pthread_mutex_destroy(&p->L.mu);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    free(p->tids);
    free(p->args);
    free(p);
}
