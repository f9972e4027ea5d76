/*
 * run.c - `sciprune run`: every stage from one JSON job config (config.c), resumable; the
 * stage table and the driver.
 *
 * The stage table (stages[] below), in run order; a stage runs when the job turns it on:
 *   embed    always            vectors; with the hash embedder also the gates on its own parse
 *                              (one parse per record)
 *   gates    gates on          on their own parse: npy and exec embedders, or gate settings
 *                              changed after the vectors were made
 *   index    always            k-means + assignment
 *   corrupt  corrupt section   synthetic variants of the inputs (W/corrupt/)
 *   analyze  analyze section   where the variants land; recommends metric, alpha and gates
 *   decontam decontam section  files containing benchmark problems (W/decontam/): removed
 *                              in every variant by score, before its budget
 *   score    always            every variant (metric "auto" takes the analysis' recommendation
 *                              of this job, so analyze runs before score)
 *   prune    always            kept/removed shards + report
 *
 * Resumability: workdir/manifest.json holds the input hashes, the canonical config and, per
 * stage, the key it finished with. Each stage's key hashes its name, its inputs or upstream
 * keys and its config section (key_parts()): embed = H(inputs, shard, embed), gates =
 * H(inputs, shard, gates in force), index = H(embed, index), corrupt = H(inputs, shard,
 * corrupt), analyze = H(index, gates, corrupt unless analyze.corrupted, analyze), score =
 * H(index, gates, score[, analyze when a metric is auto][, decontam when on]), prune =
 * H(score, prune), decontam = H(inputs, shard, decontam). A stage
 * whose key is current and whose outputs are all there as recorded (the manifest lists each
 * stage's files with size and, for small ones, hash) is skipped; a stage whose outputs are
 * missing or changed reruns, saying why, and so does every stage after it. embed and gates
 * also resume shard by shard inside themselves. A workdir made from other inputs or another
 * config is refused unless force is set; with force, only the stages whose keys changed or
 * whose outputs are damaged run again.
 *
 * Ranks (opt->ranks, size N > 1; the CLI gives MPI ranks): every rank parses the config; rank
 * 0 alone takes the workdir lock, checks and writes the manifest, sweeps stale temp files and
 * decides which stages are current. The embed stage (with the gates when they ride on its
 * parse) is split: the spec's fit pass too when the caller gives reduce_sum (every rank
 * counts its shards' sample records; idf document frequencies and n-gram counts sum-reduced in
 * 1 MiB chunks, the site detectors' examples gathered through W/parts/embed/, rank 0 trains
 * them and writes the spec: sciprune_embed_options.ranks), else rank 0 makes the spec alone;
 * then rank r embeds the shards of index i = r (mod N) in the sorted input list, each shard's files
 * written atomically with its completion file (the vectors, last) as in one process, then
 * rank 0 writes the summaries and records the stage. Then every rank walks the stage table
 * with rank 0 (a flag from rank 0 per stage: it runs, or is current). Split by the same rule
 * when the caller gives reduce_sum (split_stage()): index (rank 0 samples the vectors by the
 * hash rule and trains once; the centroids reach the ranks through W/index/kmeans.faiss after
 * a status reduce; each rank assigns its shards and writes their assign/ files; the cluster
 * sizes and per-shard counts are one sum reduce of k + 2 x shards int64, after which rank 0
 * writes clusters.json) and prune (rank 0 prepares out/; each rank writes its shards' outputs
 * and, through W/parts/prune/, their counts; rank 0 merges them in shard order into
 * out/prune.json and writes the reports) and corrupt (each rank scans its shards into
 * W/parts/corrupt/scan-<rank>.bin; rank 0 merges the scans and makes the variants, see
 * corrupt_part()), score (rank 0 checks; each rank scores its shards and writes their masks,
 * every variant's cut exact through histogram sum reduces, rank 0 writes plan.json:
 * sciprune_score_sweep_part) and analyze (each rank embeds the variants j = rank mod N into
 * W/parts/analyze/variants-<rank>.bin, and when analyze computes the clean gates scores its
 * clean shards into gates-<i>.bin there; rank 0 merges them, assigns and writes W/analyze/ as
 * one process does, see analyze_part()). The rest runs on rank 0 from the files the ranks left
 * in the shared workdir: the same code on the same bytes as one process, so the outputs are
 * byte-identical whatever N. The reduces (sync_status(), share_flag(), one int64 MIN each,
 * 8 bytes per rank): after rank 0's checks, two flags (embed runs; with the gates), after the
 * spec, after the parts; per later stage one flag and one status (index and prune: one more
 * status, their own three small reduces and, for index, the sum of the counts); at the end.
 * A status reduce carries the first failure (rank, input index, status in one int64), so a
 * shard that fails on rank r is named with r and the shard on every rank and the job fails
 * on all. A rank killed mid-job leaves complete shards complete: the rerun (any N) skips
 * them (embed resumes shard by shard; the other stages rerun whole from their inputs).
 */
#include "run_int.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <errno.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sciprune_run_options_default(sciprune_run_options *o)
{
    memset(o, 0, sizeof *o);
    o->threads = -1;
}

enum { ST_EMBED, ST_GATES, ST_INDEX, ST_CORRUPT, ST_ANALYZE, ST_DECONTAM, ST_SCORE, ST_PRUNE,
       ST_COUNT };

