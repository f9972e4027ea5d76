/*
 * config.c - the job config of `sciprune run`, parsed once into typed stage settings.
 *
 * Format (documented example with every key: data/configs/default.json):
 *   {"inputs": ["<glob>", ...],               relative to the config's folder; each glob
 *                                            sorted, the globs in the order given
 *    "workdir": "work",                       relative to the config's folder
 *    "threads": 0,                            0 = the CPUs this process may run on
 *    "shard":  {"text_field", "id_field", "default_lang", "max_line_bytes"},
 *    "embed":  {"embedder": "hash"|"npy:DIR"|"exec:CMD", "dim", "dtype": "float32"|"float16",
 *               "features", "idf", "seed", "drop_structure_on_error"},
 *    "index":  {"k", "niter", "nredo", "seed", "metric": "cosine"|"l2",
 *               "max_points_per_centroid"},
 *    "score":  {"metrics": [...], "ratios": [...], "alphas": [...], "seed"},
 *    "prune":  {"write_removed", "zstd_level", "fsync"},
 *    "gates":  {"enabled", "parse_error_langs", "undefined_name_langs", "js_envs"},
 *               (languages: a list or a comma string, or "all"; js_envs: JavaScript
 *               environments, a list or a comma string, default "auto"; enabled defaults to
 *               true when a score metric is a gate+FILL plan or auto)
 *    "corrupt": {"enabled", "per_type", "types", "langs", "seed", "max_tries"},
 *    "analyze": {"enabled", "ratios", "alphas", "ratio", "weights", "seed", "corrupted",
 *                "gate_budget_share"},
 *    "export": {"variant": "V" | [...], "out": "DIR"},   after prune: pruning models
 *                                            (sciprune_model_export; a list: DIR/<variant>);
 *                                            not part of any stage's key
 *    "comment": anything}
 * Unknown keys are errors (a typo must not silently fall back to a default). Lists of numbers
 * and metric names go straight into the settings' arrays; language and type lists become the
 * comma lists the gates and corrupt settings take.
 */
#include "run_int.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sciprune_status bad(sciprune_error *err, const char *cfg, const char *fmt, const char *a)
{
    return sp_err(err, SCIPRUNE_EINVAL, cfg, -1, -1, fmt, a);
}

static sciprune_status nomem(sciprune_error *err, const char *cfg)
{
    return sp_err(err, SCIPRUNE_ENOMEM, cfg, -1, -1, "out of memory");
}

char *run_canon(const json_t *v)
{
    return v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : strdup("null");
}

/* every key of obj must be in the NULL-terminated list */
static sciprune_status check_keys(json_t *obj, const char *const *allowed, const char *section,
                                  const char *cfg, sciprune_error *err)
{
    if (!obj) return SCIPRUNE_OK;
    if (!json_is_object(obj)) return bad(err, cfg, "\"%s\" must be an object", section);
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        int ok = 0;
        for (size_t i = 0; allowed[i]; i++) ok |= strcmp(k, allowed[i]) == 0;
        if (!ok)
            return sp_err(err, SCIPRUNE_EINVAL, cfg, -1, -1, "unknown key \"%s\" in \"%s\"", k,
                          section);
    }
    return SCIPRUNE_OK;
}

/* obj.key as a number: 0 absent, 1 set, EINVAL when it is something else */
static sciprune_status get_num(json_t *o, const char *sec, const char *k, double *out, int *set,
                               const char *cfg, sciprune_error *err)
{
    json_t *v = json_object_get(o, k);
    *set = 0;
    if (!v) return SCIPRUNE_OK;
    if (!json_is_number(v))
        return sp_err(err, SCIPRUNE_EINVAL, cfg, -1, -1, "%s.%s must be a number", sec, k);
    *out = json_number_value(v);
    *set = 1;
    return SCIPRUNE_OK;
}

#define NUM(obj, sec, key, dst, cast)                                                        \
    do {                                                                                     \
        double v_;                                                                           \
        int set_;                                                                            \
        if ((st = get_num(obj, sec, key, &v_, &set_, path, err))) return st;                 \
        if (set_) dst = (cast)v_;                                                            \
    } while (0)

