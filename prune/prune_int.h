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
/* report.json's "eval" (results.c): pass@1 per benchmark per variant of W/eval/ with
 * intervals, recall and verdicts; NULL when W/eval/ has no results. */
json_t *prune_eval_report(const char *workdir, const json_t *variants);
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

/* Decontamination (decontam.c): with W/decontam/summary.json, *out = one byte per record of
 * `shards` (off: n + 1 row offsets), > 0 where decontam removed it; else *out = NULL. Caller
 * frees. Errors: ESTATE (flags missing or of other lengths), EIO, ENOMEM. */
sciprune_status prune_decontam_load(const char *workdir, const sciprune_shard_set *shards,
                                    const uint64_t *off, uint8_t **out, sciprune_error *err);

/* The report's "decontam" section and report.md's table when `plan` used W/decontam/ (both
 * NULL otherwise; caller frees). Errors: EPARSE, ENOMEM. */
sciprune_status prune_decontam_report(const char *workdir, const json_t *plan, json_t **out_json,
                                      char **out_md, sciprune_error *err);

/* Exact order statistics over the ranks (cut.c): one target of prune_cut_find. */
typedef struct prune_cut {
    uint32_t group;  /* in: the records whose rank_kg.pad is this group; targets sorted by it */
    uint64_t t;      /* in: >= 1, the inclusive prefix weight to reach */
    int found;       /* out: 0 when the group's total weight (over every rank) is below t */
    uint64_t key;    /* out: the record's (key, g) */
    uint32_t g;
    uint64_t w;      /* out: its weight */
    uint64_t before; /* out: the group's weight before it in (key, g) order (not found: the
                        group's total) */
} prune_cut;
/* For each target, the first record of its group in (key, g) order over every rank's
 * a[0..n) (w: weights, NULL for 1 each) whose inclusive prefix weight reaches t. Every rank
 * calls it with the same targets (collective: 96 / bits SUM reduces of nt x 2^bits int64);
 * ranks NULL or size 1: one process's records. bits: 8 or 16. Errors: EINVAL, ENOMEM, EIO
 * (the reduce failed). */
sciprune_status prune_cut_find(const rank_kg *a, const uint64_t *w, size_t n, prune_cut *tg,
                               size_t nt, int bits, const sciprune_ranks *ranks,
                               sciprune_error *err);
/* The same, resolving only the top `top` bits of (key, g) (a multiple of bits; 96: the whole):
 * the record found is then any of those sharing them (its key's top bits are exact, the rest
 * and g are 0): for a value's order statistic, where ties do not matter. bits: 4, 8 or 16. */
sciprune_status prune_cut_find_top(const rank_kg *a, const uint64_t *w, size_t n, prune_cut *tg,
                                   size_t nt, int bits, int top, const sciprune_ranks *ranks,
                                   sciprune_error *err);
/* One step of a variant's plan over the ranks (score.c's rank_take, take_weighted): a[0..n)
 * are this rank's records not taken yet (pad 0). w NULL: the first `count` records of the
 * order over every rank; else the weighted walk with `goal` from *cum (updated). out: any = 0
 * when nothing is taken, else (key, g) of the last record taken: every record up to it in
 * (key, g) order is taken (prune_cut_taken), `taken` of them. Collective. Errors: as
 * prune_cut_find. */
typedef struct prune_cut_step_out {
    int any;
    uint64_t key;
    uint32_t g;
    uint64_t taken;
} prune_cut_step_out;
sciprune_status prune_cut_step(const rank_kg *a, const uint64_t *w, size_t n, uint64_t count,
                               double goal, uint64_t *cum, prune_cut_step_out *out,
                               const sciprune_ranks *ranks, sciprune_error *err);
/* 1 when the step took r. */
int prune_cut_taken(const rank_kg *r, const prune_cut_step_out *out);

/* .ids files (util.c): one id a line, written as a JSON string ("a\nb" for an id holding a
 * line break), so that any id is one line. prune_id_quote() puts the quoted form of id[0..n) in
 * *buf (grown as needed, NUL-terminated), its length in *len. Errors: ENOMEM. */
sciprune_status prune_id_quote(const char *id, size_t n, char **buf, size_t *cap, size_t *len,
                               sciprune_error *err);
/* The id of one .ids line (without its '\n'), malloc'd; NULL when it is not a JSON string (or
 * out of memory). */
char *prune_id_unquote(const char *line, size_t n);

#endif /* SCIPRUNE_PRUNE_INT_H */
