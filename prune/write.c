/*
 * write.c - stream every input shard once and write each variant's outputs (stage 6), or one
 * variant's shards later (materialize).
 *
 * Per input shard <s> (name = file name), for every variant v of score/plan.json, by
 * settings.output (prune.output):
 *   shards (default)
 *     out/<v>/kept/<s>          the accepted lines v keeps, byte-identical, in input order
 *     out/<v>/removed/<s>       with write_removed: the accepted lines v prunes
 *   ids
 *     out/<v>/kept/<s>.ids      the id (shard.id_field, as decoded) of every accepted line v
 *                               keeps, one per line ("\n"-terminated, UTF-8, input order, never
 *                               compressed whatever <s> is named), each line a JSON string:
 *                               "a/b.py" for a/b.py; '"', '\' and control bytes escaped
 *                               ("x\ny\t\\z"), so an id with a line break is still one line.
 *                               Python: [json.loads(l) for l in open(f)]
 *     out/<v>/removed/<s>.ids   with write_removed: the ids v prunes
 *   mask
 *     out/<v>/mask/<s>.kept.npy '|u1' vector of ceil(L / 8) bytes, L = the shard's lines (all
 *                               of them, rejected included): bit (i % 8) of byte i / 8 (little
 *                               bit order) is 1 when v keeps line i + 1; rejected and pruned
 *                               lines are 0. numpy: np.unpackbits(np.load(f),
 *                               bitorder='little')[:L].astype(bool)
 * and once per shard out/rejected/<s>.jsonl (sciprune_reject_write lines) when the shard has
 * rejected lines (a stale one is removed otherwise). Files of the other output formats left by
 * an earlier run for the same variant and shard are removed. Shard output format follows the
 * name: ".zst" names are zstd-compressed. So for every shard and variant: kept + removed +
 * rejected = lines, and kept and removed interleaved back in line order are the accepted lines.
 *
 * Materialize (sciprune_prune_materialize): the shards of one variant, DIR/kept/<s> (and
 * DIR/removed/<s>), written by the same code as the shards output, so byte-identical to
 * out/<v>/kept/<s>; nothing in W is written. The decisions are what the prune wrote when
 * out/prune.json says "output": "ids" or "mask" (a later `score` does not change them):
 *   ids   out/<v>/kept/<s>.ids: an accepted line is kept when its id is the next unmatched id
 *         of the file (both are in input order; a repeated id matches its first line not yet
 *         matched); every id must be matched;
 *   mask  out/<v>/mask/<s>.kept.npy: its bit, of the right length, never set on a rejected line;
 * and, either way, out/prune.json must name the same shards in the same order and the kept
 * count of every shard must be its "kept" of v: any mismatch is ESTATE naming the file. Without
 * out/prune.json, or after "output": "shards", the decisions are score/<s>.prune.npy's bit.
 *
 * Each line is checked against assign/<s>.cluster.npy (-1 exactly for rejected lines) and the
 * line count against the arrays: a shard changed since embedding, or read with other shard
 * options, is an ESTATE error, not silently misaligned output.
 *
 * out/prune.json: {"variants": [{"name", "kept", "pruned", "rejected", "kept_bytes",
 * "pruned_bytes", "rejected_bytes", "kept_tokens", "pruned_tokens"}], "languages": [{"lang",
 * "records", "bytes", "tokens", "kept": [V], "pruned": [V], "kept_bytes": [V],
 * "pruned_bytes": [V], "kept_tokens": [V], "pruned_tokens": [V]}], "shards": [{"name",
 * "lines", "accepted", "rejected", "kept": [V]}], "lines", "accepted", "rejected", "tokens",
 * "write_removed", "output", "seconds", "peak_rss", "threads"}. Bytes are uncompressed line
 * bytes including the '\n'; tokens are sciprune_tokens_approx() of the text field (an
 * approximation, see sciprune.h) over accepted records.
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

typedef struct vcount { /* only uint64_t fields: int_array() reads them by index */
    uint64_t kept, pruned, kept_bytes, pruned_bytes, kept_tokens, pruned_tokens;
} vcount;

typedef struct lang_stat {
    char *lang;    /* owned */
    uint64_t records, bytes, tokens;
    vcount *v;     /* V, owned */
} lang_stat;

typedef struct shard_stat {
    uint64_t lines, accepted, rejected, rejected_bytes, tokens;
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
    const char *mat_dir; /* materialize: write only variant mat_v, as shards, under mat_dir */
    size_t mat_v;
    int mat_src;          /* materialize: where the decisions come from (MAT_SCORE, ...) */
    const uint64_t *mat_kept; /* MAT_IDS, MAT_MASK: kept lines per shard (out/prune.json) */
} pruner;

/* Where materialize takes a variant's decisions from: score/ (the plan's bits), or the ids or
 * masks the prune wrote. */
enum { MAT_SCORE, MAT_IDS, MAT_MASK };

/* The files a variant may have for a shard, whatever the output format. */
enum { OF_KEPT, OF_REMOVED, OF_KEPT_IDS, OF_REMOVED_IDS, OF_MASK, OF_COUNT };

/* Path of file kind `of` of variant v for shard `name` (W/out/<v>/..., or under mat_dir when
 * materializing); NULL when out of memory. */
