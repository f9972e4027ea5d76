/* cmd_check.c - `sciprune check --in SHARDS... --out DIR`: read every line of every shard,
 * account for it (accepted or rejected with a reason) and write DIR/rejected/<shard>.jsonl and
 * DIR/check.json. */
#include "cli.h"

#include <errno.h>
#include <jansson.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NREASONS (SCIPRUNE_REJECT_STREAM + 1)

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

static int mkdir_p(const char *d)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", d);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0777) && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
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
    int c, rc = CLI_OK;
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
    char rejdir[4096];
    snprintf(rejdir, sizeof rejdir, "%s/rejected", out);
    if (mkdir_p(rejdir)) {
        fprintf(stderr, "sciprune: cannot create %s: %s\n", rejdir, strerror(errno));
        free(ins);
        return CLI_FAIL;
    }
    cli_progress prog;
    cli_progress_start(&prog, "check", cli_total_size(ins, nin));
    uint64_t tot_lines = 0, tot_ok = 0, tot_rej = 0, tot_bytes_done = 0, tot_text = 0;
    uint64_t tot_reason[NREASONS] = {0};
    char jpath[4096], jtmp[4200];
    snprintf(jpath, sizeof jpath, "%s/check.json", out);
    snprintf(jtmp, sizeof jtmp, "%s.tmp.%ld", jpath, (long)getpid());
    json_t *jshards = json_array();
    for (int i = 0; i < nin && rc == CLI_OK; i++) {
        sciprune_error e;
        sciprune_shard_reader *r = NULL;
        if (sciprune_shard_reader_open(&r, ins[i], &so, &e)) {
            cli_error("cannot read shard", &e);
            rc = CLI_FAIL;
            break;
        }
        const char *name = sciprune_shard_name(ins[i]);
        char rpath[4200];
        snprintf(rpath, sizeof rpath, "%s/%s.jsonl", rejdir, name);
        sciprune_shard_writer *rw = NULL;
        if (sciprune_shard_writer_open(&rw, rpath, NULL, &e)) {
            cli_error("cannot write rejected records", &e);
            sciprune_shard_reader_close(r);
            rc = CLI_FAIL;
            break;
        }
        uint64_t lines = 0, ok = 0, rej = 0, reason[NREASONS] = {0};
        const sciprune_record *rec;
        for (;;) {
            if (sciprune_shard_reader_next(r, &rec, &e)) {
                cli_error("read failed", &e);
                rc = CLI_FAIL;
                break;
            }
            if (!rec) break;
            lines++;
            if (rec->reject == SCIPRUNE_REJECT_NONE) {
                ok++;
                tot_text += rec->text_len;
            } else {
                if (fail_fast) {
                    fprintf(stderr, "sciprune: %s:%lld: rejected (%s): %s\n", ins[i],
                            (long long)rec->line, sciprune_reject_name(rec->reject), rec->detail);
                    rc = CLI_FAIL;
                    break;
                }
                rej++;
                reason[rec->reject]++;
                if (sciprune_reject_write(rw, name, rec, &e)) {
                    cli_error("cannot write rejected record", &e);
                    rc = CLI_FAIL;
                    break;
                }
            }
            if ((lines & 1023) == 0)
                cli_progress_update(&prog, tot_lines + lines, tot_bytes_done + sciprune_shard_reader_tell(r));
        }
        tot_bytes_done += sciprune_shard_reader_tell(r);
        sciprune_shard_reader_close(r);
        if (rc != CLI_OK || rej == 0) {
            sciprune_shard_writer_abort(rw);
            if (rc == CLI_OK) unlink(rpath); /* a stale file from an earlier run */
        } else if (sciprune_shard_writer_close(rw, &e)) {
            cli_error("cannot write rejected records", &e);
            rc = CLI_FAIL;
        }
        tot_lines += lines;
        tot_ok += ok;
        tot_rej += rej;
        json_t *jr = json_object();
        for (int k = 1; k < NREASONS; k++)
            if (reason[k]) {
                json_object_set_new(jr, sciprune_reject_name((sciprune_reject)k), json_integer((json_int_t)reason[k]));
                tot_reason[k] += reason[k];
            }
        json_array_append_new(jshards, json_pack("{s:s, s:I, s:I, s:I, s:o}", "shard", name, "lines",
                                                 (json_int_t)lines, "accepted", (json_int_t)ok,
                                                 "rejected", (json_int_t)rej, "reasons", jr));
        if (lines == 0 && rc == CLI_OK) fprintf(stderr, "sciprune: warning: %s is empty\n", ins[i]);
    }
    cli_progress_end(&prog);
    json_t *jall = json_pack("{s:o, s:I, s:I, s:I, s:I}", "shards", jshards, "lines", (json_int_t)tot_lines,
                             "accepted", (json_int_t)tot_ok, "rejected", (json_int_t)tot_rej,
                             "text_bytes", (json_int_t)tot_text);
    if (rc == CLI_OK && (json_dump_file(jall, jtmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
                         rename(jtmp, jpath) != 0)) {
        unlink(jtmp);
        fprintf(stderr, "sciprune: cannot write %s: %s\n", jpath, strerror(errno));
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK) {
        fprintf(stderr, "check: %d shards, %llu lines: %llu accepted, %llu rejected", nin,
                (unsigned long long)tot_lines, (unsigned long long)tot_ok, (unsigned long long)tot_rej);
        for (int k = 1; k < NREASONS; k++)
            if (tot_reason[k])
                fprintf(stderr, " %s=%llu", sciprune_reject_name((sciprune_reject)k), (unsigned long long)tot_reason[k]);
        fprintf(stderr, "; summary in %s\n", jpath);
    }
    json_decref(jall);
    free(ins);
    return rc;
}
