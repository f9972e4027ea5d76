/*
 * sp_npy.h - .npy files (NumPy format 1.0), streaming writer and mapped reader.
 * Used by embed/ (vectors), index/ (centroids) and the per-record stage arrays.
 */
#ifndef SCIPRUNE_SP_NPY_H
#define SCIPRUNE_SP_NPY_H

#include "sp_common.h"

typedef enum sp_npy_dtype {
    SP_NPY_F32 = 0, /* '<f4' */
    SP_NPY_F16,     /* '<f2' */
    SP_NPY_F64,     /* '<f8' */
    SP_NPY_I32,     /* '<i4' */
    SP_NPY_I64,     /* '<i8' */
    SP_NPY_U8       /* '|u1' */
} sp_npy_dtype;

size_t sp_npy_itemsize(sp_npy_dtype t);

typedef struct sp_npy_writer sp_npy_writer;

/* Start writing a 2-D array (cols > 0) or a 1-D array (cols == 0) of unknown row count to
 * `path` (via a temp file; renamed in _close). Errors: EIO, ENOMEM. */
sciprune_status sp_npy_writer_open(sp_npy_writer **out, const char *path, sp_npy_dtype t,
                                   uint64_t cols, sciprune_error *err);
/* Append `rows` rows (rows * max(cols,1) items of the dtype). Errors: EIO. */
sciprune_status sp_npy_writer_append(sp_npy_writer *w, const void *data, uint64_t rows,
                                     sciprune_error *err);
/* Patch the header with the row count, fsync, rename. Frees w. Errors: EIO. */
sciprune_status sp_npy_writer_close(sp_npy_writer *w, sciprune_error *err);
/* Remove the temp file and free. NULL is a no-op. */
void sp_npy_writer_abort(sp_npy_writer *w);

/* Write a whole array at once. */
sciprune_status sp_npy_write(const char *path, sp_npy_dtype t, uint64_t rows, uint64_t cols,
                             const void *data, sciprune_error *err);

typedef struct sp_npy {
    sp_npy_dtype dtype;
    uint64_t rows;
    uint64_t cols;    /* 0 for a 1-D array */
    const void *data; /* rows * max(cols,1) items, little-endian, C order; mapped, borrowed */
    void *map;        /* internal */
    size_t map_len;   /* internal */
} sp_npy;

/* Map an .npy file read-only. Checks magic, version, dtype, C order, 1-D or 2-D shape and that
 * the file holds exactly the data the header announces. Errors: EIO, EPARSE (with the file). */
sciprune_status sp_npy_open(sp_npy *a, const char *path, sciprune_error *err);
void sp_npy_close(sp_npy *a);

/* IEEE half <-> float, round to nearest even. */
uint16_t sp_f32_to_f16(float f);
float sp_f16_to_f32(uint16_t h);

#endif /* SCIPRUNE_SP_NPY_H */