static sciprune_status get_bool(json_t *o, const char *sec, const char *k, int *dst,
                                const char *cfg, sciprune_error *err)
{
    json_t *v = json_object_get(o, k);
    if (!v) return SCIPRUNE_OK;
    if (!json_is_boolean(v))
        return sp_err(err, SCIPRUNE_EINVAL, cfg, -1, -1, "%s.%s must be true or false", sec, k);
    *dst = json_is_true(v);
    return SCIPRUNE_OK;
}

/* A name list: "a,b" or ["a", "b"] or "all" -> an owned comma list (NULL when absent). */
static sciprune_status name_list(json_t *v, const char *key, const char *cfg, char **out,
                                 sciprune_error *err)
{
    *out = NULL;
    if (!v) return SCIPRUNE_OK;
    if (json_is_string(v)) {
        *out = strdup(json_string_value(v));
    } else if (json_is_array(v) && json_array_size(v)) {
        size_t cap = 1, idx;
        json_t *x;
        json_array_foreach(v, idx, x) {
            if (!json_is_string(x)) return bad(err, cfg, "\"%s\" entries must be strings", key);
            cap += strlen(json_string_value(x)) + 1;
        }
        if ((*out = calloc(cap, 1)) != NULL)
            json_array_foreach(v, idx, x) {
                if (idx) strcat(*out, ",");
                strcat(*out, json_string_value(x));
            }
    } else {
        return bad(err, cfg, "\"%s\" must be a string or a non-empty list of strings", key);
    }
    return *out ? SCIPRUNE_OK : nomem(err, cfg);
}

/* A list of numbers in [0, 1] (ratios, alphas) straight into a sweep array; absent: as is. */
static sciprune_status sweep_list(json_t *v, const char *key, const char *what, double *dst,
                                  size_t *n, const char *cfg, sciprune_error *err)
{
    if (!v) return SCIPRUNE_OK;
    if (!json_is_array(v) || !json_array_size(v))
        return bad(err, cfg, "\"%s\" must be a non-empty list of numbers", key);
    double tmp[SCIPRUNE_SWEEP_MAX];
    size_t k = 0, idx;
    json_t *x;
    json_array_foreach(v, idx, x) {
        if (!json_is_number(x)) return bad(err, cfg, "\"%s\" entries must be numbers", key);
        sciprune_status st = sp_sweep_add(tmp, &k, json_number_value(x), what, err);
        if (st) {
            if (err) sp_strlcpy(err->source, cfg, sizeof err->source);
            return st;
        }
    }
    memcpy(dst, tmp, k * sizeof *tmp);
    *n = k;
    return SCIPRUNE_OK;
}

static char *rel(const char *dir, const char *p)
{
    return p[0] == '/' ? strdup(p) : sp_path_join(dir, p);
}

static sciprune_status parse_inputs(run_job *j, const char *path, sciprune_error *err)
{
    json_t *in = json_object_get(j->cfg, "inputs");
    if (!json_is_array(in) || json_array_size(in) == 0)
        return bad(err, path, "%s", "\"inputs\" must be a non-empty list of shard paths or globs");
    size_t idx;
    json_t *pat;
    json_array_foreach(in, idx, pat) {
        if (!json_is_string(pat)) return bad(err, path, "%s", "\"inputs\" entries must be strings");
        char *p = rel(j->dir, json_string_value(pat));
        if (!p) return nomem(err, path);
        glob_t g;
        if (glob(p, 0, NULL, &g) != 0) {
            sp_err(err, SCIPRUNE_EINVAL, path, -1, -1, "input pattern matches no file: %s", p);
            free(p);
            return SCIPRUNE_EINVAL;
        }
        free(p);
        char **ni = realloc(j->inputs, (j->n_inputs + g.gl_pathc) * sizeof *ni);
        if (!ni) {
            globfree(&g);
            return nomem(err, path);
        }
        j->inputs = ni;
        for (size_t i = 0; i < g.gl_pathc; i++)
            if (!(j->inputs[j->n_inputs++] = strdup(g.gl_pathv[i]))) {
                globfree(&g);
                return nomem(err, path);
            }
        globfree(&g);
    }
    return SCIPRUNE_OK;
}

