/*
 * decontam.c - the score stage's view of the decontamination stage (decontam/): when
 * W/decontam/summary.json exists, W/decontam/<shard>.decontam.npy (uint8 per line, > 0 =
 * contaminated) is loaded for every shard, and score.c removes those records in every variant
 * before the budget, like a gate (see sciprune_score_sweep).
 */
#include "prune_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sciprune_status prune_decontam_load(const char *workdir, const sciprune_shard_set *shards,
                                    const uint64_t *off, uint8_t **out, sciprune_error *err)
{
    *out = NULL;
    char *sp = sp_wpath(workdir, SP_WF_DECONTAM_SUMMARY, NULL);
    if (!sp) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    int have = sp_exists(sp);
    free(sp);
    if (!have) return SCIPRUNE_OK;
    uint64_t ntot = off[shards->n];
    uint8_t *f = calloc(ntot ? ntot : 1, 1);
    if (!f) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    for (size_t i = 0; i < shards->n; i++) {
        char *p = sp_wpath(workdir, SP_WF_DECONTAM, shards->names[i]);
        if (!p) {
            free(f);
            return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        }
        sp_npy a;
        sciprune_status st = sp_npy_open(&a, p, err);
        if (st == SCIPRUNE_EIO)
            st = sp_err(err, SCIPRUNE_ESTATE, p, -1, -1,
                        "missing: W/decontam covers other shards (rerun `sciprune decontam` "
                        "over every shard, or remove W/decontam)");
        uint64_t rows = off[i + 1] - off[i];
        if (!st && (a.dtype != SP_NPY_U8 || a.cols || a.rows != rows)) {
            sp_npy_close(&a);
            st = sp_err(err, SCIPRUNE_ESTATE, p, -1, -1,
                        "want a uint8 vector of %llu rows like assign/: decontam ran on other shards",
                        (unsigned long long)rows);
        }
        free(p);
        if (st) {
            free(f);
            return st;
        }
        const uint8_t *v = a.data;
        for (uint64_t r = 0; r < rows; r++) f[off[i] + r] = v[r];
        sp_npy_close(&a);
    }
    *out = f;
    return SCIPRUNE_OK;
}

/* The report's decontamination section, when the plan used W/decontam/: report.json
 * "decontam": {"removed", "removed_exact", "removed_ngram", "accepted", "df_cap", "log",
 * "settings", "benchmarks": [{"name", "format", "items", "allowlisted", "removed_exact",
 * "removed_ngram"}]}, and report.md's table. Errors: EPARSE, ENOMEM. */
sciprune_status prune_decontam_report(const char *workdir, const json_t *plan, json_t **out_json,
                                      char **out_md, sciprune_error *err)
{
    *out_json = NULL;
    *out_md = NULL;
    if (!plan || !json_object_get(plan, "decontam")) return SCIPRUNE_OK;
    char *sp = sp_wpath(workdir, SP_WF_DECONTAM_SUMMARY, NULL);
    if (!sp) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    json_t *sum = NULL;
    sciprune_status st = prune_json_load(sp, 1, &sum, err);
    free(sp);
    if (st || !sum) return st;
    json_t *bl = json_array();
    json_t *o = json_pack("{s:O, s:O, s:O, s:O, s:O, s:s, s:O, s:o}", "removed",
                          json_object_get(sum, "removed"), "removed_exact",
                          json_object_get(sum, "removed_exact"), "removed_ngram",
                          json_object_get(sum, "removed_ngram"), "accepted",
                          json_object_get(sum, "accepted"), "df_cap", json_object_get(sum, "df_cap"),
                          "log", "decontam/removed.jsonl", "settings",
                          json_object_get(sum, "settings"), "benchmarks", bl);
    size_t cap = 1024, n = 0;
    char *md = malloc(cap);
    if (!o || !md) {
        json_decref(o);
        json_decref(sum);
        free(md);
        return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    }
    n = (size_t)snprintf(md, cap,
                         "## Decontamination (W/decontam/)\n\n%lld of %lld accepted files contain a "
                         "benchmark problem and are removed in every variant before the budget "
                         "(exact %lld, ngram %lld; every one in decontam/removed.jsonl).\n\n"
                         "| benchmark | format | items | allowlisted texts | removed exact | removed ngram |\n"
                         "|---|---|---:|---:|---:|---:|\n",
                         (long long)json_integer_value(json_object_get(sum, "removed")),
                         (long long)json_integer_value(json_object_get(sum, "accepted")),
                         (long long)json_integer_value(json_object_get(sum, "removed_exact")),
                         (long long)json_integer_value(json_object_get(sum, "removed_ngram")));
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(sum, "benchmarks"), i, b) {
        json_array_append_new(bl, json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "name",
                                            json_object_get(b, "name"), "format", json_object_get(b, "format"),
                                            "items", json_object_get(b, "items"), "allowlisted",
                                            json_object_get(b, "allowlisted"), "removed_exact",
                                            json_object_get(b, "removed_exact"), "removed_ngram",
                                            json_object_get(b, "removed_ngram")));
        char row[1024]; /* two cells of at most 255 bytes (SP_MD) and four numbers */
        int w = snprintf(row, sizeof row, "| %s | %s | %lld | %lld | %lld | %lld |\n",
                         SP_MD(json_string_value(json_object_get(b, "name"))),
                         SP_MD(json_string_value(json_object_get(b, "format"))),
                         (long long)json_integer_value(json_object_get(b, "items")),
                         (long long)json_integer_value(json_object_get(b, "allowlisted")),
                         (long long)json_integer_value(json_object_get(b, "removed_exact")),
                         (long long)json_integer_value(json_object_get(b, "removed_ngram")));
        if (w < 0 || (size_t)w >= sizeof row) continue;
        if (n + (size_t)w + 2 > cap) {
            char *nm = realloc(md, (n + (size_t)w + 2) * 2);
            if (!nm) {
                free(md);
                json_decref(o);
                json_decref(sum);
                return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            }
            md = nm;
            cap = (n + (size_t)w + 2) * 2;
        }
        memcpy(md + n, row, (size_t)w + 1);
        n += (size_t)w;
    }
    if (n + 2 > cap) {
        char *nm = realloc(md, n + 2);
        if (!nm) {
            free(md);
            json_decref(o);
            json_decref(sum);
            return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        }
        md = nm;
    }
    memcpy(md + n, "\n", 2);
    json_decref(sum);
    *out_json = o;
    *out_md = md;
    return SCIPRUNE_OK;
}
