/*
 * embed_in.c - reading the embed stage's per-shard arrays (the index stage's input).
 *
 *   W/embed/<shard>.npy         '<f4' or '<f2', shape (N, d): row i = line i + 1 of the shard,
 *                               in input order; rows of rejected lines are all zero
 *   W/embed/<shard>.status.npy  '|u1', shape (N,): 1 = rejected line (row ignored), other
 *                               values count (0 ok, >1 an embedder fallback); optional
 *
 * Both are mapped, so a shard's vectors cost address space; pages read count in resident
 * memory until index_embed_release() drops them (they are re-read from the file if touched
 * again), so readers that go shard by shard keep memory flat in the corpus size.
 */
#include "index_int.h"

#include <c_api/error_c.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void index_embed_release(index_embed *e)
{
    if (e && e->vec.map && e->vec.map_len) (void)madvise(e->vec.map, e->vec.map_len, MADV_DONTNEED);
}

void index_embed_close(index_embed *e)
{
    if (!e) return;
    sp_npy_close(&e->vec);
    sp_npy_close(&e->status);
    memset(e, 0, sizeof *e);
}

sciprune_status index_embed_open(index_embed *e, const char *workdir, const char *name,
                                 sciprune_error *err)
{
    memset(e, 0, sizeof *e);
    char *vp = sp_wpath(workdir, SP_WF_VECTORS, name);
    char *sp = sp_wpath(workdir, SP_WF_STATUS, name);
    sciprune_status st = SCIPRUNE_OK;
    if (!vp || !sp) {
        st = sp_err(err, SCIPRUNE_ENOMEM, NULL, -1, -1, "out of memory");
        goto fail;
    }
    st = sp_npy_open(&e->vec, vp, err);
    if (st) goto fail;
    if (e->vec.dtype != SP_NPY_F32 && e->vec.dtype != SP_NPY_F16) {
        st = sp_err(err, SCIPRUNE_EPARSE, vp, -1, -1, "embeddings must be float32 or float16");
        goto fail;
    }
    if (e->vec.cols == 0 || e->vec.cols > 65536) {
        st = sp_err(err, SCIPRUNE_EPARSE, vp, -1, -1,
                    "embeddings must be a 2-D array N x d with 0 < d <= 65536");
        goto fail;
    }
    e->rows = e->vec.rows;
    e->d = (int)e->vec.cols;
    if (sp_exists(sp)) {
        st = sp_npy_open(&e->status, sp, err);
        if (st) goto fail;
        if (e->status.dtype != SP_NPY_U8 || e->status.cols != 0 || e->status.rows != e->rows) {
            st = sp_err(err, SCIPRUNE_EPARSE, sp, -1, -1,
                        "status must be uint8 with one entry per row (%llu)",
                        (unsigned long long)e->rows);
            goto fail;
        }
    }
    free(vp);
    free(sp);
    return SCIPRUNE_OK;
fail:
    index_embed_close(e);
    free(vp);
    free(sp);
    return st;
}

int index_embed_row_ok(const index_embed *e, uint64_t row)
{
    return !e->status.data || ((const uint8_t *)e->status.data)[row] != 1;
}

void index_embed_row(const index_embed *e, uint64_t row, float *out)
{
    size_t d = (size_t)e->d;
    if (e->vec.dtype == SP_NPY_F32) {
        memcpy(out, (const char *)e->vec.data + row * d * 4, d * 4);
    } else {
        const unsigned char *p = (const unsigned char *)e->vec.data + row * d * 2;
        for (size_t i = 0; i < d; i++) {
            uint16_t h = (uint16_t)(p[2 * i] | (p[2 * i + 1] << 8));
            out[i] = sp_f16_to_f32(h);
        }
    }
}

sciprune_status index_faiss_err(sciprune_error *err, const char *source, const char *what)
{
    const char *m = faiss_get_last_error();
    return sp_err(err, SCIPRUNE_EBACKEND, source, -1, -1, "%s: FAISS: %s", what,
                  m ? m : "unknown error");
}
