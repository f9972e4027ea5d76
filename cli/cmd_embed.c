/* cmd_embed.c - `sciprune embed --in SHARDS... --workdir W [--embedder hash|npy:DIR|exec:CMD]`:
 * one vector per input line into W/embed/<shard>.npy (see include/sciprune.h, embed section). */
#include "cli.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
    printf("usage: sciprune embed --in SHARD... --workdir W [options]\n\n"
           "Embed every line of every shard into W/embed/<shard>.npy (float32, N x dim, rows in\n"
           "input order; rejected lines get a zero row) with a per-line status in\n"
           "W/embed/<shard>.status.npy (0 ok, 1 rejected, 2 lexical fallback, 3 parse error,\n"
           "4 empty, 5 too deep, 6 too large: not parsed, see README) and the embedder spec\n"
           "in W/embed/embedder.json. Resumable: a rerun skips\n"
           "finished shards; a different embedder in the same workdir needs --force.\n\n"
           "options:\n"
           "  --in SHARD...          input shards (also as trailing arguments)\n"
           "  --workdir W            work folder (required)\n"
           "  --embedder SPEC        hash (default) | npy:DIR | exec:'COMMAND'\n"
           "  --dim N                hash: 64..4096 (default 256); npy/exec: expected dimension\n"
           "  --dtype T              float32 (default) or float16\n"
           "  --threads N            hash workers (default: the CPUs this process may use)\n"
           "  --force                recompute everything, discarding a different embedder\n"
           "  --gates                hash: also score the quality gates on the same parse and\n"
           "                         write W/gates/ (as `sciprune gates`, one parse per record)\n"
           "  --parse-error-langs L  with --gates: languages the parse_error gate judges\n"
           "                         (default " SCIPRUNE_GATES_PARSE_ERROR_LANGS "; \"all\")\n"
           "  --undefined-name-langs L  the same for undefined_name\n"
           "  --js-envs L            with --gates: undefined_name's JavaScript environments\n"
           "                         (as `sciprune gates --js-envs`; default auto)\n"
           "hash embedder:\n"
           "  --features LIST        all | none | identifiers,keywords,literals,ast_pairs,\n"
           "                         ast_paths,errors (default all); plus sites (the site\n"
           "                         detectors) and naturalness (the n-gram model: on without\n"
           "                         sites, with them only when listed)\n"
           "  --keep-structure-on-error  keep AST features of files with parse errors\n"
           "                         (default: drop them; see DESIGN.md)\n"
           "  --path-depth N         node types per ancestor path, 2..8 (default 3)\n"
           "  --seed N               hashing and idf sample seed (default 0)\n"
           "  --idf-sample F         fraction of records for idf (default 0.1)\n"
           "  --idf-min-docs N       below this many sampled records use all (default 1000)\n"
           "  --idf-bits N           idf table of 2^N buckets, 10..24 (default 20)\n"
           "  --no-idf               unit weights instead of a fitted idf\n"
           "exec embedder (protocol: docs/embed-exec-protocol.md):\n"
           "  --exec-batch N         texts per request (default 32)\n"
           "  --exec-timeout S       seconds without a response = hang (default 300)\n"
           "  --exec-start-timeout S seconds for the handshake (default 600)\n"
           "records:\n"
           "  --text-field NAME      text field (default content)\n"
           "  --id-field NAME        id field (default id)\n"
           "  --default-lang NAME    language when a record does not tell (default unknown)\n"
           "  --max-line SIZE        longest accepted line (default 16M)\n");
}

static void log_stderr(void *user, sciprune_log_level level, const char *msg)
{
    (void)user;
    static const char *const names[] = {"error", "warning", "info", "debug"};
    if (level > SCIPRUNE_LOG_INFO && !getenv("SCIPRUNE_DEBUG")) return;
    fprintf(stderr, "sciprune: %s: %s\n", names[level], msg);
}

static void on_progress(void *user, uint64_t records, uint64_t bytes)
{
    cli_progress_update(user, records, bytes);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!*s || *s == '-') return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end) return -1;
    *out = v;
    return 0;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end) return -1;
    *out = v;
    return 0;
}