typedef struct run_ctx {
    run_job *j;
    const sciprune_run_options *o;
    sp_manifest *m;
    sciprune_shard_set *set;  /* the inputs as a shard set (owned), made after embed */
    char *canon[ST_COUNT];    /* each stage's config section, canonical (owned) */
    char *c_shard;            /* the shard section (owned) */
    char key[ST_COUNT][33];
    int auto_metric;          /* a score metric is auto */
    int fresh[ST_COUNT];      /* key current and outputs as recorded: skipped */
    int was_done;             /* the running stage had finished before (with another key) */
    const char *done_note;    /* what the running stage says when done; NULL: "done" */
    int split_done;           /* embed ran split over ranks (embed_ranks) */
    int sync_failed;          /* a reduce carried a failure (or failed): the ranks stop */
    int score_prepare_only;   /* do_score checks and clears, score_part() sweeps */
} run_ctx;

typedef struct stage_def {
    const char *name;
    int (*on)(const run_ctx *c);
    sciprune_status (*fn)(run_ctx *c, sciprune_error *err);
} stage_def;

static int on_always(const run_ctx *c) { (void)c; return 1; }
static int on_gates(const run_ctx *c) { return c->j->gates_on; }
static int on_corrupt(const run_ctx *c) { return c->j->corrupt_on; }
static int on_analyze(const run_ctx *c) { return c->j->analyze_on; }
static int on_decontam(const run_ctx *c) { return c->j->decontam_on; }

static void note(const run_ctx *c, int stage, const char *state);
static sciprune_status record_outputs(run_ctx *c, int stage, sciprune_error *err);

static sciprune_status nomem(sciprune_error *err)
{
    return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
}

static sciprune_status do_embed(run_ctx *c, sciprune_error *err)
{
    run_job *j = c->j;
    sciprune_status st;
    sciprune_embed_options eo;
    sciprune_embed_options_default(&eo);
    eo.shard = j->shard;
    eo.threads = j->threads;
    eo.force = c->o->force && c->was_done;
    eo.progress = c->o->progress;
    eo.progress_user = c->o->user;
    /* the gates ride on the embedder's parse when they are due too */
    int gates_too = j->gates_in_embed && !c->fresh[ST_GATES];
    eo.gates = gates_too ? &j->gates : NULL;
    if (gates_too && (st = sp_manifest_stage_clear(c->m, "gates", err))) return st;
    sciprune_embed_stats es;
    if ((st = sciprune_embed_shards(j->workdir, (const char *const *)j->inputs, j->n_inputs,
                                    &j->embed, &eo, &es, err)))
        return st;
    if (gates_too) {
        if ((st = record_outputs(c, ST_GATES, err)) ||
            (st = sp_manifest_stage_done(c->m, "gates", c->key[ST_GATES], 0, sp_peak_rss(), err)))
            return st;
        c->fresh[ST_GATES] = 1;
        c->done_note = "done (with the gates)";
    }
    return SCIPRUNE_OK;
}

static sciprune_status do_gates(run_ctx *c, sciprune_error *err)
{
    run_job *j = c->j;
    return sciprune_gates_run(j->workdir, (const char *const *)j->inputs, j->n_inputs, &j->gates,
                              NULL, err);
}

static sciprune_status do_index(run_ctx *c, sciprune_error *err)
{
    sciprune_index_info info;
    sciprune_status st = sciprune_index_train(c->j->workdir, c->set, &c->j->index, &info, err);
    return st ? st : sciprune_index_assign_shards(c->j->workdir, c->set, &c->j->index, &info, err);
}

/* Remove what sciprune_corrupt_run writes in dir (corrupt-*.jsonl[.zst], labels.jsonl,
 * corrupt.json); nothing else. A narrower rerun must not leave old variants. */