static sciprune_status parse_shard_embed(run_job *j, const char *path, sciprune_error *err)
{
    sciprune_status st;
    json_t *s = json_object_get(j->cfg, "shard");
    sciprune_shard_options_default(&j->shard);
    if (json_is_string(json_object_get(s, "text_field"))) j->shard.text_field = json_string_value(json_object_get(s, "text_field"));
    if (json_is_string(json_object_get(s, "id_field"))) j->shard.id_field = json_string_value(json_object_get(s, "id_field"));
    if (json_is_string(json_object_get(s, "default_lang"))) j->shard.default_lang = json_string_value(json_object_get(s, "default_lang"));
    NUM(s, "shard", "max_line_bytes", j->shard.max_line_bytes, size_t);

    json_t *e = json_object_get(j->cfg, "embed");
    sciprune_embedder_settings_default(&j->embed);
    json_t *spec = json_object_get(e, "embedder");
    if (spec) {
        if (!json_is_string(spec)) return bad(err, path, "%s", "embed.embedder must be a string");
        const char *sp = json_string_value(spec);
        if (!strncmp(sp, "npy:", 4)) { /* npy:DIR is relative to the config folder */
            char *d = rel(j->dir, sp + 4);
            j->embed_spec_own = d ? malloc(strlen(d) + 5) : NULL;
            if (j->embed_spec_own) sprintf(j->embed_spec_own, "npy:%s", d);
            free(d);
            if (!j->embed_spec_own) return nomem(err, path);
            sp = j->embed_spec_own;
        }
        if ((st = sciprune_embedder_settings_parse(&j->embed, sp, err))) return st;
    }
    NUM(e, "embed", "dim", j->embed.dim, uint32_t);
    NUM(e, "embed", "seed", j->embed.seed, uint64_t);
    json_t *dt = json_object_get(e, "dtype");
    if (dt) {
        const char *t = json_is_string(dt) ? json_string_value(dt) : "";
        if (!strcmp(t, "float16") || !strcmp(t, "f16")) j->embed.dtype = SCIPRUNE_VEC_F16;
        else if (!strcmp(t, "float32") || !strcmp(t, "f32")) j->embed.dtype = SCIPRUNE_VEC_F32;
        else return bad(err, path, "embed.dtype \"%s\": want float32 or float16", t);
    }
    json_t *ft = json_object_get(e, "features");
    if (ft && (!json_is_string(ft) ||
               (st = sciprune_embed_features_parse(json_string_value(ft), &j->embed.features, err))))
        return json_is_string(ft) ? st : bad(err, path, "%s", "embed.features must be a string");
    int b = j->embed.idf;
    if ((st = get_bool(e, "embed", "idf", &b, path, err))) return st;
    j->embed.idf = b;
    b = j->embed.drop_structure_on_error;
    if ((st = get_bool(e, "embed", "drop_structure_on_error", &b, path, err))) return st;
    j->embed.drop_structure_on_error = b;
    return SCIPRUNE_OK;
}

static sciprune_status parse_index_score_prune(run_job *j, const char *path, sciprune_error *err)
{
    sciprune_status st;
    json_t *x = json_object_get(j->cfg, "index");
    sciprune_index_settings_default(&j->index);
    NUM(x, "index", "k", j->index.k, int);
    NUM(x, "index", "niter", j->index.niter, int);
    NUM(x, "index", "nredo", j->index.nredo, int);
    NUM(x, "index", "seed", j->index.seed, uint64_t);
    NUM(x, "index", "max_points_per_centroid", j->index.max_points_per_centroid, int);
    json_t *me = json_object_get(x, "metric");
    if (me && (!json_is_string(me) ||
               (st = sciprune_space_parse(json_string_value(me), &j->index.space, err))))
        return json_is_string(me) ? st : bad(err, path, "%s", "index.metric must be a string");
    j->index.threads = j->threads;

    json_t *sc = json_object_get(j->cfg, "score");
    sciprune_score_settings_default(&j->score);
    json_t *ml = json_object_get(sc, "metrics");
    if (ml) {
        if (!json_is_array(ml) || !json_array_size(ml))
            return bad(err, path, "%s", "score.metrics must be a non-empty list of metric names");
        size_t idx, n = 0;
        json_t *v;
        json_array_foreach(ml, idx, v) {
            sciprune_score_metric m;
            if (!json_is_string(v)) return bad(err, path, "%s", "score.metrics entries must be names");
            if ((st = sciprune_score_metric_parse(json_string_value(v), &m, err))) {
                if (err) sp_strlcpy(err->source, path, sizeof err->source);
                return st;
            }
            for (size_t i = 0; i < n; i++)
                if (j->score.metrics[i] == m) return bad(err, path, "score.metrics: %s given twice", json_string_value(v));
            if (n == SCIPRUNE_SWEEP_MAX) return bad(err, path, "%s", "score.metrics: too many");
            j->score.metrics[n++] = m;
        }
        j->score.n_metrics = n;
    }
    if ((st = sweep_list(json_object_get(sc, "ratios"), "score.ratios", "ratio", j->score.ratios,
                         &j->score.n_ratios, path, err)) ||
        (st = sweep_list(json_object_get(sc, "alphas"), "score.alphas", "alpha", j->score.alphas,
                         &j->score.n_alphas, path, err)))
        return st;
    NUM(sc, "score", "seed", j->score.seed, uint64_t);
    j->score.threads = j->threads;
    j->score.shard = j->shard;

    json_t *pr = json_object_get(j->cfg, "prune");
    sciprune_prune_settings_default(&j->prune);
    if ((st = get_bool(pr, "prune", "write_removed", &j->prune.write_removed, path, err)) ||
        (st = get_bool(pr, "prune", "fsync", &j->prune.writer.fsync, path, err)))
        return st;
    NUM(pr, "prune", "zstd_level", j->prune.writer.zstd_level, int);
    j->prune.threads = j->threads;
    j->prune.shard = j->shard;
    return SCIPRUNE_OK;
}

