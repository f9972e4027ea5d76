/* stage_util.c - pieces shared by the pipeline stage commands (index, score, prune). */
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

int cli_parse_int(const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}
