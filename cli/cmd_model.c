/* cmd_model.c - `sciprune export` (a variant of a workdir as a pruning model) and
 * `sciprune judge` (a streaming filter: JSONL in, the lines the model keeps out). */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void export_help(void)
{
    printf("usage: sciprune export --workdir W --variant V --out DIR\n\n"
           "Write variant V of workdir W (a name of W/score/plan.json: \"gate+distance-p0.20\",\n"
           "\"auto-p0.20\", ...) as a self-contained pruning model folder DIR: embedder spec and\n"
           "idf, centroids, cluster sizes, the variant's thresholds, the gates' settings.\n"
           "`sciprune judge --model DIR` and the library (sciprune_model_open) apply it to new\n"
           "files; for every record of W it decides what prune decided.\n");
}

int cmd_export(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"workdir", required_argument, 0, 'w'}, {"variant", required_argument, 0, 'v'},
        {"out", required_argument, 0, 'o'},     {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *workdir = NULL, *variant = NULL, *out = NULL;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "hw:v:o:", longopts, NULL)) != -1) {
        switch (c) {
        case 'w': workdir = optarg; break;
        case 'v': variant = optarg; break;
        case 'o': out = optarg; break;
        case 'h': export_help(); return CLI_OK;
        default: return cli_usage_error("export", "see --help");
        }
    }
    if (optind < argc) return cli_usage_error("export", "unexpected argument '%s'", argv[optind]);
    if (!workdir || !variant || !out)
        return cli_usage_error("export", "--workdir, --variant and --out are required");
    cli_logger_install(0);
    sciprune_error e;
    if (sciprune_model_export(workdir, variant, out, &e) != SCIPRUNE_OK) {
        cli_error("export", &e);
        return CLI_FAIL;
    }
    fprintf(stderr, "sciprune: export: %s -> %s\n", variant, out);
    return CLI_OK;
}

static void judge_help(void)
{
    printf("usage: sciprune judge --model DIR [options] [SHARD...]\n\n"
           "Read JSONL records (the shards given, .jsonl or .jsonl.zst, else stdin) and write\n"
           "the lines the model keeps to stdout, byte for byte; with --annotate every accepted\n"
           "line, with a field \"sciprune\": {\"keep\", \"reason\", \"cluster\", \"distance\",\n"
           "\"cluster_size\", \"parse_error\", \"undefined_name\", \"gated\"} added at its end.\n"
           "Lines the reader rejects (bad JSON, no text, ...) are reported on stderr with their\n"
           "line number and not written; --on-error fail stops at the first (exit 1).\n"
           "Counts go to stderr at the end.\n\n"
           "options:\n"
           "  --model DIR          model folder (sciprune export)\n"
           "  --annotate           write every accepted line with its verdict\n"
           "  --on-error skip|fail what a rejected line does (default skip)\n"
           "  --text-field NAME    text field (default content)\n"
           "  --id-field NAME      id field (default id)\n"
           "  --default-lang NAME  language when a record does not tell (default unknown)\n"
           "  --max-line SIZE      longest accepted line (default 16M)\n");
}

/* The raw JSON object with ,"sciprune":{...} inserted before its closing brace. */
static void write_annotated(const sciprune_record *rec, const sciprune_verdict *v)
{
    size_t n = rec->raw_len;
    while (n && (rec->raw[n - 1] == ' ' || rec->raw[n - 1] == '\t' || rec->raw[n - 1] == '\r')) n--;
    size_t close = n ? n - 1 : 0; /* the reader accepted it: an object, so raw[close] == '}' */
    size_t b = close;
    while (b > 0 && (rec->raw[b - 1] == ' ' || rec->raw[b - 1] == '\t' || rec->raw[b - 1] == '\n' ||
                     rec->raw[b - 1] == '\r'))
        b--;
    int empty = b > 0 && rec->raw[b - 1] == '{';
    fwrite(rec->raw, 1, close, stdout);
    printf("%s\"sciprune\":{\"keep\":%s,\"reason\":\"%s\",\"cluster\":%d,\"distance\":%.9g,"
           "\"cluster_size\":%llu,\"parse_error\":%.9g,\"undefined_name\":%.9g,\"gated\":%s}",
           empty ? "" : ",", v->keep ? "true" : "false", sciprune_reason_name(v->reason),
           (int)v->cluster, (double)v->distance, (unsigned long long)v->cluster_size,
           (double)v->parse_error, (double)v->undefined_name, v->gated ? "true" : "false");
    fwrite(rec->raw + close, 1, rec->raw_len - close, stdout);
    putchar('\n');
}