static sciprune_status parse_gates(run_job *j, const char *path, sciprune_error *err)
{
    sciprune_status st;
    json_t *ga = json_object_get(j->cfg, "gates");
    sciprune_gates_settings_default(&j->gates);
    int needs = 0; /* on by default when a plan needs them */
    for (size_t i = 0; i < j->score.n_metrics; i++) /* auto may resolve to a plan */
        needs |= sciprune_score_metric_is_plan(j->score.metrics[i]) ||
                 j->score.metrics[i] == SCIPRUNE_METRIC_AUTO;
    j->gates_on = needs;
    if ((st = get_bool(ga, "gates", "enabled", &j->gates_on, path, err))) return st;
    if (!j->gates_on && needs)
        for (size_t i = 0; i < j->score.n_metrics; i++)
            if (sciprune_score_metric_is_plan(j->score.metrics[i]) ||
                j->score.metrics[i] == SCIPRUNE_METRIC_AUTO)
                return bad(err, path, "score metric %s needs the gates (auto may resolve to a "
                           "gate plan): set gates.enabled to true",
                           sciprune_score_metric_name(j->score.metrics[i]));
    if ((st = name_list(json_object_get(ga, "parse_error_langs"), "gates.parse_error_langs", path,
                        &j->gates_pe_own, err)) ||
        (st = name_list(json_object_get(ga, "undefined_name_langs"), "gates.undefined_name_langs",
                        path, &j->gates_un_own, err)))
        return st;
    j->gates.parse_error_langs = j->gates_pe_own;
    j->gates.undefined_name_langs = j->gates_un_own;
    if ((st = name_list(json_object_get(ga, "js_envs"), "gates.js_envs", path, &j->gates_js_own, err)))
        return st;
    j->gates.js_envs = j->gates_js_own;
    j->gates.threads = j->threads;
    j->gates.shard = j->shard;
    if ((st = sciprune_gates_settings_check(&j->gates, err))) {
        if (err) sp_strlcpy(err->source, path, sizeof err->source);
        return st;
    }
    j->gates_in_embed = j->gates_on && j->embed.backend == SCIPRUNE_EMBED_HASH;
    return SCIPRUNE_OK;
}

