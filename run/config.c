/*
 * config.c - the job config of `sciprune run`, parsed once into typed stage settings.
 *
 * Format (documented example with every key: data/configs/default.json):
 *   {"inputs": ["<glob>", ...],               relative to the config's folder; each glob
 *                                            sorted, the globs in the order given
 *    "workdir": "work",                       relative to the config's folder
 *    "threads": 0,                            0 = the CPUs this process may run on
 *    "progress_interval_s": 30,               seconds between progress lines when stderr is
 *                                            not a terminal (0: none); `run --progress-every`
 *                                            wins; not part of any stage's key
 *    "shard":  {"text_field", "id_field", "default_lang", "max_line_bytes"},
 *    "embed":  {"embedder": "hash"|"npy:DIR"|"exec:CMD", "dim", "dtype": "float32"|"float16",
 *               "features", "idf", "idf_sample", "seed", "drop_structure_on_error"},
 *    "index":  {"k", "niter", "nredo", "seed", "metric": "cosine"|"l2",
 *               "max_points_per_centroid"},
 *    "score":  {"metrics": [...], "ratios": [...], "alphas": [...], "seed",
 *               "budget": "records"|"bytes"|"tokens", "per_lang": "global"|"proportional"},
 *    "prune":  {"write_removed", "zstd_level", "fsync", "output": "shards"|"ids"|"mask"},
 *    "gates":  {"enabled", "parse_error_langs", "undefined_name_langs", "js_envs"},
 *               (languages: a list or a comma string, or "all"; js_envs: JavaScript
 *               environments, a list or a comma string, default "auto"; enabled defaults to
 *               true when a score metric is a gate+FILL plan or auto)
 *    "corrupt": {"enabled", "per_type", "types", "langs", "seed", "max_tries", "strata",
 *                "heldout" (default true: also the held-out probe set W/corrupt/heldout/ that
 *                analyze tests its learned model on; see run.c)},
 *    "analyze": {"enabled", "ratios", "alphas", "ratio", "weights", "seed", "corrupted",
 *                "gate_budget_share", "held_out_auto"},
 *    "decontam": {"enabled", "benchmarks": ["humaneval:PATH", "mbpp:PATH", "jsonl:PATH"],
 *                 "fields", "id_field" (jsonl benchmarks), "exact", "ngram", "exact_min_chars",
 *                 "ngram_n", "ngram_min", "ngram_threshold", "ngram_df_min", "ngram_df_share"}
 *               (paths relative to the config's folder; enabled defaults to true when the
 *               section is there; the stage runs before score: see sciprune_decontam_run)
 *    "export": {"variant": "V" | [...], "out": "DIR"},   after prune: pruning models
 *                                            (sciprune_model_export; a list: DIR/<variant>);
 *                                            not part of any stage's key
 *    "comment": anything}
 * Unknown keys are errors (a typo must not silently fall back to a default). Lists of numbers
 * and metric names go straight into the settings' arrays; language and type lists become the
 * comma lists the gates and corrupt settings take.
 */
#include "run_int.h"

#include <sys/stat.h>
#include <glob.h>
#include <stdint.h>
#include <math.h>
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
    return v ? sp_json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : strdup("null");
}

/* ------------------------------------------------------------------ the key table
 * Every key the config may hold, with its JSON type and range: validate_all() checks the whole
 * config against it before anything is parsed, made or written (a bad value must not surface
 * only after embedding has finished). Integer ranges are those the stages accept (index/
 * train.c, embed/embedder.c, shard/reader.c, shard/writer.c), so a value that passes here
 * is not refused later; semantic checks of names (metrics, languages, corruption types,
 * weights) follow in the parse functions, still before anything is written. */