static sciprune_status clear_corrupt_dir(const char *dir, sciprune_error *err)
{
    DIR *d = opendir(dir);
    if (!d) return SCIPRUNE_OK;
    struct dirent *de;
    sciprune_status st = SCIPRUNE_OK;
    while (!st && (de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        size_t l = strlen(n);
        int ours = (!strncmp(n, "corrupt-", 8) && ((l > 6 && !strcmp(n + l - 6, ".jsonl")) ||
                                                   (l > 10 && !strcmp(n + l - 10, ".jsonl.zst")))) ||
                   !strcmp(n, "labels.jsonl") || !strcmp(n, "corrupt.json");
        if (!ours) continue;
        char *p = sp_path_join(dir, n);
        if (!p) st = nomem(err);
        else if (unlink(p) != 0 && errno != ENOENT) st = sp_err(err, SCIPRUNE_EIO, p, -1, -1, "cannot remove: %s", strerror(errno));
        free(p);
    }
    closedir(d);
    return st;
}

/* The held-out probes' corrupt options from the main ones (co): the second seed, the test
 * half only, and, when co is split over ranks (co->parts_dir), the same part index and count
 * over W/parts/corrupt-heldout (stored in *parts, owned by the caller). One place for the
 * scan on every rank (corrupt_part) and the merge or one-process run (do_corrupt_with). */
static sciprune_status heldout_options(const char *workdir, const sciprune_corrupt_options *co,
                                       sciprune_corrupt_options *ho, char **parts,
                                       sciprune_error *err)
{
    *ho = *co;
    ho->seed = sciprune_corrupt_heldout_seed(co->seed);
    ho->heldout_only = 1;
    *parts = NULL;
    if (!co->parts_dir) return SCIPRUNE_OK;
    char *pp = sp_path_join(workdir, "parts");
    *parts = pp ? sp_path_join(pp, "corrupt-heldout") : NULL;
    free(pp);
    if (!*parts) return nomem(err);
    ho->parts_dir = *parts;
    return SCIPRUNE_OK;
}

static sciprune_status do_corrupt_with(run_ctx *c, const sciprune_corrupt_options *co,
                                       sciprune_error *err)
{
    char *cdir = sp_wdir_path(c->j->workdir, SP_WD_CORRUPT);
    if (!cdir) return nomem(err);
    sciprune_status st = clear_corrupt_dir(cdir, err);
    if (!st)
        st = sciprune_corrupt_run((const char *const *)c->j->inputs, c->j->n_inputs, cdir, co,
                                  NULL, err);
    /* the held-out probes (corrupt.heldout, issue 17): variants of the test half only
     * (sciprune_id_half(id) == 1), seed sciprune_corrupt_heldout_seed(corrupt.seed), the same
     * per_type, types, langs and strata, in W/corrupt/heldout/; analyze tests the learned
     * model on them (analyze/semantic.c). After a split scan (co->parts_dir), the ranks'
     * held-out scans are in W/parts/corrupt-heldout/ (corrupt_part()) and rank 0 merges them.
     * Off: an old set is removed. */
    char *hdir = st ? NULL : sp_path_join(cdir, "heldout");
    if (!st && !hdir) st = nomem(err);
    if (!st) st = clear_corrupt_dir(hdir, err);
    if (!st && c->j->corrupt_heldout) {
        sciprune_corrupt_options ho;
        char *hparts = NULL;
        st = heldout_options(c->j->workdir, co, &ho, &hparts, err);
        if (!st) st = sp_mkdirs(hdir, err);
        if (!st)
            st = sciprune_corrupt_run((const char *const *)c->j->inputs, c->j->n_inputs, hdir,
                                      &ho, NULL, err);
        free(hparts);
    }
    free(hdir);
    free(cdir);
    return st;
}

static sciprune_status do_corrupt(run_ctx *c, sciprune_error *err)
{
    return do_corrupt_with(c, &c->j->corrupt, err);
}

static sciprune_status do_analyze(run_ctx *c, sciprune_error *err)
{
    return sciprune_analyze(c->j->workdir, (const char *const *)c->j->corrupted,
                            c->j->n_corrupted, &c->j->analyze, NULL, err);
}

static sciprune_status do_decontam(run_ctx *c, sciprune_error *err)
{
    run_job *j = c->j;
    return sciprune_decontam_run(j->workdir, (const char *const *)j->inputs, j->n_inputs,
                                 &j->decontam, NULL, err);
}

static sciprune_status do_score(run_ctx *c, sciprune_error *err)
{
    if (!c->j->decontam_on) { /* score reads W/decontam/ when its summary is there: not now */
        char *p = sp_wpath(c->j->workdir, SP_WF_DECONTAM_SUMMARY, NULL);
        if (!p) return nomem(err);
        if (sp_exists(p) && unlink(p) != 0 && errno != ENOENT) {
            sciprune_status st = sp_err(err, SCIPRUNE_EIO, p, -1, -1, "cannot remove: %s", strerror(errno));
            free(p);
            return st;
        }
        free(p);
    }
    if (c->auto_metric && !c->j->analyze_on)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1,
                      "score metric auto takes the analysis' recommendation: turn on the "
                      "\"corrupt\" and \"analyze\" sections (or give analyze.corrupted)");
    if (c->score_prepare_only) return SCIPRUNE_OK; /* over ranks: score_part() sweeps */
    sciprune_score_info info;
    return sciprune_score_sweep(c->j->workdir, c->set, &c->j->score, &info, err);
}

static sciprune_status do_prune(run_ctx *c, sciprune_error *err)
{
    sciprune_prune_info info;
    sciprune_status st = sciprune_prune_write(c->j->workdir, c->set, &c->j->prune, &info, err);
    return st ? st : sciprune_report_write(c->j->workdir, err);
}

static const stage_def stages[ST_COUNT] = {
    [ST_EMBED] = {"embed", on_always, do_embed},
    [ST_GATES] = {"gates", on_gates, do_gates},
    [ST_INDEX] = {"index", on_always, do_index},
    [ST_CORRUPT] = {"corrupt", on_corrupt, do_corrupt},
    [ST_ANALYZE] = {"analyze", on_analyze, do_analyze},
    [ST_DECONTAM] = {"decontam", on_decontam, do_decontam},
    [ST_SCORE] = {"score", on_always, do_score},
    [ST_PRUNE] = {"prune", on_always, do_prune},
};

/* Where each stage's outputs live (relative to W): recorded in the manifest when the stage
 * finishes, checked before a resume trusts it (sp_manifest_stage_outputs / _verify). */
static const char *const stage_outputs[ST_COUNT][4] = {
    [ST_EMBED] = {"embed", NULL},
    [ST_GATES] = {"gates", NULL},
    [ST_INDEX] = {"index", "assign", NULL},
    [ST_CORRUPT] = {"corrupt", NULL},
    [ST_ANALYZE] = {"analyze", NULL},
    [ST_DECONTAM] = {"decontam", NULL},
    [ST_SCORE] = {"score", NULL},
    [ST_PRUNE] = {"out", "report.json", "report.md", NULL},
};

static sciprune_status record_outputs(run_ctx *c, int stage, sciprune_error *err)
{
    return sp_manifest_stage_outputs(c->m, stages[stage].name, c->j->workdir,
                                     stage_outputs[stage], err);
}

