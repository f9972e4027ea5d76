/*
 * run.c - `sciprune run`: every stage from one JSON job config, resumable.
 *
 * Job config (documented example: data/configs/default.json):
 *   {"inputs": ["<glob>", ...],               e.g. "shards/part-*.jsonl.zst"; relative to the
 *                                            config's folder; each glob sorted
 *    "workdir": "work",                       relative to the config's folder
 *    "threads": 0,                            0 = all cores
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
 *               true when a score metric is a gate+FILL plan)
 *    "corrupt": {"enabled", "per_type", "types", "langs", "seed", "max_tries"},
 *    "analyze": {"enabled", "ratios", "alphas", "ratio", "weights", "seed", "corrupted"}}
 * Unknown keys are errors (a typo must not silently fall back to a default).
 *
 * Stages: embed (with the hash embedder it also scores the gates on its own parse: one parse
 * per record) -> gates (only for npy/exec embedders) -> index -> score -> prune + report ->
 * corrupt (W/corrupt/) -> analyze (W/analyze/, on W/corrupt or analyze.corrupted).
 *
 * Resumability: workdir/manifest.json holds the input hashes, the canonical config and, per
 * stage, the key it finished with. Keys chain: embed = H(inputs, shard, embed[, gates]),
 * gates = H(inputs, shard, gates), index = H(embed, index), score = H(index, gates, score),
 * prune = H(score, prune), corrupt = H(inputs, shard, corrupt), analyze = H(index, gates,
 * corrupt, analyze). A stage whose key is
 * current is skipped; the embed stage also resumes shard by shard inside itself. A workdir
 * made from other inputs or another config is refused unless force is set; with force, only
 * the stages whose keys changed run again.
 */
#include "prune_int.h"
#include "../shard/sp_manifest.h"
#include "../gates/gates_int.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sciprune_run_options_default(sciprune_run_options *o)
{
    memset(o, 0, sizeof *o);
    o->threads = -1;
}

static sciprune_status bad(sciprune_error *err, const char *cfg, const char *fmt, const char *a)
{
    return sp_err(err, SCIPRUNE_EINVAL, cfg, -1, -1, fmt, a);
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
            return sp_err(err, SCIPRUNE_EINVAL, cfg, -1, -1, "unknown key \"%s\" in \"%s\"", k, section);
    }
    return SCIPRUNE_OK;
}

static int get_num(json_t *o, const char *k, double *out)
{
    json_t *v = json_object_get(o, k);
    if (!v) return 0;
    if (!json_is_number(v)) return -1;
    *out = json_number_value(v);
    return 1;
}

static char *canon(json_t *v)
{
    return v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : strdup("null");
}

typedef struct job {
    json_t *cfg;
    char *dir;          /* config folder */
    char *workdir;
    char **inputs;
    size_t n_inputs;
    int threads;
    sciprune_shard_options shard;
    sciprune_embedder_settings embed;
    sciprune_index_settings index;
    sciprune_score_settings score;
    sciprune_prune_settings prune;
    int gates_on, gates_in_embed;
    sciprune_gates_settings gates;
    int corrupt_on;
    sciprune_corrupt_options corrupt;
    int analyze_on;
    sciprune_analyze_settings analyze;
    char **corrupted;   /* analyze inputs, owned */
    size_t n_corrupted;
    char *strs[16];     /* owned strings the settings borrow */
} job;

static void job_free(job *j)
{
    json_decref(j->cfg);
    free(j->dir);
    free(j->workdir);
    for (size_t i = 0; i < j->n_inputs; i++) free(j->inputs[i]);
    free(j->inputs);
    for (size_t i = 0; i < 16; i++) free(j->strs[i]);
    for (size_t i = 0; i < j->n_corrupted; i++) free(j->corrupted[i]);
    free(j->corrupted);
}

/* A language list: "a,b" or ["a", "b"] or "all" -> an owned comma string in *out. */
static sciprune_status lang_list(json_t *v, const char *key, const char *cfg, char **out,
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
        *out = calloc(cap, 1);
        json_array_foreach(v, idx, x) {
            if (!*out) break;
            if (idx) strcat(*out, ",");
            strcat(*out, json_string_value(x));
        }
    } else {
        return bad(err, cfg, "\"%s\" must be a string or a non-empty list of strings", key);
    }
    return *out ? SCIPRUNE_OK : sp_err(err, SCIPRUNE_ENOMEM, cfg, -1, -1, "out of memory");
}