typedef enum vtype {
    V_ANY,    /* anything (comment) */
    V_BOOL,   /* true or false, nothing else */
    V_INT,    /* an integral number in [lo, hi] */
    V_NUM,    /* a number in [lo, hi] */
    V_STR,    /* a non-empty string */
    V_ENUM,   /* a string from `names` ("a|b|c") */
    V_NAMES,  /* a non-empty string ("a,b" or "all") or a non-empty list of non-empty strings */
    V_STRS,   /* a non-empty list of non-empty strings */
    V_NUMS,   /* a non-empty list of numbers, each in [lo, hi] */
    V_OBJ     /* a section: an object whose keys are the rules with this section name */
} vtype;

typedef struct vrule {
    const char *sec;   /* NULL: top level */
    const char *key;
    vtype t;
    double lo, hi;
    const char *names; /* V_ENUM */
} vrule;

#define I63 9223372036854775807.0 /* JSON integers are signed 64-bit */
static const vrule k_rules[] = {
    {NULL, "inputs", V_STRS, 0, 0, NULL},
    {NULL, "workdir", V_STR, 0, 0, NULL},
    {NULL, "threads", V_INT, 0, 4096, NULL},
    {NULL, "progress_interval_s", V_NUM, 0, 86400, NULL},
    {NULL, "comment", V_ANY, 0, 0, NULL},
    {NULL, "shard", V_OBJ, 0, 0, NULL},
    {NULL, "embed", V_OBJ, 0, 0, NULL},
    {NULL, "index", V_OBJ, 0, 0, NULL},
    {NULL, "score", V_OBJ, 0, 0, NULL},
    {NULL, "prune", V_OBJ, 0, 0, NULL},
    {NULL, "gates", V_OBJ, 0, 0, NULL},
    {NULL, "corrupt", V_OBJ, 0, 0, NULL},
    {NULL, "analyze", V_OBJ, 0, 0, NULL},
    {NULL, "export", V_OBJ, 0, 0, NULL},
    {NULL, "decontam", V_OBJ, 0, 0, NULL},
    {"shard", "text_field", V_STR, 0, 0, NULL},
    {"shard", "id_field", V_STR, 0, 0, NULL},
    {"shard", "default_lang", V_STR, 0, 0, NULL},
    {"shard", "max_line_bytes", V_INT, 16, 1099511627776.0, NULL},
    {"embed", "embedder", V_STR, 0, 0, NULL},
    {"embed", "dim", V_INT, 1, 65536, NULL}, /* hash: 64..4096, checked in parse_shard_embed */
    {"embed", "dtype", V_ENUM, 0, 0, "float32|float16|f32|f16"},
    {"embed", "features", V_STR, 0, 0, NULL},
    {"embed", "idf", V_BOOL, 0, 0, NULL},
    {"embed", "idf_sample", V_NUM, 1e-6, 1, NULL}, /* also the naturalness model's sample */
    {"embed", "seed", V_INT, 0, I63, NULL},
    {"embed", "drop_structure_on_error", V_BOOL, 0, 0, NULL},
    {"index", "k", V_INT, 1, 16777216, NULL},
    {"index", "niter", V_INT, 1, 1000000, NULL},
    {"index", "nredo", V_INT, 1, 10000, NULL},
    {"index", "seed", V_INT, 0, I63, NULL},
    {"index", "metric", V_ENUM, 0, 0, "cosine|l2|ip"},
    {"index", "max_points_per_centroid", V_INT, 1, 16777216, NULL},
    {"score", "metrics", V_STRS, 0, 0, NULL},
    {"score", "ratios", V_NUMS, 0, 1, NULL},
    {"score", "alphas", V_NUMS, 0, 1, NULL},
    {"score", "seed", V_INT, 0, I63, NULL},
    {"score", "budget", V_ENUM, 0, 0, "records|bytes|tokens"},
    {"score", "per_lang", V_ENUM, 0, 0, "global|proportional"},
    {"prune", "write_removed", V_BOOL, 0, 0, NULL},
    {"prune", "zstd_level", V_INT, 1, 22, NULL},
    {"prune", "fsync", V_BOOL, 0, 0, NULL},
    {"prune", "output", V_ENUM, 0, 0, "shards|ids|mask"},
    {"gates", "enabled", V_BOOL, 0, 0, NULL},
    {"gates", "parse_error_langs", V_NAMES, 0, 0, NULL},
    {"gates", "undefined_name_langs", V_NAMES, 0, 0, NULL},
    {"gates", "js_envs", V_NAMES, 0, 0, NULL},
    {"corrupt", "enabled", V_BOOL, 0, 0, NULL},
    {"corrupt", "per_type", V_INT, 1, 1e9, NULL},
    {"corrupt", "types", V_NAMES, 0, 0, NULL},
    {"corrupt", "langs", V_NAMES, 0, 0, NULL},
    {"corrupt", "seed", V_INT, 0, I63, NULL},
    {"corrupt", "max_tries", V_INT, 0, 1e12, NULL},
    {"corrupt", "strata", V_INT, 1, 64, NULL},
    {"corrupt", "heldout", V_BOOL, 0, 0, NULL},
    {"analyze", "enabled", V_BOOL, 0, 0, NULL},
    {"analyze", "ratios", V_NUMS, 0, 1, NULL},
    {"analyze", "alphas", V_NUMS, 0, 1, NULL},
    {"analyze", "ratio", V_NUM, 0, 1, NULL},
    {"analyze", "weights", V_STR, 0, 0, NULL},
    {"analyze", "seed", V_INT, 0, I63, NULL},
    {"analyze", "corrupted", V_STRS, 0, 0, NULL},
    {"analyze", "gate_budget_share", V_NUM, 0, 1, NULL},
    {"analyze", "held_out_auto", V_BOOL, 0, 0, NULL},
    {"export", "variant", V_NAMES, 0, 0, NULL},
    {"export", "out", V_STR, 0, 0, NULL},
    {"decontam", "enabled", V_BOOL, 0, 0, NULL},
    {"decontam", "benchmarks", V_STRS, 0, 0, NULL},
    {"decontam", "fields", V_NAMES, 0, 0, NULL},
    {"decontam", "id_field", V_STR, 0, 0, NULL},
    {"decontam", "exact", V_BOOL, 0, 0, NULL},
    {"decontam", "ngram", V_BOOL, 0, 0, NULL},
    {"decontam", "exact_min_chars", V_INT, 16, 1000000, NULL}, /* decontam/stage.c's limits */
    {"decontam", "ngram_n", V_INT, 4, 64, NULL},
    {"decontam", "ngram_min", V_INT, 0, 1000000, NULL},
    {"decontam", "ngram_threshold", V_NUM, 1e-9, 1, NULL},
    {"decontam", "ngram_df_min", V_INT, 1, 4000000000.0, NULL},
    {"decontam", "ngram_df_share", V_NUM, 0, 1, NULL},
};
#define N_RULES (sizeof k_rules / sizeof *k_rules)

