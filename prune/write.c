/*
 * write.c - stream every input shard once and write each variant's pruned shards (stage 6).
 *
 * Per input shard <s> (name = file name), for every variant v of score/plan.json:
 *   out/<v>/kept/<s>      the accepted lines v keeps, byte-identical, in input order
 *   out/<v>/removed/<s>   with write_removed: the accepted lines v prunes
 * and once per shard out/rejected/<s>.jsonl (sciprune_reject_write lines) when the shard has
 * rejected lines (a stale one is removed otherwise). Output format follows the name: ".zst"
 * names are zstd-compressed. So for every shard and variant: kept + removed + rejected = lines,
 * and kept and removed interleaved back in line order are the accepted lines.
 *
 * Each line is checked against assign/<s>.cluster.npy (-1 exactly for rejected lines) and the
 * line count against the arrays: a shard changed since embedding, or read with other shard
 * options, is an ESTATE error, not silently misaligned output.
 *
 * out/prune.json: {"variants": [{"name", "kept", "pruned", "rejected", "kept_bytes",
 * "pruned_bytes", "rejected_bytes"}], "languages": [{"lang", "records", "bytes", "kept": [V],
 * "pruned": [V], "kept_bytes": [V], "pruned_bytes": [V]}], "shards": [{"name", "lines",
 * "accepted", "rejected", "kept": [V]}], "lines", "accepted", "rejected", "write_removed",
 * "seconds", "peak_rss", "threads"}. Bytes are uncompressed line bytes including the '\n'.
 * Workers take whole shards; per-shard results are merged in shard order, so every output file
 * except the timing fields is the same for any thread count.
 */
#include "prune_int.h"

#include <dirent.h>
#include <sys/stat.h>
#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sciprune_prune_settings_default(sciprune_prune_settings *s)
{
    memset(s, 0, sizeof *s);
    s->write_removed = 0;
    s->threads = 0;
    sciprune_shard_options_default(&s->shard);
    sciprune_writer_options_default(&s->writer);
}

typedef struct vcount {
    uint64_t kept, pruned, kept_bytes, pruned_bytes;
} vcount;

typedef struct lang_stat {
    char *lang;    /* owned */
    uint64_t records, bytes;
    vcount *v;     /* V, owned */
} lang_stat;

typedef struct shard_stat {
    uint64_t lines, accepted, rejected, rejected_bytes;
    vcount *v;     /* V, owned */
    lang_stat *langs;
    size_t nlangs, caplangs;
} shard_stat;

typedef struct pruner {
    const char *workdir;
    const sciprune_shard_set *shards;
    const sciprune_prune_settings *set;
    size_t nv, nb;
    char **vnames;      /* nv, borrowed from the plan */
    shard_stat *stats;  /* per shard */
} pruner;

static lang_stat *lang_get(shard_stat *ss, const char *lang, size_t nv)
{
    for (size_t i = 0; i < ss->nlangs; i++)
        if (!strcmp(ss->langs[i].lang, lang)) return &ss->langs[i];
    if (ss->nlangs == ss->caplangs) {
        size_t nc = ss->caplangs ? ss->caplangs * 2 : 8;
        lang_stat *nl = realloc(ss->langs, nc * sizeof *nl);
        if (!nl) return NULL;
        ss->langs = nl;
        ss->caplangs = nc;
    }
    lang_stat *l = &ss->langs[ss->nlangs];
    memset(l, 0, sizeof *l);
    l->lang = strdup(lang);
    l->v = calloc(nv ? nv : 1, sizeof *l->v);
    if (!l->lang || !l->v) {
        free(l->lang);
        free(l->v);
        return NULL;
    }
    ss->nlangs++;
    return l;
}

static void shard_stat_free(shard_stat *ss)
{
    for (size_t i = 0; i < ss->nlangs; i++) {
        free(ss->langs[i].lang);
        free(ss->langs[i].v);
    }
    free(ss->langs);
    free(ss->v);
}

