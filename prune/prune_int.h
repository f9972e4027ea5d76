/* prune_int.h - internals shared by the files of prune/. */
#ifndef SCIPRUNE_PRUNE_INT_H
#define SCIPRUNE_PRUNE_INT_H

#include "../shard/sp_manifest.h"
#include "../shard/sp_npy.h"
#include "../shard/sp_workdir.h"
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
/* Metric auto (auto.c): the analysis' recommendation of the workdir, from
 * W/analyze/report.json "recommendation": {"metric", "alpha", "name", "text", ...}. */
typedef struct prune_auto {
    sciprune_score_metric metric; /* what auto stands for */
    double alpha;                 /* its alpha (metrics that take one) */
    char name[64];                /* the analysis' name for it ("gate+combined-a0.20") */
    char why[512];                /* the analysis' one-line reason */
} prune_auto;
/* Errors: ESTATE (no analysis in W, or it recommends nothing usable), EPARSE, ENOMEM. */
sciprune_status prune_auto_resolve(const char *workdir, prune_auto *out, sciprune_error *err);
/* {"resolved": metric, "alpha", "analysis": name, "why": text, "source"}; new reference. */
json_t *prune_auto_json(const prune_auto *a);

#endif /* SCIPRUNE_PRUNE_INT_H */