/* "sec.key" (or "key" at the top level) into buf. */
static const char *key_path(char *buf, size_t cap, const char *sec, const char *key)
{
    snprintf(buf, cap, "%s%s%s", sec ? sec : "", sec ? "." : "", key);
    return buf;
}

static int is_int(json_t *v, double lo, double hi)
{
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        return (double)x >= lo && (double)x <= hi;
    }
    if (!json_is_real(v)) return 0;
    double x = json_real_value(v);
    return x == floor(x) && x >= lo && x <= hi;
}

static int in_names(const char *s, const char *names)
{
    size_t n = strlen(s);
    for (const char *p = names; p && *p;) {
        const char *q = strchr(p, '|');
        size_t l = q ? (size_t)(q - p) : strlen(p);
        if (l == n && !strncmp(p, s, n)) return 1;
        p = q ? q + 1 : NULL;
    }
    return 0;
}

static int nonempty_str(json_t *v) { return json_is_string(v) && json_string_value(v)[0]; }

/* One value against its rule; the error names the key path. */
static sciprune_status check_value(const vrule *r, json_t *v, const char *cfg, sciprune_error *err)
{
    char kp[96];
    key_path(kp, sizeof kp, r->sec, r->key);
    size_t i;
    json_t *x;
    switch (r->t) {
    case V_ANY: return SCIPRUNE_OK;
    case V_OBJ:
        if (!json_is_object(v))
            return sp_err(err, SCIPRUNE_EINVAL, cfg, -1, -1, "\"%s\" must be an object", kp);
        return SCIPRUNE_OK;
    case V_BOOL:
        if (!json_is_boolean(v))
            return sp_err(err, SCIPRUNE_EINVAL, cfg, -1, -1, "%s must be true or false (a JSON boolean)", kp);
        return SCIPRUNE_OK;
    case V_INT:
        if (!json_is_number(v) || !is_int(v, r->lo, r->hi))
            return sp_err(err, SCIPRUNE_EINVAL, cfg, -1, -1,
                          "%s must be %s in [%.0f, %.0f]", kp,
                          json_is_number(v) ? "an integer" : "a number, an integer", r->lo, r->hi);
        return SCIPRUNE_OK;
    case V_NUM:
        if (!json_is_number(v) || !(json_number_value(v) >= r->lo && json_number_value(v) <= r->hi))
            return sp_err(err, SCIPRUNE_EINVAL, cfg, -1, -1, "%s must be a number in [%g, %g]", kp,
                          r->lo, r->hi);
        return SCIPRUNE_OK;
    case V_STR:
        if (!nonempty_str(v))
            return sp_err(err, SCIPRUNE_EINVAL, cfg, -1, -1, "%s must be a non-empty string", kp);
        return SCIPRUNE_OK;
    case V_ENUM:
        if (!json_is_string(v) || !in_names(json_string_value(v), r->names))
            return sp_err(err, SCIPRUNE_EINVAL, cfg, -1, -1, "%s \"%s\": want one of %s", kp,
                          json_is_string(v) ? json_string_value(v) : "(not a string)", r->names);
        return SCIPRUNE_OK;
    case V_NAMES:
    case V_STRS:
        if (r->t == V_NAMES && nonempty_str(v)) return SCIPRUNE_OK;
        if (!json_is_array(v) || !json_array_size(v))
            return sp_err(err, SCIPRUNE_EINVAL, cfg, -1, -1, "%s must be a %snon-empty list of strings",
                          kp, r->t == V_NAMES ? "non-empty string or a " : "");
        json_array_foreach(v, i, x) {
            if (!nonempty_str(x))
                return sp_err(err, SCIPRUNE_EINVAL, cfg, -1, -1,
                              "%s[%zu] must be a non-empty string", kp, i);
        }
        return SCIPRUNE_OK;
    case V_NUMS:
        if (!json_is_array(v) || !json_array_size(v))
            return sp_err(err, SCIPRUNE_EINVAL, cfg, -1, -1, "%s must be a non-empty list of numbers", kp);
        json_array_foreach(v, i, x) {
            if (!json_is_number(x) || !(json_number_value(x) >= r->lo && json_number_value(x) <= r->hi))
                return sp_err(err, SCIPRUNE_EINVAL, cfg, -1, -1,
                              "%s[%zu] must be a number in [%g, %g]", kp, i, r->lo, r->hi);
        }
        return SCIPRUNE_OK;
    }
    return SCIPRUNE_OK;
}