static char *out_path(const pruner *p, size_t v, int of, const char *name)
{
    static const char *const dir[OF_COUNT] = {"kept", "removed", "kept", "removed", "mask"};
    static const char *const ext[OF_COUNT] = {"", "", ".ids", ".ids", ".kept.npy"};
    size_t n = strlen(p->workdir) + strlen(p->vnames[v]) + strlen(name) +
               (p->mat_dir ? strlen(p->mat_dir) : 0) + 40;
    char *s = malloc(n);
    if (!s) return NULL;
    if (p->mat_dir) snprintf(s, n, "%s/%s/%s%s", p->mat_dir, dir[of], name, ext[of]);
    else snprintf(s, n, "%s/out/%s/%s/%s%s", p->workdir, p->vnames[v], dir[of], name, ext[of]);
    return s;
}

/* The file kinds this run writes (others of the shard are stale and go). */
static int of_current(const pruner *p, int of)
{
    sciprune_prune_output o = p->mat_dir ? SCIPRUNE_OUTPUT_SHARDS : p->set->output;
    int rem = p->set->write_removed != 0;
    switch (of) {
    case OF_KEPT: return o == SCIPRUNE_OUTPUT_SHARDS;
    case OF_REMOVED: return o == SCIPRUNE_OUTPUT_SHARDS && rem;
    case OF_KEPT_IDS: return o == SCIPRUNE_OUTPUT_IDS;
    case OF_REMOVED_IDS: return o == SCIPRUNE_OUTPUT_IDS && rem;
    default: return o == SCIPRUNE_OUTPUT_MASK;
    }
}

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

/* Materialize from ids: the next id of the .ids file f (path: for errors) in *want (NULL at
 * its end), its line number in *no. Errors: ESTATE (a line that is not a JSON string), EIO. */
