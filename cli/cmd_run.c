/* cmd_run.c - `sciprune run --config job.json` and `sciprune inspect WORKDIR`. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
    printf("usage: sciprune run --config JOB.json [--workdir W] [--threads N] [--force]\n\n"
           "Run every stage (embed + gates, index, corrupt, analyze, score, prune + report) from\n"
           "one JSON config; score metric auto takes this job's analysis' recommendation.\n"
           "Resumable: stages whose outputs are current are skipped (workdir/manifest.json);\n"
           "a killed run picks up where it stopped. A workdir made from other inputs or another\n"
           "config is refused unless --force, which recomputes only what changed.\n"
           "One writer per workdir: while a command writes into W (W/.lock), another exits 3.\n"
           "Example config with every key: data/configs/default.json.\n");
}

static void on_stage(void *user, const char *stage, const char *state)
{
    cli_progress *p = user;
    cli_progress_end(p);
    fprintf(stderr, "run: %-6s %s\n", stage, state);
    if (!strcmp(state, "running")) cli_progress_start(p, stage, 0);
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
static void print_summary(const sciprune_workdir_info *w, const char *workdir)
{
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
        printf("report: %s/report.md   pruned shards: %s/out/<variant>/kept/\n", workdir, workdir);
    }
    if (w->has_analysis)
        printf("analysis: recommends %s at p = %.2f (mean recall %.3f over the corruption types, "
               "random %.3f); %s/analyze/report.md\n",
               PRINTABLE(w->recommendation), w->rec_ratio, w->rec_mean_recall, w->rec_random_mean_recall,
               workdir);
    if (w->auto_why[0]) printf("auto: %s\n", PRINTABLE(w->auto_why));
}

static int summary_of(const char *workdir, int stages)
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
    print_summary(w, workdir);
    sciprune_workdir_info_free(w);
    return CLI_OK;
}

int cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, 0, 'c'}, {"workdir", required_argument, 0, 'w'},
        {"threads", required_argument, 0, 't'}, {"force", no_argument, 0, 'f'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
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
        case 'h': help(); return CLI_OK;
        default: return cli_usage_error("run", "bad option");
        }
    }
    if (!config) return cli_usage_error("run", "--config is required");
    cli_progress prog;
    cli_progress_start(&prog, "run", 0);
    char wd[4096] = "";
    o.on_stage = on_stage;
    o.progress = on_progress;
    o.user = &prog;
    o.workdir_out = wd;
    o.workdir_out_cap = sizeof wd;
    sciprune_error e;
    sciprune_status st = sciprune_run(config, &o, &e);
    if (st == SCIPRUNE_EBUSY) { /* another writer holds the workdir: a distinct exit status */
        cli_progress_end(&prog);
        fprintf(stderr, "sciprune run: %s\n", e.text);
        return CLI_BUSY;
    }
    if (st != SCIPRUNE_OK) {
        cli_progress_end(&prog);
        cli_error("run failed", &e);
        return CLI_FAIL;
    }
    cli_progress_end(&prog);
    return summary_of(wd, 0);
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
    return summary_of(argv[1], 1);
}