static sciprune_status parse_corrupt_analyze(run_job *j, const char *path, sciprune_error *err)
{
    sciprune_status st;
    json_t *co = json_object_get(j->cfg, "corrupt");
    sciprune_corrupt_options_default(&j->corrupt);
    j->corrupt_on = co != NULL;
    if ((st = get_bool(co, "corrupt", "enabled", &j->corrupt_on, path, err))) return st;
    NUM(co, "corrupt", "per_type", j->corrupt.per_type, uint64_t);
    NUM(co, "corrupt", "max_tries", j->corrupt.max_tries, uint64_t);
    NUM(co, "corrupt", "seed", j->corrupt.seed, uint64_t);
    if ((st = name_list(json_object_get(co, "types"), "corrupt.types", path, &j->corrupt_types_own, err)) ||
        (st = name_list(json_object_get(co, "langs"), "corrupt.langs", path, &j->corrupt_langs_own, err)))
        return st;
    j->corrupt.types = j->corrupt_types_own;
    j->corrupt.langs = j->corrupt_langs_own;
    j->corrupt.threads = j->threads;
    j->corrupt.shard = &j->shard;

    json_t *an = json_object_get(j->cfg, "analyze");
    sciprune_analyze_settings_default(&j->analyze);
    j->analyze_on = an != NULL;
    if ((st = get_bool(an, "analyze", "enabled", &j->analyze_on, path, err))) return st;
    if ((st = sweep_list(json_object_get(an, "ratios"), "analyze.ratios", "ratio",
                         j->analyze.ratios, &j->analyze.n_ratios, path, err)) ||
        (st = sweep_list(json_object_get(an, "alphas"), "analyze.alphas", "alpha",
                         j->analyze.alphas, &j->analyze.n_alphas, path, err)))
        return st;
    NUM(an, "analyze", "ratio", j->analyze.ratio, double);
    NUM(an, "analyze", "seed", j->analyze.seed, uint64_t);
    NUM(an, "analyze", "gate_budget_share", j->analyze.gate_budget_share, double);
    if (!(j->analyze.gate_budget_share >= 0 && j->analyze.gate_budget_share <= 1))
        return bad(err, path, "%s", "analyze.gate_budget_share must be in [0, 1]");
    json_t *wt = json_object_get(an, "weights");
    if (wt) {
        if (!json_is_string(wt))
            return bad(err, path, "%s", "analyze.weights must be a string like \"syntax=2,content=1\"");
        if (!(j->analyze_weights_own = strdup(json_string_value(wt)))) return nomem(err, path);
        j->analyze.weights = j->analyze_weights_own;
    }
    j->analyze.threads = j->threads;
    j->analyze.shard = j->shard;
    json_t *cd = json_object_get(an, "corrupted");
    if (cd) {
        if (!json_is_array(cd) || !json_array_size(cd))
            return bad(err, path, "%s", "analyze.corrupted must be a non-empty list of paths");
        if (!(j->corrupted = calloc(json_array_size(cd), sizeof *j->corrupted))) return nomem(err, path);
        size_t idx;
        json_t *p;
        json_array_foreach(cd, idx, p) {
            if (!json_is_string(p)) return bad(err, path, "%s", "analyze.corrupted entries must be paths");
            if (!(j->corrupted[j->n_corrupted++] = rel(j->dir, json_string_value(p)))) return nomem(err, path);
        }
        j->analyze_own_corrupted = 1;
    } else if (j->analyze_on) {
        if (!j->corrupt_on)
            return bad(err, path, "%s", "analyze needs corrupted variants: enable \"corrupt\" or give analyze.corrupted");
        j->corrupted = calloc(1, sizeof *j->corrupted);
        if (!j->corrupted || !(j->corrupted[0] = sp_wdir_path(j->workdir, SP_WD_CORRUPT))) return nomem(err, path);
        j->n_corrupted = 1;
    }
    return SCIPRUNE_OK;
}

/* "export": {"variant": "V" | ["V", ...], "out": "DIR"}: after prune, the variant(s) as
 * pruning models (sciprune_model_export): one variant -> DIR, a list -> DIR/<variant>. */
static sciprune_status parse_export(run_job *j, const char *path, sciprune_error *err)
{
    json_t *ex = json_object_get(j->cfg, "export");
    if (!ex) return SCIPRUNE_OK;
    json_t *v = json_object_get(ex, "variant"), *out = json_object_get(ex, "out");
    if (!json_is_string(out)) return bad(err, path, "%s", "export.out must be a folder name");
    size_t n = json_is_string(v) ? 1 : json_is_array(v) ? json_array_size(v) : 0;
    if (!n) return bad(err, path, "%s", "export.variant must be a variant name or a list of them");
    j->export_variants = calloc(n, sizeof *j->export_variants);
    j->export_outs = calloc(n, sizeof *j->export_outs);
    if (!j->export_variants || !j->export_outs) return nomem(err, path);
    char *base = rel(j->dir, json_string_value(out));
    if (!base) return nomem(err, path);
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_is_string(v) ? v : json_array_get(v, i);
        if (!json_is_string(x)) {
            free(base);
            return bad(err, path, "%s", "export.variant entries must be strings");
        }
        j->n_export = i + 1;
        j->export_variants[i] = strdup(json_string_value(x));
        j->export_outs[i] = json_is_string(v) ? strdup(base) : sp_path_join(base, json_string_value(x));
        if (!j->export_variants[i] || !j->export_outs[i]) {
            free(base);
            return nomem(err, path);
        }
    }
    free(base);
    return SCIPRUNE_OK;
}

