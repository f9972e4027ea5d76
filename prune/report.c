/*
 * report.c - report.json and report.md: one place for what every stage did.
 *
 * report.json:
 *   {"version", "corpus": {"records", "accepted", "rejected", "k", "k_requested", "d",
 *    "metric", "warnings", "too_deep", "too_large" (embed/summary.json: records the parse
 *    guard kept from tree-sitter; only when > 0)},
 *    "variants": [{"name", "metric", "ratio", "alpha", "threshold", "n_pruned" (plan),
 *                  "kept", "pruned", "rejected", "kept_bytes", "pruned_bytes",
 *                  "rejected_bytes", "kept_tokens", "pruned_tokens" (tokens:
 *                  sciprune_tokens_approx; from out/prune.json, absent before the prune stage),
 *                  "auto" (metric auto: {"resolved", "alpha", "analysis", "why", "source"})}],
 *    "budget": {"unit", "total"} (score/plan.json; only for a bytes or tokens budget),
 *    "languages": [...] (out/prune.json: records, bytes, tokens and per variant kept and
 *    pruned of each), "language_share": [{"variant", "ratio", "per_lang", "languages": {lang:
 *    {"records", "pruned", "unit" (score.budget's), "share" (of the unit), "over_2p",
 *    "n_gated" (proportional gate plans)}}}]
 *    (language_share(); report.md warns for each over_2p), "clusters": [...] (score/plan.json),
 *    "stages": {"<stage>": {"seconds", "peak_rss"}}}: with a `sciprune run` manifest
 *    (manifest.json), every stage it recorded in run order (embed, gates, index, corrupt,
 *    analyze, score) and prune (out/prune.json); gates riding on embed read 0 s. peak_rss is
 *    the stage's own high-water mark: VmHWM, reset before each stage (sp_peak_rss_reset;
 *    where Linux refuses the reset, the process' peak so far). Without a manifest (stages run
 *    one by one): index_train, index_assign, score, prune from their files.
 *    "decontam": {...} (when score used W/decontam/: prune/decontam.c),
 *    "eval": pass@1 of W/eval/ (prune/results.c), only when there are results.
 * Sections whose stage file is missing are left out. report.md renders the same tables, with
 * "Kept per language": records / MB / thousand approximate tokens kept per variant.
 */
#include "prune_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct mbuf {
    char *p;
    size_t n, cap;
    int oom;
} mbuf;

static void mb_printf(mbuf *b, const char *fmt, ...) SP_PRINTF(2, 3);
static void mb_printf(mbuf *b, const char *fmt, ...)
{
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (w < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && b->n + (size_t)w < b->cap) {
            b->n += (size_t)w;
            return;
        }
        size_t nc = b->cap ? b->cap * 2 : 4096;
        while (nc < b->n + (size_t)w + 1) nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
}

static const char *str_or(const json_t *v, const char *d)
{
    const char *s = json_string_value(v);
    return s ? s : d;
}

static json_int_t ji(const json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }
static double jr(const json_t *o, const char *k) { return json_number_value(json_object_get(o, k)); }

static json_t *stage(const json_t *src)
{
    if (!src) return NULL;
    return json_pack("{s:O?, s:O?}", "seconds", json_object_get(src, "seconds"), "peak_rss",
                     json_object_get(src, "peak_rss"));
}

static double pct(json_int_t a, json_int_t b) { return b ? 100.0 * (double)a / (double)b : 0.0; }

static void md_threshold(mbuf *b, const json_t *th)
{
    const char *key;
    json_t *v;
    int first = 1;
    json_object_foreach((json_t *)th, key, v) {
        if (json_is_object(v)) continue;
        mb_printf(b, "%s%s=", first ? "" : ", ", SP_MD(key));
        if (json_is_integer(v)) mb_printf(b, "%lld", (long long)json_integer_value(v));
        else if (json_is_real(v)) mb_printf(b, "%.4g", json_real_value(v));
        else if (json_is_string(v)) mb_printf(b, "%s", SP_MD(json_string_value(v)));
        else if (json_is_boolean(v)) mb_printf(b, "%s", json_is_true(v) ? "true" : "false");
        first = 0;
    }
}