static sciprune_status prune_shard(void *ctx, int worker, size_t si, sciprune_error *err)
{
    (void)worker;
    pruner *p = ctx;
    const char *name = p->shards->names[si], *path = p->shards->paths[si];
    const size_t nv = p->nv, nb = p->nb;
    shard_stat *ss = &p->stats[si];
    sp_npy ca, ma;
    memset(&ca, 0, sizeof ca);
    memset(&ma, 0, sizeof ma);
    sciprune_shard_reader *r = NULL;
    sciprune_shard_writer **kw = calloc(nv ? nv : 1, sizeof *kw);
    sciprune_shard_writer **rw = calloc(nv ? nv : 1, sizeof *rw);
    sciprune_shard_writer *jw = NULL;
    char *cpath = sp_wpath(p->workdir, SP_WF_CLUSTER, name);
    char *mpath = sp_wpath(p->workdir, SP_WF_PRUNE_MASK, name);
    char *jpath = sp_wpath(p->workdir, SP_WF_REJECTED, name);
    char *opath = NULL;
    sciprune_status st = SCIPRUNE_OK;
    ss->v = calloc(nv ? nv : 1, sizeof *ss->v);
    if (!kw || !rw || !cpath || !mpath || !jpath || !ss->v) {
        st = sp_err(err, SCIPRUNE_ENOMEM, name, -1, -1, "out of memory");
        goto done;
    }
    if ((st = sp_npy_open(&ca, cpath, err)) || (st = sp_npy_open(&ma, mpath, err))) {
        if (st == SCIPRUNE_EIO) err->code = st = SCIPRUNE_ESTATE;
        goto done;
    }
    if (ca.dtype != SP_NPY_I32 || ca.cols || ma.dtype != SP_NPY_U8 || ma.cols != nb ||
        ma.rows != ca.rows) {
        st = sp_err(err, SCIPRUNE_ESTATE, mpath, -1, -1,
                    "score mask does not match plan.json (%zu bytes per row) or assign/", nb);
        goto done;
    }
    const int32_t *cl = ca.data;
    const uint8_t *mask = ma.data;
    if ((st = sciprune_shard_reader_open(&r, path, &p->set->shard, err))) goto done;
    for (size_t v = 0; v < nv; v++) {
        for (int rem = 0; rem < 1 + (p->set->write_removed != 0); rem++) {
            opath = sp_wvariant_path(p->workdir, p->vnames[v], rem, name);
            if (!opath) {
                st = sp_err(err, SCIPRUNE_ENOMEM, name, -1, -1, "out of memory");
                goto done;
            }
            st = sciprune_shard_writer_open(rem ? &rw[v] : &kw[v], opath, &p->set->writer, err);
            free(opath);
            opath = NULL;
            if (st) goto done;
        }
    }
    const sciprune_record *rec;
    uint64_t i = 0;
    for (;;) {
        if ((st = sciprune_shard_reader_next(r, &rec, err))) goto done;
        if (!rec) break;
        if (i >= ca.rows) {
            st = sp_err(err, SCIPRUNE_ESTATE, path, rec->line, -1,
                        "shard has more lines than assign/ (%llu): changed since embedding?",
                        (unsigned long long)ca.rows);
            goto done;
        }
        uint64_t bytes = rec->raw_len + 1;
        int rej = rec->reject != SCIPRUNE_REJECT_NONE;
        if (rej != (cl[i] < 0)) {
            st = sp_err(err, SCIPRUNE_ESTATE, path, rec->line, -1,
                        "line is %s here but %s in assign/: shard changed, or other shard options",
                        rej ? "rejected" : "accepted", rej ? "accepted" : "rejected");
            goto done;
        }
        ss->lines++;
        if (rej) {
            ss->rejected++;
            ss->rejected_bytes += bytes;
            if (!jw && (st = sciprune_shard_writer_open(&jw, jpath, &p->set->writer, err)))
                goto done;
            if ((st = sciprune_reject_write(jw, name, rec, err))) goto done;
            i++;
            continue;
        }
        ss->accepted++;
        lang_stat *ls = lang_get(ss, rec->lang ? rec->lang : "unknown", nv);
        if (!ls) {
            st = sp_err(err, SCIPRUNE_ENOMEM, name, -1, -1, "out of memory");
            goto done;
        }
        ls->records++;
        ls->bytes += bytes;
        const uint8_t *row = mask + i * nb;
        for (size_t v = 0; v < nv; v++) {
            int pruned = (row[v / 8] >> (v % 8)) & 1;
            if (pruned) {
                ss->v[v].pruned++;
                ss->v[v].pruned_bytes += bytes;
                ls->v[v].pruned++;
                ls->v[v].pruned_bytes += bytes;
                if (rw[v] && (st = sciprune_shard_writer_write(rw[v], rec->raw, rec->raw_len, err)))
                    goto done;
            } else {
                ss->v[v].kept++;
                ss->v[v].kept_bytes += bytes;
                ls->v[v].kept++;
                ls->v[v].kept_bytes += bytes;
                if ((st = sciprune_shard_writer_write(kw[v], rec->raw, rec->raw_len, err)))
                    goto done;
            }
        }
        i++;
    }
    if (i != ca.rows) {
        st = sp_err(err, SCIPRUNE_ESTATE, path, -1, -1,
                    "shard has %llu lines, assign/ has %llu: changed since embedding?",
                    (unsigned long long)i, (unsigned long long)ca.rows);
        goto done;
    }
    for (size_t v = 0; v < nv; v++) {
        sciprune_shard_writer *w = kw[v];
        kw[v] = NULL;
        if ((st = sciprune_shard_writer_close(w, err))) goto done;
        if (rw[v]) {
            w = rw[v];
            rw[v] = NULL;
            if ((st = sciprune_shard_writer_close(w, err))) goto done;
        }
    }
    if (jw) {
        sciprune_shard_writer *w = jw;
        jw = NULL;
        if ((st = sciprune_shard_writer_close(w, err))) goto done;
    } else {
        unlink(jpath); /* a stale file from an earlier run */
    }
done:
    for (size_t v = 0; v < nv && kw && rw; v++) {
        sciprune_shard_writer_abort(kw[v]);
        sciprune_shard_writer_abort(rw[v]);
    }
    sciprune_shard_writer_abort(jw);
    sciprune_shard_reader_close(r);
    sp_npy_close(&ca);
    sp_npy_close(&ma);
    free(kw);
    free(rw);
    free(cpath);
    free(mpath);
    free(jpath);
    return st;
}

