/* stage_util.c - pieces shared by the pipeline stage commands (index, score, prune,
 * materialize): the logger, the shard set, and the shard / writer options. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static void log_stderr(void *user, sciprune_log_level level, const char *msg)
{
    int verbose = *(int *)user;
    if (level == SCIPRUNE_LOG_WARN || level == SCIPRUNE_LOG_ERROR)
        fprintf(stderr, "sciprune: warning: %s\n", msg);
    else if (verbose && level == SCIPRUNE_LOG_INFO)
        fprintf(stderr, "sciprune: %s\n", msg);
}

void cli_logger_install(int verbose)
{
    static int v;
    v = verbose;
    sciprune_set_logger(log_stderr, &v);
}

int cli_shard_set(sciprune_shard_set **out, const char *workdir, char **ins, int nin)
{
    sciprune_error e;
    sciprune_status st = nin > 0
        ? sciprune_shard_set_from_paths(out, (const char *const *)ins, (size_t)nin, &e)
        : sciprune_shard_set_load(out, workdir, &e);
    if (st) {
        cli_error("cannot find the shards", &e);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_stage_start(sciprune_shard_set **out, const char *workdir, const char *cmd, int verbose,
                    char **ins, int nin)
{
    *out = NULL;
    int rc = cli_lock_workdir(workdir, cmd);
    if (!rc) {
        cli_logger_install(verbose);
        rc = cli_shard_set(out, workdir, ins, nin);
    }
    free(ins);
    return rc;
}

int cli_parse_int(const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

void cli_shard_opts_help(int with_writer)
{
    printf("  --threads N          threads over shards (default: the CPUs this process may use)\n");
    if (with_writer) {
        printf("  --zstd-level N       level for .zst outputs, 1..22 (default 3)\n"
               "  --no-fsync           do not fsync output files\n");
    }
    printf("  --text-field NAME    text field (default content)\n"
           "  --id-field NAME      id field (default id)\n"
           "  --default-lang NAME  language when a record does not tell (default unknown)\n"
           "  --max-line SIZE      longest accepted line, like 4096, 64K, 16M (default 16M)\n");
}

int cli_shard_opt(const char *cmd, int c, const char *arg, sciprune_shard_options *sh,
                  sciprune_writer_options *w, int *threads)
{
    long v;
    size_t z;
    switch (c) {
    case CLI_OPT_THREADS:
        if (cli_parse_int(arg, 0, 4096, &v))
            return cli_usage_error(cmd, "bad --threads '%s': a count 0..4096 (0: the CPUs)", arg), -1;
        *threads = (int)v;
        return 1;
    case CLI_OPT_TEXT_FIELD:
    case CLI_OPT_ID_FIELD:
    case CLI_OPT_DEFAULT_LANG:
        if (!*arg)
            return cli_usage_error(cmd, "bad --%s '': a name is needed",
                                   c == CLI_OPT_TEXT_FIELD ? "text-field"
                                   : c == CLI_OPT_ID_FIELD ? "id-field" : "default-lang"), -1;
        if (c == CLI_OPT_TEXT_FIELD) sh->text_field = arg;
        else if (c == CLI_OPT_ID_FIELD) sh->id_field = arg;
        else sh->default_lang = arg;
        return 1;
    case CLI_OPT_MAX_LINE:
        if (cli_parse_size(arg, &z) || z == 0)
            return cli_usage_error(cmd, "bad --max-line '%s': a size like 4096, 64K, 16M", arg), -1;
        sh->max_line_bytes = z;
        return 1;
    case CLI_OPT_ZSTD_LEVEL:
        if (!w) return 0;
        if (cli_parse_int(arg, 1, 22, &v))
            return cli_usage_error(cmd, "bad --zstd-level '%s': a level 1..22", arg), -1;
        w->zstd_level = (int)v;
        return 1;
    case CLI_OPT_NO_FSYNC:
        if (!w) return 0;
        w->fsync = 0;
        return 1;
    default:
        return 0;
    }
}
