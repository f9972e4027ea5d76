/* cmd_corrupt.c - `sciprune corrupt`: make validated synthetic corruptions of clean records
 * (stage 1), corrupt one file, list the corruptions, or re-check corrupted shards. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
    printf("usage: sciprune corrupt --in SHARD... --out DIR [options]\n"
           "       sciprune corrupt --file PATH --lang LANG --type TYPE [--seed S]\n"
           "       sciprune corrupt --list [--lang LANG]\n"
           "       sciprune corrupt --verify SHARD...\n\n"
           "Sample clean records from shards and write corrupted variants, each validated with\n"
           "tree-sitter (syntax kinds must fail to parse, content kinds must still parse and\n"
           "differ). Writes DIR/corrupt-<lang>.jsonl.zst, DIR/labels.jsonl, DIR/corrupt.json and\n"
           "prints, per language x type, how many variants were made out of how many tried.\n"
           "Same inputs and seed give byte-identical files for any --threads.\n\n"
           "options:\n"
           "  --in SHARD...        input shards (also as trailing arguments)\n"
           "  --out DIR            output folder\n"
           "  --types T1,T2|all    corruption types (default all; see --list)\n"
           "  --langs L1,L2|all    languages (default all that have queries)\n"
           "  --per-type N         variants per language x type (default 100)\n"
           "  --max-tries N        candidate records ranked per language x type (default 20 x N)\n"
           "  --strata N           length strata (quantile bins of all records, 1..64; default 10;\n"
           "                       1: off): probes match the corpus' length distribution\n"
           "  --seed S             sampling seed (default 0)\n"
           "  --threads N          worker threads, 0 = all CPUs (default 1)\n"
           "  --queries DIR        query folder (default $SCIPRUNE_DATA_DIR/queries or the\n"
           "                       source tree's data/queries)\n"
           "  --text-field NAME    text field of the inputs (default content)\n"
           "  --id-field NAME      id field of the inputs (default id)\n"
           "  --default-lang NAME  language when a record does not tell (default unknown)\n"
           "  --level N            zstd level of the output (default 3)\n"
           "  --file PATH          corrupt one file: the variant goes to stdout, the edit to\n"
           "                       stderr; exit 1 when no variant validates\n"
           "  --lang LANG --type TYPE  language and corruption for --file (and --list)\n"
           "  --list               list corruption types and kinds\n"
           "  --verify             re-check corrupted shards: undo each edit, the original must\n"
           "                       parse cleanly and the variant validate; exit 1 on any failure\n"
           "  -v, --verbose        log progress to stderr\n");
}

static void log_stderr(void *user, sciprune_log_level level, const char *msg)
{
    int verbose = *(int *)user;
    if (level <= SCIPRUNE_LOG_WARN || verbose) fprintf(stderr, "sciprune: %s\n", msg);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *e;
    errno = 0;
    unsigned long long v = strtoull(s, &e, 0);
    if (*s == '-' || e == s || *e || errno) return -1;
    *out = v;
    return 0;
}

static int do_list(const char *qdir, const char *lang)
{
    sciprune_error e;
    sciprune_corruptor *c = NULL;
    if (sciprune_corruptor_new(&c, qdir, &e)) {
        cli_error("cannot load corruption queries", &e);
        return CLI_FAIL;
    }
    for (size_t li = 0; li < sciprune_lang_count(); li++) {
        const char *l = sciprune_lang_name(li);
        if (lang && strcmp(lang, l) != 0) continue;
        size_t n = sciprune_corrupt_list(c, l, NULL, NULL, 0);
        const char **names = calloc(n + 1, sizeof *names);
        sciprune_corrupt_kind *kinds = calloc(n + 1, sizeof *kinds);
        if (!names || !kinds) {
            free(names);
            free(kinds);
            sciprune_corruptor_free(c);
            return CLI_FAIL;
        }
        sciprune_corrupt_list(c, l, names, kinds, n);
        for (size_t i = 0; i < n; i++)
            printf("%-12s %-20s %s\n", l, names[i], sciprune_corrupt_kind_name(kinds[i]));
        free(names);
        free(kinds);
    }
    sciprune_corruptor_free(c);
    return CLI_OK;
}

static int do_file(const char *qdir, const char *path, const char *lang, const char *type,
                   uint64_t seed)
{
    sciprune_error e;
    char *text = NULL;
    size_t len = 0, cap = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "sciprune: cannot read %s: %s\n", path, strerror(errno));
        return CLI_FAIL;
    }
    for (;;) {
        if (len + 65536 > cap) {
            cap = (cap ? cap * 2 : 65536) + 65536;
            char *nt = realloc(text, cap);
            if (!nt) {
                fclose(f);
                free(text);
                return CLI_FAIL;
            }
            text = nt;
        }
        size_t n = fread(text + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0) break;
    }
    fclose(f);
    sciprune_corruptor *c = NULL;
    sciprune_parser *p = NULL;
    sciprune_corrupt_result r;
    memset(&r, 0, sizeof r);
    int rc = CLI_FAIL;
    if (sciprune_corruptor_new(&c, qdir, &e)) {
        cli_error("cannot load corruption queries", &e);
        goto out;
    }
    if (sciprune_parser_new(&p, &e) ||
        sciprune_corrupt_apply(c, p, lang, type, seed, text, len, &r, &e)) {
        cli_error("cannot corrupt", &e);
        goto out;
    }
    if (r.outcome != SCIPRUNE_CORRUPT_MADE) {
        fprintf(stderr, "corrupt: %s: %s (%u candidate sites, %u edits tried)\n", path,
                sciprune_corrupt_outcome_name(r.outcome), r.sites, r.attempts);
        goto out;
    }
    fwrite(r.text, 1, r.text_len, stdout);
    fprintf(stderr, "corrupt: %s %s at byte %llu: removed %zu bytes, inserted %zu bytes "
                    "(%u sites, %u edits tried)\n",
            type, sciprune_corrupt_kind_name(r.kind), (unsigned long long)r.offset,
            r.removed_len, r.inserted_len, r.sites, r.attempts);
    rc = CLI_OK;
out:
    sciprune_corrupt_result_clear(&r);
    sciprune_parser_free(p);
    sciprune_corruptor_free(c);
    free(text);
    return rc;
}

static int do_verify(const char *const *ins, int nin)
{
    sciprune_error e;
    sciprune_corrupt_verify_stats st;
    if (sciprune_corrupt_verify(ins, (size_t)nin, &st, &e)) {
        cli_error("verify failed", &e);
        return CLI_FAIL;
    }
    printf("verify: %llu lines: %llu syntax ok, %llu content ok, %llu bad\n",
           (unsigned long long)st.lines, (unsigned long long)st.syntax_ok,
           (unsigned long long)st.content_ok, (unsigned long long)st.bad);
    if (st.bad) {
        fprintf(stderr, "sciprune: verify: first bad line: %s\n", st.first_bad);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cmd_corrupt(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"in", required_argument, 0, 'i'},        {"out", required_argument, 0, 'o'},
        {"types", required_argument, 0, 'T'},     {"langs", required_argument, 0, 'L'},
        {"per-type", required_argument, 0, 'n'},  {"max-tries", required_argument, 0, 'x'},
        {"seed", required_argument, 0, 's'},      {"threads", required_argument, 0, 'j'},
        {"queries", required_argument, 0, 'q'},   {"text-field", required_argument, 0, 't'},
        {"id-field", required_argument, 0, 'd'},  {"default-lang", required_argument, 0, 'D'},
        {"level", required_argument, 0, 'l'},     {"file", required_argument, 0, 'f'},
        {"lang", required_argument, 0, 'g'},      {"type", required_argument, 0, 'y'},
        {"list", no_argument, 0, 'a'},            {"verify", no_argument, 0, 'V'},
        {"verbose", no_argument, 0, 'v'},         {"help", no_argument, 0, 'h'},
        {"strata", required_argument, 0, 'S'},
        {0, 0, 0, 0}};
    sciprune_corrupt_options o;
    sciprune_corrupt_options_default(&o);
    sciprune_shard_options so;
    sciprune_shard_options_default(&so);
    o.shard = &so;
    const char *out = NULL, *file = NULL, *lang = NULL, *type = NULL;
    int list = 0, verify = 0, verbose = 0;
    char **ins = calloc((size_t)argc + 1, sizeof *ins);
    int nin = 0;
    if (!ins) return CLI_FAIL;
    optind = 0;
    int c, rc = CLI_OK;
    uint64_t v;
#define USAGE(...) do { free(ins); return cli_usage_error("corrupt", __VA_ARGS__); } while (0)
    while ((c = getopt_long(argc, argv, "hvi:o:", longopts, NULL)) != -1) {
        switch (c) {
        case 'i': ins[nin++] = optarg; break;
        case 'o': out = optarg; break;
        case 'T': o.types = optarg; break;
        case 'L': o.langs = optarg; break;
        case 'n':
            if (parse_u64(optarg, &o.per_type) || o.per_type == 0) USAGE("--per-type wants a positive number");
            break;
        case 'x':
            if (parse_u64(optarg, &o.max_tries) || o.max_tries == 0) USAGE("--max-tries wants a positive number");
            break;
        case 'S':
            if (parse_u64(optarg, &v) || v == 0 || v > 64) USAGE("--strata wants 1..64");
            o.strata = (uint32_t)v;
            break;
        case 's':
            if (parse_u64(optarg, &o.seed)) USAGE("--seed wants a non-negative number");
            break;
        case 'j':
            if (parse_u64(optarg, &v) || v > 256) USAGE("--threads wants 0..256");
            o.threads = (int)v;
            break;
        case 'q': o.queries_dir = optarg; break;
        case 't': so.text_field = optarg; break;
        case 'd': so.id_field = optarg; break;
        case 'D': so.default_lang = optarg; break;
        case 'l':
            if (parse_u64(optarg, &v) || v < 1 || v > 22) USAGE("--level wants 1..22");
            o.zstd_level = (int)v;
            break;
        case 'f': file = optarg; break;
        case 'g': lang = optarg; break;
        case 'y': type = optarg; break;
        case 'a': list = 1; break;
        case 'V': verify = 1; break;
        case 'v': verbose = 1; break;
        case 'h': help(); free(ins); return CLI_OK;
        default: USAGE("bad option");
        }
    }
    for (int i = optind; i < argc; i++) ins[nin++] = argv[i];
    sciprune_set_logger(log_stderr, &verbose);
    const char *canon = NULL;
    if (lang && !(canon = sciprune_lang_canonical(lang))) USAGE("unknown language '%s'", lang);
    if (list) {
        rc = do_list(o.queries_dir, canon);
    } else if (verify) {
        if (nin == 0) USAGE("--verify wants corrupted shards");
        rc = do_verify((const char *const *)ins, nin);
    } else if (file) {
        if (!canon || !type) USAGE("--file wants --lang and --type");
        rc = do_file(o.queries_dir, file, canon, type, o.seed);
    } else {
        if (!out || nin == 0) USAGE("--out and at least one input shard are required");
        if ((rc = cli_lock_workdir(out, "corrupt"))) {
            free(ins);
            return rc;
        }
        sciprune_corrupt_stats st;
        sciprune_error e;
        if (sciprune_corrupt_run((const char *const *)ins, (size_t)nin, out, &o, &st, &e)) {
            cli_error("corrupt failed", &e);
            rc = CLI_FAIL;
        } else {
            printf("%-11s %-19s %-7s %6s %6s %7s %7s %7s\n", "lang", "corruption", "kind",
                   "made", "tried", "unclean", "no_site", "invalid");
            uint64_t made = 0, tried = 0, empty = 0;
            for (size_t i = 0; i < st.ncells; i++) {
                const sciprune_corrupt_cell *x = &st.cells[i];
                if (x->candidates == 0) { /* no record of this language: keep the table short */
                    empty++;
                    continue;
                }
                printf("%-11s %-19s %-7s %6llu %6llu %7llu %7llu %7llu\n", x->lang, x->type,
                       sciprune_corrupt_kind_name(x->kind), (unsigned long long)x->made,
                       (unsigned long long)x->tried, (unsigned long long)x->unclean,
                       (unsigned long long)x->no_site, (unsigned long long)x->invalid);
                made += x->made;
                tried += x->tried;
            }
            if (empty)
                fprintf(stderr, "corrupt: %llu language x type cells had no input records "
                                "(listed in %s/corrupt.json)\n", (unsigned long long)empty, out);
            fprintf(stderr,
                    "corrupt: %llu variants made out of %llu tried; %llu records read "
                    "(%llu rejected, %llu in other languages), %llu rounds; output in %s\n",
                    (unsigned long long)made, (unsigned long long)tried,
                    (unsigned long long)st.records, (unsigned long long)st.rejected,
                    (unsigned long long)st.other_lang, (unsigned long long)st.rounds, out);
            if (st.guarded)
                fprintf(stderr, "corrupt: %llu records not used as sources: too deep or too "
                                "large to parse (the parse guard)\n",
                        (unsigned long long)st.guarded);
            if (made == 0)
                fprintf(stderr, "sciprune: warning: no variant was made (no records in a "
                                "language with queries, or none parse cleanly)\n");
            sciprune_corrupt_stats_free(&st);
        }
    }
#undef USAGE
    sciprune_set_logger(NULL, NULL);
    free(ins);
    return rc;
}