int run_stage_count(void) { return ST_COUNT; }
const char *run_stage_name(int i) { return i >= 0 && i < ST_COUNT ? stages[i].name : NULL; }
int run_stage_optional(int i) { return i >= 0 && i < ST_COUNT && stages[i].on != on_always; }

static void note(const run_ctx *c, int stage, const char *state)
{
    if (c->o->on_stage) c->o->on_stage(c->o->user, stages[stage].name, state);
}

/* The parts of stage i's key: its name, its inputs or upstream keys, its config. Upstream
 * keys come first in the table, so keys are computed in table order. */
static void key_parts(const run_ctx *c, int i, const char *p[8])
{
    const run_job *j = c->j;
    const char *in = sp_manifest_inputs_key(c->m);
    const char *gates = j->gates_on ? c->key[ST_GATES] : "";
    int n = 0;
    p[n++] = stages[i].name;
    switch (i) {
    case ST_EMBED: p[n++] = in; p[n++] = c->c_shard; break;
    case ST_GATES: p[n++] = in; p[n++] = c->c_shard; break;
    case ST_INDEX: p[n++] = c->key[ST_EMBED]; break;
    case ST_CORRUPT: p[n++] = in; p[n++] = c->c_shard; break;
    case ST_ANALYZE:
        p[n++] = c->key[ST_INDEX];
        p[n++] = gates;
        p[n++] = j->analyze_own_corrupted ? "" : c->key[ST_CORRUPT];
        break;
    case ST_DECONTAM: p[n++] = in; p[n++] = c->c_shard; break;
    case ST_SCORE: p[n++] = c->key[ST_INDEX]; p[n++] = gates; break;
    case ST_PRUNE: p[n++] = c->key[ST_SCORE]; break;
    }
    p[n++] = c->canon[i];
    if (i == ST_SCORE && c->auto_metric) p[n++] = c->key[ST_ANALYZE];
    if (i == ST_SCORE && j->decontam_on) p[n++] = c->key[ST_DECONTAM];
    p[n] = NULL;
}

/* The canonical config texts and the whole config (stored in the manifest). */
static sciprune_status canon_all(run_ctx *c, char **all, sciprune_error *err)
{
    json_t *cfg = c->j->cfg;
    c->c_shard = run_canon(json_object_get(cfg, "shard"));
    for (int i = 0; i < ST_COUNT; i++) {
        if (i == ST_GATES) { /* the gates as they will run: the language lists in force */
            const char *js = c->j->gates.js_envs;
            json_t *g = json_pack("{s:s, s:s, s:s}", "parse_error_langs",
                                  sciprune_gates_langs(&c->j->gates, SCIPRUNE_GATE_PARSE_ERROR),
                                  "undefined_name_langs",
                                  sciprune_gates_langs(&c->j->gates, SCIPRUNE_GATE_UNDEFINED_NAME), "js_envs",
                                  js && *js ? js : "auto");
            c->canon[i] = g ? run_canon(g) : NULL;
            json_decref(g);
        } else {
            c->canon[i] = run_canon(json_object_get(cfg, stages[i].name));
        }
        if (!c->canon[i]) return nomem(err);
    }
    json_t *sub = json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}",
                            "shard", json_object_get(cfg, "shard"),
                            "embed", json_object_get(cfg, "embed"),
                            "index", json_object_get(cfg, "index"),
                            "score", json_object_get(cfg, "score"),
                            "prune", json_object_get(cfg, "prune"),
                            "gates", json_object_get(cfg, "gates"),
                            "corrupt", json_object_get(cfg, "corrupt"),
                            "analyze", json_object_get(cfg, "analyze"));
    if (sub && json_object_get(cfg, "decontam")) /* only when there: other configs unchanged */
        json_object_set(sub, "decontam", json_object_get(cfg, "decontam"));
    *all = sub ? run_canon(sub) : NULL;
    json_decref(sub);
    return c->c_shard && *all ? SCIPRUNE_OK : nomem(err);
}

/* Load the manifest, record the inputs and config; refuse a workdir made from other inputs
 * or another config unless forced. */
static sciprune_status open_workdir(run_ctx *c, sciprune_error *err)
{
    sciprune_status st;
    char *all = NULL;
    int inputs_changed = 0;
    if ((st = sp_mkdirs(c->j->workdir, err)) || (st = sp_manifest_load(&c->m, c->j->workdir, err)) ||
        (st = sp_manifest_set_inputs(c->m, (const char *const *)c->j->inputs, c->j->n_inputs,
                                     &inputs_changed, err)) ||
        (st = canon_all(c, &all, err)))
        goto done;
    const char *old = sp_manifest_get_config(c->m);
    int cfg_changed = old && strcmp(old, all) != 0;
    if ((inputs_changed || cfg_changed) && !c->o->force) {
        st = sp_err(err, SCIPRUNE_ESTATE, c->j->workdir, -1, -1,
                    "this workdir was made from %s; refusing to mix results (use --force to "
                    "recompute what changed, or another workdir)",
                    inputs_changed && cfg_changed ? "other inputs and another config"
                    : inputs_changed ? "other inputs" : "another config");
        goto done;
    }
    st = sp_manifest_set_config(c->m, all, err);
    if (!st) st = sp_manifest_save(c->m, err);
done:
    free(all);
    return st;
}