/* Every key of one object (the top level when sec is NULL) against the table: unknown keys
 * are refused with their path, known ones checked, sections recursed into. */
static sciprune_status check_object(json_t *obj, const char *sec, const char *cfg,
                                    sciprune_error *err)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        const vrule *r = NULL;
        for (size_t i = 0; i < N_RULES && !r; i++)
            if (((!sec && !k_rules[i].sec) || (sec && k_rules[i].sec && !strcmp(sec, k_rules[i].sec))) &&
                !strcmp(k, k_rules[i].key))
                r = &k_rules[i];
        if (!r) {
            char kp[96];
            return sp_err(err, SCIPRUNE_EINVAL, cfg, -1, -1, "unknown key \"%s\" in \"%s\" (%s)", k,
                          sec ? sec : "(top level)", key_path(kp, sizeof kp, sec, k));
        }
        sciprune_status st = check_value(r, v, cfg, err);
        if (!st && r->t == V_OBJ) st = check_object(v, r->key, cfg, err);
        if (st) return st;
    }
    return SCIPRUNE_OK;
}

/* A library check failed on the value of `key`: make the error name the key and the config. */
static sciprune_status keyed(sciprune_status st, const char *key, const char *cfg, sciprune_error *err)
{
    if (st && err) {
        char t[2 * sizeof err->text + sizeof err->source];
        if (!strstr(err->text, key)) {
            snprintf(t, sizeof t, "%s: %s%s%s", key, err->source[0] && strcmp(err->source, cfg) ? err->source : "",
                     err->source[0] && strcmp(err->source, cfg) ? ": " : "", err->text);
            sp_strlcpy(err->text, t, sizeof err->text);
        }
        sp_strlcpy(err->source, cfg, sizeof err->source);
    }
    return st;
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

/* NUM converts a number check_object() already held to its rule's range, which lies inside the
 * setting's type (so the conversion is defined; the fuzzer's "k": 1e300 stops there) */
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
        if (st) return keyed(st, key, cfg, err);
    }
    memcpy(dst, tmp, k * sizeof *tmp);
    *n = k;
    return SCIPRUNE_OK;
}

