/*
 * embedder.c - the embedder object: settings, the backend table, one-text embedding, and
 * embed/embedder.json, the description of exactly how a set of vectors was made.
 *
 * embedder.json (written atomically; read back by sciprune_embedder_load and by reruns):
 *   {
 *     "format": "sciprune-embedder", "version": 1,
 *     "backend": "hash" | "npy" | "exec",
 *     "dim": 256, "dtype": "float32" | "float16",
 *     "hash": {                                   (hash backend only)
 *       "features": ["identifiers", "keywords", "literals", "ast_pairs", "ast_paths", "errors"],
 *       "drop_structure_on_error": true, "path_depth": 3, "seed": 0,
 *       "weighting": "...", (text, for humans)
 *       "idf": {"enabled": true, "fitted": true, "file": "idf.npy",
 *               "xxh3_128": "<32 hex digits of idf.npy>", "bits": 20, "docs": 1234,
 *               "sample": 0.1, "sample_used": 1.0, "min_docs": 1000,
 *               "formula": "ln((1+docs)/(1+df))+1"}
 *     },
 *     "npy": {"dir": "..."},                      (npy backend only)
 *     "exec": {"command": "...", "model": "..."}, (exec backend only; model from the handshake)
 *     "status_values": {"0": "ok", "1": "rejected", ...}   (documentation of <shard>.status.npy)
 *   }
 *   idf.npy: float32, 1-D, 2^bits entries: the idf of feature bucket (feature hash mod 2^bits).
 * Two embedders make the same vectors iff backend, dim, dtype and their backend's section
 * (without runtime knobs such as exec batch size or timeouts) agree: embed_settings_differ().
 */
#include "embed_int.h"
#include "../shard/sp_npy.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const k_feature_names[] = {"identifiers", "keywords", "literals",
                                              "ast_pairs",   "ast_paths", "errors",
                                              "sites",       "naturalness"};
#define NFEAT 8

static const char *const k_row_names[] = {"ok",    "rejected", "lexical",  "parse_error",
                                          "empty", "too_deep", "too_large"};

const char *embed_feature_name(uint32_t bit)
{
    for (int i = 0; i < NFEAT; i++)
        if (bit == (1u << i)) return k_feature_names[i];
    return "?";
}

const char *embed_row_name(int v) { return v >= 0 && v < SCIPRUNE_ROW_COUNT ? k_row_names[v] : "?"; }

static const char *backend_name(sciprune_embed_backend b)
{
    return b == SCIPRUNE_EMBED_NPY ? "npy" : b == SCIPRUNE_EMBED_EXEC ? "exec" : "hash";
}

static const char *dtype_name(sciprune_vec_dtype t) { return t == SCIPRUNE_VEC_F16 ? "float16" : "float32"; }

void sciprune_embedder_settings_default(sciprune_embedder_settings *s)
{
    memset(s, 0, sizeof *s);
    s->backend = SCIPRUNE_EMBED_HASH;
    s->dim = 256;
    s->dtype = SCIPRUNE_VEC_F32;
    s->features = SCIPRUNE_FEAT_ALL;
    s->drop_structure_on_error = 1;
    s->path_depth = 3;
    s->seed = 0;
    s->idf = 1;
    s->idf_sample = 0.1;
    s->idf_min_docs = 1000;
    s->idf_bits = 20;
    s->exec_batch = 32;
    s->exec_batch_bytes = (size_t)4 << 20;
    s->exec_timeout_s = 300;
    s->exec_start_timeout_s = 600;
}

sciprune_status sciprune_embedder_settings_parse(sciprune_embedder_settings *s, const char *spec,
                                                 sciprune_error *err)
{
    if (!spec || !strcmp(spec, "hash")) {
        s->backend = SCIPRUNE_EMBED_HASH;
        return SCIPRUNE_OK;
    }
    if (!strncmp(spec, "npy:", 4) && spec[4]) {
        s->backend = SCIPRUNE_EMBED_NPY;
        s->npy_dir = spec + 4;
        if (s->dim == 256) s->dim = 0; /* the hash default does not apply: take the files' */
        return SCIPRUNE_OK;
    }
    if (!strncmp(spec, "exec:", 5) && spec[5]) {
        s->backend = SCIPRUNE_EMBED_EXEC;
        s->exec_command = spec + 5;
        if (s->dim == 256) s->dim = 0;
        return SCIPRUNE_OK;
    }
    return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1,
                  "unknown embedder '%s': want hash, npy:DIR or exec:COMMAND", spec);
}