/* Files "<name>.tmp.<pid>" are outputs a process was writing (shard/writer.c, shard/npy.c,
 * sp_write_file_atomic): one whose process is gone (a run killed by SIGKILL, a crash) is
 * removed before the stages run, so that no glob over kept/ picks it up. A file of a live
 * process (another run on this workdir, or an unrelated process that reuses the pid) is left
 * alone. Folders are walked to the depth of out/<variant>/kept/. Returns the count removed. */
static size_t sweep_stale_tmp(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        if (nm[0] == '.' && (!nm[1] || (nm[1] == '.' && !nm[2]))) continue;
        char *p = sp_path_join(dir, nm);
        if (!p) break;
        const char *t = strstr(nm, ".tmp.");
        const char *q = NULL;
        while (t) { /* the last ".tmp." */
            q = t;
            t = strstr(t + 1, ".tmp.");
        }
        char *end = NULL;
        long pid = q && q[5] ? strtol(q + 5, &end, 10) : 0;
        if (pid > 0 && end && !*end && pid != (long)getpid() && kill((pid_t)pid, 0) != 0 &&
            errno == ESRCH) {
            if (unlink(p) == 0) n++;
        } else if (depth > 0 && de->d_type == DT_DIR) {
            n += sweep_stale_tmp(p, depth - 1);
        }
        free(p);
    }
    closedir(d);
    return n;
}

/* Remove dir and everything under it, to `depth` folder levels (W/parts/<stage>/<file>: 2);
 * returns the count of files removed. */
static size_t remove_tree(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        if (nm[0] == '.' && (!nm[1] || (nm[1] == '.' && !nm[2]))) continue;
        char *p = sp_path_join(dir, nm);
        if (!p) break;
        if (de->d_type == DT_DIR) {
            if (depth > 0) n += remove_tree(p, depth - 1);
        } else if (unlink(p) == 0) {
            n++;
        }
        free(p);
    }
    closedir(d);
    rmdir(dir);
    return n;
}

/* Take the workdir, load and check the manifest, sweep stale temp files, compute every
 * stage's key and decide which stages are current (c->fresh) and why the others rerun. */
static sciprune_status prepare(run_ctx *c, sciprune_workdir_lock **lock, char why[][300],
                               sciprune_error *err)
{
    run_job *j = c->j;
    sciprune_status st;
    for (int i = 0; i < ST_COUNT; i++) why[i][0] = '\0';
    /* the config is valid: take the workdir (no other writer from here on) */
    if ((st = sciprune_workdir_lock_acquire(lock, j->workdir, "run", err))) return st;
    for (size_t i = 0; i < j->score.n_metrics; i++)
        c->auto_metric |= j->score.metrics[i] == SCIPRUNE_METRIC_AUTO ||
                          j->score.metrics[i] == SCIPRUNE_METRIC_LEARNED ||
                          j->score.metrics[i] == SCIPRUNE_METRIC_GATE_LEARNED; /* analyze first */
    if ((st = open_workdir(c, err))) return st;
    size_t swept = sweep_stale_tmp(j->workdir, 4);
    if (swept)
        sp_log(SCIPRUNE_LOG_INFO, "run: removed %zu unfinished file(s) of a process that is gone",
               swept);
    /* W/parts/ holds what ranks hand each other inside one stage of one run (scans, counts);
     * nothing there outlives the run that wrote it, so what is there now is a killed run's
     * (an MPI run killed, then this run, with ranks or not): it goes before any stage, so
     * that no stage reads it as its own and none is left behind */
    char *parts = sp_path_join(j->workdir, "parts");
    if (!parts) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    if (sp_exists(parts)) {
        size_t gone = remove_tree(parts, 3);
        sp_log(SCIPRUNE_LOG_INFO, "run: removed W/parts/ (%zu file(s)) of a run that did not finish",
               gone);
    }
    free(parts);
    for (int i = 0; i < ST_COUNT; i++) {
        const char *parts[8];
        key_parts(c, i, parts);
        sp_key_of(c->key[i], parts);
    }
    /* Which stages to trust: key current and every recorded output there as recorded. A stage
     * whose outputs are missing or changed reruns, and so does every stage after it. */
    int stale_from = -1;
    for (int i = 0; i < ST_COUNT; i++) {
        if (!stages[i].on(c) || !sp_manifest_stage_current(c->m, stages[i].name, c->key[i])) continue;
        char w[256];
        if (stale_from >= 0) {
            snprintf(why[i], 300, "rerunning: it comes after %s, which reruns",
                     stages[stale_from].name);
        } else if (!sp_manifest_stage_verify(c->m, stages[i].name, j->workdir, w, sizeof w)) {
            snprintf(why[i], 300, "%s, rerunning %s", w, stages[i].name);
            stale_from = i;
        } else {
            c->fresh[i] = 1;
        }
    }
    return SCIPRUNE_OK;
}

/* ------------------------------------------------------------------ ranks */

static int nranks(const run_ctx *c) { return c->o->ranks && c->o->ranks->size > 1 ? c->o->ranks->size : 1; }
static int my_rank(const run_ctx *c) { return nranks(c) > 1 ? c->o->ranks->rank : 0; }

/* A reduce point: every rank brings its status; all learn the first failure (lowest rank).
 * A rank that failed keeps its own error; the others get one naming the rank and, when that
 * rank's error came from an input shard, the shard. v: [rank, shard index + 1, status]
 * encoded in one int64 so that one minimum finds the lowest failing rank. */
