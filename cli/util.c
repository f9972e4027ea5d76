/* util.c - CLI helpers: errors, usage, progress line, option parsing. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void cli_error(const char *what, const sciprune_error *e)
{
    fprintf(stderr, "sciprune: %s", what);
    if (e->source[0]) fprintf(stderr, ": %s", e->source);
    if (e->line >= 0) fprintf(stderr, ":%lld", (long long)e->line);
    if (e->offset >= 0) fprintf(stderr, " (byte %lld)", (long long)e->offset);
    fprintf(stderr, ": %s [%s]\n", e->text, sciprune_status_name(e->code));
}

static sciprune_workdir_lock *g_held; /* the command's workdir lock, released at exit */

static void release_held(void)
{
    sciprune_workdir_lock_release(g_held);
    g_held = NULL;
}

int cli_lock_workdir(const char *dir, const char *cmd)
{
    sciprune_error e;
    sciprune_status st = sciprune_workdir_lock_acquire(&g_held, dir, cmd, &e);
    if (!st) atexit(release_held); /* a killed command's lock goes with the process */
    if (st == SCIPRUNE_EBUSY) {
        fprintf(stderr, "sciprune %s: %s\n", cmd, e.text);
        return CLI_BUSY;
    }
    if (st) {
        cli_error("cannot lock the workdir", &e);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "sciprune %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'sciprune %s --help'.\n", cmd);
    va_end(ap);
    return CLI_USAGE;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cli_progress_start(cli_progress *p, const char *stage, uint64_t total_bytes)
{
    memset(p, 0, sizeof *p);
    p->stage = stage;
    p->t0 = p->last = now();
    p->total_bytes = total_bytes;
    p->tty = isatty(2) && !getenv("SCIPRUNE_NO_PROGRESS");
}

void cli_progress_log(cli_progress *p, double every, int rank, int nranks)
{
    p->every = getenv("SCIPRUNE_NO_PROGRESS") ? 0 : every;
    p->rank = rank;
    p->nranks = nranks;
}

static void eta_text(char *b, size_t cap, double s)
{
    if (s >= 3600) snprintf(b, cap, "%dh%02dm", (int)s / 3600, (int)s % 3600 / 60);
    else snprintf(b, cap, "%d:%02d", (int)s / 60, (int)s % 60);
}

void cli_progress_update(cli_progress *p, uint64_t records, uint64_t bytes)
{
    if (!p->tty && p->every <= 0) return;
    double t = now();
    if (t - p->last < (p->tty ? 0.25 : p->every)) return;
    p->last = t;
    double el = t - p->t0 > 1e-9 ? t - p->t0 : 1e-9;
    double mbs = (double)bytes / el / 1e6;
    char pre[48] = "";
    if (p->nranks > 1) snprintf(pre, sizeof pre, "[rank %d/%d] ", p->rank, p->nranks);
    if (!p->tty) {
        char eta[32] = "?";
        if (p->total_bytes && bytes > 0 && bytes <= p->total_bytes)
            eta_text(eta, sizeof eta, el * (double)(p->total_bytes - bytes) / (double)bytes);
        fprintf(stderr, "%s%s: %llu records, %.1f/%.1f MB", pre, p->stage,
                (unsigned long long)records, (double)bytes / 1e6, (double)p->total_bytes / 1e6);
        if (p->shards) fprintf(stderr, " of %llu shards", (unsigned long long)p->shards);
        fprintf(stderr, ", %.1f MB/s, ETA %s\n", mbs, eta);
        fflush(stderr);
        return;
    }
    fprintf(stderr, "\r\033[K%s[%s] %llu records  %.0f rec/s  %.1f MB/s", pre, p->stage,
            (unsigned long long)records, (double)records / el, mbs);
    if (p->total_bytes && bytes > 0 && bytes <= p->total_bytes) {
        double eta = el * (double)(p->total_bytes - bytes) / (double)bytes;
        fprintf(stderr, "  %.0f%%  ETA %d:%02d", 100.0 * (double)bytes / (double)p->total_bytes,
                (int)eta / 60, (int)eta % 60);
    }
    fflush(stderr);
}

void cli_progress_end(cli_progress *p)
{
    if (p->tty) fprintf(stderr, "\r\033[K");
}

int cli_parse_on_error(const char *s)
{
    if (!strcmp(s, "skip")) return 0;
    if (!strcmp(s, "fail")) return 1;
    return -1;
}

int cli_parse_size(const char *s, size_t *out)
{
    char *end = NULL;
    if (*s < '0' || *s > '9') return -1; /* strtoull takes "-1" and " 1" */
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno) return -1;
    int shift = 0;
    if (*end == 'K' || *end == 'k') shift = 10;
    else if (*end == 'M' || *end == 'm') shift = 20;
    else if (*end == 'G' || *end == 'g') shift = 30;
    if (shift) {
        if (v > (SIZE_MAX >> shift)) return -1;
        v <<= shift;
        end++;
    }
    if (v > SIZE_MAX) return -1;
    if (*end == 'i' || *end == 'B') end++;
    if (*end) return -1;
    *out = (size_t)v;
    return 0;
}

uint64_t cli_total_size(char **paths, int n)
{
    uint64_t t = 0;
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (stat(paths[i], &st) == 0) t += (uint64_t)st.st_size;
    }
    return t;
}