sciprune_status sciprune_embed_features_parse(const char *list, uint32_t *bits,
                                              sciprune_error *err)
{
    uint32_t b = 0;
    const char *p = list;
    while (p && *p) {
        const char *q = strchr(p, ',');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        int found = 0;
        if (n == 3 && !strncmp(p, "all", 3)) {
            b |= SCIPRUNE_FEAT_ALL;
            found = 1;
        } else if (n == 4 && !strncmp(p, "none", 4)) {
            found = 1;
        }
        for (int i = 0; i < NFEAT && !found; i++)
            if (strlen(k_feature_names[i]) == n && !strncmp(p, k_feature_names[i], n)) {
                b |= 1u << i;
                found = 1;
            }
        if (!found && n)
            return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1,
                          "unknown feature family '%.*s' (want all, none or identifiers, keywords, "
                          "literals, ast_pairs, ast_paths, errors, sites, naturalness)", (int)n, p);
        p = q ? q + 1 : NULL;
    }
    *bits = b;
    return SCIPRUNE_OK;
}

static sciprune_status validate(const sciprune_embedder_settings *s, sciprune_error *err)
{
    if (s->dtype != SCIPRUNE_VEC_F32 && s->dtype != SCIPRUNE_VEC_F16)
        return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1, "unknown vector dtype %d", (int)s->dtype);
    switch (s->backend) {
    case SCIPRUNE_EMBED_HASH:
        if (s->dim < 64 || s->dim > 4096)
            return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1, "hash dimension %u out of range 64..4096", s->dim);
        if (s->path_depth < 2 || s->path_depth > 8)
            return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1, "path depth %u out of range 2..8", s->path_depth);
        if ((s->features & SCIPRUNE_FEAT_ALL) == 0 ||
            (s->features & ~(SCIPRUNE_FEAT_ALL | SCIPRUNE_FEAT_SITES | SCIPRUNE_FEAT_NATURALNESS)))
            return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1, "feature switches 0x%x: select at least one known family", s->features);
        if ((s->features & SCIPRUNE_FEAT_SITES) && !s->idf)
            return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1, "the site detectors (feature 'sites') are trained in the idf fit pass: they need idf on");
        if ((s->features & SCIPRUNE_FEAT_NATURALNESS) && !s->idf)
            return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1, "the naturalness model (feature 'naturalness') is fitted in the idf fit pass: it needs idf on");
        if (s->idf_bits < 10 || s->idf_bits > 24)
            return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1, "idf bits %u out of range 10..24", s->idf_bits);
        if (!(s->idf_sample > 0 && s->idf_sample <= 1))
            return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1, "idf sample %g out of range (0, 1]", s->idf_sample);
        break;
    case SCIPRUNE_EMBED_NPY:
        if (!s->npy_dir || !*s->npy_dir)
            return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1, "the npy embedder needs a folder (npy:DIR)");
        if (s->dim > 65536)
            return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1, "dimension %u too large", s->dim);
        break;
    case SCIPRUNE_EMBED_EXEC:
        if (!s->exec_command || !*s->exec_command)
            return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1, "the exec embedder needs a command (exec:COMMAND)");
        if (s->exec_batch < 1 || s->exec_batch > 65536)
            return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1, "exec batch %u out of range 1..65536", s->exec_batch);
        if (!(s->exec_timeout_s > 0) || !(s->exec_start_timeout_s > 0))
            return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1, "exec timeouts must be positive");
        if (s->dim > 65536)
            return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1, "dimension %u too large", s->dim);
        break;
    default:
        return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1, "unknown backend %d", (int)s->backend);
    }
    return SCIPRUNE_OK;
}

void sciprune_embedder_free(sciprune_embedder *e)
{
    if (!e) return;
    if (e->be && e->be->destroy) e->be->destroy(e);
    free(e->npy_dir);
    free(e->exec_command);
    free(e->idf);
    embed_sites_free(e->sites);
    free(e->ngram);
    free(e);
}