/* The stage files the report is made of (NULL when missing); owned. */
typedef struct sources {
    json_t *train, *clus, *plan, *pr; /* index/train.json, index/clusters.json,
                                         score/plan.json, out/prune.json */
    json_t *gsum;                      /* gates/summary.json when a plan used the gates */
    json_t *esum;                      /* embed/summary.json (the parse guard's counts) */
    json_t *man;                       /* manifest.json (sciprune run) */
} sources;

static void sources_clear(sources *src)
{
    json_decref(src->train);
    json_decref(src->clus);
    json_decref(src->plan);
    json_decref(src->pr);
    json_decref(src->gsum);
    json_decref(src->esum);
    json_decref(src->man);
}

/* Load the stage files there are. Errors: EPARSE, ENOMEM. */
static sciprune_status load_sources(const char *workdir, sources *src, sciprune_error *err)
{
    const sp_wfile names[4] = {SP_WF_TRAIN, SP_WF_CLUSTERS, SP_WF_PLAN, SP_WF_PRUNE_SUMMARY};
    json_t **dst[4] = {&src->train, &src->clus, &src->plan, &src->pr};
    sciprune_status st;
    for (int i = 0; i < 4; i++) {
        char *p = sp_wpath(workdir, names[i], NULL);
        if (!p) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        st = prune_json_load(p, 1, dst[i], err);
        free(p);
        if (st) return st;
    }
    char *ep = sp_wpath(workdir, SP_WF_EMBED_SUMMARY, NULL);
    if (!ep) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    st = prune_json_load(ep, 1, &src->esum, err);
    free(ep);
    if (st) return st;
    char *mp = sp_wpath(workdir, SP_WF_MANIFEST, NULL);
    if (!mp) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    st = prune_json_load(mp, 1, &src->man, err);
    free(mp);
    if (st) return st;
    /* the gates' summary, when a plan used them */
    json_t *pv0 = src->plan ? json_object_get(src->plan, "variants") : NULL;
    int plans = 0;
    for (size_t v = 0; v < json_array_size(pv0); v++)
        plans |= !strncmp(str_or(json_object_get(json_array_get(pv0, v), "metric"), ""), "gate+", 5);
    if (!plans) return SCIPRUNE_OK;
    char *gp = sp_wpath(workdir, SP_WF_GATES_SUMMARY, NULL);
    if (!gp) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    st = prune_json_load(gp, 1, &src->gsum, err);
    free(gp);
    return st;
}

/* report.json's "language_share": per variant of out/prune.json, the share of each language's
 * accepted records it prunes and "over_2p" (share > 2 x the variant's ratio: the budget wipes
 * the language out; score.per_lang proportional keeps it at p unless the gates flag more), and
 * the plan's "per_lang" and, for proportional gate plans, the language's "n_gated". NULL
 * without out/prune.json languages. */