static sciprune_status next_id(FILE *f, const char *path, char **line, size_t *cap, char **want,
                               uint64_t *no, sciprune_error *err)
{
    free(*want);
    *want = NULL;
    errno = 0;
    ssize_t n = getline(line, cap, f);
    if (n < 0) {
        if (ferror(f)) return sp_err(err, SCIPRUNE_EIO, path, -1, -1, "cannot read: %s", strerror(errno));
        return SCIPRUNE_OK;
    }
    (*no)++;
    if (n > 0 && (*line)[n - 1] == '\n') n--;
    if (!(*want = prune_id_unquote(*line, (size_t)n)))
        return sp_err(err, SCIPRUNE_ESTATE, path, (int64_t)*no, -1,
                      "not an id (a JSON string a line, as the prune writes them)");
    return SCIPRUNE_OK;
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
    uint8_t **kbits = calloc(nv ? nv : 1, sizeof *kbits); /* mask output: kept bits per variant */
    const int ids = !p->mat_dir && p->set->output == SCIPRUNE_OUTPUT_IDS;
    const int bits = !p->mat_dir && p->set->output == SCIPRUNE_OUTPUT_MASK;
    char *cpath = sp_wpath(p->workdir, SP_WF_CLUSTER, name);
    char *mpath = sp_wpath(p->workdir, SP_WF_PRUNE_MASK, name);
    char *jpath = sp_wpath(p->workdir, SP_WF_REJECTED, name);
    char *opath = NULL;
    char *qbuf = NULL; /* ids output: the quoted id */
    size_t qcap = 0;
    const int src = p->mat_dir ? p->mat_src : MAT_SCORE;
    sp_npy sa; /* MAT_MASK: the prune's kept bits */
    memset(&sa, 0, sizeof sa);
    FILE *idf = NULL; /* MAT_IDS: the prune's kept ids */
    char *idline = NULL, *want = NULL; /* the .ids line, its id: the next kept line's */
    size_t idcap = 0;
    uint64_t idno = 0; /* lines of the .ids file read */
    char *spath = src == MAT_SCORE ? NULL
                  : out_path(&(pruner){.workdir = p->workdir, .vnames = p->vnames}, p->mat_v,
                             src == MAT_IDS ? OF_KEPT_IDS : OF_MASK, name);
    sciprune_status st = SCIPRUNE_OK;
    ss->v = calloc(nv ? nv : 1, sizeof *ss->v);
    if (!kw || !rw || !kbits || !cpath || !mpath || !jpath || !ss->v || (src != MAT_SCORE && !spath)) {
        st = sp_err(err, SCIPRUNE_ENOMEM, name, -1, -1, "out of memory");
        goto done;
    }
    if ((st = sp_npy_open(&ca, cpath, err)) || (src == MAT_SCORE && (st = sp_npy_open(&ma, mpath, err)))) {
        if (st == SCIPRUNE_EIO) err->code = st = SCIPRUNE_ESTATE;
        goto done;
    }
    if (ca.dtype != SP_NPY_I32 || ca.cols ||
        (src == MAT_SCORE && (ma.dtype != SP_NPY_U8 || ma.cols != nb || ma.rows != ca.rows))) {
        st = sp_err(err, SCIPRUNE_ESTATE, mpath, -1, -1,
                    "score mask does not match plan.json (%zu bytes per row) or assign/", nb);
        goto done;
    }
    if (src == MAT_MASK) {
        if ((st = sp_npy_open(&sa, spath, err))) {
            if (st == SCIPRUNE_EIO) err->code = st = SCIPRUNE_ESTATE;
            goto done;
        }
        if (sa.dtype != SP_NPY_U8 || sa.cols || sa.rows != (ca.rows + 7) / 8) {
            st = sp_err(err, SCIPRUNE_ESTATE, spath, -1, -1,
                        "not the mask of this shard: want %llu bytes of '|u1' for its %llu lines",
                        (unsigned long long)((ca.rows + 7) / 8), (unsigned long long)ca.rows);
            goto done;
        }
    } else if (src == MAT_IDS) {
        if (!(idf = fopen(spath, "rb"))) {
            st = sp_err(err, SCIPRUNE_ESTATE, spath, -1, -1, "cannot read the ids the prune wrote: %s",
                         strerror(errno));
            goto done;
        }
    }
    const int32_t *cl = ca.data;
    const uint8_t *mask = src == MAT_SCORE ? ma.data : NULL;
    const uint8_t *sbits = src == MAT_MASK ? sa.data : NULL;
    if ((st = sciprune_shard_reader_open(&r, path, &p->set->shard, err))) goto done;
    for (size_t v = 0; v < nv; v++) {
        if (p->mat_dir && v != p->mat_v) continue;
        for (int of = 0; of < OF_COUNT; of++) {
            if (p->mat_dir && !of_current(p, of)) continue; /* nothing stale outside W */
            opath = out_path(p, v, of, name);
            if (!opath) {
                st = sp_err(err, SCIPRUNE_ENOMEM, name, -1, -1, "out of memory");
                goto done;
            }
            if (!of_current(p, of)) {
                unlink(opath); /* a file of another output format, from an earlier run */
            } else if (of == OF_MASK) {
                kbits[v] = calloc(ca.rows / 8 + 1, 1);
                if (!kbits[v]) st = sp_err(err, SCIPRUNE_ENOMEM, name, -1, -1, "out of memory");
            } else {
                int rem = of == OF_REMOVED || of == OF_REMOVED_IDS;
                st = sciprune_shard_writer_open(rem ? &rw[v] : &kw[v], opath, &p->set->writer, err);
            }
            free(opath);
            opath = NULL;
            if (st) goto done;
        }
    }
    const sciprune_record *rec;
    uint64_t i = 0;
    if (idf && (st = next_id(idf, spath, &idline, &idcap, &want, &idno, err))) goto done;
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
            if (sbits && ((sbits[i / 8] >> (i % 8)) & 1)) {
                st = sp_err(err, SCIPRUNE_ESTATE, spath, rec->line, -1,
                            "keeps line %lld, which is rejected: not this shard's mask",
                            (long long)rec->line);
                goto done;
            }
            if (p->mat_dir) { /* materialize writes the variant's shards only */
                i++;
                continue;
            }
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
        uint64_t tokens = sciprune_tokens_approx(rec->text, rec->text_len);
        ls->records++;
        ls->bytes += bytes;
        ls->tokens += tokens;
        ss->tokens += tokens;
        const uint8_t *row = mask ? mask + i * nb : NULL;
        int src_pruned = 0; /* MAT_IDS, MAT_MASK: the prune's decision for this line */
        if (sbits) {
            src_pruned = !((sbits[i / 8] >> (i % 8)) & 1);
        } else if (idf) {
            src_pruned = !want || strcmp(want, rec->id) != 0;
            if (!src_pruned && (st = next_id(idf, spath, &idline, &idcap, &want, &idno, err)))
                goto done;
        }
        /* what a line writes: its bytes (shards) or its id (ids, quoted) */
        const char *out = rec->raw;
        size_t outn = rec->raw_len;
        if (ids) {
            if ((st = prune_id_quote(rec->id, strlen(rec->id), &qbuf, &qcap, &outn, err))) goto done;
            out = qbuf;
        }
        for (size_t v = 0; v < nv; v++) {
            int pruned = row ? (row[v / 8] >> (v % 8)) & 1 : src_pruned;
            if (pruned) {
                ss->v[v].pruned++;
                ss->v[v].pruned_bytes += bytes;
                ss->v[v].pruned_tokens += tokens;
                ls->v[v].pruned++;
                ls->v[v].pruned_bytes += bytes;
                ls->v[v].pruned_tokens += tokens;
                if (rw[v] && (st = sciprune_shard_writer_write(rw[v], out, outn, err)))
                    goto done;
            } else {
                ss->v[v].kept++;
                ss->v[v].kept_bytes += bytes;
                ss->v[v].kept_tokens += tokens;
                ls->v[v].kept++;
                ls->v[v].kept_bytes += bytes;
                ls->v[v].kept_tokens += tokens;
                if (kw[v] && (st = sciprune_shard_writer_write(kw[v], out, outn, err)))
                    goto done;
                if (bits && kbits[v]) kbits[v][i / 8] |= (uint8_t)(1u << (i % 8));
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
    if (want) {
        st = sp_err(err, SCIPRUNE_ESTATE, spath, (int64_t)idno, -1,
                    "id \"%.200s\" is not an accepted line of %s (after the ids before it)", want,
                    name);
        goto done;
    }
    if (src != MAT_SCORE && ss->v[p->mat_v].kept != p->mat_kept[si]) {
        st = sp_err(err, SCIPRUNE_ESTATE, spath, -1, -1,
                    "keeps %llu lines of %s, out/prune.json says %llu: not what the prune wrote",
                    (unsigned long long)ss->v[p->mat_v].kept, name,
                    (unsigned long long)p->mat_kept[si]);
        goto done;
    }
    for (size_t v = 0; v < nv; v++) {
        if (kbits[v]) {
            opath = out_path(p, v, OF_MASK, name);
            if (!opath) {
                st = sp_err(err, SCIPRUNE_ENOMEM, name, -1, -1, "out of memory");
                goto done;
            }
            st = sp_npy_write(opath, SP_NPY_U8, (ca.rows + 7) / 8, 0, kbits[v], err);
            free(opath);
            opath = NULL;
            if (st) goto done;
        }
        sciprune_shard_writer *w = kw[v];
        kw[v] = NULL;
        if (w && (st = sciprune_shard_writer_close(w, err))) goto done;
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
    } else if (!p->mat_dir) {
        unlink(jpath); /* a stale file from an earlier run */
    }
done:
    for (size_t v = 0; v < nv && kw && rw; v++) {
        sciprune_shard_writer_abort(kw[v]);
        sciprune_shard_writer_abort(rw[v]);
    }
    for (size_t v = 0; v < nv && kbits; v++) free(kbits[v]);
    free(kbits);
    sciprune_shard_writer_abort(jw);
    sciprune_shard_reader_close(r);
    sp_npy_close(&ca);
    sp_npy_close(&ma);
    free(kw);
    free(rw);
    free(cpath);
    free(mpath);
    free(jpath);
    free(qbuf);
    sp_npy_close(&sa);
    if (idf) fclose(idf);
    free(idline);
    free(want);
    free(spath);
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
        char *md = vd ? sp_path_join(vd, "mask") : NULL;
        if (!vd || !kd || !rd || !md) {
            st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        } else if (is_dir(vd)) {
            int ours = 1, n = 0;
            DIR *vdd = opendir(vd);
            struct dirent *e2;
            while (vdd && (e2 = readdir(vdd)) != NULL) {
                if (!strcmp(e2->d_name, ".") || !strcmp(e2->d_name, "..")) continue;
                n++;
                ours &= !strcmp(e2->d_name, "kept") || !strcmp(e2->d_name, "removed") ||
                        !strcmp(e2->d_name, "mask");
            }
            if (vdd) closedir(vdd);
            if (ours && n && !current) {
                sp_log(SCIPRUNE_LOG_INFO, "prune: removing out/%s: not a variant of the current plan", nm);
                st = remove_flat_dir(kd, err);
                if (!st) st = remove_flat_dir(rd, err);
                if (!st) st = remove_flat_dir(md, err);
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
        free(md);
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

static char *out_dir_of(const char *workdir, const char *variant, const char *sub)
{
    size_t n = strlen(workdir) + strlen(variant) + strlen(sub) + 8;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s/out/%s/%s", workdir, variant, sub);
    return s;
}

/* out/<variant>/kept (and removed, mask), out/rejected: folders first, so that workers only create
 * files. Errors: EIO, ENOMEM. */
static sciprune_status make_folders(const char *workdir, const pruner *p, int write_removed,
                                    sciprune_error *err)
{
    for (size_t v = 0; v <= p->nv; v++) {
        for (int rem = 0; rem < 3; rem++) { /* kept, removed, mask */
            if (v == p->nv && rem) break;
            if (v < p->nv && rem == 1 && !write_removed) continue;
            if (v < p->nv && rem == 2 && p->set->output != SCIPRUNE_OUTPUT_MASK) continue;
            char *dir = v == p->nv ? sp_wdir_path(workdir, SP_WD_REJECTED)
                        : rem == 2 ? out_dir_of(workdir, p->vnames[v], "mask")
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
        dst->tokens += src->tokens;
        for (size_t v = 0; v < nv; v++) {
            dst->v[v].kept += src->v[v].kept;
            dst->v[v].pruned += src->v[v].pruned;
            dst->v[v].kept_bytes += src->v[v].kept_bytes;
            dst->v[v].pruned_bytes += src->v[v].pruned_bytes;
            dst->v[v].kept_tokens += src->v[v].kept_tokens;
            dst->v[v].pruned_tokens += src->v[v].pruned_tokens;
        }
    }
    return SCIPRUNE_OK;
}

/* What both entry points check and load first: shard paths, the inputs, the plan (*plan, the
 * caller's to free) and its variants. Errors: EINVAL, ESTATE, EPARSE, ENOMEM. */
static sciprune_status prune_begin(pruner *p, const char *workdir, const sciprune_shard_set *shards,
                                   const sciprune_prune_settings *s, json_t **plan,
                                   sciprune_error *err)
{
    memset(p, 0, sizeof *p);
    *plan = NULL;
    if (!shards || shards->n == 0) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "no shards");
    for (size_t i = 0; i < shards->n; i++)
        if (!shards->paths[i])
            return sp_err(err, SCIPRUNE_EINVAL, shards->names[i], -1, -1,
                          "the input path of this shard is unknown");
    if ((unsigned)s->output > SCIPRUNE_OUTPUT_MASK)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "unknown prune output %d", (int)s->output);
    /* the lines must be those the decisions were made on */
    sciprune_status st = sp_inputs_verify(workdir, shards, err);
    if (st) return st;
    p->workdir = workdir;
    p->shards = shards;
    p->set = s;
    char *ppath = sp_wpath(workdir, SP_WF_PLAN, NULL);
    if (!ppath) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    if ((st = prune_json_load(ppath, 0, plan, err))) {
        if (st == SCIPRUNE_EIO && err) err->code = st = SCIPRUNE_ESTATE;
        else if (st == SCIPRUNE_EIO) st = SCIPRUNE_ESTATE;
    }
    if (!st) st = read_variants(p, *plan, ppath, err);
    free(ppath);
    return st;
}

static void prune_end(pruner *p)
{
    if (p->stats)
        for (size_t i = 0; i < p->shards->n; i++) shard_stat_free(&p->stats[i]);
    free(p->stats);
    free(p->vnames);
}

/* Materialize from what the prune wrote: out/prune.json's "output" (ids or mask; else *src =
 * MAT_SCORE and nothing more), its shards checked against `shards` (same names, same order),
 * kept[si] = the shard's kept count of `variant`. Errors: ESTATE (naming out/prune.json),
 * EPARSE, ENOMEM. */
static sciprune_status mat_source(const char *workdir, const sciprune_shard_set *shards,
                                  const char *variant, int *src, uint64_t **kept,
                                  sciprune_error *err)
{
    *src = MAT_SCORE;
    *kept = NULL;
    char *ppath = sp_wpath(workdir, SP_WF_PRUNE_SUMMARY, NULL);
    if (!ppath) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    json_t *pr = NULL;
    sciprune_status st = prune_json_load(ppath, 1, &pr, err);
    const char *out = pr ? json_string_value(json_object_get(pr, "output")) : NULL;
    if (st || !out || (strcmp(out, "ids") && strcmp(out, "mask"))) goto done;
    *src = !strcmp(out, "ids") ? MAT_IDS : MAT_MASK;
    json_t *vars = json_object_get(pr, "variants"), *sh = json_object_get(pr, "shards");
    size_t v = json_array_size(vars);
    for (size_t k = 0; k < json_array_size(vars); k++) {
        const char *nm = json_string_value(json_object_get(json_array_get(vars, k), "name"));
        if (nm && !strcmp(nm, variant)) v = k;
    }
    if (v == json_array_size(vars)) {
        st = sp_err(err, SCIPRUNE_EINVAL, variant, -1, -1,
                    "no such variant in out/prune.json (the prune wrote %s for %zu variants)", out,
                    json_array_size(vars));
        goto done;
    }
    if (json_array_size(sh) != shards->n) {
        st = sp_err(err, SCIPRUNE_ESTATE, ppath, -1, -1,
                    "the prune wrote %s for %zu shards, materialize was given %zu", out,
                    json_array_size(sh), shards->n);
        goto done;
    }
    *kept = calloc(shards->n, sizeof **kept);
    if (!*kept) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < shards->n; i++) {
        json_t *o = json_array_get(sh, i), *k = json_array_get(json_object_get(o, "kept"), v);
        const char *nm = json_string_value(json_object_get(o, "name"));
        if (!nm || strcmp(nm, shards->names[i])) {
            st = sp_err(err, SCIPRUNE_ESTATE, ppath, -1, -1,
                        "shard %zu is \"%s\" there, materialize was given \"%s\": not the shards "
                        "the prune wrote %s for", i, nm ? nm : "?", shards->names[i], out);
            goto done;
        }
        if (!json_is_integer(k) || json_integer_value(k) < 0) {
            st = sp_err(err, SCIPRUNE_EPARSE, ppath, -1, -1, "shard %s: no kept count of %s", nm,
                        variant);
            goto done;
        }
        (*kept)[i] = (uint64_t)json_integer_value(k);
    }
done:
    if (st) {
        free(*kept);
        *kept = NULL;
    }
    json_decref(pr);
    free(ppath);
    return st;
}

sciprune_status sciprune_prune_materialize(const char *workdir, const sciprune_shard_set *shards,
                                           const char *variant, const char *out_dir,
                                           const sciprune_prune_settings *s,
                                           sciprune_error *err)
{
    if (!variant || !out_dir)
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "a variant and an output folder are needed");
    if (!shards || shards->n == 0) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "no shards");
    pruner p;
    memset(&p, 0, sizeof p);
    json_t *plan = NULL;
    int src = MAT_SCORE;
    uint64_t *kept = NULL;
    char *vname = NULL;
    sciprune_status st = mat_source(workdir, shards, variant, &src, &kept, err);
    if (!st && src == MAT_SCORE) {
        st = prune_begin(&p, workdir, shards, s, &plan, err);
        if (!st) {
            p.mat_v = p.nv;
            for (size_t v = 0; v < p.nv; v++)
                if (!strcmp(p.vnames[v], variant)) p.mat_v = v;
            if (p.mat_v == p.nv)
                st = sp_err(err, SCIPRUNE_EINVAL, variant, -1, -1,
                            "no such variant in score/plan.json (%zu variants)", p.nv);
        }
    } else if (!st) { /* the prune's ids or masks: the plan is not read */
        for (size_t i = 0; !st && i < shards->n; i++)
            if (!shards->paths[i])
                st = sp_err(err, SCIPRUNE_EINVAL, shards->names[i], -1, -1,
                            "the input path of this shard is unknown");
        if (!st && !valid_variant_name(variant))
            st = sp_err(err, SCIPRUNE_EINVAL, variant, -1, -1, "not a variant name");
        if (!st) st = sp_inputs_verify(workdir, shards, err);
        p.workdir = workdir;
        p.shards = shards;
        p.set = s;
        p.nv = 1;
        p.vnames = calloc(1, sizeof *p.vnames);
        p.stats = calloc(shards->n, sizeof *p.stats);
        vname = strdup(variant);
        if (!st && (!p.vnames || !p.stats || !vname))
            st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        if (p.vnames) p.vnames[0] = vname;
        p.mat_v = 0;
        p.mat_src = src;
        p.mat_kept = kept;
    }
    p.mat_dir = out_dir;
    for (int rem = 0; !st && rem < 1 + (s->write_removed != 0); rem++) {
        char *d = sp_path_join(out_dir, rem ? "removed" : "kept");
        st = d ? sp_mkdirs(d, err) : sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        free(d);
    }
    if (!st) st = sp_parallel_for(shards->n, sp_threads(s->threads, shards->n), prune_shard, &p, err);
    if (p.shards) prune_end(&p);
    else free(p.vnames);
    free(vname);
    free(kept);
    json_decref(plan);
    return st;
}

/* ------------------------------------------------------------------ ranks
 *
 * Over ranks (sciprune_prune_write_part), a shard's counts travel from the rank that pruned
 * it to rank 0 through the shared workdir: W/parts/prune/<shard>.json, written atomically by
 * ranks other than 0, read and removed by rank 0 after every rank finished:
 *   {"lines", "accepted", "rejected", "rejected_bytes", "tokens", "v": [[kept, pruned,
 *    kept_bytes, pruned_bytes, kept_tokens, pruned_tokens] per variant], "langs": [{"lang",
 *    "records", "bytes", "tokens", "v": [[...]]}]}
 */

static json_t *vcounts_json(const vcount *v, size_t nv)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < nv; i++)
        json_array_append_new(a, json_pack("[I, I, I, I, I, I]", (json_int_t)v[i].kept,
                                           (json_int_t)v[i].pruned, (json_int_t)v[i].kept_bytes,
                                           (json_int_t)v[i].pruned_bytes,
                                           (json_int_t)v[i].kept_tokens,
                                           (json_int_t)v[i].pruned_tokens));
    return a;
}

