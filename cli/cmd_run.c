/* cmd_run.c - `sciprune run --config job.json` and `sciprune inspect WORKDIR`. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void help(void)
{
    printf("usage: sciprune run --config JOB.json [--workdir W] [--threads N] [--force]\n"
           "                    [--progress-every SECONDS]\n\n"
           "Run every stage (embed + gates, index, corrupt, analyze, score, prune + report) from\n"
           "one JSON config; score metric auto takes this job's analysis' recommendation.\n"
           "Resumable: stages whose outputs are current are skipped (workdir/manifest.json);\n"
           "a killed run picks up where it stopped. A workdir made from other inputs or another\n"
           "config is refused unless --force, which recomputes only what changed.\n"
           "One writer per workdir: while a command writes into W (W/.lock), another exits 3.\n"
           "Example config with every key: data/configs/default.json.\n"
           "When stderr is not a terminal, a progress line every 30 s (--progress-every, or the\n"
           "config's progress_interval_s; 0: none).\n"
           "Under mpirun or srun (a build with MPI) the job is split over the ranks: see\n"
           "README, Running on a cluster. Output is byte-identical to one process.\n");
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A stage's progress from here: its name, the clock, this rank's part when known. */
static void progress_restart(cli_progress *p, const char *stage, uint64_t shards, uint64_t bytes)
{
    cli_progress_end(p);
    p->stage = stage;
    p->t0 = p->last = mono_now();
    p->shards = shards;
    p->total_bytes = bytes;
}

/* The config's progress_interval_s (sciprune_run fills it before the first stage), applied at
 * the first stage or part line unless --progress-every was given. */
static double cfg_every = -1;
static int every_given;

static void apply_cfg_every(cli_progress *p)
{
    if (every_given || cfg_every < 0) return;
    cli_progress_log(p, cfg_every, p->rank, p->nranks);
    cfg_every = -1;
}

static void on_stage(void *user, const char *stage, const char *state)
{
    cli_progress *p = user;
    apply_cfg_every(p);
    cli_progress_end(p);
    if (p->nranks > 1) fprintf(stderr, "[rank %d/%d] ", p->rank, p->nranks);
    fprintf(stderr, "run: %-6s %s\n", stage, state);
    if (!strcmp(state, "running")) progress_restart(p, stage, 0, 0);
}

static void on_part(void *user, const char *stage, uint64_t shards, uint64_t bytes)
{
    cli_progress *p = user;
    apply_cfg_every(p);
    progress_restart(p, stage, shards, bytes);
    if (p->every > 0 || p->tty) {
        if (p->nranks > 1) fprintf(stderr, "[rank %d/%d] ", p->rank, p->nranks);
        fprintf(stderr, "%s: %llu shards, %.1f MB are this rank's\n", stage,
                (unsigned long long)shards, (double)bytes / 1e6);
    }
}

static void on_progress(void *user, uint64_t records, uint64_t bytes)
{
    cli_progress_update(user, records, bytes);
}

/* s with control characters escaped ("\n", "\t", "\xNN"), so a name read from a shard (a
 * language, through the report's texts) cannot break the terminal's lines; into buf[cap]. */
static const char *printable(const char *s, char *buf, size_t cap)
{
    size_t o = 0;
    for (; *s && o + 5 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n' || c == '\t' || c == '\r')
            o += (size_t)snprintf(buf + o, cap - o, "\\%c", c == '\n' ? 'n' : c == '\t' ? 't' : 'r');
        else if (c < 0x20 || c == 0x7f)
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
        else
            buf[o++] = (char)c;
    }
    buf[o] = '\0';
    return buf;
}
#define PRINTABLE(s) printable((s), (char[1100]){0}, 1100)

/* The report's counts and the analysis' pick, from sciprune_workdir_status(). */
static void print_summary(const sciprune_workdir_info *w, const char *workdir, int html)
{
    if (html) printf("report: %s/report.html   (open it in a browser: what was pruned and why)\n", workdir);
    if (w->has_report) {
        printf("corpus: %llu records, %llu accepted, %llu rejected; k=%d, d=%d\n",
               (unsigned long long)w->records, (unsigned long long)w->accepted,
               (unsigned long long)w->rejected, w->k, w->dim);
        printf("%-28s %10s %10s %10s\n", "variant", "kept", "pruned", "rejected");
        for (size_t i = 0; i < w->n_variants; i++) {
            const sciprune_variant_state *v = &w->variants[i];
            printf("%-28s %10llu %10llu %10llu%s%s\n", PRINTABLE(v->name), (unsigned long long)v->kept,
                   (unsigned long long)v->pruned, (unsigned long long)v->rejected,
                   v->auto_resolved[0] ? "   = " : "", PRINTABLE(v->auto_resolved));
        }
        printf("report: %s/report.md   outputs: %s/out/<variant>/ (kept/ shards, or ids, or mask/: prune.output)\n", workdir, workdir);
    }
    if (w->has_analysis)
        printf("analysis: recommends %s at p = %.2f (mean recall %.3f over the corruption types, "
               "random %.3f); %s/analyze/report.md\n",
               PRINTABLE(w->recommendation), w->rec_ratio, w->rec_mean_recall, w->rec_random_mean_recall,
               workdir);
    if (w->rec_advice[0]) printf("analysis, held-out: %s\n", PRINTABLE(w->rec_advice));
    if (w->auto_why[0]) printf("auto: %s\n", PRINTABLE(w->auto_why));
}