static json_t *language_share(const json_t *pr, const json_t *plan)
{
    json_t *langs = pr ? json_object_get(pr, "languages") : NULL, *wv = pr ? json_object_get(pr, "variants") : NULL;
    json_t *pv = plan ? json_object_get(plan, "variants") : NULL;
    if (!json_array_size(langs) || !json_array_size(wv)) return NULL;
    /* the share is of the budget's unit: records, or bytes / tokens (score.budget) */
    const char *unit = str_or(json_object_get(json_object_get(plan, "budget"), "unit"), "records");
    const char *tot_key = !strcmp(unit, "bytes") ? "bytes" : !strcmp(unit, "tokens") ? "tokens" : "records";
    const char *pr_key = !strcmp(unit, "bytes")    ? "pruned_bytes"
                         : !strcmp(unit, "tokens") ? "pruned_tokens"
                                                   : "pruned";
    json_t *out = json_array();
    for (size_t v = 0; v < json_array_size(wv); v++) {
        const char *nm = str_or(json_object_get(json_array_get(wv, v), "name"), "");
        json_t *pvv = NULL;
        for (size_t i = 0; i < json_array_size(pv); i++)
            if (!strcmp(nm, str_or(json_object_get(json_array_get(pv, i), "name"), "")))
                pvv = json_array_get(pv, i);
        double ratio = jr(pvv, "ratio");
        json_t *pl = json_object_get(json_object_get(pvv, "threshold"), "per_lang");
        json_t *lo = json_object();
        for (size_t l = 0; l < json_array_size(langs); l++) {
            json_t *o = json_array_get(langs, l);
            const char *ln = str_or(json_object_get(o, "lang"), "?");
            json_int_t n = ji(o, "records"), np = json_integer_value(json_array_get(json_object_get(o, "pruned"), v));
            double tot = jr(o, tot_key), upr = json_number_value(json_array_get(json_object_get(o, pr_key), v));
            double share = tot > 0 ? upr / tot : 0.0;
            json_t *x = json_pack("{s:I, s:I, s:s, s:f, s:b}", "records", n, "pruned", np, "unit", unit,
                                  "share", share, "over_2p", pvv && tot > 0 && share > 2.0 * ratio);
            json_t *g = json_object_get(json_object_get(pl, ln), "n_gated");
            if (g) json_object_set(x, "n_gated", g);
            json_object_set_new(lo, ln, x);
        }
        json_array_append_new(out, json_pack("{s:s, s:f, s:s, s:o}", "variant", nm, "ratio", ratio,
                                             "per_lang", str_or(json_object_get(pvv, "per_lang"), "global"),
                                             "languages", lo));
    }
    return out;
}