static sciprune_status sync_status(run_ctx *c, sciprune_status st, sciprune_error *err)
{
    if (nranks(c) <= 1 || c->sync_failed) return st; /* after a failure: no more reduces */
    const sciprune_ranks *R = c->o->ranks;
    int64_t shard = 0;
    if (st && err) { /* the input the error names: its path, else its name in the source or text */
        for (size_t i = 0; i < c->j->n_inputs && !shard; i++)
            if (!strcmp(err->source, c->j->inputs[i])) shard = (int64_t)i + 1;
        for (size_t i = 0; i < c->j->n_inputs && !shard; i++) {
            const char *nm = sciprune_shard_name(c->j->inputs[i]);
            if (strstr(err->source, nm) || strstr(err->text, nm)) shard = (int64_t)i + 1;
        }
    }
    int64_t v[1] = {st ? ((int64_t)R->rank << 40) | (shard << 8) | (int64_t)(st & 0xff) : INT64_MAX};
    if (R->reduce_min(R->user, v, 1) != 0) {
        c->sync_failed = 1;
        return st ? st : sp_err(err, SCIPRUNE_EIO, NULL, -1, -1, "MPI: the reduce failed");
    }
    if (v[0] == INT64_MAX) return st;
    c->sync_failed = 1; /* every rank knows: no more reduces */
    if (st) return st;
    int r = (int)(v[0] >> 40);
    int64_t sh = (v[0] >> 8) & 0xffffffff;
    sciprune_status their = (sciprune_status)(v[0] & 0xff);
    if (sh > 0 && (size_t)sh <= c->j->n_inputs)
        return sp_err(err, their, c->j->inputs[sh - 1], -1, -1, "rank %d failed on shard %s (%s); its log has the error",
                      r, c->j->inputs[sh - 1], sciprune_status_name(their));
    return sp_err(err, their, NULL, -1, -1, "rank %d failed (%s); its log has the error", r,
                  sciprune_status_name(their));
}

/* Rank 0's flags to every rank (the others bring 0): a reduce of -flag. */
static int share_flag(const run_ctx *c, int flag)
{
    if (nranks(c) <= 1) return flag;
    int64_t v[1] = {my_rank(c) == 0 ? -(int64_t)flag : 0};
    if (c->o->ranks->reduce_min(c->o->ranks->user, v, 1) != 0) return -1;
    return (int)-v[0];
}

/* Tell the caller which part of a split stage this rank takes: its shards and their bytes. */
static void report_part(const run_ctx *c, const char *stage)
{
    if (!c->o->on_part) return;
    uint64_t n = 0, bytes = 0;
    for (size_t i = (size_t)my_rank(c); i < c->j->n_inputs; i += (size_t)nranks(c)) {
        n++;
        struct stat sb;
        if (stat(c->j->inputs[i], &sb) == 0) bytes += (uint64_t)sb.st_size;
    }
    c->o->on_part(c->o->user, stage, n, bytes);
}

/* This rank's part of embed: its shards (index = rank mod N), with the spec rank 0 made. */
static sciprune_status embed_part(run_ctx *c, int gates_too, sciprune_error *err)
{
    run_job *j = c->j;
    sciprune_embed_options eo;
    sciprune_embed_options_default(&eo);
    eo.shard = j->shard;
    eo.threads = j->threads;
    eo.progress = c->o->progress;
    eo.progress_user = c->o->user;
    eo.gates = gates_too ? &j->gates : NULL;
    eo.part_count = nranks(c);
    eo.part_index = my_rank(c);
    report_part(c, "embed");
    return sciprune_embed_shards(j->workdir, (const char *const *)j->inputs, j->n_inputs,
                                 &j->embed, &eo, NULL, err);
}

/* The embed stage over ranks (every rank calls it, when rank 0 said it runs): rank 0 makes
 * the spec, every rank its part, rank 0 the summaries (a call without parts: every shard is
 * complete by then) and the manifest entries. */
static sciprune_status embed_ranks(run_ctx *c, int gates_too, sciprune_error *err)
{
    run_job *j = c->j;
    sciprune_status st = SCIPRUNE_OK;
    sp_peak_rss_reset();
    double t0 = sp_now();
    /* the fit pass split over the ranks when they can sum (fit_split): every rank calls the
     * spec step, rank 0 alone checking and writing W/embed */
    int fit_split = c->o->ranks->reduce_sum != NULL;
    if (my_rank(c) == 0) {
        note(c, ST_EMBED, "running");
        c->was_done = sp_manifest_stage_key(c->m, "embed") != NULL &&
                      !sp_manifest_stage_current(c->m, "embed", c->key[ST_EMBED]);
        st = sp_manifest_stage_clear(c->m, "embed", err);
        if (!st && gates_too) st = sp_manifest_stage_clear(c->m, "gates", err);
    }
    if (fit_split && (st = sync_status(c, st, err))) return st;
    if (my_rank(c) == 0 || fit_split) {
        sciprune_embed_options eo;
        sciprune_embed_options_default(&eo);
        eo.shard = j->shard;
        eo.threads = j->threads;
        eo.force = c->o->force && c->was_done;
        eo.gates = gates_too ? &j->gates : NULL;
        eo.spec_only = 1;
        char *pp = fit_split ? sp_path_join(j->workdir, "parts") : NULL;
        char *parts = pp ? sp_path_join(pp, "embed") : NULL;
        free(pp);
        if (fit_split) {
            eo.ranks = c->o->ranks;
            eo.parts_dir = parts;
            if (!parts) st = nomem(err);
            if (!st) report_part(c, "embed-fit");
        }
        if (!st)
            st = sciprune_embed_shards(j->workdir, (const char *const *)j->inputs, j->n_inputs,
                                       &j->embed, &eo, NULL, err);
        free(parts);
    }
    if ((st = sync_status(c, st, err))) return st;
    st = embed_part(c, gates_too, err);
    if ((st = sync_status(c, st, err))) return st;
    if (my_rank(c) != 0) return SCIPRUNE_OK;
    c->was_done = 0;       /* no force now: that would discard the parts */
    c->done_note = NULL;
    st = do_embed(c, err); /* finds every shard complete: summaries, gates' records */
    if (!st) st = record_outputs(c, ST_EMBED, err);
    if (!st)
        st = sp_manifest_stage_done(c->m, "embed", c->key[ST_EMBED], sp_now() - t0, sp_peak_rss(), err);
    if (!st) {
        note(c, ST_EMBED, c->done_note ? c->done_note : "done");
        c->split_done = 1; /* the loop below skips it */
    }
    return st;
}

