/*
 * npyimp.c - the npy backend: import vectors computed elsewhere (e.g. StarEncoder on a GPU
 * cluster).
 *
 * Input, per shard "x.jsonl.zst": DIR/x.jsonl.zst.npy, or DIR/x.npy when only that exists
 * (the shard name without ".zst" and ".jsonl"/".json"). Each must be a NumPy .npy file
 * (format 1.0-3.0) holding a 2-D C-order array of '<f4' or '<f2' with exactly one row per line
 * of the shard (rejected lines included), in input order, and the same number of columns in
 * every file (and equal to --dim / embedder.json when given). Rows must be finite.
 * Output: the rows converted to the stage's dtype, with rows of rejected lines set to zero;
 * vectors are stored as given (not normalised).
 * Every header is checked before any shard is processed (embed_npy_check_file), so a wrong
 * dtype, order or dimension fails the stage up front; the row count can only be checked against
 * the shard's line count, at the end of each shard. Messages name the file and both numbers.
 */
#include "embed_int.h"
#include "../shard/sp_npy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct npy_state {
    sp_npy a;               /* the current shard's file, mapped */
    int open;
    char path[4096];        /* of the current file */
    char shard[256];        /* current shard name */
    char dim_source[4096];  /* what fixed the dimension: a file, or the settings */
};

static const char *dtype_descr(sp_npy_dtype t)
{
    static const char *const d[] = {"<f4 (float32)", "<f2 (float16)", "<f8 (float64)",
                                    "<i4 (int32)",   "<i8 (int64)",   "|u1 (uint8)"};
    return (unsigned)t < 6 ? d[t] : "?";
}

static sciprune_status state(sciprune_embedder *e, sciprune_error *err)
{
    if (e->npy) return SCIPRUNE_OK;
    e->npy = calloc(1, sizeof *e->npy);
    if (!e->npy) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    if (e->dim) snprintf(e->npy->dim_source, sizeof e->npy->dim_source, "the requested dimension");
    return SCIPRUNE_OK;
}

char *embed_npy_source_path(const sciprune_embedder *e, const char *shard_name)
{
    size_t n = strlen(shard_name);
    char *name = malloc(n + 5);
    if (!name) return NULL;
    snprintf(name, n + 5, "%s.npy", shard_name);
    char *p = sp_path_join(e->s.npy_dir, name);
    if (p && !sp_exists(p)) {
        char stem[4096];
        sp_strlcpy(stem, shard_name, sizeof stem);
        size_t l = strlen(stem);
        if (l > 4 && !strcmp(stem + l - 4, ".zst")) stem[l -= 4] = '\0';
        if (l > 6 && !strcmp(stem + l - 6, ".jsonl")) stem[l -= 6] = '\0';
        else if (l > 5 && !strcmp(stem + l - 5, ".json")) stem[l -= 5] = '\0';
        snprintf(name, n + 5, "%s.npy", stem);
        char *q = sp_path_join(e->s.npy_dir, name);
        if (q && sp_exists(q)) {
            free(p);
            p = q;
        } else {
            free(q);
        }
    }
    free(name);
    return p;
}

/* Open and check one file; leaves it mapped in *a on success. */
static sciprune_status open_checked(sciprune_embedder *e, const char *shard_name, sp_npy *a,
                                    char *path_out, size_t path_cap, sciprune_error *err)
{
    sciprune_status st = state(e, err);
    if (st) return st;
    char *p = embed_npy_source_path(e, shard_name);
    if (!p) return sp_err(err, SCIPRUNE_ENOMEM, "embed", -1, -1, "out of memory");
    sp_strlcpy(path_out, p, path_cap);
    if (!sp_exists(p)) {
        st = sp_err(err, SCIPRUNE_EIO, p, -1, -1, "no vectors for shard %s in %s (want %s.npy)",
                    shard_name, e->s.npy_dir, shard_name);
        free(p);
        return st;
    }
    st = sp_npy_open(a, p, err);
    if (st) {
        free(p);
        return st;
    }
    if (a->dtype != SP_NPY_F32 && a->dtype != SP_NPY_F16) {
        st = sp_err(err, SCIPRUNE_EPARSE, p, -1, -1, "dtype %s; want <f4 (float32) or <f2 (float16)",
                    dtype_descr(a->dtype));
    } else if (a->cols == 0) {
        st = sp_err(err, SCIPRUNE_EPARSE, p, -1, -1, "1-D array of %llu items; want 2-D (rows, dim)",
                    (unsigned long long)a->rows);
    } else if (a->cols > 65536) {
        st = sp_err(err, SCIPRUNE_EPARSE, p, -1, -1, "dimension %llu too large", (unsigned long long)a->cols);
    } else if (e->dim == 0) {
        e->dim = (uint32_t)a->cols;
        sp_strlcpy(e->npy->dim_source, p, sizeof e->npy->dim_source);
    } else if (a->cols != e->dim) {
        st = sp_err(err, SCIPRUNE_EPARSE, p, -1, -1, "dimension %llu, but %u in %s",
                    (unsigned long long)a->cols, e->dim,
                    e->npy->dim_source[0] ? e->npy->dim_source : "embedder.json");
    }
    if (st) sp_npy_close(a);
    free(p);
    return st;
}

