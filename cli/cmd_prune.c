/* cmd_prune.c - `sciprune prune --workdir W --in SHARD...`: write each variant's shards (or ids,
 * or masks) and the report; `sciprune materialize --workdir W --variant V --out DIR`: one
 * variant's shards later. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
    printf("usage: sciprune prune --workdir W [options] [--in SHARD...]\n\n"
           "Stream every input shard once and write, for every variant of W/score/plan.json,\n"
           "W/out/<variant>/kept/<shard> (and removed/ with --write-removed), same name and format\n"
           "as the input, lines byte-identical. Rejected lines go to W/out/rejected/<shard>.jsonl.\n"
           "Then writes W/out/prune.json, W/report.json and W/report.md.\n"
           "Shards: --in paths, else the paths in W/embed/shards.json.\n\n"
           "options:\n"
           "  --workdir W          work folder (required)\n"
           "  --in SHARD...        input shards (also as trailing arguments)\n"
           "  --write-removed      also write what each variant prunes\n"
           "  --output FORMAT      shards (default: full copies), ids (W/out/<variant>/kept/\n"
           "                       <shard>.ids, one kept id a line as a JSON string) or mask\n"
           "                       (W/out/<variant>/mask/<shard>.kept.npy, bit-packed kept\n"
           "                       flags per line);\n"
           "                       `sciprune materialize` writes one variant's shards later\n");
    cli_shard_opts_help(1);
}

int cmd_prune(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"workdir", required_argument, 0, 'w'},    {"in", required_argument, 0, 'i'},
        {"write-removed", no_argument, 0, 'R'},    {"help", no_argument, 0, 'h'},
        {"output", required_argument, 0, 'O'},     CLI_SHARD_LONGOPTS,
        CLI_WRITER_LONGOPTS,                       {0, 0, 0, 0}};
    sciprune_prune_settings s;
    sciprune_prune_settings_default(&s);
    const char *workdir = NULL;
    char **ins = calloc((size_t)argc + 1, sizeof *ins);
    int nin = 0, c;
    sciprune_error e;
    if (!ins) return CLI_FAIL;
    optind = 0;
#define BAD(...) do { free(ins); return cli_usage_error("prune", __VA_ARGS__); } while (0)
    while ((c = getopt_long(argc, argv, "hw:i:", longopts, NULL)) != -1) {
        int so = cli_shard_opt("prune", c, optarg, &s.shard, &s.writer, &s.threads);
        if (so < 0) {
            free(ins);
            return CLI_USAGE;
        }
        if (so) continue;
        switch (c) {
        case 'w': workdir = optarg; break;
        case 'i': ins[nin++] = optarg; break;
        case 'R': s.write_removed = 1; break;
        case 'O': if (sciprune_prune_output_parse(optarg, &s.output, &e)) BAD("%s", e.text); break;
        case 'h': help(); free(ins); return CLI_OK;
        default: BAD("bad option");
        }
    }
    for (int i = optind; i < argc; i++) ins[nin++] = argv[i];
    if (!workdir) BAD("--workdir is required");
#undef BAD
    sciprune_shard_set *sh = NULL;
    int rc = cli_stage_start(&sh, workdir, "prune", 0, ins, nin);
    if (rc) return rc;
    sciprune_prune_info info;
    if (sciprune_prune_write(workdir, sh, &s, &info, &e)) {
        cli_error("pruning failed", &e);
        sciprune_shard_set_free(sh);
        return CLI_FAIL;
    }
    sciprune_shard_set_free(sh);
    if (sciprune_report_write(workdir, &e)) {
        cli_error("cannot write the report", &e);
        return CLI_FAIL;
    }
    fprintf(stderr, "prune: %zu variants, %llu lines: %llu accepted, %llu rejected, %.2fs; "
            "report in %s/report.md\n", info.n_variants, (unsigned long long)info.n_lines,
            (unsigned long long)info.n_accepted, (unsigned long long)info.n_rejected, info.seconds,
            workdir);
    return CLI_OK;
}

static void help_materialize(void)
{
    printf("usage: sciprune materialize --workdir W --variant V --out DIR [options] [--in SHARD...]\n\n"
           "Write the shards of one variant: DIR/kept/<shard> (and DIR/removed/<shard> with\n"
           "--write-removed), byte-identical to what `sciprune prune --output shards` writes\n"
           "under W/out/V/. For a workdir pruned with --output ids or mask: the copies of what\n"
           "that prune decided (W/out/V's ids or masks, checked against the shards), when you\n"
           "need them; otherwise W/score's decisions. Nothing in W changes.\n"
           "Shards: --in paths, else the paths in W/embed/shards.json.\n\n"
           "options:\n"
           "  --workdir W          work folder (required)\n"
           "  --variant V          variant name, as in W/score/plan.json (required)\n"
           "  --out DIR            output folder (required)\n"
           "  --in SHARD...        input shards (also as trailing arguments)\n"
           "  --write-removed      also write what the variant prunes\n"
           "(--zstd-level: the prune's level gives the prune's bytes)\n");
    cli_shard_opts_help(1);
}

int cmd_materialize(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"workdir", required_argument, 0, 'w'},    {"in", required_argument, 0, 'i'},
        {"variant", required_argument, 0, 'V'},    {"out", required_argument, 0, 'o'},
        {"write-removed", no_argument, 0, 'R'},    {"help", no_argument, 0, 'h'},
        CLI_SHARD_LONGOPTS,                        CLI_WRITER_LONGOPTS,
        {0, 0, 0, 0}};
    sciprune_prune_settings s;
    sciprune_prune_settings_default(&s);
    const char *workdir = NULL, *variant = NULL, *out = NULL;
    char **ins = calloc((size_t)argc + 1, sizeof *ins);
    int nin = 0, c;
    sciprune_error e;
    if (!ins) return CLI_FAIL;
    optind = 0;
#define BAD(...) do { free(ins); return cli_usage_error("materialize", __VA_ARGS__); } while (0)
    while ((c = getopt_long(argc, argv, "hw:i:o:", longopts, NULL)) != -1) {
        int so = cli_shard_opt("materialize", c, optarg, &s.shard, &s.writer, &s.threads);
        if (so < 0) {
            free(ins);
            return CLI_USAGE;
        }
        if (so) continue;
        switch (c) {
        case 'w': workdir = optarg; break;
        case 'i': ins[nin++] = optarg; break;
        case 'V': variant = optarg; break;
        case 'o': out = optarg; break;
        case 'R': s.write_removed = 1; break;
        case 'h': help_materialize(); free(ins); return CLI_OK;
        default: BAD("bad option");
        }
    }
    for (int i = optind; i < argc; i++) ins[nin++] = argv[i];
    if (!workdir) BAD("--workdir is required");
    if (!variant) BAD("--variant is required");
    if (!out) BAD("--out is required");
#undef BAD
    sciprune_shard_set *sh = NULL;
    int rc = cli_stage_start(&sh, workdir, "materialize", 0, ins, nin);
    if (rc) return rc;
    if (sciprune_prune_materialize(workdir, sh, variant, out, &s, &e)) {
        cli_error("materialize failed", &e);
        sciprune_shard_set_free(sh);
        return CLI_FAIL;
    }
    fprintf(stderr, "materialize: %s: %zu shards in %s/kept\n", variant, sh->n, out);
    sciprune_shard_set_free(sh);
    return CLI_OK;
}