int cmd_judge(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"model", required_argument, 0, 'm'},      {"annotate", no_argument, 0, 'a'},
        {"on-error", required_argument, 0, 'E'},   {"text-field", required_argument, 0, 'T'},
        {"id-field", required_argument, 0, 'D'},   {"default-lang", required_argument, 0, 'G'},
        {"max-line", required_argument, 0, 'L'},   {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *model = NULL;
    int annotate = 0, fail_on_error = 0, c;
    sciprune_shard_options so;
    sciprune_shard_options_default(&so);
    optind = 0;
    while ((c = getopt_long(argc, argv, "hm:", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'a': annotate = 1; break;
        case 'E':
            if ((fail_on_error = cli_parse_on_error(optarg)) < 0)
                return cli_usage_error("judge", "bad --on-error '%s' (skip or fail)", optarg);
            break;
        case 'T': so.text_field = optarg; break;
        case 'D': so.id_field = optarg; break;
        case 'G': so.default_lang = optarg; break;
        case 'L':
            if (cli_parse_size(optarg, &so.max_line_bytes)) return cli_usage_error("judge", "bad size '%s'", optarg);
            break;
        case 'h': judge_help(); return CLI_OK;
        default: return cli_usage_error("judge", "see --help");
        }
    }
    if (!model) return cli_usage_error("judge", "--model is required");
    cli_logger_install(0);
    sciprune_error e;
    sciprune_model *m = NULL;
    sciprune_model_worker *w = NULL;
    if (sciprune_model_open(&m, model, &e) || sciprune_model_worker_new(&w, m, &e)) {
        cli_error("judge", &e);
        sciprune_model_free(m);
        return CLI_FAIL;
    }
    int rc = CLI_OK;
    uint64_t kept = 0, dropped = 0, rejected = 0;
    const char *stdin_only[] = {"/dev/stdin"};
    int nin = argc - optind;
    char *const *ins = nin ? argv + optind : (char *const *)stdin_only;
    if (!nin) nin = 1;
    for (int i = 0; i < nin && rc == CLI_OK; i++) {
        const char *path = ins[i];
        const char *shown = nin == 1 && ins == (char *const *)stdin_only ? "<stdin>" : path;
        sciprune_shard_reader *r;
        if (sciprune_shard_reader_open(&r, path, &so, &e)) {
            cli_error("judge", &e);
            rc = CLI_FAIL;
            break;
        }
        const sciprune_record *rec;
        for (;;) {
            if (sciprune_shard_reader_next(r, &rec, &e)) {
                cli_error("judge", &e);
                rc = CLI_FAIL;
                break;
            }
            if (!rec) break;
            if (rec->reject != SCIPRUNE_REJECT_NONE) {
                rejected++;
                fprintf(stderr, "sciprune: judge: %s:%lld: rejected (%s)%s%s\n", shown,
                        (long long)rec->line, sciprune_reject_name(rec->reject),
                        rec->detail[0] ? ": " : "", rec->detail);
                if (fail_on_error) {
                    rc = CLI_FAIL;
                    break;
                }
                continue;
            }
            sciprune_model_doc d = {rec->text, rec->text_len, rec->lang, rec->path, rec->id};
            sciprune_verdict v;
            if (sciprune_model_judge_doc(m, w, &d, &v, &e)) {
                if (e.line < 0) e.line = rec->line;
                if (!e.source[0]) snprintf(e.source, sizeof e.source, "%s", shown);
                cli_error("judge", &e);
                rc = CLI_FAIL;
                break;
            }
            if (v.keep) kept++;
            else dropped++;
            if (annotate) write_annotated(rec, &v);
            else if (v.keep) {
                fwrite(rec->raw, 1, rec->raw_len, stdout);
                putchar('\n');
            }
        }
        sciprune_shard_reader_close(r);
    }
    if (fflush(stdout)) {
        fprintf(stderr, "sciprune: judge: cannot write stdout\n");
        rc = CLI_FAIL;
    }
    fprintf(stderr, "sciprune: judge: %s: kept %llu, dropped %llu, rejected %llu\n",
            sciprune_model_variant(m), (unsigned long long)kept, (unsigned long long)dropped,
            (unsigned long long)rejected);
    sciprune_model_worker_free(w);
    sciprune_model_free(m);
    return rc;
}
