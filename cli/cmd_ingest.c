/* cmd_ingest.c - `sciprune ingest DIR... --out SHARD_DIR`; `--parquet FILE...` runs
 * scripts/parquet2shard.js under node and writes its records with sciprune_ingest_jsonl(). */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SCIPRUNE_SCRIPTS_DIR
#define SCIPRUNE_SCRIPTS_DIR "scripts"
#endif

/* parquet2shard.js beside the data folder (an installed tree: <datadir>/sciprune/scripts, with
 * the npm packages it imports in its node_modules/), else the source tree's. Static storage. */
static const char *default_script(void)
{
    static char buf[4096];
    const char *d = sciprune_data_dir();
    if (d && *d && (size_t)snprintf(buf, sizeof buf, "%s/../scripts/parquet2shard.js", d) < sizeof buf &&
        access(buf, R_OK) == 0)
        return buf; /* in a build tree: the source tree's data/../scripts, the same file */
    return SCIPRUNE_SCRIPTS_DIR "/parquet2shard.js";
}

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
           "  --level N              zstd level (default 3)\n\n"
           "       sciprune ingest --parquet FILE.parquet... --out SHARD_DIR [options]\n"
           "       sciprune ingest --jsonl FILE|- --out SHARD_DIR [options]\n\n"
           "Parquet (The Stack v1/v1.2 layout; snappy, zstd, gzip pages) is read one row group\n"
           "at a time by scripts/parquet2shard.js under node (npm packages of scripts/setup.sh);\n"
           "--jsonl takes such records (one JSON object with \"content\" per line) directly.\n"
           "Languages become sciprune's names (Python -> python, C++ -> cpp). Rows whose text is\n"
           "null or not UTF-8 go to SHARD_DIR/rejected/parquet.jsonl with file, row group, row.\n"
           "  --text COL             text column (default content)\n"
           "  --path COL             path column (default max_stars_repo_path)\n"
           "  --lang COL             language column (default lang)\n"
           "  --id COL               id column (default hexsha; \"\": <file name>:<row>)\n"
           "  --keep-columns         keep the other columns as extra fields (default: dropped)\n"
           "  --columns A,B          keep these other columns\n"
           "  (node: $SCIPRUNE_NODE or node; script: $SCIPRUNE_PARQUET2SHARD, else\n"
           "   %s)\n", default_script());
}

/* Run parquet2shard.js on the files, its stdout into sciprune_ingest_jsonl(). */
static int ingest_parquet(char **files, int nfiles, const char *out,
                          const sciprune_ingest_options *o, char **conv, int nconv)
{
    const char *node = getenv("SCIPRUNE_NODE");
    if (!node || !*node) node = "node";
    const char *script = getenv("SCIPRUNE_PARQUET2SHARD");
    if (!script || !*script) script = default_script();
    size_t rl = strlen(out) + 32;
    char *rej = malloc(rl);
    char **av = calloc((size_t)(nconv + nfiles + 8), sizeof *av);
    if (!rej || !av) {
        free(rej);
        free(av);
        fprintf(stderr, "sciprune: out of memory\n");
        return CLI_FAIL;
    }
    snprintf(rej, rl, "%s/rejected/parquet.jsonl", out);
    unlink(rej); /* a previous run's */
    int k = 0;
    av[k++] = (char *)node;
    av[k++] = (char *)script;
    for (int i = 0; i < nconv; i++) av[k++] = conv[i];
    av[k++] = "--rejected";
    av[k++] = rej;
    av[k++] = "--";
    for (int i = 0; i < nfiles; i++) av[k++] = files[i];
    av[k] = NULL;
    int fd[2];
    if (pipe(fd) != 0) {
        fprintf(stderr, "sciprune: pipe: %s\n", strerror(errno));
        free(rej);
        free(av);
        return CLI_FAIL;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        if (dup2(fd[1], 1) < 0) _exit(127);
        close(fd[1]);
        execvp(node, av);
        fprintf(stderr, "sciprune: cannot run %s: %s\n", node, strerror(errno));
        _exit(127);
    }
    close(fd[1]);
    if (pid < 0) {
        fprintf(stderr, "sciprune: fork: %s\n", strerror(errno));
        close(fd[0]);
        free(rej);
        free(av);
        return CLI_FAIL;
    }
    FILE *in = fdopen(fd[0], "r");
    sciprune_ingest_stats s;
    sciprune_error e;
    sciprune_status st = SCIPRUNE_EIO;
    if (in) {
        st = sciprune_ingest_jsonl(in, "parquet2shard.js output", out, o, &s, &e);
        fclose(in);
    } else {
        close(fd[0]);
    }
    if (st != SCIPRUNE_OK) kill(pid, SIGTERM);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    int rc = CLI_OK;
    if (!in) {
        fprintf(stderr, "sciprune: fdopen failed\n");
        rc = CLI_FAIL;
    } else if (st != SCIPRUNE_OK) {
        cli_error("ingest --parquet failed", &e);
        rc = CLI_FAIL;
    } else if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
        fprintf(stderr, "sciprune: ingest --parquet failed: %s %s exited with %d; the shards in %s "
                "are incomplete\n", node, script, WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws),
                out);
        rc = CLI_FAIL;
    } else {
        fprintf(stderr, "ingest: %llu records written to %llu shards in %s (%.1f MB of text)\n",
                (unsigned long long)s.files_written, (unsigned long long)s.shards, out,
                (double)s.bytes_written / 1e6);
    }
    free(rej);
    free(av);
    return rc;
}

