/* cmd_prune.c - `sciprune prune --workdir W --in SHARD...`: write each variant's shards and the
 * report. */
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
           "  --threads N          threads over shards (default: the CPUs this process may use)\n"
           "  --zstd-level N       level for .zst outputs (default 3)\n"
           "  --no-fsync           do not fsync output files\n"
           "  --text-field NAME    text field (default content)\n"
           "  --id-field NAME      id field (default id)\n"
           "  --default-lang NAME  language when a record does not tell (default unknown)\n"
           "  --max-line SIZE      longest accepted line (default 16M)\n");
}

int cmd_prune(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"workdir", required_argument, 0, 'w'},    {"in", required_argument, 0, 'i'},
        {"write-removed", no_argument, 0, 'R'},    {"threads", required_argument, 0, 't'},
        {"zstd-level", required_argument, 0, 'z'}, {"no-fsync", no_argument, 0, 'F'},
        {"text-field", required_argument, 0, 'T'}, {"id-field", required_argument, 0, 'D'},
        {"default-lang", required_argument, 0, 'G'}, {"max-line", required_argument, 0, 'L'},
        {"help", no_argument, 0, 'h'},             {0, 0, 0, 0}};
    sciprune_prune_settings s;
    sciprune_prune_settings_default(&s);
    const char *workdir = NULL;
    char **ins = calloc((size_t)argc + 1, sizeof *ins);
    int nin = 0, c;
    long v;
    sciprune_error e;
    if (!ins) return CLI_FAIL;
    optind = 0;
#define BAD(...) do { free(ins); return cli_usage_error("prune", __VA_ARGS__); } while (0)
    while ((c = getopt_long(argc, argv, "hw:i:", longopts, NULL)) != -1) {
        switch (c) {
        case 'w': workdir = optarg; break;
        case 'i': ins[nin++] = optarg; break;
        case 'R': s.write_removed = 1; break;
        case 't': if (cli_parse_int(optarg, 0, 4096, &v)) BAD("bad --threads '%s'", optarg); s.threads = (int)v; break;
        case 'z': if (cli_parse_int(optarg, 1, 22, &v)) BAD("bad --zstd-level '%s'", optarg); s.writer.zstd_level = (int)v; break;
        case 'F': s.writer.fsync = 0; break;
        case 'T': s.shard.text_field = optarg; break;
        case 'D': s.shard.id_field = optarg; break;
        case 'G': s.shard.default_lang = optarg; break;
        case 'L': if (cli_parse_size(optarg, &s.shard.max_line_bytes)) BAD("bad size '%s'", optarg); break;
        case 'h': help(); free(ins); return CLI_OK;
        default: BAD("bad option");
        }
    }
    for (int i = optind; i < argc; i++) ins[nin++] = argv[i];
    if (!workdir) BAD("--workdir is required");
#undef BAD
    {
        int lrc = cli_lock_workdir(workdir, "prune");
        if (lrc) {
            free(ins);
            return lrc;
        }
    }
    cli_logger_install(0);
    sciprune_shard_set *sh = NULL;
    int rc = cli_shard_set(&sh, workdir, ins, nin);
    free(ins);
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