/* Lexical clean in place: drop "." segments and empty ones, fold "name/.." (not "../..");
 * "" becomes ".". */
static void path_clean(char *p)
{
    int abs = p[0] == '/';
    size_t len = strlen(p + abs);
    char *seg[512];
    size_t n = 0, keep_up = 0; /* leading ".." segments of a relative path */
    char *save = NULL;
    for (char *t = strtok_r(p + abs, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (!strcmp(t, ".")) continue;
        if (!strcmp(t, "..")) {
            if (n > keep_up) { n--; continue; }
            if (abs) continue;
            if (n < 512) seg[n++] = t, keep_up = n;
            continue;
        }
        if (n < 512) seg[n++] = t;
    }
    char *tmp = malloc(len + 2), *o = tmp; /* p is cut into tokens by now */
    if (!tmp) return; /* leave it as it is */
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(seg[i]);
        if (i) *o++ = '/';
        memmove(o, seg[i], l);
        o += l;
    }
    *o = 0;
    if (!n && !abs) strcpy(tmp, ".");
    strcpy(p + abs, tmp);
    free(tmp);
}

/* A path from the config: relative ones join the config's folder. "data/configs/../../w" is
 * printed and recorded as "w" when that is the same place: the folder up to the last ".." and
 * its lexical clean are the same inode (a symlinked config folder keeps its ".."). */