/* report.json's object (see the header comment). */
static json_t *build_report(const sources *src)
{
    json_t *train = src->train, *clus = src->clus, *plan = src->plan, *pr = src->pr,
           *gsum = src->gsum;
    json_t *rep;
    rep = json_pack("{s:s}", "version", sciprune_version());
    if (gsum) json_object_set(rep, "gates", gsum);
    json_t *corpus = json_object();
    json_object_set_new(rep, "corpus", corpus);
    const json_t *base = plan ? plan : clus;
    if (base) {
        json_object_set(corpus, "records", json_object_get(base, "n_records"));
        json_object_set(corpus, "accepted", json_object_get(base, "n_accepted"));
        json_object_set(corpus, "rejected", json_object_get(base, "n_rejected"));
        json_object_set(corpus, "k", json_object_get(base, "k"));
    }
    if (clus) {
        json_object_set(corpus, "d", json_object_get(clus, "d"));
        json_object_set(corpus, "metric", json_object_get(clus, "metric"));
    }
    /* records the parse guard kept from tree-sitter (embed/summary.json; only when some) */
    json_t *etot = src->esum ? json_object_get(src->esum, "totals") : NULL;
    if (ji(etot, "too_deep")) json_object_set(corpus, "too_deep", json_object_get(etot, "too_deep"));
    if (ji(etot, "too_large")) json_object_set(corpus, "too_large", json_object_get(etot, "too_large"));
    if (train) {
        json_object_set(corpus, "k_requested", json_object_get(train, "k_requested"));
        json_object_set(corpus, "n_sample", json_object_get(train, "n_sample"));
        json_object_set(corpus, "seed", json_object_get(train, "seed"));
        json_object_set(corpus, "warnings", json_object_get(train, "warnings"));
    }
    json_t *vars = json_array();
    json_object_set_new(rep, "variants", vars);
    json_t *pv = plan ? json_object_get(plan, "variants") : NULL;
    json_t *wv = pr ? json_object_get(pr, "variants") : NULL;
    for (size_t v = 0; v < json_array_size(pv); v++) {
        json_t *o = json_deep_copy(json_array_get(pv, v));
        json_object_del(o, "bit");
        json_object_del(o, "n_kept");
        const char *nm = json_string_value(json_object_get(o, "name"));
        for (size_t w = 0; nm && w < json_array_size(wv); w++) {
            json_t *x = json_array_get(wv, w);
            if (strcmp(nm, str_or(json_object_get(x, "name"), ""))) continue;
            const char *f[] = {"kept", "pruned", "rejected", "kept_bytes", "pruned_bytes",
                               "rejected_bytes", "kept_tokens", "pruned_tokens"};
            for (size_t i = 0; i < sizeof f / sizeof *f; i++)
                json_object_set(o, f[i], json_object_get(x, f[i]));
        }
        json_array_append_new(vars, o);
    }
    if (pr) json_object_set(rep, "languages", json_object_get(pr, "languages"));
    json_t *ls = language_share(pr, plan);
    if (ls) json_object_set_new(rep, "language_share", ls);
    if (plan && json_object_get(plan, "budget"))
        json_object_set(rep, "budget", json_object_get(plan, "budget"));
    if (plan) json_object_set(rep, "clusters", json_object_get(plan, "clusters"));
    json_t *stg = json_object();
    json_object_set_new(rep, "stages", stg);
    json_t *sv;
    json_t *mst = src->man ? json_object_get(src->man, "stages") : NULL;
    if (json_object_size(mst)) {
        static const char *const order[] = {"embed", "gates", "index", "corrupt", "analyze", "score"};
        for (size_t i = 0; i < sizeof order / sizeof *order; i++)
            if ((sv = stage(json_object_get(mst, order[i])))) json_object_set_new(stg, order[i], sv);
        const char *key;
        json_t *v;
        json_object_foreach(mst, key, v) /* stages added since, after the known ones */
            if (strcmp(key, "prune") && !json_object_get(stg, key) && (sv = stage(v)))
                json_object_set_new(stg, key, sv);
    } else {
        if ((sv = stage(train))) json_object_set_new(stg, "index_train", sv);
        if ((sv = stage(clus))) json_object_set_new(stg, "index_assign", sv);
        if ((sv = stage(plan))) json_object_set_new(stg, "score", sv);
    }
    if ((sv = stage(pr))) json_object_set_new(stg, "prune", sv);
    return rep;
}

/* report.md: pass@1 per benchmark per variant beside the corruption recall (results.c). */
static void md_eval(mbuf *md, const json_t *ev)
{
    json_t *bs = json_object_get(ev, "benchmarks"), *vs = json_object_get(ev, "variants");
    if (!json_array_size(bs)) return;
    mb_printf(md, "## Evaluation results\n\npass@1 per benchmark (`sciprune eval add`, W/eval/), "
                  "[bootstrap 95 %% interval] where per-problem results exist; recall: the "
                  "variant's metric's mean corruption recall in the analysis");
    if (json_is_number(json_object_get(ev, "recall_ratio")))
        mb_printf(md, " (p = %.2f)", json_number_value(json_object_get(ev, "recall_ratio")));
    else
        mb_printf(md, " (none: this workdir has no analysis)");
    mb_printf(md, ".\n\n| variant | recall |");
    for (size_t b = 0; b < json_array_size(bs); b++) mb_printf(md, " %s |", SP_MD(json_string_value(json_array_get(bs, b))));
    mb_printf(md, "\n|---|---:|");
    for (size_t b = 0; b < json_array_size(bs); b++) mb_printf(md, "---|");
    mb_printf(md, "\n");
    for (size_t v = 0; v < json_array_size(vs); v++) {
        json_t *x = json_array_get(vs, v), *r = json_object_get(x, "results"), *rc = json_object_get(x, "recall");
        if (!json_object_size(r)) continue;
        mb_printf(md, "| %s | ", SP_MD(json_string_value(json_object_get(x, "name"))));
        if (json_is_number(rc)) mb_printf(md, "%.3f |", json_number_value(rc));
        else mb_printf(md, "- |");
        for (size_t b = 0; b < json_array_size(bs); b++) {
            json_t *e = json_object_get(r, json_string_value(json_array_get(bs, b)));
            if (!e) mb_printf(md, " - |");
            else if (json_object_get(e, "lo"))
                mb_printf(md, " %.3f [%.3f, %.3f] |", jr(e, "pass@1"), jr(e, "lo"), jr(e, "hi"));
            else mb_printf(md, " %.3f |", jr(e, "pass@1"));
        }
        mb_printf(md, "\n");
    }
    mb_printf(md, "\n");
    const char *key;
    json_t *t;
    json_object_foreach(json_object_get(ev, "verdict"), key, t)
        mb_printf(md, "- %s\n", SP_MD(json_string_value(t)));
    mb_printf(md, "\n");
}