static int vcounts_read(vcount *v, size_t nv, const json_t *a)
{
    if (json_array_size(a) != nv) return -1;
    for (size_t i = 0; i < nv; i++) {
        json_t *e = json_array_get(a, i);
        if (json_array_size(e) != 6) return -1;
        v[i].kept = (uint64_t)json_integer_value(json_array_get(e, 0));
        v[i].pruned = (uint64_t)json_integer_value(json_array_get(e, 1));
        v[i].kept_bytes = (uint64_t)json_integer_value(json_array_get(e, 2));
        v[i].pruned_bytes = (uint64_t)json_integer_value(json_array_get(e, 3));
        v[i].kept_tokens = (uint64_t)json_integer_value(json_array_get(e, 4));
        v[i].pruned_tokens = (uint64_t)json_integer_value(json_array_get(e, 5));
    }
    return 0;
}

static char *part_path(const char *workdir, const char *shard)
{
    char *parts = sp_path_join(workdir, "parts");
    char *dir = parts ? sp_path_join(parts, "prune") : NULL;
    char nm[1100];
    snprintf(nm, sizeof nm, "%s.json", shard);
    char *p = dir ? sp_path_join(dir, nm) : NULL;
    free(parts);
    free(dir);
    return p;
}

static sciprune_status part_write(const char *workdir, const pruner *p, size_t si,
                                  sciprune_error *err)
{
    const shard_stat *ss = &p->stats[si];
    json_t *langs = json_array();
    for (size_t l = 0; langs && l < ss->nlangs; l++)
        json_array_append_new(langs, json_pack("{s:s, s:I, s:I, s:I, s:o}", "lang", ss->langs[l].lang,
                                               "records", (json_int_t)ss->langs[l].records,
                                               "bytes", (json_int_t)ss->langs[l].bytes,
                                               "tokens", (json_int_t)ss->langs[l].tokens, "v",
                                               vcounts_json(ss->langs[l].v, p->nv)));
    json_t *j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "lines", (json_int_t)ss->lines,
                          "accepted", (json_int_t)ss->accepted, "rejected",
                          (json_int_t)ss->rejected, "rejected_bytes",
                          (json_int_t)ss->rejected_bytes, "tokens", (json_int_t)ss->tokens, "v", vcounts_json(ss->v, p->nv),
                          "langs", langs);
    char *path = part_path(workdir, p->shards->names[si]);
    char *dir = path ? strdup(path) : NULL;
    sciprune_status st = SCIPRUNE_OK;
    if (!j || !path || !dir) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    } else {
        *strrchr(dir, '/') = '\0';
        if (!(st = sp_mkdirs(dir, err))) st = prune_json_write(path, j, err);
    }
    json_decref(j);
    free(path);
    free(dir);
    return st;
}

