/* cmd_run.c - `sciprune run --config job.json` and `sciprune inspect WORKDIR`. */
#include "cli.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
    printf("usage: sciprune run --config JOB.json [--workdir W] [--threads N] [--force]\n\n"
           "Run every stage (embed, index, score, prune + report) from one JSON config.\n"
           "Resumable: stages whose outputs are current are skipped (workdir/manifest.json);\n"
           "a killed run picks up where it stopped. A workdir made from other inputs or another\n"
           "config is refused unless --force, which recomputes only what changed.\n"
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

static void print_summary(const char *workdir)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/report.json", workdir);
    json_t *r = json_load_file(p, 0, NULL);
    if (!r) return;
    json_t *c = json_object_get(r, "corpus");
    printf("corpus: %lld records, %lld accepted, %lld rejected; k=%lld, d=%lld\n",
           json_integer_value(json_object_get(c, "records")), json_integer_value(json_object_get(c, "accepted")),
           json_integer_value(json_object_get(c, "rejected")), json_integer_value(json_object_get(c, "k")),
           json_integer_value(json_object_get(c, "d")));
    printf("%-28s %10s %10s %10s\n", "variant", "kept", "pruned", "rejected");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(r, "variants"), i, v)
        printf("%-28s %10lld %10lld %10lld\n", json_string_value(json_object_get(v, "name")),
               json_integer_value(json_object_get(v, "kept")), json_integer_value(json_object_get(v, "pruned")),
               json_integer_value(json_object_get(v, "rejected")));
    printf("report: %s/report.md   pruned shards: %s/out/<variant>/kept/\n", workdir, workdir);
    json_decref(r);
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
    if (sciprune_run(config, &o, &e) != SCIPRUNE_OK) {
        cli_progress_end(&prog);
        cli_error("run failed", &e);
        return CLI_FAIL;
    }
    cli_progress_end(&prog);
    print_summary(wd);
    return CLI_OK;
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
    char p[4200];
    snprintf(p, sizeof p, "%s/manifest.json", argv[1]);
    json_error_t je;
    json_t *m = json_load_file(p, 0, &je);
    if (!m) {
        fprintf(stderr, "sciprune: %s: %s\n", p, je.text);
        return CLI_FAIL;
    }
    printf("workdir: %s\ninputs: %zu shards\n", argv[1], json_array_size(json_object_get(m, "inputs")));
    static const char *const stages[] = {"embed", "gates", "index", "score", "prune", "corrupt", "analyze"};
    json_t *s = json_object_get(m, "stages");
    for (int i = 0; i < 7; i++) {
        json_t *x = json_object_get(s, stages[i]);
        if (x)
            printf("  %-7s done     %8.1f s  peak %6.0f MB\n", stages[i],
                   json_number_value(json_object_get(x, "seconds")),
                   (double)json_integer_value(json_object_get(x, "peak_rss")) / 1e6);
        else if (i < 1 || (i >= 2 && i <= 4))
            printf("  %-7s pending\n", stages[i]);
    }
    json_decref(m);
    print_summary(argv[1]);
    /* the analysis' recommendation, when there is one */
    snprintf(p, sizeof p, "%s/analyze/report.json", argv[1]);
    json_t *a = json_load_file(p, 0, &je);
    json_t *rec = a ? json_object_get(a, "recommendation") : NULL;
    if (rec)
        printf("analysis: recommends %s at p = %.2f (mean recall %.3f over the corruption types, "
               "random %.3f); %s/analyze/report.md\n",
               json_string_value(json_object_get(rec, "name")),
               json_number_value(json_object_get(rec, "ratio")),
               json_number_value(json_object_get(rec, "mean_recall")),
               json_number_value(json_object_get(rec, "random_mean_recall")), argv[1]);
    json_decref(a);
    return CLI_OK;
}