/* report.md: the corpus in one paragraph and the training warnings. */
static void md_summary(mbuf *md, const sources *src, const json_t *base)
{
    const json_t *clus = src->clus, *train = src->train;
    mb_printf(md, "# sciprune report\n\n");
    if (base) {
        mb_printf(md, "%lld records: %lld accepted, %lld rejected. ", (long long)ji(base, "n_records"),
                  (long long)ji(base, "n_accepted"), (long long)ji(base, "n_rejected"));
    }
    if (clus)
        mb_printf(md, "k = %lld clusters (%s, d = %lld)", (long long)ji(clus, "k"),
                  str_or(json_object_get(clus, "metric"), "?"), (long long)ji(clus, "d"));
    if (train)
        mb_printf(md, ", trained on %lld sampled records (seed %lld)", (long long)ji(train, "n_sample"),
                  (long long)ji(train, "seed"));
    mb_printf(md, ".\n\n");
    json_t *etot = src->esum ? json_object_get(src->esum, "totals") : NULL;
    if (ji(etot, "too_deep") || ji(etot, "too_large"))
        mb_printf(md, "%lld records too deep and %lld too large to parse (the parse guard): "
                      "embedded from their words, not judged by the gates, never corruption "
                      "sources.\n\n",
                  (long long)ji(etot, "too_deep"), (long long)ji(etot, "too_large"));
    json_t *warns = train ? json_object_get(train, "warnings") : NULL;
    for (size_t i = 0; i < json_array_size(warns); i++)
        mb_printf(md, "> **Warning:** %s\n\n", json_string_value(json_array_get(warns, i)));
}

