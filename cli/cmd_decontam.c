/* cmd_decontam.c - `sciprune decontam --workdir W --bench FORMAT:PATH... --in SHARDS...`:
 * remove the corpus files that contain an evaluation benchmark, before pruning. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
    printf("usage: sciprune decontam --workdir W --bench FORMAT:PATH... --in SHARD... [options]\n\n"
           "Find the corpus files that contain an evaluation benchmark (the files are yours; none\n"
           "ship with sciprune) and mark them removed in every variant the score stage makes.\n"
           "Benchmarks (--bench, repeatable; .jsonl or .jsonl.gz):\n"
           "  humaneval:PATH   task_id, prompt (its docstring is matched), canonical_solution\n"
           "  mbpp:PATH        task_id, text, code\n"
           "  jsonl:PATH       the fields named by --fields, the id in --bench-id-field\n"
           "Matchers:\n"
           "  exact   a file containing a benchmark docstring or solution after whitespace\n"
           "          normalisation (runs of whitespace = one space) is removed (BigCode rule);\n"
           "          texts shorter than --exact-min-chars normalised bytes are allowlisted\n"
           "  ngram   13-grams over a code-aware tokenisation (identifiers other than keywords\n"
           "          and attributes are one placeholder: renamed variables still match); a file\n"
           "          holding >= --ngram-threshold of an item's n-grams is removed, counting only\n"
           "          n-grams found in <= max(--df-min, --df-share x files) corpus files\n"
           "Writes W/decontam/<shard>.decontam.npy (uint8 per line: 0 kept, 1 exact, 2 ngram),\n"
           "W/decontam/removed.jsonl (every removed file: benchmark, task id, matcher, matched\n"
           "span and excerpt) and W/decontam/summary.json. Run it before `sciprune score`.\n\n"
           "options:\n"
           "  --workdir W            work folder\n"
           "  --in SHARD...          input shards (all of them: the score stage needs every one)\n"
           "  --bench FORMAT:PATH    a benchmark file (repeatable)\n"
           "  --fields A,B           jsonl benchmarks: the text fields to match\n"
           "  --bench-id-field NAME  jsonl benchmarks: the task id field (default task_id)\n"
           "  --no-exact / --no-ngram   turn a matcher off\n"
           "  --exact-min-chars N    allowlist: shorter normalised texts never match (default 32)\n"
           "  --ngram-n N            tokens per n-gram (default 13)\n"
           "  --ngram-min N          items with fewer distinct n-grams are not matched (default 10)\n"
           "  --ngram-threshold X    share of an item's n-grams (default 0.5)\n"
           "  --df-min N             df cap floor in files (default 10)\n"
           "  --df-share X           df cap as a share of the files (default 0.001)\n"
           "  --threads N            worker threads (default: the CPUs this process may use)\n"
           "  --text-field NAME      text field (default content)\n"
           "  --id-field NAME        id field (default id)\n"
           "  --default-lang L       language when a record does not tell (default unknown)\n"
           "  --max-line SIZE        longest accepted line (default 16M)\n");
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    double x = strtod(s, &end);
    if (end == s || *end || !(x >= lo && x <= hi)) return 1;
    *out = x;
    return 0;
}

int cmd_decontam(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"workdir", required_argument, 0, 'w'},   {"in", required_argument, 0, 'i'},
        {"bench", required_argument, 0, 'b'},     {"fields", required_argument, 0, 'F'},
        {"bench-id-field", required_argument, 0, 'I'},
        {"no-exact", no_argument, 0, 'E'},        {"no-ngram", no_argument, 0, 'N'},
        {"exact-min-chars", required_argument, 0, 'm'},
        {"ngram-n", required_argument, 0, 'n'},   {"ngram-min", required_argument, 0, 'M'},
        {"ngram-threshold", required_argument, 0, 'x'},
        {"df-min", required_argument, 0, 'd'},    {"df-share", required_argument, 0, 's'},
        {"threads", required_argument, 0, 't'},   {"text-field", required_argument, 0, 'T'},
        {"id-field", required_argument, 0, 'D'},  {"default-lang", required_argument, 0, 'G'},
        {"max-line", required_argument, 0, 'L'},  {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    sciprune_decontam_settings s;
    sciprune_decontam_settings_default(&s);
    const char *workdir = NULL, *fields = NULL, *idf = NULL;
    char **ins = calloc((size_t)argc + 1, sizeof *ins);
    sciprune_decontam_benchmark *bs = calloc((size_t)argc + 1, sizeof *bs);
    int nin = 0, nb = 0, c;
    long v;
    double x;
    sciprune_error e;
    if (!ins || !bs) {
        free(ins);
        free(bs);
        return CLI_FAIL;
    }
    optind = 0;
#define BAD(...) do { free(ins); free(bs); return cli_usage_error("decontam", __VA_ARGS__); } while (0)
    while ((c = getopt_long(argc, argv, "hw:i:", longopts, NULL)) != -1) {
        switch (c) {
        case 'w': workdir = optarg; break;
        case 'i': ins[nin++] = optarg; break;
        case 'b': if (sciprune_decontam_benchmark_parse(optarg, &bs[nb], &e)) BAD("%s", e.text); nb++; break;
        case 'F': fields = optarg; break;
        case 'I': idf = optarg; break;
        case 'E': s.exact = 0; break;
        case 'N': s.ngram = 0; break;
        case 'm': if (cli_parse_int(optarg, 16, 1000000, &v)) BAD("bad --exact-min-chars '%s'", optarg); s.exact_min_chars = (uint32_t)v; break;
        case 'n': if (cli_parse_int(optarg, 4, 64, &v)) BAD("bad --ngram-n '%s'", optarg); s.ngram_n = (uint32_t)v; break;
        case 'M': if (cli_parse_int(optarg, 0, 1000000, &v)) BAD("bad --ngram-min '%s'", optarg); s.ngram_min = (uint32_t)v; break;
        case 'x': if (parse_num(optarg, 1e-9, 1, &x)) BAD("bad --ngram-threshold '%s' (want (0, 1])", optarg); s.ngram_threshold = x; break;
        case 'd': if (cli_parse_int(optarg, 1, 4000000000L, &v)) BAD("bad --df-min '%s'", optarg); s.ngram_df_min = (uint32_t)v; break;
        case 's': if (parse_num(optarg, 0, 1, &x)) BAD("bad --df-share '%s' (want [0, 1])", optarg); s.ngram_df_share = x; break;
        case 't': if (cli_parse_int(optarg, 0, 4096, &v)) BAD("bad --threads '%s'", optarg); s.threads = (int)v; break;
        case 'T': s.shard.text_field = optarg; break;
        case 'D': s.shard.id_field = optarg; break;
        case 'G': s.shard.default_lang = optarg; break;
        case 'L': if (cli_parse_size(optarg, &s.shard.max_line_bytes)) BAD("bad size '%s'", optarg); break;
        case 'h': help(); free(ins); free(bs); return CLI_OK;
        default: BAD("bad option");
        }
    }
    for (int i = optind; i < argc; i++) ins[nin++] = argv[i];
    for (int i = 0; i < nb; i++) {
        bs[i].fields = fields;
        bs[i].id_field = idf;
    }
    s.benchmarks = bs;
    s.n_benchmarks = (size_t)nb;
    if (!workdir) BAD("--workdir is required");
    if (!nin) BAD("give input shards with --in");
    if (sciprune_decontam_settings_check(&s, &e)) BAD("%s", e.text);
#undef BAD
    int rc = cli_lock_workdir(workdir, "decontam");
    if (rc) {
        free(ins);
        free(bs);
        return rc;
    }
    cli_logger_install(0);
    sciprune_decontam_info info;
    if (sciprune_decontam_run(workdir, (const char *const *)ins, (size_t)nin, &s, &info, &e)) {
        cli_error("decontam failed", &e);
        rc = CLI_FAIL;
    } else {
        fprintf(stderr,
                "decontam: %llu accepted of %llu records, %llu benchmark items (%llu n-grams), "
                "%.2fs; removed %llu (exact %llu, ngram %llu); log in %s/decontam/removed.jsonl\n",
                (unsigned long long)info.n_accepted, (unsigned long long)info.n_records,
                (unsigned long long)info.n_items, (unsigned long long)info.n_ngrams, info.seconds,
                (unsigned long long)(info.n_exact + info.n_ngram), (unsigned long long)info.n_exact,
                (unsigned long long)info.n_ngram, workdir);
    }
    free(ins);
    free(bs);
    return rc;
}
