/* prune_int.h - internals shared by the files of prune/. */
#ifndef SCIPRUNE_PRUNE_INT_H
#define SCIPRUNE_PRUNE_INT_H

#include "../shard/sp_npy.h"
#include "../rank/rank.h"

#include <jansson.h>

/* Dump `j` (indented, sorted keys, newline at the end) to `path` atomically. Errors: EIO,
 * ENOMEM. */
sciprune_status prune_json_write(const char *path, const json_t *j, sciprune_error *err);
/* Load a JSON file; *out NULL and OK when `missing_ok` and the file does not exist.
 * Errors: EIO, EPARSE. Caller frees with json_decref(). */
sciprune_status prune_json_load(const char *path, int missing_ok, json_t **out,
                                sciprune_error *err);
/* Worker count: t > 0 as is, else online cores; at most n, at least 1. */
int prune_threads(int t, size_t n);
/* "<workdir>/<dir>/<name><suffix>" (dir may be "" for "<workdir>/<name><suffix>"); NULL on
 * ENOMEM. Caller frees with free(). */
char *prune_path(const char *workdir, const char *dir, const char *name, const char *suffix);

/* Run fn(ctx, i, err_i) for i in [0, n) on `threads` workers taking items in order; stops
 * taking new items after the first failure. Returns the failure with the lowest i (its error
 * copied into err), so the reported error does not depend on the thread count when only one
 * item fails. Errors: those of fn, ENOMEM (cannot start a thread). */
typedef sciprune_status (*prune_item_fn)(void *ctx, size_t i, sciprune_error *err);
sciprune_status prune_parallel(size_t n, int threads, prune_item_fn fn, void *ctx,
                               sciprune_error *err);

#endif /* SCIPRUNE_PRUNE_INT_H */
