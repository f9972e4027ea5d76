/*
 * results.c - evaluation results joined back to the variants (`sciprune eval add`) and the
 * report's pass@1 section.
 *
 * Input formats (one file, whichever it is; the fields read):
 *   plain:     {"benchmark": "humaneval", "pass@1": 0.31,
 *               "per_problem": [1, 0, 0.5, ...] | [{"task_id": "...", "passed": true|false}
 *                                                  | {"task_id", "pass@1": x}, ...]}
 *              (per_problem optional; "pass@1" optional when per_problem is given: its mean)
 *   bigcode-evaluation-harness (the --metric_output_path file):
 *              {"<task>": {"pass@1": x, "pass@10": ...}, ..., "config": {...}}:
 *              every top-level object with a numeric "pass@1" is a benchmark named <task>.
 *   lm-evaluation-harness (results_<date>.json):
 *              {"results": {"<task>": {"pass@1,create_test": x, "pass_at_1,none": x,
 *               "pass@1_stderr,...": s, ...}}, ...}: per task the first key starting with
 *              "pass@1" or "pass_at_1" that is not a stderr; the task is the benchmark.
 *   Neither harness file holds per-problem results: those benchmarks get no interval.
 *
 * Stored (W/eval/<variant>/<benchmark>.json, replacing an earlier one of the same pair):
 *   {"variant", "benchmark", "pass@1", "n" (problems, 0 when unknown),
 *    "per_problem": [x...] | null, "task_ids": [..] | null, "format": "plain"|"bigcode"|
 *    "lm-eval", "source": "<the file's name as given>"}
 * and the file as given, byte for byte: W/eval/<variant>/<benchmark>.source.json.
 *
 * Report (W/report.json "eval", report.md "Evaluation results"): per benchmark and variant,
 * pass@1 with a bootstrap 95 % interval when per-problem results exist (2000 resamples of the
 * problems, percentile 2.5 / 97.5, xorshift64* seeded with XXH3(variant + benchmark, 1234):
 * deterministic), beside the variant's corruption recall from W/analyze/report.json (the
 * recommendation's candidate of the variant's metric, at the analysis ratio). The verdict per
 * benchmark: the best variant by pass@1, and whether its lead over the runner-up is outside a
 * paired bootstrap 95 % interval of the difference (same problems: matched by task id, else by
 * position, when both have per-problem results of the same length).
 */
#include "prune_int.h"

#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_BOOT 2000

typedef struct bench_res {
    char *bench;
    double pass1;
    double *pp;       /* per-problem, owned, or NULL */
    char **ids;       /* task ids, owned, or NULL */
    size_t n;
} bench_res;

static void bench_res_clear(bench_res *b)
{
    free(b->bench);
    free(b->pp);
    for (size_t i = 0; b->ids && i < b->n; i++) free(b->ids[i]);
    free(b->ids);
    memset(b, 0, sizeof *b);
}

/* per_problem array into b (numbers, booleans or objects with passed / pass@1). */
static sciprune_status read_per_problem(const json_t *a, bench_res *b, const char *path,
                                        sciprune_error *err)
{
    size_t n = json_array_size(a);
    if (!n) return SCIPRUNE_OK;
    b->pp = calloc(n, sizeof *b->pp);
    b->ids = calloc(n, sizeof *b->ids);
    if (!b->pp || !b->ids) return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
    b->n = n;
    int have_ids = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(a, i), *v = x;
        if (json_is_object(x)) {
            json_t *id = json_object_get(x, "task_id");
            if (json_is_string(id)) {
                if (!(b->ids[i] = strdup(json_string_value(id))))
                    return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
                have_ids = 1;
            } else if (json_is_integer(id)) {
                char t[32];
                snprintf(t, sizeof t, "%lld", (long long)json_integer_value(id));
                if (!(b->ids[i] = strdup(t))) return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
                have_ids = 1;
            }
            v = json_object_get(x, "passed");
            if (!v) v = json_object_get(x, "pass@1");
        }
        if (json_is_boolean(v)) b->pp[i] = json_is_true(v);
        else if (json_is_number(v) && json_number_value(v) >= 0 && json_number_value(v) <= 1)
            b->pp[i] = json_number_value(v);
        else
            return sp_err(err, SCIPRUNE_EPARSE, path, -1, -1,
                          "per_problem[%zu]: want 0..1, true/false, or {\"task_id\", \"passed\"|\"pass@1\"}", i);
    }
    if (!have_ids) {
        for (size_t i = 0; i < n; i++) free(b->ids[i]);
        free(b->ids);
        b->ids = NULL;
    }
    return SCIPRUNE_OK;
}

