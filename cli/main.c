/* main.c - `sciprune <command> [options]`: dispatch, --help, --version. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static const cli_command k_commands[] = {
    {"ingest", "turn source trees into Stack-like JSONL.zst shards", cmd_ingest},
    {"check", "read shards, account for every line, write rejected/ records", cmd_check},
    {"corrupt", "make validated synthetic corruptions of clean records", cmd_corrupt},
    {"embed", "one vector per record: hash (tree-sitter), npy import or exec", cmd_embed},
    {"index", "k-means over the embeddings, assign every record to a cluster", cmd_index},
    {"analyze", "where corruptions land, how each metric catches them, which to use", cmd_analyze},
    {"score", "rank records by size/distance/combined/random/length, plan the variants", cmd_score},
    {"run", "every stage from one JSON config, resumable", cmd_run},
    {"inspect", "stage states and report summary of a workdir", cmd_inspect},
    {"report", "W/report.html: what was pruned and why, clusters, probes", cmd_report},
    {"gates", "per-record quality gates: parse errors, undefined names", cmd_gates},
    {"decontam", "remove files containing benchmark problems (HumanEval, MBPP, JSONL)", cmd_decontam},
    {"prune", "write each variant's kept (and removed) shards, and the report", cmd_prune},
    {"materialize", "write the shards of one variant later (after prune --output ids|mask)", cmd_materialize},
    {"export", "save one variant of a workdir as a pruning model folder", cmd_export},
    {"eval", "join evaluation results (pass@1) back to the variants: eval add", cmd_eval},
    {"judge", "filter JSONL through a pruning model: kept lines out (or annotated)", cmd_judge},
};
#define NCMDS (sizeof k_commands / sizeof k_commands[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: sciprune <command> [options]\n"
               "       sciprune <command> --help\n"
               "       sciprune --version\n\ncommands:\n");
    for (size_t i = 0; i < NCMDS; i++)
        fprintf(f, "  %-10s %s\n", k_commands[i].name, k_commands[i].summary);
    fprintf(f, "\nexit codes: 0 ok, 1 failure, 2 usage error, 3 workdir in use by another command\n");
}

static char g_rank_prefix[48]; /* "[rank r/N] " under a launcher with several tasks */

static void log_to_stderr(void *user, sciprune_log_level level, const char *msg)
{
    (void)user;
    static const char *names[] = {"error", "warning", "info", "debug"};
    if (level > SCIPRUNE_LOG_INFO && !getenv("SCIPRUNE_DEBUG")) return;
    fprintf(stderr, "%ssciprune: %s: %s\n", g_rank_prefix, names[level], msg);
}

int main(int argc, char **argv)
{
    int rank, tasks = cli_launcher_tasks(&rank, NULL);
    if (tasks > 1) snprintf(g_rank_prefix, sizeof g_rank_prefix, "[rank %d/%d] ", rank, tasks);
    sciprune_set_logger(log_to_stderr, NULL);
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("sciprune %s\n", sciprune_version());
        return CLI_OK;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_OK;
    }
    /* several tasks (mpirun, srun): only run with MPI splits the work; else refuse, not N jobs */
    int rc = cli_refuse_tasks(argv[1]);
    if (rc != CLI_OK) return rc;
    for (size_t i = 0; i < NCMDS; i++)
        if (!strcmp(argv[1], k_commands[i].name)) return k_commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "sciprune: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
