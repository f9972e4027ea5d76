/*
 * manifest.c - workdir/manifest.json.
 *
 *   {
 *     "format": "sciprune-manifest", "version": 1,
 *     "inputs": [{"path": "...", "size": N, "mtime_ns": T, "hash": "<32 hex, XXH3-128>"}, ...],
 *     "inputs_key": "<32 hex>",
 *     "config": "<the job config as text, or absent>",
 *     "stages": {"<stage>": {"key": "<32 hex>", "seconds": S, "peak_rss": B,
 *                            "outputs": {"<path relative to W>": {"size": N, "hash": "<32 hex>"},
 *                                        ...}}, ...}
 *   }
 * Written to a temp file and renamed, so a kill never leaves a half-written manifest.
 * "outputs" lists the files a stage left in its folders when it finished (sp_manifest_stage_
 * outputs): every size, and the XXH3-128 hash of each file up to SP_MANIFEST_HASH_MAX bytes
 * (the JSON and small arrays; large vectors and pruned shards are checked by size, which a
 * truncation or a rewrite of another shape changes, without reading them on every resume).
 * A resume trusts a stage only when its key is current and its outputs are all there, as
 * recorded (sp_manifest_stage_verify); a stage recorded before "outputs" existed is trusted
 * on its key alone.
 */
#include "sp_manifest.h"
#include "sp_workdir.h"

#include <dirent.h>
#include <errno.h>
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
    json_t *pending; /* stage -> outputs recorded by sp_manifest_stage_outputs (owned) */
};