/* report.md: the variants, the gates over budget and the gates' summary. */
static void md_variants(mbuf *md, const json_t *vars, const json_t *base, const json_t *gsum)
{
    if (json_array_size(vars)) {
        mb_printf(md, "## Variants\n\n| variant | pruned (plan) | kept | pruned | rejected | kept MB | "
                       "pruned MB | kept k tokens | threshold |\n|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (size_t v = 0; v < json_array_size(vars); v++) {
            json_t *o = json_array_get(vars, v);
            json_int_t acc = base ? ji(base, "n_accepted") : 0;
            mb_printf(md, "| %s | %lld (%.1f%%) | ", SP_MD(json_string_value(json_object_get(o, "name"))),
                      (long long)ji(o, "n_pruned"), pct(ji(o, "n_pruned"), acc));
            if (json_object_get(o, "kept"))
                mb_printf(md, "%lld | %lld | %lld | %.2f | %.2f | %.1f | ", (long long)ji(o, "kept"),
                          (long long)ji(o, "pruned"), (long long)ji(o, "rejected"),
                          jr(o, "kept_bytes") / 1e6, jr(o, "pruned_bytes") / 1e6,
                          jr(o, "kept_tokens") / 1e3);
            else
                mb_printf(md, "- | - | - | - | - | - | ");
            md_threshold(md, json_object_get(o, "threshold"));
            mb_printf(md, " |\n");
        }
        mb_printf(md, "\n");
        for (size_t v = 0; v < json_array_size(vars); v++) {
            json_t *o = json_array_get(vars, v), *au = json_object_get(o, "auto");
            if (!au) continue;
            mb_printf(md, "**%s** is metric auto: the analysis of this workdir recommends "
                           "**%s** (`analyze/report.json`): %s\n\n",
                      SP_MD(json_string_value(json_object_get(o, "name"))),
                      SP_MD(str_or(json_object_get(au, "analysis"), "?")),
                      str_or(json_object_get(au, "why"), ""));
        }
        for (size_t v = 0; v < json_array_size(vars); v++) {
            json_t *o = json_array_get(vars, v);
            json_t *th = json_object_get(o, "threshold");
            if (!json_is_true(json_object_get(th, "gates_exceed_budget"))) continue;
            json_int_t acc = base ? ji(base, "n_accepted") : 0;
            mb_printf(md, "> **Gates over budget:** %s: the gates flag %lld records (%.1f%%), more "
                           "than the ratio allows; every gated record is pruned and nothing by "
                           "the fill metric.\n\n",
                      SP_MD(json_string_value(json_object_get(o, "name"))), (long long)ji(th, "n_gated"),
                      pct(ji(th, "n_gated"), acc));
        }
        if (gsum) {
            json_t *gl = json_object_get(gsum, "languages");
            const char *lang;
            json_t *lo;
            mb_printf(md, "## Quality gates (W/gates/summary.json)\n\n| language | files | "
                           "parse_error | flagged | if on | undefined_name | flagged | if on | "
                           "abstained |\n|---|---:|---|---:|---:|---|---:|---:|---:|\n");
            json_object_foreach(gl, lang, lo) {
                json_t *pe = json_object_get(lo, "parse_error"), *un = json_object_get(lo, "undefined_name");
                mb_printf(md, "| %s | %lld | %s | %.2f%% | %.2f%% | %s | %.2f%% | %.2f%% | %.1f%% |\n", SP_MD(lang),
                          (long long)ji(lo, "files"), json_is_true(json_object_get(pe, "on")) ? "on" : "off",
                          100 * jr(pe, "share"), 100 * jr(pe, "share_if_on"),
                          json_is_true(json_object_get(un, "on")) ? "on" : "off", 100 * jr(un, "share"),
                          100 * jr(un, "share_if_on"), 100 * jr(un, "abstained_share"));
            }
            mb_printf(md, "\n");
        }
    }
}

/* report.md: a warning for each variant that prunes more than 2p of a language
 * (report.json "language_share"). */
static void md_language_warnings(mbuf *md, const json_t *ls)
{
    int any = 0;
    for (size_t v = 0; v < json_array_size(ls); v++) {
        json_t *x = json_array_get(ls, v), *lo = json_object_get(x, "languages"), *o;
        const char *ln;
        json_object_foreach(lo, ln, o) {
            if (!json_is_true(json_object_get(o, "over_2p"))) continue;
            if (!any) mb_printf(md, "**Warning: languages wiped out by the budget.**\n\n");
            any = 1;
            mb_printf(md, "- %s (per_lang %s) prunes %.1f%% of the %s of %s (%lld of %lld records), "
                          "more than 2p = %.0f%%",
                      SP_MD(str_or(json_object_get(x, "variant"), "?")),
                      SP_MD(str_or(json_object_get(x, "per_lang"), "global")), 100.0 * jr(o, "share"),
                      SP_MD(str_or(json_object_get(o, "unit"), "records")), SP_MD(ln),
                      (long long)ji(o, "pruned"), (long long)ji(o, "records"), 200.0 * jr(x, "ratio"));
            if (json_object_get(o, "n_gated"))
                mb_printf(md, "; %lld of them flagged by the gates", (long long)ji(o, "n_gated"));
            mb_printf(md, ".\n");
        }
    }
    if (any)
        mb_printf(md, "\nA language far from the centroids (a minority with few clusters of its own) "
                      "loses most of its files to one global threshold; `score.per_lang: "
                      "\"proportional\"` prunes p of each language (only its gated files can take "
                      "more).\n\n");
}

