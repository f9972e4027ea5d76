/* cmd_eval.c - `sciprune eval add`: join evaluation results (pass@1) back to a variant. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(void)
{
    printf("usage: sciprune eval add --workdir W --variant V RESULTS.json\n\n"
           "Keep the evaluation results of the model trained on variant V in W/eval/V/ and\n"
           "rewrite W/report.md and W/report.json with pass@1 per benchmark per variant\n"
           "(bootstrap 95 %% intervals when per-problem results exist) beside each variant's\n"
           "corruption recall, and a verdict per benchmark. RESULTS.json is one of:\n"
           "  {\"benchmark\": \"humaneval\", \"pass@1\": 0.31, \"per_problem\": [1, 0, ...]}\n"
           "    (per_problem optional: numbers 0..1, true/false, or {\"task_id\", \"passed\"})\n"
           "  bigcode-evaluation-harness metrics: {\"<task>\": {\"pass@1\": x}, \"config\": {...}}\n"
           "  lm-evaluation-harness results: {\"results\": {\"<task>\": {\"pass@1,<filter>\": x}}}\n"
           "Adding a benchmark again for the same variant replaces it. Then:\n"
           "  python3 scripts/plot_report.py W/analyze   (eval.png beside recall.png)\n");
}

int cmd_eval(int argc, char **argv)
{
    static const struct option longopts[] = {{"workdir", required_argument, 0, 'w'},
                                             {"variant", required_argument, 0, 'V'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage();
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (strcmp(argv[1], "add")) return cli_usage_error("eval", "unknown action %s (want: add)", argv[1]);
    const char *wd = NULL, *variant = NULL;
    optind = 0;
    int c;
    argc--;
    argv++;
    while ((c = getopt_long(argc, argv, "hw:", longopts, NULL)) != -1) {
        switch (c) {
        case 'w': wd = optarg; break;
        case 'V': variant = optarg; break;
        case 'h': usage(); return CLI_OK;
        default: return cli_usage_error("eval", "unknown option");
        }
    }
    if (!wd || !variant || optind != argc - 1)
        return cli_usage_error("eval", "want: eval add --workdir W --variant V RESULTS.json");
    int lk = cli_lock_workdir(wd, "eval");
    if (lk != CLI_OK) return lk;
    sciprune_error e;
    size_t n = 0;
    if (sciprune_eval_add(wd, variant, argv[optind], &n, &e)) {
        cli_error("eval add failed", &e);
        return CLI_FAIL;
    }
    if (sciprune_report_write(wd, &e)) {
        cli_error("cannot rewrite the report", &e);
        return CLI_FAIL;
    }
    printf("eval: %zu benchmark%s of %s kept in %s/eval/%s/; report: %s/report.md\n", n,
           n == 1 ? "" : "s", variant, wd, variant, wd);
    return CLI_OK;
}