/* A list of numbers -> "0.1,0.2" in an owned string. */
static sciprune_status num_list(json_t *v, const char *key, const char *cfg, char **out,
                                sciprune_error *err)
{
    *out = NULL;
    if (!v) return SCIPRUNE_OK;
    if (!json_is_array(v) || !json_array_size(v))
        return bad(err, cfg, "\"%s\" must be a non-empty list of numbers", key);
    size_t cap = 32 * json_array_size(v) + 1, n = 0, idx;
    json_t *x;
    *out = calloc(cap, 1);
    if (!*out) return sp_err(err, SCIPRUNE_ENOMEM, cfg, -1, -1, "out of memory");
    json_array_foreach(v, idx, x) {
        if (!json_is_number(x)) return bad(err, cfg, "\"%s\" entries must be numbers", key);
        n += (size_t)snprintf(*out + n, cap - n, "%s%.17g", idx ? "," : "", json_number_value(x));
    }
    return SCIPRUNE_OK;
}

static char *rel(const char *dir, const char *p)
{
    return p[0] == '/' ? strdup(p) : sp_path_join(dir, p);
}

#define NUM_OR_FAIL(obj, key, dst, cast)                                                    \
    do {                                                                                    \
        double v_;                                                                          \
        int r_ = get_num(obj, key, &v_);                                                    \
        if (r_ < 0) return bad(err, path, "\"%s\" must be a number", key);                  \
        if (r_ > 0) dst = (cast)v_;                                                         \
    } while (0)