static int valid_variant_name(const char *s)
{
    if (!*s || *s == '.') return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' ||
              *s == '_' || *s == '+')) /* '+': gate+distance-p0.20 */
            return 0;
    return 1;
}

static int cmp_lang(const void *a, const void *b)
{
    return strcmp(((const lang_stat *)a)->lang, ((const lang_stat *)b)->lang);
}

static json_t *int_array(const vcount *v, size_t nv, size_t field)
{
    json_t *a = json_array();
    for (size_t i = 0; i < nv; i++) {
        const uint64_t *f = (const uint64_t *)&v[i];
        json_array_append_new(a, json_integer((json_int_t)f[field]));
    }
    return a;
}

static int is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Remove DIR's files and DIR itself (one level: the kept/ and removed/ folders hold only
 * files this stage wrote). */
static sciprune_status remove_flat_dir(const char *path, sciprune_error *err)
{
    DIR *d = opendir(path);
    if (!d) return errno == ENOENT ? SCIPRUNE_OK : sp_err(err, SCIPRUNE_EIO, path, -1, -1, "cannot list: %s", strerror(errno));
    struct dirent *de;
    sciprune_status st = SCIPRUNE_OK;
    while (!st && (de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char *f = sp_path_join(path, de->d_name);
        if (!f) st = sp_err(err, SCIPRUNE_ENOMEM, path, -1, -1, "out of memory");
        else if (unlink(f) != 0) st = sp_err(err, SCIPRUNE_EIO, f, -1, -1, "cannot remove: %s", strerror(errno));
        free(f);
    }
    closedir(d);
    if (!st && rmdir(path) != 0 && errno != ENOENT)
        st = sp_err(err, SCIPRUNE_EIO, path, -1, -1, "cannot remove: %s", strerror(errno));
    return st;
}

/* Outputs of an earlier plan must not pass for current ones: remove W/out/<variant>/ of every
 * variant that is not in this plan, and the removed/ folders when removed lines are not
 * written this time. Only folders shaped like ours (kept/, removed/ and nothing else) go. */
static sciprune_status remove_stale(const char *workdir, const pruner *p, int write_removed,
                                    sciprune_error *err)
{
    char *out = sp_wdir_path(workdir, SP_WD_OUT);
    if (!out) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    DIR *d = opendir(out);
    sciprune_status st = SCIPRUNE_OK;
    if (!d) {
        free(out);
        return SCIPRUNE_OK;
    }
    struct dirent *de;
    while (!st && (de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        if (nm[0] == '.' || !strcmp(nm, "rejected")) continue;
        int current = 0;
        for (size_t v = 0; v < p->nv; v++) current |= !strcmp(nm, p->vnames[v]);
        char *vd = sp_path_join(out, nm);
        char *kd = vd ? sp_path_join(vd, "kept") : NULL, *rd = vd ? sp_path_join(vd, "removed") : NULL;
        if (!vd || !kd || !rd) {
            st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        } else if (is_dir(vd)) {
            int ours = 1, n = 0;
            DIR *vdd = opendir(vd);
            struct dirent *e2;
            while (vdd && (e2 = readdir(vdd)) != NULL) {
                if (!strcmp(e2->d_name, ".") || !strcmp(e2->d_name, "..")) continue;
                n++;
                ours &= !strcmp(e2->d_name, "kept") || !strcmp(e2->d_name, "removed");
            }
            if (vdd) closedir(vdd);
            if (ours && n && !current) {
                sp_log(SCIPRUNE_LOG_INFO, "prune: removing out/%s: not a variant of the current plan", nm);
                st = remove_flat_dir(kd, err);
                if (!st) st = remove_flat_dir(rd, err);
                if (!st && rmdir(vd) != 0)
                    st = sp_err(err, SCIPRUNE_EIO, vd, -1, -1, "cannot remove: %s", strerror(errno));
            } else if (ours && current && !write_removed && is_dir(rd)) {
                sp_log(SCIPRUNE_LOG_INFO, "prune: removing out/%s/removed: removed lines are not written this time", nm);
                st = remove_flat_dir(rd, err);
            }
        }
        free(vd);
        free(kd);
        free(rd);
    }
    closedir(d);
    free(out);
    return st;
}

/* The plan's variants: p->nv, p->nb, p->vnames (borrowed from plan), p->stats allocated.
 * Errors: EPARSE, ENOMEM. */
static sciprune_status read_variants(pruner *p, const json_t *plan, const char *ppath,
                                     sciprune_error *err)
{
    json_t *vars = json_object_get(plan, "variants");
    p->nv = json_array_size(vars);
    p->nb = (size_t)json_integer_value(json_object_get(plan, "mask_bytes"));
    if (!json_is_array(vars) || p->nb != (p->nv + 7) / 8)
        return sp_err(err, SCIPRUNE_EPARSE, ppath, -1, -1, "no valid \"variants\" / \"mask_bytes\"");
    p->vnames = calloc(p->nv ? p->nv : 1, sizeof *p->vnames);
    p->stats = calloc(p->shards->n, sizeof *p->stats);
    if (!p->vnames || !p->stats) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    for (size_t v = 0; v < p->nv; v++) {
        json_t *o = json_array_get(vars, v);
        const char *nm = json_string_value(json_object_get(o, "name"));
        if (!nm || !valid_variant_name(nm) || !strcmp(nm, "rejected") ||
            json_integer_value(json_object_get(o, "bit")) != (json_int_t)v)
            return sp_err(err, SCIPRUNE_EPARSE, ppath, -1, -1, "variant %zu: bad name or bit", v);
        p->vnames[v] = (char *)nm;
    }
    return SCIPRUNE_OK;
}

/* out/<variant>/kept (and removed), out/rejected: folders first, so that workers only create
 * files. Errors: EIO, ENOMEM. */
static sciprune_status make_folders(const char *workdir, const pruner *p, int write_removed,
                                    sciprune_error *err)
{
    for (size_t v = 0; v <= p->nv; v++) {
        for (int rem = 0; rem < 2; rem++) {
            if (v == p->nv && rem) break;
            if (v < p->nv && rem && !write_removed) break;
            char *dir = v == p->nv ? sp_wdir_path(workdir, SP_WD_REJECTED)
                                   : sp_wvariant_path(workdir, p->vnames[v], rem, NULL);
            if (!dir) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            sciprune_status st = sp_mkdirs(dir, err);
            free(dir);
            if (st) return st;
        }
    }
    return SCIPRUNE_OK;
}

/* Add a shard's per-language counts into all[0..*nall) (language names borrowed from the
 * shard stats). Errors: ENOMEM. */
static sciprune_status merge_langs(lang_stat **allp, size_t *nallp, const shard_stat *ss,
                                   size_t nv, sciprune_error *err)
{
    for (size_t l = 0; l < ss->nlangs; l++) {
        lang_stat *src = &ss->langs[l], *dst = NULL;
        for (size_t a = 0; a < *nallp; a++)
            if (!strcmp((*allp)[a].lang, src->lang)) dst = &(*allp)[a];
        if (!dst) {
            lang_stat *na = realloc(*allp, (*nallp + 1) * sizeof *na);
            if (!na) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            *allp = na;
            dst = &na[*nallp];
            memset(dst, 0, sizeof *dst);
            dst->lang = src->lang; /* borrowed from the shard stats */
            dst->v = calloc(nv ? nv : 1, sizeof *dst->v);
            if (!dst->v) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            (*nallp)++;
        }
        dst->records += src->records;
        dst->bytes += src->bytes;
        for (size_t v = 0; v < nv; v++) {
            dst->v[v].kept += src->v[v].kept;
            dst->v[v].pruned += src->v[v].pruned;
            dst->v[v].kept_bytes += src->v[v].kept_bytes;
            dst->v[v].pruned_bytes += src->v[v].pruned_bytes;
        }
    }
    return SCIPRUNE_OK;
}

sciprune_status sciprune_prune_write(const char *workdir, const sciprune_shard_set *shards,
                                     const sciprune_prune_settings *s, sciprune_prune_info *info,
                                     sciprune_error *err)
{
    double t0 = sp_now();
    if (!shards || shards->n == 0) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "no shards");
    for (size_t i = 0; i < shards->n; i++)
        if (!shards->paths[i])
            return sp_err(err, SCIPRUNE_EINVAL, shards->names[i], -1, -1,
                          "the input path of this shard is unknown");
    /* the lines must be those the decisions were made on */
    sciprune_status vst = sp_inputs_verify(workdir, shards, err);
    if (vst) return vst;
    pruner p;
    memset(&p, 0, sizeof p);
    p.workdir = workdir;
    p.shards = shards;
    p.set = s;
    json_t *plan = NULL, *out = NULL;
    lang_stat *all = NULL;
    size_t nall = 0;
    char *ppath = sp_wpath(workdir, SP_WF_PLAN, NULL);
    char *opath = sp_wpath(workdir, SP_WF_PRUNE_SUMMARY, NULL);
    sciprune_status st = SCIPRUNE_OK;
    if (!ppath || !opath) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto done;
    }
    if ((st = prune_json_load(ppath, 0, &plan, err))) {
        if (st == SCIPRUNE_EIO && err) err->code = st = SCIPRUNE_ESTATE;
        else if (st == SCIPRUNE_EIO) st = SCIPRUNE_ESTATE;
        goto done;
    }
    if ((st = read_variants(&p, plan, ppath, err))) goto done;
    if ((st = remove_stale(workdir, &p, s->write_removed, err))) goto done;
    if ((st = make_folders(workdir, &p, s->write_removed, err))) goto done;
    int nth = sp_threads(s->threads, shards->n);
    if ((st = sp_parallel_for(shards->n, nth, prune_shard, &p, err))) goto done;

    /* merge in shard order */
    vcount *tv = calloc(p.nv ? p.nv : 1, sizeof *tv);
    if (!tv) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto done;
    }
    uint64_t lines = 0, acc = 0, rej = 0, rej_bytes = 0;
    json_t *jsh = json_array();
    for (size_t i = 0; i < shards->n; i++) {
        shard_stat *ss = &p.stats[i];
        lines += ss->lines;
        acc += ss->accepted;
        rej += ss->rejected;
        rej_bytes += ss->rejected_bytes;
        for (size_t v = 0; v < p.nv; v++) {
            tv[v].kept += ss->v[v].kept;
            tv[v].pruned += ss->v[v].pruned;
            tv[v].kept_bytes += ss->v[v].kept_bytes;
            tv[v].pruned_bytes += ss->v[v].pruned_bytes;
        }
        json_array_append_new(jsh, json_pack("{s:s, s:I, s:I, s:I, s:o}", "name", shards->names[i],
                                             "lines", (json_int_t)ss->lines, "accepted",
                                             (json_int_t)ss->accepted, "rejected",
                                             (json_int_t)ss->rejected, "kept",
                                             int_array(ss->v, p.nv, 0)));
        if ((st = merge_langs(&all, &nall, ss, p.nv, err))) {
            free(tv);
            json_decref(jsh);
            goto done;
        }
    }
    qsort(all, nall, sizeof *all, cmp_lang);
    json_t *jv = json_array(), *jl = json_array();
    for (size_t v = 0; v < p.nv; v++)
        json_array_append_new(jv, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "name",
                                            p.vnames[v], "kept", (json_int_t)tv[v].kept, "pruned",
                                            (json_int_t)tv[v].pruned, "rejected", (json_int_t)rej,
                                            "kept_bytes", (json_int_t)tv[v].kept_bytes,
                                            "pruned_bytes", (json_int_t)tv[v].pruned_bytes,
                                            "rejected_bytes", (json_int_t)rej_bytes));
    for (size_t a = 0; a < nall; a++)
        json_array_append_new(jl, json_pack("{s:s, s:I, s:I, s:o, s:o, s:o, s:o}", "lang",
                                            all[a].lang, "records", (json_int_t)all[a].records,
                                            "bytes", (json_int_t)all[a].bytes, "kept",
                                            int_array(all[a].v, p.nv, 0), "pruned",
                                            int_array(all[a].v, p.nv, 1), "kept_bytes",
                                            int_array(all[a].v, p.nv, 2), "pruned_bytes",
                                            int_array(all[a].v, p.nv, 3)));
    free(tv);
    double secs = sp_now() - t0;
    out = json_pack("{s:o, s:o, s:o, s:I, s:I, s:I, s:b, s:f, s:I, s:i}", "variants", jv,
                    "languages", jl, "shards", jsh, "lines", (json_int_t)lines, "accepted",
                    (json_int_t)acc, "rejected", (json_int_t)rej, "write_removed",
                    s->write_removed != 0, "seconds", secs, "peak_rss", (json_int_t)sp_peak_rss(),
                    "threads", nth);
    if (!out) {
        st = sp_err(err, SCIPRUNE_ENOMEM, opath, -1, -1, "cannot build JSON");
        goto done;
    }
    if ((st = prune_json_write(opath, out, err))) goto done;
    if (info) {
        info->n_variants = p.nv;
        info->n_lines = lines;
        info->n_accepted = acc;
        info->n_rejected = rej;
        info->seconds = secs;
    }
done:
    for (size_t a = 0; a < nall; a++) free(all[a].v);
    free(all);
    if (p.stats)
        for (size_t i = 0; i < shards->n; i++) shard_stat_free(&p.stats[i]);
    free(p.stats);
    free(p.vnames);
    json_decref(out);
    json_decref(plan);
    free(ppath);
    free(opath);
    return st;
}