sciprune_status embed_create(sciprune_embedder **out, const sciprune_embedder_settings *s,
                             sciprune_error *err)
{
    *out = NULL;
    sciprune_status st = validate(s, err);
    if (st) return st;
    sciprune_embedder *e = calloc(1, sizeof *e);
    if (!e) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    e->s = *s;
    e->be = s->backend == SCIPRUNE_EMBED_NPY    ? &embed_npy_backend
            : s->backend == SCIPRUNE_EMBED_EXEC ? &embed_exec_backend
                                                : &embed_hash_backend;
    if (s->npy_dir && !(e->npy_dir = strdup(s->npy_dir))) goto oom;
    if (s->exec_command && !(e->exec_command = strdup(s->exec_command))) goto oom;
    e->s.npy_dir = e->npy_dir;
    e->s.exec_command = e->exec_command;
    if (s->backend == SCIPRUNE_EMBED_HASH) {
        e->dim = s->dim;
        st = embed_hash_init(e, err);
        if (st) goto fail;
        if ((s->features & SCIPRUNE_FEAT_SITES) && (st = embed_sites_new(&e->sites, err))) goto fail;
    } else {
        e->dim = s->dim; /* 0 = learn it */
    }
    *out = e;
    return SCIPRUNE_OK;
oom:
    st = sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
fail:
    sciprune_embedder_free(e);
    return st;
}

sciprune_status embed_ensure_started(sciprune_embedder *e, sciprune_error *err)
{
    if (e->started) return SCIPRUNE_OK;
    sciprune_status st = e->be->start(e, err);
    if (st == SCIPRUNE_OK) e->started = 1;
    return st;
}

sciprune_status sciprune_embedder_open(sciprune_embedder **out,
                                       const sciprune_embedder_settings *s, sciprune_error *err)
{
    sciprune_status st = embed_create(out, s, err);
    if (st) return st;
    if ((*out)->be != &embed_npy_backend) {
        st = embed_ensure_started(*out, err);
        if (st) {
            sciprune_embedder_free(*out);
            *out = NULL;
        }
    }
    return st;
}

uint32_t sciprune_embedder_dim(const sciprune_embedder *e) { return e->dim; }
const char *sciprune_embedder_backend_name(const sciprune_embedder *e) { return e->be->name; }
const char *sciprune_embedder_model(const sciprune_embedder *e) { return e->model; }

sciprune_status sciprune_embedder_sites(sciprune_embedder *e, sciprune_parser *p,
                                        const char *lang, const char *text, size_t len,
                                        float *score, sciprune_error *err)
{
    if (!e || !text || !score) return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1, "NULL argument");
    if (!e->sites || !e->sites->w)
        return sp_err(err, SCIPRUNE_ESTATE, "embed", -1, -1,
                      "this embedder has no trained site detectors (feature 'sites')");
    return embed_hash_sites_one(e, p, lang ? lang : "unknown", text, len, score, err);
}

sciprune_status sciprune_embedder_embed(sciprune_embedder *e, sciprune_parser *p,
                                        const char *lang, const char *text, size_t len,
                                        float *dst, size_t dst_cap, sciprune_embed_row *row,
                                        sciprune_error *err)
{
    if (e->be == &embed_npy_backend)
        return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1,
                      "the npy embedder imports precomputed vectors; it cannot embed a text");
    sciprune_status st = embed_ensure_started(e, err);
    if (st) return st;
    if (dst_cap < e->dim)
        return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1, "output holds %zu floats, dimension is %u", dst_cap, e->dim);
    if (!text) return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1, "no text");
    uint8_t r = SCIPRUNE_ROW_OK;
    if (e->be == &embed_hash_backend) {
        st = embed_hash_embed_one(e, p, lang ? lang : "unknown", text, len, dst, &r, err);
    } else {
        embed_item it = {.lang = lang ? lang : "unknown", .text = text, .len = len, .row = 0, .rejected = 0};
        embed_batch b = {.items = &it, .n = 1, .out = dst, .status = &r};
        st = e->be->embed_batch(e, NULL, &b, err);
    }
    if (st == SCIPRUNE_OK && row) *row = (sciprune_embed_row)r;
    return st;
}

/* ------------------------------------------------------------------ embedder.json */

