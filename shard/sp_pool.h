/*
 * sp_pool.h - the library's one parallel loop and its one default thread count (every stage
 * uses them; see DESIGN.md). Not part of the public API.
 *
 * Why pthreads and not OpenMP: the stages keep one context per worker (a TSParser, an embedder
 * worker context) indexed by the worker's id, stop taking items after the first failure and
 * report the failing item with the lowest index, and call FAISS, which runs its own OpenMP
 * regions, from inside the loop (index/assign.c pins each worker's OpenMP to one thread). A
 * plain pthread loop says all of that in a few lines, and nests with FAISS' OpenMP without
 * libgomp's nested-region rules.
 *
 * Determinism: items are taken in increasing order from one counter, so which worker runs an
 * item varies, but nothing else does; a caller that writes item i's result to slot i gets the
 * same output for any thread count.
 */
#ifndef SCIPRUNE_SP_POOL_H
#define SCIPRUNE_SP_POOL_H

#include "sp_common.h"

/* More workers than this are not started. */
#define SP_THREADS_MAX 256

/* The default worker count: the CPUs this process may run on (sched_getaffinity, so
 * `taskset -c 0 sciprune ...` gives 1), at most SLURM_CPUS_PER_TASK when that is set to a
 * positive number; at least 1, at most SP_THREADS_MAX. */
int sp_threads_default(void);
/* Workers for `n_items` items: `requested` when > 0 else sp_threads_default(), at most n_items
 * (n_items 0 counts as 1) and SP_THREADS_MAX, at least 1. */
int sp_threads(int requested, size_t n_items);

/* One item: `worker` in [0, threads) identifies the running worker (index per-worker contexts
 * with it), `i` the item. Fill err on failure. */
typedef sciprune_status (*sp_item_fn)(void *ctx, int worker, size_t i, sciprune_error *err);

/* Run fn(ctx, w, i, .) for every i in [0, n) on `threads` workers (clamped to [1, n] and
 * SP_THREADS_MAX; the calling thread is worker 0). Items are taken in increasing order; after
 * a failure no new item is started, and the failure with the lowest i is returned with its
 * error copied into err (every item below a failing one has run, so this does not depend on
 * the thread count). A worker thread that cannot be started leaves its items to the others.
 * Errors: those of fn, ENOMEM. */
sciprune_status sp_parallel_for(size_t n, int threads, sp_item_fn fn, void *ctx,
                                sciprune_error *err);

/* A pool of `threads` persistent workers for a loop started without waiting, so the caller
 * can prepare the next loop's items meanwhile (the embed stage reads the next batches while
 * the workers embed these). Worker ids are [0, threads); the calling thread is not a worker. */
typedef struct sp_pool sp_pool;
/* Errors: ENOMEM (also when no thread can be started). sp_pool_free(NULL) is a no-op. */
sciprune_status sp_pool_new(sp_pool **out, int threads, sciprune_error *err);
/* Start the loop over [0, n) (same rules as sp_parallel_for); one loop at a time: call
 * sp_pool_wait() before the next start. */
void sp_pool_start(sp_pool *p, size_t n, sp_item_fn fn, void *ctx);
/* Wait until the started loop ends; its result as sp_parallel_for's. OK when none started. */
sciprune_status sp_pool_wait(sp_pool *p, sciprune_error *err);
/* Number of workers. */
int sp_pool_threads(const sp_pool *p);
/* Join the workers (waits for a started loop first) and free. */
void sp_pool_free(sp_pool *p);

#endif /* SCIPRUNE_SP_POOL_H */
