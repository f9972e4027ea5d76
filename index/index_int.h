/* index_int.h - internals shared by the files of index/ (the only module that includes FAISS). */
#ifndef SCIPRUNE_INDEX_INT_H
#define SCIPRUNE_INDEX_INT_H

#include "../shard/sp_npy.h"
#include "../shard/sp_workdir.h"
#include "../shard/sp_pool.h"

#include <jansson.h>

/* One shard's embedding input: W/embed/<name>.npy and, when present, <name>.status.npy. */
typedef struct index_embed {
    sp_npy vec;        /* rows x d, f32 or f16; mapped */
    sp_npy status;     /* rows, u8; mapped; .data NULL when the file is missing */
    uint64_t rows;
    int d;
} index_embed;

/* Open and check shapes and dtypes. Errors: EIO, EPARSE. */
sciprune_status index_embed_open(index_embed *e, const char *workdir, const char *name,
                                 sciprune_error *err);
void index_embed_close(index_embed *e);
/* Drop the resident pages of the shard's vectors (the mapping stays valid). */
void index_embed_release(index_embed *e);
/* 1 when row counts (status != 1). */
int index_embed_row_ok(const index_embed *e, uint64_t row);
/* Copy row `row` into out[d] as float32. */
void index_embed_row(const index_embed *e, uint64_t row, float *out);

/* 1 when every v[i] is finite. */
int index_finite(const float *v, size_t d);

/* Scale v[d] to unit length; a zero vector stays zero. */
void index_normalize(float *v, size_t d);

/* Copy faiss_get_last_error() into err with `what`; call right after the failing FAISS call. */
sciprune_status index_faiss_err(sciprune_error *err, const char *source, const char *what);

/* Dump `j` (indented, sorted keys) to `path` atomically. Steals nothing. Errors: EIO, ENOMEM. */
sciprune_status index_json_write(const char *path, const json_t *j, sciprune_error *err);


#endif /* SCIPRUNE_INDEX_INT_H */