static json_t *spec_json(const sciprune_embedder *e, const char *idf_hash)
{
    const sciprune_embedder_settings *s = &e->s;
    json_t *j = json_object();
    json_object_set_new(j, "format", json_string("sciprune-embedder"));
    json_object_set_new(j, "version", json_integer(1));
    json_object_set_new(j, "backend", json_string(backend_name(s->backend)));
    json_object_set_new(j, "dim", json_integer(e->dim));
    json_object_set_new(j, "dtype", json_string(dtype_name(s->dtype)));
    if (s->backend == SCIPRUNE_EMBED_HASH) {
        json_t *h = json_object(), *f = json_array(), *idf = json_object();
        for (int i = 0; i < NFEAT; i++)
            if (s->features & (1u << i)) json_array_append_new(f, json_string(k_feature_names[i]));
        json_object_set_new(h, "features", f);
        json_object_set_new(h, "drop_structure_on_error", json_boolean(s->drop_structure_on_error));
        json_object_set_new(h, "path_depth", json_integer(s->path_depth));
        json_object_set_new(h, "seed", json_integer((json_int_t)s->seed));
        json_object_set_new(h, "weighting",
                            json_string("v[bucket(f)] += sign(f)*log(1+tf)*idf(f); v /= |v|"));
        json_object_set_new(idf, "enabled", json_boolean(s->idf));
        json_object_set_new(idf, "fitted", json_boolean(e->idf != NULL));
        if (e->idf) {
            json_object_set_new(idf, "file", json_string("idf.npy"));
            json_object_set_new(idf, "xxh3_128", json_string(idf_hash ? idf_hash : ""));
            json_object_set_new(idf, "docs", json_integer((json_int_t)e->idf_docs));
            json_object_set_new(idf, "sample_used", json_real(e->idf_sample_used));
        }
        json_object_set_new(idf, "bits", json_integer(s->idf_bits));
        json_object_set_new(idf, "sample", json_real(s->idf_sample));
        json_object_set_new(idf, "min_docs", json_integer((json_int_t)s->idf_min_docs));
        json_object_set_new(idf, "formula", json_string("ln((1+docs)/(1+df))+1"));
        json_object_set_new(h, "idf", idf);
        json_object_set_new(j, "hash", h);
    } else if (s->backend == SCIPRUNE_EMBED_NPY) {
        json_t *n = json_object();
        json_object_set_new(n, "dir", json_string(s->npy_dir));
        json_object_set_new(j, "npy", n);
    } else {
        json_t *x = json_object();
        json_object_set_new(x, "command", json_string(s->exec_command));
        json_object_set_new(x, "model", json_string(e->model));
        json_object_set_new(x, "protocol", json_integer(1));
        json_object_set_new(j, "exec", x);
    }
    json_t *sv = json_object();
    for (int i = 0; i < SCIPRUNE_ROW_COUNT; i++) {
        char k[4];
        snprintf(k, sizeof k, "%d", i);
        json_object_set_new(sv, k, json_string(k_row_names[i]));
    }
    json_object_set_new(j, "status_values", sv);
    return j;
}

sciprune_status sciprune_embedder_save(const sciprune_embedder *e, const char *dir,
                                       sciprune_error *err)
{
    if (e->dim == 0 || (e->be == &embed_exec_backend && !e->started))
        return sp_err(err, SCIPRUNE_ESTATE, "embed", -1, -1,
                      "the %s embedder does not know its dimension yet", e->be->name);
    sciprune_status st = sp_mkdirs(dir, err);
    if (st) return st;
    char hash[33] = "";
    char *ip = sp_path_join(dir, "idf.npy"), *jp = sp_path_join(dir, "embedder.json");
    json_t *j = NULL;
    if (!ip || !jp) {
        st = sp_err(err, SCIPRUNE_ENOMEM, dir, -1, -1, "out of memory");
        goto done;
    }
    if (e->idf) {
        st = sp_npy_write(ip, SP_NPY_F32, (uint64_t)1 << e->s.idf_bits, 0, e->idf, err);
        if (st) goto done;
        st = sciprune_file_hash(ip, hash, err);
        if (st) goto done;
    }
    if (e->ngram) { /* the naturalness model: '<i4' bytes of the uint32 counts (ngram.c) */
        char *np = sp_path_join(dir, "ngram.npy");
        st = np ? sp_npy_write(np, SP_NPY_I32, (uint64_t)1 << NGRAM_BITS, 0, e->ngram, err)
                : sp_err(err, SCIPRUNE_ENOMEM, dir, -1, -1, "out of memory");
        free(np);
        if (st) goto done;
    }
    j = spec_json(e, hash);
    /* a NULL j (out of memory) is ENOMEM too */
    st = sp_json_write_atomic(jp, j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15), err);