/* Read shard si's counts written by another rank into p->stats[si]; removes the file. */
static sciprune_status part_read(const char *workdir, pruner *p, size_t si, sciprune_error *err)
{
    char *path = part_path(workdir, p->shards->names[si]);
    if (!path) return sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    json_t *j = NULL;
    sciprune_status st = prune_json_load(path, 0, &j, err);
    shard_stat *ss = &p->stats[si];
    size_t nv = p->nv;
    if (!st) {
        json_t *langs = json_object_get(j, "langs");
        ss->lines = (uint64_t)json_integer_value(json_object_get(j, "lines"));
        ss->accepted = (uint64_t)json_integer_value(json_object_get(j, "accepted"));
        ss->rejected = (uint64_t)json_integer_value(json_object_get(j, "rejected"));
        ss->rejected_bytes = (uint64_t)json_integer_value(json_object_get(j, "rejected_bytes"));
        ss->tokens = (uint64_t)json_integer_value(json_object_get(j, "tokens"));
        ss->v = calloc(nv ? nv : 1, sizeof *ss->v);
        size_t nl = json_array_size(langs);
        ss->langs = calloc(nl ? nl : 1, sizeof *ss->langs);
        if (!ss->v || !ss->langs) st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        else if (vcounts_read(ss->v, nv, json_object_get(j, "v")))
            st = sp_err(err, SCIPRUNE_EPARSE, path, -1, -1, "bad \"v\"");
        ss->caplangs = nl;
        for (size_t l = 0; !st && l < nl; l++) {
            json_t *o = json_array_get(langs, l);
            const char *lg = json_string_value(json_object_get(o, "lang"));
            lang_stat *ls = &ss->langs[l];
            ls->lang = lg ? strdup(lg) : NULL;
            ls->v = calloc(nv ? nv : 1, sizeof *ls->v);
            ss->nlangs = l + 1;
            if (!lg) st = sp_err(err, SCIPRUNE_EPARSE, path, -1, -1, "a language without name");
            else if (!ls->lang || !ls->v) st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
            else if (vcounts_read(ls->v, nv, json_object_get(o, "v")))
                st = sp_err(err, SCIPRUNE_EPARSE, path, -1, -1, "bad \"v\" of %s", lg);
            ls->records = (uint64_t)json_integer_value(json_object_get(o, "records"));
            ls->bytes = (uint64_t)json_integer_value(json_object_get(o, "bytes"));
            ls->tokens = (uint64_t)json_integer_value(json_object_get(o, "tokens"));
        }
    }
    if (!st) unlink(path);
    json_decref(j);
    free(path);
    return st;
}

