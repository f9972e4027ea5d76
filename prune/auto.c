/*
 * auto.c - score metric "auto": the metric and alpha the corruption-informed analysis of the
 * same workdir recommends (W/analyze/report.json, written by sciprune_analyze). `run` orders
 * analyze before score, so the analysis of a job informs its own pruning.
 *
 * Read from report.json: "recommendation": {"name": "gate+combined-a0.20", "metric":
 * "gate+combined", "alpha": 0.2, "text": "..."}. The metric must be one score knows; alpha
 * is used by the metrics that take one. Written to plan.json per auto variant:
 * "auto": {"resolved": "<metric>", "alpha", "analysis": "<name>", "why": "<text>",
 *          "source": "analyze/report.json"}.
 */
#include "prune_int.h"

#include <stdlib.h>
#include <string.h>

sciprune_status prune_auto_resolve(const char *workdir, prune_auto *out, sciprune_error *err)
{
    memset(out, 0, sizeof *out);
    char *path = sp_wpath(workdir, SP_WF_ANALYZE_REPORT, NULL);
    if (!path) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    json_t *r = NULL;
    sciprune_status st = prune_json_load(path, 1, &r, err);
    if (!st && !r)
        st = sp_err(err, SCIPRUNE_ESTATE, path, -1, -1,
                    "score metric auto takes the analysis' recommendation, and this workdir "
                    "has no analysis: run analyze first (or the corrupt and analyze sections "
                    "of run)");
    json_t *rc = r ? json_object_get(r, "recommendation") : NULL;
    /* the held-out test's plan when the analysis says auto takes it (analyze.held_out_auto) */
    json_t *ha = json_object_get(rc, "auto");
    if (json_is_object(ha) && json_is_string(json_object_get(ha, "metric"))) rc = ha;
    const char *metric = json_string_value(json_object_get(rc, "metric"));
    if (!st && !metric)
        st = sp_err(err, SCIPRUNE_ESTATE, path, -1, -1, "the analysis recommends no metric");
    if (!st && sciprune_score_metric_parse(metric, &out->metric, NULL) != SCIPRUNE_OK)
        st = sp_err(err, SCIPRUNE_ESTATE, path, -1, -1,
                    "the analysis recommends \"%s\", which score does not know", metric);
    if (!st && out->metric == SCIPRUNE_METRIC_AUTO)
        st = sp_err(err, SCIPRUNE_ESTATE, path, -1, -1, "the analysis recommends auto itself");
    if (!st) {
        json_t *a = json_object_get(rc, "alpha");
        out->alpha = json_is_number(a) ? json_number_value(a) : 0.0;
        if (rank_metric_has_alpha(out->metric) && !(out->alpha >= 0 && out->alpha <= 1))
            st = sp_err(err, SCIPRUNE_ESTATE, path, -1, -1, "the recommendation has no alpha in [0, 1]");
        const char *n = json_string_value(json_object_get(rc, "name"));
        const char *t = json_string_value(json_object_get(rc, "text"));
        sp_strlcpy(out->name, n ? n : metric, sizeof out->name);
        sp_strlcpy(out->why, t ? t : "", sizeof out->why);
    }
    json_decref(r);
    free(path);
    return st;
}

json_t *prune_auto_json(const prune_auto *a)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "resolved", sciprune_score_metric_name(a->metric),
                          "analysis", a->name, "why", a->why, "source", "analyze/report.json");
    if (o && rank_metric_has_alpha(a->metric)) json_object_set_new(o, "alpha", json_real(a->alpha));
    return o;
}
