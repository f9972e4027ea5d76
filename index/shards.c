/*
 * shards.c - the shard list of a workdir (sciprune_shard_set) and small index/ helpers.
 *
 * W/embed/shards.json, when present, fixes the list and the order. Accepted forms:
 *   ["a.jsonl", "data/b.jsonl.zst"]                        names or paths
 *   {"shards": ["a.jsonl", {"path": "data/b.jsonl.zst"}]}  objects with "path" (or "file")
 *                                                          and/or "name" (or "shard")
 * A string with a '/' or one that exists as a file is taken as a path (relative paths are
 * relative to the current folder); a shard's name is its "name" when given, else the file name
 * of its path (sciprune_shard_name). Without shards.json: W/embed/<name>.npy for every name that
 * ends in ".jsonl" or ".jsonl.zst", sorted by name (strcmp), paths unknown.
 */
#include "index_int.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sciprune_shard_set_free(sciprune_shard_set *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        if (s->names) free(s->names[i]);
        if (s->paths) free(s->paths[i]);
    }
    free(s->names);
    free(s->paths);
    free(s);
}

static sciprune_status set_new(sciprune_shard_set **out, size_t n, sciprune_error *err)
{
    sciprune_shard_set *s = calloc(1, sizeof *s);
    if (!s) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    s->names = calloc(n ? n : 1, sizeof *s->names);
    s->paths = calloc(n ? n : 1, sizeof *s->paths);
    if (!s->names || !s->paths) {
        sciprune_shard_set_free(s);
        return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    }
    *out = s;
    return SCIPRUNE_OK;
}

/* Add one entry; path may be NULL. */
static sciprune_status set_add(sciprune_shard_set *s, const char *name, const char *path,
                               sciprune_error *err)
{
    if (!*name) return sp_err(err, SCIPRUNE_EINVAL, path, -1, -1, "empty shard name");
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->names[i], name))
            return sp_err(err, SCIPRUNE_EINVAL, name, -1, -1,
                          "two input shards have the same file name");
    s->names[s->n] = strdup(name);
    s->paths[s->n] = path ? strdup(path) : NULL;
    if (!s->names[s->n] || (path && !s->paths[s->n])) {
        free(s->names[s->n]);
        free(s->paths[s->n]);
        s->names[s->n] = s->paths[s->n] = NULL;
        return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    }
    s->n++;
    return SCIPRUNE_OK;
}

sciprune_status sciprune_shard_set_from_paths(sciprune_shard_set **out, const char *const *paths,
                                              size_t n, sciprune_error *err)
{
    *out = NULL;
    if (n == 0) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "no input shards");
    sciprune_shard_set *s;
    sciprune_status st = set_new(&s, n, err);
    if (st) return st;
    for (size_t i = 0; i < n; i++) {
        st = set_add(s, sciprune_shard_name(paths[i]), paths[i], err);
        if (st) goto fail;
    }
    *out = s;
    return SCIPRUNE_OK;
fail:
    sciprune_shard_set_free(s);
    return st;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static sciprune_status load_json(sciprune_shard_set **out, const char *jpath, sciprune_error *err)
{
    json_error_t je;
    json_t *root = json_load_file(jpath, 0, &je);
    if (!root) return sp_err(err, sp_json_load_status(SCIPRUNE_EPARSE), jpath, je.line, je.position, "%s", je.text);
    json_t *arr = json_is_array(root) ? root : json_object_get(root, "shards");
    sciprune_status st;
    sciprune_shard_set *s = NULL;
    if (!json_is_array(arr)) {
        st = sp_err(err, SCIPRUNE_EPARSE, jpath, -1, -1,
                    "want an array of shards or an object with a \"shards\" array");
        goto fail;
    }
    st = set_new(&s, json_array_size(arr), err);
    if (st) goto fail;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        const char *path = NULL, *name = NULL;
        if (json_is_string(v)) {
            const char *t = json_string_value(v);
            if (strchr(t, '/') || sp_exists(t)) path = t;
            else name = t;
        } else if (json_is_object(v)) {
            path = json_string_value(json_object_get(v, "path"));
            if (!path) path = json_string_value(json_object_get(v, "file"));
            name = json_string_value(json_object_get(v, "name"));
            if (!name) name = json_string_value(json_object_get(v, "shard"));
        }
        if (!name && path) name = sciprune_shard_name(path);
        if (!name) {
            st = sp_err(err, SCIPRUNE_EPARSE, jpath, -1, -1,
                        "shard %zu: want a string or an object with \"path\" or \"name\"", i);
            goto fail;
        }
        st = set_add(s, name, path, err);
        if (st) goto fail;
    }
    if (s->n == 0) {
        st = sp_err(err, SCIPRUNE_EINVAL, jpath, -1, -1, "no shards listed");
        goto fail;
    }
    json_decref(root);
    *out = s;
    return SCIPRUNE_OK;
