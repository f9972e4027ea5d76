/*
 * ingest.c - source trees -> Stack-like shards.
 *
 * Output shard format (<prefix>-NNNNN.jsonl.zst), one JSON object per file:
 *   {"id": "<dir basename>/<relative path>", "content": "<file text>", "lang": "<language>",
 *    "path": "<same as id>", "size": <bytes>}
 * Files are visited in byte-wise sorted order of their names, folder by folder, so the same
 * trees give the same shards. Symbolic links are not followed; VCS and cache folders skipped.
 *
 * sciprune_ingest_jsonl() writes the same shards from a stream of JSON records (one object
 * per line, as scripts/parquet2shard.js makes from Parquet): each record is kept with its
 * fields in ingest's order (id, content, lang, path, size, then the others as they came);
 * "lang" becomes sciprune's name (sciprune_lang_canonical, else the value in
 * lower case; absent or empty: from the extension of "path", else "unknown"); "size" is set
 * to the bytes of "content" when absent.
 */
#include "shard_int.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void sciprune_ingest_options_default(sciprune_ingest_options *o)
{
    o->docs_per_shard = 10000;
    o->max_file_bytes = (size_t)1 << 20;
    o->zstd_level = 3;
    o->known_langs_only = 1;
    o->prefix = "shard";
}

typedef struct ingest {
    const sciprune_ingest_options *opt;
    const char *out_dir;
    sciprune_ingest_stats *stats;
    sciprune_shard_writer *w;
    size_t in_shard;
    sciprune_error *err;
} ingest;

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dir(const char *n)
{
    return !strcmp(n, ".git") || !strcmp(n, ".hg") || !strcmp(n, ".svn") ||
           !strcmp(n, "__pycache__");
}

static sciprune_status open_next(ingest *g)
{
    char name[300];
    snprintf(name, sizeof name, "%s-%05llu.jsonl.zst", g->opt->prefix,
             (unsigned long long)g->stats->shards);
    char *p = sp_path_join(g->out_dir, name);
    if (!p) return sp_err(g->err, SCIPRUNE_ENOMEM, g->out_dir, -1, -1, "out of memory");
    sciprune_writer_options wo;
    sciprune_writer_options_default(&wo);
    wo.zstd_level = g->opt->zstd_level;
    sciprune_status st = sciprune_shard_writer_open(&g->w, p, &wo, g->err);
    free(p);
    if (st == SCIPRUNE_OK) {
        g->stats->shards++;
        g->in_shard = 0;
    }
    return st;
}

/* Append one record line, opening the next shard when the current one is full. */
static sciprune_status put_line(ingest *g, const char *line, size_t ll, size_t text_len)
{
    sciprune_status st;
    if (!g->w || g->in_shard == g->opt->docs_per_shard) {
        if (g->w) {
            st = sciprune_shard_writer_close(g->w, g->err);
            g->w = NULL;
            if (st) return st;
        }
        st = open_next(g);
        if (st) return st;
    }
    st = sciprune_shard_writer_write(g->w, line, ll, g->err);
    if (st) return st;
    g->in_shard++;
    g->stats->files_written++;
    g->stats->bytes_written += text_len;
    return SCIPRUNE_OK;
}

