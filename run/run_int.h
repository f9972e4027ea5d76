/* run_int.h - internals of run/, the job driver on top of every stage: the typed job config
 * (config.c), the stage table and the driver (run.c), the workdir status (status.c). */
#ifndef SCIPRUNE_RUN_INT_H
#define SCIPRUNE_RUN_INT_H

#include "../shard/sp_manifest.h"
#include "../shard/sp_workdir.h"

#include <jansson.h>

/* A parsed job config: every stage's settings, typed. Strings the settings borrow are owned
 * by the job (the *_own fields). */
typedef struct run_job {
    json_t *cfg;            /* the config as loaded (owned) */
    char *dir;              /* the config's folder (owned) */
    char *workdir;          /* owned */
    char **inputs;          /* n_inputs shard paths, owned */
    size_t n_inputs;
    int threads;
    double progress_interval_s; /* -1: not in the config */
    sciprune_shard_options shard;
    sciprune_embedder_settings embed;
    char *embed_spec_own;   /* "npy:<dir relative to the config>" */
    sciprune_index_settings index;
    sciprune_score_settings score;
    sciprune_prune_settings prune;
    int gates_on;           /* the gates stage runs */
    int gates_in_embed;     /* ... on the hash embedder's parse */
    sciprune_gates_settings gates;
    char *gates_pe_own, *gates_un_own, *gates_js_own;
    int corrupt_on;
    int corrupt_heldout;   /* corrupt.heldout: also W/corrupt/heldout/ (held-out probes) */
    sciprune_corrupt_options corrupt;
    char *corrupt_types_own, *corrupt_langs_own;
    int analyze_on;
    int analyze_own_corrupted; /* analyze.corrupted given: W/corrupt is not its input */
    sciprune_analyze_settings analyze;
    char *analyze_weights_own;
    char **corrupted;       /* analyze inputs, owned */
    size_t n_corrupted;
    char **export_variants; /* "export": variants to save as models, owned */
    char **export_outs;     /* and their folders, owned */
    size_t n_export;
    int decontam_on;        /* "decontam": the stage runs (before score) */
    sciprune_decontam_settings decontam;
    sciprune_decontam_benchmark *decontam_bench; /* n_decontam_bench, owned */
    char **decontam_paths;  /* their paths, relative to the config resolved, owned */
    size_t n_decontam_bench;
    char *decontam_fields_own;
} run_job;

/* Parse and check the config at `path` (format: run.c header) with the option overrides.
 * Errors: EPARSE (not JSON), EINVAL (a bad key or value, named), ENOMEM. On failure the job
 * may be partly filled: free it with run_job_free() either way. */
sciprune_status run_job_parse(run_job *j, const char *path, const sciprune_run_options *o,
                              sciprune_error *err);
void run_job_free(run_job *j);

/* The canonical text of a config section (sorted keys, compact; "null" when absent); owned. */
char *run_canon(const json_t *v);

/* The stage table, in run order. A stage has a name, a test for whether the job runs it, the
 * parts of its manifest key (upstream stage keys and its config), and the function that
 * makes its outputs. */
#define RUN_MAX_STAGES 8
int run_stage_count(void);
const char *run_stage_name(int i);
/* 1 for a stage that runs only when the job turns it on (gates, corrupt, analyze). */
int run_stage_optional(int i);

#endif /* SCIPRUNE_RUN_INT_H */
