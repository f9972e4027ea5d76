/* cmd_check.c - `sciprune check --in SHARDS... --out DIR`: read every line of every shard,
 * account for it (accepted or rejected with a reason) and write DIR/rejected/<shard>.jsonl and
 * DIR/check.json. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
    printf("usage: sciprune check --in SHARD... --out DIR [options]\n\n"
           "Read shards (.jsonl or .jsonl.zst), validate every line and account for it.\n"
           "Bad lines go verbatim to DIR/rejected/<shard>.jsonl with reason and line;\n"
           "counts per shard go to DIR/check.json.\n\n"
           "options:\n"
           "  --in SHARD...        input shards (also as trailing arguments)\n"
           "  --out DIR            output folder (required)\n"
           "  --on-error skip|fail skip bad lines (default) or stop at the first one\n"
           "  --text-field NAME    text field (default content)\n"
           "  --id-field NAME      id field (default id)\n"
           "  --default-lang NAME  language when a record does not tell (default unknown)\n"
           "  --max-line SIZE      longest accepted line (default 16M)\n");
}

static void on_progress(void *user, uint64_t records, uint64_t bytes)
{
    cli_progress_update(user, records, bytes);
}

int cmd_check(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"in", required_argument, 0, 'i'},        {"out", required_argument, 0, 'o'},
        {"on-error", required_argument, 0, 'e'},  {"text-field", required_argument, 0, 't'},
        {"id-field", required_argument, 0, 'd'},  {"default-lang", required_argument, 0, 'L'},
        {"max-line", required_argument, 0, 'm'},  {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    sciprune_shard_options so;
    sciprune_shard_options_default(&so);
    const char *out = NULL;
    int fail_fast = 0;
    char **ins = calloc((size_t)argc + 1, sizeof *ins);
    int nin = 0;
    if (!ins) return CLI_FAIL;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "hi:o:", longopts, NULL)) != -1) {
        switch (c) {
        case 'i': ins[nin++] = optarg; break;
        case 'o': out = optarg; break;
        case 'e':
            fail_fast = cli_parse_on_error(optarg);
            if (fail_fast < 0) { free(ins); return cli_usage_error("check", "--on-error wants skip or fail"); }
            break;
        case 't': so.text_field = optarg; break;
        case 'd': so.id_field = optarg; break;
        case 'L': so.default_lang = optarg; break;
        case 'm':
            if (cli_parse_size(optarg, &so.max_line_bytes)) { free(ins); return cli_usage_error("check", "bad size '%s'", optarg); }
            break;
        case 'h': help(); free(ins); return CLI_OK;
        default: free(ins); return cli_usage_error("check", "bad option");
        }
    }
    for (int i = optind; i < argc; i++) ins[nin++] = argv[i];
    if (!out || nin == 0) {
        free(ins);
        return cli_usage_error("check", "--out and at least one input shard are required");
    }
    {
        int lrc = cli_lock_workdir(out, "check");
        if (lrc) {
            free(ins);
            return lrc;
        }
    }
    sciprune_check_options o;
    sciprune_check_options_default(&o);
    o.shard = so;
    o.fail_fast = fail_fast;
    cli_progress prog;
    cli_progress_start(&prog, "check", cli_total_size(ins, nin));
    o.progress = on_progress;
    o.progress_user = &prog;
    sciprune_check_info info;
    sciprune_error e;
    sciprune_status st = sciprune_check_run((const char *const *)ins, (size_t)nin, out, &o, &info, &e);
    cli_progress_end(&prog);
    if (st) {
        cli_error(st == SCIPRUNE_EPARSE ? "bad line (--on-error fail)" : "check failed", &e);
        free(ins);
        return CLI_FAIL;
    }
    if (info.n_empty) fprintf(stderr, "sciprune: warning: %zu empty shard(s)\n", info.n_empty);
    fprintf(stderr, "check: %d shards, %llu lines: %llu accepted, %llu rejected", nin,
            (unsigned long long)info.lines, (unsigned long long)info.accepted,
            (unsigned long long)info.rejected);
    for (int k = 1; k < SCIPRUNE_REJECT_REASONS; k++)
        if (info.reasons[k])
            fprintf(stderr, " %s=%llu", sciprune_reject_name((sciprune_reject)k),
                    (unsigned long long)info.reasons[k]);
    fprintf(stderr, "; summary in %s/check.json\n", out);
    free(ins);
    return CLI_OK;
}