int cmd_ingest(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, 0, 'o'},         {"docs-per-shard", required_argument, 0, 'n'},
        {"max-file-bytes", required_argument, 0, 'm'}, {"all-files", no_argument, 0, 'a'},
        {"prefix", required_argument, 0, 'p'},      {"level", required_argument, 0, 'l'},
        {"help", no_argument, 0, 'h'},              {"parquet", no_argument, 0, 'P'},
        {"jsonl", required_argument, 0, 'J'},      {"text", required_argument, 0, 't'},
        {"path", required_argument, 0, 'T'},       {"lang", required_argument, 0, 'L'},
        {"id", required_argument, 0, 'i'},         {"keep-columns", no_argument, 0, 'K'},
        {"columns", required_argument, 0, 'C'},    {0, 0, 0, 0}};
    int parquet = 0;
    const char *jsonl = NULL;
    char *conv[64];
    int nconv = 0;
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
        case 'P': parquet = 1; break;
        case 'J': jsonl = optarg; break;
        case 't': if (nconv < 60) { conv[nconv++] = "--text"; conv[nconv++] = optarg; } break;
        case 'T': if (nconv < 60) { conv[nconv++] = "--path"; conv[nconv++] = optarg; } break;
        case 'L': if (nconv < 60) { conv[nconv++] = "--lang"; conv[nconv++] = optarg; } break;
        case 'i': if (nconv < 60) { conv[nconv++] = "--id"; conv[nconv++] = optarg; } break;
        case 'K': if (nconv < 60) conv[nconv++] = "--keep-columns"; break;
        case 'C': if (nconv < 60) { conv[nconv++] = "--columns"; conv[nconv++] = optarg; } break;
        default: return cli_usage_error("ingest", "bad option");
        }
    }
    if (nconv >= 60) return cli_usage_error("ingest", "too many column options");
    if (!out) return cli_usage_error("ingest", "--out is required");
    if (nconv && !parquet) return cli_usage_error("ingest", "column options go with --parquet");
    if (parquet && jsonl) return cli_usage_error("ingest", "--parquet or --jsonl, not both");
    if (parquet) {
        if (optind >= argc) return cli_usage_error("ingest", "give at least one Parquet file");
        return ingest_parquet(argv + optind, argc - optind, out, &o, conv, nconv);
    }
    if (jsonl) {
        if (optind < argc) return cli_usage_error("ingest", "--jsonl takes no folders");
        FILE *in = strcmp(jsonl, "-") ? fopen(jsonl, "r") : stdin;
        if (!in) {
            fprintf(stderr, "sciprune: cannot open %s: %s\n", jsonl, strerror(errno));
            return CLI_FAIL;
        }
        sciprune_ingest_stats s;
        sciprune_error e;
        sciprune_status st = sciprune_ingest_jsonl(in, strcmp(jsonl, "-") ? jsonl : "<stdin>", out,
                                                   &o, &s, &e);
        if (in != stdin) fclose(in);
        if (st != SCIPRUNE_OK) {
            cli_error("ingest --jsonl failed", &e);
            return CLI_FAIL;
        }
        fprintf(stderr, "ingest: %llu records written to %llu shards in %s (%.1f MB of text)\n",
                (unsigned long long)s.files_written, (unsigned long long)s.shards, out,
                (double)s.bytes_written / 1e6);
        return CLI_OK;
    }
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
