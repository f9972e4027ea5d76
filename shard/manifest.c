/*
 * manifest.c - workdir/manifest.json.
 *
 *   {
 *     "format": "sciprune-manifest", "version": 1,
 *     "inputs": [{"path": "...", "size": N, "mtime_ns": T, "hash": "<32 hex, XXH3-128>"}, ...],
 *     "inputs_key": "<32 hex>",
 *     "config": "<the job config as text, or absent>",
 *     "stages": {"<stage>": {"key": "<32 hex>", "seconds": S, "peak_rss": B}, ...}
 *   }
 * Written to a temp file and renamed, so a kill never leaves a half-written manifest.
 */
#include "sp_manifest.h"
#include "sp_workdir.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

struct sp_manifest {
    char *path;      /* owned */
    json_t *root;    /* owned */
    char inputs_key[33];
};

void sp_manifest_free(sp_manifest *m)
{
    if (!m) return;
    json_decref(m->root);
    free(m->path);
    free(m);
}

sciprune_status sp_manifest_load(sp_manifest **out, const char *workdir, sciprune_error *err)
{
    *out = NULL;
    sciprune_status st;
    sp_manifest *m = calloc(1, sizeof *m);
    if (!m || !(m->path = sp_wpath(workdir, SP_WF_MANIFEST, NULL))) {
        free(m);
        return sp_err(err, SCIPRUNE_ENOMEM, workdir, -1, -1, "out of memory");
    }
    if (sp_exists(m->path)) {
        json_error_t je;
        m->root = json_load_file(m->path, 0, &je);
        if (!m->root) {
            st = sp_err(err, sp_json_load_status(SCIPRUNE_EPARSE), m->path, je.line, je.position, "bad manifest: %s", je.text);
            goto fail;
        }
        const char *fmt = json_string_value(json_object_get(m->root, "format"));
        if (!json_is_object(m->root) || !fmt || strcmp(fmt, "sciprune-manifest") != 0) {
            st = sp_err(err, SCIPRUNE_EPARSE, m->path, -1, -1, "not a sciprune manifest");
            goto fail;
        }
        const char *k = json_string_value(json_object_get(m->root, "inputs_key"));
        sp_strlcpy(m->inputs_key, k ? k : "", sizeof m->inputs_key);
    } else {
        m->root = json_pack("{s:s, s:i, s:[], s:{}}", "format", "sciprune-manifest", "version", 1,
                            "inputs", "stages");
        if (!m->root) {
            st = sp_err(err, SCIPRUNE_ENOMEM, m->path, -1, -1, "out of memory");
            goto fail;
        }
    }
    if (!json_is_object(json_object_get(m->root, "stages")))
        json_object_set_new(m->root, "stages", json_object());
    *out = m;
    return SCIPRUNE_OK;
fail:
    sp_manifest_free(m);
    return st;
}

sciprune_status sp_manifest_save(sp_manifest *m, sciprune_error *err)
{
    char *s = sp_json_dumps(m->root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    if (!s) return sp_err(err, SCIPRUNE_ENOMEM, m->path, -1, -1, "out of memory");
    size_t n = strlen(s);
    char *t = realloc(s, n + 2);
    if (!t) {
        free(s);
        return sp_err(err, SCIPRUNE_ENOMEM, m->path, -1, -1, "out of memory");
    }
    t[n] = '\n';
    t[n + 1] = '\0';
    sciprune_status st = sp_write_file_atomic(m->path, t, n + 1, err);
    free(t);
    return st;
}

void sp_key_of(char out[33], const char *const *parts)
{
    XXH3_state_t s;
    XXH3_128bits_reset(&s);
    for (size_t i = 0; parts[i]; i++) {
        XXH3_128bits_update(&s, parts[i], strlen(parts[i]) + 1); /* NUL separates parts */
    }
    XXH128_hash_t h = XXH3_128bits_digest(&s);
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64, (unsigned long long)h.low64);
}

