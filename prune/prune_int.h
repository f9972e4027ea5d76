/* prune_int.h - internals shared by the files of prune/. */
#ifndef SCIPRUNE_PRUNE_INT_H
#define SCIPRUNE_PRUNE_INT_H

#include "../shard/sp_npy.h"
#include "../shard/sp_pool.h"
#include "../rank/rank.h"

#include <jansson.h>

/* Dump `j` (indented, sorted keys, newline at the end) to `path` atomically. Errors: EIO,
 * ENOMEM. */
sciprune_status prune_json_write(const char *path, const json_t *j, sciprune_error *err);
/* Load a JSON file; *out NULL and OK when `missing_ok` and the file does not exist.
 * Errors: EIO, EPARSE. Caller frees with json_decref(). */
sciprune_status prune_json_load(const char *path, int missing_ok, json_t **out,
                                sciprune_error *err);
/* "<workdir>/<dir>/<name><suffix>" (dir may be "" for "<workdir>/<name><suffix>"); NULL on
 * ENOMEM. Caller frees with free(). */
char *prune_path(const char *workdir, const char *dir, const char *name, const char *suffix);

#endif /* SCIPRUNE_PRUNE_INT_H */