/* One process: the counts a killed run over ranks left in W/parts/prune/ (only this stage
 * writes there) go, and W/parts/ when empty then, so that none is left behind. */
static void remove_parts(const char *workdir)
{
    char *parts = sp_path_join(workdir, "parts"), *pd = parts ? sp_path_join(parts, "prune") : NULL;
    if (pd && is_dir(pd)) {
        sciprune_error e;
        if (remove_flat_dir(pd, &e) == SCIPRUNE_OK)
            sp_log(SCIPRUNE_LOG_INFO, "prune: removed W/parts/prune/ of a run that did not finish");
        rmdir(parts);
    }
    free(parts);
    free(pd);
}

/* A meeting point of the ranks: each brings whether it failed, all learn whether any did. */
static int ranks_any_failed(const sciprune_ranks *R, sciprune_status st)
{
    int64_t v[1] = {st != SCIPRUNE_OK ? -1 : 0};
    if (R->reduce_min(R->user, v, 1) != 0) return 1;
    return v[0] < 0;
}

typedef struct part_job {
    pruner *p;
    const size_t *mine;
} part_job;

static sciprune_status prune_mine(void *ctx, int worker, size_t i, sciprune_error *err)
{
    part_job *pj = ctx;
    return prune_shard(pj->p, worker, pj->mine[i], err);
}