static sciprune_status add_file(ingest *g, const char *full, const char *id, const char *lang)
{
    char *text = NULL;
    size_t len = 0;
    sciprune_error e2;
    if (sp_read_file(full, &text, &len, &e2) != SCIPRUNE_OK) {
        if (e2.code == SCIPRUNE_ENOMEM) return sp_err(g->err, SCIPRUNE_ENOMEM, full, -1, -1, "out of memory");
        g->stats->skipped_unreadable++;
        sp_log(SCIPRUNE_LOG_WARN, "skipping %s: %s", full, e2.text);
        return SCIPRUNE_OK;
    }
    if (memchr(text, '\0', len) || !sp_utf8_valid((const unsigned char *)text, len)) {
        g->stats->skipped_binary++;
        free(text);
        return SCIPRUNE_OK;
    }
    sciprune_status st = SCIPRUNE_OK;
    char *line = NULL;
    json_t *o = json_object();
    if (!o || json_object_set_new(o, "id", json_string(id)) ||
        json_object_set_new(o, "content", json_stringn(text, len)) ||
        json_object_set_new(o, "lang", json_string(lang)) ||
        json_object_set_new(o, "path", json_string(id)) ||
        json_object_set_new(o, "size", json_integer((json_int_t)len)) ||
        !(line = sp_json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
        st = sp_err(g->err, SCIPRUNE_ENOMEM, full, -1, -1, "out of memory (or path not UTF-8)");
        goto done;
    }
    st = put_line(g, line, strlen(line), len);
done:
    free(line);
    json_decref(o);
    free(text);
    return st;
}

static sciprune_status walk(ingest *g, const char *dir, const char *rel)
{
    struct dirent **list = NULL;
    int n = scandir(dir, &list, NULL, name_cmp);
    if (n < 0) {
        g->stats->skipped_unreadable++;
        sp_log(SCIPRUNE_LOG_WARN, "cannot read folder %s: %s", dir, strerror(errno));
        return SCIPRUNE_OK;
    }
    sciprune_status st = SCIPRUNE_OK;
    for (int i = 0; i < n; i++) {
        const char *nm = list[i]->d_name;
        if (st || !strcmp(nm, ".") || !strcmp(nm, "..")) continue;
        char *full = sp_path_join(dir, nm);
        char *r2 = sp_path_join(rel, nm);
        struct stat sb;
        if (!full || !r2) {
            st = sp_err(g->err, SCIPRUNE_ENOMEM, dir, -1, -1, "out of memory");
        } else if (lstat(full, &sb) != 0) {
            g->stats->skipped_unreadable++;
        } else if (S_ISDIR(sb.st_mode)) {
            if (!skip_dir(nm)) st = walk(g, full, r2);
        } else if (S_ISREG(sb.st_mode)) {
            g->stats->files_seen++;
            const char *lang = sciprune_lang_from_path(nm);
            if (!lang && g->opt->known_langs_only)
                g->stats->skipped_unknown_lang++;
            else if ((size_t)sb.st_size > g->opt->max_file_bytes)
                g->stats->skipped_large++;
            else
                st = add_file(g, full, r2, lang ? lang : "unknown");
        }
        free(full);
        free(r2);
    }
    for (int i = 0; i < n; i++) free(list[i]);
    free(list);
    return st;
}

/* Close the last shard and remove shards a previous, larger ingest left under the prefix. */
static sciprune_status finish(ingest *g, sciprune_status st)
{
    if (st) {
        sciprune_shard_writer_abort(g->w);
        return st;
    }
    if (g->w) st = sciprune_shard_writer_close(g->w, g->err);
    if (st) return st;
    for (uint64_t k = g->stats->shards;; k++) {
        char name[300];
        snprintf(name, sizeof name, "%s-%05llu.jsonl.zst", g->opt->prefix, (unsigned long long)k);
        char *p = sp_path_join(g->out_dir, name);
        if (!p) return sp_err(g->err, SCIPRUNE_ENOMEM, g->out_dir, -1, -1, "out of memory");
        int gone = !sp_exists(p) || unlink(p) != 0;
        free(p);
        if (gone) break;
    }
    return SCIPRUNE_OK;
}

sciprune_status sciprune_ingest(const char *const *dirs, size_t ndirs, const char *out_dir,
                                const sciprune_ingest_options *opt, sciprune_ingest_stats *stats,
                                sciprune_error *err)
{
    sciprune_ingest_options o;
    if (opt)
        o = *opt;
    else
        sciprune_ingest_options_default(&o);
    if (o.docs_per_shard == 0 || !o.prefix || !o.prefix[0])
        return sp_err(err, SCIPRUNE_EINVAL, out_dir, -1, -1, "docs_per_shard must be > 0");
    sciprune_ingest_stats local;
    if (!stats) stats = &local;
    memset(stats, 0, sizeof *stats);
    sciprune_status st = sp_mkdirs(out_dir, err);
    if (st) return st;
    ingest g = {&o, out_dir, stats, NULL, 0, err};
    for (size_t i = 0; i < ndirs && !st; i++) {
        struct stat sb;
        if (stat(dirs[i], &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            st = sp_err(err, SCIPRUNE_EIO, dirs[i], -1, -1, "not a readable folder");
            break;
        }
        char *base = strdup(dirs[i]);
        if (!base) {
            st = sp_err(err, SCIPRUNE_ENOMEM, dirs[i], -1, -1, "out of memory");
            break;
        }
        size_t bl = strlen(base);
        while (bl > 1 && base[bl - 1] == '/') base[--bl] = '\0';
        const char *bn = strrchr(base, '/');
        bn = bn && bn[1] ? bn + 1 : base;
        st = walk(&g, dirs[i], bn);
        free(base);
    }
    return finish(&g, st);
}

/* One JSON record line -> normalised shard line. */
static sciprune_status jsonl_record(ingest *g, const char *name, long long lineno, const char *buf,
                                    size_t n)
{
    json_error_t je;
    json_t *o = json_loadb(buf, n, JSON_ALLOW_NUL, &je);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        return sp_err(g->err, SCIPRUNE_EINVAL, name, lineno, -1, "not a JSON object: %s",
                      o ? "other JSON value" : je.text);
    }
    sciprune_status st = SCIPRUNE_OK;
    char *line = NULL;
    json_t *text = json_object_get(o, "content");
    if (!json_is_string(text)) {
        st = sp_err(g->err, SCIPRUNE_EINVAL, name, lineno, -1, "no string \"content\"");
        goto done;
    }
    size_t len = json_string_length(text);
    const char *lang = NULL;
    char low[64];
    json_t *lv = json_object_get(o, "lang");
    if (json_is_string(lv) && json_string_length(lv) > 0) {
        lang = sciprune_lang_canonical(json_string_value(lv));
        if (!lang) {
            const char *v = json_string_value(lv);
            size_t i = 0;
            for (; v[i] && i + 1 < sizeof low; i++)
                low[i] = (char)((v[i] >= 'A' && v[i] <= 'Z') ? v[i] + 32 : v[i]);
            low[i] = '\0';
            lang = low;
        }
    }
    json_t *pv = json_object_get(o, "path");
    if (!lang && json_is_string(pv)) lang = sciprune_lang_from_path(json_string_value(pv));
    if (!lang) lang = "unknown";
    /* fields in ingest's order: id, content, lang, path, size, then the others as they came */
    json_t *r = json_object();
    json_t *idv = json_object_get(o, "id"), *sz = json_object_get(o, "size");
    int bad = !r || (idv && json_object_set(r, "id", idv)) || json_object_set(r, "content", text) ||
              json_object_set_new(r, "lang", json_string(lang)) ||
              (pv && json_object_set(r, "path", pv)) ||
              (sz ? json_object_set(r, "size", sz)
                  : json_object_set_new(r, "size", json_integer((json_int_t)len)));
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val) {
        if (bad) break;
        if (!json_object_get(r, key) && strcmp(key, "lang") != 0) bad = json_object_set(r, key, val);
    }
    if (bad || !(line = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
        json_decref(r);
        st = sp_err(g->err, SCIPRUNE_ENOMEM, name, lineno, -1, "out of memory");
        goto done;
    }
    json_decref(r);
    g->stats->files_seen++;
    st = put_line(g, line, strlen(line), len);
done:
    free(line);
    json_decref(o);
    return st;
}

sciprune_status sciprune_ingest_jsonl(FILE *in, const char *name, const char *out_dir,
                                      const sciprune_ingest_options *opt,
                                      sciprune_ingest_stats *stats, sciprune_error *err)
{
    sciprune_ingest_options o;
    if (opt)
        o = *opt;
    else
        sciprune_ingest_options_default(&o);
    if (!name) name = "<stdin>";
    if (o.docs_per_shard == 0 || !o.prefix || !o.prefix[0])
        return sp_err(err, SCIPRUNE_EINVAL, out_dir, -1, -1, "docs_per_shard must be > 0");
    sciprune_ingest_stats local;
    if (!stats) stats = &local;
    memset(stats, 0, sizeof *stats);
    sciprune_status st = sp_mkdirs(out_dir, err);
    if (st) return st;
    ingest g = {&o, out_dir, stats, NULL, 0, err};
    char *buf = NULL;
    size_t cap = 0;
    long long lineno = 0;
    ssize_t n;
    errno = 0;
    while (!st && (n = getline(&buf, &cap, in)) >= 0) {
        lineno++;
        if (n == 0 || buf[n - 1] != '\n') {
            st = sp_err(err, SCIPRUNE_EINVAL, name, lineno, -1, "last line has no newline (truncated?)");
            break;
        }
        if (n == 1) continue;
        st = jsonl_record(&g, name, lineno, buf, (size_t)n - 1);
    }
    if (!st && ferror(in))
        st = sp_err(err, SCIPRUNE_EIO, name, lineno, -1, "read error: %s", strerror(errno));
    free(buf);
    return finish(&g, st);
}