sciprune_status embed_npy_check_file(sciprune_embedder *e, const char *shard_name,
                                     sciprune_error *err)
{
    sp_npy a;
    char path[4096];
    sciprune_status st = open_checked(e, shard_name, &a, path, sizeof path, err);
    if (st == SCIPRUNE_OK) sp_npy_close(&a);
    return st;
}

static sciprune_status npy_start(sciprune_embedder *e, sciprune_error *err) { return state(e, err); }

static sciprune_status npy_shard_begin(sciprune_embedder *e, const char *name, sciprune_error *err)
{
    sciprune_status st = state(e, err);
    if (st) return st;
    npy_state *ns = e->npy;
    if (ns->open) sp_npy_close(&ns->a);
    ns->open = 0;
    st = open_checked(e, name, &ns->a, ns->path, sizeof ns->path, err);
    if (st) return st;
    ns->open = 1;
    sp_strlcpy(ns->shard, name, sizeof ns->shard);
    return SCIPRUNE_OK;
}

static sciprune_status npy_embed_batch(sciprune_embedder *e, void *w, embed_batch *b,
                                       sciprune_error *err)
{
    (void)w;
    npy_state *ns = e->npy;
    if (!ns || !ns->open)
        return sp_err(err, SCIPRUNE_ESTATE, "embed", -1, -1, "npy backend: no shard open");
    uint32_t dim = e->dim;
    for (size_t i = 0; i < b->n; i++) {
        const embed_item *it = &b->items[i];
        float *out = b->out + i * dim;
        b->status[i] = it->rejected ? SCIPRUNE_ROW_REJECTED : SCIPRUNE_ROW_OK;
        if (it->rejected || it->row >= ns->a.rows) { /* too few rows: reported by shard_end */
            memset(out, 0, (size_t)dim * sizeof *out);
            continue;
        }
        if (ns->a.dtype == SP_NPY_F32) {
            memcpy(out, (const float *)ns->a.data + it->row * dim, (size_t)dim * sizeof *out);
        } else {
            const uint16_t *h = (const uint16_t *)ns->a.data + it->row * dim;
            for (uint32_t k = 0; k < dim; k++) out[k] = sp_f16_to_f32(h[k]);
        }
        for (uint32_t k = 0; k < dim; k++)
            if (!isfinite(out[k]))
                return sp_err(err, SCIPRUNE_EPARSE, ns->path, (int64_t)it->row + 1, -1,
                              "row %llu (line %llu of %s) has a non-finite value in column %u",
                              (unsigned long long)it->row, (unsigned long long)it->row + 1, ns->shard, k);
    }
    return SCIPRUNE_OK;
}

static sciprune_status npy_shard_end(sciprune_embedder *e, uint64_t lines, sciprune_error *err)
{
    npy_state *ns = e->npy;
    sciprune_status st = SCIPRUNE_OK;
    if (ns->a.rows != lines)
        st = sp_err(err, SCIPRUNE_EPARSE, ns->path, -1, -1, "%llu rows, but shard %s has %llu lines",
                    (unsigned long long)ns->a.rows, ns->shard, (unsigned long long)lines);
    sp_npy_close(&ns->a);
    ns->open = 0;
    return st;
}

static void npy_destroy(sciprune_embedder *e)
{
    if (!e->npy) return;
    if (e->npy->open) sp_npy_close(&e->npy->a);
    free(e->npy);
    e->npy = NULL;
}

const embed_backend embed_npy_backend = {
    .name = "npy",
    .parallel = 0,
    .start = npy_start,
    .worker_new = NULL,
    .worker_free = NULL,
    .shard_begin = npy_shard_begin,
    .embed_batch = npy_embed_batch,
    .shard_end = npy_shard_end,
    .destroy = npy_destroy,
};