/* report.md: the pruned share per language and variant. */
static void md_languages(mbuf *md, const json_t *pr, const json_t *wv)
{
    json_t *langs = pr ? json_object_get(pr, "languages") : NULL;
    if (json_array_size(langs) && json_array_size(wv)) {
        mb_printf(md, "## Pruned share per language\n\n| language | records | MB |");
        for (size_t v = 0; v < json_array_size(wv); v++)
            mb_printf(md, " %s |", SP_MD(json_string_value(json_object_get(json_array_get(wv, v), "name"))));
        mb_printf(md, "\n|---|---:|---:|");
        for (size_t v = 0; v < json_array_size(wv); v++) mb_printf(md, "---:|");
        mb_printf(md, "\n");
        for (size_t l = 0; l < json_array_size(langs); l++) {
            json_t *o = json_array_get(langs, l);
            json_t *p = json_object_get(o, "pruned");
            mb_printf(md, "| %s | %lld | %.2f |", SP_MD(json_string_value(json_object_get(o, "lang"))),
                      (long long)ji(o, "records"), jr(o, "bytes") / 1e6);
            for (size_t v = 0; v < json_array_size(p); v++)
                mb_printf(md, " %.1f%% |", pct(json_integer_value(json_array_get(p, v)), ji(o, "records")));
            mb_printf(md, "\n");
        }
        mb_printf(md, "\n## Kept per language\n\nRecords / MB / thousand tokens (approximate: "
                       "words and punctuation of the text) each variant keeps.\n\n| language | all |");
        for (size_t v = 0; v < json_array_size(wv); v++)
            mb_printf(md, " %s |", SP_MD(json_string_value(json_object_get(json_array_get(wv, v), "name"))));
        mb_printf(md, "\n|---|---:|");
        for (size_t v = 0; v < json_array_size(wv); v++) mb_printf(md, "---:|");
        mb_printf(md, "\n");
        for (size_t l = 0; l < json_array_size(langs); l++) {
            json_t *o = json_array_get(langs, l);
            json_t *k = json_object_get(o, "kept"), *kb = json_object_get(o, "kept_bytes"),
                   *kt = json_object_get(o, "kept_tokens");
            mb_printf(md, "| %s | %lld / %.2f / %.1f |", SP_MD(json_string_value(json_object_get(o, "lang"))),
                      (long long)ji(o, "records"), jr(o, "bytes") / 1e6, jr(o, "tokens") / 1e3);
            for (size_t v = 0; v < json_array_size(k); v++)
                mb_printf(md, " %lld / %.2f / %.1f |", (long long)json_integer_value(json_array_get(k, v)),
                          (double)json_integer_value(json_array_get(kb, v)) / 1e6,
                          (double)json_integer_value(json_array_get(kt, v)) / 1e3);
            mb_printf(md, "\n");
        }
        mb_printf(md, "\n");
    }
}

/* report.md: the clusters (the first 200). */
static void md_clusters(mbuf *md, const json_t *plan)
{
    json_t *cl = plan ? json_object_get(plan, "clusters") : NULL;
    if (json_array_size(cl)) {
        size_t shown = json_array_size(cl) < 200 ? json_array_size(cl) : 200;
        mb_printf(md, "## Clusters\n\nDistance to the centroid: min / median / p90 / max. Pruned: "
                       "records of the cluster pruned by each variant, in the order of the Variants table.\n\n| cluster | size | distance | pruned |\n"
                       "|---:|---:|---|---|\n");
        for (size_t c = 0; c < shown; c++) {
            json_t *o = json_array_get(cl, c), *d = json_object_get(o, "dist"), *p = json_object_get(o, "pruned");
            mb_printf(md, "| %lld | %lld | ", (long long)ji(o, "id"), (long long)ji(o, "size"));
            if (json_is_object(d))
                mb_printf(md, "%.4f / %.4f / %.4f / %.4f", jr(d, "min"), jr(d, "p50"), jr(d, "p90"), jr(d, "max"));
            mb_printf(md, " |");
            for (size_t v = 0; v < json_array_size(p); v++)
                mb_printf(md, " %lld", (long long)json_integer_value(json_array_get(p, v)));
            mb_printf(md, " |\n");
        }
        if (shown < json_array_size(cl))
            mb_printf(md, "\n(%zu more clusters in report.json)\n", json_array_size(cl) - shown);
        mb_printf(md, "\n");
    }
}