static sciprune_status prune_run(const char *workdir, const sciprune_shard_set *shards,
                                 const sciprune_prune_settings *s, const sciprune_ranks *R,
                                 sciprune_prune_info *info, sciprune_error *err)
{
    double t0 = sp_now();
    int nr = R && R->size > 1 ? R->size : 1, me = nr > 1 ? R->rank : 0;
    if (nr > 1 && (me < 0 || me >= nr))
        return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "rank %d of %d", me, nr);
    if (!shards || shards->n == 0) return sp_err(err, SCIPRUNE_EINVAL, NULL, -1, -1, "no shards");
    pruner p;
    memset(&p, 0, sizeof p);
    json_t *plan = NULL, *out = NULL;
    lang_stat *all = NULL;
    size_t nall = 0;
    char *opath = sp_wpath(workdir, SP_WF_PRUNE_SUMMARY, NULL);
    size_t *mine = malloc(shards->n * sizeof *mine), nmine = 0;
    int nth = 1;
    sciprune_status st = SCIPRUNE_OK;
    for (size_t i = 0; mine && i < shards->n; i++)
        if ((int)(i % (size_t)nr) == me) mine[nmine++] = i;
    if (!opath || !mine) st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
    /* rank 0 (or the one process): the inputs verified, the plan, out/ prepared, so that the
     * workers (and the other ranks) only create files */
    if (!st && me == 0) st = prune_begin(&p, workdir, shards, s, &plan, err);
    if (!st && nr == 1) remove_parts(workdir); /* a killed run's, never read here */
    if (!st && me == 0) st = remove_stale(workdir, &p, s->write_removed, err);
    if (!st && me == 0) st = make_folders(workdir, &p, s->write_removed, err);
    if (nr > 1 && ranks_any_failed(R, st)) goto done; /* the others: the caller learns it */
    if (st) goto done;
    if (me != 0) { /* the plan as rank 0 read it */
        char *ppath = sp_wpath(workdir, SP_WF_PLAN, NULL);
        p.workdir = workdir;
        p.shards = shards;
        p.set = s;
        if (!ppath) st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        if (!st) st = prune_json_load(ppath, 0, &plan, err);
        if (!st) st = read_variants(&p, plan, ppath, err);
        free(ppath);
        if (st) goto parts_done;
    }
    nth = sp_threads(s->threads, nmine ? nmine : 1);
    part_job pj = {&p, mine};
    if (nmine) st = sp_parallel_for(nmine, nth, prune_mine, &pj, err);
    for (size_t m = 0; !st && me != 0 && m < nmine; m++) st = part_write(workdir, &p, mine[m], err);
