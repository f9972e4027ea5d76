/*
 * fuzz_config.c - property: the job config parser (run/config.c) turns any bytes into either a
 * complete job or an error with a message, and frees everything either way (ASan's leak
 * check). The config is written into a private folder holding a.jsonl, b.jsonl.zst and
 * sub/c.jsonl, so that relative input globs can match. Inputs that glob outside that folder
 * (an absolute pattern or one with "..") are skipped: walking the file system is slow and not
 * the parser's business. A parsed job has at least one input, each an existing file, and a
 * workdir.
 */
#include "fuzz_util.h"

#include "../../run/run_int.h"

#include <sys/stat.h>

static int globs_stay_inside(const uint8_t *data, size_t size)
{
    json_t *j = json_loadb((const char *)data, size, 0, NULL);
    json_t *in = json_object_get(j, "inputs");
    int ok = 1;
    size_t i;
    json_t *v;
    json_array_foreach(in, i, v) {
        const char *s = json_string_value(v);
        if (s && (s[0] == '/' || strstr(s, ".."))) ok = 0;
    }
    json_decref(j);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        char p[160];
        fuzz_write("a.jsonl", "{\"content\":\"x\"}\n", 16);
        fuzz_write("b.jsonl.zst", "", 0);
        snprintf(p, sizeof p, "%s/sub", fuzz_dir());
        mkdir(p, 0700);
        fuzz_write("sub/c.jsonl", "", 0);
        ready = 1;
    }
    if (size > 65536 || !globs_stay_inside(data, size)) return 0;
    const char *path = fuzz_write("config.json", data, size);
    sciprune_run_options o;
    sciprune_run_options_default(&o);
    run_job j;
    sciprune_error err;
    memset(&err, 0, sizeof err);
    sciprune_status st = run_job_parse(&j, path, &o, &err);
    if (st == SCIPRUNE_OK) {
        FUZZ_CHECK(j.n_inputs >= 1 && j.workdir && j.workdir[0]);
        for (size_t i = 0; i < j.n_inputs; i++) FUZZ_CHECK(access(j.inputs[i], F_OK) == 0);
    } else {
        FUZZ_CHECK(err.code == st && err.text[0]);
    }
    run_job_free(&j);
    return 0;
}
