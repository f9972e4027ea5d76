/*
 * sp_manifest.h - workdir/manifest.json: what a run was made from and which stages are done.
 * A stage is "current" when it finished with the same key; the key hashes everything the
 * stage's output depends on (input hashes, its config, upstream keys), so a rerun skips
 * finished work and a changed input or config is detected instead of mixing results.
 */
#ifndef SCIPRUNE_SP_MANIFEST_H
#define SCIPRUNE_SP_MANIFEST_H

#include "sp_common.h"

#include <jansson.h>

typedef struct sp_manifest sp_manifest;

/* Load workdir/manifest.json, or start an empty one when it does not exist. Errors: EPARSE
 * (a manifest that is not ours, naming the file), EIO, ENOMEM. */
sciprune_status sp_manifest_load(sp_manifest **out, const char *workdir, sciprune_error *err);
void sp_manifest_free(sp_manifest *m);

/* Record the input shards (in order) with size, mtime and content hash. A file whose path,
 * size and mtime match the manifest keeps its stored hash (no re-read). *changed is set to 1
 * when the manifest already held a different input list or different content. */
sciprune_status sp_manifest_set_inputs(sp_manifest *m, const char *const *paths, size_t n,
                                       int *changed, sciprune_error *err);
/* The identity of an input shard as read now: "size", "mtime_ns" and "hash" (XXH3-128 of the
 * bytes) set in `entry`, a JSON object. `old` (an earlier entry for the same file, may be NULL)
 * lends its hash when size and mtime match, so an unchanged file is not read again. *changed is
 * 1 when old records another hash. Errors: EIO, ENOMEM. Used for manifest.json's inputs and
 * for W/embed/shards.json (embed/stage.c). */
sciprune_status sp_input_identity(json_t *entry, const char *path, const json_t *old, int *changed,
                                  sciprune_error *err);
/* Check each shard of `set` that has a path against the identity embed recorded for its name
 * in W/embed/shards.json: ESTATE naming the shard when the file is not the one embedded
 * (prune and score must not apply old decisions to new lines). Shards without a recorded
 * identity (older workdirs, npy paths) pass. Errors: ESTATE, EIO, ENOMEM. */
sciprune_status sp_inputs_verify(const char *workdir, const sciprune_shard_set *set,
                                 sciprune_error *err);

/* Hash of all input hashes in order (32 hex digits), "" before set_inputs. Borrowed. */
const char *sp_manifest_inputs_key(const sp_manifest *m);

/* Stored config text for `name` (e.g. the job config), or NULL. Borrowed. */
const char *sp_manifest_get_config(const sp_manifest *m);
sciprune_status sp_manifest_set_config(sp_manifest *m, const char *config_json,
                                       sciprune_error *err);

/* 1 when `stage` finished with exactly `key`. */
int sp_manifest_stage_current(const sp_manifest *m, const char *stage, const char *key);
/* The key `stage` finished with, or NULL. Borrowed. */
const char *sp_manifest_stage_key(const sp_manifest *m, const char *stage);
/* 1 when `stage` is recorded as finished (any key); fills its wall seconds and peak RSS
 * (either pointer may be NULL). */
int sp_manifest_stage_info(const sp_manifest *m, const char *stage, double *seconds,
                           uint64_t *peak_rss);
/* Number of input shards recorded. */
size_t sp_manifest_n_inputs(const sp_manifest *m);
/* Mark `stage` done with `key`, wall seconds and peak RSS, and save the manifest atomically. */
sciprune_status sp_manifest_stage_done(sp_manifest *m, const char *stage, const char *key,
                                       double seconds, uint64_t peak_rss, sciprune_error *err);
/* Files up to this size get a content hash in a stage's outputs record; larger ones a size. */
#define SP_MANIFEST_HASH_MAX ((long long)1 << 20)
/* Record the output files of `stage`: every file the stages write (.npy, .json, .jsonl, .md,
 * .faiss, .zst; no temp files) under `rels`, a NULL-terminated list of folders (walked 4
 * levels deep) or files relative to workdir, with size and, up to SP_MANIFEST_HASH_MAX
 * bytes, hash. Saved with the stage's next sp_manifest_stage_done. Errors: EIO, ENOMEM. */
sciprune_status sp_manifest_stage_outputs(sp_manifest *m, const char *stage, const char *workdir,
                                          const char *const *rels, sciprune_error *err);
/* 1 when every output recorded for `stage` exists with its recorded size and hash (also when
 * none are recorded); else 0 with the first difference in why ("score/plan.json missing"). */
int sp_manifest_stage_verify(const sp_manifest *m, const char *stage, const char *workdir,
                             char *why, size_t cap);
/* Forget `stage` (its outputs are about to be rewritten) and save. */
sciprune_status sp_manifest_stage_clear(sp_manifest *m, const char *stage, sciprune_error *err);
/* Save atomically (temp + rename). */
sciprune_status sp_manifest_save(sp_manifest *m, sciprune_error *err);

/* 32-hex-digit key of a list of strings (NULL-terminated), for stage keys. */
void sp_key_of(char out[33], const char *const *parts);

#endif /* SCIPRUNE_SP_MANIFEST_H */