static char *rel(const char *dir, const char *p)
{
    char *j = p[0] == '/' ? strdup(p) : sp_path_join(dir, p);
    if (!j) return NULL;
    char *up = NULL;
    for (char *q = strstr(j, ".."); q; q = strstr(q + 2, ".."))
        if ((q == j || q[-1] == '/') && (q[2] == '/' || q[2] == 0)) up = q + 2;
    if (!up) return j;
    char *a = strndup(j, (size_t)(up - j)), *b = strdup(a ? a : ""), *c = strdup(j);
    struct stat sa, sb;
    if (a && b && c) {
        path_clean(b);
        if (stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino) {
            path_clean(c);
            free(j);
            j = c;
            c = NULL;
        }
    }
    free(a);
    free(b);
    free(c);
    return j;
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
    /* types and ranges were checked against k_rules (validate before parse) */
    if (json_object_get(s, "text_field")) j->shard.text_field = json_string_value(json_object_get(s, "text_field"));
    if (json_object_get(s, "id_field")) j->shard.id_field = json_string_value(json_object_get(s, "id_field"));
    if (json_object_get(s, "default_lang")) j->shard.default_lang = json_string_value(json_object_get(s, "default_lang"));
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
        if ((st = sciprune_embedder_settings_parse(&j->embed, sp, err)))
            return keyed(st, "embed.embedder", path, err);
    }
    NUM(e, "embed", "dim", j->embed.dim, uint32_t);
    if (j->embed.backend == SCIPRUNE_EMBED_HASH && json_object_get(e, "dim") &&
        (j->embed.dim < 64 || j->embed.dim > 4096)) /* embed/embedder.c's limits for hash */
        return bad(err, path, "%s", "embed.dim must be in [64, 4096] for the hash embedder");
    NUM(e, "embed", "seed", j->embed.seed, uint64_t);
    json_t *dt = json_object_get(e, "dtype");
    if (dt) {
        const char *t = json_is_string(dt) ? json_string_value(dt) : "";
        if (!strcmp(t, "float16") || !strcmp(t, "f16")) j->embed.dtype = SCIPRUNE_VEC_F16;
        else if (!strcmp(t, "float32") || !strcmp(t, "f32")) j->embed.dtype = SCIPRUNE_VEC_F32;
        else return bad(err, path, "embed.dtype \"%s\": want float32 or float16", t);
    }
    json_t *ft = json_object_get(e, "features");
    if (ft && (st = sciprune_embed_features_parse(json_string_value(ft), &j->embed.features, err)))
        return keyed(st, "embed.features", path, err);
    int b = j->embed.idf;
    if ((st = get_bool(e, "embed", "idf", &b, path, err))) return st;
    j->embed.idf = b;
    NUM(e, "embed", "idf_sample", j->embed.idf_sample, double);
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
    if (me && (st = sciprune_space_parse(json_string_value(me), &j->index.space, err)))
        return keyed(st, "index.metric", path, err);
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
            if ((st = sciprune_score_metric_parse(json_string_value(v), &m, err)))
                return keyed(st, "score.metrics", path, err);
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
    json_t *bu = json_object_get(sc, "budget"); /* a name of the table's V_ENUM */
    if (bu && (st = sciprune_budget_unit_parse(json_string_value(bu), &j->score.budget, err)))
        return keyed(st, "score.budget", path, err);
    json_t *pl = json_object_get(sc, "per_lang"); /* a name of the table's V_ENUM */
    if (pl && (st = sciprune_per_lang_parse(json_string_value(pl), &j->score.per_lang, err)))
        return keyed(st, "score.per_lang", path, err);
    j->score.threads = j->threads;
    j->score.shard = j->shard;

    json_t *pr = json_object_get(j->cfg, "prune");
    sciprune_prune_settings_default(&j->prune);
    if ((st = get_bool(pr, "prune", "write_removed", &j->prune.write_removed, path, err)) ||
        (st = get_bool(pr, "prune", "fsync", &j->prune.writer.fsync, path, err)))
        return st;
    NUM(pr, "prune", "zstd_level", j->prune.writer.zstd_level, int);
    json_t *po = json_object_get(pr, "output");
    if (po && (st = sciprune_prune_output_parse(json_string_value(po), &j->prune.output, err)))
        return keyed(st, "prune.output", path, err);
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
                 j->score.metrics[i] == SCIPRUNE_METRIC_AUTO ||
                 j->score.metrics[i] == SCIPRUNE_METRIC_LEARNED; /* a feature of learned */
    j->gates_on = needs;
    for (size_t i = 0; i < j->score.n_metrics; i++) /* the sites signal is off by default */
        if ((j->score.metrics[i] == SCIPRUNE_METRIC_SITES ||
             j->score.metrics[i] == SCIPRUNE_METRIC_GATE_SITES) &&
            !(j->embed.backend == SCIPRUNE_EMBED_HASH && (j->embed.features & SCIPRUNE_FEAT_SITES)))
            return bad(err, path, "score metric %s needs the site detectors: the hash embedder with "
                       "embed.features including sites (e.g. \"all,sites\")",
                       sciprune_score_metric_name(j->score.metrics[i]));
    for (size_t i = 0; i < j->score.n_metrics; i++) /* with the sites, naturalness when listed */
        if ((j->score.metrics[i] == SCIPRUNE_METRIC_NATURALNESS ||
             j->score.metrics[i] == SCIPRUNE_METRIC_GATE_NATURALNESS) &&
            j->embed.backend == SCIPRUNE_EMBED_HASH && (j->embed.features & SCIPRUNE_FEAT_SITES) &&
            !(j->embed.features & SCIPRUNE_FEAT_NATURALNESS))
            return bad(err, path, "score metric %s needs the naturalness model, which embed.features "
                       "with sites leave out unless they list it (e.g. \"all,sites,naturalness\")",
                       sciprune_score_metric_name(j->score.metrics[i]));
    if ((st = get_bool(ga, "gates", "enabled", &j->gates_on, path, err))) return st;
    if (!j->gates_on && needs)
        for (size_t i = 0; i < j->score.n_metrics; i++)
            if (sciprune_score_metric_is_plan(j->score.metrics[i]) ||
                j->score.metrics[i] == SCIPRUNE_METRIC_AUTO ||
                j->score.metrics[i] == SCIPRUNE_METRIC_LEARNED)
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
    if ((st = sciprune_gates_settings_check(&j->gates, err))) return keyed(st, "gates", path, err);
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
    NUM(co, "corrupt", "strata", j->corrupt.strata, uint32_t);
    NUM(co, "corrupt", "seed", j->corrupt.seed, uint64_t);
    j->corrupt_heldout = 1;
    if ((st = get_bool(co, "corrupt", "heldout", &j->corrupt_heldout, path, err))) return st;
    if ((st = name_list(json_object_get(co, "types"), "corrupt.types", path, &j->corrupt_types_own, err)) ||
        (st = name_list(json_object_get(co, "langs"), "corrupt.langs", path, &j->corrupt_langs_own, err)))
        return st;
    j->corrupt.types = j->corrupt_types_own;
    j->corrupt.langs = j->corrupt_langs_own;
    j->corrupt.threads = j->threads;
    j->corrupt.shard = &j->shard;
    if (j->corrupt_on && (st = sciprune_corrupt_options_check(&j->corrupt, err)))
        return keyed(st, "corrupt", path, err);

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
    if ((st = get_bool(an, "analyze", "held_out_auto", &j->analyze.held_out_auto, path, err))) return st;
    json_t *wt = json_object_get(an, "weights");
    if (wt) {
        if (!(j->analyze_weights_own = strdup(json_string_value(wt)))) return nomem(err, path);
        j->analyze.weights = j->analyze_weights_own;
    }
    if (j->analyze_on && (st = sciprune_analyze_settings_check(&j->analyze, err)))
        return keyed(st, wt && strstr(err ? err->text : "", "weight") ? "analyze.weights" : "analyze", path, err);
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