/* report.md: time and memory per stage. */
static void md_stages(mbuf *md, json_t *stg)
{
    json_t *sv;
    if (json_object_size(stg)) {
        mb_printf(md, "## Stages\n\nWall time and peak memory of each stage this workdir's last "
                       "run recorded (peak RSS: the stage's own high-water mark, Linux VmHWM reset "
                       "before it; gates computed inside embed show 0 s).\n\n"
                       "| stage | wall s | peak RSS MB |\n|---|---:|---:|\n");
        const char *key;
        double tot = 0, peak = 0;
        json_object_foreach(stg, key, sv) {
            mb_printf(md, "| %s | %.2f | %.1f |\n", SP_MD(key), jr(sv, "seconds"), jr(sv, "peak_rss") / 1048576.0);
            tot += jr(sv, "seconds");
            if (jr(sv, "peak_rss") > peak) peak = jr(sv, "peak_rss");
        }
        mb_printf(md, "| **all** | %.2f | %.1f |\n\n", tot, peak / 1048576.0);
    }
}

sciprune_status sciprune_report_write(const char *workdir, sciprune_error *err)
{
    sources src = {0};
    json_t *rep = NULL;
    mbuf md = {0};
    json_t *dj = NULL;
    char *dmd = NULL;
    sciprune_status st = SCIPRUNE_OK;
    char *jp = sp_wpath(workdir, SP_WF_REPORT_JSON, NULL), *mp = sp_wpath(workdir, SP_WF_REPORT_MD, NULL);
    if (!jp || !mp) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto done;
    }
    if ((st = load_sources(workdir, &src, err))) goto done;
    rep = build_report(&src);
    if ((st = prune_decontam_report(workdir, src.plan, &dj, &dmd, err))) goto done;
    if (dj) json_object_set_new(rep, "decontam", dj);
    json_t *ev = prune_eval_report(workdir, json_object_get(rep, "variants"));
    if (ev) json_object_set_new(rep, "eval", ev);
    if ((st = prune_json_write(jp, rep, err))) goto done;
    const json_t *base = src.plan ? src.plan : src.clus;
    md_summary(&md, &src, base);
    json_t *bu = json_object_get(rep, "budget");
    if (bu)
        mb_printf(&md, "Budget: each ratio is a share of the accepted %s (%lld in all), not of the "
                       "records; every variant prunes that share to within half of one record's "
                       "size (score.budget).\n\n",
                  str_or(json_object_get(bu, "unit"), "?"), (long long)ji(bu, "total"));
    if (dmd) mb_printf(&md, "%s", dmd);
    md_variants(&md, json_object_get(rep, "variants"), base, src.gsum);
    md_languages(&md, src.pr, src.pr ? json_object_get(src.pr, "variants") : NULL);
    md_language_warnings(&md, json_object_get(rep, "language_share"));
    md_clusters(&md, src.plan);
    md_eval(&md, json_object_get(rep, "eval"));
    md_stages(&md, json_object_get(rep, "stages"));
    if (md.oom) {
        st = sp_err(err, SCIPRUNE_ENOMEM, mp, -1, -1, "out of memory");
        goto done;
    }
    st = sp_write_file_atomic(mp, md.p, md.n, err);
done:
    free(dmd);
    free(md.p);
    free(jp);
    free(mp);
    json_decref(rep);
    sources_clear(&src);
    return st;
}
