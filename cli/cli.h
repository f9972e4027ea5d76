/* cli.h - shared pieces of the sciprune command line (the only place that prints or exits). */
#ifndef SCIPRUNE_CLI_H
#define SCIPRUNE_CLI_H

#include "sciprune.h"

#include <stdint.h>
#include <stdio.h>

/* Exit codes (documented in the README). */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2, CLI_BUSY = 3 /* the workdir is locked */ };

typedef struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
} cli_command;

/* Print "sciprune: <error>" with source/line/offset. */
void cli_error(const char *what, const sciprune_error *e);
/* Take the workdir lock of `dir` for command `cmd` (sciprune_workdir_lock_acquire) and hold it
 * until the process exits. Prints the error; returns CLI_OK, CLI_BUSY (another writer) or
 * CLI_FAIL. */
int cli_lock_workdir(const char *dir, const char *cmd);
/* Print a usage error for `cmd` and return CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...);

/* Progress on stderr: a line redrawn in place when stderr is a terminal; else, after
 * cli_progress_log() with every > 0, one line every `every` seconds
 * ("[rank 1/3] embed: ... ETA 2:01"), for log files. SCIPRUNE_NO_PROGRESS turns both off. */
typedef struct cli_progress {
    const char *stage;
    double t0, last;
    uint64_t total_bytes; /* 0 if unknown */
    uint64_t shards;      /* this rank's shards of the stage; 0 if unknown */
    int tty;
    double every;         /* seconds between lines when not a terminal; 0: none */
    int rank, nranks;     /* nranks > 1: lines prefixed "[rank r/N]" */
} cli_progress;
void cli_progress_start(cli_progress *p, const char *stage, uint64_t total_bytes);
void cli_progress_update(cli_progress *p, uint64_t records, uint64_t bytes);
void cli_progress_end(cli_progress *p);
/* Lines every `every` seconds when stderr is not a terminal, prefixed with the rank. */
void cli_progress_log(cli_progress *p, double every, int rank, int nranks);

/* Tasks started by a launcher (mpirun, srun; 0: none) and this one's rank and launcher. */
int cli_launcher_tasks(int *rank, const char **launcher);
/* CLI_OK, or CLI_USAGE after rank 0 said why: several tasks and no MPI, or not `run`. */
int cli_refuse_tasks(const char *cmd);
/* MPI up when a launcher started us: 1 (r filled), 0 (one process), -1 (failed, printed). */
int cli_ranks_start(sciprune_ranks *r, int *argc, char ***argv);
void cli_ranks_stop(int started);

/* Parse "--on-error skip|fail": 0 skip, 1 fail, -1 invalid. */
int cli_parse_on_error(const char *s);
/* Parse a size like 16M, 1G, 4096. Returns 0 on success. */
int cli_parse_size(const char *s, size_t *out);
/* Total size of files in bytes. */
uint64_t cli_total_size(char **paths, int n);

int cmd_ingest(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_corrupt(int argc, char **argv);
int cmd_embed(int argc, char **argv);

/* Pipeline stages (stage_util.c holds their shared helpers). */
int cmd_index(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_materialize(int argc, char **argv);
int cmd_gates(int argc, char **argv);
int cmd_decontam(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
/* cmd_report.c: W/report.html by scripts/report_html.py (NULL: the defaults); its exit status,
 * -1 when it cannot start. quiet: its output goes to /dev/null. */
int cli_report_html(const char *workdir, const char *python, const char *script,
                    const char *examples, int quiet);
int cmd_report(int argc, char **argv);
/* cmd_model.c */
int cmd_export(int argc, char **argv);
int cmd_judge(int argc, char **argv);
int cmd_eval(int argc, char **argv); /* cmd_eval.c */
/* Print library warnings (and info with verbose) on stderr. */
void cli_logger_install(int verbose);
/* Shards from --in paths when nin > 0, else from W/embed; prints the error. CLI_OK or CLI_FAIL. */
int cli_shard_set(sciprune_shard_set **out, const char *workdir, char **ins, int nin);
/* The start of a stage that reads W's shards (index, score, prune, materialize): lock W for
 * `cmd` (cli_lock_workdir), install the logger, then cli_shard_set. Frees ins in every case.
 * CLI_OK with *out set, or the exit code to return (the error printed). */
int cli_stage_start(sciprune_shard_set **out, const char *workdir, const char *cmd, int verbose,
                    char **ins, int nin);
/* Parse an integer in [lo, hi]. Returns 0 on success. */
int cli_parse_int(const char *s, long lo, long hi, long *out);

/* The shard options `score`, `prune` and `materialize` share, parsed by one helper so that they
 * have the same names, help text and errors. Put CLI_SHARD_LONGOPTS (and, for the commands that
 * write shards, CLI_WRITER_LONGOPTS) in the getopt_long table, print cli_shard_opts_help() in the
 * help, and offer every option to cli_shard_opt() first:
 *   --threads N, --text-field NAME, --id-field NAME, --default-lang NAME, --max-line SIZE
 *   writer (w != NULL): --zstd-level N, --no-fsync */
enum {
    CLI_OPT_THREADS = 0x1000, CLI_OPT_TEXT_FIELD, CLI_OPT_ID_FIELD, CLI_OPT_DEFAULT_LANG,
    CLI_OPT_MAX_LINE, CLI_OPT_ZSTD_LEVEL, CLI_OPT_NO_FSYNC
};
#define CLI_SHARD_LONGOPTS                                                                      \
    {"threads", required_argument, 0, CLI_OPT_THREADS},                                         \
    {"text-field", required_argument, 0, CLI_OPT_TEXT_FIELD},                                   \
    {"id-field", required_argument, 0, CLI_OPT_ID_FIELD},                                       \
    {"default-lang", required_argument, 0, CLI_OPT_DEFAULT_LANG},                               \
    {"max-line", required_argument, 0, CLI_OPT_MAX_LINE}
#define CLI_WRITER_LONGOPTS                                                                     \
    {"zstd-level", required_argument, 0, CLI_OPT_ZSTD_LEVEL},                                   \
    {"no-fsync", no_argument, 0, CLI_OPT_NO_FSYNC}
/* The help lines of those options (with_writer: the writer's too), after the command's own. */
void cli_shard_opts_help(int with_writer);
/* Option `c` (getopt_long's return) with argument `arg`: 0 when it is not one of these, 1 when
 * it is and was stored (sh, *threads; w may be NULL: the writer options are then not ours), -1
 * when its value is bad: a usage error for `cmd` is printed ("bad --max-line 'x': ..."). */
int cli_shard_opt(const char *cmd, int c, const char *arg, sciprune_shard_options *sh,
                  sciprune_writer_options *w, int *threads);

#endif /* SCIPRUNE_CLI_H */