/* "decontam": the benchmark files (FORMAT:PATH, the path relative to the config's folder) and
 * the matchers' settings; on when the section is there unless enabled is false. */
static sciprune_status parse_decontam(run_job *j, const char *path, sciprune_error *err)
{
    sciprune_status st;
    json_t *d = json_object_get(j->cfg, "decontam");
    sciprune_decontam_settings_default(&j->decontam);
    j->decontam_on = d != NULL;
    if ((st = get_bool(d, "decontam", "enabled", &j->decontam_on, path, err))) return st;
    if (!j->decontam_on) return SCIPRUNE_OK;
    json_t *bl = json_object_get(d, "benchmarks");
    size_t n = json_array_size(bl), idx;
    if (!n) return bad(err, path, "%s", "decontam.benchmarks must list the benchmark files (humaneval:PATH, mbpp:PATH, jsonl:PATH)");
    j->decontam_bench = calloc(n, sizeof *j->decontam_bench);
    j->decontam_paths = calloc(n, sizeof *j->decontam_paths);
    if (!j->decontam_bench || !j->decontam_paths) return nomem(err, path);
    if ((st = name_list(json_object_get(d, "fields"), "decontam.fields", path, &j->decontam_fields_own, err)))
        return st;
    json_t *x;
    json_array_foreach(bl, idx, x) {
        sciprune_decontam_benchmark *b = &j->decontam_bench[idx];
        if ((st = sciprune_decontam_benchmark_parse(json_string_value(x), b, err)))
            return keyed(st, "decontam.benchmarks", path, err);
        if (!(j->decontam_paths[idx] = rel(j->dir, b->path))) return nomem(err, path);
        j->n_decontam_bench = idx + 1;
        b->path = j->decontam_paths[idx];
        b->fields = j->decontam_fields_own;
        if (json_object_get(d, "id_field")) b->id_field = json_string_value(json_object_get(d, "id_field"));
    }
    j->decontam.benchmarks = j->decontam_bench;
    j->decontam.n_benchmarks = n;
    if ((st = get_bool(d, "decontam", "exact", &j->decontam.exact, path, err)) ||
        (st = get_bool(d, "decontam", "ngram", &j->decontam.ngram, path, err)))
        return st;
    NUM(d, "decontam", "exact_min_chars", j->decontam.exact_min_chars, uint32_t);
    NUM(d, "decontam", "ngram_n", j->decontam.ngram_n, uint32_t);
    NUM(d, "decontam", "ngram_min", j->decontam.ngram_min, uint32_t);
    NUM(d, "decontam", "ngram_threshold", j->decontam.ngram_threshold, double);
    NUM(d, "decontam", "ngram_df_min", j->decontam.ngram_df_min, uint32_t);
    NUM(d, "decontam", "ngram_df_share", j->decontam.ngram_df_share, double);
    j->decontam.threads = j->threads;
    j->decontam.shard = j->shard;
    if ((st = sciprune_decontam_settings_check(&j->decontam, err))) return keyed(st, "decontam", path, err);
    return SCIPRUNE_OK;
}

