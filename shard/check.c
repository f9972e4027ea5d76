/*
 * check.c - the check stage: read shards, account for every line and keep every bad one.
 *
 * Files written in out_dir (formats in sciprune.h, section check):
 *   rejected/<shard>.jsonl  the rejected lines, verbatim, with reason and line
 *                           (sciprune_reject_write); written atomically, only when the shard
 *                           has rejected lines
 *   check.json              counts per shard and in total; written atomically last, so its
 *                           presence means the check finished
 */
#include "sp_common.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sciprune_check_options_default(sciprune_check_options *o)
{
    memset(o, 0, sizeof *o);
    sciprune_shard_options_default(&o->shard);
}

typedef struct check_job {
    const sciprune_check_options *o;
    sciprune_check_info *info;
    uint64_t bytes_done;  /* compressed bytes of the shards before this one */
} check_job;

/* One shard: its counts into *row (a new JSON object), rejected lines into rpath. */
static sciprune_status check_shard(check_job *cj, const char *path, const char *rpath,
                                   json_t **row, sciprune_error *err)
{
    const sciprune_check_options *o = cj->o;
    sciprune_shard_reader *r = NULL;
    sciprune_shard_writer *rw = NULL;
    const char *name = sciprune_shard_name(path);
    uint64_t lines = 0, ok = 0, rej = 0, reason[SCIPRUNE_REJECT_REASONS] = {0};
    sciprune_status st = sciprune_shard_reader_open(&r, path, &o->shard, err);
    if (!st) st = sciprune_shard_writer_open(&rw, rpath, NULL, err);
    while (!st) {
        const sciprune_record *rec;
        if ((st = sciprune_shard_reader_next(r, &rec, err)) || !rec) break;
        lines++;
        if (rec->reject == SCIPRUNE_REJECT_NONE) {
            ok++;
            cj->info->text_bytes += rec->text_len;
        } else if (o->fail_fast) {
            st = sp_err(err, SCIPRUNE_EPARSE, path, rec->line, -1, "rejected (%s): %s",
                        sciprune_reject_name(rec->reject), rec->detail);
        } else {
            rej++;
            reason[rec->reject]++;
            st = sciprune_reject_write(rw, name, rec, err);
        }
        if (o->progress && (lines & 1023) == 0)
            o->progress(o->progress_user, cj->info->lines + lines,
                        cj->bytes_done + sciprune_shard_reader_tell(r));
    }
    if (r) cj->bytes_done += sciprune_shard_reader_tell(r);
    sciprune_shard_reader_close(r);
    if (st || rej == 0) {
        sciprune_shard_writer_abort(rw);
        if (!st && unlink(rpath) != 0 && errno != ENOENT) /* a stale file of an earlier run */
            st = sp_err_errno(err, SCIPRUNE_EIO, rpath, errno, "cannot remove");
    } else {
        st = sciprune_shard_writer_close(rw, err);
    }
    if (st) return st;
    sciprune_check_info *in = cj->info;
    in->lines += lines;
    in->accepted += ok;
    in->rejected += rej;
    in->n_empty += lines == 0;
    if (lines == 0) sp_log(SCIPRUNE_LOG_WARN, "%s is empty", path);
    json_t *jr = json_object();
    for (int k = 1; k < SCIPRUNE_REJECT_REASONS; k++)
        if (reason[k]) {
            json_object_set_new(jr, sciprune_reject_name((sciprune_reject)k), json_integer((json_int_t)reason[k]));
            in->reasons[k] += reason[k];
        }
    *row = json_pack("{s:s, s:I, s:I, s:I, s:o}", "shard", name, "lines", (json_int_t)lines,
                     "accepted", (json_int_t)ok, "rejected", (json_int_t)rej, "reasons", jr);
    return *row ? SCIPRUNE_OK : sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
}

sciprune_status sciprune_check_run(const char *const *paths, size_t n, const char *out_dir,
                                   const sciprune_check_options *opt, sciprune_check_info *info,
                                   sciprune_error *err)
{
    sciprune_check_options o;
    if (opt) o = *opt; else sciprune_check_options_default(&o);
    sciprune_check_info local;
    if (!info) info = &local;
    memset(info, 0, sizeof *info);
    if (n == 0) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "no input shards");
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < i; k++)
            if (!strcmp(sciprune_shard_name(paths[i]), sciprune_shard_name(paths[k])))
                return sp_err(err, SCIPRUNE_EINVAL, paths[i], -1, -1,
                              "two input shards are named %s (also %s): their rejected/ files "
                              "would collide; rename one", sciprune_shard_name(paths[i]), paths[k]);
    char *rejdir = sp_path_join(out_dir, "rejected"), *jpath = sp_path_join(out_dir, "check.json");
    json_t *jshards = json_array(), *all = NULL;
    char *text = NULL;
    check_job cj = {&o, info, 0};
    sciprune_status st = rejdir && jpath && jshards ? sp_mkdirs(rejdir, err)
                                                    : sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    for (size_t i = 0; !st && i < n; i++) {
        const char *name = sciprune_shard_name(paths[i]);
        char *rpath = malloc(strlen(rejdir) + strlen(name) + 8);
        json_t *row = NULL;
        if (!rpath) {
            st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            break;
        }
        sprintf(rpath, "%s/%s.jsonl", rejdir, name);
        st = check_shard(&cj, paths[i], rpath, &row, err);
        free(rpath);
        if (!st) json_array_append_new(jshards, row);
        info->n_shards += !st;
    }
    if (!st) {
        all = json_pack("{s:O, s:I, s:I, s:I, s:I}", "shards", jshards, "lines", (json_int_t)info->lines,
                        "accepted", (json_int_t)info->accepted, "rejected", (json_int_t)info->rejected,
                        "text_bytes", (json_int_t)info->text_bytes);
        text = all ? sp_json_dumps(all, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        st = text ? sp_write_file_atomic(jpath, text, strlen(text), err)
                  : sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    }
    free(text);
    json_decref(all);
    json_decref(jshards);
    free(rejdir);
    free(jpath);
    return st;
}