int cmd_embed(int argc, char **argv)
{
    enum {
        O_DIM = 256, O_DTYPE, O_FORCE, O_FEAT, O_KEEP, O_DEPTH, O_SEED, O_IDFS, O_IDFM, O_IDFB,
        O_NOIDF, O_XB, O_XT, O_XST, O_TF, O_IF, O_DL, O_ML, O_GATES, O_PEL, O_UNL, O_JSE
    };
    static const struct option longopts[] = {
        {"in", required_argument, 0, 'i'},       {"workdir", required_argument, 0, 'w'},
        {"embedder", required_argument, 0, 'e'}, {"threads", required_argument, 0, 'j'},
        {"dim", required_argument, 0, O_DIM},    {"dtype", required_argument, 0, O_DTYPE},
        {"force", no_argument, 0, O_FORCE},      {"features", required_argument, 0, O_FEAT},
        {"keep-structure-on-error", no_argument, 0, O_KEEP},
        {"path-depth", required_argument, 0, O_DEPTH}, {"seed", required_argument, 0, O_SEED},
        {"idf-sample", required_argument, 0, O_IDFS}, {"idf-min-docs", required_argument, 0, O_IDFM},
        {"idf-bits", required_argument, 0, O_IDFB}, {"no-idf", no_argument, 0, O_NOIDF},
        {"exec-batch", required_argument, 0, O_XB}, {"exec-timeout", required_argument, 0, O_XT},
        {"exec-start-timeout", required_argument, 0, O_XST},
        {"text-field", required_argument, 0, O_TF}, {"id-field", required_argument, 0, O_IF},
        {"default-lang", required_argument, 0, O_DL}, {"max-line", required_argument, 0, O_ML},
        {"gates", no_argument, 0, O_GATES},      {"parse-error-langs", required_argument, 0, O_PEL},
        {"undefined-name-langs", required_argument, 0, O_UNL},
        {"js-envs", required_argument, 0, O_JSE},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    sciprune_gates_settings gs;
    sciprune_gates_settings_default(&gs);
    int gates = 0;
    sciprune_embedder_settings s;
    sciprune_embedder_settings_default(&s);
    sciprune_embed_options o;
    sciprune_embed_options_default(&o);
    sciprune_error e;
    const char *workdir = NULL, *spec = "hash", *features = NULL;
    uint64_t dim = 0, u;
    double d;
    int have_dim = 0;
    char **ins = calloc((size_t)argc + 1, sizeof *ins);
    int nin = 0, c, rc = CLI_OK;
    if (!ins) return CLI_FAIL;
    optind = 0;
#define USAGE(...) do { free(ins); return cli_usage_error("embed", __VA_ARGS__); } while (0)
    while ((c = getopt_long(argc, argv, "hi:w:e:j:", longopts, NULL)) != -1) {
        switch (c) {
        case 'i': ins[nin++] = optarg; break;
        case 'w': workdir = optarg; break;
        case 'e': spec = optarg; break;
        case 'j':
            if (parse_u64(optarg, &u) || u > 256) USAGE("--threads wants 0..256");
            o.threads = (int)u;
            break;
        case O_DIM:
            if (parse_u64(optarg, &dim) || dim > 65536) USAGE("bad --dim '%s'", optarg);
            have_dim = 1;
            break;
        case O_DTYPE:
            if (!strcmp(optarg, "float32") || !strcmp(optarg, "f32")) s.dtype = SCIPRUNE_VEC_F32;
            else if (!strcmp(optarg, "float16") || !strcmp(optarg, "f16")) s.dtype = SCIPRUNE_VEC_F16;
            else USAGE("--dtype wants float32 or float16");
            break;
        case O_FORCE: o.force = 1; break;
        case O_GATES: gates = 1; break;
        case O_PEL: gs.parse_error_langs = optarg; break;
        case O_UNL: gs.undefined_name_langs = optarg; break;
        case O_JSE: gs.js_envs = optarg; break;
        case O_FEAT: features = optarg; break;
        case O_KEEP: s.drop_structure_on_error = 0; break;
        case O_DEPTH:
            if (parse_u64(optarg, &u) || u > 64) USAGE("bad --path-depth '%s'", optarg);
            s.path_depth = (uint32_t)u;
            break;
        case O_SEED:
            if (parse_u64(optarg, &u) || u > INT64_MAX) USAGE("bad --seed '%s'", optarg);
            s.seed = u;
            break;
        case O_IDFS:
            if (parse_double(optarg, &d)) USAGE("bad --idf-sample '%s'", optarg);
            s.idf_sample = d;
            break;
        case O_IDFM:
            if (parse_u64(optarg, &u)) USAGE("bad --idf-min-docs '%s'", optarg);
            s.idf_min_docs = u;
            break;
        case O_IDFB:
            if (parse_u64(optarg, &u) || u > 64) USAGE("bad --idf-bits '%s'", optarg);
            s.idf_bits = (uint32_t)u;
            break;
        case O_NOIDF: s.idf = 0; break;
        case O_XB:
            if (parse_u64(optarg, &u) || u > 1000000) USAGE("bad --exec-batch '%s'", optarg);
            s.exec_batch = (uint32_t)u;
            break;
        case O_XT:
            if (parse_double(optarg, &d)) USAGE("bad --exec-timeout '%s'", optarg);
            s.exec_timeout_s = d;
            break;
        case O_XST:
            if (parse_double(optarg, &d)) USAGE("bad --exec-start-timeout '%s'", optarg);
            s.exec_start_timeout_s = d;
            break;
        case O_TF: o.shard.text_field = optarg; break;
        case O_IF: o.shard.id_field = optarg; break;
        case O_DL: o.shard.default_lang = optarg; break;
        case O_ML:
            if (cli_parse_size(optarg, &o.shard.max_line_bytes)) USAGE("bad size '%s'", optarg);
            break;
        case 'h': help(); free(ins); return CLI_OK;
        default: USAGE("bad option");
        }
    }
    for (int i = optind; i < argc; i++) ins[nin++] = argv[i];
    if (!workdir || nin == 0) USAGE("--workdir and at least one input shard are required");
    if (sciprune_embedder_settings_parse(&s, spec, &e)) USAGE("%s", e.text);
    if (have_dim) s.dim = (uint32_t)dim;
    if (features && sciprune_embed_features_parse(features, &s.features, &e)) USAGE("%s", e.text);
    if ((gs.parse_error_langs || gs.undefined_name_langs || gs.js_envs) && !gates)
        USAGE("--parse-error-langs/--undefined-name-langs/--js-envs need --gates");
    if (gates && sciprune_gates_settings_check(&gs, &e)) USAGE("%s", e.text);
    if (gates) {
        gs.shard = o.shard;
        gs.threads = o.threads;
        o.gates = &gs;
    }
#undef USAGE
    {
        int lrc = cli_lock_workdir(workdir, "embed");
        if (lrc) {
            free(ins);
            return lrc;
        }
    }

    signal(SIGPIPE, SIG_IGN); /* an exec embedder that dies must not kill us (the library also
                                 guards its writes) */
    sciprune_set_logger(log_stderr, NULL);
    cli_progress prog;
    cli_progress_start(&prog, "embed", cli_total_size(ins, nin));
    o.progress = on_progress;
    o.progress_user = &prog;
    sciprune_embed_stats st;
    sciprune_status r = sciprune_embed_shards(workdir, (const char *const *)ins, (size_t)nin, &s, &o, &st, &e);
    cli_progress_end(&prog);
    if (r) {
        cli_error("embed failed", &e);
        rc = CLI_FAIL;
    } else {
        fprintf(stderr,
                "embed: %llu shards (%llu embedded, %llu already done), %llu lines: ok=%llu "
                "rejected=%llu lexical=%llu parse_error=%llu empty=%llu; dim %u",
                (unsigned long long)st.shards, (unsigned long long)st.shards_done,
                (unsigned long long)st.shards_skipped, (unsigned long long)st.lines,
                (unsigned long long)st.rows[0], (unsigned long long)st.rows[1],
                (unsigned long long)st.rows[2], (unsigned long long)st.rows[3],
                (unsigned long long)st.rows[4], st.dim);
        if (st.rows[SCIPRUNE_ROW_TOO_DEEP] || st.rows[SCIPRUNE_ROW_TOO_LARGE])
            fprintf(stderr, "; too_deep=%llu too_large=%llu (not parsed: the parse guard)",
                    (unsigned long long)st.rows[SCIPRUNE_ROW_TOO_DEEP],
                    (unsigned long long)st.rows[SCIPRUNE_ROW_TOO_LARGE]);
        if (st.model[0]) fprintf(stderr, ", model %s", st.model);
        if (st.idf_docs) fprintf(stderr, ", idf fitted on %llu records", (unsigned long long)st.idf_docs);
        if (st.seconds > 0 && st.text_bytes)
            fprintf(stderr, "; %.1f MB/s", (double)st.text_bytes / 1e6 / st.seconds);
        fprintf(stderr, "; %.2f s; vectors in %s/embed%s\n", st.seconds, workdir,
                gates ? ", gates in W/gates" : "");
    }
    free(ins);
    return rc;
}