done:
    json_decref(j);
    free(ip);
    free(jp);
    return st;
}

/* Settings from a parsed embedder.json; strings borrowed from `j`. */
static sciprune_status settings_from_json(json_t *j, const char *path,
                                          sciprune_embedder_settings *s, uint32_t *dim,
                                          const char **model, int *idf_fitted,
                                          const char **idf_hash, uint64_t *idf_docs,
                                          double *idf_sample_used, sciprune_error *err)
{
    sciprune_embedder_settings_default(s);
    *model = NULL;
    *idf_fitted = 0;
    *idf_hash = NULL;
    *idf_docs = 0;
    *idf_sample_used = 0;
    const char *fmt = json_string_value(json_object_get(j, "format"));
    if (!fmt || strcmp(fmt, "sciprune-embedder") != 0 || json_integer_value(json_object_get(j, "version")) != 1)
        return sp_err(err, SCIPRUNE_EPARSE, path, -1, -1, "not a sciprune embedder.json (format/version)");
    const char *be = json_string_value(json_object_get(j, "backend"));
    const char *dt = json_string_value(json_object_get(j, "dtype"));
    json_t *jd = json_object_get(j, "dim");
    if (!be || !dt || !json_is_integer(jd))
        return sp_err(err, SCIPRUNE_EPARSE, path, -1, -1, "embedder.json lacks backend, dim or dtype");
    *dim = (uint32_t)json_integer_value(jd);
    s->dim = *dim;
    if (!strcmp(dt, "float32")) s->dtype = SCIPRUNE_VEC_F32;
    else if (!strcmp(dt, "float16")) s->dtype = SCIPRUNE_VEC_F16;
    else return sp_err(err, SCIPRUNE_EPARSE, path, -1, -1, "unknown dtype '%s'", dt);
    if (!strcmp(be, "hash")) {
        s->backend = SCIPRUNE_EMBED_HASH;
        json_t *h = json_object_get(j, "hash");
        json_t *f = json_object_get(h, "features"), *idf = json_object_get(h, "idf");
        if (!json_is_array(f) || !json_is_object(idf))
            return sp_err(err, SCIPRUNE_EPARSE, path, -1, -1, "embedder.json: hash section incomplete");
        s->features = 0;
        size_t i;
        json_t *v;
        json_array_foreach(f, i, v) {
            uint32_t b;
            const char *name = json_string_value(v);
            if (!name || sciprune_embed_features_parse(name, &b, err))
                return sp_err(err, SCIPRUNE_EPARSE, path, -1, -1, "embedder.json: unknown feature family");
            s->features |= b;
        }
        s->drop_structure_on_error = json_is_true(json_object_get(h, "drop_structure_on_error"));
        s->path_depth = (uint32_t)json_integer_value(json_object_get(h, "path_depth"));
        s->seed = (uint64_t)json_integer_value(json_object_get(h, "seed"));
        s->idf = json_is_true(json_object_get(idf, "enabled"));
        s->idf_bits = (uint32_t)json_integer_value(json_object_get(idf, "bits"));
        s->idf_sample = json_number_value(json_object_get(idf, "sample"));
        s->idf_min_docs = (uint64_t)json_integer_value(json_object_get(idf, "min_docs"));
        *idf_fitted = json_is_true(json_object_get(idf, "fitted"));
        *idf_hash = json_string_value(json_object_get(idf, "xxh3_128"));
        *idf_docs = (uint64_t)json_integer_value(json_object_get(idf, "docs"));
        *idf_sample_used = json_number_value(json_object_get(idf, "sample_used"));
    } else if (!strcmp(be, "npy")) {
        s->backend = SCIPRUNE_EMBED_NPY;
        s->npy_dir = json_string_value(json_object_get(json_object_get(j, "npy"), "dir"));
    } else if (!strcmp(be, "exec")) {
        s->backend = SCIPRUNE_EMBED_EXEC;
        json_t *x = json_object_get(j, "exec");
        s->exec_command = json_string_value(json_object_get(x, "command"));
        *model = json_string_value(json_object_get(x, "model"));
    } else {
        return sp_err(err, SCIPRUNE_EPARSE, path, -1, -1, "unknown backend '%s'", be);
    }
    return SCIPRUNE_OK;
}

