/* cmd_score.c - `sciprune score --workdir W`: rank records by every metric, plan the variants. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
    printf("usage: sciprune score --workdir W [options] [--in SHARD...]\n\n"
           "Rank every accepted record by each metric (one pass for the whole sweep) and decide\n"
           "what each variant prunes, with exact global thresholds. Writes W/score/plan.json and\n"
           "W/score/<shard>.prune.npy. Variants: every metric x ratio (x alpha for combined),\n"
           "named like combined-p0.20-a0.80.\n\n"
           "options:\n"
           "  --workdir W          work folder (required)\n"
           "  --in SHARD...        input shards (needed for length; random then hashes record ids)\n"
           "  --metrics LIST       size,distance,distance-pc,combined,combined-pc,random,length,\n"
           "                       gate+distance (needs `sciprune gates` first),\n"
           "                       naturalness, learned (needs `sciprune analyze`), sites (embed\n"
           "                       features with sites), gate+naturalness, gate+learned, gate+sites\n"
           "                       (default combined)\n"
           "  --within-cluster     rank distance within each cluster (distance -> distance-pc,\n"
           "                       combined -> combined-pc)\n"
           "  --ratios LIST        shares of the budget unit to prune (default 0.2)\n"
           "  --budget UNIT        what a ratio is a share of: records (default), bytes (the\n"
           "                       JSONL lines) or tokens (approximate: words and punctuation of\n"
           "                       the text); bytes and tokens read the shards and prune that\n"
           "                       share to within half of one file\n"
           "  --per-lang MODE      global (default: one plan over every language) or proportional\n"
           "                       (each language loses p of its own records; reads the shards)\n"
           "  --alphas LIST        combined: share of the budget pruned by cluster size (default 0.8)\n"
           "  --seed S             random baseline seed (default 1234)\n");
    cli_shard_opts_help(0);
}

int cmd_score(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"workdir", required_argument, 0, 'w'},  {"in", required_argument, 0, 'i'},
        {"metrics", required_argument, 0, 'm'},  {"ratios", required_argument, 0, 'r'},
        {"alphas", required_argument, 0, 'a'},   {"seed", required_argument, 0, 's'},
        {"within-cluster", no_argument, 0, 'W'}, {"help", no_argument, 0, 'h'},
        {"budget", required_argument, 0, 'B'},   {"per-lang", required_argument, 0, 'P'},
        CLI_SHARD_LONGOPTS,
        {0, 0, 0, 0}};
    sciprune_score_settings s;
    sciprune_score_settings_default(&s);
    const char *workdir = NULL, *metrics = NULL, *ratios = NULL, *alphas = NULL;
    char **ins = calloc((size_t)argc + 1, sizeof *ins);
    int nin = 0, within = 0, c;
    sciprune_error e;
    if (!ins) return CLI_FAIL;
    optind = 0;
#define BAD(...) do { free(ins); return cli_usage_error("score", __VA_ARGS__); } while (0)
    while ((c = getopt_long(argc, argv, "hw:i:", longopts, NULL)) != -1) {
        int so = cli_shard_opt("score", c, optarg, &s.shard, NULL, &s.threads);
        if (so < 0) {
            free(ins);
            return CLI_USAGE;
        }
        if (so) continue;
        switch (c) {
        case 'w': workdir = optarg; break;
        case 'i': ins[nin++] = optarg; break;
        case 'm': metrics = optarg; break;
        case 'r': ratios = optarg; break;
        case 'a': alphas = optarg; break;
        case 'W': within = 1; break;
        case 'B': if (sciprune_budget_unit_parse(optarg, &s.budget, &e)) BAD("%s", e.text); break;
        case 'P': if (sciprune_per_lang_parse(optarg, &s.per_lang, &e)) BAD("%s", e.text); break;
        case 's': {
            char *end;
            s.seed = strtoull(optarg, &end, 10);
            if (end == optarg || *end) BAD("bad --seed '%s'", optarg);
            break;
        }
        case 'h': help(); free(ins); return CLI_OK;
        default: BAD("bad option");
        }
    }
    for (int i = optind; i < argc; i++) ins[nin++] = argv[i];
    if (!workdir) BAD("--workdir is required");
    if (sciprune_score_settings_parse(&s, metrics, ratios, alphas, &e)) BAD("%s", e.text);
    if (within)
        for (size_t i = 0; i < s.n_metrics; i++) {
            sciprune_score_metric m = s.metrics[i];
            if (m == SCIPRUNE_METRIC_DISTANCE) m = SCIPRUNE_METRIC_DISTANCE_PC;
            if (m == SCIPRUNE_METRIC_COMBINED) m = SCIPRUNE_METRIC_COMBINED_PC;
            for (size_t j = 0; j < s.n_metrics; j++)
                if (j != i && s.metrics[j] == m) BAD("--within-cluster makes metric %s twice", sciprune_score_metric_name(m));
            s.metrics[i] = m;
        }
#undef BAD
    sciprune_shard_set *sh = NULL;
    int rc = cli_stage_start(&sh, workdir, "score", 0, ins, nin);
    if (rc) return rc;
    sciprune_score_info info;
    if (sciprune_score_sweep(workdir, sh, &s, &info, &e)) {
        cli_error("scoring failed", &e);
        sciprune_shard_set_free(sh);
        return CLI_FAIL;
    }
    fprintf(stderr, "score: %zu variants over %llu accepted of %llu records, %.2fs; plan in %s/score/plan.json\n",
            info.n_variants, (unsigned long long)info.n_accepted, (unsigned long long)info.n_records,
            info.seconds, workdir);
    sciprune_shard_set_free(sh);
    return CLI_OK;
}