/* The stages whose per-shard work is split over ranks after embed: the assignment (after
 * rank 0 trained the k-means) and prune (rank 0 writes the reports after). Needs the sum
 * reduce; without it they run on rank 0 alone. */
static int split_stage(const run_ctx *c, int i)
{
    return nranks(c) > 1 && (i == ST_CORRUPT || i == ST_ANALYZE ||
                             (c->o->ranks->reduce_sum && (i == ST_INDEX || i == ST_PRUNE || i == ST_SCORE)));
}

/* corrupt over ranks: every rank scans its shards into W/parts/corrupt/scan-<rank>.bin; after
 * a status reduce rank 0 merges the scans (the same candidates, lengths and counts as one
 * process's scan), makes the variants and writes W/corrupt/ as one process does. */
static sciprune_status corrupt_part(run_ctx *c, sciprune_status st, sciprune_error *err)
{
    run_job *j = c->j;
    char *pp = sp_path_join(j->workdir, "parts"), *parts = pp ? sp_path_join(pp, "corrupt") : NULL;
    free(pp);
    if (!parts) return sync_status(c, st ? st : nomem(err), err);
    sciprune_corrupt_options co = j->corrupt;
    co.parts_dir = parts;
    co.part_count = nranks(c);
    co.part_index = my_rank(c);
    if (!st) {
        report_part(c, "corrupt");
        st = sciprune_corrupt_run((const char *const *)j->inputs, j->n_inputs, parts, &co, NULL, err);
    }
    if (!st && j->corrupt_heldout) { /* the held-out probes' scan, split the same way */
        sciprune_corrupt_options ho;
        char *hparts = NULL;
        st = heldout_options(j->workdir, &co, &ho, &hparts, err);
        if (!st)
            st = sciprune_corrupt_run((const char *const *)j->inputs, j->n_inputs, hparts, &ho,
                                      NULL, err);
        free(hparts);
    }
    if (!(st = sync_status(c, st, err)) && my_rank(c) == 0) {
        co.part_index = -1;
        st = do_corrupt_with(c, &co, err);
    }
    free(parts);
    return st;
}

/* analyze over ranks: every rank embeds its variants (j = rank mod N, in file order) into
 * W/parts/analyze/variants-<rank>.bin (and scores its clean shards' gates when analyze computes
 * them: gates-<i>.bin); after a status reduce rank 0 reads the parts, assigns
 * and writes W/analyze/ as one process does (sciprune_analyze_settings.parts_dir). */
static sciprune_status analyze_part(run_ctx *c, sciprune_status st, sciprune_error *err)
{
    run_job *j = c->j;
    char *pp = sp_path_join(j->workdir, "parts"), *parts = pp ? sp_path_join(pp, "analyze") : NULL;
    free(pp);
    if (!parts) return sync_status(c, st ? st : nomem(err), err);
    sciprune_analyze_settings as = j->analyze;
    as.parts_dir = parts;
    as.part_count = nranks(c);
    as.part_index = my_rank(c);
    if (!st)
        st = sciprune_analyze(j->workdir, (const char *const *)j->corrupted, j->n_corrupted, &as,
                              NULL, err);
    if (!(st = sync_status(c, st, err)) && my_rank(c) == 0) {
        as.part_index = -1;
        st = sciprune_analyze(j->workdir, (const char *const *)j->corrupted, j->n_corrupted, &as,
                              NULL, err);
    }
    free(parts);
    return st;
}

/* This rank's part of a split stage, every rank calling it; st: rank 0's status so far. The
 * centroids reach the other ranks through the shared workdir (W/index/kmeans.faiss, read
 * after the status reduce that follows training). */
static sciprune_status split_part(run_ctx *c, int i, sciprune_status st, sciprune_error *err)
{
    run_job *j = c->j;
    const sciprune_ranks *R = c->o->ranks;
    if (i == ST_CORRUPT) return corrupt_part(c, st, err);
    if (i == ST_SCORE) { /* rank 0's checks, then every rank its shards (exact global cuts) */
        if (!st && my_rank(c) == 0) {
            c->score_prepare_only = 1;
            st = do_score(c, err);
            c->score_prepare_only = 0;
        }
        if ((st = sync_status(c, st, err))) return st;
        report_part(c, "score");
        return sciprune_score_sweep_part(j->workdir, c->set, &j->score, R, NULL, err);
    }
    if (i == ST_ANALYZE) return analyze_part(c, st, err);
    if (i == ST_INDEX) {
        sciprune_index_info info;
        if (!st && my_rank(c) == 0) st = sciprune_index_train(j->workdir, c->set, &j->index, &info, err);
        if ((st = sync_status(c, st, err))) return st;
        report_part(c, "index");
        return sciprune_index_assign_part(j->workdir, c->set, &j->index, R, NULL, err);
    }
    /* prune: rank 0 prepares out/ inside, before the others write (its reduces) */
    if (st) { /* rank 0 failed before: still meet the others at prune's first reduce */
        int64_t v[1] = {-1};
        if (R->reduce_min(R->user, v, 1) != 0) c->sync_failed = 1;
        return st;
    }
    report_part(c, "prune");
    return sciprune_prune_write_part(j->workdir, c->set, &j->prune, R, NULL, err);
}