fail:
    sciprune_shard_set_free(s);
    json_decref(root);
    return st;
}

sciprune_status sciprune_shard_set_load(sciprune_shard_set **out, const char *workdir,
                                        sciprune_error *err)
{
    *out = NULL;
    char *edir = sp_wdir_path(workdir, SP_WD_EMBED);
    char *jpath = sp_wpath(workdir, SP_WF_SHARDS, NULL);
    char **names = NULL;
    size_t n = 0, cap = 0;
    sciprune_status st = SCIPRUNE_OK;
    DIR *d = NULL;
    if (!edir || !jpath) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto done;
    }
    if (sp_exists(jpath)) {
        st = load_json(out, jpath, err);
        goto done;
    }
    d = opendir(edir);
    if (!d) {
        st = sp_err_errno(err, SCIPRUNE_EIO, edir, errno, "cannot list embeddings");
        goto done;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *f = de->d_name;
        if (!ends_with(f, ".jsonl.npy") && !ends_with(f, ".jsonl.zst.npy")) continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn) {
                st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
                goto done;
            }
            names = nn;
            cap = nc;
        }
        names[n] = strndup(f, strlen(f) - 4);
        if (!names[n]) {
            st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            goto done;
        }
        n++;
    }
    if (n == 0) {
        st = sp_err(err, SCIPRUNE_EINVAL, edir, -1, -1,
                    "no shards: neither shards.json nor <shard>.jsonl[.zst].npy files");
        goto done;
    }
    qsort(names, n, sizeof *names, cmp_str);
    sciprune_shard_set *s;
    st = set_new(&s, n, err);
    if (st) goto done;
    for (size_t i = 0; i < n && !st; i++) st = set_add(s, names[i], NULL, err);
    if (st) sciprune_shard_set_free(s);
    else *out = s;
done:
    if (d) closedir(d);
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    free(jpath);
    free(edir);
    return st;
}

const char *sciprune_space_name(sciprune_space s)
{
    return s == SCIPRUNE_SPACE_L2 ? "l2" : "cosine";
}

sciprune_status sciprune_space_parse(const char *name, sciprune_space *out, sciprune_error *err)
{
    if (!strcmp(name, "cosine") || !strcmp(name, "ip")) *out = SCIPRUNE_SPACE_COSINE;
    else if (!strcmp(name, "l2")) *out = SCIPRUNE_SPACE_L2;
    else return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "unknown metric '%s' (want cosine or l2)", name);
    return SCIPRUNE_OK;
}

int index_finite(const float *v, size_t d)
{
    for (size_t i = 0; i < d; i++)
        if (!isfinite(v[i])) return 0;
    return 1;
}

void index_normalize(float *v, size_t d)
{
    double s = 0;
    for (size_t i = 0; i < d; i++) s += (double)v[i] * v[i];
    if (s <= 0) return;
    float inv = (float)(1.0 / sqrt(s));
    for (size_t i = 0; i < d; i++) v[i] *= inv;
}

sciprune_status index_json_write(const char *path, const json_t *j, sciprune_error *err)
{
    return sp_json_write_atomic(path, j, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(9), err);
}

