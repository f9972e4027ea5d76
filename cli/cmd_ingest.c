/* cmd_ingest.c - `sciprune ingest DIR... --out SHARD_DIR`. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
    printf("usage: sciprune ingest DIR... --out SHARD_DIR [options]\n\n"
           "Turn source trees into Stack-like JSONL.zst shards, one JSON object per file:\n"
           "  {\"id\", \"content\", \"lang\", \"path\", \"size\"}\n"
           "Files are visited in sorted order, so the same trees give the same shards.\n\n"
           "options:\n"
           "  --out DIR              where to write <prefix>-NNNNN.jsonl.zst (required)\n"
           "  --docs-per-shard N     files per shard (default 10000)\n"
           "  --max-file-bytes SIZE  skip larger files (default 1M)\n"
           "  --all-files            keep files whose extension names no language (lang \"unknown\")\n"
           "  --prefix NAME          shard name prefix (default \"shard\")\n"
           "  --level N              zstd level (default 3)\n");
}

int cmd_ingest(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, 0, 'o'},         {"docs-per-shard", required_argument, 0, 'n'},
        {"max-file-bytes", required_argument, 0, 'm'}, {"all-files", no_argument, 0, 'a'},
        {"prefix", required_argument, 0, 'p'},      {"level", required_argument, 0, 'l'},
        {"help", no_argument, 0, 'h'},              {0, 0, 0, 0}};
    sciprune_ingest_options o;
    sciprune_ingest_options_default(&o);
    const char *out = NULL;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'n': {
            char *e;
            long long v = strtoll(optarg, &e, 10);
            if (*e || v <= 0) return cli_usage_error("ingest", "--docs-per-shard wants a positive number");
            o.docs_per_shard = (size_t)v;
            break;
        }
        case 'm':
            if (cli_parse_size(optarg, &o.max_file_bytes))
                return cli_usage_error("ingest", "bad size '%s'", optarg);
            break;
        case 'a': o.known_langs_only = 0; break;
        case 'p': o.prefix = optarg; break;
        case 'l': o.zstd_level = atoi(optarg); break;
        case 'h': help(); return CLI_OK;
        default: return cli_usage_error("ingest", "bad option");
        }
    }
    if (!out) return cli_usage_error("ingest", "--out is required");
    if (optind >= argc) return cli_usage_error("ingest", "give at least one source folder");
    sciprune_ingest_stats s;
    sciprune_error e;
    if (sciprune_ingest((const char *const *)argv + optind, (size_t)(argc - optind), out, &o, &s,
                        &e) != SCIPRUNE_OK) {
        cli_error("ingest failed", &e);
        return CLI_FAIL;
    }
    fprintf(stderr,
            "ingest: %llu files written to %llu shards in %s (%.1f MB); skipped: %llu binary, "
            "%llu too large, %llu unknown language, %llu unreadable; %llu files seen\n",
            (unsigned long long)s.files_written, (unsigned long long)s.shards, out,
            (double)s.bytes_written / 1e6, (unsigned long long)s.skipped_binary,
            (unsigned long long)s.skipped_large, (unsigned long long)s.skipped_unknown_lang,
            (unsigned long long)s.skipped_unreadable, (unsigned long long)s.files_seen);
    return CLI_OK;
}