/* The benchmarks of one results file. */
static sciprune_status parse_results(const json_t *root, const char *path, bench_res **out,
                                     size_t *nout, const char **format, sciprune_error *err)
{
    *out = NULL;
    *nout = 0;
    if (!json_is_object(root)) return sp_err(err, SCIPRUNE_EPARSE, path, -1, -1, "not a JSON object");
    size_t cap = json_object_size(root) + 1;
    json_t *lres = json_object_get(root, "results");
    if (json_is_object(lres)) cap += json_object_size(lres);
    bench_res *bs = calloc(cap, sizeof *bs);
    if (!bs) return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
    size_t n = 0;
    sciprune_status st = SCIPRUNE_OK;
    const char *key;
    json_t *v;
    json_t *bn = json_object_get(root, "benchmark");
    if (json_is_string(bn)) { /* plain */
        *format = "plain";
        bench_res *b = &bs[n++];
        b->bench = strdup(json_string_value(bn));
        if (!b->bench) { st = sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory"); goto done; }
        json_t *pp = json_object_get(root, "per_problem"), *p1 = json_object_get(root, "pass@1");
        if (pp && !json_is_array(pp)) { st = sp_err(err, SCIPRUNE_EPARSE, path, -1, -1, "per_problem must be a list"); goto done; }
        if ((st = read_per_problem(pp, b, path, err))) goto done;
        if (json_is_number(p1)) b->pass1 = json_number_value(p1);
        else if (b->n) {
            double s = 0;
            for (size_t i = 0; i < b->n; i++) s += b->pp[i];
            b->pass1 = s / (double)b->n;
        } else { st = sp_err(err, SCIPRUNE_EPARSE, path, -1, -1, "no \"pass@1\" and no \"per_problem\""); goto done; }
    } else if (json_is_object(lres)) { /* lm-evaluation-harness */
        *format = "lm-eval";
        json_object_foreach(lres, key, v) {
            const char *mk;
            json_t *mv;
            json_object_foreach(v, mk, mv) {
                if ((strncmp(mk, "pass@1", 6) && strncmp(mk, "pass_at_1", 9)) || strstr(mk, "stderr") ||
                    !json_is_number(mv))
                    continue;
                if (mk[mk[4] == '@' ? 6 : 9] != 0 && mk[mk[4] == '@' ? 6 : 9] != ',') continue; /* pass@10 */
                bench_res *b = &bs[n++];
                if (!(b->bench = strdup(key))) { st = sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory"); goto done; }
                b->pass1 = json_number_value(mv);
                break;
            }
        }
    } else { /* bigcode-evaluation-harness */
        *format = "bigcode";
        json_object_foreach((json_t *)root, key, v) {
            json_t *p1 = json_is_object(v) ? json_object_get(v, "pass@1") : NULL;
            if (!strcmp(key, "config") || !json_is_number(p1)) continue;
            bench_res *b = &bs[n++];
            if (!(b->bench = strdup(key))) { st = sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory"); goto done; }
            b->pass1 = json_number_value(p1);
        }
    }
    if (!n) { st = sp_err(err, SCIPRUNE_EPARSE, path, -1, -1, "no pass@1 found (formats: plain {\"benchmark\", \"pass@1\", \"per_problem\"}, bigcode-evaluation-harness, lm-evaluation-harness)"); goto done; }
    for (size_t i = 0; i < n; i++)
        if (!(bs[i].pass1 >= 0 && bs[i].pass1 <= 1)) { st = sp_err(err, SCIPRUNE_EPARSE, path, -1, -1, "%s: pass@1 must be within 0..1", bs[i].bench); goto done; }
done:
    if (st) {
        for (size_t i = 0; i < n; i++) bench_res_clear(&bs[i]);
        free(bs);
        return st;
    }
    *out = bs;
    *nout = n;
    return SCIPRUNE_OK;
}

static int safe_name(const char *s)
{
    if (!*s || !strcmp(s, ".") || !strcmp(s, "..")) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._-+@", *s)) return 0;
    return 1;
}

static void file_name(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    for (; *s && o + 1 < cap; s++) out[o++] = isalnum((unsigned char)*s) || strchr("._-+@", *s) ? *s : '_';
    out[o] = 0;
    if (!strcmp(out, ".") || !strcmp(out, "..") || !o) snprintf(out, cap, "benchmark");
}

sciprune_status sciprune_eval_add(const char *workdir, const char *variant, const char *results,
                                  size_t *n_added, sciprune_error *err)
{
    if (n_added) *n_added = 0;
    if (!workdir || !variant || !results)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "give a workdir, a variant and a results file");
    if (!safe_name(variant)) return sp_err(err, SCIPRUNE_EINVAL, variant, -1, -1, "not a variant name");
    sciprune_status st;
    json_t *rep = NULL, *root = NULL;
    bench_res *bs = NULL;
    size_t nb = 0;
    char *rp = sp_wpath(workdir, SP_WF_REPORT_JSON, NULL), *dir = NULL, *text = NULL;
    if (!rp) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    st = prune_json_load(rp, 0, &rep, err);
    free(rp);
    if (st) return st;
    int found = 0;
    json_t *vars = json_object_get(rep, "variants");
    for (size_t i = 0; i < json_array_size(vars); i++)
        {
        const char *vn = json_string_value(json_object_get(json_array_get(vars, i), "name"));
        found |= vn && !strcmp(variant, vn);
    }
    json_decref(rep);
    if (!found) return sp_err(err, SCIPRUNE_EINVAL, variant, -1, -1, "no such variant in the workdir's report.json");
    size_t len = 0;
    if ((st = sp_read_file(results, &text, &len, err))) return st;
    json_error_t je;
    root = json_loadb(text, len, 0, &je);
    if (!root) { st = sp_err(err, SCIPRUNE_EPARSE, results, je.line, je.column, "%s", je.text); goto done; }
    const char *format = "";
    if ((st = parse_results(root, results, &bs, &nb, &format, err))) goto done;
    char *ev = sp_path_join(workdir, "eval");
    dir = ev ? sp_path_join(ev, variant) : NULL;
    free(ev);
    if (!dir) { st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory"); goto done; }
    if ((st = sp_mkdirs(dir, err))) goto done;
    for (size_t i = 0; i < nb && !st; i++) {
        bench_res *b = &bs[i];
        json_t *o = json_object(), *pp = b->pp ? json_array() : json_null(),
               *ids = b->ids ? json_array() : json_null();
        for (size_t k = 0; b->pp && k < b->n; k++) json_array_append_new(pp, json_real(b->pp[k]));
        for (size_t k = 0; b->ids && k < b->n; k++) json_array_append_new(ids, json_string(b->ids[k] ? b->ids[k] : ""));
        const char *slash = strrchr(results, '/');
        json_object_set_new(o, "variant", json_string(variant));
        json_object_set_new(o, "benchmark", json_string(b->bench));
        json_object_set_new(o, "pass@1", json_real(b->pass1));
        json_object_set_new(o, "n", json_integer((json_int_t)b->n));
        json_object_set_new(o, "per_problem", pp);
        json_object_set_new(o, "task_ids", ids);
        json_object_set_new(o, "format", json_string(format));
        json_object_set_new(o, "source", json_string(slash ? slash + 1 : results));
        char fn[200], *p = NULL;
        file_name(b->bench, fn, sizeof fn - 16);
        size_t fl = strlen(fn);
        memcpy(fn + fl, ".json", 6);
        if (!(p = sp_path_join(dir, fn))) st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        if (!st) st = prune_json_write(p, o, err);
        free(p);
        memcpy(fn + fl, ".source.json", 13);
        if (!st && !(p = sp_path_join(dir, fn))) st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        if (!st) st = sp_write_file_atomic(p, text, len, err);
        if (!st) free(p);
        json_decref(o);
    }
    if (!st && n_added) *n_added = nb;
done:
    for (size_t i = 0; i < nb; i++) bench_res_clear(&bs[i]);
    free(bs);
    json_decref(root);
    free(text);
    free(dir);
    return st;
}

/* ------------------------------------------------------------------ report */

static uint64_t xs_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * UINT64_C(0x2545F4914F6CDD1D);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Percentile 2.5 / 97.5 of N_BOOT resampled means of a (or of a - b when b). */
static int bootstrap(const double *a, const double *b, size_t n, uint64_t seed, double *lo, double *hi)
{
    double *m = malloc(N_BOOT * sizeof *m);
    if (!m || !n) {
        free(m);
        return -1;
    }
    uint64_t s = seed | 1;
    for (int r = 0; r < N_BOOT; r++) {
        double acc = 0;
        for (size_t i = 0; i < n; i++) {
            size_t k = (size_t)(xs_next(&s) % n);
            acc += a[k] - (b ? b[k] : 0);
        }
        m[r] = acc / (double)n;
    }
    qsort(m, N_BOOT, sizeof *m, cmp_d);
    *lo = m[(int)(0.025 * N_BOOT)];
    *hi = m[(int)(0.975 * N_BOOT) - 1];
    free(m);
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The analysis' recall of a report.json variant: its metric's candidate at the analysis ratio. */
static double variant_recall(const json_t *v, const json_t *cand)
{
    const char *m = json_string_value(json_object_get(v, "metric"));
    json_t *alpha = json_object_get(v, "alpha");
    json_t *au = json_object_get(v, "auto");
    if (m && !strcmp(m, "auto") && au) {
        m = json_string_value(json_object_get(au, "resolved"));
        alpha = json_object_get(au, "alpha");
    }
    if (!m || !cand) return NAN;
    char key[96];
    if (strstr(m, "combined") && json_is_number(alpha))
        snprintf(key, sizeof key, "%s-a%.2f", m, json_number_value(alpha));
    else
        snprintf(key, sizeof key, "%s", m);
    json_t *x = json_object_get(cand, key);
    return json_is_number(x) ? json_number_value(x) : NAN;
}

/* One stored result (W/eval/<variant>/<bench>.json) or NULL. */
static json_t *load_one(const char *workdir, const char *variant, const char *fname)
{
    size_t n = strlen(workdir) + strlen(variant) + strlen(fname) + 16;
    char *p = malloc(n);
    if (!p) return NULL;
    snprintf(p, n, "%s/eval/%s/%s", workdir, variant, fname);
    json_t *o = json_load_file(p, 0, NULL);
    free(p);
    return o;
}

/* Align b's per-problem values to a's problems (by task id, else position); NULL when not
 * comparable. Returns a new array of a's length. */
static double *aligned(const json_t *a, const json_t *b)
{
    json_t *pa = json_object_get(a, "per_problem"), *pb = json_object_get(b, "per_problem");
    json_t *ia = json_object_get(a, "task_ids"), *ib = json_object_get(b, "task_ids");
    size_t n = json_array_size(pa);
    if (!n || json_array_size(pb) != n) return NULL;
    double *out = malloc(n * sizeof *out);
    if (!out) return NULL;
    for (size_t i = 0; i < n; i++) {
        size_t k = i;
        if (json_array_size(ia) == n && json_array_size(ib) == n) {
            const char *id = json_string_value(json_array_get(ia, i));
            for (k = 0; k < n; k++) {
                const char *idb = json_string_value(json_array_get(ib, k));
                if (!strcmp(id ? id : "", idb ? idb : "")) break;
            }
            if (k == n) {
                free(out);
                return NULL;
            }
        }
        out[i] = json_number_value(json_array_get(pb, k));
    }
    return out;
}

static double *values(const json_t *o, size_t *n)
{
    json_t *pp = json_object_get(o, "per_problem");
    *n = json_array_size(pp);
    if (!*n) return NULL;
    double *v = malloc(*n * sizeof *v);
    for (size_t i = 0; v && i < *n; i++) v[i] = json_number_value(json_array_get(pp, i));
    return v;
}

json_t *prune_eval_report(const char *workdir, const json_t *variants)
{
    char *ev = sp_path_join(workdir, "eval");
    if (!ev) return NULL;
    /* the benchmarks: every <bench>.json (not .source.json) under eval/<variant>/ */
    char **bn = NULL;
    size_t nb = 0, cap = 0;
    for (size_t v = 0; v < json_array_size(variants); v++) {
        const char *vn = json_string_value(json_object_get(json_array_get(variants, v), "name"));
        char *d = vn ? sp_path_join(ev, vn) : NULL;
        DIR *dh = d ? opendir(d) : NULL;
        free(d);
        if (!dh) continue;
        struct dirent *de;
        while ((de = readdir(dh))) {
            size_t l = strlen(de->d_name);
            if (l < 6 || strcmp(de->d_name + l - 5, ".json") || (l > 12 && !strcmp(de->d_name + l - 12, ".source.json")))
                continue;
            int dup = 0;
            for (size_t i = 0; i < nb && !dup; i++) dup = !strcmp(bn[i], de->d_name);
            if (dup) continue;
            if (nb == cap) {
                cap = cap ? 2 * cap : 8;
                char **nbp = realloc(bn, cap * sizeof *bn);
                if (!nbp) break;
                bn = nbp;
            }
            if ((bn[nb] = strdup(de->d_name))) nb++;
        }
        closedir(dh);
    }
    free(ev);
    if (!nb) {
        free(bn);
        return NULL;
    }
    qsort(bn, nb, sizeof *bn, cmp_str);
    json_t *an = NULL;
    {
        char *ap = sp_wpath(workdir, SP_WF_ANALYZE_REPORT, NULL);
        if (ap) an = json_load_file(ap, 0, NULL);
        free(ap);
    }
    json_t *rec = json_object_get(an, "recommendation");
    json_t *cand = json_object_get(rec, "candidates");
    json_t *out = json_object(), *benches = json_array(), *vout = json_array(), *verd = json_object();
    json_object_set_new(out, "interval", json_string("bootstrap 95 % (2000 resamples of the problems, seed XXH3(variant benchmark, 1234)); lead: paired bootstrap of the difference"));
    if (json_is_number(json_object_get(rec, "ratio")))
        json_object_set(out, "recall_ratio", json_object_get(rec, "ratio"));
    json_t **res = calloc(nb * (json_array_size(variants) + 1), sizeof *res);
    size_t nv = json_array_size(variants);
    for (size_t b = 0; b < nb; b++) {
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(strlen(bn[b]) - 5), bn[b]);
        json_array_append_new(benches, json_string(name));
    }
    for (size_t v = 0; v < nv; v++) {
        json_t *vj = json_array_get(variants, v);
        const char *vn = json_string_value(json_object_get(vj, "name"));
        json_t *x = json_object(), *r = json_object();
        json_object_set_new(x, "name", json_string(vn ? vn : ""));
        double rc = variant_recall(vj, cand);
        json_object_set_new(x, "recall", isnan(rc) ? json_null() : json_real(rc));
        for (size_t b = 0; vn && res && b < nb; b++) {
            json_t *o = load_one(workdir, vn, bn[b]);
            if (!o) continue;
            res[b * nv + v] = o;
            const char *bname = json_array_get(benches, b) ? json_string_value(json_array_get(benches, b)) : "";
            json_t *e = json_object();
            json_object_set_new(e, "pass@1", json_real(json_number_value(json_object_get(o, "pass@1"))));
            json_object_set(e, "n", json_object_get(o, "n"));
            size_t n;
            double *a = values(o, &n), lo, hi;
            char seedk[600];
            snprintf(seedk, sizeof seedk, "%s %s", vn, bname);
            if (a && !bootstrap(a, NULL, n, sp_hash64(seedk, strlen(seedk), 1234), &lo, &hi)) {
                json_object_set_new(e, "lo", json_real(lo));
                json_object_set_new(e, "hi", json_real(hi));
            }
            free(a);
            json_object_set_new(r, bname, e);
        }
        json_object_set_new(x, "results", r);
        json_array_append_new(vout, x);
    }
    /* verdicts */
    for (size_t b = 0; res && b < nb; b++) {
        const char *bname = json_string_value(json_array_get(benches, b));
        size_t best = SIZE_MAX, second = SIZE_MAX;
        for (size_t v = 0; v < nv; v++) {
            if (!res[b * nv + v]) continue;
            double p = json_number_value(json_object_get(res[b * nv + v], "pass@1"));
            if (best == SIZE_MAX || p > json_number_value(json_object_get(res[b * nv + best], "pass@1"))) {
                second = best;
                best = v;
            } else if (second == SIZE_MAX || p > json_number_value(json_object_get(res[b * nv + second], "pass@1")))
                second = v;
        }
        char t[600];
        const char *bv = json_string_value(json_object_get(json_array_get(variants, best), "name"));
        double pb = json_number_value(json_object_get(res[b * nv + best], "pass@1"));
        if (second == SIZE_MAX) {
            snprintf(t, sizeof t, "%s: only %s has a result (pass@1 %.3f)", bname, bv, pb);
        } else {
            const char *sv = json_string_value(json_object_get(json_array_get(variants, second), "name"));
            double ps = json_number_value(json_object_get(res[b * nv + second], "pass@1"));
            size_t n;
            double *a = values(res[b * nv + best], &n), *c = aligned(res[b * nv + best], res[b * nv + second]), lo, hi;
            char seedk[600];
            snprintf(seedk, sizeof seedk, "%s-%s %s", bv, sv, bname);
            if (a && c && !bootstrap(a, c, n, sp_hash64(seedk, strlen(seedk), 1234), &lo, &hi))
                snprintf(t, sizeof t, "%s: best %s, pass@1 %.3f vs %s %.3f: lead %+.3f, 95 %% interval "
                                      "[%+.3f, %+.3f]: %s", bname, bv, pb, sv, ps, pb - ps, lo, hi,
                         lo > 0 ? "outside the interval (the lead holds)"
                                : "within the interval (not a clear win)");
            else
                snprintf(t, sizeof t, "%s: best %s, pass@1 %.3f vs %s %.3f: lead %+.3f, no interval "
                                      "(no matching per-problem results)", bname, bv, pb, sv, ps, pb - ps);
            free(a);
            free(c);
        }
        json_object_set_new(verd, bname, json_string(t));
    }
    for (size_t i = 0; res && i < nb * nv; i++) json_decref(res[i]);
    free(res);
    for (size_t b = 0; b < nb; b++) free(bn[b]);
    free(bn);
    json_decref(an);
    json_object_set_new(out, "benchmarks", benches);
    json_object_set_new(out, "variants", vout);
    json_object_set_new(out, "verdict", verd);
    return out;
}