sciprune_status sciprune_run(const char *config_path, const sciprune_run_options *opt,
                             sciprune_error *err)
{
    sciprune_run_options o;
    if (opt) o = *opt; else sciprune_run_options_default(&o);
    run_job j;
    run_ctx c;
    memset(&c, 0, sizeof c);
    c.j = &j;
    c.o = &o;
    sciprune_workdir_lock *lock = NULL;
    int rank0 = my_rank(&c) == 0;
    char why[ST_COUNT][300];
    sciprune_status st = run_job_parse(&j, config_path, &o, err);
    if (!st && o.progress_interval_out) *o.progress_interval_out = j.progress_interval_s;
    /* rank 0 alone: the lock, the manifest, the stale temp files, which stages are current */
    if (!st && rank0) st = prepare(&c, &lock, why, err);
    if ((st = sync_status(&c, st, err))) goto done;
    if (nranks(&c) > 1) {
        int embed_runs = share_flag(&c, stages[ST_EMBED].on(&c) && !c.fresh[ST_EMBED]);
        int gates_too = share_flag(&c, j.gates_in_embed && !c.fresh[ST_GATES]);
        if (embed_runs < 0 || gates_too < 0) {
            st = sp_err(err, SCIPRUNE_EIO, NULL, -1, -1, "MPI: the reduce failed");
            c.sync_failed = 1;
            goto done;
        }
        if (embed_runs) {
            if (rank0 && why[ST_EMBED][0]) note(&c, ST_EMBED, why[ST_EMBED]);
            if ((st = embed_ranks(&c, gates_too, err))) goto done;
        }
    }
    for (int i = 0; i < ST_COUNT; i++) {
        if (!stages[i].on(&c)) continue;
        /* over ranks, embed ran above (embed_ranks); rank 0 says so when it was current */
        if (i == ST_EMBED && (c.split_done || !rank0)) continue;
        if (i == ST_INDEX && !c.set &&
            (st = sciprune_shard_set_from_paths(&c.set, (const char *const *)j.inputs, j.n_inputs, err)))
            goto done; /* the same on every rank: the same inputs */
        int runs = !c.fresh[i];
        if (nranks(&c) > 1 && i != ST_EMBED && (runs = share_flag(&c, rank0 && !c.fresh[i])) < 0) {
            st = sp_err(err, SCIPRUNE_EIO, NULL, -1, -1, "MPI: the reduce failed");
            c.sync_failed = 1;
            goto done;
        }
        if (!runs) {
            if (rank0) note(&c, i, "up to date");
            continue;
        }
        if (rank0) {
            if (why[i][0]) note(&c, i, why[i]);
            note(&c, i, "running");
            /* with another key (not: the same key, its outputs damaged, which resumes) */
            c.was_done = sp_manifest_stage_key(c.m, stages[i].name) != NULL &&
                         !sp_manifest_stage_current(c.m, stages[i].name, c.key[i]);
            c.done_note = NULL;
            st = sp_manifest_stage_clear(c.m, stages[i].name, err);
        }
        sp_peak_rss_reset(); /* the stage's own high-water mark in the manifest */
        double t0 = sp_now();
        if (split_stage(&c, i)) {
            st = split_part(&c, i, st, err);
            if ((st = sync_status(&c, st, err))) goto done; /* every rank's part is done */
            if (rank0 && i == ST_PRUNE) st = sciprune_report_write(j.workdir, err);
        } else if (rank0 && !st) {
            st = stages[i].fn(&c, err);
        }
        if (rank0 && !st) st = record_outputs(&c, i, err);
        if (rank0 && !st)
            st = sp_manifest_stage_done(c.m, stages[i].name, c.key[i], sp_now() - t0, sp_peak_rss(), err);
        if (rank0 && !st) note(&c, i, c.done_note ? c.done_note : "done");
        if ((st = sync_status(&c, st, err))) goto done;
    }
    if (!rank0) goto done; /* rank 0's exports, and the outcome at the end */
    for (size_t i = 0; i < j.n_export; i++) { /* cheap, and the models must follow score */
        if ((st = sciprune_model_export(j.workdir, j.export_variants[i], j.export_outs[i], err)))
            goto done;
        if (o.on_stage) o.on_stage(o.user, "export", j.export_variants[i]);
    }
    if (o.workdir_out) sp_strlcpy(o.workdir_out, j.workdir, o.workdir_out_cap);
done:
    if (nranks(&c) > 1 && !c.sync_failed) st = sync_status(&c, st, err);
    for (int i = 0; i < ST_COUNT; i++) free(c.canon[i]);
    free(c.c_shard);
    sciprune_shard_set_free(c.set);
    sp_manifest_free(c.m);
    run_job_free(&j);
    sciprune_workdir_lock_release(lock);
    return st;
}