sciprune_status run_job_parse(run_job *j, const char *path, const sciprune_run_options *o,
                              sciprune_error *err)
{
    memset(j, 0, sizeof *j);
    json_error_t je;
    j->cfg = json_load_file(path, 0, &je);
    if (!j->cfg) return sp_err(err, SCIPRUNE_EPARSE, path, je.line, je.position, "%s", je.text);
    json_t *c = j->cfg;
    static const char *const top[] = {"inputs", "workdir", "threads", "shard", "embed", "index",
                                      "score", "prune", "gates", "corrupt", "analyze", "export",
                                      "comment", NULL};
    static const struct { const char *name; const char *const keys[10]; } sections[] = {
        {"shard", {"text_field", "id_field", "default_lang", "max_line_bytes", NULL}},
        {"embed", {"embedder", "dim", "dtype", "features", "idf", "seed", "drop_structure_on_error", NULL}},
        {"index", {"k", "niter", "nredo", "seed", "metric", "max_points_per_centroid", NULL}},
        {"score", {"metrics", "ratios", "alphas", "seed", NULL}},
        {"prune", {"write_removed", "zstd_level", "fsync", NULL}},
        {"gates", {"enabled", "parse_error_langs", "undefined_name_langs", "js_envs", NULL}},
        {"corrupt", {"enabled", "per_type", "types", "langs", "seed", "max_tries", NULL}},
        {"analyze", {"enabled", "ratios", "alphas", "ratio", "weights", "seed", "corrupted",
                     "gate_budget_share", NULL}},
        {"export", {"variant", "out", NULL}},
    };
    sciprune_status st;
    if (!json_is_object(c)) return bad(err, path, "%s", "the config must be a JSON object");
    if ((st = check_keys(c, top, "(top level)", path, err))) return st;
    for (size_t i = 0; i < sizeof sections / sizeof *sections; i++)
        if ((st = check_keys(json_object_get(c, sections[i].name), sections[i].keys,
                             sections[i].name, path, err)))
            return st;
    char *slash = strrchr(path, '/');
    j->dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
    if (!j->dir) return nomem(err, path);
    json_t *wd = json_object_get(c, "workdir");
    if (o->workdir)
        j->workdir = strdup(o->workdir);
    else if (json_is_string(wd))
        j->workdir = rel(j->dir, json_string_value(wd));
    else
        return bad(err, path, "%s", "no \"workdir\" in the config (or give --workdir)");
    if (!j->workdir) return nomem(err, path);
    j->threads = 0;
    NUM(c, "(top level)", "threads", j->threads, int);
    if (o->threads >= 0) j->threads = o->threads;
    if ((st = parse_inputs(j, path, err)) || (st = parse_shard_embed(j, path, err)) ||
        (st = parse_index_score_prune(j, path, err)) || (st = parse_gates(j, path, err)) ||
        (st = parse_corrupt_analyze(j, path, err)) || (st = parse_export(j, path, err)))
        return st;
    return SCIPRUNE_OK;
}

void run_job_free(run_job *j)
{
    json_decref(j->cfg);
    free(j->dir);
    free(j->workdir);
    for (size_t i = 0; i < j->n_inputs; i++) free(j->inputs[i]);
    free(j->inputs);
    free(j->embed_spec_own);
    free(j->gates_pe_own);
    free(j->gates_un_own);
    free(j->gates_js_own);
    free(j->corrupt_types_own);
    free(j->corrupt_langs_own);
    free(j->analyze_weights_own);
    for (size_t i = 0; i < j->n_corrupted; i++) free(j->corrupted[i]);
    free(j->corrupted);
    for (size_t i = 0; i < j->n_export; i++) free(j->export_variants[i]), free(j->export_outs[i]);
    free(j->export_variants);
    free(j->export_outs);
    memset(j, 0, sizeof *j);
}