sciprune_status run_job_parse(run_job *j, const char *path, const sciprune_run_options *o,
                              sciprune_error *err)
{
    memset(j, 0, sizeof *j);
    json_error_t je;
    j->cfg = json_load_file(path, 0, &je);
    if (!j->cfg) return sp_err(err, sp_json_load_status(SCIPRUNE_EPARSE), path, je.line, je.position, "%s", je.text);
    json_t *c = j->cfg;
    sciprune_status st;
    if (!json_is_object(c)) return bad(err, path, "%s", "the config must be a JSON object");
    if ((st = check_object(c, NULL, path, err))) return st;
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
    j->progress_interval_s = -1;
    NUM(c, "(top level)", "progress_interval_s", j->progress_interval_s, double);
    if (o->threads >= 0) j->threads = o->threads;
    if ((st = parse_inputs(j, path, err)) || (st = parse_shard_embed(j, path, err)) ||
        (st = parse_index_score_prune(j, path, err)) || (st = parse_gates(j, path, err)) ||
        (st = parse_corrupt_analyze(j, path, err)) || (st = parse_export(j, path, err)) ||
        (st = parse_decontam(j, path, err)))
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
    for (size_t i = 0; i < j->n_decontam_bench; i++) free(j->decontam_paths[i]);
    free(j->decontam_paths);
    free(j->decontam_bench);
    free(j->decontam_fields_own);
    memset(j, 0, sizeof *j);
}
