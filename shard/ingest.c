/*
 * ingest.c - source trees -> Stack-like shards.
 *
 * Output shard format (<prefix>-NNNNN.jsonl.zst), one JSON object per file:
 *   {"id": "<dir basename>/<relative path>", "content": "<file text>", "lang": "<language>",
 *    "path": "<same as id>", "size": <bytes>}
 * Files are visited in byte-wise sorted order of their names, folder by folder, so the same
 * trees give the same shards. Symbolic links are not followed; VCS and cache folders skipped.
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
    if (!g->w || g->in_shard == g->opt->docs_per_shard) {
        if (g->w) {
            st = sciprune_shard_writer_close(g->w, g->err);
            g->w = NULL;
            if (st) goto done;
        }
        st = open_next(g);
        if (st) goto done;
    }
    size_t ll = strlen(line);
    st = sciprune_shard_writer_write(g->w, line, ll, g->err);
    if (st) goto done;
    g->in_shard++;
    g->stats->files_written++;
    g->stats->bytes_written += len;
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
    if (st) {
        sciprune_shard_writer_abort(g.w);
        return st;
    }
    if (g.w) st = sciprune_shard_writer_close(g.w, err);
    if (st) return st;
    /* remove shards a previous, larger ingest left under the same prefix */
    for (uint64_t k = stats->shards;; k++) {
        char name[300];
        snprintf(name, sizeof name, "%s-%05llu.jsonl.zst", o.prefix, (unsigned long long)k);
        char *p = sp_path_join(out_dir, name);
        if (!p) return sp_err(err, SCIPRUNE_ENOMEM, out_dir, -1, -1, "out of memory");
        int gone = !sp_exists(p) || unlink(p) != 0;
        free(p);
        if (gone) break;
    }
    return SCIPRUNE_OK;
}