static sciprune_status job_parse(job *j, const char *path, const sciprune_run_options *o,
                                 sciprune_error *err)
{
    json_error_t je;
    j->cfg = json_load_file(path, 0, &je);
    if (!j->cfg) return sp_err(err, SCIPRUNE_EPARSE, path, je.line, je.position, "%s", je.text);
    json_t *c = j->cfg;
    static const char *const top[] = {"inputs", "workdir", "threads", "shard", "embed", "index",
                                      "score", "prune", "gates", "corrupt", "analyze", "comment",
                                      NULL};
    static const char *const k_gates[] = {"enabled", "parse_error_langs", "undefined_name_langs",
                                          "js_envs", NULL};
    static const char *const k_corrupt[] = {"enabled", "per_type", "types", "langs", "seed", "max_tries", NULL};
    static const char *const k_analyze[] = {"enabled", "ratios", "alphas", "ratio", "weights", "seed",
                                            "corrupted", NULL};
    static const char *const k_shard[] = {"text_field", "id_field", "default_lang", "max_line_bytes", NULL};
    static const char *const k_embed[] = {"embedder", "dim", "dtype", "features", "idf", "seed",
                                          "drop_structure_on_error", NULL};
    static const char *const k_index[] = {"k", "niter", "nredo", "seed", "metric", "max_points_per_centroid", NULL};
    static const char *const k_score[] = {"metrics", "ratios", "alphas", "seed", NULL};
    static const char *const k_prune[] = {"write_removed", "zstd_level", "fsync", NULL};
    sciprune_status st;
    if ((st = check_keys(c, top, "(top level)", path, err)) ||
        (st = check_keys(json_object_get(c, "shard"), k_shard, "shard", path, err)) ||
        (st = check_keys(json_object_get(c, "embed"), k_embed, "embed", path, err)) ||
        (st = check_keys(json_object_get(c, "index"), k_index, "index", path, err)) ||
        (st = check_keys(json_object_get(c, "score"), k_score, "score", path, err)) ||
        (st = check_keys(json_object_get(c, "prune"), k_prune, "prune", path, err)) ||
        (st = check_keys(json_object_get(c, "gates"), k_gates, "gates", path, err)) ||
        (st = check_keys(json_object_get(c, "corrupt"), k_corrupt, "corrupt", path, err)) ||
        (st = check_keys(json_object_get(c, "analyze"), k_analyze, "analyze", path, err)))
        return st;
    char *slash = strrchr(path, '/');
    j->dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
    if (!j->dir) return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
    if (o->workdir)
        j->workdir = strdup(o->workdir);
    else if (json_is_string(json_object_get(c, "workdir")))
        j->workdir = rel(j->dir, json_string_value(json_object_get(c, "workdir")));
    else
        return bad(err, path, "%s", "no \"workdir\" in the config (or give --workdir)");
    if (!j->workdir) return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
    j->threads = 0;
    NUM_OR_FAIL(c, "threads", j->threads, int);
    if (o->threads >= 0) j->threads = o->threads;

    /* inputs: globs relative to the config folder, each sorted, in the order given */
    json_t *in = json_object_get(c, "inputs");
    if (!json_is_array(in) || json_array_size(in) == 0)
        return bad(err, path, "%s", "\"inputs\" must be a non-empty list of shard paths or globs");
    size_t idx;
    json_t *pat;
    json_array_foreach(in, idx, pat) {
        if (!json_is_string(pat)) return bad(err, path, "%s", "\"inputs\" entries must be strings");
        char *p = rel(j->dir, json_string_value(pat));
        glob_t g;
        int gr = glob(p, 0, NULL, &g);
        if (gr != 0) {
            sp_err(err, SCIPRUNE_EINVAL, path, -1, -1, "input pattern matches no file: %s", p);
            free(p);
            return SCIPRUNE_EINVAL;
        }
        free(p);
        char **ni = realloc(j->inputs, (j->n_inputs + g.gl_pathc) * sizeof *ni);
        if (!ni) {
            globfree(&g);
            return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
        }
        j->inputs = ni;
        for (size_t i = 0; i < g.gl_pathc; i++) j->inputs[j->n_inputs++] = strdup(g.gl_pathv[i]);
        globfree(&g);
    }

    json_t *s = json_object_get(c, "shard");
    sciprune_shard_options_default(&j->shard);
    if (json_is_string(json_object_get(s, "text_field"))) j->shard.text_field = json_string_value(json_object_get(s, "text_field"));
    if (json_is_string(json_object_get(s, "id_field"))) j->shard.id_field = json_string_value(json_object_get(s, "id_field"));
    if (json_is_string(json_object_get(s, "default_lang"))) j->shard.default_lang = json_string_value(json_object_get(s, "default_lang"));
    NUM_OR_FAIL(s, "max_line_bytes", j->shard.max_line_bytes, size_t);

    json_t *e = json_object_get(c, "embed");
    sciprune_embedder_settings_default(&j->embed);
    if (json_is_string(json_object_get(e, "embedder"))) {
        if (json_string_value(json_object_get(e, "embedder"))[0] == 'n') {
            /* npy:DIR is relative to the config folder */
            const char *sp = json_string_value(json_object_get(e, "embedder"));
            char *d = strncmp(sp, "npy:", 4) == 0 ? rel(j->dir, sp + 4) : NULL;
            j->strs[0] = d ? malloc(strlen(d) + 5) : NULL;
            if (d && j->strs[0]) sprintf(j->strs[0], "npy:%s", d);
            free(d);
        }
        st = sciprune_embedder_settings_parse(&j->embed, j->strs[0] ? j->strs[0] : json_string_value(json_object_get(e, "embedder")), err);
        if (st) return st;
    }
    NUM_OR_FAIL(e, "dim", j->embed.dim, uint32_t);
    NUM_OR_FAIL(e, "seed", j->embed.seed, uint64_t);
    if (json_is_string(json_object_get(e, "dtype"))) {
        const char *t = json_string_value(json_object_get(e, "dtype"));
        if (!strcmp(t, "float16") || !strcmp(t, "f16")) j->embed.dtype = SCIPRUNE_VEC_F16;
        else if (!strcmp(t, "float32") || !strcmp(t, "f32")) j->embed.dtype = SCIPRUNE_VEC_F32;
        else return bad(err, path, "embed.dtype \"%s\": want float32 or float16", t);
    }
    if (json_is_string(json_object_get(e, "features")) &&
        (st = sciprune_embed_features_parse(json_string_value(json_object_get(e, "features")), &j->embed.features, err)))
        return st;
    if (json_is_boolean(json_object_get(e, "idf"))) j->embed.idf = json_is_true(json_object_get(e, "idf"));
    if (json_is_boolean(json_object_get(e, "drop_structure_on_error")))
        j->embed.drop_structure_on_error = json_is_true(json_object_get(e, "drop_structure_on_error"));

    json_t *x = json_object_get(c, "index");
    sciprune_index_settings_default(&j->index);
    NUM_OR_FAIL(x, "k", j->index.k, int);
    NUM_OR_FAIL(x, "niter", j->index.niter, int);
    NUM_OR_FAIL(x, "nredo", j->index.nredo, int);
    NUM_OR_FAIL(x, "seed", j->index.seed, uint64_t);
    NUM_OR_FAIL(x, "max_points_per_centroid", j->index.max_points_per_centroid, int);
    if (json_is_string(json_object_get(x, "metric")) &&
        (st = sciprune_space_parse(json_string_value(json_object_get(x, "metric")), &j->index.space, err)))
        return st;
    j->index.threads = j->threads;

    json_t *sc = json_object_get(c, "score");
    sciprune_score_settings_default(&j->score);
    char *lists[3] = {NULL, NULL, NULL};
    const char *names[3] = {"metrics", "ratios", "alphas"};
    for (int li = 0; li < 3; li++) {
        json_t *a = json_object_get(sc, names[li]);
        if (!a) continue;
        if (!json_is_array(a) || json_array_size(a) == 0) return bad(err, path, "score.%s must be a non-empty list", names[li]);
        size_t cap = 16 * json_array_size(a) + 1, n = 0;
        lists[li] = j->strs[1 + li] = calloc(cap, 1);
        json_t *v;
        json_array_foreach(a, idx, v) {
            if (li == 0 && !json_is_string(v)) return bad(err, path, "%s", "score.metrics entries must be names");
            if (li > 0 && !json_is_number(v)) return bad(err, path, "score.%s entries must be numbers", names[li]);
            n += (size_t)snprintf(lists[li] + n, cap - n, "%s", n ? "," : "");
            if (li == 0) n += (size_t)snprintf(lists[li] + n, cap - n, "%.15s", json_string_value(v));
            else n += (size_t)snprintf(lists[li] + n, cap - n, "%.6g", json_number_value(v));
        }
    }
    if ((lists[0] || lists[1] || lists[2]) &&
        (st = sciprune_score_settings_parse(&j->score, lists[0], lists[1], lists[2], err)))
        return st;
    NUM_OR_FAIL(sc, "seed", j->score.seed, uint64_t);
    j->score.threads = j->threads;
    j->score.shard = j->shard;

    json_t *pr = json_object_get(c, "prune");
    sciprune_prune_settings_default(&j->prune);
    if (json_is_boolean(json_object_get(pr, "write_removed"))) j->prune.write_removed = json_is_true(json_object_get(pr, "write_removed"));
    if (json_is_boolean(json_object_get(pr, "fsync"))) j->prune.writer.fsync = json_is_true(json_object_get(pr, "fsync"));
    NUM_OR_FAIL(pr, "zstd_level", j->prune.writer.zstd_level, int);
    j->prune.threads = j->threads;
    j->prune.shard = j->shard;

    /* gates: on by default when a plan needs them */
    json_t *ga = json_object_get(c, "gates");
    sciprune_gates_settings_default(&j->gates);
    for (size_t i = 0; i < j->score.n_metrics; i++)
        j->gates_on |= sciprune_score_metric_is_plan(j->score.metrics[i]);
    json_t *en = json_object_get(ga, "enabled");
    if (en && !json_is_boolean(en)) return bad(err, path, "%s", "gates.enabled must be true or false");
    if (en) j->gates_on = json_is_true(en);
    if (!j->gates_on)
        for (size_t i = 0; i < j->score.n_metrics; i++)
            if (sciprune_score_metric_is_plan(j->score.metrics[i]))
                return bad(err, path, "score metric %s needs the gates: set gates.enabled to true",
                           sciprune_score_metric_name(j->score.metrics[i]));
    if ((st = lang_list(json_object_get(ga, "parse_error_langs"), "gates.parse_error_langs", path, &j->strs[4], err)) ||
        (st = lang_list(json_object_get(ga, "undefined_name_langs"), "gates.undefined_name_langs", path, &j->strs[5], err)))
        return st;
    j->gates.parse_error_langs = j->strs[4];
    j->gates.undefined_name_langs = j->strs[5];
    if ((st = lang_list(json_object_get(ga, "js_envs"), "gates.js_envs", path, &j->strs[15], err)))
        return st;
    j->gates.js_envs = j->strs[15];
    j->gates.threads = j->threads;
    j->gates.shard = j->shard;
    if ((st = sciprune_gates_settings_check(&j->gates, err))) {
        if (err) sp_strlcpy(err->source, path, sizeof err->source);
        return st;
    }
    j->gates_in_embed = j->gates_on && j->embed.backend == SCIPRUNE_EMBED_HASH;

    /* corrupt */
    json_t *co = json_object_get(c, "corrupt");
    sciprune_corrupt_options_default(&j->corrupt);
    j->corrupt_on = co != NULL;
    en = json_object_get(co, "enabled");
    if (en && !json_is_boolean(en)) return bad(err, path, "%s", "corrupt.enabled must be true or false");
    if (en) j->corrupt_on = json_is_true(en);
    NUM_OR_FAIL(co, "per_type", j->corrupt.per_type, uint64_t);
    NUM_OR_FAIL(co, "max_tries", j->corrupt.max_tries, uint64_t);
    NUM_OR_FAIL(co, "seed", j->corrupt.seed, uint64_t);
    if ((st = lang_list(json_object_get(co, "types"), "corrupt.types", path, &j->strs[6], err)) ||
        (st = lang_list(json_object_get(co, "langs"), "corrupt.langs", path, &j->strs[7], err)))
        return st;
    j->corrupt.types = j->strs[6];
    j->corrupt.langs = j->strs[7];
    j->corrupt.threads = j->threads;
    j->corrupt.shard = &j->shard;

    /* analyze */
    json_t *an = json_object_get(c, "analyze");
    sciprune_analyze_settings_default(&j->analyze);
    j->analyze_on = an != NULL;
    en = json_object_get(an, "enabled");
    if (en && !json_is_boolean(en)) return bad(err, path, "%s", "analyze.enabled must be true or false");
    if (en) j->analyze_on = json_is_true(en);
    if ((st = num_list(json_object_get(an, "ratios"), "analyze.ratios", path, &j->strs[8], err)) ||
        (st = num_list(json_object_get(an, "alphas"), "analyze.alphas", path, &j->strs[9], err)))
        return st;
    if ((j->strs[8] || j->strs[9]) &&
        (st = sciprune_analyze_settings_parse(&j->analyze, j->strs[8], j->strs[9], err))) {
        if (err) sp_strlcpy(err->source, path, sizeof err->source);
        return st;
    }
    NUM_OR_FAIL(an, "ratio", j->analyze.ratio, double);
    NUM_OR_FAIL(an, "seed", j->analyze.seed, uint64_t);
    json_t *wt = json_object_get(an, "weights");
    if (wt) {
        if (!json_is_string(wt)) return bad(err, path, "%s", "analyze.weights must be a string like \"syntax=2,content=1\"");
        if (!(j->strs[10] = strdup(json_string_value(wt)))) return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
        j->analyze.weights = j->strs[10];
    }
    j->analyze.threads = j->threads;
    j->analyze.shard = j->shard;
    json_t *cd = json_object_get(an, "corrupted");
    if (cd) {
        if (!json_is_array(cd) || !json_array_size(cd))
            return bad(err, path, "%s", "analyze.corrupted must be a non-empty list of paths");
        j->corrupted = calloc(json_array_size(cd), sizeof *j->corrupted);
        if (!j->corrupted) return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
        json_array_foreach(cd, idx, pat) {
            if (!json_is_string(pat)) return bad(err, path, "%s", "analyze.corrupted entries must be paths");
            if (!(j->corrupted[j->n_corrupted++] = rel(j->dir, json_string_value(pat))))
                return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
        }
    } else if (j->analyze_on) {
        if (!j->corrupt_on)
            return bad(err, path, "%s", "analyze needs corrupted variants: enable \"corrupt\" or give analyze.corrupted");
        j->corrupted = calloc(1, sizeof *j->corrupted);
        if (!j->corrupted || !(j->corrupted[0] = sp_path_join(j->workdir, "corrupt")))
            return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
        j->n_corrupted = 1;
    }
    return SCIPRUNE_OK;
}

