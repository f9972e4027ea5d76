/*
 * status.c - sciprune_workdir_status(): what a workdir holds, read from the files run writes
 * (manifest.json, report.json, analyze/report.json; formats in shard/manifest.c,
 * prune/report.c and analyze/analyze.c). The stage list is run's own table (run.c).
 */
#include "run_int.h"

#include <stdlib.h>
#include <string.h>

static json_t *load_opt(const char *workdir, sp_wfile f, sciprune_status *st,
                        sciprune_error *err)
{
    char *p = sp_wpath(workdir, f, NULL);
    json_t *j = NULL;
    if (!p) {
        *st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    } else if (sp_exists(p)) {
        json_error_t je;
        if (!(j = json_load_file(p, 0, &je)))
            *st = sp_err(err, sp_json_load_status(SCIPRUNE_EPARSE), p, je.line, je.position, "%s", je.text);
    }
    free(p);
    return j;
}

static void report_part(sciprune_workdir_info *w, json_t *r)
{
    json_t *c = json_object_get(r, "corpus");
    w->has_report = 1;
    w->records = (uint64_t)json_integer_value(json_object_get(c, "records"));
    w->accepted = (uint64_t)json_integer_value(json_object_get(c, "accepted"));
    w->rejected = (uint64_t)json_integer_value(json_object_get(c, "rejected"));
    w->k = (int)json_integer_value(json_object_get(c, "k"));
    w->dim = (int)json_integer_value(json_object_get(c, "d"));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(r, "variants"), i, v) {
        sciprune_variant_state *x = &w->variants[w->n_variants++];
        const char *n = json_string_value(json_object_get(v, "name"));
        sp_strlcpy(x->name, n ? n : "?", sizeof x->name);
        x->kept = (uint64_t)json_integer_value(json_object_get(v, "kept"));
        x->pruned = (uint64_t)json_integer_value(json_object_get(v, "pruned"));
        x->rejected = (uint64_t)json_integer_value(json_object_get(v, "rejected"));
        json_t *au = json_object_get(v, "auto");
        const char *res = json_string_value(json_object_get(au, "resolved"));
        if (res) {
            sp_strlcpy(x->auto_resolved, res, sizeof x->auto_resolved);
            const char *why = json_string_value(json_object_get(au, "why"));
            sp_strlcpy(w->auto_why, why ? why : "", sizeof w->auto_why);
        }
    }
}

static void analysis_part(sciprune_workdir_info *w, json_t *a)
{
    json_t *rec = json_object_get(a, "recommendation");
    if (!rec) return;
    const char *n = json_string_value(json_object_get(rec, "name"));
    const char *t = json_string_value(json_object_get(rec, "text"));
    w->has_analysis = 1;
    sp_strlcpy(w->recommendation, n ? n : "", sizeof w->recommendation);
    sp_strlcpy(w->rec_text, t ? t : "", sizeof w->rec_text);
    w->rec_ratio = json_number_value(json_object_get(rec, "ratio"));
    w->rec_mean_recall = json_number_value(json_object_get(rec, "mean_recall"));
    w->rec_random_mean_recall = json_number_value(json_object_get(rec, "random_mean_recall"));
    const char *adv = json_string_value(json_object_get(json_object_get(rec, "held_out_advice"), "text"));
    sp_strlcpy(w->rec_advice, adv ? adv : "", sizeof w->rec_advice);
}

sciprune_status sciprune_workdir_status(const char *workdir, sciprune_workdir_info **out,
                                        sciprune_error *err)
{
    *out = NULL;
    char *mp = sp_wpath(workdir, SP_WF_MANIFEST, NULL);
    if (!mp) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    int have = sp_exists(mp);
    free(mp);
    if (!have)
        return sp_err(err, SCIPRUNE_EIO, workdir, -1, -1,
                      "no manifest.json: not a workdir of sciprune run (or nothing ran yet)");
    sp_manifest *m = NULL;
    json_t *r = NULL, *a = NULL;
    sciprune_workdir_info *w = calloc(1, sizeof *w);
    sciprune_status st = w ? sp_manifest_load(&m, workdir, err)
                           : sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    if (st) goto fail;
    w->n_inputs = sp_manifest_n_inputs(m);
    for (int i = 0; i < run_stage_count() && i < SCIPRUNE_STAGE_MAX; i++) {
        sciprune_stage_state *s = &w->stages[w->n_stages++];
        s->name = run_stage_name(i);
        s->optional = run_stage_optional(i);
        s->done = sp_manifest_stage_info(m, s->name, &s->seconds, &s->peak_rss);
    }
    r = load_opt(workdir, SP_WF_REPORT_JSON, &st, err);
    if (st) goto fail;
    if (r) {
        size_t nv = json_array_size(json_object_get(r, "variants"));
        if (!(w->variants = calloc(nv ? nv : 1, sizeof *w->variants))) {
            st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            goto fail;
        }
        report_part(w, r);
    }
    a = load_opt(workdir, SP_WF_ANALYZE_REPORT, &st, err);
    if (st) goto fail;
    if (a) analysis_part(w, a);
    json_decref(r);
    json_decref(a);
    sp_manifest_free(m);
    *out = w;
    return SCIPRUNE_OK;
fail:
    json_decref(r);
    json_decref(a);
    sp_manifest_free(m);
    sciprune_workdir_info_free(w);
    return st;
}

void sciprune_workdir_info_free(sciprune_workdir_info *w)
{
    if (!w) return;
    free(w->variants);
    free(w);
}
