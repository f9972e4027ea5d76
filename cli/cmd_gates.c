/* cmd_gates.c - `sciprune gates --workdir W --in SHARDS...`: per-record quality gates
 * (parse_error, undefined_name), and `--file F` to explain one source file. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
    printf("usage: sciprune gates --workdir W --in SHARD... [options]\n"
           "       sciprune gates --file SOURCE [--lang L]\n\n"
           "Parse every accepted record once and score the quality gates:\n"
           "  parse_error     ERROR + MISSING tree-sitter nodes (every language with a grammar),\n"
           "                  plus python's indentation errors by CPython's rules (IndentationError,\n"
           "                  TabError: tree-sitter accepts them) and javascript/typescript\n"
           "                  redeclarations V8 rejects; for c and cpp a syntax check that knows\n"
           "                  the preprocessor (brackets, literals, comments, #if groups, misspelt\n"
           "                  keywords) instead of raw tree-sitter errors\n"
           "  undefined_name  distinct names read but bound nowhere in the file (python,\n"
           "                  javascript, typescript, tsx; abstains where unsound)\n"
           "A gate only flags files of the languages it is on for (a gate is trusted where it\n"
           "was validated on clean code): summary.json still says what it would flag elsewhere.\n"
           "Writes W/gates/<shard>.parse_error.npy, W/gates/<shard>.undefined_name.npy (float32\n"
           "per line), W/gates/<shard>.gates.json and W/gates/summary.json; a rerun skips shards\n"
           "already done with the same settings. With --file, prints one source file's scores\n"
           "and undefined names as JSON instead. `sciprune embed --gates` writes the same files\n"
           "from the embedder's parse.\n\n"
           "options:\n"
           "  --workdir W          work folder\n"
           "  --in SHARD...        input shards\n"
           "  --threads N          parser threads (default: the CPUs this process may use)\n"
           "  --parse-error-langs L    languages parse_error judges, comma-separated or all\n"
           "                       (default " SCIPRUNE_GATES_PARSE_ERROR_LANGS ")\n"
           "  --undefined-name-langs L the same for undefined_name (default\n"
           "                       " SCIPRUNE_GATES_UNDEFINED_NAME_LANGS ")\n"
           "  --text-field NAME    text field (default content)\n"
           "  --id-field NAME      id field (default id)\n"
           "  --default-lang L     language when a record does not tell (default unknown)\n"
           "  --max-line SIZE      longest accepted line (default 16M)\n"
           "  --js-envs L          undefined_name's JavaScript/TypeScript environments:\n"
           "                       names of the npm package globals' lists (browser, node,\n"
           "                       commonjs, amd, worker, mocha, jquery, ...), comma-separated;\n"
           "                       \"auto\" among them adds the detection from each file\n"
           "                       (default auto)\n"
           "  --file SOURCE        explain one file (language from its extension or --lang);\n"
           "                       repeat it for one JSON line per file\n"
           "  --lang L             language for --file\n"
           "  --path P             the file's path for --file as a record would give it\n"
           "                       (default SOURCE; shows Python hosts: gdb, lit, SCons, ...)\n");
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
        else putchar(*s);
    }
    putchar('"');
}

static int explain(const char *file, const char *lang, const char *path,
                   const sciprune_gates_settings *s)
{
    FILE *f = fopen(file, "rb");
    if (!f) {
        fprintf(stderr, "sciprune: cannot open %s\n", file);
        return CLI_FAIL;
    }
    size_t cap = 1 << 16, len = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) return CLI_FAIL;
    if (!lang) lang = sciprune_lang_from_path(file);
    else if (sciprune_lang_canonical(lang)) lang = sciprune_lang_canonical(lang);
    if (!lang) {
        free(buf);
        return cli_usage_error("gates", "cannot tell the language of %s: give --lang", file);
    }
    sciprune_parser *p = NULL;
    sciprune_error e;
    sciprune_gate_scores g;
    if (sciprune_parser_new(&p, &e) || sciprune_gate_score_file(p, lang, path ? path : file, buf, len, s, &g, &e)) {
        cli_error("gates failed", &e);
        sciprune_parser_free(p);
        free(buf);
        return CLI_FAIL;
    }
    printf("{\"file\": ");
    json_str(file);
    printf(", \"lang\": ");
    json_str(lang);
    printf(", \"parse_errors\": %u, \"error_nodes\": %u, \"missing_nodes\": %u, "
           "\"indent_errors\": %u, \"indent_line\": %u, \"indent_error\": ",
           g.parse_errors, g.error_nodes, g.missing_nodes, g.indent_errors, g.indent_line);
    json_str(g.indent_error);
    printf(", \"early_errors\": %u, \"early_line\": %u", g.early_errors, g.early_line);
    printf(", \"parse_error_share\": %.6f, \"undefined_names\": %u, \"abstained\": %d, "
           "\"abstain_reason\": ",
           g.parse_error_share, g.undefined_names, g.undefined_abstained);
    json_str(g.abstain_reason);
    printf(", \"names\": ");
    json_str(g.names);
    printf(", \"syntax_reason\": ");
    json_str(g.syntax_reason ? g.syntax_reason : "");
    printf(", \"syntax_offset\": %llu, \"syntax_suspects\": %u",
           (unsigned long long)g.syntax_offset, g.syntax_suspects);
    printf(", \"guard\": ");
    json_str(sciprune_guard_verdict_name(g.guard)); /* not "ok": not parsed, not judged */
    printf("}\n");
    sciprune_parser_free(p);
    free(buf);
    return CLI_OK;
}

