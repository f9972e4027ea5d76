/* cmd_analyze.c - `sciprune analyze --workdir W --corrupted DIR`: where each corruption lands,
 * how each metric, quality gate and gate plan would catch it, and which to use. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
    printf("usage: sciprune analyze --workdir W --corrupted DIR|SHARD... [options]\n\n"
           "Embed the corrupted variants (from `sciprune corrupt`) with W's embedder, assign them\n"
           "to W's clean clusters and measure, per corruption type and language, how they move\n"
           "against their originals (cluster size and distance percentiles) and how each metric\n"
           "would catch them if mixed into the corpus: recall at each ratio for size, distance,\n"
           "combined at every alpha, random and length, and AUROC. Also evaluates the quality\n"
           "gates (parse_error, undefined_name: share of each type flagged, clean files flagged\n"
           "per language and how many of them look generated) and the gate plans gate+<metric>\n"
           "(flagged files first, then the metric). Clean gate values come from W/gates (the\n"
           "gates stage) when present, else analyze computes them. Recommends the metric or plan\n"
           "and alpha with the best weighted mean recall over the types. Needs embed and index\n"
           "done in W. Writes W/analyze/report.json, report.md and the raw per-record arrays;\n"
           "render plots with scripts/plot_report.py W.\n\n"
           "Recall: the type's variants are added to the clean corpus, the union is ranked exactly\n"
           "(clean cluster sizes; ties by position) and p of the union is pruned.\n\n"
           "options:\n"
           "  --workdir W          work folder (required)\n"
           "  --corrupted PATH     a corrupt output folder (its corrupt-*.jsonl.zst) or a shard;\n"
           "                       repeatable, also as trailing arguments\n"
           "  --ratios LIST        prune ratios (default 0.05,0.1,0.2,0.3,0.4,0.5)\n"
           "  --alphas LIST        combined alphas (default 0,0.2,0.4,0.6,0.8,1)\n"
           "  --ratio P            ratio of the recommendation (default 0.2)\n"
           "  --weights LIST       type/kind weights of the mean, e.g. syntax=1,content=0.5,\n"
           "                       undefined-name=2,default=1 (default: all 1)\n"
           "  --seed S             random baseline seed (default 1234, as score)\n"
           "  --gate-budget-share F  a gate is on for a language while it flags at most\n"
           "                       F x ratio of its clean files; above, undefined_name is off,\n"
           "                       parse_error capped to its most severe flags up to that\n"
           "                       share while it flags at most ratio, else off (default 0.5;\n"
           "                       0: no judging)\n"
           "  --no-held-out-auto   metric auto keeps to the pick even when the held-out test\n"
           "                       says a learned plan beats it (default: auto takes that plan;\n"
           "                       report.json recommendation.held_out_advice, .auto)\n"
           "  --threads N          embedding and gate threads (default: the CPUs this process may use)\n"
           "  --text-field NAME    text field of the clean shards (default content)\n"
           "  --id-field NAME      id field of the clean shards (default id)\n"
           "  --verbose            print library information\n");
}

int cmd_analyze(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"workdir", required_argument, 0, 'w'}, {"corrupted", required_argument, 0, 'c'},
        {"ratios", required_argument, 0, 'r'},  {"alphas", required_argument, 0, 'a'},
        {"ratio", required_argument, 0, 'p'},   {"weights", required_argument, 0, 'W'},
        {"seed", required_argument, 0, 's'},    {"threads", required_argument, 0, 't'},
        {"text-field", required_argument, 0, 'T'}, {"id-field", required_argument, 0, 'D'},
        {"verbose", no_argument, 0, 'v'},       {"help", no_argument, 0, 'h'},
        {"gate-budget-share", required_argument, 0, 'G'},
        {"no-held-out-auto", no_argument, 0, 'N'}, {0, 0, 0, 0}};
    sciprune_analyze_settings s;
    sciprune_analyze_settings_default(&s);
    const char *workdir = NULL, *ratios = NULL, *alphas = NULL;
    char **ins = calloc((size_t)argc + 1, sizeof *ins);
    int nin = 0, verbose = 0, c;
    long v;
    sciprune_error e;
    if (!ins) return CLI_FAIL;
    optind = 0;
#define BAD(...) do { free(ins); return cli_usage_error("analyze", __VA_ARGS__); } while (0)
    while ((c = getopt_long(argc, argv, "hw:c:", longopts, NULL)) != -1) {
        switch (c) {
        case 'w': workdir = optarg; break;
        case 'c': ins[nin++] = optarg; break;
        case 'r': ratios = optarg; break;
        case 'a': alphas = optarg; break;
        case 'p': {
            char *end;
            s.ratio = strtod(optarg, &end);
            if (end == optarg || *end || !(s.ratio >= 0 && s.ratio <= 1)) BAD("bad --ratio '%s'", optarg);
            break;
        }
        case 'W': s.weights = optarg; break;
        case 'N': s.held_out_auto = 0; break;
        case 'G': {
            char *end;
            s.gate_budget_share = strtod(optarg, &end);
            if (end == optarg || *end || !(s.gate_budget_share >= 0 && s.gate_budget_share <= 1))
                BAD("bad --gate-budget-share '%s'", optarg);
            break;
        }
        case 's': {
            char *end;
            s.seed = strtoull(optarg, &end, 10);
            if (end == optarg || *end) BAD("bad --seed '%s'", optarg);
            break;
        }
        case 't': if (cli_parse_int(optarg, 0, 4096, &v)) BAD("bad --threads '%s'", optarg); s.threads = (int)v; break;
        case 'T': s.shard.text_field = optarg; break;
        case 'D': s.shard.id_field = optarg; break;
        case 'v': verbose = 1; break;
        case 'h': help(); free(ins); return CLI_OK;
        default: BAD("bad option");
        }
    }
    for (int i = optind; i < argc; i++) ins[nin++] = argv[i];
    if (!workdir) BAD("--workdir is required");
    if (!nin) BAD("--corrupted is required");
    if (sciprune_analyze_settings_parse(&s, ratios, alphas, &e)) BAD("%s", e.text);
#undef BAD
    {
        int lrc = cli_lock_workdir(workdir, "analyze");
        if (lrc) {
            free(ins);
            return lrc;
        }
    }
    cli_logger_install(verbose);
    sciprune_analyze_info info;
    sciprune_status st = sciprune_analyze(workdir, (const char *const *)ins, (size_t)nin, &s, &info, &e);
    free(ins);
    if (st) {
        cli_error("analyze failed", &e);
        return CLI_FAIL;
    }
    printf("analyze: %llu variants of %zu types (%llu with their original) against %llu clean "
           "records; recommended at p=%.2f: %s, mean recall %.1f%% (random %.1f%%); gates flag "
           "%.1f%% of clean files; %.2fs; report in %s/analyze/report.md\n",
           (unsigned long long)info.n_variants, info.n_types, (unsigned long long)info.n_orig_found,
           (unsigned long long)info.n_clean, s.ratio, info.best, 100 * info.best_recall,
           100 * info.random_recall, 100 * info.gates_clean_share, info.seconds, workdir);
    return CLI_OK;
}