sciprune_status embed_load_dir(sciprune_embedder **out, const char *dir, sciprune_error *err)
{
    *out = NULL;
    char *jp = sp_path_join(dir, "embedder.json"), *ip = sp_path_join(dir, "idf.npy");
    sciprune_status st;
    json_t *j = NULL;
    sciprune_embedder *e = NULL;
    sp_npy a = {0};
    if (!jp || !ip) {
        st = sp_err(err, SCIPRUNE_ENOMEM, dir, -1, -1, "out of memory");
        goto done;
    }
    json_error_t je;
    j = json_load_file(jp, 0, &je);
    if (!j) {
        st = sp_exists(jp) ? sp_err(err, sp_json_load_status(SCIPRUNE_EPARSE), jp, je.line, je.position, "%s", je.text)
                           : sp_err(err, SCIPRUNE_EIO, jp, -1, -1, "no embedder.json here");
        goto done;
    }
    sciprune_embedder_settings s;
    uint32_t dim = 0;
    const char *model = NULL, *idf_hash = NULL;
    int fitted;
    uint64_t docs;
    double used;
    st = settings_from_json(j, jp, &s, &dim, &model, &fitted, &idf_hash, &docs, &used, err);
    if (st) goto done;
    sciprune_error verr;
    if (validate(&s, &verr)) {
        st = sp_err(err, SCIPRUNE_EPARSE, jp, -1, -1, "%s", verr.text);
        goto done;
    }
    st = embed_create(&e, &s, err);
    if (st) goto done;
    e->dim = dim;
    if (model) sp_strlcpy(e->expect_model, model, sizeof e->expect_model);
    if (fitted) {
        char h[33];
        st = sciprune_file_hash(ip, h, err);
        if (st) goto done;
        if (!idf_hash || strcmp(h, idf_hash) != 0) {
            st = sp_err(err, SCIPRUNE_EPARSE, ip, -1, -1,
                        "idf.npy does not match embedder.json (hash %s, recorded %s)", h,
                        idf_hash ? idf_hash : "none");
            goto done;
        }
        st = sp_npy_open(&a, ip, err);
        if (st) goto done;
        if (a.dtype != SP_NPY_F32 || a.cols != 0 || a.rows != ((uint64_t)1 << s.idf_bits)) {
            st = sp_err(err, SCIPRUNE_EPARSE, ip, -1, -1, "idf.npy: want float32 of %llu entries",
                        (unsigned long long)1 << s.idf_bits);
            goto done;
        }
        e->idf = malloc((size_t)a.rows * sizeof(float));
        if (!e->idf) {
            st = sp_err(err, SCIPRUNE_ENOMEM, ip, -1, -1, "out of memory");
            goto done;
        }
        memcpy(e->idf, a.data, (size_t)a.rows * sizeof(float));
        e->idf_docs = docs;
        e->idf_sample_used = used;
        if (e->sites) { /* the site detectors, fitted in the same pass (stage.c) */
            char *mp = sp_path_join(dir, "sites.npy");
            st = mp ? embed_sites_load(e->sites, mp, err)
                    : sp_err(err, SCIPRUNE_ENOMEM, dir, -1, -1, "out of memory");
            free(mp);
            if (st) goto done;
        }
        /* the naturalness model (ngram.c), fitted with the idf when it was not turned off */
        char *np = sp_path_join(dir, "ngram.npy");
        sp_npy g = {0};
        if (!np) {
            st = sp_err(err, SCIPRUNE_ENOMEM, dir, -1, -1, "out of memory");
            goto done;
        }
        if (sp_exists(np)) {
            st = sp_npy_open(&g, np, err);
            if (!st && (g.dtype != SP_NPY_I32 || g.cols != 0 || g.rows != ((uint64_t)1 << NGRAM_BITS)))
                st = sp_err(err, SCIPRUNE_EPARSE, np, -1, -1, "ngram.npy: want int32 of 2^%d entries",
                            NGRAM_BITS);
            if (!st && !(e->ngram = malloc((size_t)g.rows * sizeof(uint32_t))))
                st = sp_err(err, SCIPRUNE_ENOMEM, np, -1, -1, "out of memory");
            if (!st) memcpy(e->ngram, g.data, (size_t)g.rows * sizeof(uint32_t));
            sp_npy_close(&g);
        }
        free(np);
        if (st) goto done;
    }
    *out = e;
    e = NULL;
done:
    sp_npy_close(&a);
    sciprune_embedder_free(e);
    json_decref(j);
    free(jp);
    free(ip);
    return st;
}