int cmd_gates(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"workdir", required_argument, 0, 'w'},    {"in", required_argument, 0, 'i'},
        {"threads", required_argument, 0, 't'},    {"text-field", required_argument, 0, 'T'},
        {"id-field", required_argument, 0, 'D'},   {"default-lang", required_argument, 0, 'G'},
        {"max-line", required_argument, 0, 'L'},   {"file", required_argument, 0, 'f'},
        {"lang", required_argument, 0, 'l'},       {"help", no_argument, 0, 'h'},
        {"parse-error-langs", required_argument, 0, 'P'},
        {"undefined-name-langs", required_argument, 0, 'U'},
        {"js-envs", required_argument, 0, 'J'},   {"path", required_argument, 0, 'p'},
        {0, 0, 0, 0}};
    sciprune_gates_settings s;
    sciprune_gates_settings_default(&s);
    const char *workdir = NULL, *lang = NULL, *fpath = NULL;
    char **ins = calloc((size_t)argc + 1, sizeof *ins);
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    int nin = 0, nfiles = 0, c;
    long v;
    sciprune_error e;
    if (!ins || !files) {
        free(ins);
        free(files);
        return CLI_FAIL;
    }
    optind = 0;
#define BAD(...) do { free(ins); free(files); return cli_usage_error("gates", __VA_ARGS__); } while (0)
    while ((c = getopt_long(argc, argv, "hw:i:", longopts, NULL)) != -1) {
        switch (c) {
        case 'w': workdir = optarg; break;
        case 'i': ins[nin++] = optarg; break;
        case 't': if (cli_parse_int(optarg, 0, 4096, &v)) BAD("bad --threads '%s'", optarg); s.threads = (int)v; break;
        case 'T': s.shard.text_field = optarg; break;
        case 'D': s.shard.id_field = optarg; break;
        case 'G': s.shard.default_lang = optarg; break;
        case 'L': if (cli_parse_size(optarg, &s.shard.max_line_bytes)) BAD("bad size '%s'", optarg); break;
        case 'f': files[nfiles++] = optarg; break;
        case 'l': lang = optarg; break;
        case 'P': s.parse_error_langs = optarg; break;
        case 'U': s.undefined_name_langs = optarg; break;
        case 'J': s.js_envs = optarg; break;
        case 'p': fpath = optarg; break;
        case 'h': help(); free(ins); free(files); return CLI_OK;
        default: BAD("bad option");
        }
    }
    for (int i = optind; i < argc; i++) ins[nin++] = argv[i];
    if (nfiles) {
        int rc = CLI_OK;
        if (sciprune_gates_settings_check(&s, &e)) BAD("%s", e.text);
        for (int i = 0; i < nfiles && rc == CLI_OK; i++)
            rc = explain(files[i], lang, nfiles == 1 ? fpath : NULL, &s);
        free(ins);
        free(files);
        return rc;
    }
    free(files);
    files = NULL;
    if (!workdir) BAD("--workdir is required");
    if (!nin) BAD("give input shards with --in");
    if (sciprune_gates_settings_check(&s, &e)) BAD("%s", e.text);
#undef BAD
    {
        int lrc = cli_lock_workdir(workdir, "gates");
        if (lrc) {
            free(ins); free(files);
            return lrc;
        }
    }
    cli_logger_install(0);
    sciprune_gates_info info;
    int rc = CLI_OK;
    if (sciprune_gates_run(workdir, (const char *const *)ins, (size_t)nin, &s, &info, &e)) {
        cli_error("gates failed", &e);
        rc = CLI_FAIL;
    } else {
        fprintf(stderr,
                "gates: %llu accepted of %llu records, %.1f MB, %.2fs; parse_error %llu, "
                "undefined_name %llu (abstained %llu); %llu shards already done; summary in "
                "%s/gates/summary.json\n",
                (unsigned long long)info.n_accepted, (unsigned long long)info.n_records,
                info.bytes / 1e6, info.seconds, (unsigned long long)info.n_parse_error,
                (unsigned long long)info.n_undefined, (unsigned long long)info.n_abstained,
                (unsigned long long)info.shards_skipped, workdir);
        if (info.n_guarded)
            fprintf(stderr, "gates: %llu records not judged: too deep or too large to parse "
                            "(the parse guard)\n", (unsigned long long)info.n_guarded);
    }
    free(ins);
    return rc;
}