void sp_manifest_free(sp_manifest *m)
{
    if (!m) return;
    json_decref(m->root);
    json_decref(m->pending);
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

sciprune_status sp_input_identity(json_t *entry, const char *path, const json_t *old, int *changed,
                                  sciprune_error *err)
{
    *changed = 0;
    struct stat sb;
    if (stat(path, &sb) != 0) return sp_err_errno(err, SCIPRUNE_EIO, path, errno, "cannot stat input shard");
    long long mt = (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
    char hash[33] = "";
    json_t *os = old ? json_object_get(old, "size") : NULL;
    const char *oh = old ? json_string_value(json_object_get(old, "hash")) : NULL;
    if (oh && json_integer_value(os) == (json_int_t)sb.st_size &&
        json_integer_value(json_object_get(old, "mtime_ns")) == mt)
        sp_strlcpy(hash, oh, sizeof hash); /* same size and mtime: the same file, not re-read */
    if (!hash[0]) {
        sciprune_status st = sciprune_file_hash(path, hash, err);
        if (st) return st;
    }
    if (oh && strcmp(oh, hash) != 0) *changed = 1;
    if (json_object_set_new(entry, "size", json_integer((json_int_t)sb.st_size)) ||
        json_object_set_new(entry, "mtime_ns", json_integer((json_int_t)mt)) ||
        json_object_set_new(entry, "hash", json_string(hash)))
        return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
    return SCIPRUNE_OK;
}

sciprune_status sp_inputs_verify(const char *workdir, const sciprune_shard_set *set,
                                 sciprune_error *err)
{
    char *jp = sp_wpath(workdir, SP_WF_SHARDS, NULL);
    if (!jp) return sp_err(err, SCIPRUNE_ENOMEM, workdir, -1, -1, "out of memory");
    json_t *root = sp_exists(jp) ? json_load_file(jp, 0, NULL) : NULL;
    free(jp);
    json_t *arr = json_object_get(root, "shards");
    sciprune_status st = SCIPRUNE_OK;
    for (size_t i = 0; !st && i < set->n; i++) {
        if (!set->paths || !set->paths[i]) continue;
        json_t *rec = NULL, *x;
        size_t k;
        json_array_foreach(arr, k, x) {
            const char *nm = json_string_value(json_object_get(x, "name"));
            if (nm && !strcmp(nm, set->names[i])) rec = x;
        }
        if (!rec || !json_is_string(json_object_get(rec, "hash"))) continue; /* not recorded */
        json_t *now = json_object();
        int ch = 0;
        if (!now) st = sp_err(err, SCIPRUNE_ENOMEM, workdir, -1, -1, "out of memory");
        else st = sp_input_identity(now, set->paths[i], rec, &ch, err);
        if (!st && ch)
            st = sp_err(err, SCIPRUNE_ESTATE, set->paths[i], -1, -1,
                        "input shard %s differs from the file %s/embed was made from (%lld "
                        "bytes now, %lld then, other content): embed it again (run --force, or "
                        "a new workdir)",
                        set->names[i], workdir,
                        (long long)json_integer_value(json_object_get(now, "size")),
                        (long long)json_integer_value(json_object_get(rec, "size")));
        json_decref(now);
    }
    json_decref(root);
    return st;
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
        json_t *o = json_array_get(old, i);
        const char *op = o ? json_string_value(json_object_get(o, "path")) : NULL;
        json_t *e = json_pack("{s:s}", "path", paths[i]);
        int ch = 0;
        sciprune_status st = e ? sp_input_identity(e, paths[i], op && !strcmp(op, paths[i]) ? o : NULL, &ch, err)
                               : sp_err(err, SCIPRUNE_ENOMEM, m->path, -1, -1, "out of memory");
        if (st || json_array_append_new(arr, e)) {
            if (!st) st = sp_err(err, SCIPRUNE_ENOMEM, m->path, -1, -1, "out of memory");
            else json_decref(e);
            json_decref(arr);
            return st;
        }
        const char *oh = o ? json_string_value(json_object_get(o, "hash")) : NULL;
        const char *hash = json_string_value(json_object_get(e, "hash"));
        if (json_array_size(old) > 0 && (!oh || strcmp(oh, hash) != 0)) *changed = 1;
        XXH3_128bits_update(&ks, hash, 33);
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
    json_t *outs = m->pending ? json_object_get(m->pending, stage) : NULL;
    if (s && outs && json_object_set(s, "outputs", outs)) {
        json_decref(s);
        s = NULL;
    }
    if (!s || json_object_set_new(json_object_get(m->root, "stages"), stage, s))
        return sp_err(err, SCIPRUNE_ENOMEM, m->path, -1, -1, "out of memory");
    if (outs) json_object_del(m->pending, stage);
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

/* ------------------------------------------------------------------ stage outputs */

/* Only the kinds of file the stages write are recorded: a plot or a note a user (or
 * scripts/plot_report.py) adds to a stage's folder is not an output of the stage. */
static int output_name(const char *n)
{
    static const char *const ext[] = {".npy", ".json", ".jsonl", ".md", ".faiss", ".zst"};
    if (n[0] == '.' || strstr(n, ".tmp.")) return 0;
    size_t l = strlen(n);
    for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
        size_t e = strlen(ext[i]);
        if (l > e && !strcmp(n + l - e, ext[i])) return 1;
    }
    return 0;
}

/* One file: size, and its hash when small. */
static sciprune_status add_output(json_t *outs, const char *path, const char *rel, off_t size,
                                  sciprune_error *err)
{
    json_t *o = json_pack("{s:I}", "size", (json_int_t)size);
    if (!o) return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
    if (size <= SP_MANIFEST_HASH_MAX) {
        char h[33];
        sciprune_status st = sciprune_file_hash(path, h, err);
        if (st || json_object_set_new(o, "hash", json_string(h))) {
            json_decref(o);
            return st ? st : sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
        }
    }
    if (json_object_set_new(outs, rel, o)) return sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
    return SCIPRUNE_OK;
}

/* Walk rel (a folder or a file under workdir) into outs, folders to `depth` levels. */
static sciprune_status walk_outputs(json_t *outs, const char *workdir, const char *rel, int depth,
                                    sciprune_error *err)
{
    char *path = sp_path_join(workdir, rel);
    if (!path) return sp_err(err, SCIPRUNE_ENOMEM, workdir, -1, -1, "out of memory");
    struct stat sb;
    sciprune_status st = SCIPRUNE_OK;
    if (stat(path, &sb) != 0) goto done; /* nothing there: nothing to record */
    if (S_ISREG(sb.st_mode)) {
        const char *base = strrchr(rel, '/');
        if (output_name(base ? base + 1 : rel)) st = add_output(outs, path, rel, sb.st_size, err);
        goto done;
    }
    if (!S_ISDIR(sb.st_mode) || depth < 0) goto done;
    DIR *d = opendir(path);
    if (!d) {
        st = sp_err_errno(err, SCIPRUNE_EIO, path, errno, "cannot list");
        goto done;
    }
    struct dirent *de;
    while (!st && (de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (n[0] == '.' || strstr(n, ".tmp.")) continue;
        char *r = sp_path_join(rel, n);
        if (!r) st = sp_err(err, SCIPRUNE_ENOMEM, workdir, -1, -1, "out of memory");
        else st = walk_outputs(outs, workdir, r, depth - 1, err);
        free(r);
    }
    closedir(d);
done:
    free(path);
    return st;
}

sciprune_status sp_manifest_stage_outputs(sp_manifest *m, const char *stage, const char *workdir,
                                          const char *const *rels, sciprune_error *err)
{
    json_t *outs = json_object();
    if (!outs || (!m->pending && !(m->pending = json_object()))) {
        json_decref(outs);
        return sp_err(err, SCIPRUNE_ENOMEM, m->path, -1, -1, "out of memory");
    }
    sciprune_status st = SCIPRUNE_OK;
    for (size_t i = 0; !st && rels[i]; i++) st = walk_outputs(outs, workdir, rels[i], 4, err);
    if (!st && json_object_set_new(m->pending, stage, outs))
        return sp_err(err, SCIPRUNE_ENOMEM, m->path, -1, -1, "out of memory");
    if (st) json_decref(outs);
    return st;
}

int sp_manifest_stage_verify(const sp_manifest *m, const char *stage, const char *workdir,
                             char *why, size_t cap)
{
    json_t *outs = json_object_get(json_object_get(json_object_get(m->root, "stages"), stage), "outputs");
    const char *rel;
    json_t *o;
    if (cap) why[0] = '\0';
    json_object_foreach(outs, rel, o) {
        char *path = sp_path_join(workdir, rel);
        if (!path) {
            snprintf(why, cap, "out of memory");
            return 0;
        }
        struct stat sb;
        json_int_t size = json_integer_value(json_object_get(o, "size"));
        const char *hash = json_string_value(json_object_get(o, "hash"));
        int ok = 1;
        if (stat(path, &sb) != 0) {
            snprintf(why, cap, "%s missing", rel);
            ok = 0;
        } else if ((json_int_t)sb.st_size != size) {
            snprintf(why, cap, "%s changed (%lld bytes, %lld recorded)", rel, (long long)sb.st_size,
                     (long long)size);
            ok = 0;
        } else if (hash) {
            char h[33];
            sciprune_error ig;
            if (sciprune_file_hash(path, h, &ig) || strcmp(h, hash) != 0) {
                snprintf(why, cap, "%s changed (content differs from the recorded hash)", rel);
                ok = 0;
            }
        }
        free(path);
        if (!ok) return 0;
    }
    return 1;
}