sciprune_status sciprune_embedder_load(sciprune_embedder **out, const char *dir,
                                       sciprune_error *err)
{
    sciprune_status st = embed_load_dir(out, dir, err);
    if (st) return st;
    if ((*out)->be != &embed_npy_backend) {
        st = embed_ensure_started(*out, err);
        if (st) {
            sciprune_embedder_free(*out);
            *out = NULL;
        }
    }
    return st;
}

int embed_settings_differ(const sciprune_embedder_settings *w, const sciprune_embedder *h,
                          char *why, size_t cap)
{
    const sciprune_embedder_settings *s = &h->s;
#define DIFF(...) do { snprintf(why, cap, __VA_ARGS__); return 1; } while (0)
    if (w->backend != s->backend)
        DIFF("backend %s, this run asks for %s", backend_name(s->backend), backend_name(w->backend));
    if (w->dtype != s->dtype)
        DIFF("dtype %s, this run asks for %s", dtype_name(s->dtype), dtype_name(w->dtype));
    if (w->dim && w->dim != h->dim) DIFF("dimension %u, this run asks for %u", h->dim, w->dim);
    switch (w->backend) {
    case SCIPRUNE_EMBED_HASH:
        if (w->features != s->features) DIFF("feature switches 0x%x, this run asks for 0x%x", s->features, w->features);
        if (!w->drop_structure_on_error != !s->drop_structure_on_error)
            DIFF("drop_structure_on_error %d, this run asks for %d", !!s->drop_structure_on_error, !!w->drop_structure_on_error);
        if (w->path_depth != s->path_depth) DIFF("path depth %u, this run asks for %u", s->path_depth, w->path_depth);
        if (w->seed != s->seed)
            DIFF("seed %llu, this run asks for %llu", (unsigned long long)s->seed, (unsigned long long)w->seed);
        if (!w->idf != !s->idf) DIFF("idf %s, this run asks for %s", s->idf ? "on" : "off", w->idf ? "on" : "off");
        if (w->idf && (w->idf_bits != s->idf_bits || fabs(w->idf_sample - s->idf_sample) > 1e-12 ||
                       w->idf_min_docs != s->idf_min_docs))
            DIFF("idf sample %g / min docs %llu / bits %u, this run asks for %g / %llu / %u",
                 s->idf_sample, (unsigned long long)s->idf_min_docs, s->idf_bits, w->idf_sample,
                 (unsigned long long)w->idf_min_docs, w->idf_bits);
        break;
    case SCIPRUNE_EMBED_NPY:
        if (strcmp(w->npy_dir, s->npy_dir)) DIFF("npy folder '%s', this run asks for '%s'", s->npy_dir, w->npy_dir);
        break;
    case SCIPRUNE_EMBED_EXEC:
        if (strcmp(w->exec_command, s->exec_command))
            DIFF("command '%.80s', this run asks for '%.80s'", s->exec_command, w->exec_command);
        break;
    }
#undef DIFF
    return 0;
}

/* ------------------------------------------------------------------ per-thread worker */

struct sciprune_embed_worker {
    sciprune_embedder *e;  /* borrowed */
    void *w;               /* the backend's worker context (hash: parser + scratch), owned */
    sciprune_parser *p;    /* gates for backends without a parse of their own, owned */
};