parts_done:
    if (nr > 1 && ranks_any_failed(R, st)) goto done;
    if (st || me != 0) goto done;
    for (size_t i = 0; nr > 1 && i < shards->n; i++)
        if ((int)(i % (size_t)nr) != 0 && (st = part_read(workdir, &p, i, err))) goto done;
    if (nr > 1) { /* the empty folders of the parts */
        char *parts = sp_path_join(workdir, "parts"), *pd = parts ? sp_path_join(parts, "prune") : NULL;
        if (pd) rmdir(pd);
        if (parts) rmdir(parts);
        free(parts);
        free(pd);
    }

    /* merge in shard order */
    vcount *tv = calloc(p.nv ? p.nv : 1, sizeof *tv);
    if (!tv) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto done;
    }
    uint64_t lines = 0, acc = 0, rej = 0, rej_bytes = 0, tokens = 0;
    json_t *jsh = json_array();
    for (size_t i = 0; i < shards->n; i++) {
        shard_stat *ss = &p.stats[i];
        lines += ss->lines;
        acc += ss->accepted;
        rej += ss->rejected;
        rej_bytes += ss->rejected_bytes;
        tokens += ss->tokens;
        for (size_t v = 0; v < p.nv; v++) {
            tv[v].kept += ss->v[v].kept;
            tv[v].pruned += ss->v[v].pruned;
            tv[v].kept_bytes += ss->v[v].kept_bytes;
            tv[v].pruned_bytes += ss->v[v].pruned_bytes;
            tv[v].kept_tokens += ss->v[v].kept_tokens;
            tv[v].pruned_tokens += ss->v[v].pruned_tokens;
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
        json_array_append_new(jv, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "name",
                                            p.vnames[v], "kept", (json_int_t)tv[v].kept, "pruned",
                                            (json_int_t)tv[v].pruned, "rejected", (json_int_t)rej,
                                            "kept_bytes", (json_int_t)tv[v].kept_bytes,
                                            "pruned_bytes", (json_int_t)tv[v].pruned_bytes,
                                            "rejected_bytes", (json_int_t)rej_bytes,
                                            "kept_tokens", (json_int_t)tv[v].kept_tokens,
                                            "pruned_tokens", (json_int_t)tv[v].pruned_tokens));
    for (size_t a = 0; a < nall; a++)
        json_array_append_new(jl, json_pack("{s:s, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o}",
                                            "lang", all[a].lang, "records",
                                            (json_int_t)all[a].records, "bytes",
                                            (json_int_t)all[a].bytes, "tokens",
                                            (json_int_t)all[a].tokens, "kept",
                                            int_array(all[a].v, p.nv, 0), "pruned",
                                            int_array(all[a].v, p.nv, 1), "kept_bytes",
                                            int_array(all[a].v, p.nv, 2), "pruned_bytes",
                                            int_array(all[a].v, p.nv, 3), "kept_tokens",
                                            int_array(all[a].v, p.nv, 4), "pruned_tokens",
                                            int_array(all[a].v, p.nv, 5)));
    free(tv);
    double secs = sp_now() - t0;
    out = json_pack("{s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:b, s:s, s:f, s:I, s:i}", "variants", jv,
                    "languages", jl, "shards", jsh, "lines", (json_int_t)lines, "accepted",
                    (json_int_t)acc, "rejected", (json_int_t)rej, "tokens", (json_int_t)tokens,
                    "write_removed", s->write_removed != 0, "output",
                    sciprune_prune_output_name(s->output), "seconds", secs, "peak_rss",
                    (json_int_t)sp_peak_rss(), "threads", nth);
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
    if (p.shards) prune_end(&p);
    free(mine);
    json_decref(out);
    json_decref(plan);
    free(opath);
    return st;
}

sciprune_status sciprune_prune_write(const char *workdir, const sciprune_shard_set *shards,
                                     const sciprune_prune_settings *s, sciprune_prune_info *info,
                                     sciprune_error *err)
{
    return prune_run(workdir, shards, s, NULL, info, err);
}

sciprune_status sciprune_prune_write_part(const char *workdir, const sciprune_shard_set *shards,
                                          const sciprune_prune_settings *s,
                                          const sciprune_ranks *ranks, sciprune_prune_info *info,
                                          sciprune_error *err)
{
    return prune_run(workdir, shards, s, ranks, info, err);
}