sciprune_status sp_manifest_set_inputs(sp_manifest *m, const char *const *paths, size_t n,
                                       int *changed, sciprune_error *err)
{
    *changed = 0;
    json_t *old = json_object_get(m->root, "inputs");
    json_t *arr = json_array();
    if (!arr) return sp_err(err, SCIPRUNE_ENOMEM, m->path, -1, -1, "out of memory");
    XXH3_state_t ks;
    XXH3_128bits_reset(&ks);
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        if (stat(paths[i], &sb) != 0) {
            json_decref(arr);
            return sp_err(err, SCIPRUNE_EIO, paths[i], -1, -1, "cannot stat input shard");
        }
        long long mt = (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
        char hash[33] = "";
        json_t *o = json_array_get(old, i);
        if (o && json_is_string(json_object_get(o, "path")) &&
            strcmp(json_string_value(json_object_get(o, "path")), paths[i]) == 0 &&
            json_integer_value(json_object_get(o, "size")) == (json_int_t)sb.st_size &&
            json_integer_value(json_object_get(o, "mtime_ns")) == mt &&
            json_is_string(json_object_get(o, "hash")))
            sp_strlcpy(hash, json_string_value(json_object_get(o, "hash")), sizeof hash);
        if (!hash[0]) {
            sciprune_status st = sciprune_file_hash(paths[i], hash, err);
            if (st) {
                json_decref(arr);
                return st;
            }
        }
        const char *oh = o ? json_string_value(json_object_get(o, "hash")) : NULL;
        if (json_array_size(old) > 0 && (!oh || strcmp(oh, hash) != 0)) *changed = 1;
        XXH3_128bits_update(&ks, hash, 33);
        json_t *e = json_pack("{s:s, s:I, s:I, s:s}", "path", paths[i], "size", (json_int_t)sb.st_size,
                              "mtime_ns", (json_int_t)mt, "hash", hash);
        if (!e || json_array_append_new(arr, e)) {
            json_decref(arr);
            return sp_err(err, SCIPRUNE_ENOMEM, m->path, -1, -1, "out of memory");
        }
    }
    if (json_array_size(old) > 0 && json_array_size(old) != n) *changed = 1;
    XXH128_hash_t h = XXH3_128bits_digest(&ks);
    snprintf(m->inputs_key, sizeof m->inputs_key, "%016llx%016llx", (unsigned long long)h.high64,
             (unsigned long long)h.low64);
    json_object_set_new(m->root, "inputs", arr);
    json_object_set_new(m->root, "inputs_key", json_string(m->inputs_key));
    return SCIPRUNE_OK;
}

const char *sp_manifest_inputs_key(const sp_manifest *m) { return m->inputs_key; }

const char *sp_manifest_get_config(const sp_manifest *m)
{
    return json_string_value(json_object_get(m->root, "config"));
}

sciprune_status sp_manifest_set_config(sp_manifest *m, const char *config_json, sciprune_error *err)
{
    if (json_object_set_new(m->root, "config", json_string(config_json)))
        return sp_err(err, SCIPRUNE_ENOMEM, m->path, -1, -1, "out of memory (or config not UTF-8)");
    return SCIPRUNE_OK;
}

const char *sp_manifest_stage_key(const sp_manifest *m, const char *stage)
{
    json_t *s = json_object_get(json_object_get(m->root, "stages"), stage);
    return json_string_value(json_object_get(s, "key"));
}

int sp_manifest_stage_current(const sp_manifest *m, const char *stage, const char *key)
{
    const char *k = sp_manifest_stage_key(m, stage);
    return k && key && strcmp(k, key) == 0;
}

sciprune_status sp_manifest_stage_done(sp_manifest *m, const char *stage, const char *key,
                                       double seconds, uint64_t peak_rss, sciprune_error *err)
{
    json_t *s = json_pack("{s:s, s:f, s:I}", "key", key, "seconds", seconds, "peak_rss",
                          (json_int_t)peak_rss);
    if (!s || json_object_set_new(json_object_get(m->root, "stages"), stage, s))
        return sp_err(err, SCIPRUNE_ENOMEM, m->path, -1, -1, "out of memory");
    return sp_manifest_save(m, err);
}

sciprune_status sp_manifest_stage_clear(sp_manifest *m, const char *stage, sciprune_error *err)
{
    json_object_del(json_object_get(m->root, "stages"), stage);
    return sp_manifest_save(m, err);
}

int sp_manifest_stage_info(const sp_manifest *m, const char *stage, double *seconds,
                           uint64_t *peak_rss)
{
    json_t *s = json_object_get(json_object_get(m->root, "stages"), stage);
    if (!json_is_string(json_object_get(s, "key"))) return 0;
    if (seconds) *seconds = json_number_value(json_object_get(s, "seconds"));
    if (peak_rss) *peak_rss = (uint64_t)json_integer_value(json_object_get(s, "peak_rss"));
    return 1;
}

size_t sp_manifest_n_inputs(const sp_manifest *m)
{
    return json_array_size(json_object_get(m->root, "inputs"));
}