sciprune_status sciprune_embed_worker_new(sciprune_embed_worker **out, sciprune_embedder *e,
                                          sciprune_error *err)
{
    *out = NULL;
    if (e->be == &embed_npy_backend)
        return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1,
                      "the npy embedder imports precomputed vectors; it cannot embed a text");
    sciprune_status st = embed_ensure_started(e, err);
    if (st) return st;
    sciprune_embed_worker *w = calloc(1, sizeof *w);
    if (!w) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    w->e = e;
    if (e->be->parallel && e->be->worker_new) st = e->be->worker_new(e, &w->w, err);
    else st = sciprune_parser_new(&w->p, err);
    if (st) {
        sciprune_embed_worker_free(w);
        return st;
    }
    *out = w;
    return SCIPRUNE_OK;
}

void sciprune_embed_worker_free(sciprune_embed_worker *w)
{
    if (!w) return;
    if (w->w && w->e->be->worker_free) w->e->be->worker_free(w->w);
    sciprune_parser_free(w->p);
    free(w);
}

sciprune_status sciprune_embed_worker_embed(sciprune_embed_worker *w, const char *lang,
                                            const char *path, const char *text, size_t len,
                                            float *dst, size_t dst_cap, sciprune_embed_row *row,
                                            const sciprune_gates_settings *gs,
                                            struct sciprune_gate_scores *gates,
                                            sciprune_error *err)
{
    return embed_worker_embed_signals(w, lang, path, text, len, dst, dst_cap, row, gs, gates, NULL,
                                      NULL, err);
}

void embed_worker_drop_sites(sciprune_embed_worker *w)
{
    if (w && w->w && w->e->be == &embed_hash_backend) embed_hash_worker_drop_sites(w->w);
}

sciprune_status embed_worker_embed_signals(sciprune_embed_worker *w, const char *lang,
                                           const char *path, const char *text, size_t len,
                                           float *dst, size_t dst_cap, sciprune_embed_row *row,
                                           const sciprune_gates_settings *gs,
                                           struct sciprune_gate_scores *gates, float *nat,
                                           float *sites, sciprune_error *err)
{
    sciprune_embedder *e = w->e;
    if (dst_cap < e->dim)
        return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1, "output holds %zu floats, dimension is %u", dst_cap, e->dim);
    if (!text) return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1, "no text");
    uint8_t r = SCIPRUNE_ROW_OK;
    embed_item it = {.lang = lang ? lang : "unknown", .text = text, .len = len, .row = 0,
                     .rejected = 0, .path = path};
    int one_parse = w->w != NULL; /* hash: the gates consume the embedder's own parse */
    embed_batch b = {.items = &it, .n = 1, .out = dst, .status = &r,
                     .gates = one_parse ? gates : NULL, .gates_settings = gs};
    if (nat || sites) {
        if (!one_parse || e->be != &embed_hash_backend)
            return sp_err(err, SCIPRUNE_EINVAL, "embed", -1, -1,
                          "the embed-pass signals come from the hash embedder only");
        if (nat) *nat = (float)-NGRAM_FLOOR;
        if (sites) *sites = 0.0f;
        b.nat = nat && e->ngram ? nat : NULL;
        b.sites = sites && e->sites ? sites : NULL;
    }
    sciprune_status st = e->be->embed_batch(e, w->w, &b, err);
    if (!st && gates && !one_parse)
        st = sciprune_gate_score_file(w->p, it.lang, path, text, len, gs, gates, err);
    if (st == SCIPRUNE_OK && row) *row = (sciprune_embed_row)r;
    return st;
}

sciprune_status sciprune_embedder_naturalness(sciprune_embedder *e, sciprune_parser *p,
                                              const char *lang, const char *text, size_t len,
                                              float *out, sciprune_error *err)
{
    *out = (float)-NGRAM_FLOOR;
    if (e->be != &embed_hash_backend || !e->ngram || !text) return SCIPRUNE_OK;
    return embed_hash_naturalness_one(e, p, lang, text, len, out, err);
}

int sciprune_embedder_has_naturalness(const sciprune_embedder *e)
{
    return e && e->ngram != NULL;
}

int sciprune_embedder_naturalness_sampled(const sciprune_embedder *e, const char *id)
{
    /* the site detectors train on the same sample: it counts without the n-gram model too */
    return e && (e->ngram || e->sites) && id && embed_ngram_in_sample(e, id);
}