static int summary_of(const char *workdir, int stages, int html)
{
    sciprune_workdir_info *w = NULL;
    sciprune_error e;
    if (sciprune_workdir_status(workdir, &w, &e)) {
        cli_error("cannot read the workdir", &e);
        return CLI_FAIL;
    }
    if (stages) {
        printf("workdir: %s\ninputs: %zu shards\n", workdir, w->n_inputs);
        for (size_t i = 0; i < w->n_stages; i++) {
            const sciprune_stage_state *s = &w->stages[i];
            if (s->done)
                printf("  %-7s done     %8.1f s  peak %6.0f MB\n", s->name, s->seconds,
                       (double)s->peak_rss / 1e6);
            else
                printf("  %-7s %s\n", s->name, s->optional ? "-" : "pending");
        }
    }
    if (html < 0) { /* inspect: the page when there is one */
        char p[4200];
        snprintf(p, sizeof p, "%s/report.html", workdir);
        html = access(p, R_OK) == 0;
    }
    print_summary(w, workdir, html);
    sciprune_workdir_info_free(w);
    return CLI_OK;
}

int cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, 0, 'c'}, {"workdir", required_argument, 0, 'w'},
        {"threads", required_argument, 0, 't'}, {"force", no_argument, 0, 'f'},
        {"progress-every", required_argument, 0, 'p'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    double every = 30;
    sciprune_run_options o;
    sciprune_run_options_default(&o);
    const char *config = NULL;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "hc:w:t:f", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'w': o.workdir = optarg; break;
        case 't': o.threads = atoi(optarg); break;
        case 'f': o.force = 1; break;
        case 'p': {
            char *end;
            every_given = 1;
            every = strtod(optarg, &end);
            if (*end || every < 0) return cli_usage_error("run", "--progress-every takes seconds >= 0");
            break;
        }
        case 'h': help(); return CLI_OK;
        default: return cli_usage_error("run", "bad option");
        }
    }
    if (!config) return cli_usage_error("run", "--config is required");
    sciprune_ranks ranks;
    int mpi = cli_ranks_start(&ranks, NULL, NULL);
    if (mpi < 0) return CLI_FAIL;
    /* a rank's line leaves in one write (prefix and message), so that the launcher's
     * forwarding cannot interleave another rank's line inside it */
    if (ranks.size > 1) setvbuf(stderr, NULL, _IOLBF, 0);
    cli_progress prog;
    cli_progress_start(&prog, "run", 0);
    cli_progress_log(&prog, every, ranks.rank, ranks.size);
    char wd[4096] = "";
    o.on_stage = on_stage;
    o.on_part = on_part;
    o.progress_interval_out = &cfg_every;
    o.progress = on_progress;
    o.user = &prog;
    o.workdir_out = wd;
    o.workdir_out_cap = sizeof wd;
    if (mpi > 0) o.ranks = &ranks;
    sciprune_error e;
    sciprune_status st = sciprune_run(config, &o, &e);
    cli_progress_end(&prog);
    int rc = CLI_OK;
    if (st != SCIPRUNE_OK && ranks.size > 1) fprintf(stderr, "[rank %d/%d] ", ranks.rank, ranks.size);
    if (st == SCIPRUNE_EBUSY) { /* another writer holds the workdir: a distinct exit status */
        fprintf(stderr, "sciprune run: %s\n", e.text);
        rc = CLI_BUSY;
    } else if (st != SCIPRUNE_OK) {
        cli_error("run failed", &e);
        rc = CLI_FAIL;
    } else if (ranks.rank == 0) {
        const char *no = getenv("SCIPRUNE_NO_HTML");
        int html = 0;
        if (!no || !*no || !strcmp(no, "0")) {
            int hr = cli_report_html(wd, NULL, NULL, NULL, 1);
            html = hr == 0;
            if (hr > 0) fprintf(stderr, "sciprune: warning: report.html not written (sciprune report --workdir %s says why)\n", wd);
        }
        rc = summary_of(wd, 0, html);
    }
    cli_ranks_stop(mpi);
    return rc;
}

int cmd_inspect(int argc, char **argv)
{
    if (argc != 2 || !strcmp(argv[1], "--help")) {
        if (argc == 2) {
            printf("usage: sciprune inspect WORKDIR\n\nPrint the stage states of a workdir "
                   "(manifest.json) and its report summary.\n");
            return CLI_OK;
        }
        return cli_usage_error("inspect", "give one WORKDIR");
    }
    return summary_of(argv[1], 1, -1);
}