/* Remove what sciprune_corrupt_run writes in dir (corrupt-*.jsonl[.zst], labels.jsonl,
 * corrupt.json); nothing else. */
static sciprune_status clear_corrupt_dir(const char *dir, sciprune_error *err)
{
    DIR *d = opendir(dir);
    if (!d) return SCIPRUNE_OK;
    struct dirent *de;
    sciprune_status st = SCIPRUNE_OK;
    while (!st && (de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        size_t l = strlen(n);
        int ours = (!strncmp(n, "corrupt-", 8) && ((l > 6 && !strcmp(n + l - 6, ".jsonl")) ||
                                                   (l > 10 && !strcmp(n + l - 10, ".jsonl.zst")))) ||
                   !strcmp(n, "labels.jsonl") || !strcmp(n, "corrupt.json");
        if (!ours) continue;
        char *p = sp_path_join(dir, n);
        if (!p) st = sp_err(err, SCIPRUNE_ENOMEM, dir, -1, -1, "out of memory");
        else if (unlink(p) != 0 && errno != ENOENT) st = sp_err(err, SCIPRUNE_EIO, p, -1, -1, "cannot remove: %s", strerror(errno));
        free(p);
    }
    closedir(d);
    return st;
}

static void stage_note(const sciprune_run_options *o, const char *stage, const char *state)
{
    if (o->on_stage) o->on_stage(o->user, stage, state);
}

sciprune_status sciprune_run(const char *config_path, const sciprune_run_options *opt,
                             sciprune_error *err)
{
    sciprune_run_options o;
    if (opt) o = *opt; else sciprune_run_options_default(&o);
    job j;
    memset(&j, 0, sizeof j);
    sp_manifest *m = NULL;
    sciprune_shard_set *set = NULL;
    char *c_shard = NULL, *c_embed = NULL, *c_index = NULL, *c_score = NULL, *c_prune = NULL, *c_all = NULL;
    char *c_gates = NULL, *c_corrupt = NULL, *c_analyze = NULL;
    sciprune_status st = job_parse(&j, config_path, &o, err);
    if (st) goto done;
    if ((st = sp_mkdirs(j.workdir, err))) goto done;
    if ((st = sp_manifest_load(&m, j.workdir, err))) goto done;
    int inputs_changed = 0;
    if ((st = sp_manifest_set_inputs(m, (const char *const *)j.inputs, j.n_inputs, &inputs_changed, err))) goto done;
    c_shard = canon(json_object_get(j.cfg, "shard"));
    c_embed = canon(json_object_get(j.cfg, "embed"));
    c_index = canon(json_object_get(j.cfg, "index"));
    c_score = canon(json_object_get(j.cfg, "score"));
    c_prune = canon(json_object_get(j.cfg, "prune"));
    { /* the gates as they will run (on/off and the language lists in force) */
        json_t *g = json_pack("{s:s, s:s, s:s}", "parse_error_langs",
                              gates_langs_of(&j.gates, GATES_PARSE_ERROR), "undefined_name_langs",
                              gates_langs_of(&j.gates, GATES_UNDEFINED_NAME), "js_envs",
                              j.gates.js_envs && *j.gates.js_envs ? j.gates.js_envs : "auto");
        c_gates = canon(g);
        json_decref(g);
    }
    c_corrupt = canon(json_object_get(j.cfg, "corrupt"));
    c_analyze = canon(json_object_get(j.cfg, "analyze"));
    json_t *sub = json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}", "shard", json_object_get(j.cfg, "shard"),
                            "embed", json_object_get(j.cfg, "embed"), "index", json_object_get(j.cfg, "index"),
                            "score", json_object_get(j.cfg, "score"), "prune", json_object_get(j.cfg, "prune"),
                            "gates", json_object_get(j.cfg, "gates"), "corrupt", json_object_get(j.cfg, "corrupt"),
                            "analyze", json_object_get(j.cfg, "analyze"));
    c_all = canon(sub);
    json_decref(sub);
    if (!c_shard || !c_embed || !c_index || !c_score || !c_prune || !c_all || !c_gates ||
        !c_corrupt || !c_analyze) {
        st = sp_err(err, SCIPRUNE_ENOMEM, config_path, -1, -1, "out of memory");
        goto done;
    }
    const char *old_cfg = sp_manifest_get_config(m);
    int cfg_changed = old_cfg && strcmp(old_cfg, c_all) != 0;
    if ((inputs_changed || cfg_changed) && !o.force) {
        st = sp_err(err, SCIPRUNE_ESTATE, j.workdir, -1, -1,
                    "this workdir was made from %s; refusing to mix results (use --force to "
                    "recompute what changed, or another workdir)",
                    inputs_changed && cfg_changed ? "other inputs and another config"
                    : inputs_changed ? "other inputs" : "another config");
        goto done;
    }
    if ((st = sp_manifest_set_config(m, c_all, err)) || (st = sp_manifest_save(m, err))) goto done;

    char k_embed[33], k_index[33], k_score[33], k_prune[33], k_gates[33], k_corrupt[33], k_analyze[33];
    const char *pe[] = {"embed", sp_manifest_inputs_key(m), c_shard, c_embed, NULL};
    sp_key_of(k_embed, pe);
    const char *pg[] = {"gates", sp_manifest_inputs_key(m), c_shard, c_gates, NULL};
    sp_key_of(k_gates, pg);
    const char *pi[] = {"index", k_embed, c_index, NULL};
    sp_key_of(k_index, pi);
    const char *ps[] = {"score", k_index, j.gates_on ? k_gates : "", c_score, NULL};
    sp_key_of(k_score, ps);
    const char *pc[] = {"corrupt", sp_manifest_inputs_key(m), c_shard, c_corrupt, NULL};
    sp_key_of(k_corrupt, pc);
    const char *pa[] = {"analyze", k_index, j.gates_on ? k_gates : "",
                        j.analyze_on && json_object_get(json_object_get(j.cfg, "analyze"), "corrupted") ? "" : k_corrupt,
                        c_analyze, NULL};
    sp_key_of(k_analyze, pa);
    const char *pp[] = {"prune", k_score, c_prune, NULL};
    sp_key_of(k_prune, pp);

    /* embed */
    if (sp_manifest_stage_current(m, "embed", k_embed)) {
        stage_note(&o, "embed", "up to date");
    } else {
        stage_note(&o, "embed", "running");
        int embed_was_other = sp_manifest_stage_key(m, "embed") != NULL;
        if ((st = sp_manifest_stage_clear(m, "embed", err))) goto done;
        sciprune_embed_options eo;
        sciprune_embed_options_default(&eo);
        eo.shard = j.shard;
        eo.threads = j.threads;
        eo.force = o.force && embed_was_other;
        eo.progress = o.progress;
        eo.progress_user = o.user;
        /* the gates ride on the embedder's parse when they are due too */
        int gates_too = j.gates_in_embed && !sp_manifest_stage_current(m, "gates", k_gates);
        eo.gates = gates_too ? &j.gates : NULL;
        if (gates_too && (st = sp_manifest_stage_clear(m, "gates", err))) goto done;
        sciprune_embed_stats es;
        double t0 = sp_now();
        if ((st = sciprune_embed_shards(j.workdir, (const char *const *)j.inputs, j.n_inputs, &j.embed, &eo, &es, err))) goto done;
        if ((st = sp_manifest_stage_done(m, "embed", k_embed, sp_now() - t0, sp_peak_rss(), err))) goto done;
        if (gates_too && (st = sp_manifest_stage_done(m, "gates", k_gates, 0, sp_peak_rss(), err))) goto done;
        stage_note(&o, "embed", gates_too ? "done (with the gates)" : "done");
    }
    /* gates on their own parse: npy and exec embedders, or gate settings changed after the
     * vectors were made (one parse instead of re-embedding) */
    if (j.gates_on) {
        if (sp_manifest_stage_current(m, "gates", k_gates)) {
            stage_note(&o, "gates", "up to date");
        } else {
            stage_note(&o, "gates", "running");
            if ((st = sp_manifest_stage_clear(m, "gates", err))) goto done;
            double t0 = sp_now();
            if ((st = sciprune_gates_run(j.workdir, (const char *const *)j.inputs, j.n_inputs, &j.gates, NULL, err))) goto done;
            if ((st = sp_manifest_stage_done(m, "gates", k_gates, sp_now() - t0, sp_peak_rss(), err))) goto done;
            stage_note(&o, "gates", "done");
        }
    }
    if ((st = sciprune_shard_set_from_paths(&set, (const char *const *)j.inputs, j.n_inputs, err))) goto done;
    /* index */
    if (sp_manifest_stage_current(m, "index", k_index)) {
        stage_note(&o, "index", "up to date");
    } else {
        stage_note(&o, "index", "running");
        if ((st = sp_manifest_stage_clear(m, "index", err))) goto done;
        sciprune_index_info info;
        double t0 = sp_now();
        if ((st = sciprune_index_train(j.workdir, set, &j.index, &info, err))) goto done;
        if ((st = sciprune_index_assign_shards(j.workdir, set, &j.index, &info, err))) goto done;
        if ((st = sp_manifest_stage_done(m, "index", k_index, sp_now() - t0, sp_peak_rss(), err))) goto done;
        stage_note(&o, "index", "done");
    }
    /* score */
    if (sp_manifest_stage_current(m, "score", k_score)) {
        stage_note(&o, "score", "up to date");
    } else {
        stage_note(&o, "score", "running");
        if ((st = sp_manifest_stage_clear(m, "score", err))) goto done;
        sciprune_score_info info;
        double t0 = sp_now();
        if ((st = sciprune_score_sweep(j.workdir, set, &j.score, &info, err))) goto done;
        if ((st = sp_manifest_stage_done(m, "score", k_score, sp_now() - t0, sp_peak_rss(), err))) goto done;
        stage_note(&o, "score", "done");
    }
    /* prune + report */
    if (sp_manifest_stage_current(m, "prune", k_prune)) {
        stage_note(&o, "prune", "up to date");
    } else {
        stage_note(&o, "prune", "running");
        if ((st = sp_manifest_stage_clear(m, "prune", err))) goto done;
        sciprune_prune_info info;
        double t0 = sp_now();
        if ((st = sciprune_prune_write(j.workdir, set, &j.prune, &info, err))) goto done;
        if ((st = sciprune_report_write(j.workdir, err))) goto done;
        if ((st = sp_manifest_stage_done(m, "prune", k_prune, sp_now() - t0, sp_peak_rss(), err))) goto done;
        stage_note(&o, "prune", "done");
    }
    /* corrupt: synthetic variants of the inputs, the measuring stick of analyze */
    if (j.corrupt_on) {
        if (sp_manifest_stage_current(m, "corrupt", k_corrupt)) {
            stage_note(&o, "corrupt", "up to date");
        } else {
            stage_note(&o, "corrupt", "running");
            if ((st = sp_manifest_stage_clear(m, "corrupt", err))) goto done;
            char *cdir = sp_path_join(j.workdir, "corrupt");
            if (!cdir) {
                st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
                goto done;
            }
            double t0 = sp_now();
            st = clear_corrupt_dir(cdir, err); /* a narrower rerun must not leave old variants */
            if (!st) st = sciprune_corrupt_run((const char *const *)j.inputs, j.n_inputs, cdir, &j.corrupt, NULL, err);
            free(cdir);
            if (st) goto done;
            if ((st = sp_manifest_stage_done(m, "corrupt", k_corrupt, sp_now() - t0, sp_peak_rss(), err))) goto done;
            stage_note(&o, "corrupt", "done");
        }
    }
    /* analyze: where the variants land, which metric or plan catches them */
    if (j.analyze_on) {
        if (sp_manifest_stage_current(m, "analyze", k_analyze)) {
            stage_note(&o, "analyze", "up to date");
        } else {
            stage_note(&o, "analyze", "running");
            if ((st = sp_manifest_stage_clear(m, "analyze", err))) goto done;
            double t0 = sp_now();
            if ((st = sciprune_analyze(j.workdir, (const char *const *)j.corrupted, j.n_corrupted, &j.analyze, NULL, err))) goto done;
            if ((st = sp_manifest_stage_done(m, "analyze", k_analyze, sp_now() - t0, sp_peak_rss(), err))) goto done;
            stage_note(&o, "analyze", "done");
        }
    }
    if (o.workdir_out) sp_strlcpy(o.workdir_out, j.workdir, o.workdir_out_cap);
done:
    free(c_shard); free(c_embed); free(c_index); free(c_score); free(c_prune); free(c_all);
    free(c_gates); free(c_corrupt); free(c_analyze);
    sciprune_shard_set_free(set);
    sp_manifest_free(m);
    job_free(&j);
    return st;
}
